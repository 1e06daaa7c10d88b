/* Stand-in for nifi-api 2.0.0 (compile-time only; tests/nifi-api-standin). Same package, name and
 * signatures as the real API for the part pgcdc uses; never packaged into the NAR. */
package org.apache.nifi.components;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import org.apache.nifi.controller.ControllerService;
import org.apache.nifi.expression.ExpressionLanguageScope;

public final class PropertyDescriptor implements Comparable<PropertyDescriptor> {
    private final String name;
    private final String displayName;
    private final String description;
    private final String defaultValue;
    private final List<AllowableValue> allowableValues;
    private final boolean required;
    private final boolean sensitive;
    private final boolean dynamic;
    private final ExpressionLanguageScope expressionLanguageScope;
    private final Class<? extends ControllerService> controllerServiceDefinition;
    private final List<Validator> validators;

    private PropertyDescriptor(final Builder b) {
        this.name = b.name;
        this.displayName = b.displayName == null ? b.name : b.displayName;
        this.description = b.description;
        this.defaultValue = b.defaultValue;
        this.allowableValues = b.allowableValues == null ? null : Collections.unmodifiableList(new ArrayList<>(b.allowableValues));
        this.required = b.required;
        this.sensitive = b.sensitive;
        this.dynamic = b.dynamic;
        this.expressionLanguageScope = b.expressionLanguageScope;
        this.controllerServiceDefinition = b.controllerServiceDefinition;
        this.validators = Collections.unmodifiableList(new ArrayList<>(b.validators));
    }

    @Override
    public int compareTo(final PropertyDescriptor o) {
        return o == null ? -1 : getName().compareTo(o.getName());
    }

    /* Allowable values first, then a controller service reference, then the validators in order
     * (each given the property's name as subject, as the real one). */
    public ValidationResult validate(final String input, final ValidationContext context) {
        final ValidationResult.Builder r = new ValidationResult.Builder().subject(displayName).input(input);
        if (allowableValues != null && !allowableValues.isEmpty()) {
            for (final AllowableValue v : allowableValues) {
                if (v.getValue().equals(input)) {
                    return r.valid(true).build();
                }
            }
            return r.valid(false).explanation("Given value not found in allowed set '" + allowableValues + "'").build();
        }
        if (controllerServiceDefinition != null) {
            final ControllerService s = context.getControllerServiceLookup() == null ? null
                    : context.getControllerServiceLookup().getControllerService(input);
            if (s == null) {
                return r.valid(false).explanation("Property references a Controller Service that does not exist").build();
            }
            if (!controllerServiceDefinition.isInstance(s)) {
                return r.valid(false).explanation("Controller Service is not of type " + controllerServiceDefinition.getName()).build();
            }
            return r.valid(true).build();
        }
        for (final Validator v : validators) {
            final ValidationResult vr = v.validate(name, input, context);
            if (!vr.isValid()) {
                return vr;
            }
        }
        return r.valid(true).build();
    }

    public static final class Builder {
        private String name;
        private String displayName;
        private String description = "";
        private String defaultValue;
        private List<AllowableValue> allowableValues;
        private boolean required;
        private boolean sensitive;
        private boolean dynamic;
        private ExpressionLanguageScope expressionLanguageScope = ExpressionLanguageScope.NONE;
        private Class<? extends ControllerService> controllerServiceDefinition;
        private final List<Validator> validators = new ArrayList<>();

        public Builder name(final String name) { this.name = name; return this; }
        public Builder displayName(final String displayName) { this.displayName = displayName; return this; }
        public Builder description(final String description) { this.description = description; return this; }
        public Builder defaultValue(final String value) { this.defaultValue = value; return this; }
        public Builder defaultValue(final DescribedValue value) { this.defaultValue = value == null ? null : value.getValue(); return this; }
        public Builder required(final boolean required) { this.required = required; return this; }
        public Builder sensitive(final boolean sensitive) { this.sensitive = sensitive; return this; }
        public Builder dynamic(final boolean dynamic) { this.dynamic = dynamic; return this; }
        public Builder addValidator(final Validator validator) { if (validator != null) validators.add(validator); return this; }
        public Builder expressionLanguageSupported(final ExpressionLanguageScope scope) { this.expressionLanguageScope = scope; return this; }

        public Builder allowableValues(final String... values) {
            allowableValues = new ArrayList<>();
            for (final String v : values) {
                allowableValues.add(new AllowableValue(v));
            }
            return this;
        }

        public Builder allowableValues(final DescribedValue... values) {
            allowableValues = new ArrayList<>();
            for (final DescribedValue v : values) {
                allowableValues.add(AllowableValue.fromDescribedValue(v));
            }
            return this;
        }

        public Builder identifiesControllerService(final Class<? extends ControllerService> definition) {
            if (definition != null && !definition.isInterface()) {
                throw new IllegalArgumentException("Controller Service definition must be an interface");
            }
            this.controllerServiceDefinition = definition;
            return this;
        }

        public PropertyDescriptor build() {
            if (name == null) {
                throw new IllegalStateException("Must specify a name");
            }
            return new PropertyDescriptor(this);
        }
    }

    public String getDisplayName() { return displayName; }
    public String getName() { return name; }
    public String getDescription() { return description; }
    public String getDefaultValue() { return defaultValue; }
    public boolean isRequired() { return required; }
    public boolean isSensitive() { return sensitive; }
    public boolean isDynamic() { return dynamic; }
    public boolean isExpressionLanguageSupported() { return expressionLanguageScope != ExpressionLanguageScope.NONE; }
    public ExpressionLanguageScope getExpressionLanguageScope() { return expressionLanguageScope; }
    public Class<? extends ControllerService> getControllerServiceDefinition() { return controllerServiceDefinition; }
    public List<Validator> getValidators() { return validators; }
    public List<AllowableValue> getAllowableValues() { return allowableValues; }

    @Override
    public boolean equals(final Object other) {
        return other instanceof PropertyDescriptor d && Objects.equals(name, d.name);
    }

    @Override
    public int hashCode() { return 287 + name.hashCode() * 47; }

    @Override
    public String toString() { return getClass().getSimpleName() + "[" + displayName + "]"; }
}
