/* merge_fixture.c - see merge_fixture.h. */
#include "merge_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { BOOL = 16, INT8 = 20, INT2 = 21, INT4 = 23, TEXT = 25, JSONB = 3802, TEXTARR = 1009, VARCHAR = 1043,
       TIMESTAMP = 1114, TIMESTAMPTZ = 1184, NUMERIC = 1700, BYTEA = 17 };

/* The walkthrough seed (openflow-postgresql-on-aws-walkthrough.txt). SERIAL
 * is an int4 column. */
static const fx_col customers_cols[] = {
    {"customer_id", INT4, -1, true},
    {"name", VARCHAR, FX_CHARMOD(100), false},
    {"email", VARCHAR, FX_CHARMOD(200), false},
    {"created_at", TIMESTAMP, -1, false},
};
static const fx_col products_cols[] = {
    {"product_id", INT4, -1, true},
    {"name", VARCHAR, FX_CHARMOD(100), false},
    {"price", NUMERIC, FX_NUMMOD(10, 2), false},
    {"in_stock", BOOL, -1, false},
};
static const fx_col orders_cols[] = {
    {"order_id", INT4, -1, true},
    {"customer_id", INT4, -1, false},
    {"product_id", INT4, -1, false},
    {"quantity", INT4, -1, false},
    {"status", VARCHAR, FX_CHARMOD(20), false},
    {"order_date", TIMESTAMP, -1, false},
};
/* a composite key, declared out of column order */
static const fx_col order_lines_cols[] = {
    {"sku", TEXT, -1, false},
    {"order_id", INT4, -1, true},
    {"qty", INT4, -1, false},
    {"line_no", INT2, -1, true},
    {"note", TEXT, -1, false},
};
/* TOAST-able columns of several kinds */
static const fx_col docs_cols[] = {
    {"id", INT4, -1, true},
    {"title", TEXT, -1, false},
    {"body", TEXT, -1, false},
    {"tags", TEXTARR, -1, false},
    {"meta", JSONB, -1, false},
    {"blob", BYTEA, -1, false},
    {"n", INT4, -1, false},
};
/* fixed-length columns only: the merge needs no unchanged-TOAST lookup */
static const fx_col counters_cols[] = {
    {"id", INT8, -1, true},
    {"n", INT4, -1, false},
    {"at", TIMESTAMPTZ, -1, false},
};
/* names that need quoting: case, blanks, quotes, a backslash */
static const fx_col weird_cols[] = {
    {"Id", INT8, -1, true},
    {"Mixed Case", TEXT, -1, false},
    {"quote\"d", TEXT, -1, false},
    {"it's\\here", VARCHAR, FX_CHARMOD(50), false},
    {"lower", INT4, -1, false},
};

#define DEF(var, schema, table, cols) const fx_def var = {schema, table, cols, sizeof cols / sizeof cols[0]}
DEF(fx_customers, "app", "customers", customers_cols);
DEF(fx_products, "app", "products", products_cols);
DEF(fx_orders, "app", "orders", orders_cols);
DEF(fx_order_lines, "app", "order_lines", order_lines_cols);
DEF(fx_docs, "app", "docs", docs_cols);
DEF(fx_counters, "app", "counters", counters_cols);
DEF(fx_weird, "My Schema", "We\"ird Table", weird_cols);

void fx_table_init(fx_table *ft, const fx_def *def, pgcdc_dialect d, int server_major, pgcdc_ident_case c)
{
    memset(ft, 0, sizeof *ft);
    if (def->ncols > FX_MAX_COLS) {
        fprintf(stderr, "fixture: too many columns\n");
        exit(1);
    }
    for (size_t i = 0; i < def->ncols; i++) {
        pgcdc_pg_type pt;
        pgcdc_error err;
        if (pgcdc_type_resolve(NULL, def->cols[i].oid, def->cols[i].typmod, &pt, &err) != PGCDC_OK ||
            pgcdc_type_map(&pt, d, &ft->cols[i].type, &err) != PGCDC_OK) {
            fprintf(stderr, "fixture: column %s: %s\n", def->cols[i].name, err.message);
            exit(1);
        }
        ft->cols[i].name = def->cols[i].name;
        ft->cols[i].is_key = def->cols[i].key;
    }
    ft->t.dialect = d;
    ft->t.server_major = server_major;
    ft->t.ident_case = c;
    ft->t.source_schema = ft->t.dest_schema = def->schema;
    ft->t.source_table = ft->t.dest_table = def->table;
    ft->t.columns = ft->cols;
    ft->t.ncolumns = def->ncols;
    ft->t.journal_epoch = 1718000000;
    ft->t.journal_n = 1;
}

pgcdc_code fx_script(const pgcdc_merge_table *t, pgcdc_buf *out, pgcdc_error *err)
{
    pgcdc_sql_list l;
    pgcdc_sql_list_init(&l);
    pgcdc_code rc;
    if ((rc = pgcdc_merge_sql_create_schema(t, &l, err)) != PGCDC_OK ||
        (rc = pgcdc_merge_sql_create_state(t, &l, err)) != PGCDC_OK ||
        (rc = pgcdc_merge_sql_create_table(t, &l, err)) != PGCDC_OK ||
        (rc = pgcdc_merge_sql_create_journal(t, &l, err)) != PGCDC_OK ||
        (rc = pgcdc_merge_sql_merge(t, &l, err)) != PGCDC_OK ||
        (rc = pgcdc_merge_sql_initial_load(t, &l, err)) != PGCDC_OK ||
        (rc = pgcdc_merge_sql_reset_state(t, &l, err)) != PGCDC_OK) {
        pgcdc_sql_list_free(&l);
        return rc;
    }
    pgcdc_buf_puts(out, "-- statements: schema, state, table, journal (PostgreSQL: + index), merge (3), initial load (3), "
                        "reset state\n"
                        "-- journal COPY columns: ");
    if ((rc = pgcdc_merge_journal_columns(t, out, err)) == PGCDC_OK) {
        pgcdc_buf_puts(out, "\n-- merge parameters: $1/? bound LSN, $2/? bound SEQ, $3/? '");
        pgcdc_merge_dest_name(t, out, err);
        pgcdc_buf_puts(out, "', $4/? '");
        pgcdc_merge_journal_name(t, out, err);
        pgcdc_buf_puts(out, "'\n");
        rc = pgcdc_sql_list_script(&l, out, err);
    }
    pgcdc_sql_list_free(&l);
    return rc;
}
