/* Stand-in for nifi-api 2.0.0 (compile-time only; tests/nifi-api-standin). Same package, name and
 * signatures as the real API for the part pgcdc uses; never packaged into the NAR. */
package org.apache.nifi.controller;

import org.apache.nifi.annotation.lifecycle.OnDisabled;
import org.apache.nifi.annotation.lifecycle.OnEnabled;
import org.apache.nifi.components.AbstractConfigurableComponent;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.components.PropertyValue;
import org.apache.nifi.components.state.StateManager;
import org.apache.nifi.logging.ComponentLog;
import org.apache.nifi.reporting.InitializationException;

public abstract class AbstractControllerService extends AbstractConfigurableComponent implements ControllerService {
    private String identifier;
    private ControllerServiceLookup serviceLookup;
    private ComponentLog logger;
    private StateManager stateManager;
    private volatile ConfigurationContext configurationContext;
    private volatile boolean enabled = false;

    @Override
    public final void initialize(final ControllerServiceInitializationContext context) throws InitializationException {
        this.identifier = context.getIdentifier();
        this.serviceLookup = context.getControllerServiceLookup();
        this.logger = context.getLogger();
        this.stateManager = context.getStateManager();
        init(context);
    }

    @Override
    public String getIdentifier() { return identifier; }

    protected final ControllerServiceLookup getControllerServiceLookup() { return serviceLookup; }

    protected void init(final ControllerServiceInitializationContext config) throws InitializationException {
    }

    @OnEnabled
    public final void enabled() { this.enabled = true; }

    @OnDisabled
    public final void disabled() { this.enabled = false; }

    public boolean isEnabled() { return enabled; }

    protected ComponentLog getLogger() { return logger; }

    protected StateManager getStateManager() { return stateManager; }

    @OnEnabled
    public final void abstractStoreConfigContext(final ConfigurationContext configContext) {
        this.configurationContext = configContext;
    }

    @OnDisabled
    public final void abstractClearConfigContext() {
        this.configurationContext = null;
    }

    protected ConfigurationContext getConfigurationContext() {
        final ConfigurationContext context = this.configurationContext;
        if (context == null) {
            throw new IllegalStateException("No Configuration Context exists");
        }
        return context;
    }

    protected PropertyValue getProperty(final PropertyDescriptor descriptor) {
        return getConfigurationContext().getProperty(descriptor);
    }
}
