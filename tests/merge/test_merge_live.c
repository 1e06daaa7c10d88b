/* test_merge_live.c - the planned SQL executed on a real PostgreSQL: tables
 * created from the generated DDL, journal rows loaded with plain INSERTs, the
 * generated merge run, and the destination read back and compared exactly.
 *
 * Every scenario runs once per apply path the server has: MERGE (15+) and
 * UPDATE + INSERT ... ON CONFLICT (what 10-14 get; also run on 15+ by
 * planning for major 14), each in its own destination schema, against the
 * same expected rows - so on PostgreSQL 13 the non-MERGE path is held to the
 * very results MERGE gives on 15+. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "live_util.h"
#include "merge_fixture.h"
#include "pgt.h"

/* Query values checked inline (CHECK_STR(kept(pgt_query_value(...)), ...)) are
 * kept here and freed at the end, so the sanitizer build sees no leak. */
static char *kept_values[256];
static int nkept;

static char *kept(char *v)
{
    if (nkept < 256)
        kept_values[nkept++] = v;
    return v;
}

static void free_kept(void)
{
    while (nkept > 0)
        free(kept_values[--nkept]);
}

#define P "'__previous_value_unchanged'"

typedef struct path {
    const char *name; /* schema suffix */
    int major;        /* what the planner is told */
} path;

/* ft for def in schema <def schema>_<path> */
static void table_for(fx_table *ft, const fx_def *def, const path *p, pgcdc_ident_case c, char *schema, size_t n)
{
    fx_table_init(ft, def, PGCDC_DIALECT_POSTGRES, p->major, c);
    snprintf(schema, n, "%s_%s", def->schema, p->name);
    ft->t.dest_schema = schema;
}

static char *state_of(PGconn *conn, const pgcdc_merge_table *t)
{
    return pgt_query_value(conn, "SELECT merged_lsn || '/' || merged_seq FROM \"%s\".\"_PGCDC_MERGE_STATE\" "
                                 "WHERE table_name = '%s'",
                           t->dest_schema, t->dest_table);
}

static void check_dump(PGconn *conn, const pgcdc_merge_table *t, const char *cols, const char *order,
                       const char *expected, const char *what)
{
    char *got = lu_dump(conn, t, cols, order);
    CHECK_MSG(strcmp(got, expected) == 0, "%s (%s):\n--- got\n%s\n--- expected\n%s", what, t->dest_schema, got,
              expected);
    free(got);
}

/* ---- TOAST-able columns: last change per key, unchanged values, deletes,
 *      key changes, duplicates, bounds, idempotence, metadata times ---- */

#define DOCS_COLS "\"id\", \"title\", \"body\", \"tags\", \"meta\", \"n\""

static void docs_row(PGconn *c, const pgcdc_merge_table *t, const char *vals, int64_t lsn, int64_t seq, char op,
                     const char *unch)
{
    lu_journal(c, t, DOCS_COLS, vals, lsn, seq, op, unch);
}

static void docs_key(PGconn *c, const pgcdc_merge_table *t, const char *id, int64_t lsn, int64_t seq)
{
    lu_journal(c, t, "\"id\"", id, lsn, seq, 'D', NULL); /* a delete carries the key only */
}

static void scenario_docs(PGconn *c, const path *p)
{
    fx_table ft;
    char schema[64];
    table_for(&ft, &fx_docs, p, PGCDC_IDENT_CASE_SENSITIVE, schema, sizeof schema);
    const pgcdc_merge_table *t = &ft.t;
    lu_setup(c, t);
    const char *cols = "id, title, body, tags, meta, n, \"_SNOWFLAKE_DELETED\"";

    /* window 1: the snapshot */
    docs_row(c, t, "1, 't1', 'b1', '{a,b}', '{\"k\": 1}', 1", 100, 1, 'S', NULL);
    docs_row(c, t, "2, 't2', 'b2', NULL, NULL, 2", 100, 2, 'S', NULL);
    docs_row(c, t, "3, 't3', 'b3', NULL, NULL, 3", 100, 3, 'S', NULL);
    docs_row(c, t, "4, 't4', 'b4', NULL, NULL, 4", 100, 4, 'S', NULL);
    docs_row(c, t, "5, 't5', 'b5', NULL, NULL, 5", 100, 5, 'S', NULL);
    docs_row(c, t, "7, 't7', 'b7', NULL, NULL, 7", 100, 6, 'S', NULL);
    CHECK_INT(lu_merge(c, t, 100, LU_ALL), 0);
    check_dump(c, t, cols, "id",
               "(1,t1,b1,\"{a,b}\",\"{\"\"k\"\": 1}\",1,f)\n(2,t2,b2,,,2,f)\n(3,t3,b3,,,3,f)\n(4,t4,b4,,,4,f)\n"
               "(5,t5,b5,,,5,f)\n(7,t7,b7,,,7,f)",
               "snapshot");
    char *ins1 = pgt_query_value(c, "SELECT \"_SNOWFLAKE_INSERTED_AT\" FROM %s WHERE id = 1", lu_dest(t));
    char *upd1 = pgt_query_value(c, "SELECT \"_SNOWFLAKE_UPDATED_AT\" FROM %s WHERE id = 1", lu_dest(t));
    char *upd2 = pgt_query_value(c, "SELECT \"_SNOWFLAKE_UPDATED_AT\" FROM %s WHERE id = 2", lu_dest(t));
    CHECK_STR(ins1, upd1); /* a new row: both set at insert */

    /* window 2: several transactions */
    docs_row(c, t, "1, 't1a', " P ", '{__previous_value_unchanged}', '\"__previous_value_unchanged\"', 10", 200, 1,
             'U', "'{body,tags,meta}'");
    docs_row(c, t, "6, 't6', 'b6', NULL, NULL, 6", 200, 2, 'I', NULL);
    docs_key(c, t, "2", 200, 3);
    docs_row(c, t, "5, 't5', 'b5x', NULL, NULL, 5", 200, 4, 'U', NULL);
    docs_row(c, t, "1, 't1b', 'b1-new', '{__previous_value_unchanged}', '\"__previous_value_unchanged\"', 11", 300,
             1, 'U', "'{tags,meta}'");
    docs_row(c, t, "3, 't3a', " P ", NULL, NULL, 30", 300, 2, 'U', "'{body}'");
    /* key change 4 -> 40: 'D' of the old key, then 'I' of the new one at SEQ + 1 */
    docs_key(c, t, "4", 300, 3);
    docs_row(c, t, "40, 't4-moved', " P ", NULL, NULL, 40", 300, 4, 'I', "'{body}'");
    /* 5: updated, deleted, inserted again, updated with body unchanged */
    docs_key(c, t, "5", 300, 5);
    docs_row(c, t, "5, 't5-again', 'b5-again', NULL, NULL, 50", 350, 1, 'I', NULL);
    docs_row(c, t, "1, 't1c', " P ", '{__previous_value_unchanged}', '\"__previous_value_unchanged\"', 12", 400, 1,
             'U', "'{body,tags,meta}'");
    docs_row(c, t, "5, 't5-final', " P ", NULL, NULL, 52", 400, 2, 'U', "'{body}'");
    docs_row(c, t, "3, 't3b', " P ", NULL, NULL, 31", 400, 3, 'U', "'{body}'");
    /* a chain of key changes in one window, 7 -> 70 -> 700, both columns unchanged first */
    docs_key(c, t, "7", 400, 4);
    docs_row(c, t, "70, " P ", " P ", NULL, NULL, 70", 400, 5, 'I', "'{title,body}'");
    /* a real value equal to the placeholder text is a value */
    docs_row(c, t, "6, " P ", 'b6', NULL, NULL, 6", 400, 6, 'U', NULL);
    docs_key(c, t, "70", 450, 1);
    docs_row(c, t, "700, 't700', " P ", NULL, NULL, 700", 450, 2, 'I', "'{body}'");
    /* beyond the bound */
    docs_row(c, t, "6, 't6-late', 'b6', NULL, NULL, 6", 500, 1, 'U', NULL);
    docs_row(c, t, "6, 't6-late', 'b6', NULL, NULL, 66", 500, 2, 'U', NULL);

    /* a crash after the journal write, before the merge: the restart writes
     * the window's rows again */
    pgt_exec(c, "INSERT INTO %s SELECT * FROM %s WHERE \"_PGCDC_LSN\" BETWEEN 200 AND 450", lu_journal_name(t),
             lu_journal_name(t));
    pgt_exec(c, "SELECT pg_sleep(0.01)"); /* a later now() for the metadata times */
    CHECK_INT(lu_merge(c, t, 450, LU_ALL), 0);
    const char *after2 = "(1,t1c,b1-new,\"{a,b}\",\"{\"\"k\"\": 1}\",12,f)\n"
                         "(2,t2,b2,,,2,t)\n"
                         "(3,t3b,b3,,,31,f)\n"
                         "(4,t4,b4,,,4,t)\n"
                         "(5,t5-final,b5-again,,,52,f)\n"
                         "(6,__previous_value_unchanged,b6,,,6,f)\n"
                         "(7,t7,b7,,,7,t)\n"
                         "(40,t4-moved,b4,,,40,f)\n"
                         "(700,t700,b7,,,700,f)";
    check_dump(c, t, cols, "id", after2, "window 2");
    char *s = state_of(c, t);
    CHECK_STR(s, "450/9223372036854775807");
    free(s);

    /* metadata times: inserted kept, updated advanced - on update and on delete */
    char *ins1b = pgt_query_value(c, "SELECT \"_SNOWFLAKE_INSERTED_AT\" FROM %s WHERE id = 1", lu_dest(t));
    CHECK_STR(ins1b, ins1);
    CHECK_STR(kept(pgt_query_value(c, "SELECT \"_SNOWFLAKE_UPDATED_AT\" > '%s' FROM %s WHERE id = 1", upd1, lu_dest(t))),
              "t");
    CHECK_STR(kept(pgt_query_value(c, "SELECT \"_SNOWFLAKE_UPDATED_AT\" > '%s' AND \"_SNOWFLAKE_INSERTED_AT\" = '%s' "
                                 "FROM %s WHERE id = 2",
                              upd2, ins1, lu_dest(t))),
              "t");
    CHECK_STR(kept(pgt_query_value(c, "SELECT \"_SNOWFLAKE_INSERTED_AT\" > '%s' FROM %s WHERE id = 6", ins1, lu_dest(t))),
              "t");
    free(ins1b);

    /* the same merge again, re-loaded duplicates, an older bound: nothing changes */
    const char *all = "id, title, body, tags, meta, n, \"_SNOWFLAKE_DELETED\", \"_SNOWFLAKE_INSERTED_AT\", "
                      "\"_SNOWFLAKE_UPDATED_AT\"";
    char *full = lu_dump(c, t, all, "id");
    pgt_exec(c, "SELECT pg_sleep(0.01)");
    CHECK_INT(lu_merge(c, t, 450, LU_ALL), 0);
    check_dump(c, t, all, "id", full, "merge run twice");
    pgt_exec(c, "INSERT INTO %s SELECT * FROM %s WHERE \"_PGCDC_LSN\" <= 450", lu_journal_name(t), lu_journal_name(t));
    CHECK_INT(lu_merge(c, t, 450, LU_ALL), 0);
    check_dump(c, t, all, "id", full, "re-loaded journal rows");
    CHECK_INT(lu_merge(c, t, 100, LU_ALL), 0);
    check_dump(c, t, all, "id", full, "older bound");
    s = state_of(c, t);
    CHECK_STR(s, "450/9223372036854775807"); /* never moves back */
    free(s);
    free(full);

    /* a bound inside a transaction, duplicates inside the window */
    pgt_exec(c, "INSERT INTO %s SELECT * FROM %s WHERE \"_PGCDC_LSN\" = 500", lu_journal_name(t), lu_journal_name(t));
    CHECK_INT(lu_merge(c, t, 500, 1), 0);
    char *r6 = pgt_query_value(c, "SELECT (title, n)::text FROM %s WHERE id = 6", lu_dest(t));
    CHECK_STR(r6, "(t6-late,6)");
    free(r6);
    CHECK_INT(lu_merge(c, t, 500, LU_ALL), 0);
    r6 = pgt_query_value(c, "SELECT (title, n)::text FROM %s WHERE id = 6", lu_dest(t));
    CHECK_STR(r6, "(t6-late,66)");
    free(r6);

    /* a reset state: the whole journal merged again in one window (duplicates,
     * snapshot rows and all) ends where the windows one by one did */
    CHECK_INT(lu_reset(c, t), 0);
    CHECK_STR(kept(pgt_query_value(c, "SELECT count(*) FROM \"%s\".\"_PGCDC_MERGE_STATE\" WHERE table_name = 'docs'",
                              t->dest_schema)),
              "0");
    CHECK_INT(lu_merge(c, t, 500, LU_ALL), 0);
    check_dump(c, t, cols, "id",
               "(1,t1c,b1-new,\"{a,b}\",\"{\"\"k\"\": 1}\",12,f)\n"
               "(2,t2,b2,,,2,t)\n"
               "(3,t3b,b3,,,31,f)\n"
               "(4,t4,b4,,,4,t)\n"
               "(5,t5-final,b5-again,,,52,f)\n"
               "(6,t6-late,b6,,,66,f)\n"
               "(7,t7,b7,,,7,t)\n"
               "(40,t4-moved,b4,,,40,f)\n"
               "(700,t700,b7,,,700,f)",
               "whole journal again");
    free(ins1);
    free(upd1);
    free(upd2);
}

/* ---- the walkthrough: snapshot, then its inserts / updates / delete ---- */

static void scenario_walkthrough(PGconn *c, const path *p)
{
    fx_table cu, pr, orr;
    char s1[64], s2[64], s3[64];
    table_for(&cu, &fx_customers, p, PGCDC_IDENT_CASE_SENSITIVE, s1, sizeof s1);
    table_for(&pr, &fx_products, p, PGCDC_IDENT_CASE_SENSITIVE, s2, sizeof s2);
    table_for(&orr, &fx_orders, p, PGCDC_IDENT_CASE_SENSITIVE, s3, sizeof s3);
    lu_setup(c, &cu.t);
    lu_setup(c, &pr.t);
    lu_setup(c, &orr.t);
    const char *ccols = "\"customer_id\", \"name\", \"email\", \"created_at\"";
    const char *pcols = "\"product_id\", \"name\", \"price\", \"in_stock\"";
    const char *ocols = "\"order_id\", \"customer_id\", \"product_id\", \"quantity\", \"status\", \"order_date\"";
    /* snapshot at the slot's consistent point */
    lu_journal(c, &cu.t, ccols, "1, 'Taro Yamada', 'taro@example.com', '2026-06-15 10:00:00'", 100, 1, 'S', NULL);
    lu_journal(c, &cu.t, ccols, "2, 'Hanako Suzuki', 'hanako@example.com', '2026-06-15 10:00:00'", 100, 2, 'S', NULL);
    lu_journal(c, &cu.t, ccols, "3, 'Jiro Tanaka', 'jiro@example.com', '2026-06-15 10:00:00'", 100, 3, 'S', NULL);
    lu_journal(c, &pr.t, pcols, "1, 'Keyboard', 3980.00, true", 100, 4, 'S', NULL);
    lu_journal(c, &pr.t, pcols, "2, 'Mouse', 1980.00, true", 100, 5, 'S', NULL);
    lu_journal(c, &pr.t, pcols, "3, 'Monitor', 29800.00, false", 100, 6, 'S', NULL);
    lu_journal(c, &orr.t, ocols, "1, 1, 1, 2, 'confirmed', '2026-06-15 10:00:00'", 100, 7, 'S', NULL);
    lu_journal(c, &orr.t, ocols, "2, 2, 2, 1, 'pending', '2026-06-15 10:00:00'", 100, 8, 'S', NULL);
    lu_journal(c, &orr.t, ocols, "3, 3, 3, 1, 'shipped', '2026-06-15 10:00:00'", 100, 9, 'S', NULL);
    /* the walkthrough's changes, one transaction each */
    lu_journal(c, &cu.t, ccols, "4, 'Saburo Sato', 'saburo@example.com', '2026-06-15 11:00:00'", 200, 1, 'I', NULL);
    lu_journal(c, &orr.t, ocols, "4, 4, 1, 5, 'pending', '2026-06-15 11:00:01'", 210, 1, 'I', NULL);
    lu_journal(c, &pr.t, pcols, "3, 'Monitor', 27800.00, true", 220, 1, 'U', NULL);
    lu_journal(c, &orr.t, ocols, "2, 2, 2, 1, 'shipped', '2026-06-15 10:00:00'", 230, 1, 'U', NULL);
    lu_journal(c, &orr.t, "\"order_id\"", "3", 240, 1, 'D', NULL);
    CHECK_INT(lu_merge(c, &cu.t, 100, LU_ALL), 0);
    CHECK_INT(lu_merge(c, &pr.t, 100, LU_ALL), 0);
    CHECK_INT(lu_merge(c, &orr.t, 100, LU_ALL), 0);
    check_dump(c, &orr.t, "order_id, status, \"_SNOWFLAKE_DELETED\"", "order_id",
               "(1,confirmed,f)\n(2,pending,f)\n(3,shipped,f)", "walkthrough snapshot");
    CHECK_INT(lu_merge(c, &cu.t, 240, LU_ALL), 0);
    CHECK_INT(lu_merge(c, &pr.t, 240, LU_ALL), 0);
    CHECK_INT(lu_merge(c, &orr.t, 240, LU_ALL), 0);
    check_dump(c, &cu.t, "customer_id, name, email, created_at, \"_SNOWFLAKE_DELETED\"", "customer_id",
               "(1,\"Taro Yamada\",taro@example.com,\"2026-06-15 10:00:00\",f)\n"
               "(2,\"Hanako Suzuki\",hanako@example.com,\"2026-06-15 10:00:00\",f)\n"
               "(3,\"Jiro Tanaka\",jiro@example.com,\"2026-06-15 10:00:00\",f)\n"
               "(4,\"Saburo Sato\",saburo@example.com,\"2026-06-15 11:00:00\",f)",
               "walkthrough customers");
    check_dump(c, &pr.t, "product_id, name, price, in_stock, \"_SNOWFLAKE_DELETED\"", "product_id",
               "(1,Keyboard,3980.00,t,f)\n(2,Mouse,1980.00,t,f)\n(3,Monitor,27800.00,t,f)", "walkthrough products");
    check_dump(c, &orr.t, "order_id, customer_id, product_id, quantity, status, \"_SNOWFLAKE_DELETED\"", "order_id",
               "(1,1,1,2,confirmed,f)\n(2,2,2,1,shipped,f)\n(3,3,3,1,shipped,t)\n(4,4,1,5,pending,f)",
               "walkthrough orders");
    /* one state table for the schema, a row per table */
    CHECK_STR(kept(pgt_query_value(c, "SELECT string_agg(table_name || '=' || merged_lsn, ',' ORDER BY table_name) "
                                 "FROM \"%s\".\"_PGCDC_MERGE_STATE\" "
                                 "WHERE table_name IN ('customers', 'orders', 'products')",
                              cu.t.dest_schema)),
              "customers=240,orders=240,products=240");
}

/* ---- a composite key, declared out of column order, with a key change ---- */

static void scenario_composite(PGconn *c, const path *p)
{
    fx_table ft;
    char schema[64];
    table_for(&ft, &fx_order_lines, p, PGCDC_IDENT_CASE_SENSITIVE, schema, sizeof schema);
    const pgcdc_merge_table *t = &ft.t;
    lu_setup(c, t);
    const char *cols = "\"sku\", \"order_id\", \"qty\", \"line_no\", \"note\"";
    lu_journal(c, t, cols, "'A', 1, 1, 1, 'n11'", 100, 1, 'S', NULL);
    lu_journal(c, t, cols, "'B', 1, 2, 2, 'n12'", 100, 2, 'S', NULL);
    lu_journal(c, t, cols, "'C', 2, 1, 1, 'n21'", 100, 3, 'S', NULL);
    CHECK_INT(lu_merge(c, t, 100, LU_ALL), 0);
    lu_journal(c, t, "\"order_id\", \"line_no\"", "1, 2", 200, 1, 'D', NULL);
    lu_journal(c, t, cols, "'B', 1, 2, 3, " P, 200, 2, 'I', "'{note}'");
    lu_journal(c, t, "\"order_id\", \"line_no\"", "2, 1", 200, 3, 'D', NULL);
    lu_journal(c, t, cols, "'A2', 1, 1, 1, 'n11'", 200, 4, 'U', NULL);
    CHECK_INT(lu_merge(c, t, 200, LU_ALL), 0);
    check_dump(c, t, "order_id, line_no, sku, qty, note, \"_SNOWFLAKE_DELETED\"", "order_id, line_no",
               "(1,1,A2,1,n11,f)\n(1,2,B,2,n12,t)\n(1,3,B,2,n12,f)\n(2,1,C,1,n21,t)", "composite key");
}

/* ---- names that need quoting, in both resolutions ---- */

static void scenario_weird(PGconn *c, const path *p, pgcdc_ident_case ic)
{
    fx_table ft;
    char schema[64];
    table_for(&ft, &fx_weird, p, ic, schema, sizeof schema);
    const pgcdc_merge_table *t = &ft.t;
    lu_setup(c, t);
    /* the journal's column list as the writer gets it, minus the metadata columns */
    pgcdc_buf jc = PGCDC_BUF_INIT, n1 = PGCDC_BUF_INIT, n3 = PGCDC_BUF_INIT;
    pgcdc_error err;
    CHECK_INT(pgcdc_merge_journal_columns(t, &jc, &err), PGCDC_OK);
    *strstr(jc.data, ", \"_PGCDC_LSN\"") = '\0';
    CHECK_INT(pgcdc_merge_column_name(t, 1, &n1, &err), PGCDC_OK);
    CHECK_INT(pgcdc_merge_column_name(t, 3, &n3, &err), PGCDC_OK);
    CHECK_STR(n1.data, ic == PGCDC_IDENT_CASE_SENSITIVE ? "Mixed Case" : "MIXED CASE");
    CHECK_STR(n3.data, ic == PGCDC_IDENT_CASE_SENSITIVE ? "it's\\here" : "IT'S\\HERE");
    char *l1 = PQescapeLiteral(c, n1.data, n1.len), *l3 = PQescapeLiteral(c, n3.data, n3.len);
    char unch[256];
    snprintf(unch, sizeof unch, "ARRAY[%s, %s]", l1, l3);
    lu_journal(c, t, jc.data, "1, 'm1', 'q1', 'x1', 1", 100, 1, 'S', NULL);
    lu_journal(c, t, jc.data, "2, 'm2', 'q2', 'x2', 2", 100, 2, 'S', NULL);
    CHECK_INT(lu_merge(c, t, 100, LU_ALL), 0);
    lu_journal(c, t, jc.data, "1, " P ", 'q1b', " P ", 10", 200, 1, 'U', unch);
    CHECK_INT(lu_merge(c, t, 200, LU_ALL), 0);
    /* read back through the planner's own names */
    char cols[512];
    snprintf(cols, sizeof cols, "%s, \"_SNOWFLAKE_DELETED\"", jc.data);
    char *first = strchr(jc.data, ',');
    *first = '\0';
    check_dump(c, t, cols, jc.data, "(1,m1,q1b,x1,10,f)\n(2,m2,q2,x2,2,f)", "weird names");
    PQfreemem(l1);
    PQfreemem(l3);
    pgcdc_buf_free(&jc);
    pgcdc_buf_free(&n1);
    pgcdc_buf_free(&n3);
}

/* ---- fixed-length columns only: the short source query ---- */

static void scenario_counters(PGconn *c, const path *p)
{
    fx_table ft;
    char schema[64];
    table_for(&ft, &fx_counters, p, PGCDC_IDENT_CASE_SENSITIVE, schema, sizeof schema);
    const pgcdc_merge_table *t = &ft.t;
    lu_setup(c, t);
    const char *cols = "\"id\", \"n\", \"at\"";
    lu_journal(c, t, cols, "1, 1, '2026-01-01 00:00:00+00'", 100, 1, 'S', NULL);
    lu_journal(c, t, cols, "2, 2, '2026-01-01 00:00:00+00'", 100, 2, 'S', NULL);
    lu_journal(c, t, cols, "5, 5, '2026-01-01 00:00:00+00'", 100, 3, 'S', NULL);
    CHECK_INT(lu_merge(c, t, 100, LU_ALL), 0);
    lu_journal(c, t, cols, "1, 10, '2026-01-02 00:00:00+00'", 200, 1, 'U', NULL);
    lu_journal(c, t, "\"id\"", "2", 200, 2, 'D', NULL);
    lu_journal(c, t, cols, "3, 3, '2026-01-02 00:00:00+00'", 300, 1, 'I', NULL);
    lu_journal(c, t, cols, "3, 30, '2026-01-03 00:00:00+00'", 300, 2, 'U', NULL);
    /* inserted and deleted inside one window: the destination never sees it */
    lu_journal(c, t, cols, "4, 4, '2026-01-03 00:00:00+00'", 300, 3, 'I', NULL);
    lu_journal(c, t, "\"id\"", "4", 300, 4, 'D', NULL);
    /* deleted and inserted again: live */
    lu_journal(c, t, "\"id\"", "5", 300, 5, 'D', NULL);
    lu_journal(c, t, cols, "5, 55, '2026-01-03 00:00:00+00'", 300, 6, 'I', NULL);
    CHECK_INT(lu_merge(c, t, 300, LU_ALL), 0);
    check_dump(c, t, "id, n, \"_SNOWFLAKE_DELETED\"", "id", "(1,10,f)\n(2,2,t)\n(3,30,f)\n(5,55,f)", "counters");
}

/* ---- a schema change on a populated table ---- */

static const fx_col items_v1[] = {
    {"id", 23, -1, true},
    {"name", 1043, FX_CHARMOD(10), false},
    {"qty", 23, -1, false},
    {"price", 1700, FX_NUMMOD(10, 2), false},
};
/* qty dropped, name widened, note added */
static const fx_col items_v2[] = {
    {"id", 23, -1, true},
    {"name", 1043, FX_CHARMOD(20), false},
    {"price", 1700, FX_NUMMOD(10, 2), false},
    {"note", 25, -1, false},
};
static const fx_def items1 = {"app", "items", items_v1, 4}, items2 = {"app", "items", items_v2, 4};

static void scenario_schema_change(PGconn *c, const path *p)
{
    fx_table v1, v2;
    char s1[64], s2[64];
    table_for(&v1, &items1, p, PGCDC_IDENT_CASE_SENSITIVE, s1, sizeof s1);
    table_for(&v2, &items2, p, PGCDC_IDENT_CASE_SENSITIVE, s2, sizeof s2);
    lu_setup(c, &v1.t);
    lu_journal(c, &v1.t, "\"id\", \"name\", \"qty\", \"price\"", "1, 'a', 5, 1.50", 100, 1, 'S', NULL);
    lu_journal(c, &v1.t, "\"id\", \"name\", \"qty\", \"price\"", "2, 'b', 6, 2.50", 100, 2, 'S', NULL);
    lu_journal(c, &v1.t, "\"id\", \"name\", \"qty\", \"price\"", "2, 'b', 7, 2.50", 200, 1, 'U', NULL);
    /* generation 1 merged completely, then the DDL, then generation 2 */
    CHECK_INT(lu_merge(c, &v1.t, 200, LU_ALL), 0);
    pgcdc_sql_list l;
    pgcdc_error err;
    bool newgen = false;
    pgcdc_sql_list_init(&l);
    CHECK_INT(pgcdc_merge_sql_schema_change(&v1.t, &v2.t, &l, &newgen, &err), PGCDC_OK);
    CHECK(newgen);
    CHECK_INT(l.n, 3);
    pgt_exec(c, "BEGIN");
    lu_run_list(c, &l);
    pgt_exec(c, "COMMIT");
    pgcdc_sql_list_free(&l);
    static const char *const dropped[] = {"qty"};
    v2.t.dropped = dropped;
    v2.t.ndropped = 1;
    v2.t.journal_n = 2;
    lu_create_journal(c, &v2.t);
    const char *cols2 = "\"id\", \"name\", \"price\", \"note\"";
    lu_journal(c, &v2.t, cols2, "1, 'a-longer-name', 1.50, 'n1'", 300, 1, 'U', NULL);
    lu_journal(c, &v2.t, cols2, "3, 'c', 3.50, 'n3'", 300, 2, 'I', NULL);
    CHECK_INT(lu_merge(c, &v2.t, 300, LU_ALL), 0);
    check_dump(c, &v2.t, "id, name, \"qty__SNOWFLAKE_DELETED\", price, note, \"_SNOWFLAKE_DELETED\"", "id",
               "(1,a-longer-name,5,1.50,n1,f)\n(2,b,7,2.50,,f)\n(3,c,,3.50,n3,f)", "after schema change");
    CHECK_STR(kept(pgt_query_value(c, "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = "
                                 "'%s'::regclass AND attname = 'name'",
                              lu_dest(&v2.t))),
              "character varying(20)");
}

static void quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

int main(void)
{
    pgt_cluster cl;
    int major = pgt_major();
    pgt_cluster_start(&cl, major, NULL);
    PGconn *c = pgt_connect(&cl, "postgres");
    PQsetNoticeProcessor(c, quiet, NULL); /* CREATE ... IF NOT EXISTS notices */
    path paths[2];
    int npaths = 0;
    if (major >= 15)
        paths[npaths++] = (path){"merge", major};
    paths[npaths++] = (path){"upsert", 14};
    for (int i = 0; i < npaths; i++) {
        fprintf(stderr, "-- path %s (planned for PostgreSQL %d) on PostgreSQL %d\n", paths[i].name, paths[i].major,
                major);
        scenario_docs(c, &paths[i]);
        scenario_walkthrough(c, &paths[i]);
        scenario_composite(c, &paths[i]);
        scenario_weird(c, &paths[i], PGCDC_IDENT_CASE_SENSITIVE);
        scenario_weird(c, &paths[i], PGCDC_IDENT_CASE_INSENSITIVE);
        scenario_counters(c, &paths[i]);
        scenario_schema_change(c, &paths[i]);
    }
    PQfinish(c);
    pgt_cluster_stop(&cl);
    free_kept();
    return pgt_done("merge-live");
}
