/* pgt.c - throwaway PostgreSQL clusters for the C tests. Starting and stopping
 * is done by pg-cluster.sh so that scripts, the quickstart and Java tests share it. */
#include "pgt.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int pgt_checks;
int pgt_failures;

int pgt_done(const char *name)
{
    printf("%s: %d checks, %d failed\n", name, pgt_checks, pgt_failures);
    if (pgt_checks == 0) {
        fprintf(stderr, "%s: no check ran\n", name);
        return 1;
    }
    return pgt_failures ? 1 : 0;
}

int pgt_major(void)
{
    const char *v = getenv("PGCDC_TEST_PG_VERSION");
    return v && *v ? atoi(v) : 15;
}

/* Clusters still running at exit (a failed check may exit early) are stopped then.
 * A test that dies without exiting (abort, crash, a timeout's SIGKILL) runs no
 * atexit handler: for that pg-cluster.sh's watchdog stops the cluster once this
 * process, named its owner below, is gone. */
#define PGT_MAX_CLUSTERS 8
static pgt_cluster *running[PGT_MAX_CLUSTERS];

static void stop_running_clusters(void)
{
    for (int i = 0; i < PGT_MAX_CLUSTERS; i++)
        if (running[i])
            pgt_cluster_stop(running[i]);
}

void pgt_cluster_start(pgt_cluster *c, int major, const char *extra)
{
    static int registered;
    if (!registered) {
        atexit(stop_running_clusters);
        registered = 1;
    }
    char cmd[1024];
    /* The owner must be this process: popen's shell, pg-cluster.sh's parent,
     * exits as soon as the cluster is up. */
    snprintf(cmd, sizeof cmd, "PGCDC_PG_CLUSTER_OWNER=%ld '%s' start %d %s", (long)getpid(),
             PGT_CLUSTER_SCRIPT, major, extra ? extra : "");
    FILE *p = popen(cmd, "r");
    if (!p) {
        perror("popen pg-cluster.sh");
        exit(1);
    }
    memset(c, 0, sizeof *c);
    c->major = major;
    int n = fscanf(p, "%d %511s", &c->port, c->dir);
    int rc = pclose(p);
    if (n != 2 || rc != 0) {
        fprintf(stderr, "pgt: could not start a PostgreSQL %d cluster (see the message above)\n", major);
        exit(1);
    }
    for (int i = 0; i < PGT_MAX_CLUSTERS; i++) {
        if (!running[i]) {
            running[i] = c;
            break;
        }
    }
}

void pgt_cluster_stop(pgt_cluster *c)
{
    for (int i = 0; i < PGT_MAX_CLUSTERS; i++)
        if (running[i] == c)
            running[i] = NULL;
    if (!c->dir[0])
        return;
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' stop '%s'", PGT_CLUSTER_SCRIPT, c->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "pgt: stopping cluster %s failed\n", c->dir);
    c->dir[0] = '\0';
}

void pgt_cluster_restart(pgt_cluster *c, int down_seconds)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' restart '%s' %d", PGT_CLUSTER_SCRIPT, c->dir, down_seconds);
    if (system(cmd) != 0) {
        fprintf(stderr, "pgt: restarting cluster %s failed (see the message above)\n", c->dir);
        exit(1);
    }
}

void pgt_conninfo(const pgt_cluster *c, const char *dbname, char *out, size_t outlen)
{
    snprintf(out, outlen, "host=127.0.0.1 port=%d dbname=%s user=postgres", c->port, dbname ? dbname : "postgres");
}

void pgt_jdbc_url(const pgt_cluster *c, const char *dbname, char *out, size_t outlen)
{
    snprintf(out, outlen, "jdbc:postgresql://127.0.0.1:%d/%s", c->port, dbname ? dbname : "postgres");
}

PGconn *pgt_connect(const pgt_cluster *c, const char *dbname)
{
    char ci[256];
    pgt_conninfo(c, dbname, ci, sizeof ci);
    PGconn *conn = PQconnectdb(ci);
    if (PQstatus(conn) != CONNECTION_OK) {
        fprintf(stderr, "pgt: connect %s: %s", ci, PQerrorMessage(conn));
        exit(1);
    }
    PQsetNoticeProcessor(conn, NULL, NULL);
    return conn;
}

__attribute__((format(printf, 1, 0))) static char *vformat(const char *fmt, va_list ap)
{
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0) {
        fprintf(stderr, "pgt: out of memory\n");
        exit(1);
    }
    return s;
}

static PGresult *run(PGconn *conn, const char *sql)
{
    PGresult *r = PQexec(conn, sql);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        PQclear(r);
        return NULL;
    }
    return r;
}

void pgt_exec(PGconn *conn, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *sql = vformat(fmt, ap);
    va_end(ap);
    PGresult *r = run(conn, sql);
    if (!r) {
        fprintf(stderr, "pgt: SQL failed: %s\n  %s", sql, PQerrorMessage(conn));
        exit(1);
    }
    PQclear(r);
    free(sql);
}

int pgt_try_exec(PGconn *conn, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *sql = vformat(fmt, ap);
    va_end(ap);
    PGresult *r = run(conn, sql);
    free(sql);
    if (!r)
        return -1;
    PQclear(r);
    return 0;
}

char *pgt_query_value(PGconn *conn, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *sql = vformat(fmt, ap);
    va_end(ap);
    PGresult *r = run(conn, sql);
    if (!r) {
        fprintf(stderr, "pgt: SQL failed: %s\n  %s", sql, PQerrorMessage(conn));
        exit(1);
    }
    char *v = strdup(PQntuples(r) > 0 && !PQgetisnull(r, 0, 0) ? PQgetvalue(r, 0, 0) : "");
    PQclear(r);
    free(sql);
    return v;
}
