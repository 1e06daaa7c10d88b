package io.pgcdc.nifi.testkit;

import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.nifi.components.state.Scope;
import org.apache.nifi.components.state.StateManager;
import org.apache.nifi.components.state.StateMap;

/** Component state of the test driver: one map per scope with a version for replace(). Thread-safe. */
public final class MockStateManager implements StateManager {
    private static final class Entry implements StateMap {
        final Map<String, String> values;
        final long version; // -1: never set

        Entry(final Map<String, String> values, final long version) {
            this.values = Map.copyOf(values);
            this.version = version;
        }

        @Override public Optional<String> getStateVersion() {
            return version < 0 ? Optional.empty() : Optional.of(Long.toString(version));
        }
        @Override public String get(final String key) { return values.get(key); }
        @Override public Map<String, String> toMap() { return values; }
    }

    private final Map<Scope, Entry> scopes = new EnumMap<>(Scope.class);
    private int writes;

    @Override
    public synchronized void setState(final Map<String, String> state, final Scope scope) {
        scopes.put(scope, new Entry(new HashMap<>(state), current(scope).version + 1));
        writes++;
    }

    @Override
    public synchronized StateMap getState(final Scope scope) {
        return current(scope);
    }

    @Override
    public synchronized boolean replace(final StateMap oldValue, final Map<String, String> newValue, final Scope scope) {
        final Entry cur = current(scope);
        if (!cur.getStateVersion().equals(oldValue.getStateVersion())) {
            return false;
        }
        setState(newValue, scope);
        return true;
    }

    @Override
    public synchronized void clear(final Scope scope) {
        setState(Map.of(), scope);
    }

    /** How many times the state was written (any scope). */
    public synchronized int writes() {
        return writes;
    }

    private Entry current(final Scope scope) {
        return scopes.getOrDefault(scope, new Entry(Map.of(), -1));
    }
}
