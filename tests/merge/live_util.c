/* live_util.c - see live_util.h. */
#include "live_util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pgt.h"

static void die(const char *what, const pgcdc_error *err)
{
    fprintf(stderr, "merge test: %s: %s\n", what, err->message);
    exit(1);
}

void lu_run_list(PGconn *conn, const pgcdc_sql_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        pgt_exec(conn, "%s", pgcdc_sql_list_get(l, i));
}

void lu_setup(PGconn *conn, const pgcdc_merge_table *t)
{
    pgcdc_sql_list l;
    pgcdc_error err;
    pgcdc_sql_list_init(&l);
    if (pgcdc_merge_sql_create_schema(t, &l, &err) != PGCDC_OK || pgcdc_merge_sql_create_state(t, &l, &err) != PGCDC_OK ||
        pgcdc_merge_sql_create_table(t, &l, &err) != PGCDC_OK ||
        pgcdc_merge_sql_create_journal(t, &l, &err) != PGCDC_OK)
        die("setup", &err);
    lu_run_list(conn, &l);
    pgcdc_sql_list_free(&l);
}

void lu_create_journal(PGconn *conn, const pgcdc_merge_table *t)
{
    pgcdc_sql_list l;
    pgcdc_error err;
    pgcdc_sql_list_init(&l);
    if (pgcdc_merge_sql_create_journal(t, &l, &err) != PGCDC_OK)
        die("journal", &err);
    lu_run_list(conn, &l);
    pgcdc_sql_list_free(&l);
}

static char qbuf[2][512];

static const char *qualified(const pgcdc_merge_table *t, int which)
{
    pgcdc_buf b = PGCDC_BUF_INIT;
    pgcdc_error err;
    if ((which ? pgcdc_merge_journal_qualified(t, &b, &err) : pgcdc_merge_dest_qualified(t, &b, &err)) != PGCDC_OK)
        die("name", &err);
    snprintf(qbuf[which], sizeof qbuf[which], "%s", b.data);
    pgcdc_buf_free(&b);
    return qbuf[which];
}

const char *lu_dest(const pgcdc_merge_table *t)
{
    return qualified(t, 0);
}

const char *lu_journal_name(const pgcdc_merge_table *t)
{
    return qualified(t, 1);
}

void lu_journal(PGconn *conn, const pgcdc_merge_table *t, const char *cols, const char *vals, int64_t lsn,
                int64_t seq, char op, const char *unchanged)
{
    pgt_exec(conn,
             "INSERT INTO %s (%s%s\"_PGCDC_LSN\", \"_PGCDC_SEQ\", \"_PGCDC_OP\", \"_PGCDC_COMMIT_TIME\", "
             "\"_PGCDC_UNCHANGED\") VALUES (%s%s%" PRId64 ", %" PRId64 ", '%c', now(), %s)",
             lu_journal_name(t), cols, *cols ? ", " : "", vals, *vals ? ", " : "", lsn, seq, op,
             unchanged ? unchanged : "NULL");
}

/* Runs l in one transaction with the four planner parameters. */
static int run_params(PGconn *conn, const pgcdc_merge_table *t, const pgcdc_sql_list *l, int64_t lsn, int64_t seq)
{
    pgcdc_error err;
    pgcdc_buf key = PGCDC_BUF_INIT, jn = PGCDC_BUF_INIT;
    if (pgcdc_merge_dest_name(t, &key, &err) != PGCDC_OK || pgcdc_merge_journal_name(t, &jn, &err) != PGCDC_OK)
        die("names", &err);
    char lsn_s[32], seq_s[32];
    snprintf(lsn_s, sizeof lsn_s, "%" PRId64, lsn);
    snprintf(seq_s, sizeof seq_s, "%" PRId64, seq);
    /* no paramTypes: the statements cast their parameters themselves */
    const char *params[PGCDC_MERGE_NPARAMS] = {lsn_s, seq_s, key.data, jn.data};
    int rc = 0;
    pgt_exec(conn, "BEGIN");
    for (size_t i = 0; i < l->n && rc == 0; i++) {
        PGresult *r = PQexecParams(conn, pgcdc_sql_list_get(l, i), PGCDC_MERGE_NPARAMS, NULL, params, NULL, NULL, 0);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            fprintf(stderr, "statement %zu failed: %s", i + 1, PQerrorMessage(conn));
            rc = -1;
        }
        PQclear(r);
    }
    pgt_exec(conn, rc == 0 ? "COMMIT" : "ROLLBACK");
    pgcdc_buf_free(&key);
    pgcdc_buf_free(&jn);
    return rc;
}

int lu_merge(PGconn *conn, const pgcdc_merge_table *t, int64_t lsn, int64_t seq)
{
    pgcdc_sql_list l;
    pgcdc_error err;
    pgcdc_sql_list_init(&l);
    if (pgcdc_merge_sql_merge(t, &l, &err) != PGCDC_OK)
        die("merge plan", &err);
    int rc = run_params(conn, t, &l, lsn, seq);
    pgcdc_sql_list_free(&l);
    return rc;
}

int lu_reset(PGconn *conn, const pgcdc_merge_table *t)
{
    pgcdc_sql_list l;
    pgcdc_error err;
    pgcdc_sql_list_init(&l);
    if (pgcdc_merge_sql_reset_state(t, &l, &err) != PGCDC_OK)
        die("reset plan", &err);
    int rc = run_params(conn, t, &l, 0, 0);
    pgcdc_sql_list_free(&l);
    return rc;
}

char *lu_dump(PGconn *conn, const pgcdc_merge_table *t, const char *cols, const char *order)
{
    return pgt_query_value(conn, "SELECT string_agg(r::text, E'\\n' ORDER BY %s) FROM (SELECT %s FROM %s) r", order,
                           cols, lu_dest(t));
}
