/* test_merge_unit.c - the planner without a server: identifier quoting and
 * resolution, the table checks, every schema-change refusal and what is
 * allowed, derived names within PostgreSQL's limit, parameters instead of
 * values, and all-or-nothing statement lists. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "merge_fixture.h"

#define PG PGCDC_DIALECT_POSTGRES
#define SF PGCDC_DIALECT_SNOWFLAKE
#define CS PGCDC_IDENT_CASE_SENSITIVE
#define CI PGCDC_IDENT_CASE_INSENSITIVE

static void test_quoting(void)
{
    pgcdc_buf b = PGCDC_BUF_INIT;
    struct {
        pgcdc_dialect d;
        pgcdc_ident_case c;
        const char *in, *out;
    } cases[] = {
        {PG, CS, "customers", "\"customers\""},
        {PG, CS, "a\"b", "\"a\"\"b\""},
        {PG, CS, "\"", "\"\"\"\""},
        {PG, CS, "Mixed Case", "\"Mixed Case\""},
        {PG, CI, "Mixed Case", "\"MIXED CASE\""},
        {PG, CI, "we\"ird", "\"WE\"\"IRD\""},
        {PG, CI, "\xc3\xbcmlaut", "\"\xc3\xbcMLAUT\""}, /* only ASCII letters are upper-cased */
        {SF, CS, "a\"b c", "\"a\"\"b c\""},
        {SF, CI, "customer_id", "\"CUSTOMER_ID\""},
        {SF, CS, "back\\slash", "\"back\\slash\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pgcdc_buf_reset(&b);
        CHECK_INT(pgcdc_ident_quote(&b, cases[i].d, cases[i].c, cases[i].in), 0);
        CHECK_STR(b.data, cases[i].out);
    }
    pgcdc_buf_reset(&b);
    CHECK_INT(pgcdc_ident_resolve(&b, CI, "order_Date"), 0);
    CHECK_STR(b.data, "ORDER_DATE");

    pgcdc_ident_case c;
    pgcdc_error err;
    CHECK_INT(pgcdc_ident_case_parse(" case_insensitive ", &c, &err), PGCDC_OK);
    CHECK_INT(c, CI);
    CHECK_INT(pgcdc_ident_case_parse("CASE_SENSITIVE", &c, &err), PGCDC_OK);
    CHECK_INT(c, CS);
    CHECK_INT(pgcdc_ident_case_parse("SENSITIVE", &c, &err), PGCDC_EINVAL);
    CHECK_CONTAINS(err.message, "CASE_SENSITIVE or CASE_INSENSITIVE");
    pgcdc_buf_free(&b);
}

/* a table built from inline columns, for the checks */
static void mk(fx_table *ft, const fx_col *cols, size_t n, pgcdc_dialect d, pgcdc_ident_case c)
{
    fx_def def = {"app", "t", cols, n};
    fx_table_init(ft, &def, d, 17, c);
}

static pgcdc_code check_table(const fx_col *cols, size_t n, pgcdc_dialect d, pgcdc_ident_case c, pgcdc_error *err)
{
    fx_table ft;
    mk(&ft, cols, n, d, c);
    return pgcdc_merge_table_check(&ft.t, err);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_table_checks(void)
{
    pgcdc_error err;
    static const fx_col nokey[] = {{"a", 23, -1, false}};
    CHECK_INT(check_table(nokey, 1, PG, CS, &err), PGCDC_EUNSUPPORTED);
    CHECK_CONTAINS(err.message, "table app.t has no primary key");

    static const fx_col clash[] = {{"id", 23, -1, true}, {"name", 25, -1, false}, {"NAME", 25, -1, false}};
    CHECK_INT(check_table(clash, N(clash), PG, CS, &err), PGCDC_OK);
    CHECK_INT(check_table(clash, N(clash), SF, CI, &err), PGCDC_EUNSUPPORTED);
    CHECK_CONTAINS(err.message, "columns \"name\" and \"NAME\" both become \"NAME\"");

    static const fx_col meta[] = {{"id", 23, -1, true}, {"_SNOWFLAKE_DELETED", 16, -1, false}};
    CHECK_INT(check_table(meta, N(meta), PG, CS, &err), PGCDC_EUNSUPPORTED);
    CHECK_CONTAINS(err.message, "column \"_SNOWFLAKE_DELETED\" has a name the connector uses");
    static const fx_col meta2[] = {{"id", 23, -1, true}, {"_pgcdc_lsn", 20, -1, false}};
    CHECK_INT(check_table(meta2, N(meta2), PG, CS, &err), PGCDC_OK); /* a different name when quoted */
    CHECK_INT(check_table(meta2, N(meta2), PG, CI, &err), PGCDC_EUNSUPPORTED);

    /* PostgreSQL's 63 bytes for names the caller gives; Snowflake has room */
    static const fx_col ok[] = {{"id", 23, -1, true}, {"v", 25, -1, false}};
    fx_table ft;
    mk(&ft, ok, N(ok), PG, CS);
    ft.t.dest_schema = "src_database_name_that_is_long__source_schema_name_that_is_long_too";
    CHECK_INT(pgcdc_merge_table_check(&ft.t, &err), PGCDC_EINVAL);
    CHECK_CONTAINS(err.message, "longer than PostgreSQL's 63 bytes");
    mk(&ft, ok, N(ok), SF, CS);
    ft.t.dest_schema = "src_database_name_that_is_long__source_schema_name_that_is_long_too";
    CHECK_INT(pgcdc_merge_table_check(&ft.t, &err), PGCDC_OK);

    mk(&ft, ok, N(ok), PG, CS);
    ft.t.server_major = 9;
    CHECK_INT(pgcdc_merge_table_check(&ft.t, &err), PGCDC_EUNSUPPORTED);
    CHECK_CONTAINS(err.message, "PostgreSQL 9: version 10 or later");
    ft.t.server_major = 0;
    CHECK_INT(pgcdc_merge_table_check(&ft.t, &err), PGCDC_EINVAL);
    ft.t.server_major = 17;
    ft.t.journal_n = 0;
    CHECK_INT(pgcdc_merge_table_check(&ft.t, &err), PGCDC_EINVAL);
    ft.t.journal_n = 1;
    ft.cols[1].type.dialect = SF; /* mapped for the other dialect */
    CHECK_INT(pgcdc_merge_table_check(&ft.t, &err), PGCDC_EINVAL);
    CHECK_CONTAINS(err.message, "mapped for the snowflake dialect");

    mk(&ft, ok, N(ok), PG, CS);
    ft.t.dest_table = "_PGCDC_MERGE_STATE";
    CHECK_INT(pgcdc_merge_table_check(&ft.t, &err), PGCDC_EUNSUPPORTED);

    /* a dropped name is not added again, and nothing takes a dropped column's place */
    static const char *const dropped_v[] = {"v"};
    mk(&ft, ok, N(ok), PG, CS);
    ft.t.dropped = dropped_v;
    ft.t.ndropped = 1;
    CHECK_INT(pgcdc_merge_table_check(&ft.t, &err), PGCDC_EUNSUPPORTED);
    CHECK_CONTAINS(err.message, "re-adding a dropped column name is not supported");
    static const fx_col taken[] = {{"id", 23, -1, true}, {"w__SNOWFLAKE_DELETED", 25, -1, false}};
    static const char *const dropped_w[] = {"w"};
    mk(&ft, taken, N(taken), PG, CS);
    ft.t.dropped = dropped_w;
    ft.t.ndropped = 1;
    CHECK_INT(pgcdc_merge_table_check(&ft.t, &err), PGCDC_EUNSUPPORTED);
    CHECK_CONTAINS(err.message, "the name the destination gave dropped column \"w\"");
}

/* ---- schema changes ---- */

static pgcdc_code change(const fx_col *a, size_t na, const fx_col *b, size_t nb, pgcdc_dialect d,
                         pgcdc_sql_list *l, bool *newgen, pgcdc_error *err)
{
    fx_table ta, tb;
    mk(&ta, a, na, d, CS);
    mk(&tb, b, nb, d, CS);
    tb.t.journal_n = 2;
    return pgcdc_merge_sql_schema_change(&ta.t, &tb.t, l, newgen, err);
}

static void test_schema_change(void)
{
    pgcdc_sql_list l;
    pgcdc_sql_list_init(&l);
    pgcdc_error err;
    bool newgen;
    static const fx_col v1[] = {{"id", 23, -1, true}, {"n", 23, -1, false}, {"price", 1700, FX_NUMMOD(10, 2), false},
                                {"name", 1043, FX_CHARMOD(20), false}};

    /* primary key: a key column added, or the key moved to another column */
    static const fx_col k2[] = {{"id", 23, -1, true}, {"n", 23, -1, true}, {"price", 1700, FX_NUMMOD(10, 2), false},
                                {"name", 1043, FX_CHARMOD(20), false}};
    CHECK_INT(change(v1, 4, k2, 4, PG, &l, &newgen, &err), PGCDC_EUNSUPPORTED);
    CHECK_CONTAINS(err.message, "the primary key changed from (id) to (id, n)");
    CHECK_CONTAINS(err.message, "restart the table");
    static const fx_col k3[] = {{"id2", 23, -1, true}, {"n", 23, -1, false}, {"price", 1700, FX_NUMMOD(10, 2), false},
                                {"name", 1043, FX_CHARMOD(20), false}};
    CHECK_INT(change(v1, 4, k3, 4, SF, &l, &newgen, &err), PGCDC_EUNSUPPORTED);
    CHECK_CONTAINS(err.message, "from (id) to (id2)");

    /* numeric precision or scale, in both dialects */
    static const fx_col p12[] = {{"id", 23, -1, true}, {"n", 23, -1, false}, {"price", 1700, FX_NUMMOD(12, 2), false},
                                 {"name", 1043, FX_CHARMOD(20), false}};
    CHECK_INT(change(v1, 4, p12, 4, PG, &l, &newgen, &err), PGCDC_EUNSUPPORTED);
    CHECK_CONTAINS(err.message, "column \"price\" changed from numeric(10,2) to numeric(12,2): a change of numeric "
                                "precision or scale is not supported");
    CHECK_INT(change(v1, 4, p12, 4, SF, &l, &newgen, &err), PGCDC_EUNSUPPORTED);
    CHECK_CONTAINS(err.message, "changed from numeric (NUMBER(10,2)) to numeric (NUMBER(12,2))");

    /* other type changes: refused unless a widening the destination takes as is */
    static const fx_col t1[] = {{"id", 23, -1, true}, {"n", 25, -1, false}, {"price", 1700, FX_NUMMOD(10, 2), false},
                                {"name", 1043, FX_CHARMOD(20), false}};
    CHECK_INT(change(v1, 4, t1, 4, PG, &l, &newgen, &err), PGCDC_EUNSUPPORTED);
    CHECK_CONTAINS(err.message, "column \"n\" changed type from integer to text");
    static const fx_col narrow[] = {{"id", 23, -1, true}, {"n", 23, -1, false},
                                    {"price", 1700, FX_NUMMOD(10, 2), false}, {"name", 1043, FX_CHARMOD(10), false}};
    CHECK_INT(change(v1, 4, narrow, 4, PG, &l, &newgen, &err), PGCDC_EUNSUPPORTED);
    CHECK_INT(l.n, 0); /* refusals write nothing */
    /* ... the same narrowing in Snowflake changes nothing there: TEXT both */
    CHECK_INT(change(v1, 4, narrow, 4, SF, &l, &newgen, &err), PGCDC_OK);
    CHECK_INT(l.n, 0);
    CHECK(!newgen);
    static const fx_col wide[] = {{"id", 20, -1, true}, {"n", 20, -1, false}, {"price", 1700, FX_NUMMOD(10, 2), false},
                                  {"name", 25, -1, false}};
    CHECK_INT(change(v1, 4, wide, 4, PG, &l, &newgen, &err), PGCDC_OK);
    CHECK(newgen);
    CHECK_INT(l.n, 3);
    CHECK_STR(pgcdc_sql_list_get(&l, 0), "ALTER TABLE \"app\".\"t\" ALTER COLUMN \"id\" TYPE bigint");
    CHECK_STR(pgcdc_sql_list_get(&l, 1), "ALTER TABLE \"app\".\"t\" ALTER COLUMN \"n\" TYPE bigint");
    CHECK_STR(pgcdc_sql_list_get(&l, 2), "ALTER TABLE \"app\".\"t\" ALTER COLUMN \"name\" TYPE text");
    pgcdc_sql_list_reset(&l);
    CHECK_INT(change(v1, 4, wide, 4, SF, &l, &newgen, &err), PGCDC_OK);
    CHECK_INT(l.n, 0); /* NUMBER(38,0) and TEXT already */

    /* nothing changed: no DDL, no new generation */
    CHECK_INT(change(v1, 4, v1, 4, PG, &l, &newgen, &err), PGCDC_OK);
    CHECK_INT(l.n, 0);
    CHECK(!newgen);

    /* a rename is a drop plus an add */
    static const fx_col ren[] = {{"id", 23, -1, true}, {"count", 23, -1, false},
                                 {"price", 1700, FX_NUMMOD(10, 2), false}, {"name", 1043, FX_CHARMOD(20), false}};
    CHECK_INT(change(v1, 4, ren, 4, SF, &l, &newgen, &err), PGCDC_OK);
    CHECK(newgen);
    CHECK_INT(l.n, 2);
    CHECK_STR(pgcdc_sql_list_get(&l, 0), "ALTER TABLE \"app\".\"t\" RENAME COLUMN \"n\" TO \"n__SNOWFLAKE_DELETED\"");
    CHECK_STR(pgcdc_sql_list_get(&l, 1), "ALTER TABLE \"app\".\"t\" ADD COLUMN \"count\" NUMBER(38,0)");
    pgcdc_sql_list_reset(&l);

    /* re-adding a name dropped earlier */
    fx_table ta, tb;
    static const char *const gone[] = {"old"};
    static const fx_col readd[] = {{"id", 23, -1, true}, {"n", 23, -1, false},
                                   {"price", 1700, FX_NUMMOD(10, 2), false}, {"name", 1043, FX_CHARMOD(20), false},
                                   {"old", 25, -1, false}};
    mk(&ta, v1, 4, PG, CS);
    mk(&tb, readd, 5, PG, CS);
    ta.t.dropped = gone;
    ta.t.ndropped = 1;
    CHECK_INT(pgcdc_merge_sql_schema_change(&ta.t, &tb.t, &l, &newgen, &err), PGCDC_EUNSUPPORTED);
    CHECK_CONTAINS(err.message, "column \"old\" was dropped earlier and is now added again");
    CHECK_CONTAINS(err.message, "kept in \"old__SNOWFLAKE_DELETED\"");

    /* an added column taking the name a column dropped now goes to */
    static const fx_col takes[] = {{"id", 23, -1, true}, {"n__SNOWFLAKE_DELETED", 23, -1, false},
                                   {"price", 1700, FX_NUMMOD(10, 2), false}, {"name", 1043, FX_CHARMOD(20), false}};
    CHECK_INT(change(v1, 4, takes, 4, PG, &l, &newgen, &err), PGCDC_EUNSUPPORTED);
    CHECK_CONTAINS(err.message, "has the name the destination gives dropped column \"n\"");

    /* the two descriptions must be of one table */
    mk(&ta, v1, 4, PG, CS);
    mk(&tb, v1, 4, PG, CI);
    CHECK_INT(pgcdc_merge_sql_schema_change(&ta.t, &tb.t, &l, &newgen, &err), PGCDC_EINVAL);
    CHECK_INT(l.n, 0);
    pgcdc_sql_list_free(&l);
}

/* ---- derived names ---- */

static void test_long_names(void)
{
    static const fx_col cols[] = {{"id", 23, -1, true}};
    fx_table a, b;
    fx_def da = {"app", "table_name_of_sixty_three_bytes_that_differs_only_at_the_end_aa", cols, 1};
    fx_def db = {"app", "table_name_of_sixty_three_bytes_that_differs_only_at_the_end_bb", cols, 1};
    CHECK_INT(strlen(da.table), 63);
    fx_table_init(&a, &da, PG, 17, CS);
    fx_table_init(&b, &db, PG, 17, CS);
    pgcdc_buf ja = PGCDC_BUF_INIT, jb = PGCDC_BUF_INIT;
    pgcdc_error err;
    CHECK_INT(pgcdc_merge_journal_name(&a.t, &ja, &err), PGCDC_OK);
    CHECK_INT(pgcdc_merge_journal_name(&b.t, &jb, &err), PGCDC_OK);
    CHECK(ja.len <= PGCDC_PG_IDENT_MAX);
    CHECK(jb.len <= PGCDC_PG_IDENT_MAX);
    CHECK(strcmp(ja.data, jb.data) != 0);
    CHECK_CONTAINS(ja.data, "_JOURNAL_1718000000_1");
    /* Snowflake (255 characters) keeps the full name */
    pgcdc_buf_reset(&ja);
    fx_table_init(&a, &da, SF, 17, CS);
    CHECK_INT(pgcdc_merge_journal_name(&a.t, &ja, &err), PGCDC_OK);
    CHECK_STR(ja.data, "table_name_of_sixty_three_bytes_that_differs_only_at_the_end_aa_JOURNAL_1718000000_1");
    /* a multi-byte character is not cut in half */
    /* 30 two-byte characters */
    fx_def dm = {"app", "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                        "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                        "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9",
                 cols, 1};
    fx_table_init(&a, &dm, PG, 17, CS);
    pgcdc_buf_reset(&ja);
    CHECK_INT(pgcdc_merge_journal_name(&a.t, &ja, &err), PGCDC_OK);
    CHECK(ja.len <= PGCDC_PG_IDENT_MAX);
    CHECK_CONTAINS(ja.data, "\xc3\xa9_");
    pgcdc_buf_free(&ja);
    pgcdc_buf_free(&jb);
}

/* ---- the merge takes values only as parameters ---- */

static size_t count(const char *s, const char *needle)
{
    size_t n = 0;
    for (const char *p = s; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

static void test_merge_parameters(void)
{
    fx_table ft;
    pgcdc_sql_list l;
    pgcdc_error err;
    for (int d = 0; d < 2; d++) {
        fx_table_init(&ft, &fx_docs, d ? SF : PG, d ? 0 : 16, CS);
        pgcdc_sql_list_init(&l);
        CHECK_INT(pgcdc_merge_sql_merge(&ft.t, &l, &err), PGCDC_OK);
        CHECK_INT(l.n, PGCDC_MERGE_NSTATEMENTS);
        for (size_t i = 0; i < l.n; i++) {
            const char *s = pgcdc_sql_list_get(&l, i);
            if (d) {
                /* Snowflake binds positionally: exactly four '?', in order, once each */
                CHECK_INT(count(s, "?"), 4);
                CHECK_CONTAINS(s, "CAST(? AS NUMBER(20,0)) AS hi_lsn, CAST(? AS NUMBER(20,0)) AS hi_seq, "
                                  "CAST(? AS VARCHAR) AS tbl, CAST(? AS VARCHAR) AS jn");
            } else {
                CHECK_CONTAINS(s, "CAST($1 AS bigint) AS hi_lsn, CAST($2 AS bigint) AS hi_seq, "
                                  "CAST($3 AS text) AS tbl, CAST($4 AS text) AS jn");
                CHECK_NOT_CONTAINS(s, "$5");
            }
            /* the table and journal names are not in the SQL as values */
            CHECK_NOT_CONTAINS(s, "'docs");
        }
        CHECK_CONTAINS(pgcdc_sql_list_get(&l, 1), d ? "MERGE INTO" : "MERGE INTO");
        pgcdc_sql_list_free(&l);
    }
    /* 10-14: no MERGE */
    fx_table_init(&ft, &fx_docs, PG, 14, CS);
    pgcdc_sql_list_init(&l);
    CHECK_INT(pgcdc_merge_sql_merge(&ft.t, &l, &err), PGCDC_OK);
    CHECK_NOT_CONTAINS(pgcdc_sql_list_get(&l, 1), "MERGE INTO");
    CHECK_CONTAINS(pgcdc_sql_list_get(&l, 1), "ON CONFLICT (\"id\") DO UPDATE SET");
    pgcdc_sql_list_free(&l);
    /* column names as string literals: escaped for each dialect */
    fx_table_init(&ft, &fx_weird, PG, 17, CS);
    pgcdc_sql_list_init(&l);
    CHECK_INT(pgcdc_merge_sql_merge(&ft.t, &l, &err), PGCDC_OK);
    CHECK_CONTAINS(pgcdc_sql_list_get(&l, 1), "E'it''s\\\\here' = ANY(");
    CHECK_CONTAINS(pgcdc_sql_list_get(&l, 1), "'Mixed Case' = ANY(");
    pgcdc_sql_list_free(&l);
    fx_table_init(&ft, &fx_weird, SF, 17, CS);
    pgcdc_sql_list_init(&l);
    CHECK_INT(pgcdc_merge_sql_merge(&ft.t, &l, &err), PGCDC_OK);
    CHECK_CONTAINS(pgcdc_sql_list_get(&l, 1), "ARRAY_CONTAINS('it\\'s\\\\here'::VARIANT");
    pgcdc_sql_list_free(&l);
}

/* ---- lists ---- */

static void test_lists(void)
{
    fx_table ft;
    pgcdc_sql_list l;
    pgcdc_error err;
    pgcdc_sql_list_init(&l);
    fx_table_init(&ft, &fx_customers, PG, 17, CS);
    CHECK_INT(pgcdc_merge_sql_create_schema(&ft.t, &l, &err), PGCDC_OK);
    CHECK_INT(pgcdc_merge_sql_create_journal(&ft.t, &l, &err), PGCDC_OK);
    CHECK_INT(l.n, 3);
    CHECK_STR(pgcdc_sql_list_get(&l, 0), "CREATE SCHEMA IF NOT EXISTS \"app\"");
    CHECK(pgcdc_sql_list_get(&l, 3) == NULL);
    size_t len = l.text.len;
    char *before = malloc(len); /* statements are NUL-separated: copy bytes */
    memcpy(before, l.text.data, len);
    /* a failing call leaves the list as it was */
    fx_table bad = ft;
    bad.t.journal_n = 0;
    CHECK_INT(pgcdc_merge_sql_merge(&bad.t, &l, &err), PGCDC_EINVAL);
    CHECK_INT(l.n, 3);
    CHECK_INT(l.text.len, len);
    CHECK(memcmp(l.text.data, before, len) == 0);
    pgcdc_buf script = PGCDC_BUF_INIT;
    CHECK_INT(pgcdc_sql_list_script(&l, &script, &err), PGCDC_OK);
    CHECK(strncmp(script.data, "CREATE SCHEMA IF NOT EXISTS \"app\";\n\nCREATE TABLE IF NOT EXISTS", 62) == 0);
    pgcdc_buf names = PGCDC_BUF_INIT;
    CHECK_INT(pgcdc_merge_journal_qualified(&ft.t, &names, &err), PGCDC_OK);
    CHECK_STR(names.data, "\"app\".\"customers_JOURNAL_1718000000_1\"");
    pgcdc_buf_reset(&names);
    CHECK_INT(pgcdc_merge_dest_qualified(&ft.t, &names, &err), PGCDC_OK);
    CHECK_STR(names.data, "\"app\".\"customers\"");
    free(before);
    pgcdc_buf_free(&script);
    pgcdc_buf_free(&names);
    pgcdc_sql_list_free(&l);
}

int main(void)
{
    test_quoting();
    test_table_checks();
    test_schema_change();
    test_long_names();
    test_merge_parameters();
    test_lists();
    return pgt_done("merge-unit");
}
