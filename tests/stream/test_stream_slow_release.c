/* test_stream_slow_release.c - a big streamed transaction released by the
 * decoder to a slow consumer inside one feed call: with the decoder's progress
 * hook calling pgcdc_stream_tick, the connection survives a wal_sender_timeout
 * shorter than the release; without it, the server drops us (which shows the
 * test can fail). Streaming of in-progress transactions needs PostgreSQL 14+;
 * on older servers the transaction is not held and only the first part runs. */
#include "pgcdc/decoder.h"
#include "stream_test.h"

static pgt_cluster cl;

typedef struct consumer {
    pgcdc_stream *stream;
    long inserts, commits;
    bool slow;
} consumer;

static int slow_sink(void *ud, const pgcdc_event *ev, pgcdc_error *err)
{
    (void)err;
    consumer *c = ud;
    if (ev->kind == PGCDC_EV_INSERT && c->slow && ++c->inserts % 20 == 0)
        st_sleep_ms(1); /* ~2.5 s for 50,000 rows: longer than wal_sender_timeout */
    else if (ev->kind == PGCDC_EV_INSERT && !c->slow)
        c->inserts++;
    if (ev->kind == PGCDC_EV_COMMIT)
        c->commits++;
    return 0;
}

static pgcdc_code tick(void *ud, pgcdc_error *err)
{
    return pgcdc_stream_tick(((consumer *)ud)->stream, err);
}

/* Streams slot until one more commit came; returns the last read status. */
static pgcdc_code consume_commit(consumer *c, pgcdc_decoder *dec, int total_ms, pgcdc_error *err)
{
    long want = c->commits + 1;
    long long deadline = st_now_ms() + total_ms;
    while (c->commits < want && st_now_ms() < deadline) {
        pgcdc_stream_msg msg;
        pgcdc_code rc = pgcdc_stream_read(c->stream, 200, &msg, err);
        if (rc == PGCDC_ETIMEOUT)
            continue;
        if (rc != PGCDC_OK)
            return rc;
        if ((rc = pgcdc_decoder_feed(dec, msg.data, msg.len, msg.wal_start, err)) != PGCDC_OK)
            return rc;
    }
    return c->commits >= want ? PGCDC_OK : PGCDC_ETIMEOUT;
}

/* One run: a 50,000-row transaction, a slow consumer, with or without ticks.
 * Returns the status of reading a small transaction committed afterwards. */
static pgcdc_code run(PGconn *db, const char *slot, bool with_ticks, int major, int *pid_before, int *pid_after)
{
    pgt_exec(db, "SELECT pg_create_logical_replication_slot('%s', 'pgoutput')", slot);
    pgt_exec(db, "INSERT INTO t SELECT g, repeat('v', 50) FROM generate_series(1, 50000) g");
    pgcdc_source_config cfg;
    st_cfg(&cfg, &cl, "postgres", NULL, NULL);
    pgcdc_stream_options so = {.slot_name = slot, .publication_names = "pub", .status_interval_ms = 200};
    consumer c = {.slow = true};
    pgcdc_error err;
    CHECK_INT(st_open(&cfg, &so, &c.stream, &err), PGCDC_OK);
    pgcdc_decoder_options o = {.proto_version = pgcdc_stream_proto_version(c.stream), .progress_every = 100};
    if (with_ticks) {
        o.progress = tick;
        o.progress_userdata = &c;
    }
    pgcdc_decoder *dec;
    CHECK_INT(pgcdc_decoder_new(&o, slow_sink, &c, &dec, &err), PGCDC_OK);
    *pid_before = st_walsender_pid(db, slot);
    pgcdc_code rc = consume_commit(&c, dec, 60000, &err);
    CHECK_MSG(rc == PGCDC_OK, "big transaction: %s", err.message);
    CHECK_INT(c.inserts, 50000);
    if (major >= 14)
        CHECK_MSG(pgcdc_stream_streaming_enabled(c.stream), "streaming expected on PostgreSQL %d", major);
    /* then a small transaction: is the connection still there? */
    pgt_exec(db, "INSERT INTO t VALUES (0, 'after')");
    c.slow = false;
    rc = consume_commit(&c, dec, 10000, &err);
    *pid_after = st_walsender_pid(db, slot);
    pgcdc_decoder_free(dec);
    pgcdc_stream_close(c.stream);
    st_cfg_free(&cfg);
    for (int i = 0; i < 50 && st_walsender_pid(db, slot); i++)
        st_sleep_ms(100);
    pgt_exec(db, "SELECT pg_drop_replication_slot('%s'); TRUNCATE t", slot);
    return rc;
}

int main(void)
{
    int major = pgt_major();
    pgcdc_log_set_handler(st_log, NULL, PGCDC_LOG_WARN);
    pgt_cluster_start(&cl, major, major >= 13 ? "-c wal_sender_timeout=1s -c logical_decoding_work_mem=64kB"
                                              : "-c wal_sender_timeout=1s");
    PGconn *db = pgt_connect(&cl, "postgres");
    pgt_exec(db, "CREATE TABLE t (id int PRIMARY KEY, v text); CREATE PUBLICATION pub FOR TABLE t");

    int before, after;
    pgcdc_code rc = run(db, "with_ticks", true, major, &before, &after);
    CHECK_MSG(rc == PGCDC_OK, "with ticks the connection must survive (status %d)", rc);
    CHECK_MSG(before != 0 && before == after, "walsender pid %d -> %d", before, after);

    if (major >= 14) {
        rc = run(db, "no_ticks", false, major, &before, &after);
        CHECK_MSG(rc == PGCDC_ECONNECT, "without ticks the server should have dropped the silent client (status %d)",
                  rc);
    }
    PQfinish(db);
    pgt_cluster_stop(&cl);
    char name[64];
    snprintf(name, sizeof name, "test_stream_slow_release (PostgreSQL %d)", major);
    return pgt_done(name);
}
