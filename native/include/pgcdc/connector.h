/* pgcdc/connector.h - the pipeline's stages as separate objects, for hosts
 * that run them in their own processes and threads (the NiFi processors, via
 * the JNI library jni/): a change reader, a destination, a snapshot session
 * and a chunk fetcher, all exchanging encoded ChangeBatches
 * (schemas/pgcdc/change_batch.proto).
 *
 *     pgcdc_connector_config *cfg;                   // parameters by Openflow name
 *     pgcdc_connector_config_new(&cfg, err);
 *     pgcdc_connector_config_set(cfg, "PostgreSQL Connection URL", "...", err);
 *
 *     pgcdc_change_reader *r;                        // CDC: complete transactions
 *     pgcdc_change_reader_open(cfg, "slot", 0, &r, err);
 *     pgcdc_change_reader_poll(r, 1000, 1 << 20, &bytes, &info, err);
 *
 *     pgcdc_destination *d;                          // journal + merge + table states
 *     pgcdc_destination_open(cfg, &d, err);
 *     pgcdc_destination_prepare_table(d, "public.t", state, err);
 *     pgcdc_destination_write_journal(d, bytes.data, bytes.len, &durable, err);
 *     pgcdc_change_reader_confirm(r, durable);
 *     pgcdc_destination_merge(d, err);
 *
 *     pgcdc_snapshot_session *s;                     // a table's snapshot while CDC runs
 *     pgcdc_snapshot_session_begin(cfg, &s, err);
 *     pgcdc_snapshot_session_plan(s, "public.t", 4, &chunks, err);
 *     pgcdc_snapshot_fetch_chunk(cfg, chunk, len, &bytes, &info, err);  // any thread
 *     pgcdc_destination_write_journal(d, ...);
 *     pgcdc_destination_finish_snapshot(d, "public.t", snapshot lsn, err);
 *
 * Why the snapshot is gap- and duplicate-free while CDC runs: the reader
 * starts first; a table is prepared (its CDC changes are journaled from then
 * on); the snapshot is read under a temporary slot's exported snapshot whose
 * consistent point C is stamped on every snapshot row; journal rows order by
 * (LSN, SEQ) and snapshot SEQs are negative, so changes committed before C
 * sort before the snapshot rows and later ones after them; finishing merges
 * with the bound (C, -1), which also marks the earlier CDC rows as merged.
 *
 * Every object is for one thread at a time; pgcdc_snapshot_fetch_chunk may
 * run on many threads at once. Tables are named "schema.table" (catalog
 * names, no quoting), or "a"."b.c" - each part in double quotes, '"'
 * doubled - when a part holds a dot or a double quote: the tables' names in
 * the state, the status and the failed-table lists are written that way. */
#ifndef PGCDC_CONNECTOR_H
#define PGCDC_CONNECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "pgcdc/buf.h"
#include "pgcdc/error.h"
#include "pgcdc/lsn.h"
#include "pgcdc/pipeline.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- configuration ---- */

typedef struct pgcdc_connector_config pgcdc_connector_config;

pgcdc_code pgcdc_connector_config_new(pgcdc_connector_config **out, pgcdc_error *err);
void pgcdc_connector_config_free(pgcdc_connector_config *cfg);
/* Any parameter of the three sections by its Openflow name; NULL or "" = not
 * set (back to the default). PGCDC_EINVAL naming the parameter otherwise. */
pgcdc_code pgcdc_connector_config_set(pgcdc_connector_config *cfg, const char *name, const char *value,
                                      pgcdc_error *err);
/* Everything (source, destination, ingestion), like the CLI's run. */
pgcdc_code pgcdc_connector_config_validate(const pgcdc_connector_config *cfg, pgcdc_error *err);
/* The source parameters only (enough for a reader, a snapshot session, a fetch). */
pgcdc_code pgcdc_connector_config_validate_source(const pgcdc_connector_config *cfg, pgcdc_error *err);
/* An independent copy (objects opened with a configuration keep one). */
pgcdc_code pgcdc_connector_config_copy(const pgcdc_connector_config *cfg, pgcdc_connector_config **out,
                                       pgcdc_error *err);
const pgcdc_pipeline_config *pgcdc_connector_config_pipeline(const pgcdc_connector_config *cfg);

/* What a produced batch holds. */
typedef struct pgcdc_batch_info {
    pgcdc_lsn first_lsn;    /* first transaction's commit LSN; snapshot: the snapshot LSN */
    pgcdc_lsn confirm_lsn;  /* last transaction's end LSN (confirm it once durable); snapshot: 0 */
    uint32_t transactions;  /* complete transactions (0 for a snapshot chunk) */
    uint64_t changes;       /* row changes, or snapshot rows */
} pgcdc_batch_info;

/* ---- the change reader ---- */

typedef struct pgcdc_change_reader pgcdc_change_reader;

/* START_REPLICATION on slot_name (created without keeping its snapshot if it
 * does not exist) from start_lsn (0: the slot's confirmed position). A slot
 * that is missing although start_lsn is set is PGCDC_EGAP: changes after
 * start_lsn are gone. cfg is copied. */
pgcdc_code pgcdc_change_reader_open(const pgcdc_connector_config *cfg, const char *slot_name, pgcdc_lsn start_lsn,
                                    pgcdc_change_reader **out, pgcdc_error *err);
/* Complete transactions, cut once about max_bytes are gathered, into out
 * (replaced); or a position-only batch (see set_idle_interval). A
 * transaction larger than the fragment limit (set_fragment_bytes) comes in
 * fragments: batches ending with a part of it (Transaction records with
 * `continues`, schemas/README.md) and a confirm LSN that is only the end of
 * the complete transactions before it (0 if none: info.transactions = 0,
 * info.changes > 0). Write fragments as they come (their rows are stamped
 * with the transaction's commit LSN, above the durable position, so no merge
 * takes them before the last one is written); after a restart the reader
 * sends the transaction again from its start and the rows written twice
 * are merged once. PGCDC_ETIMEOUT when nothing completed within timeout_ms;
 * PGCDC_ECONNECT when the connection was lost (interim: close and open
 * again from the confirmed position). */
pgcdc_code pgcdc_change_reader_poll(pgcdc_change_reader *r, int timeout_ms, size_t max_bytes, pgcdc_buf *out,
                                    pgcdc_batch_info *info, pgcdc_error *err);
/* A quiet stream - nothing gathered, nothing open - hands out a batch
 * without records whose confirm LSN is the position the server has sent up
 * to (info: 0 transactions), at most every ms (default 10 000; 0: never),
 * when that position moved: written like any batch, it moves the
 * destination's durable position (which finishing a snapshot waits for) and
 * then the slot. */
void pgcdc_change_reader_set_idle_interval(pgcdc_change_reader *r, int ms);
/* The fragment limit: a transaction is cut once the batch reaches about this
 * many bytes (default 64 MiB; 0: never, a transaction is kept whole). */
void pgcdc_change_reader_set_fragment_bytes(pgcdc_change_reader *r, size_t bytes);
/* Everything up to lsn is durable downstream: the slot may advance. */
void pgcdc_change_reader_confirm(pgcdc_change_reader *r, pgcdc_lsn lsn);
/* The highest position confirmed, or what the server holds as confirmed. */
pgcdc_lsn pgcdc_change_reader_confirmed(const pgcdc_change_reader *r);
void pgcdc_change_reader_close(pgcdc_change_reader *r);

/* ---- the destination ---- */

typedef struct pgcdc_destination pgcdc_destination;

/* Connects to the destination (and the source, for the catalog), creates
 * the state tables. The slot whose position the journal keeps is Replication
 * Slot Name, or the one remembered in the destination; with neither,
 * PGCDC_EINVAL. cfg is copied. */
pgcdc_code pgcdc_destination_open(const pgcdc_connector_config *cfg, pgcdc_destination **out, pgcdc_error *err);
void pgcdc_destination_close(pgcdc_destination *d);
const char *pgcdc_destination_slot_name(const pgcdc_destination *d);

/* Every included table resolved now, with its state (NEW if never seen),
 * then the tables that left the included set (REMOVED, message and
 * left_lsn: where they left). A replicating table no longer included is
 * moved to REMOVED here, at the position this destination made durable.
 * *out is malloc'd (free()). */
pgcdc_code pgcdc_destination_tables(pgcdc_destination *d, pgcdc_pipeline_table_status **out, size_t *n,
                                    pgcdc_error *err);
/* NEW -> SNAPSHOT_REPLICATION (INCREMENTAL_REPLICATION with Ingestion Type =
 * incremental): describe, create destination and journal tables. A table
 * that cannot be replicated goes to FAILED (PGCDC_OK, state says so). A
 * REMOVED table included again -> SNAPSHOT_REPLICATION into its existing
 * destination table (docs/runner.md); one still out stays REMOVED
 * (PGCDC_OK). Other states are left alone. PGCDC_ENOTFOUND for a table that
 * is not included. */
pgcdc_code pgcdc_destination_prepare_table(pgcdc_destination *d, const char *table, char state[32],
                                           pgcdc_error *err);
/* One ChangeBatch into the journals; changes of tables that are not
 * replicating are dropped. *durable = the durable position. A batch may
 * carry only a position (no records: a quiet stream's, see the reader).
 *
 * Schema changes: the batch's SchemaEvents tell each table's shape; one that
 * differs from the table's current shape is applied between the records
 * before its transaction (written first, in their own destination
 * transaction) and the rest, as the CLI runner does (docs/runner.md "Schema
 * changes while running"): generation n merged, then DDL + generation n+1 +
 * state + columns in one transaction. A change that cannot be followed fails
 * that table alone.
 *
 * A table whose rows the destination refuses (PGCDC_EVALUE, EUNSUPPORTED,
 * EPROTOCOL, a permanent ESQL) fails alone - FAILED with the reference's log
 * line - and the rest is written: pgcdc_destination_write_failures names the
 * tables this call failed.
 *
 * CDC batches must come in the order they were read. One whose first change
 * of a table is at or below that table's merged position and not already in
 * its journal (later batches were written and merged first: the merge would
 * never apply it) is refused whole with PGCDC_ETIMEOUT (interim), nothing
 * written; a batch written again is accepted. */
pgcdc_code pgcdc_destination_write_journal(pgcdc_destination *d, const uint8_t *data, size_t len,
                                           pgcdc_lsn *durable, pgcdc_error *err);
/* The tables ("schema.table") the last write_journal moved to FAILED: up to
 * max into tables (valid until the next write); returns how many there are. */
size_t pgcdc_destination_write_failures(const pgcdc_destination *d, const char **tables, size_t max);
/* SNAPSHOT_REPLICATION -> INCREMENTAL_REPLICATION with the merge bound
 * (snapshot_lsn, -1), in one transaction.
 *
 * Only once the durable position (the CDC batches written for this slot) has
 * reached snapshot_lsn: until then PGCDC_ETIMEOUT (interim: call again
 * later). The merge settles every CDC row before the snapshot's point as
 * contained in the snapshot; one not written yet would be skipped when it
 * comes - and when the journal also holds an earlier, abandoned snapshot of
 * the table (a session lost with a restart; its rows are stamped with an
 * older point), a row that attempt read and a later change removed would
 * stay. With a quiet source the reader's position-only batches move the
 * durable position. */
pgcdc_code pgcdc_destination_finish_snapshot(pgcdc_destination *d, const char *table, pgcdc_lsn snapshot_lsn,
                                             pgcdc_error *err);
/* Every INCREMENTAL_REPLICATION table up to the durable position. A table
 * the destination refuses fails alone. */
pgcdc_code pgcdc_destination_merge(pgcdc_destination *d, pgcdc_error *err);
pgcdc_code pgcdc_destination_fail_table(pgcdc_destination *d, const char *table, const char *message,
                                        pgcdc_error *err);
/* Read from the destination (another destination may have written). */
pgcdc_code pgcdc_destination_durable_lsn(pgcdc_destination *d, pgcdc_lsn *out, pgcdc_error *err);

/* ---- snapshots ---- */

typedef struct pgcdc_snapshot_session pgcdc_snapshot_session;

/* A temporary replication slot with an exported snapshot; it lives until
 * close. cfg is copied. */
pgcdc_code pgcdc_snapshot_session_begin(const pgcdc_connector_config *cfg, pgcdc_snapshot_session **out,
                                        pgcdc_error *err);
const char *pgcdc_snapshot_session_name(const pgcdc_snapshot_session *s);
pgcdc_lsn pgcdc_snapshot_session_lsn(const pgcdc_snapshot_session *s);
/* Plans the table into at least min_chunks chunks where it allows; each
 * descriptor is self-contained (pgcdc_chunk_descriptor_*). *chunks is an
 * array of *n buffers (pgcdc_snapshot_chunks_free). The plan is recorded on
 * the configuration's destination (state schema, _PGCDC_SNAPSHOT_CHUNKS)
 * before it is returned: the fetch reads recorded descriptors only. */
pgcdc_code pgcdc_snapshot_session_plan(pgcdc_snapshot_session *s, const char *table, int min_chunks,
                                       pgcdc_buf **chunks, size_t *n, pgcdc_error *err);
void pgcdc_snapshot_chunks_free(pgcdc_buf *chunks, size_t n);
void pgcdc_snapshot_session_close(pgcdc_snapshot_session *s);

/* Reads one chunk on its own connection under the descriptor's snapshot:
 * out = one SnapshotRows record (the whole chunk in memory: prefer
 * pgcdc_snapshot_fetch_chunk_pieces). PGCDC_EINVAL for bytes that are not a
 * descriptor the session recorded on cfg's destination (read once per
 * session and process); PGCDC_ENOTFOUND when the snapshot is gone (its
 * session was closed or lost: the chunk belongs to an abandoned attempt). */
pgcdc_code pgcdc_snapshot_fetch_chunk(const pgcdc_connector_config *cfg, const uint8_t *desc, size_t len,
                                      pgcdc_buf *out, pgcdc_batch_info *info, pgcdc_error *err);

/* A piece of a chunk: an encoded ChangeBatch of one SnapshotRows record
 * (valid during the call; info->changes = its rows). Return PGCDC_OK to go
 * on; anything else stops the fetch with that code and the message put in
 * err. */
typedef pgcdc_code (*pgcdc_chunk_piece_fn)(void *userdata, const uint8_t *data, size_t len,
                                           const pgcdc_batch_info *info, pgcdc_error *err);
/* Like pgcdc_snapshot_fetch_chunk, but the rows go out as they are read, in
 * pieces of about max_bytes (at least one row each; an empty chunk is one
 * piece without rows), to fn on the calling thread, in order. The chunk is
 * complete only when every piece is durable: the host counts the pieces (the
 * call returns after the last). A failure after some pieces leaves those
 * written harmlessly (rows at this snapshot's point, written again when the
 * chunk is fetched again). *info (may be NULL): the whole chunk. */
pgcdc_code pgcdc_snapshot_fetch_chunk_pieces(const pgcdc_connector_config *cfg, const uint8_t *desc, size_t len,
                                             size_t max_bytes, pgcdc_chunk_piece_fn fn, void *userdata,
                                             pgcdc_batch_info *info, pgcdc_error *err);

#ifdef __cplusplus
}
#endif
#endif
