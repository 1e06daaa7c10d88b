/* reader.c - the change reader: stream -> decoder -> batch builder, cut
 * between transactions when a size is reached or the stream is quiet (like
 * the pipeline's cdc.c, without the journal: the host writes the batches and
 * confirms what it made durable). A transaction larger than the fragment
 * limit is cut into fragments (batches without a confirm position inside
 * it), so a batch - a FlowFile, a Java byte[] - stays bounded whatever the
 * transaction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pgcdc/log.h"
#include "pgcdc/slot.h"
#include "change_batch.pb-c.h"
#include "connector_internal.h"

#define IDLE_MS_DEFAULT 10000 /* a quiet stream's position is handed out this often */
#define FRAGMENT_BYTES_DEFAULT (64u << 20) /* NiFi's Max FlowFile Bytes default */

struct pgcdc_change_reader {
    pgcdc_connector_config *cfg;
    char slot[PGCDC_SLOT_NAME_MAX + 1];
    pgcdc_stream *stream;
    pgcdc_decoder *dec;
    pgcdc_batch_builder *b;
    uint32_t txns;           /* transactions completed in the builder */
    pgcdc_lsn first_lsn;     /* commit LSN of the first of them */
    pgcdc_lsn open_lsn;      /* commit LSN of the transaction open in the builder */
    size_t fragment_bytes;   /* an open transaction is cut above this; 0 never */
    pgcdc_lsn confirmed;     /* highest position the host confirmed */
    pgcdc_lsn handed_out;    /* confirm LSN of the last batch returned */
    int idle_ms;             /* position-only batches at most this often, 0 never */
    double last_idle;        /* when one was last handed out (or the reader opened) */
};

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int sink(void *ud, const pgcdc_event *ev, pgcdc_error *err)
{
    pgcdc_change_reader *r = ud;
    int rc = pgcdc_batch_sink(r->b, ev, err);
    if (rc == 0 && ev->kind == PGCDC_EV_BEGIN && ev->txn)
        r->open_lsn = ev->txn->commit_lsn;
    if (rc == 0 && ev->kind == PGCDC_EV_COMMIT && ev->txn) {
        if (r->txns == 0)
            r->first_lsn = ev->txn->commit_lsn;
        r->txns++;
    }
    return rc;
}

static pgcdc_code keep_alive(void *ud, pgcdc_error *err)
{
    return pgcdc_stream_tick(((pgcdc_change_reader *)ud)->stream, err);
}

void pgcdc_change_reader_close(pgcdc_change_reader *r)
{
    if (!r)
        return;
    if (r->stream)
        pgcdc_stream_close(r->stream);
    pgcdc_decoder_free(r->dec);
    pgcdc_batch_builder_free(r->b);
    pgcdc_connector_config_free(r->cfg);
    free(r);
}

/* The slot exists afterwards: created (its exported snapshot unused) when
 * missing and nothing was read from it before. */
static pgcdc_code ensure_slot(pgcdc_change_reader *r, pgcdc_lsn start, pgcdc_error *err)
{
    const pgcdc_source_config *sc = &r->cfg->pl.source;
    PGconn *c = NULL;
    pgcdc_code rc = pgcdc_source_connect(sc, true, &c, err);
    pgcdc_slot_info info;
    pgcdc_code look = rc == PGCDC_OK ? pgcdc_slot_lookup(c, r->slot, &info, err) : rc;
    if (look == PGCDC_ENOTFOUND && start != PGCDC_INVALID_LSN) {
        char l[PGCDC_LSN_STRLEN];
        rc = pgcdc_error_set(err, PGCDC_EGAP,
                             "replication slot %s does not exist although changes were read from it up to %s: "
                             "the changes since then are lost; snapshot the tables again (start over with "
                             "a new slot)", r->slot, pgcdc_lsn_format(start, l));
    } else if (look == PGCDC_ENOTFOUND) {
        pgcdc_slot_created created;
        rc = pgcdc_slot_create(c, r->slot, false, &created, err);
        if (rc == PGCDC_OK) {
            char l[PGCDC_LSN_STRLEN];
            pgcdc_log(PGCDC_LOG_INFO, "created replication slot %s at %s", r->slot,
                      pgcdc_lsn_format(created.consistent_point, l));
        }
    } else if (look == PGCDC_OK) {
        /* the CLI's rule (pipeline/run.c): a slot confirmed past the
         * position the host stored was advanced or recreated by someone
         * else, and the changes in between are lost */
        rc = pgcdc_slot_check_continuity(&info, start, err);
    } else {
        rc = look;
    }
    if (c)
        PQfinish(c);
    return rc;
}

pgcdc_code pgcdc_change_reader_open(const pgcdc_connector_config *cfg, const char *slot_name, pgcdc_lsn start_lsn,
                                    pgcdc_change_reader **out, pgcdc_error *err)
{
    *out = NULL;
    if (!slot_name || !pgcdc_slot_name_valid(slot_name))
        return pgcdc_error_set(err, PGCDC_EINVAL, "replication slot name '%s' is not valid: use 1 to 63 "
                               "characters of a-z, 0-9 and _", slot_name ? slot_name : "");
    pgcdc_change_reader *r = calloc(1, sizeof *r);
    if (!r)
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
    snprintf(r->slot, sizeof r->slot, "%s", slot_name);
    r->confirmed = start_lsn;
    r->handed_out = start_lsn;
    r->idle_ms = IDLE_MS_DEFAULT;
    r->fragment_bytes = FRAGMENT_BYTES_DEFAULT;
    r->last_idle = now_ms();
    pgcdc_code rc = pgcdc_connector_config_copy(cfg, &r->cfg, err);
    if (rc == PGCDC_OK)
        rc = pgcdc_connector_config_validate_source(r->cfg, err);
    if (rc == PGCDC_OK && !r->cfg->pl.source.publication)
        rc = pgcdc_error_set(err, PGCDC_EINVAL, "%s is not set: name the publication of the tables to replicate",
                             PGCDC_P_PUBLICATION);
    if (rc == PGCDC_OK)
        rc = ensure_slot(r, start_lsn, err);
    const char *db = rc == PGCDC_OK ? pgcdc_source_config_get(&r->cfg->pl.source, "dbname") : NULL;
    if (rc == PGCDC_OK)
        rc = pgcdc_batch_builder_new(db, &r->b, err);
    /* No in-progress streaming: a streamed transaction is released by the
     * decoder in one call at its commit, which a poll cannot interrupt to
     * hand out a fragment; sent at commit, every change is a message of its
     * own (the server spills large transactions to its disk meanwhile). */
    pgcdc_stream_options so = {.slot_name = r->slot, .publication_names = r->cfg->pl.source.publication,
                               .start_lsn = start_lsn, .no_streaming = true};
    if (rc == PGCDC_OK)
        rc = pgcdc_stream_open(&r->cfg->pl.source, &so, &r->stream, err);
    if (rc == PGCDC_OK) {
        pgcdc_decoder_options dopt = {.progress = keep_alive, .progress_userdata = r};
        dopt.proto_version = pgcdc_stream_proto_version(r->stream);
        dopt.stream_abort_has_lsn = dopt.proto_version >= 4;
        rc = pgcdc_decoder_new(&dopt, sink, r, &r->dec, err);
    }
    if (rc != PGCDC_OK) {
        pgcdc_change_reader_close(r);
        return rc;
    }
    *out = r;
    return PGCDC_OK;
}

/* Something complete to hand out: transactions with records, or (without
 * records) a position past what was handed out, e.g. empty transactions. */
static bool have_complete(const pgcdc_change_reader *r)
{
    if (pgcdc_batch_builder_in_transaction(r->b))
        return false;
    return pgcdc_batch_builder_records(r->b) > 0;
}

void pgcdc_change_reader_set_idle_interval(pgcdc_change_reader *r, int ms)
{
    r->idle_ms = ms < 0 ? 0 : ms;
}

/* A quiet stream (nothing pending, gathered or open; changes of tables not
 * published, an idle database) still has a position the destination must
 * reach: a snapshot is finished only once the durable position passed its
 * consistent point, and a slot confirmed past the destination's position
 * would look like a gap. Everything the server has sent up to its WAL end is
 * dealt with, so that position goes out as a batch without records (like the
 * CLI's confirm_idle). The slot itself moves only with what the host
 * confirms: moving it further on its own (keepalive positions) would put it
 * past the position the host stored, which the continuity check at the next
 * open rightly takes for a gap. */
static bool idle_position(pgcdc_change_reader *r, pgcdc_buf *out, pgcdc_batch_info *info)
{
    if (r->idle_ms == 0 || now_ms() - r->last_idle < r->idle_ms || pgcdc_batch_builder_records(r->b) > 0 ||
        pgcdc_batch_builder_in_transaction(r->b) || pgcdc_decoder_in_transaction(r->dec) ||
        pgcdc_decoder_pending_transactions(r->dec) > 0)
        return false;
    pgcdc_lsn end = pgcdc_stream_server_wal_end(r->stream);
    pgcdc_lsn built = pgcdc_batch_builder_confirm_lsn(r->b);
    if (built > end)
        end = built;
    if (end <= r->handed_out || end <= r->confirmed)
        return false;
    Pgcdc__V1__ChangeBatch m = PGCDC__V1__CHANGE_BATCH__INIT;
    m.format_version = PGCDC_BATCH_FORMAT_VERSION;
    m.source_database = (char *)(pgcdc_source_config_get(&r->cfg->pl.source, "dbname")
                                     ? pgcdc_source_config_get(&r->cfg->pl.source, "dbname")
                                     : "");
    m.confirm_lsn = end;
    size_t len = pgcdc__v1__change_batch__get_packed_size(&m);
    pgcdc_buf_reset(out);
    if (pgcdc_buf_reserve(out, len + 1) != 0)
        return false;
    out->len = pgcdc__v1__change_batch__pack(&m, (uint8_t *)out->data);
    if (info) {
        info->first_lsn = 0;
        info->confirm_lsn = end;
        info->transactions = 0;
        info->changes = 0;
    }
    r->handed_out = end;
    r->last_idle = now_ms();
    pgcdc_batch_builder_reset(r->b);
    return true;
}

/* Hands out what the builder holds; split: the open transaction's changes
 * so far go too, as a fragment that continues in the next batch (confirm
 * LSN: the end of the last complete transaction before it, 0 if none). */
static pgcdc_code cut(pgcdc_change_reader *r, bool split, pgcdc_buf *out, pgcdc_batch_info *info, pgcdc_error *err)
{
    pgcdc_code rc = split ? pgcdc_batch_encode_split(r->b, out, err) : pgcdc_batch_encode(r->b, out, err);
    if (rc != PGCDC_OK)
        return rc;
    pgcdc_lsn confirm = pgcdc_batch_builder_confirm_lsn(r->b);
    if (info) {
        info->first_lsn = r->txns ? r->first_lsn : r->open_lsn;
        info->confirm_lsn = confirm;
        info->transactions = r->txns;
        info->changes = pgcdc_batch_builder_changes(r->b);
    }
    if (confirm > r->handed_out)
        r->handed_out = confirm;
    pgcdc_batch_builder_reset(r->b);
    r->txns = 0;
    r->first_lsn = 0;
    return PGCDC_OK;
}

pgcdc_code pgcdc_change_reader_poll(pgcdc_change_reader *r, int timeout_ms, size_t max_bytes, pgcdc_buf *out,
                                    pgcdc_batch_info *info, pgcdc_error *err)
{
    if (timeout_ms < 0)
        timeout_ms = 0;
    if (max_bytes == 0)
        max_bytes = 1;
    double deadline = now_ms() + timeout_ms;
    for (;;) {
        if (have_complete(r) && pgcdc_batch_builder_bytes(r->b) >= max_bytes)
            return cut(r, false, out, info, err);
        if (r->fragment_bytes && pgcdc_batch_builder_in_transaction(r->b) &&
            pgcdc_batch_builder_bytes(r->b) >= r->fragment_bytes)
            return cut(r, true, out, info, err);
        double left = deadline - now_ms();
        bool in_tx = pgcdc_batch_builder_in_transaction(r->b);
        if (left <= 0 && !in_tx) {
            if (have_complete(r))
                return cut(r, false, out, info, err);
            if (idle_position(r, out, info))
                return PGCDC_OK;
            /* one status update per poll at most, asking for a keepalive
             * when idle: its answer tells how far the server has sent */
            pgcdc_code s = r->idle_ms && now_ms() - r->last_idle >= r->idle_ms
                               ? pgcdc_stream_send_status(r->stream, true, err)
                               : pgcdc_stream_tick(r->stream, err);
            return s == PGCDC_OK ? pgcdc_error_set(err, PGCDC_ETIMEOUT, "no complete transaction within %d ms",
                                                   timeout_ms)
                                 : s;
        }
        /* a transaction being released is finished whatever the deadline:
         * a batch holds complete transactions only */
        int wait = in_tx ? 1000 : (left > 50 ? 50 : (int)left + 1);
        pgcdc_stream_msg msg;
        pgcdc_code rc = pgcdc_stream_read(r->stream, wait, &msg, err);
        if (rc == PGCDC_OK) {
            rc = pgcdc_decoder_feed(r->dec, msg.data, msg.len, msg.wal_start, err);
            if (rc != PGCDC_OK)
                return rc;
            continue;
        }
        if (rc != PGCDC_ETIMEOUT)
            return rc;
        /* quiet: what is complete goes out now rather than at the deadline */
        if (have_complete(r))
            return cut(r, false, out, info, err);
    }
}

void pgcdc_change_reader_set_fragment_bytes(pgcdc_change_reader *r, size_t bytes)
{
    r->fragment_bytes = bytes;
}

void pgcdc_change_reader_confirm(pgcdc_change_reader *r, pgcdc_lsn lsn)
{
    if (lsn <= r->confirmed)
        return;
    r->confirmed = lsn;
    pgcdc_stream_set_durable(r->stream, lsn, false);
}

pgcdc_lsn pgcdc_change_reader_confirmed(const pgcdc_change_reader *r)
{
    pgcdc_lsn s = pgcdc_stream_confirmed(r->stream);
    return s > r->confirmed ? s : r->confirmed;
}
