/* Stand-in for nifi-api 2.0.0 (compile-time only; tests/nifi-api-standin). Same package, name and
 * signatures as the real API for the part pgcdc uses; never packaged into the NAR. */
package org.apache.nifi.components;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;

public abstract class AbstractConfigurableComponent implements ConfigurableComponent {

    protected Collection<ValidationResult> customValidate(final ValidationContext validationContext) {
        return Collections.emptySet();
    }

    @Override
    public final Collection<ValidationResult> validate(final ValidationContext context) {
        final List<ValidationResult> results = new ArrayList<>();
        for (final PropertyDescriptor d : getPropertyDescriptors()) {
            String value = null;
            for (final Map.Entry<PropertyDescriptor, String> e : context.getProperties().entrySet()) {
                if (e.getKey().getName().equals(d.getName())) {
                    value = e.getValue();
                }
            }
            if (value == null) {
                value = d.getDefaultValue();
            }
            if (value == null) {
                if (d.isRequired()) {
                    results.add(new ValidationResult.Builder().subject(d.getDisplayName()).valid(false)
                            .explanation(d.getDisplayName() + " is required").build());
                }
                continue;
            }
            final ValidationResult r = d.validate(value, context);
            if (!r.isValid()) {
                results.add(r);
            }
        }
        if (results.isEmpty()) {
            final Collection<ValidationResult> custom = customValidate(context);
            if (custom != null) {
                results.addAll(custom);
            }
        }
        return results;
    }

    @Override
    public final PropertyDescriptor getPropertyDescriptor(final String descriptorName) {
        for (final PropertyDescriptor d : getSupportedPropertyDescriptors()) {
            if (d.getName().equals(descriptorName)) {
                return d;
            }
        }
        return new PropertyDescriptor.Builder().name(descriptorName).dynamic(true).build();
    }

    @Override
    public void onPropertyModified(final PropertyDescriptor descriptor, final String oldValue, final String newValue) {
    }

    protected List<PropertyDescriptor> getSupportedPropertyDescriptors() {
        return Collections.emptyList();
    }

    @Override
    public final List<PropertyDescriptor> getPropertyDescriptors() {
        return Collections.unmodifiableList(new ArrayList<>(getSupportedPropertyDescriptors()));
    }

    /* As the real one: what a component log line starts with. */
    @Override
    public String toString() {
        return getClass().getSimpleName() + "[id=" + getIdentifier() + "]";
    }
}
