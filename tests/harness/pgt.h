/* pgt.h - live PostgreSQL for tests: throwaway clusters (via pg-cluster.sh)
 * and small query helpers that fail the test loudly on any SQL error. */
#ifndef PGT_H
#define PGT_H

#include <libpq-fe.h>
#include "check.h"

typedef struct pgt_cluster {
    int major;
    int port;
    char dir[512];
} pgt_cluster;

/* The major version under test: $PGCDC_TEST_PG_VERSION, default 15. */
int pgt_major(void);

/* Starts a cluster of that major version; extra is NULL or "-c name=value ..."
 * settings. Exits the test process (status 1) if the server does not start. */
void pgt_cluster_start(pgt_cluster *c, int major, const char *extra);
void pgt_cluster_stop(pgt_cluster *c);
/* Restarts the server as its clients see it: fast shutdown (connections
 * end), down for down_seconds, started again on the same port with the same
 * data. Exits the test process (status 1) if it does not come back. */
void pgt_cluster_restart(pgt_cluster *c, int down_seconds);

/* "host=127.0.0.1 port=N dbname=postgres user=postgres" into out. */
void pgt_conninfo(const pgt_cluster *c, const char *dbname, char *out, size_t outlen);
/* A JDBC URL for the cluster: jdbc:postgresql://127.0.0.1:N/db */
void pgt_jdbc_url(const pgt_cluster *c, const char *dbname, char *out, size_t outlen);

/* Superuser connection; exits the test on failure. */
PGconn *pgt_connect(const pgt_cluster *c, const char *dbname);

/* Runs SQL (printf-style); a failure is reported and exits the test. */
void pgt_exec(PGconn *conn, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Runs SQL, returns 0 if it succeeded or -1 (no exit): for statements expected to fail. */
int pgt_try_exec(PGconn *conn, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* First column of the first row as a malloc'd string ("" for NULL); exits on error. */
char *pgt_query_value(PGconn *conn, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
