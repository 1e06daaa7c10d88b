/* schema_change.c - the DDL that follows a source schema change (reference
 * §5): added columns are added, dropped ones renamed <col>__SNOWFLAKE_DELETED
 * (old values kept, new rows NULL), a rename is a drop plus an add; what the
 * destination cannot follow without losing or inventing data fails the table
 * with the reason and the way out. */
#include "merge_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RESTART_HINT                                                                                           \
    "restart the table (remove it from the included tables, drop the destination table, add it back) to "    \
    "replicate it afresh"

enum { OID_INT8 = 20, OID_INT2 = 21, OID_INT4 = 23, OID_TEXT = 25, OID_VARCHAR = 1043, OID_NUMERIC = 1700 };

static int int_rank(uint32_t oid)
{
    return oid == OID_INT2 ? 1 : oid == OID_INT4 ? 2 : oid == OID_INT8 ? 3 : 0;
}

/* varchar length from "character varying(N)"; -1 = unconstrained */
static long varchar_len(const char *sql)
{
    const char *p = strchr(sql, '(');
    return p ? strtol(p + 1, NULL, 10) : -1;
}

/* PostgreSQL destination: a type change the destination takes with ALTER
 * COLUMN TYPE without changing any stored value. The source made the same
 * change, so rows already merged stay equal to the source. */
static bool pg_widening(const pgcdc_dest_type *o, const pgcdc_dest_type *n)
{
    if (o->vclass == PGCDC_VC_ARRAY || n->vclass == PGCDC_VC_ARRAY)
        return false;
    int ro = int_rank(o->pg_oid), rn = int_rank(n->pg_oid);
    if (ro && rn)
        return rn > ro;
    if (o->pg_oid == OID_VARCHAR && n->pg_oid == OID_TEXT)
        return true;
    if (o->pg_oid == OID_VARCHAR && n->pg_oid == OID_VARCHAR) {
        long lo = varchar_len(o->sql), ln = varchar_len(n->sql);
        return ln < 0 || (lo >= 0 && ln >= lo);
    }
    return false;
}

static bool is_numeric(const pgcdc_dest_type *t)
{
    return t->pg_oid == OID_NUMERIC && t->vclass != PGCDC_VC_ARRAY;
}

/* the key as "(a, b)" for messages */
static void key_list(const mctx *m, char *dst, size_t n)
{
    size_t used = 0;
    used += (size_t)snprintf(dst, n, "(");
    bool first = true;
    for (size_t i = 0; i < m->ncols && used < n; i++) {
        if (!m->cols[i].key)
            continue;
        used += (size_t)snprintf(dst + used, n - used, "%s%s", first ? "" : ", ", m->cols[i].name);
        first = false;
    }
    if (used < n)
        snprintf(dst + used, n - used, ")");
}

static pgcdc_code check_same_table(const mctx *o, const mctx *n, pgcdc_error *err)
{
    if (o->d != n->d || o->t->ident_case != n->t->ident_case || strcmp(o->schema, n->schema) != 0 ||
        strcmp(o->table, n->table) != 0)
        return pgcdc_error_set(err, PGCDC_EINVAL,
                               "%s: a schema change must keep the dialect, Object Identifier Resolution and "
                               "destination names (the destination table is \"%s\".\"%s\", the new description "
                               "names \"%s\".\"%s\")",
                               o->what, o->schema, o->table, n->schema, n->table);
    return PGCDC_OK;
}

static pgcdc_code check_key(const mctx *o, const mctx *n, pgcdc_error *err)
{
    bool same = o->nkeys == n->nkeys;
    for (size_t i = 0; same && i < o->ncols; i++) {
        if (!o->cols[i].key)
            continue;
        long j = mctx_find(n, o->cols[i].name);
        same = j >= 0 && n->cols[j].key;
    }
    if (same)
        return PGCDC_OK;
    char ok[512], nk[512];
    key_list(o, ok, sizeof ok);
    key_list(n, nk, sizeof nk);
    return pgcdc_error_set(err, PGCDC_EUNSUPPORTED,
                           "%s: the primary key changed from %s to %s: the destination merges rows by key, so a "
                           "key change is not supported; " RESTART_HINT,
                           o->what, ok, nk);
}

/* a type for messages: PostgreSQL's spelling with its modifier in the
 * PostgreSQL dialect (where it is the destination type too), else the source
 * type name and the destination type: "numeric (NUMBER(10,2))" */
static void type_label(const pgcdc_dest_type *t, char *dst, size_t n)
{
    if (t->dialect == PGCDC_DIALECT_POSTGRES)
        snprintf(dst, n, "%s", t->sql);
    else
        snprintf(dst, n, "%s (%s)", t->pg_name, t->sql);
}

static pgcdc_code check_type(const mctx *o, const mcol *oc, const mcol *nc, bool *alter, pgcdc_error *err)
{
    const pgcdc_dest_type *ot = &oc->src->type, *nt = &nc->src->type;
    *alter = false;
    if (strcmp(ot->sql, nt->sql) == 0)
        return PGCDC_OK; /* e.g. int4 -> int8 in Snowflake: NUMBER(38,0) both */
    if (o->d == PGCDC_DIALECT_POSTGRES && pg_widening(ot, nt)) {
        *alter = true;
        return PGCDC_OK;
    }
    char ol[PGCDC_DEST_TYPE_MAX + PGCDC_TYPE_NAME_MAX + 4], nl[sizeof ol];
    type_label(ot, ol, sizeof ol);
    type_label(nt, nl, sizeof nl);
    if (is_numeric(ot) && is_numeric(nt))
        return pgcdc_error_set(err, PGCDC_EUNSUPPORTED,
                               "%s: column \"%s\" changed from %s to %s: a change of numeric precision or scale "
                               "is not supported; " RESTART_HINT,
                               o->what, nc->src->name, ol, nl);
    return pgcdc_error_set(err, PGCDC_EUNSUPPORTED,
                           "%s: column \"%s\" changed type from %s to %s: only widening an integer or a varchar "
                           "column is supported; " RESTART_HINT,
                           o->what, nc->src->name, ol, nl);
}

/* names the destination will hold dropped columns under: old drops + now */
static bool dropped_before(const mctx *o, const char *name)
{
    for (size_t i = 0; i < o->ndropped; i++)
        if (strcmp(o->dropped[i], name) == 0)
            return true;
    return false;
}

static pgcdc_code check_added(const mctx *o, const mctx *n, const mcol *nc, pgcdc_error *err)
{
    if (dropped_before(o, nc->name))
        return pgcdc_error_set(err, PGCDC_EUNSUPPORTED,
                               "%s: column \"%s\" was dropped earlier and is now added again: re-adding a dropped "
                               "column name is not supported (its old values are kept in \"%s%s\"); " RESTART_HINT,
                               o->what, nc->src->name, nc->name, M_DELETED_SUFFIX);
    /* the new name must not be where a dropped column went, earlier or now */
    for (size_t i = 0; i < o->ndropped + o->ncols; i++) {
        const char *gone;
        if (i < o->ndropped)
            gone = o->dropped[i];
        else if (mctx_find(n, o->cols[i - o->ndropped].name) < 0)
            gone = o->cols[i - o->ndropped].name;
        else
            continue;
        char *renamed = mg_derive(o->d, gone, M_DELETED_SUFFIX);
        if (!renamed)
            return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory while planning SQL");
        bool hit = strcmp(renamed, nc->name) == 0;
        free(renamed);
        if (hit)
            return pgcdc_error_set(err, PGCDC_EUNSUPPORTED,
                                   "%s: added column \"%s\" has the name the destination gives dropped column "
                                   "\"%s\": rename the column or exclude it with the Column Filter JSON",
                                   o->what, nc->src->name, gone);
    }
    return PGCDC_OK;
}

static void alter_prefix(sqlw *w)
{
    w_puts(w, "ALTER TABLE ");
    w_qualified(w, w->m->table);
    w_puts(w, " ");
}

static bool journal_differs(const mctx *o, const mctx *n)
{
    if (o->ncols != n->ncols)
        return true;
    for (size_t i = 0; i < o->ncols; i++)
        if (strcmp(o->cols[i].name, n->cols[i].name) != 0 ||
            strcmp(o->cols[i].src->type.sql, n->cols[i].src->type.sql) != 0 || o->cols[i].key != n->cols[i].key)
            return true;
    return false;
}

static pgcdc_code plan(mbuild *mb, const mctx *n, bool *new_generation, pgcdc_error *err)
{
    const mctx *o = &mb->m;
    sqlw *w = &mb->w;
    pgcdc_code rc;
    if ((rc = check_same_table(o, n, err)) != PGCDC_OK || (rc = check_key(o, n, err)) != PGCDC_OK)
        return rc;
    /* check everything before writing anything: all or nothing */
    bool *alter = calloc(n->ncols, sizeof *alter);
    if (!alter)
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory while planning SQL");
    for (size_t i = 0; i < n->ncols; i++) {
        long j = mctx_find(o, n->cols[i].name);
        rc = j < 0 ? check_added(o, n, &n->cols[i], err) : check_type(o, &o->cols[j], &n->cols[i], &alter[i], err);
        if (rc != PGCDC_OK) {
            free(alter);
            return rc;
        }
    }
    for (size_t i = 0; i < o->ncols; i++) {
        if (mctx_find(n, o->cols[i].name) >= 0)
            continue;
        char *renamed = mg_derive(o->d, o->cols[i].name, M_DELETED_SUFFIX);
        if (!renamed) {
            free(alter);
            return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory while planning SQL");
        }
        alter_prefix(w);
        w_puts(w, "RENAME COLUMN ");
        w_ident(w, o->cols[i].name);
        w_puts(w, " TO ");
        w_ident(w, renamed);
        free(renamed);
        mb_end_stmt(mb);
    }
    for (size_t i = 0; i < n->ncols; i++) {
        const mcol *nc = &n->cols[i];
        long j = mctx_find(o, nc->name);
        if (j >= 0 && !alter[i])
            continue;
        alter_prefix(w);
        w_puts(w, j < 0 ? "ADD COLUMN " : "ALTER COLUMN ");
        w_ident(w, nc->name);
        w_puts(w, j < 0 ? " " : " TYPE ");
        w_puts(w, nc->src->type.sql);
        mb_end_stmt(mb);
    }
    free(alter);
    if (new_generation)
        *new_generation = journal_differs(o, n);
    return PGCDC_OK;
}

pgcdc_code pgcdc_merge_sql_schema_change(const pgcdc_merge_table *old_t, const pgcdc_merge_table *new_t,
                                         pgcdc_sql_list *out, bool *new_generation, pgcdc_error *err)
{
    mctx n;
    pgcdc_code rc = mctx_init(&n, new_t, err);
    if (rc != PGCDC_OK)
        return rc;
    mbuild mb;
    rc = mb_begin(&mb, old_t, out, err);
    if (rc != PGCDC_OK) {
        mctx_free(&n);
        return rc;
    }
    rc = plan(&mb, &n, new_generation, err);
    mctx_free(&n);
    return mb_finish(&mb, rc, err);
}
