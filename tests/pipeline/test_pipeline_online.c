/* test_pipeline_online.c - snapshots while streaming (docs/runner.md, "Tables
 * added while running"): a table created later that matches Included Table
 * Regex is picked up while a write load runs on it, and ends identical to the
 * source; an initial snapshot killed after some chunks resumes from its last
 * finished chunk under a write load; a table whose state row is deleted is
 * snapshotted again. argv[1] = the pgcdc binary. */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runner.h"

static char tmpdir[256];
static pgt_cluster cl;

static void write_conf_pub(const char *path, const char *pub, const char *slot, const char *destdb,
                           const char *regex, int conns)
{
    rt_write_conf(path, &(rt_conf){.source_port = cl.port, .source_db = "osrc", .publication = pub, .slot = slot,
                                   .dest_port = cl.port, .dest_db = destdb, .regex = regex,
                                   .snapshot_queries = conns});
}

static void write_conf(const char *path, const char *slot, const char *destdb, const char *regex, int conns)
{
    write_conf_pub(path, "o_pub", slot, destdb, regex, conns);
}

/* appends to log, which holds every run of the case */
static int run_caught_up(const char *conf, const char *log)
{
    const char *args[] = {"run", "-c", conf, "--until-caught-up", NULL};
    return rt_run(log, 180, 0, args);
}

static void wait_log(const char *log, const char *s, int seconds)
{
    for (int i = 0; i < seconds * 20 && !rt_log_has(log, s); i++)
        usleep(50000);
}

/* A write load on table tbl (id int key, a int, b bigint, t timestamptz):
 * per transaction 3 inserts, an update of an old and of a fresh row, a key
 * update, a delete of an old and of a fresh row - until killed. */
static pid_t load(const char *tbl, int first_id)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    PGconn *c = pgt_connect(&cl, "osrc");
    char sql[1200];
    for (int i = 0; i < 100000; i++) {
        int n = first_id + i * 10;
        snprintf(sql, sizeof sql,
                 "BEGIN;"
                 "INSERT INTO %1$s VALUES (%2$d, 1, %2$d, now()), (%3$d, 2, 0, now()), (%4$d, 3, 0, now());"
                 "UPDATE %1$s SET a = a + 1, t = now() WHERE id = (SELECT min(id) FROM %1$s WHERE id > %5$d);"
                 "UPDATE %1$s SET b = b + 7 WHERE id = %3$d;"
                 "UPDATE %1$s SET id = %6$d WHERE id = %4$d;"
                 "DELETE FROM %1$s WHERE id = (SELECT max(id) FROM %1$s WHERE id < %5$d AND id %% 3 = 0);"
                 "DELETE FROM %1$s WHERE id = %2$d;"
                 "COMMIT",
                 tbl, n, n + 1, n + 2, (i * 37) % 20000, n + 5);
        PGresult *r = PQexec(c, sql);
        PQclear(r);
        usleep(5000);
    }
    PQfinish(c);
    _exit(0);
}

static void stop(pid_t pid)
{
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

/* Live rows equal, no duplicate keys, every key the source lost is either
 * absent or soft-deleted in the destination. */
static void compare(PGconn *src, PGconn *dst, const char *tbl)
{
    char a[300], b[400];
    snprintf(a, sizeof a, "SELECT id, a, b, t FROM %s", tbl);
    snprintf(b, sizeof b, "SELECT id, a, b, t FROM %s WHERE NOT \"_SNOWFLAKE_DELETED\"", tbl);
    char *x = rt_rows(src, a), *y = rt_rows(dst, b);
    CHECK(x[0] != '\0');
    if (strcmp(x, y) != 0) {
        fprintf(stderr, "%s differs (source %zu chars, destination %zu chars)\n", tbl, strlen(x), strlen(y));
        /* the first lines only one side has */
        int shown = 0;
        for (char *l = strtok(x, "\n"); l && shown < 10; l = strtok(NULL, "\n"))
            if (!strstr(y, l) && ++shown)
                fprintf(stderr, "  only in the source: %s\n", l);
        char *y2 = strdup(y), *x2 = rt_rows(src, a);
        shown = 0;
        for (char *l = strtok(y2, "\n"); l && shown < 10; l = strtok(NULL, "\n"))
            if (!strstr(x2, l) && ++shown)
                fprintf(stderr, "  only in the destination: %s\n", l);
        free(y2);
        free(x2);
        CHECK(0);
    } else {
        CHECK(1);
    }
    free(x);
    free(y);
    char *d = pgt_query_value(dst, "SELECT count(*) - count(DISTINCT id) FROM %s", tbl);
    CHECK_STR(d, "0");
    free(d);
}

static void added_by_regex(PGconn *src, PGconn *adm)
{
    char conf[300], log[300];
    snprintf(conf, sizeof conf, "%s/a.conf", tmpdir);
    snprintf(log, sizeof log, "%s/a.log", tmpdir);
    pgt_exec(adm, "CREATE DATABASE odst1");
    PGconn *dst = pgt_connect(&cl, "odst1");
    write_conf(conf, "o_slot1", "odst1", "public\\.on_.*", 2);
    pid_t runner = rt_spawn_run(conf, false, log, NULL);
    wait_log(log, "streaming changes", 60);
    CHECK(rt_log_has(log, "streaming changes"));
    pid_t l1 = load("on_a", 100000);
    /* a new table matching the regex, filled, then written to while the
     * runner picks it up and snapshots it */
    pgt_exec(src, "CREATE TABLE on_b (id int PRIMARY KEY, a int, b bigint, t timestamptz)");
    pgt_exec(src, "INSERT INTO on_b SELECT g, g %% 100, g * 3, now() FROM generate_series(1, 40000) g");
    pid_t l2 = load("on_b", 100000);
    wait_log(log, "table public.on_b is included now", 30);
    CHECK(rt_log_has(log, "table public.on_b is included now"));
    for (int i = 0; i < 600 && !rt_log_has(log, "public.on_b changed from SNAPSHOT_REPLICATION to INCREMENTAL"); i++)
        usleep(50000);
    CHECK(rt_log_has(log, "public.on_b changed from SNAPSHOT_REPLICATION to INCREMENTAL_REPLICATION"));
    CHECK(rt_log_has(log, "temporary replication slot"));
    sleep(2); /* more changes after the snapshot */
    stop(l1);
    stop(l2);
    kill(runner, SIGTERM);
    CHECK_INT(rt_wait_exit(runner, 60), 0);
    CHECK_INT(run_caught_up(conf, log), 0);
    compare(src, dst, "on_a");
    compare(src, dst, "on_b");
    /* no temporary slot left behind */
    char *n = pgt_query_value(src, "SELECT count(*) FROM pg_replication_slots WHERE temporary%s", "");
    CHECK_STR(n, "0");
    free(n);

    /* a table restarted: its state row and destination table deleted */
    pgt_exec(dst, "DELETE FROM pgcdc_state.\"_PGCDC_TABLE_STATE\" WHERE table_name = 'public.on_a'");
    pgt_exec(dst, "DROP TABLE public.on_a");
    pgt_exec(src, "UPDATE on_a SET a = -1 WHERE id %% 5 = 0");
    CHECK_INT(run_caught_up(conf, log), 0);
    CHECK(rt_log_has(log, "public.on_a changed from NEW to SNAPSHOT_REPLICATION"));
    compare(src, dst, "on_a");

    /* restarted the reference's way: only its destination table dropped */
    pgt_exec(dst, "DROP TABLE public.on_b");
    pgt_exec(src, "UPDATE on_b SET b = -b WHERE id %% 3 = 0");
    CHECK_INT(run_caught_up(conf, log), 0);
    CHECK(rt_log_has(log, "table public.on_b: its destination table is gone; it is snapshotted again"));
    compare(src, dst, "on_b");
    PQfinish(dst);
}

static void resumed_snapshot(PGconn *src, PGconn *adm)
{
    char conf[300], log[300];
    snprintf(conf, sizeof conf, "%s/r.conf", tmpdir);
    snprintf(log, sizeof log, "%s/r.log", tmpdir);
    pgt_exec(adm, "CREATE DATABASE odst2");
    PGconn *dst = pgt_connect(&cl, "odst2");
    pgt_exec(src, "CREATE TABLE re_big (id int PRIMARY KEY, a int, b bigint, t timestamptz)");
    pgt_exec(src, "INSERT INTO re_big SELECT g, g %% 100, g * 3, now() FROM generate_series(1, 200000) g");
    pgt_exec(src, "ANALYZE re_big");
    write_conf(conf, "o_slot2", "odst2", "public\\.re_.*", 4);
    /* killed right after its second chunk is in the journal */
    pid_t runner = rt_spawn_run(conf, false, log, "snapshot-chunk-written:2");
    pid_t l = load("re_big", 300000);
    int rc = rt_wait_exit(runner, 120);
    CHECK_INT(rc, 128 + SIGKILL);
    sleep(1);
    CHECK_INT(run_caught_up(conf, log), 0);
    CHECK(rt_log_has(log, "resuming its snapshot, 2 of"));
    sleep(1);
    stop(l);
    CHECK_INT(run_caught_up(conf, log), 0);
    compare(src, dst, "re_big");
    PQfinish(dst);
}

/* A snapshot killed after two chunks, then (a) a column added on the source
 * before the resume: the snapshot starts over in the new shape; (b) the
 * table restarted (state row deleted, destination table dropped) before the
 * resume: the chunks recorded in its earlier life are not reused. */
static void resume_after_changes(PGconn *src, PGconn *adm)
{
    char conf[300], log[300];
    pgt_exec(adm, "CREATE DATABASE odst4");
    PGconn *dst = pgt_connect(&cl, "odst4");
    snprintf(conf, sizeof conf, "%s/rc.conf", tmpdir);
    snprintf(log, sizeof log, "%s/rc.log", tmpdir);
    pgt_exec(src, "CREATE TABLE rc_z (id int PRIMARY KEY, a int, b bigint, t timestamptz)");
    pgt_exec(src, "CREATE TABLE rc_r (id int PRIMARY KEY, a int, b bigint, t timestamptz)");
    pgt_exec(src, "INSERT INTO rc_z SELECT g, g %% 100, g * 3, now() FROM generate_series(1, 200000) g");
    pgt_exec(src, "INSERT INTO rc_r SELECT g, g %% 100, g * 3, now() FROM generate_series(1, 200000) g");
    pgt_exec(src, "ANALYZE rc_z; ANALYZE rc_r");
    write_conf(conf, "o_slot4", "odst4", "public\\.rc_.*", 4);
    CHECK_INT(rt_wait_exit(rt_spawn_run(conf, false, log, "snapshot-chunk-written:3"), 120), 128 + SIGKILL);
    /* (a) */
    pgt_exec(src, "ALTER TABLE rc_z ADD COLUMN z int");
    pgt_exec(src, "UPDATE rc_z SET z = id * 2 WHERE id %% 1000 = 0");
    /* (b) */
    pgt_exec(dst, "DELETE FROM pgcdc_state.\"_PGCDC_TABLE_STATE\" WHERE table_name = 'public.rc_r'");
    pgt_exec(dst, "DROP TABLE public.rc_r");
    pgt_exec(src, "UPDATE rc_r SET a = -a WHERE id %% 7 = 0");
    CHECK_INT(run_caught_up(conf, log), 0);
    CHECK(rt_log_has(log, "table public.rc_z: its columns changed before its snapshot"));
    CHECK(!rt_log_has(log, "FAILED"));
    CHECK(rt_same(src, "SELECT id, a, b, t, z FROM rc_z", dst,
                  "SELECT id, a, b, t, z FROM rc_z WHERE NOT \"_SNOWFLAKE_DELETED\""));
    compare(src, dst, "rc_r");
    PQfinish(dst);
}

/* Only unpublished tables are written: the stream is quiet, yet the slot
 * must not pin the WAL - its position is saved and confirmed (cdc.c,
 * confirm_idle), and a restart continues from it. */
static void idle_confirm(PGconn *src, PGconn *adm)
{
    char conf[300], log[300];
    snprintf(conf, sizeof conf, "%s/i.conf", tmpdir);
    snprintf(log, sizeof log, "%s/i.log", tmpdir);
    pgt_exec(adm, "CREATE DATABASE odst3");
    pgt_exec(src, "CREATE TABLE id_pub (id int PRIMARY KEY, v text)");
    pgt_exec(src, "INSERT INTO id_pub VALUES (1, 'one')");
    pgt_exec(src, "CREATE TABLE id_other (id int PRIMARY KEY, v text)");
    pgt_exec(src, "CREATE PUBLICATION o_pub_small FOR TABLE id_pub");
    write_conf_pub(conf, "o_pub_small", "o_slot3", "odst3", "public\\.id_.*", 2);
    pid_t runner = rt_spawn_run(conf, false, log, NULL);
    wait_log(log, "streaming changes", 60);
    pgt_exec(src, "INSERT INTO id_other SELECT g, repeat('w', 200) FROM generate_series(1, 20000) g");
    char *end = pgt_query_value(src, "SELECT pg_current_wal_insert_lsn()%s", "");
    bool confirmed = false;
    for (int i = 0; i < 300 && !confirmed; i++) { /* at most 30 s; it is done every 10 s */
        char *ok = pgt_query_value(src, "SELECT confirmed_flush_lsn >= '%s' FROM pg_replication_slots "
                                   "WHERE slot_name = 'o_slot3'", end);
        confirmed = !strcmp(ok, "t");
        free(ok);
        usleep(100000);
    }
    CHECK(confirmed);
    PGconn *dst = pgt_connect(&cl, "odst3");
    char *saved = pgt_query_value(dst, "SELECT count(*) FROM pgcdc_state.\"_PGCDC_SOURCE_STATE\" WHERE slot_name = "
                                  "'o_slot3' AND confirmed_lsn >= pg_wal_lsn_diff('%s', '0/0')", end);
    CHECK_STR(saved, "1");
    free(saved);
    kill(runner, SIGTERM);
    CHECK_INT(rt_wait_exit(runner, 60), 0);
    pgt_exec(src, "INSERT INTO id_pub VALUES (2, 'two')");
    CHECK_INT(run_caught_up(conf, log), 0); /* the continuity check accepts the advanced slot */
    char *v = pgt_query_value(dst, "SELECT string_agg(id || v, ',' ORDER BY id) FROM id_pub%s", "");
    CHECK_STR(v, "1one,2two");
    free(v);
    free(end);
    PQfinish(dst);
}

int main(int argc, char **argv)
{
    int start = rt_begin(argc, argv, "online", tmpdir, sizeof tmpdir);
    if (start != 0)
        return start;
    pgt_cluster_start(&cl, pgt_major(), NULL);
    PGconn *adm = pgt_connect(&cl, "postgres");
    pgt_exec(adm, "CREATE DATABASE osrc");
    PGconn *src = pgt_connect(&cl, "osrc");
    pgt_exec(src, "CREATE TABLE on_a (id int PRIMARY KEY, a int, b bigint, t timestamptz)");
    pgt_exec(src, "INSERT INTO on_a SELECT g, g %% 100, g * 3, now() FROM generate_series(1, 20000) g");
    pgt_exec(src, "CREATE PUBLICATION o_pub FOR ALL TABLES");

    added_by_regex(src, adm);
    resumed_snapshot(src, adm);
    resume_after_changes(src, adm);
    idle_confirm(src, adm);

    if (pgt_failures && getenv("PGCDC_TEST_HOLD")) {
        fprintf(stderr, "HOLD port %d\n", cl.port);
        sleep(600);
    }
    PQfinish(src);
    PQfinish(adm);
    pgt_cluster_stop(&cl);
    rt_tmpdir_remove(tmpdir);
    return pgt_done("pipeline-online");
}
