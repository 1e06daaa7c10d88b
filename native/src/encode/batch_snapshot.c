/* batch_snapshot.c - the snapshot side of a batch: chunks of rows and watermarks. */
#include "batch_internal.h"

#include <string.h>

static pgcdc_code append_rows(pgcdc_batch_builder *b, Pgcdc__V1__SnapshotRows *s, const pgcdc_column *cols,
                              int ncols, const pgcdc_tuple *rows, size_t nrows, pgcdc_error *err)
{
    static const Pgcdc__V1__Row row_init = PGCDC__V1__ROW__INIT;
    for (size_t i = 0; i < nrows; i++) {
        Pgcdc__V1__Row *r = BATCH_NEW(b, Pgcdc__V1__Row);
        if (!r)
            return batch_oom(err, "snapshot row");
        *r = row_init;
        size_t before = b->bytes;
        pgcdc_code rc = batch_copy_values(b, &rows[i], cols, ncols, &r->values, &r->n_values, err);
        if (rc) {
            pgcdc_error_prefix(err, "snapshot row %zu of %s.%s", i + 1, s->schema, s->table);
            return rc;
        }
        b->bytes += batch_field_size(b->bytes - before) - (b->bytes - before);
        int prc;
        BATCH_PUSH(b, s->rows, s->n_rows, b->rows_cap, r, prc);
        if (prc)
            return batch_oom(err, "snapshot row");
        b->nrows++;
    }
    return PGCDC_OK;
}

pgcdc_code pgcdc_batch_add_snapshot_rows(pgcdc_batch_builder *b, const pgcdc_snapshot_chunk *chunk,
                                         const pgcdc_tuple *rows, size_t nrows, pgcdc_error *err)
{
    static const batch_record record_init = PGCDC__V1__RECORD__INIT;
    static const Pgcdc__V1__SnapshotRows rows_init = PGCDC__V1__SNAPSHOT_ROWS__INIT;
    b->open_rows = NULL;
    batch_record *rec = BATCH_NEW(b, batch_record);
    Pgcdc__V1__SnapshotRows *s = BATCH_NEW(b, Pgcdc__V1__SnapshotRows);
    if (!rec || !s)
        return batch_oom(err, "snapshot rows");
    *rec = record_init;
    *s = rows_init;
    rec->kind_case = PGCDC__V1__RECORD__KIND_SNAPSHOT_ROWS;
    rec->snapshot_rows = s;
    s->relid = chunk->relid;
    s->generation = chunk->generation;
    s->chunk_id = chunk->chunk_id;
    s->snapshot_lsn = chunk->snapshot_lsn;
    s->last_chunk = chunk->last_chunk;
    s->first_row = chunk->first_row;
    if (batch_relnames(b, chunk->relid, chunk->nspname, chunk->relname, &s->schema, &s->table) != 0 ||
        (chunk->chunk_start && !(s->chunk_start = batch_strdup(b, chunk->chunk_start))) ||
        (chunk->chunk_end && !(s->chunk_end = batch_strdup(b, chunk->chunk_end))))
        return batch_oom(err, "snapshot rows");
    if (chunk->ncolumns > 0 && chunk->columns) {
        size_t n = (size_t)chunk->ncolumns;
        if (!(s->columns = pgcdc_arena_alloc(&b->arena, n * sizeof *s->columns)))
            return batch_oom(err, "snapshot rows");
        for (size_t i = 0; i < n; i++)
            if (!(s->columns[i] = batch_copy_column(b, &chunk->columns[i])))
                return batch_oom(err, "snapshot rows");
        s->n_columns = n;
        /* Their types pick the Value forms of rows appended later. */
        if (!(b->open_cols = pgcdc_arena_alloc(&b->arena, n * sizeof *b->open_cols)))
            return batch_oom(err, "snapshot rows");
        for (size_t i = 0; i < n; i++)
            b->open_cols[i] = (pgcdc_column){.type_oid = chunk->columns[i].type_oid};
    } else {
        b->open_cols = NULL;
    }
    b->open_ncols = (int)s->n_columns;
    b->bytes += 40 + batch_string_size(s->schema) + batch_string_size(s->table) +
                batch_string_size(s->chunk_start) + batch_string_size(s->chunk_end);
    if (batch_add_toplevel(b, rec) != 0)
        return batch_oom(err, "snapshot rows");
    b->rows_cap = 0;
    pgcdc_code rc = append_rows(b, s, b->open_cols, b->open_ncols, rows, nrows, err);
    if (rc)
        return rc;
    b->open_rows = s;
    return PGCDC_OK;
}

pgcdc_code pgcdc_batch_append_snapshot_rows(pgcdc_batch_builder *b, const pgcdc_tuple *rows, size_t nrows,
                                            pgcdc_error *err)
{
    Pgcdc__V1__SnapshotRows *s = b->open_rows;
    if (!s)
        return pgcdc_error_set(err, PGCDC_EINVAL,
                               "no snapshot chunk to append rows to: start one with pgcdc_batch_add_snapshot_rows "
                               "(rows can be appended only until something else is added to the batch)");
    pgcdc_code rc = append_rows(b, s, b->open_cols, b->open_ncols, rows, nrows, err);
    if (rc)
        b->open_rows = NULL;
    return rc;
}

pgcdc_code pgcdc_batch_add_watermark(pgcdc_batch_builder *b, const pgcdc_watermark *wm, pgcdc_error *err)
{
    static const batch_record record_init = PGCDC__V1__RECORD__INIT;
    static const Pgcdc__V1__Watermark wm_init = PGCDC__V1__WATERMARK__INIT;
    b->open_rows = NULL;
    if (wm->kind != PGCDC_WATERMARK_LOW && wm->kind != PGCDC_WATERMARK_HIGH)
        return pgcdc_error_set(err, PGCDC_EINVAL, "watermark kind %d is neither LOW nor HIGH", (int)wm->kind);
    batch_record *rec = BATCH_NEW(b, batch_record);
    Pgcdc__V1__Watermark *w = BATCH_NEW(b, Pgcdc__V1__Watermark);
    if (!rec || !w)
        return batch_oom(err, "watermark");
    *rec = record_init;
    *w = wm_init;
    rec->kind_case = PGCDC__V1__RECORD__KIND_WATERMARK;
    rec->watermark = w;
    w->kind = wm->kind == PGCDC_WATERMARK_LOW ? PGCDC__V1__WATERMARK_KIND__WATERMARK_LOW
                                              : PGCDC__V1__WATERMARK_KIND__WATERMARK_HIGH;
    w->relid = wm->relid;
    w->chunk_id = wm->chunk_id;
    w->lsn = wm->lsn;
    if ((wm->id && !(w->watermark_id = batch_strdup(b, wm->id))) ||
        batch_relnames(b, wm->relid, wm->nspname, wm->relname, &w->schema, &w->table) != 0)
        return batch_oom(err, "watermark");
    b->bytes += 32 + batch_string_size(w->watermark_id) + batch_string_size(w->schema) + batch_string_size(w->table);
    if (batch_add_toplevel(b, rec) != 0)
        return batch_oom(err, "watermark");
    return PGCDC_OK;
}
