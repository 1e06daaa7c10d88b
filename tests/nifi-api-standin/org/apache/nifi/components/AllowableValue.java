/* Stand-in for nifi-api 2.0.0 (compile-time only; tests/nifi-api-standin). Same package, name and
 * signatures as the real API for the part pgcdc uses; never packaged into the NAR. */
package org.apache.nifi.components;

import java.util.Objects;

public class AllowableValue implements DescribedValue {
    private final String value;
    private final String displayName;
    private final String description;

    public AllowableValue(final String value) {
        this(value, value);
    }

    public AllowableValue(final String value, final String displayName) {
        this(value, displayName, null);
    }

    public AllowableValue(final String value, final String displayName, final String description) {
        this.value = Objects.requireNonNull(value);
        this.displayName = Objects.requireNonNull(displayName);
        this.description = description;
    }

    public static AllowableValue fromDescribedValue(final DescribedValue v) {
        return v instanceof AllowableValue a ? a : new AllowableValue(v.getValue(), v.getDisplayName(), v.getDescription());
    }

    public String getValue() { return value; }
    public String getDisplayName() { return displayName; }
    public String getDescription() { return description; }

    @Override
    public boolean equals(final Object obj) {
        return obj instanceof AllowableValue other ? value.equals(other.value) : obj instanceof String && value.equals(obj);
    }

    @Override
    public int hashCode() { return value.hashCode(); }

    @Override
    public String toString() { return value; }
}
