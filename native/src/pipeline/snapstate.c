/* snapstate.c - what a table's snapshot has done so far, so that a snapshot
 * interrupted by a crash (or an interim error) resumes from its last finished
 * chunk instead of starting over.
 *
 * <state schema>."_PGCDC_SNAPSHOT_CHUNKS": per table in SNAPSHOT_REPLICATION
 * one row with chunk_id -1 holding the plan (pgcdc_snapshot_plan_encode), and
 * one row per finished chunk. A chunk's row is inserted inside the journal
 * write that carries the chunk's rows (the writer's before_commit hook), so
 * "recorded as done" and "its rows are in the journal" commit together.
 *
 * Why resuming under a newer snapshot is right: the remaining chunks are read
 * under a temporary slot's snapshot at C2 (online.c) while the stream runs
 * from the durable position, which is at or before the first snapshot's
 * point C1. Rows of finished chunks carry C1, rows of the remaining ones C2,
 * and every change committed between them is in the journal in between: the
 * merge (last change in (LSN, SEQ) order wins per key) ends at the state at
 * C2 plus what came after. One exception: an update can move a row from an
 * unfinished chunk into a finished one's range - to another page (CTID
 * chunks), or by a key update (KEY chunks) - where no snapshot read sees it;
 * if that update left a TOAST value unchanged, neither the journal nor the
 * destination has the value (found by tests/pipeline/test_pipeline_crash.c).
 * fixup.c reads those rows again under the snapshot at C2. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgcdc/log.h"
#include "pipeline_internal.h"

#define SNAPSHOT_CHUNKS "_PGCDC_SNAPSHOT_CHUNKS"

static pgcdc_code qualified(pl_ctx *x, pgcdc_buf *out, pgcdc_error *err)
{
    if (pgcdc_buf_printf(out, "%s.\"%s\"", x->state_schema_q.data, SNAPSHOT_CHUNKS) != 0)
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
    return PGCDC_OK;
}

pgcdc_code pl_snapstate_setup(pl_ctx *x, pgcdc_error *err)
{
    pgcdc_buf q = PGCDC_BUF_INIT, sql = PGCDC_BUF_INIT;
    pgcdc_code rc = qualified(x, &q, err);
    if (rc == PGCDC_OK) {
        pgcdc_buf_printf(&sql,
                         "CREATE TABLE IF NOT EXISTS %s (\"table_name\" text NOT NULL, \"chunk_id\" integer NOT "
                         "NULL, \"snapshot_lsn\" bigint NOT NULL, \"plan\" text, PRIMARY KEY (\"table_name\", "
                         "\"chunk_id\"))",
                         q.data);
        rc = pl_exec(x->dst, sql.data, err);
    }
    pgcdc_buf_free(&q);
    pgcdc_buf_free(&sql);
    return rc;
}

/* One statement on the destination with the table's key as $1. */
static pgcdc_code exec_for(pl_ctx *x, const char *fmt, int n, const char *const *vals, pgcdc_error *err)
{
    pgcdc_buf q = PGCDC_BUF_INIT, sql = PGCDC_BUF_INIT;
    pgcdc_code rc = qualified(x, &q, err);
    if (rc == PGCDC_OK && pgcdc_buf_printf(&sql, fmt, q.data) != 0)
        rc = pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
    if (rc == PGCDC_OK)
        rc = pl_exec_params(x->dst, sql.data, n, vals, err);
    pgcdc_buf_free(&q);
    pgcdc_buf_free(&sql);
    return rc;
}

pgcdc_code pl_snapstate_clear(pl_ctx *x, pl_table *t, pgcdc_error *err)
{
    const char *v[1] = {t->key};
    return exec_for(x, "DELETE FROM %s WHERE \"table_name\" = $1", 1, v, err);
}

pgcdc_code pl_snapstate_begin(pl_ctx *x, pl_table *t, pgcdc_lsn lsn, pgcdc_error *err)
{
    pgcdc_buf text = PGCDC_BUF_INIT;
    pgcdc_code rc = pgcdc_snapshot_plan_encode(&t->plan, &text, err);
    char l[24];
    snprintf(l, sizeof l, "%lld", (long long)lsn);
    const char *v[3] = {t->key, l, text.data};
    if (rc == PGCDC_OK)
        rc = pl_exec(x->dst, "BEGIN", err);
    if (rc == PGCDC_OK)
        rc = pl_snapstate_clear(x, t, err);
    if (rc == PGCDC_OK)
        rc = exec_for(x, "INSERT INTO %s (\"table_name\", \"chunk_id\", \"snapshot_lsn\", \"plan\") "
                         "VALUES ($1, -1, CAST($2 AS bigint), $3)", 3, v, err);
    if (rc == PGCDC_OK)
        rc = pl_exec(x->dst, "COMMIT", err);
    else
        PQclear(PQexec(x->dst, "ROLLBACK"));
    pgcdc_buf_free(&text);
    return rc;
}

pgcdc_code pl_snapstate_load(pl_ctx *x, pl_table *t, bool *found, pgcdc_error *err)
{
    *found = false;
    pgcdc_buf q = PGCDC_BUF_INIT, sql = PGCDC_BUF_INIT;
    pgcdc_code rc = qualified(x, &q, err);
    if (rc != PGCDC_OK)
        return rc;
    pgcdc_buf_printf(&sql, "SELECT \"chunk_id\", \"plan\", \"snapshot_lsn\" FROM %s WHERE \"table_name\" = $1 "
                     "ORDER BY 1", q.data);
    const char *v[1] = {t->key};
    PGresult *r;
    rc = pl_query(x->dst, sql.data, 1, v, &r, err);
    pgcdc_buf_free(&q);
    pgcdc_buf_free(&sql);
    if (rc != PGCDC_OK)
        return rc;
    int n = PQntuples(r);
    if (n == 0 || atoi(PQgetvalue(r, 0, 0)) != -1) {
        PQclear(r);
        return PGCDC_OK;
    }
    const char *plan = PQgetvalue(r, 0, 1);
    pgcdc_snapshot_plan p = {0};
    pgcdc_error e;
    if (pgcdc_snapshot_plan_decode(plan, strlen(plan), &p, &e) != PGCDC_OK) {
        pgcdc_log(PGCDC_LOG_WARN, "table %s.%s: the saved snapshot plan cannot be read (%s); reading the table "
                  "again whole", t->schema, t->name, e.message);
        PQclear(r);
        return PGCDC_OK;
    }
    bool toast = false;
    for (size_t i = 0; i < t->ncols; i++)
        toast |= !t->mcols[i].is_key && pgcdc_merge_type_toastable(&t->mcols[i].type);
    free(t->done_chunks);
    t->done_chunks = calloc((size_t)n, sizeof *t->done_chunks);
    if (!t->done_chunks) {
        pgcdc_snapshot_plan_free(&p);
        PQclear(r);
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
    }
    t->ndone = 0;
    t->fix_from = PGCDC_INVALID_LSN;
    for (int i = 1; i < n; i++) {
        long id = atol(PQgetvalue(r, i, 0));
        pgcdc_lsn at = (pgcdc_lsn)strtoull(PQgetvalue(r, i, 2), NULL, 10);
        if (id >= 0 && (uint32_t)id < p.nranges) {
            t->done_chunks[t->ndone++] = (uint32_t)id;
            if (t->fix_from == PGCDC_INVALID_LSN || at < t->fix_from)
                t->fix_from = at;
        }
    }
    /* rows moved into finished chunks with unchanged TOAST values (fixup.c) */
    t->needs_fixup = toast && t->ndone > 0;
    PQclear(r);
    if (t->has_plan)
        pgcdc_snapshot_plan_free(&t->plan);
    t->plan = p;
    t->has_plan = true;
    *found = true;
    return PGCDC_OK;
}

/* The journal writer's before_commit hook: inside the write's transaction on
 * x->dst. Records the chunk being written (x->chunk_table), if any. */
pgcdc_code pl_snapstate_before_commit(void *userdata, pgcdc_error *err)
{
    pl_ctx *x = userdata;
    if (!x->chunk_table)
        return PGCDC_OK;
    char id[16], l[24];
    snprintf(id, sizeof id, "%u", x->chunk_id);
    snprintf(l, sizeof l, "%lld", (long long)x->chunk_lsn);
    const char *v[3] = {x->chunk_table->key, id, l};
    pgcdc_code rc = exec_for(x, "INSERT INTO %s (\"table_name\", \"chunk_id\", \"snapshot_lsn\") "
                                "VALUES ($1, CAST($2 AS integer), CAST($3 AS bigint)) ON CONFLICT DO NOTHING",
                             3, v, err);
    if (rc != PGCDC_OK)
        pgcdc_error_prefix(err, "recording snapshot chunk %s of %s as done", id, x->chunk_table->key);
    return rc;
}
