/* Stand-in for nifi-api 2.0.0 (compile-time only; tests/nifi-api-standin). Same package, name and
 * signatures as the real API for the part pgcdc uses; never packaged into the NAR. */
package org.apache.nifi.reporting;

public class InitializationException extends Exception {
    public InitializationException(String explanation) {
        super(explanation);
    }

    public InitializationException(Throwable cause) {
        super(cause);
    }

    public InitializationException(String explanation, Throwable cause) {
        super(explanation, cause);
    }
}
