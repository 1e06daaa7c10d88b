/* test_pipeline_restart.c - interim errors are retried with backoff and fail
 * no table (docs/runner.md, "Interim errors: retry with backoff").
 *   retry  (unit, no server): the classifier SQLSTATE by SQLSTATE and code by
 *          code; pgcdc_error's sqlstate; the retry loop of
 *          pgcdc_pipeline_run against a port nobody listens on (attempts
 *          counted, the backoff growing, retry_max_attempts, a stop during
 *          a long backoff ending the run promptly, a permanent error not
 *          retried);
 *   dest   (live): `pgcdc run` under a write load, the destination server
 *          restarted (fast shutdown, 3 s down): the runner keeps running,
 *          logs the retry and catches up; destination == source;
 *   source (live): the same with the source server restarted.
 * Source and destination are separate throwaway clusters, so each can be
 * restarted alone.
 * argv[1] = retry | dest | source, argv[2] = the pgcdc binary (live modes). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pgcdc/log.h"
#include "pgcdc/pipeline.h"
#include "runner.h"
#include "pipeline/pipeline_internal.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---------------------------------------------------------------- unit */

static bool interim_sql(const char *sqlstate)
{
    pgcdc_error e;
    pgcdc_error_set(&e, PGCDC_ESQL, "x");
    pgcdc_error_set_sqlstate(&e, sqlstate);
    return pl_error_is_interim(PGCDC_ESQL, &e);
}

static void classifier(void)
{
    /* the server cannot do it now: retry */
    static const char *const interim[] = {
        "57P01", "57P02", "57P03", "57P05", "57014", "57000", /* shutdown, cannot connect now, cancelled */
        "08000", "08006", "08001", "08003", "08P01",          /* connection exceptions */
        "40001", "40P01", "40003",                            /* serialization failure, deadlock */
        "55P03", "55006",                                     /* lock not available, object in use */
        "53000", "53100", "53200", "53300",                   /* insufficient resources */
        "58000", "58030",                                     /* system errors */
        "25006", "72000"};                                    /* read-only (a standby), snapshot too old */
    for (size_t i = 0; i < sizeof interim / sizeof *interim; i++)
        CHECK_MSG(interim_sql(interim[i]), "%s must be interim", interim[i]);
    /* the statement or the data is wrong: that table fails */
    static const char *const permanent[] = {
        "42501", "42P01", "42703", "42601", "42804", /* permissions, undefined objects, syntax, types */
        "22P02", "22001", "22003", "22007",          /* data exceptions */
        "23505", "23502", "23503",                   /* integrity */
        "0A000", "21000", "44000",                   /* not supported, cardinality, check option */
        "57P04",                                     /* the database was dropped */
        "XX000", "XX001", "P0001", "55000", "25P02", "3F000", "54000", "", "5", "08"};
    for (size_t i = 0; i < sizeof permanent / sizeof *permanent; i++)
        CHECK_MSG(!interim_sql(permanent[i]), "%s must be permanent", permanent[i]);
    CHECK(!pgcdc_sqlstate_is_interim(NULL));
    CHECK(!pgcdc_sqlstate_is_interim("4000100")); /* not a SQLSTATE */
    CHECK(pgcdc_sqlstate_is_interim("40001"));
    CHECK(!pl_error_is_interim(PGCDC_ESQL, NULL));

    /* by code: a lost connection and a timeout are interim whatever the text */
    pgcdc_error e;
    pgcdc_error_set(&e, PGCDC_ECONNECT, "could not connect");
    CHECK(pl_error_is_interim(PGCDC_ECONNECT, &e));
    CHECK(pl_error_is_interim(PGCDC_ECONNECT, NULL));
    CHECK(pl_error_is_interim(PGCDC_ETIMEOUT, NULL));
    static const pgcdc_code perm_codes[] = {PGCDC_EINVAL,       PGCDC_EGAP,   PGCDC_EPREFLIGHT, PGCDC_EPROTOCOL,
                                            PGCDC_EUNSUPPORTED, PGCDC_EVALUE, PGCDC_ENOMEM,     PGCDC_EIO,
                                            PGCDC_ENOTFOUND,    PGCDC_OK};
    for (size_t i = 0; i < sizeof perm_codes / sizeof *perm_codes; i++) {
        pgcdc_error_set(&e, perm_codes[i], "x");
        pgcdc_error_set_sqlstate(&e, "57P01"); /* the code decides, not a stray SQLSTATE */
        CHECK_MSG(!pl_error_is_interim(perm_codes[i], &e), "%s must be permanent", pgcdc_code_name(perm_codes[i]));
    }

    /* the record: set clears it, prefix and copies keep it, long input is cut */
    pgcdc_error_set(&e, PGCDC_ESQL, "merge failed");
    pgcdc_error_set_sqlstate(&e, "40P01");
    CHECK_STR(e.sqlstate, "40P01");
    pgcdc_error_prefix(&e, "table %s", "a.b");
    CHECK_STR(e.sqlstate, "40P01");
    CHECK_STR(e.message, "table a.b: merge failed");
    pgcdc_error copy = e;
    CHECK_STR(copy.sqlstate, "40P01");
    pgcdc_error_set(&e, PGCDC_ESQL, "another");
    CHECK_STR(e.sqlstate, "");
    pgcdc_error_set_sqlstate(&e, "4000123");
    CHECK_STR(e.sqlstate, "40001");
    pgcdc_error_set_sqlstate(&e, NULL);
    CHECK_STR(e.sqlstate, "");
    pgcdc_error_set_sqlstate(&e, "23505");
    pgcdc_error_clear(&e);
    CHECK_STR(e.sqlstate, "");
    pgcdc_error_set_sqlstate(NULL, "23505"); /* no record: nothing happens */
}

typedef struct log_capture {
    pthread_mutex_t lock;
    int retries, giveups;
    double first_retry_wait, last_retry_wait, max_retry_wait;
    char last[1200];
} log_capture;

static log_capture cap = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void on_log(void *ud, pgcdc_log_level level, const char *msg)
{
    (void)ud;
    pthread_mutex_lock(&cap.lock);
    const char *p = strstr(msg, "interim error, retrying in ");
    if (level == PGCDC_LOG_WARN && p) {
        double w = atof(p + strlen("interim error, retrying in "));
        if (cap.retries++ == 0)
            cap.first_retry_wait = w;
        cap.last_retry_wait = w;
        if (w > cap.max_retry_wait)
            cap.max_retry_wait = w;
    }
    if (level == PGCDC_LOG_ERROR && strstr(msg, "giving up"))
        cap.giveups++;
    snprintf(cap.last, sizeof cap.last, "%s", msg);
    pthread_mutex_unlock(&cap.lock);
}

static void cap_reset(void)
{
    pthread_mutex_lock(&cap.lock);
    cap.retries = cap.giveups = 0;
    cap.first_retry_wait = cap.last_retry_wait = cap.max_retry_wait = 0;
    cap.last[0] = '\0';
    pthread_mutex_unlock(&cap.lock);
}

/* A TCP port on 127.0.0.1 nobody listens on: connecting is refused at once. */
static int closed_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) != 0 || getsockname(s, (struct sockaddr *)&a, &len) != 0) {
        perror("closed_port");
        exit(1);
    }
    close(s);
    return ntohs(a.sin_port);
}

/* A "server" that accepts each connection and closes it after 250 ms
 * without a word: every attempt fails (interim), but only after running
 * longer than a small retry_max_ms. */
typedef struct slow_server {
    int fd, port;
    volatile int done;
    pthread_t th;
} slow_server;

static void *slow_accept(void *arg)
{
    slow_server *s = arg;
    while (!s->done) {
        struct timeval tv = {0, 100000};
        fd_set rd;
        FD_ZERO(&rd);
        FD_SET(s->fd, &rd);
        if (select(s->fd + 1, &rd, NULL, NULL, &tv) <= 0)
            continue;
        int c = accept(s->fd, NULL, NULL);
        if (c < 0)
            continue;
        usleep(250000);
        close(c);
    }
    return NULL;
}

static void slow_server_start(slow_server *s)
{
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(s->fd, 8) != 0 ||
        getsockname(s->fd, (struct sockaddr *)&a, &len) != 0) {
        perror("slow_server_start");
        exit(1);
    }
    s->port = ntohs(a.sin_port);
    s->done = 0;
    pthread_create(&s->th, NULL, slow_accept, s);
}

static void slow_server_stop(slow_server *s)
{
    s->done = 1;
    pthread_join(s->th, NULL);
    close(s->fd);
}

static void config_at(pgcdc_pipeline_config *c, int port)
{
    char url[128];
    pgcdc_error e;
    pgcdc_pipeline_config_init(c);
    snprintf(url, sizeof url, "postgresql://127.0.0.1:%d/src", port);
    CHECK_INT(pgcdc_pipeline_config_set(c, PGCDC_P_CONNECTION_URL, url, &e), PGCDC_OK);
    CHECK_INT(pgcdc_pipeline_config_set(c, PGCDC_P_USERNAME, "postgres", &e), PGCDC_OK);
    CHECK_INT(pgcdc_pipeline_config_set(c, PGCDC_P_PUBLICATION, "p", &e), PGCDC_OK);
    CHECK_INT(pgcdc_pipeline_config_set(c, PGCDC_P_SLOT_NAME, "s", &e), PGCDC_OK);
    snprintf(url, sizeof url, "postgresql://127.0.0.1:%d/dst", port);
    CHECK_INT(pgcdc_pipeline_config_set(c, PGCDC_P_DEST_URL, url, &e), PGCDC_OK);
    CHECK_INT(pgcdc_pipeline_config_set(c, PGCDC_P_DEST_USERNAME, "postgres", &e), PGCDC_OK);
    CHECK_INT(pgcdc_pipeline_config_set(c, "Included Table Names", "public.t", &e), PGCDC_OK);
}

static volatile sig_atomic_t stop_flag;

static void *stop_later(void *arg)
{
    usleep((useconds_t)(*(int *)arg) * 1000);
    stop_flag = 1;
    return NULL;
}

static void retry_loop(void)
{
    pgcdc_log_set_handler(on_log, NULL, PGCDC_LOG_DEBUG);
    pgcdc_pipeline_config c;
    config_at(&c, closed_port());
    pgcdc_pipeline_result res;
    pgcdc_error e;
    pgcdc_code rc;

    /* 5 attempts: 4 backoffs of 40, 80, 160 and 160 ms (cap), each cut by
     * the jitter to between 3/4 and all of it */
    cap_reset();
    pgcdc_pipeline_run_options o = {.until_caught_up = true, .retry_initial_ms = 40, .retry_max_ms = 160,
                                    .retry_max_attempts = 5};
    double t0 = now_s();
    CHECK_INT(pgcdc_pipeline_run(&c, &o, &res, &e), PGCDC_ECONNECT);
    double took = now_s() - t0;
    CHECK_INT(cap.retries, 4);
    CHECK_INT(cap.giveups, 1);
    CHECK_CONTAINS(e.message, "giving up after 5 attempt(s) in a row");
    CHECK_CONTAINS(e.message, "could not connect");
    CHECK_CONTAINS(cap.last, "giving up after 5 attempt(s)");
    CHECK_MSG(took >= 0.75 * (40 + 80 + 160 + 160) / 1000.0 && took < 3.0, "5 attempts took %.3f s", took);
    CHECK_MSG(cap.first_retry_wait <= 0.05, "first wait %.2f s", cap.first_retry_wait);
    CHECK_MSG(cap.last_retry_wait >= 0.1 && cap.last_retry_wait <= 0.2, "last wait %.2f s", cap.last_retry_wait);

    /* the defaults: 1 s first; a stop during the backoff ends the run at
     * once, as a clean stop */
    cap_reset();
    stop_flag = 0;
    pgcdc_pipeline_run_options d = {.stop = &stop_flag};
    int after_ms = 300;
    pthread_t th;
    pthread_create(&th, NULL, stop_later, &after_ms);
    t0 = now_s();
    CHECK_INT(pgcdc_pipeline_run(&c, &d, &res, &e), PGCDC_OK);
    took = now_s() - t0;
    pthread_join(th, NULL);
    CHECK_INT(cap.retries, 1);
    CHECK_MSG(cap.first_retry_wait >= 0.7 && cap.first_retry_wait <= 1.0, "first default wait %.2f s",
              cap.first_retry_wait);
    CHECK_MSG(took < 0.95, "a stop during the backoff took %.3f s", took); /* not the whole 0.75-1 s */

    /* a long backoff (20 s) is cut short by a stop too */
    cap_reset();
    stop_flag = 0;
    pgcdc_pipeline_run_options l = {.stop = &stop_flag, .retry_initial_ms = 20000};
    pthread_create(&th, NULL, stop_later, &after_ms);
    t0 = now_s();
    CHECK_INT(pgcdc_pipeline_run(&c, &l, &res, &e), PGCDC_OK);
    took = now_s() - t0;
    pthread_join(th, NULL);
    CHECK_INT(cap.retries, 1);
    CHECK_MSG(took < 1.5, "a stop during a 20 s backoff took %.3f s", took);

    /* attempts that each ran longer than retry_max_ms count as progress:
     * the delay starts over every time (no growth) and retry_max_attempts
     * (consecutive attempts without progress) is never reached */
    cap_reset();
    slow_server slow;
    slow_server_start(&slow);
    pgcdc_pipeline_config sc;
    config_at(&sc, slow.port);
    stop_flag = 0;
    pgcdc_pipeline_run_options so = {.stop = &stop_flag, .retry_initial_ms = 40, .retry_max_ms = 200,
                                     .retry_max_attempts = 2};
    int stop_ms = 1500;
    pthread_create(&th, NULL, stop_later, &stop_ms);
    rc = pgcdc_pipeline_run(&sc, &so, &res, &e);
    pthread_join(th, NULL);
    slow_server_stop(&slow);
    CHECK_MSG(rc == PGCDC_OK || rc == PGCDC_ECONNECT, "slow server: %s", e.message); /* stopped during a wait or an attempt */
    CHECK_MSG(cap.retries >= 3, "%d retries", cap.retries);
    CHECK_INT(cap.giveups, 0);
    CHECK_MSG(cap.max_retry_wait <= 0.05, "the delay grew to %.2f s", cap.max_retry_wait);
    pgcdc_pipeline_config_free(&sc);

    /* a permanent error is not retried: one attempt, no warning */
    cap_reset();
    pgcdc_pipeline_config bad;
    config_at(&bad, closed_port());
    CHECK_INT(pgcdc_pipeline_config_set(&bad, "Merge Task Schedule CRON", "0 0 0 1 1 ?", &e), PGCDC_OK);
    free(bad.merge_cron);
    bad.merge_cron = strdup("not a cron"); /* past the setter's check: the attempt refuses it */
    t0 = now_s();
    rc = pgcdc_pipeline_run(&bad, &o, &res, &e);
    CHECK(rc != PGCDC_OK && !pl_error_is_interim(rc, &e));
    CHECK_INT(cap.retries, 0);
    CHECK(now_s() - t0 < 0.5);
    pgcdc_pipeline_config_free(&bad);

    pgcdc_pipeline_config_free(&c);
    pgcdc_log_set_handler(NULL, NULL, PGCDC_LOG_ERROR);
}

/* ---------------------------------------------------------------- live */

static char tmpdir[256];
static pgt_cluster srccl, dstcl;

static void write_conf(const char *path)
{
    rt_write_conf(path, &(rt_conf){.source_port = srccl.port, .source_db = "rsrc", .publication = "r_pub",
                                   .slot = "r_slot", .dest_port = dstcl.port, .dest_db = "rdst",
                                   .names = "public.r_load, public.r_small", .cron = "* * * * * ?"});
}

/* rt_wait_exit, for the load process too */
static int wait_exit(pid_t pid, int limit)
{
    int st = 0;
    if (rt_wait(pid, limit, &st))
        return rt_exit_code(st);
    fprintf(stderr, "process %d did not finish in %d s\n", (int)pid, limit);
    return -1;
}

static bool alive(pid_t pid)
{
    return waitpid(pid, NULL, WNOHANG) == 0;
}

/* The retry lines of a log, for the test's output. */
static void show_retries(const char *log)
{
    char *l = rt_read_file(log);
    int n = 0;
    for (char *line = strtok(l, "\n"); line; line = strtok(NULL, "\n"))
        if (strstr(line, "interim error") && n++ < 6)
            fprintf(stderr, "  %s\n", line);
    free(l);
}

/* A query's rows as text (key order); NULL when the server does not answer
 * (while a cluster is restarting). */
static char *rows_or_null(PGconn *c, const char *sel)
{
    char sql[600];
    snprintf(sql, sizeof sql, "SELECT coalesce(string_agg(t::text, E'\\n' ORDER BY 1), '') FROM (%s) t", sel);
    PGresult *r = PQexec(c, sql);
    char *v = PQresultStatus(r) == PGRES_TUPLES_OK ? strdup(PQgetvalue(r, 0, 0)) : NULL;
    PQclear(r);
    return v;
}

static const char *SRC_LOAD = "SELECT id, v, t FROM r_load ORDER BY id";
static const char *DST_LOAD = "SELECT id, v, t FROM public.r_load WHERE NOT \"_SNOWFLAKE_DELETED\" ORDER BY id";
static const char *SRC_SMALL = "SELECT id, v FROM r_small ORDER BY id";
static const char *DST_SMALL = "SELECT id, v FROM public.r_small WHERE NOT \"_SNOWFLAKE_DELETED\" ORDER BY id";

static bool same(PGconn *src, const char *s, PGconn *dst, const char *d, bool report)
{
    char *a = rows_or_null(src, s), *b = rows_or_null(dst, d);
    bool eq = a && b && a[0] && !strcmp(a, b);
    if (!eq && report)
        fprintf(stderr, "rows differ:\nsource (%s):\n%.2000s\ndestination (%s):\n%.2000s\n", s, a ? a : "(error)",
                d, b ? b : "(error)");
    free(a);
    free(b);
    return eq;
}

/* One source transaction per step: 5 inserts, an update of one of them, a
 * delete of one inserted just now (never reaches the destination) and of a
 * seed row (soft-deleted there, values kept); every 10th step an update of
 * r_small. Safe to run twice (a step whose COMMIT was lost with the
 * connection may have committed). */
static int load_step(PGconn *w, int i)
{
    char sql[800];
    int base = 10000 + 5 * i;
    snprintf(sql, sizeof sql,
             "BEGIN; INSERT INTO r_load (id, v, t) SELECT g, g * 7, 'row ' || g FROM generate_series(%d, %d) g "
             "ON CONFLICT (id) DO NOTHING; UPDATE r_load SET v = v + 1, t = 'updated' WHERE id = %d; "
             "DELETE FROM r_load WHERE id = %d; DELETE FROM r_load WHERE id = %d; %s COMMIT",
             base, base + 4, base, base + 3, 1000 + i,
             i % 10 == 0 ? "UPDATE r_small SET v = v || '+' WHERE id = 1 + (random() * 9)::int;" : "");
    PGresult *r = PQexec(w, sql);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!ok && PQstatus(w) == CONNECTION_OK)
        PQclear(PQexec(w, "ROLLBACK"));
    return ok;
}

/* The write load, in a child process: `steps` steps every 20 ms; a step
 * that fails (the source restarting) is repeated on a new connection until
 * it goes through. */
static pid_t start_load(int steps)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    char ci[256];
    pgt_conninfo(&srccl, "rsrc", ci, sizeof ci);
    PGconn *w = PQconnectdb(ci);
    for (int i = 0; i < steps; i++) {
        double give_up = now_s() + 60;
        while (!load_step(w, i)) {
            if (now_s() > give_up)
                _exit(3);
            usleep(100000);
            if (PQstatus(w) != CONNECTION_OK) {
                PQfinish(w);
                w = PQconnectdb(ci);
            }
        }
        usleep(20000);
    }
    PQfinish(w);
    _exit(0);
}

static long count(PGconn *c, const char *sql)
{
    char *v = pgt_query_value(c, "%s", sql);
    long n = atol(v);
    free(v);
    return n;
}

static void restart_case(bool restart_source)
{
    const char *name = restart_source ? "source" : "dest";
    char conf[300], log[300], log2[300];
    snprintf(conf, sizeof conf, "%s/r.conf", tmpdir);
    snprintf(log, sizeof log, "%s/run.log", tmpdir);
    snprintf(log2, sizeof log2, "%s/catchup.log", tmpdir);
    write_conf(conf);

    pid_t runner = rt_spawn_run(conf, false, log, NULL);
    PGconn *dst = pgt_connect(&dstcl, "rdst");
    bool ready = false;
    for (int i = 0; i < 600 && !ready; i++) {
        usleep(100000);
        PGresult *r = PQexec(dst, "SELECT count(*) FROM pgcdc_state.\"_PGCDC_TABLE_STATE\" "
                                  "WHERE state = 'INCREMENTAL_REPLICATION'");
        ready = PQresultStatus(r) == PGRES_TUPLES_OK && atoi(PQgetvalue(r, 0, 0)) == 2 &&
                rt_log_has(log, "streaming changes");
        PQclear(r);
    }
    CHECK(ready);
    PQfinish(dst);
    if (!ready) {
        rt_show_log(log, NULL);
        return;
    }

    /* ~6 s of load; the restart 1.5 s into it */
    int steps = 250;
    pid_t load = start_load(steps);
    usleep(1500000);
    double t0 = now_s();
    pgt_cluster_restart(restart_source ? &srccl : &dstcl, 3);
    fprintf(stderr, "%s restarted in %.1f s\n", name, now_s() - t0);
    CHECK_INT(wait_exit(load, 90), 0);
    CHECK_MSG(alive(runner), "the runner exited after the %s restart", name);

    /* the same runner catches up by itself */
    PGconn *src = pgt_connect(&srccl, "rsrc");
    dst = pgt_connect(&dstcl, "rdst");
    bool converged = false;
    t0 = now_s();
    while (!converged && now_s() - t0 < 40) {
        converged = same(src, SRC_LOAD, dst, DST_LOAD, false) && same(src, SRC_SMALL, dst, DST_SMALL, false);
        if (!converged)
            usleep(250000);
    }
    fprintf(stderr, "%s: the running runner converged %.1f s after the load ended\n", name, now_s() - t0);
    CHECK_MSG(converged, "the running runner did not catch up after the %s restart", name);
    CHECK(alive(runner));
    CHECK(rt_log_has(log, "interim error, retrying in"));
    CHECK(!rt_log_has(log, "FAILED"));
    show_retries(log);
    kill(runner, SIGTERM);
    int rc = wait_exit(runner, 60);
    CHECK_INT(rc, 0);
    if (!converged || rc != 0 || !rt_log_has(log, "interim error, retrying in"))
        rt_show_log(log, NULL);

    /* a catch-up run: everything merged, nothing changed */
    unlink(log2);
    rc = wait_exit(rt_spawn_run(conf, true, log2, NULL), 60);
    CHECK_INT(rc, 0);
    if (rc != 0)
        rt_show_log(log2, NULL);
    CHECK(same(src, SRC_LOAD, dst, DST_LOAD, true));
    CHECK(same(src, SRC_SMALL, dst, DST_SMALL, true));
    /* seed rows the load deleted: soft-deleted with their values */
    char *gone = pgt_query_value(src, "SELECT string_agg(g::text, ',' ORDER BY g) FROM generate_series(1, 2000) g "
                                      "WHERE NOT EXISTS (SELECT 1 FROM r_load WHERE id = g)");
    char *soft = pgt_query_value(dst, "SELECT string_agg(id::text, ',' ORDER BY id) FROM public.r_load "
                                      "WHERE id <= 2000 AND \"_SNOWFLAKE_DELETED\" AND t = 'seed' AND v = id");
    CHECK_STR(soft, gone);
    CHECK_INT(strlen(gone) > 0, 1);
    free(gone);
    free(soft);
    /* rows inserted and deleted in one transaction never arrive */
    CHECK_INT(count(dst, "SELECT count(*) FROM public.r_load WHERE id >= 10000 AND id % 5 = 3"), 0);
    CHECK_INT(count(src, "SELECT count(*) FROM r_load WHERE id >= 10000"), 4 * steps);
    /* no key twice, every table still replicating, one slot */
    CHECK_INT(count(dst, "SELECT count(*) - count(DISTINCT id) FROM public.r_load"), 0);
    CHECK_INT(count(dst, "SELECT count(*) - count(DISTINCT id) FROM public.r_small"), 0);
    CHECK_INT(count(dst, "SELECT count(*) FROM pgcdc_state.\"_PGCDC_TABLE_STATE\" "
                         "WHERE state = 'INCREMENTAL_REPLICATION'"), 2);
    CHECK_INT(count(dst, "SELECT count(*) FROM pgcdc_state.\"_PGCDC_TABLE_STATE\""), 2);
    CHECK_INT(count(src, "SELECT count(*) FROM pg_replication_slots"), 1);
    PQfinish(src);
    PQfinish(dst);
}

static int live(bool restart_source)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/pgcdc-restart-XXXXXX");
    if (!mkdtemp(tmpdir))
        return 1;
    pgt_cluster_start(&srccl, pgt_major(), NULL);
    pgt_cluster_start(&dstcl, pgt_major(), NULL);
    PGconn *adm = pgt_connect(&srccl, "postgres");
    pgt_exec(adm, "CREATE DATABASE rsrc");
    PQfinish(adm);
    adm = pgt_connect(&dstcl, "postgres");
    pgt_exec(adm, "CREATE DATABASE rdst");
    PQfinish(adm);
    PGconn *src = pgt_connect(&srccl, "rsrc");
    pgt_exec(src, "CREATE TABLE r_load (id int PRIMARY KEY, v int, t text); "
                  "INSERT INTO r_load SELECT g, g, 'seed' FROM generate_series(1, 2000) g; "
                  "CREATE TABLE r_small (id int PRIMARY KEY, v text); "
                  "INSERT INTO r_small SELECT g, 'v' || g FROM generate_series(1, 10) g; "
                  "CREATE PUBLICATION r_pub FOR TABLE r_load, r_small");
    PQfinish(src);

    restart_case(restart_source);

    pgt_cluster_stop(&srccl);
    pgt_cluster_stop(&dstcl);
    rt_tmpdir_remove(tmpdir);
    return 0;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    if (!strcmp(mode, "retry")) {
        classifier();
        retry_loop();
        return pgt_done("pipeline-retry");
    }
    if ((!strcmp(mode, "dest") || !strcmp(mode, "source")) && argc > 2) {
        rt_bin = argv[2];
        live(!strcmp(mode, "source"));
        return pgt_done(!strcmp(mode, "source") ? "pipeline-restart-source" : "pipeline-restart-dest");
    }
    fprintf(stderr, "usage: %s retry | dest PGCDC_BINARY | source PGCDC_BINARY\n", argv[0]);
    return 2;
}
