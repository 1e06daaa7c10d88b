/* state_migrate.c - state rows written before they were keyed by the
 * (schema, table) pair (issue 8, item 4).
 *
 * Earlier versions keyed every state table's rows by the unquoted
 * "schema.table", so a."b.c" and "a.b".c shared one row. The key is now
 * pl_table_key's: unchanged for a name without a dot or a double quote in
 * either part (the rows of such tables are taken as they are), quoted
 * otherwise. _PGCDC_TABLE_STATE also gets the pair itself, "source_schema"
 * and "source_table", for whoever reads it with SQL (and "left_lsn", where a
 * REMOVED table left the included set: rejoin.c).
 *
 * A row of the old layout whose key cannot be split with certainty (it has
 * more than one dot, or a quote) keeps NULL in those columns until the table
 * it belongs to loads its state: the table whose unquoted name it is, and
 * whose destination table exists (the other table of that name never
 * created its own), takes it over (pl_state_claim_legacy) - its key and the
 * keys of its rows in the other state tables are rewritten to the new one,
 * in one transaction. When two included tables had shared it (both
 * replicated), the first to load takes it and the other starts as a table
 * this destination has not seen: its destination table is not reused, so it
 * fails with the message that says so. */
#include <stdio.h>
#include <string.h>

#include "pgcdc/connector.h"
#include "pgcdc/log.h"
#include "pipeline_internal.h"

/* the state tables keyed by "table_name" besides _PGCDC_TABLE_STATE */
static const char *const keyed[] = {"_PGCDC_TABLE_COLUMNS", "_PGCDC_TABLE_PREV_COLUMNS", "_PGCDC_SNAPSHOT_CHUNKS"};

/* Is there anything to migrate? Asked with a plain read first: the ALTER
 * takes an ACCESS EXCLUSIVE lock even when the columns exist, and the UPDATE
 * a ROW EXCLUSIVE one, so running them at every start would wait on (and
 * time out behind) anyone reading or locking the state table. */
static pgcdc_code migration_needed(pl_ctx *x, bool *needed, pgcdc_error *err)
{
    pgcdc_buf sql = PGCDC_BUF_INIT;
    pgcdc_buf_printf(&sql,
                     "SELECT (SELECT count(*) FROM pg_attribute WHERE attrelid = $1::regclass AND NOT attisdropped "
                     "AND attname IN ('source_schema', 'source_table', 'left_lsn')) < 3 OR EXISTS (SELECT 1 FROM %s "
                     "WHERE \"source_schema\" IS NULL AND \"table_name\" ~ '^[^.\"]+[.][^.\"]+$')",
                     x->table_state_q.data);
    const char *v[1] = {x->table_state_q.data};
    PGresult *r = NULL;
    /* a table without the columns cannot run the EXISTS: ask for them alone first */
    pgcdc_code rc = pl_query(x->dst,
                             "SELECT count(*) < 3 FROM pg_attribute WHERE attrelid = $1::regclass AND NOT attisdropped "
                             "AND attname IN ('source_schema', 'source_table', 'left_lsn')",
                             1, v, &r, err);
    if (rc == PGCDC_OK && PQgetvalue(r, 0, 0)[0] == 't') {
        *needed = true;
    } else if (rc == PGCDC_OK) {
        PQclear(r);
        r = NULL;
        rc = pl_query(x->dst, sql.data, 1, v, &r, err);
        if (rc == PGCDC_OK)
            *needed = PQgetvalue(r, 0, 0)[0] == 't';
    }
    PQclear(r);
    pgcdc_buf_free(&sql);
    return rc;
}

pgcdc_code pl_state_migrate(pl_ctx *x, pgcdc_error *err)
{
    bool needed = false;
    pgcdc_code rc = migration_needed(x, &needed, err);
    if (rc != PGCDC_OK || !needed)
        return rc;
    pgcdc_buf sql = PGCDC_BUF_INIT;
    pgcdc_buf_printf(&sql,
                     "ALTER TABLE %s ADD COLUMN IF NOT EXISTS \"source_schema\" text, "
                     "ADD COLUMN IF NOT EXISTS \"source_table\" text, "
                     "ADD COLUMN IF NOT EXISTS \"left_lsn\" bigint",
                     x->table_state_q.data);
    rc = pl_exec(x->dst, sql.data, err);
    /* one dot and no quote: the old key is the new one, and splits one way */
    pgcdc_buf_reset(&sql);
    pgcdc_buf_printf(&sql,
                     "UPDATE %s SET \"source_schema\" = split_part(\"table_name\", '.', 1), "
                     "\"source_table\" = split_part(\"table_name\", '.', 2) "
                     "WHERE \"source_schema\" IS NULL AND \"table_name\" ~ '^[^.\"]+[.][^.\"]+$'",
                     x->table_state_q.data);
    if (rc == PGCDC_OK)
        rc = pl_exec(x->dst, sql.data, err);
    pgcdc_buf_free(&sql);
    return rc;
}

static pgcdc_code rekey(pl_ctx *x, const char *table, const char *legacy, const char *key, pgcdc_error *err)
{
    pgcdc_buf q = PGCDC_BUF_INIT, sql = PGCDC_BUF_INIT;
    pgcdc_buf_printf(&q, "%s.\"%s\"", x->state_schema_q.data, table);
    const char *v[1] = {q.data};
    PGresult *r = NULL;
    pgcdc_code rc = pl_query(x->dst, "SELECT to_regclass($1) IS NOT NULL", 1, v, &r, err);
    if (rc == PGCDC_OK && PQgetvalue(r, 0, 0)[0] == 't') {
        pgcdc_buf_printf(&sql, "UPDATE %s SET \"table_name\" = $1 WHERE \"table_name\" = $2", q.data);
        const char *p[2] = {key, legacy};
        rc = pl_exec_params(x->dst, sql.data, 2, p, err);
    }
    PQclear(r);
    pgcdc_buf_free(&q);
    pgcdc_buf_free(&sql);
    return rc;
}

/* Does t's destination table (Destination Schema Pattern, t's name) exist?
 * The table an old row belonged to created it; the other table reading
 * the same unquoted name did not (unless both replicated, sharing the row). */
static pgcdc_code dest_exists(pl_ctx *x, const pl_table *t, bool *exists, pgcdc_error *err)
{
    pgcdc_buf ds = PGCDC_BUF_INIT, q = PGCDC_BUF_INIT;
    pgcdc_code rc = pgcdc_pipeline_dest_schema(x->cfg->schema_pattern, x->dbname, t->schema, t->name, &ds, err);
    if (rc == PGCDC_OK && (pgcdc_ident_quote(&q, PGCDC_DIALECT_POSTGRES, x->cfg->ident_case, ds.data) != 0 ||
                           pgcdc_buf_puts(&q, ".") != 0 ||
                           pgcdc_ident_quote(&q, PGCDC_DIALECT_POSTGRES, x->cfg->ident_case, t->name) != 0))
        rc = pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
    PGresult *r = NULL;
    const char *v[1] = {q.data};
    if (rc == PGCDC_OK)
        rc = pl_query(x->dst, "SELECT to_regclass($1) IS NOT NULL", 1, v, &r, err);
    *exists = rc == PGCDC_OK && PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    pgcdc_buf_free(&ds);
    pgcdc_buf_free(&q);
    return rc;
}

pgcdc_code pl_state_claim_legacy(pl_ctx *x, pl_table *t, bool *claimed, pgcdc_error *err)
{
    *claimed = false;
    char legacy[PL_KEY_MAX];
    snprintf(legacy, sizeof legacy, "%s.%s", t->schema, t->name);
    if (!strcmp(legacy, t->key))
        return PGCDC_OK; /* the same key in both layouts */
    bool exists = false;
    pgcdc_code drc = dest_exists(x, t, &exists, err);
    if (drc != PGCDC_OK || !exists)
        return drc; /* not the table that wrote the row */
    pgcdc_buf sql = PGCDC_BUF_INIT;
    pgcdc_buf_printf(&sql,
                     "UPDATE %s SET \"table_name\" = $1, \"source_schema\" = $2, \"source_table\" = $3 "
                     "WHERE \"table_name\" = $4 AND \"source_schema\" IS NULL RETURNING 1",
                     x->table_state_q.data);
    const char *v[4] = {t->key, t->schema, t->name, legacy};
    PGresult *r = NULL;
    /* inside the caller's transaction if one is open, else in its own */
    bool own = PQtransactionStatus(x->dst) == PQTRANS_IDLE;
    pgcdc_code rc = own ? pl_exec(x->dst, "BEGIN", err) : PGCDC_OK;
    if (rc == PGCDC_OK)
        rc = pl_query(x->dst, sql.data, 4, v, &r, err);
    *claimed = rc == PGCDC_OK && PQntuples(r) == 1;
    PQclear(r);
    for (size_t i = 0; *claimed && rc == PGCDC_OK && i < sizeof keyed / sizeof *keyed; i++)
        rc = rekey(x, keyed[i], legacy, t->key, err);
    if (own && rc == PGCDC_OK)
        rc = pl_exec(x->dst, *claimed ? "COMMIT" : "ROLLBACK", err);
    else if (own)
        PQclear(PQexec(x->dst, "ROLLBACK"));
    pgcdc_buf_free(&sql);
    if (rc != PGCDC_OK)
        *claimed = false;
    if (*claimed)
        pgcdc_log(PGCDC_LOG_INFO, "table %s.%s takes over the state row \"%s\" written before states were keyed by "
                  "schema and table; its key is now %s", t->schema, t->name, legacy, t->key);
    return rc;
}
