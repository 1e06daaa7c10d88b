package io.pgcdc.jni;

/**
 * Reads one snapshot chunk. Thread-safe: each call opens its own source
 * connection, imports the chunk's snapshot, reads the range and closes.
 */
public final class SnapshotFetcher {
    static {
        NativeLibrary.load();
    }

    private SnapshotFetcher() {
    }

    /**
     * @param cfg             the source parameters, and the destination's for the
     *                        session's recorded plan (read once per session)
     * @param chunkDescriptor one descriptor from {@link SnapshotSession#planChunks}
     * @return one SnapshotRows record with the chunk's rows, stamped with the
     *         snapshot's LSN (write it with {@link Destination#writeJournal})
     * @throws PgcdcException EINVAL for a descriptor that is not one the session
     *                        recorded (changed content), or
     *                        ESNAPSHOT if the snapshot is gone (its session closed)
     */
    public static ChangeBatch fetchChunk(ConnectorConfig cfg, byte[] chunkDescriptor) {
        if (cfg == null || chunkDescriptor == null) {
            throw new PgcdcException("EINVAL", "fetchChunk needs a configuration and a chunk descriptor");
        }
        return cfg.withCopy(c -> nFetchChunk(c, chunkDescriptor));
    }

    private static native ChangeBatch nFetchChunk(long cfg, byte[] chunkDescriptor);
}
