/* Stand-in for nifi-api 2.0.0 (compile-time only; tests/nifi-api-standin). Same package, name and
 * signatures as the real API for the part pgcdc uses; never packaged into the NAR. */
package org.apache.nifi.processor;

public final class Relationship implements Comparable<Relationship> {
    public static final Relationship SELF = new Relationship.Builder().build();
    public static final Relationship ANONYMOUS = new Relationship.Builder().name("").build();

    private final String name;
    private final String description;
    private final boolean isAutoTerminate;

    private Relationship(final Builder builder) {
        this.name = builder.name == null ? null : builder.name.intern();
        this.description = builder.description;
        this.isAutoTerminate = builder.autoTerminate;
    }

    @Override
    public int compareTo(final Relationship o) {
        return o == null ? -1 : String.valueOf(getName()).compareTo(String.valueOf(o.getName()));
    }

    public static final class Builder {
        private String name = "";
        private String description = "";
        private boolean autoTerminate = false;

        public Builder name(final String name) { if (name != null) this.name = name; return this; }
        public Builder description(final String description) { if (description != null) this.description = description; return this; }
        public Builder autoTerminateDefault(final boolean autoTerminate) { this.autoTerminate = autoTerminate; return this; }
        public Relationship build() { return new Relationship(this); }
    }

    public String getName() { return name; }
    public String getDescription() { return description; }
    public boolean isAutoTerminated() { return isAutoTerminate; }

    @Override
    public boolean equals(final Object o) {
        return o instanceof Relationship r && java.util.Objects.equals(name, r.name);
    }

    @Override
    public int hashCode() { return 301 + (name == null ? 0 : name.hashCode()) * 21; }

    @Override
    public String toString() { return name; }
}
