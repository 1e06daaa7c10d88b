/* pgoutput.c - the pgoutput decoder (protocol versions 1-4).
 *
 * One function per message kind, as in PostgreSQL's own proto.c. Plain
 * transactions are emitted as they arrive: values point into the caller's
 * payload, nothing is copied or allocated per value. Streamed transactions
 * (S ... E chunks, then c or A) and prepared transactions (b ... P, then K or r)
 * are kept as raw messages in a txbuf and decoded when they commit, through
 * the same functions, so both paths emit identical events. */
#include "pgcdc/decoder.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgcdc/lsn.h"
#include "relcache.h"
#include "txbuf.h"
#include "wire.h"

struct pgcdc_decoder {
    pgcdc_decoder_options opt;
    pgcdc_sink_fn sink;
    void *userdata;
    relcache *rels;
    txbuf *held;

    bool in_txn;            /* between BEGIN and COMMIT (or replaying a held transaction) */
    pgcdc_txn txn;
    char txn_gid[201];

    txbuf_txn *preparing;   /* between Begin Prepare and Prepare: changes are held */
    txbuf_txn *streaming;   /* between Stream Start and Stream Stop */

    /* reusable scratch, grown only when a wider relation shows up */
    pgcdc_value *new_vals, *old_vals;
    int vals_cap;
    const pgcdc_relation **trunc_rels;
    int trunc_cap;
    pgcdc_column *cols;
    int cols_cap;

    pgcdc_decoder_stats stats;
};

/* kind is one of the message types in set (never matches the NUL byte). */
static bool is_one_of(char kind, const char *set)
{
    return kind != '\0' && strchr(set, kind) != NULL;
}

/* What kind of payload a change message is being decoded from. */
typedef enum { FROM_WIRE, FROM_HELD_STREAM, FROM_HELD_PREPARED } msg_origin;

static pgcdc_code malformed(pgcdc_error *err, char kind, pgcdc_lsn lsn, const char *what)
{
    char l[PGCDC_LSN_STRLEN];
    return pgcdc_error_set(err, PGCDC_EPROTOCOL, "malformed pgoutput message '%c' at LSN %s: %s", kind,
                           pgcdc_lsn_format(lsn, l), what);
}

static pgcdc_code decode_origin(pgcdc_decoder *d, wire_reader *r, pgcdc_lsn lsn, pgcdc_error *err);

static pgcdc_code emit(pgcdc_decoder *d, const pgcdc_event *ev, pgcdc_error *err)
{
    err->code = PGCDC_OK;
    err->message[0] = '\0';
    if (d->sink(d->userdata, ev, err) == 0)
        return PGCDC_OK;
    if (err->code == PGCDC_OK)
        pgcdc_error_set(err, PGCDC_EIO, "the change consumer stopped at a %s event",
                        pgcdc_event_kind_name(ev->kind));
    return err->code;
}

static void event_init(pgcdc_decoder *d, pgcdc_event *ev, pgcdc_event_kind kind, pgcdc_lsn lsn)
{
    memset(ev, 0, sizeof *ev);
    ev->kind = kind;
    ev->lsn = lsn;
    ev->txn = d->in_txn ? &d->txn : NULL;
}

/* ---------------------------------------------------------------- tuples */

static int ensure_vals(pgcdc_decoder *d, int n)
{
    if (n <= d->vals_cap)
        return 0;
    int cap = d->vals_cap ? d->vals_cap : 64;
    while (cap < n)
        cap *= 2;
    pgcdc_value *a = realloc(d->new_vals, sizeof *a * (size_t)cap);
    if (!a)
        return -1;
    d->new_vals = a;
    pgcdc_value *b = realloc(d->old_vals, sizeof *b * (size_t)cap);
    if (!b)
        return -1;
    d->old_vals = b;
    d->vals_cap = cap;
    return 0;
}

/* TupleData: Int16 count, then per column a kind byte n/u/t/b, t and b with Int32 length + bytes. */
static pgcdc_code read_tuple(pgcdc_decoder *d, wire_reader *r, pgcdc_value *vals, const pgcdc_relation *rel,
                             pgcdc_tuple *out, char kind, pgcdc_lsn lsn, pgcdc_error *err)
{
    uint16_t natts = wire_u16(r);
    if (r->bad)
        return malformed(err, kind, lsn, "truncated tuple header");
    if (natts != rel->ncolumns) {
        char l[PGCDC_LSN_STRLEN];
        return pgcdc_error_set(err, PGCDC_EPROTOCOL,
                               "tuple for %s.%s at LSN %s has %u columns but its Relation message announced %u",
                               rel->nspname, rel->relname, pgcdc_lsn_format(lsn, l), natts, rel->ncolumns);
    }
    (void)d;
    for (int i = 0; i < natts; i++) {
        pgcdc_value *v = &vals[i];
        v->kind = (char)wire_u8(r);
        switch (v->kind) {
        case 'n':
        case 'u':
            v->len = 0;
            v->data = NULL;
            break;
        case 't':
        case 'b': {
            uint32_t len = wire_u32(r);
            if (len > (uint32_t)INT32_MAX)
                return malformed(err, kind, lsn, "negative column value length");
            v->len = len;
            v->data = (const char *)wire_bytes(r, len);
            break;
        }
        default:
            if (r->bad)
                return malformed(err, kind, lsn, "truncated tuple");
            return malformed(err, kind, lsn, "unknown column value kind");
        }
        if (r->bad)
            return malformed(err, kind, lsn, "truncated column value");
    }
    out->ncolumns = natts;
    out->values = vals;
    return PGCDC_OK;
}

static const pgcdc_relation *known_relation(pgcdc_decoder *d, uint32_t relid, char kind, pgcdc_lsn lsn,
                                            pgcdc_error *err)
{
    const pgcdc_relation *rel = relcache_get(d->rels, relid);
    if (!rel) {
        char l[PGCDC_LSN_STRLEN];
        pgcdc_error_set(err, PGCDC_EPROTOCOL,
                        "message '%c' at LSN %s refers to relation id %u before any Relation message for it",
                        kind, pgcdc_lsn_format(lsn, l), relid);
    }
    return rel;
}

/* --------------------------------------------------------------- schema */

static pgcdc_code decode_relation(pgcdc_decoder *d, wire_reader *r, pgcdc_lsn lsn, pgcdc_error *err)
{
    pgcdc_relation rel = {0};
    rel.relid = wire_u32(r);
    rel.nspname = wire_str(r);
    rel.relname = wire_str(r);
    rel.replident = (char)wire_u8(r);
    uint16_t natts = wire_u16(r);
    if (r->bad)
        return malformed(err, 'R', lsn, "truncated relation header");
    if (natts > d->cols_cap) {
        pgcdc_column *c = realloc(d->cols, sizeof *c * natts);
        if (!c)
            return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory reading a Relation message");
        d->cols = c;
        d->cols_cap = natts;
    }
    for (int i = 0; i < natts; i++) {
        pgcdc_column *c = &d->cols[i];
        c->flags = wire_u8(r) & 1 ? PGCDC_COLUMN_KEY : 0;
        c->name = wire_str(r);
        c->type_oid = wire_u32(r);
        c->typmod = (int32_t)wire_u32(r);
    }
    if (!wire_done(r))
        return malformed(err, 'R', lsn, r->bad ? "truncated column list" : "unexpected trailing bytes");
    rel.ncolumns = natts;
    rel.columns = d->cols;

    /* room for the tuples first: a cached shape must never be wider than the value arrays */
    if (ensure_vals(d, natts) != 0)
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory for %u columns", natts);
    relcache_update up;
    if (relcache_install(d->rels, &rel, &up) != 0)
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory caching relation %s.%s", rel.nspname,
                               rel.relname);

    /* The same shape announced again (new session, new stream, after a
     * rolled-back subtransaction) is not news to the consumer. */
    if (!up.is_new && !up.changed)
        return PGCDC_OK;
    pgcdc_event ev;
    event_init(d, &ev, PGCDC_EV_RELATION, lsn);
    ev.rel = up.rel;
    ev.diff = up.changed ? &up.diff : NULL;
    pgcdc_code rc = emit(d, &ev, err);
    relcache_release_old(d->rels);
    return rc;
}

static pgcdc_code decode_type(pgcdc_decoder *d, wire_reader *r, pgcdc_lsn lsn, pgcdc_error *err)
{
    pgcdc_event ev;
    event_init(d, &ev, PGCDC_EV_TYPE, lsn);
    ev.type_oid = wire_u32(r);
    ev.type_nspname = wire_str(r);
    ev.type_name = wire_str(r);
    if (!wire_done(r))
        return malformed(err, 'Y', lsn, r->bad ? "truncated type message" : "unexpected trailing bytes");
    return emit(d, &ev, err);
}

/* -------------------------------------------------------------- changes */

static pgcdc_code change_outside_txn(pgcdc_decoder *d, char kind, pgcdc_lsn lsn, pgcdc_error *err)
{
    (void)d;
    char l[PGCDC_LSN_STRLEN];
    return pgcdc_error_set(err, PGCDC_EPROTOCOL, "change message '%c' at LSN %s outside of a transaction", kind,
                           pgcdc_lsn_format(lsn, l));
}

static char kind_of(const pgcdc_event *ev)
{
    return ev->kind == PGCDC_EV_INSERT ? 'I' : ev->kind == PGCDC_EV_UPDATE ? 'U' : ev->kind == PGCDC_EV_DELETE ? 'D' : 'T';
}

static pgcdc_code emit_change(pgcdc_decoder *d, pgcdc_event *ev, pgcdc_error *err)
{
    ev->seq = d->txn.nchanges++;
    d->stats.changes++;
    return emit(d, ev, err);
}

static pgcdc_code decode_insert(pgcdc_decoder *d, wire_reader *r, pgcdc_lsn lsn, pgcdc_error *err)
{
    pgcdc_event ev;
    event_init(d, &ev, PGCDC_EV_INSERT, lsn);
    uint32_t relid = wire_u32(r);
    if (wire_u8(r) != 'N' || r->bad)
        return malformed(err, 'I', lsn, "expected a new tuple ('N')");
    if (!(ev.rel = known_relation(d, relid, 'I', lsn, err)))
        return err->code;
    pgcdc_code rc = read_tuple(d, r, d->new_vals, ev.rel, &ev.new_tuple, 'I', lsn, err);
    if (rc)
        return rc;
    return wire_done(r) ? emit_change(d, &ev, err) : malformed(err, kind_of(&ev), lsn, "unexpected trailing bytes");
}

static pgcdc_code decode_update(pgcdc_decoder *d, wire_reader *r, pgcdc_lsn lsn, pgcdc_error *err)
{
    pgcdc_event ev;
    event_init(d, &ev, PGCDC_EV_UPDATE, lsn);
    uint32_t relid = wire_u32(r);
    uint8_t tag = wire_u8(r);
    if (r->bad)
        return malformed(err, 'U', lsn, "truncated update header");
    if (!(ev.rel = known_relation(d, relid, 'U', lsn, err)))
        return err->code;
    pgcdc_code rc;
    if (tag == 'K' || tag == 'O') {
        ev.old_kind = (char)tag;
        if ((rc = read_tuple(d, r, d->old_vals, ev.rel, &ev.old_tuple, 'U', lsn, err)))
            return rc;
        tag = wire_u8(r);
    }
    if (tag != 'N' || r->bad)
        return malformed(err, 'U', lsn, "expected a new tuple ('N')");
    rc = read_tuple(d, r, d->new_vals, ev.rel, &ev.new_tuple, 'U', lsn, err);
    if (rc)
        return rc;
    return wire_done(r) ? emit_change(d, &ev, err) : malformed(err, kind_of(&ev), lsn, "unexpected trailing bytes");
}

static pgcdc_code decode_delete(pgcdc_decoder *d, wire_reader *r, pgcdc_lsn lsn, pgcdc_error *err)
{
    pgcdc_event ev;
    event_init(d, &ev, PGCDC_EV_DELETE, lsn);
    uint32_t relid = wire_u32(r);
    uint8_t tag = wire_u8(r);
    if (r->bad || (tag != 'K' && tag != 'O'))
        return malformed(err, 'D', lsn, "expected an old key ('K') or old tuple ('O')");
    if (!(ev.rel = known_relation(d, relid, 'D', lsn, err)))
        return err->code;
    ev.old_kind = (char)tag;
    pgcdc_code rc = read_tuple(d, r, d->old_vals, ev.rel, &ev.old_tuple, 'D', lsn, err);
    if (rc)
        return rc;
    return wire_done(r) ? emit_change(d, &ev, err) : malformed(err, kind_of(&ev), lsn, "unexpected trailing bytes");
}

static pgcdc_code decode_truncate(pgcdc_decoder *d, wire_reader *r, pgcdc_lsn lsn, pgcdc_error *err)
{
    pgcdc_event ev;
    event_init(d, &ev, PGCDC_EV_TRUNCATE, lsn);
    uint32_t nrels = wire_u32(r);
    ev.truncate_flags = wire_u8(r);
    if (r->bad || nrels > (uint32_t)(r->end - r->p) / 4)
        return malformed(err, 'T', lsn, "truncated relation list");
    if ((int)nrels > d->trunc_cap) {
        const pgcdc_relation **a = realloc(d->trunc_rels, sizeof *a * nrels);
        if (!a)
            return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory for a truncate of %u relations", nrels);
        d->trunc_rels = a;
        d->trunc_cap = (int)nrels;
    }
    for (uint32_t i = 0; i < nrels; i++)
        if (!(d->trunc_rels[i] = known_relation(d, wire_u32(r), 'T', lsn, err)))
            return err->code;
    ev.nrelations = (int)nrels;
    ev.relations = d->trunc_rels;
    if (!wire_done(r))
        return malformed(err, 'T', lsn, "unexpected trailing bytes");
    return emit_change(d, &ev, err);
}

static pgcdc_code decode_message_body(pgcdc_decoder *d, wire_reader *r, pgcdc_lsn lsn, pgcdc_error *err)
{
    pgcdc_event ev;
    event_init(d, &ev, PGCDC_EV_MESSAGE, lsn);
    ev.transactional = wire_u8(r) & 1;
    ev.lsn = wire_u64(r);
    ev.prefix = wire_str(r);
    ev.content_len = wire_u32(r);
    ev.content = (const char *)wire_bytes(r, ev.content_len);
    if (!wire_done(r))
        return malformed(err, 'M', lsn, r->bad ? "truncated logical message" : "unexpected trailing bytes");
    if (!ev.transactional) {
        ev.txn = NULL; /* non-transactional messages are not part of any transaction */
        return emit(d, &ev, err);
    }
    if (!d->in_txn)
        return change_outside_txn(d, 'M', lsn, err);
    return emit_change(d, &ev, err);
}

/* Decodes a change or schema message whose xid (if any) was already consumed. */
static pgcdc_code decode_body(pgcdc_decoder *d, char kind, wire_reader *r, pgcdc_lsn lsn, pgcdc_error *err)
{
    switch (kind) {
    case 'R': return decode_relation(d, r, lsn, err);
    case 'Y': return decode_type(d, r, lsn, err);
    case 'M': return decode_message_body(d, r, lsn, err);
    default: break;
    }
    if (!d->in_txn)
        return change_outside_txn(d, kind, lsn, err);
    switch (kind) {
    case 'I': return decode_insert(d, r, lsn, err);
    case 'U': return decode_update(d, r, lsn, err);
    case 'D': return decode_delete(d, r, lsn, err);
    case 'T': return decode_truncate(d, r, lsn, err);
    }
    return malformed(err, kind, lsn, "not a change message");
}

/* ------------------------------------------------- held transactions */

/* Drops a held transaction, and any reference the framing state has to it. */
static void forget_held(pgcdc_decoder *d, txbuf_txn *t)
{
    if (d->streaming == t)
        d->streaming = NULL;
    if (d->preparing == t)
        d->preparing = NULL;
    txbuf_discard(d->held, t);
}

typedef struct replay_ctx {
    pgcdc_decoder *d;
    bool has_xid;
    unsigned since_progress;
} replay_ctx;

static pgcdc_code replay_one(void *ud, pgcdc_lsn lsn, const uint8_t *data, size_t len, pgcdc_error *err)
{
    replay_ctx *c = ud;
    pgcdc_decoder *d = c->d;
    if (d->opt.progress && ++c->since_progress >= d->opt.progress_every) {
        c->since_progress = 0;
        pgcdc_code rc = d->opt.progress(d->opt.progress_userdata, err);
        if (rc)
            return rc;
    }
    wire_reader r;
    wire_init(&r, data, len);
    char kind = (char)wire_u8(&r);
    if (kind == 'O') /* an Origin held with a streamed transaction has no xid */
        return decode_origin(d, &r, lsn, err);
    if (c->has_xid)
        (void)wire_u32(&r);
    if (r.bad)
        return malformed(err, kind, lsn, "truncated held message");
    return decode_body(d, kind, &r, lsn, err);
}

/* Emits BEGIN, every live held message, COMMIT; then forgets the transaction. */
static pgcdc_code release_held(pgcdc_decoder *d, txbuf_txn *t, pgcdc_lsn commit_lsn, pgcdc_lsn end_lsn,
                               int64_t commit_time, pgcdc_error *err)
{
    memset(&d->txn, 0, sizeof d->txn);
    d->txn.xid = t->xid;
    d->txn.commit_lsn = commit_lsn;
    d->txn.end_lsn = end_lsn;
    d->txn.commit_time = commit_time;
    d->txn.streamed = t->streamed;
    d->txn.prepared = t->prepared;
    if (t->prepared) {
        memcpy(d->txn_gid, t->gid, sizeof d->txn_gid);
        d->txn.gid = d->txn_gid;
    }
    d->in_txn = true;

    pgcdc_event ev;
    event_init(d, &ev, PGCDC_EV_BEGIN, commit_lsn);
    pgcdc_code rc = emit(d, &ev, err);
    if (!rc) {
        replay_ctx c = {d, t->streamed, 0};
        rc = txbuf_replay(d->held, t, replay_one, &c, err);
    }
    if (!rc) {
        event_init(d, &ev, PGCDC_EV_COMMIT, commit_lsn);
        rc = emit(d, &ev, err);
        d->stats.transactions++;
    }
    d->in_txn = false;
    forget_held(d, t);
    return rc;
}

/* A change inside a stream chunk: Int32 xid of the (sub)transaction, then the body. */
static pgcdc_code hold_streamed(pgcdc_decoder *d, const uint8_t *data, size_t len, pgcdc_lsn lsn, pgcdc_error *err)
{
    wire_reader r;
    wire_init(&r, data, len);
    char kind = (char)wire_u8(&r);
    uint32_t subxid = wire_u32(&r);
    if (r.bad)
        return malformed(err, kind, lsn, "missing transaction id in a streamed message");
    if (kind == 'M' && !(wire_u8(&r) & 1)) {
        /* a non-transactional message never waits for a commit */
        wire_init(&r, data + 5, len - 5);
        bool was = d->in_txn;
        d->in_txn = false;
        pgcdc_code rc = decode_message_body(d, &r, lsn, err);
        d->in_txn = was;
        return rc;
    }
    return txbuf_append(d->held, d->streaming, subxid, lsn, data, len, err);
}

/* -------------------------------------------------- transaction framing */

static pgcdc_code decode_begin(pgcdc_decoder *d, wire_reader *r, pgcdc_lsn lsn, pgcdc_error *err)
{
    if (d->in_txn || d->preparing)
        return malformed(err, 'B', lsn, "BEGIN while a transaction is open");
    memset(&d->txn, 0, sizeof d->txn);
    d->txn.commit_lsn = wire_u64(r);
    d->txn.commit_time = (int64_t)wire_u64(r);
    d->txn.xid = wire_u32(r);
    if (!wire_done(r))
        return malformed(err, 'B', lsn, r->bad ? "truncated BEGIN" : "unexpected trailing bytes");
    d->in_txn = true;
    pgcdc_event ev;
    event_init(d, &ev, PGCDC_EV_BEGIN, lsn);
    return emit(d, &ev, err);
}

static pgcdc_code decode_commit(pgcdc_decoder *d, wire_reader *r, pgcdc_lsn lsn, pgcdc_error *err)
{
    (void)wire_u8(r); /* flags, unused */
    pgcdc_lsn commit_lsn = wire_u64(r);
    pgcdc_lsn end_lsn = wire_u64(r);
    int64_t commit_time = (int64_t)wire_u64(r);
    if (!wire_done(r))
        return malformed(err, 'C', lsn, r->bad ? "truncated COMMIT" : "unexpected trailing bytes");
    if (!d->in_txn)
        return malformed(err, 'C', lsn, "COMMIT without BEGIN");
    if (commit_lsn != d->txn.commit_lsn)
        return malformed(err, 'C', lsn, "COMMIT LSN differs from the one BEGIN announced");
    d->txn.end_lsn = end_lsn;
    d->txn.commit_time = commit_time;
    pgcdc_event ev;
    event_init(d, &ev, PGCDC_EV_COMMIT, lsn);
    pgcdc_code rc = emit(d, &ev, err);
    d->in_txn = false;
    d->stats.transactions++;
    return rc;
}

static pgcdc_code decode_origin(pgcdc_decoder *d, wire_reader *r, pgcdc_lsn lsn, pgcdc_error *err)
{
    pgcdc_event ev;
    event_init(d, &ev, PGCDC_EV_ORIGIN, lsn);
    ev.origin_lsn = wire_u64(r);
    ev.origin_name = wire_str(r);
    if (!wire_done(r))
        return malformed(err, 'O', lsn, r->bad ? "truncated ORIGIN" : "unexpected trailing bytes");
    return emit(d, &ev, err);
}

static pgcdc_code decode_stream_start(pgcdc_decoder *d, wire_reader *r, pgcdc_lsn lsn, pgcdc_error *err)
{
    uint32_t xid = wire_u32(r);
    bool first_segment = wire_u8(r) == 1;
    if (!wire_done(r))
        return malformed(err, 'S', lsn, r->bad ? "truncated STREAM START" : "unexpected trailing bytes");
    if (d->streaming || d->in_txn || d->preparing)
        return malformed(err, 'S', lsn, "STREAM START inside another stream or transaction");
    txbuf_txn *stale = first_segment ? txbuf_get(d->held, xid, false) : NULL;
    if (stale && !stale->prepared)
        forget_held(d, stale); /* streamed again from its start (after a reconnect) */
    if (!(d->streaming = txbuf_get(d->held, xid, true)))
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory holding streamed transaction %u", xid);
    d->streaming->streamed = true;
    return PGCDC_OK;
}

static pgcdc_code decode_stream_commit(pgcdc_decoder *d, wire_reader *r, pgcdc_lsn lsn, pgcdc_error *err)
{
    uint32_t xid = wire_u32(r);
    (void)wire_u8(r);
    pgcdc_lsn commit_lsn = wire_u64(r);
    pgcdc_lsn end_lsn = wire_u64(r);
    int64_t commit_time = (int64_t)wire_u64(r);
    if (!wire_done(r))
        return malformed(err, 'c', lsn, r->bad ? "truncated STREAM COMMIT" : "unexpected trailing bytes");
    if (d->in_txn || d->preparing)
        return malformed(err, 'c', lsn, "STREAM COMMIT while a transaction is open");
    txbuf_txn *t = txbuf_get(d->held, xid, false);
    if (!t)
        return malformed(err, 'c', lsn, "STREAM COMMIT of a transaction that was never streamed");
    return release_held(d, t, commit_lsn, end_lsn, commit_time, err);
}

static pgcdc_code decode_stream_abort(pgcdc_decoder *d, wire_reader *r, pgcdc_lsn lsn, pgcdc_error *err)
{
    uint32_t xid = wire_u32(r);
    uint32_t subxid = wire_u32(r);
    if (d->opt.stream_abort_has_lsn) {
        (void)wire_u64(r); /* abort LSN */
        (void)wire_u64(r); /* abort time */
    }
    if (r->bad)
        return malformed(err, 'A', lsn, "truncated STREAM ABORT");
    if (!wire_done(r))
        return malformed(err, 'A', lsn, d->opt.stream_abort_has_lsn ? "unexpected trailing bytes"
                         : "STREAM ABORT carries an abort LSN and time (streaming = parallel was negotiated): "
                           "set stream_abort_has_lsn in the decoder options");
    txbuf_txn *t = txbuf_get(d->held, xid, false);
    if (t) {
        if (xid == subxid) {
            forget_held(d, t);
        } else {
            pgcdc_code rc = txbuf_abort_sub(t, subxid, err);
            if (rc)
                return rc;
        }
    }
    pgcdc_event ev;
    event_init(d, &ev, PGCDC_EV_STREAM_ABORT, lsn);
    ev.aborted_xid = subxid;
    return emit(d, &ev, err);
}

/* Begin Prepare, Prepare, Stream Prepare share: lsn, end lsn, time, xid, gid. */
typedef struct prepare_fields {
    pgcdc_lsn lsn, end_lsn;
    int64_t time;
    uint32_t xid;
    const char *gid;
} prepare_fields;

static void read_prepare_fields(wire_reader *r, prepare_fields *f)
{
    f->lsn = wire_u64(r);
    f->end_lsn = wire_u64(r);
    f->time = (int64_t)wire_u64(r);
    f->xid = wire_u32(r);
    f->gid = wire_str(r);
}

static pgcdc_code decode_begin_prepare(pgcdc_decoder *d, wire_reader *r, pgcdc_lsn lsn, pgcdc_error *err)
{
    prepare_fields f;
    read_prepare_fields(r, &f);
    if (!wire_done(r))
        return malformed(err, 'b', lsn, r->bad ? "truncated BEGIN PREPARE" : "unexpected trailing bytes");
    if (d->in_txn || d->preparing || d->streaming)
        return malformed(err, 'b', lsn, "BEGIN PREPARE while a transaction is open");
    if (!(d->preparing = txbuf_get(d->held, f.xid, true)))
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory holding prepared transaction %u", f.xid);
    snprintf(d->preparing->gid, sizeof d->preparing->gid, "%s", f.gid);
    d->preparing->prepare_lsn = f.lsn;
    return PGCDC_OK;
}

static pgcdc_code mark_prepared(pgcdc_decoder *d, char kind, txbuf_txn *t, const prepare_fields *f, pgcdc_lsn lsn,
                                pgcdc_error *err)
{
    t->prepared = true;
    t->prepare_lsn = f->lsn;
    t->prepare_end_lsn = f->end_lsn;
    t->prepare_time = f->time;
    snprintf(t->gid, sizeof t->gid, "%s", f->gid);
    (void)kind;
    pgcdc_txn info = {.xid = t->xid, .commit_lsn = f->lsn, .end_lsn = f->end_lsn, .commit_time = f->time,
                      .streamed = t->streamed, .prepared = true, .gid = t->gid};
    pgcdc_event ev;
    event_init(d, &ev, PGCDC_EV_PREPARE, lsn);
    ev.txn = &info;
    return emit(d, &ev, err);
}

static pgcdc_code decode_prepare(pgcdc_decoder *d, wire_reader *r, pgcdc_lsn lsn, pgcdc_error *err)
{
    (void)wire_u8(r);
    prepare_fields f;
    read_prepare_fields(r, &f);
    if (!wire_done(r))
        return malformed(err, 'P', lsn, r->bad ? "truncated PREPARE" : "unexpected trailing bytes");
    txbuf_txn *t = d->preparing;
    if (!t || t->xid != f.xid)
        return malformed(err, 'P', lsn, "PREPARE without a matching BEGIN PREPARE");
    d->preparing = NULL;
    return mark_prepared(d, 'P', t, &f, lsn, err);
}

static pgcdc_code decode_stream_prepare(pgcdc_decoder *d, wire_reader *r, pgcdc_lsn lsn, pgcdc_error *err)
{
    (void)wire_u8(r);
    prepare_fields f;
    read_prepare_fields(r, &f);
    if (!wire_done(r))
        return malformed(err, 'p', lsn, r->bad ? "truncated STREAM PREPARE" : "unexpected trailing bytes");
    if (d->in_txn || d->preparing)
        return malformed(err, 'p', lsn, "STREAM PREPARE while a transaction is open");
    txbuf_txn *t = txbuf_get(d->held, f.xid, false);
    if (!t || !t->streamed) {
        char l[PGCDC_LSN_STRLEN];
        return pgcdc_error_set(err, PGCDC_EGAP,
                               "STREAM PREPARE '%s' (xid %u) at LSN %s: none of its streamed changes are held; "
                               "its changes cannot be applied. Restart the stream from a position before the "
                               "transaction began, or resnapshot the affected tables",
                               f.gid, f.xid, pgcdc_lsn_format(lsn, l));
    }
    return mark_prepared(d, 'p', t, &f, lsn, err);
}

static pgcdc_code decode_commit_prepared(pgcdc_decoder *d, wire_reader *r, pgcdc_lsn lsn, pgcdc_error *err)
{
    (void)wire_u8(r);
    pgcdc_lsn commit_lsn = wire_u64(r);
    pgcdc_lsn end_lsn = wire_u64(r);
    int64_t commit_time = (int64_t)wire_u64(r);
    uint32_t xid = wire_u32(r);
    const char *gid = wire_str(r);
    if (!wire_done(r))
        return malformed(err, 'K', lsn, r->bad ? "truncated COMMIT PREPARED" : "unexpected trailing bytes");
    if (d->in_txn || d->preparing)
        return malformed(err, 'K', lsn, "COMMIT PREPARED while a transaction is open");
    txbuf_txn *t = txbuf_get(d->held, xid, false);
    if (!t || !t->prepared) {
        char l[PGCDC_LSN_STRLEN];
        return pgcdc_error_set(err, PGCDC_EGAP,
                               "COMMIT PREPARED '%s' (xid %u) at LSN %s: its changes were prepared before this "
                               "stream started and are not held; the transaction cannot be applied. Restart the "
                               "stream from a position before its PREPARE, or resnapshot the affected tables",
                               gid, xid, pgcdc_lsn_format(lsn, l));
    }
    return release_held(d, t, commit_lsn, end_lsn, commit_time, err);
}

static pgcdc_code decode_rollback_prepared(pgcdc_decoder *d, wire_reader *r, pgcdc_lsn lsn, pgcdc_error *err)
{
    (void)wire_u8(r);
    (void)wire_u64(r); /* prepare end lsn */
    pgcdc_lsn rollback_end = wire_u64(r);
    (void)wire_u64(r); /* prepare time */
    int64_t rollback_time = (int64_t)wire_u64(r);
    uint32_t xid = wire_u32(r);
    const char *gid = wire_str(r);
    if (!wire_done(r))
        return malformed(err, 'r', lsn, r->bad ? "truncated ROLLBACK PREPARED" : "unexpected trailing bytes");
    txbuf_txn *t = txbuf_get(d->held, xid, false);
    if (t)
        forget_held(d, t);
    pgcdc_txn info = {.xid = xid, .end_lsn = rollback_end, .commit_time = rollback_time, .prepared = true,
                      .gid = gid};
    pgcdc_event ev;
    event_init(d, &ev, PGCDC_EV_ROLLBACK_PREPARED, lsn);
    ev.txn = &info;
    return emit(d, &ev, err);
}

/* ------------------------------------------------------------ dispatch */

pgcdc_code pgcdc_decoder_feed(pgcdc_decoder *d, const uint8_t *data, size_t len, pgcdc_lsn wal_start,
                              pgcdc_error *err)
{
    pgcdc_error local;
    if (!err)
        err = &local;
    if (len == 0)
        return malformed(err, '?', wal_start, "empty message");
    d->stats.messages++;
    char kind = (char)data[0];

    /* Inside a stream chunk every change and schema message carries the xid and
     * waits; nothing but Stream Stop may end the chunk. */
    if (d->streaming) {
        if (is_one_of(kind, "RYIUDTM"))
            return hold_streamed(d, data, len, wal_start, err);
        if (kind == 'O') /* sent right after Stream Start for a transaction from an origin */
            return txbuf_append(d->held, d->streaming, d->streaming->xid, wal_start, data, len, err);
        if (kind != 'E')
            return malformed(err, kind, wal_start, "message not allowed inside a stream chunk");
    }
    /* Between Begin Prepare and Prepare, changes wait for COMMIT PREPARED; schema
     * messages apply now, because pgoutput will not repeat them for later transactions. */
    if (d->preparing && is_one_of(kind, "IUDTM")) {
        if (kind == 'M' && len > 1 && !(data[1] & 1)) {
            /* non-transactional: falls through to immediate decoding */
        } else {
            return txbuf_append(d->held, d->preparing, d->preparing->xid, wal_start, data, len, err);
        }
    }

    wire_reader r;
    wire_init(&r, data + 1, len - 1);
    switch (kind) {
    case 'B': return decode_begin(d, &r, wal_start, err);
    case 'C': return decode_commit(d, &r, wal_start, err);
    case 'O': return decode_origin(d, &r, wal_start, err);
    case 'R': case 'Y': case 'I': case 'U': case 'D': case 'T': case 'M':
        return decode_body(d, kind, &r, wal_start, err);
    case 'S': return decode_stream_start(d, &r, wal_start, err);
    case 'E':
        if (!d->streaming)
            return malformed(err, 'E', wal_start, "STREAM STOP without STREAM START");
        d->streaming = NULL;
        return PGCDC_OK;
    case 'c': return decode_stream_commit(d, &r, wal_start, err);
    case 'A': return decode_stream_abort(d, &r, wal_start, err);
    case 'b': return decode_begin_prepare(d, &r, wal_start, err);
    case 'P': return decode_prepare(d, &r, wal_start, err);
    case 'K': return decode_commit_prepared(d, &r, wal_start, err);
    case 'r': return decode_rollback_prepared(d, &r, wal_start, err);
    case 'p': return decode_stream_prepare(d, &r, wal_start, err);
    }
    char l[PGCDC_LSN_STRLEN];
    return pgcdc_error_set(err, PGCDC_EPROTOCOL, "unknown pgoutput message type 0x%02x at LSN %s",
                           (unsigned char)kind, pgcdc_lsn_format(wal_start, l));
}

/* ------------------------------------------------------------ lifecycle */

pgcdc_code pgcdc_decoder_new(const pgcdc_decoder_options *opt, pgcdc_sink_fn sink, void *userdata,
                             pgcdc_decoder **out, pgcdc_error *err)
{
    if (!sink)
        return pgcdc_error_set(err, PGCDC_EINVAL, "pgcdc_decoder_new: a sink callback is required");
    pgcdc_decoder *d = calloc(1, sizeof *d);
    if (!d)
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory creating a decoder");
    if (opt)
        d->opt = *opt;
    if (!d->opt.memory_limit)
        d->opt.memory_limit = 64u << 20;
    if (!d->opt.progress_every)
        d->opt.progress_every = 1000;
    d->sink = sink;
    d->userdata = userdata;
    d->rels = relcache_new();
    d->held = txbuf_new(d->opt.memory_limit, d->opt.spill_dir);
    if (!d->rels || !d->held || ensure_vals(d, 64) != 0) {
        pgcdc_decoder_free(d);
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory creating a decoder");
    }
    d->opt.spill_dir = NULL; /* txbuf keeps its own copy */
    *out = d;
    return PGCDC_OK;
}

void pgcdc_decoder_free(pgcdc_decoder *d)
{
    if (!d)
        return;
    relcache_free(d->rels);
    txbuf_free(d->held);
    free(d->new_vals);
    free(d->old_vals);
    free(d->trunc_rels);
    free(d->cols);
    free(d);
}

void pgcdc_decoder_reset(pgcdc_decoder *d)
{
    txbuf_txn *t;
    while ((t = txbuf_first(d->held)))
        txbuf_discard(d->held, t);
    d->streaming = d->preparing = NULL;
    d->in_txn = false;
    memset(&d->txn, 0, sizeof d->txn);
}

pgcdc_lsn pgcdc_decoder_confirm_limit(const pgcdc_decoder *d)
{
    pgcdc_lsn limit = PGCDC_INVALID_LSN;
    for (txbuf_txn *t = txbuf_first(d->held); t; t = t->next)
        if ((t->prepared || t == d->preparing) && t->prepare_lsn && (!limit || t->prepare_lsn < limit))
            limit = t->prepare_lsn;
    return limit;
}

bool pgcdc_decoder_in_transaction(const pgcdc_decoder *d)
{
    return d->in_txn || d->preparing != NULL;
}

int pgcdc_decoder_pending_transactions(const pgcdc_decoder *d)
{
    return txbuf_count(d->held);
}

void pgcdc_decoder_get_stats(const pgcdc_decoder *d, pgcdc_decoder_stats *out)
{
    *out = d->stats;
    out->buffered_bytes_in_memory = txbuf_memory(d->held);
    out->peak_buffered_bytes = txbuf_peak_memory(d->held);
    out->spilled_bytes = txbuf_spilled_total(d->held);
}

const pgcdc_relation *pgcdc_decoder_relation(const pgcdc_decoder *d, uint32_t relid)
{
    return relcache_get(d->rels, relid);
}

const char *pgcdc_event_kind_name(pgcdc_event_kind kind)
{
    switch (kind) {
    case PGCDC_EV_BEGIN: return "BEGIN";
    case PGCDC_EV_COMMIT: return "COMMIT";
    case PGCDC_EV_RELATION: return "RELATION";
    case PGCDC_EV_TYPE: return "TYPE";
    case PGCDC_EV_INSERT: return "INSERT";
    case PGCDC_EV_UPDATE: return "UPDATE";
    case PGCDC_EV_DELETE: return "DELETE";
    case PGCDC_EV_TRUNCATE: return "TRUNCATE";
    case PGCDC_EV_MESSAGE: return "MESSAGE";
    case PGCDC_EV_ORIGIN: return "ORIGIN";
    case PGCDC_EV_PREPARE: return "PREPARE";
    case PGCDC_EV_ROLLBACK_PREPARED: return "ROLLBACK_PREPARED";
    case PGCDC_EV_STREAM_ABORT: return "STREAM_ABORT";
    }
    return "UNKNOWN";
}
