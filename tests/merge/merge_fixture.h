/* merge_fixture.h - tables for the merge planner tests: the walkthrough's
 * app.customers / app.products / app.orders, a composite key, a table with
 * TOAST-able columns, a table of fixed-length columns only, and one whose
 * names need quoting - described once, planned for either dialect. */
#ifndef MERGE_FIXTURE_H
#define MERGE_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>
#include "pgcdc/merge.h"

#define FX_MAX_COLS 16

typedef struct fx_col {
    const char *name;
    uint32_t oid;   /* built-in type OID */
    int32_t typmod; /* -1 = none */
    bool key;
} fx_col;

typedef struct fx_def {
    const char *schema, *table;
    const fx_col *cols;
    size_t ncols;
} fx_def;

/* A table description that owns its column array. */
typedef struct fx_table {
    pgcdc_merge_table t;
    pgcdc_merge_column cols[FX_MAX_COLS];
} fx_table;

/* typmod helpers as PostgreSQL encodes them */
#define FX_NUMMOD(p, s) ((int32_t)((((p) << 16) | ((s) & 0x7FF)) + 4))
#define FX_CHARMOD(n) ((int32_t)((n) + 4))

extern const fx_def fx_customers, fx_products, fx_orders, fx_order_lines, fx_docs, fx_counters, fx_weird;

/* Fills ft from def (types resolved and mapped for d); exits the test on a
 * mapping failure. Generation epoch 1718000000, n 1. */
void fx_table_init(fx_table *ft, const fx_def *def, pgcdc_dialect d, int server_major, pgcdc_ident_case c);

/* The whole setup + merge of a table as one script (schema, state, table,
 * journal, merge, reset state) with comment lines naming the journal columns
 * and the merge parameters. */
pgcdc_code fx_script(const pgcdc_merge_table *t, pgcdc_buf *out, pgcdc_error *err);

#endif
