/* pgcdc/cron.h - `Merge Task Schedule CRON`: Quartz cron expressions, UTC.
 *
 * Six or seven fields separated by blanks:
 *
 *     seconds minutes hours day-of-month month day-of-week [year]
 *      0-59    0-59    0-23     1-31     1-12    1-7     1970-2099
 *                                      JAN-DEC SUN-SAT
 *
 * Each field takes `*` (every value), a value, a range `a-b` (it may wrap:
 * `FRI-MON`, `22-2`), a step `a/n`, `*` `/n` or `a-b/n`, or a comma list of
 * these. Day-of-week counts the Quartz way: 1 = SUN ... 7 = SAT. Exactly one
 * of day-of-month and day-of-week is `?` ("no specific value"). Specials, each
 * alone in its field:
 *   day-of-month  L (last day), L-n (n days before the last), nW (the weekday
 *                 nearest to day n, never leaving the month), LW (the last
 *                 weekday), L-nW
 *   day-of-week   L (= 7, SAT), nL (the last day n of the month: 6L = last
 *                 Friday), n#k (the k-th day n: 2#1 = first Monday; a month
 *                 without a 5th one does not fire)
 * Names and letters are case-insensitive. All times are UTC, so there is no
 * daylight-saving gap or repeat.
 *
 * `* * * * * ?` (or any expression that fires every second) means "merge
 * continuously": pgcdc_cron_is_continuous() tells, and a scheduler should
 * then merge as soon as there is something to merge rather than poll each
 * second.
 */
#ifndef PGCDC_CRON_H
#define PGCDC_CRON_H

#include <stdbool.h>
#include <stdint.h>
#include "pgcdc/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pgcdc_cron pgcdc_cron;

/* Parses expr. PGCDC_EINVAL with a message naming the field (e.g.
 * "day-of-month (field 4)"), what is wrong and an example of a valid
 * expression; callers prefix the parameter name. */
pgcdc_code pgcdc_cron_parse(const char *expr, pgcdc_cron **out, pgcdc_error *err);

void pgcdc_cron_free(pgcdc_cron *cron);

/* True when the expression fires every second (`* * * * * ?` and equivalents). */
bool pgcdc_cron_is_continuous(const pgcdc_cron *cron);

/* The first fire time strictly after `after` (seconds since 1970-01-01 UTC;
 * fire times are whole seconds) into *next. PGCDC_ENOTFOUND when it never
 * fires again (a year list in the past, 30 FEB, ...). */
pgcdc_code pgcdc_cron_next(const pgcdc_cron *cron, int64_t after, int64_t *next);

#ifdef __cplusplus
}
#endif
#endif
