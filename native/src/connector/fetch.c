/* fetch.c - one snapshot chunk read on its own connection under the
 * descriptor's exported snapshot, into one SnapshotRows record stamped with
 * the snapshot's consistent point (the journal numbers a chunk's rows by
 * chunk id and row index, so a chunk is never split across records). The
 * descriptor is read only if it is the one its session recorded on the
 * destination (plan_record.c): so its table, columns, range, chunk id and
 * snapshot point are the plan's. Whether the snapshot is still alive, the
 * snapshot import itself tells. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connector_internal.h"

/* The session that exported the snapshot is closed or was lost (a host
 * restart): this chunk belongs to an abandoned attempt, not to a table that
 * must fail; the host takes the table's snapshot again. */
static void gone(pgcdc_error *err)
{
    if (err) {
        err->code = PGCDC_ENOTFOUND;
        pgcdc_error_prefix(err, "%s", "the snapshot is gone (its session was closed or lost): the chunk belongs "
                                      "to an abandoned attempt");
    }
}

typedef struct fetch {
    const cn_chunk *c;
    pgcdc_batch_builder *b;
    bool started;
    uint64_t rows;
} fetch;

/* The record of the chunk (its place in the table's plan, not in the
 * reader's window of it). */
static pgcdc_code add_rows(fetch *f, const pgcdc_tuple *rows, size_t nrows, pgcdc_error *err)
{
    const cn_chunk *c = f->c;
    pgcdc_snapshot_chunk sc = {
        .nspname = c->schema, .relname = c->table, .ncolumns = (int)c->ncols, .columns = c->cols,
        .chunk_id = c->chunk_id, .chunk_start = c->lower, .chunk_end = c->upper, .snapshot_lsn = c->snapshot_lsn,
        .last_chunk = c->chunk_id + 1 == c->nchunks};
    return pgcdc_batch_add_snapshot_rows(f->b, &sc, rows, nrows, err);
}

/* A descriptor the destination has no record of is either made up or of a
 * session that ended (its record is pruned once its slot is gone): the
 * snapshot tells which, so a chunk of an abandoned attempt is still dropped. */
static pgcdc_code check(const pgcdc_connector_config *cfg, const cn_chunk *c, const uint8_t *desc, size_t len,
                        pgcdc_error *err)
{
    bool unrecorded = false;
    pgcdc_code rc = cn_plan_record_check(cfg, c, desc, len, &unrecorded, err);
    if (rc != PGCDC_EINVAL || !unrecorded)
        return rc;
    static const pgcdc_pipeline_run_options no_options;
    pl_ctx x;
    memset(&x, 0, sizeof x);
    x.cfg = &cfg->pl;
    x.opt = &no_options;
    pgcdc_error probe;
    if (pl_snapshot_conn(&x, c->snapshot_name, &x.src, &probe) == PGCDC_ESQL) {
        pgcdc_error_set(err, PGCDC_ENOTFOUND, "snapshot %s is not recorded and no longer exists", c->snapshot_name);
        gone(err);
        rc = PGCDC_ENOTFOUND;
    }
    if (x.src)
        PQfinish(x.src);
    return rc;
}

static pgcdc_code on_rows(void *ud, const pgcdc_snapshot_rows *rows, pgcdc_error *err)
{
    fetch *f = ud;
    f->rows += rows->nrows;
    if (f->started)
        return pgcdc_batch_append_snapshot_rows(f->b, rows->rows, rows->nrows, err);
    f->started = true;
    return add_rows(f, rows->rows, rows->nrows, err);
}

pgcdc_code pgcdc_snapshot_fetch_chunk(const pgcdc_connector_config *cfg, const uint8_t *desc, size_t len,
                                      pgcdc_buf *out, pgcdc_batch_info *info, pgcdc_error *err)
{
    cn_chunk c;
    pgcdc_code rc = cn_chunk_decode(desc, len, &c, err);
    if (rc != PGCDC_OK)
        return rc;
    fetch f = {.c = &c};
    pgcdc_snapshot_plan window;
    uint32_t done[2], ndone = 0, idx = 0;
    memset(&window, 0, sizeof window);
    rc = pgcdc_connector_config_validate_source(cfg, err);
    if (rc == PGCDC_OK)
        rc = check(cfg, &c, desc, len, err);
    if (rc == PGCDC_OK)
        rc = cn_chunk_window(&c, &window, done, &ndone, &idx, err);
    if (rc == PGCDC_OK)
        rc = pgcdc_batch_builder_new(c.database, &f.b, err);
    pgcdc_snapshot_options so = {.snapshot_name = c.snapshot_name, .connections = 1, .on_rows = on_rows,
                                 .userdata = &f};
    pgcdc_snapshot_reader *r = NULL;
    if (rc == PGCDC_OK)
        rc = pgcdc_snapshot_reader_new(&cfg->pl.source, &so, &r, err);
    pgcdc_snapshot_table st = {c.schema, c.table, (int)c.ncols, c.colptrs,
                               c.binary ? PGCDC_COPY_BINARY : PGCDC_COPY_TEXT, &window, done, ndone, NULL};
    int tidx = -1;
    if (rc == PGCDC_OK)
        rc = pgcdc_snapshot_reader_add(r, &st, &tidx, err);
    if (rc == PGCDC_OK)
        rc = pgcdc_snapshot_reader_run(r, err);
    if (rc == PGCDC_OK)
        rc = pgcdc_snapshot_reader_table_status(r, tidx, err);
    if (rc == PGCDC_ESQL && err && strstr(err->message, "the snapshot is gone"))
        gone(err), rc = PGCDC_ENOTFOUND;
    if (rc == PGCDC_OK && !f.started) /* an empty chunk is still a record: its last_chunk flag and position tell */
        rc = add_rows(&f, NULL, 0, err);
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
    pgcdc_snapshot_plan_free(&window);
    cn_chunk_clear(&c);
    return rc;
}
