/* shape_prev.c - a table's shape before its last schema change, for the
 * transaction that made the change.
 *
 * A transaction that writes a table, ALTERs it and writes it again has rows
 * of both shapes. The runner applies the change when it first meets the new
 * shape, then reads the transaction again from the durable position; this
 * time its first rows arrive with a Relation message of the OLD shape, which
 * no longer matches the table. That shape, remembered with the transaction's
 * xid, is accepted inside that transaction only (the journal maps values by
 * column name: a column added later is NULL in those rows). It is saved in
 * <state schema>."_PGCDC_TABLE_PREV_COLUMNS" in the schema change's own
 * transaction, so a crash before the transaction is written does not lose
 * it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline_internal.h"

#define PREV_COLUMNS "_PGCDC_TABLE_PREV_COLUMNS"

static pgcdc_code exec_on(pl_ctx *x, const char *fmt, int n, const char *const *vals, pgcdc_error *err)
{
    pgcdc_buf sql = PGCDC_BUF_INIT;
    pgcdc_code rc = PGCDC_OK;
    if (pgcdc_buf_printf(&sql, fmt, x->state_schema_q.data, PREV_COLUMNS) != 0)
        rc = pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
    if (rc == PGCDC_OK)
        rc = pl_exec_params(x->dst, sql.data, n, vals, err);
    pgcdc_buf_free(&sql);
    return rc;
}

pgcdc_code pl_shape_setup(pl_ctx *x, pgcdc_error *err)
{
    return exec_on(x,
                   "CREATE TABLE IF NOT EXISTS %s.\"%s\" (\"table_name\" text NOT NULL, \"xid\" bigint NOT NULL, "
                   "\"pos\" integer NOT NULL, \"name\" text NOT NULL, \"type_oid\" bigint NOT NULL, "
                   "\"typmod\" integer NOT NULL, \"is_key\" boolean NOT NULL, PRIMARY KEY (\"table_name\", \"pos\"))",
                   0, NULL, err);
}

pgcdc_code pl_shape_remember(pl_table *t, uint32_t xid, pgcdc_error *err)
{
    pl_shape_forget(t);
    if (!(t->prev = pl_table_specs(t)))
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
    t->nprev = t->ncols;
    t->prev_xid = xid;
    return PGCDC_OK;
}

pgcdc_code pl_shape_write(pl_ctx *x, const pl_table *t, pgcdc_error *err)
{
    const char *v1[1] = {t->key};
    pgcdc_code rc = exec_on(x, "DELETE FROM %s.\"%s\" WHERE \"table_name\" = $1", 1, v1, err);
    char xid[16], pos[24], oid[16], mod[16];
    snprintf(xid, sizeof xid, "%u", t->prev_xid);
    for (size_t i = 0; rc == PGCDC_OK && i < t->nprev; i++) {
        snprintf(pos, sizeof pos, "%zu", i);
        snprintf(oid, sizeof oid, "%u", t->prev[i].oid);
        snprintf(mod, sizeof mod, "%d", (int)t->prev[i].typmod);
        const char *v[7] = {t->key, xid, pos, t->prev[i].name, oid, mod, t->prev[i].is_key ? "true" : "false"};
        rc = exec_on(x,
                     "INSERT INTO %s.\"%s\" VALUES ($1, CAST($2 AS bigint), CAST($3 AS integer), $4, "
                     "CAST($5 AS bigint), CAST($6 AS integer), CAST($7 AS boolean))",
                     7, v, err);
    }
    return rc;
}

pgcdc_code pl_shape_load(pl_ctx *x, pl_table *t, pgcdc_error *err)
{
    pl_shape_forget(t);
    pgcdc_buf sql = PGCDC_BUF_INIT;
    if (pgcdc_buf_printf(&sql,
                         "SELECT \"xid\", \"name\", \"type_oid\", \"typmod\", \"is_key\" FROM %s.\"%s\" "
                         "WHERE \"table_name\" = $1 ORDER BY \"pos\"",
                         x->state_schema_q.data, PREV_COLUMNS) != 0)
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
    const char *v[1] = {t->key};
    PGresult *r;
    pgcdc_code rc = pl_query(x->dst, sql.data, 1, v, &r, err);
    pgcdc_buf_free(&sql);
    if (rc != PGCDC_OK)
        return rc;
    int n = PQntuples(r);
    if (n > 0 && (t->prev = calloc((size_t)n, sizeof *t->prev))) {
        t->nprev = (size_t)n;
        t->prev_xid = (uint32_t)strtoul(PQgetvalue(r, 0, 0), NULL, 10);
        for (int i = 0; i < n; i++) {
            snprintf(t->prev[i].name, sizeof t->prev[i].name, "%s", PQgetvalue(r, i, 1));
            t->prev[i].oid = (uint32_t)strtoul(PQgetvalue(r, i, 2), NULL, 10);
            t->prev[i].typmod = (int32_t)atoi(PQgetvalue(r, i, 3));
            t->prev[i].is_key = PQgetvalue(r, i, 4)[0] == 't';
        }
    }
    PQclear(r);
    return n > 0 && !t->prev ? pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory") : PGCDC_OK;
}

bool pl_relation_matches_prev(pl_ctx *x, const pl_table *t, const pgcdc_relation *rel, uint32_t xid)
{
    return t->prev && xid == t->prev_xid && pl_relation_equals(x, t, rel, t->prev, t->nprev);
}

void pl_shape_forget(pl_table *t)
{
    free(t->prev);
    t->prev = NULL;
    t->nprev = 0;
}
