/* test_pipeline_config.c - the pipeline's destination and ingestion
 * parameters: accepted values, and errors that name the parameter. */
#include <string.h>

#include "check.h"
#include "pgcdc/log.h"
#include "pgcdc/pipeline.h"

/* the last warning logged */
static char warned[512];
static void keep_warning(void *ud, pgcdc_log_level level, const char *message)
{
    (void)ud;
    if (level == PGCDC_LOG_WARN)
        strncpy(warned, message, sizeof warned - 1);
}

static pgcdc_code set(pgcdc_pipeline_config *c, const char *n, const char *v, pgcdc_error *e)
{
    pgcdc_error_clear(e);
    return pgcdc_pipeline_config_set(c, n, v, e);
}

int main(void)
{
    pgcdc_pipeline_config c;
    pgcdc_error e;
    pgcdc_pipeline_config_init(&c);
    CHECK_INT(c.snapshot_connections, 2);
    CHECK_INT(c.ident_case, PGCDC_IDENT_CASE_SENSITIVE);

    CHECK_INT(set(&c, "Destination Type", "postgresql", &e), PGCDC_OK);
    CHECK_INT(set(&c, "Destination Type", "SNOWFLAKE", &e), PGCDC_EUNSUPPORTED);
    CHECK_CONTAINS(e.message, "Destination Type");
    CHECK_INT(set(&c, "Destination Type", "oracle", &e), PGCDC_EINVAL);
    CHECK_CONTAINS(e.message, "Destination Type must be POSTGRESQL");

    CHECK_INT(set(&c, "Concurrent Snapshot Queries", " 4 ", &e), PGCDC_OK);
    CHECK_INT(c.snapshot_connections, 4);
    CHECK_INT(set(&c, "Concurrent Snapshot Queries", "0", &e), PGCDC_EINVAL);
    CHECK_CONTAINS(e.message, "Concurrent Snapshot Queries");
    CHECK_INT(set(&c, "Concurrent Snapshot Queries", "two", &e), PGCDC_EINVAL);
    CHECK_INT(c.snapshot_connections, 4);

    CHECK_INT(set(&c, "Ingestion Type", "INCREMENTAL", &e), PGCDC_OK);
    CHECK(c.incremental);
    CHECK_INT(set(&c, "Ingestion Type", "full", &e), PGCDC_OK);
    CHECK(!c.incremental);
    CHECK_INT(set(&c, "Ingestion Type", "snapshot", &e), PGCDC_EINVAL);
    CHECK_CONTAINS(e.message, "Ingestion Type");

    CHECK_INT(set(&c, "Object Identifier Resolution", "case_insensitive", &e), PGCDC_OK);
    CHECK_INT(c.ident_case, PGCDC_IDENT_CASE_INSENSITIVE);
    CHECK_INT(set(&c, "Object Identifier Resolution", "upper", &e), PGCDC_EINVAL);
    CHECK_CONTAINS(e.message, "Object Identifier Resolution");

    CHECK_INT(set(&c, "Merge Task Schedule CRON", "0 0/15 * * * ?", &e), PGCDC_OK);
    CHECK_INT(set(&c, "Merge Task Schedule CRON", "*/5 * * * *", &e), PGCDC_EINVAL);
    CHECK_CONTAINS(e.message, "Merge Task Schedule CRON");
    CHECK_STR(c.merge_cron, "0 0/15 * * * ?");
    /* a schedule that never fires would let the journals grow without bound */
    CHECK_INT(set(&c, "Merge Task Schedule CRON", "0 0 0 30 2 ?", &e), PGCDC_EINVAL);
    CHECK_CONTAINS(e.message, "Merge Task Schedule CRON: cron expression \"0 0 0 30 2 ?\" never fires");
    CHECK_INT(set(&c, "Merge Task Schedule CRON", "0 0 0 1 1 ? 2020-2022", &e), PGCDC_EINVAL);
    CHECK_CONTAINS(e.message, "Merge Task Schedule CRON: cron expression \"0 0 0 1 1 ? 2020-2022\" never fires "
                              "again");
    CHECK_STR(c.merge_cron, "0 0/15 * * * ?");
    CHECK_INT(set(&c, "Merge Task Schedule CRON", "0 0 0 1 1 ? 2020-2099", &e), PGCDC_OK);
    CHECK_INT(set(&c, "Merge Task Schedule CRON", "0 0/15 * * * ?", &e), PGCDC_OK);

    CHECK_INT(set(&c, "Column Filter JSON", "[{\"schema\": \"app\", \"tabel\": \"x\"}]", &e), PGCDC_EINVAL);
    CHECK_CONTAINS(e.message, "Column Filter JSON");

    CHECK_INT(set(&c, "Destination Schema Pattern", "${source.database.name}_${source.schema.name}", &e),
              PGCDC_OK);
    CHECK_INT(set(&c, "Destination Schema Pattern", "${source.db}", &e), PGCDC_EINVAL);
    CHECK_CONTAINS(e.message, "Destination Schema Pattern: unknown placeholder \"${source.db}\"");

    pgcdc_buf b = PGCDC_BUF_INIT;
    CHECK_INT(pgcdc_pipeline_dest_schema(c.schema_pattern, "appdb", "app", "orders", &b, &e), PGCDC_OK);
    CHECK_STR(b.data, "appdb_app");
    CHECK_INT(pgcdc_pipeline_dest_schema(NULL, "appdb", "app", "orders", &b, &e), PGCDC_OK);
    CHECK_STR(b.data, "app");
    CHECK_INT(pgcdc_pipeline_dest_schema("x_${source.table.name}", "d", "s", "orders", &b, &e), PGCDC_OK);
    CHECK_STR(b.data, "x_orders");
    pgcdc_buf_free(&b);

    /* the destination URL through the source's parser; the password never echoed */
    CHECK_INT(set(&c, "Destination Connection URL", "jdbc:postgresql://db.example.com:5433/replica", &e), PGCDC_OK);
    CHECK_STR(pgcdc_source_config_get(&c.dest, "dbname"), "replica");
    CHECK_STR(pgcdc_source_config_get(&c.dest, "port"), "5433");
    CHECK_INT(set(&c, "Destination Password", "s3cret!", &e), PGCDC_OK);
    CHECK_INT(set(&c, "Destination Connection URL", "jdbc:mysql://x/y", &e), PGCDC_EINVAL);
    CHECK_CONTAINS(e.message, "Destination Connection URL");
    /* the message names only the parameter the user set (the URL parser is shared with the source's) */
    CHECK(strstr(e.message, "PostgreSQL Connection URL") == NULL);
    CHECK(strncmp(e.message, "Destination Connection URL: Destination", 39) != 0);
    CHECK_NOT_CONTAINS(e.message, "s3cret!");
    /* so do the URL parser's warnings (an ignored JDBC property) */
    pgcdc_log_set_handler(keep_warning, NULL, PGCDC_LOG_WARN);
    CHECK_INT(set(&c, "Destination Connection URL", "jdbc:postgresql://h/db?readOnly=true", &e), PGCDC_OK);
    CHECK_CONTAINS(warned, "Destination Connection URL: JDBC property readOnly is ignored");
    warned[0] = '\0';
    CHECK_INT(set(&c, "PostgreSQL Connection URL", "jdbc:postgresql://h/db?readOnly=true", &e), PGCDC_OK);
    CHECK_CONTAINS(warned, "PostgreSQL Connection URL: JDBC property readOnly is ignored");
    pgcdc_log_set_handler(NULL, NULL, PGCDC_LOG_WARN);

    /* unknown names: the source parser suggests the closest */
    CHECK_INT(set(&c, "Publication Nmae", "x", &e), PGCDC_EINVAL);
    CHECK_CONTAINS(e.message, "Publication Name");

    /* validate: what is missing is named */
    CHECK_INT(pgcdc_pipeline_config_validate(&c, &e), PGCDC_EINVAL);
    CHECK_CONTAINS(e.message, "PostgreSQL Connection URL");
    CHECK_INT(set(&c, "PostgreSQL Connection URL", "jdbc:postgresql://src.example.com/appdb", &e), PGCDC_OK);
    CHECK_INT(set(&c, "PostgreSQL Username", "openflow_user", &e), PGCDC_OK);
    CHECK_INT(set(&c, "Publication Name", "openflow_pub", &e), PGCDC_OK);
    CHECK_INT(set(&c, "Destination Username", "loader", &e), PGCDC_OK);
    CHECK_INT(pgcdc_pipeline_config_validate(&c, &e), PGCDC_EINVAL);
    CHECK_CONTAINS(e.message, "Included Table");
    CHECK_INT(set(&c, "Included Table Names", "app.orders", &e), PGCDC_OK);
    CHECK_INT(pgcdc_pipeline_config_validate(&c, &e), PGCDC_OK);
    CHECK_INT(set(&c, "Destination Database", "other", &e), PGCDC_OK);
    CHECK_INT(pgcdc_pipeline_config_validate(&c, &e), PGCDC_EINVAL);
    CHECK_CONTAINS(e.message, "Destination Database");

    pgcdc_pipeline_config_free(&c);
    pgcdc_pipeline_config_init(&c);
    CHECK_INT(set(&c, "PostgreSQL Connection URL", "jdbc:postgresql://src.example.com/appdb", &e), PGCDC_OK);
    CHECK_INT(set(&c, "PostgreSQL Username", "u", &e), PGCDC_OK);
    CHECK_INT(set(&c, "Publication Name", "p", &e), PGCDC_OK);
    CHECK_INT(pgcdc_pipeline_config_validate(&c, &e), PGCDC_EINVAL);
    CHECK_CONTAINS(e.message, "Destination Connection URL is not set");
    /* the destination's user missing: named with the destination's names only */
    CHECK_INT(set(&c, "Destination Connection URL", "postgresql://127.0.0.1/replica", &e), PGCDC_OK);
    CHECK_INT(set(&c, "Included Table Names", "app.orders", &e), PGCDC_OK);
    CHECK_INT(pgcdc_pipeline_config_validate(&c, &e), PGCDC_EINVAL);
    CHECK_CONTAINS(e.message, "Destination Username");
    CHECK_NOT_CONTAINS(e.message, "PostgreSQL");
    pgcdc_pipeline_config_free(&c);
    return pgt_done("pipeline-config");
}
