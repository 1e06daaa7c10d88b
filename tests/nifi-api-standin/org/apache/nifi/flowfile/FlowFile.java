/* Stand-in for nifi-api 2.0.0 (compile-time only; tests/nifi-api-standin). Same package, name and
 * signatures as the real API for the part pgcdc uses; never packaged into the NAR. */
package org.apache.nifi.flowfile;

import java.util.Map;

public interface FlowFile extends Comparable<FlowFile> {
    long getId();
    long getEntryDate();
    long getLineageStartDate();
    long getLineageStartIndex();
    Long getLastQueueDate();
    long getQueueDateIndex();
    boolean isPenalized();
    String getAttribute(String key);
    long getSize();
    Map<String, String> getAttributes();
}
