/* retry.c - pgcdc_pipeline_run: the run as attempts of pl_run_once (run.c).
 * An attempt that ends with an interim error (a server restarted, a
 * connection lost, a cancelled or timed-out statement, a deadlock ...) is
 * retried after an exponential backoff with jitter; a permanent one ends the
 * run. Every attempt starts from what the destination holds (durable
 * position, table states), so nothing but time is lost by retrying. */
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pgcdc/log.h"
#include "pipeline_internal.h"

#define DEFAULT_INITIAL_MS 1000
#define DEFAULT_MAX_MS 60000
#define SLEEP_STEP_MS 100 /* how promptly a stop request ends the backoff */

/* PGCDC_ENOMEM is permanent: the runner's memory is bounded by its batch
 * size, so running out means a transaction (or a value) too large for this
 * machine, and a retry would read the same WAL into the same failure - a
 * loop that hides the problem. Better to stop loudly. The server's own out
 * of memory (SQLSTATE 53200) is interim: it is about the server's load.
 * PGCDC_EIO (a local spill file) is permanent for the same reason: it needs
 * room made or another directory. */
bool pl_error_is_interim(pgcdc_code c, const pgcdc_error *e)
{
    switch (c) {
    case PGCDC_ECONNECT:
    case PGCDC_ETIMEOUT:
        return true;
    case PGCDC_ESQL:
        return e && pgcdc_sqlstate_is_interim(e->sqlstate);
    default:
        return false;
    }
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool stop_requested(const pgcdc_pipeline_run_options *opt)
{
    return opt->stop && *opt->stop;
}

/* xorshift64*: jitter only, no need for anything stronger */
static uint64_t next_random(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

/* Sleeps ms in small steps; false when a stop was requested meanwhile. */
static bool backoff_sleep(const pgcdc_pipeline_run_options *opt, int64_t ms)
{
    int64_t end = now_ms() + ms;
    for (;;) {
        if (stop_requested(opt))
            return false;
        int64_t left = end - now_ms();
        if (left <= 0)
            return true;
        int64_t step = left < SLEEP_STEP_MS ? left : SLEEP_STEP_MS;
        struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)(step * 1000000)};
        nanosleep(&ts, NULL); /* a signal cuts it short: the loop checks the flag */
    }
}

pgcdc_code pgcdc_pipeline_run(const pgcdc_pipeline_config *cfg, const pgcdc_pipeline_run_options *opt,
                              pgcdc_pipeline_result *result, pgcdc_error *err)
{
    pgcdc_pipeline_run_options none = {0};
    if (!opt)
        opt = &none;
    int64_t initial = opt->retry_initial_ms > 0 ? opt->retry_initial_ms : DEFAULT_INITIAL_MS;
    int64_t cap = opt->retry_max_ms > 0 ? opt->retry_max_ms : DEFAULT_MAX_MS;
    if (cap < initial)
        cap = initial;
    uint64_t seed = (uint64_t)now_ms() ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)&seed;
    if (!seed)
        seed = 0x9e3779b97f4a7c15ull;

    int failures = 0;         /* consecutive attempts that ended with an interim error */
    int64_t delay = initial;  /* the next backoff before jitter */
    pgcdc_lsn best = PGCDC_INVALID_LSN; /* highest durable position any attempt reached */
    for (;;) {
        pgcdc_pipeline_result r;
        pgcdc_error e;
        pgcdc_error_clear(&e);
        int64_t started = now_ms();
        pgcdc_code rc = pl_run_once(cfg, opt, &r, &e);
        if (result)
            *result = r;
        if (rc == PGCDC_OK)
            return PGCDC_OK;
        /* Permanent, or a stop that came during the attempt (its final write
         * or merge failed: that is not a clean stop, say so) - the run ends. */
        if (!pl_error_is_interim(rc, &e) || stop_requested(opt)) {
            if (err)
                *err = e;
            return rc;
        }
        /* Progress starts the backoff over: the attempt wrote something (its
         * durable position passed every earlier one), or it ran at least as
         * long as the longest backoff - retries are then spaced out by the
         * attempts themselves, and a failure after a long healthy stretch
         * deserves the quick first retry again. */
        bool wrote = best != PGCDC_INVALID_LSN && r.durable_lsn > best;
        if (wrote || now_ms() - started >= cap) {
            failures = 0;
            delay = initial;
        }
        if (r.durable_lsn > best)
            best = r.durable_lsn;
        failures++;
        if (opt->retry_max_attempts > 0 && failures >= opt->retry_max_attempts) {
            pgcdc_log(PGCDC_LOG_ERROR, "interim error, giving up after %d attempt(s) in a row: %s", failures,
                      e.message);
            pgcdc_error_prefix(&e, "giving up after %d attempt(s) in a row ended with an interim error", failures);
            if (err)
                *err = e;
            return rc;
        }
        /* jitter: between 3/4 of the delay and the delay, so that runners
         * that failed together do not come back together */
        int64_t wait = delay - (int64_t)(next_random(&seed) % (uint64_t)(delay / 4 + 1));
        if (opt->retry_max_attempts > 0)
            pgcdc_log(PGCDC_LOG_WARN, "interim error, retrying in %.1f s (attempt %d of %d): %s", wait / 1000.0,
                      failures, opt->retry_max_attempts, e.message);
        else
            pgcdc_log(PGCDC_LOG_WARN, "interim error, retrying in %.1f s (attempt %d): %s", wait / 1000.0, failures,
                      e.message);
        if (!backoff_sleep(opt, wait)) {
            /* nothing is in flight: what was written is durable, the next
             * run resumes from it */
            pgcdc_log(PGCDC_LOG_INFO, "stopping: stop requested while waiting to retry");
            return PGCDC_OK;
        }
        delay = delay > cap / 2 ? cap : delay * 2;
    }
}
