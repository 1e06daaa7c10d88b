/* fixup.c - the rows a resumed snapshot would miss (snapstate.c).
 *
 * A snapshot resumed after a crash reads only the chunks not finished,
 * under a new snapshot at C2; the finished ones were read at C1 < C2. An
 * update between C1 and C2 can move a row from an unfinished chunk into a
 * finished one's range - to another page (CTID chunks) or by a key update
 * (KEY chunks) - where no read sees it. The journal has the update (every
 * change after C1 is streamed), which is enough unless it left a TOAST value
 * unchanged: then neither the journal nor the destination has that value.
 *
 * So once the stream has passed C2 (all changes before it are in the
 * journal), the keys of the table's journal rows between C1 and C2 that
 * carry unchanged values are read again from the source under the snapshot
 * at C2 - still exported by the temporary slot's connection, kept open for
 * this - and written as snapshot rows stamped C2: they win over every change
 * before C2, as the other rows read at C2 do. Only those few keys are read,
 * through the key's index. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgcdc/log.h"
#include "pipeline_internal.h"

/* Appends s as an element of a PostgreSQL array literal: "..." with \ and "
 * escaped. */
static int array_elem(pgcdc_buf *b, const char *s)
{
    int bad = pgcdc_buf_putc(b, b->len > 0 ? ',' : '{') | pgcdc_buf_putc(b, '"');
    for (; *s && !bad; s++) {
        if (*s == '"' || *s == '\\')
            bad |= pgcdc_buf_putc(b, '\\');
        bad |= pgcdc_buf_putc(b, *s);
    }
    return bad | pgcdc_buf_putc(b, '"');
}

/* The keys (one text array literal per key column) of the journal rows of t
 * between from and to that carry unchanged values. */
static pgcdc_code journal_keys(pl_ctx *x, pl_table *t, pgcdc_lsn from, pgcdc_lsn to, pgcdc_buf *arrays,
                               size_t nkeys, int *nfound, pgcdc_error *err)
{
    pgcdc_buf sql = PGCDC_BUF_INIT, jn = PGCDC_BUF_INIT;
    pgcdc_code rc = PGCDC_OK;
    int oom = pgcdc_buf_puts(&sql, "SELECT DISTINCT ");
    for (size_t i = 0, k = 0; i < t->ncols; i++) {
        if (!t->mcols[i].is_key)
            continue;
        oom |= (k++ ? pgcdc_buf_puts(&sql, ", ") : 0);
        oom |= pgcdc_ident_quote(&sql, PGCDC_DIALECT_POSTGRES, x->cfg->ident_case, t->colnames[i]);
        oom |= pgcdc_buf_puts(&sql, "::text");
    }
    oom |= pgcdc_buf_puts(&sql, " FROM ");
    oom |= pgcdc_ident_quote(&sql, PGCDC_DIALECT_POSTGRES, x->cfg->ident_case, t->dest_schema);
    oom |= pgcdc_buf_puts(&sql, ".");
    if (pgcdc_merge_journal_name(&t->mt, &jn, err) != PGCDC_OK) {
        pgcdc_buf_free(&sql);
        return err ? err->code : PGCDC_ENOMEM;
    }
    oom |= pgcdc_ident_quote(&sql, PGCDC_DIALECT_POSTGRES, PGCDC_IDENT_CASE_SENSITIVE, jn.data);
    oom |= pgcdc_buf_puts(&sql, " WHERE \"_PGCDC_LSN\" > CAST($1 AS bigint) AND \"_PGCDC_LSN\" < CAST($2 AS bigint) "
                                "AND \"_PGCDC_OP\" <> 'D' AND cardinality(\"_PGCDC_UNCHANGED\") > 0");
    pgcdc_buf_free(&jn);
    if (oom) {
        pgcdc_buf_free(&sql);
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
    }
    char a[24], b[24];
    snprintf(a, sizeof a, "%lld", (long long)from);
    snprintf(b, sizeof b, "%lld", (long long)to);
    const char *v[2] = {a, b};
    PGresult *r;
    rc = pl_query(x->dst, sql.data, 2, v, &r, err);
    pgcdc_buf_free(&sql);
    if (rc != PGCDC_OK)
        return rc;
    *nfound = PQntuples(r);
    for (size_t k = 0; k < nkeys; k++) {
        pgcdc_buf_reset(&arrays[k]);
        for (int i = 0; i < *nfound && rc == PGCDC_OK; i++)
            if (array_elem(&arrays[k], PQgetvalue(r, i, (int)k)) != 0)
                rc = pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
        if (rc == PGCDC_OK && pgcdc_buf_puts(&arrays[k], arrays[k].len ? "}" : "{}") != 0)
            rc = pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
    }
    PQclear(r);
    return rc;
}

/* The column's type as SQL text (format_type), into out. */
static pgcdc_code column_type(PGconn *src, const pl_table *t, const char *col, pgcdc_buf *out, pgcdc_error *err)
{
    const char *v[3] = {t->schema, t->name, col};
    PGresult *r = PQexecParams(src,
                               "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = "
                               "(quote_ident($1) || '.' || quote_ident($2))::regclass AND attname = $3",
                               3, NULL, v, NULL, NULL, 0);
    pgcdc_code rc = PGCDC_OK;
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
        rc = PQresultStatus(r) != PGRES_TUPLES_OK ? pl_sql_error(src, r, "source", "reading a key column's type", err)
                                                  : pgcdc_error_set(err, PGCDC_ESQL, "key column \"%s\" of %s not "
                                                                    "found on the source", col, t->key);
    else if (pgcdc_buf_puts(out, PQgetvalue(r, 0, 0)) != 0)
        rc = pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
    PQclear(r);
    return rc;
}

/* SELECT <columns>::text FROM ONLY t WHERE (<key columns>) IN
 *   (SELECT u1::<type1>, ... FROM unnest($1::text[], ...) AS u(u1, ...)) */
static pgcdc_code select_sql(PGconn *src, const pl_table *t, pgcdc_buf *sql, pgcdc_error *err)
{
    pgcdc_buf keys = PGCDC_BUF_INIT, casts = PGCDC_BUF_INIT, args = PGCDC_BUF_INIT, names = PGCDC_BUF_INIT;
    pgcdc_code rc = PGCDC_OK;
    int oom = pgcdc_buf_puts(sql, "SELECT ");
    for (size_t i = 0; i < t->ncols && !oom; i++) {
        char *id = PQescapeIdentifier(src, t->colnames[i], strlen(t->colnames[i]));
        oom |= !id || pgcdc_buf_printf(sql, "%s%s::text", i ? ", " : "", id) != 0;
        PQfreemem(id);
    }
    int k = 0;
    for (size_t i = 0; i < t->ncols && !oom && rc == PGCDC_OK; i++) {
        if (!t->mcols[i].is_key)
            continue;
        k++;
        char *id = PQescapeIdentifier(src, t->colnames[i], strlen(t->colnames[i]));
        oom |= !id || pgcdc_buf_printf(&keys, "%s%s", k > 1 ? ", " : "", id) != 0;
        PQfreemem(id);
        oom |= pgcdc_buf_printf(&casts, "%su%d::", k > 1 ? ", " : "", k) != 0;
        if (!oom)
            rc = column_type(src, t, t->colnames[i], &casts, err);
        oom |= pgcdc_buf_printf(&args, "%sCAST($%d AS text[])", k > 1 ? ", " : "", k) != 0 ||
               pgcdc_buf_printf(&names, "%su%d", k > 1 ? ", " : "", k) != 0;
    }
    char *s = PQescapeIdentifier(src, t->schema, strlen(t->schema));
    char *n = PQescapeIdentifier(src, t->name, strlen(t->name));
    if (rc == PGCDC_OK && !oom)
        oom |= !s || !n ||
               pgcdc_buf_printf(sql, " FROM %s%s.%s WHERE (%s) IN (SELECT %s FROM unnest(%s) AS u(%s))",
                                /* as the reader: a partitioned table through its root */
                                t->has_plan && t->plan.partitioned ? "" : "ONLY ", s, n, keys.data, casts.data,
                                args.data, names.data) != 0;
    PQfreemem(s);
    PQfreemem(n);
    pgcdc_buf_free(&keys);
    pgcdc_buf_free(&casts);
    pgcdc_buf_free(&args);
    pgcdc_buf_free(&names);
    if (rc == PGCDC_OK && oom)
        rc = pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
    return rc;
}

/* The rows of r as one SnapshotRows record stamped lsn, written to the
 * journal. */
static pgcdc_code write_rows(pl_ctx *x, pl_table *t, PGresult *r, pgcdc_lsn lsn, pgcdc_error *err)
{
    int nrows = PQntuples(r);
    pgcdc_value *vals = calloc((size_t)(nrows ? nrows : 1) * t->ncols, sizeof *vals);
    pgcdc_tuple *rows = calloc((size_t)(nrows ? nrows : 1), sizeof *rows);
    pgcdc_batch_builder *b = NULL;
    pgcdc_buf bytes = PGCDC_BUF_INIT;
    pgcdc_batch *batch = NULL;
    pgcdc_code rc = vals && rows ? pgcdc_batch_builder_new(x->dbname, &b, err)
                                 : pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
    for (int i = 0; i < nrows && rc == PGCDC_OK; i++) {
        pgcdc_value *v = &vals[(size_t)i * t->ncols];
        for (size_t c = 0; c < t->ncols; c++) {
            bool null = PQgetisnull(r, i, (int)c);
            v[c].kind = null ? 'n' : 't';
            v[c].data = null ? NULL : PQgetvalue(r, i, (int)c);
            v[c].len = null ? 0 : (uint32_t)PQgetlength(r, i, (int)c);
        }
        rows[i].ncolumns = (uint16_t)t->ncols;
        rows[i].values = v;
    }
    /* a chunk id no plan uses: its SEQs differ from every chunk's */
    pgcdc_snapshot_chunk chunk = {.nspname = t->schema, .relname = t->name, .ncolumns = (int)t->ncols,
                                  .columns = t->pcols, .chunk_id = (t->has_plan ? t->plan.nranges : 0) + 1,
                                  .snapshot_lsn = lsn};
    if (rc == PGCDC_OK)
        rc = pgcdc_batch_add_snapshot_rows(b, &chunk, rows, (size_t)nrows, err);
    if (rc == PGCDC_OK)
        rc = pgcdc_batch_encode(b, &bytes, err);
    if (rc == PGCDC_OK)
        rc = pgcdc_batch_decode((const uint8_t *)bytes.data, bytes.len, &batch, err);
    pgcdc_journal_stats st;
    if (rc == PGCDC_OK)
        rc = pgcdc_journal_write(x->writer, batch, &st, err);
    pgcdc_batch_free(batch);
    pgcdc_buf_free(&bytes);
    pgcdc_batch_builder_free(b);
    free(vals);
    free(rows);
    return rc;
}

pgcdc_code pl_snapshot_fixup(pl_ctx *x, pl_table *t, pgcdc_error *err)
{
    size_t nkeys = 0;
    for (size_t i = 0; i < t->ncols; i++)
        nkeys += t->mcols[i].is_key;
    pgcdc_buf *arrays = calloc(nkeys ? nkeys : 1, sizeof *arrays);
    if (!arrays)
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
    int nfound = 0;
    pgcdc_code rc = journal_keys(x, t, t->fix_from, t->snap_lsn, arrays, nkeys, &nfound, err);
    PGconn *src = NULL;
    if (rc == PGCDC_OK && nfound > 0)
        rc = pl_snapshot_conn(x, x->fix_snapshot, &src, err);
    pgcdc_buf sql = PGCDC_BUF_INIT;
    if (rc == PGCDC_OK && nfound > 0) {
        PGresult *r;
        rc = select_sql(src, t, &sql, err);
        const char **params = calloc(nkeys ? nkeys : 1, sizeof *params);
        for (size_t k = 0; params && k < nkeys; k++)
            params[k] = arrays[k].data;
        if (rc == PGCDC_OK && !params)
            rc = pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
        if (rc == PGCDC_OK) {
            r = PQexecParams(src, sql.data, (int)nkeys, NULL, params, NULL, NULL, 0);
            if (PQresultStatus(r) != PGRES_TUPLES_OK)
                rc = pl_sql_error(src, r, "source", "reading rows changed while the snapshot was interrupted", err);
            else
                rc = write_rows(x, t, r, t->snap_lsn, err);
            if (rc == PGCDC_OK)
                pgcdc_log(PGCDC_LOG_INFO, "table %s.%s: %d row(s) updated with unchanged TOAST values while its "
                          "snapshot was interrupted read again", t->schema, t->name, PQntuples(r));
            PQclear(r);
        }
        free(params);
    }
    if (src)
        PQfinish(src);
    pgcdc_buf_free(&sql);
    for (size_t k = 0; k < nkeys; k++)
        pgcdc_buf_free(&arrays[k]);
    free(arrays);
    if (rc == PGCDC_OK)
        t->needs_fixup = false;
    return rc;
}
