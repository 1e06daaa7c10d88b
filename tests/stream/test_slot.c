/* test_slot.c - replication slots on a live server: creation with an
 * exported snapshot (given and generated names) that other connections can
 * import, lookup, drop, and the continuity check against a slot that
 * vanished or was recreated. */
#include "stream_test.h"

static pgt_cluster cl;
static pgcdc_source_config cfg;

static PGconn *repl_connect(void)
{
    PGconn *c = NULL;
    pgcdc_error e;
    pgcdc_code rc = pgcdc_source_connect(&cfg, true, &c, &e);
    CHECK_MSG(rc == PGCDC_OK, "%s", e.message);
    if (rc != PGCDC_OK)
        exit(pgt_done("slot"));
    return c;
}

/* The rows a snapshot sees, imported by a second connection while the
 * replication connection stays idle. */
static long count_in_snapshot(const char *snapshot)
{
    PGconn *c = pgt_connect(&cl, "postgres");
    pgt_exec(c, "BEGIN ISOLATION LEVEL REPEATABLE READ");
    pgt_exec(c, "SET TRANSACTION SNAPSHOT '%s'", snapshot);
    char *v = pgt_query_value(c, "SELECT count(*) FROM t");
    long n = atol(v);
    free(v);
    pgt_exec(c, "COMMIT");
    PQfinish(c);
    return n;
}

static void test_create_with_snapshot(PGconn *admin, const char *given)
{
    pgcdc_error e;
    char name[PGCDC_SLOT_NAME_MAX + 1];
    if (given)
        snprintf(name, sizeof name, "%s", given);
    else
        pgcdc_slot_generate_name(NULL, name);

    pgt_exec(admin, "TRUNCATE t");
    pgt_exec(admin, "INSERT INTO t SELECT g FROM generate_series(1, 3) g");
    pgcdc_lsn before = st_lsn(admin, "SELECT pg_current_wal_lsn()");

    PGconn *repl = repl_connect();
    pgcdc_slot_created made;
    pgcdc_code rc = pgcdc_slot_create(repl, name, false, &made, &e);
    CHECK_MSG(rc == PGCDC_OK, "%s", e.message);
    CHECK_STR(made.name, name);
    CHECK(made.consistent_point >= before);
    CHECK(made.snapshot_name[0] != '\0');

    /* Committed after the slot: not in the snapshot, but in the stream. */
    pgt_exec(admin, "INSERT INTO t SELECT g FROM generate_series(4, 5) g");
    CHECK_INT(count_in_snapshot(made.snapshot_name), 3);
    /* Several readers can share it (parallel snapshot queries). */
    CHECK_INT(count_in_snapshot(made.snapshot_name), 3);
    char *now = pgt_query_value(admin, "SELECT count(*) FROM t");
    CHECK_STR(now, "5");
    free(now);

    /* Reuse: the lookup finds it, from a normal and a replication connection. */
    pgcdc_slot_info info;
    rc = pgcdc_slot_lookup(admin, name, &info, &e);
    CHECK_MSG(rc == PGCDC_OK, "%s", e.message);
    CHECK_STR(info.name, name);
    CHECK_STR(info.plugin, "pgoutput");
    CHECK_STR(info.database, "postgres");
    CHECK_STR(info.lookup_database, "postgres");
    CHECK(!info.temporary);
    CHECK(!info.lost);
    CHECK(!info.two_phase);
    CHECK(info.confirmed_flush_lsn == made.consistent_point);
    CHECK(info.restart_lsn != 0 && info.restart_lsn <= made.consistent_point);
    CHECK_INT(pgcdc_slot_check_continuity(&info, made.consistent_point, &e), PGCDC_OK);
    rc = pgcdc_slot_lookup(repl, name, &info, &e);
    CHECK_MSG(rc == PGCDC_OK, "%s", e.message);
    CHECK(info.confirmed_flush_lsn == made.consistent_point);

    /* Creating it again is refused with a message that says so. */
    pgcdc_slot_created again;
    CHECK_INT(pgcdc_slot_create(repl, name, false, &again, &e), PGCDC_EINVAL);
    CHECK_CONTAINS(e.message, "already exists");

    /* Drop (on the replication connection), then it is gone. */
    rc = pgcdc_slot_drop(repl, name, &e);
    CHECK_MSG(rc == PGCDC_OK, "%s", e.message);
    CHECK_INT(pgcdc_slot_lookup(admin, name, &info, &e), PGCDC_ENOTFOUND);
    CHECK_INT(pgcdc_slot_drop(admin, name, &e), PGCDC_ENOTFOUND);
    PQfinish(repl);
}

static void test_continuity(PGconn *admin)
{
    pgcdc_error e;
    const char *name = "cont_slot";
    PGconn *repl = repl_connect();
    pgcdc_slot_created made;
    CHECK_INT(pgcdc_slot_create(repl, name, false, &made, &e), PGCDC_OK);
    pgcdc_lsn durable = made.consistent_point;

    /* Exactly at our durable position: go on. */
    pgcdc_slot_info info;
    CHECK_INT(pgcdc_slot_lookup(admin, name, &info, &e), PGCDC_OK);
    CHECK_INT(pgcdc_slot_check_continuity(&info, durable, &e), PGCDC_OK);

    /* Writes happen, the slot is dropped and recreated: its confirmed
     * position is past what we hold, so the changes in between are lost. */
    pgt_exec(admin, "INSERT INTO t SELECT g FROM generate_series(100, 110) g");
    CHECK_INT(pgcdc_slot_drop(admin, name, &e), PGCDC_OK);
    CHECK_INT(pgcdc_slot_lookup(admin, name, &info, &e), PGCDC_ENOTFOUND);
    CHECK_INT(pgcdc_slot_check_continuity(NULL, durable, &e), PGCDC_EGAP);
    CHECK_CONTAINS(e.message, "vanished");
    char lsn[PGCDC_LSN_STRLEN];
    CHECK_CONTAINS(e.message, pgcdc_lsn_format(durable, lsn));

    PQfinish(repl);
    repl = repl_connect();
    CHECK_INT(pgcdc_slot_create(repl, name, false, &made, &e), PGCDC_OK);
    CHECK_INT(pgcdc_slot_lookup(admin, name, &info, &e), PGCDC_OK);
    CHECK(info.confirmed_flush_lsn > durable);
    CHECK_INT(pgcdc_slot_check_continuity(&info, durable, &e), PGCDC_EGAP);
    CHECK_CONTAINS(e.message, "recreated");
    CHECK_CONTAINS(e.message, "full resync");
    CHECK_INT(pgcdc_slot_drop(admin, name, &e), PGCDC_OK);
    PQfinish(repl);

    /* Someone else's slot: another plugin, another database. */
    pgt_exec(admin, "SELECT pg_create_logical_replication_slot('td_slot', 'test_decoding')");
    CHECK_INT(pgcdc_slot_lookup(admin, "td_slot", &info, &e), PGCDC_OK);
    CHECK_INT(pgcdc_slot_check_continuity(&info, PGCDC_INVALID_LSN, &e), PGCDC_EINVAL);
    CHECK_CONTAINS(e.message, "test_decoding");
    pgt_exec(admin, "SELECT pg_drop_replication_slot('td_slot')");

    PGconn *other = pgt_connect(&cl, "otherdb");
    pgt_exec(other, "SELECT pg_create_logical_replication_slot('other_slot', 'pgoutput')");
    PQfinish(other);
    CHECK_INT(pgcdc_slot_lookup(admin, "other_slot", &info, &e), PGCDC_OK);
    CHECK_INT(pgcdc_slot_check_continuity(&info, PGCDC_INVALID_LSN, &e), PGCDC_EINVAL);
    CHECK_CONTAINS(e.message, "otherdb");
    pgt_exec(admin, "SELECT pg_drop_replication_slot('other_slot')");
}

static void test_two_phase_and_errors(PGconn *admin)
{
    pgcdc_error e;
    PGconn *repl = repl_connect();
    pgcdc_slot_created made;
    pgcdc_code rc = pgcdc_slot_create(repl, "tp_slot", true, &made, &e);
    if (cl.major >= 15) {
        CHECK_MSG(rc == PGCDC_OK, "%s", e.message);
        pgcdc_slot_info info;
        CHECK_INT(pgcdc_slot_lookup(admin, "tp_slot", &info, &e), PGCDC_OK);
        CHECK(info.two_phase);
        CHECK_INT(pgcdc_slot_drop(admin, "tp_slot", &e), PGCDC_OK);
    } else {
        CHECK_INT(rc, PGCDC_EUNSUPPORTED);
        CHECK_CONTAINS(e.message, "15");
    }
    CHECK_INT(pgcdc_slot_create(repl, "Bad-Name", false, &made, &e), PGCDC_EINVAL);
    CHECK_INT(pgcdc_slot_create(repl, "", false, &made, &e), PGCDC_EINVAL);
    /* A hostile name is only ever a quoted literal in the lookup. */
    pgcdc_slot_info info;
    CHECK_INT(pgcdc_slot_lookup(admin, "x' OR '1'='1", &info, &e), PGCDC_ENOTFOUND);
    PQfinish(repl);

    /* A normal connection cannot create a slot with a snapshot. */
    rc = pgcdc_slot_create(admin, "plain_slot", false, &made, &e);
    CHECK(rc != PGCDC_OK);
}

int main(void)
{
    pgcdc_log_set_handler(st_log, NULL, PGCDC_LOG_WARN);
    pgt_cluster_start(&cl, pgt_major(), NULL);
    st_cfg(&cfg, &cl, "postgres", NULL, NULL);
    PGconn *admin = pgt_connect(&cl, "postgres");
    CHECK_INT(pgcdc_server_major(admin), cl.major);
    pgt_exec(admin, "CREATE TABLE t (id int PRIMARY KEY)");
    pgt_exec(admin, "CREATE DATABASE otherdb");

    test_create_with_snapshot(admin, "given_slot");
    test_create_with_snapshot(admin, NULL);
    test_continuity(admin);
    test_two_phase_and_errors(admin);

    PQfinish(admin);
    st_cfg_free(&cfg);
    pgt_cluster_stop(&cl);
    return pgt_done("slot");
}
