/* jt_support.c - see jt_support.h. */
#include "jt_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgt.h"
#include "pgcdc/decoder.h"

void jt_session(PGconn *conn)
{
    pgt_exec(conn, "SET DateStyle = ISO; SET IntervalStyle = postgres; SET extra_float_digits = 3; "
                   "SET bytea_output = hex; SET TimeZone = 'UTC'; SET lc_monetary = 'C'; SET client_min_messages = warning");
}

void jt_table_from_source(PGconn *src, const char *schema, const char *table, int dest_major, jt_table *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->schema, sizeof out->schema, "%s", schema);
    snprintf(out->table, sizeof out->table, "%s", table);
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT a.attname, a.atttypid, a.atttypmod, coalesce(a.attnum = ANY(i.indkey), false) "
             "FROM pg_attribute a LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary "
             "WHERE a.attrelid = format('%%I.%%I', '%s', '%s')::regclass AND a.attnum > 0 AND NOT a.attisdropped "
             "ORDER BY a.attnum",
             schema, table);
    PGresult *r = PQexec(src, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) > JT_MAX_COLS) {
        fprintf(stderr, "jt_table_from_source %s.%s: %s\n", schema, table, PQerrorMessage(src));
        exit(1);
    }
    size_t n = (size_t)PQntuples(r);
    size_t cl = 0;
    for (size_t i = 0; i < n; i++) {
        snprintf(out->names[i], sizeof out->names[i], "%s", PQgetvalue(r, (int)i, 0));
        pgcdc_pg_type pt;
        pgcdc_error err;
        if (pgcdc_type_resolve(src, (uint32_t)strtoul(PQgetvalue(r, (int)i, 1), NULL, 10),
                               (int32_t)atoi(PQgetvalue(r, (int)i, 2)), &pt, &err) != PGCDC_OK ||
            pgcdc_type_map(&pt, PGCDC_DIALECT_POSTGRES, &out->cols[i].type, &err) != PGCDC_OK) {
            fprintf(stderr, "jt_table_from_source: %s: %s\n", out->names[i], err.message);
            exit(1);
        }
        out->cols[i].name = out->names[i];
        out->cols[i].is_key = PQgetvalue(r, (int)i, 3)[0] == 't';
        if (out->cols[i].is_key && !out->key[0])
            snprintf(out->key, sizeof out->key, "%s", out->names[i]);
        cl += (size_t)snprintf(out->collist + cl, sizeof out->collist - cl, "%s\"%s\"", i ? "," : "", out->names[i]);
    }
    PQclear(r);
    out->t.dialect = PGCDC_DIALECT_POSTGRES;
    out->t.server_major = dest_major;
    out->t.ident_case = PGCDC_IDENT_CASE_SENSITIVE;
    out->t.source_schema = out->t.dest_schema = out->schema;
    out->t.source_table = out->t.dest_table = out->table;
    out->t.columns = out->cols;
    out->t.ncolumns = n;
    out->t.journal_epoch = 1718000000;
    out->t.journal_n = 1;
}

static void run_list(PGconn *dst, pgcdc_code (*fn)(const pgcdc_merge_table *, pgcdc_sql_list *, pgcdc_error *),
                     const pgcdc_merge_table *t)
{
    pgcdc_sql_list l;
    pgcdc_error err;
    pgcdc_sql_list_init(&l);
    if (fn(t, &l, &err) != PGCDC_OK) {
        fprintf(stderr, "planner: %s\n", err.message);
        exit(1);
    }
    for (size_t i = 0; i < l.n; i++)
        pgt_exec(dst, "%s", pgcdc_sql_list_get(&l, i));
    pgcdc_sql_list_free(&l);
}

void jt_dest_setup(PGconn *dst, const pgcdc_merge_table *t)
{
    run_list(dst, pgcdc_merge_sql_create_schema, t);
    run_list(dst, pgcdc_merge_sql_create_state, t);
    run_list(dst, pgcdc_merge_sql_create_table, t);
    run_list(dst, pgcdc_merge_sql_create_journal, t);
}

void jt_merge(PGconn *dst, const pgcdc_merge_table *t, int64_t bound_lsn)
{
    jt_merge_seq(dst, t, bound_lsn, INT64_MAX);
}

void jt_merge_seq(PGconn *dst, const pgcdc_merge_table *t, int64_t bound_lsn, int64_t bound_seq)
{
    pgcdc_sql_list l;
    pgcdc_error err;
    pgcdc_buf dest = PGCDC_BUF_INIT, journal = PGCDC_BUF_INIT;
    pgcdc_sql_list_init(&l);
    if (pgcdc_merge_sql_merge(t, &l, &err) != PGCDC_OK || pgcdc_merge_dest_name(t, &dest, &err) != PGCDC_OK ||
        pgcdc_merge_journal_name(t, &journal, &err) != PGCDC_OK) {
        fprintf(stderr, "planner: %s\n", err.message);
        exit(1);
    }
    char lsn[32], seq[32];
    snprintf(lsn, sizeof lsn, "%lld", (long long)bound_lsn);
    snprintf(seq, sizeof seq, "%lld", (long long)bound_seq);
    const char *params[4] = {lsn, seq, dest.data, journal.data};
    pgt_exec(dst, "BEGIN");
    for (size_t i = 0; i < l.n; i++) {
        PGresult *r = PQexecParams(dst, pgcdc_sql_list_get(&l, i), 4, NULL, params, NULL, NULL, 0);
        if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
            fprintf(stderr, "merge statement %zu: %s\n", i + 1, PQerrorMessage(dst));
            exit(1);
        }
        PQclear(r);
    }
    pgt_exec(dst, "COMMIT");
    pgcdc_sql_list_free(&l);
    pgcdc_buf_free(&dest);
    pgcdc_buf_free(&journal);
}

static pgcdc_batch *finish(pgcdc_batch_builder *b)
{
    pgcdc_buf buf = PGCDC_BUF_INIT;
    pgcdc_error err;
    pgcdc_batch *batch = NULL;
    if (pgcdc_batch_encode(b, &buf, &err) != PGCDC_OK ||
        pgcdc_batch_decode((const uint8_t *)buf.data, buf.len, &batch, &err) != PGCDC_OK) {
        fprintf(stderr, "batch: %s\n", err.message);
        exit(1);
    }
    pgcdc_buf_free(&buf);
    pgcdc_batch_builder_free(b);
    return batch;
}

static uint64_t be64(const char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | (unsigned char)p[i];
    return v;
}

static pgcdc_batch *feed(PGconn *src, const char *fn, const char *slot, int major)
{
    int proto = major >= 16 ? 4 : major >= 15 ? 3 : major >= 14 ? 2 : 1;
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT lsn, data FROM %s('%s', NULL, NULL, 'proto_version', '%d', 'publication_names', 'pub')", fn,
             slot, proto);
    PGresult *r = PQexecParams(src, sql, 0, NULL, NULL, NULL, NULL, 1);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "feed: %s", PQerrorMessage(src));
        exit(1);
    }
    pgcdc_batch_builder *b;
    pgcdc_decoder *dec;
    pgcdc_error err;
    pgcdc_decoder_options o = {.proto_version = proto};
    if (pgcdc_batch_builder_new("postgres", &b, &err) != PGCDC_OK ||
        pgcdc_decoder_new(&o, pgcdc_batch_sink, b, &dec, &err) != PGCDC_OK) {
        fprintf(stderr, "feed: %s\n", err.message);
        exit(1);
    }
    for (int i = 0; i < PQntuples(r); i++)
        if (pgcdc_decoder_feed(dec, (const uint8_t *)PQgetvalue(r, i, 1), (size_t)PQgetlength(r, i, 1),
                               be64(PQgetvalue(r, i, 0)), &err) != PGCDC_OK) {
            fprintf(stderr, "decode: %s\n", err.message);
            exit(1);
        }
    PQclear(r);
    pgcdc_decoder_free(dec);
    return finish(b);
}

pgcdc_batch *jt_drain(PGconn *src, const char *slot, int major)
{
    return feed(src, "pg_logical_slot_get_binary_changes", slot, major);
}

pgcdc_batch *jt_peek(PGconn *src, const char *slot, int major)
{
    return feed(src, "pg_logical_slot_peek_binary_changes", slot, major);
}

pgcdc_batch *jt_snapshot(PGconn *src, jt_table *const *tables, int ntables, uint64_t snapshot_lsn)
{
    pgcdc_batch_builder *b;
    pgcdc_error err;
    if (pgcdc_batch_builder_new("postgres", &b, &err) != PGCDC_OK)
        exit(1);
    for (int ti = 0; ti < ntables; ti++) {
        const jt_table *jt = tables[ti];
        char *relid = pgt_query_value(src, "SELECT format('%%I.%%I', '%s', '%s')::regclass::oid", jt->schema,
                                      jt->table);
        char sql[2600];
        snprintf(sql, sizeof sql, "SELECT %s FROM \"%s\".\"%s\"", jt->collist, jt->schema, jt->table);
        PGresult *r = PQexec(src, sql);
        if (PQresultStatus(r) != PGRES_TUPLES_OK) {
            fprintf(stderr, "snapshot: %s", PQerrorMessage(src));
            exit(1);
        }
        pgcdc_column cols[JT_MAX_COLS];
        for (size_t i = 0; i < jt->t.ncolumns; i++) {
            cols[i].name = jt->names[i];
            cols[i].type_oid = jt->cols[i].type.pg_oid;
            cols[i].typmod = -1;
            cols[i].flags = jt->cols[i].is_key ? PGCDC_COLUMN_KEY : 0;
        }
        int nrows = PQntuples(r), nc = (int)jt->t.ncolumns;
        pgcdc_value *vals = calloc((size_t)(nrows * nc + 1), sizeof *vals);
        pgcdc_tuple *rows = calloc((size_t)nrows + 1, sizeof *rows);
        for (int i = 0; i < nrows; i++) {
            for (int j = 0; j < nc; j++) {
                pgcdc_value *v = &vals[i * nc + j];
                v->kind = PQgetisnull(r, i, j) ? 'n' : 't';
                v->data = PQgetvalue(r, i, j);
                v->len = (uint32_t)PQgetlength(r, i, j);
            }
            rows[i].ncolumns = (uint16_t)nc;
            rows[i].values = &vals[i * nc];
        }
        pgcdc_snapshot_chunk ch = {.relid = (uint32_t)strtoul(relid, NULL, 10), .nspname = jt->schema,
                                   .relname = jt->table, .ncolumns = nc, .columns = cols, .chunk_id = 0,
                                   .snapshot_lsn = snapshot_lsn, .last_chunk = true};
        if (pgcdc_batch_add_snapshot_rows(b, &ch, rows, (size_t)nrows, &err) != PGCDC_OK) {
            fprintf(stderr, "snapshot rows: %s\n", err.message);
            exit(1);
        }
        free(vals);
        free(rows);
        free(relid);
        PQclear(r);
    }
    return finish(b);
}

static char *rows_text(PGconn *conn, const jt_table *t, const char *from, const char *where)
{
    char sql[8192];
    int n = snprintf(sql, sizeof sql, "SELECT coalesce(string_agg(r, E'\\n' ORDER BY k), '') FROM (SELECT ROW(");
    for (size_t i = 0; i < t->t.ncolumns; i++)
        n += snprintf(sql + n, sizeof sql - (size_t)n, "%s\"%s\"::text", i ? "," : "", t->names[i]);
    snprintf(sql + n, sizeof sql - (size_t)n, ")::text AS r, \"%s\" AS k FROM %s %s) s", t->key, from, where);
    return pgt_query_value(conn, "%s", sql);
}

int jt_same(PGconn *src, PGconn *dst, const jt_table *t)
{
    char from[200];
    snprintf(from, sizeof from, "\"%s\".\"%s\"", t->schema, t->table);
    char *a = rows_text(src, t, from, "");
    char *b = rows_text(dst, t, jt_dest(&t->t), "WHERE NOT \"_SNOWFLAKE_DELETED\"");
    int same = strcmp(a, b) == 0;
    if (!same)
        fprintf(stderr, "%s differs:\n-- source\n%s\n-- destination\n%s\n", from, a, b);
    free(a);
    free(b);
    return same;
}

long jt_journal_rows(PGconn *dst, const pgcdc_merge_table *t)
{
    char *v = pgt_query_value(dst, "SELECT count(*) FROM %s", jt_journal(t));
    long n = atol(v);
    free(v);
    return n;
}

static const char *qname(const pgcdc_merge_table *t, bool journal)
{
    static char bufs[4][512];
    static int k;
    char *out = bufs[k++ & 3];
    pgcdc_buf b = PGCDC_BUF_INIT;
    pgcdc_error err;
    if (journal)
        pgcdc_merge_journal_qualified(t, &b, &err);
    else
        pgcdc_merge_dest_qualified(t, &b, &err);
    snprintf(out, 512, "%s", b.data ? b.data : "");
    pgcdc_buf_free(&b);
    return out;
}

const char *jt_dest(const pgcdc_merge_table *t)
{
    return qname(t, false);
}

const char *jt_journal(const pgcdc_merge_table *t)
{
    return qname(t, true);
}
