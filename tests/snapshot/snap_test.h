/* snap_test.h - helpers of the live snapshot tests: a source configuration
 * for a test cluster, a one-table read with a row callback, and small value
 * helpers. */
#ifndef SNAP_TEST_H
#define SNAP_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pgcdc/log.h"
#include "pgcdc/slot.h"
#include "pgcdc/snapshot.h"
#include "pgcdc/source.h"
#include "pgt.h"

static inline void snap_log(void *ud, pgcdc_log_level level, const char *msg)
{
    (void)ud;
    fprintf(stderr, "[%s] %s\n", pgcdc_log_level_name(level), msg);
}

/* Filled directly (pgcdc_source_config_set belongs to config.c). */
static inline void snap_cfg(pgcdc_source_config *cfg, const pgt_cluster *c, const char *user, const char *password)
{
    char port[16];
    snprintf(port, sizeof port, "%d", c->port);
    memset(cfg, 0, sizeof *cfg);
    cfg->keys[0] = strdup("host");
    cfg->values[0] = strdup("127.0.0.1");
    cfg->keys[1] = strdup("port");
    cfg->values[1] = strdup(port);
    cfg->keys[2] = strdup("dbname");
    cfg->values[2] = strdup("postgres");
    cfg->nparams = 3;
    cfg->username = strdup(user ? user : "postgres");
    cfg->password = password ? strdup(password) : NULL;
}

static inline void snap_cfg_free(pgcdc_source_config *cfg)
{
    for (int i = 0; i < cfg->nparams; i++) {
        free(cfg->keys[i]);
        free(cfg->values[i]);
    }
    free(cfg->username);
    free(cfg->password);
    memset(cfg, 0, sizeof *cfg);
}

static inline double snap_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A big-endian integer value of 2, 4 or 8 bytes (binary COPY of int2/4/8). */
static inline long long snap_int(const pgcdc_value *v)
{
    if (v->kind == 't')
        return strtoll(v->data, NULL, 10); /* stops at the tab/newline that follows */
    unsigned long long u = 0;
    for (uint32_t i = 0; i < v->len; i++)
        u = (u << 8) | (unsigned char)v->data[i];
    if (v->len == 2)
        return (int16_t)u;
    if (v->len == 4)
        return (int32_t)u;
    return (long long)u;
}

/* Plans schema.table on a fresh superuser connection. */
static inline pgcdc_code snap_plan(const pgt_cluster *c, const char *schema, const char *table,
                                   const pgcdc_snapshot_plan_options *opt, pgcdc_snapshot_plan *plan,
                                   pgcdc_error *err)
{
    PGconn *conn = pgt_connect(c, "postgres");
    pgcdc_code rc = pgcdc_snapshot_plan_create(conn, schema, table, opt, plan, err);
    PQfinish(conn);
    return rc;
}

/* Reads one table with the given options (on_rows etc. set by the caller). */
static inline pgcdc_code snap_read(const pgcdc_source_config *cfg, const pgcdc_snapshot_options *opt,
                                   const pgcdc_snapshot_table *t, pgcdc_snapshot_progress *progress,
                                   pgcdc_error *err)
{
    pgcdc_snapshot_reader *r;
    pgcdc_code rc = pgcdc_snapshot_reader_new(cfg, opt, &r, err);
    if (rc != PGCDC_OK)
        return rc;
    int idx = -1;
    rc = pgcdc_snapshot_reader_add(r, t, &idx, err);
    if (rc == PGCDC_OK)
        rc = pgcdc_snapshot_reader_run(r, err);
    if (progress)
        pgcdc_snapshot_reader_progress(r, idx, progress);
    pgcdc_snapshot_reader_free(r);
    return rc;
}

#endif
