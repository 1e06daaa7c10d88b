/* test_stream.c - the replication stream against a live server: the
 * negotiated protocol, XLogData up to the transaction's Commit, and the
 * feedback rules: the slot is confirmed exactly at what the caller declared
 * durable, never past data it has not, and an idle stream with nothing in
 * flight confirms the keepalive's WAL end so a quiet slot does not pin WAL;
 * replies when the server asks. */
#include "stream_test.h"

static pgt_cluster cl;
static pgcdc_source_config cfg;
static PGconn *admin;

static pgcdc_stream *open_stream(const char *slot, pgcdc_lsn start, int status_ms, bool no_messages)
{
    pgcdc_stream_options opt = {.slot_name = slot, .publication_names = "pub_a, pub_b", .start_lsn = start,
                                .status_interval_ms = status_ms, .no_messages = no_messages};
    pgcdc_stream *s = NULL;
    pgcdc_error e;
    pgcdc_code rc = st_open(&cfg, &opt, &s, &e);
    CHECK_MSG(rc == PGCDC_OK, "%s", e.message);
    if (rc != PGCDC_OK) {
        fprintf(stderr, "cannot go on without a stream\n");
        exit(pgt_done("stream"));
    }
    return s;
}

static void create_slot(const char *slot)
{
    pgt_exec(admin, "SELECT pg_create_logical_replication_slot('%s', 'pgoutput')", slot);
}

/* Inserts one row in its own transaction and reads until its Commit;
 * returns the commit end LSN (0 if it did not arrive). */
static pgcdc_lsn one_txn(pgcdc_stream *s, const char *table, int id)
{
    pgt_exec(admin, "INSERT INTO %s VALUES (%d, 'row %d')", table, id, id);
    pgcdc_stream_msg m;
    pgcdc_error e;
    pgcdc_code rc = st_read_until(s, 'B', 10000, &m, &e);
    CHECK_MSG(rc == PGCDC_OK, "no Begin: %s", e.message);
    rc = st_read_until(s, 'C', 10000, &m, &e);
    CHECK_MSG(rc == PGCDC_OK, "no Commit: %s", e.message);
    if (rc != PGCDC_OK)
        return 0;
    pgcdc_lsn end = st_commit_end(&m);
    /* The logical walsender puts the commit's end LSN in the XLogData header. */
    CHECK(end == m.wal_start);
    CHECK(end != 0);
    return end;
}

static void test_protocol_and_exact_feedback(void)
{
    pgcdc_error e;
    create_slot("s_exact");
    pgcdc_lsn created = st_confirmed(admin, "s_exact");
    pgcdc_stream *s = open_stream("s_exact", 0, 60000, false);

    int major = pgcdc_stream_server_major(s);
    CHECK_INT(major, cl.major);
    int want = major >= 16 ? 4 : major == 15 ? 3 : major == 14 ? 2 : 1;
    CHECK_INT(pgcdc_stream_proto_version(s), want);
    CHECK(pgcdc_stream_streaming_enabled(s) == (major >= 14));
    /* The flush floor is the slot's own position. */
    CHECK(pgcdc_stream_confirmed(s) == created);

    /* Both publications are asked for (the quoting of the list works). */
    pgcdc_lsn end_a = one_txn(s, "ta", 1);
    pgcdc_lsn end_b = one_txn(s, "tb", 1);
    CHECK(end_b > end_a);
    CHECK(pgcdc_stream_server_wal_end(s) >= end_b);

    /* Durable up to the first commit only: the slot lands exactly there. */
    pgcdc_stream_set_durable(s, end_a, false);
    CHECK_INT(pgcdc_stream_send_status(s, false, &e), PGCDC_OK);
    pgcdc_lsn got = st_wait_confirmed(admin, "s_exact", end_a, 0, 5000);
    CHECK_MSG(got == end_a, "confirmed %llX, expected %llX", (unsigned long long)got, (unsigned long long)end_a);
    CHECK(pgcdc_stream_confirmed(s) == end_a);

    /* Never backwards. */
    pgcdc_stream_set_durable(s, created, false);
    CHECK_INT(pgcdc_stream_send_status(s, false, &e), PGCDC_OK);
    st_sleep_ms(300);
    CHECK(st_confirmed(admin, "s_exact") == end_a);

    pgcdc_stream_set_durable(s, end_b, false);
    CHECK_INT(pgcdc_stream_send_status(s, true, &e), PGCDC_OK);
    got = st_wait_confirmed(admin, "s_exact", end_b, 0, 5000);
    CHECK(got == end_b);
    pgcdc_stream_close(s);
    /* close() reports the durable position, nothing more. */
    st_sleep_ms(200);
    CHECK(st_confirmed(admin, "s_exact") == end_b);
    pgt_exec(admin, "SELECT pg_drop_replication_slot('s_exact')");
}

/* The caller holds received data that is not durable: whatever keepalives
 * say (and the cluster sends plenty: wal_sender_timeout is 2 s), the slot
 * never passes the durable position. */
static void test_never_past_durable(void)
{
    pgcdc_error e;
    pgcdc_stream_msg m;
    create_slot("s_below");
    pgcdc_stream *s = open_stream("s_below", 0, 100, true);
    pgcdc_lsn end1 = one_txn(s, "ta", 10);
    pgcdc_stream_set_durable(s, end1, true);   /* nothing in flight at this point */
    pgcdc_lsn end2 = one_txn(s, "ta", 11);     /* received, not durable */
    CHECK(end2 > end1);

    long long until = st_now_ms() + 2500;
    int i = 0;
    while (st_now_ms() < until) {
        /* WAL moves on (unpublished table, messages not asked for), so
         * keepalives carry WAL ends far past end2. */
        if (i++ % 5 == 0) {
            pgt_exec(admin, "INSERT INTO tother VALUES (%d)", i);
            pgt_exec(admin, "SELECT pg_logical_emit_message(false, 'other', 'x')");
        }
        pgcdc_code rc = pgcdc_stream_read(s, 100, &m, &e);
        CHECK_MSG(rc == PGCDC_OK || rc == PGCDC_ETIMEOUT, "%s", e.message);
        if (rc == PGCDC_OK && m.data[0] == 'C')
            pgcdc_stream_set_durable(s, 0, false); /* PG <= 14: empty transactions arrive; still in flight */
        if (rc != PGCDC_OK && rc != PGCDC_ETIMEOUT)
            break;
    }
    CHECK(pgcdc_stream_server_wal_end(s) > end2);
    pgcdc_lsn conf = st_confirmed(admin, "s_below");
    CHECK_MSG(conf >= end1 && conf < end2, "confirmed %llX, durable %llX, undeclared commit %llX",
              (unsigned long long)conf, (unsigned long long)end1, (unsigned long long)end2);
    CHECK(pgcdc_stream_confirmed(s) < end2);
    pgcdc_stream_close(s);
    CHECK(st_confirmed(admin, "s_below") < end2);
    pgt_exec(admin, "SELECT pg_drop_replication_slot('s_below')");
}

/* Nothing in flight and only unpublished writes: the slot still advances
 * past them (on 15+ nothing arrives at all; before, empty Begin/Commit pairs
 * arrive and the test acts as a caller that applied them). With all_durable
 * false the same traffic leaves the slot where it was. */
static void idle_run(const char *slot, bool all_durable)
{
    pgcdc_error e;
    pgcdc_stream_msg m;
    create_slot(slot);
    pgcdc_lsn created = st_confirmed(admin, slot);
    pgcdc_stream *s = open_stream(slot, 0, 100, true);
    pgcdc_stream_set_durable(s, 0, all_durable);
    for (int i = 0; i < 5; i++)
        pgt_exec(admin, "INSERT INTO tother VALUES (%d)", 1000 + i);
    pgcdc_lsn writes_end = st_lsn(admin, "SELECT pg_current_wal_lsn()");
    /* A message nobody asked for: WAL moves, nothing is sent. Its LSN (the
     * end of its record) is past all the writes. */
    pgcdc_lsn marker = st_lsn(admin, "SELECT pg_logical_emit_message(false, 'other', 'x')");
    CHECK(marker >= writes_end);
    int received = 0;
    long long until = st_now_ms() + (all_durable ? 5000 : 2500);
    while (st_now_ms() < until) {
        pgcdc_code rc = pgcdc_stream_read(s, 100, &m, &e);
        if (rc == PGCDC_OK) {
            received++;
            CHECK(m.data[0] == 'B' || m.data[0] == 'C');  /* only empty transactions */
            if (m.data[0] == 'C')
                pgcdc_stream_set_durable(s, all_durable ? m.wal_start : 0, all_durable);
        } else if (rc != PGCDC_ETIMEOUT) {
            CHECK_MSG(0, "%s", e.message);
            break;
        }
        if (all_durable && st_confirmed(admin, slot) >= marker)
            break;
    }
    if (cl.major >= 15)
        CHECK_INT(received, 0);
    pgcdc_lsn conf = st_confirmed(admin, slot);
    if (all_durable)
        CHECK_MSG(conf >= marker && conf > writes_end, "confirmed %llX not past %llX", (unsigned long long)conf,
                  (unsigned long long)marker);
    else
        CHECK_MSG(conf == created, "confirmed %llX moved from %llX", (unsigned long long)conf,
                  (unsigned long long)created);
    pgcdc_stream_close(s);
    pgt_exec(admin, "SELECT pg_drop_replication_slot('%s')", slot);
}

/* Our own timer is 60 s, wal_sender_timeout 2 s: only answering the
 * server's reply requests keeps the connection alive. */
static void test_reply_on_request(void)
{
    pgcdc_error e;
    pgcdc_stream_msg m;
    create_slot("s_reply");
    pgcdc_stream *s = open_stream("s_reply", 0, 60000, false);
    st_sleep_ms(100);
    int pid = st_walsender_pid(admin, "s_reply");
    CHECK(pid != 0);
    char *t0 = pgt_query_value(admin, "SELECT extract(epoch from reply_time) FROM pg_stat_replication WHERE pid = %d",
                               pid);
    long long until = st_now_ms() + 3500;
    pgcdc_code rc = PGCDC_OK;
    while (st_now_ms() < until) {
        rc = pgcdc_stream_read(s, 250, &m, &e);
        if (rc != PGCDC_OK && rc != PGCDC_ETIMEOUT)
            break;
    }
    CHECK_MSG(rc == PGCDC_ETIMEOUT || rc == PGCDC_OK, "%s", e.message);
    CHECK_INT(st_walsender_pid(admin, "s_reply"), pid);
    char *t1 = pgt_query_value(admin, "SELECT extract(epoch from reply_time) FROM pg_stat_replication WHERE pid = %d",
                               pid);
    CHECK(atof(t1) > atof(t0) + 1.0);
    free(t0);
    free(t1);
    /* Still a working stream. */
    CHECK(one_txn(s, "ta", 50) != 0);
    pgcdc_stream_close(s);
    pgt_exec(admin, "SELECT pg_drop_replication_slot('s_reply')");
}

static void test_bad_options(void)
{
    pgcdc_error e;
    pgcdc_stream *s = NULL;
    pgcdc_stream_options opt = {.slot_name = "nosuchslot", .publication_names = "pub_a"};
    CHECK_INT(pgcdc_stream_open(&cfg, &opt, &s, &e), PGCDC_ENOTFOUND);
    CHECK(s == NULL);
    opt.slot_name = "Bad Name";
    CHECK_INT(pgcdc_stream_open(&cfg, &opt, &s, &e), PGCDC_EINVAL);
    opt.slot_name = "x";
    opt.publication_names = " , ";
    CHECK_INT(pgcdc_stream_open(&cfg, &opt, &s, &e), PGCDC_EINVAL);
    opt.publication_names = "pub_a";
    opt.proto_version = 9;
    CHECK_INT(pgcdc_stream_open(&cfg, &opt, &s, &e), PGCDC_EINVAL);
    opt.proto_version = 0;
    opt.two_phase = true;
    if (cl.major < 15)
        CHECK_INT(pgcdc_stream_open(&cfg, &opt, &s, &e), PGCDC_EUNSUPPORTED);
    opt.two_phase = false;
    opt.binary = true;
    if (cl.major < 14)
        CHECK_INT(pgcdc_stream_open(&cfg, &opt, &s, &e), PGCDC_EUNSUPPORTED);

    /* An explicit lower protocol is honoured. */
    create_slot("s_proto");
    pgcdc_stream_options o1 = {.slot_name = "s_proto", .publication_names = "pub_a", .proto_version = 1};
    CHECK_INT(st_open(&cfg, &o1, &s, &e), PGCDC_OK);
    if (s) {
        CHECK_INT(pgcdc_stream_proto_version(s), 1);
        CHECK(!pgcdc_stream_streaming_enabled(s));
        CHECK(one_txn(s, "ta", 60) != 0);
        pgcdc_stream_close(s);
    }
    pgt_exec(admin, "SELECT pg_drop_replication_slot('s_proto')");
}

/* A publication that does not exist is only noticed by pgoutput when the
 * first change is decoded: the read then fails and says which. */
static void test_missing_publication(void)
{
    pgcdc_error e;
    pgcdc_stream_msg m;
    create_slot("s_nopub");
    pgcdc_stream_options opt = {.slot_name = "s_nopub", .publication_names = "NoSuchPub"};
    pgcdc_stream *s = NULL;
    pgcdc_code rc = st_open(&cfg, &opt, &s, &e);
    CHECK_MSG(rc == PGCDC_OK, "%s", e.message);
    if (rc != PGCDC_OK)
        return;
    pgt_exec(admin, "INSERT INTO ta VALUES (70, 'x')");
    rc = st_read_until(s, 'C', cl.major >= 18 ? 2000 : 10000, &m, &e);
    if (cl.major >= 18) {
        /* 18 skips a missing publication with a WARNING (logged): nothing comes. */
        CHECK_INT(rc, PGCDC_ETIMEOUT);
    } else {
        CHECK_INT(rc, PGCDC_EINVAL);
        CHECK_CONTAINS(e.message, "\"NoSuchPub\" does not exist");
        CHECK_CONTAINS(e.message, "Publication Name");
        CHECK(strchr(e.message, '\n') == NULL);
        CHECK_INT(pgcdc_stream_read(s, 0, &m, &e), PGCDC_EINVAL);
    }
    pgcdc_stream_close(s);
    pgt_exec(admin, "SELECT pg_drop_replication_slot('s_nopub')");
}

int main(void)
{
    pgcdc_log_set_handler(st_log, NULL, PGCDC_LOG_WARN);
    pgt_cluster_start(&cl, pgt_major(), "-c wal_sender_timeout=2s");
    st_cfg(&cfg, &cl, "postgres", NULL, NULL);
    admin = pgt_connect(&cl, "postgres");
    pgt_exec(admin, "CREATE TABLE ta (id int PRIMARY KEY, v text)");
    pgt_exec(admin, "CREATE TABLE tb (id int PRIMARY KEY, v text)");
    pgt_exec(admin, "CREATE TABLE tother (id int)");
    pgt_exec(admin, "CREATE PUBLICATION pub_a FOR TABLE ta");
    pgt_exec(admin, "CREATE PUBLICATION pub_b FOR TABLE tb");

    test_protocol_and_exact_feedback();
    test_never_past_durable();
    idle_run("s_idle", true);
    idle_run("s_busy", false);
    test_reply_on_request();
    test_bad_options();
    test_missing_publication();

    PQfinish(admin);
    st_cfg_free(&cfg);
    pgt_cluster_stop(&cl);
    return pgt_done("stream");
}
