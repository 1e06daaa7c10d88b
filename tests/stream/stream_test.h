/* stream_test.h - helpers shared by the slot and stream tests: a source
 * configuration for a test cluster, slot positions read back from the
 * server, and reading the stream up to a given pgoutput message type. */
#ifndef STREAM_TEST_H
#define STREAM_TEST_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pgcdc/log.h"
#include "pgcdc/lsn.h"
#include "pgcdc/slot.h"
#include "pgcdc/source.h"
#include "pgcdc/stream.h"
#include "pgt.h"

static inline void st_log(void *ud, pgcdc_log_level level, const char *msg)
{
    (void)ud;
    fprintf(stderr, "[%s] %s\n", pgcdc_log_level_name(level), msg);
}

/* Filled directly (pgcdc_source_config_set belongs to config.c). */
static inline void st_cfg(pgcdc_source_config *cfg, const pgt_cluster *c, const char *db, const char *user,
                          const char *password)
{
    char port[16];
    snprintf(port, sizeof port, "%d", c->port);
    memset(cfg, 0, sizeof *cfg);
    cfg->keys[0] = strdup("host");
    cfg->values[0] = strdup("127.0.0.1");
    cfg->keys[1] = strdup("port");
    cfg->values[1] = strdup(port);
    cfg->keys[2] = strdup("dbname");
    cfg->values[2] = strdup(db ? db : "postgres");
    cfg->nparams = 3;
    cfg->username = strdup(user ? user : "postgres");
    cfg->password = password ? strdup(password) : NULL;
}

static inline void st_cfg_add(pgcdc_source_config *cfg, const char *key, const char *value)
{
    cfg->keys[cfg->nparams] = strdup(key);
    cfg->values[cfg->nparams] = strdup(value);
    cfg->nparams++;
}

static inline void st_cfg_free(pgcdc_source_config *cfg)
{
    for (int i = 0; i < cfg->nparams; i++) {
        free(cfg->keys[i]);
        free(cfg->values[i]);
    }
    free(cfg->username);
    free(cfg->password);
    free(cfg->publication);
    free(cfg->slot_name);
    memset(cfg, 0, sizeof *cfg);
}

static inline void st_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static inline long long st_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* An LSN-valued query ("" or NULL result: 0). */
static inline pgcdc_lsn st_lsn(PGconn *conn, const char *sql)
{
    char *v = pgt_query_value(conn, "%s", sql);
    pgcdc_lsn l = 0;
    if (*v && pgcdc_lsn_parse(v, &l) != 0)
        l = 0;
    free(v);
    return l;
}

static inline pgcdc_lsn st_confirmed(PGconn *conn, const char *slot)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = '%s'", slot);
    return st_lsn(conn, sql);
}

/* Polls until the slot's confirmed_flush_lsn satisfies cmp against want
 * (0: equal, 1: greater than), or ms passed; returns the last value seen. */
static inline pgcdc_lsn st_wait_confirmed(PGconn *conn, const char *slot, pgcdc_lsn want, int cmp, int ms)
{
    long long until = st_now_ms() + ms;
    pgcdc_lsn l;
    for (;;) {
        l = st_confirmed(conn, slot);
        if ((cmp == 0 && l == want) || (cmp == 1 && l > want) || st_now_ms() >= until)
            return l;
        st_sleep_ms(50);
    }
}

/* Reads (each read with a short timeout) until a message whose first byte
 * is type arrives or total_ms passed; PGCDC_ETIMEOUT then. While reading,
 * declare_all_durable makes the test act like a caller with nothing in
 * flight (for empty transactions / heartbeat messages). */
static inline pgcdc_code st_read_until(pgcdc_stream *s, char type, int total_ms, pgcdc_stream_msg *msg,
                                       pgcdc_error *err)
{
    long long until = st_now_ms() + total_ms;
    for (;;) {
        pgcdc_code rc = pgcdc_stream_read(s, 200, msg, err);
        if (rc == PGCDC_OK && msg->len > 0 && msg->data[0] == (uint8_t)type)
            return PGCDC_OK;
        if (rc != PGCDC_OK && rc != PGCDC_ETIMEOUT)
            return rc;
        if (st_now_ms() >= until)
            return PGCDC_ETIMEOUT;
    }
}

/* The end LSN field of a pgoutput Commit message ('C', flags, commit_lsn, end_lsn, ts). */
static inline pgcdc_lsn st_commit_end(const pgcdc_stream_msg *msg)
{
    if (msg->len < 26)
        return 0;
    pgcdc_lsn v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | msg->data[10 + i];
    return v;
}

/* Does the payload contain the bytes of needle (values are text in pgoutput)? */
static inline int st_payload_has(const pgcdc_stream_msg *msg, const char *needle)
{
    size_t n = strlen(needle);
    if (n == 0 || msg->len < n)
        return 0;
    for (size_t i = 0; i + n <= msg->len; i++)
        if (memcmp(msg->data + i, needle, n) == 0)
            return 1;
    return 0;
}

/* The walsender serving our slot (0 if none). */
static inline int st_walsender_pid(PGconn *conn, const char *slot)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT coalesce(active_pid, 0) FROM pg_replication_slots WHERE slot_name = '%s'",
             slot);
    char *v = pgt_query_value(conn, "%s", sql);
    int pid = atoi(v);
    free(v);
    return pid;
}

/* Opens a stream, retrying while the slot is still held by a walsender of
 * an earlier connection that is going away (ECONNECT "in use"). */
static inline pgcdc_code st_open(const pgcdc_source_config *cfg, const pgcdc_stream_options *opt,
                                 pgcdc_stream **s, pgcdc_error *err)
{
    pgcdc_code rc = PGCDC_ECONNECT;
    for (int i = 0; i < 50; i++) {
        rc = pgcdc_stream_open(cfg, opt, s, err);
        if (rc != PGCDC_ECONNECT)
            return rc;
        st_sleep_ms(100);
    }
    return rc;
}

#endif
