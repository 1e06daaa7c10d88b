/* test_types_live.c - type mapping against a real server (one per version).
 *
 * A table with one column of every type of reference §4 (and user types:
 * domains, an enum, a composite, a user range, arrays of those) is filled
 * with edge values. For each value the server's text output (what pgoutput
 * sends in text mode) and its binary send form (what pgoutput sends with
 * binary = true) are read, and
 *   - pgcdc_type_resolve on the column's atttypid/atttypmod (what a Relation
 *     message carries) + pgcdc_type_map give the expected destination types;
 *     the PostgreSQL-dialect spelling equals the server's format_type();
 *   - pgcdc_value_convert gives the expected Snowflake literal, and the
 *     binary form gives exactly the literal the text form gives (or a clear
 *     EUNSUPPORTED for types we do not decode in binary), both dialects;
 *   - PostgreSQL dialect: the literal inserted into a table of the mapped
 *     destination types reads back equal (round trip through the server), and
 *     the unchanged-TOAST placeholder is accepted wherever it is claimed. */
#include "pgcdc/types.h"
#include "pgt.h"

#include <stdio.h>
#include <stdlib.h>

#define SF PGCDC_DIALECT_SNOWFLAKE
#define PG PGCDC_DIALECT_POSTGRES

typedef struct live_value {
    const char *sql;   /* SQL expression inserted into the column */
    const char *sf;    /* Snowflake literal: "=" the text itself, "~x" placeholder x, "!VALUE:msg" error */
    int min_major;     /* 0 = every version */
} live_value;

typedef struct live_case {
    const char *type;     /* column type as declared */
    const char *sf_sql;   /* expected Snowflake type */
    const char *pg_sql;   /* expected PostgreSQL type; NULL = format_type() of the column */
    int binary;           /* binary send form decoded (else EUNSUPPORTED) */
    int min_major;
    live_value v[10];
} live_case;

#define MAXV 10

static const live_case cases[] = {
    {"smallint", "NUMBER(38,0)", NULL, 1, 0, {{"-32768", "=", 0}, {"32767", "=", 0}, {"0", "=", 0}}},
    {"integer", "NUMBER(38,0)", NULL, 1, 0, {{"-2147483648", "=", 0}, {"2147483647", "=", 0}}},
    {"bigint", "NUMBER(38,0)", NULL, 1, 0, {{"-9223372036854775808", "=", 0}, {"9223372036854775807", "=", 0}}},
    {"serial", "NUMBER(38,0)", "integer", 1, 0, {{"2147483647", "=", 0}}},
    {"bigserial", "NUMBER(38,0)", "bigint", 1, 0, {{"9223372036854775807", "=", 0}}},
    {"oid", "NUMBER(38,0)", NULL, 1, 0, {{"0", "=", 0}, {"4294967295", "=", 0}}},
    {"numeric(10,2)", "NUMBER(10,2)", NULL, 1, 0,
     {{"12345678.9", "12345678.90", 0}, {"-0.01", "=", 0}, {"0", "0.00", 0},
      {"'NaN'", "!VALUE:NaN cannot be stored in the Snowflake NUMBER(10,2) column", 0}}},
    {"numeric", "TEXT", NULL, 1, 0,
     {{"1234567890123456789012345678901234567890.0123456789", "=", 0},
      {"'1e-130'", "=", 0},
      {"-1e130", "=", 0},
      {"'NaN'", "=", 0},
      {"'Infinity'", "=", 14},
      {"'-Infinity'", "=", 14},
      {"0.000", "=", 0}}},
    {"numeric(40,5)", "TEXT", NULL, 1, 0, {{"12345678901234567890123456789012345.12345", "=", 0}}},
    {"numeric(38,37)", "NUMBER(38,37)", NULL, 1, 0, {{"-1.2345678901234567890123456789012345678", "=", 0}}},
    {"numeric(5,-2)", "NUMBER(7,0)", NULL, 1, 15, {{"12345", "12300", 0}, {"-9999949", "-9999900", 0}}},
    {"real", "FLOAT", NULL, 1, 0,
     {{"1.5", "=", 0}, {"3.4028235e38", "=", 0}, {"1e-45", "=", 0}, {"0.1", "=", 0}, {"1e6", "=", 0}, {"123456", "=", 0},
      {"'NaN'", "NaN", 0}, {"'Infinity'", "inf", 0}, {"'-0'", "=", 0}}},
    {"double precision", "FLOAT", NULL, 1, 0,
     {{"0.1", "=", 0}, {"1e308", "=", 0}, {"'5e-324'", "=", 0}, {"'2.2250738585072014e-308'", "=", 0}, {"'-0'", "=", 0},
      {"'NaN'", "NaN", 0}, {"'-Infinity'", "-inf", 0}, {"1e15", "=", 0}, {"123456789012345.6", "=", 0}, {"1e-5", "=", 0}}},
    {"money", "FLOAT", NULL, 0, 0,
     {{"1234.56", "1234.56", 0}, {"-1", "-1.00", 0}, {"'-92233720368547758.08'", "-92233720368547758.08", 0}}},
    {"boolean", "BOOLEAN", NULL, 1, 0, {{"true", "true", 0}, {"false", "false", 0}}},
    {"char(5)", "TEXT", NULL, 1, 0, {{"'ab'", "=", 0}}},
    {"\"char\"", "TEXT", NULL, 0, 0, {{"'a'", "=", 0}}},
    {"varchar(10)", "TEXT", NULL, 1, 0, {{"'h\xc3\xa9llo'", "=", 0}, {"''", "=", 0}}},
    {"varchar", "TEXT", NULL, 1, 0, {{"'with \"quotes\" and ''single'''", "=", 0}}},
    {"text", "TEXT", NULL, 1, 0,
     {{"E'it''s \"q\" \\\\ back\\nslash\\ttab \xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80'", "=", 0},
      {"repeat('x', 100000)", "=", 0}}},
    {"name", "TEXT", NULL, 1, 0, {{"'pg_class'", "=", 0}}},
    {"bytea", "BINARY", NULL, 1, 0,
     {{"'\\x'", "", 0}, {"'\\x00ff'", "00FF", 0}, {"'abc'", "616263", 0}, {"decode(repeat('00', 1000), 'hex')", NULL, 0}}},
    {"date", "DATE", NULL, 1, 0,
     {{"'2024-02-29'", "=", 0}, {"'4713-11-24 BC'", "-4712-11-24", 0}, {"'0001-01-01'", "=", 0},
      {"'0001-01-01 BC'", "0000-01-01", 0}, {"'5874897-12-31'", "~9999-12-31", 0}, {"'infinity'", "~9999-12-31", 0},
      {"'-infinity'", "~-9999-01-01", 0}}},
    {"time", "TIME(6)", NULL, 1, 0,
     {{"'00:00:00'", "=", 0}, {"'23:59:59.999999'", "=", 0}, {"'24:00:00'", "~23:59:59.999999999", 0}}},
    {"time(3)", "TIME(3)", NULL, 1, 0, {{"'12:34:56.789'", "=", 0}}},
    {"timetz", "TIMESTAMP_TZ(6)", NULL, 1, 0,
     {{"'12:00:00+05:30'", "1970-01-01 12:00:00+05:30", 0},
      {"'12:00:00-09:30:15'", "1970-01-01 12:00:15-09:30", 0},
      {"'24:00:00+00'", "1970-01-02 00:00:00+00:00", 0},
      {"'00:00:00.5-14'", "1970-01-01 00:00:00.5-14:00", 0}}},
    {"timestamp", "TIMESTAMP_NTZ(6)", NULL, 1, 0,
     {{"'2024-01-01 12:34:56.789'", "=", 0}, {"'2024-01-01 00:00:00'", "=", 0}, {"'0001-01-01 00:00:00'", "=", 0},
      {"'294276-12-31 23:59:59.999999'", "~9999-12-31 23:59:59.999999999", 0},
      {"'4713-11-24 00:00:00 BC'", "~0001-01-01 00:00:00", 0},
      {"'infinity'", "~9999-12-31 23:59:59.999999999", 0}, {"'-infinity'", "~0001-01-01 00:00:00", 0},
      {"'1999-12-31 23:59:59.999999'", "=", 0}}},
    {"timestamp(0)", "TIMESTAMP_NTZ(0)", NULL, 1, 0, {{"'2024-01-01 12:34:56'", "=", 0}}},
    {"timestamptz", "TIMESTAMP_LTZ(6)", NULL, 1, 0,
     {{"'2024-01-01 12:00:00+05:30'", "2024-01-01 06:30:00+00:00", 0},
      {"'2000-01-01 00:00:00+00'", "2000-01-01 00:00:00+00:00", 0},
      {"'294276-12-31 23:59:59.999999+00'", "~9999-12-31 23:59:59.999999999+00:00", 0},
      {"'4713-11-24 00:00:00+00 BC'", "~0001-01-01 00:00:00+00:00", 0},
      {"'infinity'", "~9999-12-31 23:59:59.999999999+00:00", 0}}},
    {"interval", "TEXT", NULL, 1, 0,
     {{"'1 year 2 mons -3 days 04:05:06.789'", "=", 0},
      {"'-178956970 years -7 mons -2147483648 days'", "=", 0},
      {"'-178956970 years -7 mons -2147483648 days -2562047787:59:59.999999'", "=", 15},
      {"'178956970 years 7 mons 2147483647 days 2562047787:59:59.999999'", "=", 15},
      {"'-1 day +00:00:01'", "=", 0}, {"'0'", "=", 0}, {"'-0.000001 sec'", "=", 0}, {"'infinity'", "=", 17}}},
    {"interval year to month", "TEXT", NULL, 1, 0, {{"'1 year 2 months'", "=", 0}}},
    {"json", "VARIANT", NULL, 1, 0, {{"'{\"a\": \"\\u0000\", \"b\": [1, 2.5e10]}'", "=", 0}}},
    {"jsonb", "VARIANT", NULL, 1, 0, {{"E'{\"b\": {\"c\": true}, \"a\": \"x\\\\ny\"}'", "=", 0}}},
    {"uuid", "TEXT", NULL, 1, 0, {{"'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'", "=", 0}}},
    {"xml", "TEXT", NULL, 0, 0, {{"'<a b=\"1\">x &amp; y</a>'", "=", 0}}},
    {"bit(5)", "TEXT", NULL, 0, 0, {{"B'10101'", "=", 0}}},
    {"varbit", "TEXT", NULL, 0, 0, {{"B'1'", "=", 0}}},
    {"point", "TEXT", NULL, 0, 0, {{"'(1.5,2)'", "=", 0}}},
    {"line", "TEXT", NULL, 0, 0, {{"'{1,2,3}'", "=", 0}}},
    {"lseg", "TEXT", NULL, 0, 0, {{"'[(0,0),(1,1)]'", "=", 0}}},
    {"box", "TEXT", NULL, 0, 0, {{"'(1,1),(0,0)'", "=", 0}}},
    {"path", "TEXT", NULL, 0, 0, {{"'[(0,0),(1,1),(2,0)]'", "=", 0}}},
    {"polygon", "TEXT", NULL, 0, 0, {{"'((0,0),(1,1),(2,0))'", "=", 0}}},
    {"circle", "TEXT", NULL, 0, 0, {{"'<(0,0),1>'", "=", 0}}},
    {"cidr", "TEXT", NULL, 0, 0, {{"'10.0.0.0/8'", "=", 0}}},
    {"inet", "TEXT", NULL, 0, 0, {{"'192.168.0.1/24'", "=", 0}, {"'::ffff:1.2.3.4'", "=", 0}}},
    {"macaddr", "TEXT", NULL, 0, 0, {{"'08:00:2b:01:02:03'", "=", 0}}},
    {"macaddr8", "TEXT", NULL, 0, 0, {{"'08:00:2b:01:02:03:04:05'", "=", 0}}},
    {"tsvector", "TEXT", NULL, 0, 0, {{"'a fat cat:2 rat'", "=", 0}}},
    {"tsquery", "TEXT", NULL, 0, 0, {{"'fat & (rat | cat)'", "=", 0}}},
    {"pg_lsn", "TEXT", NULL, 0, 0, {{"'16/B374D848'", "=", 0}}},
    {"int4range", "TEXT", NULL, 0, 0, {{"'[1,10)'", "=", 0}, {"'empty'", "=", 0}}},
    {"tstzrange", "TEXT", NULL, 0, 0, {{"'[2024-01-01,infinity)'", "=", 0}}},
    {"int4multirange", "TEXT", NULL, 0, 14, {{"'{[1,3),[5,7)}'", "=", 0}}},
    /* arrays */
    {"integer[]", "ARRAY", NULL, 1, 0,
     {{"'{1,2,NULL}'", "[1,2,null]", 0}, {"'{{1,2},{3,4}}'", "[[1,2],[3,4]]", 0}, {"'[0:1]={1,2}'", "[1,2]", 0},
      {"'{}'", "[]", 0}}},
    {"text[]", "ARRAY", NULL, 1, 0,
     {{"ARRAY['a b', 'c\"d', 'NULL', '', E'x\\\\y', NULL, E'line\\nbreak', '{}']", "[\"a b\",\"c\\\"d\",\"NULL\",\"\",\"x\\\\y\",null,\"line\\nbreak\",\"{}\"]", 0}}},
    {"numeric[]", "ARRAY", NULL, 1, 0,
     {{"'{1.5,NaN,12345678901234567890123456789012345678901,-0.001}'", "[1.5,\"NaN\",\"12345678901234567890123456789012345678901\",-0.001]", 0}}},
    {"float8[]", "ARRAY", NULL, 1, 0,
     {{"'{1.5,NaN,Infinity,-Infinity,-0,0.1}'", "[1.5,\"NaN\",\"inf\",\"-inf\",-0,0.1]", 0}}},
    {"boolean[]", "ARRAY", NULL, 1, 0, {{"'{t,f,NULL}'", "[true,false,null]", 0}}},
    {"date[]", "ARRAY", NULL, 1, 0,
     {{"'{2024-01-01,infinity,\"4713-11-24 BC\"}'", "~[\"2024-01-01\",\"9999-12-31\",\"-4712-11-24\"]", 0}}},
    {"timestamptz[]", "ARRAY", NULL, 1, 0,
     {{"ARRAY['2024-01-01 12:00:00+05:30'::timestamptz]", "[\"2024-01-01 06:30:00+00:00\"]", 0}}},
    {"json[]", "ARRAY", NULL, 1, 0, {{"ARRAY['{\"a\": 1}'::json, NULL]", "[{\"a\": 1},null]", 0}}},
    {"jsonb[]", "ARRAY", NULL, 1, 0, {{"ARRAY['{\"a\": \"x y\"}'::jsonb]", "[{\"a\": \"x y\"}]", 0}}},
    {"bytea[]", "ARRAY", NULL, 1, 0, {{"ARRAY['\\x0001'::bytea, '\\x'::bytea, NULL]", "[\"0001\",\"\",null]", 0}}},
    {"box[]", "ARRAY", NULL, 0, 0, {{"ARRAY['(1,1),(0,0)'::box, '(2,2),(1,1)'::box]", "[\"(1,1),(0,0)\",\"(2,2),(1,1)\"]", 0}}},
    {"varchar(5)[]", "ARRAY", NULL, 1, 0, {{"'{ab,\"c d\"}'", "[\"ab\",\"c d\"]", 0}}},
    {"uuid[]", "ARRAY", NULL, 1, 0,
     {{"'{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}'", "[\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\"]", 0}}},
    {"interval[]", "ARRAY", NULL, 1, 0, {{"'{\"1 day\",-00:00:01}'", "[\"1 day\",\"-00:00:01\"]", 0}}},
    /* user types */
    {"money2", "NUMBER(10,2)", "numeric(10,2)", 1, 0,
     {{"1.5", "1.50", 0}, {"'NaN'", "!VALUE:NaN cannot be stored", 0}}},
    {"money2_again", "NUMBER(10,2)", "numeric(10,2)", 1, 0, {{"-99999999.99", "=", 0}}},
    {"posint", "NUMBER(38,0)", "integer", 1, 0, {{"5", "=", 0}}},
    {"short_text", "TEXT", "character varying(5)", 1, 0, {{"'abc'", "=", 0}}},
    {"mood", "TEXT", "text", 1, 0, {{"'happy'", "=", 0}}},
    {"s.\"My Color\"", "TEXT", "text", 1, 0, {{"'dark red'", "=", 0}}},
    {"pair", "TEXT", "text", 0, 0, {{"ROW(1, 'x y')", "=", 0}, {"ROW(NULL, NULL)", "=", 0}}},
    {"floatrange", "TEXT", "text", 0, 0, {{"'[1.5,2.5)'", "=", 0}}},
    {"money2[]", "ARRAY", "numeric(10,2)[]", 1, 0, {{"'{1.5,NULL}'", "[1.50,null]", 0}}},
    {"mood[]", "ARRAY", "text[]", 1, 0, {{"'{sad,happy}'", "[\"sad\",\"happy\"]", 0}}},
    {"pair[]", "ARRAY", "text[]", 0, 0, {{"ARRAY[ROW(1,'a')::pair, ROW(2,'b c')::pair]", "[\"(1,a)\",\"(2,\\\"b c\\\")\"]", 0}}},
    {"intarr", "ARRAY", "integer[]", 1, 0, {{"'{3,4}'", "[3,4]", 0}}},
};

#define NCASES (sizeof cases / sizeof cases[0])

static PGresult *query_params(PGconn *conn, const char *sql, int nparams, const char *const *params, int fmt)
{
    PGresult *r = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, fmt);
    if (PQresultStatus(r) != PGRES_TUPLES_OK && PQresultStatus(r) != PGRES_COMMAND_OK) {
        fprintf(stderr, "SQL failed: %s\n  %s", sql, PQerrorMessage(conn));
        exit(1);
    }
    return r;
}

static void setup_session(PGconn *conn)
{
    /* what the connection layer sets on the replication connection */
    pgt_exec(conn, "SET TimeZone = 'UTC'; SET DateStyle = ISO; SET IntervalStyle = postgres;"
                   "SET extra_float_digits = 3; SET bytea_output = hex; SET lc_monetary = 'C';"
                   "SET client_min_messages = warning");
}

static void create_user_types(PGconn *conn)
{
    pgt_exec(conn, "CREATE DOMAIN money2 AS numeric(10,2);"
                   "CREATE DOMAIN money2_again AS money2;"
                   "CREATE DOMAIN posint AS integer CHECK (VALUE > 0);"
                   "CREATE DOMAIN short_text AS varchar(5);"
                   "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');"
                   "CREATE SCHEMA s; CREATE TYPE s.\"My Color\" AS ENUM ('dark red', 'blue');"
                   "CREATE TYPE pair AS (a integer, b text);"
                   "CREATE TYPE floatrange AS RANGE (subtype = float8);"
                   "CREATE DOMAIN intarr AS integer[]");
}

/* Compares one conversion outcome with the expectation language of the
 * table ("=", "~x", "!VALUE:msg", else literal). */
static void check_outcome(const char *what, const char *text, pgcdc_code rc, pgcdc_value_result r,
                          const char *out, const char *msg, const char *want)
{
    pgt_checks++;
    bool ok;
    if (want[0] == '!') {
        ok = rc == PGCDC_EVALUE && strstr(msg, want + 7) != NULL;
    } else {
        bool ph = want[0] == '~';
        const char *lit = strcmp(want, "=") == 0 ? text : want + (ph ? 1 : 0);
        ok = rc == PGCDC_OK && r == (ph ? PGCDC_VALUE_PLACEHOLDER : PGCDC_VALUE_LITERAL) && strcmp(out, lit) == 0;
    }
    if (!ok) {
        pgt_failures++;
        fprintf(stderr, "%s: text '%.200s': got %s/%s '%.200s' (%s), expected '%.200s'\n", what, text,
                pgcdc_code_name(rc), pgcdc_value_result_name(r), out, msg, want);
    }
}

static void test_user_type_resolution(PGconn *conn, PGconn *repl)
{
    pgcdc_pg_type t;
    pgcdc_error err = {0};
    char *s;
    uint32_t money2, mood, pair, intarr, money2_arr, mood_arr, again, color;
#define OIDOF(var, name) do { s = pgt_query_value(conn, "SELECT '%s'::regtype::oid", name); \
        var = (uint32_t)strtoul(s, NULL, 10); free(s); } while (0)
    OIDOF(money2, "money2");
    OIDOF(again, "money2_again");
    OIDOF(mood, "mood");
    OIDOF(pair, "pair");
    OIDOF(intarr, "intarr");
    OIDOF(money2_arr, "money2[]");
    OIDOF(mood_arr, "mood[]");
    OIDOF(color, "s.\"My Color\"");
    const int32_t num102 = ((10 << 16) | 2) + 4;

    CHECK_INT(pgcdc_type_resolve(conn, money2, -1, &t, &err), PGCDC_OK);
    CHECK_INT(t.typtype, 'd');
    CHECK_STR(t.name, "public.money2");
    CHECK_INT(t.base_oid, 1700);
    CHECK_INT(t.base_typmod, num102);
    CHECK_INT(t.elem_oid, 0);

    CHECK_INT(pgcdc_type_resolve(conn, again, -1, &t, &err), PGCDC_OK); /* a domain over a domain */
    CHECK_INT(t.base_oid, 1700);
    CHECK_INT(t.base_typmod, num102);

    CHECK_INT(pgcdc_type_resolve(conn, mood, -1, &t, &err), PGCDC_OK);
    CHECK_INT(t.typtype, 'e');
    CHECK_INT(t.base_oid, mood);
    CHECK_INT(t.base_typtype, 'e');

    CHECK_INT(pgcdc_type_resolve(conn, color, -1, &t, &err), PGCDC_OK);
    CHECK_STR(t.name, "s.My Color");

    CHECK_INT(pgcdc_type_resolve(conn, pair, -1, &t, &err), PGCDC_OK);
    CHECK_INT(t.typtype, 'c');

    CHECK_INT(pgcdc_type_resolve(conn, money2_arr, -1, &t, &err), PGCDC_OK); /* array of a domain */
    CHECK_INT(t.base_oid, money2_arr);
    CHECK_INT(t.elem_oid, 1700);
    CHECK_INT(t.elem_typmod, num102);
    CHECK_INT(t.elem_delim, ',');
    CHECK_STR(t.name, "public._money2");

    CHECK_INT(pgcdc_type_resolve(conn, mood_arr, -1, &t, &err), PGCDC_OK); /* array of an enum */
    CHECK_INT(t.elem_oid, mood);
    CHECK_INT(t.elem_typtype, 'e');

    CHECK_INT(pgcdc_type_resolve(conn, intarr, -1, &t, &err), PGCDC_OK); /* a domain over an array */
    CHECK_INT(t.typtype, 'd');
    CHECK_INT(t.base_oid, 1007);
    CHECK_INT(t.elem_oid, 23);

    /* a missing OID */
    CHECK_INT(pgcdc_type_resolve(conn, 999999, -1, &t, &err), PGCDC_ENOTFOUND);
    CHECK_CONTAINS(err.message, "999999");

    /* the replication connection takes the simple-protocol query */
    CHECK_INT(pgcdc_type_resolve(repl, money2_arr, -1, &t, &err), PGCDC_OK);
    CHECK_INT(t.elem_typmod, num102);

    /* the cache: same answers, one query per type, typmod applied per call */
    pgcdc_type_cache *cache;
    CHECK_INT(pgcdc_type_cache_new(&cache, &err), PGCDC_OK);
    for (int i = 0; i < 3; i++) {
        CHECK_INT(pgcdc_type_resolve_cached(cache, conn, money2_arr, -1, &t, &err), PGCDC_OK);
        CHECK_INT(t.elem_typmod, num102);
        CHECK_INT(pgcdc_type_resolve_cached(cache, conn, 1231, (20 << 16) + 4, &t, &err), PGCDC_OK);
        CHECK_INT(t.elem_typmod, (20 << 16) + 4);
    }
    CHECK_INT(pgcdc_type_resolve_cached(cache, conn, mood, -1, &t, &err), PGCDC_OK);
    CHECK_STR(t.name, "public.mood");
    pgt_exec(conn, "ALTER TYPE mood RENAME TO feeling");
    CHECK_INT(pgcdc_type_resolve_cached(cache, conn, mood, -1, &t, &err), PGCDC_OK);
    CHECK_STR(t.name, "public.mood"); /* cached */
    pgcdc_type_cache_invalidate(cache, mood);
    CHECK_INT(pgcdc_type_resolve_cached(cache, conn, mood, -1, &t, &err), PGCDC_OK);
    CHECK_STR(t.name, "public.feeling");
    pgt_exec(conn, "ALTER TYPE feeling RENAME TO mood");
    pgcdc_type_cache_invalidate(cache, 0);
    CHECK_INT(pgcdc_type_resolve_cached(cache, conn, mood, -1, &t, &err), PGCDC_OK);
    CHECK_STR(t.name, "public.mood");
    pgcdc_type_cache_free(cache);

}

/* A connection whose backend the server terminated: ECONNECT, not a type error. */
static void test_dropped_connection(const pgt_cluster *c, PGconn *conn)
{
    PGconn *victim = pgt_connect(c, "postgres");
    char *pid = pgt_query_value(victim, "SELECT pg_backend_pid()");
    pgt_exec(conn, "SELECT pg_terminate_backend(%s)", pid);
    free(pid);
    pgcdc_pg_type t;
    pgcdc_error err = {0};
    char *oid = pgt_query_value(conn, "SELECT 'mood'::regtype::oid");
    pgcdc_code rc = pgcdc_type_resolve(victim, (uint32_t)strtoul(oid, NULL, 10), -1, &t, &err);
    CHECK_MSG(rc == PGCDC_ECONNECT, "got %s: %s", pgcdc_code_name(rc), err.message);
    free(oid);
    PQfinish(victim);
}

/* One value of one case: text and binary forms through both dialects. */
static void check_value(PGconn *conn, const live_case *c, int k, const live_value *lv, int id,
                        const pgcdc_dest_type *sf, const pgcdc_dest_type *pg)
{
    char idbuf[16], sql[256];
    snprintf(idbuf, sizeof idbuf, "%d", id);
    const char *params[2] = {idbuf, NULL};
    snprintf(sql, sizeof sql, "SELECT c%d FROM t_all WHERE id = $1", k);
    PGresult *rt = query_params(conn, sql, 1, params, 0);
    PGresult *rb = query_params(conn, sql, 1, params, 1);
    const char *text = PQgetvalue(rt, 0, 0);
    pgcdc_value vt = {'t', (uint32_t)PQgetlength(rt, 0, 0), text};
    pgcdc_value vb = {'b', (uint32_t)PQgetlength(rb, 0, 0), PQgetvalue(rb, 0, 0)};
    char what[160];
    pgcdc_buf ot = PGCDC_BUF_INIT, ob = PGCDC_BUF_INIT;
    pgcdc_error et = {0}, eb = {0};
    pgcdc_value_result r_t = PGCDC_VALUE_NULL, r_b = PGCDC_VALUE_NULL;

    for (int d = 0; d < 2; d++) {
        const pgcdc_dest_type *dt = d ? pg : sf;
        pgcdc_buf_reset(&ot);
        pgcdc_buf_reset(&ob);
        et.message[0] = eb.message[0] = '\0';
        snprintf(what, sizeof what, "%s %s <- %s", pgcdc_dialect_name(dt->dialect), dt->sql, c->type);
        pgcdc_code rct = pgcdc_value_convert(dt, &vt, &ot, &r_t, &et);
        if (lv->sf || d) /* NULL sf: only compared with the binary path */
            check_outcome(what, text, rct, r_t, ot.data ? ot.data : "", et.message, d ? "=" : lv->sf);
        pgcdc_code rcb = pgcdc_value_convert(dt, &vb, &ob, &r_b, &eb);
        if (c->binary) {
            CHECK_MSG(rcb == rct && r_b == r_t && strcmp(ob.data ? ob.data : "", ot.data ? ot.data : "") == 0,
                      "%s: binary gave %s '%.200s' (%s), text gave %s '%.200s'", what, pgcdc_code_name(rcb),
                      ob.data ? ob.data : "", eb.message, pgcdc_code_name(rct), ot.data ? ot.data : "");
        } else {
            CHECK_MSG(rcb == PGCDC_EUNSUPPORTED && strstr(eb.message, "binary") != NULL, "%s: binary gave %s (%s)",
                      what, pgcdc_code_name(rcb), eb.message);
        }
        if (d && rct == PGCDC_OK) {
            /* round trip: the literal into the mapped destination type reads back equal */
            const char *ins[2] = {idbuf, ot.data};
            char isql[128];
            snprintf(isql, sizeof isql, "INSERT INTO dst (id, c%d) VALUES ($1, $2)", k);
            PGresult *ri = PQexecParams(conn, isql, 2, NULL, ins, NULL, NULL, 0);
            CHECK_MSG(PQresultStatus(ri) == PGRES_COMMAND_OK, "%s: inserting '%.100s' failed: %s", what, ot.data,
                      PQerrorMessage(conn));
            PQclear(ri);
            snprintf(sql, sizeof sql,
                     "SELECT (SELECT c%d::text FROM t_all WHERE id = $1) IS NOT DISTINCT FROM "
                     "(SELECT c%d::text FROM dst WHERE id = $1)", k, k);
            PGresult *rc = query_params(conn, sql, 1, params, 0);
            CHECK_MSG(strcmp(PQgetvalue(rc, 0, 0), "t") == 0, "%s: value '%.100s' did not round-trip", what, text);
            PQclear(rc);
        }
    }
    pgcdc_buf_free(&ot);
    pgcdc_buf_free(&ob);
    PQclear(rt);
    PQclear(rb);
}

/* The unchanged-TOAST placeholder: accepted by every PostgreSQL destination
 * column that claims to hold it. */
static void check_placeholder(PGconn *conn, int k, const pgcdc_dest_type *sf, const pgcdc_dest_type *pg, int id)
{
    pgcdc_buf b = PGCDC_BUF_INIT;
    pgcdc_error err = {0};
    pgcdc_value u = {'u', 0, NULL};
    pgcdc_value_result r;
    CHECK_INT(pgcdc_value_convert(sf, &u, &b, &r, &err) == PGCDC_OK, sf->holds_unchanged);
    pgcdc_buf_reset(&b);
    pgcdc_code rc = pgcdc_value_convert(pg, &u, &b, &r, &err);
    CHECK_INT(rc == PGCDC_OK, pg->holds_unchanged);
    if (rc == PGCDC_OK) {
        CHECK_INT(r, PGCDC_VALUE_UNCHANGED);
        char idbuf[16], isql[128];
        snprintf(idbuf, sizeof idbuf, "%d", id);
        const char *ins[2] = {idbuf, b.data};
        snprintf(isql, sizeof isql, "INSERT INTO dst (id, c%d) VALUES ($1, $2)", k);
        PGresult *ri = PQexecParams(conn, isql, 2, NULL, ins, NULL, NULL, 0);
        CHECK_MSG(PQresultStatus(ri) == PGRES_COMMAND_OK, "%s: the placeholder '%s' was refused: %s", pg->sql, b.data,
                  PQerrorMessage(conn));
        PQclear(ri);
    }
    pgcdc_buf_free(&b);
}

static void test_all_types(PGconn *conn, int major)
{
    /* the source table: id + one column per case (c0, c1, ...) */
    pgcdc_buf ddl = PGCDC_BUF_INIT;
    pgcdc_buf_puts(&ddl, "CREATE TABLE t_all (id integer PRIMARY KEY");
    for (size_t k = 0; k < NCASES; k++)
        if (major >= cases[k].min_major)
            pgcdc_buf_printf(&ddl, ", c%zu %s", k, cases[k].type);
    pgcdc_buf_puts(&ddl, ")");
    pgt_exec(conn, "%s", ddl.data);

    /* one row per value, the other columns NULL (serials take their default) */
    int id = 0;
    for (size_t k = 0; k < NCASES; k++) {
        if (major < cases[k].min_major)
            continue;
        for (int j = 0; j < MAXV && cases[k].v[j].sql; j++)
            if (major >= cases[k].v[j].min_major)
                pgt_exec(conn, "INSERT INTO t_all (id, c%zu) VALUES (%d, %s)", k, ++id, cases[k].v[j].sql);
    }

    /* map every column from what a Relation message carries */
    pgcdc_dest_type sf[NCASES], pg[NCASES];
    pgcdc_buf_reset(&ddl);
    pgcdc_buf_puts(&ddl, "CREATE TABLE dst (id integer PRIMARY KEY");
    for (size_t k = 0; k < NCASES; k++) {
        const live_case *c = &cases[k];
        if (major < c->min_major)
            continue;
        char *oid = pgt_query_value(conn, "SELECT atttypid FROM pg_attribute WHERE attrelid = 't_all'::regclass "
                                          "AND attname = 'c%zu'", k);
        char *mod = pgt_query_value(conn, "SELECT atttypmod FROM pg_attribute WHERE attrelid = 't_all'::regclass "
                                          "AND attname = 'c%zu'", k);
        char *fmt = pgt_query_value(conn, "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                                          "WHERE attrelid = 't_all'::regclass AND attname = 'c%zu'", k);
        pgcdc_pg_type t;
        pgcdc_error err = {0};
        pgcdc_code rc = pgcdc_type_resolve(conn, (uint32_t)strtoul(oid, NULL, 10), (int32_t)strtol(mod, NULL, 10),
                                           &t, &err);
        CHECK_MSG(rc == PGCDC_OK, "%s: resolve: %s", c->type, err.message);
        CHECK_INT(pgcdc_type_map(&t, SF, &sf[k], &err), PGCDC_OK);
        CHECK_INT(pgcdc_type_map(&t, PG, &pg[k], &err), PGCDC_OK);
        CHECK_MSG(strcmp(sf[k].sql, c->sf_sql) == 0, "%s: Snowflake type %s, expected %s", c->type, sf[k].sql,
                  c->sf_sql);
        const char *want_pg = c->pg_sql ? c->pg_sql : fmt;
        CHECK_MSG(strcmp(pg[k].sql, want_pg) == 0, "%s: PostgreSQL type %s, expected %s", c->type, pg[k].sql,
                  want_pg);
        pgcdc_buf_printf(&ddl, ", c%zu %s", k, pg[k].sql);
        free(oid);
        free(mod);
        free(fmt);
    }
    pgcdc_buf_puts(&ddl, ")");
    pgt_exec(conn, "%s", ddl.data); /* the mapped types are valid DDL on the server */
    pgcdc_buf_free(&ddl);

    id = 0;
    for (size_t k = 0; k < NCASES; k++) {
        if (major < cases[k].min_major)
            continue;
        for (int j = 0; j < MAXV && cases[k].v[j].sql; j++)
            if (major >= cases[k].v[j].min_major) {
                ++id;
                check_value(conn, &cases[k], (int)k, &cases[k].v[j], id, &sf[k], &pg[k]);
            }
        check_placeholder(conn, (int)k, &sf[k], &pg[k], -1 - (int)k);
    }
}

/* Random values of a type, generated by the server: the binary form must
 * give the literal the text form gives, in both dialects, and the PostgreSQL
 * literal must be the server's own text. Catches any drift between our
 * decoders of send formats and the server's output functions (float
 * shortest-digits, numeric groups, BC dates, interval signs). */
static void fuzz_type(PGconn *conn, const char *type, const char *expr, int n)
{
    pgt_exec(conn, "DROP TABLE IF EXISTS rnd; SELECT setseed(0.42);"
                   "CREATE TABLE rnd AS SELECT g, (%s)::%s AS v FROM generate_series(1, %d) g", expr, type, n);
    const char *sql = "SELECT v FROM rnd ORDER BY g";
    PGresult *rt = query_params(conn, sql, 0, NULL, 0);
    PGresult *rb = query_params(conn, sql, 0, NULL, 1);
    char *oid = pgt_query_value(conn, "SELECT '%s'::regtype::oid", type);
    pgcdc_pg_type t;
    pgcdc_dest_type dt[2];
    pgcdc_error err = {0};
    CHECK_INT(pgcdc_type_resolve(conn, (uint32_t)strtoul(oid, NULL, 10), -1, &t, &err), PGCDC_OK);
    free(oid);
    CHECK_INT(pgcdc_type_map(&t, SF, &dt[0], &err), PGCDC_OK);
    CHECK_INT(pgcdc_type_map(&t, PG, &dt[1], &err), PGCDC_OK);
    pgcdc_buf ot = PGCDC_BUF_INIT, ob = PGCDC_BUF_INIT;
    int bad = 0;
    for (int i = 0; i < PQntuples(rt); i++) {
        if (PQgetisnull(rt, i, 0))
            continue;
        pgcdc_value vt = {'t', (uint32_t)PQgetlength(rt, i, 0), PQgetvalue(rt, i, 0)};
        pgcdc_value vb = {'b', (uint32_t)PQgetlength(rb, i, 0), PQgetvalue(rb, i, 0)};
        for (int d = 0; d < 2; d++) {
            pgcdc_buf_reset(&ot);
            pgcdc_buf_reset(&ob);
            pgcdc_error et = {0}, eb = {0};
            pgcdc_code a = pgcdc_value_convert(&dt[d], &vt, &ot, NULL, &et);
            pgcdc_code b = pgcdc_value_convert(&dt[d], &vb, &ob, NULL, &eb);
            bool ok = a == b && (a != PGCDC_OK || strcmp(ot.data, ob.data) == 0);
            if (d == 1)
                ok = ok && a == PGCDC_OK && strcmp(ot.data, vt.data) == 0;
            if (!ok && bad++ < 5)
                fprintf(stderr, "%s %s: server text '%s': text path %s '%s' (%s), binary path %s '%s' (%s)\n", type,
                        pgcdc_dialect_name(dt[d].dialect), vt.data, pgcdc_code_name(a), ot.data ? ot.data : "",
                        et.message, pgcdc_code_name(b), ob.data ? ob.data : "", eb.message);
        }
    }
    CHECK_MSG(bad == 0, "%s: %d of %d random values differ between the text and binary paths", type, bad,
              PQntuples(rt));
    CHECK(PQntuples(rt) == n);
    pgcdc_buf_free(&ot);
    pgcdc_buf_free(&ob);
    PQclear(rt);
    PQclear(rb);
}

static void test_random_values(PGconn *conn, int major)
{
    const int n = 3000;
    fuzz_type(conn, "float8", "(random() - 0.5) * 10.0::float8 ^ (random() * 600 - 300)", n);
    fuzz_type(conn, "float8", "round((random() - 0.5) * 10.0::float8 ^ (random() * 20))", n);
    fuzz_type(conn, "float4", "((random() - 0.5) * 10.0::float8 ^ (random() * 70 - 35))", n);
    fuzz_type(conn, "float4", "round((random() * 10.0::float8 ^ (random() * 9)))::float4 / 100", n);
    fuzz_type(conn, "numeric", "round(((random() - 0.5) * 10.0::float8 ^ (random() * 40))::numeric, "
                               "(random() * 30)::int)", n);
    fuzz_type(conn, "numeric", "((random() - 0.5)::numeric * 10::numeric ^ ((random() * 200 - 100)::int))", n);
    fuzz_type(conn, "date", "date '4713-01-01 BC' + (random() * 2147000000)::int / 29", n);
    fuzz_type(conn, "timestamp", "timestamp '4713-01-01 00:00:00 BC' + random() * interval '296000 years'", n);
    fuzz_type(conn, "timestamptz", "timestamptz '4713-01-01 00:00:00+00 BC' + random() * interval '296000 years'",
              n);
    fuzz_type(conn, "timestamptz", "now() + (random() - 0.5) * interval '3000 years'", n);
    fuzz_type(conn, "time", "time '00:00' + random() * interval '24 hours'", n);
    fuzz_type(conn, "timetz", "((time '00:00' + random() * interval '24 hours')::text || "
                              "(CASE WHEN random() < 0.5 THEN '-' ELSE '+' END) || "
                              "lpad((random() * 14)::int::text, 2, '0') || ':' || "
                              "lpad((random() * 59)::int::text, 2, '0'))", n);
    fuzz_type(conn, "interval", "make_interval(years => ((random() - 0.5) * 2000)::int, "
                                "months => ((random() - 0.5) * 30)::int, days => ((random() - 0.5) * 1000)::int, "
                                "secs => ((random() - 0.5) * 10.0::float8 ^ (random() * 9))::numeric(20,6)::float8)",
              n);
    fuzz_type(conn, "int8", "((random() - 0.5) * 2 ^ 63)::numeric::int8", n);
    fuzz_type(conn, "uuid", "md5(random()::text)::uuid", n);
    fuzz_type(conn, "int4[]", "ARRAY[(random() * 100)::int, NULL, -(random() * 1e9)::int]", n / 10);
    fuzz_type(conn, "text[]", "ARRAY[md5(random()::text), 'a \"b', chr(10)]", n / 10);
    (void)major;
}

int main(void)
{
    int major = pgt_major();
    pgt_cluster c;
    pgt_cluster_start(&c, major, NULL);
    PGconn *conn = pgt_connect(&c, "postgres");
    setup_session(conn);
    create_user_types(conn);

    char ci[256];
    pgt_conninfo(&c, "postgres", ci, sizeof ci);
    char rci[300];
    snprintf(rci, sizeof rci, "%s replication=database", ci);
    PGconn *repl = PQconnectdb(rci);
    CHECK_MSG(PQstatus(repl) == CONNECTION_OK, "replication connection: %s", PQerrorMessage(repl));

    test_user_type_resolution(conn, repl);
    test_dropped_connection(&c, conn);
    test_all_types(conn, major);
    test_random_values(conn, major);

    PQfinish(repl);
    PQfinish(conn);
    pgt_cluster_stop(&c);
    char name[32];
    snprintf(name, sizeof name, "types-live-pg%d", major);
    return pgt_done(name);
}
