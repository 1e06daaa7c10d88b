/* Stand-in for nifi-api 2.0.0 (compile-time only; tests/nifi-api-standin). Same package, name and
 * signatures as the real API for the part pgcdc uses; never packaged into the NAR. */
package org.apache.nifi.components.state;

import java.util.Map;
import java.util.Optional;

public interface StateMap {
    Optional<String> getStateVersion();

    String get(String key);

    Map<String, String> toMap();
}
