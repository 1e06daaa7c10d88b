package io.pgcdc.jni;

/**
 * One included table and its replication state, as {@link Destination#tables()}
 * reports it.
 *
 * @param table           the source table, "schema.table" (quoted where needed)
 * @param state           NEW, SNAPSHOT_REPLICATION, INCREMENTAL_REPLICATION or FAILED
 * @param rowsSnapshotted rows copied by the table's snapshot so far
 * @param mergedLsn       source position up to which the journal is merged into
 *                        the destination table (0 if never merged)
 * @param message         why the table failed; null otherwise
 */
public record TableInfo(String table, String state, long rowsSnapshotted, long mergedLsn, String message) {
}
