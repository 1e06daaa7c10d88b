/* test_pipeline_types.c - every type of the mapping (docs/types.md,
 * "PostgreSQL") through the runner: snapshot (binary COPY for the first
 * table, text COPY for the second, which has types the binary decoder leaves
 * to text) and CDC (inserts of the same values under new keys, updates to
 * other edge values, a delete), each column compared as text with the source
 * and each destination column's type with the mapping. The built `pgcdc`
 * binary runs as a subprocess. argv[1] = the pgcdc binary. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runner.h"

static char tmpdir[256];
static pgt_cluster cl;

/* name, type, edge values (SQL literals, ';'-separated: one per seed row) */
typedef struct col {
    const char *name, *type, *values;
    int min_major;  /* the source/destination version the type or values need */
} col;

/* Binary COPY: every type here is decoded from the binary send format. */
static const col table_a[] = {
    {"c_int2", "smallint", "-32768;32767;0", 0},
    {"c_int4", "integer", "-2147483648;2147483647;0", 0},
    {"c_int8", "bigint", "-9223372036854775808;9223372036854775807;0", 0},
    {"c_num", "numeric(12,4)", "-99999999.9999;0.0001;'NaN'", 0},
    {"c_numbig", "numeric(50,10)", "1234567890123456789012345678901234567890.0123456789;-0.0000000001;0", 0},
    {"c_numfree", "numeric", "123456789012345678901234567890.123456789012345678901234567890;'NaN';-0.5", 0},
    {"c_numinf", "numeric", "'Infinity';'-Infinity';1e-20", 14},
    {"c_float4", "real", "3.4028235e38;-1.17549435e-38;'NaN'", 0},
    {"c_float8", "double precision", "1.7976931348623157e308;'-Infinity';-0.0", 0},
    {"c_bool", "boolean", "true;false;NULL", 0},
    {"c_text", "text", "'plain';E'quote '' backslash \\\\ tab \\t newline \\n';'ünïcödé ✓'", 0},
    {"c_varchar", "varchar(10)", "'abc';'';'0123456789'", 0},
    {"c_char", "char(5)", "'ab';'abcde';' '", 0},
    {"c_bytea", "bytea", "'\\x00ff10'::bytea;''::bytea;'\\xdeadbeef'::bytea", 0},
    {"c_date", "date", "'2024-02-29';'4713-11-24 BC';'infinity'", 0},
    {"c_time", "time(3)", "'23:59:59.999';'00:00:00';'24:00:00'", 0},
    {"c_timetz", "timetz", "'12:00:00+05:30';'00:00:01-08';'23:59:59.999999+00'", 0},
    {"c_ts", "timestamp", "'2024-01-01 12:34:56.789';'0001-01-01 00:00:00 BC';'-infinity'", 0},
    {"c_tstz", "timestamptz", "'2024-01-01 12:00:00+06:30';'294276-12-31 23:59:59+00';'infinity'", 0},
    {"c_interval", "interval", "'1 year 2 mons -3 days 04:05:06.789';'-178000000 years';'0'", 0},
    {"c_uuid", "uuid", "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11';'00000000-0000-0000-0000-000000000000';NULL", 0},
    {"c_json", "json", "'{\"a\": [1, 2.5, null], \"b\": \"\\u00e9\"}';'[]';'\"s\"'", 0},
    {"c_jsonb", "jsonb", "'{\"a\": [1, 2.5, null], \"b\": \"x\"}';'{}';'null'", 0},
    {"c_intarr", "integer[]", "'{1,2,NULL}';'{{1,2},{3,4}}';'{}'", 0},
    {"c_textarr", "text[]", "'{\"a b\",\"c\\\"d\",NULL,\"NULL\",\"\"}';'{}';'{x}'", 0},
    {NULL, NULL, NULL, 0}};

/* Text COPY: types carried in their text form. */
static const col table_b[] = {
    {"c_money", "money", "'-1234.56';'0';'92233720368547758.07'", 0},
    {"c_inet", "inet", "'192.168.0.1/24';'::1';'10.0.0.1'", 0},
    {"c_cidr", "cidr", "'10.0.0.0/8';'2001:db8::/32';NULL", 0},
    {"c_mac", "macaddr", "'08:00:2b:01:02:03';'00:00:00:00:00:00';NULL", 0},
    {"c_mac8", "macaddr8", "'08:00:2b:01:02:03:04:05';'00:00:00:ff:fe:00:00:00';NULL", 0},
    {"c_bit", "bit(3)", "B'101';B'000';B'111'", 0},
    {"c_varbit", "bit varying(10)", "B'1';B'';B'1010101010'", 0},
    {"c_point", "point", "'(1.5,-2)';'(0,0)';NULL", 0},
    {"c_line", "line", "'{1,-1,0}';'{0,1,2}';NULL", 0},
    {"c_lseg", "lseg", "'[(0,0),(1,1)]';'[(1,2),(3,4)]';NULL", 0},
    {"c_box", "box", "'(1,1),(0,0)';'(2,2),(1,1)';NULL", 0},
    {"c_path", "path", "'[(0,0),(1,1),(2,0)]';'((0,0),(1,1))';NULL", 0},
    {"c_polygon", "polygon", "'((0,0),(1,1),(1,0))';'((0,0),(0,1),(1,1),(1,0))';NULL", 0},
    {"c_circle", "circle", "'<(1,2),3>';'<(0,0),0.5>';NULL", 0},
    {"c_tsvector", "tsvector", "'a fat cat:3A sat'::tsvector;''::tsvector;NULL", 0},
    {"c_tsquery", "tsquery", "'fat & (rat | cat)'::tsquery;'!a'::tsquery;NULL", 0},
    {"c_lsn", "pg_lsn", "'16/B374D848';'0/0';'FFFFFFFF/FFFFFFFF'", 0},
    {"c_i4range", "int4range", "'[1,10)';'empty';'(,5]'", 0},
    {"c_tsrange", "tstzrange", "'[2024-01-01 00:00+00,2024-02-01 00:00+00)';'(,)';NULL", 0},
    {"c_multi", "int4multirange", "'{[1,3),[5,8)}';'{}';NULL", 14},
    {"c_xml", "xml", "'<a b=\"1\">x <![CDATA[<&>]]></a>';'text only';NULL", 0},
    {"c_enum", "t_mood", "'happy';'sad';NULL", 0},
    {"c_comp", "t_pair", "ROW(1, 'one')::t_pair;ROW(NULL, 'a \"q\" b')::t_pair;NULL", 0},
    {"c_domain", "t_price", "12.50;0;NULL", 0},
    {"c_qchar", "\"char\"", "'a';'\\\\';NULL", 0},
    {"c_name", "name", "'a_name';'';NULL", 0},
    {"c_oid", "oid", "0;4294967295;NULL", 0},
    {"c_daterange_arr", "daterange[]", "'{\"[2024-01-01,2024-01-05)\",empty}';'{}';NULL", 0},
    {NULL, NULL, NULL, 0}};

/* the n-th (0-based) ';'-separated value of v, into out */
static void nth(const char *v, int n, char *out, size_t outlen)
{
    for (int i = 0; i < n && v; i++) {
        v = strchr(v, ';');
        if (v)
            v++;
    }
    size_t len = v ? strcspn(v, ";") : 0;
    snprintf(out, outlen, "%.*s", (int)(len < outlen ? len : outlen - 1), v ? v : "NULL");
}

static void create_table(PGconn *src, const char *name, const col *cols)
{
    char sql[8192];
    int n = snprintf(sql, sizeof sql, "CREATE TABLE %s (id int PRIMARY KEY", name);
    for (const col *c = cols; c->name; c++)
        if (pgt_major() >= c->min_major)
            n += snprintf(sql + n, sizeof sql - (size_t)n, ", %s %s", c->name, c->type);
    snprintf(sql + n, sizeof sql - (size_t)n, ")");
    pgt_exec(src, "%s", sql);
}

/* seed row r (0..2) under key id, or (r = 3) all NULL */
static void insert_row(PGconn *src, const char *name, const col *cols, int id, int r)
{
    char sql[16384], v[512];
    int n = snprintf(sql, sizeof sql, "INSERT INTO %s VALUES (%d", name, id);
    for (const col *c = cols; c->name; c++) {
        if (pgt_major() < c->min_major)
            continue;
        if (r < 3)
            nth(c->values, r, v, sizeof v);
        else
            snprintf(v, sizeof v, "NULL");
        n += snprintf(sql + n, sizeof sql - (size_t)n, ", %s", v);
    }
    snprintf(sql + n, sizeof sql - (size_t)n, ")");
    pgt_exec(src, "%s", sql);
}

/* every row as text, every column cast to text (what the value is, not how
 * its type prints a record) */
static char *dump(PGconn *c, const char *name, const col *cols, bool dest)
{
    char sel[8192];
    int n = snprintf(sel, sizeof sel, "SELECT id");
    for (const col *k = cols; k->name; k++)
        if (pgt_major() >= k->min_major)
            n += snprintf(sel + n, sizeof sel - (size_t)n, ", %s::text", k->name);
    snprintf(sel + n, sizeof sel - (size_t)n, " FROM %s%s", name, dest ? " WHERE NOT \"_SNOWFLAKE_DELETED\"" : "");
    return rt_rows(c, sel);
}

static void compare(PGconn *src, PGconn *dst, const char *name, const col *cols, const char *when)
{
    char *a = dump(src, name, cols, false), *b = dump(dst, name, cols, true);
    if (strcmp(a, b) != 0)
        fprintf(stderr, "%s %s:\nsource:\n%s\ndestination:\n%s\n", name, when, a, b);
    CHECK(a[0] && strcmp(a, b) == 0);
    free(a);
    free(b);
}

/* The destination's column types: the source's, except enums, composites
 * as text and the domain as its base type (docs/types.md). */
static void compare_types(PGconn *src, PGconn *dst, const char *name)
{
    const char *q = "SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum) "
                    "FROM pg_attribute WHERE attrelid = '%s'::regclass AND attnum > 0 AND NOT attisdropped "
                    "AND attname NOT LIKE '\\_SNOWFLAKE\\_%%'";
    char *a = pgt_query_value(src, q, name), *b = pgt_query_value(dst, q, name);
    char *exp = strdup(a);
    const char *swaps[][2] = {{"c_enum t_mood", "c_enum text"},
                              {"c_comp t_pair", "c_comp text"},
                              {"c_domain t_price", "c_domain numeric(10,2)"}};
    for (size_t i = 0; i < sizeof swaps / sizeof *swaps; i++) {
        char *p = strstr(exp, swaps[i][0]);
        if (!p)
            continue;
        size_t need = strlen(exp) - strlen(swaps[i][0]) + strlen(swaps[i][1]) + 1;
        char *n = malloc(need);
        snprintf(n, need, "%.*s%s%s", (int)(p - exp), exp, swaps[i][1], p + strlen(swaps[i][0]));
        free(exp);
        exp = n;
    }
    if (strcmp(exp, b) != 0)
        fprintf(stderr, "%s column types:\nexpected:\n%s\ndestination:\n%s\n", name, exp, b);
    CHECK_STR(b, exp);
    free(a);
    free(b);
    free(exp);
}

int main(int argc, char **argv)
{
    int start = rt_begin(argc, argv, "types", tmpdir, sizeof tmpdir);
    if (start != 0)
        return start;
    pgt_cluster_start(&cl, pgt_major(), NULL);
    PGconn *adm = pgt_connect(&cl, "postgres");
    pgt_exec(adm, "CREATE DATABASE tsrc");
    pgt_exec(adm, "CREATE DATABASE tdst");
    PGconn *src = pgt_connect(&cl, "tsrc");
    PGconn *dst = pgt_connect(&cl, "tdst");
    pgt_exec(src, "CREATE TYPE t_mood AS ENUM ('sad', 'happy')");
    pgt_exec(src, "CREATE TYPE t_pair AS (n int, s text)");
    pgt_exec(src, "CREATE DOMAIN t_price AS numeric(10,2) CHECK (VALUE >= 0)");
    create_table(src, "typ_a", table_a);
    create_table(src, "typ_b", table_b);
    for (int r = 0; r < 4; r++) {
        insert_row(src, "typ_a", table_a, r + 1, r);
        insert_row(src, "typ_b", table_b, r + 1, r);
    }
    pgt_exec(src, "CREATE PUBLICATION t_pub FOR TABLE typ_a, typ_b");

    char conf[300], log[300];
    snprintf(conf, sizeof conf, "%s/t.conf", tmpdir);
    snprintf(log, sizeof log, "%s/t.log", tmpdir);
    rt_write_conf(conf, &(rt_conf){.source_port = cl.port, .source_db = "tsrc", .publication = "t_pub",
                                   .slot = "t_slot", .dest_port = cl.port, .dest_db = "tdst",
                                   .names = "public.typ_a, public.typ_b"});

    /* 1. the snapshot */
    CHECK_INT(rt_run_caught_up(conf, log, 0), 0);
    compare_types(src, dst, "typ_a");
    compare_types(src, dst, "typ_b");
    compare(src, dst, "typ_a", table_a, "after the snapshot");
    compare(src, dst, "typ_b", table_b, "after the snapshot");

    /* 2. CDC: the same values under new keys, rows rotated through the other
     * edge values, one row deleted */
    for (int r = 0; r < 4; r++) {
        insert_row(src, "typ_a", table_a, r + 11, r);
        insert_row(src, "typ_b", table_b, r + 11, r);
    }
    const char *tables[2] = {"typ_a", "typ_b"};
    const col *defs[2] = {table_a, table_b};
    for (int t = 0; t < 2; t++) {
        /* row 1 takes row 2's values and row 2 row 3's, column by column */
        for (const col *c = defs[t]; c->name; c++) {
            if (pgt_major() < c->min_major)
                continue;
            char v[512];
            nth(c->values, 1, v, sizeof v);
            pgt_exec(src, "UPDATE %s SET %s = %s WHERE id = 1", tables[t], c->name, v);
            nth(c->values, 2, v, sizeof v);
            pgt_exec(src, "UPDATE %s SET %s = %s WHERE id = 12", tables[t], c->name, v);
        }
        pgt_exec(src, "DELETE FROM %s WHERE id = 3", tables[t]);
    }
    CHECK_INT(rt_run_caught_up(conf, log, 0), 0);
    compare(src, dst, "typ_a", table_a, "after CDC");
    compare(src, dst, "typ_b", table_b, "after CDC");
    char *del = pgt_query_value(dst, "SELECT count(*) FROM typ_a WHERE id = 3 AND \"_SNOWFLAKE_DELETED\"%s", "");
    CHECK_STR(del, "1");
    free(del);

    PQfinish(src);
    PQfinish(dst);
    PQfinish(adm);
    pgt_cluster_stop(&cl);
    rt_tmpdir_remove(tmpdir);
    return pgt_done("pipeline-types");
}
