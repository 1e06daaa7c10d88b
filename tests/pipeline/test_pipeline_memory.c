/* test_pipeline_memory.c - bounded memory of the runner (issue 8, items 6
 * and 7), at a small size: PGCDC_PIECE_BYTES makes the byte limit per
 * journal write tiny, so a 50,000-row transaction comes in many fragments
 * and a chunk of TOASTed rows in many pieces (the big figures are in
 * tests/bench/bench_memory.c):
 *
 *   1. one transaction of 50,000 inserts, updates and deletes; `pgcdc run`
 *      killed (PGCDC_CRASH_AT=fragment-written:5) after its 5th fragment is
 *      in the journal: nothing of the transaction is merged or confirmed
 *      (the durable position is still before it), then `run
 *      --until-caught-up` writes it again from its start - the destination
 *      equals the source, every key once;
 *   2. a table of TOASTed rows snapshotted in pieces, killed after the 3rd
 *      piece (snapshot-piece-written:3): the chunk is not recorded as done,
 *      the next run reads it again - the destination equals the source;
 *   3. the snapshot planner sizes chunks by the table WITH its TOAST: 4 rows
 *      of 10 MB on one heap page give more than one chunk.
 * argv[1] = the pgcdc binary. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pgcdc/snapshot.h"
#include "runner.h"

static char tmpdir[256];
static pgt_cluster cl;

static void write_conf(const char *path, const char *table, const char *slot, const char *db, int queries)
{
    rt_write_conf(path, &(rt_conf){.source_port = cl.port, .source_db = "msrc", .publication = "mpub",
                                   .slot = slot, .dest_port = cl.port, .dest_db = db, .names = table,
                                   .snapshot_queries = queries});
}

/* Runs with crash_at set: the runner must kill itself there. */
static void run_until_crash(const char *conf, const char *log, const char *crash_at)
{
    pid_t pid = rt_spawn_run(conf, false, log, crash_at);
    int code = rt_wait_exit(pid, 120);
    if (code != 128 + 9)
        rt_show_log(log, "expected the crash point to kill the runner");
    CHECK_MSG(code == 128 + 9, "%s: the runner ended with %d, not SIGKILL at the crash point", crash_at, code);
}

static void one_big_transaction(PGconn *src, PGconn *adm)
{
    pgt_exec(src, "CREATE TABLE big_txn (id int PRIMARY KEY, v int, t text)");
    pgt_exec(src, "INSERT INTO big_txn SELECT g, g, 'seed ' || g FROM generate_series(1, 2000) g");
    pgt_exec(src, "ALTER PUBLICATION mpub ADD TABLE big_txn");
    pgt_exec(adm, "CREATE DATABASE d_txn");
    char conf[400], log[400];
    snprintf(conf, sizeof conf, "%s/txn.conf", tmpdir);
    snprintf(log, sizeof log, "%s/txn-1.log", tmpdir);
    write_conf(conf, "public.big_txn", "m_txn", "d_txn", 2);
    CHECK_INT(rt_run_caught_up(conf, log, 0), 0);

    /* 50,000 changes in one transaction: inserts, updates of seed rows and of
     * rows inserted in it, deletes */
    pgt_exec(src, "BEGIN; "
                  "INSERT INTO big_txn SELECT g, g, 'new ' || md5(g::text) FROM generate_series(10001, 56000) g; "
                  "UPDATE big_txn SET v = -v, t = t || ' updated' WHERE id <= 2000 AND id %% 2 = 0; "
                  "UPDATE big_txn SET v = v + 1 WHERE id BETWEEN 20001 AND 22000; "
                  "DELETE FROM big_txn WHERE id %% 10 = 5 AND id <= 2000; "
                  "COMMIT");
    char *commit = pgt_query_value(src, "SELECT pg_current_wal_insert_lsn()::text");

    snprintf(log, sizeof log, "%s/txn-2.log", tmpdir);
    run_until_crash(conf, log, "fragment-written:5");
    PGconn *dst = pgt_connect(&cl, "d_txn");
    /* fragments are in the journal ... */
    char *j = pgt_query_value(dst, "SELECT relname FROM pg_class WHERE relname LIKE 'big\\_txn\\_JOURNAL\\_%%'");
    char *n = pgt_query_value(dst, "SELECT count(*) FROM public.\"%s\" WHERE \"_PGCDC_SEQ\" >= 0", j);
    CHECK_MSG(atol(n) > 0, "no fragment of the open transaction reached the journal (%s rows)", n);
    /* ... but nothing is merged or confirmed inside the transaction */
    char *merged = pgt_query_value(dst, "SELECT count(*) FROM public.big_txn WHERE id > 10000");
    CHECK_MSG(strcmp(merged, "0") == 0, "%s rows of an unfinished transaction were merged", merged);
    char *behind = pgt_query_value(
        dst, "SELECT (SELECT max(confirmed_lsn) FROM pgcdc_state.\"_PGCDC_SOURCE_STATE\") < "
             "(SELECT min(\"_PGCDC_LSN\") FROM public.\"%s\" WHERE \"_PGCDC_SEQ\" >= 0)", j);
    CHECK_MSG(strcmp(behind, "t") == 0, "the durable position passed a transaction written only in part");
    char *slot = pgt_query_value(src, "SELECT confirmed_flush_lsn <= '%s'::pg_lsn FROM pg_replication_slots "
                                      "WHERE slot_name = 'm_txn'", commit);
    CHECK_MSG(strcmp(slot, "t") == 0, "the slot was confirmed past an unfinished transaction");
    free(n);
    free(merged);
    free(behind);
    free(slot);

    snprintf(log, sizeof log, "%s/txn-3.log", tmpdir);
    CHECK_INT(rt_run_caught_up(conf, log, 0), 0);
    CHECK_MSG(rt_log_has(log, "in fragments as it comes"), "the transaction was not written in fragments");
    CHECK(rt_same(src, "SELECT id, v, t FROM big_txn", dst,
                  "SELECT id, v, t FROM public.big_txn WHERE NOT \"_SNOWFLAKE_DELETED\""));
    char *gone = pgt_query_value(dst, "SELECT count(*) FROM public.big_txn WHERE \"_SNOWFLAKE_DELETED\"");
    CHECK_MSG(strcmp(gone, "200") == 0, "%s rows soft-deleted, expected the 200 deleted", gone);
    /* fragments written twice are in the journal twice, merged once */
    char *twice = pgt_query_value(dst, "SELECT count(*) > count(DISTINCT (\"_PGCDC_LSN\", \"_PGCDC_SEQ\")) "
                                       "FROM public.\"%s\"", j);
    CHECK_MSG(strcmp(twice, "t") == 0, "the fragments before the crash were not written again");
    free(gone);
    free(twice);
    free(j);
    free(commit);
    PQfinish(dst);
}

static void snapshot_in_pieces(PGconn *src, PGconn *adm)
{
    pgt_exec(src, "CREATE TABLE big_rows (id int PRIMARY KEY, payload text); "
                  "ALTER TABLE big_rows ALTER COLUMN payload SET STORAGE EXTERNAL; "
                  "INSERT INTO big_rows SELECT g, repeat(md5(g::text), 200000 / 32) FROM generate_series(1, 12) g");
    pgt_exec(src, "ALTER PUBLICATION mpub ADD TABLE big_rows");
    pgt_exec(adm, "CREATE DATABASE d_rows");
    char conf[400], log[400];
    snprintf(conf, sizeof conf, "%s/rows.conf", tmpdir);
    write_conf(conf, "public.big_rows", "m_rows", "d_rows", 1);
    snprintf(log, sizeof log, "%s/rows-1.log", tmpdir);
    run_until_crash(conf, log, "snapshot-piece-written:3");
    PGconn *dst = pgt_connect(&cl, "d_rows");
    char *done = pgt_query_value(dst, "SELECT count(*) FROM pgcdc_state.\"_PGCDC_SNAPSHOT_CHUNKS\" "
                                      "WHERE chunk_id >= 0");
    CHECK_MSG(strcmp(done, "0") == 0, "a chunk was recorded as done before all its pieces were written");
    char *j = pgt_query_value(dst, "SELECT relname FROM pg_class WHERE relname LIKE 'big\\_rows\\_JOURNAL\\_%%'");
    char *n = pgt_query_value(dst, "SELECT count(*) FROM public.\"%s\"", j);
    CHECK_MSG(atol(n) >= 3, "expected the first pieces' rows in the journal, found %s", n);
    snprintf(log, sizeof log, "%s/rows-2.log", tmpdir);
    CHECK_INT(rt_run_caught_up(conf, log, 0), 0);
    CHECK(rt_same(src, "SELECT id, md5(payload) FROM big_rows", dst,
                  "SELECT id, md5(payload) FROM public.big_rows WHERE NOT \"_SNOWFLAKE_DELETED\""));
    free(done);
    free(j);
    free(n);
    PQfinish(dst);
}

static void planned_with_toast(PGconn *src)
{
    pgt_exec(src, "CREATE TABLE toasty (id int PRIMARY KEY, payload text); "
                  "ALTER TABLE toasty ALTER COLUMN payload SET STORAGE EXTERNAL; "
                  "INSERT INTO toasty SELECT g, repeat(md5(g::text), 10 * 1024 * 1024 / 32) "
                  "FROM generate_series(1, 4) g");
    pgt_exec(src, "ANALYZE toasty");
    pgcdc_snapshot_plan plan;
    pgcdc_error err;
    pgcdc_snapshot_plan_options po = {.key_column = "id"};
    CHECK_MSG(pgcdc_snapshot_plan_create(src, "public", "toasty", &po, &plan, &err) == PGCDC_OK, "%s",
              err.message);
    CHECK_MSG(plan.nranges >= 2, "4 rows of 10 MB (%llu bytes with TOAST) planned as %u chunk(s)",
              (unsigned long long)plan.est_bytes, plan.nranges);
    CHECK(plan.est_bytes >= 40u << 20);
    pgcdc_snapshot_plan_free(&plan);
}

int main(int argc, char **argv)
{
    int start = rt_begin(argc, argv, "memory", tmpdir, sizeof tmpdir);
    if (start != 0)
        return start;
    setenv("PGCDC_PIECE_BYTES", "65536", 1); /* inherited by every run */
    pgt_cluster_start(&cl, pgt_major(), NULL);
    PGconn *adm = pgt_connect(&cl, "postgres");
    pgt_exec(adm, "CREATE DATABASE msrc");
    PGconn *src = pgt_connect(&cl, "msrc");
    pgt_exec(src, "CREATE PUBLICATION mpub");

    planned_with_toast(src);
    one_big_transaction(src, adm);
    snapshot_in_pieces(src, adm);

    PQfinish(src);
    PQfinish(adm);
    pgt_cluster_stop(&cl);
    rt_tmpdir_remove(tmpdir);
    return pgt_done("pipeline-memory");
}
