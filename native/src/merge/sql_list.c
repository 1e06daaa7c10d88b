/* sql_list.c - a list of SQL statements in one buffer: what every planner
 * call appends to, readable one statement at a time or as a script. */
#include "merge_internal.h"

#include <stdlib.h>
#include <string.h>

void pgcdc_sql_list_init(pgcdc_sql_list *l)
{
    memset(l, 0, sizeof *l);
}

void pgcdc_sql_list_reset(pgcdc_sql_list *l)
{
    pgcdc_buf_reset(&l->text);
    l->n = 0;
}

void pgcdc_sql_list_free(pgcdc_sql_list *l)
{
    pgcdc_buf_free(&l->text);
    free(l->starts);
    memset(l, 0, sizeof *l);
}

const char *pgcdc_sql_list_get(const pgcdc_sql_list *l, size_t i)
{
    return i < l->n ? l->text.data + l->starts[i] : NULL;
}

int mg_list_add(pgcdc_sql_list *l, const char *text, size_t len)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        size_t *s = realloc(l->starts, cap * sizeof *s);
        if (!s)
            return -1;
        l->starts = s;
        l->cap = cap;
    }
    size_t start = l->text.len;
    /* the NUL that ends the statement is part of the text: statements sit
     * back to back and each is a C string */
    if (pgcdc_buf_append(&l->text, text, len) != 0 || pgcdc_buf_putc(&l->text, '\0') != 0) {
        l->text.len = start;
        if (l->text.data)
            l->text.data[start] = '\0';
        return -1;
    }
    l->starts[l->n++] = start;
    return 0;
}

pgcdc_code pgcdc_sql_list_script(const pgcdc_sql_list *l, pgcdc_buf *out, pgcdc_error *err)
{
    size_t start = out->len;
    for (size_t i = 0; i < l->n; i++) {
        if ((i && pgcdc_buf_putc(out, '\n') != 0) || pgcdc_buf_puts(out, pgcdc_sql_list_get(l, i)) != 0 ||
            pgcdc_buf_puts(out, ";\n") != 0) {
            out->len = start;
            if (out->data)
                out->data[start] = '\0';
            return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory while writing SQL");
        }
    }
    return PGCDC_OK;
}

/* ---- building statements into a list, all or nothing ---- */

pgcdc_code mb_begin(mbuild *mb, const pgcdc_merge_table *t, pgcdc_sql_list *out, pgcdc_error *err)
{
    memset(mb, 0, sizeof *mb);
    if (!out)
        return pgcdc_error_set(err, PGCDC_EINVAL, "no statement list given to the merge planner");
    pgcdc_code rc = mctx_init(&mb->m, t, err);
    if (rc != PGCDC_OK)
        return rc;
    mb->out = out;
    mb->n0 = out->n;
    mb->len0 = out->text.len;
    mb->w.b = &mb->b;
    mb->w.m = &mb->m;
    return PGCDC_OK;
}

void mb_end_stmt(mbuild *mb)
{
    if (!mb->w.oom && mg_list_add(mb->out, mb->b.data ? mb->b.data : "", mb->b.len) != 0)
        mb->w.oom = true;
    pgcdc_buf_reset(&mb->b);
}

pgcdc_code mb_finish(mbuild *mb, pgcdc_code rc, pgcdc_error *err)
{
    if (rc == PGCDC_OK && mb->w.oom)
        rc = pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory while planning SQL");
    if (rc != PGCDC_OK && mb->out) {
        mb->out->n = mb->n0;
        mb->out->text.len = mb->len0;
        if (mb->out->text.data)
            mb->out->text.data[mb->len0] = '\0';
    }
    pgcdc_buf_free(&mb->b);
    mctx_free(&mb->m);
    return rc;
}
