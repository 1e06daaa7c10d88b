/* table_resolve.c - the included tables of a live source: the selection
 * (Included Table Names ∪ Included Table Regex) intersected with what the
 * publication publishes, with a warning for everything that is skipped.
 *
 * One catalog query lists every table with whether the publication
 * publishes it, one of its partitions, or one of its ancestors; that is
 * enough to tell "not in the publication" from "published through its
 * root / its partitions" (publish_via_partition_root). It reads only
 * pg_publication_tables, pg_class, pg_namespace and pg_inherits, which
 * every role can read. */
#include "pgcdc/tables.h"
#include "pgcdc/log.h"
#include "ingest/tables_internal.h"
#include "common/text_safe.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const CATALOG_SQL =
    "WITH RECURSIVE pub AS ("
    "  SELECT c.oid FROM pg_catalog.pg_publication_tables pt"
    "  JOIN pg_catalog.pg_namespace n ON n.nspname = pt.schemaname"
    "  JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = pt.tablename"
    "  WHERE pt.pubname = $1),"
    " anc(rel, up) AS ("
    "  SELECT i.inhrelid, i.inhparent FROM pg_catalog.pg_inherits i"
    "  JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid WHERE c.relispartition"
    "  UNION SELECT a.rel, i.inhparent FROM anc a JOIN pg_catalog.pg_inherits i ON i.inhrelid = a.up)"
    " SELECT n.nspname, c.relname,"
    "  pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname),"
    "  c.relkind = 'p', c.relispartition, c.relpersistence = 'u', c.oid IN (SELECT oid FROM pub),"
    "  EXISTS (SELECT 1 FROM anc WHERE anc.rel = c.oid AND anc.up IN (SELECT oid FROM pub)),"
    "  EXISTS (SELECT 1 FROM anc WHERE anc.up = c.oid AND anc.rel IN (SELECT oid FROM pub))"
    " FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
    " WHERE c.relkind IN ('r', 'p') AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'";

enum { COL_SCHEMA, COL_TABLE, COL_QNAME, COL_PARTITIONED, COL_PARTITION, COL_UNLOGGED, COL_IN_PUB,
       COL_ANCESTOR_IN_PUB, COL_DESCENDANT_IN_PUB };

/* Tables matched by the regex but not published are named one by one up to
 * this many, then summed up in one line: a broad regex over a big database
 * must not bury the other messages. */
#define MAX_REGEX_SKIP_WARNINGS 20

typedef struct resolver {
    const pgcdc_table_selection *sel;
    PGresult *tables;
    char pub[200];   /* quoted by the server, for the ALTER PUBLICATION hints */
    bool all_tables;
    bool via_root_possible; /* publish_via_partition_root exists (PostgreSQL 13+) */
    pgcdc_table_set *out;
} resolver;

__attribute__((format(printf, 2, 3)))
static void warn(resolver *r, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    r->out->nwarnings++;
    if (!sel_warned_before(r->sel, msg)) /* once per selection, not on every resolution */
        pgcdc_log(PGCDC_LOG_WARN, "%s", msg);
}

static bool flag(const resolver *r, int row, int col)
{
    return PQgetvalue(r->tables, row, col)[0] == 't';
}

static pgcdc_code query_failed(PGconn *conn, const char *what, PGresult *res, pgcdc_error *err)
{
    char msg[600];
    snprintf(msg, sizeof msg, "%s", res ? PQresultErrorMessage(res) : PQerrorMessage(conn));
    msg[strcspn(msg, "\n")] = '\0';
    if (res)
        PQclear(res);
    pgcdc_code code = PQstatus(conn) == CONNECTION_BAD ? PGCDC_ECONNECT : PGCDC_ESQL;
    return pgcdc_error_set(err, code, "could not %s: %s", what, msg[0] ? msg : "the connection was lost");
}

/* pubname quoted and whether it is FOR ALL TABLES; ENOTFOUND if missing. */
static pgcdc_code load_publication(resolver *r, PGconn *conn, const char *publication, pgcdc_error *err)
{
    const char *params[1] = {publication};
    PGresult *res = PQexecParams(conn, "SELECT pg_catalog.quote_ident(pubname), puballtables FROM "
                                       "pg_catalog.pg_publication WHERE pubname = $1",
                                 1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        return query_failed(conn, "read publication", res, err);
    if (PQntuples(res) == 0) {
        PQclear(res);
        return pgcdc_error_set(err, PGCDC_ENOTFOUND,
                               "publication \"%.*s\" does not exist in database \"%.*s\": ask the database "
                               "administrator to create it, e.g. CREATE PUBLICATION %.*s FOR TABLE app.orders;",
                               PGCDC_UTF8_PREC(publication, 100), publication, PGCDC_UTF8_PREC(PQdb(conn), 100),
                               PQdb(conn), PGCDC_UTF8_PREC(publication, 100), publication);
    }
    snprintf(r->pub, sizeof r->pub, "%s", PQgetvalue(res, 0, 0));
    r->all_tables = PQgetvalue(res, 0, 1)[0] == 't';
    PQclear(res);
    return PGCDC_OK;
}

static int find_row(const resolver *r, const char *schema, const char *table)
{
    for (int i = 0; i < PQntuples(r->tables); i++)
        if (strcmp(PQgetvalue(r->tables, i, COL_SCHEMA), schema) == 0 &&
            strcmp(PQgetvalue(r->tables, i, COL_TABLE), table) == 0)
            return i;
    return -1;
}

/* Explains why a selected table that is not published is skipped. */
static void warn_unpublished(resolver *r, int row, const char *how)
{
    const char *q = PQgetvalue(r->tables, row, COL_QNAME);
    if (flag(r, row, COL_PARTITIONED) && flag(r, row, COL_DESCENDANT_IN_PUB) && !r->via_root_possible)
        warn(r, "table %s %s, but PostgreSQL before 13 cannot publish a partitioned table as one table: it is "
                "skipped; include its partitions (published by %s) instead", q, how, r->pub);
    else if (flag(r, row, COL_PARTITIONED) && flag(r, row, COL_DESCENDANT_IN_PUB))
        warn(r, "table %s %s, but publication %s publishes its partitions as separate tables "
                "(publish_via_partition_root = false): it is skipped; to replicate it as one table run "
                "ALTER PUBLICATION %s SET (publish_via_partition_root = true);", q, how, r->pub, r->pub);
    else if (flag(r, row, COL_PARTITION) && flag(r, row, COL_ANCESTOR_IN_PUB))
        warn(r, "table %s %s, but it is a partition and publication %s publishes its changes under its partitioned "
                "root table (publish_via_partition_root = true): it is skipped; include the root table instead",
             q, how, r->pub);
    else if (flag(r, row, COL_UNLOGGED))
        warn(r, "table %s %s, but it is unlogged and unlogged tables are never published (their changes are not "
                "in the WAL): it is skipped; to replicate it run ALTER TABLE %s SET LOGGED; and add it to "
                "publication %s", q, how, q, r->pub);
    else if (r->all_tables)
        warn(r, "table %s %s, but publication %s (FOR ALL TABLES) does not publish it (unlogged and temporary "
                "tables are never published): it is skipped", q, how, r->pub);
    else
        warn(r, "table %s %s, but it is not in publication %s: it is skipped; to replicate it run "
                "ALTER PUBLICATION %s ADD TABLE %s;", q, how, r->pub, r->pub, q);
}

static int cmp_tables(const void *a, const void *b)
{
    const pgcdc_included_table *x = a, *y = b;
    int c = strcmp(x->schema, y->schema);
    return c ? c : strcmp(x->table, y->table);
}

static pgcdc_code collect(resolver *r, pgcdc_error *err)
{
    const pgcdc_table_selection *sel = r->sel;
    int ntables = PQntuples(r->tables);
    r->out->tables = calloc(ntables ? (size_t)ntables : 1, sizeof *r->out->tables);
    if (!r->out->tables)
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory listing the included tables");
    size_t regex_hits = 0, regex_skipped = 0;
    for (int i = 0; i < ntables; i++) {
        const char *schema = PQgetvalue(r->tables, i, COL_SCHEMA), *table = PQgetvalue(r->tables, i, COL_TABLE);
        bool by_name = sel_name_index(sel, schema, table) >= 0;
        bool by_regex = sel_regex_matches(sel, schema, table);
        if (!by_name && !by_regex)
            continue;
        if (flag(r, i, COL_IN_PUB)) {
            pgcdc_included_table *t = &r->out->tables[r->out->n++];
            snprintf(t->schema, sizeof t->schema, "%s", schema);
            snprintf(t->table, sizeof t->table, "%s", table);
            t->by_name = by_name;
            t->by_regex = by_regex;
            regex_hits += by_regex;
        } else if (by_name) {
            warn_unpublished(r, i, "is listed in " PGCDC_P_INCLUDED_TABLE_NAMES);
        } else if (!flag(r, i, COL_PARTITION)) {
            /* partitions matched by the regex are covered by their root's
             * warning or inclusion; listing each would only be noise */
            if (++regex_skipped <= MAX_REGEX_SKIP_WARNINGS)
                warn_unpublished(r, i, "matches " PGCDC_P_INCLUDED_TABLE_REGEX);
        }
    }
    if (regex_skipped > MAX_REGEX_SKIP_WARNINGS)
        warn(r, "%zu more tables match " PGCDC_P_INCLUDED_TABLE_REGEX " but are not in publication %s: they are "
                "skipped", regex_skipped - MAX_REGEX_SKIP_WARNINGS, r->pub);
    for (size_t k = 0; k < sel->nnames; k++)
        if (find_row(r, sel->names[k].schema, sel->names[k].table) < 0)
            warn(r, "table \"%s\".\"%s\" is listed in " PGCDC_P_INCLUDED_TABLE_NAMES " but does not exist: it is "
                    "skipped (names are case-sensitive, as in the catalog)", sel->names[k].schema,
                 sel->names[k].table);
    if (sel->regex && regex_hits == 0)
        warn(r, PGCDC_P_INCLUDED_TABLE_REGEX " \"%.*s\" matches no table of publication %s (it is matched "
                "against the whole of schema.table)", PGCDC_UTF8_PREC(sel->regex, 200), sel->regex, r->pub);
    if (r->out->n == 0)
        warn(r, "no table is included: none of the selected tables is in publication %s", r->pub);
    qsort(r->out->tables, r->out->n, sizeof *r->out->tables, cmp_tables);
    return PGCDC_OK;
}

pgcdc_code pgcdc_table_selection_resolve(const pgcdc_table_selection *sel, PGconn *conn, const char *publication,
                                         pgcdc_table_set *out, pgcdc_error *err)
{
    memset(out, 0, sizeof *out);
    if (!publication || !*publication)
        return pgcdc_error_set(err, PGCDC_EINVAL, "Publication Name is not set: the included tables are those of "
                                                  "the publication");
    resolver r = {.sel = sel, .out = out, .via_root_possible = PQserverVersion(conn) >= 130000};
    pgcdc_code rc = load_publication(&r, conn, publication, err);
    if (rc != PGCDC_OK)
        return rc;
    const char *params[1] = {publication};
    r.tables = PQexecParams(conn, CATALOG_SQL, 1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(r.tables) != PGRES_TUPLES_OK)
        return query_failed(conn, "list the tables of the publication", r.tables, err);
    rc = collect(&r, err);
    PQclear(r.tables);
    if (rc != PGCDC_OK)
        pgcdc_table_set_free(out);
    return rc;
}

void pgcdc_table_set_free(pgcdc_table_set *set)
{
    if (!set)
        return;
    free(set->tables);
    set->tables = NULL;
    set->n = 0;
}

const pgcdc_included_table *pgcdc_table_set_find(const pgcdc_table_set *set, const char *schema, const char *table)
{
    if (!set || !set->n)
        return NULL;
    pgcdc_included_table key;
    snprintf(key.schema, sizeof key.schema, "%s", schema);
    snprintf(key.table, sizeof key.table, "%s", table);
    return bsearch(&key, set->tables, set->n, sizeof *set->tables, cmp_tables);
}
