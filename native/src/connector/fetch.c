/* fetch.c - one snapshot chunk read on its own connection under the
 * descriptor's exported snapshot, into one SnapshotRows record stamped with
 * the snapshot's consistent point (the journal numbers a chunk's rows by
 * chunk id and row index, so a chunk is never split across records). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connector_internal.h"

typedef struct fetch {
    const cn_chunk *c;
    pgcdc_batch_builder *b;
    bool started;
    uint64_t rows;
} fetch;

static pgcdc_code on_rows(void *ud, const pgcdc_snapshot_rows *rows, pgcdc_error *err)
{
    fetch *f = ud;
    f->rows += rows->nrows;
    if (f->started)
        return pgcdc_batch_append_snapshot_rows(f->b, rows->rows, rows->nrows, err);
    const cn_chunk *c = f->c;
    pgcdc_snapshot_chunk sc = {
        .nspname = c->schema, .relname = c->table, .ncolumns = (int)c->ncols, .columns = c->cols,
        .chunk_id = rows->chunk.range->id, .chunk_start = rows->chunk.range->lower,
        .chunk_end = rows->chunk.range->upper, .snapshot_lsn = c->snapshot_lsn,
        .last_chunk = rows->chunk.range->id + 1 == rows->chunk.nranges};
    f->started = true;
    return pgcdc_batch_add_snapshot_rows(f->b, &sc, rows->rows, rows->nrows, err);
}

pgcdc_code pgcdc_snapshot_fetch_chunk(const pgcdc_connector_config *cfg, const uint8_t *desc, size_t len,
                                      pgcdc_buf *out, pgcdc_batch_info *info, pgcdc_error *err)
{
    cn_chunk c;
    pgcdc_code rc = cn_chunk_decode(desc, len, &c, err);
    if (rc != PGCDC_OK)
        return rc;
    fetch f = {.c = &c};
    uint32_t *done = calloc(c.plan.nranges, sizeof *done);
    uint32_t ndone = 0;
    if (!done)
        rc = pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
    for (uint32_t i = 0; done && i < c.plan.nranges; i++)
        if (i != c.chunk_id)
            done[ndone++] = i;
    if (rc == PGCDC_OK)
        rc = pgcdc_connector_config_validate_source(cfg, err);
    if (rc == PGCDC_OK)
        rc = pgcdc_batch_builder_new(c.database, &f.b, err);
    pgcdc_snapshot_options so = {.snapshot_name = c.snapshot_name, .connections = 1, .on_rows = on_rows,
                                 .userdata = &f};
    pgcdc_snapshot_reader *r = NULL;
    if (rc == PGCDC_OK)
        rc = pgcdc_snapshot_reader_new(&cfg->pl.source, &so, &r, err);
    pgcdc_snapshot_table st = {c.schema, c.table, (int)c.ncols, c.colptrs,
                               c.binary ? PGCDC_COPY_BINARY : PGCDC_COPY_TEXT, &c.plan, done, ndone, NULL};
    int idx = -1;
    if (rc == PGCDC_OK)
        rc = pgcdc_snapshot_reader_add(r, &st, &idx, err);
    if (rc == PGCDC_OK)
        rc = pgcdc_snapshot_reader_run(r, err);
    if (rc == PGCDC_OK)
        rc = pgcdc_snapshot_reader_table_status(r, idx, err);
    /* the session that exported the snapshot is closed or was lost (a host
     * restart): this chunk belongs to an abandoned attempt, not to a table
     * that must fail; the host takes the table's snapshot again */
    if (rc == PGCDC_ESQL && err && strstr(err->message, "the snapshot is gone"))
        err->code = rc = PGCDC_ENOTFOUND;
    if (rc == PGCDC_OK && !f.started) {
        /* an empty chunk is still a record: its last_chunk flag and position tell */
        const pgcdc_snapshot_range *range = &c.plan.ranges[c.chunk_id];
        pgcdc_snapshot_chunk sc = {
            .nspname = c.schema, .relname = c.table, .ncolumns = (int)c.ncols, .columns = c.cols,
            .chunk_id = range->id, .chunk_start = range->lower, .chunk_end = range->upper,
            .snapshot_lsn = c.snapshot_lsn, .last_chunk = c.chunk_id + 1 == c.plan.nranges};
        rc = pgcdc_batch_add_snapshot_rows(f.b, &sc, NULL, 0, err);
    }
    if (rc == PGCDC_OK)
        rc = pgcdc_batch_encode(f.b, out, err);
    if (rc == PGCDC_OK && info) {
        info->first_lsn = c.snapshot_lsn;
        info->confirm_lsn = 0;
        info->transactions = 0;
        info->changes = f.rows;
    }
    pgcdc_snapshot_reader_free(r);
    pgcdc_batch_builder_free(f.b);
    free(done);
    cn_chunk_clear(&c);
    return rc;
}
