/* test_connector_live.c - the connector facade (pgcdc/connector.h) against a
 * live server: CDC through the change reader -> destination journal ->
 * merge gives source == destination; a table's snapshot through a snapshot
 * session and chunk fetches while changes are made before, during and after
 * it, finished and caught up, gives source == destination; tables that are
 * not included or not prepared are dropped from batches; errors. */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pgcdc/connector.h"
#include "pgt.h"
#include "connector_util.h"

static pgt_cluster cl;

/* A writer on its own connection, running while chunks are read and the
 * snapshot is finished: small transactions of inserts, updates, deletes. */
static volatile int writer_stop;
static void *writer(void *arg)
{
    (void)arg;
    PGconn *c = pgt_connect(&cl, "csrc");
    for (int i = 0; i < 400 && !writer_stop; i++) {
        int id = 1 + (i * 37) % 3000;
        pgt_exec(c, "UPDATE snap SET n = n + 1, note = 'w%d' WHERE id = %d", i, id);
        pgt_exec(c, "INSERT INTO snap VALUES (%d, 'writer', %d) ON CONFLICT (id) DO UPDATE SET n = 0", 10000 + i, i);
        if (i % 5 == 0)
            pgt_exec(c, "DELETE FROM snap WHERE id = %d", 10000 + i - 1);
    }
    PQfinish(c);
    return NULL;
}

static pgcdc_connector_config *config(const char *slot)
{
    return cu_config(&cl, "csrc", "c_pub", slot, "cdst", "public\\.(items|snap|nokey)");
}

/* The live rows of a table as "count md5" (a destination row deleted on the
 * source is kept there, soft-deleted: docs/merge.md). */
static char *rows(PGconn *c, const char *table, bool dest)
{
    return pgt_query_value(c, "SELECT count(*) || ' ' || md5(coalesce(string_agg(id || ':' || coalesce(note, '-') "
                              "|| ':' || n, ',' ORDER BY id), '')) FROM %s%s", table,
                           dest ? " WHERE NOT coalesce(\"_SNOWFLAKE_DELETED\", false)" : "");
}

/* Polls until the stream stays quiet, writing every batch and confirming
 * what was made durable. Returns the batches written. */
static int drain(pgcdc_change_reader *r, pgcdc_destination *d, int quiet_polls)
{
    return cu_drain(r, d, quiet_polls, 500, NULL, 0);
}

/* Finishes a table's snapshot once the stream is written past its point:
 * until then PGCDC_ETIMEOUT, and the stream is drained meanwhile. */
static pgcdc_code finish(pgcdc_change_reader *r, pgcdc_destination *d, const char *table, pgcdc_lsn lsn,
                         int *waited)
{
    pgcdc_error err;
    pgcdc_code rc = PGCDC_ETIMEOUT;
    *waited = 0;
    for (int i = 0; i < 100 && rc == PGCDC_ETIMEOUT; i++) {
        rc = pgcdc_destination_finish_snapshot(d, table, lsn, &err);
        if (rc == PGCDC_ETIMEOUT) {
            CHECK_CONTAINS(err.message, "cannot be finished yet");
            (*waited)++;
            drain(r, d, 1);
        }
    }
    CHECK_MSG(rc == PGCDC_OK, "finish %s: %s", table, err.message);
    return rc;
}

static const pgcdc_pipeline_table_status *find(const pgcdc_pipeline_table_status *st, size_t n, const char *t)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(st[i].table, t))
            return &st[i];
    return NULL;
}

static void test_errors(void)
{
    pgcdc_connector_config *c = config("c_err");
    pgcdc_error err;
    CHECK_INT(pgcdc_connector_config_set(c, "PostgreSQL Conection URL", "x", &err), PGCDC_EINVAL);
    CHECK_CONTAINS(err.message, "PostgreSQL Connection URL");
    CHECK_INT(pgcdc_connector_config_set(c, "Ingestion Type", "sometimes", &err), PGCDC_EINVAL);
    CHECK_INT(pgcdc_connector_config_set(c, "PostgreSQL Password", "s3cret-pw", &err), PGCDC_OK);
    CHECK_INT(pgcdc_connector_config_validate(c, &err), PGCDC_OK);

    /* a copy is independent: changing the original does not change it */
    pgcdc_connector_config *copy;
    CHECK_INT(pgcdc_connector_config_copy(c, &copy, &err), PGCDC_OK);
    CHECK_INT(pgcdc_connector_config_set(c, "Destination Connection URL", NULL, &err), PGCDC_OK);
    CHECK_INT(pgcdc_connector_config_validate(c, &err), PGCDC_EINVAL);
    CHECK_CONTAINS(err.message, "Destination Connection URL");
    CHECK_NOT_CONTAINS(err.message, "s3cret-pw");
    CHECK_INT(pgcdc_connector_config_validate(copy, &err), PGCDC_OK);
    CHECK_INT(pgcdc_connector_config_validate_source(c, &err), PGCDC_OK);
    CHECK_STR(pgcdc_connector_config_pipeline(copy)->source.publication, "c_pub");
    pgcdc_connector_config_free(copy);

    pgcdc_change_reader *r = NULL;
    CHECK_INT(pgcdc_change_reader_open(c, "Bad-Slot", 0, &r, &err), PGCDC_EINVAL);
    CHECK(r == NULL);
    /* changes were read from a slot that is gone: a gap, not a silent new slot */
    CHECK_INT(pgcdc_change_reader_open(c, "c_gone", 0x1000000, &r, &err), PGCDC_EGAP);
    CHECK_CONTAINS(err.message, "c_gone");

    pgcdc_buf out = PGCDC_BUF_INIT;
    pgcdc_batch_info info;
    const char *junk = "pgcdc chunk 2\nsnapshot x\n";
    CHECK_INT(pgcdc_snapshot_fetch_chunk(c, (const uint8_t *)junk, strlen(junk), &out, &info, &err), PGCDC_EINVAL);
    CHECK_CONTAINS(err.message, "not a pgcdc snapshot chunk descriptor");
    CHECK_INT(pgcdc_snapshot_fetch_chunk(c, (const uint8_t *)"pgcdc chunk 9\n", 14, &out, &info, &err),
              PGCDC_EINVAL);
    CHECK_CONTAINS(err.message, "upgrade pgcdc");

    /* a destination that cannot be reached is interim */
    pgcdc_connector_config *bad = config("c_err");
    CHECK_INT(pgcdc_connector_config_set(bad, "Destination Connection URL", "postgresql://127.0.0.1:1/cdst", &err),
              PGCDC_OK);
    pgcdc_destination *d = NULL;
    CHECK_INT(pgcdc_destination_open(bad, &d, &err), PGCDC_ECONNECT);
    CHECK(d == NULL);
    pgcdc_connector_config_free(bad);
    pgcdc_buf_free(&out);
    pgcdc_connector_config_free(c);
}

int main(void)
{
    pgt_cluster_start(&cl, pgt_major(), NULL);
    PGconn *admin = pgt_connect(&cl, "postgres");
    pgt_exec(admin, "CREATE DATABASE csrc");
    pgt_exec(admin, "CREATE DATABASE cdst");
    PGconn *src = pgt_connect(&cl, "csrc");
    PGconn *dst = pgt_connect(&cl, "cdst");
    pgt_exec(src, "CREATE TABLE items (id int PRIMARY KEY, note text, n int NOT NULL)");
    pgt_exec(src, "CREATE TABLE snap (id bigint PRIMARY KEY, note text, n int NOT NULL)");
    pgt_exec(src, "CREATE TABLE nokey (id int, note text, n int)");
    pgt_exec(src, "CREATE TABLE other (id int PRIMARY KEY, note text, n int)");
    pgt_exec(src, "CREATE PUBLICATION c_pub FOR ALL TABLES");

    test_errors();

    pgcdc_error err;
    pgcdc_connector_config *cfg = config("c_slot");
    pgcdc_change_reader *r = NULL;
    pgcdc_code rc = pgcdc_change_reader_open(cfg, "c_slot", 0, &r, &err);
    CHECK_MSG(rc == PGCDC_OK, "reader open: %s", err.message);
    if (rc != PGCDC_OK)
        return pgt_done("connector-live");
    pgcdc_change_reader_set_idle_interval(r, 300);
    CHECK_STR_FREE(pgt_query_value(src, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'c_slot'"), "1");
    pgcdc_destination *d = NULL;
    rc = pgcdc_destination_open(cfg, &d, &err);
    CHECK_MSG(rc == PGCDC_OK, "destination open: %s", err.message);
    if (rc != PGCDC_OK)
        return pgt_done("connector-live");
    CHECK_STR(pgcdc_destination_slot_name(d), "c_slot");

    pgcdc_pipeline_table_status *st = NULL;
    size_t n = 0;
    CHECK_INT(pgcdc_destination_tables(d, &st, &n, &err), PGCDC_OK);
    CHECK_INT(n, 3); /* items, nokey, snap; "other" is not included */
    CHECK(find(st, n, "public.items") && !strcmp(find(st, n, "public.items")->state, "NEW"));
    free(st);

    /* ---- CDC: changes before the table is prepared are dropped, after it journaled ---- */
    pgt_exec(src, "INSERT INTO items VALUES (1, 'before prepare', 1)");
    pgt_exec(src, "INSERT INTO other VALUES (1, 'not included', 1)");
    CHECK(drain(r, d, 2) >= 1);

    char state[32];
    CHECK_INT(pgcdc_destination_prepare_table(d, "public.items", state, &err), PGCDC_OK);
    CHECK_STR(state, "SNAPSHOT_REPLICATION");
    CHECK_INT(pgcdc_destination_prepare_table(d, "public.nokey", state, &err), PGCDC_OK);
    CHECK_STR(state, "FAILED");
    CHECK_INT(pgcdc_destination_prepare_table(d, "public.other", state, &err), PGCDC_ENOTFOUND);
    CHECK_CONTAINS(err.message, "not included");
    CHECK_INT(pgcdc_destination_prepare_table(d, "items", state, &err), PGCDC_EINVAL);

    /* items has no snapshot of its own here: the one row of before is finished as an empty snapshot */
    pgcdc_snapshot_session *s = NULL;
    rc = pgcdc_snapshot_session_begin(cfg, &s, &err);
    CHECK_MSG(rc == PGCDC_OK, "session: %s", err.message);
    if (rc != PGCDC_OK)
        return pgt_done("connector-live");
    pgcdc_lsn c1 = pgcdc_snapshot_session_lsn(s);
    CHECK(c1 > 0);
    CHECK(strlen(pgcdc_snapshot_session_name(s)) > 0);
    pgcdc_buf *chunks = NULL;
    size_t nchunks = 0;
    CHECK_INT(pgcdc_snapshot_session_plan(s, "public.items", 2, &chunks, &nchunks, &err), PGCDC_OK);
    CHECK(nchunks >= 1);
    pgt_exec(src, "INSERT INTO items SELECT g, 'cdc ' || g, g FROM generate_series(2, 50) g");
    pgt_exec(src, "UPDATE items SET n = n + 100 WHERE id %% 5 = 0");
    pgt_exec(src, "DELETE FROM items WHERE id %% 7 = 0");
    pgt_exec(src, "UPDATE items SET id = id + 1000 WHERE id = 3"); /* a key change */
    pgt_exec(src, "INSERT INTO nokey VALUES (1, 'failed table', 1)");
    pgcdc_buf out = PGCDC_BUF_INIT;
    pgcdc_batch_info info;
    for (size_t i = 0; i < nchunks; i++) {
        rc = pgcdc_snapshot_fetch_chunk(cfg, (const uint8_t *)chunks[i].data, chunks[i].len, &out, &info, &err);
        CHECK_MSG(rc == PGCDC_OK, "fetch: %s", err.message);
        CHECK_INT(info.first_lsn, c1);
        CHECK_INT(info.confirm_lsn, 0);
        CHECK_INT(pgcdc_destination_write_journal(d, (const uint8_t *)out.data, out.len, NULL, &err), PGCDC_OK);
    }
    pgcdc_snapshot_chunks_free(chunks, nchunks);
    pgcdc_snapshot_session_close(s);
    /* the changes made after the session began are not written yet: the
     * snapshot waits for them (durable position < its point) */
    CHECK_INT(pgcdc_destination_finish_snapshot(d, "public.items", c1, &err), PGCDC_ETIMEOUT);
    int waited = 0;
    CHECK_INT(finish(r, d, "public.items", c1, &waited), PGCDC_OK);
    CHECK(waited >= 1);
    CHECK_INT(pgcdc_destination_finish_snapshot(d, "public.items", c1, &err), PGCDC_EINVAL);
    CHECK_CONTAINS(err.message, "INCREMENTAL_REPLICATION");
    drain(r, d, 2);
    CHECK_INT(pgcdc_destination_merge(d, &err), PGCDC_OK);
    char *a = rows(src, "items", false), *b = rows(dst, "public.items", true);
    CHECK_STR(b, a);
    CHECK_STR_FREE(pgt_query_value(dst, "SELECT note || ':' || n FROM public.items WHERE id = 1003"), "cdc 3:3");
    free(a);
    free(b);
    CHECK_STR_FREE(pgt_query_value(dst, "SELECT to_regclass('public.other') IS NULL"), "t");

    /* ---- a snapshot of a table with rows while changes run before, during and after it ---- */
    pgt_exec(src, "INSERT INTO snap SELECT g, 'row ' || g, g FROM generate_series(1, 3000) g");
    CHECK_INT(pgcdc_destination_prepare_table(d, "public.snap", state, &err), PGCDC_OK);
    CHECK_STR(state, "SNAPSHOT_REPLICATION");
    pgt_exec(src, "UPDATE snap SET n = -n WHERE id <= 100");           /* before C: in the snapshot */
    CHECK(drain(r, d, 1) >= 1);
    rc = pgcdc_snapshot_session_begin(cfg, &s, &err);
    CHECK_MSG(rc == PGCDC_OK, "session: %s", err.message);
    pgcdc_lsn c2 = pgcdc_snapshot_session_lsn(s);
    pgt_exec(src, "ANALYZE snap");
    CHECK_INT(pgcdc_snapshot_session_plan(s, "public.snap", 3, &chunks, &nchunks, &err), PGCDC_OK);
    CHECK(nchunks >= 2);
    pgt_exec(src, "UPDATE snap SET note = 'after C' WHERE id %% 10 = 0"); /* after C: from CDC */
    pgt_exec(src, "DELETE FROM snap WHERE id BETWEEN 500 AND 520");
    pgt_exec(src, "INSERT INTO snap VALUES (5000, 'new', 5000)");
    int64_t total = 0;
    pthread_t wt;
    writer_stop = 0;
    CHECK_INT(pthread_create(&wt, NULL, writer, NULL), 0);
    for (size_t i = 0; i < nchunks; i++) {
        if (i == 1) {
            /* the CDC batches of the changes after C arrive while chunks are read */
            CHECK(drain(r, d, 1) >= 1);
            pgt_exec(src, "UPDATE snap SET n = n + 1 WHERE id BETWEEN 1 AND 50");
        }
        rc = pgcdc_snapshot_fetch_chunk(cfg, (const uint8_t *)chunks[i].data, chunks[i].len, &out, &info, &err);
        CHECK_MSG(rc == PGCDC_OK, "fetch %zu: %s", i, err.message);
        total += (int64_t)info.changes;
        CHECK_INT(pgcdc_destination_write_journal(d, (const uint8_t *)out.data, out.len, NULL, &err), PGCDC_OK);
    }
    CHECK_INT(total, 3000); /* the snapshot sees the table as of C */
    pgcdc_snapshot_session_close(s);
    /* the snapshot is gone with its session (its slot at once; the exported
     * snapshot once the walsender has exited, which PQfinish does not wait for) */
    CHECK_STR_FREE(pgt_query_value(src, "SELECT count(*) FROM pg_replication_slots WHERE temporary"), "0");
    rc = PGCDC_OK;
    for (int i = 0; i < 50 && rc == PGCDC_OK; i++) {
        rc = pgcdc_snapshot_fetch_chunk(cfg, (const uint8_t *)chunks[0].data, chunks[0].len, &out, &info, &err);
        if (rc == PGCDC_OK)
            usleep(100 * 1000);
    }
    CHECK(rc != PGCDC_OK);
    pgcdc_snapshot_chunks_free(chunks, nchunks);
    CHECK_INT(finish(r, d, "public.snap", c2, &waited), PGCDC_OK);
    drain(r, d, 1); /* while the writer may still run */
    pthread_join(wt, NULL);
    drain(r, d, 2);
    CHECK_INT(pgcdc_destination_merge(d, &err), PGCDC_OK);
    a = rows(src, "snap", false);
    b = rows(dst, "public.snap", true);
    CHECK_STR(b, a);
    free(a);
    free(b);

    CHECK_INT(pgcdc_destination_tables(d, &st, &n, &err), PGCDC_OK);
    const pgcdc_pipeline_table_status *t = find(st, n, "public.snap");
    CHECK(t && !strcmp(t->state, "INCREMENTAL_REPLICATION"));
    CHECK(t && t->rows_snapshotted == 3000);
    CHECK(t && t->merged_lsn > 0);
    t = find(st, n, "public.nokey");
    CHECK(t && !strcmp(t->state, "FAILED"));
    CHECK(t && strstr(t->message, "primary key"));
    free(st);

    /* a second destination (another processor) sees the states and merges too */
    pgcdc_destination *d2 = NULL;
    CHECK_INT(pgcdc_destination_open(cfg, &d2, &err), PGCDC_OK);
    pgt_exec(src, "UPDATE items SET note = 'via d2' WHERE id = 1");
    CHECK(drain(r, d2, 2) >= 1);
    CHECK_INT(pgcdc_destination_merge(d2, &err), PGCDC_OK);
    CHECK_STR_FREE(pgt_query_value(dst, "SELECT note FROM public.items WHERE id = 1"), "via d2");
    pgcdc_lsn dl = 0;
    CHECK_INT(pgcdc_destination_durable_lsn(d, &dl, &err), PGCDC_OK);
    CHECK(dl > c2);
    CHECK_INT(pgcdc_destination_fail_table(d2, "public.snap", "stopped by the operator", &err), PGCDC_OK);
    CHECK_STR_FREE(pgt_query_value(dst, "SELECT state || ':' || message FROM pgcdc_state.\"_PGCDC_TABLE_STATE\" "
                                   "WHERE table_name = 'public.snap'"),
              "FAILED:stopped by the operator");
    pgcdc_destination_close(d2);

    /* the slot advanced to what was confirmed; a reader opened again goes on from there */
    pgcdc_lsn confirmed = pgcdc_change_reader_confirmed(r);
    CHECK(confirmed >= dl);
    pgcdc_change_reader_close(r);
    rc = pgcdc_change_reader_open(cfg, "c_slot", confirmed, &r, &err);
    CHECK_MSG(rc == PGCDC_OK, "reopen: %s", err.message);
    pgt_exec(src, "INSERT INTO items VALUES (7777, 'after reopen', 1)");
    CHECK(drain(r, d, 2) >= 1);
    CHECK_INT(pgcdc_destination_merge(d, &err), PGCDC_OK);
    a = rows(src, "items", false);
    b = rows(dst, "public.items", true);
    CHECK_STR(b, a);
    free(a);
    free(b);
    pgcdc_change_reader_close(r);

    pgcdc_buf_free(&out);
    pgcdc_destination_close(d);
    pgcdc_connector_config_free(cfg);
    PQfinish(src);
    PQfinish(dst);
    PQfinish(admin);
    pgt_cluster_stop(&cl);
    return pgt_done("connector-live");
}
