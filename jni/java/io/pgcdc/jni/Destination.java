package io.pgcdc.jni;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * One connection to the destination PostgreSQL: the table states
 * (pgcdc_state), journal tables and merges, as docs/runner.md describes.
 *
 * <p>Not thread-safe: one thread at a time (methods are synchronized so a
 * close from another thread cannot free memory in use). Open one Destination
 * per thread that needs one.
 */
public final class Destination extends NativeHandle implements AutoCloseable {
    private Destination(long handle) {
        super(handle, Destination::nClose);
    }

    /**
     * Connects to the destination and creates the state tables if needed.
     * The slot whose position the journal keeps is Replication Slot Name, or
     * the one the destination remembers from an earlier run; with neither,
     * PgcdcException EINVAL.
     *
     * @param cfg the destination and ingestion parameters are used (the source
     *            ones too: table descriptions are read from the source
     *            catalog); the configuration is copied
     */
    public static Destination open(ConnectorConfig cfg) {
        if (cfg == null) {
            throw new PgcdcException("EINVAL", "Destination.open needs a configuration");
        }
        return new Destination(cfg.withCopy(Destination::nOpen));
    }

    /**
     * @return every included table (Included Table Names / Regex resolved
     *         against the publication now) with its state; NEW for tables
     *         never seen before
     */
    public synchronized List<TableInfo> tables() {
        TableInfo[] t = nTables(checkOpen());
        return Collections.unmodifiableList(Arrays.asList(t));
    }

    /**
     * NEW -&gt; SNAPSHOT_REPLICATION (or INCREMENTAL_REPLICATION with Ingestion
     * Type = incremental): describes the table from the source catalog (Column
     * Filter applied), creates the destination and journal tables. A table that
     * cannot be replicated goes to FAILED. A table that is not NEW is left as it is.
     *
     * @return the table's state afterwards
     */
    public synchronized String prepareTable(String table) {
        return nPrepareTable(checkOpen(), table);
    }

    /**
     * Writes an encoded ChangeBatch (CDC or snapshot) into the journal tables,
     * in one destination transaction.
     *
     * <p>Schema changes in the batch (its SchemaEvents) are applied between the
     * rows before and after them, as the CLI runner does. A table whose rows or
     * schema change the destination refuses goes to FAILED alone and the rest
     * is written: {@link #lastWriteFailures()} names it.
     *
     * @return the durable source position: the highest commit end LSN written
     *         so far for this slot
     */
    public synchronized long writeJournal(byte[] changeBatch) {
        if (changeBatch == null) {
            throw new PgcdcException("EINVAL", "writeJournal: the change batch is null");
        }
        return nWriteJournal(checkOpen(), changeBatch);
    }

    /** @return the tables ("schema.table") the last {@link #writeJournal} moved to FAILED; empty if none */
    public synchronized List<String> lastWriteFailures() {
        return List.of(nWriteFailures(checkOpen()));
    }

    /**
     * The table's snapshot is completely in its journal: merges it with the
     * bound (snapshotLsn, -1) and moves the table to INCREMENTAL_REPLICATION.
     * Only once the CDC stream is written up to snapshotLsn ({@link #durableLsn()}):
     * before, PgcdcException ETIMEOUT (interim: call again later), since the
     * merge settles every change before that point as contained in the snapshot.
     */
    public synchronized void finishSnapshot(String table, long snapshotLsn) {
        nFinishSnapshot(checkOpen(), table, snapshotLsn);
    }

    /** Merges every INCREMENTAL_REPLICATION table up to the durable position. */
    public synchronized void merge() {
        nMerge(checkOpen());
    }

    /** Moves the table to FAILED with the message (and logs the reference's line). */
    public synchronized void failTable(String table, String message) {
        nFailTable(checkOpen(), table, message);
    }

    /** @return the durable source position (see {@link #writeJournal(byte[])}) */
    public synchronized long durableLsn() {
        return nDurableLsn(checkOpen());
    }

    /**
     * @return the replication slot whose durable position this destination
     *         keeps (Replication Slot Name, or the one the destination remembers)
     */
    public synchronized String slotName() {
        return nSlotName(checkOpen());
    }

    /** Closes the connection and frees everything. Idempotent. */
    @Override
    public synchronized void close() {
        super.close();
    }

    private static native long nOpen(long cfg);

    private static native String nSlotName(long handle);

    private static native TableInfo[] nTables(long handle);

    private static native String nPrepareTable(long handle, String table);

    private static native long nWriteJournal(long handle, byte[] batch);

    private static native String[] nWriteFailures(long handle);

    private static native void nFinishSnapshot(long handle, String table, long snapshotLsn);

    private static native void nMerge(long handle);

    private static native void nFailTable(long handle, String table, String message);

    private static native long nDurableLsn(long handle);

    private static native void nClose(long handle);
}
