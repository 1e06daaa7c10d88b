/* pgcdc/log.h - the library never prints: it hands log lines to a callback. */
#ifndef PGCDC_LOG_H
#define PGCDC_LOG_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum pgcdc_log_level {
    PGCDC_LOG_DEBUG = 0,
    PGCDC_LOG_INFO,
    PGCDC_LOG_WARN,
    PGCDC_LOG_ERROR
} pgcdc_log_level;

typedef void (*pgcdc_log_fn)(void *userdata, pgcdc_log_level level, const char *message);

/* Installs the process-wide log handler (NULL: drop all lines) and the lowest
 * level passed to it. Not thread-safe against concurrent logging: call at startup. */
void pgcdc_log_set_handler(pgcdc_log_fn fn, void *userdata, pgcdc_log_level min_level);

void pgcdc_log(pgcdc_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

const char *pgcdc_log_level_name(pgcdc_log_level level);

/* Who a thread logs for, as the host sees it (the JNI glue: the Java sink of
 * the call in progress); NULL unless set. The library never reads it: the
 * handler does (pgcdc_log_thread_context), so a host can route a line to the
 * component whose call logged it. Threads the library starts for a call (the
 * snapshot reader's workers) take the starting thread's context, so their
 * lines reach the same place as the caller's. */
void pgcdc_log_set_thread_context(void *ctx);
void *pgcdc_log_thread_context(void);

#ifdef __cplusplus
}
#endif
#endif
