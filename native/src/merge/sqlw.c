/* sqlw.c - writing SQL text: quoted names, key lists, and the handful of
 * expressions spelled differently in PostgreSQL and Snowflake. Failures are
 * sticky (w->oom) so builders check once at the end. */
#include "merge_internal.h"

#include <stdarg.h>
#include <stdio.h>

void w_puts(sqlw *w, const char *s)
{
    if (!w->oom && pgcdc_buf_puts(w->b, s) != 0)
        w->oom = true;
}

void w_printf(sqlw *w, const char *fmt, ...)
{
    if (w->oom)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || pgcdc_buf_reserve(w->b, (size_t)n) != 0) {
        w->oom = true;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(w->b->data + w->b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    w->b->len += (size_t)n;
}

void w_ident(sqlw *w, const char *name)
{
    if (!w->oom && mg_quote_exact(w->b, name) != 0)
        w->oom = true;
}

void w_qcol(sqlw *w, const char *alias, const char *name)
{
    if (alias) {
        w_puts(w, alias);
        w_puts(w, ".");
    }
    w_ident(w, name);
}

void w_qualified(sqlw *w, const char *name)
{
    w_ident(w, w->m->schema);
    w_puts(w, ".");
    w_ident(w, name);
}

void w_literal(sqlw *w, const char *s)
{
    if (!w->oom && mg_literal(w->b, w->m->d, s) != 0)
        w->oom = true;
}

void w_keys(sqlw *w, const char *alias, const char *sep)
{
    bool first = true;
    for (size_t i = 0; i < w->m->ncols; i++) {
        if (!w->m->cols[i].key)
            continue;
        if (!first)
            w_puts(w, sep);
        first = false;
        w_qcol(w, alias, w->m->cols[i].name);
    }
}

void w_keys_eq(sqlw *w, const char *a, const char *b)
{
    bool first = true;
    for (size_t i = 0; i < w->m->ncols; i++) {
        if (!w->m->cols[i].key)
            continue;
        if (!first)
            w_puts(w, " AND ");
        first = false;
        w_qcol(w, a, w->m->cols[i].name);
        w_puts(w, " = ");
        w_qcol(w, b, w->m->cols[i].name);
    }
}

void w_pos_cmp(sqlw *w, const char *l_lsn, const char *l_seq, const char *op, const char *r_lsn,
               const char *r_seq)
{
    if (w->m->d == PGCDC_DIALECT_POSTGRES) {
        /* a row comparison: one btree index condition on (LSN, SEQ) */
        w_printf(w, "(%s, %s) %s (%s, %s)", l_lsn, l_seq, op, r_lsn, r_seq);
        return;
    }
    /* (a, b) < (c, d)  ==  a < c OR (a = c AND b < d); likewise for the others */
    char strict[2] = {op[0], '\0'};
    w_printf(w, "(%s %s %s OR (%s = %s AND %s %s %s))", l_lsn, strict, r_lsn, l_lsn, r_lsn, l_seq, op, r_seq);
}

void w_pos_order(sqlw *w, const char *alias, bool desc)
{
    w_qcol(w, alias, J_LSN);
    w_puts(w, desc ? " DESC, " : ", ");
    w_qcol(w, alias, J_SEQ);
    if (desc)
        w_puts(w, " DESC");
}

void w_is_unchanged(sqlw *w, const char *alias, const char *name)
{
    if (w->m->d == PGCDC_DIALECT_POSTGRES) {
        w_puts(w, "coalesce(");
        w_literal(w, name);
        w_puts(w, " = ANY(");
        w_qcol(w, alias, J_UNCHANGED);
        w_puts(w, "), false)");
    } else {
        w_puts(w, "COALESCE(ARRAY_CONTAINS(");
        w_literal(w, name);
        w_puts(w, "::VARIANT, ");
        w_qcol(w, alias, J_UNCHANGED);
        w_puts(w, "), FALSE)");
    }
}

void w_has_unchanged(sqlw *w, const char *alias)
{
    w_puts(w, w->m->d == PGCDC_DIALECT_POSTGRES ? "cardinality(" : "ARRAY_SIZE(");
    w_qcol(w, alias, J_UNCHANGED);
    w_puts(w, ") > 0");
}

void w_now(sqlw *w)
{
    /* timestamp without time zone in UTC, whatever the session time zone;
     * one value per transaction in PostgreSQL */
    w_puts(w, w->m->d == PGCDC_DIALECT_POSTGRES ? "(now() AT TIME ZONE 'UTC')" : "SYSDATE()");
}

const char *mg_t_bigint(pgcdc_dialect d)
{
    return d == PGCDC_DIALECT_POSTGRES ? "bigint" : "NUMBER(20,0)";
}

const char *mg_t_ntz(pgcdc_dialect d)
{
    return d == PGCDC_DIALECT_POSTGRES ? "timestamp without time zone" : "TIMESTAMP_NTZ";
}

const char *mg_t_bool(pgcdc_dialect d)
{
    return d == PGCDC_DIALECT_POSTGRES ? "boolean" : "BOOLEAN";
}

const char *mg_t_text(pgcdc_dialect d)
{
    return d == PGCDC_DIALECT_POSTGRES ? "text" : "VARCHAR";
}
