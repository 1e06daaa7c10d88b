/* plan.c - cutting a table into chunks that connections can read in
 * parallel and that a crashed snapshot can resume from.
 *
 * CTID page ranges are the default on PostgreSQL 14+, where
 * `ctid >= '(p,0)' AND ctid < '(q,0)'` is a TID range scan that reads just
 * those pages: chunks cost what the table costs, whatever its key. Below 14
 * the same condition is a full scan with a filter, so each chunk would read
 * the whole table; there a single-column integer key (NOT NULL, as a primary
 * key is) gives key ranges read through its index, and without one the table
 * is one chunk unless the caller asks for a minimum number of chunks (then
 * exactly that many CTID ranges, one per connection: every chunk scans the
 * table but only formats and sends its own rows, which is where COPY spends
 * its time).
 *
 * Key bounds come from percentiles of a TABLESAMPLE SYSTEM sample of the key
 * (a few thousand pages at most), so skewed keys still give even chunks.
 * Sizes are measured with pg_relation_size, not relpages, which is only as
 * fresh as the last VACUUM/ANALYZE. The number of chunks follows the size
 * WITH the TOAST relation (heap + TOAST heap): 8 rows of 16 MB take one heap
 * page but 128 MB to read, and a chunk is what one COPY sends. */
#include "snapshot_internal.h"
#include "pgcdc/log.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_TARGET_BYTES (32ull << 20)
#define SAMPLE_MIN_PAGES 1000.0 /* pages a key sample reads at least (if the table has them) */
#define SAMPLE_PAGES_PER_CHUNK 20.0

typedef struct table_facts {
    char relkind;
    int64_t total_bytes; /* all partitions, TOAST included: what the chunks are sized by */
    int64_t heap_bytes;  /* all partitions, main fork only: what key samples are sized by */
    int64_t max_bytes;   /* the largest partition (the table itself when not partitioned) */
    int block_size;
    int64_t est_rows;    /* -1 unknown */
} table_facts;

static pgcdc_code sql_failed(PGconn *conn, PGresult *res, const char *what, pgcdc_error *err)
{
    char msg[PGCDC_ERROR_MAX / 2];
    snprintf(msg, sizeof msg, "%s", PQerrorMessage(conn));
    pgcdc_source_flatten_message(msg);
    pgcdc_code code = PQstatus(conn) == CONNECTION_OK ? PGCDC_ESQL : PGCDC_ECONNECT;
    PQclear(res);
    return pgcdc_error_set(err, code, "%s: %s", what, msg);
}

static pgcdc_code table_facts_get(PGconn *conn, const char *schema, const char *table, table_facts *f,
                                  pgcdc_error *err)
{
    /* For a partitioned table, sizes and estimates are those of its leaf
     * partitions (pg_partition_tree, PostgreSQL 12+). The row estimate is
     * scaled to the current size as the planner does: reltuples / relpages
     * is the density last measured. relpages = 0 with pages present means
     * never analyzed (as does reltuples = -1 on 14+). */
    static const char sql[] =
        "WITH t AS (SELECT c.oid, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        "           WHERE n.nspname = $1 AND c.relname = $2),"
        " leaf AS (SELECT p.oid, p.relpages, p.reltuples, pg_relation_size(p.oid) AS bytes,"
        "                 pg_relation_size(p.oid) + CASE WHEN p.reltoastrelid <> 0"
        "                   THEN pg_relation_size(p.reltoastrelid) ELSE 0 END AS total"
        "          FROM t, pg_class p"
        "          WHERE p.oid IN (SELECT t.oid UNION ALL"
        "                          SELECT relid FROM pg_partition_tree(t.oid) WHERE isleaf AND t.relkind = 'p')"
        "            AND p.relkind IN ('r', 'm'))"
        " SELECT t.relkind, coalesce((SELECT sum(total) FROM leaf), 0)::int8,"
        "        coalesce((SELECT max(bytes) FROM leaf), 0)::int8, current_setting('block_size')::int,"
        "        (SELECT CASE WHEN bool_or(relpages = 0 AND bytes > 0) OR bool_or(reltuples < 0) THEN -1"
        "                     ELSE coalesce(sum(CASE WHEN relpages > 0"
        "                          THEN reltuples / relpages * (bytes / current_setting('block_size')::int)"
        "                          ELSE 0 END), 0) END::int8 FROM leaf),"
        "        coalesce((SELECT sum(bytes) FROM leaf), 0)::int8"
        " FROM t";
    const char *params[2] = {schema, table};
    PGresult *res = PQexecParams(conn, sql, 2, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        return sql_failed(conn, res, "could not read the size of the table to snapshot", err);
    if (PQntuples(res) == 0) {
        PQclear(res);
        return pgcdc_error_set(err, PGCDC_ENOTFOUND, "table %s.%s does not exist (or is not visible to this user)",
                               schema, table);
    }
    f->relkind = PQgetvalue(res, 0, 0)[0];
    f->total_bytes = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
    f->max_bytes = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
    f->block_size = atoi(PQgetvalue(res, 0, 3));
    f->est_rows = strtoll(PQgetvalue(res, 0, 4), NULL, 10);
    f->heap_bytes = strtoll(PQgetvalue(res, 0, 5), NULL, 10);
    PQclear(res);
    if (f->relkind != 'r' && f->relkind != 'p' && f->relkind != 'm')
        return pgcdc_error_set(err, PGCDC_EINVAL,
                               "%s.%s is not a table (relkind '%c'): only tables can be snapshotted", schema, table,
                               f->relkind);
    if (f->block_size <= 0)
        f->block_size = 8192;
    return PGCDC_OK;
}

/* Is column a NOT NULL int2/int4/int8 column of the table? */
static pgcdc_code key_usable(PGconn *conn, const char *schema, const char *table, const char *column, bool *ok,
                             pgcdc_error *err)
{
    static const char sql[] =
        "SELECT a.atttypid IN (20, 21, 23) AND a.attnotnull"
        " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = $1 AND c.relname = $2 AND a.attname = $3 AND a.attnum > 0 AND NOT a.attisdropped";
    const char *params[3] = {schema, table, column};
    PGresult *res = PQexecParams(conn, sql, 3, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        return sql_failed(conn, res, "could not look up the key column of the table to snapshot", err);
    if (PQntuples(res) == 0) {
        PQclear(res);
        return pgcdc_error_set(err, PGCDC_EINVAL, "table %s.%s has no column \"%s\" to split its snapshot by",
                               schema, table, column);
    }
    *ok = PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    return PGCDC_OK;
}

static pgcdc_code alloc_ranges(pgcdc_snapshot_plan *out, uint32_t n, pgcdc_error *err)
{
    out->ranges = calloc(n, sizeof *out->ranges);
    if (!out->ranges)
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory for a snapshot plan of %u chunks", n);
    out->nranges = n;
    for (uint32_t i = 0; i < n; i++)
        out->ranges[i].id = i;
    return PGCDC_OK;
}

static pgcdc_code plan_ctid(const table_facts *f, uint64_t want, pgcdc_snapshot_plan *out, pgcdc_error *err)
{
    /* Pages are numbered per partition: page range i of a partitioned table
     * is that range in every partition, so the ranges are cut along the
     * largest one and each covers about 1/n of the whole. */
    uint64_t pages = (uint64_t)f->max_bytes / (uint64_t)f->block_size;
    uint64_t n = want < pages ? want : pages;
    if (n <= 1)
        return alloc_ranges(out, 1, err);
    if (pages > 0xFFFFFFFFull)
        pages = 0xFFFFFFFFull;
    uint64_t per = (pages + n - 1) / n;
    n = (pages + per - 1) / per;
    pgcdc_code rc = alloc_ranges(out, (uint32_t)n, err);
    if (rc != PGCDC_OK)
        return rc;
    for (uint64_t i = 0; i < n; i++) {
        pgcdc_snapshot_range *r = &out->ranges[i];
        if (i > 0)
            snprintf(r->lower, sizeof r->lower, "(%" PRIu64 ",0)", i * per);
        if (i + 1 < n)
            snprintf(r->upper, sizeof r->upper, "(%" PRIu64 ",0)", (i + 1) * per);
    }
    return PGCDC_OK;
}

/* Splits "{1,5,9}" (an integer array's text) into strictly increasing
 * bounds; equal neighbours (a key value holding more than a chunk's share)
 * collapse into one. Returns the count, -1 if malformed. */
static long parse_bounds(const char *s, char (*b)[PGCDC_SNAPSHOT_BOUND_MAX], long max)
{
    if (*s++ != '{')
        return -1;
    long n = 0;
    while (*s && *s != '}') {
        const char *e = s;
        while (*e && *e != ',' && *e != '}')
            e++;
        size_t len = (size_t)(e - s);
        if (len == 0 || len >= PGCDC_SNAPSHOT_BOUND_MAX || n >= max)
            return -1;
        char v[PGCDC_SNAPSHOT_BOUND_MAX];
        memcpy(v, s, len);
        v[len] = '\0';
        if (strcmp(v, "NULL") != 0) {
            if (!snap_int_bound_valid(v))
                return -1;
            if (n == 0 || strtoll(v, NULL, 10) > strtoll(b[n - 1], NULL, 10))
                memcpy(b[n++], v, len + 1);
        }
        s = *e == ',' ? e + 1 : e;
    }
    return n;
}

static pgcdc_code plan_key(PGconn *conn, const char *schema, const char *table, const table_facts *f,
                           uint64_t want, pgcdc_snapshot_plan *out, pgcdc_error *err)
{
    double pages = (double)f->heap_bytes / f->block_size;
    if (want <= 1 || f->heap_bytes <= 0)
        return alloc_ranges(out, 1, err);
    if (pages < 1)
        pages = 1;
    if (want > 100000)
        want = 100000;

    pgcdc_buf sql = PGCDC_BUF_INIT, fr = PGCDC_BUF_INIT;
    int bad = pgcdc_buf_puts(&sql, "SELECT percentile_disc($1::float8[]) WITHIN GROUP (ORDER BY ");
    bad |= snap_quote_ident(conn, out->key_column, &sql);
    bad |= pgcdc_buf_puts(&sql, f->relkind == 'p' ? ") FROM " : ") FROM ONLY ");
    bad |= snap_quote_ident(conn, schema, &sql);
    bad |= pgcdc_buf_putc(&sql, '.');
    bad |= snap_quote_ident(conn, table, &sql);
    bad |= pgcdc_buf_puts(&sql, " TABLESAMPLE SYSTEM ($2::float4)");
    bad |= pgcdc_buf_putc(&fr, '{');
    for (uint64_t i = 1; i < want && !bad; i++)
        bad |= pgcdc_buf_printf(&fr, "%s%.17g", i > 1 ? "," : "", (double)i / (double)want);
    bad |= pgcdc_buf_putc(&fr, '}');
    if (bad) {
        pgcdc_buf_free(&sql);
        pgcdc_buf_free(&fr);
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory while planning the snapshot of %s.%s", schema,
                               table);
    }

    double sample_pages = SAMPLE_PAGES_PER_CHUNK * (double)want;
    if (sample_pages < SAMPLE_MIN_PAGES)
        sample_pages = SAMPLE_MIN_PAGES;
    double percent = 100.0 * sample_pages / pages;
    if (percent > 100.0)
        percent = 100.0;
    pgcdc_code rc = PGCDC_OK;
    char (*bounds)[PGCDC_SNAPSHOT_BOUND_MAX] = calloc(want, sizeof *bounds);
    long nb = 0;
    if (!bounds)
        rc = pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory while planning the snapshot of %s.%s", schema, table);
    while (rc == PGCDC_OK) {
        char pct[32];
        snprintf(pct, sizeof pct, "%.6f", percent);
        const char *params[2] = {fr.data, pct};
        PGresult *res = PQexecParams(conn, sql.data, 2, NULL, params, NULL, NULL, 0);
        if (PQresultStatus(res) != PGRES_TUPLES_OK) {
            rc = sql_failed(conn, res, "could not sample the key to split the snapshot", err);
            break;
        }
        bool empty = PQgetisnull(res, 0, 0);
        nb = empty ? 0 : parse_bounds(PQgetvalue(res, 0, 0), bounds, (long)want);
        PQclear(res);
        if (nb < 0) {
            rc = pgcdc_error_set(err, PGCDC_EPROTOCOL, "unexpected key percentiles for %s.%s", schema, table);
            break;
        }
        /* An empty sample of a table that has pages (all sampled pages
         * empty, or bad luck): sample everything once. */
        if (!empty || percent >= 100.0)
            break;
        percent = 100.0;
    }
    pgcdc_buf_free(&sql);
    pgcdc_buf_free(&fr);
    if (rc == PGCDC_OK)
        rc = alloc_ranges(out, (uint32_t)nb + 1, err);
    for (long i = 0; rc == PGCDC_OK && i < nb; i++) {
        memcpy(out->ranges[i].upper, bounds[i], sizeof bounds[i]);
        memcpy(out->ranges[i + 1].lower, bounds[i], sizeof bounds[i]);
    }
    free(bounds);
    return rc;
}

pgcdc_code pgcdc_snapshot_plan_create(PGconn *conn, const char *schema, const char *table,
                                      const pgcdc_snapshot_plan_options *opt, pgcdc_snapshot_plan *out,
                                      pgcdc_error *err)
{
    memset(out, 0, sizeof *out);
    pgcdc_snapshot_plan_options none = {0};
    if (!opt)
        opt = &none;
    if (!conn || !schema || !table)
        return pgcdc_error_set(err, PGCDC_EINVAL, "planning a snapshot needs a connection, a schema and a table");
    if (opt->chunking > PGCDC_CHUNKING_NONE)
        return pgcdc_error_set(err, PGCDC_EINVAL, "unknown chunking %d", (int)opt->chunking);

    table_facts f = {0};
    pgcdc_code rc = table_facts_get(conn, schema, table, &f, err);
    if (rc != PGCDC_OK)
        return rc;

    pgcdc_chunking how = opt->chunking;
    bool scan_per_chunk = false; /* CTID chosen below 14: every chunk scans the whole table */
    bool key_ok = false;
    if (opt->key_column && *opt->key_column && (how == PGCDC_CHUNKING_KEY || how == PGCDC_CHUNKING_AUTO)) {
        rc = key_usable(conn, schema, table, opt->key_column, &key_ok, err);
        if (rc != PGCDC_OK)
            return rc;
    }
    if (how == PGCDC_CHUNKING_KEY && !key_ok)
        return pgcdc_error_set(err, PGCDC_EINVAL,
                               "cannot split the snapshot of %s.%s by key ranges: %s", schema, table,
                               opt->key_column && *opt->key_column
                                   ? "the key column is not a NOT NULL smallint, integer or bigint column"
                                   : "no key column given");
    /* how many chunks: by bytes (TOAST included), or by rows when asked and estimated */
    uint64_t target = opt->target_bytes ? opt->target_bytes : DEFAULT_TARGET_BYTES;
    uint64_t want = ((uint64_t)f.total_bytes + target - 1) / target;
    if (opt->target_rows && f.est_rows >= 0)
        want = ((uint64_t)f.est_rows + opt->target_rows - 1) / opt->target_rows;
    uint64_t heap_pages = (uint64_t)f.max_bytes / (uint64_t)f.block_size;
    if (how == PGCDC_CHUNKING_AUTO) {
        bool tid_range = PQserverVersion(conn) >= 140000;
        /* big TOASTed rows on fewer heap pages than chunks wanted: page
         * ranges cannot cut them, key ranges can */
        if (tid_range && key_ok && heap_pages < want && want > 1)
            how = PGCDC_CHUNKING_KEY;
        else if (tid_range)
            how = PGCDC_CHUNKING_CTID;
        else if (key_ok)
            how = PGCDC_CHUNKING_KEY;
        else if (opt->min_chunks > 1) {
            how = PGCDC_CHUNKING_CTID;
            scan_per_chunk = true;
        } else
            how = PGCDC_CHUNKING_NONE;
    }

    out->chunking = how;
    out->partitioned = f.relkind == 'p';
    out->est_bytes = (uint64_t)f.total_bytes;
    out->est_rows = f.est_rows;

    if (want < opt->min_chunks || scan_per_chunk)
        want = opt->min_chunks; /* scan_per_chunk: as few scans as keep every connection busy */
    if (want < 1)
        want = 1;

    if (how == PGCDC_CHUNKING_KEY) {
        out->key_column = strdup(opt->key_column);
        if (!out->key_column)
            return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
        rc = plan_key(conn, schema, table, &f, want, out, err);
    } else if (how == PGCDC_CHUNKING_CTID) {
        rc = plan_ctid(&f, want, out, err);
    } else {
        rc = alloc_ranges(out, 1, err);
    }
    if (rc == PGCDC_OK)
        rc = snap_plan_check(out, err);
    if (rc != PGCDC_OK) {
        pgcdc_snapshot_plan_free(out);
        return rc;
    }
    pgcdc_log(PGCDC_LOG_DEBUG, "snapshot of %s.%s planned: %u chunk(s) by %s, %" PRIu64 " bytes, ~%" PRId64 " rows",
              schema, table, out->nranges, pgcdc_chunking_name(out->chunking), out->est_bytes, out->est_rows);
    return PGCDC_OK;
}
