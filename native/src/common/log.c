/* log.c - the process-wide log callback. The library never writes to stdout. */
#include "pgcdc/log.h"
#include "common/text_safe.h"

#include <stdarg.h>
#include <stdio.h>

static pgcdc_log_fn log_fn;
static void *log_userdata;
static pgcdc_log_level log_min = PGCDC_LOG_INFO;
static _Thread_local void *thread_context;

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
    char text[2048], line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    /* One place for every log line: names and server messages are logged as
     * they come, so a control character (a newline in a table name, an SQL
     * statement's line breaks) is shown, never acted on - no forged lines -
     * and a cut never splits a character. */
    pgcdc_utf8_trim(text);
    log_fn(log_userdata, level, pgcdc_text_escape_controls(line, sizeof line, text));
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

void pgcdc_log_set_thread_context(void *ctx)
{
    thread_context = ctx;
}

void *pgcdc_log_thread_context(void)
{
    return thread_context;
}
