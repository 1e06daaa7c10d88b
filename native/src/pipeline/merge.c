/* merge.c - destination tables created and merged with the planner's SQL;
 * every lifecycle step is written in the same destination transaction as the
 * data it describes (table creation, the snapshot's merge). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pgcdc/crashpoint.h"
#include "pgcdc/log.h"
#include "pipeline_internal.h"

static void rollback(PGconn *c)
{
    PQclear(PQexec(c, "ROLLBACK"));
}

/* One statement of a merge. With the change stream open (x->live), the
 * statement is sent asynchronously and the stream ticked while it runs: a
 * merge may take longer than the source's wal_sender_timeout, and a stream
 * that sends no status update for that long is dropped by the server - on
 * every attempt, as the same merge comes again. A stream that breaks
 * meanwhile is left for the next read to report. */
static pgcdc_code exec_alive(pl_ctx *x, const char *sql, int n, const char *const *vals, pgcdc_error *err)
{
    if (!x->live)
        return pl_exec_params(x->dst, sql, n, vals, err);
    char what[120];
    if (!PQsendQueryParams(x->dst, sql, n, NULL, vals, NULL, NULL, 0))
        return pl_sql_error(x->dst, NULL, "destination", pl_sql_what(what, sizeof what, sql), err);
    bool ticking = true;
    while (PQisBusy(x->dst)) {
        struct pollfd p = {.fd = PQsocket(x->dst), .events = POLLIN};
        if (poll(&p, 1, 100) < 0 && errno != EINTR)
            break;
        if (!PQconsumeInput(x->dst))
            break; /* the connection is gone: PQgetResult says so */
        pgcdc_error e;
        if (ticking && pgcdc_stream_tick(x->live, &e) != PGCDC_OK) {
            ticking = false;
            pgcdc_log(PGCDC_LOG_WARN, "the change stream broke during a merge (the merge goes on): %s", e.message);
        }
    }
    pgcdc_code rc = PGCDC_OK;
    PGresult *r;
    while ((r = PQgetResult(x->dst)) != NULL) {
        ExecStatusType s = PQresultStatus(r);
        if (rc == PGCDC_OK && s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
            rc = pl_sql_error(x->dst, r, "destination", pl_sql_what(what, sizeof what, sql), err);
        PQclear(r);
    }
    return rc;
}

pgcdc_code pl_create_dest(pl_ctx *x, pl_table *t, const char *state, pgcdc_error *err)
{
    pgcdc_sql_list l;
    pgcdc_sql_list_init(&l);
    pgcdc_code rc = pgcdc_merge_sql_create_schema(&t->mt, &l, err);
    if (rc == PGCDC_OK)
        rc = pgcdc_merge_sql_create_state(&t->mt, &l, err);
    if (rc == PGCDC_OK)
        rc = pgcdc_merge_sql_create_table(&t->mt, &l, err);
    if (rc == PGCDC_OK)
        rc = pgcdc_merge_sql_create_journal(&t->mt, &l, err);
    if (rc == PGCDC_OK)
        rc = pl_exec(x->dst, "BEGIN", err);
    if (rc == PGCDC_OK) {
        rc = pl_run_list(x->dst, &l, err);
        if (rc == PGCDC_OK)
            rc = pl_state_write(x, t, state, err);
        if (rc == PGCDC_OK)
            rc = pl_columns_write(x, t, err);
        if (rc == PGCDC_OK)
            rc = pl_exec(x->dst, "COMMIT", err);
        else
            rollback(x->dst);
    }
    pgcdc_sql_list_free(&l);
    if (rc == PGCDC_ESQL)
        pgcdc_error_prefix(err, "creating the destination of %s.%s (a destination table that already exists "
                           "and is not recorded in %s is not reused: drop it or change %s)",
                           t->schema, t->name, x->table_state_q.data, PGCDC_P_DEST_SCHEMA_PATTERN);
    return rc;
}

/* A table that is snapshotted again (the previous attempt never finished):
 * its destination table, created by pgcdc, is dropped, its merged position
 * forgotten and a new journal generation started. */
pgcdc_code pl_restart_dest(pl_ctx *x, pl_table *t, pgcdc_error *err)
{
    if (!t->had_row)
        return PGCDC_OK;
    pgcdc_buf q = PGCDC_BUF_INIT, sql = PGCDC_BUF_INIT, dest = PGCDC_BUF_INIT;
    pgcdc_sql_list l;
    pgcdc_sql_list_init(&l);
    pgcdc_code rc = pgcdc_merge_dest_qualified(&t->mt, &q, err);
    if (rc == PGCDC_OK)
        rc = pgcdc_merge_dest_name(&t->mt, &dest, err);
    if (rc == PGCDC_OK)
        rc = pgcdc_merge_sql_create_schema(&t->mt, &l, err);
    if (rc == PGCDC_OK)
        rc = pgcdc_merge_sql_create_state(&t->mt, &l, err);
    if (rc == PGCDC_OK)
        rc = pl_exec(x->dst, "BEGIN", err);
    if (rc == PGCDC_OK) {
        pgcdc_buf_printf(&sql, "DROP TABLE IF EXISTS %s", q.data);
        rc = pl_run_list(x->dst, &l, err);
        if (rc == PGCDC_OK)
            rc = pl_exec(x->dst, sql.data, err);
        pgcdc_sql_list_reset(&l);
        if (rc == PGCDC_OK)
            rc = pgcdc_merge_sql_reset_state(&t->mt, &l, err);
        const char *p[4] = {"0", "0", dest.data, ""};
        if (rc == PGCDC_OK)
            rc = pl_exec_params(x->dst, pgcdc_sql_list_get(&l, 0), 4, p, err);
        if (rc == PGCDC_OK)
            rc = pl_exec(x->dst, "COMMIT", err);
        else
            rollback(x->dst);
    }
    if (rc == PGCDC_OK) {
        int64_t now = (int64_t)time(NULL);
        t->journal_epoch = now > t->journal_epoch ? now : t->journal_epoch + 1;
        t->journal_n = 1;
        t->mt.journal_epoch = t->journal_epoch;
        t->mt.journal_n = 1;
        t->rows_snapshotted = 0;
        pgcdc_log(PGCDC_LOG_INFO, "table %s.%s is snapshotted again: its unfinished destination table was dropped",
                  t->schema, t->name);
    }
    pgcdc_sql_list_free(&l);
    pgcdc_buf_free(&q);
    pgcdc_buf_free(&sql);
    pgcdc_buf_free(&dest);
    return rc;
}

static pgcdc_code merge_with(pl_ctx *x, pl_table *t, int64_t bound_lsn, int64_t bound_seq, const char *new_state,
                             bool initial, pgcdc_error *err)
{
    pgcdc_sql_list l;
    pgcdc_buf dest = PGCDC_BUF_INIT, journal = PGCDC_BUF_INIT;
    pgcdc_sql_list_init(&l);
    /* a snapshot taken while streaming may land in a destination table that
     * already holds rows (a table back in the included set): the rows it no
     * longer has are soft-deleted with it (the statement finds nothing to do
     * in a table created for this snapshot) */
    bool snapshot = new_state && !strcmp(new_state, PL_INCREMENTAL) && bound_seq == -1;
    pgcdc_code rc = initial    ? pgcdc_merge_sql_initial_load(&t->mt, &l, err)
                    : snapshot ? pgcdc_merge_sql_resnapshot(&t->mt, &l, err)
                               : pgcdc_merge_sql_merge(&t->mt, &l, err);
    if (rc == PGCDC_OK)
        rc = pgcdc_merge_dest_name(&t->mt, &dest, err);
    if (rc == PGCDC_OK)
        rc = pgcdc_merge_journal_name(&t->mt, &journal, err);
    char lsn[32], seq[32];
    snprintf(lsn, sizeof lsn, "%lld", (long long)bound_lsn);
    snprintf(seq, sizeof seq, "%lld", (long long)bound_seq);
    const char *p[4] = {lsn, seq, dest.data, journal.data};
    if (rc == PGCDC_OK)
        rc = pl_exec(x->dst, "BEGIN", err);
    if (rc == PGCDC_OK) {
        for (size_t i = 0; i < l.n && rc == PGCDC_OK; i++)
            rc = exec_alive(x, pgcdc_sql_list_get(&l, i), 4, p, err);
        if (rc == PGCDC_OK && new_state)
            rc = pl_state_write(x, t, new_state, err);
        if (rc == PGCDC_OK)
            pgcdc_crashpoint("merge-before-commit");
        if (rc == PGCDC_OK)
            rc = pl_exec(x->dst, "COMMIT", err);
        else
            rollback(x->dst);
    }
    pgcdc_sql_list_free(&l);
    pgcdc_buf_free(&dest);
    pgcdc_buf_free(&journal);
    if (rc == PGCDC_OK && new_state)
        pl_state_changed(x, t, new_state);
    return rc;
}

pgcdc_code pl_merge(pl_ctx *x, pl_table *t, int64_t bound_lsn, int64_t bound_seq, const char *new_state,
                    pgcdc_error *err)
{
    return merge_with(x, t, bound_lsn, bound_seq, new_state, false, err);
}

pgcdc_code pl_merge_initial(pl_ctx *x, pl_table *t, int64_t bound_lsn, int64_t bound_seq, const char *new_state,
                            pgcdc_error *err)
{
    return merge_with(x, t, bound_lsn, bound_seq, new_state, true, err);
}

/* Merges every replicating table up to the durable position: bound
 * (durable - 1, INT64_MAX), docs/journal.md. A merge the destination refuses
 * for the data or the definitions (pl_error_is_interim false: 22, 23, 42 -
 * permissions too -, 0A, 21, 44, the planner's EUNSUPPORTED/EVALUE) fails
 * that table alone. An interim error (a lost connection, a cancelled
 * statement, a deadlock, a lock or disk-full error ...) or running out of
 * memory is no fault of the table: it is returned, the attempt ends with no
 * table's state touched, and the next attempt merges everything (retry.c). */
pgcdc_code pl_merge_all(pl_ctx *x, pgcdc_error *err)
{
    if (x->durable == PGCDC_INVALID_LSN)
        return PGCDC_OK;
    for (size_t i = 0; i < x->ntables; i++) {
        pl_table *t = &x->tables[i];
        if (!t->registered || strcmp(t->state, PL_INCREMENTAL) != 0)
            continue;
        pgcdc_error e;
        pgcdc_code rc = pl_merge(x, t, (int64_t)x->durable - 1, INT64_MAX, NULL, &e);
        if (rc == PGCDC_OK)
            continue;
        if (pl_error_is_interim(rc, &e) || rc == PGCDC_ENOMEM) {
            if (err)
                *err = e;
            return rc;
        }
        if ((rc = pl_fail(x, t, e.message, err)) != PGCDC_OK)
            return rc;
    }
    return PGCDC_OK;
}
