package io.pgcdc.jni;

/**
 * One encoded {@code pgcdc.v1.ChangeBatch} (schemas/pgcdc/change_batch.proto):
 * either complete source transactions (from {@link ChangeReader#poll}) or one
 * SnapshotRows record (from {@link SnapshotFetcher#fetchChunk}).
 *
 * <p>Plain Java data, no native memory: immutable and thread-safe (the array
 * returned by {@link #bytes()} is the object's own; do not modify it).
 */
public final class ChangeBatch {
    private final byte[] bytes;
    private final long firstLsn;
    private final long confirmLsn;
    private final int transactions;
    private final int changes;

    /** Made by the native code (and by tests). */
    ChangeBatch(byte[] bytes, long firstLsn, long confirmLsn, int transactions, int changes) {
        this.bytes = bytes;
        this.firstLsn = firstLsn;
        this.confirmLsn = confirmLsn;
        this.transactions = transactions;
        this.changes = changes;
    }

    /** @return the encoded pgcdc.v1.ChangeBatch */
    public byte[] bytes() {
        return bytes;
    }

    /**
     * @return the LSN of the first record: the first transaction's commit LSN,
     *         or for a snapshot batch the snapshot's consistent point
     */
    public long firstLsn() {
        return firstLsn;
    }

    /**
     * @return the position to pass to {@link ChangeReader#confirm(long)} once
     *         this batch is durable downstream (the last transaction's commit
     *         end LSN); 0 for a snapshot batch (it moves no source position)
     */
    public long confirmLsn() {
        return confirmLsn;
    }

    /** @return number of complete transactions in the batch (0 for a snapshot batch) */
    public int transactions() {
        return transactions;
    }

    /** @return number of row changes (or snapshot rows) in the batch */
    public int changes() {
        return changes;
    }

    @Override
    public String toString() {
        return "ChangeBatch[" + bytes.length + " bytes, firstLsn=" + Lsn.format(firstLsn)
                + ", confirmLsn=" + Lsn.format(confirmLsn) + ", transactions=" + transactions
                + ", changes=" + changes + "]";
    }
}
