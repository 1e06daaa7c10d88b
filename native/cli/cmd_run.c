/* cmd_run.c - `pgcdc run -c FILE [--until-caught-up] [--no-progress]`: the
 * replication pipeline (docs/runner.md). SIGINT/SIGTERM stop it cleanly: what is
 * complete is written and merged, the slot is confirmed only up to what is
 * durable, exit 0. With --until-caught-up it stops by itself once every table
 * replicates (or FAILED) and everything committed on the source before then
 * is merged; exit 1 if a table FAILED. Snapshot progress: a live block on a
 * terminal, log lines otherwise or with --no-progress (progress.h). */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/text_safe.h"
#include "cli.h"
#include "pgcdc/log.h"
#include "pgcdc/pipeline.h"
#include "progress.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static pgcdc_code pipeline_set(void *cfg, const char *name, const char *value, pgcdc_error *err)
{
    return pgcdc_pipeline_config_set(cfg, name, value, err);
}

static pgcdc_code pipeline_validate(const void *cfg, pgcdc_error *err)
{
    return pgcdc_pipeline_config_validate(cfg, err);
}

int cli_load_pipeline(const cli_options *o, conf_file *cf, pgcdc_pipeline_config *cfg)
{
    pgcdc_pipeline_config_init(cfg);
    return cli_load_into(o, cf, false, pipeline_set, pipeline_validate, cfg);
}

int cmd_run(const cli_options *o)
{
    conf_file cf;
    pgcdc_pipeline_config cfg;
    int rc = cli_load_pipeline(o, &cf, &cfg);
    if (rc) {
        pgcdc_pipeline_config_free(&cfg);
        conf_file_free(&cf);
        return rc;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    cli_progress *progress = cli_progress_start(stderr, cli_progress_mode_for(STDERR_FILENO, o->no_progress));
    pgcdc_pipeline_run_options opt = {.until_caught_up = o->until_caught_up,
                                      .stop = &stop_requested,
                                      .progress = progress ? cli_progress_callback : NULL,
                                      .progress_userdata = progress};
    pgcdc_pipeline_result res;
    pgcdc_error err;
    pgcdc_code c = pgcdc_pipeline_run(&cfg, &opt, &res, &err);
    cli_progress_finish(progress); /* before the last lines: they go below the last picture */
    if (c != PGCDC_OK) {
        char shown[sizeof err.message * 4];
        fprintf(stderr, "pgcdc run: %s\n", pgcdc_text_escape_controls(shown, sizeof shown, err.message));
        rc = 1;
    } else if (res.tables_failed > 0) {
        pgcdc_log(PGCDC_LOG_ERROR, "%d of %d table(s) FAILED (pgcdc status -c FILE tells why)", res.tables_failed,
                  res.tables);
        rc = o->until_caught_up ? 1 : 0;
    } else {
        pgcdc_log(PGCDC_LOG_INFO, "%s: %d table(s) replicating", o->until_caught_up ? "caught up" : "stopped",
                  res.tables);
    }
    pgcdc_pipeline_config_free(&cfg);
    conf_file_free(&cf);
    return rc;
}
