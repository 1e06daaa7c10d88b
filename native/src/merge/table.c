/* table.c - a table checked once and spelled as the destination spells it
 * (mctx), and the public name functions built on it. */
#include "merge_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* PostgreSQL stores these out of line (TOAST) never: they are fixed-length.
 * Only the other columns can arrive as unchanged TOAST, so only they carry
 * the cost of looking up a previous value. */
bool pgcdc_merge_type_toastable(const pgcdc_dest_type *t)
{
    switch (t->vclass) {
    case PGCDC_VC_INT:
    case PGCDC_VC_FLOAT:
    case PGCDC_VC_MONEY:
    case PGCDC_VC_BOOL:
    case PGCDC_VC_DATE:
    case PGCDC_VC_TIME:
    case PGCDC_VC_TIMETZ:
    case PGCDC_VC_TIMESTAMP:
    case PGCDC_VC_TIMESTAMPTZ:
    case PGCDC_VC_INTERVAL:
        return false;
    default:
        return true;
    }
}

void mctx_free(mctx *m)
{
    if (!m)
        return;
    free(m->schema);
    free(m->table);
    free(m->journal);
    free(m->journal_index);
    free(m->what);
    for (size_t i = 0; m->cols && i < m->ncols; i++)
        free(m->cols[i].name);
    free(m->cols);
    for (size_t i = 0; m->dropped && i < m->ndropped; i++)
        free(m->dropped[i]);
    free(m->dropped);
    memset(m, 0, sizeof *m);
}

long mctx_find(const mctx *m, const char *name)
{
    for (size_t i = 0; i < m->ncols; i++)
        if (strcmp(m->cols[i].name, name) == 0)
            return (long)i;
    return -1;
}

static pgcdc_code nomem(pgcdc_error *err)
{
    return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory while planning SQL");
}

/* A destination column name that the planner's own columns use. */
static bool reserved_name(const char *n)
{
    return strcmp(n, M_INSERTED_AT) == 0 || strcmp(n, M_UPDATED_AT) == 0 || strcmp(n, M_DELETED) == 0 ||
           strncmp(n, J_PREFIX, strlen(J_PREFIX)) == 0;
}

static pgcdc_code check_length(const mctx *m, const char *kind, const char *name, pgcdc_error *err)
{
    if (!name || !*name)
        return pgcdc_error_set(err, PGCDC_EINVAL, "%s: the %s name is empty", m->what, kind);
    if (m->d == PGCDC_DIALECT_POSTGRES && strlen(name) > PGCDC_PG_IDENT_MAX)
        return pgcdc_error_set(err, PGCDC_EINVAL,
                               "%s: the destination %s name \"%s\" is longer than PostgreSQL's %d bytes: "
                               "choose a Destination Schema Pattern that gives shorter names",
                               m->what, kind, name, PGCDC_PG_IDENT_MAX);
    return PGCDC_OK;
}

static pgcdc_code check_columns(mctx *m, pgcdc_error *err)
{
    const pgcdc_merge_table *t = m->t;
    for (size_t i = 0; i < m->ncols; i++) {
        const mcol *c = &m->cols[i];
        pgcdc_code rc = check_length(m, "column", c->name, err);
        if (rc != PGCDC_OK)
            return rc;
        if (c->src->type.dialect != t->dialect)
            return pgcdc_error_set(err, PGCDC_EINVAL,
                                   "%s: column \"%s\" was mapped for the %s dialect, the table is %s", m->what,
                                   c->src->name, pgcdc_dialect_name(c->src->type.dialect),
                                   pgcdc_dialect_name(t->dialect));
        if (!c->src->type.sql[0])
            return pgcdc_error_set(err, PGCDC_EINVAL, "%s: column \"%s\" has no destination type", m->what,
                                   c->src->name);
        if (reserved_name(c->name))
            return pgcdc_error_set(err, PGCDC_EUNSUPPORTED,
                                   "%s: column \"%s\" has a name the connector uses for its own columns "
                                   "(_SNOWFLAKE_INSERTED_AT, _SNOWFLAKE_UPDATED_AT, _SNOWFLAKE_DELETED, "
                                   "_PGCDC_*): rename the column or exclude it with the Column Filter JSON",
                                   m->what, c->src->name);
        for (size_t j = 0; j < i; j++) {
            if (strcmp(m->cols[j].name, c->name) == 0)
                return pgcdc_error_set(err, PGCDC_EUNSUPPORTED,
                                       "%s: columns \"%s\" and \"%s\" both become \"%s\" in the destination "
                                       "(Object Identifier Resolution %s): rename one of them or exclude it "
                                       "with the Column Filter JSON",
                                       m->what, m->cols[j].src->name, c->src->name, c->name,
                                       pgcdc_ident_case_name(t->ident_case));
        }
    }
    return PGCDC_OK;
}

static pgcdc_code check_dropped(mctx *m, pgcdc_error *err)
{
    for (size_t i = 0; i < m->ndropped; i++) {
        if (mctx_find(m, m->dropped[i]) >= 0)
            return pgcdc_error_set(err, PGCDC_EUNSUPPORTED,
                                   "%s: column \"%s\" was dropped earlier and is now added again: re-adding a "
                                   "dropped column name is not supported (its old values are kept in \"%s%s\"); "
                                   "restart the table (remove it from the included tables, drop the destination "
                                   "table, add it back) to replicate it afresh",
                                   m->what, m->dropped[i], m->dropped[i], M_DELETED_SUFFIX);
        char *renamed = mg_derive(m->d, m->dropped[i], M_DELETED_SUFFIX);
        if (!renamed)
            return nomem(err);
        long hit = mctx_find(m, renamed);
        free(renamed);
        if (hit >= 0)
            return pgcdc_error_set(err, PGCDC_EUNSUPPORTED,
                                   "%s: column \"%s\" has the name the destination gave dropped column \"%s\": "
                                   "rename the column or exclude it with the Column Filter JSON",
                                   m->what, m->cols[hit].src->name, m->dropped[i]);
    }
    return PGCDC_OK;
}

static pgcdc_code resolve_all(mctx *m, pgcdc_error *err)
{
    const pgcdc_merge_table *t = m->t;
    pgcdc_ident_case c = t->ident_case;
    m->schema = mg_resolve(c, t->dest_schema);
    m->table = mg_resolve(c, t->dest_table);
    if (!m->schema || !m->table)
        return nomem(err);
    char suffix[64];
    snprintf(suffix, sizeof suffix, "_JOURNAL_%" PRId64 "_%d", t->journal_epoch, t->journal_n);
    m->journal = mg_derive(m->d, m->table, suffix);
    m->journal_index = m->journal ? mg_derive(m->d, m->journal, "_POS") : NULL;
    m->cols = calloc(t->ncolumns, sizeof *m->cols);
    m->dropped = t->ndropped ? calloc(t->ndropped, sizeof *m->dropped) : NULL;
    if (!m->journal || !m->journal_index || !m->cols || (t->ndropped && !m->dropped))
        return nomem(err);
    m->ncols = t->ncolumns;
    for (size_t i = 0; i < t->ncolumns; i++) {
        mcol *col = &m->cols[i];
        col->src = &t->columns[i];
        if (!col->src->name)
            return pgcdc_error_set(err, PGCDC_EINVAL, "%s: column %zu has no name", m->what, i + 1);
        col->name = mg_resolve(c, col->src->name);
        if (!col->name)
            return nomem(err);
        col->key = col->src->is_key;
        col->toastable = !col->key && pgcdc_merge_type_toastable(&col->src->type);
        m->nkeys += col->key;
        m->ntoast += col->toastable;
    }
    m->ndropped = t->ndropped;
    for (size_t i = 0; i < t->ndropped; i++) {
        m->dropped[i] = t->dropped[i] ? mg_resolve(c, t->dropped[i]) : NULL;
        if (!m->dropped[i])
            return t->dropped[i] ? nomem(err)
                                 : pgcdc_error_set(err, PGCDC_EINVAL, "%s: dropped column %zu has no name",
                                                   m->what, i + 1);
    }
    return PGCDC_OK;
}

static pgcdc_code check_table(const pgcdc_merge_table *t, pgcdc_error *err)
{
    if (t->dialect != PGCDC_DIALECT_POSTGRES && t->dialect != PGCDC_DIALECT_SNOWFLAKE)
        return pgcdc_error_set(err, PGCDC_EINVAL, "unknown destination dialect %d", (int)t->dialect);
    if (t->ident_case != PGCDC_IDENT_CASE_SENSITIVE && t->ident_case != PGCDC_IDENT_CASE_INSENSITIVE)
        return pgcdc_error_set(err, PGCDC_EINVAL, "unknown Object Identifier Resolution %d", (int)t->ident_case);
    if (!t->dest_schema || !t->dest_table)
        return pgcdc_error_set(err, PGCDC_EINVAL, "the destination schema and table names are required");
    if (!t->columns || t->ncolumns == 0)
        return pgcdc_error_set(err, PGCDC_EINVAL, "table %s has no columns to replicate", t->dest_table);
    if (t->ndropped && !t->dropped)
        return pgcdc_error_set(err, PGCDC_EINVAL, "ndropped is %zu but dropped is NULL", t->ndropped);
    if (t->journal_epoch <= 0 || t->journal_n < 1)
        return pgcdc_error_set(err, PGCDC_EINVAL,
                               "journal generation %" PRId64 "_%d is not valid: epoch seconds > 0 and n >= 1",
                               t->journal_epoch, t->journal_n);
    if (t->dialect == PGCDC_DIALECT_POSTGRES && t->server_major <= 0)
        return pgcdc_error_set(err, PGCDC_EINVAL, "the destination PostgreSQL major version is not set (server_major)");
    if (t->dialect == PGCDC_DIALECT_POSTGRES && t->server_major < 10)
        return pgcdc_error_set(err, PGCDC_EUNSUPPORTED,
                               "the destination runs PostgreSQL %d: version 10 or later is needed", t->server_major);
    return PGCDC_OK;
}

pgcdc_code mctx_init(mctx *m, const pgcdc_merge_table *t, pgcdc_error *err)
{
    memset(m, 0, sizeof *m);
    if (!t)
        return pgcdc_error_set(err, PGCDC_EINVAL, "no table given to the merge planner");
    m->t = t;
    m->d = t->dialect;
    pgcdc_code rc = check_table(t, err);
    if (rc != PGCDC_OK)
        return rc;
    const char *ss = t->source_schema ? t->source_schema : t->dest_schema;
    const char *st = t->source_table ? t->source_table : t->dest_table;
    size_t n = strlen(ss) + strlen(st) + 16;
    m->what = malloc(n);
    if (!m->what)
        return nomem(err);
    snprintf(m->what, n, "table %s.%s", ss, st);
    if ((rc = resolve_all(m, err)) != PGCDC_OK || (rc = check_length(m, "schema", m->schema, err)) != PGCDC_OK ||
        (rc = check_length(m, "table", m->table, err)) != PGCDC_OK || (rc = check_columns(m, err)) != PGCDC_OK ||
        (rc = check_dropped(m, err)) != PGCDC_OK) {
        mctx_free(m);
        return rc;
    }
    if (strcmp(m->table, STATE_TABLE) == 0) {
        rc = pgcdc_error_set(err, PGCDC_EUNSUPPORTED,
                             "%s: the destination table name %s is the connector's merge state table: "
                             "choose another Destination Schema Pattern",
                             m->what, STATE_TABLE);
        mctx_free(m);
        return rc;
    }
    if (m->nkeys == 0) {
        rc = pgcdc_error_set(err, PGCDC_EUNSUPPORTED,
                             "%s has no primary key: a replicated table needs one (or a replica identity "
                             "index) so changes can be merged per key; add a primary key on the source",
                             m->what);
        mctx_free(m);
        return rc;
    }
    return PGCDC_OK;
}

pgcdc_code pgcdc_merge_table_check(const pgcdc_merge_table *t, pgcdc_error *err)
{
    mctx m;
    pgcdc_code rc = mctx_init(&m, t, err);
    if (rc == PGCDC_OK)
        mctx_free(&m);
    return rc;
}

/* ---- the public name functions ---- */

typedef enum name_kind { N_DEST, N_JOURNAL, N_DEST_Q, N_JOURNAL_Q, N_COLUMNS } name_kind;

static pgcdc_code write_name(const pgcdc_merge_table *t, name_kind k, pgcdc_buf *out, pgcdc_error *err)
{
    mctx m;
    pgcdc_code rc = mctx_init(&m, t, err);
    if (rc != PGCDC_OK)
        return rc;
    size_t start = out->len;
    sqlw w = {out, &m, false};
    switch (k) {
    case N_DEST: w_puts(&w, m.table); break;
    case N_JOURNAL: w_puts(&w, m.journal); break;
    case N_DEST_Q: w_qualified(&w, m.table); break;
    case N_JOURNAL_Q: w_qualified(&w, m.journal); break;
    case N_COLUMNS:
        for (size_t i = 0; i < m.ncols; i++) {
            w_ident(&w, m.cols[i].name);
            w_puts(&w, ", ");
        }
        static const char *const meta[] = {J_LSN, J_SEQ, J_OP, J_COMMIT_TIME, J_UNCHANGED};
        for (size_t i = 0; i < sizeof meta / sizeof meta[0]; i++) {
            if (i)
                w_puts(&w, ", ");
            w_ident(&w, meta[i]);
        }
        break;
    }
    mctx_free(&m);
    if (w.oom) {
        out->len = start;
        if (out->data)
            out->data[start] = '\0';
        return nomem(err);
    }
    return PGCDC_OK;
}

pgcdc_code pgcdc_merge_dest_name(const pgcdc_merge_table *t, pgcdc_buf *out, pgcdc_error *err)
{
    return write_name(t, N_DEST, out, err);
}

pgcdc_code pgcdc_merge_journal_name(const pgcdc_merge_table *t, pgcdc_buf *out, pgcdc_error *err)
{
    return write_name(t, N_JOURNAL, out, err);
}

pgcdc_code pgcdc_merge_dest_qualified(const pgcdc_merge_table *t, pgcdc_buf *out, pgcdc_error *err)
{
    return write_name(t, N_DEST_Q, out, err);
}

pgcdc_code pgcdc_merge_journal_qualified(const pgcdc_merge_table *t, pgcdc_buf *out, pgcdc_error *err)
{
    return write_name(t, N_JOURNAL_Q, out, err);
}

pgcdc_code pgcdc_merge_journal_columns(const pgcdc_merge_table *t, pgcdc_buf *out, pgcdc_error *err)
{
    return write_name(t, N_COLUMNS, out, err);
}

pgcdc_code pgcdc_merge_column_name(const pgcdc_merge_table *t, size_t i, pgcdc_buf *out, pgcdc_error *err)
{
    if (!t || i >= t->ncolumns || !t->columns[i].name)
        return pgcdc_error_set(err, PGCDC_EINVAL, "pgcdc_merge_column_name: no column %zu", i);
    return pgcdc_ident_resolve(out, t->ident_case, t->columns[i].name) == 0 ? PGCDC_OK : nomem(err);
}
