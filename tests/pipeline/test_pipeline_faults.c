/* test_pipeline_faults.c - the runner under faults (docs/runner.md, "Crash
 * safety" and "Interim errors"): rows written but not merged before a kill -9,
 * --until-caught-up under a steady write load, a cancelled merge, kill -9
 * during the first snapshot with a generated slot name.
 * argv[1] = the pgcdc binary. */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runner.h"

static char tmpdir[256];
static pgt_cluster cl;

static void write_conf(const char *path, const char *slot, const char *destdb, const char *names,
                       const char *cron)
{
    rt_write_conf(path, &(rt_conf){.source_port = cl.port, .source_db = "fsrc", .publication = "f_pub", .slot = slot,
                                   .dest_port = cl.port, .dest_db = destdb, .names = names, .cron = cron});
}

#define EVERY "* * * * * ?"
#define YEARLY "0 0 0 1 1 ?"

static long count(PGconn *c, const char *fmt, const char *arg)
{
    char *v = pgt_query_value(c, fmt, arg);
    long n = atol(v);
    free(v);
    return n;
}

/* Defect 1: rows written (position saved) but never merged before a kill -9
 * are merged by the next run, even before new rows arrive. */
static void unmerged_after_crash(PGconn *src, PGconn *adm)
{
    char conf[300], log[300];
    snprintf(conf, sizeof conf, "%s/c1.conf", tmpdir);
    snprintf(log, sizeof log, "%s/c1.log", tmpdir);
    pgt_exec(adm, "CREATE DATABASE fdst1");
    PGconn *dst = pgt_connect(&cl, "fdst1");
    write_conf(conf, "f_slot1", "fdst1", "public.f1", YEARLY); /* the cron does not fire during the test */
    unlink(log);
    pid_t pid = rt_spawn_run(conf, false, log, NULL);
    for (int i = 0; i < 600 && !rt_log_has(log, "streaming changes"); i++)
        usleep(50000);
    CHECK(rt_log_has(log, "streaming changes"));
    long before = count(dst, "SELECT count(*) FROM public.f1%s", "");
    pgt_exec(src, "INSERT INTO f1 (v) SELECT 'crash-' || g FROM generate_series(1, 50) g");
    char *lsn = pgt_query_value(src, "SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::bigint%s", "");
    bool saved = false;
    for (int i = 0; i < 200 && !saved; i++) {
        saved = count(dst, "SELECT count(*) FROM pgcdc_state.\"_PGCDC_SOURCE_STATE\" WHERE slot_name = 'f_slot1' "
                      "AND confirmed_lsn >= %s", lsn) == 1;
        usleep(50000);
    }
    free(lsn);
    CHECK(saved);
    CHECK_INT(count(dst, "SELECT count(*) FROM public.f1%s", ""), before); /* written, not merged */
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    write_conf(conf, "f_slot1", "fdst1", "public.f1", EVERY);
    CHECK_INT(rt_run_caught_up(conf, log, 0), 0);
    CHECK(rt_same(src, "SELECT id, v FROM f1", dst, "SELECT id, v FROM public.f1 WHERE NOT \"_SNOWFLAKE_DELETED\""));
    PQfinish(dst);
}

/* Defect 2: --until-caught-up ends under a steady write load. */
static void caught_up_under_load(PGconn *src, PGconn *adm)
{
    char conf[300], log[300];
    snprintf(conf, sizeof conf, "%s/c2.conf", tmpdir);
    snprintf(log, sizeof log, "%s/c2.log", tmpdir);
    pgt_exec(adm, "CREATE DATABASE fdst2");
    PGconn *dst = pgt_connect(&cl, "fdst2");
    write_conf(conf, "f_slot2", "fdst2", "public.f1", EVERY);
    CHECK_INT(rt_run_caught_up(conf, log, 0), 0);
    pid_t writer = fork();
    if (writer == 0) {
        PGconn *w = pgt_connect(&cl, "fsrc");
        for (int i = 0; i < 1500; i++) { /* at most 30 s */
            PQclear(PQexec(w, "INSERT INTO f1 (v) VALUES ('load')"));
            usleep(20000);
        }
        PQfinish(w);
        _exit(0);
    }
    usleep(500000);
    char *last = pgt_query_value(src, "SELECT max(id) FROM f1%s", "");
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    unlink(log);
    int rc = rt_wait_exit(rt_spawn_run(conf, true, log, NULL), 20);
    clock_gettime(CLOCK_MONOTONIC, &b);
    kill(writer, SIGKILL);
    waitpid(writer, NULL, 0);
    CHECK_INT(rc, 0);
    CHECK((b.tv_sec - a.tv_sec) < 10);
    CHECK_INT(count(dst, "SELECT count(*) FROM public.f1 WHERE id <= %s", last),
              count(src, "SELECT count(*) FROM f1 WHERE id <= %s", last));
    free(last);
    PQfinish(dst);
}

/* Defect 3: a cancelled merge is interim: the table is not failed, the run
 * retries (docs/runner.md, "Interim errors") and, once the lock is gone,
 * merges everything and ends. */
static void cancelled_merge(PGconn *src, PGconn *adm)
{
    char conf[300], log[300];
    snprintf(conf, sizeof conf, "%s/c3.conf", tmpdir);
    snprintf(log, sizeof log, "%s/c3.log", tmpdir);
    pgt_exec(adm, "CREATE DATABASE fdst3");
    PGconn *dst = pgt_connect(&cl, "fdst3");
    write_conf(conf, "f_slot3", "fdst3", "public.f1", EVERY);
    CHECK_INT(rt_run_caught_up(conf, log, 0), 0);
    pgt_exec(src, "INSERT INTO f1 (v) SELECT 'cancel-' || g FROM generate_series(1, 20) g");
    PGconn *locker = pgt_connect(&cl, "fdst3");
    pgt_exec(locker, "BEGIN");
    pgt_exec(locker, "LOCK TABLE public.f1 IN ACCESS EXCLUSIVE MODE");
    unlink(log);
    pid_t pid = rt_spawn_run(conf, true, log, NULL);
    bool cancelled = false;
    for (int i = 0; i < 300 && !cancelled; i++) {
        usleep(50000);
        cancelled = count(adm, "SELECT count(pg_cancel_backend(pid)) FROM pg_stat_activity WHERE datname = 'fdst3' "
                          "AND wait_event_type = 'Lock' AND pid <> %s", "pg_backend_pid()") > 0;
    }
    CHECK(cancelled);
    for (int i = 0; i < 200 && !rt_log_has(log, "interim error, retrying in"); i++)
        usleep(50000);
    CHECK(rt_log_has(log, "interim error, retrying in"));
    CHECK_INT(waitpid(pid, NULL, WNOHANG), 0); /* still running: retrying, not ended */
    char *st = pgt_query_value(dst, "SELECT state FROM pgcdc_state.\"_PGCDC_TABLE_STATE\" WHERE table_name = '%s'",
                               "public.f1");
    CHECK_STR(st, "INCREMENTAL_REPLICATION");
    free(st);
    pgt_exec(locker, "ROLLBACK");
    PQfinish(locker);
    CHECK_INT(rt_wait_exit(pid, 60), 0);
    CHECK(rt_same(src, "SELECT id, v FROM f1", dst, "SELECT id, v FROM public.f1 WHERE NOT \"_SNOWFLAKE_DELETED\""));
    PQfinish(dst);
}

/* Defect 4: kill -9 during the first snapshot with a generated slot name:
 * after the next run, one slot. */
static void generated_slot_crash(PGconn *src, PGconn *adm)
{
    char conf[300], log[300];
    snprintf(conf, sizeof conf, "%s/c4.conf", tmpdir);
    snprintf(log, sizeof log, "%s/c4.log", tmpdir);
    pgt_exec(adm, "CREATE DATABASE fdst4");
    pgt_exec(src, "CREATE TABLE f4 (id int PRIMARY KEY, v text)");
    pgt_exec(src, "INSERT INTO f4 SELECT g, repeat('x', 40) || g FROM generate_series(1, 300000) g");
    pgt_exec(src, "ALTER PUBLICATION f_pub ADD TABLE f4");
    write_conf(conf, NULL, "fdst4", "public.f4", EVERY);
    unlink(log);
    pid_t pid = rt_spawn_run(conf, false, log, NULL);
    for (int i = 0; i < 6000 && !rt_log_has(log, "SNAPSHOT_REPLICATION"); i++)
        usleep(10000);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    CHECK(rt_log_has(log, "SNAPSHOT_REPLICATION"));
    CHECK(!rt_log_has(log, "rows snapshotted")); /* killed mid-snapshot */
    CHECK_INT(rt_run_caught_up(conf, log, 0), 0);
    CHECK_INT(count(src, "SELECT count(*) FROM pg_replication_slots WHERE slot_name NOT LIKE 'f\\_slot%%'%s", ""), 1);
    PGconn *dst = pgt_connect(&cl, "fdst4");
    CHECK_INT(count(dst, "SELECT count(*) FROM public.f4%s", ""), 300000);
    PQfinish(dst);
}

int main(int argc, char **argv)
{
    int start = rt_begin(argc, argv, "faults", tmpdir, sizeof tmpdir);
    if (start != 0)
        return start;
    pgt_cluster_start(&cl, pgt_major(), NULL);
    PGconn *adm = pgt_connect(&cl, "postgres");
    pgt_exec(adm, "CREATE DATABASE fsrc");
    PGconn *src = pgt_connect(&cl, "fsrc");
    pgt_exec(src, "CREATE TABLE f1 (id serial PRIMARY KEY, v text)");
    pgt_exec(src, "INSERT INTO f1 (v) SELECT 'row-' || g FROM generate_series(1, 100) g");
    pgt_exec(src, "CREATE PUBLICATION f_pub FOR TABLE f1");

    unmerged_after_crash(src, adm);
    caught_up_under_load(src, adm);
    cancelled_merge(src, adm);
    generated_slot_crash(src, adm);

    PQfinish(src);
    PQfinish(adm);
    pgt_cluster_stop(&cl);
    rt_tmpdir_remove(tmpdir);
    return pgt_done("pipeline-faults");
}
