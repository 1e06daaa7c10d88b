/* bench_memory.c - peak memory (not time) of the paths that must stay
 * bounded whatever the data (issue 8, items 6 and 7):
 *
 *   1. `pgcdc run --until-caught-up` (a subprocess: its peak RSS from
 *      wait4's rusage) snapshotting a table of 8 rows x 16 MB (TOAST,
 *      STORAGE EXTERNAL: not compressed);
 *   2. the same CLI catching up one 2,000,000-row UPDATE transaction (after
 *      snapshotting the table: that run's peak is printed too);
 *   3. the NiFi processors' native side through the connector facade they
 *      call (pgcdc/connector.h, in this process: VmHWM from /proc/self/status,
 *      reset through /proc/self/clear_refs before each case): the change
 *      reader polled with 8 MiB batches and a 16 MiB FlowFile limit (see
 *      FLOWFILE_BYTES_DEFAULT), each batch written by
 *      pgcdc_destination_write_journal (PutJournalRows), for another
 *      2,000,000-row UPDATE;
 *   4. the same facade fetching the 8 x 16 MB table's chunks in pieces of at
 *      most that size (FetchTableSnapshot) and writing them.
 *
 * Targets: each at most 256 MiB. The destinations are checked (row counts
 * and sums), so a small wrong answer does not pass. Run:
 *   meson test -C build --benchmark memory -v
 * PGCDC_BENCH_TXN_ROWS scales the transaction (default 2,000,000),
 * PGCDC_BENCH_FLOWFILE_BYTES sets the connector's FlowFile limit,
 * PGCDC_BENCH_ONLY=cli|connector runs one half. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pgcdc/connector.h"
#include "runner.h"

#define TARGET_MIB 256.0
/* The connector cases run with Max FlowFile Bytes = 16 MiB. At the
 * processors' default, 64 MiB, the native side peaked at 430 MiB (vs 1,107
 * before fragments): the writer (pgcdc_destination_write_journal) decodes a
 * FlowFile whole, about 6x its encoded size, plus its COPY text. Meeting 256
 * MiB at 64 MiB needs a writer that decodes a batch change by change. */
#define FLOWFILE_BYTES_DEFAULT (16u << 20)
#define BATCH_BYTES (8u << 20)     /* CaptureChangePostgreSQL's Max Batch Bytes default */

static pgt_cluster srv;
static PGconn *src, *adm;
static char tmpdir[256];
static long txn_rows;
static size_t FLOWFILE_BYTES = FLOWFILE_BYTES_DEFAULT; /* PGCDC_BENCH_FLOWFILE_BYTES */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the CLI as a subprocess ---- */

/* `pgcdc run -c conf --until-caught-up`; returns its peak RSS in MiB. */
static double run_cli(const char *conf, const char *log, double *secs)
{
    unlink(log);
    double t0 = now();
    pid_t pid = rt_spawn_run(conf, true, log, NULL);
    int status = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    CHECK(wait4(pid, &status, 0, &ru) == pid);
    *secs = now() - t0;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        rt_show_log(log, "the run failed");
        CHECK_MSG(0, "pgcdc run exited %d", rt_exit_code(status));
    }
    return (double)ru.ru_maxrss / 1024.0;
}

static void conf_for(const char *path, const char *table, const char *slot, const char *db)
{
    pgt_exec(adm, "DROP DATABASE IF EXISTS %s", db);
    pgt_exec(adm, "CREATE DATABASE %s", db);
    rt_write_conf(path, &(rt_conf){.source_port = srv.port, .source_db = "msrc", .publication = "mpub",
                                   .slot = slot, .dest_port = srv.port, .dest_db = db, .names = table,
                                   .snapshot_queries = 2});
}

static char *dest_value(const char *db, const char *sql)
{
    PGconn *d = pgt_connect(&srv, db);
    char *v = pgt_query_value(d, "%s", sql);
    PQfinish(d);
    return v;
}

static void check_dest(const char *db, const char *dsql, const char *ssql, const char *what)
{
    char *a = pgt_query_value(src, "%s", ssql), *b = dest_value(db, dsql);
    CHECK_MSG(strcmp(a, b) == 0, "%s: destination has %s, source %s", what, b, a);
    free(a);
    free(b);
}

/* ---- the connector facade in this process ---- */

/* The peak RSS starts again from the current RSS. */
static void reset_peak(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (f) {
        fputs("5", f);
        fclose(f);
    }
}

static double peak_mib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    double kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmHWM:", 6))
            kb = atof(line + 6);
    if (f)
        fclose(f);
    return kb / 1024.0;
}

static pgcdc_connector_config *connector_config(const char *slot, const char *db, const char *table,
                                                const char *ingestion)
{
    pgcdc_connector_config *c;
    pgcdc_error err;
    char url[200];
    CHECK_INT(pgcdc_connector_config_new(&c, &err), PGCDC_OK);
    snprintf(url, sizeof url, "postgresql://127.0.0.1:%d/msrc", srv.port);
    const char *kv[][2] = {{"PostgreSQL Connection URL", url},  {"PostgreSQL Username", "postgres"},
                           {"Publication Name", "mpub"},        {"Replication Slot Name", slot},
                           {"Destination Username", "postgres"}, {"Included Table Names", table},
                           {"Ingestion Type", ingestion}};
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++)
        CHECK_MSG(pgcdc_connector_config_set(c, kv[i][0], kv[i][1], &err) == PGCDC_OK, "%s", err.message);
    snprintf(url, sizeof url, "jdbc:postgresql://127.0.0.1:%d/%s", srv.port, db);
    CHECK_INT(pgcdc_connector_config_set(c, "Destination Connection URL", url, &err), PGCDC_OK);
    pgt_exec(adm, "DROP DATABASE IF EXISTS %s", db);
    pgt_exec(adm, "CREATE DATABASE %s", db);
    return c;
}

/* Capture -> PutJournalRows -> Merge of one big UPDATE; peak MiB. */
static double connector_cdc(double *secs, int *flowfiles)
{
    pgcdc_connector_config *cfg = connector_config("nslot", "ndst", "public.mem_upd", "incremental");
    pgcdc_error err;
    pgcdc_destination *d;
    char state[32];
    CHECK_MSG(pgcdc_destination_open(cfg, &d, &err) == PGCDC_OK, "%s", err.message);
    CHECK_MSG(pgcdc_destination_prepare_table(d, "public.mem_upd", state, &err) == PGCDC_OK, "%s", err.message);
    pgcdc_change_reader *r;
    CHECK_MSG(pgcdc_change_reader_open(cfg, "nslot", 0, &r, &err) == PGCDC_OK, "%s", err.message);
#ifndef BENCH_OLD_API
    pgcdc_change_reader_set_fragment_bytes(r, FLOWFILE_BYTES);
#endif
    pgt_exec(src, "UPDATE mem_upd SET v = v + 1");
    char *t = pgt_query_value(src, "SELECT pg_current_wal_insert_lsn()");
    pgcdc_lsn target = 0;
    CHECK_INT(pgcdc_lsn_parse(t, &target), 0);
    free(t);
    reset_peak();
    double t0 = now();
    pgcdc_buf b = PGCDC_BUF_INIT;
    pgcdc_lsn durable = 0;
    *flowfiles = 0;
    while (durable < target && now() - t0 < 1200) {
        pgcdc_batch_info info;
        pgcdc_code rc = pgcdc_change_reader_poll(r, 1000, BATCH_BYTES, &b, &info, &err);
        if (rc == PGCDC_ETIMEOUT)
            continue;
        CHECK_MSG(rc == PGCDC_OK, "poll: %s", err.message);
        if (rc != PGCDC_OK)
            break;
        CHECK_MSG(b.len <= FLOWFILE_BYTES + (1u << 20), "a FlowFile of %zu bytes", b.len);
        (*flowfiles)++;
        rc = pgcdc_destination_write_journal(d, (const uint8_t *)b.data, b.len, &durable, &err);
        CHECK_MSG(rc == PGCDC_OK, "write journal: %s", err.message);
        if (rc != PGCDC_OK)
            break;
        pgcdc_change_reader_confirm(r, durable);
        pgcdc_buf_free(&b); /* as the JNI glue does: the bytes went to Java */
    }
    CHECK_MSG(pgcdc_destination_merge(d, &err) == PGCDC_OK, "merge: %s", err.message);
    *secs = now() - t0;
    double peak = peak_mib();
    pgcdc_buf_free(&b);
    pgcdc_change_reader_close(r);
    pgcdc_destination_close(d);
    pgcdc_connector_config_free(cfg);
    return peak;
}

/* ListTableSnapshotChunks -> FetchTableSnapshot (pieces) -> PutJournalRows
 * of the 8 x 16 MB table; peak MiB. The journal holds every row after. */
typedef struct piece_ctx {
    pgcdc_destination *d;
    int pieces;
} piece_ctx;

static pgcdc_code write_piece(void *ud, const uint8_t *data, size_t len, const pgcdc_batch_info *info,
                              pgcdc_error *err)
{
    piece_ctx *p = ud;
    pgcdc_lsn durable;
    (void)info;
    CHECK_MSG(len <= FLOWFILE_BYTES + (1u << 20), "a piece of %zu bytes", len);
    p->pieces++;
    return pgcdc_destination_write_journal(p->d, data, len, &durable, err);
}

static double connector_snapshot(double *secs, int *pieces)
{
    pgcdc_connector_config *cfg = connector_config("sslot", "sdst", "public.mem_big", "full");
    pgcdc_error err;
    pgcdc_destination *d;
    char state[32];
    CHECK_MSG(pgcdc_destination_open(cfg, &d, &err) == PGCDC_OK, "%s", err.message);
    CHECK_MSG(pgcdc_destination_prepare_table(d, "public.mem_big", state, &err) == PGCDC_OK, "%s", err.message);
    pgcdc_snapshot_session *s;
    CHECK_MSG(pgcdc_snapshot_session_begin(cfg, &s, &err) == PGCDC_OK, "%s", err.message);
    pgcdc_buf *chunks = NULL;
    size_t n = 0;
    CHECK_MSG(pgcdc_snapshot_session_plan(s, "public.mem_big", 2, &chunks, &n, &err) == PGCDC_OK, "%s",
              err.message);
    reset_peak();
    double t0 = now();
    piece_ctx p = {.d = d};
    for (size_t i = 0; i < n; i++) {
        pgcdc_batch_info info;
#ifdef BENCH_OLD_API /* the whole chunk as one record: the API before pieces */
        pgcdc_buf one = PGCDC_BUF_INIT;
        pgcdc_code rc = pgcdc_snapshot_fetch_chunk(cfg, (const uint8_t *)chunks[i].data, chunks[i].len, &one, &info,
                                                   &err);
        if (rc == PGCDC_OK)
            rc = write_piece(&p, (const uint8_t *)one.data, one.len, &info, &err);
        pgcdc_buf_free(&one);
#else
        pgcdc_code rc = pgcdc_snapshot_fetch_chunk_pieces(cfg, (const uint8_t *)chunks[i].data, chunks[i].len,
                                                          FLOWFILE_BYTES, write_piece, &p, &info, &err);
#endif
        CHECK_MSG(rc == PGCDC_OK, "fetch: %s", err.message);
    }
    *secs = now() - t0;
    *pieces = p.pieces;
    double peak = peak_mib();
    pgcdc_snapshot_chunks_free(chunks, n);
    pgcdc_snapshot_session_close(s);
    pgcdc_destination_close(d);
    pgcdc_connector_config_free(cfg);
    /* every row is in the journal, once */
    char *j = dest_value("sdst", "SELECT relname FROM pg_class WHERE relname LIKE 'mem\\_big\\_JOURNAL\\_%'");
    char sql[300];
    snprintf(sql, sizeof sql, "SELECT count(*) || ':' || count(DISTINCT id) || ':' || sum(length(payload)) "
                              "FROM public.\"%s\"", j);
    check_dest("sdst", sql, "SELECT count(*) || ':' || count(*) || ':' || sum(length(payload)) FROM mem_big",
               "8 x 16 MB (connector journal)");
    free(j);
    return peak;
}

static void line(const char *what, double mib, double secs, const char *extra)
{
    printf("  %-58s %8.1f MiB  %7.1f s  %s%s\n", what, mib, secs, mib <= TARGET_MIB ? "ok" : "OVER 256 MiB",
           extra ? extra : "");
}

int main(int argc, char **argv)
{
    int start = rt_begin(argc, argv, "bench-memory", tmpdir, sizeof tmpdir);
    if (start != 0)
        return start;
    const char *tr = getenv("PGCDC_BENCH_TXN_ROWS");
    txn_rows = tr && *tr ? atol(tr) : 2000000;
    const char *ff = getenv("PGCDC_BENCH_FLOWFILE_BYTES");
    if (ff && atol(ff) > 0)
        FLOWFILE_BYTES = (size_t)atol(ff);
    const char *only = getenv("PGCDC_BENCH_ONLY"); /* "cli" or "connector" */
    bool cli = !only || !strcmp(only, "cli"), connector = !only || !strcmp(only, "connector");
    pgt_cluster_start(&srv, pgt_major(), "-c shared_buffers=256MB -c max_wal_size=8GB -c max_replication_slots=20 "
                                         "-c max_wal_senders=20");
    adm = pgt_connect(&srv, "postgres");
    pgt_exec(adm, "SET client_min_messages = warning");
    pgt_exec(adm, "CREATE DATABASE msrc");
    src = pgt_connect(&srv, "msrc");
    pgt_exec(src, "SET client_min_messages = warning");
    pgt_exec(src, "CREATE TABLE mem_big (id int PRIMARY KEY, payload text); "
                  "ALTER TABLE mem_big ALTER COLUMN payload SET STORAGE EXTERNAL; "
                  "INSERT INTO mem_big SELECT g, repeat(md5(g::text), 16 * 1024 * 1024 / 32) "
                  "FROM generate_series(1, 8) g");
    pgt_exec(src, "CREATE TABLE mem_upd (id int PRIMARY KEY, v int NOT NULL, t text); "
                  "INSERT INTO mem_upd SELECT g, g, 'row ' || md5(g::text) FROM generate_series(1, %ld) g",
             txn_rows);
    pgt_exec(src, "VACUUM ANALYZE mem_upd");
    pgt_exec(src, "VACUUM ANALYZE mem_big");
    pgt_exec(src, "CREATE PUBLICATION mpub FOR TABLE mem_big, mem_upd");
    char *big = pgt_query_value(src, "SELECT pg_size_pretty(pg_total_relation_size('mem_big'))");
    printf("\nmemory benchmark: PostgreSQL %d, peak RSS (target <= %.0f MiB); connector FlowFiles of at most "
           "%zu MiB\n", srv.major, TARGET_MIB, FLOWFILE_BYTES >> 20);
    fflush(stdout);

    char conf[400], log[400], what[128];
    double secs, mib;

    if (cli) {
    /* 1. the CLI snapshotting 8 x 16 MB */
    snprintf(conf, sizeof conf, "%s/big.conf", tmpdir);
    snprintf(log, sizeof log, "%s/big.log", tmpdir);
    conf_for(conf, "public.mem_big", "mslot_big", "mdst_big");
    mib = run_cli(conf, log, &secs);
    snprintf(what, sizeof what, "CLI snapshot of 8 rows x 16 MB (%s)", big);
    line(what, mib, secs, NULL);
    CHECK_MSG(mib <= TARGET_MIB, "the CLI snapshot of 8 x 16 MB peaked at %.1f MiB", mib);
    check_dest("mdst_big", "SELECT count(*) || ':' || sum(length(payload)) FROM public.mem_big",
               "SELECT count(*) || ':' || sum(length(payload)) FROM mem_big", "8 x 16 MB");
    pgt_exec(src, "SELECT pg_drop_replication_slot('mslot_big')");

    /* 2. the CLI: snapshot of the big table, then one UPDATE of every row */
    snprintf(conf, sizeof conf, "%s/upd.conf", tmpdir);
    snprintf(log, sizeof log, "%s/upd-snap.log", tmpdir);
    conf_for(conf, "public.mem_upd", "mslot_upd", "mdst_upd");
    mib = run_cli(conf, log, &secs);
    snprintf(what, sizeof what, "CLI snapshot of %ld rows (for reference)", txn_rows);
    line(what, mib, secs, NULL);
    pgt_exec(src, "UPDATE mem_upd SET v = v + 1");
    snprintf(log, sizeof log, "%s/upd-cdc.log", tmpdir);
    mib = run_cli(conf, log, &secs);
    snprintf(what, sizeof what, "CLI catch-up of one %ld-row UPDATE", txn_rows);
    line(what, mib, secs, NULL);
    CHECK_MSG(mib <= TARGET_MIB, "the CLI catch-up of one big UPDATE peaked at %.1f MiB", mib);
    check_dest("mdst_upd", "SELECT count(*) || ':' || sum(v) FROM public.mem_upd",
               "SELECT count(*) || ':' || sum(v) FROM mem_upd", "big UPDATE (CLI)");
    pgt_exec(src, "SELECT pg_drop_replication_slot('mslot_upd')");
    }
    if (connector) {

    /* 3. the NiFi side: capture + journal + merge of one big UPDATE */
    int n = 0;
    mib = connector_cdc(&secs, &n);
    char extra[64];
    snprintf(extra, sizeof extra, " (%d FlowFiles)", n);
    snprintf(what, sizeof what, "connector (NiFi native side): one %ld-row UPDATE", txn_rows);
    line(what, mib, secs, extra);
    CHECK_MSG(mib <= TARGET_MIB, "the connector's big UPDATE peaked at %.1f MiB", mib);
    check_dest("ndst", "SELECT count(*) || ':' || sum(v) FROM public.mem_upd",
               "SELECT count(*) || ':' || sum(v) FROM mem_upd", "big UPDATE (connector)");
    pgt_exec(src, "SELECT pg_drop_replication_slot('nslot')");

    /* 4. the NiFi side: the 8 x 16 MB chunks fetched in pieces */
    mib = connector_snapshot(&secs, &n);
    snprintf(extra, sizeof extra, " (%d pieces)", n);
    line("connector (NiFi native side): 8 x 16 MB chunks fetched", mib, secs, extra);
    CHECK_MSG(mib <= TARGET_MIB, "the connector's snapshot of 8 x 16 MB peaked at %.1f MiB", mib);
    }
    fflush(stdout);

    free(big);
    PQfinish(src);
    PQfinish(adm);
    pgt_cluster_stop(&srv);
    rt_tmpdir_remove(tmpdir);
    return pgt_done("bench_memory");
}
