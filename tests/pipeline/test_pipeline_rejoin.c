/* test_pipeline_rejoin.c - state keyed by (schema, table), and tables that
 * leave the included set and come back (docs/runner.md). The built `pgcdc`
 * binary as a subprocess against one throwaway server:
 *   keys    a."b.c" and "a.b".c replicate side by side (issue 8, item 4);
 *           the first started on a destination whose state rows have the
 *           old layout (unquoted "a.b.c" key, no source_schema column) and
 *           keeps replicating without a new snapshot;
 *   rejoin  a table taken out of Included Table Names, written (inserts,
 *           updates, deletes, an added column), put back: REMOVED with its
 *           position in `status --json`, snapshotted again into the existing
 *           destination table - live rows equal, deleted rows soft-deleted,
 *           _SNOWFLAKE_INSERTED_AT of surviving rows kept (issue 11);
 *   crash   the same, the runner killed (PGCDC_CRASH_AT) after the
 *           re-snapshot's first chunk, more writes, then a catch-up;
 *   live    the same while `pgcdc run` streams: the table dropped from and
 *           added back to the publication (Included Table Regex).
 * argv[1] = the pgcdc binary. PGCDC_TEST_REJOIN_CASE=<name> runs one case. */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runner.h"

static char tmpdir[256];
static pgt_cluster cl;

static void conf_for(const char *path, const char *pub, const char *slot, const char *destdb, const char *names,
                     const char *regex)
{
    rt_write_conf(path, &(rt_conf){.source_port = cl.port, .source_db = "rsrc", .publication = pub, .slot = slot,
                                   .dest_port = cl.port, .dest_db = destdb, .names = names, .regex = regex,
                                   .snapshot_queries = 2});
}

static void wait_log(const char *log, const char *s, int seconds)
{
    for (int i = 0; i < seconds * 20 && !rt_log_has(log, s); i++)
        usleep(50000);
}

/* The source's rows equal the destination's live rows (sel: a column list
 * and a table, the same on both sides), no duplicate keys. */
static void same_rows(PGconn *src, PGconn *dst, const char *cols, const char *tbl)
{
    char a[400], b[500];
    snprintf(a, sizeof a, "SELECT %s FROM %s", cols, tbl);
    snprintf(b, sizeof b, "SELECT %s FROM %s WHERE NOT \"_SNOWFLAKE_DELETED\"", cols, tbl);
    CHECK_MSG(rt_same(src, a, dst, b), "%s: the destination's live rows differ from the source", tbl);
    char *d = pgt_query_value(dst, "SELECT count(*) - count(DISTINCT id) FROM %s", tbl);
    CHECK_STR(d, "0");
    free(d);
}

static char *status_json(const char *conf, const char *log)
{
    char out[400];
    snprintf(out, sizeof out, "%s/status.json", tmpdir);
    unlink(out);
    const char *args[] = {"status", "-c", conf, "--json", NULL};
    CHECK_INT(rt_run(out, 60, 0, args), 0);
    (void)log;
    return rt_read_file(out);
}

/* ---- keys: a."b.c" and "a.b".c ---- */

static void keys(PGconn *src, PGconn *adm)
{
    char conf[300], log[300];
    snprintf(conf, sizeof conf, "%s/k.conf", tmpdir);
    snprintf(log, sizeof log, "%s/k.log", tmpdir);
    pgt_exec(adm, "CREATE DATABASE kdst");
    PGconn *dst = pgt_connect(&cl, "kdst");
    pgt_exec(src, "CREATE SCHEMA a; CREATE SCHEMA \"a.b\"");
    pgt_exec(src, "CREATE TABLE \"a.b\".c (id int PRIMARY KEY, v text)");
    pgt_exec(src, "INSERT INTO \"a.b\".c SELECT g, 'ab-' || g FROM generate_series(1, 50) g");
    pgt_exec(src, "CREATE PUBLICATION k_pub FOR ALL TABLES");
    /* both names read a.b.c unquoted: the regex matches the two */
    conf_for(conf, "k_pub", "k_slot", "kdst", NULL, "a\\.b\\.c");
    CHECK_INT(rt_run_caught_up(conf, log, 0), 0);
    same_rows(src, dst, "id, v", "\"a.b\".c");

    /* the destination as the version before wrote it: key "a.b.c", no
     * source_schema / source_table / left_lsn columns */
    pgt_exec(dst, "ALTER TABLE pgcdc_state.\"_PGCDC_TABLE_STATE\" DROP COLUMN source_schema, "
                  "DROP COLUMN source_table, DROP COLUMN left_lsn");
    pgt_exec(dst, "UPDATE pgcdc_state.\"_PGCDC_TABLE_STATE\" SET table_name = 'a.b.c'");
    pgt_exec(dst, "UPDATE pgcdc_state.\"_PGCDC_TABLE_COLUMNS\" SET table_name = 'a.b.c'");

    /* changes, and the second table, whose name reads the same unquoted */
    pgt_exec(src, "UPDATE \"a.b\".c SET v = v || '+' WHERE id %% 4 = 0; DELETE FROM \"a.b\".c WHERE id = 7");
    pgt_exec(src, "INSERT INTO \"a.b\".c VALUES (100, 'new')");
    pgt_exec(src, "CREATE TABLE a.\"b.c\" (id int PRIMARY KEY, w int NOT NULL, v text)");
    pgt_exec(src, "INSERT INTO a.\"b.c\" SELECT g, g * 10, 'a-' || g FROM generate_series(1, 30) g");
    char *ins1 = pgt_query_value(dst, "SELECT \"_SNOWFLAKE_INSERTED_AT\" FROM \"a.b\".c WHERE id = 1");
    CHECK_INT(rt_run_caught_up(conf, log, 0), 0);
    CHECK(rt_log_has(log, "table a.b.c takes over the state row \"a.b.c\""));
    /* the old row was taken over: "a.b".c was not snapshotted again */
    char *ins1b = pgt_query_value(dst, "SELECT \"_SNOWFLAKE_INSERTED_AT\" FROM \"a.b\".c WHERE id = 1");
    CHECK_STR(ins1b, ins1);
    free(ins1);
    free(ins1b);
    same_rows(src, dst, "id, v", "\"a.b\".c");
    same_rows(src, dst, "id, w, v", "a.\"b.c\"");
    char *n = pgt_query_value(dst, "SELECT string_agg(table_name || '=' || state || '/' || source_schema || '|' || "
                                   "source_table, ' ' ORDER BY table_name) FROM pgcdc_state.\"_PGCDC_TABLE_STATE\"");
    CHECK_STR(n, "\"a\".\"b.c\"=INCREMENTAL_REPLICATION/a|b.c \"a.b\".\"c\"=INCREMENTAL_REPLICATION/a.b|c");
    free(n);

    /* both go on, each with its own columns */
    pgt_exec(src, "UPDATE a.\"b.c\" SET w = -w WHERE id < 10; DELETE FROM a.\"b.c\" WHERE id = 3");
    pgt_exec(src, "UPDATE \"a.b\".c SET v = 'x' WHERE id = 1");
    CHECK_INT(rt_run_caught_up(conf, log, 0), 0);
    CHECK(!rt_log_has(log, "FAILED"));
    same_rows(src, dst, "id, v", "\"a.b\".c");
    same_rows(src, dst, "id, w, v", "a.\"b.c\"");
    char *js = status_json(conf, log);
    CHECK_MSG(strstr(js, "\"table\": \"\\\"a.b\\\".\\\"c\\\"\", \"state\": \"INCREMENTAL_REPLICATION\"") != NULL &&
                  strstr(js, "\"table\": \"\\\"a\\\".\\\"b.c\\\"\", \"state\": \"INCREMENTAL_REPLICATION\"") != NULL,
              "status --json names the two tables apart: %s", js);
    free(js);
    PQfinish(dst);
}

/* ---- a table leaving the set and coming back ---- */

static void seed(PGconn *src, const char *tbl)
{
    pgt_exec(src, "CREATE TABLE %s (id int PRIMARY KEY, a int, t text)", tbl);
    pgt_exec(src, "INSERT INTO %s SELECT g, g %% 7, 'row ' || g FROM generate_series(1, 300) g", tbl);
}

/* what happens to it while it is out: inserts, updates, deletes, a column */
static void write_while_out(PGconn *src, const char *tbl)
{
    pgt_exec(src, "INSERT INTO %s SELECT g, g %% 5, 'new ' || g FROM generate_series(1001, 1050) g", tbl);
    pgt_exec(src, "UPDATE %s SET a = a + 100, t = t || ' updated' WHERE id %% 15 = 0", tbl);
    pgt_exec(src, "DELETE FROM %s WHERE id %% 10 = 1 AND id < 300", tbl); /* 30 old rows */
    pgt_exec(src, "DELETE FROM %s WHERE id IN (1001, 1002)", tbl);        /* new and gone */
    pgt_exec(src, "ALTER TABLE %s ADD COLUMN n int", tbl);
    pgt_exec(src, "UPDATE %s SET n = id * 2 WHERE id %% 3 = 0", tbl);
}

/* The destination after the re-snapshot: live rows equal (with the new
 * column), the 30 deleted rows soft-deleted, row 2's insertion time kept. */
static void check_back(PGconn *src, PGconn *dst, const char *tbl, const char *ins2)
{
    same_rows(src, dst, "id, a, t, n", tbl);
    char *d = pgt_query_value(dst, "SELECT count(*) FILTER (WHERE \"_SNOWFLAKE_DELETED\") || '/' || "
                                   "count(*) FILTER (WHERE \"_SNOWFLAKE_DELETED\" AND id %% 10 = 1 AND id < 300) "
                                   "FROM %s", tbl);
    CHECK_STR(d, "30/30");
    free(d);
    char *i2 = pgt_query_value(dst, "SELECT \"_SNOWFLAKE_INSERTED_AT\" FROM %s WHERE id = 2", tbl);
    CHECK_STR(i2, ins2);
    free(i2);
    /* rows that never reached the destination are absent, not soft-deleted */
    char *g = pgt_query_value(dst, "SELECT count(*) FROM %s WHERE id IN (1001, 1002)", tbl);
    CHECK_STR(g, "0");
    free(g);
}

/* crash: NULL, or the crash point for the run that brings the table back */
static void rejoin_by_names(PGconn *src, PGconn *adm, const char *tag, const char *crash)
{
    char conf[300], log[300], dbn[32], slot[32], tbl[32], other[32], both[80];
    snprintf(conf, sizeof conf, "%s/%s.conf", tmpdir, tag);
    snprintf(log, sizeof log, "%s/%s.log", tmpdir, tag);
    snprintf(dbn, sizeof dbn, "%s_dst", tag);
    snprintf(slot, sizeof slot, "%s_slot", tag);
    snprintf(tbl, sizeof tbl, "%s_t", tag);
    snprintf(other, sizeof other, "%s_other", tag);
    snprintf(both, sizeof both, "public.%s, public.%s", tbl, other);
    pgt_exec(adm, "CREATE DATABASE %s", dbn);
    PGconn *dst = pgt_connect(&cl, dbn);
    seed(src, tbl);
    seed(src, other);
    conf_for(conf, "r_pub", slot, dbn, both, NULL);
    CHECK_INT(rt_run_caught_up(conf, log, 0), 0);
    same_rows(src, dst, "id, a, t", tbl);
    char *ins2 = pgt_query_value(dst, "SELECT \"_SNOWFLAKE_INSERTED_AT\" FROM %s WHERE id = 2", tbl);

    /* out of the set */
    char only[40];
    snprintf(only, sizeof only, "public.%s", other);
    conf_for(conf, "r_pub", slot, dbn, only, NULL);
    pgt_exec(src, "UPDATE %s SET a = -1 WHERE id = 5", tbl); /* before the run that sees it leave */
    CHECK_INT(rt_run_caught_up(conf, log, 0), 0);
    char want[200];
    snprintf(want, sizeof want, "public.%s changed from INCREMENTAL_REPLICATION to REMOVED", tbl);
    CHECK(rt_log_has(log, want));
    char *js = status_json(conf, log);
    snprintf(want, sizeof want, "\"table\": \"public.%s\", \"state\": \"REMOVED\"", tbl);
    CHECK_MSG(strstr(js, want) && strstr(js, "left the included set at") && strstr(js, "\"left_lsn\": \""),
              "status --json shows the table REMOVED with its position: %s", js);
    free(js);
    write_while_out(src, tbl);
    pgt_exec(src, "UPDATE %s SET a = a + 1 WHERE id < 20", other);
    CHECK_INT(rt_run_caught_up(conf, log, 0), 0);
    same_rows(src, dst, "id, a, t", other);

    /* back in */
    conf_for(conf, "r_pub", slot, dbn, both, NULL);
    if (crash) {
        pid_t p = rt_spawn_run(conf, true, log, crash);
        CHECK_INT(rt_wait_exit(p, 120), 128 + SIGKILL);
        snprintf(want, sizeof want, "public.%s changed from REMOVED to SNAPSHOT_REPLICATION", tbl);
        CHECK(rt_log_has(log, want));
        char *st = pgt_query_value(dst, "SELECT state || ' ' || (left_lsn IS NOT NULL) FROM "
                                        "pgcdc_state.\"_PGCDC_TABLE_STATE\" WHERE table_name = 'public.%s'", tbl);
        CHECK_STR(st, "SNAPSHOT_REPLICATION true");
        free(st);
        /* more while it is down */
        pgt_exec(src, "UPDATE %s SET t = 'after crash' WHERE id IN (4, 1010)", tbl);
        pgt_exec(src, "INSERT INTO %s VALUES (2000, 1, 'after crash', 1)", tbl);
    }
    CHECK_INT(rt_run_caught_up(conf, log, 0), 0);
    if (crash) {
        CHECK(rt_log_has(log, "resuming its snapshot"));
    } else {
        snprintf(want, sizeof want, "table public.%s is included again", tbl);
        CHECK(rt_log_has(log, want));
        snprintf(want, sizeof want, "public.%s changed from REMOVED to SNAPSHOT_REPLICATION", tbl);
        CHECK(rt_log_has(log, want));
    }
    snprintf(want, sizeof want, "public.%s changed from SNAPSHOT_REPLICATION to INCREMENTAL_REPLICATION", tbl);
    CHECK(rt_log_has(log, want));
    check_back(src, dst, tbl, ins2);
    char *st = pgt_query_value(dst, "SELECT state || ' ' || (left_lsn IS NULL) FROM "
                                    "pgcdc_state.\"_PGCDC_TABLE_STATE\" WHERE table_name = 'public.%s'", tbl);
    CHECK_STR(st, "INCREMENTAL_REPLICATION true");
    free(st);

    /* and on as usual */
    pgt_exec(src, "UPDATE %s SET n = -1 WHERE id = 3; DELETE FROM %s WHERE id = 4", tbl, tbl);
    CHECK_INT(rt_run_caught_up(conf, log, 0), 0);
    same_rows(src, dst, "id, a, t, n", tbl);
    same_rows(src, dst, "id, a, t", other);
    CHECK(!rt_log_has(log, "FAILED"));
    free(ins2);
    PQfinish(dst);
}

/* While running: out of the publication and back (Included Table Regex). */
static void rejoin_live(PGconn *src, PGconn *adm)
{
    char conf[300], log[300];
    snprintf(conf, sizeof conf, "%s/l.conf", tmpdir);
    snprintf(log, sizeof log, "%s/l.log", tmpdir);
    pgt_exec(adm, "CREATE DATABASE l_dst");
    PGconn *dst = pgt_connect(&cl, "l_dst");
    seed(src, "l_t");
    seed(src, "l_other");
    pgt_exec(src, "CREATE PUBLICATION l_pub FOR TABLE l_t, l_other");
    conf_for(conf, "l_pub", "l_slot", "l_dst", NULL, "public\\.l_.*");
    CHECK_INT(rt_run_caught_up(conf, log, 0), 0);
    char *ins2 = pgt_query_value(dst, "SELECT \"_SNOWFLAKE_INSERTED_AT\" FROM l_t WHERE id = 2");
    char rlog[300]; /* the streaming runner's own log */
    snprintf(rlog, sizeof rlog, "%s/l-run.log", tmpdir);
    pid_t runner = rt_spawn_run(conf, false, rlog, NULL);
    wait_log(rlog, "streaming changes", 60);
    pgt_exec(src, "ALTER PUBLICATION l_pub DROP TABLE l_t");
    wait_log(rlog, "public.l_t changed from INCREMENTAL_REPLICATION to REMOVED", 20);
    CHECK(rt_log_has(rlog, "public.l_t changed from INCREMENTAL_REPLICATION to REMOVED"));
    write_while_out(src, "l_t");
    pgt_exec(src, "UPDATE l_other SET a = 0 WHERE id < 5");
    pgt_exec(src, "ALTER PUBLICATION l_pub ADD TABLE l_t");
    pgt_exec(src, "UPDATE l_t SET t = 'just back' WHERE id = 6");
    wait_log(rlog, "public.l_t changed from SNAPSHOT_REPLICATION to INCREMENTAL_REPLICATION", 30);
    CHECK(rt_log_has(rlog, "public.l_t changed from REMOVED to SNAPSHOT_REPLICATION"));
    CHECK(rt_log_has(rlog, "public.l_t changed from SNAPSHOT_REPLICATION to INCREMENTAL_REPLICATION"));
    pgt_exec(src, "UPDATE l_t SET t = 'later' WHERE id = 8");
    sleep(1);
    kill(runner, SIGTERM);
    CHECK_INT(rt_wait_exit(runner, 60), 0);
    CHECK_INT(rt_run_caught_up(conf, log, 0), 0);
    check_back(src, dst, "l_t", ins2);
    same_rows(src, dst, "id, a, t", "l_other");
    free(ins2);
    PQfinish(dst);
}

static bool want_case(const char *name)
{
    const char *c = getenv("PGCDC_TEST_REJOIN_CASE");
    return !c || !*c || !strcmp(c, name);
}

int main(int argc, char **argv)
{
    int start = rt_begin(argc, argv, "rejoin", tmpdir, sizeof tmpdir);
    if (start != 0)
        return start;
    pgt_cluster_start(&cl, pgt_major(), NULL);
    PGconn *adm = pgt_connect(&cl, "postgres");
    pgt_exec(adm, "CREATE DATABASE rsrc");
    PGconn *src = pgt_connect(&cl, "rsrc");
    pgt_exec(src, "CREATE TABLE r_placeholder (id int PRIMARY KEY)");
    pgt_exec(src, "CREATE PUBLICATION r_pub FOR ALL TABLES");

    if (want_case("keys"))
        keys(src, adm);
    if (want_case("rejoin"))
        rejoin_by_names(src, adm, "rj", NULL);
    if (want_case("crash"))
        rejoin_by_names(src, adm, "rc", "snapshot-chunk-written:1");
    if (want_case("live"))
        rejoin_live(src, adm);

    PQfinish(src);
    PQfinish(adm);
    pgt_cluster_stop(&cl);
    rt_tmpdir_remove(tmpdir);
    return pgt_done("pipeline-rejoin");
}
