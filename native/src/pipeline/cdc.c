/* cdc.c - the change stream: stream -> decoder -> batch builder (cut between
 * transactions, by size or time) -> journal writer -> slot confirmed up to
 * what the write made durable -> MERGE (continuously or on the cron). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pgcdc/crashpoint.h"
#include "pgcdc/log.h"
#include "pipeline_internal.h"

#define BATCH_BYTES (8u << 20)   /* cut a batch above this size ... */
#define PIECE_BYTES (8u << 20)   /* write an open transaction's changes so far above this size */
#define BATCH_MS 200             /* ... or when its oldest record waited this long */
#define REFRESH_S 3.0            /* Included Table Regex: look for new tables this often */
#define IDLE_CONFIRM_S 10.0      /* a quiet stream's position is saved and confirmed this often */

typedef struct cdc {
    pl_ctx *x;
    pgcdc_stream *stream;
    pgcdc_decoder *dec;
    pgcdc_batch_builder *b;
    pgcdc_buf bytes;
    pl_table *last;              /* lookup cache */
    bool dirty;                  /* journal rows not merged yet */
    double first_pending;        /* when the builder got its first record, 0 none */
    int64_t next_merge;          /* cron: next fire time (unix seconds) */
    bool restart;                /* the sink asked for a stream restart (schema change) */
    pgcdc_code restart_rc;       /* what applying the change returned */
    bool flush_each_commit;      /* until the pending schema change is reached again */
    int restarts;                /* stream restarts since something was last written */
    double last_idle_confirm;
    size_t fragment_bytes;       /* pl_piece_bytes() */
    uint64_t fragments;          /* fragments of open transactions written */
} cdc;

static pgcdc_code finish_one(pl_ctx *x, pl_table *t, pgcdc_error *err);
static pgcdc_code write_fragment(cdc *c, pgcdc_error *err);

static pl_table *find(cdc *c, const char *schema, const char *name)
{
    if (c->last && !strcmp(c->last->name, name) && !strcmp(c->last->schema, schema))
        return c->last;
    for (size_t i = 0; i < c->x->ntables; i++) {
        pl_table *t = &c->x->tables[i];
        if (!strcmp(t->name, name) && !strcmp(t->schema, schema))
            return c->last = t;
    }
    return NULL;
}

/* A changed shape (rel) or a renamed table (rel NULL) of t, seen inside the
 * stream. Everything before it must be written and merged first, but the
 * builder may hold written-later complete transactions plus the open one,
 * which cannot be cut. So the stream is restarted from the durable position:
 * first (if complete transactions are unwritten) with a flush after every
 * commit, so that when the change comes again nothing before it is
 * unwritten; then the change is applied and the stream restarted again, the
 * fresh decoder announcing the new shape, which now matches. */
static pgcdc_code flush_and_restart(cdc *c, pl_table *t, const pgcdc_relation *rel, uint32_t xid, pgcdc_error *err)
{
    pl_ctx *x = c->x;
    c->restart = true;
    if (++c->restarts > 5) {
        /* never expected: the shape seen again does not match what was applied */
        c->flush_each_commit = false;
        c->restart_rc = pl_fail(x, t, "the table's columns changed on the source in a way the runner could not "
                                "follow (the new shape did not match after applying it): restart the table", err);
        return c->restart_rc;
    }
    if (pgcdc_batch_builder_confirm_lsn(c->b) > x->durable && !c->flush_each_commit) {
        c->flush_each_commit = true;
        return PGCDC_OK;
    }
    c->flush_each_commit = false;
    if (!rel) {
        pgcdc_error e;
        pgcdc_code rc = pl_merge(x, t, (int64_t)x->durable - 1, INT64_MAX, NULL, &e);
        if (pl_ends_attempt(rc, &e)) {
            c->restart_rc = rc;
            if (err)
                *err = e;
            return rc;
        }
        c->restart_rc = pl_fail(x, t, "the table was renamed on the source while replicating; renaming a "
                                "replicated table is not supported: restart the table under its new name (include "
                                "it, drop the old destination table if it is not wanted)", err);
        return c->restart_rc;
    }
    pgcdc_code rc = PGCDC_OK;
    if (t->snap_waiting) {
        /* its snapshot was read at a point this transaction commits after,
         * and every transaction before this one is written: the snapshot is
         * merged first, with the shape it was read in */
        rc = finish_one(x, t, err);
        if (rc != PGCDC_OK || strcmp(t->state, PL_INCREMENTAL) != 0) {
            if (rc != PGCDC_OK)
                c->restart_rc = rc;
            return rc;
        }
    }
    rc = pl_shape_remember(t, xid, err);
    if (rc == PGCDC_OK)
        rc = pl_schema_change(x, t, rel, err);
    if (rc != PGCDC_OK)
        c->restart_rc = rc;
    return rc;
}

/* Forwards the events of replicating tables to the batch builder; changes of
 * other tables (not included, FAILED) are dropped here, so the writer never
 * sees a table it does not know. */
static int sink(void *ud, const pgcdc_event *ev, pgcdc_error *err)
{
    cdc *c = ud;
    switch (ev->kind) {
    case PGCDC_EV_RELATION:
    case PGCDC_EV_INSERT:
    case PGCDC_EV_UPDATE:
    case PGCDC_EV_DELETE: {
        if (ev->kind == PGCDC_EV_RELATION && ev->diff && ev->diff->table_renamed && ev->diff->old_rel) {
            pl_table *o = find(c, ev->diff->old_rel->nspname, ev->diff->old_rel->relname);
            if (o && o->registered) {
                flush_and_restart(c, o, NULL, 0, err);
                return -1;
            }
        }
        pl_table *t = find(c, ev->rel->nspname, ev->rel->relname);
        if (!t || !t->registered)
            return 0;
        if (ev->kind == PGCDC_EV_RELATION && !pl_relation_matches(c->x, t, ev->rel)) {
            uint32_t xid = ev->txn ? ev->txn->xid : 0;
            /* the rows before the DDL of the transaction that changed the
             * table: their shape is the one before the change (the journal
             * maps their values by name: added columns NULL) */
            if (ev->txn && pl_relation_matches_prev(c->x, t, ev->rel, xid))
                break;
            /* a table whose snapshot point is ahead: rows of a transaction
             * before it are overridden by the snapshot rows, whatever their
             * shape (mapped by name meanwhile) */
            if (!strcmp(t->state, PL_SNAPSHOT) &&
                (t->needs_snapshot || (t->snap_waiting && ev->txn && ev->txn->commit_lsn < t->snap_lsn)))
                break;
            /* a schema change: handled between transactions (see schema.c) */
            flush_and_restart(c, t, ev->rel, xid, err);
            return -1;
        }
        break;
    }
    case PGCDC_EV_TRUNCATE:
        for (int i = 0; i < ev->nrelations; i++) {
            pl_table *t = find(c, ev->relations[i]->nspname, ev->relations[i]->relname);
            if (t && t->registered)
                pgcdc_log(PGCDC_LOG_WARN, "TRUNCATE of %s.%s is not propagated to the destination",
                          t->schema, t->name);
        }
        return 0;
    default:
        break;
    }
    if (c->first_pending == 0)
        c->first_pending = pl_now();
    if (ev->kind == PGCDC_EV_INSERT || ev->kind == PGCDC_EV_UPDATE || ev->kind == PGCDC_EV_DELETE)
        pgcdc_crashpoint("mid-transaction");
    int rc = pgcdc_batch_sink(c->b, ev, err);
    if (rc == 0 && pgcdc_batch_builder_in_transaction(c->b) &&
        pgcdc_batch_builder_bytes(c->b) >= c->fragment_bytes)
        rc = write_fragment(c, err) == PGCDC_OK ? 0 : -1;
    return rc;
}

static pgcdc_code keep_alive(void *ud, pgcdc_error *err)
{
    return pgcdc_stream_tick(((cdc *)ud)->stream, err);
}

/* Writes what the builder holds - split: an open transaction's changes so
 * far as a fragment that continues - into the journal, and confirms the
 * slot up to the position the write made durable (the end of the last
 * complete transaction in it: never inside the open one). A table that fails
 * the write fails alone and the batch is written again for the others. */
static pgcdc_code write_batch(cdc *c, bool split, pgcdc_error *err)
{
    pl_ctx *x = c->x;
    pgcdc_code rc = split ? pgcdc_batch_encode_split(c->b, &c->bytes, err) : pgcdc_batch_encode(c->b, &c->bytes, err);
    pgcdc_batch *batch = NULL;
    if (rc == PGCDC_OK)
        rc = pgcdc_batch_decode((const uint8_t *)c->bytes.data, c->bytes.len, &batch, err);
    pgcdc_journal_stats st = {0};
    for (size_t tries = 0; rc == PGCDC_OK; tries++) {
        pgcdc_error e;
        pgcdc_code w = pgcdc_journal_write(x->writer, batch, &st, &e);
        const pgcdc_merge_table *bad = pgcdc_journal_failed_table(x->writer);
        if (w != PGCDC_OK && pl_is_write_table_failure(w, &e) && bad && tries <= x->ntables) {
            /* that table fails alone; the batch is written again for the
             * others - unless its FAILED state cannot be recorded: then the
             * attempt ends with nothing of the batch written or confirmed */
            for (size_t i = 0; i < x->ntables && rc == PGCDC_OK; i++)
                if (&x->tables[i].mt == bad)
                    rc = pl_fail(x, &x->tables[i], e.message, err);
            continue;
        }
        if (w != PGCDC_OK && err)
            *err = e;
        rc = w;
        break;
    }
    pgcdc_batch_free(batch);
    if (rc != PGCDC_OK)
        return rc;
    pgcdc_crashpoint(split ? "fragment-written" : "journal-written");
    pgcdc_batch_builder_reset(c->b);
    c->first_pending = 0;
    if (st.confirm_lsn > x->durable)
        x->durable = st.confirm_lsn;
    pgcdc_stream_set_durable(c->stream, x->durable, false);
    if (st.rows > 0)
        c->dirty = true;
    return PGCDC_OK;
}

/* Writes what the builder holds (between transactions only). */
static pgcdc_code flush(cdc *c, pgcdc_error *err)
{
    pl_ctx *x = c->x;
    if (pgcdc_batch_builder_in_transaction(c->b))
        return PGCDC_OK;
    pgcdc_lsn confirm = pgcdc_batch_builder_confirm_lsn(c->b);
    if (pgcdc_batch_builder_records(c->b) == 0 && confirm <= x->durable) {
        pgcdc_batch_builder_reset(c->b);
        c->first_pending = 0;
        return PGCDC_OK;
    }
    pgcdc_code rc = write_batch(c, false, err);
    if (rc == PGCDC_OK)
        c->restarts = 0;
    return rc;
}

size_t pl_piece_bytes(void)
{
    /* tests: many pieces from a small transaction or chunk */
    const char *v = getenv("PGCDC_PIECE_BYTES");
    return v && atol(v) > 0 ? (size_t)atol(v) : PIECE_BYTES;
}

/* A transaction larger than pl_piece_bytes() (called from the sink, inside
 * it - a streamed one is being released from the decoder's spill files):
 * its changes so far go to the journal as a fragment, with the complete
 * transactions before it, so that memory holds one fragment and not the
 * transaction. Nothing is confirmed inside it: its rows carry its commit
 * LSN, at or above the durable position, so no merge (bound: durable - 1)
 * takes them before its last fragment is written with its end as the new
 * durable position. After a crash the stream starts again at the durable
 * position, before the transaction, and its fragments are written again
 * with the same (LSN, SEQ): the merge counts each once. */
static pgcdc_code write_fragment(cdc *c, pgcdc_error *err)
{
    pgcdc_code rc = write_batch(c, true, err);
    if (rc == PGCDC_OK && ++c->fragments % 64 == 1)
        pgcdc_log(PGCDC_LOG_INFO, "a large transaction is written to the journal in fragments as it comes "
                  "(%llu fragments so far)", (unsigned long long)c->fragments);
    return rc;
}

static pgcdc_code maybe_merge(cdc *c, bool force, pgcdc_error *err)
{
    if (!c->dirty)
        return PGCDC_OK;
    if (!force && !c->x->continuous) {
        int64_t now = (int64_t)time(NULL);
        if (now < c->next_merge)
            return PGCDC_OK;
        int64_t next;
        c->next_merge = pgcdc_cron_next(c->x->cron, now, &next) == PGCDC_OK ? next : INT64_MAX;
    }
    pgcdc_code rc = pl_merge_all(c->x, err);
    if (rc == PGCDC_OK)
        c->dirty = false;
    return rc;
}

/* The catch-up target. pg_current_wal_insert_lsn(), not pg_current_wal_lsn():
 * the latter is the write pointer, which can lag commits already
 * acknowledged under synchronous_commit = off (inserted, not yet written);
 * the flush pointer lags even more. Every acknowledged commit ends at or
 * before the insert position. */
static pgcdc_code source_wal_lsn(pl_ctx *x, pgcdc_lsn *out, pgcdc_error *err)
{
    PGresult *r = PQexec(x->src, "SELECT pg_current_wal_insert_lsn()");
    pgcdc_code rc = PGCDC_OK;
    if (PQresultStatus(r) != PGRES_TUPLES_OK || pgcdc_lsn_parse(PQgetvalue(r, 0, 0), out) != 0) {
        char msg[600];
        snprintf(msg, sizeof msg, "%s", PQerrorMessage(x->src));
        pgcdc_source_flatten_message(msg);
        rc = pgcdc_error_set(err, PGCDC_ECONNECT, "source: reading pg_current_wal_insert_lsn(): %s", msg);
    }
    PQclear(r);
    return rc;
}

static void close_stream(cdc *c)
{
    c->x->live = NULL;
    if (c->stream)
        pgcdc_stream_close(c->stream);
    pgcdc_decoder_free(c->dec);
    pgcdc_batch_builder_free(c->b);
    c->stream = NULL;
    c->dec = NULL;
    c->b = NULL;
    c->first_pending = 0;
    c->last = NULL;
}

/* (Re)opens the stream at the durable position with a fresh decoder and
 * builder: what was not written is sent again. */
static pgcdc_code open_stream(cdc *c, pgcdc_error *err)
{
    pl_ctx *x = c->x;
    pgcdc_stream_options so = {.slot_name = x->slot, .publication_names = x->cfg->source.publication,
                               .start_lsn = x->durable};
    pgcdc_code rc = pgcdc_batch_builder_new(x->dbname, &c->b, err);
    if (rc == PGCDC_OK)
        rc = pgcdc_stream_open(&x->cfg->source, &so, &c->stream, err);
    pgcdc_decoder_options dopt = {.progress = keep_alive, .progress_userdata = c};
    if (rc == PGCDC_OK) {
        dopt.proto_version = pgcdc_stream_proto_version(c->stream);
        dopt.stream_abort_has_lsn = dopt.proto_version >= 4;
        rc = pgcdc_decoder_new(&dopt, sink, c, &c->dec, err);
    }
    if (rc == PGCDC_OK)
        x->live = c->stream; /* merges keep it alive (merge.c) */
    return rc;
}

/* Snapshots of tables that start while streaming (online.c), the stream
 * kept alive meanwhile. */
static pgcdc_code snapshot_online(cdc *c, pgcdc_error *err)
{
    c->x->tick = c->stream;
    pgcdc_code rc = pl_snapshot_online(c->x, err);
    c->x->tick = NULL;
    return rc;
}

/* With Included Table Regex, tables created (or published) later that match
 * are picked up: every REFRESH_S, right after a flush (nothing unwritten,
 * between transactions), the selection is resolved again; new tables are
 * created and registered, the stream restarts from the durable position (its
 * fresh decoder announces every table's shape), and they are snapshotted. */
static pgcdc_code maybe_refresh(cdc *c, pgcdc_error *err)
{
    pl_ctx *x = c->x;
    if (!x->cfg->table_regex || x->fix_repl || pl_now() < x->next_refresh || c->flush_each_commit ||
        pgcdc_batch_builder_in_transaction(c->b) || pgcdc_batch_builder_records(c->b) > 0)
        return PGCDC_OK;
    x->next_refresh = pl_now() + REFRESH_S;
    int added = 0;
    pgcdc_code rc = pl_tables_refresh(x, &added, err);
    c->last = NULL; /* the tables may have moved (pl_table_append), even with none added */
    if (rc != PGCDC_OK || added == 0)
        return rc;
    close_stream(c);
    rc = open_stream(c, err);
    if (rc == PGCDC_OK && pl_snapshot_pending(x))
        rc = snapshot_online(c, err);
    return rc;
}

/* --until-caught-up: is every transaction that committed before the target
 * written? Either a commit ending at or after the target was written (commits
 * arrive in commit order, so all earlier ones were written before it: a
 * transaction still open, streamed or not, committed after the target and
 * does not hold the run), or - quiet - the server has sent WAL past the
 * target and nothing complete is left unwritten. */
static bool caught_up(cdc *c, pgcdc_lsn target, bool quiet)
{
    if (!target)
        return false;
    if (c->x->durable >= target)
        return true;
    if (!quiet)
        return false;
    bool idle = !pgcdc_decoder_in_transaction(c->dec) && pgcdc_decoder_pending_transactions(c->dec) == 0 &&
                pgcdc_batch_builder_records(c->b) == 0;
    return idle && pgcdc_stream_server_wal_end(c->stream) >= target;
}

/* A quiet stream whose changes are all filtered out (tables not included,
 * not published, an idle database) would otherwise pin WAL behind the last
 * written transaction forever. With nothing held - no transaction open or
 * pending in the decoder, nothing unwritten - everything the server has sent
 * up to its reported WAL end is dealt with, so that position is saved as the
 * durable one FIRST (the restart resumes from it, and the continuity check
 * accepts the slot) and then confirmed. */
static pgcdc_code confirm_idle(cdc *c, pgcdc_error *err)
{
    pl_ctx *x = c->x;
    if (pl_now() - c->last_idle_confirm < IDLE_CONFIRM_S || pgcdc_decoder_in_transaction(c->dec) ||
        pgcdc_decoder_pending_transactions(c->dec) > 0 || pgcdc_batch_builder_records(c->b) > 0 ||
        pgcdc_batch_builder_in_transaction(c->b) || c->flush_each_commit)
        return PGCDC_OK;
    c->last_idle_confirm = pl_now();
    pgcdc_lsn end = pgcdc_stream_server_wal_end(c->stream);
    if (end <= x->durable)
        return PGCDC_OK;
    pgcdc_code rc = pl_source_state_upsert(x, end, err);
    if (rc != PGCDC_OK)
        return rc;
    x->durable = end;
    pgcdc_stream_set_durable(c->stream, end, false);
    return PGCDC_OK;
}

/* A snapshot read while streaming, once every change before its point is
 * written: the rows that moved into finished chunks read again (a resumed
 * snapshot, fixup.c), then the merge into INCREMENTAL_REPLICATION. A
 * permanent failure fails the table alone. */
static pgcdc_code finish_one(pl_ctx *x, pl_table *t, pgcdc_error *err)
{
    /* (fix_repl is set whenever a table needs a fixup: online.c) */
    if (t->needs_fixup && x->fix_repl) {
        pgcdc_error e;
        pgcdc_code f = pl_snapshot_fixup(x, t, &e);
        if (f != PGCDC_OK && pl_ends_attempt(f, &e)) {
            if (err)
                *err = e;
            return f;
        }
        if (f != PGCDC_OK) {
            t->snap_waiting = false;
            return pl_fail(x, t, e.message, err);
        }
    }
    return pl_snapshot_finish(x, t, t->snap_lsn, false, err);
}

/* A table still to snapshot, or read and waiting for the stream: the run
 * is not caught up while one exists. */
static bool snapshots_open(const pl_ctx *x)
{
    for (size_t i = 0; i < x->ntables; i++)
        if (x->tables[i].registered && (x->tables[i].snap_waiting || x->tables[i].needs_snapshot))
            return true;
    return false;
}

/* Snapshots read while streaming, waiting for the stream to pass their point
 * (snapshot.c). */
static pgcdc_code finish_waiting(cdc *c, bool quiet, pgcdc_error *err)
{
    pgcdc_code rc = PGCDC_OK;
    for (size_t i = 0; i < c->x->ntables && rc == PGCDC_OK; i++) {
        pl_table *t = &c->x->tables[i];
        if (t->snap_waiting && t->registered && caught_up(c, t->snap_lsn, quiet))
            rc = finish_one(c->x, t, err);
    }
    bool fixups = false;
    for (size_t i = 0; i < c->x->ntables; i++)
        fixups |= c->x->tables[i].needs_fixup && c->x->tables[i].snap_waiting;
    if (c->x->fix_repl && !fixups) {
        PQfinish(c->x->fix_repl); /* drops its temporary slot */
        c->x->fix_repl = NULL;
    }
    return rc;
}

pgcdc_code pl_stream(pl_ctx *x, pgcdc_error *err)
{
    /* dirty from the start: rows written by an earlier run (killed before its
     * merge, or with a cron that had not fired) must be merged too */
    cdc c = {.x = x, .bytes = PGCDC_BUF_INIT, .dirty = true, .last_idle_confirm = pl_now(),
             .fragment_bytes = pl_piece_bytes()};
    pgcdc_code rc = open_stream(&c, err);
    if (rc == PGCDC_OK && pl_snapshot_pending(x))
        rc = snapshot_online(&c, err); /* resumed or new tables: before anything is read */
    x->next_refresh = pl_now() + REFRESH_S;
    if (rc == PGCDC_OK && !x->continuous) {
        int64_t next;
        c.next_merge = pgcdc_cron_next(x->cron, (int64_t)time(NULL), &next) == PGCDC_OK ? next : INT64_MAX;
    }
    pgcdc_lsn target = PGCDC_INVALID_LSN;
    if (rc == PGCDC_OK && x->opt->until_caught_up)
        rc = source_wal_lsn(x, &target, err);
    if (rc == PGCDC_OK) {
        char a[PGCDC_LSN_STRLEN], b[PGCDC_LSN_STRLEN];
        pgcdc_log(PGCDC_LOG_INFO, "streaming changes from slot %s at %s%s%s", x->slot,
                  pgcdc_lsn_format(x->durable, a), target ? ", until caught up with " : "",
                  target ? pgcdc_lsn_format(target, b) : "");
    }
    double last_ask = 0;
    while (rc == PGCDC_OK && !(x->opt->stop && *x->opt->stop)) {
        pgcdc_stream_msg msg;
        pgcdc_code r = pgcdc_stream_read(c.stream, 100, &msg, err);
        if (r == PGCDC_OK) {
            rc = pgcdc_decoder_feed(c.dec, msg.data, msg.len, msg.wal_start, err);
            if (c.restart) {
                /* a schema change: the stream starts again at the durable position */
                c.restart = false;
                rc = c.restart_rc;
                c.restart_rc = PGCDC_OK;
                close_stream(&c);
                if (rc == PGCDC_OK) {
                    char a[PGCDC_LSN_STRLEN];
                    pgcdc_log(PGCDC_LOG_INFO, "schema change: streaming again from %s",
                              pgcdc_lsn_format(x->durable, a));
                    rc = open_stream(&c, err);
                }
                continue;
            }
            if (rc != PGCDC_OK)
                break;
            if (!pgcdc_batch_builder_in_transaction(c.b) &&
                ((c.flush_each_commit && pgcdc_batch_builder_confirm_lsn(c.b) > x->durable) ||
                 pgcdc_batch_builder_bytes(c.b) >= BATCH_BYTES ||
                 (c.first_pending > 0 && (pl_now() - c.first_pending) * 1000 >= BATCH_MS))) {
                if ((rc = flush(&c, err)) == PGCDC_OK)
                    rc = maybe_merge(&c, false, err);
                if (rc == PGCDC_OK)
                    rc = maybe_refresh(&c, err);
                if (rc == PGCDC_OK)
                    rc = finish_waiting(&c, false, err);
                if (rc == PGCDC_OK && caught_up(&c, target, false) && !snapshots_open(x)) {
                    rc = maybe_merge(&c, true, err);
                    break;
                }
            }
            continue;
        }
        if (r != PGCDC_ETIMEOUT) {
            rc = r;
            break;
        }
        /* quiet: write what is complete, merge if due */
        if ((rc = flush(&c, err)) != PGCDC_OK || (rc = maybe_merge(&c, false, err)) != PGCDC_OK ||
            (rc = maybe_refresh(&c, err)) != PGCDC_OK || (rc = finish_waiting(&c, true, err)) != PGCDC_OK ||
            (rc = confirm_idle(&c, err)) != PGCDC_OK)
            break;
        if (!target)
            continue;
        if (caught_up(&c, target, true) && !snapshots_open(x)) {
            /* everything committed before the target was received and written */
            rc = maybe_merge(&c, true, err);
            break;
        }
        if (pl_now() - last_ask >= 0.25) {
            /* a keepalive answer tells how far the server has sent */
            last_ask = pl_now();
            rc = pgcdc_stream_send_status(c.stream, true, err);
        }
    }
    if (rc == PGCDC_OK && x->opt->stop && *x->opt->stop) {
        pgcdc_log(PGCDC_LOG_INFO, "stopping: writing what is complete");
        if ((rc = flush(&c, err)) == PGCDC_OK)
            rc = maybe_merge(&c, x->continuous, err);
    }
    close_stream(&c);
    pgcdc_buf_free(&c.bytes);
    return rc;
}
