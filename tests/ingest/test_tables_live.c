/* test_tables_live.c - the included tables resolved against a real catalog,
 * as a role with only LOGIN, REPLICATION and SELECT: a publication FOR
 * TABLE, one FOR ALL TABLES, one publishing a partitioned table via its
 * root (and FOR TABLES IN SCHEMA on 15+); quoted mixed-case names; the
 * warnings for what is skipped; a regex that picks up a table created
 * after the first resolution; a missing publication; a lost connection. */
#include "pgcdc/tables.h"
#include "pgcdc/log.h"
#include "pgcdc/buf.h"
#include "pgt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROLE "flow_user"
#define PW "Fl0w-Secret-77"

static pgcdc_buf logged = PGCDC_BUF_INIT;

static void capture(void *ud, pgcdc_log_level level, const char *msg)
{
    (void)ud;
    pgcdc_buf_printf(&logged, "%s: %s\n", pgcdc_log_level_name(level), msg);
}

static void seed(PGconn *su, int major)
{
    pgt_exec(su, "CREATE SCHEMA app");
    pgt_exec(su, "CREATE SCHEMA \"Sales\"");
    pgt_exec(su, "CREATE TABLE app.customers (id int PRIMARY KEY, name text)");
    pgt_exec(su, "CREATE TABLE app.orders (id int PRIMARY KEY, customer_id int)");
    pgt_exec(su, "CREATE TABLE app.products (id int PRIMARY KEY)");
    pgt_exec(su, "CREATE TABLE app.audit (id int PRIMARY KEY)");
    pgt_exec(su, "CREATE UNLOGGED TABLE app.scratch (id int PRIMARY KEY)");
    pgt_exec(su, "CREATE TABLE app.parted (id int, d date, PRIMARY KEY (id, d)) PARTITION BY RANGE (d)");
    pgt_exec(su, "CREATE TABLE app.parted_2024 PARTITION OF app.parted FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')");
    pgt_exec(su, "CREATE TABLE app.parted_2025 PARTITION OF app.parted FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')");
    pgt_exec(su, "CREATE TABLE \"Sales\".\"Order Items\" (id int PRIMARY KEY)");
    pgt_exec(su, "CREATE TABLE \"Sales\".\"MixedCase\" (id int PRIMARY KEY)");
    pgt_exec(su, "CREATE ROLE " ROLE " LOGIN REPLICATION PASSWORD '" PW "'");
    pgt_exec(su, "GRANT CONNECT ON DATABASE appdb TO " ROLE);
    pgt_exec(su, "GRANT USAGE ON SCHEMA app, \"Sales\" TO " ROLE);
    pgt_exec(su, "GRANT SELECT ON ALL TABLES IN SCHEMA app, \"Sales\" TO " ROLE);
    if (major >= 13) {
        pgt_exec(su, "CREATE PUBLICATION pub_some FOR TABLE app.customers, app.orders, \"Sales\".\"Order Items\", "
                     "app.parted");
        pgt_exec(su, "CREATE PUBLICATION pub_root FOR TABLE app.parted WITH (publish_via_partition_root = true)");
    } else {
        /* 12 cannot publish a partitioned table: its partitions are published one by one */
        pgt_exec(su, "CREATE PUBLICATION pub_some FOR TABLE app.customers, app.orders, \"Sales\".\"Order Items\", "
                     "app.parted_2024, app.parted_2025");
    }
    pgt_exec(su, "CREATE PUBLICATION pub_all FOR ALL TABLES");
    if (major >= 15)
        pgt_exec(su, "CREATE PUBLICATION pub_schema FOR TABLES IN SCHEMA \"Sales\"");
}

/* Resolves names/regex against publication; returns the included tables as
 * "schema.table schema.table" (sorted) and the warning count. */
static const char *resolve(PGconn *conn, const char *names, const char *regex, const char *publication,
                           int *nwarnings)
{
    static char out[1024];
    pgcdc_table_selection *sel = NULL;
    pgcdc_error e = {0};
    out[0] = '\0';
    pgcdc_buf_reset(&logged);
    CHECK_MSG(pgcdc_table_selection_parse(names, regex, &sel, &e) == PGCDC_OK, "%s", e.message);
    pgcdc_table_set set;
    pgcdc_code rc = pgcdc_table_selection_resolve(sel, conn, publication, &set, &e);
    CHECK_MSG(rc == PGCDC_OK, "resolve %s: %s", publication, e.message);
    for (size_t i = 0; rc == PGCDC_OK && i < set.n; i++) {
        snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s.%s", i ? " " : "", set.tables[i].schema,
                 set.tables[i].table);
        CHECK(pgcdc_table_set_find(&set, set.tables[i].schema, set.tables[i].table) == &set.tables[i]);
        CHECK(set.tables[i].by_name || set.tables[i].by_regex);
    }
    if (nwarnings)
        *nwarnings = set.nwarnings;
    if (logged.len)
        printf("%s", logged.data);
    pgcdc_table_set_free(&set);
    pgcdc_table_selection_free(sel);
    return out;
}

static void test_for_table(PGconn *conn, int major)
{
    int nw;
    /* names: quoted mixed case, one not published, one missing, a partitioned
     * table whose partitions are published separately */
    CHECK_STR(resolve(conn, "app.customers, \"Sales\".\"Order Items\", app.products, app.nosuch, app.parted", NULL,
                      "pub_some", &nw),
              "Sales.Order Items app.customers");
    CHECK_INT(nw, 3);
    CHECK_CONTAINS(logged.data, "WARN: table app.products is listed in Included Table Names, but it is not in "
                                "publication pub_some: it is skipped; to replicate it run ALTER PUBLICATION pub_some "
                                "ADD TABLE app.products;");
    CHECK_CONTAINS(logged.data, "WARN: table \"app\".\"nosuch\" is listed in Included Table Names but does not exist");
    if (major >= 13) {
        CHECK_CONTAINS(logged.data, "table app.parted is listed in Included Table Names, but publication pub_some "
                                    "publishes its partitions as separate tables (publish_via_partition_root = false)");
        CHECK_CONTAINS(logged.data, "ALTER PUBLICATION pub_some SET (publish_via_partition_root = true);");
    } else {
        CHECK_CONTAINS(logged.data, "table app.parted is listed in Included Table Names, but PostgreSQL before 13 "
                                    "cannot publish a partitioned table as one table");
    }

    /* regex over everything in app: the published ones (partitions as
     * published) are in, each unpublished one is named in a warning */
    CHECK_STR(resolve(conn, NULL, "app\\..*", "pub_some", &nw),
              "app.customers app.orders app.parted_2024 app.parted_2025");
    CHECK_INT(nw, 4);
    CHECK_CONTAINS(logged.data, "table app.products matches Included Table Regex, but it is not in publication "
                                "pub_some");
    CHECK_CONTAINS(logged.data, "table app.audit matches");
    CHECK_CONTAINS(logged.data, "table app.scratch matches Included Table Regex, but it is unlogged and unlogged "
                                "tables are never published (their changes are not in the WAL): it is skipped; to "
                                "replicate it run ALTER TABLE app.scratch SET LOGGED; and add it to publication "
                                "pub_some");
    CHECK_CONTAINS(logged.data, major >= 13 ? "table app.parted matches Included Table Regex, but publication pub_some "
                                              "publishes its partitions"
                                            : "table app.parted matches Included Table Regex, but PostgreSQL before 13 "
                                              "cannot publish a partitioned table");

    /* the regex sees the raw names: mixed case, a space, no quotes */
    CHECK_STR(resolve(conn, NULL, "Sales\\.Order .*", "pub_some", &nw), "Sales.Order Items");
    CHECK_INT(nw, 0);
    CHECK_STR(resolve(conn, NULL, "(?i)sales\\.order items", "pub_some", NULL), "Sales.Order Items");
    /* case matters without (?i); an unquoted name is the catalog name as is */
    CHECK_STR(resolve(conn, "Sales.Order Items", "sales\\..*", "pub_some", &nw), "Sales.Order Items");
    CHECK_CONTAINS(logged.data, "Included Table Regex \"sales\\..*\" matches no table of publication pub_some");
    CHECK_INT(nw, 1);

    /* nothing at all */
    CHECK_STR(resolve(conn, "app.audit", NULL, "pub_some", &nw), "");
    CHECK_INT(nw, 2);
    CHECK_CONTAINS(logged.data, "no table is included: none of the selected tables is in publication pub_some");
}

static void test_via_root(PGconn *conn)
{
    int nw;
    CHECK_STR(resolve(conn, "app.parted, app.parted_2024", NULL, "pub_root", &nw), "app.parted");
    CHECK_INT(nw, 1);
    CHECK_CONTAINS(logged.data, "table app.parted_2024 is listed in Included Table Names, but it is a partition and "
                                "publication pub_root publishes its changes under its partitioned root table");
    /* a regex matching root and partitions: the root only, no noise about partitions */
    CHECK_STR(resolve(conn, NULL, "app\\.parted.*", "pub_root", &nw), "app.parted");
    CHECK_INT(nw, 0);
}

static void test_all_tables(PGconn *su, PGconn *conn, int major)
{
    int nw;
    CHECK_STR(resolve(conn, NULL, "app\\.(cust|ord).*", "pub_all", &nw), "app.customers app.orders");
    CHECK_INT(nw, 0);

    /* the same name quoted and unquoted is one table; wrong case does not exist */
    CHECK_STR(resolve(conn, "\"Sales\".\"MixedCase\", Sales.MixedCase, sales.mixedcase, app.scratch", NULL, "pub_all",
                      &nw),
              "Sales.MixedCase");
    CHECK_INT(nw, 2);
    CHECK_CONTAINS(logged.data, "table \"sales\".\"mixedcase\" is listed in Included Table Names but does not exist");
    CHECK_CONTAINS(logged.data, "table app.scratch is listed in Included Table Names, but it is unlogged");

    /* a table created after the first resolution: matches(), and the next
     * resolution includes it (FOR ALL TABLES publishes it at once) */
    pgcdc_table_selection *sel = NULL;
    pgcdc_error e = {0};
    CHECK_INT(pgcdc_table_selection_parse("app.customers", "app\\.(cust|ord).*", &sel, &e), PGCDC_OK);
    pgcdc_table_set set;
    CHECK_INT(pgcdc_table_selection_resolve(sel, conn, "pub_all", &set, &e), PGCDC_OK);
    CHECK_INT(set.n, 2);
    CHECK(pgcdc_table_set_find(&set, "app", "orders_archive") == NULL);
    pgcdc_table_set_free(&set);
    pgt_exec(su, "CREATE TABLE app.orders_archive (id int PRIMARY KEY)");
    pgt_exec(su, "GRANT SELECT ON app.orders_archive TO " ROLE);
    CHECK(pgcdc_table_selection_matches(sel, "app", "orders_archive"));
    CHECK(!pgcdc_table_selection_matches(sel, "app", "invoices"));
    CHECK_INT(pgcdc_table_selection_resolve(sel, conn, "pub_all", &set, &e), PGCDC_OK);
    CHECK_INT(set.n, 3);
    const pgcdc_included_table *t = pgcdc_table_set_find(&set, "app", "orders_archive");
    CHECK(t && !t->by_name && t->by_regex);
    t = pgcdc_table_set_find(&set, "app", "customers");
    CHECK(t && t->by_name && t->by_regex);
    CHECK(pgcdc_table_set_find(&set, "app", "products") == NULL);
    pgcdc_table_set_free(&set);
    pgcdc_table_selection_free(sel);

    /* FOR TABLES IN SCHEMA (15+) */
    if (major >= 15) {
        CHECK_STR(resolve(conn, NULL, ".*", "pub_schema", &nw), "Sales.MixedCase Sales.Order Items");
        CHECK_INT(nw, 7); /* each unpublished app table but the partitions */
    }
}

/* A broad regex over many unpublished tables: 20 named, then one summary. */
static void test_many_skipped(PGconn *su, PGconn *conn)
{
    pgt_exec(su, "CREATE SCHEMA bulk");
    pgt_exec(su, "DO $$ BEGIN FOR i IN 1..25 LOOP EXECUTE format('CREATE TABLE bulk.t%%s (id int PRIMARY KEY)', i); "
                 "END LOOP; END $$");
    int nw;
    CHECK_STR(resolve(conn, "app.customers", "bulk\\..*", "pub_some", &nw), "app.customers");
    CHECK_INT(nw, 22); /* 20 tables, the summary, "matches no table" */
    CHECK_CONTAINS(logged.data, "5 more tables match Included Table Regex but are not in publication pub_some: they "
                                "are skipped");
    CHECK_CONTAINS(logged.data, "Included Table Regex \"bulk\\..*\" matches no table of publication pub_some");
    pgt_exec(su, "DROP SCHEMA bulk CASCADE");
}

static void test_failures(PGconn *su, PGconn *conn)
{
    pgcdc_table_selection *sel = NULL;
    pgcdc_error e = {0};
    CHECK_INT(pgcdc_table_selection_parse("app.customers", NULL, &sel, &e), PGCDC_OK);
    pgcdc_table_set set;
    CHECK_INT(pgcdc_table_selection_resolve(sel, conn, "no_such_pub", &set, &e), PGCDC_ENOTFOUND);
    CHECK_CONTAINS(e.message, "publication \"no_such_pub\" does not exist in database \"appdb\"");
    CHECK_INT(set.n, 0);
    CHECK_INT(pgcdc_table_selection_resolve(sel, conn, "", &set, &e), PGCDC_EINVAL);
    CHECK_CONTAINS(e.message, "Publication Name is not set");

    /* the server ends our session: an interim error, not a permanent one */
    char *pid = pgt_query_value(su, "SELECT pid FROM pg_stat_activity WHERE usename = '" ROLE "'");
    pgt_exec(su, "SELECT pg_terminate_backend(%s)", pid);
    free(pid);
    CHECK_INT(pgcdc_table_selection_resolve(sel, conn, "pub_some", &set, &e), PGCDC_ECONNECT);
    CHECK_CONTAINS(e.message, "could not read publication");
    CHECK_NOT_CONTAINS(e.message, PW);
    pgcdc_table_selection_free(sel);
}

int main(void)
{
    int major = pgt_major();
    pgt_cluster c;
    pgt_cluster_start(&c, major, NULL);
    PGconn *pg = pgt_connect(&c, "postgres");
    pgt_exec(pg, "CREATE DATABASE appdb");
    PQfinish(pg);
    PGconn *su = pgt_connect(&c, "appdb");
    seed(su, major);

    char conninfo[256];
    snprintf(conninfo, sizeof conninfo, "host=127.0.0.1 port=%d dbname=appdb user=" ROLE " password=" PW, c.port);
    PGconn *conn = PQconnectdb(conninfo);
    CHECK_MSG(PQstatus(conn) == CONNECTION_OK, "connect as " ROLE ": %s", PQerrorMessage(conn));
    char *super = pgt_query_value(conn, "SELECT rolsuper::text FROM pg_roles WHERE rolname = current_user");
    CHECK_STR(super, "false");
    free(super);

    pgcdc_log_set_handler(capture, NULL, PGCDC_LOG_DEBUG);
    if (PQstatus(conn) == CONNECTION_OK) {
        test_for_table(conn, major);
        if (major >= 13) /* publish_via_partition_root arrived in 13 */
            test_via_root(conn);
        test_all_tables(su, conn, major);
        test_many_skipped(su, conn);
        test_failures(su, conn);
    }
    pgcdc_log_set_handler(NULL, NULL, PGCDC_LOG_DEBUG);
    PQfinish(conn);
    PQfinish(su);
    pgt_cluster_stop(&c);
    pgcdc_buf_free(&logged);
    return pgt_done("tables-live");
}
