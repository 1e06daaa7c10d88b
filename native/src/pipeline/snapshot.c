/* snapshot.c - the initial snapshot: every table in SNAPSHOT_REPLICATION read
 * under the slot's exported snapshot with Concurrent Snapshot Queries
 * connections, each chunk written to its journal as ONE SnapshotRows record
 * (the journal's snapshot SEQs are unique per chunk and row index, so a chunk
 * must not be split across records), then merged with the bound
 * (snapshot_lsn, -1) in the same transaction as INCREMENTAL_REPLICATION. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgcdc/crashpoint.h"
#include "pgcdc/log.h"
#include "pipeline_internal.h"

typedef struct snap_worker {
    pgcdc_batch_builder *b;
    pl_table *table;     /* chunk being gathered, NULL none */
    uint32_t chunk;
} snap_worker;

typedef struct snap_ctx {
    pl_ctx *x;
    pgcdc_lsn cp;
    snap_worker *w;
    int nworkers;
    pgcdc_buf bytes;
} snap_ctx;

/* Callbacks are serialized by the reader (serialize = true): the journal
 * writer's one connection is used by one worker at a time. */
static pgcdc_code on_rows(void *ud, const pgcdc_snapshot_rows *rows, pgcdc_error *err)
{
    snap_ctx *s = ud;
    pl_table *t = rows->chunk.table_userdata;
    if (!t->registered || rows->chunk.worker < 0 || rows->chunk.worker >= s->nworkers)
        return PGCDC_OK;
    snap_worker *w = &s->w[rows->chunk.worker];
    if (w->table == t && w->chunk == rows->chunk.range->id)
        return pgcdc_batch_append_snapshot_rows(w->b, rows->rows, rows->nrows, err);
    pgcdc_batch_builder_reset(w->b);
    pgcdc_snapshot_chunk c = {
        .nspname = t->schema, .relname = t->name, .ncolumns = (int)t->ncols, .columns = t->pcols,
        .chunk_id = rows->chunk.range->id, .chunk_start = rows->chunk.range->lower,
        .chunk_end = rows->chunk.range->upper, .snapshot_lsn = s->cp,
        .last_chunk = rows->chunk.range->id + 1 == rows->chunk.nranges};
    w->table = t;
    w->chunk = rows->chunk.range->id;
    return pgcdc_batch_add_snapshot_rows(w->b, &c, rows->rows, rows->nrows, err);
}

static pgcdc_code write_chunk(snap_ctx *s, snap_worker *w, pgcdc_error *err)
{
    pgcdc_batch *batch = NULL;
    pgcdc_code rc = pgcdc_batch_encode(w->b, &s->bytes, err);
    if (rc == PGCDC_OK)
        rc = pgcdc_batch_decode((const uint8_t *)s->bytes.data, s->bytes.len, &batch, err);
    pgcdc_journal_stats st;
    if (rc == PGCDC_OK)
        rc = pgcdc_journal_write(s->x->writer, batch, &st, err);
    pgcdc_batch_free(batch);
    pgcdc_batch_builder_reset(w->b);
    return rc;
}

static pgcdc_code on_chunk(void *ud, pgcdc_snapshot_chunk_event ev, const pgcdc_snapshot_chunk_info *info,
                           pgcdc_error *err)
{
    snap_ctx *s = ud;
    if (ev != PGCDC_SNAPSHOT_CHUNK_END)
        return PGCDC_OK;
    pl_table *t = info->chunk.table_userdata;
    snap_worker *w = &s->w[info->chunk.worker];
    bool mine = w->table == t && w->chunk == info->chunk.range->id;
    w->table = NULL;
    if (!mine || !t->registered)
        return PGCDC_OK;
    pgcdc_code rc = write_chunk(s, w, err);
    if (rc == PGCDC_OK) {
        t->rows_snapshotted += (int64_t)info->rows;
        pgcdc_crashpoint("snapshot-chunk-written");
        return PGCDC_OK;
    }
    if (pl_is_code_table_failure(rc) && pgcdc_journal_failed_table(s->x->writer) == &t->mt) {
        /* this table's value: it fails alone, the others are read on */
        pl_fail(s->x, t, err ? err->message : "a value could not be written");
        return PGCDC_OK;
    }
    return rc;
}

pgcdc_code pl_snapshot(pl_ctx *x, const char *snapshot_name, pgcdc_lsn cp, pgcdc_error *err)
{
    int nconn = x->cfg->snapshot_connections > 0 ? x->cfg->snapshot_connections : 2;
    snap_ctx s = {.x = x, .cp = cp, .nworkers = nconn, .bytes = PGCDC_BUF_INIT};
    s.w = calloc((size_t)nconn, sizeof *s.w);
    if (!s.w)
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
    pgcdc_code rc = PGCDC_OK;
    for (int i = 0; i < nconn && rc == PGCDC_OK; i++)
        rc = pgcdc_batch_builder_new(x->dbname, &s.w[i].b, err);
    pgcdc_snapshot_options so = {.snapshot_name = snapshot_name, .connections = nconn, .serialize = true,
                                 .on_rows = on_rows, .on_chunk = on_chunk, .userdata = &s};
    pgcdc_snapshot_reader *r = NULL;
    if (rc == PGCDC_OK)
        rc = pgcdc_snapshot_reader_new(&x->cfg->source, &so, &r, err);
    int queued = 0;
    for (size_t i = 0; i < x->ntables && rc == PGCDC_OK; i++) {
        pl_table *t = &x->tables[i];
        t->snap_index = -1;
        if (!t->registered || strcmp(t->state, PL_SNAPSHOT) != 0)
            continue;
        pgcdc_error e;
        pgcdc_snapshot_plan_options po = {.key_column = t->key_column[0] ? t->key_column : NULL,
                                          .min_chunks = (uint32_t)nconn};
        pgcdc_code c = pgcdc_snapshot_plan_create(x->src, t->schema, t->name, &po, &t->plan, &e);
        if (c != PGCDC_OK && !pl_is_code_table_failure(c) && c != PGCDC_ESQL && c != PGCDC_ENOTFOUND) {
            rc = c; /* interim (connection, memory, timeout): the run ends, the table is not failed */
            if (err)
                *err = e;
            break;
        }
        if (c != PGCDC_OK) {
            pl_fail(x, t, e.message);
            continue;
        }
        t->has_plan = true;
        pgcdc_dest_type *types = calloc(t->ncols, sizeof *types);
        if (!types) {
            rc = pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
            break;
        }
        for (size_t k = 0; k < t->ncols; k++)
            types[k] = t->mcols[k].type;
        bool binary = pgcdc_snapshot_binary_ok(types, (int)t->ncols, NULL);
        free(types);
        pgcdc_snapshot_table st = {t->schema, t->name, (int)t->ncols, t->colptrs,
                                   binary ? PGCDC_COPY_BINARY : PGCDC_COPY_TEXT, &t->plan, NULL, 0, t};
        if ((c = pgcdc_snapshot_reader_add(r, &st, &t->snap_index, &e)) != PGCDC_OK) {
            pl_fail(x, t, e.message);
            continue;
        }
        queued++;
    }
    if (rc == PGCDC_OK && queued > 0) {
        pgcdc_log(PGCDC_LOG_INFO, "snapshot of %d table(s) with %d connection(s)", queued, nconn);
        pgcdc_error e;
        pgcdc_code c = pgcdc_snapshot_reader_run(r, &e);
        if (c != PGCDC_OK && !pl_is_code_table_failure(c) && c != PGCDC_ENOTFOUND && c != PGCDC_ESQL) {
            rc = c; /* the run stopped (connection lost, snapshot gone): start over next time */
            if (err)
                *err = e;
        }
        for (size_t i = 0; i < x->ntables && rc == PGCDC_OK; i++) {
            pl_table *t = &x->tables[i];
            if (t->snap_index < 0 || !t->registered)
                continue;
            c = pgcdc_snapshot_reader_table_status(r, t->snap_index, &e);
            if (c == PGCDC_OK)
                c = pl_merge(x, t, (int64_t)cp, -1, PL_INCREMENTAL, &e);
            if (c == PGCDC_ECONNECT || c == PGCDC_ETIMEOUT) {
                rc = c;
                if (err)
                    *err = e;
            } else if (c != PGCDC_OK) {
                pl_fail(x, t, e.message);
            } else {
                pgcdc_log(PGCDC_LOG_INFO, "table %s.%s: %lld rows snapshotted", t->schema, t->name,
                          (long long)t->rows_snapshotted);
            }
        }
    }
    pgcdc_snapshot_reader_free(r);
    for (int i = 0; i < nconn; i++)
        pgcdc_batch_builder_free(s.w[i].b);
    free(s.w);
    pgcdc_buf_free(&s.bytes);
    return rc;
}
