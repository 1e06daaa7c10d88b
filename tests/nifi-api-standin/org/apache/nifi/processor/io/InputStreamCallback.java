/* Stand-in for nifi-api 2.0.0 (compile-time only; tests/nifi-api-standin). Same package, name and
 * signatures as the real API for the part pgcdc uses; never packaged into the NAR. */
package org.apache.nifi.processor.io;

import java.io.IOException;
import java.io.InputStream;

public interface InputStreamCallback {
    void process(InputStream in) throws IOException;
}
