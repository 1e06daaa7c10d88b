/* test_connector_memory.c - bounded batches through the connector facade the
 * NiFi processors call (pgcdc/connector.h), at a small size (the big figures
 * are in tests/bench/bench_memory.c); the host's steps are those of
 * FetchTableSnapshot, CaptureChangePostgreSQL and PutJournalRows:
 *
 *   1. a table of 12 TOASTed rows of 200 KB fetched in pieces of at most
 *      64 KiB (pgcdc_snapshot_fetch_chunk_pieces), each piece written to the
 *      journal, the snapshot finished: the destination equals the source;
 *   2. one transaction of 50,000 changes read with a 64 KiB fragment limit:
 *      every batch stays near the limit; after 5 fragments are written the
 *      durable position has not moved and a merge takes nothing of the
 *      transaction; then a "crash" (reader and destination closed without
 *      confirming more) and a restart from the confirmed position: the whole
 *      transaction is read and written again, the destination equals the
 *      source, every key once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "connector_util.h"

#define LIMIT (64u << 10)
#define ROW_SLACK (300u << 10) /* a piece or fragment holds at least one row past the limit */

static pgt_cluster cl;
static PGconn *src;

static pgcdc_connector_config *config(void)
{
    return cu_config(&cl, "msrc", "m_pub", "m_slot", "mdst", "public\\.(big_rows|big_txn)");
}

typedef struct pieces {
    pgcdc_destination *d;
    int n;
    uint64_t rows;
} pieces;

static pgcdc_code write_piece(void *ud, const uint8_t *data, size_t len, const pgcdc_batch_info *info,
                              pgcdc_error *err)
{
    pieces *p = ud;
    CHECK_MSG(len <= LIMIT + ROW_SLACK, "a piece of %zu bytes", len);
    p->n++;
    p->rows += info->changes;
    pgcdc_lsn durable;
    return pgcdc_destination_write_journal(p->d, data, len, &durable, err);
}

/* Snapshot of table through the session s, in pieces; returns the pieces. */
static int snapshot(pgcdc_connector_config *c, pgcdc_snapshot_session *s, pgcdc_destination *d, const char *table)
{
    pgcdc_error err;
    pgcdc_buf *chunks = NULL;
    size_t n = 0;
    CHECK_MSG(pgcdc_snapshot_session_plan(s, table, 1, &chunks, &n, &err) == PGCDC_OK, "%s", err.message);
    pieces p = {.d = d};
    for (size_t i = 0; i < n; i++) {
        pgcdc_batch_info info;
        CHECK_MSG(pgcdc_snapshot_fetch_chunk_pieces(c, (const uint8_t *)chunks[i].data, chunks[i].len, LIMIT,
                                                    write_piece, &p, &info, &err) == PGCDC_OK,
                  "fetch: %s", err.message);
    }
    pgcdc_snapshot_chunks_free(chunks, n);
    return p.n;
}

static void finish(pgcdc_change_reader *r, pgcdc_destination *d, const char *table, pgcdc_lsn lsn)
{
    pgcdc_error err;
    pgcdc_code rc = PGCDC_ETIMEOUT;
    for (int i = 0; i < 100 && rc == PGCDC_ETIMEOUT; i++) {
        rc = pgcdc_destination_finish_snapshot(d, table, lsn, &err);
        if (rc == PGCDC_ETIMEOUT)
            cu_drain(r, d, 1, 300, NULL, 0);
    }
    CHECK_MSG(rc == PGCDC_OK, "finish %s: %s", table, err.message);
}

static char *dst_value(const char *sql)
{
    PGconn *d = pgt_connect(&cl, "mdst");
    char *v = pgt_query_value(d, "%s", sql);
    PQfinish(d);
    return v;
}

int main(void)
{
    pgt_cluster_start(&cl, pgt_major(), NULL);
    PGconn *adm = pgt_connect(&cl, "postgres");
    pgt_exec(adm, "CREATE DATABASE msrc");
    pgt_exec(adm, "CREATE DATABASE mdst");
    src = pgt_connect(&cl, "msrc");
    pgt_exec(src, "CREATE TABLE big_rows (id int PRIMARY KEY, payload text); "
                  "ALTER TABLE big_rows ALTER COLUMN payload SET STORAGE EXTERNAL; "
                  "INSERT INTO big_rows SELECT g, repeat(md5(g::text), 200000 / 32) FROM generate_series(1, 12) g");
    pgt_exec(src, "CREATE TABLE big_txn (id int PRIMARY KEY, v int, t text); "
                  "INSERT INTO big_txn SELECT g, g, 'seed ' || g FROM generate_series(1, 2000) g");
    pgt_exec(src, "CREATE PUBLICATION m_pub FOR TABLE big_rows, big_txn");

    pgcdc_connector_config *c = config();
    pgcdc_error err;
    pgcdc_change_reader *r;
    pgcdc_destination *d;
    char state[32];
    CHECK_MSG(pgcdc_change_reader_open(c, "m_slot", 0, &r, &err) == PGCDC_OK, "%s", err.message);
    pgcdc_change_reader_set_idle_interval(r, 200);
    CHECK_MSG(pgcdc_destination_open(c, &d, &err) == PGCDC_OK, "%s", err.message);
    CHECK_INT(pgcdc_destination_prepare_table(d, "public.big_rows", state, &err), PGCDC_OK);
    CHECK_INT(pgcdc_destination_prepare_table(d, "public.big_txn", state, &err), PGCDC_OK);

    /* 1. snapshots in pieces */
    pgcdc_snapshot_session *s;
    CHECK_MSG(pgcdc_snapshot_session_begin(c, &s, &err) == PGCDC_OK, "%s", err.message);
    int np = snapshot(c, s, d, "public.big_rows");
    CHECK_MSG(np >= 6, "12 rows of 200 KB came in %d piece(s) of at most 64 KiB + a row", np);
    snapshot(c, s, d, "public.big_txn");
    pgcdc_lsn at = pgcdc_snapshot_session_lsn(s);
    pgcdc_snapshot_session_close(s);
    finish(r, d, "public.big_rows", at);
    finish(r, d, "public.big_txn", at);
    char *a = pgt_query_value(src, "SELECT string_agg(id || ':' || md5(payload), ',' ORDER BY id) FROM big_rows");
    char *b = dst_value("SELECT string_agg(id || ':' || md5(payload), ',' ORDER BY id) FROM public.big_rows");
    CHECK_MSG(strcmp(a, b) == 0, "big_rows differ after a snapshot in pieces");
    free(a);
    free(b);

    /* 2. one transaction of 50,000 changes */
    pgcdc_change_reader_set_fragment_bytes(r, LIMIT);
    pgt_exec(src, "BEGIN; "
                  "INSERT INTO big_txn SELECT g, g, 'new ' || md5(g::text) FROM generate_series(10001, 56000) g; "
                  "UPDATE big_txn SET v = -v, t = t || ' updated' WHERE id <= 2000 AND id %% 2 = 0; "
                  "UPDATE big_txn SET v = v + 1 WHERE id BETWEEN 20001 AND 22000; "
                  "DELETE FROM big_txn WHERE id %% 10 = 5 AND id <= 2000; "
                  "COMMIT");
    char *t = pgt_query_value(src, "SELECT pg_current_wal_insert_lsn()");
    pgcdc_lsn target = 0, durable = 0, commit = 0;
    CHECK_INT(pgcdc_lsn_parse(t, &target), 0);
    free(t);
    pgcdc_buf buf = PGCDC_BUF_INIT;
    int fragments = 0;
    for (int i = 0; i < 200 && fragments < 5; i++) {
        pgcdc_batch_info info;
        pgcdc_code rc = pgcdc_change_reader_poll(r, 500, 8 << 20, &buf, &info, &err);
        if (rc == PGCDC_ETIMEOUT)
            continue;
        CHECK_MSG(rc == PGCDC_OK, "poll: %s", err.message);
        CHECK_MSG(buf.len <= LIMIT + ROW_SLACK, "a batch of %zu bytes with a 64 KiB fragment limit", buf.len);
        CHECK_MSG(pgcdc_destination_write_journal(d, (const uint8_t *)buf.data, buf.len, &durable, &err) == PGCDC_OK,
                  "write: %s", err.message);
        if (info.transactions == 0 && info.changes > 0) {
            fragments++;
            CHECK_INT(info.confirm_lsn, 0);
            commit = info.first_lsn; /* the open transaction's commit LSN */
        }
        pgcdc_change_reader_confirm(r, durable);
    }
    CHECK_MSG(fragments == 5, "expected 5 fragments of the open transaction, got %d", fragments);
    CHECK_MSG(commit > 0 && durable < commit, "the durable position moved past an unfinished transaction");
    CHECK_INT(pgcdc_destination_merge(d, &err), PGCDC_OK);
    char *merged = dst_value("SELECT count(*) FROM public.big_txn WHERE id > 10000");
    CHECK_MSG(!strcmp(merged, "0"), "%s rows of an unfinished transaction were merged", merged);
    free(merged);

    /* the host dies: nothing more is confirmed; it starts again from there */
    pgcdc_lsn from = pgcdc_change_reader_confirmed(r);
    pgcdc_change_reader_close(r);
    pgcdc_destination_close(d);
    CHECK_MSG(pgcdc_change_reader_open(c, "m_slot", from, &r, &err) == PGCDC_OK, "%s", err.message);
    pgcdc_change_reader_set_fragment_bytes(r, LIMIT);
    CHECK_MSG(pgcdc_destination_open(c, &d, &err) == PGCDC_OK, "%s", err.message);
    /* the server decodes the transaction again before sending it: drain until it is written */
    for (int i = 0; i < 60 && durable < target; i++) {
        cu_drain(r, d, 2, 500, NULL, 0);
        CHECK_INT(pgcdc_destination_durable_lsn(d, &durable, &err), PGCDC_OK);
    }
    CHECK_MSG(durable >= target, "the transaction was not written again after the restart");
    CHECK_INT(pgcdc_destination_merge(d, &err), PGCDC_OK);
    a = pgt_query_value(src, "SELECT count(*) || ':' || sum(v) || ':' || md5(string_agg(t, ',' ORDER BY id)) "
                             "FROM big_txn");
    b = dst_value("SELECT count(*) || ':' || sum(v) || ':' || md5(string_agg(t, ',' ORDER BY id)) "
                  "FROM public.big_txn WHERE NOT \"_SNOWFLAKE_DELETED\"");
    CHECK_MSG(strcmp(a, b) == 0, "big_txn: destination %s, source %s", b, a);
    free(a);
    free(b);
    char *gone = dst_value("SELECT count(*) FROM public.big_txn WHERE \"_SNOWFLAKE_DELETED\"");
    CHECK_MSG(!strcmp(gone, "200"), "%s rows soft-deleted, expected 200", gone);
    free(gone);

    pgcdc_buf_free(&buf);
    pgcdc_change_reader_close(r);
    pgcdc_destination_close(d);
    pgcdc_connector_config_free(c);
    PQfinish(src);
    PQfinish(adm);
    pgt_cluster_stop(&cl);
    return pgt_done("connector-memory");
}
