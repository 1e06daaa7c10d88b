/* fetch.c - one snapshot chunk read on its own connection under the
 * descriptor's exported snapshot, as SnapshotRows records stamped with the
 * snapshot's consistent point: handed out in pieces of about max_bytes as
 * the rows are read (each piece numbers its rows on from first_row: the
 * journal numbers a chunk's rows by chunk id and row in the chunk), so a
 * chunk of huge TOASTed rows never has to be held whole. The descriptor is
 * read only if it is the one its session recorded on the destination
 * (plan_record.c): so its table, columns, range, chunk id and snapshot point
 * are the plan's. Whether the snapshot is still alive, the snapshot import
 * itself tells. */
#include <stdint.h>
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
    bool started;              /* the builder holds the current piece's record */
    uint64_t rows;             /* rows read */
    uint64_t piece_rows;       /* rows handed out in earlier pieces */
    size_t max_bytes;
    pgcdc_buf out;
    uint32_t pieces;
    pgcdc_chunk_piece_fn fn;
    void *ud;
} fetch;

/* Starts a piece's record: the chunk's rows from f->piece_rows on (its
 * place in the table's plan, not in the reader's window of it). */
static pgcdc_code start_piece(fetch *f, const pgcdc_tuple *rows, size_t nrows, pgcdc_error *err)
{
    const cn_chunk *c = f->c;
    pgcdc_snapshot_chunk sc = {
        .nspname = c->schema, .relname = c->table, .ncolumns = (int)c->ncols, .columns = c->cols,
        .chunk_id = c->chunk_id, .chunk_start = c->lower, .chunk_end = c->upper, .snapshot_lsn = c->snapshot_lsn,
        .last_chunk = c->chunk_id + 1 == c->nchunks, .first_row = f->piece_rows};
    f->started = true;
    return pgcdc_batch_add_snapshot_rows(f->b, &sc, rows, nrows, err);
}

/* The builder's record goes to the host. */
static pgcdc_code hand_out(fetch *f, pgcdc_error *err)
{
    pgcdc_code rc = pgcdc_batch_encode(f->b, &f->out, err);
    pgcdc_batch_info info = {.first_lsn = f->c->snapshot_lsn,
                             .changes = pgcdc_batch_builder_snapshot_rows(f->b)};
    if (rc == PGCDC_OK) {
        pgcdc_error e;
        e.message[0] = '\0';
        rc = f->fn(f->ud, (const uint8_t *)f->out.data, f->out.len, &info, &e);
        if (rc != PGCDC_OK && !e.message[0])
            pgcdc_error_set(&e, rc, "the chunk piece callback failed (%s)", pgcdc_code_name(rc));
        if (rc != PGCDC_OK && err)
            *err = e;
    }
    f->piece_rows += info.changes;
    f->pieces++;
    f->started = false;
    pgcdc_batch_builder_reset(f->b);
    return rc;
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
    pgcdc_code rc = f->started ? pgcdc_batch_append_snapshot_rows(f->b, rows->rows, rows->nrows, err)
                               : start_piece(f, rows->rows, rows->nrows, err);
    if (rc == PGCDC_OK && pgcdc_batch_builder_bytes(f->b) >= f->max_bytes)
        rc = hand_out(f, err);
    return rc;
}

pgcdc_code pgcdc_snapshot_fetch_chunk_pieces(const pgcdc_connector_config *cfg, const uint8_t *desc, size_t len,
                                             size_t max_bytes, pgcdc_chunk_piece_fn fn, void *userdata,
                                             pgcdc_batch_info *info, pgcdc_error *err)
{
    cn_chunk c;
    pgcdc_code rc = cn_chunk_decode(desc, len, &c, err);
    if (rc != PGCDC_OK)
        return rc;
    fetch f = {.c = &c, .max_bytes = max_bytes ? max_bytes : 1, .out = PGCDC_BUF_INIT, .fn = fn, .ud = userdata};
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
    /* one connection: the reader reads on this thread, so fn is called on it */
    pgcdc_snapshot_options so = {.snapshot_name = c.snapshot_name, .connections = 1, .on_rows = on_rows,
                                 .batch_bytes = f.max_bytes < (8u << 20) ? f.max_bytes / 2 + 1 : 0,
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
    /* the last piece; an empty chunk is still a record: its last_chunk flag
     * and position tell */
    if (rc == PGCDC_OK && !f.started && f.pieces == 0)
        rc = start_piece(&f, NULL, 0, err);
    if (rc == PGCDC_OK && f.started)
        rc = hand_out(&f, err);
    if (rc == PGCDC_OK && info) {
        info->first_lsn = c.snapshot_lsn;
        info->confirm_lsn = 0;
        info->transactions = 0;
        info->changes = f.rows;
    }
    pgcdc_snapshot_reader_free(r);
    pgcdc_batch_builder_free(f.b);
    pgcdc_buf_free(&f.out);
    pgcdc_snapshot_plan_free(&window);
    cn_chunk_clear(&c);
    return rc;
}

/* The whole chunk as one piece. */
static pgcdc_code keep_one(void *ud, const uint8_t *data, size_t len, const pgcdc_batch_info *info,
                           pgcdc_error *err)
{
    (void)info;
    pgcdc_buf *out = ud;
    pgcdc_buf_reset(out);
    if (pgcdc_buf_append(out, (const char *)data, len) != 0)
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
    return PGCDC_OK;
}

pgcdc_code pgcdc_snapshot_fetch_chunk(const pgcdc_connector_config *cfg, const uint8_t *desc, size_t len,
                                      pgcdc_buf *out, pgcdc_batch_info *info, pgcdc_error *err)
{
    return pgcdc_snapshot_fetch_chunk_pieces(cfg, desc, len, SIZE_MAX, keep_one, out, info, err);
}
