/* pgcdc/snapshot.h - reading tables' rows for the initial snapshot: planned
 * in chunks, read with COPY ... TO STDOUT (binary or text) over several
 * connections, under one exported snapshot or each chunk under its own.
 * docs/snapshot.md tells the whole story; in short:
 *
 *     pgcdc_snapshot_plan plan;                 // 1. plan (persist it: encode)
 *     pgcdc_snapshot_plan_create(conn, "app", "orders", &popt, &plan, err);
 *     pgcdc_snapshot_reader *r;                 // 2. read
 *     pgcdc_snapshot_reader_new(cfg, &opt, &r, err);   // opt.snapshot_name, on_rows, ...
 *     pgcdc_snapshot_reader_add(r, &table, &idx, err); // table.plan = &plan, table.done = ids
 *     pgcdc_snapshot_reader_run(r, err);        // blocks; progress from any thread
 *     pgcdc_snapshot_reader_free(r);
 *
 * The plan is data: chunk ids and bounds as text. Store it with the ids of
 * the chunks whose rows are durably written, and after a crash hand both back
 * (pgcdc_snapshot_plan_decode, table.done) to read only what is missing.
 *
 * Rows are delivered in batches as pgcdc_tuple rows of pgcdc_value values:
 * kind 'b' (binary COPY: the type's send format, for pgcdc_value_convert),
 * 't' (text COPY: the output text, unescaped) or 'n' (NULL). Values point into
 * the reader's buffers and are valid only during the callback: no allocation
 * per value or per row.
 */
#ifndef PGCDC_SNAPSHOT_H
#define PGCDC_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <libpq-fe.h>
#include "pgcdc/buf.h"
#include "pgcdc/decoder.h"
#include "pgcdc/error.h"
#include "pgcdc/source.h"
#include "pgcdc/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- 1. the plan: how a table is cut into chunks ---- */

typedef enum pgcdc_chunking {
    PGCDC_CHUNKING_AUTO = 0, /* planning only: CTID on PostgreSQL 14+ (TID range scans); below,
                                KEY when key_column is a NOT NULL integer column, else CTID in
                                exactly min_chunks chunks if that is > 1 (below 14 every CTID chunk
                                scans the whole table: one per connection), else NONE */
    PGCDC_CHUNKING_CTID,     /* heap page ranges: ctid >= '(p,0)' AND ctid < '(q,0)' */
    PGCDC_CHUNKING_KEY,      /* ranges of one integer key column: k >= a AND k < b */
    PGCDC_CHUNKING_NONE      /* one chunk: the whole table */
} pgcdc_chunking;

const char *pgcdc_chunking_name(pgcdc_chunking c); /* "auto", "ctid", "key", "none" */

#define PGCDC_SNAPSHOT_BOUND_MAX 24 /* "(4294967295,0)", "-9223372036854775808" + NUL */

/* One chunk. Bounds are text: a TID "(page,0)" (CTID) or an integer (KEY);
 * lower inclusive, upper exclusive, "" = unbounded. The first chunk has no
 * lower bound and the last no upper one, so rows beyond the planned pages
 * or keys (the table grew after planning) are still read. */
typedef struct pgcdc_snapshot_range {
    uint32_t id; /* 0 .. nranges-1: its position in the plan */
    char lower[PGCDC_SNAPSHOT_BOUND_MAX];
    char upper[PGCDC_SNAPSHOT_BOUND_MAX];
} pgcdc_snapshot_range;

typedef struct pgcdc_snapshot_plan {
    pgcdc_chunking chunking;       /* CTID, KEY or NONE (never AUTO) */
    char *key_column;              /* KEY: the key column's name (owned), else NULL */
    bool partitioned;              /* a partitioned table: read through the root (its
                                      partitions' rows); any other table is read ONLY
                                      itself, not inheritance children (CDC reports those
                                      under their own names) */
    uint64_t est_bytes;            /* heap + TOAST heap size when planned (all partitions) */
    int64_t est_rows;              /* the server's row estimate, -1 unknown (never analyzed) */
    uint32_t nranges;
    pgcdc_snapshot_range *ranges;  /* owned */
} pgcdc_snapshot_plan;

typedef struct pgcdc_snapshot_plan_options {
    pgcdc_chunking chunking;  /* AUTO (0) unless the caller insists */
    const char *key_column;   /* the table's key when it is one column (NULL otherwise); used by
                                 KEY, and by AUTO below PostgreSQL 14 */
    uint64_t target_bytes;    /* bytes per chunk, TOAST included; 0 = 32 MiB */
    uint64_t target_rows;     /* rows per chunk instead (needs the row estimate; falls back
                                 to target_bytes when the table was never analyzed); 0 = off */
    uint32_t min_chunks;      /* at least this many chunks when the table has that many pages
                                 or distinct sampled keys: pass the connection count so that
                                 one big table keeps every connection busy; 0 = no minimum */
} pgcdc_snapshot_plan_options;

/* Plans schema.table on conn: its size from pg_relation_size (all partitions
 * of a partitioned table), the row estimate from pg_class.reltuples, KEY
 * bounds from percentiles of a TABLESAMPLE SYSTEM sample of the key. Run it
 * inside the snapshot the rows will be read in (or any time before: a plan is
 * valid for any later snapshot, the open-ended first and last chunks catch
 * rows beyond it). Errors: PGCDC_ENOTFOUND (no such table), PGCDC_EINVAL
 * (KEY without a usable integer key column, bad options), PGCDC_ESQL /
 * PGCDC_ECONNECT. */
pgcdc_code pgcdc_snapshot_plan_create(PGconn *conn, const char *schema, const char *table,
                                      const pgcdc_snapshot_plan_options *opt, pgcdc_snapshot_plan *out,
                                      pgcdc_error *err);

/* A one-chunk plan made without a connection (for a partitioned table say
 * so: it decides between reading ONLY the table or through its root). */
pgcdc_code pgcdc_snapshot_plan_single(bool partitioned, pgcdc_snapshot_plan *out, pgcdc_error *err);

void pgcdc_snapshot_plan_free(pgcdc_snapshot_plan *plan);

/* The plan as text, one line per chunk (docs/snapshot.md shows it), replacing
 * out's content; decode reads it back into an equal plan. Decode checks every
 * bound (PGCDC_EINVAL naming the bad line). */
pgcdc_code pgcdc_snapshot_plan_encode(const pgcdc_snapshot_plan *plan, pgcdc_buf *out, pgcdc_error *err);
pgcdc_code pgcdc_snapshot_plan_decode(const char *text, size_t len, pgcdc_snapshot_plan *out, pgcdc_error *err);

/* ---- 2. the format: binary when the type layer decodes every column ---- */

typedef enum pgcdc_copy_format {
    PGCDC_COPY_BINARY = 0, /* values kind 'b' */
    PGCDC_COPY_TEXT        /* values kind 't' */
} pgcdc_copy_format;

/* True when pgcdc_value_convert decodes the binary send format of every
 * column type given (types[i] from pgcdc_type_map); else false and
 * *first_bad (may be NULL) is the first column that needs text. Read a table
 * with any such column with PGCDC_COPY_TEXT. */
bool pgcdc_snapshot_binary_ok(const pgcdc_dest_type *types, int ntypes, int *first_bad);

/* ---- 3. the reader ---- */

typedef struct pgcdc_snapshot_reader pgcdc_snapshot_reader;

typedef struct pgcdc_snapshot_table {
    const char *schema;
    const char *name;
    int ncolumns;                     /* >= 1 */
    const char *const *columns;       /* source column names, unquoted, in the order wanted
                                         (the caller includes the key columns) */
    pgcdc_copy_format format;
    const pgcdc_snapshot_plan *plan;  /* required (pgcdc_snapshot_plan_single for one chunk) */
    const uint32_t *done;             /* ids of chunks already read (a resumed snapshot): skipped */
    uint32_t ndone;
    void *userdata;                   /* handed back with the table's rows */
} pgcdc_snapshot_table;

/* Where rows or a chunk event come from. */
typedef struct pgcdc_snapshot_chunk_ref {
    int table;                          /* index returned by pgcdc_snapshot_reader_add */
    void *table_userdata;
    const char *schema;
    const char *name;
    const pgcdc_snapshot_range *range;  /* the chunk */
    uint32_t nranges;                   /* chunks in the table's plan */
    int worker;                         /* 0 .. connections-1: the connection reading it */
} pgcdc_snapshot_chunk_ref;

typedef struct pgcdc_snapshot_rows {
    pgcdc_snapshot_chunk_ref chunk;
    size_t nrows;
    const pgcdc_tuple *rows; /* ncolumns values each, in the table's column order */
} pgcdc_snapshot_rows;

/* A batch of rows. Return PGCDC_OK to go on; anything else stops the whole
 * run, which returns that code and the message the callback put in err
 * (or a generic one if it left err empty). */
typedef pgcdc_code (*pgcdc_snapshot_rows_fn)(void *userdata, const pgcdc_snapshot_rows *rows, pgcdc_error *err);

typedef enum pgcdc_snapshot_chunk_event {
    PGCDC_SNAPSHOT_CHUNK_BEGIN = 1, /* in the chunk's transaction, before its COPY */
    PGCDC_SNAPSHOT_CHUNK_END        /* every row of the chunk was delivered; its transaction is
                                       still open: the moment to record the chunk as done once
                                       the rows are durable */
} pgcdc_snapshot_chunk_event;

typedef struct pgcdc_snapshot_chunk_info {
    pgcdc_snapshot_chunk_ref chunk;
    PGconn *conn;   /* the reading connection, inside the chunk's REPEATABLE READ transaction:
                       queries here see the chunk's snapshot (e.g. pg_current_snapshot(),
                       pg_current_wal_lsn() for a watermark scheme). Leave no result pending. */
    uint64_t rows;  /* END: rows of the chunk */
    uint64_t bytes; /* END: COPY bytes of the chunk */
} pgcdc_snapshot_chunk_info;

/* Optional. Return PGCDC_OK to go on; anything else stops the run like a
 * failed rows callback. */
typedef pgcdc_code (*pgcdc_snapshot_chunk_fn)(void *userdata, pgcdc_snapshot_chunk_event ev,
                                              const pgcdc_snapshot_chunk_info *info, pgcdc_error *err);

typedef struct pgcdc_snapshot_options {
    /* The snapshot exported by pgcdc_slot_create (snapshot_name): every
     * connection imports it (BEGIN ISOLATION LEVEL REPEATABLE READ; SET
     * TRANSACTION SNAPSHOT) and reads all its chunks in that one transaction.
     * It must stay valid until every connection has imported it: send no
     * command on the slot's replication connection until run returns.
     * Each connection first locks every queued table ACCESS SHARE (what its
     * COPY takes anyway), so a DROP TABLE, TRUNCATE or table rewrite waits
     * until the snapshot has been read instead of failing it midway or (a
     * TRUNCATE is not MVCC-safe) emptying the chunks not read yet.
     * NULL: each chunk is read in its own REPEATABLE READ READ ONLY
     * transaction, i.e. under its own snapshot (tables added while CDC runs). */
    const char *snapshot_name;
    int connections;        /* Concurrent Snapshot Queries; 0 = 2 */
    size_t batch_rows;      /* rows per callback at most; 0 = 1000 */
    size_t batch_bytes;     /* COPY bytes per callback at most (a batch also ends at the end of
                               a chunk); 0 = 4 MiB */
    /* Callbacks are called from the reader's worker threads, one per
     * connection, so by default several at once (for different chunks);
     * with one connection the reading is done on the thread calling run.
     * serialize = true makes them one at a time (the reader holds a mutex
     * around each call): for a callback that is not thread-safe. The log
     * handler (pgcdc_log_set_handler) is called from those threads too. */
    bool serialize;
    pgcdc_snapshot_rows_fn on_rows;   /* required */
    pgcdc_snapshot_chunk_fn on_chunk; /* optional */
    void *userdata;
} pgcdc_snapshot_options;

/* cfg is used (not copied) until the reader is freed: the connections are
 * opened with pgcdc_source_connect, so they have its session settings. */
pgcdc_code pgcdc_snapshot_reader_new(const pgcdc_source_config *cfg, const pgcdc_snapshot_options *opt,
                                     pgcdc_snapshot_reader **out, pgcdc_error *err);

/* Queues a table (everything is copied) before run; *index (may be NULL)
 * identifies it in callbacks and queries. Chunks are read in the order the
 * tables were added, each table's in plan order (several at once). */
pgcdc_code pgcdc_snapshot_reader_add(pgcdc_snapshot_reader *r, const pgcdc_snapshot_table *t, int *index,
                                     pgcdc_error *err);

/* Reads every queued chunk with up to `connections` connections (never more
 * than there are chunks) and returns when all are done. Returns:
 *   PGCDC_OK        every table was read completely;
 *   PGCDC_ETIMEOUT  stopped by pgcdc_snapshot_reader_stop (chunks in flight
 *                   were finished; run again with the done chunks skipped);
 *   the code of the first table that failed, with its message ("reading
 *                   chunk 3 of 8 of table app.orders: permission denied ..."),
 *                   after the other tables were read: a failure in a chunk
 *                   (the table was dropped, no SELECT privilege, a malformed
 *                   value) fails only its table (pgcdc_snapshot_reader_table_status);
 *   PGCDC_ECONNECT  a connection was lost or could not be opened (interim:
 *                   run again, skipping the chunks reported done), also
 *                   PGCDC_EINVAL for bad credentials, PGCDC_ESQL when the
 *                   exported snapshot cannot be imported (it is gone: the
 *                   replication connection moved on or closed);
 *   a callback's code: the callback stopped the run.
 * Run may be called only once per reader. */
pgcdc_code pgcdc_snapshot_reader_run(pgcdc_snapshot_reader *r, pgcdc_error *err);

/* Asks a running reader to start no new chunk (from any thread, a signal
 * handler excepted, or a callback). */
void pgcdc_snapshot_reader_stop(pgcdc_snapshot_reader *r);

typedef struct pgcdc_snapshot_progress {
    uint64_t rows;          /* rows delivered */
    uint64_t bytes;         /* COPY bytes received */
    uint32_t chunks_done;   /* chunks finished, including those skipped as done before */
    uint32_t chunks_total;
    uint64_t est_bytes;     /* from the plans: heap bytes, and rows (-1 when some table's is unknown) */
    int64_t est_rows;
    uint32_t tables_done;   /* completely read */
    uint32_t tables_failed;
    uint32_t tables_total;
} pgcdc_snapshot_progress;

/* Counters of one table (index) or of all (-1), readable while the reader
 * runs (from any thread: a progress display). Rates and an ETA follow from
 * two readings; chunks_done / chunks_total is the fraction done. */
void pgcdc_snapshot_reader_progress(pgcdc_snapshot_reader *r, int table, pgcdc_snapshot_progress *out);

/* After run: PGCDC_OK when the table was read completely, PGCDC_ETIMEOUT
 * when it was not finished (stopped, or the run failed elsewhere), else the
 * code and message of its failure. Chunks done are the ones reported by
 * PGCDC_SNAPSHOT_CHUNK_END. */
pgcdc_code pgcdc_snapshot_reader_table_status(pgcdc_snapshot_reader *r, int table, pgcdc_error *err);

void pgcdc_snapshot_reader_free(pgcdc_snapshot_reader *r);

#ifdef __cplusplus
}
#endif
#endif
