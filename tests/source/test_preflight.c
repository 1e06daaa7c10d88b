/* test_preflight.c - the preflight checks against real servers, as the
 * least privileged role the connector supports (the walkthrough's
 * openflow_user: LOGIN, REPLICATION, SELECT on the tables, nothing else),
 * connected through a JDBC URL plus the Username/Password parameters.
 *
 * First everything passes; then each failure is provoked, its message and
 * fix command checked, and the fix command taken from the message is run to
 * show that it really fixes the problem. A second cluster started with
 * wal_level=replica and no slot or wal sender to spare provokes the
 * server-wide failures all at once. */
#include "pgcdc/preflight.h"
#include "pgt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ROLE "openflow_user"
#define PW "Flow-Pa55-w0rd"

static int major;

static void seed(PGconn *su)
{
    /* The walkthrough's 01-test-data.sql and 02-logical-replication-setup.sql,
     * with REPLICATION in place of RDS's rds_replication. */
    pgt_exec(su, "CREATE SCHEMA app");
    pgt_exec(su, "CREATE TABLE app.customers (customer_id SERIAL PRIMARY KEY, name VARCHAR(100) NOT NULL,"
                 " email VARCHAR(200) NOT NULL, created_at TIMESTAMP NOT NULL DEFAULT now())");
    pgt_exec(su, "CREATE TABLE app.products (product_id SERIAL PRIMARY KEY, name VARCHAR(100) NOT NULL,"
                 " price NUMERIC(10,2) NOT NULL, in_stock BOOLEAN NOT NULL DEFAULT true)");
    pgt_exec(su, "CREATE TABLE app.orders (order_id SERIAL PRIMARY KEY,"
                 " customer_id INTEGER NOT NULL REFERENCES app.customers(customer_id),"
                 " product_id INTEGER NOT NULL REFERENCES app.products(product_id),"
                 " quantity INTEGER NOT NULL DEFAULT 1, status VARCHAR(20) NOT NULL DEFAULT 'pending',"
                 " order_date TIMESTAMP NOT NULL DEFAULT now())");
    pgt_exec(su, "INSERT INTO app.customers (name, email) VALUES ('Taro Yamada', 'taro@example.com'),"
                 " ('Hanako Suzuki', 'hanako@example.com')");
    pgt_exec(su, "CREATE USER " ROLE " WITH PASSWORD '" PW "' REPLICATION");
    pgt_exec(su, "GRANT CONNECT ON DATABASE appdb TO " ROLE);
    pgt_exec(su, "GRANT USAGE ON SCHEMA app TO " ROLE);
    pgt_exec(su, "GRANT SELECT ON ALL TABLES IN SCHEMA app TO " ROLE);
    pgt_exec(su, "ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT SELECT ON TABLES TO " ROLE);
    pgt_exec(su, "CREATE PUBLICATION openflow_pub FOR TABLE app.customers, app.products, app.orders%s",
             major >= 13 ? " WITH (publish_via_partition_root = true)" : "");
}

static void make_config(pgcdc_source_config *cfg, const pgt_cluster *c, const char *publication)
{
    char url[256];
    pgcdc_error e;
    pgt_jdbc_url(c, "appdb", url, sizeof url);
    pgcdc_source_config_init(cfg);
    CHECK_INT(pgcdc_source_config_set(cfg, PGCDC_P_CONNECTION_URL, url, &e), PGCDC_OK);
    CHECK_INT(pgcdc_source_config_set(cfg, PGCDC_P_USERNAME, ROLE, &e), PGCDC_OK);
    CHECK_INT(pgcdc_source_config_set(cfg, PGCDC_P_PASSWORD, PW, &e), PGCDC_OK);
    CHECK_INT(pgcdc_source_config_set(cfg, PGCDC_P_PUBLICATION, publication, &e), PGCDC_OK);
    CHECK_INT(pgcdc_source_config_validate(cfg, &e), PGCDC_OK);
}

static const char *const seed_tables[] = {"app.customers", "app.products", "app.orders"};

/* Runs the preflight (must be able to run) and prints failures for the log. */
static pgcdc_preflight_report run(const pgcdc_source_config *cfg, const char *const *tables, int n)
{
    pgcdc_preflight_report rep;
    pgcdc_error e = {0};
    pgcdc_code rc = pgcdc_preflight_run(cfg, tables, n, &rep, &e);
    CHECK_MSG(rc == PGCDC_OK, "preflight could not run: %s", e.message);
    pgcdc_buf b = PGCDC_BUF_INIT;
    pgcdc_preflight_report_format(&rep, true, &b);
    if (b.len)
        printf("%s", b.data);
    pgcdc_buf_free(&b);
    for (int i = 0; i < rep.nresults; i++)
        CHECK_NOT_CONTAINS(rep.results[i].message, PW);
    return rep;
}

static const pgcdc_check_result *find(const pgcdc_preflight_report *rep, pgcdc_check_id id, const char *subject)
{
    for (int i = 0; i < rep->nresults; i++)
        if (rep->results[i].id == id && (!subject || strcmp(rep->results[i].subject, subject) == 0))
            return &rep->results[i];
    return NULL;
}

static void all_pass(const pgcdc_source_config *cfg, const char *const *tables, int n)
{
    pgcdc_preflight_report rep = run(cfg, tables, n);
    CHECK_INT(rep.nfailed, 0);
    pgcdc_preflight_report_free(&rep);
}

/* Exactly one failure, of check id on subject, with want in its message;
 * returns the message's fix command (the text after "run: " up to its first
 * ';'), in fix. */
static void one_failure(const pgcdc_source_config *cfg, const char *const *tables, int n, pgcdc_check_id id,
                        const char *subject, const char *want, char *fix, size_t fixlen)
{
    pgcdc_preflight_report rep = run(cfg, tables, n);
    CHECK_INT(rep.nfailed, 1);
    const pgcdc_check_result *r = find(&rep, id, subject);
    CHECK_MSG(r != NULL, "no %s result for %s", pgcdc_check_name(id), subject);
    if (fix)
        fix[0] = '\0';
    if (r) {
        CHECK(!r->ok);
        CHECK_CONTAINS(r->message, want);
        const char *cmd = strstr(r->message, "run: ");
        if (cmd && fix) {
            cmd += 5;
            size_t len = strcspn(cmd, ";");
            snprintf(fix, fixlen, "%.*s", (int)len, cmd);
        }
    }
    pgcdc_preflight_report_free(&rep);
}

static void test_walkthrough(PGconn *su, const pgt_cluster *c)
{
    pgcdc_source_config cfg;
    make_config(&cfg, c, "openflow_pub");
    char fix[768];

    /* everything in place: every check passes, one result per check and table */
    pgcdc_preflight_report rep = run(&cfg, seed_tables, 3);
    CHECK_INT(rep.nfailed, 0);
    CHECK_INT(rep.nresults, 6 + 3 * 4);
    const pgcdc_check_result *r = find(&rep, PGCDC_CHECK_REPLICATION_ROLE, ROLE);
    CHECK(r && r->ok);
    if (r)
        CHECK_CONTAINS(r->message, "REPLICATION");
    r = find(&rep, PGCDC_CHECK_TABLE_HAS_KEY, "app.orders");
    CHECK(r && r->ok);
    if (r)
        CHECK_STR(r->message, "primary key (order_id)");
    pgcdc_preflight_report_free(&rep);

    /* the role cannot replicate */
    pgt_exec(su, "ALTER ROLE " ROLE " NOREPLICATION");
    one_failure(&cfg, seed_tables, 3, PGCDC_CHECK_REPLICATION_ROLE, ROLE,
                "role \"openflow_user\" cannot replicate; run: ALTER ROLE openflow_user WITH REPLICATION; "
                "(on RDS: GRANT rds_replication TO openflow_user;)", fix, sizeof fix);
    /* RDS's way counts too */
    pgt_exec(su, "CREATE ROLE rds_replication");
    pgt_exec(su, "GRANT rds_replication TO " ROLE);
    all_pass(&cfg, seed_tables, 3);
    pgt_exec(su, "REVOKE rds_replication FROM " ROLE);
    pgt_exec(su, "%s", fix);
    all_pass(&cfg, seed_tables, 3);

    /* the publication does not exist: the fix creates it with the tables */
    pgcdc_error e;
    CHECK_INT(pgcdc_source_config_set(&cfg, PGCDC_P_PUBLICATION, "cdc_pub", &e), PGCDC_OK);
    one_failure(&cfg, seed_tables, 3, PGCDC_CHECK_PUBLICATION, "cdc_pub",
                "publication \"cdc_pub\" does not exist; run: CREATE PUBLICATION cdc_pub FOR TABLE app.customers, "
                "app.products, app.orders;", fix, sizeof fix);
    pgt_exec(su, "%s", fix);
    all_pass(&cfg, seed_tables, 3);

    /* a publication that leaves out deletes */
    pgt_exec(su, "ALTER PUBLICATION cdc_pub SET (publish = 'insert, update')");
    one_failure(&cfg, seed_tables, 3, PGCDC_CHECK_PUBLICATION, "cdc_pub",
                "publication \"cdc_pub\" does not publish delete: those changes would be lost; run: ALTER "
                "PUBLICATION cdc_pub SET (publish = 'insert, update, delete');", fix, sizeof fix);
    pgt_exec(su, "%s", fix);
    all_pass(&cfg, seed_tables, 3);
    CHECK_INT(pgcdc_source_config_set(&cfg, PGCDC_P_PUBLICATION, "openflow_pub", &e), PGCDC_OK);

    /* a table not in the publication */
    pgt_exec(su, "CREATE TABLE app.invoices (invoice_id int PRIMARY KEY, total numeric)");
    const char *const with_invoices[] = {"app.customers", "app.invoices"};
    one_failure(&cfg, with_invoices, 2, PGCDC_CHECK_TABLE_IN_PUBLICATION, "app.invoices",
                "table app.invoices is not in publication openflow_pub; run: ALTER PUBLICATION openflow_pub ADD "
                "TABLE app.invoices;", fix, sizeof fix);
    pgt_exec(su, "%s", fix);
    all_pass(&cfg, with_invoices, 2);

    /* a table without a key, none to suggest */
    pgt_exec(su, "CREATE TABLE app.audit (at timestamptz, what text)");
    pgt_exec(su, "ALTER PUBLICATION openflow_pub ADD TABLE app.audit");
    const char *const audit[] = {"app.audit"};
    one_failure(&cfg, audit, 1, PGCDC_CHECK_TABLE_HAS_KEY, "app.audit",
                "table app.audit has no primary key; run: ALTER TABLE app.audit ADD PRIMARY KEY (column, ...);",
                NULL, 0);
    /* ... and with a unique NOT NULL index to suggest: the suggested command works */
    pgt_exec(su, "CREATE TABLE app.coupons (code text NOT NULL UNIQUE, discount int)");
    pgt_exec(su, "ALTER PUBLICATION openflow_pub ADD TABLE app.coupons");
    const char *const coupons[] = {"app.coupons"};
    one_failure(&cfg, coupons, 1, PGCDC_CHECK_TABLE_HAS_KEY, "app.coupons",
                "table app.coupons has no primary key; run: ALTER TABLE app.coupons ADD PRIMARY KEY (code); or, to "
                "key it by its unique index coupons_code_key: ALTER TABLE app.coupons REPLICA IDENTITY USING INDEX "
                "coupons_code_key;", NULL, 0);
    pgt_exec(su, "ALTER TABLE app.coupons REPLICA IDENTITY USING INDEX coupons_code_key");
    rep = run(&cfg, coupons, 1);
    CHECK_INT(rep.nfailed, 0);
    r = find(&rep, PGCDC_CHECK_TABLE_HAS_KEY, "app.coupons");
    CHECK(r && r->ok);
    if (r)
        CHECK_CONTAINS(r->message, "replica identity index coupons_code_key (code) is unique and NOT NULL and "
                                   "serves as the key");
    pgcdc_preflight_report_free(&rep);

    /* replica identity NOTHING */
    pgt_exec(su, "ALTER TABLE app.products REPLICA IDENTITY NOTHING");
    one_failure(&cfg, seed_tables, 3, PGCDC_CHECK_REPLICA_IDENTITY, "app.products",
                "table app.products has REPLICA IDENTITY NOTHING, so updates and deletes carry no key", fix,
                sizeof fix);
    CHECK_STR(fix, "ALTER TABLE app.products REPLICA IDENTITY DEFAULT");
    pgt_exec(su, "%s", fix);
    all_pass(&cfg, seed_tables, 3);

    /* replica identity on a unique index that is not the primary key */
    pgt_exec(su, "CREATE UNIQUE INDEX customers_email_key ON app.customers (email)");
    pgt_exec(su, "ALTER TABLE app.customers REPLICA IDENTITY USING INDEX customers_email_key");
    one_failure(&cfg, seed_tables, 3, PGCDC_CHECK_REPLICA_IDENTITY, "app.customers",
                "table app.customers has REPLICA IDENTITY USING INDEX customers_email_key (email), which is not its "
                "primary key (customer_id)", fix, sizeof fix);
    CHECK_STR(fix, "ALTER TABLE app.customers REPLICA IDENTITY DEFAULT");
    /* USING INDEX of the primary key itself, and FULL, are fine */
    pgt_exec(su, "ALTER TABLE app.customers REPLICA IDENTITY USING INDEX customers_pkey");
    all_pass(&cfg, seed_tables, 3);
    pgt_exec(su, "ALTER TABLE app.customers REPLICA IDENTITY FULL");
    all_pass(&cfg, seed_tables, 3);
    pgt_exec(su, "%s", fix);
    all_pass(&cfg, seed_tables, 3);

    /* no SELECT grant */
    pgt_exec(su, "REVOKE SELECT ON app.orders FROM " ROLE);
    one_failure(&cfg, seed_tables, 3, PGCDC_CHECK_TABLE_SELECT, "app.orders",
                "role \"openflow_user\" cannot read app.orders; run: GRANT SELECT ON app.orders TO openflow_user;",
                fix, sizeof fix);
    pgt_exec(su, "%s", fix);
    all_pass(&cfg, seed_tables, 3);
    /* no USAGE on the schema: one failure per table */
    pgt_exec(su, "REVOKE USAGE ON SCHEMA app FROM " ROLE);
    rep = run(&cfg, seed_tables, 3);
    CHECK_INT(rep.nfailed, 3);
    r = find(&rep, PGCDC_CHECK_TABLE_SELECT, "app.products");
    CHECK(r && !r->ok);
    if (r)
        CHECK_STR(r->message, "role \"openflow_user\" cannot use schema app; run: GRANT USAGE ON SCHEMA app TO "
                              "openflow_user;");
    pgcdc_preflight_report_free(&rep);
    pgt_exec(su, "GRANT USAGE ON SCHEMA app TO " ROLE);

    /* a table that does not exist, and one spelt in the wrong case */
    const char *const missing[] = {"app.Customers", "app.nosuch"};
    rep = run(&cfg, missing, 2);
    CHECK_INT(rep.nfailed, 2);
    r = find(&rep, PGCDC_CHECK_TABLE_IN_PUBLICATION, "app.\"Customers\"");
    CHECK(r && !r->ok);
    if (r)
        CHECK_CONTAINS(r->message, "table app.\"Customers\" does not exist (did you mean app.customers?)");
    r = find(&rep, PGCDC_CHECK_TABLE_IN_PUBLICATION, "app.nosuch");
    CHECK(r && !r->ok);
    pgcdc_preflight_report_free(&rep);

    /* names with upper case, blanks and dots: quoted or as in the catalog */
    pgt_exec(su, "CREATE SCHEMA \"Sales.EU\"");
    pgt_exec(su, "CREATE TABLE \"Sales.EU\".\"Order Items.v2\" (id int PRIMARY KEY)");
    pgt_exec(su, "GRANT USAGE ON SCHEMA \"Sales.EU\" TO " ROLE);
    pgt_exec(su, "GRANT SELECT ON \"Sales.EU\".\"Order Items.v2\" TO " ROLE);
    const char *const odd[] = {"\"Sales.EU\".\"Order Items.v2\"", "\"Sales.EU\".Order Items.v2"};
    one_failure(&cfg, odd, 1, PGCDC_CHECK_TABLE_IN_PUBLICATION, "\"Sales.EU\".\"Order Items.v2\"",
                "run: ALTER PUBLICATION openflow_pub ADD TABLE \"Sales.EU\".\"Order Items.v2\";", fix, sizeof fix);
    pgt_exec(su, "%s", fix);
    all_pass(&cfg, odd, 2);

    /* FOR ALL TABLES (and, on 15+, FOR TABLES IN SCHEMA) include the tables */
    pgt_exec(su, "CREATE PUBLICATION all_pub FOR ALL TABLES");
    CHECK_INT(pgcdc_source_config_set(&cfg, PGCDC_P_PUBLICATION, "all_pub", &e), PGCDC_OK);
    all_pass(&cfg, with_invoices, 2);
    if (major >= 15) {
        pgt_exec(su, "CREATE PUBLICATION schema_pub FOR TABLES IN SCHEMA app");
        CHECK_INT(pgcdc_source_config_set(&cfg, PGCDC_P_PUBLICATION, "schema_pub", &e), PGCDC_OK);
        all_pass(&cfg, with_invoices, 2);
        one_failure(&cfg, odd, 1, PGCDC_CHECK_TABLE_IN_PUBLICATION, "\"Sales.EU\".\"Order Items.v2\"",
                    "is not in publication schema_pub", NULL, 0);
    }

    /* a partitioned table, published through its root or its partitions (13+) */
    if (major >= 13) {
        pgt_exec(su, "CREATE TABLE app.events (id int, at date, PRIMARY KEY (id, at)) PARTITION BY RANGE (at)");
        pgt_exec(su, "CREATE TABLE app.events_2026 PARTITION OF app.events FOR VALUES FROM ('2026-01-01') TO "
                     "('2027-01-01')");
        pgt_exec(su, "CREATE PUBLICATION root_pub FOR TABLE app.events WITH (publish_via_partition_root = true)");
        pgt_exec(su, "CREATE PUBLICATION leaf_pub FOR TABLE app.events");
        const char *const events[] = {"app.events"};
        CHECK_INT(pgcdc_source_config_set(&cfg, PGCDC_P_PUBLICATION, "root_pub", &e), PGCDC_OK);
        all_pass(&cfg, events, 1);
        CHECK_INT(pgcdc_source_config_set(&cfg, PGCDC_P_PUBLICATION, "leaf_pub", &e), PGCDC_OK);
        all_pass(&cfg, events, 1);
        CHECK_INT(pgcdc_source_config_set(&cfg, PGCDC_P_PUBLICATION, "openflow_pub", &e), PGCDC_OK);
        one_failure(&cfg, events, 1, PGCDC_CHECK_TABLE_IN_PUBLICATION, "app.events", "ALTER PUBLICATION "
                    "openflow_pub ADD TABLE app.events;", NULL, 0);
    }
    CHECK_INT(pgcdc_source_config_set(&cfg, PGCDC_P_PUBLICATION, "openflow_pub", &e), PGCDC_OK);

    /* a slot of ours that already exists is reported as reused */
    pgt_exec(su, "SELECT pg_create_logical_replication_slot('pgcdc_existing', 'pgoutput')");
    CHECK_INT(pgcdc_source_config_set(&cfg, PGCDC_P_SLOT_NAME, "pgcdc_existing", &e), PGCDC_OK);
    rep = run(&cfg, seed_tables, 3);
    CHECK_INT(rep.nfailed, 0);
    r = find(&rep, PGCDC_CHECK_SLOT_HEADROOM, "server");
    CHECK(r && r->ok);
    if (r)
        CHECK_STR(r->message, "replication slot \"pgcdc_existing\" exists and will be reused");
    pgcdc_preflight_report_free(&rep);
    pgt_exec(su, "SELECT pg_drop_replication_slot('pgcdc_existing')");
    pgcdc_source_config_free(&cfg);

    /* a wrong password: a clear error that does not quote it */
    make_config(&cfg, c, "openflow_pub");
    CHECK_INT(pgcdc_source_config_set(&cfg, PGCDC_P_PASSWORD, "Wr0ng-Secret-99", &e), PGCDC_OK);
    pgcdc_preflight_report rep2;
    pgcdc_error err = {0};
    pgcdc_code rc = pgcdc_preflight_run(&cfg, seed_tables, 3, &rep2, &err);
    CHECK_INT(rc, PGCDC_EINVAL);
    CHECK_CONTAINS(err.message, "password authentication failed for user \"openflow_user\"");
    CHECK_NOT_CONTAINS(err.message, "Wr0ng-Secret");
    CHECK_INT(rep2.nresults, 0);
    /* ... also when the wrong one sits in the URL */
    char url[256];
    snprintf(url, sizeof url, "jdbc:postgresql://127.0.0.1:%d/appdb?password=Wr0ng-Secret-99", c->port);
    CHECK_INT(pgcdc_source_config_set(&cfg, PGCDC_P_PASSWORD, "", &e), PGCDC_OK);
    CHECK_INT(pgcdc_source_config_set(&cfg, PGCDC_P_CONNECTION_URL, url, &e), PGCDC_OK);
    rc = pgcdc_preflight_run(&cfg, seed_tables, 3, &rep2, &err);
    CHECK_INT(rc, PGCDC_EINVAL);
    CHECK_NOT_CONTAINS(err.message, "Wr0ng-Secret");
    /* a malformed table name is refused before connecting */
    const char *const bad[] = {"app.\"unterminated"};
    rc = pgcdc_preflight_run(&cfg, bad, 1, &rep2, &err);
    CHECK_INT(rc, PGCDC_EINVAL);
    CHECK_CONTAINS(err.message, "Included Table Names: table name \"app.\"unterminated\" is not valid");
    pgcdc_source_config_free(&cfg);
}

/* wal_level=replica, one slot and one wal sender, both taken by a standby's
 * physical slot and connection: three failures in one run, the rest fine. */
static void test_constrained_server(void)
{
    pgt_cluster c;
    pgt_cluster_start(&c, major, "-c wal_level=replica -c max_replication_slots=1 -c max_wal_senders=1");
    PGconn *su0 = pgt_connect(&c, "postgres");
    pgt_exec(su0, "CREATE DATABASE appdb");
    PQfinish(su0);
    PGconn *su = pgt_connect(&c, "appdb");
    seed(su);
    pgt_exec(su, "SELECT pg_create_physical_replication_slot('standby_slot')");
    char ci[256];
    snprintf(ci, sizeof ci, "host=127.0.0.1 port=%d user=postgres replication=true", c.port);
    PGconn *walsender = PQconnectdb(ci);
    CHECK_MSG(PQstatus(walsender) == CONNECTION_OK, "replication connection: %s", PQerrorMessage(walsender));

    pgcdc_source_config cfg;
    make_config(&cfg, &c, "openflow_pub");
    pgcdc_preflight_report rep = run(&cfg, seed_tables, 3);
    CHECK_INT(rep.nfailed, 3);
    const pgcdc_check_result *r = find(&rep, PGCDC_CHECK_WAL_LEVEL, "server");
    CHECK(r && !r->ok);
    if (r)
        CHECK_STR(r->message, "wal_level is 'replica'; run: ALTER SYSTEM SET wal_level = logical; then restart "
                              "PostgreSQL (on RDS: set rds.logical_replication = 1 in the parameter group and reboot)");
    r = find(&rep, PGCDC_CHECK_SLOT_HEADROOM, "server");
    CHECK(r && !r->ok);
    if (r) {
        CHECK_CONTAINS(r->message, "no free replication slot: max_replication_slots = 1 and 1 is in use; run: "
                                   "ALTER SYSTEM SET max_replication_slots = 2; then restart PostgreSQL");
        CHECK_CONTAINS(r->message, "(inactive: standby_slot), e.g.: SELECT pg_drop_replication_slot('standby_slot');");
    }
    r = find(&rep, PGCDC_CHECK_WAL_SENDER_HEADROOM, "server");
    CHECK(r && !r->ok);
    if (r)
        CHECK_CONTAINS(r->message, "no free WAL sender: max_wal_senders = 1 and 1 is in use; run: ALTER SYSTEM "
                                   "SET max_wal_senders = 2; then restart PostgreSQL");
    r = find(&rep, PGCDC_CHECK_REPLICATION_ROLE, ROLE);
    CHECK(r && r->ok);
    pgcdc_preflight_report_free(&rep);

    /* the wal sender freed: that check passes */
    PQfinish(walsender);
    for (int i = 0; i < 50; i++) { /* the walsender exits asynchronously */
        char *n = pgt_query_value(su, "SELECT count(*) FROM pg_stat_replication");
        int busy = atoi(n);
        free(n);
        if (!busy)
            break;
        usleep(100000);
    }
    rep = run(&cfg, seed_tables, 3);
    CHECK_INT(rep.nfailed, 2);
    r = find(&rep, PGCDC_CHECK_WAL_SENDER_HEADROOM, "server");
    CHECK(r && r->ok);
    pgcdc_preflight_report_free(&rep);

    /* the one slot is "ours": reused, so headroom is fine */
    pgcdc_error e;
    CHECK_INT(pgcdc_source_config_set(&cfg, PGCDC_P_SLOT_NAME, "standby_slot", &e), PGCDC_OK);
    rep = run(&cfg, seed_tables, 3);
    CHECK_INT(rep.nfailed, 1);
    CHECK(find(&rep, PGCDC_CHECK_WAL_LEVEL, "server") && !find(&rep, PGCDC_CHECK_WAL_LEVEL, "server")->ok);
    pgcdc_preflight_report_free(&rep);

    pgcdc_source_config_free(&cfg);
    PQfinish(su);
    pgt_cluster_stop(&c);
}

int main(void)
{
    major = pgt_major();
    pgt_cluster c;
    pgt_cluster_start(&c, major, NULL);
    PGconn *su0 = pgt_connect(&c, "postgres");
    pgt_exec(su0, "CREATE DATABASE appdb");
    PQfinish(su0);
    PGconn *su = pgt_connect(&c, "appdb");
    seed(su);
    test_walkthrough(su, &c);
    PQfinish(su);
    pgt_cluster_stop(&c);

    test_constrained_server();
    return pgt_done("test_preflight");
}
