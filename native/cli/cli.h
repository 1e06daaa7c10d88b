/* cli.h - shared pieces of the pgcdc command-line commands. */
#ifndef PGCDC_CLI_H
#define PGCDC_CLI_H

#include <stdbool.h>
#include "conf_file.h"
#include "pgcdc/source.h"

typedef struct cli_options {
    const char *config_path;
    const char *slot;        /* tail: --slot overrides the file */
    long max_commits;        /* tail: stop after this many transactions (0: run until stopped) */
    double seconds;          /* tail: stop after this long (0: run until stopped) */
    bool until_caught_up;    /* run: stop once caught up */
    bool no_progress;        /* run: no live snapshot display on a terminal (log lines instead) */
    bool json;               /* status: JSON output */
} cli_options;

/* Loads the file and builds the source configuration from its source section;
 * prints the error and returns non-zero on failure. */
int cli_load(const cli_options *o, conf_file *cf, pgcdc_source_config *src);

/* Splits "Included Table Names" ("app.a, app.b") into a NULL-terminated array. */
char **cli_table_list(const conf_file *cf, int *n);
void cli_free_list(char **list);

void cli_install_logging(void);

int cmd_check(const cli_options *o);
int cmd_tail(const cli_options *o);
int cmd_run(const cli_options *o);
int cmd_status(const cli_options *o);

/* The one loader behind cli_load and cli_load_pipeline: reads the file and
 * hands each set parameter (of the source section only, if source_only) to
 * set, then --slot, then validate; prints the error and returns non-zero. */
typedef pgcdc_code (*cli_set_fn)(void *cfg, const char *name, const char *value, pgcdc_error *err);
typedef pgcdc_code (*cli_validate_fn)(const void *cfg, pgcdc_error *err);
int cli_load_into(const cli_options *o, conf_file *cf, bool source_only, cli_set_fn set, cli_validate_fn validate,
                  void *cfg);

struct pgcdc_pipeline_config;
/* Loads the file into a pipeline configuration (all three sections);
 * prints the error and returns non-zero on failure (free cfg and cf anyway). */
int cli_load_pipeline(const cli_options *o, conf_file *cf, struct pgcdc_pipeline_config *cfg);

#endif
