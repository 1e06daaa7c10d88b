/* cli_common.c - configuration loading and logging for the commands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "pgcdc/log.h"
#include "progress.h"

/* One line to stderr, written whole through the progress display: with the
 * live snapshot block on the screen it is cleared, the line printed, the
 * block redrawn below it (progress.h). */
static void log_to_stderr(void *ud, pgcdc_log_level level, const char *msg)
{
    (void)ud;
    char ts[32], line[4096];
    struct tm tm;
    time_t t = time(NULL);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm)); /* log lines come from several threads */
    const char *lvl = pgcdc_log_level_name(level);
    int n = snprintf(line, sizeof line, "%s %-5s %s\n", ts, lvl, msg);
    char *big = n >= (int)sizeof line ? malloc((size_t)n + 1) : NULL;
    if (big)
        snprintf(big, (size_t)n + 1, "%s %-5s %s\n", ts, lvl, msg);
    else if (n >= (int)sizeof line)
        memcpy(line + sizeof line - 5, "...\n", 5); /* out of memory: cut, but still end the line */
    cli_progress_print_line(big ? big : line);
    free(big);
}

void cli_install_logging(void)
{
    const char *lvl = getenv("PGCDC_LOG_LEVEL");
    pgcdc_log_level min = PGCDC_LOG_INFO;
    if (lvl && strcasecmp(lvl, "debug") == 0)
        min = PGCDC_LOG_DEBUG;
    else if (lvl && strcasecmp(lvl, "warn") == 0)
        min = PGCDC_LOG_WARN;
    pgcdc_log_set_handler(log_to_stderr, NULL, min);
}

int cli_load_into(const cli_options *o, conf_file *cf, bool source_only, cli_set_fn set, cli_validate_fn validate,
                  void *cfg)
{
    pgcdc_error err;
    memset(cf, 0, sizeof *cf);
    if (!o->config_path) {
        fprintf(stderr, "pgcdc: no configuration file given; use -c FILE (see examples/walkthrough/pgcdc.conf)\n");
        return 2;
    }
    if (conf_file_load(o->config_path, cf, &err) != PGCDC_OK) {
        fprintf(stderr, "pgcdc: %s\n", err.message);
        return 2;
    }
    conf_file_warn_if_exposed(cf, stderr);
    for (int i = 0; i < cf->nparams; i++) {
        const conf_param *p = &cf->params[i];
        if ((source_only && p->section != CONF_SOURCE) || !p->value)
            continue;
        if (set(cfg, p->name, p->value, &err) != PGCDC_OK) {
            if (p->line)
                fprintf(stderr, "pgcdc: %s:%d: %s\n", cf->path, p->line, err.message);
            else
                fprintf(stderr, "pgcdc: from the environment: %s\n", err.message);
            return 2;
        }
    }
    if (o->slot && set(cfg, PGCDC_P_SLOT_NAME, o->slot, &err) != PGCDC_OK) {
        fprintf(stderr, "pgcdc: --slot: %s\n", err.message);
        return 2;
    }
    if (validate(cfg, &err) != PGCDC_OK) {
        fprintf(stderr, "pgcdc: %s: %s\n", cf->path, err.message);
        return 2;
    }
    return 0;
}

static pgcdc_code source_set(void *cfg, const char *name, const char *value, pgcdc_error *err)
{
    return pgcdc_source_config_set(cfg, name, value, err);
}

static pgcdc_code source_validate(const void *cfg, pgcdc_error *err)
{
    return pgcdc_source_config_validate(cfg, err);
}

int cli_load(const cli_options *o, conf_file *cf, pgcdc_source_config *src)
{
    pgcdc_source_config_init(src);
    int rc = cli_load_into(o, cf, true, source_set, source_validate, src);
    if (rc) {
        pgcdc_source_config_free(src);
        conf_file_free(cf);
    }
    return rc;
}

char **cli_table_list(const conf_file *cf, int *n)
{
    const char *v = conf_get(cf, CONF_INGESTION, "Included Table Names");
    *n = 0;
    char **list = calloc(1, sizeof(char *));
    if (!v)
        return list;
    char *copy = strdup(v), *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ' || *tok == '\t')
            tok++;
        char *e = tok + strlen(tok);
        while (e > tok && (e[-1] == ' ' || e[-1] == '\t'))
            *--e = '\0';
        if (!*tok)
            continue;
        list = realloc(list, sizeof(char *) * (size_t)(*n + 2));
        list[(*n)++] = strdup(tok);
        list[*n] = NULL;
    }
    free(copy);
    return list;
}

void cli_free_list(char **list)
{
    for (char **p = list; p && *p; p++)
        free(*p);
    free(list);
}
