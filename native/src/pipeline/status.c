/* status.c - what `pgcdc status` shows: each table's persisted state, rows
 * snapshotted and last merged position (destination), the slot's lag
 * (source). Read-only on both sides. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgcdc/journal.h"
#include "pgcdc/slot.h"
#include "pipeline_internal.h"

void pgcdc_pipeline_status_free(pgcdc_pipeline_status *st)
{
    free(st->tables);
    memset(st, 0, sizeof *st);
}

static pgcdc_code query_error(PGconn *c, PGresult *r, const char *what, pgcdc_error *err)
{
    char msg[600];
    snprintf(msg, sizeof msg, "%s", r ? PQresultErrorMessage(r) : PQerrorMessage(c));
    pgcdc_source_flatten_message(msg);
    return pgcdc_error_set(err, PQstatus(c) == CONNECTION_OK ? PGCDC_ESQL : PGCDC_ECONNECT, "%s: %s", what, msg);
}

/* The merged LSN of one table from its schema's _PGCDC_MERGE_STATE. */
static pgcdc_lsn merged_lsn(PGconn *dst, const pgcdc_pipeline_config *cfg, const char *db, const char *schema_table)
{
    char schema[64], table[64];
    if (pl_table_key_parse(schema_table, schema, table, NULL) != PGCDC_OK)
        return 0;
    pgcdc_buf ds = PGCDC_BUF_INIT, q = PGCDC_BUF_INIT, name = PGCDC_BUF_INIT, sql = PGCDC_BUF_INIT;
    pgcdc_lsn out = 0;
    if (pgcdc_pipeline_dest_schema(cfg->schema_pattern, db, schema, table, &ds, NULL) == PGCDC_OK &&
        pgcdc_ident_quote(&q, PGCDC_DIALECT_POSTGRES, cfg->ident_case, ds.data) == 0 &&
        pgcdc_ident_resolve(&name, cfg->ident_case, table) == 0 &&
        pgcdc_buf_printf(&sql, "SELECT merged_lsn FROM %s.\"_PGCDC_MERGE_STATE\" WHERE table_name = $1",
                         q.data) == 0) {
        char reg[300];
        snprintf(reg, sizeof reg, "%s.\"_PGCDC_MERGE_STATE\"", q.data);
        const char *v[2] = {name.data, reg};
        PGresult *e = PQexecParams(dst, "SELECT to_regclass($1) IS NOT NULL", 1, NULL, v + 1, NULL, NULL, 0);
        bool exists = PQresultStatus(e) == PGRES_TUPLES_OK && PQgetvalue(e, 0, 0)[0] == 't';
        PQclear(e);
        if (exists) {
            PGresult *r = PQexecParams(dst, sql.data, 1, NULL, v, NULL, NULL, 0);
            if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
                out = (pgcdc_lsn)strtoull(PQgetvalue(r, 0, 0), NULL, 10);
            PQclear(r);
        }
    }
    pgcdc_buf_free(&ds);
    pgcdc_buf_free(&q);
    pgcdc_buf_free(&name);
    pgcdc_buf_free(&sql);
    return out;
}

pgcdc_code pgcdc_pipeline_status_read(const pgcdc_pipeline_config *cfg, pgcdc_pipeline_status *out,
                                      pgcdc_error *err)
{
    memset(out, 0, sizeof *out);
    out->slot_lag_bytes = -1;
    PGconn *dst = NULL, *src = NULL;
    pgcdc_buf ss = PGCDC_BUF_INIT, sql = PGCDC_BUF_INIT;
    PGresult *r = NULL;
    pgcdc_code rc = pgcdc_source_connect(&cfg->dest, false, &dst, err);
    if (rc != PGCDC_OK) {
        pgcdc_error_prefix(err, "destination");
        goto out;
    }
    pgcdc_ident_quote(&ss, PGCDC_DIALECT_POSTGRES, cfg->ident_case, PGCDC_PIPELINE_STATE_SCHEMA);
    char reg[200];
    snprintf(reg, sizeof reg, "%s.\"%s\"", ss.data, PGCDC_PIPELINE_TABLE_STATE);
    const char *v[1] = {reg};
    r = PQexecParams(dst, "SELECT to_regclass($1) IS NOT NULL", 1, NULL, v, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        rc = query_error(dst, r, "destination", err);
        goto out;
    }
    if (PQgetvalue(r, 0, 0)[0] != 't') {
        rc = pgcdc_error_set(err, PGCDC_ENOTFOUND, "the destination has no %s yet: pgcdc run has not run "
                             "against it", reg);
        goto out;
    }
    PQclear(r);
    /* left_lsn through to_jsonb: a destination pgcdc run has not upgraded yet lacks the column */
    pgcdc_buf_printf(&sql, "SELECT \"table_name\", \"state\", \"rows_snapshotted\", coalesce(\"message\", ''), "
                     "coalesce(to_jsonb(s) ->> 'left_lsn', '0') FROM %s s ORDER BY 1", reg);
    r = PQexec(dst, sql.data);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        rc = query_error(dst, r, "reading the table states", err);
        goto out;
    }
    out->ntables = (size_t)PQntuples(r);
    out->tables = calloc(out->ntables ? out->ntables : 1, sizeof *out->tables);
    if (!out->tables) {
        rc = pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < out->ntables; i++) {
        pgcdc_pipeline_table_status *t = &out->tables[i];
        snprintf(t->table, sizeof t->table, "%s", PQgetvalue(r, (int)i, 0));
        snprintf(t->state, sizeof t->state, "%s", PQgetvalue(r, (int)i, 1));
        t->rows_snapshotted = strtoll(PQgetvalue(r, (int)i, 2), NULL, 10);
        snprintf(t->message, sizeof t->message, "%s", PQgetvalue(r, (int)i, 3));
        t->left_lsn = (pgcdc_lsn)strtoull(PQgetvalue(r, (int)i, 4), NULL, 10);
    }
    PQclear(r);
    r = NULL;
    /* the source database name feeds ${source.database.name}: ask the source */
    if ((rc = pgcdc_source_connect(&cfg->source, false, &src, err)) != PGCDC_OK)
        goto out;
    for (size_t i = 0; i < out->ntables; i++)
        out->tables[i].merged_lsn = merged_lsn(dst, cfg, PQdb(src), out->tables[i].table);
    /* slot: the configured one, else the one remembered in the destination */
    if (cfg->source.slot_name)
        snprintf(out->slot_name, sizeof out->slot_name, "%s", cfg->source.slot_name);
    pgcdc_buf_reset(&sql);
    pgcdc_buf_printf(&sql, "SELECT \"slot_name\", \"confirmed_lsn\" FROM %s.\"%s\"", ss.data,
                     PGCDC_JOURNAL_STATE_TABLE);
    r = PQexec(dst, sql.data);
    if (PQresultStatus(r) == PGRES_TUPLES_OK) {
        for (int i = 0; i < PQntuples(r); i++)
            if (!out->slot_name[0] || !strcmp(out->slot_name, PQgetvalue(r, i, 0))) {
                snprintf(out->slot_name, sizeof out->slot_name, "%s", PQgetvalue(r, i, 0));
                out->durable_lsn = (pgcdc_lsn)strtoull(PQgetvalue(r, i, 1), NULL, 10);
            }
    }
    PQclear(r);
    r = NULL;
    if (out->slot_name[0]) {
        const char *sv[1] = {out->slot_name};
        r = PQexecParams(src, "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint "
                         "FROM pg_replication_slots WHERE slot_name = $1", 1, NULL, sv, NULL, NULL, 0);
        if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && !PQgetisnull(r, 0, 0))
            out->slot_lag_bytes = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    }
out:
    PQclear(r);
    pgcdc_buf_free(&ss);
    pgcdc_buf_free(&sql);
    if (src)
        PQfinish(src);
    if (dst)
        PQfinish(dst);
    if (rc != PGCDC_OK)
        pgcdc_pipeline_status_free(out);
    return rc;
}
