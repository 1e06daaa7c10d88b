/* Stand-in for nifi-api 2.0.0 (compile-time only; tests/nifi-api-standin). Same package, name and
 * signatures as the real API for the part pgcdc uses; never packaged into the NAR. */
package org.apache.nifi.processor;

import java.util.Set;
import org.apache.nifi.components.ConfigurableComponent;
import org.apache.nifi.processor.exception.ProcessException;

public interface Processor extends ConfigurableComponent {
    void initialize(ProcessorInitializationContext context);

    Set<Relationship> getRelationships();

    void onTrigger(ProcessContext context, ProcessSessionFactory sessionFactory) throws ProcessException;
}
