/* Stand-in for nifi-api 2.0.0 (compile-time only; tests/nifi-api-standin). Same package, name and
 * signatures as the real API for the part pgcdc uses; never packaged into the NAR. */
package org.apache.nifi.components;

import java.util.Collection;
import java.util.List;

public interface ConfigurableComponent {
    Collection<ValidationResult> validate(ValidationContext context);

    PropertyDescriptor getPropertyDescriptor(String name);

    void onPropertyModified(PropertyDescriptor descriptor, String oldValue, String newValue);

    List<PropertyDescriptor> getPropertyDescriptors();

    String getIdentifier();
}
