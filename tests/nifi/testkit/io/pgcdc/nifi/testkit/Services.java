package io.pgcdc.nifi.testkit;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.nifi.annotation.lifecycle.OnDisabled;
import org.apache.nifi.annotation.lifecycle.OnEnabled;
import org.apache.nifi.components.ValidationResult;
import org.apache.nifi.components.state.StateManager;
import org.apache.nifi.controller.ControllerService;
import org.apache.nifi.controller.ControllerServiceInitializationContext;
import org.apache.nifi.controller.ControllerServiceLookup;
import org.apache.nifi.logging.ComponentLog;
import org.apache.nifi.reporting.InitializationException;

/**
 * The controller services of a test flow and its parameter context (test driver, tests only): services
 * are added with their properties (values may reference #{parameters}), validated and enabled in the
 * order added (a service referencing another must be added after it), disabled in reverse order.
 */
public final class Services implements ControllerServiceLookup {
    private final Parameters parameters;
    private final Map<String, ControllerService> services = new LinkedHashMap<>();
    private final Map<String, MockContext> contexts = new HashMap<>();
    private final Map<String, Boolean> enabled = new HashMap<>();
    private final Map<String, MockStateManager> states = new HashMap<>();

    public Services(final Parameters parameters) {
        this.parameters = parameters;
    }

    public Parameters parameters() {
        return parameters;
    }

    /** Initializes the service (as NiFi does when it is added to the flow) with the given properties. */
    public <T extends ControllerService> T add(final String id, final T service, final Map<String, String> properties) {
        final MockComponentLog log = new MockComponentLog(service);
        final MockStateManager state = new MockStateManager();
        try {
            service.initialize(new ControllerServiceInitializationContext() {
                @Override public String getIdentifier() { return id; }
                @Override public ControllerServiceLookup getControllerServiceLookup() { return Services.this; }
                @Override public ComponentLog getLogger() { return log; }
                @Override public StateManager getStateManager() { return state; }
            });
        } catch (final InitializationException e) {
            throw new IllegalStateException(e);
        }
        services.put(id, service);
        states.put(id, state);
        contexts.put(id, new MockContext(service, new HashMap<>(properties), parameters, this, state));
        enabled.put(id, false);
        return service;
    }

    /** The service's component state (what NiFi's View State shows for a @Stateful service). */
    public MockStateManager stateManager(final String id) {
        return states.get(id);
    }

    /** The validation errors of one service (empty: valid). */
    public Collection<ValidationResult> validate(final String id) {
        return contexts.get(id).validateWith(services.get(id));
    }

    /** Validates and enables every service in the order added; IllegalStateException naming the invalid ones. */
    public void enableAll() {
        for (final String id : services.keySet()) {
            final Collection<ValidationResult> errors = validate(id);
            if (!errors.isEmpty()) {
                throw new IllegalStateException("controller service " + id + " is invalid: " + errors);
            }
            Lifecycle.invoke(services.get(id), OnEnabled.class, contexts.get(id));
            enabled.put(id, true);
        }
    }

    public void disableAll() {
        final List<String> ids = new ArrayList<>(services.keySet());
        for (int i = ids.size() - 1; i >= 0; i--) {
            if (enabled.get(ids.get(i))) {
                Lifecycle.invoke(services.get(ids.get(i)), OnDisabled.class, contexts.get(ids.get(i)));
                enabled.put(ids.get(i), false);
            }
        }
    }

    @Override public ControllerService getControllerService(final String id) { return services.get(id); }
    @Override public boolean isControllerServiceEnabled(final String id) { return enabled.getOrDefault(id, false); }
    @Override public boolean isControllerServiceEnabling(final String id) { return false; }
    @Override public boolean isControllerServiceEnabled(final ControllerService s) { return isControllerServiceEnabled(s.getIdentifier()); }
    @Override public String getControllerServiceName(final String id) { return id; }

    @Override
    public Set<String> getControllerServiceIdentifiers(final Class<? extends ControllerService> type) {
        return services.entrySet().stream().filter(e -> type.isInstance(e.getValue())).map(Map.Entry::getKey)
                .collect(Collectors.toSet());
    }
}
