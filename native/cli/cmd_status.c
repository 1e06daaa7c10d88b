/* cmd_status.c - `pgcdc status -c FILE [--json]`: each table's state, rows
 * snapshotted, last merged LSN, and the slot's lag in bytes. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "pgcdc/pipeline.h"

static void json_str(const char *s)
{
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            printf("\\%c", *p);
        else if (*p < 0x20)
            printf("\\u%04x", *p);
        else
            putchar(*p);
    }
    putchar('"');
}

int cmd_status(const cli_options *o)
{
    conf_file cf;
    pgcdc_pipeline_config cfg;
    int rc = cli_load_pipeline(o, &cf, &cfg);
    if (rc) {
        pgcdc_pipeline_config_free(&cfg);
        conf_file_free(&cf);
        return rc;
    }
    pgcdc_pipeline_status st;
    pgcdc_error err;
    if (pgcdc_pipeline_status_read(&cfg, &st, &err) != PGCDC_OK) {
        fprintf(stderr, "pgcdc status: %s\n", err.message);
        pgcdc_pipeline_config_free(&cfg);
        conf_file_free(&cf);
        return 1;
    }
    char a[PGCDC_LSN_STRLEN];
    if (o->json) {
        printf("{\"slot\": ");
        json_str(st.slot_name);
        printf(", \"durable_lsn\": \"%s\", \"slot_lag_bytes\": ", pgcdc_lsn_format(st.durable_lsn, a));
        if (st.slot_lag_bytes >= 0)
            printf("%lld", (long long)st.slot_lag_bytes);
        else
            printf("null");
        printf(", \"tables\": [");
        for (size_t i = 0; i < st.ntables; i++) {
            const pgcdc_pipeline_table_status *t = &st.tables[i];
            printf("%s\n  {\"table\": ", i ? "," : "");
            json_str(t->table);
            printf(", \"state\": ");
            json_str(t->state);
            printf(", \"rows_snapshotted\": %lld, \"last_merged_lsn\": \"%s\", \"message\": ",
                   (long long)t->rows_snapshotted, pgcdc_lsn_format(t->merged_lsn, a));
            json_str(t->message);
            if (t->left_lsn)
                printf(", \"left_lsn\": \"%s\"", pgcdc_lsn_format(t->left_lsn, a));
            printf("}");
        }
        printf("]}\n");
    } else {
        printf("slot %s, durable position %s, lag ", st.slot_name[0] ? st.slot_name : "(none)",
               pgcdc_lsn_format(st.durable_lsn, a));
        if (st.slot_lag_bytes >= 0)
            printf("%lld bytes\n", (long long)st.slot_lag_bytes);
        else
            printf("unknown (no slot)\n");
        printf("%-40s %-24s %14s %18s\n", "TABLE", "STATE", "ROWS SNAPSHOT", "LAST MERGED LSN");
        for (size_t i = 0; i < st.ntables; i++) {
            const pgcdc_pipeline_table_status *t = &st.tables[i];
            printf("%-40s %-24s %14lld %18s\n", t->table, t->state, (long long)t->rows_snapshotted,
                   pgcdc_lsn_format(t->merged_lsn, a));
            if (t->message[0])
                printf("    %s\n", t->message);
        }
    }
    pgcdc_pipeline_status_free(&st);
    pgcdc_pipeline_config_free(&cfg);
    conf_file_free(&cf);
    return 0;
}
