/* schema.c - schema changes while running (reference §5). pgoutput tells about
 * DDL only through Relation messages; each one of a replicating table is
 * compared with the table's known shape (the persisted one, i.e. the shape
 * of the journal generation being written). A different shape is applied in
 * this order, so that a crash anywhere is recoverable:
 *   1. generation n is merged completely (its rows name columns the DDL
 *      renames; the caller made sure every earlier transaction is written);
 *   2. one destination transaction: the planner's DDL (ADD COLUMN, RENAME to
 *      <col>__SNOWFLAKE_DELETED, widening), journal generation n+1, the
 *      table's state row (generation) and persisted columns;
 *   3. the table is registered again with the writer: later rows go to n+1.
 * Before 2 commits, a restart still knows the old shape and sees the change
 * again; after it, the new shape. A change the planner refuses fails the
 * table alone, with the planner's message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgcdc/crashpoint.h"
#include "pgcdc/log.h"
#include "common/text_safe.h"
#include "pipeline_internal.h"

/* The relation's columns as specs. With REPLICA IDENTITY FULL pgoutput flags
 * every column as key: the key is then the one already known (by name). */
static pl_colspec *relation_specs(const pl_table *t, const pgcdc_relation *rel)
{
    pl_colspec *cs = calloc(rel->ncolumns ? rel->ncolumns : 1, sizeof *cs);
    if (!cs)
        return NULL;
    for (uint16_t i = 0; i < rel->ncolumns; i++) {
        const pgcdc_column *c = &rel->columns[i];
        snprintf(cs[i].name, sizeof cs[i].name, "%s", c->name ? c->name : "");
        cs[i].oid = c->type_oid;
        cs[i].typmod = c->typmod;
        if (rel->replident == 'f') {
            cs[i].is_key = false;
            for (size_t j = 0; j < t->ncols; j++)
                if (t->mcols[j].is_key && !strcmp(t->colnames[j], cs[i].name))
                    cs[i].is_key = true;
        } else {
            cs[i].is_key = (c->flags & PGCDC_COLUMN_KEY) != 0;
        }
    }
    return cs;
}

bool pl_relation_equals(pl_ctx *x, const pl_table *t, const pgcdc_relation *rel, const pl_colspec *want,
                            size_t nwant)
{
    size_t n = rel->ncolumns;
    pl_colspec *cs = relation_specs(t, rel);
    const char **np = calloc(n ? n : 1, sizeof *np);
    bool *is_key = calloc(n ? n : 1, sizeof *is_key);
    bool *keep = calloc(n ? n : 1, sizeof *keep);
    bool same = cs && np && is_key && keep;
    if (same) {
        for (size_t i = 0; i < n; i++) {
            np[i] = cs[i].name;
            is_key[i] = cs[i].is_key;
        }
        pgcdc_column_filter_apply(x->filter, t->schema, t->name, np, is_key, n, keep);
        size_t j = 0;
        for (size_t i = 0; i < n && same; i++) {
            if (!keep[i])
                continue;
            same = j < nwant && pl_colspec_eq(&want[j], &cs[i]);
            j++;
        }
        same = same && j == nwant;
    }
    free(cs);
    free(np);
    free(is_key);
    free(keep);
    return same;
}

pl_colspec *pl_table_specs(const pl_table *t)
{
    pl_colspec *s = calloc(t->ncols ? t->ncols : 1, sizeof *s);
    for (size_t i = 0; s && i < t->ncols; i++) {
        snprintf(s[i].name, sizeof s[i].name, "%s", t->colnames[i]);
        s[i].oid = t->pcols[i].type_oid;
        s[i].typmod = t->pcols[i].typmod;
        s[i].is_key = t->mcols[i].is_key;
    }
    return s;
}

bool pl_relation_matches(pl_ctx *x, const pl_table *t, const pgcdc_relation *rel)
{
    pl_colspec *want = pl_table_specs(t);
    bool same = want && pl_relation_equals(x, t, rel, want, t->ncols);
    free(want);
    return same;
}

/* Frees a working copy's column description and dropped list (the copy
 * shares its other pointers with the table it was made from). */
void pl_shape_copy_free(pl_table *nt)
{
    free(nt->colnames);
    free(nt->mcols);
    free(nt->pcols);
    free(nt->colptrs);
    pl_dropped_clear(nt);
}

/* A one-line summary for the log: +added -dropped. */
static void summary(const pl_table *o, const pl_table *n, char *out, size_t len)
{
    size_t w = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n->ncols && w < len; i++) {
        bool had = false;
        for (size_t j = 0; j < o->ncols; j++)
            had = had || !strcmp(o->colnames[j], n->colnames[i]);
        if (!had)
            w += (size_t)snprintf(out + w, len - w, "%s+%s", w ? ", " : "", n->colnames[i]);
    }
    for (size_t j = 0; j < o->ncols && w < len; j++) {
        bool kept = false;
        for (size_t i = 0; i < n->ncols; i++)
            kept = kept || !strcmp(o->colnames[j], n->colnames[i]);
        if (!kept)
            w += (size_t)snprintf(out + w, len - w, "%s-%s", w ? ", " : "", o->colnames[j]);
    }
    if (w == 0)
        snprintf(out, len, "column types");
}

/* Fails the table after merging what it already has in its journal. */
static pgcdc_code fail_after_merge(pl_ctx *x, pl_table *t, const char *why, pgcdc_error *err)
{
    char msg[sizeof t->message];
    pgcdc_text_copy(msg, sizeof msg, why);
    pgcdc_error e;
    pgcdc_code rc = pl_merge(x, t, (int64_t)x->durable - 1, INT64_MAX, NULL, &e);
    if (pl_ends_attempt(rc, &e)) {
        if (err)
            *err = e;
        return rc;
    }
    return pl_fail(x, t, msg, err);
}

pgcdc_code pl_schema_change(pl_ctx *x, pl_table *t, const pgcdc_relation *rel, pgcdc_error *err)
{
    pl_colspec *cs = relation_specs(t, rel);
    if (!cs)
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
    /* the new shape, built in a copy: t stays as it is until the commit */
    pl_table nt = *t;
    nt.colnames = NULL;
    nt.mcols = NULL;
    nt.pcols = NULL;
    nt.colptrs = NULL;
    nt.ncols = 0;
    nt.dropnames = NULL;
    nt.dropptrs = NULL;
    nt.ndropped = 0;
    nt.has_plan = false;
    nt.prev = NULL; /* t keeps it until the swap below */
    nt.nprev = 0;
    nt.journal_n = t->journal_n + 1;
    pgcdc_error e;
    pgcdc_code rc = PGCDC_OK;
    for (size_t i = 0; i < t->ndropped && rc == PGCDC_OK; i++)
        rc = pl_dropped_add(&nt, t->dropnames[i], &e);
    if (rc == PGCDC_OK)
        rc = pl_describe_columns(x, &nt, cs, rel->ncolumns, false, &e);
    free(cs);
    /* columns gone now join the dropped list: the destination keeps them */
    for (size_t j = 0; j < t->ncols && rc == PGCDC_OK; j++) {
        bool kept = false;
        for (size_t i = 0; i < nt.ncols; i++)
            kept = kept || !strcmp(t->colnames[j], nt.colnames[i]);
        if (!kept)
            rc = pl_dropped_add(&nt, t->colnames[j], &e);
    }
    pl_table_fix_pointers(&nt);
    pgcdc_sql_list l;
    pgcdc_sql_list_init(&l);
    bool newgen = false;
    if (rc == PGCDC_OK)
        rc = pgcdc_merge_sql_schema_change(&t->mt, &nt.mt, &l, &newgen, &e);
    if (rc == PGCDC_OK)
        rc = pgcdc_merge_sql_create_journal(&nt.mt, &l, &e);
    if (rc != PGCDC_OK) {
        pgcdc_sql_list_free(&l);
        pl_shape_copy_free(&nt);
        if (pl_ends_attempt(rc, &e)) {
            if (err)
                *err = e;
            return rc;
        }
        return fail_after_merge(x, t, e.message, err);
    }
    /* 1. generation n completely */
    rc = pl_merge(x, t, (int64_t)x->durable - 1, INT64_MAX, NULL, &e);
    /* 2. DDL, generation n+1, state and columns: one transaction */
    if (rc == PGCDC_OK && (rc = pl_exec(x->dst, "BEGIN", &e)) == PGCDC_OK) {
        rc = pl_run_list(x->dst, &l, &e);
        if (rc == PGCDC_OK)
            rc = pl_state_write(x, &nt, PL_INCREMENTAL, &e);
        if (rc == PGCDC_OK)
            rc = pl_columns_write(x, &nt, &e);
        if (rc == PGCDC_OK && t->prev)
            rc = pl_shape_write(x, t, &e); /* the shape before, for the transaction that changed it */
        if (rc == PGCDC_OK)
            rc = pl_exec(x->dst, "COMMIT", &e);
        else
            PQclear(PQexec(x->dst, "ROLLBACK"));
    }
    pgcdc_sql_list_free(&l);
    if (rc != PGCDC_OK) {
        pl_shape_copy_free(&nt);
        if (pl_ends_attempt(rc, &e)) {
            if (err)
                *err = e;
            return rc;
        }
        return fail_after_merge(x, t, e.message, err);
    }
    pgcdc_crashpoint("schema-change-applied");
    char what[256];
    summary(t, &nt, what, sizeof what);
    /* 3. t takes the new shape; the writer follows */
    free(t->colnames);
    free(t->mcols);
    free(t->pcols);
    free(t->colptrs);
    pl_dropped_clear(t);
    bool had_plan = t->has_plan;
    pl_colspec *prev = t->prev;
    size_t nprev = t->nprev;
    uint32_t prev_xid = t->prev_xid;
    *t = nt;
    t->has_plan = had_plan;
    t->prev = prev;
    t->nprev = nprev;
    t->prev_xid = prev_xid;
    pl_table_fix_pointers(t);
    pgcdc_log(PGCDC_LOG_INFO, "schema change of table %s.%s applied (%s): journal generation %d", t->schema,
              t->name, what, t->journal_n);
    rc = pgcdc_journal_register(x->writer, &t->mt, &e);
    if (rc != PGCDC_OK) {
        if (pl_ends_attempt(rc, &e)) {
            if (err)
                *err = e;
            return rc;
        }
        return pl_fail(x, t, e.message, err);
    }
    return PGCDC_OK;
}
