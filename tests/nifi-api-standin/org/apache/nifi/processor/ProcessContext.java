/* Stand-in for nifi-api 2.0.0 (compile-time only; tests/nifi-api-standin). Same package, name and
 * signatures as the real API for the part pgcdc uses; never packaged into the NAR. */
package org.apache.nifi.processor;

import java.util.Map;
import java.util.Set;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.components.PropertyValue;
import org.apache.nifi.components.state.StateManager;
import org.apache.nifi.context.PropertyContext;
import org.apache.nifi.controller.ControllerServiceLookup;

public interface ProcessContext extends PropertyContext {
    PropertyValue getProperty(String propertyName);
    PropertyValue newPropertyValue(String rawValue);
    void yield();
    int getMaxConcurrentTasks();
    Map<PropertyDescriptor, String> getProperties();
    ControllerServiceLookup getControllerServiceLookup();
    Set<Relationship> getAvailableRelationships();
    boolean isAutoTerminated(Relationship relationship);
    boolean hasIncomingConnection();
    boolean hasConnection(Relationship relationship);
    StateManager getStateManager();
    String getName();
}
