package io.pgcdc.nifi.testkit;

import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.nifi.flowfile.FlowFile;

/**
 * A FlowFile of the test driver (tests only; runs against the nifi-api stand-in). Immutable like NiFi's:
 * every change gives a new version with the same id, and a session refuses an outdated version.
 */
public final class MockFlowFile implements FlowFile {
    private static final AtomicLong IDS = new AtomicLong();

    private final long id;
    private final long version;
    private final Map<String, String> attributes;
    private final byte[] content;
    private final long penaltyExpiration;   // System.nanoTime() until which it is penalized; 0: not penalized
    private final long entryDate;

    MockFlowFile(final long id, final long version, final Map<String, String> attributes, final byte[] content,
                 final long penaltyExpiration) {
        this.id = id;
        this.version = version;
        this.attributes = Collections.unmodifiableMap(new HashMap<>(attributes));
        this.content = content;
        this.penaltyExpiration = penaltyExpiration;
        this.entryDate = System.currentTimeMillis();
    }

    /** A new FlowFile (for enqueueing into a processor). */
    public static MockFlowFile of(final byte[] content, final Map<String, String> attributes) {
        final Map<String, String> a = new HashMap<>(attributes);
        final long id = IDS.incrementAndGet();
        a.putIfAbsent("uuid", java.util.UUID.randomUUID().toString());
        return new MockFlowFile(id, 0, a, content, 0);
    }

    static MockFlowFile create() {
        return of(new byte[0], Map.of());
    }

    MockFlowFile with(final Map<String, String> attrs, final byte[] data) {
        return new MockFlowFile(id, version + 1, attrs, data, penaltyExpiration);
    }

    /** This FlowFile penalized until System.nanoTime() reaches {@code until} (as NiFi's penalize). */
    MockFlowFile penalizedUntil(final long until) {
        return new MockFlowFile(id, version + 1, attributes, content, until);
    }

    /** Whether it is still penalized at {@code now} (System.nanoTime()). */
    boolean penalizedAt(final long now) {
        return penaltyExpiration != 0 && now - penaltyExpiration < 0;
    }

    long penaltyExpiration() {
        return penaltyExpiration;
    }

    long version() {
        return version;
    }

    public byte[] content() {
        return content.clone();
    }

    public String contentAsString() {
        return new String(content, java.nio.charset.StandardCharsets.UTF_8);
    }

    @Override public long getId() { return id; }
    @Override public long getEntryDate() { return entryDate; }
    @Override public long getLineageStartDate() { return entryDate; }
    @Override public long getLineageStartIndex() { return 0; }
    @Override public Long getLastQueueDate() { return entryDate; }
    @Override public long getQueueDateIndex() { return 0; }
    @Override public boolean isPenalized() { return penalizedAt(System.nanoTime()); }
    @Override public String getAttribute(final String key) { return attributes.get(key); }
    @Override public long getSize() { return content.length; }
    @Override public Map<String, String> getAttributes() { return attributes; }

    @Override
    public int compareTo(final FlowFile o) {
        return Long.compare(id, o.getId());
    }

    @Override
    public String toString() {
        return "MockFlowFile[id=" + id + ", " + attributes + "]";
    }
}
