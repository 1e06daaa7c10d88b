/* jt_support.h - the journal tests' plumbing: merge tables described from a
 * live source's catalog, ChangeBatches built from a real slot (decoder fed by
 * pg_logical_slot_get_binary_changes) or from a snapshot SELECT, the
 * destination set up and merged with the planner's SQL, tables compared. */
#ifndef JT_SUPPORT_H
#define JT_SUPPORT_H

#include <libpq-fe.h>
#include <stdint.h>
#include "pgcdc/batch.h"
#include "pgcdc/journal.h"
#include "pgcdc/merge.h"

#define JT_MAX_COLS 40

typedef struct jt_table {
    pgcdc_merge_table t;
    pgcdc_merge_column cols[JT_MAX_COLS];
    char names[JT_MAX_COLS][64];
    char schema[64], table[64];
    char key[64];     /* first key column, for ORDER BY */
    char collist[2048]; /* "a","b",... */
} jt_table;

/* Session settings pgoutput's text output assumes (types.h), and the same on
 * the destination so that ::text compares alike. */
void jt_session(PGconn *conn);

/* Describes schema.table from the source catalog for the PostgreSQL dialect. */
void jt_table_from_source(PGconn *src, const char *schema, const char *table, int dest_major, jt_table *out);

/* Schema, merge state, destination table, journal. */
void jt_dest_setup(PGconn *dst, const pgcdc_merge_table *t);

/* The three merge statements in one transaction, bound (lsn, INT64_MAX). */
void jt_merge(PGconn *dst, const pgcdc_merge_table *t, int64_t bound_lsn);
/* ... bound (lsn, seq) */
void jt_merge_seq(PGconn *dst, const pgcdc_merge_table *t, int64_t bound_lsn, int64_t bound_seq);

/* Everything pending in the slot, decoded into one batch (decoded form). */
pgcdc_batch *jt_drain(PGconn *src, const char *slot, int major);
/* Same, but peek (the slot keeps the changes). */
pgcdc_batch *jt_peek(PGconn *src, const char *slot, int major);

/* SnapshotRows of the tables' current rows (SELECT as text), at snapshot_lsn. */
pgcdc_batch *jt_snapshot(PGconn *src, jt_table *const *tables, int ntables, uint64_t snapshot_lsn);

/* Live destination rows == source rows (each column ::text, in key order);
 * prints both on a difference. Returns 1 if equal. */
int jt_same(PGconn *src, PGconn *dst, const jt_table *t);

/* count(*) of the table's journal */
long jt_journal_rows(PGconn *dst, const pgcdc_merge_table *t);

/* quoted qualified destination / journal names (static buffers, two each) */
const char *jt_dest(const pgcdc_merge_table *t);
const char *jt_journal(const pgcdc_merge_table *t);

#endif
