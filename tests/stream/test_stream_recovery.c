/* test_stream_recovery.c - heartbeats on a quiet slot, losing the
 * connection (an interim error), and restarting from the durable position:
 * what was not durable is sent again (at least once), what was is not. */
#include "stream_test.h"

static pgt_cluster cl;
static pgcdc_source_config cfg;
static PGconn *admin;

static void test_heartbeat(void)
{
    pgcdc_error e;
    pgcdc_stream_msg m;
    pgt_exec(admin, "SELECT pg_create_logical_replication_slot('s_hb', 'pgoutput')");
    pgcdc_lsn created = st_confirmed(admin, "s_hb");
    pgcdc_stream_options opt = {.slot_name = "s_hb", .publication_names = "pub", .status_interval_ms = 100,
                                .heartbeat_interval_ms = 300};
    pgcdc_stream *s = NULL;
    pgcdc_code rc = st_open(&cfg, &opt, &s, &e);
    CHECK_MSG(rc == PGCDC_OK, "%s", e.message);
    if (rc != PGCDC_OK)
        return;
    pgcdc_stream_set_durable(s, 0, true);   /* nothing in flight */

    int heartbeats = 0;
    long long until = st_now_ms() + 6000;
    while (st_now_ms() < until) {
        rc = pgcdc_stream_read(s, 100, &m, &e);
        if (rc == PGCDC_OK) {
            /* pgoutput 'M': type, [xid when streamed], flags, lsn, prefix\0, len, content */
            if (m.data[0] == 'M' && st_payload_has(&m, PGCDC_STREAM_HEARTBEAT_PREFIX))
                heartbeats++;
            /* A heartbeat carries nothing to apply: still nothing in flight. */
            pgcdc_stream_set_durable(s, 0, true);
        } else if (rc != PGCDC_ETIMEOUT) {
            CHECK_MSG(0, "%s", e.message);
            break;
        }
        if (st_confirmed(admin, "s_hb") > created && (cl.major < 14 || heartbeats >= 2))
            break;
    }
    if (cl.major >= 14)
        CHECK_MSG(heartbeats >= 2, "%d heartbeat messages", heartbeats);
    else
        CHECK_INT(heartbeats, 0);  /* messages are not asked for before 14 */
    /* Either way the heartbeat moved the WAL and the quiet slot advanced. */
    CHECK(st_confirmed(admin, "s_hb") > created);
    pgcdc_stream_close(s);
    pgt_exec(admin, "SELECT pg_drop_replication_slot('s_hb')");
}

/* Reads one transaction, returning its commit end and whether any of its
 * Insert messages carried marker. */
static pgcdc_lsn read_txn(pgcdc_stream *s, const char *marker, int *seen)
{
    pgcdc_stream_msg m;
    pgcdc_error e;
    pgcdc_code rc = st_read_until(s, 'B', 10000, &m, &e);
    CHECK_MSG(rc == PGCDC_OK, "no Begin: %s", e.message);
    for (;;) {
        rc = pgcdc_stream_read(s, 10000, &m, &e);
        CHECK_MSG(rc == PGCDC_OK, "%s", e.message);
        if (rc != PGCDC_OK)
            return 0;
        if (m.data[0] == 'I' && marker && st_payload_has(&m, marker))
            (*seen)++;
        if (m.data[0] == 'C')
            return st_commit_end(&m);
    }
}

static void test_loss_and_restart(void)
{
    pgcdc_error e;
    pgcdc_stream_msg m;
    pgt_exec(admin, "SELECT pg_create_logical_replication_slot('s_rs', 'pgoutput')");
    pgcdc_stream_options opt = {.slot_name = "s_rs", .publication_names = "pub", .status_interval_ms = 200};
    pgcdc_stream *s = NULL;
    pgcdc_code rc = st_open(&cfg, &opt, &s, &e);
    CHECK_MSG(rc == PGCDC_OK, "%s", e.message);
    if (rc != PGCDC_OK)
        return;

    pgt_exec(admin, "INSERT INTO t VALUES (1, 'first-durable')");
    pgt_exec(admin, "INSERT INTO t VALUES (2, 'second-pending')");
    int seen1 = 0, seen2 = 0;
    pgcdc_lsn end1 = read_txn(s, "first-durable", &seen1);
    pgcdc_lsn end2 = read_txn(s, "second-pending", &seen2);
    CHECK_INT(seen1, 1);
    CHECK_INT(seen2, 1);
    CHECK(end2 > end1);
    pgcdc_stream_set_durable(s, end1, false);
    CHECK_INT(pgcdc_stream_send_status(s, false, &e), PGCDC_OK);
    CHECK(st_wait_confirmed(admin, "s_rs", end1, 0, 5000) == end1);

    /* The walsender is killed: an interim error, now and on every later call. */
    int pid = st_walsender_pid(admin, "s_rs");
    CHECK(pid != 0);
    pgt_exec(admin, "SELECT pg_terminate_backend(%d)", pid);
    rc = PGCDC_OK;
    long long until = st_now_ms() + 5000;
    while (st_now_ms() < until) {
        rc = pgcdc_stream_read(s, 200, &m, &e);
        if (rc != PGCDC_OK && rc != PGCDC_ETIMEOUT)
            break;
    }
    CHECK_INT(rc, PGCDC_ECONNECT);
    CHECK_CONTAINS(e.message, "interim");
    char lsn[PGCDC_LSN_STRLEN];
    CHECK_CONTAINS(e.message, pgcdc_lsn_format(end1, lsn));
    CHECK_INT(pgcdc_stream_read(s, 0, &m, &e), PGCDC_ECONNECT);
    CHECK_INT(pgcdc_stream_send_status(s, false, &e), PGCDC_ECONNECT);
    pgcdc_stream_close(s);
    CHECK(st_confirmed(admin, "s_rs") == end1);

    /* Resume from the durable position: the pending transaction comes again,
     * the durable one does not. */
    opt.start_lsn = end1;
    rc = st_open(&cfg, &opt, &s, &e);
    CHECK_MSG(rc == PGCDC_OK, "%s", e.message);
    if (rc != PGCDC_OK)
        return;
    seen1 = seen2 = 0;
    pgcdc_lsn again = read_txn(s, "second-pending", &seen2);
    CHECK_INT(seen2, 1);
    CHECK(again == end2);
    /* And nothing else follows (in particular not the first one). */
    pgt_exec(admin, "INSERT INTO t VALUES (3, 'third')");
    int seen3 = 0;
    pgcdc_lsn end3 = read_txn(s, "third", &seen3);
    CHECK_INT(seen3, 1);
    CHECK(end3 > end2);

    /* A clean close reports the durable position; a reopen from there
     * starts after the third transaction. */
    pgcdc_stream_set_durable(s, end3, false);
    pgcdc_stream_close(s);
    CHECK(st_wait_confirmed(admin, "s_rs", end3, 0, 5000) == end3);
    opt.start_lsn = end3;
    rc = st_open(&cfg, &opt, &s, &e);
    CHECK_MSG(rc == PGCDC_OK, "%s", e.message);
    if (rc == PGCDC_OK) {
        pgcdc_code r2 = st_read_until(s, 'I', 1500, &m, &e);
        CHECK_INT(r2, PGCDC_ETIMEOUT);
        pgcdc_stream_close(s);
    }
    pgt_exec(admin, "SELECT pg_drop_replication_slot('s_rs')");
}

int main(void)
{
    pgcdc_log_set_handler(st_log, NULL, PGCDC_LOG_WARN);
    pgt_cluster_start(&cl, pgt_major(), NULL);
    st_cfg(&cfg, &cl, "postgres", NULL, NULL);
    admin = pgt_connect(&cl, "postgres");
    pgt_exec(admin, "CREATE TABLE t (id int PRIMARY KEY, v text)");
    pgt_exec(admin, "CREATE PUBLICATION pub FOR TABLE t");

    test_heartbeat();
    test_loss_and_restart();

    PQfinish(admin);
    st_cfg_free(&cfg);
    pgt_cluster_stop(&cl);
    return pgt_done("stream_recovery");
}
