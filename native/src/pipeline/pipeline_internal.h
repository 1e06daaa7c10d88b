/* pipeline_internal.h - what the pipeline's files share: the run's context
 * and each included table. */
#ifndef PGCDC_PIPELINE_INTERNAL_H
#define PGCDC_PIPELINE_INTERNAL_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "pgcdc/batch.h"
#include "pgcdc/cron.h"
#include "pgcdc/decoder.h"
#include "pgcdc/journal.h"
#include "pgcdc/merge.h"
#include "pgcdc/pipeline.h"
#include "pgcdc/slot.h"
#include "pgcdc/snapshot.h"
#include "pgcdc/stream.h"
#include "pgcdc/tables.h"

#define PL_NEW         "NEW"
#define PL_SNAPSHOT    "SNAPSHOT_REPLICATION"
#define PL_INCREMENTAL "INCREMENTAL_REPLICATION"
#define PL_FAILED      "FAILED"
#define PL_REMOVED     "REMOVED"        /* left the included set (rejoin.c) */

/* table_key.c: the key of a table's state rows, status and connector name -
 * app.orders, or "a"."b.c" when a part has a dot or a double quote. */
#define PL_KEY_MAX 264
void pl_table_key(const char *schema, const char *table, char out[PL_KEY_MAX]);
/* Either form back into catalog names (the plain one splits at the first
 * dot); PGCDC_EINVAL names the string. */
pgcdc_code pl_table_key_parse(const char *key, char schema[64], char table[64], pgcdc_error *err);

typedef struct pl_table {
    char schema[64], name[64];   /* source catalog names */
    char key[PL_KEY_MAX];        /* state row key (pl_table_key) */
    char state[32];              /* current lifecycle state */
    char message[512];           /* why it failed (or that it left the set) */
    pgcdc_lsn left_lsn;          /* REMOVED, and SNAPSHOT_REPLICATION back from it: where it left */
    bool had_row;                /* a state row exists in the destination */
    int64_t rows_snapshotted;
    int64_t journal_epoch;
    int journal_n;

    /* description from the source catalog (kept columns only) */
    bool described;
    size_t ncols;
    char (*colnames)[64];
    pgcdc_merge_column *mcols;
    pgcdc_column *pcols;         /* the same columns for snapshot chunks */
    const char **colptrs;        /* names, for the snapshot reader */
    char key_column[64];         /* the key when it is one column, else "" */
    char dest_schema[64];
    pgcdc_merge_table mt;

    /* columns dropped by earlier schema changes (<col>__SNOWFLAKE_DELETED) */
    char (*dropnames)[64];
    const char **dropptrs;
    size_t ndropped;

    bool registered;             /* with the journal writer */
    int snap_index;              /* in the snapshot reader, -1 none */
    pgcdc_snapshot_plan plan;
    bool has_plan;
    bool needs_snapshot;         /* SNAPSHOT_REPLICATION while streaming: online.c reads it */
    bool snap_waiting;           /* read, merged once the stream has passed snap_lsn (resumed) */
    bool needs_fixup;            /* resumed by chunk with TOAST-able columns: fixup.c first */
    pgcdc_lsn fix_from;          /* the oldest finished chunk's snapshot LSN */
    /* the shape before the last schema change, accepted again inside the
     * transaction that made the change (its rows before the DDL): prev_xid */
    struct pl_colspec *prev;     /* shape_prev.c */
    size_t nprev;
    uint32_t prev_xid;
    pgcdc_lsn snap_lsn;
    uint32_t *done_chunks;       /* a resumed snapshot: chunks read before (snapstate.c) */
    uint32_t ndone;
    int64_t snap_bytes;          /* progress of the snapshot being read */
    uint32_t snap_chunks_done;
    double snap_started;
} pl_table;

typedef struct pl_ctx {
    const pgcdc_pipeline_config *cfg;
    const pgcdc_pipeline_run_options *opt;
    PGconn *src;                 /* normal source connection */
    PGconn *dst;                 /* destination connection */
    int dst_major;
    char dbname[64];             /* source database */
    char slot[64];
    pgcdc_buf state_schema_q;    /* quoted state schema */
    pgcdc_buf table_state_q;     /* quoted _PGCDC_TABLE_STATE */
    pgcdc_buf source_state_q;    /* quoted _PGCDC_SOURCE_STATE */
    pgcdc_buf table_columns_q;   /* quoted _PGCDC_TABLE_COLUMNS */
    pl_table *tables;
    size_t ntables;
    pgcdc_column_filter *filter;
    pgcdc_table_selection *sel;  /* parsed once: it remembers the warnings it gave */
    pgcdc_cron *cron;
    bool continuous;
    pgcdc_journal_writer *writer;
    pgcdc_lsn durable;
    size_t tables_cap;           /* allocated entries of tables */
    pgcdc_stream *tick;          /* kept alive while a snapshot is read with the stream open */
    pgcdc_stream *live;          /* the open change stream, kept alive while a merge runs (merge.c) */
    double next_refresh;         /* when the table selection is resolved again (monotonic s) */
    /* a temporary slot's connection kept open for fixup.c: its exported
     * snapshot is read again once the stream has passed its point */
    PGconn *fix_repl;
    char fix_snapshot[64];
    /* the snapshot chunk being written (snapstate.c's before_commit hook) */
    pl_table *chunk_table;
    uint32_t chunk_id;
    pgcdc_lsn chunk_lsn;
} pl_ctx;


/* state.c */
pgcdc_code pl_exec(PGconn *c, const char *sql, pgcdc_error *err);
pgcdc_code pl_exec_params(PGconn *c, const char *sql, int n, const char *const *vals, pgcdc_error *err);
/* A failed statement as an error for side ("destination", "source"): a lost
 * connection or an interim SQLSTATE is PGCDC_ECONNECT, anything else
 * PGCDC_ESQL; the SQLSTATE goes with it. */
pgcdc_code pl_sql_error(PGconn *c, const PGresult *r, const char *side, const char *what, pgcdc_error *err);
/* A query on the destination: *out its rows (the caller PQclears), or NULL
 * and the error classified as by pl_exec. */
pgcdc_code pl_query(PGconn *c, const char *sql, int n, const char *const *vals, PGresult **out, pgcdc_error *err);
pgcdc_code pl_state_setup(pl_ctx *x, pgcdc_error *err);
pgcdc_code pl_state_load(pl_ctx *x, pl_table *t, pgcdc_error *err);
/* state_migrate.c: the state tables of earlier versions (keyed by the
 * unquoted schema.table) brought to the (schema, table) key; called by
 * pl_state_setup, and by pl_state_load for a table with no row yet. */
pgcdc_code pl_state_migrate(pl_ctx *x, pgcdc_error *err);
pgcdc_code pl_state_claim_legacy(pl_ctx *x, pl_table *t, bool *claimed, pgcdc_error *err);
/* Writes the table's state row (inside the caller's transaction if any). */
pgcdc_code pl_state_write(pl_ctx *x, pl_table *t, const char *state, pgcdc_error *err);
/* Logs the transition and sets t->state (after the commit). */
void pl_state_changed(pl_ctx *x, pl_table *t, const char *state);
/* Marks the table FAILED (own transaction), then unregisters it and logs.
 * If the FAILED state cannot be written the table stays registered and an
 * interim error (PGCDC_ECONNECT) is returned: the caller ends the attempt,
 * so nothing is confirmed past the table's changes. */
pgcdc_code pl_fail(pl_ctx *x, pl_table *t, const char *why, pgcdc_error *err);
/* The start of an SQL statement as one line, for an error message. */
const char *pl_sql_what(char *out, size_t size, const char *sql);
pgcdc_code pl_source_state_upsert(pl_ctx *x, pgcdc_lsn lsn, pgcdc_error *err);
pgcdc_code pl_remembered_slot(pl_ctx *x, char *out, size_t outlen, pgcdc_error *err);
pgcdc_code pl_run_list(PGconn *c, const pgcdc_sql_list *l, pgcdc_error *err);

/* Persisted columns of each replicating table (its shape at the durable
 * position), written with every change of shape in the same transaction. */
#define PL_TABLE_COLUMNS "_PGCDC_TABLE_COLUMNS"
pgcdc_code pl_columns_write(pl_ctx *x, pl_table *t, pgcdc_error *err);
/* Loads the persisted shape into t (described); *found false if none. */
pgcdc_code pl_columns_load(pl_ctx *x, pl_table *t, bool *found, pgcdc_error *err);

/* catalog.c */
typedef struct pl_colspec {
    char name[64];
    uint32_t oid;
    int32_t typmod;
    bool is_key;
} pl_colspec;
pgcdc_code pl_describe_columns(pl_ctx *x, pl_table *t, const pl_colspec *cs, size_t n, bool check,
                               pgcdc_error *err);
void pl_dropped_clear(pl_table *t);
pgcdc_code pl_dropped_add(pl_table *t, const char *name, pgcdc_error *err);
/* Re-points t->mt and the name arrays at t's own fields (after a copy). */
void pl_table_fix_pointers(pl_table *t);
/* Describes the table from the source catalog. PGCDC_EUNSUPPORTED (message
 * for the user) when the table must fail: no key, an unsupported type. */
pgcdc_code pl_describe(pl_ctx *x, pl_table *t, pgcdc_error *err);
void pl_table_clear(pl_table *t);

/* merge.c */
pgcdc_code pl_create_dest(pl_ctx *x, pl_table *t, const char *state, pgcdc_error *err);
pgcdc_code pl_restart_dest(pl_ctx *x, pl_table *t, pgcdc_error *err);
/* One merge transaction; new_state non-NULL: the state row moves with it. */
pgcdc_code pl_merge(pl_ctx *x, pl_table *t, int64_t bound_lsn, int64_t bound_seq, const char *new_state,
                    pgcdc_error *err);
/* The same with the initial-load INSERT instead of the MERGE
 * (pgcdc_merge_sql_initial_load): only for a destination table created
 * empty for this snapshot, whose journal holds that one snapshot's rows. */
pgcdc_code pl_merge_initial(pl_ctx *x, pl_table *t, int64_t bound_lsn, int64_t bound_seq, const char *new_state,
                            pgcdc_error *err);
pgcdc_code pl_merge_all(pl_ctx *x, pgcdc_error *err);

/* snapshot.c */
/* Reads every registered SNAPSHOT_REPLICATION table under the exported
 * snapshot whose consistent point is cp, writes its chunks to the journal
 * stamped cp, merges each with the bound (cp, -1) into
 * INCREMENTAL_REPLICATION. resume: skip the chunks a saved plan says are
 * done (snapstate.c); the initial snapshot starts afresh. */
pgcdc_code pl_snapshot(pl_ctx *x, const char *snapshot_name, pgcdc_lsn cp, bool resume, pgcdc_error *err);
/* The table's snapshot rows (stamped cp) and every change before them merged
 * with the bound (cp, -1), in the transaction that moves it to
 * INCREMENTAL_REPLICATION. A refusal fails the table alone (PGCDC_OK);
 * an interim error is returned. */
pgcdc_code pl_snapshot_finish(pl_ctx *x, pl_table *t, pgcdc_lsn cp, bool initial, pgcdc_error *err);

/* snapstate.c: finished snapshot chunks, for resuming */
pgcdc_code pl_snapstate_setup(pl_ctx *x, pgcdc_error *err);
pgcdc_code pl_snapstate_begin(pl_ctx *x, pl_table *t, pgcdc_lsn lsn, pgcdc_error *err);
/* Loads a resumable plan and its done chunks into t (*found false: none). */
pgcdc_code pl_snapstate_load(pl_ctx *x, pl_table *t, bool *found, pgcdc_error *err);
pgcdc_code pl_snapstate_clear(pl_ctx *x, pl_table *t, pgcdc_error *err);
pgcdc_code pl_snapstate_before_commit(void *userdata, pgcdc_error *err);

/* online.c: tables added while running, snapshots while streaming */
double pl_now(void);
/* Resolves the table selection again; new tables are described, created in
 * the destination and registered (state SNAPSHOT_REPLICATION + needs_snapshot,
 * or INCREMENTAL_REPLICATION with Ingestion Type = incremental). *added: how
 * many. Call between transactions only, then restart the stream. */
pgcdc_code pl_tables_refresh(pl_ctx *x, int *added, pgcdc_error *err);
bool pl_snapshot_pending(const pl_ctx *x);
/* Reads every table with needs_snapshot under a temporary slot's exported
 * snapshot while the stream (x->tick) is kept alive; each ends
 * INCREMENTAL_REPLICATION or FAILED. */
pgcdc_code pl_snapshot_online(pl_ctx *x, pgcdc_error *err);
pgcdc_code pl_table_start(pl_ctx *x, pl_table *t, pgcdc_error *err);
/* A new source connection inside the exported snapshot name (REPEATABLE
 * READ READ ONLY, imported); *out is set even on failure (caller closes). */
pgcdc_code pl_snapshot_conn(pl_ctx *x, const char *name, PGconn **out, pgcdc_error *err);

/* rejoin.c: tables leaving the included set and coming back */
/* A replicating table no longer included: merged up to the durable
 * position, REMOVED there, unregistered. */
pgcdc_code pl_table_leave(pl_ctx *x, pl_table *t, pgcdc_error *err);
/* Every replicating state row of a table not in set (the included tables)
 * becomes REMOVED at the durable position, its journal merged up to there
 * when it can be: at a run's start, and when the connector lists tables. */
pgcdc_code pl_mark_left(pl_ctx *x, const pgcdc_table_set *set, pgcdc_error *err);
/* A REMOVED table included again: its destination table kept and brought
 * to the current shape, a new journal generation, SNAPSHOT_REPLICATION and
 * needs_snapshot (the snapshot's merge soft-deletes what the source lost). A
 * table that cannot come back fails alone (PGCDC_OK returned). */
pgcdc_code pl_table_rejoin(pl_ctx *x, pl_table *t, pgcdc_error *err);

/* fixup.c: rows of a resumed snapshot moved into finished chunks with
 * unchanged TOAST values, read again under x->fix_snapshot. */
pgcdc_code pl_snapshot_fixup(pl_ctx *x, pl_table *t, pgcdc_error *err);
/* Makes room for one more table (tables may move: pointers are fixed and
 * registered tables registered again); returns it zeroed, or NULL. */
pl_table *pl_table_append(pl_ctx *x, pgcdc_error *err);

/* schema.c */
/* Does the Relation message's shape (Column Filter applied) equal t's? */
bool pl_relation_matches(pl_ctx *x, const pl_table *t, const pgcdc_relation *rel);
/* Does rel (Column Filter applied) have exactly the columns of want? */
bool pl_relation_equals(pl_ctx *x, const pl_table *t, const pgcdc_relation *rel, const pl_colspec *want,
                        size_t nwant);
static inline bool pl_colspec_eq(const pl_colspec *a, const pl_colspec *b)
{
    return !strcmp(a->name, b->name) && a->oid == b->oid && a->typmod == b->typmod && a->is_key == b->is_key;
}
/* t's current shape as specs (caller frees; NULL: out of memory) */
pl_colspec *pl_table_specs(const pl_table *t);

/* shape_prev.c: the shape before the last schema change, accepted again
 * inside the transaction that made the change (a transaction that writes,
 * changes the table and writes again has rows of both shapes: after the
 * change is applied and the transaction read again, its first rows come
 * with the old shape). Persisted with the change, so a restart between
 * applying it and writing that transaction still knows it. */
pgcdc_code pl_shape_setup(pl_ctx *x, pgcdc_error *err);
/* Remembers t's current shape with xid (in memory; pl_shape_write saves it
 * inside the schema change's transaction). */
pgcdc_code pl_shape_remember(pl_table *t, uint32_t xid, pgcdc_error *err);
pgcdc_code pl_shape_write(pl_ctx *x, const pl_table *t, pgcdc_error *err);
pgcdc_code pl_shape_load(pl_ctx *x, pl_table *t, pgcdc_error *err);
/* Is rel the remembered older shape, inside the transaction xid? */
bool pl_relation_matches_prev(pl_ctx *x, const pl_table *t, const pgcdc_relation *rel, uint32_t xid);
void pl_shape_forget(pl_table *t);
/* Applies a changed shape: merges generation n completely, then in one
 * destination transaction the planner's DDL, journal generation n+1 and the
 * table's state and columns; re-registers the table. A change the planner
 * refuses fails the table alone (PGCDC_OK returned). */
pgcdc_code pl_schema_change(pl_ctx *x, pl_table *t, const pgcdc_relation *rel, pgcdc_error *err);

/* slot_owner.c: the slot to use (x->slot, x->durable); *fresh when it is
 * to be created. A slot this destination did not record as its own is
 * refused (PGCDC_EINVAL naming it), never dropped. */
pgcdc_code pl_choose_slot(pl_ctx *x, bool *fresh, pgcdc_error *err);
/* Frees a working copy's columns and dropped list (schema.c). */
void pl_shape_copy_free(pl_table *nt);
/* Does t's destination table exist? (run.c) */
pgcdc_code pl_dest_exists(pl_ctx *x, pl_table *t, bool *exists, pgcdc_error *err);
/* Records x->slot as this destination's (committed), then creates it. */
pgcdc_code pl_slot_create_owned(pl_ctx *x, PGconn *repl, pgcdc_slot_created *created, pgcdc_error *err);

/* run.c: one attempt of the whole run (opt non-NULL) */
pgcdc_code pl_run_once(const pgcdc_pipeline_config *cfg, const pgcdc_pipeline_run_options *opt,
                       pgcdc_pipeline_result *result, pgcdc_error *err);

/* cdc.c */
pgcdc_code pl_stream(pl_ctx *x, pgcdc_error *err);
/* Bytes (the batch builder's estimate) of rows per journal write inside a
 * transaction or a snapshot chunk: larger ones go in several (cdc.c). */
size_t pl_piece_bytes(void);

bool pl_is_code_table_failure(pgcdc_code c);

/* retry.c: is this error interim (retry the run later, touch no table's
 * state) rather than permanent (the table - or the run - fails)? */
bool pl_error_is_interim(pgcdc_code c, const pgcdc_error *e);
/* Does this error end the attempt (interim, or out of memory - which the
 * retry loop then treats as permanent) rather than fail one table? */
static inline bool pl_ends_attempt(pgcdc_code c, const pgcdc_error *e)
{
    return c == PGCDC_ENOMEM || pl_error_is_interim(c, e);
}
/* Did a journal write fail because of one table's rows (the writer names
 * it), so that table fails alone and the batch is written again? */
static inline bool pl_is_write_table_failure(pgcdc_code c, const pgcdc_error *e)
{
    return pl_is_code_table_failure(c) || (c == PGCDC_ESQL && !pl_error_is_interim(c, e));
}

#endif
