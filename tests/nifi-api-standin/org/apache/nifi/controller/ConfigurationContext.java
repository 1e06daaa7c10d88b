/* Stand-in for nifi-api 2.0.0 (compile-time only; tests/nifi-api-standin). Same package, name and
 * signatures as the real API for the part pgcdc uses; never packaged into the NAR. */
package org.apache.nifi.controller;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.context.PropertyContext;

public interface ConfigurationContext extends PropertyContext {
    Map<PropertyDescriptor, String> getProperties();
    String getAnnotationData();
    String getSchedulingPeriod();
    Long getSchedulingPeriod(TimeUnit timeUnit);
    String getName();
}
