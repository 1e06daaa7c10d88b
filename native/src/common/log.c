/* log.c - the process-wide log callback. The library never writes to stdout. */
#include "pgcdc/log.h"

#include <stdarg.h>
#include <stdio.h>

static pgcdc_log_fn log_fn;
static void *log_userdata;
static pgcdc_log_level log_min = PGCDC_LOG_INFO;

void pgcdc_log_set_handler(pgcdc_log_fn fn, void *userdata, pgcdc_log_level min_level)
{
    log_fn = fn;
    log_userdata = userdata;
    log_min = min_level;
}

void pgcdc_log(pgcdc_log_level level, const char *fmt, ...)
{
    if (!log_fn || level < log_min)
        return;
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    log_fn(log_userdata, level, line);
}

const char *pgcdc_log_level_name(pgcdc_log_level level)
{
    switch (level) {
    case PGCDC_LOG_DEBUG: return "DEBUG";
    case PGCDC_LOG_INFO: return "INFO";
    case PGCDC_LOG_WARN: return "WARN";
    case PGCDC_LOG_ERROR: return "ERROR";
    }
    return "?";
}
