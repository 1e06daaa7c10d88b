/* stream.c - the logical replication stream: START_REPLICATION with the
 * highest pgoutput protocol the server speaks, XLogData out to the caller,
 * standby status updates back to the server.
 *
 * The feedback loop follows pg_recvlogical: the socket is read
 * asynchronously (PQgetCopyData async + poll), and every pgcdc_stream_read
 * first checks the status timer, so a caller that decodes a huge transaction
 * message by message still reports to the server on time and the walsender
 * does not drop us after wal_sender_timeout.
 *
 * Positions (all monotonic):
 *   durable   what the caller declared durably applied (set_durable)
 *   idle_lsn  a keepalive's WAL end, usable as flush only while the caller
 *             has declared everything durable and no XLogData arrived since
 *   sent_flush the flush last sent; starts at the slot's confirmed position
 *             so we never send a lower one (servers before 17 would move
 *             confirmed_flush_lsn backwards)
 * Why the keepalive's WAL end is safe when nothing is in flight: the
 * walsender sends a transaction when it decodes its commit, and sends
 * everything before a keepalive ahead of it on the wire; so every
 * transaction committed below that position has been received, and the
 * caller says all of those are durable. PostgreSQL's own apply worker does
 * the same when it has no pending transaction. */
#include "pgcdc/stream.h"
#include "pgcdc/crashpoint.h"
#include "pgcdc/slot.h"
#include "pgcdc/log.h"
#include "pgcdc/secret.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_STATUS_INTERVAL_MS 10000
#define HEARTBEAT_STATEMENT_TIMEOUT "5s"
#define CLOSE_DRAIN_MS 2000

#define XLOGDATA_HEADER 25  /* 'w', dataStart, walEnd, sendTime */
#define KEEPALIVE_SIZE 18   /* 'k', walEnd, sendTime, replyRequested */
#define STATUS_SIZE 34      /* 'r', write, flush, apply, sendTime, replyRequested */

struct pgcdc_stream {
    PGconn *conn;
    PGconn *hb_conn;            /* heartbeat side connection, opened lazily */
    pgcdc_source_config cfg;    /* own copy: the heartbeat reconnects with it */
    char slot[PGCDC_SLOT_NAME_MAX + 1];
    int server_major;
    int proto_version;
    bool streaming;
    int status_interval_ms;
    int heartbeat_interval_ms;

    char *copybuf;              /* the message handed out by the last read */
    bool in_copy;               /* START_REPLICATION succeeded: COPY BOTH mode */
    bool broken;                /* lost or failed: every call says so */
    pgcdc_code broken_code;
    char broken_msg[PGCDC_ERROR_MAX];

    pgcdc_lsn durable;
    bool idle_ok;
    pgcdc_lsn idle_lsn;
    pgcdc_lsn last_keepalive_end;
    pgcdc_lsn received;         /* highest XLogData position */
    pgcdc_lsn server_wal_end;   /* highest WAL end of XLogData or keepalive */
    pgcdc_lsn sent_flush;

    int64_t last_status_us;     /* monotonic clock */
    int64_t last_data_us;
    int64_t last_heartbeat_us;
};

/* ---- time and wire helpers ---- */

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t pg_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return pgcdc_unix_us_to_pgtime((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
}

static uint64_t get_u64(const char *p)
{
    const unsigned char *u = (const unsigned char *)p;
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | u[i];
    return v;
}

static void put_u64(char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (char)(v & 0xff);
        v >>= 8;
    }
}

int pgcdc_proto_version_for_server(int server_major)
{
    if (server_major >= 16)
        return 4;
    if (server_major == 15)
        return 3;
    if (server_major == 14)
        return 2;
    if (server_major >= 10)
        return 1;
    return 0;
}

/* ---- configuration copy (the heartbeat connection outlives the caller's cfg) ---- */

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void cfg_free(pgcdc_source_config *c)
{
    for (int i = 0; i < c->nparams; i++) {
        pgcdc_secret_free(c->values[i]); /* password, sslpassword... */
        free(c->keys[i]);
    }
    free(c->username);
    pgcdc_secret_free(c->password);
    free(c->publication);
    free(c->slot_name);
    memset(c, 0, sizeof *c);
}

static int cfg_copy(pgcdc_source_config *dst, const pgcdc_source_config *src)
{
    memset(dst, 0, sizeof *dst);
    int n = src->nparams < 0 ? 0 : src->nparams > PGCDC_MAX_CONN_PARAMS ? PGCDC_MAX_CONN_PARAMS : src->nparams;
    for (int i = 0; i < n; i++) {
        dst->keys[i] = dup_or_null(src->keys[i]);
        dst->values[i] = dup_or_null(src->values[i]);
        dst->nparams = i + 1;
        if ((src->keys[i] && !dst->keys[i]) || (src->values[i] && !dst->values[i]))
            return -1;
    }
    dst->username = dup_or_null(src->username);
    dst->password = dup_or_null(src->password);
    if ((src->username && !dst->username) || (src->password && !dst->password))
        return -1;
    return 0;
}

/* ---- failure bookkeeping ---- */

/* Marks the stream unusable and fills err; later calls repeat the verdict. */
static pgcdc_code fail(pgcdc_stream *s, pgcdc_error *err, pgcdc_code code, const char *fmt, const char *detail)
{
    s->broken = true;
    s->broken_code = code;
    char lsn[PGCDC_LSN_STRLEN];
    char d[512];
    snprintf(d, sizeof d, "%s", detail ? detail : "");
    pgcdc_source_flatten_message(d);
    pgcdc_source_scrub_secret(&s->cfg, d, sizeof d);
    snprintf(s->broken_msg, sizeof s->broken_msg, fmt, s->slot, d, pgcdc_lsn_format(s->durable, lsn));
    pgcdc_log(code == PGCDC_ECONNECT ? PGCDC_LOG_WARN : PGCDC_LOG_ERROR, "%s", s->broken_msg);
    return pgcdc_error_set(err, code, "%s", s->broken_msg);
}

#define LOST_FMT "lost the replication connection (slot %s): %s. This is interim: reopen the stream; it " \
                 "resumes from the durable position %s and the server re-sends what was not confirmed"

static pgcdc_code lost(pgcdc_stream *s, pgcdc_error *err)
{
    const char *m = PQerrorMessage(s->conn);
    return fail(s, err, PGCDC_ECONNECT, LOST_FMT, m && *m ? m : "the connection was closed");
}

/* The server ended the COPY: the reason is in the next result. */
static pgcdc_code copy_ended(pgcdc_stream *s, pgcdc_error *err)
{
    PGresult *res = PQgetResult(s->conn);
    const char *field = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    char sqlstate[6] = "";
    snprintf(sqlstate, sizeof sqlstate, "%s", field ? field : "");
    const char *state = sqlstate[0] ? sqlstate : NULL;
    char detail[512];
    snprintf(detail, sizeof detail, "%s",
             res && PQresultErrorMessage(res)[0] ? PQresultErrorMessage(res)
                                                 : "the server ended the replication stream");
    PQclear(res);
    pgcdc_code code;
    if (state && strcmp(state, "42704") == 0)  /* e.g. publication "x" does not exist */
        code = fail(s, err, PGCDC_EINVAL, "replication from slot %s stopped: %s. Check the Publication Name "
                    "(CREATE PUBLICATION ... FOR TABLE ...); resume from %s", detail);
    else if (state && strncmp(state, "08", 2) != 0 && strncmp(state, "57", 2) != 0 &&
             strncmp(state, "53", 2) != 0 && strncmp(state, "58", 2) != 0 && strcmp(state, "XX000") != 0)
        code = fail(s, err, PGCDC_ESQL, "replication from slot %s failed: %s (durable position %s)", detail);
    else
        code = fail(s, err, PGCDC_ECONNECT, LOST_FMT, detail);
    /* Drain the rest so PQfinish does not complain. */
    while ((res = PQgetResult(s->conn)) != NULL && PQstatus(s->conn) == CONNECTION_OK)
        PQclear(res);
    PQclear(res);
    return code;
}

/* ---- standby status updates ---- */

static pgcdc_lsn flush_position(const pgcdc_stream *s)
{
    pgcdc_lsn f = s->durable;
    if (s->idle_ok && s->idle_lsn > f)
        f = s->idle_lsn;
    return f > s->sent_flush ? f : s->sent_flush;
}

static pgcdc_code send_status(pgcdc_stream *s, bool ask_reply, pgcdc_error *err)
{
    pgcdc_lsn flush = flush_position(s);
    pgcdc_lsn write = s->received > s->last_keepalive_end ? s->received : s->last_keepalive_end;
    if (write < flush)
        write = flush;
    char msg[STATUS_SIZE];
    msg[0] = 'r';
    put_u64(msg + 1, write);
    put_u64(msg + 9, flush);
    put_u64(msg + 17, flush);   /* apply: nothing is applied before it is durable */
    put_u64(msg + 25, (uint64_t)pg_now_us());
    msg[33] = ask_reply ? 1 : 0;
    if (PQputCopyData(s->conn, msg, STATUS_SIZE) <= 0 || PQflush(s->conn) != 0)
        return lost(s, err);
    bool advanced = flush > s->sent_flush;
    s->sent_flush = flush;
    s->last_status_us = mono_us();
    if (advanced)
        pgcdc_crashpoint("confirm-sent"); /* the server may or may not have the new position */
    return PGCDC_OK;
}

/* ---- heartbeat ---- */

static void heartbeat(pgcdc_stream *s)
{
    s->last_heartbeat_us = mono_us();
    if (!s->hb_conn) {
        pgcdc_error e;
        if (pgcdc_source_connect(&s->cfg, false, &s->hb_conn, &e) != PGCDC_OK) {
            pgcdc_log(PGCDC_LOG_WARN, "heartbeat for slot %s skipped: %s", s->slot, e.message);
            return;
        }
        PGresult *r = PQexec(s->hb_conn, "SET statement_timeout = '" HEARTBEAT_STATEMENT_TIMEOUT "'");
        PQclear(r);
    }
    /* Not transactional: it is decoded at once and moves the WAL the slot
     * sees, so even a slot whose publication filters out every change gets
     * keepalives with a newer WAL end (and, on 14+, an 'M' message). */
    PGresult *r = PQexec(s->hb_conn, "SELECT pg_catalog.pg_logical_emit_message(false, '"
                                     PGCDC_STREAM_HEARTBEAT_PREFIX "', '')");
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", PQerrorMessage(s->hb_conn));
        pgcdc_source_flatten_message(msg);
        pgcdc_source_scrub_secret(&s->cfg, msg, sizeof msg);
        pgcdc_log(PGCDC_LOG_WARN, "heartbeat for slot %s failed (will reconnect next time): %s", s->slot, msg);
        PQfinish(s->hb_conn);
        s->hb_conn = NULL;
    }
    PQclear(r);
}

/* Status update when due, heartbeat when the stream has been quiet; run on
 * every read, whatever the caller is in the middle of. */
static pgcdc_code tick(pgcdc_stream *s, pgcdc_error *err)
{
    int64_t now = mono_us();
    if (now - s->last_status_us >= (int64_t)s->status_interval_ms * 1000) {
        pgcdc_code rc = send_status(s, false, err);
        if (rc != PGCDC_OK)
            return rc;
    }
    if (s->heartbeat_interval_ms > 0) {
        int64_t quiet_since = s->last_data_us > s->last_heartbeat_us ? s->last_data_us : s->last_heartbeat_us;
        if (now - quiet_since >= (int64_t)s->heartbeat_interval_ms * 1000)
            heartbeat(s);
    }
    return PGCDC_OK;
}

/* Monotonic time at which tick() has something to do. */
static int64_t next_due(const pgcdc_stream *s)
{
    int64_t due = s->last_status_us + (int64_t)s->status_interval_ms * 1000;
    if (s->heartbeat_interval_ms > 0) {
        int64_t quiet_since = s->last_data_us > s->last_heartbeat_us ? s->last_data_us : s->last_heartbeat_us;
        int64_t hb = quiet_since + (int64_t)s->heartbeat_interval_ms * 1000;
        if (hb < due)
            due = hb;
    }
    return due;
}

/* ---- opening ---- */

/* publication_names as pgoutput parses it (SplitIdentifierString): each name
 * double-quoted so its case and characters are kept, comma-separated; then
 * the whole value as a replication-command string literal (' doubled). */
static int append_publications(pgcdc_buf *b, const char *names)
{
    pgcdc_buf list = PGCDC_BUF_INIT;
    int count = 0;
    const char *p = names;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        const char *start = p;
        while (*p && *p != ',')
            p++;
        const char *end = p;
        while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        if (end == start)
            continue;
        if (count++)
            pgcdc_buf_putc(&list, ',');
        pgcdc_buf_putc(&list, '"');
        for (const char *c = start; c < end; c++) {
            if (*c == '"')
                pgcdc_buf_putc(&list, '"');
            pgcdc_buf_putc(&list, *c);
        }
        pgcdc_buf_putc(&list, '"');
    }
    pgcdc_buf_putc(b, '\'');
    for (size_t i = 0; i < list.len; i++) {
        if (list.data[i] == '\'')
            pgcdc_buf_putc(b, '\'');
        pgcdc_buf_putc(b, list.data[i]);
    }
    pgcdc_buf_putc(b, '\'');
    pgcdc_buf_free(&list);
    return count;
}

static pgcdc_code start_error(PGconn *conn, PGresult *res, const char *slot, pgcdc_error *err)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    char msg[512];
    snprintf(msg, sizeof msg, "%s", res && PQresultErrorMessage(res)[0] ? PQresultErrorMessage(res)
                                                                         : PQerrorMessage(conn));
    pgcdc_source_flatten_message(msg);
    if (PQstatus(conn) != CONNECTION_OK || !state || !strncmp(state, "08", 2) || !strncmp(state, "57P", 3))
        return pgcdc_error_set(err, PGCDC_ECONNECT, "could not start replication from slot %s: %s (interim: "
                               "retry)", slot, msg);
    if (strcmp(state, "42704") == 0)
        return pgcdc_error_set(err, PGCDC_ENOTFOUND, "could not start replication: %s", msg);
    if (strcmp(state, "55006") == 0)
        return pgcdc_error_set(err, PGCDC_ECONNECT, "could not start replication: %s. Another connection "
                               "is reading slot %s; if it is an earlier pgcdc run still shutting down this "
                               "passes, otherwise stop the other consumer", msg, slot);
    return pgcdc_error_set(err, PGCDC_EINVAL, "could not start replication from slot %s: %s", slot, msg);
}

/* While the stream is not read (a long merge, a snapshot read meanwhile),
 * only tick()'s status updates tell the server we are alive, and the
 * keepalives asking for a reply go unanswered: the updates must come well
 * within the server's wal_sender_timeout, whatever it is set to (a third of
 * it, as the server itself pings at half). */
static void fit_status_interval(pgcdc_stream *s)
{
    PGresult *r = PQexec(s->conn, "SELECT setting FROM pg_catalog.pg_settings WHERE name = 'wal_sender_timeout'");
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
        long timeout_ms = atol(PQgetvalue(r, 0, 0));
        long fit = timeout_ms / 3 < 100 ? 100 : timeout_ms / 3;
        if (timeout_ms > 0 && fit < s->status_interval_ms)
            s->status_interval_ms = (int)fit;
    }
    PQclear(r);
}

pgcdc_code pgcdc_stream_open(const pgcdc_source_config *cfg, const pgcdc_stream_options *opt,
                             pgcdc_stream **out, pgcdc_error *err)
{
    *out = NULL;
    if (!cfg || !opt)
        return pgcdc_error_set(err, PGCDC_EINVAL, "no configuration or stream options given");
    if (!pgcdc_slot_name_valid(opt->slot_name))
        return pgcdc_error_set(err, PGCDC_EINVAL, "invalid replication slot name \"%s\": use 1 to %d "
                               "characters of a-z, 0-9 and _", opt->slot_name ? opt->slot_name : "",
                               PGCDC_SLOT_NAME_MAX);
    if (!opt->publication_names || !opt->publication_names[strspn(opt->publication_names, " \t,")])
        return pgcdc_error_set(err, PGCDC_EINVAL, "no Publication Name given: name the publication to replicate");

    pgcdc_stream *s = calloc(1, sizeof *s);
    if (!s)
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory opening the replication stream");
    snprintf(s->slot, sizeof s->slot, "%s", opt->slot_name);
    s->status_interval_ms = opt->status_interval_ms > 0 ? opt->status_interval_ms : DEFAULT_STATUS_INTERVAL_MS;
    s->heartbeat_interval_ms = opt->heartbeat_interval_ms > 0 ? opt->heartbeat_interval_ms : 0;
    if (cfg_copy(&s->cfg, cfg) != 0) {
        pgcdc_stream_close(s);
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory opening the replication stream");
    }

    pgcdc_code rc = pgcdc_source_connect(cfg, true, &s->conn, err);
    if (rc != PGCDC_OK) {
        pgcdc_stream_close(s);
        return rc;
    }
    s->server_major = pgcdc_server_major(s->conn);
    int max_proto = pgcdc_proto_version_for_server(s->server_major);
    const char *fail_msg = NULL;
    pgcdc_code fail_code = PGCDC_EUNSUPPORTED;
    char why[256];
    if (max_proto == 0) {
        snprintf(why, sizeof why, "PostgreSQL %d has no pgoutput: version 10 or later is needed", s->server_major);
        fail_msg = why;
    } else if (opt->proto_version < 0 || opt->proto_version > max_proto) {
        snprintf(why, sizeof why, "pgoutput proto_version %d is not spoken by PostgreSQL %d (highest: %d)",
                 opt->proto_version, s->server_major, max_proto);
        fail_msg = why;
        fail_code = PGCDC_EINVAL;
    }
    s->proto_version = opt->proto_version ? opt->proto_version : max_proto;
    if (!fail_msg && opt->binary && s->server_major < 14) {
        snprintf(why, sizeof why, "binary tuple values need PostgreSQL 14 or later (this is %d)", s->server_major);
        fail_msg = why;
    }
    if (!fail_msg && opt->two_phase && (s->server_major < 15 || s->proto_version < 3)) {
        snprintf(why, sizeof why, "two-phase decoding needs PostgreSQL 15 or later and proto_version 3 "
                 "(this is %d, proto_version %d)", s->server_major, s->proto_version);
        fail_msg = why;
    }
    if (fail_msg) {
        pgcdc_stream_close(s);
        return pgcdc_error_set(err, fail_code, "%s", fail_msg);
    }
    /* Streaming of in-progress transactions: proto 2 (14+). 'on', not
     * 'parallel': we apply in commit order ourselves. */
    s->streaming = !opt->no_streaming && s->proto_version >= 2;
    bool messages = !opt->no_messages && s->server_major >= 14;

    /* Where the slot is: the floor for every flush we send, and a clear
     * error if it is missing. */
    pgcdc_slot_info info;
    rc = pgcdc_slot_lookup(s->conn, s->slot, &info, err);
    if (rc != PGCDC_OK) {
        pgcdc_stream_close(s);
        return rc;
    }
    s->sent_flush = info.confirmed_flush_lsn;
    s->durable = opt->start_lsn;
    fit_status_interval(s);
    char a[PGCDC_LSN_STRLEN], b2[PGCDC_LSN_STRLEN];
    if (opt->start_lsn != PGCDC_INVALID_LSN && opt->start_lsn < info.confirmed_flush_lsn)
        pgcdc_log(PGCDC_LOG_WARN, "slot %s is already confirmed up to %s, past the requested start %s: the server "
                  "starts at %s (check continuity with pgcdc_slot_check_continuity first)", s->slot,
                  pgcdc_lsn_format(info.confirmed_flush_lsn, a), pgcdc_lsn_format(opt->start_lsn, b2), a);

    char *ident = PQescapeIdentifier(s->conn, s->slot, strlen(s->slot));
    if (!ident) {
        rc = start_error(s->conn, NULL, s->slot, err);
        pgcdc_stream_close(s);
        return rc;
    }
    pgcdc_buf q = PGCDC_BUF_INIT;
    pgcdc_buf_printf(&q, "START_REPLICATION SLOT %s LOGICAL %s (proto_version '%d', publication_names ", ident,
                     pgcdc_lsn_format(opt->start_lsn, a), s->proto_version);
    PQfreemem(ident);
    append_publications(&q, opt->publication_names);
    if (messages)
        pgcdc_buf_puts(&q, ", messages 'true'");
    if (s->streaming)
        pgcdc_buf_puts(&q, ", streaming 'on'");
    if (opt->binary)
        pgcdc_buf_puts(&q, ", binary 'true'");
    if (opt->two_phase)
        pgcdc_buf_puts(&q, ", two_phase 'on'");
    pgcdc_buf_putc(&q, ')');
    if (!q.data) {
        pgcdc_stream_close(s);
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory opening the replication stream");
    }

    PGresult *res = PQexec(s->conn, q.data);
    if (PQresultStatus(res) != PGRES_COPY_BOTH) {
        rc = start_error(s->conn, res, s->slot, err);
        PQclear(res);
        pgcdc_buf_free(&q);
        pgcdc_stream_close(s);
        return rc;
    }
    PQclear(res);
    s->in_copy = true;
    pgcdc_log(PGCDC_LOG_INFO, "replication started: %s", q.data);
    pgcdc_buf_free(&q);

    int64_t now = mono_us();
    s->last_data_us = now;
    s->last_heartbeat_us = now;
    s->last_status_us = now - (int64_t)s->status_interval_ms * 1000; /* report at once */
    *out = s;
    return PGCDC_OK;
}

/* ---- reading ---- */

static pgcdc_code on_keepalive(pgcdc_stream *s, const char *buf, int len, pgcdc_error *err)
{
    if (len < KEEPALIVE_SIZE)
        return fail(s, err, PGCDC_EPROTOCOL, "replication from slot %s: %s (durable position %s)",
                    "the server sent a truncated keepalive message");
    pgcdc_lsn end = get_u64(buf + 1);
    bool reply = buf[17] != 0;
    if (end > s->last_keepalive_end)
        s->last_keepalive_end = end;
    if (end > s->server_wal_end)
        s->server_wal_end = end;
    if (s->idle_ok && end > s->idle_lsn)
        s->idle_lsn = end;
    if (reply)
        return send_status(s, false, err);
    return PGCDC_OK;
}

static pgcdc_code on_xlogdata(pgcdc_stream *s, char *buf, int len, pgcdc_stream_msg *msg, pgcdc_error *err)
{
    if (len < XLOGDATA_HEADER)
        return fail(s, err, PGCDC_EPROTOCOL, "replication from slot %s: %s (durable position %s)",
                    "the server sent a truncated XLogData message");
    msg->wal_start = get_u64(buf + 1);
    msg->wal_end = get_u64(buf + 9);
    msg->send_time = (int64_t)get_u64(buf + 17);
    msg->data = (const uint8_t *)buf + XLOGDATA_HEADER;
    msg->len = (size_t)len - XLOGDATA_HEADER;
    pgcdc_lsn hi = msg->wal_end > msg->wal_start ? msg->wal_end : msg->wal_start;
    if (hi > s->received)
        s->received = hi;
    if (hi > s->server_wal_end)
        s->server_wal_end = hi;
    /* Data in hand that the caller has not declared durable yet. */
    s->idle_ok = false;
    s->last_data_us = mono_us();
    return PGCDC_OK;
}

pgcdc_code pgcdc_stream_read(pgcdc_stream *s, int timeout_ms, pgcdc_stream_msg *msg, pgcdc_error *err)
{
    if (s->copybuf) {
        PQfreemem(s->copybuf);
        s->copybuf = NULL;
    }
    if (s->broken)
        return pgcdc_error_set(err, s->broken_code, "%s", s->broken_msg);
    int64_t deadline = timeout_ms < 0 ? INT64_MAX : mono_us() + (int64_t)timeout_ms * 1000;

    for (;;) {
        pgcdc_code rc = tick(s, err);
        if (rc != PGCDC_OK)
            return rc;

        char *buf = NULL;
        int r = PQgetCopyData(s->conn, &buf, 1);
        if (r > 0) {
            if (buf[0] == 'w') {
                rc = on_xlogdata(s, buf, r, msg, err);
                if (rc != PGCDC_OK) {
                    PQfreemem(buf);
                    return rc;
                }
                s->copybuf = buf;
                return PGCDC_OK;
            }
            if (buf[0] == 'k') {
                rc = on_keepalive(s, buf, r, err);
                PQfreemem(buf);
                if (rc != PGCDC_OK)
                    return rc;
                continue;
            }
            char what[96];
            snprintf(what, sizeof what, "the server sent an unknown replication message type 0x%02x",
                     (unsigned char)buf[0]);
            PQfreemem(buf);
            return fail(s, err, PGCDC_EPROTOCOL, "replication from slot %s: %s (durable position %s)", what);
        }
        if (r == -1)
            return copy_ended(s, err);
        if (r < 0)
            return lost(s, err);

        /* Nothing complete buffered: wait for the socket, the deadline or
         * the next timer, whichever comes first. */
        int64_t now = mono_us();
        int64_t until = next_due(s);
        if (deadline < until)
            until = deadline;
        int64_t wait_us = until > now ? until - now : 0;
        int wait_ms = (int)((wait_us + 999) / 1000);
        struct pollfd pfd = {.fd = PQsocket(s->conn), .events = POLLIN};
        if (pfd.fd < 0)
            return lost(s, err);
        int pr = poll(&pfd, 1, wait_ms);
        if (pr < 0 && errno != EINTR)
            return fail(s, err, PGCDC_ECONNECT, LOST_FMT, strerror(errno));
        if (pr > 0) {
            if (!PQconsumeInput(s->conn))
                return lost(s, err);
            continue;
        }
        if (mono_us() >= deadline)
            return pgcdc_error_set(err, PGCDC_ETIMEOUT, "no replication message within %d ms", timeout_ms);
    }
}

/* ---- positions ---- */

void pgcdc_stream_set_durable(pgcdc_stream *s, pgcdc_lsn lsn, bool all_durable)
{
    if (lsn > s->durable)
        s->durable = lsn;
    if (all_durable) {
        /* Everything received so far is durable, so the last keepalive's
         * WAL end (which came after all of it) may be confirmed too. */
        s->idle_ok = true;
        if (s->last_keepalive_end > s->idle_lsn)
            s->idle_lsn = s->last_keepalive_end;
    } else {
        s->idle_ok = false;
    }
}

pgcdc_code pgcdc_stream_tick(pgcdc_stream *s, pgcdc_error *err)
{
    if (s->broken)
        return pgcdc_error_set(err, s->broken_code, "%s", s->broken_msg);
    return tick(s, err);
}

pgcdc_code pgcdc_stream_send_status(pgcdc_stream *s, bool ask_reply, pgcdc_error *err)
{
    if (s->broken)
        return pgcdc_error_set(err, s->broken_code, "%s", s->broken_msg);
    return send_status(s, ask_reply, err);
}

int pgcdc_stream_proto_version(const pgcdc_stream *s) { return s->proto_version; }
int pgcdc_stream_server_major(const pgcdc_stream *s) { return s->server_major; }
bool pgcdc_stream_streaming_enabled(const pgcdc_stream *s) { return s->streaming; }
pgcdc_lsn pgcdc_stream_confirmed(const pgcdc_stream *s) { return s->sent_flush; }
pgcdc_lsn pgcdc_stream_server_wal_end(const pgcdc_stream *s) { return s->server_wal_end; }

/* ---- closing ---- */

/* Waits (bounded) for the server's side of the COPY to end and for the
 * command's results, discarding any data still in flight. */
static void drain(PGconn *conn, int64_t deadline)
{
    for (;;) {
        char *buf = NULL;
        int r = PQgetCopyData(conn, &buf, 1);
        if (r > 0) {
            PQfreemem(buf);
            continue;
        }
        if (r < 0)
            break;
        int64_t left = deadline - mono_us();
        if (left <= 0)
            return;
        struct pollfd pfd = {.fd = PQsocket(conn), .events = POLLIN};
        if (pfd.fd < 0 || poll(&pfd, 1, (int)(left / 1000) + 1) <= 0 || !PQconsumeInput(conn))
            return;
    }
    for (;;) {
        while (PQisBusy(conn)) {
            int64_t left = deadline - mono_us();
            struct pollfd pfd = {.fd = PQsocket(conn), .events = POLLIN};
            if (left <= 0 || pfd.fd < 0 || poll(&pfd, 1, (int)(left / 1000) + 1) <= 0 || !PQconsumeInput(conn))
                return;
        }
        PGresult *res = PQgetResult(conn);
        if (!res)
            return;
        PQclear(res);
    }
}

void pgcdc_stream_close(pgcdc_stream *s)
{
    if (!s)
        return;
    if (s->copybuf)
        PQfreemem(s->copybuf);
    if (s->conn && s->in_copy && !s->broken && PQstatus(s->conn) == CONNECTION_OK) {
        /* Report the durable position one last time, then end the COPY. */
        pgcdc_error e;
        if (send_status(s, false, &e) == PGCDC_OK && PQputCopyEnd(s->conn, NULL) == 1 && PQflush(s->conn) == 0)
            drain(s->conn, mono_us() + (int64_t)CLOSE_DRAIN_MS * 1000);
    }
    if (s->conn)
        PQfinish(s->conn);
    if (s->hb_conn)
        PQfinish(s->hb_conn);
    cfg_free(&s->cfg);
    free(s);
}
