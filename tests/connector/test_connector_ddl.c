/* test_connector_ddl.c - what the destination's writes do beyond plain rows,
 * against a live server:
 *   1. schema changes while replicating (ADD, DROP, RENAME COLUMN, a
 *      transaction that writes, ALTERs and writes again, a widening, a
 *      refused precision change) through reader -> write_journal -> merge
 *      give the same destination columns and rows as the CLI runner
 *      (pgcdc_pipeline_run until caught up) on the same steps into another
 *      database;
 *   2. a batch the destination refuses for one table fails that table alone
 *      (reported by pgcdc_destination_write_failures) and writes the rest;
 *   3. a snapshot whose session was lost is taken again under a write load:
 *      finishing waits for the stream to pass the new snapshot's point, and
 *      the destination equals the source. */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pgcdc/connector.h"
#include "pgcdc/log.h"
#include "pgt.h"
#include "connector_util.h"

static pgt_cluster cl;

static void quiet_log(void *ud, pgcdc_log_level level, const char *msg)
{
    (void)ud;
    if (level >= PGCDC_LOG_WARN)
        fprintf(stderr, "[%s] %s\n", pgcdc_log_level_name(level), msg);
}

static pgcdc_connector_config *config(const char *dstdb, const char *slot)
{
    return cu_config(&cl, "dsrc", "d_pub", slot, dstdb, "public\\.(app_t|num_t|poison|big_t)");
}

/* Polls until the stream is quiet, writing each batch; failed tables of
 * the writes are appended to failed (comma-separated). */
static void drain(pgcdc_change_reader *r, pgcdc_destination *d, int quiet_polls, char *failed, size_t flen)
{
    cu_drain(r, d, quiet_polls, 400, failed, flen);
}

static void snapshot(pgcdc_connector_config *cfg, pgcdc_change_reader *r, pgcdc_destination *d, const char *table)
{
    pgcdc_error err;
    char state[32];
    CHECK_INT(pgcdc_destination_prepare_table(d, table, state, &err), PGCDC_OK);
    CHECK_STR(state, "SNAPSHOT_REPLICATION");
    pgcdc_snapshot_session *s = NULL;
    pgcdc_code rc = pgcdc_snapshot_session_begin(cfg, &s, &err);
    CHECK_MSG(rc == PGCDC_OK, "session: %s", err.message);
    if (rc != PGCDC_OK)
        return;
    pgcdc_buf *chunks = NULL, out = PGCDC_BUF_INIT;
    size_t n = 0;
    CHECK_INT(pgcdc_snapshot_session_plan(s, table, 2, &chunks, &n, &err), PGCDC_OK);
    for (size_t i = 0; i < n; i++) {
        pgcdc_batch_info info;
        CHECK_INT(pgcdc_snapshot_fetch_chunk(cfg, (const uint8_t *)chunks[i].data, chunks[i].len, &out, &info,
                                             &err), PGCDC_OK);
        CHECK_INT(pgcdc_destination_write_journal(d, (const uint8_t *)out.data, out.len, NULL, &err), PGCDC_OK);
    }
    pgcdc_snapshot_chunks_free(chunks, n);
    pgcdc_lsn c = pgcdc_snapshot_session_lsn(s);
    pgcdc_snapshot_session_close(s);
    pgcdc_buf_free(&out);
    for (int i = 0; i < 50; i++) {
        rc = pgcdc_destination_finish_snapshot(d, table, c, &err);
        if (rc != PGCDC_ETIMEOUT)
            break;
        drain(r, d, 1, NULL, 0);
    }
    CHECK_MSG(rc == PGCDC_OK, "finish %s: %s", table, err.message);
}

/* The CLI runner on the same source into its own database, until caught up. */
static void cli_run(pgcdc_connector_config *cli)
{
    pgcdc_pipeline_run_options opt = {.until_caught_up = true, .retry_max_attempts = 1};
    pgcdc_pipeline_result res;
    pgcdc_error err;
    pgcdc_code rc = pgcdc_pipeline_run(pgcdc_connector_config_pipeline(cli), &opt, &res, &err);
    CHECK_MSG(rc == PGCDC_OK, "cli run: %s", err.message);
}

/* Columns (name type, in order) and rows without the two timestamps. */
static char *shape(PGconn *c, const char *table)
{
    return pgt_query_value(c, "SELECT string_agg(column_name || ' ' || data_type, ',' ORDER BY ordinal_position) "
                              "FROM information_schema.columns WHERE table_schema = 'public' AND table_name = '%s'",
                           table);
}

static char *content(PGconn *c, const char *table)
{
    return pgt_query_value(c, "SELECT coalesce(string_agg(j::text, E'\\n' ORDER BY j->>'id'), '') FROM "
                              "(SELECT to_jsonb(t) - '_SNOWFLAKE_INSERTED_AT' - '_SNOWFLAKE_UPDATED_AT' AS j "
                              "FROM public.%s t) s", table);
}

static char *state_of(PGconn *dst, const char *table)
{
    return pgt_query_value(dst, "SELECT state || ': ' || coalesce(message, '') FROM pgcdc_state.\"_PGCDC_TABLE_STATE\" "
                                "WHERE table_name = '%s'", table);
}

static void same_as_cli(PGconn *dst, PGconn *cdst, const char *table, const char *step)
{
    char *a = shape(dst, table), *b = shape(cdst, table);
    CHECK_MSG(!strcmp(a, b), "%s: columns of %s:\n  nifi: %s\n  cli:  %s", step, table, a, b);
    free(a);
    free(b);
    a = content(dst, table);
    b = content(cdst, table);
    CHECK_MSG(!strcmp(a, b), "%s: rows of %s:\n  nifi: %s\n  cli:  %s", step, table, a, b);
    free(a);
    free(b);
}

/* ---- 3: a write load while a lost snapshot is taken again ---- */
static volatile int writer_stop;
static void *writer(void *arg)
{
    (void)arg;
    PGconn *c = pgt_connect(&cl, "dsrc");
    for (int i = 0; i < 300 && !writer_stop; i++) {
        pgt_exec(c, "UPDATE big_t SET n = n + 1, note = 'w%d' WHERE id = %d", i, 1 + (i * 37) % 3000);
        pgt_exec(c, "INSERT INTO big_t VALUES (%d, 'writer', %d)", 10000 + i, i);
        if (i % 3 == 0)
            pgt_exec(c, "DELETE FROM big_t WHERE id = %d", 1 + (i * 11) % 3000);
    }
    PQfinish(c);
    return NULL;
}

static char *rows(PGconn *c, const char *table, bool dest)
{
    return pgt_query_value(c, "SELECT count(*) || ' ' || md5(coalesce(string_agg(id || ':' || coalesce(note, '-') "
                              "|| ':' || n, ',' ORDER BY id), '')) FROM %s%s", table,
                           dest ? " WHERE NOT coalesce(\"_SNOWFLAKE_DELETED\", false)" : "");
}

static void test_lost_session(pgcdc_connector_config *cfg, pgcdc_change_reader *r, pgcdc_destination *d,
                              PGconn *src, PGconn *dst)
{
    pgcdc_error err;
    char state[32];
    pgt_exec(src, "INSERT INTO big_t SELECT g, 'row ' || g, g FROM generate_series(1, 3000) g");
    drain(r, d, 1, NULL, 0);
    CHECK_INT(pgcdc_destination_prepare_table(d, "public.big_t", state, &err), PGCDC_OK);
    /* the first attempt: half of its chunks are written, then its session is lost */
    pgcdc_snapshot_session *s1 = NULL;
    CHECK_INT(pgcdc_snapshot_session_begin(cfg, &s1, &err), PGCDC_OK);
    pgcdc_buf *chunks = NULL, out = PGCDC_BUF_INIT;
    size_t n = 0;
    CHECK_INT(pgcdc_snapshot_session_plan(s1, "public.big_t", 4, &chunks, &n, &err), PGCDC_OK);
    CHECK(n >= 2);
    pgcdc_batch_info info;
    for (size_t i = 0; i < n / 2; i++) {
        CHECK_INT(pgcdc_snapshot_fetch_chunk(cfg, (const uint8_t *)chunks[i].data, chunks[i].len, &out, &info,
                                             &err), PGCDC_OK);
        CHECK_INT(pgcdc_destination_write_journal(d, (const uint8_t *)out.data, out.len, NULL, &err), PGCDC_OK);
    }
    pgcdc_lsn c1 = pgcdc_snapshot_session_lsn(s1);
    pgcdc_snapshot_session_close(s1);
    pgcdc_snapshot_chunks_free(chunks, n);
    /* rows the lost attempt read go away before the next one; these
     * changes are still in the stream, not written */
    pgt_exec(src, "DELETE FROM big_t WHERE id <= 600");
    pgt_exec(src, "UPDATE big_t SET note = 'moved' WHERE id BETWEEN 601 AND 700");
    pthread_t wt;
    writer_stop = 0;
    pthread_create(&wt, NULL, writer, NULL);
    /* the second attempt, while the writer runs */
    pgcdc_snapshot_session *s2 = NULL;
    CHECK_INT(pgcdc_snapshot_session_begin(cfg, &s2, &err), PGCDC_OK);
    pgcdc_lsn c2 = pgcdc_snapshot_session_lsn(s2);
    CHECK(c2 > c1);
    CHECK_INT(pgcdc_snapshot_session_plan(s2, "public.big_t", 4, &chunks, &n, &err), PGCDC_OK);
    for (size_t i = 0; i < n; i++) {
        CHECK_INT(pgcdc_snapshot_fetch_chunk(cfg, (const uint8_t *)chunks[i].data, chunks[i].len, &out, &info,
                                             &err), PGCDC_OK);
        CHECK_INT(pgcdc_destination_write_journal(d, (const uint8_t *)out.data, out.len, NULL, &err), PGCDC_OK);
    }
    pgcdc_snapshot_chunks_free(chunks, n);
    /* the stream has not been written past c2: not yet */
    CHECK_INT(pgcdc_destination_finish_snapshot(d, "public.big_t", c2, &err), PGCDC_ETIMEOUT);
    CHECK_CONTAINS(err.message, "cannot be finished yet");
    pgcdc_code rc = PGCDC_ETIMEOUT;
    for (int i = 0; i < 50 && rc == PGCDC_ETIMEOUT; i++) {
        drain(r, d, 1, NULL, 0);
        rc = pgcdc_destination_finish_snapshot(d, "public.big_t", c2, &err);
    }
    CHECK_MSG(rc == PGCDC_OK, "finish: %s", err.message);
    pgcdc_snapshot_session_close(s2);
    pthread_join(wt, NULL);
    drain(r, d, 2, NULL, 0);
    CHECK_INT(pgcdc_destination_merge(d, &err), PGCDC_OK);
    char *a = rows(src, "big_t", false), *b = rows(dst, "public.big_t", true);
    CHECK_STR(b, a);
    free(a);
    free(b);
    pgcdc_buf_free(&out);
}

int main(void)
{
    pgcdc_log_set_handler(quiet_log, NULL, PGCDC_LOG_WARN);
    pgt_cluster_start(&cl, pgt_major(), NULL);
    PGconn *admin = pgt_connect(&cl, "postgres");
    pgt_exec(admin, "CREATE DATABASE dsrc");
    pgt_exec(admin, "CREATE DATABASE ddst");
    pgt_exec(admin, "CREATE DATABASE dcli");
    PGconn *src = pgt_connect(&cl, "dsrc");
    PGconn *dst = pgt_connect(&cl, "ddst");
    PGconn *cdst = pgt_connect(&cl, "dcli");
    pgt_exec(src, "CREATE TABLE app_t (id int PRIMARY KEY, a text, b int)");
    pgt_exec(src, "CREATE TABLE num_t (id int PRIMARY KEY, a numeric(10,2))");
    pgt_exec(src, "CREATE TABLE poison (id int PRIMARY KEY, note text)");
    pgt_exec(src, "CREATE TABLE big_t (id int PRIMARY KEY, note text, n int NOT NULL)");
    pgt_exec(src, "CREATE PUBLICATION d_pub FOR ALL TABLES");
    pgt_exec(src, "INSERT INTO app_t SELECT g, 'a' || g, g FROM generate_series(1, 20) g");
    pgt_exec(src, "INSERT INTO num_t SELECT g, g * 1.5 FROM generate_series(1, 5) g");
    pgt_exec(src, "INSERT INTO poison VALUES (1, 'fine')");

    pgcdc_error err;
    pgcdc_connector_config *cfg = config("ddst", "d_slot"), *cli = config("dcli", "cli_slot");
    pgcdc_change_reader *r = NULL;
    pgcdc_destination *d = NULL;
    pgcdc_code rc = pgcdc_change_reader_open(cfg, "d_slot", 0, &r, &err);
    CHECK_MSG(rc == PGCDC_OK, "reader: %s", err.message);
    if (rc == PGCDC_OK && (rc = pgcdc_destination_open(cfg, &d, &err)) != PGCDC_OK)
        CHECK_MSG(false, "destination: %s", err.message);
    if (rc != PGCDC_OK)
        return pgt_done("connector-ddl");
    pgcdc_change_reader_set_idle_interval(r, 300);
    snapshot(cfg, r, d, "public.app_t");
    snapshot(cfg, r, d, "public.num_t");
    snapshot(cfg, r, d, "public.poison");
    char *v = state_of(dst, "public.app_t");
    CHECK_STR(v, "INCREMENTAL_REPLICATION: ");
    free(v);

    /* ---- 1. schema changes, each compared with the CLI runner's result ---- */
    static const struct {
        const char *name, *sql;
    } steps[] = {
        {"add column", "INSERT INTO app_t VALUES (21, 'a21', 21); ALTER TABLE app_t ADD COLUMN c text; "
                       "INSERT INTO app_t VALUES (22, 'a22', 22, 'c22'); UPDATE app_t SET c = 'c' || id WHERE id < 5"},
        {"drop column", "UPDATE app_t SET b = b + 100 WHERE id = 6; ALTER TABLE app_t DROP COLUMN b; "
                        "INSERT INTO app_t VALUES (23, 'a23', 'c23'); DELETE FROM app_t WHERE id = 7"},
        {"rename column", "ALTER TABLE app_t RENAME COLUMN a TO a2; UPDATE app_t SET a2 = 'renamed' WHERE id = 8"},
        {"one transaction writes, alters, writes",
         "BEGIN; INSERT INTO app_t VALUES (30, 'x30', 'c30'); UPDATE app_t SET c = 'before' WHERE id = 9; "
         "ALTER TABLE app_t ADD COLUMN d int; INSERT INTO app_t VALUES (31, 'x31', 'c31', 31); "
         "UPDATE app_t SET d = 9 WHERE id = 9; COMMIT"},
        {"widening", "ALTER TABLE app_t ALTER COLUMN d TYPE bigint; INSERT INTO app_t VALUES (32, 'x32', 'c32', "
                     "5000000000); UPDATE num_t SET a = 99 WHERE id = 1"},
    };
    pgt_exec(src, "SELECT 1");
    cli_run(cli);
    same_as_cli(dst, cdst, "app_t", "snapshot");
    char failed[512];
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        pgt_exec(src, "%s", steps[i].sql);
        failed[0] = '\0';
        drain(r, d, 2, failed, sizeof failed);
        CHECK_STR(failed, "");
        CHECK_INT(pgcdc_destination_merge(d, &err), PGCDC_OK);
        cli_run(cli);
        same_as_cli(dst, cdst, "app_t", steps[i].name);
        same_as_cli(dst, cdst, "num_t", steps[i].name);
    }
    v = shape(dst, "app_t");
    CHECK_CONTAINS(v, "b__SNOWFLAKE_DELETED integer");
    CHECK_CONTAINS(v, "a__SNOWFLAKE_DELETED text");
    CHECK_CONTAINS(v, "d bigint");
    free(v);
    v = pgt_query_value(dst, "SELECT a2 || '/' || coalesce(d::text, '-') FROM app_t WHERE id = 9");
    CHECK_STR(v, "a9/9");
    free(v);
    v = pgt_query_value(dst, "SELECT journal_n FROM pgcdc_state.\"_PGCDC_TABLE_STATE\" WHERE table_name = 'public.app_t'");
    CHECK(atoi(v) >= 5);
    free(v);

    /* a refused change (numeric precision) fails that table alone */
    pgt_exec(src, "INSERT INTO num_t VALUES (6, 6.5); ALTER TABLE num_t ALTER COLUMN a TYPE numeric(12,2); "
                  "INSERT INTO num_t VALUES (7, 7.25); INSERT INTO app_t VALUES (40, 'x40', 'c40', 40)");
    failed[0] = '\0';
    drain(r, d, 2, failed, sizeof failed);
    CHECK_STR(failed, "public.num_t");
    CHECK_INT(pgcdc_destination_merge(d, &err), PGCDC_OK);
    cli_run(cli);
    v = state_of(dst, "public.num_t");
    CHECK_CONTAINS(v, "FAILED: ");
    CHECK_CONTAINS(v, "restart the table");
    free(v);
    same_as_cli(dst, cdst, "app_t", "refused change");
    same_as_cli(dst, cdst, "num_t", "refused change");

    /* ---- 2. a table whose rows the destination refuses fails alone ---- */
    char *journal = pgt_query_value(dst, "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public' "
                                         "AND tablename ILIKE 'poison%%journal%%'");
    CHECK(journal[0] != '\0');
    pgt_exec(dst, "ALTER TABLE public.%s ADD CONSTRAINT no_poison CHECK (\"note\" IS DISTINCT FROM 'poison')",
             journal);
    free(journal);
    pgt_exec(src, "BEGIN; INSERT INTO poison VALUES (2, 'poison'); INSERT INTO app_t VALUES (50, 'x50', 'c50', 50); "
                  "COMMIT");
    failed[0] = '\0';
    drain(r, d, 2, failed, sizeof failed);
    CHECK_STR(failed, "public.poison");
    v = state_of(dst, "public.poison");
    CHECK_CONTAINS(v, "FAILED: ");
    CHECK_CONTAINS(v, "no_poison");
    free(v);
    CHECK_INT(pgcdc_destination_merge(d, &err), PGCDC_OK);
    v = pgt_query_value(dst, "SELECT a2 FROM app_t WHERE id = 50");
    CHECK_STR(v, "x50");
    free(v);
    /* later batches go on without it */
    pgt_exec(src, "INSERT INTO poison VALUES (3, 'poison'); INSERT INTO app_t VALUES (51, 'x51', 'c51', 51)");
    failed[0] = '\0';
    drain(r, d, 2, failed, sizeof failed);
    CHECK_STR(failed, "");
    CHECK_INT(pgcdc_destination_merge(d, &err), PGCDC_OK);
    v = pgt_query_value(dst, "SELECT count(*) FROM app_t WHERE id = 51");
    CHECK_STR(v, "1");
    free(v);

    /* ---- 3. a lost snapshot session, taken again under a write load ---- */
    test_lost_session(cfg, r, d, src, dst);

    pgcdc_destination_close(d);
    pgcdc_change_reader_close(r);
    pgcdc_connector_config_free(cfg);
    pgcdc_connector_config_free(cli);
    PQfinish(src);
    PQfinish(dst);
    PQfinish(cdst);
    PQfinish(admin);
    pgt_cluster_stop(&cl);
    return pgt_done("connector-ddl");
}
