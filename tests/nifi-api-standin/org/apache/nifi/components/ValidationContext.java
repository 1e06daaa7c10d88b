/* Stand-in for nifi-api 2.0.0 (compile-time only; tests/nifi-api-standin). Same package, name and
 * signatures as the real API for the part pgcdc uses; never packaged into the NAR. */
package org.apache.nifi.components;

import java.util.Map;
import org.apache.nifi.context.PropertyContext;
import org.apache.nifi.controller.ControllerServiceLookup;

public interface ValidationContext extends PropertyContext {
    ControllerServiceLookup getControllerServiceLookup();

    PropertyValue newPropertyValue(String value);

    Map<PropertyDescriptor, String> getProperties();

    boolean isExpressionLanguagePresent(String value);

    boolean isExpressionLanguageSupported(String propertyName);

    boolean isParameterDefined(String parameterName);

    boolean isParameterSet(String parameterName);
}
