/* resolve.c - a column's type OID + typmod -> pgcdc_pg_type: built-in types
 * from the static table, user types (domains, enums, composites, ranges,
 * extension types, arrays of any of them) from pg_type in one query. */
#include "types_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Sets the column typmod: on an array it constrains the element
 * (numeric(10,2)[] has typmod (10,2)), otherwise the type itself. A domain
 * column never has a typmod of its own (PostgreSQL forbids it), so this does
 * not clash with a typmod that came from the domain. */
static void apply_typmod(pgcdc_pg_type *out, int32_t typmod)
{
    out->typmod = typmod;
    if (typmod == -1)
        return;
    if (out->elem_oid)
        out->elem_typmod = typmod;
    else
        out->base_typmod = typmod;
}

/* Built-in scalar or built-in array: no query. */
static bool resolve_builtin(uint32_t oid, pgcdc_pg_type *out)
{
    const pgcdc_builtin_type *b = pgcdc_builtin_by_oid(oid);
    memset(out, 0, sizeof *out);
    out->oid = out->base_oid = oid;
    out->typmod = out->base_typmod = out->elem_typmod = -1;
    if (b) {
        out->typtype = out->base_typtype = b->typtype;
        snprintf(out->name, sizeof out->name, "%s", b->typname);
        return true;
    }
    b = pgcdc_builtin_by_array_oid(oid);
    if (b) {
        out->typtype = out->base_typtype = 'b';
        snprintf(out->name, sizeof out->name, "_%s", b->typname);
        out->elem_oid = b->oid;
        out->elem_typtype = b->typtype;
        out->elem_delim = b->delim;
        return true;
    }
    return false;
}

/* One row of the chain query. */
typedef struct chain_row {
    uint32_t oid;
    char typtype;
    int32_t typtypmod;
    bool is_array;
    char delim;
    const char *nspname;
    const char *typname;
} chain_row;

/* The type, then each type it leads to: a domain to its base type, an array
 * to its element. Arrays are recognised like PostgreSQL does (typcategory
 * 'A', varlena, with an element), which leaves out int2vector/oidvector and
 * the fixed-length "name". The OID is an integer we format ourselves, and
 * the simple query protocol is the one a replication connection accepts. */
static const char chain_sql[] =
    "WITH RECURSIVE chain(depth, oid, typtype, typtypmod, is_array, next_oid, typdelim, nspname, typname) AS ("
    " SELECT 0, t.oid, t.typtype, t.typtypmod,"
    "        t.typcategory = 'A' AND t.typlen = -1 AND t.typelem <> 0,"
    "        CASE WHEN t.typtype = 'd' THEN t.typbasetype"
    "             WHEN t.typcategory = 'A' AND t.typlen = -1 THEN t.typelem END,"
    "        t.typdelim, n.nspname, t.typname"
    "   FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace"
    "  WHERE t.oid = %u"
    " UNION ALL"
    " SELECT c.depth + 1, t.oid, t.typtype, t.typtypmod,"
    "        t.typcategory = 'A' AND t.typlen = -1 AND t.typelem <> 0,"
    "        CASE WHEN t.typtype = 'd' THEN t.typbasetype"
    "             WHEN t.typcategory = 'A' AND t.typlen = -1 THEN t.typelem END,"
    "        t.typdelim, n.nspname, t.typname"
    "   FROM chain c JOIN pg_catalog.pg_type t ON t.oid = c.next_oid"
    "   JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace"
    "  WHERE c.depth < 16)"
    " SELECT oid, typtype, typtypmod, is_array, typdelim, nspname, typname FROM chain ORDER BY depth";

static void row_at(PGresult *r, int i, chain_row *row)
{
    row->oid = (uint32_t)strtoul(PQgetvalue(r, i, 0), NULL, 10);
    row->typtype = PQgetvalue(r, i, 1)[0];
    row->typtypmod = (int32_t)strtol(PQgetvalue(r, i, 2), NULL, 10);
    row->is_array = PQgetvalue(r, i, 3)[0] == 't';
    row->delim = PQgetvalue(r, i, 4)[0];
    row->nspname = PQgetvalue(r, i, 5);
    row->typname = PQgetvalue(r, i, 6);
    /* A built-in type is what the table says, whatever the catalog shape. */
    const pgcdc_builtin_type *b = pgcdc_builtin_by_oid(row->oid);
    if (b)
        row->is_array = false;
    else if (pgcdc_builtin_by_array_oid(row->oid))
        row->is_array = true;
}

/* Follows domains from row *i: returns the typmod the last domain set (or
 * mod unchanged) and leaves *i at the first non-domain row. */
static int32_t skip_domains(PGresult *r, int n, int *i, int32_t mod)
{
    chain_row row;
    for (; *i < n; (*i)++) {
        row_at(r, *i, &row);
        if (row.typtype != 'd')
            break;
        if (row.typtypmod != -1)
            mod = row.typtypmod;
    }
    return mod;
}

static pgcdc_code resolve_query(PGconn *conn, uint32_t oid, pgcdc_pg_type *out, pgcdc_error *err)
{
    char sql[sizeof chain_sql + 16];
    snprintf(sql, sizeof sql, chain_sql, oid);
    PGresult *r = PQexec(conn, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        pgcdc_code code = PQstatus(conn) == CONNECTION_BAD ? PGCDC_ECONNECT : PGCDC_ESQL;
        pgcdc_error_set(err, code, "looking up type OID %u in pg_type failed: %s", oid,
                        PQerrorMessage(conn));
        PQclear(r);
        return code;
    }
    int n = PQntuples(r);
    if (n == 0) {
        PQclear(r);
        return pgcdc_error_set(err, PGCDC_ENOTFOUND,
                               "type OID %u does not exist on the source (was it dropped?)", oid);
    }
    chain_row row;
    memset(out, 0, sizeof *out);
    row_at(r, 0, &row);
    out->oid = oid;
    out->typtype = row.typtype;
    if (strcmp(row.nspname, "pg_catalog") == 0)
        snprintf(out->name, sizeof out->name, "%s", row.typname);
    else
        snprintf(out->name, sizeof out->name, "%s.%s", row.nspname, row.typname);

    int i = 0;
    int32_t mod = skip_domains(r, n, &i, -1);
    if (i >= n) { /* a domain whose base vanished: cannot happen in a consistent catalog */
        PQclear(r);
        return pgcdc_error_set(err, PGCDC_ENOTFOUND, "the base type of domain %s (OID %u) was not found",
                               out->name, oid);
    }
    row_at(r, i, &row);
    out->base_oid = row.oid;
    out->base_typtype = row.typtype;
    out->base_typmod = mod;
    out->typmod = -1;
    out->elem_typmod = -1;
    if (row.is_array && i + 1 < n) {
        /* The delimiter PostgreSQL uses in array text is the element type's
         * (a domain copies its base type's). */
        chain_row elem;
        row_at(r, i + 1, &elem);
        out->elem_delim = elem.delim;
        int j = i + 1;
        /* An array's typmod constrains its element; a domain on the element
         * may bring its own. */
        out->elem_typmod = skip_domains(r, n, &j, mod);
        out->base_typmod = -1;
        if (j < n) {
            row_at(r, j, &elem);
            out->elem_oid = elem.oid;
            out->elem_typtype = elem.typtype;
        }
    }
    PQclear(r);
    if (out->base_typtype == 'd' || (out->elem_oid == 0 && out->elem_delim))
        return pgcdc_error_set(err, PGCDC_ENOTFOUND, "type %s (OID %u) could not be resolved to a base type",
                               out->name, oid);
    return PGCDC_OK;
}

pgcdc_code pgcdc_type_resolve(PGconn *conn, uint32_t oid, int32_t typmod, pgcdc_pg_type *out, pgcdc_error *err)
{
    if (!out)
        return pgcdc_error_set(err, PGCDC_EINVAL, "pgcdc_type_resolve: out is NULL");
    if (!resolve_builtin(oid, out)) {
        if (!conn)
            return pgcdc_error_set(err, PGCDC_EINVAL,
                                   "type OID %u is not a built-in type and no connection was given to look it up",
                                   oid);
        pgcdc_code rc = resolve_query(conn, oid, out, err);
        if (rc != PGCDC_OK)
            return rc;
    }
    apply_typmod(out, typmod);
    return PGCDC_OK;
}

/* ---- the cache ---- */

/* User types of one database, resolved without a typmod. A plain array with
 * a linear scan: a database has tens of user types, and lookups happen per
 * Relation message, not per value. */
struct pgcdc_type_cache {
    pgcdc_pg_type *entries;
    size_t n, cap;
};

pgcdc_code pgcdc_type_cache_new(pgcdc_type_cache **out, pgcdc_error *err)
{
    *out = calloc(1, sizeof **out);
    return *out ? PGCDC_OK : pgcdc_out_nomem(err);
}

void pgcdc_type_cache_free(pgcdc_type_cache *cache)
{
    if (!cache)
        return;
    free(cache->entries);
    free(cache);
}

void pgcdc_type_cache_invalidate(pgcdc_type_cache *cache, uint32_t oid)
{
    if (!cache)
        return;
    if (oid == 0) {
        cache->n = 0;
        return;
    }
    /* Only this entry: a resolution chain cannot change under an OID
     * (PostgreSQL allows no ALTER of a domain's base type or of an array's
     * element; a dropped and re-created type gets a new OID). What can change
     * is the name (ALTER TYPE ... RENAME / SET SCHEMA). */
    for (size_t i = 0; i < cache->n; i++) {
        if (cache->entries[i].oid == oid) {
            cache->entries[i] = cache->entries[--cache->n];
            return;
        }
    }
}

pgcdc_code pgcdc_type_resolve_cached(pgcdc_type_cache *cache, PGconn *conn, uint32_t oid, int32_t typmod,
                                     pgcdc_pg_type *out, pgcdc_error *err)
{
    if (!cache || oid < PGCDC_FIRST_USER_OID)
        return pgcdc_type_resolve(conn, oid, typmod, out, err);
    for (size_t i = 0; i < cache->n; i++) {
        if (cache->entries[i].oid == oid) {
            *out = cache->entries[i];
            apply_typmod(out, typmod);
            return PGCDC_OK;
        }
    }
    pgcdc_code rc = pgcdc_type_resolve(conn, oid, -1, out, err);
    if (rc != PGCDC_OK)
        return rc;
    if (cache->n == cache->cap) {
        size_t cap = cache->cap ? cache->cap * 2 : 16;
        pgcdc_pg_type *e = realloc(cache->entries, cap * sizeof *e);
        if (!e)
            return pgcdc_out_nomem(err);
        cache->entries = e;
        cache->cap = cap;
    }
    cache->entries[cache->n++] = *out;
    apply_typmod(out, typmod);
    return PGCDC_OK;
}
