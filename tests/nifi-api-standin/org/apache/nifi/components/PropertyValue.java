/* Stand-in for nifi-api 2.0.0 (compile-time only; tests/nifi-api-standin). Same package, name and
 * signatures as the real API for the part pgcdc uses; never packaged into the NAR. */
package org.apache.nifi.components;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.nifi.controller.ControllerService;
import org.apache.nifi.flowfile.FlowFile;
import org.apache.nifi.processor.exception.ProcessException;

public interface PropertyValue {
    String getValue();
    Integer asInteger();
    Long asLong();
    Boolean asBoolean();
    Float asFloat();
    Double asDouble();
    Long asTimePeriod(TimeUnit timeUnit);
    ControllerService asControllerService();
    <T extends ControllerService> T asControllerService(Class<T> serviceType) throws IllegalArgumentException;
    boolean isSet();
    PropertyValue evaluateAttributeExpressions() throws ProcessException;
    PropertyValue evaluateAttributeExpressions(Map<String, String> attributes) throws ProcessException;
    PropertyValue evaluateAttributeExpressions(FlowFile flowFile) throws ProcessException;
    boolean isExpressionLanguagePresent();
}
