/* cron_next.c - the next fire time of a parsed Quartz expression.
 *
 * Walks the UTC calendar forward: skip non-matching years and months whole,
 * then days, then find the first matching second within the day. Without a
 * year field the calendar repeats every 400 years, so a search that finds
 * nothing in 401 years never will (30 FEB, 5th Monday of February in a
 * common year only...). */
#include "pgcdc/cron.h"
#include "ingest/cron_internal.h"

#include <stddef.h>

/* Days since 1970-01-01 of a proleptic Gregorian date, and back
 * (H. Hinnant's algorithms, exact for any int64 range we use). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int days_in_month(int64_t y, int m)
{
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dim[m - 1];
}

/* Quartz numbering: 1 = SUN .. 7 = SAT. 1970-01-01 was a Thursday (5). */
static int weekday(int64_t y, int m, int d)
{
    int64_t z = days_from_civil(y, m, d);
    return (int)(((z + 4) % 7 + 7) % 7) + 1;
}

/* The weekday (MON-FRI) nearest to day n of the month, never leaving it:
 * a Saturday 1st moves to Monday 3rd, a Sunday last day to Friday. */
static int nearest_weekday(int64_t y, int m, int n)
{
    int dim = days_in_month(y, m);
    int wd = weekday(y, m, n);
    if (wd == 7) /* SAT */
        return n == 1 ? 3 : n - 1;
    if (wd == 1) /* SUN */
        return n == dim ? n - 2 : n + 1;
    return n;
}

static bool day_matches(const pgcdc_cron *c, int64_t y, int m, int d)
{
    int dim = days_in_month(y, m);
    switch (c->day_kind) {
    case CRON_DOM_SET:
        return c->dom >> d & 1;
    case CRON_DOM_LAST: {
        int target = dim - c->day_offset;
        if (target < 1)
            return false;
        return d == (c->day_weekday ? nearest_weekday(y, m, target) : target);
    }
    case CRON_DOM_WEEKDAY:
        return c->day_n <= dim && d == nearest_weekday(y, m, c->day_n);
    case CRON_DOW_SET:
        return c->dow >> weekday(y, m, d) & 1;
    case CRON_DOW_LAST:
        return weekday(y, m, d) == c->day_n && d + 7 > dim;
    case CRON_DOW_NTH:
        return weekday(y, m, d) == c->day_n && (d - 1) / 7 + 1 == c->day_nth;
    }
    return false;
}

/* Smallest set bit >= from (up to 63), or -1. */
static int next_bit(uint64_t bits, int from)
{
    if (from > 63)
        return -1;
    uint64_t b = bits >> from;
    return b ? from + __builtin_ctzll(b) : -1;
}

/* The first matching second of the day at or after second-of-day sod, or -1. */
static int next_time_of_day(const pgcdc_cron *c, int sod)
{
    int h0 = sod / 3600, m0 = sod / 60 % 60, s0 = sod % 60;
    int first_m = next_bit(c->minutes, 0), first_s = next_bit(c->seconds, 0);
    for (int h = next_bit(c->hours, h0); h >= 0; h = next_bit(c->hours, h + 1)) {
        if (h > h0)
            return h * 3600 + first_m * 60 + first_s;
        for (int m = next_bit(c->minutes, m0); m >= 0; m = next_bit(c->minutes, m + 1)) {
            if (m > m0)
                return h * 3600 + m * 60 + first_s;
            int s = next_bit(c->seconds, s0);
            if (s >= 0)
                return h * 3600 + m * 60 + s;
        }
    }
    return -1;
}

static bool year_matches(const pgcdc_cron *c, int64_t y)
{
    if (c->any_year)
        return true;
    if (y < CRON_MIN_YEAR || y > CRON_MAX_YEAR)
        return false;
    int i = (int)(y - CRON_MIN_YEAR);
    return c->years[i / 64] >> (i % 64) & 1;
}

/* 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z: the instants we accept,
 * which keeps every computation below far from overflow. */
#define CRON_FIRST_INSTANT INT64_C(-62135596800)
#define CRON_LAST_INSTANT INT64_C(253402300799)

pgcdc_code pgcdc_cron_next(const pgcdc_cron *c, int64_t after, int64_t *next)
{
    if (after >= CRON_LAST_INSTANT)
        return PGCDC_ENOTFOUND;
    if (after < CRON_FIRST_INSTANT)
        after = CRON_FIRST_INSTANT;
    int64_t t = after + 1;
    int64_t day = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    int sod = (int)(t - day * 86400);
    int64_t y;
    int m, d;
    civil_from_days(day, &y, &m, &d);
    int64_t limit = c->any_year ? y + 401 : CRON_MAX_YEAR;
    while (y <= limit) {
        if (!year_matches(c, y)) {
            y++, m = 1, d = 1, sod = 0;
            continue;
        }
        if (!(c->months >> m & 1)) {
            if (++m > 12)
                y++, m = 1;
            d = 1, sod = 0;
            continue;
        }
        if (day_matches(c, y, m, d)) {
            int s = next_time_of_day(c, sod);
            if (s >= 0) {
                *next = days_from_civil(y, m, d) * 86400 + s;
                return PGCDC_OK;
            }
        }
        sod = 0;
        if (++d > days_in_month(y, m)) {
            d = 1;
            if (++m > 12)
                y++, m = 1;
        }
    }
    return PGCDC_ENOTFOUND;
}

/* Whether the expression fires at all. The time of day always matches (every
 * field holds at least one value), so this asks whether some date satisfies
 * day-of-month / day-of-week, month and year together. Without a year field
 * the Gregorian calendar, weekdays included, repeats every 400 years (146097
 * days, a whole number of weeks), and pgcdc_cron_next searches 401 years: if
 * it finds nothing after 2000-01-01 nothing ever matches (30 FEB, the 5th
 * Monday of February...). With a year field it searches every listed year up
 * to CRON_MAX_YEAR (29 FEB in years without a leap year...). */
bool cron_fires_ever(const pgcdc_cron *c)
{
    int64_t from = c->any_year ? 2000 : CRON_MIN_YEAR, next;
    return pgcdc_cron_next(c, days_from_civil(from, 1, 1) * 86400 - 1, &next) == PGCDC_OK;
}
