/* reader.c - the snapshot reader: worker threads, one connection each,
 * taking chunks from one shared queue (tables in the order added, each
 * table's chunks in plan order) and reading each with one COPY.
 *
 * Snapshots. With an exported snapshot every worker imports it once and
 * reads all its chunks in that one REPEATABLE READ transaction: every chunk
 * of every table sees the same instant, the slot's consistent point. Without
 * one, each chunk is its own REPEATABLE READ transaction (its own snapshot),
 * which the chunk callbacks can observe - what a watermark scheme needs.
 *
 * Failures. A chunk that fails on the server (the table was dropped, no
 * privilege) or whose data cannot be parsed fails its table only: the
 * table's other chunks are skipped and the other tables go on. A lost
 * connection, a snapshot that cannot be imported, or a callback's refusal
 * stops everything. A worker that cannot connect leaves the work to the
 * others; only when chunks are left over is its error the run's. */
#include "snapshot_internal.h"
#include "pgcdc/log.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_CONNECTIONS 2
#define MAX_CONNECTIONS 64

typedef struct snap_table {
    pgcdc_snapshot_table t;  /* points at the copies below */
    char *schema, *name;
    char **columns;
    pgcdc_snapshot_plan plan;
    bool *skip;              /* per chunk: done before this run */
    uint32_t nskip;

    _Atomic uint64_t rows, bytes;
    /* under the reader's lock */
    uint32_t chunks_read;    /* in this run */
    bool failed;
    pgcdc_error error;
} snap_table;

struct pgcdc_snapshot_reader {
    const pgcdc_source_config *cfg;
    pgcdc_snapshot_options opt;
    char *snapshot_name;
    snap_table **tables;
    int ntables, cap;

    pthread_mutex_t lock;    /* the queue, table states, the run's error */
    int next_table;
    uint32_t next_range;
    int first_failed;        /* index of the first table that failed, -1 */
    bool have_error;         /* a failure that stops the run */
    pgcdc_error error;
    pgcdc_error connect_error; /* a worker that could not connect (only fatal if work is left) */
    bool have_connect_error;

    pthread_mutex_t callback_lock; /* opt.serialize */
    atomic_bool stop;        /* start no new chunk */
    atomic_bool abort;       /* stop reading now */
    bool ran;
};

typedef struct worker {
    pgcdc_snapshot_reader *r;
    int id;
    PGconn *conn;
    bool in_txn;
    snap_parser parser;
    snap_table *parser_for;  /* the table the parser is set up for */
    pgcdc_buf sql;
    pgcdc_snapshot_chunk_ref ref;  /* the chunk being read */
    snap_table *tab;
    uint64_t chunk_rows;
    bool callback_failed;    /* the rows callback stopped the run */
    void *log_context;       /* the caller's (pgcdc_log_thread_context) */
    pthread_t thread;
} worker;

/* ---- reader setup ---- */

pgcdc_code pgcdc_snapshot_reader_new(const pgcdc_source_config *cfg, const pgcdc_snapshot_options *opt,
                                     pgcdc_snapshot_reader **out, pgcdc_error *err)
{
    *out = NULL;
    if (!cfg || !opt || !opt->on_rows)
        return pgcdc_error_set(err, PGCDC_EINVAL, "a snapshot reader needs a source configuration and a rows callback");
    if (opt->connections < 0 || opt->connections > MAX_CONNECTIONS)
        return pgcdc_error_set(err, PGCDC_EINVAL, "Concurrent Snapshot Queries must be 1 to %d, not %d",
                               MAX_CONNECTIONS, opt->connections);
    pgcdc_snapshot_reader *r = calloc(1, sizeof *r);
    if (!r)
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory for a snapshot reader");
    r->cfg = cfg;
    r->opt = *opt;
    if (!r->opt.connections)
        r->opt.connections = DEFAULT_CONNECTIONS;
    if (opt->snapshot_name) {
        if (!*opt->snapshot_name || !(r->snapshot_name = strdup(opt->snapshot_name))) {
            free(r);
            return pgcdc_error_set(err, *opt->snapshot_name ? PGCDC_ENOMEM : PGCDC_EINVAL,
                                   "the exported snapshot's name is empty (or memory ran out)");
        }
    }
    r->opt.snapshot_name = r->snapshot_name;
    r->first_failed = -1;
    pthread_mutex_init(&r->lock, NULL);
    pthread_mutex_init(&r->callback_lock, NULL);
    atomic_init(&r->stop, false);
    atomic_init(&r->abort, false);
    *out = r;
    return PGCDC_OK;
}

static void table_free(snap_table *t)
{
    if (!t)
        return;
    free(t->schema);
    free(t->name);
    if (t->columns)
        for (int i = 0; i < t->t.ncolumns; i++)
            free(t->columns[i]);
    free(t->columns);
    pgcdc_snapshot_plan_free(&t->plan);
    free(t->skip);
    free(t);
}

void pgcdc_snapshot_reader_free(pgcdc_snapshot_reader *r)
{
    if (!r)
        return;
    for (int i = 0; i < r->ntables; i++)
        table_free(r->tables[i]);
    free(r->tables);
    free(r->snapshot_name);
    pthread_mutex_destroy(&r->lock);
    pthread_mutex_destroy(&r->callback_lock);
    free(r);
}

static pgcdc_code plan_copy(const pgcdc_snapshot_plan *src, pgcdc_snapshot_plan *dst, pgcdc_error *err)
{
    *dst = *src;
    dst->key_column = NULL;
    dst->ranges = malloc(src->nranges * sizeof *dst->ranges);
    if (src->key_column)
        dst->key_column = strdup(src->key_column);
    if (!dst->ranges || (src->key_column && !dst->key_column)) {
        pgcdc_snapshot_plan_free(dst);
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory for a snapshot plan");
    }
    memcpy(dst->ranges, src->ranges, src->nranges * sizeof *dst->ranges);
    return PGCDC_OK;
}

pgcdc_code pgcdc_snapshot_reader_add(pgcdc_snapshot_reader *r, const pgcdc_snapshot_table *t, int *index,
                                     pgcdc_error *err)
{
    if (r->ran)
        return pgcdc_error_set(err, PGCDC_EINVAL, "tables are added to a snapshot reader before it runs");
    if (!t || !t->schema || !t->name || !t->plan || t->ncolumns < 1 || !t->columns)
        return pgcdc_error_set(err, PGCDC_EINVAL, "a snapshot table needs a schema, a name, columns and a plan");
    if (t->format != PGCDC_COPY_BINARY && t->format != PGCDC_COPY_TEXT)
        return pgcdc_error_set(err, PGCDC_EINVAL, "unknown COPY format %d for %s.%s", (int)t->format, t->schema,
                               t->name);
    if (t->ncolumns > 1664)
        return pgcdc_error_set(err, PGCDC_EINVAL, "%s.%s: %d columns is more than a row holds", t->schema, t->name,
                               t->ncolumns);
    for (int i = 0; i < t->ncolumns; i++)
        if (!t->columns[i] || !*t->columns[i])
            return pgcdc_error_set(err, PGCDC_EINVAL, "%s.%s: column %d has no name", t->schema, t->name, i + 1);
    pgcdc_code rc = snap_plan_check(t->plan, err);
    if (rc != PGCDC_OK)
        return pgcdc_error_prefix(err, "the snapshot plan of %s.%s", t->schema, t->name);

    snap_table *s = calloc(1, sizeof *s);
    if (!s)
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
    s->t = *t;
    s->schema = strdup(t->schema);
    s->name = strdup(t->name);
    s->columns = calloc((size_t)t->ncolumns, sizeof *s->columns);
    s->skip = calloc(t->plan->nranges, sizeof *s->skip);
    bool bad = !s->schema || !s->name || !s->columns || !s->skip;
    for (int i = 0; !bad && i < t->ncolumns; i++)
        bad = !(s->columns[i] = strdup(t->columns[i]));
    if (bad || plan_copy(t->plan, &s->plan, err) != PGCDC_OK) {
        table_free(s);
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
    }
    for (uint32_t i = 0; i < t->ndone; i++) {
        if (!t->done || t->done[i] >= t->plan->nranges) {
            table_free(s);
            return pgcdc_error_set(err, PGCDC_EINVAL, "%s.%s: chunk id %u marked done is not in its plan of %u chunks",
                                   t->schema, t->name, t->done ? t->done[i] : 0, t->plan->nranges);
        }
        if (!s->skip[t->done[i]])
            s->nskip++;
        s->skip[t->done[i]] = true;
    }
    s->t.schema = s->schema;
    s->t.name = s->name;
    s->t.columns = (const char *const *)s->columns;
    s->t.plan = &s->plan;
    s->t.done = NULL;
    s->t.ndone = 0;
    atomic_init(&s->rows, 0);
    atomic_init(&s->bytes, 0);

    if (r->ntables == r->cap) {
        int cap = r->cap ? r->cap * 2 : 8;
        snap_table **n = realloc(r->tables, (size_t)cap * sizeof *n);
        if (!n) {
            table_free(s);
            return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
        }
        r->tables = n;
        r->cap = cap;
    }
    if (index)
        *index = r->ntables;
    r->tables[r->ntables++] = s;
    return PGCDC_OK;
}

/* ---- state shared by the workers ---- */

static void fail_run(pgcdc_snapshot_reader *r, const pgcdc_error *e)
{
    pthread_mutex_lock(&r->lock);
    if (!r->have_error) {
        r->have_error = true;
        r->error = *e;
    }
    pthread_mutex_unlock(&r->lock);
    atomic_store(&r->abort, true);
}

static void fail_table(pgcdc_snapshot_reader *r, snap_table *t, int index, const pgcdc_error *e)
{
    pthread_mutex_lock(&r->lock);
    bool first = !t->failed;
    if (first) {
        t->failed = true;
        t->error = *e;
        if (r->first_failed < 0)
            r->first_failed = index;
    }
    pthread_mutex_unlock(&r->lock);
    if (first)
        pgcdc_log(PGCDC_LOG_ERROR, "%s", e->message);
}

static bool table_complete(const snap_table *t)
{
    return !t->failed && t->nskip + t->chunks_read == t->plan.nranges;
}

/* The next chunk to read, or false when none is left (or the run stops). */
static bool next_chunk(pgcdc_snapshot_reader *r, worker *w)
{
    bool found = false;
    pthread_mutex_lock(&r->lock);
    while (!atomic_load(&r->stop) && !atomic_load(&r->abort) && r->next_table < r->ntables) {
        snap_table *t = r->tables[r->next_table];
        while (!t->failed && r->next_range < t->plan.nranges && t->skip[r->next_range])
            r->next_range++;
        if (t->failed || r->next_range >= t->plan.nranges) {
            r->next_table++;
            r->next_range = 0;
            continue;
        }
        w->tab = t;
        w->ref.table = r->next_table;
        w->ref.table_userdata = t->t.userdata;
        w->ref.schema = t->schema;
        w->ref.name = t->name;
        w->ref.range = &t->plan.ranges[r->next_range++];
        w->ref.nranges = t->plan.nranges;
        w->ref.worker = w->id;
        found = true;
        break;
    }
    pthread_mutex_unlock(&r->lock);
    return found;
}

/* ---- talking to the server ---- */

/* A failed statement or COPY: ECONNECT when the connection is gone or the
 * server is going away, and for every other interim SQLSTATE (a cancelled
 * COPY or statement_timeout, lock_timeout on LOCK TABLE, out of memory ...:
 * pgcdc_sqlstate_is_interim) - the run ends, no table fails, a later run
 * reads the chunks again; else the server's error as PGCDC_ESQL
 * (PGCDC_ENOTFOUND for a table or column that does not exist), which fails
 * that table alone. The SQLSTATE goes with the error (err->sqlstate). */
static pgcdc_code server_error(worker *w, PGresult *res, pgcdc_error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static pgcdc_code server_error(worker *w, PGresult *res, pgcdc_error *err, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    char msg[PGCDC_ERROR_MAX / 2];
    if (primary) {
        /* the server's words without the echo of our statement ("LINE 1: COPY ...") */
        const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
        const char *shint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
        snprintf(msg, sizeof msg, "%s%s%s%s%s", primary, detail ? " DETAIL: " : "", detail ? detail : "",
                 shint ? " HINT: " : "", shint ? shint : "");
    } else {
        snprintf(msg, sizeof msg, "%s", res && PQresultErrorMessage(res)[0] ? PQresultErrorMessage(res)
                                                                            : PQerrorMessage(w->conn));
    }
    pgcdc_source_flatten_message(msg);
    pgcdc_source_scrub_secret(w->r->cfg, msg, sizeof msg);
    pgcdc_code code = PGCDC_ESQL;
    const char *hint = "";
    if (PQstatus(w->conn) != CONNECTION_OK || !state || strncmp(state, "08", 2) == 0
        || (strncmp(state, "57P", 3) == 0 && pgcdc_sqlstate_is_interim(state))) {
        code = PGCDC_ECONNECT;
        hint = " (the connection was lost)";
    } else if (pgcdc_sqlstate_is_interim(state)) {
        code = PGCDC_ECONNECT;
        hint = " (interim: the snapshot can be read again later)";
    } else if (strcmp(state, "42P01") == 0 || strcmp(state, "42703") == 0 || strcmp(state, "3F000") == 0) {
        code = PGCDC_ENOTFOUND;
        hint = " (was it dropped or renamed while the snapshot ran?)";
    } else if (strcmp(state, "42501") == 0) {
        hint = " (grant SELECT on the table to the connector's user)";
    }
    pgcdc_error_set(err, code, "%s: %s%s", what, msg, hint);
    pgcdc_error_set_sqlstate(err, state);
    return code;
}

static pgcdc_code exec_command(worker *w, const char *sql, pgcdc_error *err)
{
    PGresult *res = PQexec(w->conn, sql);
    pgcdc_code rc = PGCDC_OK;
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        rc = server_error(w, res, err, "snapshot connection %d: %s failed", w->id, sql);
    PQclear(res);
    return rc;
}

/* BEGIN, and with an exported snapshot, import it. */
static pgcdc_code begin_txn(worker *w, pgcdc_error *err)
{
    pgcdc_code rc = exec_command(w, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", err);
    if (rc != PGCDC_OK)
        return rc;
    w->in_txn = true;
    const char *name = w->r->snapshot_name;
    if (!name)
        return PGCDC_OK;
    char *lit = PQescapeLiteral(w->conn, name, strlen(name));
    if (!lit)
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
    char sql[256];
    snprintf(sql, sizeof sql, "SET TRANSACTION SNAPSHOT %s", lit);
    PQfreemem(lit);
    PGresult *res = PQexec(w->conn, sql);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        rc = server_error(w, res, err, "could not import the exported snapshot %s", name);
        if (rc == PGCDC_ESQL)
            pgcdc_error_prefix(err, "%s", "the snapshot is gone (it lives only until the replication connection "
                                          "that created the slot runs its next command or closes)");
    }
    PQclear(res);
    return rc;
}

/* Appends "[ONLY] schema.name" of a table. */
static int put_table(worker *w, const snap_table *t, pgcdc_buf *out)
{
    int bad = t->plan.partitioned ? 0 : pgcdc_buf_puts(out, "ONLY ");
    bad |= snap_quote_ident(w->conn, t->schema, out);
    bad |= pgcdc_buf_putc(out, '.');
    bad |= snap_quote_ident(w->conn, t->name, out);
    return bad;
}

/* Runs sql inside a savepoint: on failure the transaction (and the imported
 * snapshot) survive. */
static pgcdc_code exec_in_savepoint(worker *w, const char *sql, pgcdc_error *err)
{
    pgcdc_code rc = exec_command(w, "SAVEPOINT pgcdc_lock", err);
    if (rc != PGCDC_OK)
        return rc;
    PGresult *res = PQexec(w->conn, sql);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        rc = server_error(w, res, err, "%s", "LOCK TABLE failed");
        PQclear(res);
        pgcdc_error e2;
        pgcdc_code rc2 = exec_command(w, "ROLLBACK TO SAVEPOINT pgcdc_lock", &e2);
        if (rc2 != PGCDC_OK) {
            *err = e2;
            return rc2 == PGCDC_ESQL ? PGCDC_ECONNECT : rc2;
        }
        return rc;
    }
    PQclear(res);
    return exec_command(w, "RELEASE SAVEPOINT pgcdc_lock", err);
}

/* In the exported snapshot's transaction every worker locks each table it
 * may read (ACCESS SHARE, which its COPY takes anyway) before reading any.
 * DROP TABLE, TRUNCATE and table rewrites then wait until the snapshot has
 * been read. Without the locks a DROP would fail a table midway, and a
 * TRUNCATE - not MVCC-safe: a snapshot older than it sees the table empty -
 * would silently empty the chunks not read yet. One statement for all
 * tables; only if it fails, one per table to find the culprit, whose table
 * fails alone. */
static pgcdc_code lock_tables(worker *w, pgcdc_error *err)
{
    pgcdc_snapshot_reader *r = w->r;
    pgcdc_buf sql = PGCDC_BUF_INIT;
    int n = 0, bad = pgcdc_buf_puts(&sql, "LOCK TABLE ");
    pthread_mutex_lock(&r->lock);
    for (int i = 0; i < r->ntables && !bad; i++) {
        snap_table *t = r->tables[i];
        if (t->failed || t->nskip == t->plan.nranges)
            continue;
        if (n++)
            bad |= pgcdc_buf_puts(&sql, ", ");
        bad |= put_table(w, t, &sql);
    }
    pthread_mutex_unlock(&r->lock);
    bad |= pgcdc_buf_puts(&sql, " IN ACCESS SHARE MODE");
    pgcdc_code rc = PGCDC_OK;
    if (bad)
        rc = pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory while locking the tables to snapshot");
    else if (n > 0)
        rc = exec_in_savepoint(w, sql.data, err);
    if (rc == PGCDC_ESQL || rc == PGCDC_ENOTFOUND) {
        rc = PGCDC_OK;
        for (int i = 0; i < r->ntables && rc == PGCDC_OK; i++) {
            snap_table *t = r->tables[i];
            pthread_mutex_lock(&r->lock);
            bool skip = t->failed || t->nskip == t->plan.nranges;
            pthread_mutex_unlock(&r->lock);
            if (skip)
                continue;
            pgcdc_buf_reset(&sql);
            if (pgcdc_buf_puts(&sql, "LOCK TABLE ") || put_table(w, t, &sql)
                || pgcdc_buf_puts(&sql, " IN ACCESS SHARE MODE")) {
                rc = pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory while locking the tables to snapshot");
                break;
            }
            pgcdc_error te;
            pgcdc_code trc = exec_in_savepoint(w, sql.data, &te);
            if (trc == PGCDC_ESQL || trc == PGCDC_ENOTFOUND) {
                pgcdc_error_prefix(&te, "reading table %s.%s (before its first chunk)", t->schema, t->name);
                fail_table(r, t, i, &te);
            } else if (trc != PGCDC_OK) {
                *err = te;
                rc = trc;
            }
        }
    }
    pgcdc_buf_free(&sql);
    return rc;
}

/* The exported snapshot's transaction: imported, its tables locked. */
static pgcdc_code begin_snapshot(worker *w, pgcdc_error *err)
{
    pgcdc_code rc = begin_txn(w, err);
    return rc == PGCDC_OK ? lock_tables(w, err) : rc;
}

static pgcdc_code end_txn(worker *w, bool commit, pgcdc_error *err)
{
    if (!w->in_txn)
        return PGCDC_OK;
    w->in_txn = false;
    return exec_command(w, commit ? "COMMIT" : "ROLLBACK", err);
}

/* The parser's flush: a batch of rows to the caller. */
static pgcdc_code deliver(void *ud, const pgcdc_tuple *rows, size_t nrows, pgcdc_error *err)
{
    worker *w = ud;
    pgcdc_snapshot_reader *r = w->r;
    if (atomic_load(&r->abort))
        return pgcdc_error_set(err, PGCDC_EIO, "snapshot stopped");
    pgcdc_snapshot_rows b = {w->ref, nrows, rows};
    err->message[0] = '\0';
    if (r->opt.serialize)
        pthread_mutex_lock(&r->callback_lock);
    pgcdc_code rc = r->opt.on_rows(r->opt.userdata, &b, err);
    if (r->opt.serialize)
        pthread_mutex_unlock(&r->callback_lock);
    atomic_fetch_add_explicit(&w->tab->rows, nrows, memory_order_relaxed);
    w->chunk_rows += nrows;
    if (rc != PGCDC_OK) {
        w->callback_failed = true;
        if (!err->message[0])
            pgcdc_error_set(err, rc, "the snapshot rows callback failed (%s)", pgcdc_code_name(rc));
        err->code = rc;
    }
    return rc;
}

static pgcdc_code chunk_event(worker *w, pgcdc_snapshot_chunk_event ev, uint64_t bytes, pgcdc_error *err)
{
    pgcdc_snapshot_reader *r = w->r;
    if (!r->opt.on_chunk)
        return PGCDC_OK;
    pgcdc_snapshot_chunk_info info = {w->ref, w->conn, w->chunk_rows, bytes};
    err->message[0] = '\0';
    if (r->opt.serialize)
        pthread_mutex_lock(&r->callback_lock);
    pgcdc_code rc = r->opt.on_chunk(r->opt.userdata, ev, &info, err);
    if (r->opt.serialize)
        pthread_mutex_unlock(&r->callback_lock);
    if (rc != PGCDC_OK) {
        w->callback_failed = true;
        if (!err->message[0])
            pgcdc_error_set(err, rc, "the snapshot chunk callback failed (%s)", pgcdc_code_name(rc));
        err->code = rc;
    }
    return rc;
}

/* Reads the rest of a COPY that is abandoned (malformed data) so the
 * connection can go on with the next chunk. */
static void drain_copy(worker *w)
{
    char *buf;
    int n;
    while ((n = PQgetCopyData(w->conn, &buf, 0)) > 0)
        PQfreemem(buf);
}

/* One chunk: its COPY, rows to the caller. */
static pgcdc_code copy_chunk(worker *w, uint64_t *chunk_bytes, pgcdc_error *err)
{
    snap_table *t = w->tab;
    if (w->parser_for != t) {
        snap_parser_free(&w->parser);
        w->parser_for = NULL;
        pgcdc_code rc = snap_parser_init(&w->parser, t->t.format, t->t.ncolumns, w->r->opt.batch_rows,
                                         w->r->opt.batch_bytes, deliver, w, PQfreemem, err);
        if (rc != PGCDC_OK)
            return rc;
        w->parser_for = t;
    }
    snap_parser_reset(&w->parser);
    pgcdc_code rc = snap_copy_sql(w->conn, &t->t, w->ref.range, &w->sql, err);
    if (rc != PGCDC_OK)
        return rc;

    PGresult *res = PQexec(w->conn, w->sql.data);
    if (PQresultStatus(res) != PGRES_COPY_OUT) {
        rc = server_error(w, res, err, "COPY failed");
        PQclear(res);
        return rc;
    }
    PQclear(res);

    uint64_t start = w->parser.bytes_total;
    bool copying = true;
    while (rc == PGCDC_OK) {
        char *buf = NULL;
        int n = PQgetCopyData(w->conn, &buf, 0);
        if (n > 0) {
            rc = snap_parser_feed(&w->parser, buf, (size_t)n, err);
            atomic_fetch_add_explicit(&t->bytes, (uint64_t)n, memory_order_relaxed);
            continue;
        }
        copying = false;
        if (n == -2)
            rc = server_error(w, NULL, err, "reading COPY data failed");
        break;
    }
    *chunk_bytes = w->parser.bytes_total - start;
    if (rc != PGCDC_OK) {
        /* A callback's refusal or a stop ends the run and the connection with
         * it: no point reading the rest. Malformed data fails just this table. */
        if (w->callback_failed || atomic_load(&w->r->abort) || rc == PGCDC_ECONNECT || rc == PGCDC_ENOMEM)
            return rc;
        if (copying)
            drain_copy(w);
    }
    /* The COPY's own result says whether the server finished it. */
    pgcdc_error serr;
    pgcdc_code src = PGCDC_OK;
    while ((res = PQgetResult(w->conn)) != NULL) {
        if (PQresultStatus(res) != PGRES_COMMAND_OK && src == PGCDC_OK)
            src = server_error(w, res, &serr, "COPY failed");
        PQclear(res);
    }
    if (PQstatus(w->conn) != CONNECTION_OK && src == PGCDC_OK)
        src = server_error(w, NULL, &serr, "COPY failed");
    if (src != PGCDC_OK && (rc == PGCDC_OK || src == PGCDC_ECONNECT)) {
        *err = serr;
        return src;
    }
    if (rc == PGCDC_OK)
        rc = snap_parser_finish(&w->parser, err);
    return rc;
}

/* What a chunk failure means for the run; logs and records it. Returns
 * false when the worker must stop. */
static bool chunk_failed(worker *w, pgcdc_code rc, pgcdc_error *e)
{
    pgcdc_snapshot_reader *r = w->r;
    if (atomic_load(&r->abort) && !w->callback_failed)
        return false; /* another worker failed the run: its error is the one */
    if (w->callback_failed || rc == PGCDC_ECONNECT || rc == PGCDC_ENOMEM || PQstatus(w->conn) != CONNECTION_OK) {
        if (!w->callback_failed)
            pgcdc_error_prefix(e, "reading chunk %u of %u of table %s.%s", w->ref.range->id + 1, w->ref.nranges,
                               w->ref.schema, w->ref.name);
        fail_run(r, e);
        return false;
    }
    pgcdc_error_prefix(e, "reading chunk %u of %u of table %s.%s", w->ref.range->id + 1, w->ref.nranges,
                       w->ref.schema, w->ref.name);
    fail_table(r, w->tab, w->ref.table, e);
    /* the transaction is aborted: roll back, and re-import the snapshot */
    pgcdc_error e2;
    pgcdc_code rc2 = end_txn(w, false, &e2);
    if (rc2 == PGCDC_OK && r->snapshot_name)
        rc2 = begin_snapshot(w, &e2);
    if (rc2 != PGCDC_OK) {
        fail_run(r, &e2);
        return false;
    }
    return true;
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    pgcdc_snapshot_reader *r = w->r;
    /* a worker logs for the thread that started the run */
    pgcdc_log_set_thread_context(w->log_context);
    pgcdc_error e;
    pgcdc_code rc = pgcdc_source_connect(r->cfg, false, &w->conn, &e);
    if (rc != PGCDC_OK) {
        pgcdc_log(PGCDC_LOG_WARN, "snapshot connection %d could not be opened: %s", w->id, e.message);
        pthread_mutex_lock(&r->lock);
        if (!r->have_connect_error) {
            r->have_connect_error = true;
            r->connect_error = e;
        }
        pthread_mutex_unlock(&r->lock);
        return NULL;
    }
    /* A snapshot transaction is idle between chunks and while the chunk
     * callbacks run (the caller may be committing to the destination): a
     * server-side idle timeout must not end it midway. */
    if (exec_command(w, "SET idle_in_transaction_session_timeout = 0", &e) != PGCDC_OK
        || (r->snapshot_name && begin_snapshot(w, &e) != PGCDC_OK)) {
        fail_run(r, &e);
        return NULL;
    }
    while (next_chunk(r, w)) {
        w->chunk_rows = 0;
        uint64_t bytes = 0;
        rc = PGCDC_OK;
        if (!r->snapshot_name)
            rc = begin_txn(w, &e);
        if (rc == PGCDC_OK)
            rc = chunk_event(w, PGCDC_SNAPSHOT_CHUNK_BEGIN, 0, &e);
        if (rc == PGCDC_OK)
            rc = copy_chunk(w, &bytes, &e);
        if (rc == PGCDC_OK)
            rc = chunk_event(w, PGCDC_SNAPSHOT_CHUNK_END, bytes, &e);
        if (rc != PGCDC_OK) {
            if (!chunk_failed(w, rc, &e))
                return NULL;
            continue;
        }
        /* Reported done (END) is done: the COPY completed, every row was
         * delivered. Ending the read-only transaction can only fail with the
         * connection, which the next chunk would meet anyway. */
        pthread_mutex_lock(&r->lock);
        w->tab->chunks_read++;
        bool complete = table_complete(w->tab);
        pthread_mutex_unlock(&r->lock);
        pgcdc_log(PGCDC_LOG_DEBUG, "snapshot of %s.%s: chunk %u of %u read (%" PRIu64 " rows) by connection %d",
                  w->ref.schema, w->ref.name, w->ref.range->id + 1, w->ref.nranges, w->chunk_rows, w->id);
        if (complete)
            pgcdc_log(PGCDC_LOG_INFO, "snapshot of %s.%s read: %" PRIu64 " rows", w->ref.schema, w->ref.name,
                      atomic_load(&w->tab->rows));
        if (!r->snapshot_name && (rc = end_txn(w, true, &e)) != PGCDC_OK && !chunk_failed(w, rc, &e))
            return NULL;
    }
    if (r->snapshot_name && w->in_txn && !atomic_load(&r->abort) && end_txn(w, true, &e) != PGCDC_OK)
        pgcdc_log(PGCDC_LOG_WARN, "%s", e.message); /* a read-only transaction: nothing is lost */
    return NULL;
}

/* ---- run ---- */

pgcdc_code pgcdc_snapshot_reader_run(pgcdc_snapshot_reader *r, pgcdc_error *err)
{
    if (r->ran)
        return pgcdc_error_set(err, PGCDC_EINVAL, "a snapshot reader runs only once");
    r->ran = true;
    uint64_t todo = 0;
    for (int i = 0; i < r->ntables; i++)
        todo += r->tables[i]->plan.nranges - r->tables[i]->nskip;
    int n = r->opt.connections;
    if ((uint64_t)n > todo)
        n = (int)todo;
    worker *workers = n ? calloc((size_t)n, sizeof *workers) : NULL;
    if (n && !workers)
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory for snapshot workers");

    int started = 0;
    /* One connection: read on the calling thread, so the callbacks run on
     * it (a JNI host hands each piece to Java as it comes). */
    bool here = n == 1;
    for (int i = 0; i < n; i++)
        workers[i].log_context = pgcdc_log_thread_context();
    if (here) {
        workers[0].r = r;
        worker_main(&workers[0]);
    }
    for (int i = 0; i < n && !here; i++) {
        workers[i].r = r;
        workers[i].id = i;
        if (pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]) != 0) {
            pgcdc_error e;
            pgcdc_error_set(&e, PGCDC_ENOMEM, "could not start snapshot worker thread %d", i);
            fail_run(r, &e);
            break;
        }
        started++;
    }
    for (int i = 0; i < (here ? 1 : started); i++) {
        if (!here)
            pthread_join(workers[i].thread, NULL);
        if (workers[i].conn)
            PQfinish(workers[i].conn);
        snap_parser_free(&workers[i].parser);
        pgcdc_buf_free(&workers[i].sql);
    }
    free(workers);

    /* what became of it */
    pthread_mutex_lock(&r->lock);
    pgcdc_code rc = PGCDC_OK;
    bool left = false;
    for (int i = 0; i < r->ntables; i++)
        if (!r->tables[i]->failed && !table_complete(r->tables[i]))
            left = true;
    if (r->have_error) {
        rc = r->error.code ? r->error.code : PGCDC_EIO;
        if (err)
            *err = r->error;
    } else if (left && atomic_load(&r->stop)) {
        rc = pgcdc_error_set(err, PGCDC_ETIMEOUT, "the snapshot was stopped before every chunk was read");
    } else if (left && r->have_connect_error) {
        rc = r->connect_error.code;
        if (err)
            *err = r->connect_error;
    } else if (left) {
        rc = pgcdc_error_set(err, PGCDC_EIO, "the snapshot ended with chunks left unread");
    } else if (r->first_failed >= 0) {
        rc = r->tables[r->first_failed]->error.code;
        if (err)
            *err = r->tables[r->first_failed]->error;
    }
    pthread_mutex_unlock(&r->lock);
    if (rc == PGCDC_OK && r->have_connect_error)
        pgcdc_log(PGCDC_LOG_WARN, "the snapshot was read with fewer connections than asked for: %s",
                  r->connect_error.message);
    return rc;
}

void pgcdc_snapshot_reader_stop(pgcdc_snapshot_reader *r)
{
    atomic_store(&r->stop, true);
}

void pgcdc_snapshot_reader_progress(pgcdc_snapshot_reader *r, int table, pgcdc_snapshot_progress *out)
{
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&r->lock);
    for (int i = 0; i < r->ntables; i++) {
        if (table >= 0 && i != table)
            continue;
        snap_table *t = r->tables[i];
        out->rows += atomic_load_explicit(&t->rows, memory_order_relaxed);
        out->bytes += atomic_load_explicit(&t->bytes, memory_order_relaxed);
        out->chunks_done += t->nskip + t->chunks_read;
        out->chunks_total += t->plan.nranges;
        out->est_bytes += t->plan.est_bytes;
        if (out->est_rows >= 0)
            out->est_rows = t->plan.est_rows < 0 ? -1 : out->est_rows + t->plan.est_rows;
        out->tables_total++;
        if (t->failed)
            out->tables_failed++;
        else if (table_complete(t))
            out->tables_done++;
    }
    pthread_mutex_unlock(&r->lock);
}

pgcdc_code pgcdc_snapshot_reader_table_status(pgcdc_snapshot_reader *r, int table, pgcdc_error *err)
{
    if (table < 0 || table >= r->ntables)
        return pgcdc_error_set(err, PGCDC_EINVAL, "no snapshot table %d", table);
    pthread_mutex_lock(&r->lock);
    snap_table *t = r->tables[table];
    pgcdc_code rc = PGCDC_OK;
    if (t->failed) {
        rc = t->error.code;
        if (err)
            *err = t->error;
    } else if (!table_complete(t)) {
        rc = pgcdc_error_set(err, PGCDC_ETIMEOUT, "the snapshot of %s.%s is not finished (%u of %u chunks read)",
                             t->schema, t->name, t->nskip + t->chunks_read, t->plan.nranges);
    }
    pthread_mutex_unlock(&r->lock);
    return rc;
}
