package io.pgcdc.jni;

/**
 * The CDC stream of one logical replication slot: START_REPLICATION with
 * pgoutput on the configured publication, decoded and cut into
 * {@link ChangeBatch}es of complete transactions.
 *
 * <p>Not thread-safe: one thread polls, confirms and closes (methods are
 * synchronized so a close from another thread waits for a poll to return
 * rather than freeing memory under it).
 */
public final class ChangeReader extends NativeHandle implements AutoCloseable {
    private ChangeReader(long handle) {
        super(handle, ChangeReader::nClose);
    }

    /**
     * Opens START_REPLICATION on the slot (created, without a snapshot, if it
     * does not exist yet), from startLsn.
     *
     * @param cfg      the source parameters are used; the configuration is copied
     * @param slotName the replication slot's name
     * @param startLsn where to start; 0 = the slot's confirmed position
     * @throws PgcdcException ECONNECT if the source cannot be reached (interim),
     *                        EINVAL/EPERM/... with what to fix otherwise
     */
    public static ChangeReader open(ConnectorConfig cfg, String slotName, long startLsn) {
        if (cfg == null || slotName == null) {
            throw new PgcdcException("EINVAL", "ChangeReader.open needs a configuration and a slot name");
        }
        return new ChangeReader(cfg.withCopy(c -> nOpen(c, slotName, startLsn)));
    }

    /**
     * Returns the next complete transactions, at most about maxBytes encoded
     * (a single transaction larger than that is returned whole), or null if
     * no transaction completed within timeoutMs. Keeps the connection alive
     * (standby status updates) while waiting.
     *
     * @param timeoutMs how long to wait for a first complete transaction
     * @param maxBytes  the batch size at which to cut (&gt; 0)
     */
    public synchronized ChangeBatch poll(int timeoutMs, int maxBytes) {
        return nPoll(checkOpen(), timeoutMs, maxBytes);
    }

    /**
     * Everything up to lsn is durable downstream: the slot may advance to it
     * (sent to the server with the next status update; the server may then
     * recycle WAL before it). Positions lower than the current one are ignored.
     */
    public synchronized void confirm(long lsn) {
        nConfirm(checkOpen(), lsn);
    }

    /**
     * A quiet stream (nothing gathered, no transaction open) hands out a batch
     * without records whose {@link ChangeBatch#confirmLsn()} is the position the
     * server has sent up to ({@link ChangeBatch#transactions()} 0), at most every
     * ms milliseconds (default 10 000; 0: never) and only when that position
     * moved. Write it like any batch: it moves the destination's durable
     * position, which finishing a snapshot waits for, and then the slot.
     */
    public synchronized void setIdleInterval(int ms) {
        nSetIdleInterval(checkOpen(), ms);
    }

    /**
     * A transaction whose batch reaches about bytes (default 64 MiB; 0: never) is cut into fragments:
     * batches ending with a part of it, whose {@link ChangeBatch#confirmLsn()} is only the end of the
     * complete transactions before it (0 if none: {@link ChangeBatch#transactions()} 0 with
     * {@link ChangeBatch#changes()} &gt; 0). Write them as they come; confirm nothing from a 0 position.
     */
    public synchronized void setFragmentBytes(long bytes) {
        nSetFragmentBytes(checkOpen(), bytes);
    }

    /** @return the highest position passed to {@link #confirm(long)} (or the start position) */
    public synchronized long confirmedLsn() {
        return nConfirmedLsn(checkOpen());
    }

    /** Ends the replication connection and frees everything. Idempotent. */
    @Override
    public synchronized void close() {
        super.close();
    }

    private static native long nOpen(long cfg, String slotName, long startLsn);

    private static native ChangeBatch nPoll(long handle, int timeoutMs, int maxBytes);

    private static native void nConfirm(long handle, long lsn);

    private static native void nSetIdleInterval(long handle, int ms);

    private static native void nSetFragmentBytes(long handle, long bytes);

    private static native long nConfirmedLsn(long handle);

    private static native void nClose(long handle);
}
