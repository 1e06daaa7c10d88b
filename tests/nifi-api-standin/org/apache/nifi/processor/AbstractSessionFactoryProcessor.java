/* Stand-in for nifi-api 2.0.0 (compile-time only; tests/nifi-api-standin). Same package, name and
 * signatures as the real API for the part pgcdc uses; never packaged into the NAR. */
package org.apache.nifi.processor;

import java.util.Collections;
import java.util.Set;
import org.apache.nifi.components.AbstractConfigurableComponent;
import org.apache.nifi.controller.ControllerServiceLookup;
import org.apache.nifi.logging.ComponentLog;

public abstract class AbstractSessionFactoryProcessor extends AbstractConfigurableComponent implements Processor {
    private String identifier;
    private ComponentLog logger;
    private ControllerServiceLookup serviceLookup;

    @Override
    public final void initialize(final ProcessorInitializationContext context) {
        identifier = context.getIdentifier();
        logger = context.getLogger();
        serviceLookup = context.getControllerServiceLookup();
        init(context);
    }

    protected final ControllerServiceLookup getControllerServiceLookup() { return serviceLookup; }

    @Override
    public Set<Relationship> getRelationships() { return Collections.emptySet(); }

    protected final ComponentLog getLogger() { return logger; }

    protected void init(final ProcessorInitializationContext context) {
    }

    @Override
    public final String getIdentifier() { return identifier; }
}
