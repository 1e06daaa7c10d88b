/* test_snapshot_types.c - values read by the snapshot reader, per server version.
 *
 * A table with a column of every common type (edge values, NULLs, empty
 * strings, bytea with 0 bytes, escapes of every kind in text) is read with
 * text COPY and with binary COPY (the columns whose binary form the type layer
 * decodes, as pgcdc_snapshot_binary_ok says). Against the server's own
 * text output (SELECT col, text result format) on a connection with the
 * same session settings:
 *   - the text values are exactly that text;
 *   - the binary values, converted with pgcdc_value_convert (PostgreSQL
 *     dialect), give exactly the literal the text values give, and for every
 *     type whose PostgreSQL literal is its text (all but a few) that text.
 * Then wide rows (1 MB text and bytea values) in both formats, and a table
 * without any row. */
#include "pgcdc/types.h"
#include "snap_test.h"

static pgt_cluster cl;
static pgcdc_source_config cfg;

typedef struct coldef {
    const char *type;
    const char *v[5]; /* SQL expressions for rows 1..5; NULL = SQL NULL */
} coldef;

/* Row 3 is all NULL; row 4 has the "empty" value of each type where it has one. */
static const coldef cols[] = {
    {"smallint", {"-32768", "32767", NULL, "0", "1"}},
    {"integer", {"-2147483648", "2147483647", NULL, "0", "1"}},
    {"bigint", {"-9223372036854775808", "9223372036854775807", NULL, "0", "1"}},
    {"numeric(12,3)", {"123456789.123", "-0.001", NULL, "0", "'NaN'"}},
    {"numeric", {"1234567890123456789012345678901234567890.0123456789", "'1e-100'", NULL, "0.000", "'NaN'"}},
    {"real", {"1.5", "'-0'", NULL, "'NaN'", "'Infinity'"}},
    {"double precision", {"0.1", "1e308", NULL, "'-Infinity'", "'5e-324'"}},
    {"money", {"1234.56", "-1", NULL, "0", "'-92233720368547758.08'"}},
    {"boolean", {"true", "false", NULL, "true", "false"}},
    {"char(5)", {"'ab'", "'abcde'", NULL, "''", "' '"}},
    {"varchar(20)", {"'h\xc3\xa9llo'", "'with \"quotes\"'", NULL, "''", "'x'"}},
    {"text", {"E'tab\\there\\nnew line \\\\ backslash \\r cr \\b\\f\\v'", "'\xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80'",
              NULL, "''", "'\\N'"}},
    {"bytea", {"'\\x00ff00'", "'\\x'", NULL, "''", "decode('0a090d5c4e00', 'hex')"}},
    {"date", {"'2024-02-29'", "'infinity'", NULL, "'-infinity'", "'4713-11-24 BC'"}},
    {"time", {"'23:59:59.999999'", "'00:00:00'", NULL, "'24:00:00'", "'12:34:56'"}},
    {"timetz", {"'12:00:00+05:30'", "'00:00:00.5-14'", NULL, "'24:00:00+00'", "'01:02:03-09:30:15'"}},
    {"timestamp", {"'2024-01-01 12:34:56.789'", "'infinity'", NULL, "'294276-12-31 23:59:59.999999'",
                   "'4713-11-24 00:00:00 BC'"}},
    {"timestamptz", {"'2024-01-01 12:00:00+05:30'", "'-infinity'", NULL, "'2000-01-01 00:00:00+00'",
                     "'1900-06-30 23:59:59.5-03'"}},
    {"interval", {"'1 year 2 mons -3 days 04:05:06.789'", "'-178956970 years -7 mons -2147483648 days'", NULL,
                  "'0'", "'-1 day +00:00:01'"}},
    {"json", {"'{\"a\": \"\\u0000\", \"b\": [1, 2.5e10]}'", "'[]'", NULL, "'\"\"'", "'null'"}},
    {"jsonb", {"'{\"b\": {\"c\": true}, \"a\": \"x\\ny\"}'", "'{}'", NULL, "'\"\"'", "'[1, \"\\t\"]'"}},
    {"uuid", {"'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'", "'00000000-0000-0000-0000-000000000000'", NULL,
              "'ffffffff-ffff-ffff-ffff-ffffffffffff'", "'12345678-1234-1234-1234-123456789abc'"}},
    {"inet", {"'192.168.0.1/24'", "'::ffff:1.2.3.4'", NULL, "'0.0.0.0'", "'::1'"}},
    {"cidr", {"'10.0.0.0/8'", "'2001:db8::/32'", NULL, "'0.0.0.0/0'", "'1.2.3.4/32'"}},
    {"macaddr", {"'08:00:2b:01:02:03'", "'ff:ff:ff:ff:ff:ff'", NULL, "'00:00:00:00:00:00'", "'01:02:03:04:05:06'"}},
    {"point", {"'(1.5,2)'", "'(-0,1e300)'", NULL, "'(0,0)'", "'(1,1)'"}},
    {"bit(4)", {"B'1010'", "B'0000'", NULL, "B'1111'", "B'0001'"}},
    {"varbit", {"B'1'", "B''", NULL, "B''", "B'101010101'"}},
    {"tsvector", {"'a fat cat:2 rat'", "''", NULL, "''", "'x'"}},
    {"xml", {"'<a b=\"1\">x &amp; y</a>'", "''", NULL, "''", "'<x/>'"}},
    {"int4range", {"'[1,10)'", "'empty'", NULL, "'(,)'", "'[5,6]'"}},
    {"oid", {"0", "4294967295", NULL, "0", "1"}},
    {"name", {"'pg_class'", "''", NULL, "''", "'a b'"}},
    {"mood", {"'happy'", "'sad'", NULL, "'sad'", "'happy'"}},
    {"money2", {"1.5", "-99999999.99", NULL, "0", "'NaN'"}},
    {"integer[]", {"'{1,2,NULL}'", "'{{1,2},{3,4}}'", NULL, "'{}'", "'[0:1]={1,2}'"}},
    {"text[]", {"ARRAY['a b', 'c\"d', 'NULL', '', E'x\\\\y', NULL, E'line\\nbreak']", "'{}'", NULL, "'{\"\"}'",
                "'{\\\\N}'"}},
    {"numeric[]", {"'{1.5,NaN,-0.001}'", "'{}'", NULL, "'{NULL}'", "'{1e-20}'"}},
    {"bytea[]", {"ARRAY['\\x0001'::bytea, '\\x'::bytea, NULL]", "'{}'", NULL, "'{}'", "ARRAY[''::bytea]"}},
    {"timestamptz[]", {"ARRAY['2024-01-01 12:00:00+05:30'::timestamptz, 'infinity']", "'{}'", NULL, "'{}'",
                       "'{NULL}'"}},
    {"point[]", {"ARRAY['(1,2)'::point]", "'{}'", NULL, "'{}'", "'{NULL}'"}},
};
#define NCOLS ((int)(sizeof cols / sizeof cols[0]))
#define NROWS 5

/* values by [row][col] as the server's text; NULL = SQL NULL */
static char *expected[NROWS][NCOLS + 1];
static pgcdc_dest_type dtypes[NCOLS + 1];
static int bin_cols[NCOLS + 1]; /* table column indexes read in binary */
static int nbin;

/* What a read collected: [row][position in the column list] */
typedef struct got {
    char *v[NROWS][NCOLS + 1];    /* the value as received (text) or converted (binary) */
    char *conv[NROWS][NCOLS + 1]; /* text values converted too */
    bool isnull[NROWS][NCOLS + 1];
    int rows, dup, bad_id, conv_errors;
    const int *map;               /* position -> table column index */
    int ncols;
    pgcdc_buf buf;
} got;

static char *dup_n(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

static pgcdc_code on_rows(void *ud, const pgcdc_snapshot_rows *b, pgcdc_error *err)
{
    got *g = ud;
    for (size_t i = 0; i < b->nrows; i++) {
        const pgcdc_value *vals = b->rows[i].values;
        long long id = snap_int(&vals[0]);
        if (id < 1 || id > NROWS) {
            g->bad_id++;
            continue;
        }
        int r = (int)id - 1;
        if (g->v[r][0]) {
            g->dup++;
            continue;
        }
        g->rows++;
        for (int k = 0; k < g->ncols; k++) {
            const pgcdc_value *v = &vals[k];
            int col = g->map[k];
            if (v->kind == 'n') {
                g->isnull[r][col] = true;
                g->v[r][col] = strdup("(null)");
                continue;
            }
            pgcdc_buf_reset(&g->buf);
            pgcdc_value_result res;
            pgcdc_error e;
            pgcdc_code rc = pgcdc_value_convert(&dtypes[col], v, &g->buf, &res, &e);
            if (rc != PGCDC_OK) {
                fprintf(stderr, "convert column %d (%s) row %d kind %c: %s\n", col, dtypes[col].pg_name, r + 1,
                        v->kind, e.message);
                g->conv_errors++;
            }
            char *conv = dup_n(g->buf.data ? g->buf.data : "", g->buf.len);
            if (v->kind == 't') {
                g->v[r][col] = dup_n(v->data, v->len);
                g->conv[r][col] = conv;
            } else {
                g->v[r][col] = conv;
            }
        }
    }
    (void)err;
    return PGCDC_OK;
}

static void got_free(got *g)
{
    for (int r = 0; r < NROWS; r++)
        for (int c = 0; c <= NCOLS; c++) {
            free(g->v[r][c]);
            free(g->conv[r][c]);
        }
    pgcdc_buf_free(&g->buf);
}

static void setup(PGconn *admin)
{
    pgt_exec(admin, "CREATE TYPE mood AS ENUM ('sad', 'happy'); CREATE DOMAIN money2 AS numeric(10,2)");
    pgcdc_buf sql = PGCDC_BUF_INIT;
    pgcdc_buf_puts(&sql, "CREATE TABLE alltypes (id integer PRIMARY KEY");
    for (int c = 0; c < NCOLS; c++)
        pgcdc_buf_printf(&sql, ", c%d %s", c + 1, cols[c].type);
    pgcdc_buf_puts(&sql, ")");
    pgt_exec(admin, "%s", sql.data);
    for (int r = 0; r < NROWS; r++) {
        pgcdc_buf_reset(&sql);
        pgcdc_buf_printf(&sql, "INSERT INTO alltypes VALUES (%d", r + 1);
        for (int c = 0; c < NCOLS; c++)
            pgcdc_buf_printf(&sql, ", %s", cols[c].v[r] ? cols[c].v[r] : "NULL");
        pgcdc_buf_puts(&sql, ")");
        pgt_exec(admin, "%s", sql.data);
    }
    pgcdc_buf_free(&sql);
}

/* Expected text and destination types, on a connection with the reader's session settings. */
static void load_expected(void)
{
    PGconn *conn;
    pgcdc_error e;
    if (pgcdc_source_connect(&cfg, false, &conn, &e) != PGCDC_OK) {
        fprintf(stderr, "%s\n", e.message);
        exit(1);
    }
    pgcdc_buf sql = PGCDC_BUF_INIT;
    /* The text result of a plain SELECT is each type's output function -
     * what COPY writes. (A ::text cast is not quite that for boolean "true",
     * char(n) without its padding and inet with its /32.) */
    pgcdc_buf_puts(&sql, "SELECT id");
    for (int c = 0; c < NCOLS; c++)
        pgcdc_buf_printf(&sql, ", c%d", c + 1);
    pgcdc_buf_puts(&sql, " FROM alltypes ORDER BY id");
    PGresult *res = PQexec(conn, sql.data);
    CHECK_INT(PQntuples(res), NROWS);
    for (int r = 0; r < NROWS && r < PQntuples(res); r++)
        for (int c = 0; c <= NCOLS; c++)
            expected[r][c] = PQgetisnull(res, r, c) ? NULL : strdup(PQgetvalue(res, r, c));
    PQclear(res);

    res = PQexec(conn, "SELECT atttypid, atttypmod FROM pg_attribute WHERE attrelid = 'alltypes'::regclass"
                       " AND attnum > 0 ORDER BY attnum");
    CHECK_INT(PQntuples(res), NCOLS + 1);
    for (int c = 0; c <= NCOLS && c < PQntuples(res); c++) {
        pgcdc_pg_type t;
        pgcdc_code rc = pgcdc_type_resolve(conn, (uint32_t)strtoul(PQgetvalue(res, c, 0), NULL, 10),
                                           atoi(PQgetvalue(res, c, 1)), &t, &e);
        CHECK_MSG(rc == PGCDC_OK, "%s", e.message);
        rc = pgcdc_type_map(&t, PGCDC_DIALECT_POSTGRES, &dtypes[c], &e);
        CHECK_MSG(rc == PGCDC_OK, "%s", e.message);
    }
    PQclear(res);
    pgcdc_buf_free(&sql);
    PQfinish(conn);
}

static void read_table(pgcdc_copy_format fmt, const char *const *names, const int *map, int n, got *g, int conns)
{
    pgcdc_error e;
    pgcdc_snapshot_plan plan;
    pgcdc_code rc = snap_plan(&cl, "public", "alltypes", NULL, &plan, &e);
    CHECK_MSG(rc == PGCDC_OK, "%s", e.message);
    memset(g, 0, sizeof *g);
    g->map = map;
    g->ncols = n;
    pgcdc_snapshot_options opt = {0};
    opt.connections = conns;
    opt.serialize = true;
    opt.on_rows = on_rows;
    opt.userdata = g;
    pgcdc_snapshot_table t = {"public", "alltypes", n, names, fmt, &plan, NULL, 0, NULL};
    rc = snap_read(&cfg, &opt, &t, NULL, &e);
    CHECK_MSG(rc == PGCDC_OK, "%s", e.message);
    pgcdc_snapshot_plan_free(&plan);
    CHECK_INT(g->rows, NROWS);
    CHECK_INT(g->dup, 0);
    CHECK_INT(g->bad_id, 0);
}

static char colname[NCOLS + 1][8];
static const char *names_all[NCOLS + 1];
static int map_all[NCOLS + 1];

static void test_values(void)
{
    for (int c = 0; c <= NCOLS; c++) {
        snprintf(colname[c], sizeof colname[c], c ? "c%d" : "id", c);
        names_all[c] = colname[c];
        map_all[c] = c;
    }
    /* binary_ok: the whole table needs text (money, inet, point, ...), and
     * per column it says which types binary COPY can carry */
    int bad = -1;
    CHECK(!pgcdc_snapshot_binary_ok(dtypes, NCOLS + 1, &bad));
    CHECK(bad > 0);
    const char *names_bin[NCOLS + 1];
    for (int c = 0; c <= NCOLS; c++) {
        if (pgcdc_snapshot_binary_ok(&dtypes[c], 1, NULL)) {
            names_bin[nbin] = colname[c];
            bin_cols[nbin++] = c;
        }
    }
    CHECK(pgcdc_snapshot_binary_ok(dtypes, 1, NULL));
    /* the types the type layer documents as decoded in binary, and some it does not */
    static const char *const want_bin[] = {"int2", "int4", "int8", "numeric", "float4", "float8", "bool", "bpchar",
                                           "varchar", "text", "bytea", "date", "time", "timetz", "timestamp",
                                           "timestamptz", "interval", "json", "jsonb", "uuid", "oid", "name"};
    static const char *const want_text[] = {"money", "inet", "cidr", "macaddr", "point", "bit", "varbit",
                                            "tsvector", "xml", "int4range"};
    for (size_t i = 0; i < sizeof want_bin / sizeof *want_bin; i++) {
        bool found = false;
        for (int k = 0; k < nbin; k++)
            found |= strcmp(dtypes[bin_cols[k]].pg_name, want_bin[i]) == 0;
        CHECK_MSG(found, "type %s should be read in binary", want_bin[i]);
    }
    for (size_t i = 0; i < sizeof want_text / sizeof *want_text; i++)
        for (int k = 0; k < nbin; k++)
            CHECK_MSG(strcmp(dtypes[bin_cols[k]].pg_name, want_text[i]) != 0, "type %s cannot be binary",
                      want_text[i]);
    CHECK(nbin >= 30);
    CHECK(nbin < NCOLS);
    CHECK(pgcdc_snapshot_binary_ok(dtypes, 1, NULL));

    got text, bin;
    read_table(PGCDC_COPY_TEXT, names_all, map_all, NCOLS + 1, &text, 1);
    read_table(PGCDC_COPY_BINARY, names_bin, bin_cols, nbin, &bin, 2);
    CHECK_INT(text.conv_errors, 0);
    CHECK_INT(bin.conv_errors, 0);

    int checked_bin = 0;
    for (int r = 0; r < NROWS; r++) {
        for (int c = 0; c <= NCOLS; c++) {
            const char *want = expected[r][c] ? expected[r][c] : "(null)";
            /* text COPY: the output text itself */
            CHECK_MSG(text.v[r][c] && strcmp(text.v[r][c], want) == 0, "text row %d column %d (%s): got \"%s\", "
                      "expected \"%s\"", r + 1, c, c ? cols[c - 1].type : "id", text.v[r][c], want);
            CHECK_INT(text.isnull[r][c], expected[r][c] == NULL);
        }
        for (int k = 0; k < nbin; k++) {
            int c = bin_cols[k];
            /* binary COPY, converted: the literal text COPY converts to ... */
            const char *conv_text = text.conv[r][c] ? text.conv[r][c] : "(null)";
            CHECK_MSG(bin.v[r][c] && strcmp(bin.v[r][c], conv_text) == 0, "binary row %d column %d (%s): got \"%s\", "
                      "text gives \"%s\"", r + 1, c, c ? cols[c - 1].type : "id", bin.v[r][c], conv_text);
            /* ... which for PostgreSQL is the text itself (bytea: the hex form; every type here) */
            const char *want = expected[r][c] ? expected[r][c] : "(null)";
            CHECK_MSG(bin.v[r][c] && strcmp(bin.v[r][c], want) == 0, "binary row %d column %d (%s): got \"%s\", "
                      "the server's text is \"%s\"", r + 1, c, c ? cols[c - 1].type : "id", bin.v[r][c], want);
            CHECK_INT(bin.isnull[r][c], expected[r][c] == NULL);
            checked_bin++;
        }
    }
    CHECK_INT(checked_bin, NROWS * nbin);
    got_free(&text);
    got_free(&bin);
}

/* ---- wide rows ---- */

typedef struct wide {
    int rows, bad;
    PGresult *want; /* id, t, encode(b, 'hex') by id */
} wide;

static int hexval(char c)
{
    return c <= '9' ? c - '0' : c - 'a' + 10;
}

static pgcdc_code wide_rows(void *ud, const pgcdc_snapshot_rows *b, pgcdc_error *err)
{
    wide *w = ud;
    (void)err;
    for (size_t i = 0; i < b->nrows; i++) {
        const pgcdc_value *v = b->rows[i].values;
        int id = (int)snap_int(&v[0]);
        if (id < 1 || id > PQntuples(w->want)) {
            w->bad++;
            continue;
        }
        w->rows++;
        const char *t = PQgetvalue(w->want, id - 1, 1);
        const char *hex = PQgetvalue(w->want, id - 1, 2);
        size_t tlen = strlen(t), blen = strlen(hex) / 2;
        if (v[1].len != tlen || memcmp(v[1].data, t, tlen) != 0)
            w->bad++;
        if (v[2].kind == 'b') {
            if (v[2].len != blen)
                w->bad++;
            for (size_t k = 0; k < blen && v[2].len == blen; k++)
                if ((unsigned char)v[2].data[k] != (hexval(hex[2 * k]) << 4 | hexval(hex[2 * k + 1]))) {
                    w->bad++;
                    break;
                }
        } else if (v[2].len != blen * 2 + 2 || memcmp(v[2].data, "\\x", 2) != 0
                   || memcmp(v[2].data + 2, hex, blen * 2) != 0) {
            w->bad++;
        }
    }
    return PGCDC_OK;
}

static void test_wide(PGconn *admin)
{
    /* 1 MB of text with every escape COPY text uses, 1 MB of bytes with 0x00 */
    pgt_exec(admin, "CREATE TABLE wide (id int PRIMARY KEY, t text, b bytea)");
    pgt_exec(admin, "ALTER TABLE wide ALTER t SET STORAGE EXTERNAL, ALTER b SET STORAGE EXTERNAL");
    pgt_exec(admin, "INSERT INTO wide SELECT g, repeat(E'a\\tb\\nc\\\\d\\re' || md5(g::text), 1048576 / 42),"
                    " decode(repeat('00ff5c0a' || md5(g::text), 1048576 / 20), 'hex')"
                    " FROM generate_series(1, 6) g");
    wide w = {0};
    w.want = PQexec(admin, "SELECT id, t, encode(b, 'hex') FROM wide ORDER BY id");
    CHECK_INT(PQntuples(w.want), 6);
    CHECK(strlen(PQgetvalue(w.want, 0, 1)) > 1000000);
    pgcdc_error e;
    pgcdc_snapshot_plan plan;
    CHECK_INT(snap_plan(&cl, "public", "wide", NULL, &plan, &e), PGCDC_OK);
    static const char *const names[] = {"id", "t", "b"};
    for (int f = 0; f < 2; f++) {
        w.rows = w.bad = 0;
        pgcdc_snapshot_options opt = {0};
        opt.serialize = true;
        opt.on_rows = wide_rows;
        opt.userdata = &w;
        opt.batch_bytes = 3 << 20; /* a batch flushes after a couple of wide rows */
        pgcdc_snapshot_table t = {"public", "wide", 3, names, f ? PGCDC_COPY_TEXT : PGCDC_COPY_BINARY, &plan, NULL,
                                  0, NULL};
        pgcdc_snapshot_progress p;
        pgcdc_code rc = snap_read(&cfg, &opt, &t, &p, &e);
        CHECK_MSG(rc == PGCDC_OK, "%s", e.message);
        CHECK_INT(w.rows, 6);
        CHECK_INT(w.bad, 0);
        CHECK_INT(p.rows, 6);
        CHECK(p.bytes > 6 * 1500000);
        CHECK_INT(p.chunks_done, p.chunks_total);
        CHECK_INT(p.tables_done, 1);
    }
    pgcdc_snapshot_plan_free(&plan);
    PQclear(w.want);
}

/* ---- no rows ---- */

static int empty_calls;
static pgcdc_code count_calls(void *ud, const pgcdc_snapshot_rows *b, pgcdc_error *err)
{
    (void)ud;
    (void)b;
    (void)err;
    empty_calls++;
    return PGCDC_OK;
}

static void test_empty(PGconn *admin)
{
    pgt_exec(admin, "CREATE TABLE nothing (id int PRIMARY KEY, x text)");
    /* and one whose rows were all deleted: pages, no visible row */
    pgt_exec(admin, "CREATE TABLE emptied (id int PRIMARY KEY, x text)");
    pgt_exec(admin, "INSERT INTO emptied SELECT g, 'x' FROM generate_series(1, 5000) g; DELETE FROM emptied");
    static const char *const names[] = {"id", "x"};
    const char *tables[2] = {"nothing", "emptied"};
    for (int i = 0; i < 2; i++) {
        for (int f = 0; f < 2; f++) {
            pgcdc_error e;
            pgcdc_snapshot_plan plan;
            pgcdc_snapshot_plan_options po = {0};
            po.target_bytes = 16384;
            CHECK_INT(snap_plan(&cl, "public", tables[i], &po, &plan, &e), PGCDC_OK);
            CHECK(i == 1 || plan.nranges == 1);
            if (i == 0)
                CHECK_INT(plan.est_bytes, 0);
            empty_calls = 0;
            pgcdc_snapshot_options opt = {0};
            opt.on_rows = count_calls;
            opt.connections = 3;
            pgcdc_snapshot_table t = {"public", tables[i], 2, names, f ? PGCDC_COPY_TEXT : PGCDC_COPY_BINARY, &plan,
                                      NULL, 0, NULL};
            pgcdc_snapshot_progress p;
            pgcdc_code rc = snap_read(&cfg, &opt, &t, &p, &e);
            CHECK_MSG(rc == PGCDC_OK, "%s", e.message);
            CHECK_INT(empty_calls, 0);
            CHECK_INT(p.rows, 0);
            CHECK_INT(p.chunks_done, plan.nranges);
            CHECK_INT(p.tables_done, 1);
            pgcdc_snapshot_plan_free(&plan);
        }
    }
}

int main(void)
{
    pgcdc_log_set_handler(snap_log, NULL, PGCDC_LOG_WARN);
    pgt_cluster_start(&cl, pgt_major(), NULL);
    snap_cfg(&cfg, &cl, NULL, NULL);
    PGconn *admin = pgt_connect(&cl, "postgres");
    setup(admin);
    load_expected();
    test_values();
    test_wide(admin);
    test_empty(admin);
    for (int r = 0; r < NROWS; r++)
        for (int c = 0; c <= NCOLS; c++)
            free(expected[r][c]);
    PQfinish(admin);
    snap_cfg_free(&cfg);
    pgt_cluster_stop(&cl);
    return pgt_done("snapshot_types");
}
