package io.pgcdc.nifi.testkit;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import org.apache.nifi.components.PropertyValue;
import org.apache.nifi.controller.ControllerService;
import org.apache.nifi.controller.ControllerServiceLookup;
import org.apache.nifi.flowfile.FlowFile;
import org.apache.nifi.processor.util.StandardValidators;

/** A property value of the test driver (parameters already substituted; no Expression Language). */
final class MockPropertyValue implements PropertyValue {
    private final String value;
    private final ControllerServiceLookup lookup;

    MockPropertyValue(final String value, final ControllerServiceLookup lookup) {
        this.value = value;
        this.lookup = lookup;
    }

    @Override public String getValue() { return value; }
    @Override public Integer asInteger() { return value == null ? null : Integer.parseInt(value.trim()); }
    @Override public Long asLong() { return value == null ? null : Long.parseLong(value.trim()); }
    @Override public Boolean asBoolean() { return value == null ? null : Boolean.parseBoolean(value.trim()); }
    @Override public Float asFloat() { return value == null ? null : Float.parseFloat(value.trim()); }
    @Override public Double asDouble() { return value == null ? null : Double.parseDouble(value.trim()); }

    @Override
    public Long asTimePeriod(final TimeUnit timeUnit) {
        if (value == null) {
            return null;
        }
        final Matcher m = StandardValidators.TIME_DURATION_PATTERN.matcher(value.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("not a time period: " + value);
        }
        final double n = Double.parseDouble(m.group(1));
        final String u = m.group(2).toLowerCase();
        final double nanos = switch (u.charAt(0)) {
            case 'n' -> n;
            case 'm' -> u.startsWith("mi") && !u.startsWith("mil") || u.equals("m") ? n * 60e9 : n * 1e6;
            case 's' -> n * 1e9;
            case 'h' -> n * 3600e9;
            case 'd' -> n * 86400e9;
            default -> n * 7 * 86400e9;
        };
        return timeUnit.convert((long) nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public ControllerService asControllerService() {
        return value == null ? null : lookup.getControllerService(value);
    }

    @Override
    public <T extends ControllerService> T asControllerService(final Class<T> serviceType) {
        final ControllerService s = asControllerService();
        if (s == null) {
            return null;
        }
        if (!serviceType.isInstance(s)) {
            throw new IllegalArgumentException("Controller Service " + value + " is not a " + serviceType.getName());
        }
        return serviceType.cast(s);
    }

    @Override public boolean isSet() { return value != null; }
    @Override public PropertyValue evaluateAttributeExpressions() { return this; }
    @Override public PropertyValue evaluateAttributeExpressions(final Map<String, String> attributes) { return this; }
    @Override public PropertyValue evaluateAttributeExpressions(final FlowFile flowFile) { return this; }
    @Override public boolean isExpressionLanguagePresent() { return false; }
    @Override public String toString() { return value; }
}
