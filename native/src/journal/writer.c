/* writer.c - the journal writer: registered tables and the write transaction
 * (BEGIN; COPY per table; state upsert; COMMIT). See pgcdc/journal.h. */
#include <stdlib.h>
#include <string.h>

#include "journal_internal.h"
#include "pgcdc/log.h"

/* COPY data goes out in slices: libpq copies each call into its own buffer */
#define COPY_SLICE (256 * 1024)

static char *dup_str(const char *s)
{
    return s ? strdup(s) : strdup("");
}

static void jtable_free_derived(jtable *jt)
{
    if (jt->unchanged_elem)
        for (size_t i = 0; i < jt->nelem; i++)
            free(jt->unchanged_elem[i]);
    free(jt->unchanged_elem);
    free(jt->copy_sql);
    free(jt->journal);
    free(jt->col_src);
    free(jt->tmp_src);
    jt->unchanged_elem = NULL;
    jt->copy_sql = jt->journal = NULL;
    jt->col_src = jt->tmp_src = NULL;
}

static void jtable_free(jtable *jt)
{
    if (!jt)
        return;
    jtable_free_derived(jt);
    for (size_t i = 0; i < jt->n_rel_cols; i++)
        free(jt->rel_cols[i]);
    free(jt->rel_cols);
    free(jt->src_schema);
    free(jt->src_table);
    pgcdc_buf_free(&jt->data);
    free(jt);
}

static void remap(jtable *jt)
{
    jt->have_map = jt->rel_cols != NULL;
    if (!jt->have_map)
        return;
    for (size_t i = 0; i < jt->t->ncolumns; i++) {
        jt->col_src[i] = -1;
        for (size_t j = 0; j < jt->n_rel_cols; j++)
            if (strcmp(jt->rel_cols[j], jt->t->columns[i].name) == 0) {
                jt->col_src[i] = (int)j;
                break;
            }
    }
}

pgcdc_code jtable_set_relation(jtable *jt, const char *const *names, size_t n, pgcdc_error *err)
{
    char **cols = calloc(n ? n : 1, sizeof *cols);
    if (!cols)
        return pgcdc_error_set(err, PGCDC_ENOMEM, "journal: out of memory");
    for (size_t i = 0; i < n; i++)
        if (!(cols[i] = dup_str(names[i]))) {
            for (size_t j = 0; j < i; j++)
                free(cols[j]);
            free(cols);
            return pgcdc_error_set(err, PGCDC_ENOMEM, "journal: out of memory");
        }
    for (size_t i = 0; i < jt->n_rel_cols; i++)
        free(jt->rel_cols[i]);
    free(jt->rel_cols);
    jt->rel_cols = cols;
    jt->n_rel_cols = n;
    remap(jt);
    return PGCDC_OK;
}

/* Everything derived from t: COPY statement, _PGCDC_UNCHANGED elements, maps. */
static pgcdc_code jtable_derive(jtable *jt, const pgcdc_merge_table *t, pgcdc_error *err)
{
    pgcdc_buf q = PGCDC_BUF_INIT, cols = PGCDC_BUF_INIT, name = PGCDC_BUF_INIT, elem = PGCDC_BUF_INIT;
    pgcdc_code rc = pgcdc_merge_journal_qualified(t, &q, err);
    if (rc == PGCDC_OK)
        rc = pgcdc_merge_journal_columns(t, &cols, err);
    jtable tmp = {0};
    tmp.t = t;
    if (rc == PGCDC_OK) {
        pgcdc_buf sql = PGCDC_BUF_INIT;
        tmp.unchanged_elem = calloc(t->ncolumns, sizeof *tmp.unchanged_elem);
        tmp.nelem = tmp.unchanged_elem ? t->ncolumns : 0;
        tmp.col_src = calloc(t->ncolumns, sizeof *tmp.col_src);
        tmp.tmp_src = calloc(t->ncolumns, sizeof *tmp.tmp_src);
        if (pgcdc_buf_printf(&sql, "COPY %s (%s) FROM STDIN", q.data, cols.data) != 0 || !tmp.unchanged_elem ||
            !tmp.col_src || !tmp.tmp_src || !(tmp.journal = strdup(q.data)))
            rc = pgcdc_error_set(err, PGCDC_ENOMEM, "journal: out of memory");
        tmp.copy_sql = sql.data; /* owned by tmp now (NULL if nothing was appended) */
    }
    for (size_t i = 0; rc == PGCDC_OK && i < t->ncolumns; i++) {
        pgcdc_buf_reset(&name);
        pgcdc_buf_reset(&elem);
        rc = pgcdc_merge_column_name(t, i, &name, err);
        if (rc == PGCDC_OK && (jarray_elem(&elem, name.data) != 0 || !(tmp.unchanged_elem[i] = strdup(elem.data))))
            rc = pgcdc_error_set(err, PGCDC_ENOMEM, "journal: out of memory");
    }
    pgcdc_buf_free(&q);
    pgcdc_buf_free(&cols);
    pgcdc_buf_free(&name);
    pgcdc_buf_free(&elem);
    if (rc != PGCDC_OK) {
        jtable_free_derived(&tmp);
        return rc;
    }
    jtable_free_derived(jt);
    jt->t = t;
    jt->copy_sql = tmp.copy_sql;
    jt->journal = tmp.journal;
    jt->unchanged_elem = tmp.unchanged_elem;
    jt->nelem = tmp.nelem;
    jt->col_src = tmp.col_src;
    jt->tmp_src = tmp.tmp_src;
    remap(jt);
    return PGCDC_OK;
}

static bool name_eq(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

jtable *jwriter_find(pgcdc_journal_writer *w, const char *schema, const char *table)
{
    if (w->last && name_eq(w->last->src_table, table) && name_eq(w->last->src_schema, schema))
        return w->last;
    for (size_t i = 0; i < w->ntables; i++) {
        jtable *jt = w->tables[i];
        if (name_eq(jt->src_table, table) && name_eq(jt->src_schema, schema))
            return w->last = jt;
    }
    return NULL;
}

pgcdc_code pgcdc_journal_writer_new(PGconn *conn, const pgcdc_journal_options *opt, pgcdc_journal_writer **out,
                                    pgcdc_error *err)
{
    *out = NULL;
    if (!conn || !opt || !opt->slot_name || !*opt->slot_name)
        return pgcdc_error_set(err, PGCDC_EINVAL, "journal: a destination connection and a slot name are needed");
    pgcdc_journal_writer *w = calloc(1, sizeof *w);
    if (!w)
        return pgcdc_error_set(err, PGCDC_ENOMEM, "journal: out of memory");
    w->conn = conn;
    w->ident_case = opt->ident_case;
    w->before_commit = opt->before_commit;
    w->userdata = opt->userdata;
    pgcdc_buf q = PGCDC_BUF_INIT;
    pgcdc_code rc = jstate_qualified(opt->state_schema, opt->ident_case, &q, err);
    w->state_q = q.data;
    if (rc == PGCDC_OK && (!(w->slot = strdup(opt->slot_name)) || !(w->state_schema = strdup(opt->state_schema))))
        rc = pgcdc_error_set(err, PGCDC_ENOMEM, "journal: out of memory");
    if (rc != PGCDC_OK) {
        pgcdc_journal_writer_free(w);
        return rc;
    }
    *out = w;
    return PGCDC_OK;
}

void pgcdc_journal_writer_free(pgcdc_journal_writer *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->ntables; i++)
        jtable_free(w->tables[i]);
    free(w->tables);
    free(w->slot);
    free(w->state_schema);
    free(w->state_q);
    pgcdc_buf_free(&w->esc);
    pgcdc_buf_free(&w->unch);
    pgcdc_buf_free(&w->ctime);
    free(w);
}

pgcdc_code pgcdc_journal_setup(pgcdc_journal_writer *w, pgcdc_error *err)
{
    return jstate_setup(w->conn, w->state_schema, w->ident_case, err);
}

pgcdc_code pgcdc_journal_register(pgcdc_journal_writer *w, const pgcdc_merge_table *t, pgcdc_error *err)
{
    if (!t || t->dialect != PGCDC_DIALECT_POSTGRES)
        return pgcdc_error_set(err, PGCDC_EINVAL, "journal: the writer takes PostgreSQL-dialect tables only");
    pgcdc_code rc = pgcdc_merge_table_check(t, err);
    if (rc != PGCDC_OK)
        return rc;
    for (size_t i = 0; i < t->ncolumns; i++)
        if (t->columns[i].type.dialect != PGCDC_DIALECT_POSTGRES)
            return pgcdc_error_set(err, PGCDC_EINVAL, "journal: column \"%s\" of %s.%s is not mapped for PostgreSQL",
                                   t->columns[i].name, t->source_schema, t->source_table);
    jtable *jt = jwriter_find(w, t->source_schema, t->source_table);
    if (jt) {
        rc = jtable_derive(jt, t, err);
        if (rc == PGCDC_OK)
            jt->skip = false;
        return rc;
    }
    if (w->ntables == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 8;
        jtable **tables = realloc(w->tables, cap * sizeof *tables);
        if (!tables)
            return pgcdc_error_set(err, PGCDC_ENOMEM, "journal: out of memory");
        w->tables = tables;
        w->cap = cap;
    }
    if (!(jt = calloc(1, sizeof *jt)) || !(jt->src_schema = dup_str(t->source_schema)) ||
        !(jt->src_table = dup_str(t->source_table))) {
        jtable_free(jt);
        return pgcdc_error_set(err, PGCDC_ENOMEM, "journal: out of memory");
    }
    rc = jtable_derive(jt, t, err);
    if (rc != PGCDC_OK) {
        jtable_free(jt);
        return rc;
    }
    w->tables[w->ntables++] = jt;
    return PGCDC_OK;
}

pgcdc_code pgcdc_journal_unregister(pgcdc_journal_writer *w, const char *source_schema, const char *source_table,
                                    pgcdc_error *err)
{
    jtable *jt = jwriter_find(w, source_schema, source_table);
    if (!jt)
        return pgcdc_error_set(err, PGCDC_ENOTFOUND, "journal: table %s.%s is not registered", source_schema,
                                source_table);
    jt->skip = true;
    return PGCDC_OK;
}

const pgcdc_merge_table *pgcdc_journal_failed_table(const pgcdc_journal_writer *w)
{
    return w->failed;
}

static pgcdc_code exec_cmd(PGconn *conn, const char *sql, const char *what, pgcdc_error *err)
{
    PGresult *r = PQexec(conn, sql);
    pgcdc_code rc = PGCDC_OK;
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        rc = jsql_error(conn, r, what, err);
    PQclear(r);
    return rc;
}

/* Drains results until NULL; returns the first failure. */
static pgcdc_code copy_finish(PGconn *conn, const char *what, pgcdc_error *err)
{
    pgcdc_code rc = PGCDC_OK;
    PGresult *r;
    while ((r = PQgetResult(conn)) != NULL) {
        if (rc == PGCDC_OK && PQresultStatus(r) != PGRES_COMMAND_OK)
            rc = jsql_error(conn, r, what, err);
        PQclear(r);
        if (PQstatus(conn) == CONNECTION_BAD)
            break;
    }
    return rc;
}

/* A COPY the destination refuses for good (PGCDC_ESQL: the journal's
 * definition or a value - jsql_error makes every interim refusal
 * PGCDC_ECONNECT) is that table's failure: pgcdc_journal_failed_table names
 * it, so the caller can fail it alone and write the batch again. */
static pgcdc_code copy_refused(pgcdc_journal_writer *w, jtable *jt, pgcdc_code rc)
{
    if (rc == PGCDC_ESQL)
        w->failed = jt->t;
    return rc;
}

static pgcdc_code copy_table(pgcdc_journal_writer *w, jtable *jt, pgcdc_error *err)
{
    PGconn *conn = w->conn;
    PGresult *r = PQexec(conn, jt->copy_sql);
    if (PQresultStatus(r) != PGRES_COPY_IN) {
        pgcdc_code rc = jsql_error(conn, r, "the journal COPY", err);
        PQclear(r);
        pgcdc_error_prefix(err, "%s", jt->journal);
        return copy_refused(w, jt, rc);
    }
    PQclear(r);
    for (size_t off = 0; off < jt->data.len; off += COPY_SLICE) {
        size_t n = jt->data.len - off < COPY_SLICE ? jt->data.len - off : COPY_SLICE;
        if (PQputCopyData(conn, jt->data.data + off, (int)n) != 1) {
            PQputCopyEnd(conn, "send failed");
            copy_finish(conn, "the journal COPY", NULL);
            return jsql_error(conn, NULL, "the journal COPY", err);
        }
    }
    if (PQputCopyEnd(conn, NULL) != 1)
        return jsql_error(conn, NULL, "the journal COPY", err);
    pgcdc_code rc = copy_finish(conn, "the journal COPY", err);
    if (rc != PGCDC_OK)
        pgcdc_error_prefix(err, "%s", jt->journal);
    return copy_refused(w, jt, rc);
}

pgcdc_code pgcdc_journal_write(pgcdc_journal_writer *w, const pgcdc_batch *batch, pgcdc_journal_stats *stats,
                               pgcdc_error *err)
{
    pgcdc_journal_stats st = {0};
    w->failed = NULL;
    w->skipped = 0;
    const Pgcdc__V1__ChangeBatch *m = pgcdc_batch_message(batch);
    if (m->confirm_lsn > (uint64_t)INT64_MAX)
        return pgcdc_error_set(err, PGCDC_EINVAL, "journal write: confirm LSN out of range");
    for (size_t i = 0; i < w->ntables; i++) {
        pgcdc_buf_reset(&w->tables[i]->data);
        w->tables[i]->rows = 0;
    }
    /* 1. encode everything: a refused value fails before the destination is touched */
    for (size_t i = 0; i < m->n_records; i++) {
        pgcdc_code rc = jrows_record(w, m->records[i], err);
        if (rc != PGCDC_OK)
            return rc;
    }
    /* 2. one transaction: the COPYs, the position, COMMIT */
    pgcdc_code rc = exec_cmd(w->conn, "BEGIN", "BEGIN", err);
    if (rc != PGCDC_OK)
        return rc;
    for (size_t i = 0; rc == PGCDC_OK && i < w->ntables; i++) {
        jtable *jt = w->tables[i];
        if (jt->rows == 0)
            continue;
        rc = copy_table(w, jt, err);
        st.rows += jt->rows;
        st.copy_bytes += jt->data.len;
        st.tables++;
    }
    if (rc == PGCDC_OK && m->confirm_lsn > 0)
        rc = jstate_upsert(w->conn, w->state_q, w->slot, (int64_t)m->confirm_lsn, &st.confirm_lsn, err);
    if (rc == PGCDC_OK && w->before_commit)
        rc = w->before_commit(w->userdata, err);
    if (rc == PGCDC_OK)
        rc = exec_cmd(w->conn, "COMMIT", "COMMIT", err);
    if (rc != PGCDC_OK) {
        if (PQstatus(w->conn) == CONNECTION_OK && PQtransactionStatus(w->conn) != PQTRANS_IDLE)
            PQclear(PQexec(w->conn, "ROLLBACK"));
        if (PQstatus(w->conn) != CONNECTION_OK) {
            rc = PGCDC_ECONNECT; /* whatever failed first, the connection is gone: interim */
            if (err)
                err->code = rc;
        }
        return rc;
    }
    st.skipped = w->skipped;
    if (stats)
        *stats = st;
    pgcdc_log(PGCDC_LOG_DEBUG, "journal: %llu rows into %zu tables, position %llu", (unsigned long long)st.rows,
              st.tables, (unsigned long long)st.confirm_lsn);
    return PGCDC_OK;
}
