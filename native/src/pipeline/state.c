/* state.c - the runner's own destination tables: the table lifecycle in
 * <state schema>."_PGCDC_TABLE_STATE", and the source position row the
 * journal writer keeps in "_PGCDC_SOURCE_STATE" (written here once: the
 * slot's consistent point after the initial snapshot). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/text_safe.h"
#include "pgcdc/log.h"
#include "pipeline_internal.h"

pgcdc_code pl_sql_error(PGconn *c, const PGresult *r, const char *side, const char *what, pgcdc_error *err)
{
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    /* A lost connection (no SQLSTATE, or the connection is gone) and an
     * interim SQLSTATE (pgcdc_sqlstate_is_interim: cancelled statement,
     * deadlock, lock not available, disk full, the server shutting down ...)
     * are PGCDC_ECONNECT: the attempt ends without touching any table's
     * state and is retried (retry.c). Everything else - the data or the
     * definitions (22, 23, 42, 0A, 21, 44, ...) - is PGCDC_ESQL, which fails
     * the table alone. The SQLSTATE goes with the error either way, so that
     * pl_error_is_interim gives the same answer from it. */
    bool interim = PQstatus(c) != CONNECTION_OK || !state || pgcdc_sqlstate_is_interim(state);
    char msg[700];
    snprintf(msg, sizeof msg, "%s", r ? PQresultErrorMessage(r) : PQerrorMessage(c));
    pgcdc_source_flatten_message(msg);
    pgcdc_code rc = pgcdc_error_set(err, interim ? PGCDC_ECONNECT : PGCDC_ESQL, "%s: %s: %s", side, what, msg);
    pgcdc_error_set_sqlstate(err, state);
    return rc;
}

const char *pl_sql_what(char *out, size_t size, const char *sql)
{
    /* the statement's start, one line (the planner's SQL spans lines) */
    pgcdc_text_copy(out, size < 101 ? size : 101, sql);
    pgcdc_text_one_line(out);
    return out;
}

pgcdc_code pl_exec_params(PGconn *c, const char *sql, int n, const char *const *vals, pgcdc_error *err)
{
    PGresult *r = PQexecParams(c, sql, n, NULL, vals, NULL, NULL, 0);
    ExecStatusType s = PQresultStatus(r);
    pgcdc_code rc = PGCDC_OK;
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
        char what[120];
        rc = pl_sql_error(c, r, "destination", pl_sql_what(what, sizeof what, sql), err);
    }
    PQclear(r);
    return rc;
}

pgcdc_code pl_query(PGconn *c, const char *sql, int n, const char *const *vals, PGresult **out, pgcdc_error *err)
{
    *out = PQexecParams(c, sql, n, NULL, vals, NULL, NULL, 0);
    if (PQresultStatus(*out) == PGRES_TUPLES_OK)
        return PGCDC_OK;
    char what[120];
    pgcdc_code rc = pl_sql_error(c, *out, "destination", pl_sql_what(what, sizeof what, sql), err);
    PQclear(*out);
    *out = NULL;
    return rc;
}

pgcdc_code pl_exec(PGconn *c, const char *sql, pgcdc_error *err)
{
    return pl_exec_params(c, sql, 0, NULL, err);
}

pgcdc_code pl_run_list(PGconn *c, const pgcdc_sql_list *l, pgcdc_error *err)
{
    for (size_t i = 0; i < l->n; i++) {
        pgcdc_code rc = pl_exec(c, pgcdc_sql_list_get(l, i), err);
        if (rc != PGCDC_OK)
            return rc;
    }
    return PGCDC_OK;
}

pgcdc_code pl_state_setup(pl_ctx *x, pgcdc_error *err)
{
    pgcdc_buf *q = &x->state_schema_q;
    if (pgcdc_ident_quote(q, PGCDC_DIALECT_POSTGRES, x->cfg->ident_case, PGCDC_PIPELINE_STATE_SCHEMA) != 0 ||
        pgcdc_buf_printf(&x->table_state_q, "%s.\"%s\"", q->data, PGCDC_PIPELINE_TABLE_STATE) != 0 ||
        pgcdc_buf_printf(&x->source_state_q, "%s.\"%s\"", q->data, PGCDC_JOURNAL_STATE_TABLE) != 0 ||
        pgcdc_buf_printf(&x->table_columns_q, "%s.\"%s\"", q->data, PL_TABLE_COLUMNS) != 0)
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
    pgcdc_buf sql = PGCDC_BUF_INIT;
    pgcdc_buf_printf(&sql, "CREATE SCHEMA IF NOT EXISTS %s", q->data);
    pgcdc_code rc = pl_exec(x->dst, sql.data, err);
    pgcdc_buf_reset(&sql);
    pgcdc_buf_printf(&sql,
                     "CREATE TABLE IF NOT EXISTS %s (\"table_name\" text PRIMARY KEY, \"state\" text NOT NULL, "
                     "\"rows_snapshotted\" bigint NOT NULL DEFAULT 0, \"journal_epoch\" bigint NOT NULL, "
                     "\"journal_n\" integer NOT NULL, \"message\" text, "
                     "\"updated_at\" timestamp without time zone)",
                     x->table_state_q.data);
    if (rc == PGCDC_OK)
        rc = pl_exec(x->dst, sql.data, err);
    pgcdc_buf_reset(&sql);
    pgcdc_buf_printf(&sql,
                     "CREATE TABLE IF NOT EXISTS %s (\"table_name\" text NOT NULL, \"pos\" integer NOT NULL, "
                     "\"name\" text NOT NULL, \"type_oid\" bigint NOT NULL, \"typmod\" integer NOT NULL, "
                     "\"is_key\" boolean NOT NULL, \"dropped\" boolean NOT NULL, "
                     "PRIMARY KEY (\"table_name\", \"dropped\", \"pos\"))",
                     x->table_columns_q.data);
    if (rc == PGCDC_OK)
        rc = pl_exec(x->dst, sql.data, err);
    pgcdc_buf_free(&sql);
    if (rc == PGCDC_OK)
        rc = pl_state_migrate(x, err); /* state_migrate.c: the (schema, table) columns */
    return rc;
}

pgcdc_code pl_columns_write(pl_ctx *x, pl_table *t, pgcdc_error *err)
{
    pgcdc_buf sql = PGCDC_BUF_INIT;
    pgcdc_buf_printf(&sql, "DELETE FROM %s WHERE \"table_name\" = $1", x->table_columns_q.data);
    const char *v1[1] = {t->key};
    pgcdc_code rc = pl_exec_params(x->dst, sql.data, 1, v1, err);
    pgcdc_buf_reset(&sql);
    pgcdc_buf_printf(&sql,
                     "INSERT INTO %s (\"table_name\", \"pos\", \"name\", \"type_oid\", \"typmod\", \"is_key\", "
                     "\"dropped\") VALUES ($1, CAST($2 AS integer), $3, CAST($4 AS bigint), CAST($5 AS integer), "
                     "CAST($6 AS boolean), CAST($7 AS boolean))",
                     x->table_columns_q.data);
    for (size_t i = 0; rc == PGCDC_OK && i < t->ncols + t->ndropped; i++) {
        bool dropped = i >= t->ncols;
        char pos[24], oid[16], mod[16];
        snprintf(pos, sizeof pos, "%zu", i);
        snprintf(oid, sizeof oid, "%u", dropped ? 0u : t->pcols[i].type_oid);
        snprintf(mod, sizeof mod, "%d", dropped ? -1 : (int)t->pcols[i].typmod);
        const char *v[7] = {t->key, pos, dropped ? t->dropnames[i - t->ncols] : t->colnames[i], oid, mod,
                            !dropped && t->mcols[i].is_key ? "true" : "false", dropped ? "true" : "false"};
        rc = pl_exec_params(x->dst, sql.data, 7, v, err);
    }
    pgcdc_buf_free(&sql);
    return rc;
}

pgcdc_code pl_columns_load(pl_ctx *x, pl_table *t, bool *found, pgcdc_error *err)
{
    *found = false;
    pgcdc_buf sql = PGCDC_BUF_INIT;
    pgcdc_buf_printf(&sql, "SELECT \"name\", \"type_oid\", \"typmod\", \"is_key\", \"dropped\" FROM %s "
                     "WHERE \"table_name\" = $1 ORDER BY \"dropped\", \"pos\"", x->table_columns_q.data);
    const char *v[1] = {t->key};
    PGresult *r = PQexecParams(x->dst, sql.data, 1, NULL, v, NULL, NULL, 0);
    pgcdc_buf_free(&sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        pgcdc_code rc = pl_sql_error(x->dst, r, "destination", "reading the table columns", err);
        PQclear(r);
        return rc;
    }
    int n = PQntuples(r);
    pl_colspec *cs = calloc(n ? (size_t)n : 1, sizeof *cs);
    if (!cs) {
        PQclear(r);
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
    }
    size_t ncs = 0;
    pgcdc_code rc = PGCDC_OK;
    pl_dropped_clear(t);
    for (int i = 0; i < n && rc == PGCDC_OK; i++) {
        if (PQgetvalue(r, i, 4)[0] == 't') {
            rc = pl_dropped_add(t, PQgetvalue(r, i, 0), err);
            continue;
        }
        snprintf(cs[ncs].name, sizeof cs[ncs].name, "%s", PQgetvalue(r, i, 0));
        cs[ncs].oid = (uint32_t)strtoul(PQgetvalue(r, i, 1), NULL, 10);
        cs[ncs].typmod = (int32_t)atoi(PQgetvalue(r, i, 2));
        cs[ncs].is_key = PQgetvalue(r, i, 3)[0] == 't';
        ncs++;
    }
    PQclear(r);
    if (rc == PGCDC_OK && ncs > 0) {
        rc = pl_describe_columns(x, t, cs, ncs, true, err);
        *found = rc == PGCDC_OK;
    }
    free(cs);
    return rc;
}

static pgcdc_code state_read(pl_ctx *x, pl_table *t, pgcdc_error *err)
{
    pgcdc_buf sql = PGCDC_BUF_INIT;
    pgcdc_buf_printf(&sql, "SELECT \"state\", \"rows_snapshotted\", \"journal_epoch\", \"journal_n\", "
                     "coalesce(\"message\", ''), coalesce(\"left_lsn\", 0) FROM %s WHERE \"table_name\" = $1",
                     x->table_state_q.data);
    const char *v[1] = {t->key};
    PGresult *r = PQexecParams(x->dst, sql.data, 1, NULL, v, NULL, NULL, 0);
    pgcdc_buf_free(&sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        pgcdc_code rc = pl_sql_error(x->dst, r, "destination", "reading the table states", err);
        PQclear(r);
        return rc;
    }
    t->had_row = PQntuples(r) == 1;
    if (t->had_row) {
        snprintf(t->state, sizeof t->state, "%s", PQgetvalue(r, 0, 0));
        t->rows_snapshotted = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
        t->journal_epoch = strtoll(PQgetvalue(r, 0, 2), NULL, 10);
        t->journal_n = atoi(PQgetvalue(r, 0, 3));
        pgcdc_text_copy(t->message, sizeof t->message, PQgetvalue(r, 0, 4));
        t->left_lsn = (pgcdc_lsn)strtoull(PQgetvalue(r, 0, 5), NULL, 10);
    } else {
        snprintf(t->state, sizeof t->state, "%s", PL_NEW);
    }
    PQclear(r);
    return PGCDC_OK;
}

pgcdc_code pl_state_load(pl_ctx *x, pl_table *t, pgcdc_error *err)
{
    pgcdc_code rc = state_read(x, t, err);
    bool claimed = false;
    /* a row of the old layout under this table's unquoted name (state_migrate.c) */
    if (rc == PGCDC_OK && !t->had_row && (rc = pl_state_claim_legacy(x, t, &claimed, err)) == PGCDC_OK && claimed)
        rc = state_read(x, t, err);
    return rc;
}

pgcdc_code pl_state_write(pl_ctx *x, pl_table *t, const char *state, pgcdc_error *err)
{
    pgcdc_buf sql = PGCDC_BUF_INIT;
    pgcdc_buf_printf(&sql,
                     "INSERT INTO %s (\"table_name\", \"state\", \"rows_snapshotted\", \"journal_epoch\", "
                     "\"journal_n\", \"message\", \"updated_at\", \"source_schema\", \"source_table\", \"left_lsn\") "
                     "VALUES ($1, $2, CAST($3 AS bigint), CAST($4 AS bigint), CAST($5 AS integer), NULLIF($6, ''), "
                     "now() AT TIME ZONE 'UTC', $7, $8, CAST(NULLIF($9, '0') AS bigint)) "
                     "ON CONFLICT (\"table_name\") DO UPDATE SET \"state\" = EXCLUDED.\"state\", "
                     "\"rows_snapshotted\" = EXCLUDED.\"rows_snapshotted\", "
                     "\"journal_epoch\" = EXCLUDED.\"journal_epoch\", \"journal_n\" = EXCLUDED.\"journal_n\", "
                     "\"message\" = EXCLUDED.\"message\", \"updated_at\" = EXCLUDED.\"updated_at\", "
                     "\"source_schema\" = EXCLUDED.\"source_schema\", \"source_table\" = EXCLUDED.\"source_table\", "
                     "\"left_lsn\" = EXCLUDED.\"left_lsn\"",
                     x->table_state_q.data);
    char rows[32], epoch[32], n[16];
    snprintf(rows, sizeof rows, "%lld", (long long)t->rows_snapshotted);
    snprintf(epoch, sizeof epoch, "%lld", (long long)t->journal_epoch);
    snprintf(n, sizeof n, "%d", t->journal_n);
    bool removed = !strcmp(state, PL_REMOVED);
    const char *msg = strcmp(state, PL_FAILED) == 0 || removed ? t->message : "";
    /* where it left: kept while it is out and while it is snapshotted again */
    char left[32];
    snprintf(left, sizeof left, "%llu",
             removed || !strcmp(state, PL_SNAPSHOT) ? (unsigned long long)t->left_lsn : 0ULL);
    const char *v[9] = {t->key, state, rows, epoch, n, msg, t->schema, t->name, left};
    pgcdc_code rc = pl_exec_params(x->dst, sql.data, 9, v, err);
    pgcdc_buf_free(&sql);
    if (rc == PGCDC_OK)
        t->had_row = true;
    return rc;
}

void pl_state_changed(pl_ctx *x, pl_table *t, const char *state)
{
    if (strcmp(t->state, state) != 0)
        pgcdc_log(strcmp(state, PL_FAILED) ? PGCDC_LOG_INFO : PGCDC_LOG_ERROR,
                  "Replication state for table %s.%s.%s changed from %s to %s", x->dbname, t->schema, t->name,
                  t->state, state);
    snprintf(t->state, sizeof t->state, "%s", state);
}

/* A table leaves the stream only once its FAILED state is durable: if the
 * state row cannot be written, the table stays registered and the attempt
 * ends (an interim error), so nothing is confirmed past the changes the
 * table would otherwise have dropped silently; the next attempt fails it
 * again. The message is stored with control characters shown, cut on a
 * character boundary (a cut through a character made the destination refuse
 * the row: 22021). */
pgcdc_code pl_fail(pl_ctx *x, pl_table *t, const char *why, pgcdc_error *err)
{
    pgcdc_error e;
    if (why && why != t->message)
        pgcdc_text_escape_controls(t->message, sizeof t->message, why);
    if (pl_state_write(x, t, PL_FAILED, &e) != PGCDC_OK) {
        pgcdc_log(PGCDC_LOG_ERROR, "table %s.%s failed (%s) but its FAILED state could not be recorded: %s",
                  t->schema, t->name, t->message, e.message);
        pgcdc_error_set(err, PGCDC_ECONNECT, "recording table %s.%s as FAILED in %s: %s (interim: the attempt "
                        "ends with nothing confirmed past the table's changes and is retried)", t->schema,
                        t->name, x->table_state_q.data, e.message);
        pgcdc_error_set_sqlstate(err, e.sqlstate);
        return PGCDC_ECONNECT;
    }
    if (t->registered) {
        pgcdc_journal_unregister(x->writer, t->schema, t->name, NULL);
        t->registered = false;
    }
    pl_state_changed(x, t, PL_FAILED);
    pgcdc_log(PGCDC_LOG_ERROR, "table %s.%s failed: %s", t->schema, t->name, t->message);
    return PGCDC_OK;
}

pgcdc_code pl_source_state_upsert(pl_ctx *x, pgcdc_lsn lsn, pgcdc_error *err)
{
    pgcdc_buf sql = PGCDC_BUF_INIT;
    pgcdc_buf_printf(&sql,
                     "INSERT INTO %s AS s (\"slot_name\", \"confirmed_lsn\", \"updated_at\") "
                     "VALUES ($1, CAST($2 AS bigint), now() AT TIME ZONE 'UTC') ON CONFLICT (\"slot_name\") DO "
                     "UPDATE SET \"confirmed_lsn\" = GREATEST(s.\"confirmed_lsn\", EXCLUDED.\"confirmed_lsn\"), "
                     "\"updated_at\" = EXCLUDED.\"updated_at\"",
                     x->source_state_q.data);
    char l[32];
    snprintf(l, sizeof l, "%lld", (long long)lsn);
    const char *v[2] = {x->slot, l};
    pgcdc_code rc = pl_exec_params(x->dst, sql.data, 2, v, err);
    pgcdc_buf_free(&sql);
    return rc;
}

/* With no Replication Slot Name configured, the slot created on the first
 * run is remembered as the one row of _PGCDC_SOURCE_STATE. */
pgcdc_code pl_remembered_slot(pl_ctx *x, char *out, size_t outlen, pgcdc_error *err)
{
    out[0] = '\0';
    const char *v[1] = {x->source_state_q.data};
    PGresult *e = PQexecParams(x->dst, "SELECT to_regclass($1) IS NOT NULL", 1, NULL, v, NULL, NULL, 0);
    if (PQresultStatus(e) != PGRES_TUPLES_OK) {
        pgcdc_code rc = pl_sql_error(x->dst, e, "destination", "looking for the source state table", err);
        PQclear(e);
        return rc;
    }
    bool exists = PQgetvalue(e, 0, 0)[0] == 't';
    PQclear(e);
    if (!exists)
        return PGCDC_OK;
    pgcdc_buf sql = PGCDC_BUF_INIT;
    pgcdc_buf_printf(&sql, "SELECT \"slot_name\" FROM %s", x->source_state_q.data);
    PGresult *r = PQexec(x->dst, sql.data);
    pgcdc_buf_free(&sql);
    pgcdc_code rc = PGCDC_OK;
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        rc = pl_sql_error(x->dst, r, "destination", "reading the remembered replication slot", err);
    else if (PQntuples(r) > 1)
        rc = pgcdc_error_set(err, PGCDC_EINVAL, "%s holds positions of %d replication slots; set %s to the one "
                             "to use", x->source_state_q.data, PQntuples(r), PGCDC_P_SLOT_NAME);
    else if (PQntuples(r) == 1)
        snprintf(out, outlen, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    return rc;
}
