/* state.c - the source-position table <schema>."_PGCDC_SOURCE_STATE": one row
 * per slot, moved in the same transaction as the journal rows it covers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journal_internal.h"
#include "pgcdc/merge.h"

pgcdc_code jstate_qualified(const char *schema, pgcdc_ident_case c, pgcdc_buf *out, pgcdc_error *err)
{
    if (!schema || !*schema)
        return pgcdc_error_set(err, PGCDC_EINVAL, "journal: the state schema is empty: set the destination schema");
    if (pgcdc_ident_quote(out, PGCDC_DIALECT_POSTGRES, c, schema) != 0 || pgcdc_buf_putc(out, '.') != 0 ||
        pgcdc_ident_quote(out, PGCDC_DIALECT_POSTGRES, PGCDC_IDENT_CASE_SENSITIVE, PGCDC_JOURNAL_STATE_TABLE) != 0)
        return pgcdc_error_set(err, PGCDC_ENOMEM, "journal: out of memory");
    return PGCDC_OK;
}

pgcdc_code jstate_upsert(PGconn *conn, const char *qualified, const char *slot, int64_t lsn, pgcdc_lsn *durable,
                         pgcdc_error *err)
{
    pgcdc_buf sql = PGCDC_BUF_INIT;
    /* only forward: writing an older batch again must not move the position back */
    if (pgcdc_buf_printf(&sql,
                         "INSERT INTO %s AS s (\"slot_name\", \"confirmed_lsn\", \"updated_at\") "
                         "VALUES ($1, CAST($2 AS bigint), now() AT TIME ZONE 'UTC') "
                         "ON CONFLICT (\"slot_name\") DO UPDATE SET "
                         "\"confirmed_lsn\" = GREATEST(s.\"confirmed_lsn\", EXCLUDED.\"confirmed_lsn\"), "
                         "\"updated_at\" = EXCLUDED.\"updated_at\" RETURNING s.\"confirmed_lsn\"",
                         qualified) != 0) {
        pgcdc_buf_free(&sql);
        return pgcdc_error_set(err, PGCDC_ENOMEM, "journal: out of memory");
    }
    char lsn_text[24];
    snprintf(lsn_text, sizeof lsn_text, "%lld", (long long)lsn);
    const char *params[2] = {slot, lsn_text};
    PGresult *r = PQexecParams(conn, sql.data, 2, NULL, params, NULL, NULL, 0);
    pgcdc_buf_free(&sql);
    pgcdc_code rc = PGCDC_OK;
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
        rc = jsql_error(conn, r, "the source-position update", err);
    else
        *durable = (pgcdc_lsn)strtoull(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return rc;
}

static pgcdc_code exec_simple(PGconn *conn, const char *sql, const char *what, pgcdc_error *err)
{
    PGresult *r = PQexec(conn, sql);
    pgcdc_code rc = PGCDC_OK;
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        rc = jsql_error(conn, r, what, err);
    PQclear(r);
    return rc;
}

pgcdc_code jstate_setup(PGconn *conn, const char *schema, pgcdc_ident_case c, pgcdc_error *err)
{
    pgcdc_buf q = PGCDC_BUF_INIT, sql = PGCDC_BUF_INIT;
    pgcdc_code rc = jstate_qualified(schema, c, &q, err);
    if (rc == PGCDC_OK && (pgcdc_buf_puts(&sql, "CREATE SCHEMA IF NOT EXISTS ") != 0 ||
                           pgcdc_ident_quote(&sql, PGCDC_DIALECT_POSTGRES, c, schema) != 0 ||
                           pgcdc_buf_printf(&sql,
                                            ";\nCREATE TABLE IF NOT EXISTS %s (\n"
                                            "  \"slot_name\" text PRIMARY KEY,\n"
                                            "  \"confirmed_lsn\" bigint NOT NULL,\n"
                                            "  \"updated_at\" timestamp without time zone\n)",
                                            q.data) != 0))
        rc = pgcdc_error_set(err, PGCDC_ENOMEM, "journal: out of memory");
    if (rc == PGCDC_OK)
        rc = exec_simple(conn, "BEGIN", "BEGIN", err);
    if (rc == PGCDC_OK) {
        rc = exec_simple(conn, sql.data, "creating the source-position table", err);
        if (rc == PGCDC_OK)
            rc = exec_simple(conn, "COMMIT", "COMMIT", err);
        else
            PQclear(PQexec(conn, "ROLLBACK"));
    }
    pgcdc_buf_free(&q);
    pgcdc_buf_free(&sql);
    return rc;
}

pgcdc_code pgcdc_journal_durable_lsn(PGconn *conn, const char *state_schema, pgcdc_ident_case c,
                                     const char *slot_name, pgcdc_lsn *out, pgcdc_error *err)
{
    *out = 0;
    if (!slot_name || !*slot_name)
        return pgcdc_error_set(err, PGCDC_EINVAL, "journal: the slot name is empty");
    pgcdc_buf q = PGCDC_BUF_INIT, sql = PGCDC_BUF_INIT;
    pgcdc_code rc = jstate_qualified(state_schema, c, &q, err);
    if (rc != PGCDC_OK)
        goto done;
    /* to_regclass: a missing table (first run) is position 0, not an error */
    const char *p1[1] = {q.data};
    PGresult *r = PQexecParams(conn, "SELECT to_regclass($1) IS NOT NULL", 1, NULL, p1, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        rc = jsql_error(conn, r, "reading the source position", err);
        PQclear(r);
        goto done;
    }
    bool exists = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    if (!exists)
        goto done;
    if (pgcdc_buf_printf(&sql, "SELECT \"confirmed_lsn\" FROM %s WHERE \"slot_name\" = $1", q.data) != 0) {
        rc = pgcdc_error_set(err, PGCDC_ENOMEM, "journal: out of memory");
        goto done;
    }
    const char *p2[1] = {slot_name};
    r = PQexecParams(conn, sql.data, 1, NULL, p2, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        rc = jsql_error(conn, r, "reading the source position", err);
    else if (PQntuples(r) == 1)
        *out = (pgcdc_lsn)strtoull(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
done:
    pgcdc_buf_free(&q);
    pgcdc_buf_free(&sql);
    return rc;
}
