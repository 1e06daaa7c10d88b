/* pgcdc/journal.h - the journal writer: decoded ChangeBatches into the journal
 * tables of a PostgreSQL destination, with COPY, in one destination
 * transaction per batch together with the source position (docs/journal.md).
 *
 * The journal layout and the row rules (LSN/SEQ, ops, unchanged TOAST, key
 * changes as D at s + I at s+1) are the merge planner's (docs/merge.md): the
 * writer takes each table as a pgcdc_merge_table and uses the planner's names,
 * quoting and COPY column list.
 *
 *     pgcdc_journal_writer *w;
 *     pgcdc_journal_writer_new(dest_conn, &opt, &w, err);
 *     pgcdc_journal_setup(w, err);            // state table, once
 *     pgcdc_journal_register(w, &table, err); // per replicated table
 *     ... per batch: pgcdc_journal_write(w, batch, &stats, err);
 *         then the slot may be confirmed up to stats.confirm_lsn
 *
 * Durability: each write is BEGIN; one COPY per table; UPSERT of the
 * slot's row in <state schema>."_PGCDC_SOURCE_STATE" to the batch's
 * confirm_lsn (never backwards); COMMIT. After a crash either everything of a
 * batch is in the destination, with the position, or nothing is.
 * pgcdc_journal_durable_lsn reads the position back: the runner confirms the
 * slot up to it and resumes from it.
 */
#ifndef PGCDC_JOURNAL_H
#define PGCDC_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <libpq-fe.h>
#include "pgcdc/batch.h"
#include "pgcdc/error.h"
#include "pgcdc/lsn.h"
#include "pgcdc/merge.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The source-position table, one per state schema, one row per slot:
 *   "slot_name" text PRIMARY KEY, "confirmed_lsn" bigint NOT NULL,
 *   "updated_at" timestamp without time zone
 * (column names spelled like _PGCDC_MERGE_STATE's in PostgreSQL). */
#define PGCDC_JOURNAL_STATE_TABLE "_PGCDC_SOURCE_STATE"

typedef struct pgcdc_journal_options {
    const char *slot_name;        /* the state row's key (the replication slot) */
    const char *state_schema;     /* destination schema of _PGCDC_SOURCE_STATE, before resolution */
    pgcdc_ident_case ident_case;  /* resolution of state_schema */
    /* Called inside the write's transaction on the writer's connection,
     * after the COPYs and the state upsert, just before COMMIT: to commit
     * something with the rows (the runner records a snapshot chunk as done),
     * or to inject a fault in tests. An error fails the write (rolled back)
     * with that code and message (and SQLSTATE: interim ones stay interim).
     * May be NULL. */
    pgcdc_code (*before_commit)(void *userdata, pgcdc_error *err);
    void *userdata;
} pgcdc_journal_options;

typedef struct pgcdc_journal_writer pgcdc_journal_writer;

/* conn: a normal connection to the destination, idle (not in a transaction);
 * the writer uses it and never closes it. opt is copied. */
pgcdc_code pgcdc_journal_writer_new(PGconn *conn, const pgcdc_journal_options *opt, pgcdc_journal_writer **out,
                                    pgcdc_error *err);
void pgcdc_journal_writer_free(pgcdc_journal_writer *w);

/* CREATE SCHEMA IF NOT EXISTS + CREATE TABLE IF NOT EXISTS for the state
 * table, in one transaction. */
pgcdc_code pgcdc_journal_setup(pgcdc_journal_writer *w, pgcdc_error *err);

/* Registers (or re-registers, e.g. with a new journal generation or columns
 * after a schema change) the table whose source is t->source_schema.
 * t->source_table. t must be PostgreSQL dialect and pass
 * pgcdc_merge_table_check; the writer keeps the pointer (t and what it points
 * to must live until the table is registered again, unregistered or the
 * writer freed) and copies the names it derives. The journal table itself is
 * created by the caller (pgcdc_merge_sql_create_journal). */
pgcdc_code pgcdc_journal_register(pgcdc_journal_writer *w, const pgcdc_merge_table *t, pgcdc_error *err);
/* Forgets a table (a FAILED one): its changes in later batches are skipped.
 * PGCDC_ENOTFOUND if it was not registered. */
pgcdc_code pgcdc_journal_unregister(pgcdc_journal_writer *w, const char *source_schema, const char *source_table,
                                    pgcdc_error *err);

typedef struct pgcdc_journal_stats {
    uint64_t rows;         /* journal rows written (a key change counts 2) */
    uint64_t copy_bytes;   /* COPY data sent */
    size_t tables;         /* tables that got rows */
    uint64_t skipped;      /* changes of unregistered-by-unregister tables and TRUNCATEs skipped */
    pgcdc_lsn confirm_lsn; /* the durable position after the write (the state row) */
} pgcdc_journal_stats;

/* Writes one decoded batch: every row change and snapshot row of a registered
 * table into its journal, and the state row to the batch's confirm_lsn (not
 * touched when confirm_lsn is 0), in one transaction. All or nothing:
 *   PGCDC_EINVAL        a change of a table never registered (the message
 *                       names it: register it or leave it out of the batch);
 *                       a transaction without commit LSN;
 *   PGCDC_EUNSUPPORTED  a key column arrived unchanged-TOAST, or a value the
 *                       column cannot take: that table fails
 *                       (pgcdc_journal_failed_table says which; unregister it
 *                       and write the batch again for the others);
 *   PGCDC_EVALUE / PGCDC_EPROTOCOL  from value conversion (table failed too);
 *   PGCDC_ECONNECT      the destination connection broke (interim: reconnect,
 *                       new writer, write the same batch again);
 *   PGCDC_ESQL          the destination refused a statement;
 *   PGCDC_EIO           before_commit asked to fail.
 * TRUNCATE is not propagated (logged as a warning, counted in skipped).
 * Writing a batch again after a crash is harmless: rows keep their
 * (LSN, SEQ) and the merge deduplicates them. */
pgcdc_code pgcdc_journal_write(pgcdc_journal_writer *w, const pgcdc_batch *batch, pgcdc_journal_stats *stats,
                               pgcdc_error *err);

/* The table that failed the last write (PGCDC_EUNSUPPORTED / EVALUE /
 * EPROTOCOL), else NULL. */
const pgcdc_merge_table *pgcdc_journal_failed_table(const pgcdc_journal_writer *w);

/* The durable source position of slot_name: 0 if the state table or the row
 * does not exist yet. */
pgcdc_code pgcdc_journal_durable_lsn(PGconn *conn, const char *state_schema, pgcdc_ident_case c,
                                     const char *slot_name, pgcdc_lsn *out, pgcdc_error *err);

#ifdef __cplusplus
}
#endif
#endif
