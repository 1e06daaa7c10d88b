/* catalog.c - a table's columns, types and key from the source catalog, the
 * Column Filter applied, described as the planner's pgcdc_merge_table. A
 * table without a key or with a type that cannot be mapped fails alone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pgcdc/log.h"
#include "pgcdc/types.h"
#include "pipeline_internal.h"

/* Frees the column description only (the dropped list is persisted state). */
static void clear_columns(pl_table *t)
{
    free(t->colnames);
    free(t->mcols);
    free(t->pcols);
    free(t->colptrs);
    t->colnames = NULL;
    t->mcols = NULL;
    t->pcols = NULL;
    t->colptrs = NULL;
    t->ncols = 0;
    t->described = false;
}

void pl_dropped_clear(pl_table *t)
{
    free(t->dropnames);
    free(t->dropptrs);
    t->dropnames = NULL;
    t->dropptrs = NULL;
    t->ndropped = 0;
}

pgcdc_code pl_dropped_add(pl_table *t, const char *name, pgcdc_error *err)
{
    char (*n)[64] = realloc(t->dropnames, (t->ndropped + 1) * sizeof *n);
    if (n)
        t->dropnames = n;
    const char **p = n ? realloc(t->dropptrs, (t->ndropped + 1) * sizeof *p) : NULL;
    if (!n || !p)
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
    t->dropptrs = p;
    snprintf(t->dropnames[t->ndropped], sizeof t->dropnames[0], "%s", name);
    t->ndropped++;
    for (size_t i = 0; i < t->ndropped; i++)
        t->dropptrs[i] = t->dropnames[i];
    t->mt.dropped = t->dropptrs;
    t->mt.ndropped = t->ndropped;
    return PGCDC_OK;
}

void pl_table_fix_pointers(pl_table *t)
{
    for (size_t i = 0; i < t->ncols; i++) {
        t->mcols[i].name = t->colnames[i];
        t->pcols[i].name = t->colnames[i];
        t->colptrs[i] = t->colnames[i];
    }
    for (size_t i = 0; i < t->ndropped; i++)
        t->dropptrs[i] = t->dropnames[i];
    t->mt.source_schema = t->schema;
    t->mt.source_table = t->name;
    t->mt.dest_schema = t->dest_schema;
    t->mt.dest_table = t->name;
    t->mt.columns = t->mcols;
    t->mt.ncolumns = t->ncols;
    t->mt.dropped = t->dropptrs;
    t->mt.ndropped = t->ndropped;
}

void pl_table_clear(pl_table *t)
{
    clear_columns(t);
    pl_dropped_clear(t);
    if (t->has_plan)
        pgcdc_snapshot_plan_free(&t->plan);
    t->has_plan = false;
    free(t->done_chunks);
    t->done_chunks = NULL;
    t->ndone = 0;
    pl_shape_forget(t);
}

/* The key is the replica identity index when REPLICA IDENTITY USING INDEX,
 * else the primary key: what pgoutput flags as key columns. */
static const char *columns_sql =
    "SELECT a.attname, a.atttypid, a.atttypmod, "
    "       coalesce(a.attnum = ANY(i.indkey), false) AS is_key "
    "FROM pg_attribute a "
    "JOIN pg_class c ON c.oid = a.attrelid "
    "LEFT JOIN pg_index i ON i.indrelid = c.oid AND "
    "     CASE c.relreplident WHEN 'i' THEN i.indisreplident ELSE i.indisprimary END "
    "WHERE a.attrelid = (quote_ident($1) || '.' || quote_ident($2))::regclass "
    "  AND a.attnum > 0 AND NOT a.attisdropped "
    "ORDER BY a.attnum";

pgcdc_code pl_describe(pl_ctx *x, pl_table *t, pgcdc_error *err)
{
    const char *v[2] = {t->schema, t->name};
    PGresult *r = PQexecParams(x->src, columns_sql, 2, NULL, v, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        char what[200];
        snprintf(what, sizeof what, "reading the columns of %s.%s", t->schema, t->name);
        pgcdc_code rc = pl_sql_error(x->src, r, "source", what, err);
        PQclear(r);
        return rc;
    }
    size_t n = (size_t)PQntuples(r);
    pl_colspec *cs = calloc(n ? n : 1, sizeof *cs);
    if (!cs) {
        PQclear(r);
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        snprintf(cs[i].name, sizeof cs[i].name, "%s", PQgetvalue(r, (int)i, 0));
        cs[i].oid = (uint32_t)strtoul(PQgetvalue(r, (int)i, 1), NULL, 10);
        cs[i].typmod = (int32_t)atoi(PQgetvalue(r, (int)i, 2));
        cs[i].is_key = PQgetvalue(r, (int)i, 3)[0] == 't';
    }
    PQclear(r);
    pgcdc_code rc = pl_describe_columns(x, t, cs, n, true, err);
    free(cs);
    return rc;
}

/* Builds the description from column specs (catalog, persisted, or a
 * Relation message). t's column arrays are replaced; its dropped list kept. */
pgcdc_code pl_describe_columns(pl_ctx *x, pl_table *t, const pl_colspec *cs, size_t n, bool check,
                               pgcdc_error *err)
{
    clear_columns(t);
    char (*names)[64] = calloc(n ? n : 1, sizeof *names);
    bool *is_key = calloc(n ? n : 1, sizeof *is_key);
    bool *keep = calloc(n ? n : 1, sizeof *keep);
    const char **np = calloc(n ? n : 1, sizeof *np);
    pgcdc_dest_type *types = calloc(n ? n : 1, sizeof *types);
    uint32_t *oids = calloc(n ? n : 1, sizeof *oids);
    int32_t *mods = calloc(n ? n : 1, sizeof *mods);
    pgcdc_code rc = PGCDC_OK;
    if (!names || !is_key || !keep || !np || !types || !oids || !mods) {
        rc = pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
        goto out;
    }
    size_t nkeys = 0;
    for (size_t i = 0; i < n; i++) {
        snprintf(names[i], sizeof names[i], "%s", cs[i].name);
        np[i] = names[i];
        oids[i] = cs[i].oid;
        mods[i] = cs[i].typmod;
        is_key[i] = cs[i].is_key;
        nkeys += is_key[i];
    }
    if (nkeys == 0) {
        rc = pgcdc_error_set(err, PGCDC_EUNSUPPORTED,
                             "table %s.%s has no primary key (nor a replica identity index): replication needs "
                             "a key to merge changes; add a primary key, or leave the table out", t->schema,
                             t->name);
        goto out;
    }
    pgcdc_column_filter_apply(x->filter, t->schema, t->name, np, is_key, n, keep);
    size_t nk = 0;
    for (size_t i = 0; i < n; i++) {
        if (!keep[i])
            continue;
        pgcdc_pg_type pt;
        pgcdc_error e2;
        pgcdc_code c = pgcdc_type_resolve(x->src, oids[i], mods[i], &pt, &e2);
        if (c == PGCDC_OK)
            c = pgcdc_type_map(&pt, PGCDC_DIALECT_POSTGRES, &types[i], &e2);
        if (c != PGCDC_OK) {
            rc = pgcdc_error_set(err, c == PGCDC_ECONNECT ? c : PGCDC_EUNSUPPORTED,
                                 "column %s of table %s.%s: %s", names[i], t->schema, t->name, e2.message);
            goto out;
        }
        nk++;
    }
    if (nk == 0) {
        rc = pgcdc_error_set(err, PGCDC_EUNSUPPORTED, "table %s.%s has no columns to replicate", t->schema, t->name);
        goto out;
    }
    t->colnames = calloc(nk, sizeof *t->colnames);
    t->mcols = calloc(nk, sizeof *t->mcols);
    t->pcols = calloc(nk, sizeof *t->pcols);
    t->colptrs = calloc(nk, sizeof *t->colptrs);
    if (!t->colnames || !t->mcols || !t->pcols || !t->colptrs) {
        rc = pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
        goto out;
    }
    t->key_column[0] = '\0';
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (!keep[i])
            continue;
        memcpy(t->colnames[j], names[i], sizeof names[i]);
        t->mcols[j].name = t->colnames[j];
        t->mcols[j].type = types[i];
        t->mcols[j].is_key = is_key[i];
        t->pcols[j].name = t->colnames[j];
        t->pcols[j].type_oid = oids[i];
        t->pcols[j].typmod = mods[i];
        t->pcols[j].flags = is_key[i] ? PGCDC_COLUMN_KEY : 0;
        t->colptrs[j] = t->colnames[j];
        j++;
    }
    if (nkeys == 1)
        for (size_t i = 0; i < n; i++)
            if (is_key[i])
                snprintf(t->key_column, sizeof t->key_column, "%s", names[i]);
    t->ncols = nk;

    pgcdc_buf ds = PGCDC_BUF_INIT;
    rc = pgcdc_pipeline_dest_schema(x->cfg->schema_pattern, x->dbname, t->schema, t->name, &ds, err);
    /* the pattern was checked at start-up: what is wrong here is this
     * table's name in it (too long): the table fails alone */
    if (rc == PGCDC_EINVAL)
        rc = PGCDC_EUNSUPPORTED;
    if (rc == PGCDC_OK)
        snprintf(t->dest_schema, sizeof t->dest_schema, "%s", ds.data);
    pgcdc_buf_free(&ds);
    if (rc != PGCDC_OK)
        goto out;
    if (t->journal_epoch <= 0) {
        t->journal_epoch = (int64_t)time(NULL);
        t->journal_n = 1;
    }
    memset(&t->mt, 0, sizeof t->mt);
    t->mt.dialect = PGCDC_DIALECT_POSTGRES;
    t->mt.server_major = x->dst_major;
    t->mt.ident_case = x->cfg->ident_case;
    t->mt.source_schema = t->schema;
    t->mt.source_table = t->name;
    t->mt.dest_schema = t->dest_schema;
    t->mt.dest_table = t->name;
    t->mt.columns = t->mcols;
    t->mt.ncolumns = t->ncols;
    t->mt.journal_epoch = t->journal_epoch;
    t->mt.journal_n = t->journal_n > 0 ? t->journal_n : 1;
    t->mt.dropped = t->dropptrs;
    t->mt.ndropped = t->ndropped;
    if (check && (rc = pgcdc_merge_table_check(&t->mt, err)) != PGCDC_OK) {
        if (rc == PGCDC_EINVAL)
            rc = PGCDC_EUNSUPPORTED; /* a name the destination cannot take fails the table */
        goto out;
    }
    t->described = true;
out:
    free(names);
    free(is_key);
    free(keep);
    free(np);
    free(types);
    free(oids);
    free(mods);
    return rc;
}
