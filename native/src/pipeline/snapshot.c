/* snapshot.c - table snapshots: every table in SNAPSHOT_REPLICATION read
 * under an exported snapshot (the slot's at the start, a temporary slot's
 * while streaming: online.c) with Concurrent Snapshot Queries
 * connections, each chunk written to its journal in pieces of about
 * pl_piece_bytes() as it is read (SnapshotRows records numbering the chunk's
 * rows on from first_row: the journal's snapshot SEQs are unique per chunk
 * and row in the chunk), the last piece recording the chunk as done in its
 * own transaction, then merged with the bound (snapshot_lsn, -1) in the same
 * transaction as INCREMENTAL_REPLICATION. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgcdc/crashpoint.h"
#include "pgcdc/log.h"
#include "common/text_safe.h"
#include "pipeline_internal.h"

typedef struct snap_worker {
    pgcdc_batch_builder *b;
    pl_table *table;     /* chunk being read, NULL none */
    uint32_t chunk;
    bool open;           /* the builder holds the chunk's current piece */
    uint64_t next_row;   /* the chunk's rows in pieces written before it */
} snap_worker;

typedef struct snap_ctx {
    pl_ctx *x;
    pgcdc_lsn cp;
    snap_worker *w;
    int nworkers;
    pgcdc_buf bytes;
    pgcdc_snapshot_reader *reader;
} snap_ctx;

static pgcdc_code write_piece(snap_ctx *s, snap_worker *w, pl_table *t, pgcdc_error *err);

static bool stopping(const pl_ctx *x)
{
    return x->opt->stop && *x->opt->stop;
}

/* Callbacks are serialized by the reader (serialize = true): the journal
 * writer's one connection is used by one worker at a time. */
static pgcdc_code on_rows(void *ud, const pgcdc_snapshot_rows *rows, pgcdc_error *err)
{
    snap_ctx *s = ud;
    pl_table *t = rows->chunk.table_userdata;
    pgcdc_code rc;
    if (s->x->tick && (rc = pgcdc_stream_tick(s->x->tick, err)) != PGCDC_OK)
        return rc; /* the stream waiting meanwhile was lost: the attempt ends */
    if (stopping(s->x))
        pgcdc_snapshot_reader_stop(s->reader); /* chunks in flight end; the rest resumes next run */
    if (!t->registered || rows->chunk.worker < 0 || rows->chunk.worker >= s->nworkers)
        return PGCDC_OK;
    snap_worker *w = &s->w[rows->chunk.worker];
    if (w->table != t || w->chunk != rows->chunk.range->id) {
        w->table = t; /* a new chunk */
        w->chunk = rows->chunk.range->id;
        w->open = false;
        w->next_row = 0;
    }
    if (w->open) {
        rc = pgcdc_batch_append_snapshot_rows(w->b, rows->rows, rows->nrows, err);
    } else {
        pgcdc_batch_builder_reset(w->b);
        pgcdc_snapshot_chunk c = {
            .nspname = t->schema, .relname = t->name, .ncolumns = (int)t->ncols, .columns = t->pcols,
            .chunk_id = rows->chunk.range->id, .chunk_start = rows->chunk.range->lower,
            .chunk_end = rows->chunk.range->upper, .snapshot_lsn = s->cp,
            .last_chunk = rows->chunk.range->id + 1 == rows->chunk.nranges, .first_row = w->next_row};
        rc = pgcdc_batch_add_snapshot_rows(w->b, &c, rows->rows, rows->nrows, err);
        w->open = rc == PGCDC_OK;
    }
    if (rc == PGCDC_OK && pgcdc_batch_builder_bytes(w->b) >= pl_piece_bytes())
        rc = write_piece(s, w, t, err);
    return rc;
}

static void report(pl_ctx *x, pl_table *t, uint32_t nchunks, bool done, bool failed)
{
    const pgcdc_pipeline_run_options *o = x->opt;
    if (!o->progress)
        return;
    pgcdc_pipeline_progress p = {.table = t->key, .rows = t->rows_snapshotted, .bytes = t->snap_bytes,
                                 .rows_estimate = t->has_plan ? t->plan.est_rows : -1,
                                 .chunks_done = t->snap_chunks_done, .chunks_total = nchunks,
                                 .elapsed_s = pl_now() - t->snap_started, .done = done,
                                 .failed = failed};
    o->progress(o->progress_userdata, &p);
}

/* A table fails during its snapshot: the progress display ends its line. */
static pgcdc_code fail_table(pl_ctx *x, pl_table *t, const char *why, pgcdc_error *err)
{
    pgcdc_code rc = pl_fail(x, t, why, err);
    if (rc == PGCDC_OK && t->snap_started > 0)
        report(x, t, t->has_plan ? t->plan.nranges : 0, true, true);
    return rc;
}

/* The builder's rows in one journal write; with done, the chunk is recorded
 * as done in the same transaction (snapstate.c's hook). */
static pgcdc_code write_rows(snap_ctx *s, snap_worker *w, pl_table *t, bool done, pgcdc_error *err)
{
    pgcdc_batch *batch = NULL;
    pgcdc_code rc = pgcdc_batch_encode(w->b, &s->bytes, err);
    if (rc == PGCDC_OK)
        rc = pgcdc_batch_decode((const uint8_t *)s->bytes.data, s->bytes.len, &batch, err);
    pgcdc_journal_stats st;
    s->x->chunk_table = done ? t : NULL;
    s->x->chunk_id = w->chunk;
    s->x->chunk_lsn = s->cp;
    if (rc == PGCDC_OK)
        rc = pgcdc_journal_write(s->x->writer, batch, &st, err);
    s->x->chunk_table = NULL;
    pgcdc_batch_free(batch);
    w->next_row += pgcdc_batch_builder_snapshot_rows(w->b);
    pgcdc_batch_builder_reset(w->b);
    w->open = false;
    return rc;
}

/* A write the destination refused for this table's values fails the table
 * alone (the others are read on); anything else ends the run. */
static pgcdc_code write_failed(snap_ctx *s, pl_table *t, pgcdc_code rc, pgcdc_error *err)
{
    if (pl_is_write_table_failure(rc, err) && pgcdc_journal_failed_table(s->x->writer) == &t->mt) {
        /* this table's value: it fails alone, the others are read on */
        char why[sizeof t->message];
        pgcdc_text_copy(why, sizeof why, err ? err->message : "a value could not be written");
        return fail_table(s->x, t, why, err);
    }
    return rc;
}

/* A piece of a chunk too large for one write: its rows so far go to the
 * journal, the chunk is NOT recorded as done (a crash before its last piece
 * reads it again; the rows written meanwhile carry this snapshot's point and
 * are overridden by the next read's, like an unfinished chunk's). */
static pgcdc_code write_piece(snap_ctx *s, snap_worker *w, pl_table *t, pgcdc_error *err)
{
    pgcdc_code rc = write_rows(s, w, t, false, err);
    if (rc != PGCDC_OK)
        return write_failed(s, t, rc, err);
    pgcdc_crashpoint("snapshot-piece-written");
    return PGCDC_OK;
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
    if (!t->registered)
        return PGCDC_OK;
    if (!mine) {
        /* an empty chunk: no rows came, its record says it is done */
        pgcdc_batch_builder_reset(w->b);
        w->chunk = info->chunk.range->id;
        w->next_row = 0;
        w->open = false;
    }
    if (!w->open) {
        /* every row went out in pieces (or none came): the last write,
         * which records the chunk, carries an empty record */
        pgcdc_snapshot_chunk c = {
            .nspname = t->schema, .relname = t->name, .ncolumns = (int)t->ncols, .columns = t->pcols,
            .chunk_id = info->chunk.range->id, .chunk_start = info->chunk.range->lower,
            .chunk_end = info->chunk.range->upper, .snapshot_lsn = s->cp,
            .last_chunk = info->chunk.range->id + 1 == info->chunk.nranges, .first_row = w->next_row};
        pgcdc_batch_builder_reset(w->b);
        pgcdc_code rc = pgcdc_batch_add_snapshot_rows(w->b, &c, NULL, 0, err);
        if (rc != PGCDC_OK)
            return rc;
    }
    pgcdc_code rc = write_rows(s, w, t, true, err);
    if (rc == PGCDC_OK) {
        t->rows_snapshotted += (int64_t)info->rows;
        t->snap_bytes += (int64_t)info->bytes;
        t->snap_chunks_done++;
        report(s->x, t, info->chunk.nranges, false, false);
        pgcdc_crashpoint("snapshot-chunk-written");
        return PGCDC_OK;
    }
    return write_failed(s, t, rc, err);
}

pgcdc_code pl_snapshot_finish(pl_ctx *x, pl_table *t, pgcdc_lsn cp, bool initial, pgcdc_error *err)
{
    pgcdc_error e;
    pgcdc_code c = initial ? pl_merge_initial(x, t, (int64_t)cp, -1, PL_INCREMENTAL, &e)
                           : pl_merge(x, t, (int64_t)cp, -1, PL_INCREMENTAL, &e);
    if (c == PGCDC_OK)
        c = pl_snapstate_clear(x, t, &e);
    t->snap_waiting = false;
    if (c == PGCDC_OK) {
        report(x, t, t->has_plan ? t->plan.nranges : 0, true, false);
        pgcdc_log(PGCDC_LOG_INFO, "table %s.%s: %lld rows snapshotted", t->schema, t->name,
                  (long long)t->rows_snapshotted);
        return PGCDC_OK;
    }
    if (pl_ends_attempt(c, &e)) {
        if (err)
            *err = e;
        return c;
    }
    return fail_table(x, t, e.message, err);
}

/* The table's plan: the saved one when resuming (its done chunks are
 * skipped), else a new one, saved before any chunk is read. */
static pgcdc_code plan_table(pl_ctx *x, pl_table *t, pgcdc_lsn cp, bool resume, int nconn, pgcdc_error *err)
{
    bool found = false;
    pgcdc_code c = resume ? pl_snapstate_load(x, t, &found, err) : PGCDC_OK;
    if (c != PGCDC_OK || found) {
        if (found)
            pgcdc_log(PGCDC_LOG_INFO, "table %s.%s: resuming its snapshot, %u of %u chunks were read before",
                      t->schema, t->name, t->ndone, t->plan.nranges);
        return c;
    }
    free(t->done_chunks);
    t->done_chunks = NULL;
    t->ndone = 0;
    if (t->has_plan)
        pgcdc_snapshot_plan_free(&t->plan);
    t->has_plan = false;
    pgcdc_snapshot_plan_options po = {.key_column = t->key_column[0] ? t->key_column : NULL,
                                      .min_chunks = (uint32_t)nconn};
    c = pgcdc_snapshot_plan_create(x->src, t->schema, t->name, &po, &t->plan, err);
    if (c != PGCDC_OK)
        return c;
    t->has_plan = true;
    return pl_snapstate_begin(x, t, cp, err);
}

pgcdc_code pl_snapshot(pl_ctx *x, const char *snapshot_name, pgcdc_lsn cp, bool resume, pgcdc_error *err)
{
    int nconn = x->cfg->snapshot_connections > 0 ? x->cfg->snapshot_connections : 2;
    snap_ctx s = {.x = x, .cp = cp, .nworkers = nconn, .bytes = PGCDC_BUF_INIT};
    s.w = calloc((size_t)nconn, sizeof *s.w);
    if (!s.w)
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
    pgcdc_code rc = PGCDC_OK;
    for (int i = 0; i < nconn && rc == PGCDC_OK; i++)
        rc = pgcdc_batch_builder_new(x->dbname, &s.w[i].b, err);
    /* rows come in deliveries of at most half a piece (default 4 MiB), so a
     * piece is cut near its size */
    size_t piece = pl_piece_bytes();
    pgcdc_snapshot_options so = {.snapshot_name = snapshot_name, .connections = nconn, .serialize = true,
                                 .batch_bytes = piece < (8u << 20) ? piece / 2 : 0, .on_rows = on_rows,
                                 .on_chunk = on_chunk, .userdata = &s};
    pgcdc_snapshot_reader *r = NULL;
    if (rc == PGCDC_OK)
        rc = pgcdc_snapshot_reader_new(&x->cfg->source, &so, &r, err);
    s.reader = r;
    int queued = 0;
    for (size_t i = 0; i < x->ntables && rc == PGCDC_OK; i++) {
        pl_table *t = &x->tables[i];
        t->snap_index = -1;
        /* while streaming only the tables asking for it (not one read and
         * waiting for the stream: snap_waiting) */
        if (!t->registered || strcmp(t->state, PL_SNAPSHOT) != 0 || t->snap_waiting ||
            (x->tick && !t->needs_snapshot))
            continue;
        t->snap_started = 0;
        pgcdc_error e;
        pgcdc_code c = plan_table(x, t, cp, resume, nconn, &e);
        if (c != PGCDC_OK && pl_ends_attempt(c, &e)) {
            rc = c; /* the attempt ends, the table is not failed */
            if (err)
                *err = e;
            break;
        }
        if (c != PGCDC_OK) {
            if ((rc = fail_table(x, t, e.message, err)) != PGCDC_OK)
                break;
            continue;
        }
        t->snap_bytes = 0;
        t->snap_chunks_done = t->ndone;
        t->snap_started = pl_now();
        if (!resume || !t->ndone)
            t->rows_snapshotted = 0;
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
                                   binary ? PGCDC_COPY_BINARY : PGCDC_COPY_TEXT, &t->plan, t->done_chunks,
                                   t->ndone, t};
        if ((c = pgcdc_snapshot_reader_add(r, &st, &t->snap_index, &e)) != PGCDC_OK) {
            if ((rc = fail_table(x, t, e.message, err)) != PGCDC_OK)
                break;
            continue;
        }
        queued++;
    }
    if (rc == PGCDC_OK && queued > 0) {
        pgcdc_log(PGCDC_LOG_INFO, "snapshot of %d table(s) with %d connection(s)", queued, nconn);
        pgcdc_error e;
        pgcdc_code c = pgcdc_snapshot_reader_run(r, &e);
        bool stopped = c == PGCDC_ETIMEOUT && stopping(x);
        if (c != PGCDC_OK && !stopped && pl_ends_attempt(c, &e)) {
            rc = c; /* connection lost, snapshot gone: the finished chunks stay done, the rest next time */
            if (err)
                *err = e;
        }
        for (size_t i = 0; i < x->ntables && rc == PGCDC_OK; i++) {
            pl_table *t = &x->tables[i];
            if (t->snap_index < 0 || !t->registered)
                continue;
            c = pgcdc_snapshot_reader_table_status(r, t->snap_index, &e);
            if (c == PGCDC_ETIMEOUT && stopped) {
                pgcdc_log(PGCDC_LOG_INFO, "table %s.%s: snapshot stopped after %u of %u chunks; the next run "
                          "resumes it", t->schema, t->name, t->snap_chunks_done, t->plan.nranges);
                continue;
            }
            if (c == PGCDC_OK && x->tick) {
                /* read while streaming: the journal may hold rows older than
                 * cp (chunks of an interrupted attempt, resumed or not), and
                 * the changes to them up to cp are not all in it yet - so the
                 * stream must pass cp first (cdc.c); merging at once would
                 * mark those changes merged before they arrive */
                char l[PGCDC_LSN_STRLEN];
                t->snap_waiting = true;
                t->snap_lsn = cp;
                pgcdc_log(PGCDC_LOG_INFO, "table %s.%s: snapshot read; merged once the stream has passed %s",
                          t->schema, t->name, pgcdc_lsn_format(cp, l));
                continue;
            }
            if (c == PGCDC_OK) {
                /* the first snapshot after a new slot (no stream yet): each
                 * table's destination was created empty for it, its journal
                 * holds just these chunks - the initial-load INSERT applies */
                rc = pl_snapshot_finish(x, t, cp, !x->tick, err);
                continue;
            }
            if (pl_ends_attempt(c, &e)) {
                rc = c;
                if (err)
                    *err = e;
            } else {
                rc = fail_table(x, t, e.message, err);
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
