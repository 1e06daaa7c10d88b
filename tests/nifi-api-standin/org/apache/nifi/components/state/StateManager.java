/* Stand-in for nifi-api 2.0.0 (compile-time only; tests/nifi-api-standin). Same package, name and
 * signatures as the real API for the part pgcdc uses; never packaged into the NAR. */
package org.apache.nifi.components.state;

import java.io.IOException;
import java.util.Map;

public interface StateManager {
    void setState(Map<String, String> state, Scope scope) throws IOException;

    StateMap getState(Scope scope) throws IOException;

    boolean replace(StateMap oldValue, Map<String, String> newValue, Scope scope) throws IOException;

    void clear(Scope scope) throws IOException;
}
