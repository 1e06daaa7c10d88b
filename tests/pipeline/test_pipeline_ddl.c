/* test_pipeline_ddl.c - schema changes while running (reference §5,
 * docs/runner.md), the built `pgcdc` binary run as a subprocess against a
 * throwaway server (source database srcdb, destination databases beside it):
 *   1. ADD COLUMN + inserts/updates: destination column added (old rows NULL),
 *      journal generation 2;
 *   2. DROP COLUMN + inserts: renamed c__SNOWFLAKE_DELETED, old values kept,
 *      new rows NULL; generation 3;
 *   3. RENAME COLUMN + inserts/update: a drop plus an add;
 *   4. numeric(10,2) -> numeric(12,2): that table FAILED with the planner's
 *      message (exit 1), the other table keeps replicating;
 *   5. kill -9 right after a schema change was applied, more changes, restart:
 *      the same rows and columns as without the crash.
 * argv[1] = the pgcdc binary. */
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

static void write_conf(const char *path, const char *slot, const char *destdb, const char *names)
{
    rt_write_conf(path, &(rt_conf){.source_port = cl.port, .source_db = "srcdb", .publication = "ddl_pub",
                                   .slot = slot, .dest_port = cl.port, .dest_db = destdb, .names = names,
                                   .cron = "* * * * * ?"});
}

static char *dest_columns(PGconn *dst, const char *table)
{
    return pgt_query_value(dst, "SELECT string_agg(column_name || ' ' || data_type, ',' ORDER BY ordinal_position) "
                           "FROM information_schema.columns WHERE table_schema = 'app' AND table_name = '%s'",
                           table);
}

static void changes(PGconn *src)
{
    char conf[300], log[300];
    snprintf(conf, sizeof conf, "%s/ddl.conf", tmpdir);
    snprintf(log, sizeof log, "%s/ddl.log", tmpdir);
    write_conf(conf, "pgcdc_ddl", "dst1", "app.t1, app.t2");
    PGconn *adm = pgt_connect(&cl, "postgres");
    pgt_exec(adm, "CREATE DATABASE dst1");
    PGconn *dst = pgt_connect(&cl, "dst1");
    const char *live = " WHERE NOT \"_SNOWFLAKE_DELETED\"";
    char q[512];

    CHECK_INT(rt_run_caught_up(conf, log, 0), 0);
    CHECK(rt_same(src, "SELECT id, a, b, c FROM app.t1", dst, "SELECT id, a, b, c FROM app.t1"));
    CHECK(rt_same(src, "SELECT * FROM app.t2", dst, "SELECT id, v FROM app.t2"));

    /* 1. ADD COLUMN */
    pgt_exec(src, "ALTER TABLE app.t1 ADD COLUMN d int");
    pgt_exec(src, "INSERT INTO app.t1 VALUES (4, 4.50, 'b4', 'c4', 40)");
    pgt_exec(src, "BEGIN; UPDATE app.t1 SET d = 10 WHERE id = 1; UPDATE app.t1 SET b = 'bb' WHERE id = 2; "
                  "INSERT INTO app.t2 VALUES (3, 'three'); COMMIT");
    CHECK_INT(rt_run_caught_up(conf, log, 0), 0);
    char *l = rt_read_file(log);
    CHECK_CONTAINS(l, "schema change of table app.t1 applied (+d): journal generation 2");
    free(l);
    snprintf(q, sizeof q, "SELECT id, a, b, c, d FROM app.t1%s", live);
    CHECK(rt_same(src, "SELECT id, a, b, c, d FROM app.t1", dst, q));
    CHECK(rt_same(src, "SELECT * FROM app.t2", dst, "SELECT id, v FROM app.t2"));
    char *v = pgt_query_value(dst, "SELECT journal_n FROM pgcdc_state.\"_PGCDC_TABLE_STATE\" "
                              "WHERE table_name = 'app.t1'");
    CHECK_STR(v, "2");
    free(v);
    v = pgt_query_value(dst, "SELECT count(*) FROM pg_tables WHERE schemaname = 'app' AND tablename LIKE "
                        "'t1\\_JOURNAL\\_%%\\_2'");
    CHECK_STR(v, "1");
    free(v);
    v = pgt_query_value(dst, "SELECT journal_n FROM pgcdc_state.\"_PGCDC_TABLE_STATE\" "
                        "WHERE table_name = 'app.t2'");
    CHECK_STR(v, "1");
    free(v);

    /* 2. DROP COLUMN: old values kept under c__SNOWFLAKE_DELETED, new rows NULL */
    pgt_exec(src, "ALTER TABLE app.t1 DROP COLUMN c");
    pgt_exec(src, "INSERT INTO app.t1 VALUES (5, 5.00, 'b5', 50)");
    CHECK_INT(rt_run_caught_up(conf, log, 0), 0);
    snprintf(q, sizeof q, "SELECT id, a, b, d FROM app.t1%s", live);
    CHECK(rt_same(src, "SELECT id, a, b, d FROM app.t1", dst, q));
    v = rt_rows(dst, "SELECT id, \"c__SNOWFLAKE_DELETED\" FROM app.t1");
    CHECK_STR(v, "(1,c1)\n(2,c2)\n(3,c3)\n(4,c4)\n(5,)");
    free(v);
    v = pgt_query_value(dst, "SELECT journal_n FROM pgcdc_state.\"_PGCDC_TABLE_STATE\" "
                        "WHERE table_name = 'app.t1'");
    CHECK_STR(v, "3");
    free(v);

    /* 3. RENAME COLUMN = drop + add: b2 NULL in rows not written since */
    pgt_exec(src, "ALTER TABLE app.t1 RENAME COLUMN b TO b2");
    pgt_exec(src, "INSERT INTO app.t1 VALUES (6, 6.25, 'b6', 60); UPDATE app.t1 SET d = 11 WHERE id = 1");
    CHECK_INT(rt_run_caught_up(conf, log, 0), 0);
    snprintf(q, sizeof q, "SELECT id, a, b2, d FROM app.t1%s", live);
    CHECK(rt_same(src, "SELECT id, a, CASE WHEN id IN (1, 6) THEN b2 END, d FROM app.t1", dst, q));
    v = rt_rows(dst, "SELECT id, \"b__SNOWFLAKE_DELETED\" FROM app.t1");
    CHECK_STR(v, "(1,b1)\n(2,bb)\n(3,b3)\n(4,b4)\n(5,b5)\n(6,)");
    free(v);
    v = dest_columns(dst, "t1");
    CHECK_STR(v, "id integer,a numeric,b__SNOWFLAKE_DELETED text,c__SNOWFLAKE_DELETED text,"
                 "_SNOWFLAKE_INSERTED_AT timestamp without time zone,_SNOWFLAKE_UPDATED_AT timestamp without "
                 "time zone,_SNOWFLAKE_DELETED boolean,d integer,b2 text");
    free(v);
    v = pgt_query_value(dst, "SELECT state || ' ' || journal_n FROM pgcdc_state.\"_PGCDC_TABLE_STATE\" "
                        "WHERE table_name = 'app.t1'");
    CHECK_STR(v, "INCREMENTAL_REPLICATION 4");
    free(v);

    /* 3b. one transaction writes, adds a column and writes again: its rows
     * before the ALTER come with the old shape (schema.c, pl_shape_remember) */
    pgt_exec(src, "BEGIN; INSERT INTO app.t1 VALUES (70, 7.70, 'b70', 700); UPDATE app.t1 SET d = 12 WHERE id = 2; "
                  "ALTER TABLE app.t1 ADD COLUMN e text; INSERT INTO app.t1 VALUES (80, 8.80, 'b80', 800, 'e80'); "
                  "UPDATE app.t1 SET e = 'e1' WHERE id = 1; COMMIT");
    CHECK_INT(rt_run_caught_up(conf, log, 0), 0);
    l = rt_read_file(log);
    CHECK_CONTAINS(l, "schema change of table app.t1 applied (+e): journal generation 5");
    CHECK_NOT_CONTAINS(l, "FAILED");
    free(l);
    snprintf(q, sizeof q, "SELECT id, a, d, e FROM app.t1%s", live);
    CHECK(rt_same(src, "SELECT id, a, d, e FROM app.t1", dst, q));
    /* the same with kill -9 right after the change is applied, before the
     * transaction is written: the older shape was saved with the change */
    pgt_exec(src, "BEGIN; UPDATE app.t1 SET e = 'x80' WHERE id = 80; INSERT INTO app.t1 VALUES (90, 9.9, 'b90', 900, "
                  "'e90'); ALTER TABLE app.t1 ADD COLUMN f int; INSERT INTO app.t1 VALUES (91, 9.1, 'b91', 910, "
                  "'e91', 91); COMMIT");
    setenv("PGCDC_CRASH_AT", "schema-change-applied", 1);
    CHECK_INT(rt_run_caught_up(conf, log, 128 + SIGKILL), 128 + SIGKILL);
    unsetenv("PGCDC_CRASH_AT");
    CHECK_INT(rt_run_caught_up(conf, log, 0), 0);
    l = rt_read_file(log);
    CHECK_NOT_CONTAINS(l, "FAILED");
    free(l);
    snprintf(q, sizeof q, "SELECT id, a, d, e, f FROM app.t1%s", live);
    CHECK(rt_same(src, "SELECT id, a, d, e, f FROM app.t1", dst, q));
    /* two such transactions back to back: the first one's older shape is
     * still needed when the stream is read again for the second's change */
    pgt_exec(src, "BEGIN; INSERT INTO app.t1 VALUES (92, 9.2, 'b92', 920, 'e92', 92); ALTER TABLE app.t1 ADD COLUMN g "
                  "int; INSERT INTO app.t1 VALUES (93, 9.3, 'b93', 930, 'e93', 93, 93); COMMIT; "
                  "BEGIN; ALTER TABLE app.t1 ADD COLUMN h int; INSERT INTO app.t1 VALUES (94, 9.4, 'b94', 940, "
                  "'e94', 94, 94, 94); COMMIT");
    CHECK_INT(rt_run_caught_up(conf, log, 0), 0);
    l = rt_read_file(log);
    CHECK_NOT_CONTAINS(l, "FAILED");
    free(l);
    snprintf(q, sizeof q, "SELECT id, a, d, e, f, g, h FROM app.t1%s", live);
    CHECK(rt_same(src, "SELECT id, a, d, e, f, g, h FROM app.t1", dst, q));
    pgt_exec(src, "ALTER TABLE app.t1 DROP COLUMN g, DROP COLUMN h");
    pgt_exec(src, "DELETE FROM app.t1 WHERE id IN (92, 93, 94)");
    pgt_exec(src, "ALTER TABLE app.t1 DROP COLUMN e, DROP COLUMN f");
    pgt_exec(src, "DELETE FROM app.t1 WHERE id IN (70, 80, 90, 91)");
    CHECK_INT(rt_run_caught_up(conf, log, 0), 0);

    /* 4. numeric precision change: t1 fails alone, t2 goes on */
    pgt_exec(src, "INSERT INTO app.t1 VALUES (7, 7.00, 'b7', 70)"); /* before the change: merged */
    pgt_exec(src, "ALTER TABLE app.t1 ALTER COLUMN a TYPE numeric(12,2)");
    pgt_exec(src, "INSERT INTO app.t1 VALUES (8, 8.00, 'b8', 80); INSERT INTO app.t2 VALUES (4, 'four')");
    CHECK_INT(rt_run_caught_up(conf, log, 1), 1);
    l = rt_read_file(log);
    CHECK_CONTAINS(l, "Replication state for table srcdb.app.t1 changed from INCREMENTAL_REPLICATION to FAILED");
    CHECK_CONTAINS(l, "precision");
    CHECK_NOT_CONTAINS(l, "app.t2 changed");
    free(l);
    v = pgt_query_value(dst, "SELECT state || ': ' || message FROM pgcdc_state.\"_PGCDC_TABLE_STATE\" "
                        "WHERE table_name = 'app.t1'");
    CHECK_CONTAINS(v, "FAILED: ");
    CHECK_CONTAINS(v, "\"a\"");
    CHECK_CONTAINS(v, "restart the table");
    free(v);
    v = rt_rows(dst, "SELECT id FROM app.t1 WHERE id < 10"); /* 70 ... 91 (3b) are soft-deleted */
    CHECK_STR(v, "(1)\n(2)\n(3)\n(4)\n(5)\n(6)\n(7)");
    free(v);
    CHECK(rt_same(src, "SELECT * FROM app.t2", dst, "SELECT id, v FROM app.t2"));
    pgt_exec(src, "UPDATE app.t2 SET v = 'FOUR' WHERE id = 4; INSERT INTO app.t1 VALUES (9, 9, 'b9', 90)");
    CHECK_INT(rt_run_caught_up(conf, log, 1), 1);
    CHECK(rt_same(src, "SELECT * FROM app.t2", dst, "SELECT id, v FROM app.t2"));
    v = pgt_query_value(dst, "SELECT count(*) FROM app.t1 WHERE id < 10");
    CHECK_STR(v, "7");
    free(v);
    PQfinish(dst);
    PQfinish(adm);
}

static int journal_n(PGconn *dst)
{
    PGresult *r = PQexec(dst, "SELECT journal_n FROM pgcdc_state.\"_PGCDC_TABLE_STATE\" WHERE table_name = 'app.k1'");
    int n = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 ? atoi(PQgetvalue(r, 0, 0)) : 0;
    PQclear(r);
    return n;
}

/* kill -9 right after a schema change was applied, then restart */
static void crash(PGconn *src)
{
    char conf[300], log[300];
    snprintf(conf, sizeof conf, "%s/kill.conf", tmpdir);
    snprintf(log, sizeof log, "%s/kill.log", tmpdir);
    write_conf(conf, "pgcdc_ddl_kill", "dst2", "app.k1");
    PGconn *adm = pgt_connect(&cl, "postgres");
    pgt_exec(adm, "CREATE DATABASE dst2");
    PGconn *dst = pgt_connect(&cl, "dst2");
    CHECK_INT(rt_run_caught_up(conf, log, 0), 0);

    pgt_exec(src, "INSERT INTO app.k1 SELECT g, 'before ' || g, 'z' || g FROM generate_series(101, 120) g");
    pgt_exec(src, "ALTER TABLE app.k1 ADD COLUMN y int, DROP COLUMN z");
    pgt_exec(src, "INSERT INTO app.k1 SELECT g, 'after ' || g, g FROM generate_series(121, 140) g; "
                  "UPDATE app.k1 SET y = -id WHERE id <= 5");
    unlink(log);
    pid_t pid = rt_spawn_run(conf, false, log, NULL);
    int applied = 0;
    for (int i = 0; i < 600 && !applied; i++) {
        applied = journal_n(dst) == 2;
        if (!applied)
            usleep(10000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    CHECK(applied);
    pgt_exec(src, "INSERT INTO app.k1 SELECT g, 'later ' || g, g FROM generate_series(141, 150) g; "
                  "DELETE FROM app.k1 WHERE id = 2");
    CHECK_INT(rt_run_caught_up(conf, log, 0), 0);
    CHECK(rt_same(src, "SELECT id, x, y FROM app.k1", dst,
               "SELECT id, x, y FROM app.k1 WHERE NOT \"_SNOWFLAKE_DELETED\""));
    char *v = rt_rows(dst, "SELECT id, \"z__SNOWFLAKE_DELETED\" FROM app.k1 WHERE id IN (1, 2, 101, 121)");
    CHECK_STR(v, "(1,z1)\n(2,z2)\n(101,z101)\n(121,)");
    free(v);
    v = pgt_query_value(dst, "SELECT count(*) - count(DISTINCT id) FROM app.k1");
    CHECK_STR(v, "0");
    free(v);
    v = pgt_query_value(dst, "SELECT string_agg(id::text, ',') FROM app.k1 WHERE \"_SNOWFLAKE_DELETED\"");
    CHECK_STR(v, "2");
    free(v);
    CHECK_INT(journal_n(dst), 2);
    v = dest_columns(dst, "k1");
    CHECK_STR(v, "id integer,x text,z__SNOWFLAKE_DELETED text,_SNOWFLAKE_INSERTED_AT timestamp without time zone,"
                 "_SNOWFLAKE_UPDATED_AT timestamp without time zone,_SNOWFLAKE_DELETED boolean,y integer");
    free(v);
    PQfinish(dst);
    PQfinish(adm);
}

int main(int argc, char **argv)
{
    int start = rt_begin(argc, argv, "ddl", tmpdir, sizeof tmpdir);
    if (start != 0)
        return start;
    pgt_cluster_start(&cl, pgt_major(), NULL);
    PGconn *adm = pgt_connect(&cl, "postgres");
    pgt_exec(adm, "CREATE DATABASE srcdb");
    PGconn *src = pgt_connect(&cl, "srcdb");
    pgt_exec(src, "CREATE SCHEMA app; "
                  "CREATE TABLE app.t1 (id int PRIMARY KEY, a numeric(10,2), b text, c text); "
                  "INSERT INTO app.t1 VALUES (1, 1.50, 'b1', 'c1'), (2, 2.50, 'b2', 'c2'), (3, 3.50, 'b3', 'c3'); "
                  "CREATE TABLE app.t2 (id int PRIMARY KEY, v text); "
                  "INSERT INTO app.t2 VALUES (1, 'one'), (2, 'two'); "
                  "CREATE TABLE app.k1 (id int PRIMARY KEY, x text, z text); "
                  "INSERT INTO app.k1 SELECT g, 'x' || g, 'z' || g FROM generate_series(1, 100) g; "
                  "CREATE PUBLICATION ddl_pub FOR TABLE app.t1, app.t2, app.k1");

    changes(src);
    crash(src);

    PQfinish(src);
    PQfinish(adm);
    pgt_cluster_stop(&cl);
    rt_tmpdir_remove(tmpdir);
    return pgt_done("pipeline-ddl");
}
