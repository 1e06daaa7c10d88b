/* test_preflight_unit.c - the parts of the preflight no server is needed
 * for: the version check (servers older than 10 cannot be started here),
 * splitting table names, check names and the report's text form. */
#include "pgcdc/preflight.h"
#include "check.h"

#include <stdlib.h>
#include <string.h>

static void test_version(void)
{
    pgcdc_check_result r;
    pgcdc_preflight_check_version(90624, &r);
    CHECK(!r.ok);
    CHECK_INT(r.id, PGCDC_CHECK_SERVER_VERSION);
    CHECK_STR(r.subject, "server");
    CHECK_STR(r.message, "PostgreSQL 9.6 is too old: logical replication with pgoutput needs PostgreSQL 10 or "
                         "later; upgrade the server (e.g. with pg_upgrade; on RDS: modify the DB instance to a newer "
                         "engine version)");
    pgcdc_preflight_check_version(90400, &r);
    CHECK(!r.ok);
    CHECK_CONTAINS(r.message, "PostgreSQL 9.4 is too old");
    pgcdc_preflight_check_version(0, &r);
    CHECK(!r.ok);
    CHECK_CONTAINS(r.message, "did not report its version");
    pgcdc_preflight_check_version(100000, &r);
    CHECK(r.ok);
    CHECK_STR(r.message, "PostgreSQL 10.0");
    pgcdc_preflight_check_version(150004, &r);
    CHECK(r.ok);
    CHECK_STR(r.message, "PostgreSQL 15.4");
    pgcdc_preflight_check_version(180001, &r);
    CHECK(r.ok);
}

static void split_ok(const char *name, const char *schema, const char *table)
{
    char s[64], t[64];
    pgcdc_error e = {0};
    CHECK_INT(pgcdc_preflight_split_name(name, s, t, &e), PGCDC_OK);
    if (e.code == PGCDC_OK) {
        CHECK_STR(s, schema);
        CHECK_STR(t, table);
    } else {
        fprintf(stderr, "  %s: %s\n", name, e.message);
    }
}

static void split_bad(const char *name)
{
    char s[64], t[64];
    pgcdc_error e = {0};
    CHECK_INT(pgcdc_preflight_split_name(name, s, t, &e), PGCDC_EINVAL);
    CHECK_CONTAINS(e.message, "is not valid: write schema.table");
}

static void test_split(void)
{
    split_ok("app.orders", "app", "orders");
    split_ok("  app.orders \n", "app", "orders");
    split_ok("App.Orders", "App", "Orders");              /* as in the catalog: not folded */
    split_ok("orders", "public", "orders");
    split_ok("\"App\".\"Order Items\"", "App", "Order Items");
    split_ok("\"Sales.EU\".\"Order Items.v2\"", "Sales.EU", "Order Items.v2");
    split_ok("\"Sales.EU\".Order Items.v2", "Sales.EU", "Order Items.v2");
    split_ok("app.my.table", "app", "my.table");         /* unquoted table part runs to the end */
    split_ok("app.\"say \"\"hi\"\"\"", "app", "say \"hi\"");
    split_ok("\"a.b\"", "public", "a.b");
    char long63[80], name[100];
    memset(long63, 'x', 63);
    long63[63] = '\0';
    snprintf(name, sizeof name, "app.%s", long63);
    split_ok(name, "app", long63);
    snprintf(name, sizeof name, "app.%sy", long63);
    split_bad(name);
    split_bad("");
    split_bad("app.");
    split_bad(".orders");
    split_bad("app.\"orders");
    split_bad("\"app\"x.orders");
    split_bad("app.\"orders\"x");
    split_bad("\"\".orders");
}

static void test_names_and_format(void)
{
    CHECK_STR(pgcdc_check_name(PGCDC_CHECK_WAL_LEVEL), "wal_level");
    CHECK_STR(pgcdc_check_name(PGCDC_CHECK_WAL_SENDER_HEADROOM), "wal_sender_headroom");
    for (int i = 0; i < PGCDC_CHECK_COUNT; i++)
        CHECK(strcmp(pgcdc_check_name((pgcdc_check_id)i), "unknown") != 0);

    pgcdc_check_result res[2] = {
        {PGCDC_CHECK_WAL_LEVEL, true, "server", "wal_level is logical"},
        {PGCDC_CHECK_TABLE_SELECT, false, "app.x", "role \"r\" cannot read app.x; run: GRANT SELECT ON app.x TO r;"},
    };
    pgcdc_preflight_report rep = {2, 1, res};
    pgcdc_buf b = PGCDC_BUF_INIT;
    pgcdc_preflight_report_format(&rep, false, &b);
    CHECK_STR(b.data, "ok wal_level server: wal_level is logical\n"
                      "FAILED table_select app.x: role \"r\" cannot read app.x; run: GRANT SELECT ON app.x TO r;\n");
    pgcdc_buf_reset(&b);
    pgcdc_preflight_report_format(&rep, true, &b);
    CHECK_STR(b.data, "FAILED table_select app.x: role \"r\" cannot read app.x; run: GRANT SELECT ON app.x TO r;\n");
    pgcdc_buf_free(&b);
}

int main(void)
{
    test_version();
    test_split();
    test_names_and_format();
    return pgt_done("test_preflight_unit");
}
