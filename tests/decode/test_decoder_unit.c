/* test_decoder_unit.c - the decoder on hand-built messages: framing rules
 * that a live server never breaks (so only a bad peer or a bug would), the
 * held-transaction buffer's memory bound, and schema diffs. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "events.h"
#include "pgcdc/decoder.h"

typedef struct msg {
    uint8_t b[512];
    size_t n;
} msg;

static void u8(msg *m, uint8_t v) { m->b[m->n++] = v; }
static void u16(msg *m, uint16_t v) { u8(m, (uint8_t)(v >> 8)); u8(m, (uint8_t)v); }
static void u32(msg *m, uint32_t v) { u16(m, (uint16_t)(v >> 16)); u16(m, (uint16_t)v); }
static void u64(msg *m, uint64_t v) { u32(m, (uint32_t)(v >> 32)); u32(m, (uint32_t)v); }
static void str(msg *m, const char *s) { size_t l = strlen(s) + 1; memcpy(m->b + m->n, s, l); m->n += l; }

static msg relation(uint32_t relid, const char *name, int ncols, const char *const *cols, const uint32_t *types)
{
    msg m = {0};
    u8(&m, 'R'); u32(&m, relid); str(&m, "app"); str(&m, name); u8(&m, 'd'); u16(&m, (uint16_t)ncols);
    for (int i = 0; i < ncols; i++) {
        u8(&m, i == 0); str(&m, cols[i]); u32(&m, types[i]); u32(&m, 0xffffffff);
    }
    return m;
}

static msg insert(bool streamed, uint32_t xid, uint32_t relid, const char *v1, const char *v2)
{
    msg m = {0};
    u8(&m, 'I');
    if (streamed)
        u32(&m, xid);
    u32(&m, relid); u8(&m, 'N'); u16(&m, 2);
    u8(&m, 't'); u32(&m, (uint32_t)strlen(v1)); memcpy(m.b + m.n, v1, strlen(v1)); m.n += strlen(v1);
    u8(&m, 't'); u32(&m, (uint32_t)strlen(v2)); memcpy(m.b + m.n, v2, strlen(v2)); m.n += strlen(v2);
    return m;
}

static msg stream_start(uint32_t xid, bool first) { msg m = {0}; u8(&m, 'S'); u32(&m, xid); u8(&m, first); return m; }
static msg stream_stop(void) { msg m = {0}; u8(&m, 'E'); return m; }
static msg stream_commit(uint32_t xid, uint64_t lsn)
{
    msg m = {0};
    u8(&m, 'c'); u32(&m, xid); u8(&m, 0); u64(&m, lsn); u64(&m, lsn + 8); u64(&m, 0);
    return m;
}
static msg stream_abort(uint32_t xid, uint32_t sub) { msg m = {0}; u8(&m, 'A'); u32(&m, xid); u32(&m, sub); return m; }

static pgcdc_code feed(pgcdc_decoder *d, msg m, pgcdc_error *err)
{
    static uint64_t lsn = 0x100;
    return pgcdc_decoder_feed(d, m.b, m.n, lsn++, err);
}

static const char *const cols2[] = {"id", "v"};
static const uint32_t types2[] = {23, 25};

static void test_framing_inside_stream(void)
{
    event_log log;
    event_log_init(&log);
    pgcdc_decoder *d;
    pgcdc_error err;
    CHECK_INT(pgcdc_decoder_new(NULL, event_log_sink, &log, &d, &err), PGCDC_OK);
    CHECK_INT(feed(d, relation(1, "t", 2, cols2, types2), &err), PGCDC_OK);
    CHECK_INT(feed(d, stream_start(7, true), &err), PGCDC_OK);
    CHECK_INT(feed(d, insert(true, 7, 1, "1", "a"), &err), PGCDC_OK);
    /* a commit of the very transaction inside its own chunk is refused, not applied */
    CHECK_INT(feed(d, stream_commit(7, 0x500), &err), PGCDC_EPROTOCOL);
    CHECK_CONTAINS(err.message, "inside a stream chunk");
    CHECK_INT(feed(d, stream_abort(7, 7), &err), PGCDC_EPROTOCOL);
    msg zero = {.b = {0}, .n = 5};
    CHECK_INT(feed(d, zero, &err), PGCDC_EPROTOCOL); /* a NUL type byte is no message type */
    CHECK_INT(feed(d, stream_stop(), &err), PGCDC_OK);
    CHECK_INT(feed(d, stream_commit(7, 0x500), &err), PGCDC_OK);
    CHECK_STR(log.lines[log.n - 3], "BEGIN streamed");
    CHECK_STR(log.lines[log.n - 2], "INSERT app.t new=('1','a')");
    CHECK_STR(log.lines[log.n - 1], "COMMIT changes=1");
    CHECK(log.last_commit.end_lsn == 0x508 && log.last_commit.xid == 7);
    /* commit of a transaction never streamed */
    CHECK_INT(feed(d, stream_commit(99, 0x600), &err), PGCDC_EPROTOCOL);
    CHECK_INT(pgcdc_decoder_pending_transactions(d), 0);
    pgcdc_decoder_free(d);
    event_log_free(&log);
}

/* Interleaved streamed transactions: each keeps its own changes and aborted
 * subtransactions; memory stays under the limit, the rest spills. */
static void test_interleaved_streams_and_memory_bound(void)
{
    event_log log;
    event_log_init(&log);
    pgcdc_decoder *d;
    pgcdc_error err;
    pgcdc_decoder_options o = {.memory_limit = 4096};
    CHECK_INT(pgcdc_decoder_new(&o, event_log_sink, &log, &d, &err), PGCDC_OK);
    CHECK_INT(feed(d, relation(1, "t", 2, cols2, types2), &err), PGCDC_OK);
    for (int round = 0; round < 50; round++) {
        for (uint32_t xid = 10; xid <= 12; xid++) {
            CHECK_INT(feed(d, stream_start(xid, round == 0), &err), PGCDC_OK);
            char id[16];
            snprintf(id, sizeof id, "%u-%d", xid, round);
            /* even rounds in the top transaction, odd ones in subtransaction xid+100 */
            CHECK_INT(feed(d, insert(true, round % 2 ? xid + 100 : xid, 1, id, "payload payload payload"), &err),
                      PGCDC_OK);
            CHECK_INT(feed(d, stream_stop(), &err), PGCDC_OK);
        }
    }
    pgcdc_decoder_stats st;
    pgcdc_decoder_get_stats(d, &st);
    CHECK_MSG(st.peak_buffered_bytes <= 4096, "peak %zu", st.peak_buffered_bytes);
    CHECK(st.spilled_bytes > 0);
    CHECK_INT(pgcdc_decoder_pending_transactions(d), 3);
    CHECK_INT(feed(d, stream_abort(11, 111), &err), PGCDC_OK); /* 11's subtransaction */
    CHECK_INT(feed(d, stream_abort(12, 12), &err), PGCDC_OK);  /* all of 12 */
    CHECK_INT(feed(d, stream_commit(11, 0x1000), &err), PGCDC_OK);
    CHECK_INT(feed(d, stream_commit(10, 0x2000), &err), PGCDC_OK);
    CHECK_INT(event_log_count_prefix(&log, "INSERT app.t new=('11-"), 25); /* odd rounds dropped */
    CHECK_INT(event_log_count_prefix(&log, "INSERT app.t new=('10-"), 50);
    CHECK_INT(event_log_count_prefix(&log, "INSERT app.t new=('12-"), 0);
    /* commit order, and arrival order inside each transaction */
    int c11 = event_log_find(&log, "INSERT app.t new=('11-0','payload payload payload')", 0);
    int c10 = event_log_find(&log, "INSERT app.t new=('10-0','payload payload payload')", 0);
    int c10b = event_log_find(&log, "INSERT app.t new=('10-49','payload payload payload')", 0);
    CHECK(c11 >= 0 && c10 > c11 && c10b > c10);
    CHECK_INT(pgcdc_decoder_pending_transactions(d), 0);
    pgcdc_decoder_get_stats(d, &st);
    CHECK_INT(st.buffered_bytes_in_memory, 0);
    pgcdc_decoder_free(d);
    event_log_free(&log);
}

static void test_schema_diffs(void)
{
    event_log log;
    event_log_init(&log);
    pgcdc_decoder *d;
    pgcdc_error err;
    CHECK_INT(pgcdc_decoder_new(NULL, event_log_sink, &log, &d, &err), PGCDC_OK);
    const char *const a[] = {"id", "x", "y"};
    const uint32_t ta[] = {23, 25, 25};
    const char *const b[] = {"id", "y", "z", "w"}; /* x dropped, z and w added */
    const uint32_t tb[] = {23, 25, 23, 16};
    const char *const c[] = {"id", "y2", "z", "w"}; /* y renamed */
    CHECK_INT(feed(d, relation(5, "s", 3, a, ta), &err), PGCDC_OK);
    CHECK_INT(feed(d, relation(5, "s", 3, a, ta), &err), PGCDC_OK); /* same shape: no event */
    CHECK_INT(feed(d, relation(5, "s", 4, b, tb), &err), PGCDC_OK);
    CHECK_INT(feed(d, relation(5, "s", 4, c, tb), &err), PGCDC_OK);
    CHECK_INT(log.n, 3);
    CHECK_STR(log.lines[0], "RELATION app.s gen=1 (id*,x,y)");
    CHECK_STR(log.lines[1], "RELATION app.s gen=2 (id*,y,z,w) dropped:x added:z added:w");
    CHECK_STR(log.lines[2], "RELATION app.s gen=3 (id*,y2,z,w) renamed:y->y2");
    const pgcdc_relation *rel = pgcdc_decoder_relation(d, 5);
    CHECK(rel && rel->ncolumns == 4 && strcmp(rel->columns[1].name, "y2") == 0);
    /* a tuple that does not match the announced shape is refused */
    msg beg = {0};
    u8(&beg, 'B'); u64(&beg, 0x900); u64(&beg, 0); u32(&beg, 3);
    CHECK_INT(feed(d, beg, &err), PGCDC_OK);
    CHECK_INT(feed(d, insert(false, 0, 5, "1", "2"), &err), PGCDC_EPROTOCOL);
    CHECK_CONTAINS(err.message, "has 2 columns but its Relation message announced 4");
    pgcdc_decoder_free(d);
    event_log_free(&log);
}

static msg origin(const char *name) { msg m = {0}; u8(&m, 'O'); u64(&m, 0xAB); str(&m, name); return m; }

static msg prepare_msg(char kind, uint32_t xid, uint64_t lsn, const char *gid)
{
    msg m = {0};
    u8(&m, (uint8_t)kind);
    if (kind != 'b')
        u8(&m, 0); /* flags */
    u64(&m, lsn); u64(&m, lsn + 8); u64(&m, 0); u32(&m, xid); str(&m, gid);
    return m;
}

static msg commit_prepared(uint32_t xid, uint64_t lsn, const char *gid)
{
    msg m = {0};
    u8(&m, 'K'); u8(&m, 0); u64(&m, lsn); u64(&m, lsn + 8); u64(&m, 0); u32(&m, xid); str(&m, gid);
    return m;
}

static pgcdc_code count_progress(void *ud, pgcdc_error *err)
{
    (void)err;
    ++*(int *)ud;
    return PGCDC_OK;
}

/* Origin inside a chunk, first segments after a reconnect, progress calls,
 * reset, the two-phase confirm limit, Stream Prepare without chunks. */
static void test_reconnect_origin_progress_two_phase(void)
{
    event_log log;
    event_log_init(&log);
    int progress = 0;
    pgcdc_decoder_options o = {.progress = count_progress, .progress_userdata = &progress, .progress_every = 10};
    pgcdc_decoder *d;
    pgcdc_error err;
    CHECK_INT(pgcdc_decoder_new(&o, event_log_sink, &log, &d, &err), PGCDC_OK);
    CHECK_INT(feed(d, relation(1, "t", 2, cols2, types2), &err), PGCDC_OK);

    /* a streamed transaction from an origin: Origin right after Stream Start */
    CHECK_INT(feed(d, stream_start(20, true), &err), PGCDC_OK);
    CHECK_INT(feed(d, origin("upstream"), &err), PGCDC_OK);
    for (int i = 0; i < 25; i++)
        CHECK_INT(feed(d, insert(true, 20, 1, "x", "stale"), &err), PGCDC_OK);
    CHECK_INT(feed(d, stream_stop(), &err), PGCDC_OK);
    /* reconnect: the server streams it again from its first segment */
    CHECK_INT(feed(d, stream_start(20, true), &err), PGCDC_OK);
    CHECK_INT(feed(d, origin("upstream"), &err), PGCDC_OK);
    for (int i = 0; i < 25; i++)
        CHECK_INT(feed(d, insert(true, 20, 1, "y", "fresh"), &err), PGCDC_OK);
    CHECK_INT(feed(d, stream_stop(), &err), PGCDC_OK);
    CHECK_INT(feed(d, stream_commit(20, 0x3000), &err), PGCDC_OK);
    CHECK_INT(event_log_count_prefix(&log, "INSERT app.t new=('y','fresh')"), 25);
    CHECK_INT(event_log_count_prefix(&log, "INSERT app.t new=('x','stale')"), 0);
    CHECK_INT(event_log_count_prefix(&log, "ORIGIN upstream"), 1);
    CHECK(event_log_find(&log, "ORIGIN upstream", 0) == event_log_find(&log, "BEGIN streamed", 0) + 1);
    CHECK_MSG(progress >= 2, "progress called %d times for 26 held messages", progress);

    /* two-phase: the confirm limit is the oldest held PREPARE */
    CHECK(pgcdc_decoder_confirm_limit(d) == PGCDC_INVALID_LSN);
    CHECK_INT(feed(d, prepare_msg('b', 30, 0x4000, "g30"), &err), PGCDC_OK);
    CHECK(pgcdc_decoder_confirm_limit(d) == 0x4000);
    msg beg = {0};
    u8(&beg, 'B'); u64(&beg, 0x9000); u64(&beg, 0); u32(&beg, 31);
    CHECK_INT(feed(d, beg, &err), PGCDC_EPROTOCOL); /* no BEGIN inside a prepare */
    CHECK_INT(feed(d, insert(false, 0, 1, "p", "prepared"), &err), PGCDC_OK);
    CHECK_INT(feed(d, prepare_msg('P', 30, 0x4000, "g30"), &err), PGCDC_OK);
    CHECK(pgcdc_decoder_confirm_limit(d) == 0x4000);
    CHECK_INT(feed(d, commit_prepared(30, 0x5000, "g30"), &err), PGCDC_OK);
    CHECK(pgcdc_decoder_confirm_limit(d) == PGCDC_INVALID_LSN);
    CHECK_INT(event_log_count_prefix(&log, "INSERT app.t new=('p','prepared')"), 1);
    /* Stream Prepare of a transaction none of whose chunks are held */
    CHECK_INT(feed(d, prepare_msg('p', 40, 0x6000, "g40"), &err), PGCDC_EGAP);
    CHECK_CONTAINS(err.message, "none of its streamed changes are held");

    /* reset forgets open and held transactions; the relation cache stays */
    CHECK_INT(feed(d, stream_start(50, true), &err), PGCDC_OK);
    CHECK_INT(feed(d, insert(true, 50, 1, "z", "z"), &err), PGCDC_OK);
    pgcdc_decoder_reset(d);
    CHECK_INT(pgcdc_decoder_pending_transactions(d), 0);
    CHECK(!pgcdc_decoder_in_transaction(d));
    CHECK(pgcdc_decoder_relation(d, 1) != NULL);
    CHECK_INT(feed(d, beg, &err), PGCDC_OK); /* a fresh BEGIN is fine after the reset */
    /* Stream Commit or Commit Prepared inside an open transaction is refused */
    CHECK_INT(feed(d, stream_commit(50, 0x7000), &err), PGCDC_EPROTOCOL);
    CHECK_INT(feed(d, commit_prepared(30, 0x7000, "g30"), &err), PGCDC_EPROTOCOL);
    pgcdc_decoder_free(d);
    event_log_free(&log);
}

int main(void)
{
    test_reconnect_origin_progress_two_phase();
    test_framing_inside_stream();
    test_interleaved_streams_and_memory_bound();
    test_schema_diffs();
    return pgt_done("test_decoder_unit");
}
