/* Stand-in for nifi-api 2.0.0 (compile-time only; tests/nifi-api-standin). Same package, name and
 * signatures as the real API for the part pgcdc uses; never packaged into the NAR. */
package org.apache.nifi.processor.exception;

public class ProcessException extends RuntimeException {
    public ProcessException() {
        super();
    }

    public ProcessException(String msg) {
        super(msg);
    }

    public ProcessException(Throwable cause) {
        super(cause);
    }

    public ProcessException(String msg, Throwable cause) {
        super(msg, cause);
    }
}
