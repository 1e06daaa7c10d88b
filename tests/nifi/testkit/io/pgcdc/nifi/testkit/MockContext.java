package io.pgcdc.nifi.testkit;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.nifi.components.ConfigurableComponent;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.components.PropertyValue;
import org.apache.nifi.components.ValidationContext;
import org.apache.nifi.components.state.StateManager;
import org.apache.nifi.controller.ConfigurationContext;
import org.apache.nifi.controller.ControllerServiceLookup;
import org.apache.nifi.processor.ProcessContext;
import org.apache.nifi.processor.Relationship;

/** The process / configuration / validation context of one component in the test driver. */
final class MockContext implements ProcessContext, ConfigurationContext, ValidationContext {
    private final ConfigurableComponent component;
    private final Map<String, String> raw;          // as configured, may hold #{...}
    private final Parameters parameters;
    private final ControllerServiceLookup lookup;
    private final StateManager state;
    private volatile boolean yielded;

    MockContext(final ConfigurableComponent component, final Map<String, String> raw, final Parameters parameters,
                final ControllerServiceLookup lookup, final StateManager state) {
        this.component = component;
        this.raw = raw;
        this.parameters = parameters;
        this.lookup = lookup;
        this.state = state;
    }

    /* The effective value: parameters substituted; unset (null), the descriptor's default. As NiFi, an empty
     * value stays "" (it is not replaced by the default). */
    String effective(final PropertyDescriptor d) {
        final String r = raw.get(d.getName());
        final String v = r == null ? null : parameters.resolve(r);
        return v == null ? d.getDefaultValue() : v;
    }

    /* Validation as NiFi runs it before scheduling or enabling: an unknown parameter is an error too. */
    java.util.Collection<org.apache.nifi.components.ValidationResult> validateWith(final ConfigurableComponent c) {
        for (final String v : raw.values()) {
            try {
                parameters.resolve(v);
            } catch (final IllegalArgumentException e) {
                return java.util.List.of(new org.apache.nifi.components.ValidationResult.Builder().subject(v)
                        .valid(false).explanation(e.getMessage()).build());
            }
        }
        for (final String name : raw.keySet()) {
            if (c.getPropertyDescriptor(name).isDynamic()) {
                return java.util.List.of(new org.apache.nifi.components.ValidationResult.Builder().subject(name)
                        .valid(false).explanation("'" + name + "' is not a supported property").build());
            }
        }
        return c.validate(this);
    }

    boolean takeYield() {
        final boolean y = yielded;
        yielded = false;
        return y;
    }

    @Override
    public PropertyValue getProperty(final PropertyDescriptor descriptor) {
        final PropertyDescriptor d = component.getPropertyDescriptor(descriptor.getName());
        return new MockPropertyValue(effective(d), lookup);
    }

    @Override
    public PropertyValue getProperty(final String propertyName) {
        return getProperty(component.getPropertyDescriptor(propertyName));
    }

    @Override
    public Map<String, String> getAllProperties() {
        final Map<String, String> m = new LinkedHashMap<>();
        for (final PropertyDescriptor d : component.getPropertyDescriptors()) {
            m.put(d.getName(), effective(d));
        }
        return m;
    }

    @Override
    public Map<PropertyDescriptor, String> getProperties() {
        final Map<PropertyDescriptor, String> m = new HashMap<>();
        for (final PropertyDescriptor d : component.getPropertyDescriptors()) {
            m.put(d, effective(d));
        }
        for (final String name : raw.keySet()) {
            final PropertyDescriptor d = component.getPropertyDescriptor(name);
            m.putIfAbsent(d, effective(d));
        }
        return m;
    }

    @Override public PropertyValue newPropertyValue(final String rawValue) { return new MockPropertyValue(rawValue, lookup); }
    @Override public void yield() { yielded = true; }
    @Override public int getMaxConcurrentTasks() { return 1; }
    @Override public ControllerServiceLookup getControllerServiceLookup() { return lookup; }
    @Override public Set<Relationship> getAvailableRelationships() { return Set.of(); }
    @Override public boolean isAutoTerminated(final Relationship relationship) { return false; }
    @Override public boolean hasIncomingConnection() { return true; }
    @Override public boolean hasConnection(final Relationship relationship) { return true; }
    @Override public StateManager getStateManager() { return state; }
    @Override public String getName() { return component.getClass().getSimpleName(); }
    @Override public String getAnnotationData() { return null; }
    @Override public String getSchedulingPeriod() { return "0 sec"; }
    @Override public Long getSchedulingPeriod(final TimeUnit timeUnit) { return 0L; }
    @Override public boolean isExpressionLanguagePresent(final String value) { return false; }
    @Override public boolean isExpressionLanguageSupported(final String propertyName) { return false; }
    @Override public boolean isParameterDefined(final String parameterName) { return parameters.asMap().containsKey(parameterName); }
    @Override public boolean isParameterSet(final String parameterName) { return parameters.asMap().get(parameterName) != null; }
}
