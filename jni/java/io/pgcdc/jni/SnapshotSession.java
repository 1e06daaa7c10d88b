package io.pgcdc.jni;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * A temporary replication slot with an exported snapshot: the consistent
 * point ({@link #snapshotLsn()}) and the snapshot name under which
 * {@link SnapshotFetcher#fetchChunk} reads a table's rows.
 *
 * <p>The session (its replication connection) must stay open until every
 * chunk planned from it has been fetched: the exported snapshot exists only
 * while it is open. Closing drops the temporary slot.
 *
 * <p>Not thread-safe: one thread at a time (methods are synchronized).
 * The chunks themselves may be fetched from any thread or node that can
 * reach the source while the session is open.
 */
public final class SnapshotSession extends NativeHandle implements AutoCloseable {
    private SnapshotSession(long handle) {
        super(handle, SnapshotSession::nClose);
    }

    /** Creates the temporary slot and exports its snapshot. The configuration is copied. */
    public static SnapshotSession begin(ConnectorConfig cfg) {
        if (cfg == null) {
            throw new PgcdcException("EINVAL", "SnapshotSession.begin needs a configuration");
        }
        return new SnapshotSession(cfg.withCopy(SnapshotSession::nBegin));
    }

    /** @return the exported snapshot's name (for SET TRANSACTION SNAPSHOT) */
    public synchronized String snapshotName() {
        return nSnapshotName(checkOpen());
    }

    /** @return the snapshot's consistent point C: the snapshot sees every transaction committed before C */
    public synchronized long snapshotLsn() {
        return nSnapshotLsn(checkOpen());
    }

    /**
     * Splits a table's snapshot into at least minChunks ranges where the
     * table allows it (a table without a usable key gives one chunk). The
     * plan is recorded in the destination's state schema before it is
     * returned: {@link SnapshotFetcher#fetchChunk} reads recorded descriptors only.
     *
     * @return self-contained chunk descriptors (snapshot name, LSN, table,
     *         columns, range) for {@link SnapshotFetcher#fetchChunk}
     */
    public synchronized List<byte[]> planChunks(String table, int minChunks) {
        byte[][] c = nPlanChunks(checkOpen(), table, minChunks);
        return Collections.unmodifiableList(Arrays.asList(c));
    }

    /** Ends the session (drops the temporary slot). Idempotent. */
    @Override
    public synchronized void close() {
        super.close();
    }

    private static native long nBegin(long cfg);

    private static native String nSnapshotName(long handle);

    private static native long nSnapshotLsn(long handle);

    private static native byte[][] nPlanChunks(long handle, String table, int minChunks);

    private static native void nClose(long handle);
}
