/* cmd_check.c - `pgcdc check -c FILE`: the preflight checks only. */
#include <stdio.h>

#include "cli.h"
#include "pgcdc/preflight.h"

int cmd_check(const cli_options *o)
{
    conf_file cf;
    pgcdc_source_config src;
    int rc = cli_load(o, &cf, &src);
    if (rc)
        return rc;
    int ntables;
    char **tables = cli_table_list(&cf, &ntables);
    pgcdc_buf desc = PGCDC_BUF_INIT;
    pgcdc_source_config_describe(&src, &desc);
    printf("Checking %s\n", desc.data);
    pgcdc_buf_free(&desc);

    pgcdc_preflight_report report;
    pgcdc_error err;
    if (pgcdc_preflight_run(&src, (const char *const *)tables, ntables, &report, &err) != PGCDC_OK) {
        fprintf(stderr, "pgcdc check: %s\n", err.message);
        rc = 1;
    } else {
        for (int i = 0; i < report.nresults; i++) {
            const pgcdc_check_result *r = &report.results[i];
            printf("  %s %-24s %s%s%s\n", r->ok ? "ok  " : "FAIL", pgcdc_check_name(r->id), r->subject,
                   r->ok ? "" : "\n         ", r->ok ? "" : r->message);
        }
        printf("%d checks, %d failed\n", report.nresults, report.nfailed);
        rc = report.nfailed ? 1 : 0;
        pgcdc_preflight_report_free(&report);
    }
    cli_free_list(tables);
    pgcdc_source_config_free(&src);
    conf_file_free(&cf);
    return rc;
}
