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

#include "pgt.h"

static const char *bin;
static char tmpdir[256];
static pgt_cluster cl;

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return strdup("");
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = calloc(1, (size_t)n + 1);
    if (fread(s, 1, (size_t)n, f) != (size_t)n)
        exit(1);
    fclose(f);
    return s;
}

static void write_conf(const char *path, const char *slot, const char *destdb, const char *names,
                       const char *cron)
{
    FILE *f = fopen(path, "w");
    fprintf(f,
            "[PostgreSQL Source Parameters]\n"
            "PostgreSQL Connection URL = postgresql://127.0.0.1:%d/fsrc\n"
            "PostgreSQL Username = postgres\n"
            "Publication Name = f_pub\n"
            "%s%s%s"
            "\n[PostgreSQL Destination Parameters]\n"
            "Destination Type = POSTGRESQL\n"
            "Destination Connection URL = postgresql://127.0.0.1:%d/%s\n"
            "Destination Username = postgres\n"
            "\n[PostgreSQL Ingestion Parameters]\n"
            "Included Table Names = %s\n"
            "Merge Task Schedule CRON = %s\n",
            cl.port, slot ? "Replication Slot Name = " : "", slot ? slot : "", slot ? "\n" : "", cl.port, destdb,
            names, cron);
    fclose(f);
}

static pid_t spawn(const char *conf, bool caught_up, const char *log)
{
    pid_t pid = fork();
    if (pid == 0) {
        FILE *o = freopen(log, "a", stdout);
        FILE *e = freopen(log, "a", stderr);
        (void)o;
        (void)e;
        if (caught_up)
            execl(bin, bin, "run", "-c", conf, "--until-caught-up", (char *)NULL);
        else
            execl(bin, bin, "run", "-c", conf, (char *)NULL);
        _exit(127);
    }
    return pid;
}

static int wait_exit(pid_t pid, int limit)
{
    for (int i = 0; i < limit * 10; i++) {
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        usleep(100000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    fprintf(stderr, "runner did not finish in %d s\n", limit);
    return -1;
}

static int run_caught_up(const char *conf, const char *log, int expect)
{
    unlink(log);
    int rc = wait_exit(spawn(conf, true, log), 120);
    if (rc != expect) {
        char *l = read_file(log);
        fprintf(stderr, "--- %s (exit %d, expected %d) ---\n%s---\n", log, rc, expect, l);
        free(l);
    }
    return rc;
}

/* rows of a query as text lines (record text, ordered by the first column) */
static char *rows(PGconn *c, const char *sel)
{
    return pgt_query_value(c, "SELECT array_to_string(ARRAY(SELECT t::text FROM (%s ORDER BY 1) t), E'\\n')", sel);
}

static int same(PGconn *src, const char *src_sel, PGconn *dst, const char *dst_sel)
{
    char *a = rows(src, src_sel), *b = rows(dst, dst_sel);
    int eq = strcmp(a, b) == 0 && a[0];
    if (!eq)
        fprintf(stderr, "rows differ:\nsource (%s):\n%s\ndestination (%s):\n%s\n", src_sel, a, dst_sel, b);
    free(a);
    free(b);
    return eq;
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

static bool log_has(const char *log, const char *s)
{
    char *l = read_file(log);
    bool has = strstr(l, s) != NULL;
    free(l);
    return has;
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
    pid_t pid = spawn(conf, false, log);
    for (int i = 0; i < 600 && !log_has(log, "streaming changes"); i++)
        usleep(50000);
    CHECK(log_has(log, "streaming changes"));
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
    CHECK_INT(run_caught_up(conf, log, 0), 0);
    CHECK(same(src, "SELECT id, v FROM f1", dst, "SELECT id, v FROM public.f1 WHERE NOT \"_SNOWFLAKE_DELETED\""));
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
    CHECK_INT(run_caught_up(conf, log, 0), 0);
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
    int rc = wait_exit(spawn(conf, true, log), 20);
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
    CHECK_INT(run_caught_up(conf, log, 0), 0);
    pgt_exec(src, "INSERT INTO f1 (v) SELECT 'cancel-' || g FROM generate_series(1, 20) g");
    PGconn *locker = pgt_connect(&cl, "fdst3");
    pgt_exec(locker, "BEGIN");
    pgt_exec(locker, "LOCK TABLE public.f1 IN ACCESS EXCLUSIVE MODE");
    unlink(log);
    pid_t pid = spawn(conf, true, log);
    bool cancelled = false;
    for (int i = 0; i < 300 && !cancelled; i++) {
        usleep(50000);
        cancelled = count(adm, "SELECT count(pg_cancel_backend(pid)) FROM pg_stat_activity WHERE datname = 'fdst3' "
                          "AND wait_event_type = 'Lock' AND pid <> %s", "pg_backend_pid()") > 0;
    }
    CHECK(cancelled);
    for (int i = 0; i < 200 && !log_has(log, "interim error, retrying in"); i++)
        usleep(50000);
    CHECK(log_has(log, "interim error, retrying in"));
    CHECK_INT(waitpid(pid, NULL, WNOHANG), 0); /* still running: retrying, not ended */
    char *st = pgt_query_value(dst, "SELECT state FROM pgcdc_state.\"_PGCDC_TABLE_STATE\" WHERE table_name = '%s'",
                               "public.f1");
    CHECK_STR(st, "INCREMENTAL_REPLICATION");
    free(st);
    pgt_exec(locker, "ROLLBACK");
    PQfinish(locker);
    CHECK_INT(wait_exit(pid, 60), 0);
    CHECK(same(src, "SELECT id, v FROM f1", dst, "SELECT id, v FROM public.f1 WHERE NOT \"_SNOWFLAKE_DELETED\""));
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
    pid_t pid = spawn(conf, false, log);
    for (int i = 0; i < 6000 && !log_has(log, "SNAPSHOT_REPLICATION"); i++)
        usleep(10000);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    CHECK(log_has(log, "SNAPSHOT_REPLICATION"));
    CHECK(!log_has(log, "rows snapshotted")); /* killed mid-snapshot */
    CHECK_INT(run_caught_up(conf, log, 0), 0);
    CHECK_INT(count(src, "SELECT count(*) FROM pg_replication_slots WHERE slot_name NOT LIKE 'f\\_slot%%'%s", ""), 1);
    PGconn *dst = pgt_connect(&cl, "fdst4");
    CHECK_INT(count(dst, "SELECT count(*) FROM public.f4%s", ""), 300000);
    PQfinish(dst);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PGCDC_BINARY\n", argv[0]);
        return 2;
    }
    bin = argv[1];
    snprintf(tmpdir, sizeof tmpdir, "/tmp/pgcdc-faults-XXXXXX");
    if (!mkdtemp(tmpdir))
        return 1;
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
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (pgt_failures == 0 && system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return pgt_done("pipeline-faults");
}
