/* merge_internal.h - shared pieces of native/src/merge: the checked and
 * resolved view of a table (mctx), an SQL text writer with a sticky
 * out-of-memory flag, and the few spellings that differ between dialects.
 * Not installed. */
#ifndef PGCDC_MERGE_INTERNAL_H
#define PGCDC_MERGE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include "pgcdc/merge.h"

/* Metadata column names: the same in both dialects and for both cases. */
#define M_INSERTED_AT "_SNOWFLAKE_INSERTED_AT"
#define M_UPDATED_AT "_SNOWFLAKE_UPDATED_AT"
#define M_DELETED "_SNOWFLAKE_DELETED"
#define M_DELETED_SUFFIX "__SNOWFLAKE_DELETED"
#define J_PREFIX "_PGCDC_"
#define J_LSN "_PGCDC_LSN"
#define J_SEQ "_PGCDC_SEQ"
#define J_OP "_PGCDC_OP"
#define J_COMMIT_TIME "_PGCDC_COMMIT_TIME"
#define J_UNCHANGED "_PGCDC_UNCHANGED"
#define STATE_TABLE "_PGCDC_MERGE_STATE"

/* ---- ident.c ---- */

/* name resolved by c, malloc'd (NULL when memory runs out) */
char *mg_resolve(pgcdc_ident_case c, const char *name);
/* base + suffix, shortened for PostgreSQL as merge.h describes; malloc'd */
char *mg_derive(pgcdc_dialect d, const char *base, const char *suffix);
/* appends an already-resolved name as a quoted identifier */
int mg_quote_exact(pgcdc_buf *out, const char *name);
/* appends s as a string literal that means s whatever the server settings:
 * PostgreSQL E'...' when s has a backslash, Snowflake with backslash escapes */
int mg_literal(pgcdc_buf *out, pgcdc_dialect d, const char *s);

/* ---- table.c: a checked table with its destination spellings ---- */

typedef struct mcol {
    char *name;                    /* destination spelling */
    const pgcdc_merge_column *src;
    bool key;
    bool toastable;                /* non-key, variable-length: may arrive as unchanged TOAST */
} mcol;

typedef struct mctx {
    const pgcdc_merge_table *t;
    pgcdc_dialect d;
    char *schema, *table, *journal, *journal_index;  /* destination spellings, unquoted */
    char *what;                    /* "schema.table" of the source, for messages */
    mcol *cols;
    size_t ncols, nkeys, ntoast;
    char **dropped;                /* destination spellings of t->dropped */
    size_t ndropped;
} mctx;

pgcdc_code mctx_init(mctx *m, const pgcdc_merge_table *t, pgcdc_error *err);
void mctx_free(mctx *m);
/* index of the column whose destination spelling is name, or -1 */
long mctx_find(const mctx *m, const char *name);

/* ---- the SQL writer (sqlw.c) ---- */

typedef struct sqlw {
    pgcdc_buf *b;
    const mctx *m;
    bool oom;
} sqlw;

void w_puts(sqlw *w, const char *s);
void w_printf(sqlw *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "name" (already resolved) */
void w_ident(sqlw *w, const char *name);
/* alias."name" (alias NULL: just "name") */
void w_qcol(sqlw *w, const char *alias, const char *name);
/* "schema"."name" */
void w_qualified(sqlw *w, const char *name);
/* a string literal */
void w_literal(sqlw *w, const char *s);
/* each key column as alias."k", separated by sep */
void w_keys(sqlw *w, const char *alias, const char *sep);
/* a."k1" = b."k1" AND a."k2" = b."k2" */
void w_keys_eq(sqlw *w, const char *a, const char *b);
/* (alias.lsn, alias.seq) op (rl, rs) - a row comparison in PostgreSQL,
 * spelled out in Snowflake, which has none; op is one of < <= > >= */
void w_pos_cmp(sqlw *w, const char *l_lsn, const char *l_seq, const char *op, const char *r_lsn,
               const char *r_seq);
/* alias."_PGCDC_LSN", alias."_PGCDC_SEQ" [DESC] */
void w_pos_order(sqlw *w, const char *alias, bool desc);
/* true when column name is listed in alias."_PGCDC_UNCHANGED" (never NULL) */
void w_is_unchanged(sqlw *w, const char *alias, const char *name);
/* the array alias."_PGCDC_UNCHANGED" is not NULL and not empty */
void w_has_unchanged(sqlw *w, const char *alias);
/* the metadata timestamp: now in UTC, without time zone */
void w_now(sqlw *w);

/* Dialect spellings. */
const char *mg_t_bigint(pgcdc_dialect d);
const char *mg_t_ntz(pgcdc_dialect d);
const char *mg_t_bool(pgcdc_dialect d);
const char *mg_t_text(pgcdc_dialect d);

/* The columns of _PGCDC_MERGE_STATE (ddl.c). */
typedef enum state_col { SC_TABLE, SC_JOURNAL, SC_LSN, SC_SEQ, SC_UPDATED_AT } state_col;
const char *mg_state_col(pgcdc_dialect d, state_col c);

/* Adds the statement in text to the list: 0, or -1 when memory runs out. */
int mg_list_add(pgcdc_sql_list *l, const char *text, size_t len);

/* A builder: a checked table, a statement being written, and the list the
 * statements go to; mb_finish undoes every statement added when it fails. */
typedef struct mbuild {
    mctx m;
    pgcdc_buf b;
    sqlw w;
    pgcdc_sql_list *out;
    size_t n0, len0;
} mbuild;

pgcdc_code mb_begin(mbuild *mb, const pgcdc_merge_table *t, pgcdc_sql_list *out, pgcdc_error *err);
/* adds the statement written so far to the list and starts the next one */
void mb_end_stmt(mbuild *mb);
/* returns rc (or ENOMEM); on failure the list is back as mb_begin found it */
pgcdc_code mb_finish(mbuild *mb, pgcdc_code rc, pgcdc_error *err);

/* ---- window.c: the deduplicated, resolved source rows of a merge ---- */

/* Appends the source query (starting "WITH ..."; one row per key changed in
 * the window: its key, its final values, "_PGCDC_OP"). as_ctes: write only the
 * CTE list, with the final SELECT as one more CTE named s, for a statement
 * that adds its own CTEs and main query (INSERT ... ON CONFLICT). */
void mg_source_query(sqlw *w, bool as_ctes);
/* the parameters as a one-row relation: hi_lsn, hi_seq, tbl, jn */
void mg_params_select(sqlw *w);

#endif
