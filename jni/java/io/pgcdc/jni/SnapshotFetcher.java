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

    /**
     * Reads one chunk in pieces of about maxBytes as its rows come (at least one row each; an empty
     * chunk is one piece without rows), each handed to sink on the calling thread, in order: a chunk of
     * huge rows is never held whole. The chunk is complete only once every piece is durable (the call
     * returns after the last). An exception thrown by sink stops the fetch and is rethrown.
     *
     * @return the number of pieces
     */
    public static int fetchChunkPieces(ConnectorConfig cfg, byte[] chunkDescriptor, long maxBytes,
                                       java.util.function.Consumer<ChangeBatch> sink) {
        if (cfg == null || chunkDescriptor == null || sink == null) {
            throw new PgcdcException("EINVAL", "fetchChunkPieces needs a configuration, a chunk descriptor and a sink");
        }
        return cfg.withCopy(c -> nFetchChunkPieces(c, chunkDescriptor, maxBytes, sink));
    }

    private static native ChangeBatch nFetchChunk(long cfg, byte[] chunkDescriptor);

    private static native int nFetchChunkPieces(long cfg, byte[] chunkDescriptor, long maxBytes,
                                                java.util.function.Consumer<ChangeBatch> sink);
}
