/* test_pipeline_live.c - `pgcdc run` / `pgcdc status` end to end, the built
 * binary run as a subprocess against a throwaway server: source database
 * appdb (the walkthrough, connector role with REPLICATION + SELECT only),
 * destination databases on the same server.
 *   1. the walkthrough: snapshot, --until-caught-up, rows equal;
 *   2. its changes (03-changes.sql), run again: rows equal, the deleted order
 *      soft-deleted; status --json;
 *   3. a keyless table in the included set fails alone (exit status 1);
 *   4. kill -9 of the runner during a write load, restart, destination equal.
 * argv[1] = the pgcdc binary, argv[2] = examples/walkthrough. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runner.h"

static const char *examples;
static char tmpdir[256];
static pgt_cluster cl;

static void run_sql_file(PGconn *c, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", examples, name);
    char *sql = rt_read_file(path);
    if (!sql[0]) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(1);
    }
    /* 02-replication-setup.sql takes the password as a psql variable */
    char *p = strstr(sql, ":'password'");
    if (p)
        memcpy(p, "'Secret-1' ", 11);
    /* publish_via_partition_root (the walkthrough sets it) arrived in PostgreSQL 13 */
    char *via = strstr(sql, "WITH (publish_via_partition_root = true)");
    if (via && pgt_major() < 13)
        memset(via, ' ', strlen("WITH (publish_via_partition_root = true)"));
    pgt_exec(c, "%s", sql);
    free(sql);
}

static void write_conf(const char *path, const char *slot, const char *destdb, const char *names,
                       const char *regex)
{
    rt_write_conf(path, &(rt_conf){.source_port = cl.port, .source_db = "appdb", .jdbc_url = true,
                                   .user = "openflow_user", .password = "Secret-1", .publication = "openflow_pub",
                                   .slot = slot, .dest_port = cl.port, .dest_db = destdb,
                                   .schema_pattern = "${source.schema.name}", .names = names, .regex = regex,
                                   .cron = "* * * * * ?", .snapshot_queries = 2});
}

/* mode: caught-up (exit 0), expect-fail (exit 1: a table failed) or status */
static int run_cmd(const char *conf, const char *mode, const char *log)
{
    if (strcmp(mode, "status") != 0)
        return rt_run_caught_up(conf, log, !strcmp(mode, "expect-fail"));
    unlink(log);
    const char *args[] = {"status", "-c", conf, "--json", NULL};
    return rt_run(log, 120, 0, args);
}

/* Live destination rows (as record text, key order) == source rows. */
static int same_rows(PGconn *src, PGconn *dst, const char *table, const char *cols, const char *key)
{
    char *a = pgt_query_value(src, "SELECT coalesce(string_agg(t::text, E'\\n' ORDER BY t.%s), '') "
                              "FROM (SELECT %s FROM app.%s) t", key, cols, table);
    char *b = pgt_query_value(dst, "SELECT coalesce(string_agg(t::text, E'\\n' ORDER BY t.%s), '') "
                              "FROM (SELECT %s FROM app.%s WHERE NOT \"_SNOWFLAKE_DELETED\") t", key, cols, table);
    int same = strcmp(a, b) == 0 && a[0];
    if (!same)
        fprintf(stderr, "app.%s differs:\nsource:\n%s\ndestination:\n%s\n", table, a, b);
    free(a);
    free(b);
    return same;
}

static const char *CUST = "customer_id, name, email, created_at";
static const char *PROD = "product_id, name, price, in_stock";
static const char *ORD = "order_id, customer_id, product_id, quantity, status, order_date";

static void walkthrough(PGconn *src)
{
    char conf[300], log[300];
    snprintf(conf, sizeof conf, "%s/walk.conf", tmpdir);
    snprintf(log, sizeof log, "%s/walk.log", tmpdir);
    write_conf(conf, "pgcdc_walk", "replica", "app.customers, app.products, app.orders", "");
    PGconn *adm = pgt_connect(&cl, "postgres");
    pgt_exec(adm, "CREATE DATABASE replica");

    CHECK_INT(run_cmd(conf, "caught-up", log), 0);
    char *l = rt_read_file(log);
    CHECK_CONTAINS(l, "Replication state for table appdb.app.customers changed from NEW to SNAPSHOT_REPLICATION");
    CHECK_CONTAINS(l, "Replication state for table appdb.app.orders changed from SNAPSHOT_REPLICATION to "
                      "INCREMENTAL_REPLICATION");
    CHECK_NOT_CONTAINS(l, "Secret-1");
    free(l);
    PGconn *dst = pgt_connect(&cl, "replica");
    CHECK(same_rows(src, dst, "customers", CUST, "customer_id"));
    CHECK(same_rows(src, dst, "products", PROD, "product_id"));
    CHECK(same_rows(src, dst, "orders", ORD, "order_id"));
    char *v = pgt_query_value(dst, "SELECT count(*) FROM app.orders WHERE \"_SNOWFLAKE_DELETED\" "
                              "OR \"_SNOWFLAKE_INSERTED_AT\" IS NULL");
    CHECK_STR(v, "0");
    free(v);

    /* the walkthrough's changes, then run again */
    run_sql_file(src, "03-changes.sql");
    CHECK_INT(run_cmd(conf, "caught-up", log), 0);
    CHECK(same_rows(src, dst, "customers", CUST, "customer_id"));
    CHECK(same_rows(src, dst, "products", PROD, "product_id"));
    CHECK(same_rows(src, dst, "orders", ORD, "order_id"));
    v = pgt_query_value(dst, "SELECT string_agg(order_id || ':' || \"_SNOWFLAKE_DELETED\", ',' ORDER BY order_id) "
                        "FROM app.orders");
    CHECK_STR(v, "1:false,2:false,3:true,4:false");
    free(v);
    v = pgt_query_value(dst, "SELECT status || ' ' || (\"_SNOWFLAKE_UPDATED_AT\" > \"_SNOWFLAKE_INSERTED_AT\") "
                        "FROM app.orders WHERE order_id = 2");
    CHECK_STR(v, "shipped true");
    free(v);
    /* a third run with nothing new changes nothing */
    CHECK_INT(run_cmd(conf, "caught-up", log), 0);
    CHECK(same_rows(src, dst, "orders", ORD, "order_id"));

    /* status --json */
    snprintf(log, sizeof log, "%s/status.out", tmpdir);
    CHECK_INT(run_cmd(conf, "status", log), 0);
    l = rt_read_file(log);
    CHECK_CONTAINS(l, "{\"table\": \"app.customers\", \"state\": \"INCREMENTAL_REPLICATION\", \"rows_snapshotted\": 3");
    CHECK_CONTAINS(l, "{\"table\": \"app.orders\", \"state\": \"INCREMENTAL_REPLICATION\", \"rows_snapshotted\": 3");
    CHECK_CONTAINS(l, "{\"table\": \"app.products\", \"state\": \"INCREMENTAL_REPLICATION\"");
    CHECK_CONTAINS(l, "\"slot\": \"pgcdc_walk\"");
    CHECK_CONTAINS(l, "\"slot_lag_bytes\": ");
    CHECK_NOT_CONTAINS(l, "\"last_merged_lsn\": \"0/0\"");
    free(l);
    PQfinish(dst);
    PQfinish(adm);
}

static void keyless(PGconn *src)
{
    char conf[300], log[300];
    snprintf(conf, sizeof conf, "%s/keyless.conf", tmpdir);
    snprintf(log, sizeof log, "%s/keyless.log", tmpdir);
    pgt_exec(src, "CREATE TABLE app.nokey (a int, b text); ALTER TABLE app.nokey REPLICA IDENTITY FULL; "
                  "INSERT INTO app.nokey VALUES (1, 'x'); ALTER PUBLICATION openflow_pub ADD TABLE app.nokey");
    write_conf(conf, "pgcdc_keyless", "replica2", "", "app\\..*");
    PGconn *adm = pgt_connect(&cl, "postgres");
    pgt_exec(adm, "CREATE DATABASE replica2");
    CHECK_INT(run_cmd(conf, "expect-fail", log), 1);
    char *l = rt_read_file(log);
    CHECK_CONTAINS(l, "Replication state for table appdb.app.nokey changed from NEW to FAILED");
    CHECK_CONTAINS(l, "has no primary key");
    CHECK_CONTAINS(l, "Replication state for table appdb.app.orders changed from SNAPSHOT_REPLICATION to "
                      "INCREMENTAL_REPLICATION");
    free(l);
    PGconn *dst = pgt_connect(&cl, "replica2");
    CHECK(same_rows(src, dst, "customers", CUST, "customer_id"));
    CHECK(same_rows(src, dst, "orders", ORD, "order_id"));
    char *v = pgt_query_value(dst, "SELECT state FROM pgcdc_state.\"_PGCDC_TABLE_STATE\" "
                              "WHERE table_name = 'app.nokey'");
    CHECK_STR(v, "FAILED");
    free(v);
    /* the others keep replicating: a change after the failure arrives */
    pgt_exec(src, "UPDATE app.customers SET email = 'taro@example.org' WHERE customer_id = 1; "
                  "INSERT INTO app.nokey VALUES (2, 'y')");
    CHECK_INT(run_cmd(conf, "expect-fail", log), 1);
    CHECK(same_rows(src, dst, "customers", CUST, "customer_id"));
    PQfinish(dst);
    PQfinish(adm);
    pgt_exec(src, "ALTER PUBLICATION openflow_pub DROP TABLE app.nokey");
}

static void load_step(PGconn *w, int i)
{
    /* one transaction per step: 5 inserts, an update, a delete */
    pgt_exec(w, "BEGIN; INSERT INTO app.load (id, v, t) SELECT g, g * 7, 'row ' || g FROM "
                "generate_series(%d, %d) g; UPDATE app.load SET v = v + 1, t = 'updated' WHERE id = %d; "
                "DELETE FROM app.load WHERE id = %d; DELETE FROM app.load WHERE id = %d; COMMIT",
             10000 + 5 * i, 10000 + 5 * i + 4, 10000 + 5 * i, 10000 + 5 * i + 3, 1000 + i);
}

static void kill9(PGconn *src)
{
    char conf[300], log[300];
    snprintf(conf, sizeof conf, "%s/kill.conf", tmpdir);
    snprintf(log, sizeof log, "%s/kill.log", tmpdir);
    pgt_exec(src, "CREATE TABLE app.load (id int PRIMARY KEY, v int, t text); "
                  "INSERT INTO app.load SELECT g, g, 'seed' FROM generate_series(1, 5000) g; "
                  "GRANT SELECT ON app.load TO openflow_user; ALTER PUBLICATION openflow_pub ADD TABLE app.load");
    write_conf(conf, "pgcdc_kill", "replica3", "app.load, app.orders", "");
    PGconn *adm = pgt_connect(&cl, "postgres");
    pgt_exec(adm, "CREATE DATABASE replica3");
    PGconn *dst = pgt_connect(&cl, "replica3");
    unlink(log);
    pid_t pid = rt_spawn_run(conf, false, log, NULL);
    /* wait until both tables replicate */
    int ready = 0;
    for (int i = 0; i < 600 && !ready; i++) {
        usleep(100000);
        PGresult *r = PQexec(dst, "SELECT count(*) FROM pgcdc_state.\"_PGCDC_TABLE_STATE\" "
                                  "WHERE state = 'INCREMENTAL_REPLICATION'");
        ready = PQresultStatus(r) == PGRES_TUPLES_OK && atoi(PQgetvalue(r, 0, 0)) == 2;
        PQclear(r);
    }
    CHECK(ready);
    PGconn *w = pgt_connect(&cl, "appdb");
    for (int i = 0; i < 60; i++) {
        load_step(w, i);
        if (i == 30)
            kill(pid, SIGKILL); /* mid-load: some batches written, some merged, some not */
        usleep(20000);
    }
    waitpid(pid, NULL, 0);
    pgt_exec(w, "UPDATE app.load SET t = 'after' WHERE id <= 100; DELETE FROM app.load WHERE id BETWEEN 200 AND 210");
    CHECK_INT(run_cmd(conf, "caught-up", log), 0);
    CHECK(same_rows(src, dst, "load", "id, v, t", "id"));
    CHECK(same_rows(src, dst, "orders", ORD, "order_id"));
    char *v = pgt_query_value(dst, "SELECT string_agg(id::text, ',' ORDER BY id) FROM app.load "
                              "WHERE \"_SNOWFLAKE_DELETED\" AND id BETWEEN 200 AND 210");
    CHECK_STR(v, "200,201,202,203,204,205,206,207,208,209,210");
    free(v);
    /* every key deleted by the load and inserted before is soft-deleted; none live */
    v = pgt_query_value(dst, "SELECT count(*) FROM app.load WHERE id >= 10000 AND id %% 5 = 3 "
                        "AND NOT \"_SNOWFLAKE_DELETED\"");
    CHECK_STR(v, "0");
    free(v);
    v = pgt_query_value(dst, "SELECT count(*) FROM app.load WHERE id >= 10000 AND id %% 5 = 3");
    CHECK_STR(v, "0"); /* inserted and deleted in one transaction: never in the destination */
    free(v);
    /* seed rows deleted by the load: soft-deleted, values kept */
    v = pgt_query_value(dst, "SELECT count(*) FROM app.load WHERE id BETWEEN 1000 AND 1059 "
                        "AND \"_SNOWFLAKE_DELETED\" AND t = 'seed'");
    CHECK_STR(v, "60");
    free(v);
    v = pgt_query_value(dst, "SELECT count(*) - count(DISTINCT id) FROM app.load");
    CHECK_STR(v, "0");
    free(v);
    /* SIGTERM stops a running runner cleanly with exit 0 */
    unlink(log);
    pid = rt_spawn_run(conf, false, log, NULL);
    sleep(2);
    load_step(w, 100);
    sleep(1);
    kill(pid, SIGTERM);
    CHECK_INT(rt_wait_exit(pid, 60), 0);
    CHECK_INT(run_cmd(conf, "caught-up", log), 0);
    CHECK(same_rows(src, dst, "load", "id, v, t", "id"));
    PQfinish(w);
    PQfinish(dst);
    PQfinish(adm);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s PGCDC_BINARY EXAMPLES_WALKTHROUGH_DIR\n", argv[0]);
        return 2;
    }
    rt_bin = argv[1];
    examples = argv[2];
    snprintf(tmpdir, sizeof tmpdir, "/tmp/pgcdc-pipeline-XXXXXX");
    if (!mkdtemp(tmpdir))
        return 1;
    pgt_cluster_start(&cl, pgt_major(), NULL);
    PGconn *adm = pgt_connect(&cl, "postgres");
    pgt_exec(adm, "CREATE DATABASE appdb");
    PGconn *src = pgt_connect(&cl, "appdb");
    run_sql_file(src, "01-test-data.sql");
    run_sql_file(src, "02-replication-setup.sql");

    walkthrough(src);
    keyless(src);
    kill9(src);

    PQfinish(src);
    PQfinish(adm);
    pgt_cluster_stop(&cl);
    rt_tmpdir_remove(tmpdir);
    return pgt_done("pipeline-live");
}
