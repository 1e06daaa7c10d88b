/* rows.c - batch records -> journal rows (COPY text) in the tables' buffers.
 * Nothing here talks to the destination: a batch is encoded completely before
 * the write's transaction starts, so a refused value fails before anything is
 * sent. Row rules: docs/merge.md "What the journal writer must write". */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "journal_internal.h"
#include "pgcdc/log.h"
#include "pgcdc/types.h"

typedef struct jrow {
    int64_t lsn, seq;
    char op;
    const pgcdc_buf *commit_time; /* NULL: \N (snapshot rows) */
} jrow;

/* The table fails (the caller marks it FAILED): rc returned, message prefixed. */
static pgcdc_code fail_table(pgcdc_journal_writer *w, const jtable *jt, pgcdc_code rc, pgcdc_error *err)
{
    w->failed = jt->t;
    pgcdc_error_prefix(err, "table %s.%s", jt->src_schema, jt->src_table);
    return rc;
}

/* Appends one journal row. vals are the relation's values; src maps table
 * column -> value index (NULL: identity). key_only writes NULL for non-key
 * columns (D rows). On failure the buffer is as before the row. */
static pgcdc_code put_row(pgcdc_journal_writer *w, jtable *jt, Pgcdc__V1__Value *const *vals, size_t nvals,
                          const int *src, bool key_only, const jrow *row, pgcdc_error *err)
{
    const pgcdc_merge_table *t = jt->t;
    pgcdc_buf *d = &jt->data;
    size_t row_start = d->len;
    pgcdc_code rc = PGCDC_OK;
    int oom = 0;
    pgcdc_buf_reset(&w->unch);
    for (size_t i = 0; i < t->ncolumns && rc == PGCDC_OK && !oom; i++) {
        const pgcdc_merge_column *col = &t->columns[i];
        if (i > 0)
            oom |= pgcdc_buf_putc(d, '\t');
        int ri = src ? src[i] : (int)i;
        if (ri < 0 || (size_t)ri >= nvals || (key_only && !col->is_key)) {
            oom |= pgcdc_buf_append(d, "\\N", 2);
            continue;
        }
        char scratch[PGCDC_BATCH_VALUE_SCRATCH];
        pgcdc_value v;
        rc = pgcdc_batch_value_get(vals[ri], col->type.pg_oid, scratch, &v, err);
        if (rc != PGCDC_OK)
            break;
        if (v.kind == 'n') {
            oom |= pgcdc_buf_append(d, "\\N", 2);
            continue;
        }
        size_t from = d->len;
        if (v.kind == 'u') {
            if (col->is_key) {
                rc = pgcdc_error_set(err, PGCDC_EUNSUPPORTED,
                                     "key column \"%s\" arrived as an unchanged TOAST value (no value sent), "
                                     "so the row cannot be identified in the destination; use a key "
                                     "column that is not TOASTed, or REPLICA IDENTITY FULL on the source table",
                                     col->name);
                break;
            }
            if (w->unch.len > 0)
                oom |= pgcdc_buf_putc(&w->unch, ',');
            oom |= pgcdc_buf_puts(&w->unch, jt->unchanged_elem[i]);
            if (!col->type.holds_unchanged) {
                oom |= pgcdc_buf_append(d, "\\N", 2);
                continue;
            }
            rc = pgcdc_value_unchanged_placeholder(&col->type, d, err);
        } else {
            pgcdc_value_result res;
            rc = pgcdc_value_convert(&col->type, &v, d, &res, err);
            if (rc == PGCDC_OK && res == PGCDC_VALUE_NULL) {
                oom |= pgcdc_buf_append(d, "\\N", 2);
                continue;
            }
            if (rc != PGCDC_OK)
                pgcdc_error_prefix(err, "column \"%s\"", col->name);
        }
        if (rc == PGCDC_OK)
            oom |= jcopy_escape_tail(d, from, &w->esc);
    }
    if (rc == PGCDC_OK && !oom) {
        oom |= pgcdc_buf_printf(d, "\t%lld\t%lld\t%c\t", (long long)row->lsn, (long long)row->seq, row->op);
        if (row->commit_time)
            oom |= pgcdc_buf_append(d, row->commit_time->data, row->commit_time->len);
        else
            oom |= pgcdc_buf_append(d, "\\N", 2);
        if (w->unch.len == 0) {
            oom |= pgcdc_buf_append(d, "\t\\N\n", 4);
        } else {
            oom |= pgcdc_buf_append(d, "\t{", 2);
            oom |= jcopy_escape(d, w->unch.data, w->unch.len);
            oom |= pgcdc_buf_append(d, "}\n", 2);
        }
    }
    if (rc == PGCDC_OK && oom)
        rc = pgcdc_error_set(err, PGCDC_ENOMEM, "journal: out of memory building the COPY data");
    if (rc != PGCDC_OK) {
        d->len = row_start;
        if (d->data)
            d->data[row_start] = 0;
        return rc == PGCDC_ENOMEM ? rc : fail_table(w, jt, rc, err);
    }
    jt->rows++;
    return PGCDC_OK;
}

/* Value index of each table column from the relation's column names. */
static void map_by_name(const jtable *jt, Pgcdc__V1__Column *const *cols, size_t ncols, int *out)
{
    for (size_t i = 0; i < jt->t->ncolumns; i++) {
        out[i] = -1;
        for (size_t j = 0; j < ncols; j++)
            if (cols[j]->name && strcmp(cols[j]->name, jt->t->columns[i].name) == 0) {
                out[i] = (int)j;
                break;
            }
    }
}

/* The map for values of a row with nvals values (NULL = identity). */
static pgcdc_code row_map(pgcdc_journal_writer *w, jtable *jt, size_t nvals, const int **map, pgcdc_error *err)
{
    if (jt->have_map) {
        *map = jt->col_src;
        return PGCDC_OK;
    }
    if (nvals == jt->t->ncolumns) {
        *map = NULL;
        return PGCDC_OK;
    }
    pgcdc_error_set(err, PGCDC_EINVAL,
                    "a row has %zu values but %zu columns are registered and no schema event of the table "
                    "was seen to match them by name: write batches from the decoder's first one on",
                    nvals, jt->t->ncolumns);
    return fail_table(w, jt, PGCDC_EINVAL, err);
}

static pgcdc_code unknown_table(const char *schema, const char *table, pgcdc_error *err)
{
    return pgcdc_error_set(err, PGCDC_EINVAL,
                           "journal write: the batch has changes of table %s.%s, which is not registered with "
                           "the journal writer: register it (pgcdc_journal_register) or leave it out of the "
                           "publication / included tables; nothing of this batch was written",
                           schema, table);
}

static bool same_value(const Pgcdc__V1__Value *a, const Pgcdc__V1__Value *b, uint32_t oid)
{
    char sa[PGCDC_BATCH_VALUE_SCRATCH], sb[PGCDC_BATCH_VALUE_SCRATCH];
    pgcdc_value va, vb;
    if (pgcdc_batch_value_get(a, oid, sa, &va, NULL) != PGCDC_OK ||
        pgcdc_batch_value_get(b, oid, sb, &vb, NULL) != PGCDC_OK)
        return false;
    return va.kind == vb.kind && va.len == vb.len && (va.len == 0 || memcmp(va.data, vb.data, va.len) == 0);
}

/* An UPDATE whose old key tuple differs from the new key. */
static bool key_changed(const jtable *jt, const Pgcdc__V1__RowChange *c, const int *map)
{
    if (c->old_kind == PGCDC__V1__OLD_TUPLE__OLD_TUPLE_NONE || c->n_old_values == 0)
        return false;
    for (size_t i = 0; i < jt->t->ncolumns; i++) {
        if (!jt->t->columns[i].is_key)
            continue;
        int ri = map ? map[i] : (int)i;
        if (ri < 0 || (size_t)ri >= c->n_old_values || (size_t)ri >= c->n_new_values)
            continue;
        if (!same_value(c->old_values[ri], c->new_values[ri], jt->t->columns[i].type.pg_oid))
            return true;
    }
    return false;
}

static pgcdc_code put_change(pgcdc_journal_writer *w, const Pgcdc__V1__RowChange *c, int64_t lsn, pgcdc_error *err)
{
    if (c->op == PGCDC__V1__OP__OP_TRUNCATE) {
        for (size_t i = 0; i < c->n_truncated; i++)
            pgcdc_log(PGCDC_LOG_WARN, "TRUNCATE of %s.%s is not propagated to the destination",
                      c->truncated[i]->schema, c->truncated[i]->table);
        w->skipped++;
        return PGCDC_OK;
    }
    jtable *jt = jwriter_find(w, c->schema, c->table);
    if (!jt)
        return unknown_table(c->schema, c->table, err);
    if (jt->skip) {
        w->skipped++;
        return PGCDC_OK;
    }
    if (c->seq >= (UINT64_C(1) << 61))
        return pgcdc_error_set(err, PGCDC_EINVAL, "journal write: change position %llu is out of range",
                               (unsigned long long)c->seq);
    int64_t seq = (int64_t)c->seq * 2; /* room for a key change's second row */
    jrow row = {lsn, seq, 'I', &w->ctime};
    const int *map;
    pgcdc_code rc;
    switch (c->op) {
    case PGCDC__V1__OP__OP_INSERT:
        if ((rc = row_map(w, jt, c->n_new_values, &map, err)) != PGCDC_OK)
            return rc;
        return put_row(w, jt, c->new_values, c->n_new_values, map, false, &row, err);
    case PGCDC__V1__OP__OP_UPDATE:
        if ((rc = row_map(w, jt, c->n_new_values, &map, err)) != PGCDC_OK)
            return rc;
        if (!key_changed(jt, c, map)) {
            row.op = 'U';
            return put_row(w, jt, c->new_values, c->n_new_values, map, false, &row, err);
        }
        row.op = 'D';
        if ((rc = put_row(w, jt, c->old_values, c->n_old_values, map, true, &row, err)) != PGCDC_OK)
            return rc;
        row.op = 'I';
        row.seq = seq + 1; /* exactly s+1: the merge links the pair */
        return put_row(w, jt, c->new_values, c->n_new_values, map, false, &row, err);
    case PGCDC__V1__OP__OP_DELETE:
        if (c->old_kind == PGCDC__V1__OLD_TUPLE__OLD_TUPLE_NONE || c->n_old_values == 0) {
            pgcdc_error_set(err, PGCDC_EUNSUPPORTED,
                            "a DELETE arrived without the old key (REPLICA IDENTITY NOTHING?): set a primary "
                            "key or REPLICA IDENTITY FULL on the source table");
            return fail_table(w, jt, PGCDC_EUNSUPPORTED, err);
        }
        if ((rc = row_map(w, jt, c->n_old_values, &map, err)) != PGCDC_OK)
            return rc;
        row.op = 'D';
        return put_row(w, jt, c->old_values, c->n_old_values, map, true, &row, err);
    default:
        return pgcdc_error_set(err, PGCDC_EUNSUPPORTED,
                               "journal write: a change of %s.%s has an operation this pgcdc does not know (%d): "
                               "upgrade pgcdc",
                               c->schema, c->table, (int)c->op);
    }
}

static pgcdc_code put_transaction(pgcdc_journal_writer *w, const Pgcdc__V1__Transaction *tx, pgcdc_error *err)
{
    if (tx->n_changes == 0)
        return PGCDC_OK;
    if (tx->commit_lsn == 0 || tx->commit_lsn > (uint64_t)INT64_MAX)
        return pgcdc_error_set(err, PGCDC_EINVAL,
                               "journal write: transaction %u has no valid commit LSN (%llu): its rows could not "
                               "be ordered",
                               tx->xid, (unsigned long long)tx->commit_lsn);
    pgcdc_buf_reset(&w->ctime);
    /* protobuf time is since 1970; 0 is "unknown" only for synthetic batches */
    if (jtimestamp_utc(&w->ctime, tx->commit_time_unix_us) != 0)
        return pgcdc_error_set(err, PGCDC_ENOMEM, "journal: out of memory");
    for (size_t i = 0; i < tx->n_changes; i++) {
        pgcdc_code rc = put_change(w, tx->changes[i], (int64_t)tx->commit_lsn, err);
        if (rc != PGCDC_OK)
            return rc;
    }
    return PGCDC_OK;
}

static pgcdc_code put_snapshot(pgcdc_journal_writer *w, const Pgcdc__V1__SnapshotRows *sr, pgcdc_error *err)
{
    if (sr->n_rows == 0)
        return PGCDC_OK;
    jtable *jt = jwriter_find(w, sr->schema, sr->table);
    if (!jt)
        return unknown_table(sr->schema, sr->table, err);
    if (jt->skip) {
        w->skipped += sr->n_rows;
        return PGCDC_OK;
    }
    if (sr->snapshot_lsn == 0 || sr->snapshot_lsn > (uint64_t)INT64_MAX || sr->chunk_id >= (UINT64_C(1) << 30) ||
        sr->first_row >= (UINT64_C(1) << 32) || sr->n_rows >= (UINT64_C(1) << 32) - sr->first_row)
        return pgcdc_error_set(err, PGCDC_EINVAL,
                               "journal write: snapshot rows of %s.%s with snapshot LSN %llu, chunk %llu, rows %llu "
                               "to %llu cannot be numbered (LSN must be > 0, chunk < 2^30, rows < 2^32)",
                               sr->schema, sr->table, (unsigned long long)sr->snapshot_lsn,
                               (unsigned long long)sr->chunk_id, (unsigned long long)sr->first_row,
                               (unsigned long long)(sr->first_row + sr->n_rows));
    const int *map = NULL;
    if (sr->n_columns > 0) {
        map_by_name(jt, sr->columns, sr->n_columns, jt->tmp_src);
        map = jt->tmp_src;
    }
    /* (snapshot LSN, chunk << 32 | row in the chunk, minus 2^62): unique per row of a
     * snapshot, the same again when a chunk is written again after a crash,
     * and negative, so that snapshot rows sort before the changes of a
     * transaction committing exactly at the snapshot's LSN (decoded, not in
     * the snapshot). */
    jrow row = {(int64_t)sr->snapshot_lsn, 0, 'S', NULL};
    for (size_t i = 0; i < sr->n_rows; i++) {
        const Pgcdc__V1__Row *r = sr->rows[i];
        pgcdc_code rc;
        if (!map && (rc = row_map(w, jt, r->n_values, &map, err)) != PGCDC_OK)
            return rc;
        row.seq = (int64_t)((sr->chunk_id << 32) | (sr->first_row + i)) - ((int64_t)1 << 62);
        if ((rc = put_row(w, jt, r->values, r->n_values, map, false, &row, err)) != PGCDC_OK)
            return rc;
    }
    return PGCDC_OK;
}

static pgcdc_code put_schema(pgcdc_journal_writer *w, const Pgcdc__V1__SchemaEvent *se, pgcdc_error *err)
{
    jtable *jt = jwriter_find(w, se->schema, se->table);
    if (!jt)
        return PGCDC_OK; /* schema events of tables not replicated are no error */
    /* kept, so that a re-registration (schema change) maps by the same names */
    const char **names = malloc((se->n_columns ? se->n_columns : 1) * sizeof *names);
    if (!names)
        return pgcdc_error_set(err, PGCDC_ENOMEM, "journal: out of memory");
    for (size_t i = 0; i < se->n_columns; i++)
        names[i] = se->columns[i]->name;
    pgcdc_code rc = jtable_set_relation(jt, names, se->n_columns, err);
    free(names);
    return rc;
}

pgcdc_code jrows_record(pgcdc_journal_writer *w, const Pgcdc__V1__Record *rec, pgcdc_error *err)
{
    switch (rec->kind_case) {
    case PGCDC__V1__RECORD__KIND_TRANSACTION:
        return put_transaction(w, rec->transaction, err);
    case PGCDC__V1__RECORD__KIND_SNAPSHOT_ROWS:
        return put_snapshot(w, rec->snapshot_rows, err);
    case PGCDC__V1__RECORD__KIND_SCHEMA_EVENT:
        return put_schema(w, rec->schema_event, err);
    default:
        /* watermarks, messages, notices: for the runner, nothing to journal */
        return PGCDC_OK;
    }
}
