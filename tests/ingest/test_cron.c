/* test_cron.c - Quartz cron expressions: next fire times after given
 * instants (month ends, leap years, W/L/#, wrapping ranges, the year field)
 * and the errors for malformed expressions. Expected dates were worked out
 * from a calendar, not from the code. */
#include "pgcdc/cron.h"
#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t at(const char *iso)
{
    struct tm tm = {0};
    if (sscanf(iso, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
               &tm.tm_sec) != 6) {
        fprintf(stderr, "bad test instant %s\n", iso);
        exit(2);
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (int64_t)timegm(&tm);
}

static const char *iso(int64_t t, char *buf)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    return buf;
}

/* The fire times after `after`, one by one, must be want[0], want[1], ... */
static void check_next(const char *expr, const char *after, const char *const *want, int nwant)
{
    pgcdc_cron *c;
    pgcdc_error e = {0};
    pgcdc_code rc = pgcdc_cron_parse(expr, &c, &e);
    CHECK_MSG(rc == PGCDC_OK, "%s: %s", expr, e.message);
    if (rc != PGCDC_OK)
        return;
    int64_t t = at(after);
    for (int i = 0; i < nwant; i++) {
        int64_t next = 0;
        char got[32];
        rc = pgcdc_cron_next(c, t, &next);
        CHECK_MSG(rc == PGCDC_OK, "%s after %s: no next fire time", expr, iso(t, got));
        if (rc != PGCDC_OK)
            break;
        CHECK_MSG(next == at(want[i]), "%s after %s: got %s, want %s", expr, iso(t, got), iso(next, got + 0),
                  want[i]);
        t = next;
    }
    pgcdc_cron_free(c);
}

#define NEXT(expr, after, ...) do { const char *w_[] = {__VA_ARGS__}; \
    check_next(expr, after, w_, (int)(sizeof w_ / sizeof w_[0])); } while (0)

static void check_never(const char *expr, const char *after)
{
    pgcdc_cron *c;
    pgcdc_error e = {0};
    CHECK_MSG(pgcdc_cron_parse(expr, &c, &e) == PGCDC_OK, "%s: %s", expr, e.message);
    if (!c)
        return;
    int64_t next = 0;
    CHECK_MSG(pgcdc_cron_next(c, at(after), &next) == PGCDC_ENOTFOUND, "%s after %s fired", expr, after);
    pgcdc_cron_free(c);
}

static void check_error(const char *expr, const char *want1, const char *want2)
{
    pgcdc_cron *c = (pgcdc_cron *)1;
    pgcdc_error e = {0};
    pgcdc_code rc = pgcdc_cron_parse(expr, &c, &e);
    CHECK_MSG(rc == PGCDC_EINVAL, "\"%s\" was accepted", expr);
    CHECK(c == NULL);
    CHECK_CONTAINS(e.message, want1);
    if (want2)
        CHECK_CONTAINS(e.message, want2);
    CHECK_CONTAINS(e.message, "e.g.");
    /* no error record: same answer, no crash */
    CHECK_INT(pgcdc_cron_parse(expr, &c, NULL), PGCDC_EINVAL);
}

static void test_basic(void)
{
    NEXT("0 0/15 * * * ?", "2024-01-01T00:00:00", "2024-01-01T00:15:00", "2024-01-01T00:30:00",
         "2024-01-01T00:45:00", "2024-01-01T01:00:00");
    NEXT("0 0/15 * * * ?", "2024-12-31T23:59:59", "2025-01-01T00:00:00");
    NEXT("0 0 12 * * ?", "2024-01-01T12:00:00", "2024-01-02T12:00:00"); /* strictly after */
    NEXT("0 0 12 * * ?", "2024-01-01T11:59:59", "2024-01-01T12:00:00");
    NEXT("30 45 10 * * ?", "2024-01-01T10:45:29", "2024-01-01T10:45:30", "2024-01-02T10:45:30");
    NEXT("10-40/10 * * * * ?", "2024-01-01T00:00:40", "2024-01-01T00:01:10", "2024-01-01T00:01:20");
    NEXT("5/20 * * * * ?", "2024-01-01T00:00:00", "2024-01-01T00:00:05", "2024-01-01T00:00:25",
         "2024-01-01T00:00:45", "2024-01-01T00:01:05");
    NEXT("/30 * * * * ?", "2024-01-01T00:00:10", "2024-01-01T00:00:30");
    NEXT("0 0 8-10,14 * * ?", "2024-01-01T10:00:00", "2024-01-01T14:00:00", "2024-01-02T08:00:00");
    /* lower case and tabs */
    NEXT("0\t0  12 ? * mon", "2024-01-01T12:00:00", "2024-01-08T12:00:00");
    /* every second, every minute at second 0 */
    NEXT("* * * * * ?", "2024-02-29T23:59:59", "2024-03-01T00:00:00", "2024-03-01T00:00:01");
    NEXT("0 * * * * ?", "2024-01-01T00:00:00", "2024-01-01T00:01:00");
    /* instants before 1970 work too */
    NEXT("0 0 0 1 1 ?", "1969-06-01T00:00:00", "1970-01-01T00:00:00");
}

static void test_month_ends_and_leap_years(void)
{
    NEXT("0 0 0 L * ?", "2024-02-01T00:00:00", "2024-02-29T00:00:00", "2024-03-31T00:00:00",
         "2024-04-30T00:00:00");
    NEXT("0 0 0 L * ?", "2023-02-01T00:00:00", "2023-02-28T00:00:00");
    NEXT("0 0 0 L * ?", "2100-02-01T00:00:00", "2100-02-28T00:00:00"); /* 2100 is not a leap year */
    NEXT("0 0 0 L * ?", "2000-02-01T00:00:00", "2000-02-29T00:00:00"); /* 2000 is */
    NEXT("0 0 0 L-2 * ?", "2024-03-01T00:00:00", "2024-03-29T00:00:00", "2024-04-28T00:00:00");
    /* L-30 exists only in 31-day months (day 1); strictly after Jan 1 00:00 */
    NEXT("0 0 0 L-30 * ?", "2024-01-01T00:00:00", "2024-03-01T00:00:00", "2024-05-01T00:00:00");
    NEXT("0 0 0 31 * ?", "2024-04-01T00:00:00", "2024-05-31T00:00:00", "2024-07-31T00:00:00");
    NEXT("0 0 0 29 2 ?", "2024-03-01T00:00:00", "2028-02-29T00:00:00", "2032-02-29T00:00:00");
    NEXT("0 0 0 29 2 ?", "2096-03-01T00:00:00", "2104-02-29T00:00:00"); /* skips 2100 */
    NEXT("59 59 23 31 12 ?", "2024-12-31T23:59:59", "2025-12-31T23:59:59");
    NEXT("0 0 0 1 * ?", "2024-12-15T00:00:00", "2025-01-01T00:00:00");
}

/* An expression no date satisfies is refused by the parser, whatever the
 * current time: Quartz refuses to schedule it, and a merge schedule that never
 * fires lets the journals grow without bound. The ones that fire rarely or
 * only decades ahead are accepted, with their first fire time. */
static void test_never_fires(void)
{
    static const char *const never[] = {
        "0 0 0 30 2 ?",                /* 30 FEB */
        "0 0 0 30,31 FEB ?",
        "0 0 0 31 2,4,6,9,11 ?",       /* months of 30 days or fewer */
        "0 0 0 29 2 ? 2025-2027",      /* no leap year in the year field */
        "0 0 0 29 2 ? 2097-2099",      /* 2096 leap, 2100 not (and out of range) */
        "0 0 0 L-29 2 ?",              /* February has at most 29 days */
        "0 0 0 L-30W FEB ?",
        "0 0 0 30W 2 ?",               /* W never leaves the month */
        "0 0 0 ? FEB 2#5 2024",        /* no 5th Monday in February 2024 */
        "0 0 0 ? 2 MON#5 2045-2071",   /* a 5th Monday of February: leap years from a Monday 1st only */
        "0 0 0 ? 2 1#5 2033-2059",     /* ...from a Sunday 1st: 2032, 2060 */
    };
    for (size_t i = 0; i < sizeof never / sizeof *never; i++) {
        check_error(never[i], "never fires", NULL);
    }
    check_error("0 0 0 30 2 ?", "\"0 0 0 30 2 ?\" never fires: no date matches", "30 FEB");

    NEXT("0 0 0 29 2 ?", "1970-01-01T00:00:00", "1972-02-29T00:00:00");
    NEXT("0 0 0 29 2 ? 2097-2099,2096", "2024-01-01T00:00:00", "2096-02-29T00:00:00");
    NEXT("0 0 0 ? 2 2#5", "2017-01-01T00:00:00", "2044-02-29T00:00:00");
    NEXT("0 0 0 ? 2 2#5 2045-2099", "2024-01-01T00:00:00", "2072-02-29T00:00:00"); /* 27 years ahead */
    NEXT("0 0 0 L-28 2 ?", "2025-01-01T00:00:00", "2028-02-01T00:00:00");          /* leap years only */
    NEXT("0 0 0 31W 1 ?", "2025-01-01T00:00:00", "2025-01-31T00:00:00");
    NEXT("0 0 0 ? FEB 2L", "2025-01-01T00:00:00", "2025-02-24T00:00:00");
    NEXT("59 59 23 31 12 ? 2099", "2024-01-01T00:00:00", "2099-12-31T23:59:59");
}

static void test_weekday_specials(void)
{
    /* nearest weekday: Sat 15 Jan 2022 -> Fri 14; Sat 15 Jun 2024 -> Fri 14;
     * Sun 15 Sep 2024 -> Mon 16; Mon 15 Jul 2024 stays */
    NEXT("0 0 0 15W * ?", "2022-01-01T00:00:00", "2022-01-14T00:00:00");
    NEXT("0 0 0 15W * ?", "2024-06-01T00:00:00", "2024-06-14T00:00:00", "2024-07-15T00:00:00",
         "2024-08-15T00:00:00", "2024-09-16T00:00:00");
    /* never leaves the month: Sat 1 Feb 2025 -> Mon 3; Sun 31 Mar 2024 -> Fri 29 */
    NEXT("0 0 0 1W * ?", "2025-01-31T00:00:00", "2025-02-03T00:00:00");
    NEXT("0 0 0 31W * ?", "2024-03-01T00:00:00", "2024-03-29T00:00:00", "2024-05-31T00:00:00");
    /* last weekday: Sat 31 Aug 2024 -> Fri 30; Sat 30 Nov 2024 -> Fri 29; Tue 31 Dec 2024 */
    NEXT("0 0 0 LW * ?", "2024-08-01T00:00:00", "2024-08-30T00:00:00", "2024-09-30T00:00:00",
         "2024-10-31T00:00:00", "2024-11-29T00:00:00", "2024-12-31T00:00:00");
    /* L-2W: 2 days before the last: 28 Sep 2024 is a Saturday -> Fri 27 */
    NEXT("0 0 0 L-2W * ?", "2024-09-01T00:00:00", "2024-09-27T00:00:00");
    /* last Friday */
    NEXT("0 0 10 ? * 6L", "2024-01-01T00:00:00", "2024-01-26T10:00:00", "2024-02-23T10:00:00",
         "2024-03-29T10:00:00");
    NEXT("0 0 10 ? * FRIL", "2024-01-01T00:00:00", "2024-01-26T10:00:00");
    /* first Monday, fifth Monday (Jan 2024 has one, Feb/Mar do not, Apr does) */
    NEXT("0 0 10 ? * 2#1", "2024-01-10T00:00:00", "2024-02-05T10:00:00", "2024-03-04T10:00:00");
    NEXT("0 0 10 ? * MON#5", "2024-01-01T00:00:00", "2024-01-29T10:00:00", "2024-04-29T10:00:00");
    /* Sunday is 1, Saturday 7; a bare L is Saturday */
    NEXT("0 0 6 ? * 1", "2024-01-06T00:00:00", "2024-01-07T06:00:00");
    NEXT("0 0 6 ? * SUN", "2024-01-06T00:00:00", "2024-01-07T06:00:00");
    NEXT("0 0 6 ? * 7", "2024-01-01T00:00:00", "2024-01-06T06:00:00");
    NEXT("0 0 0 ? * L", "2024-01-01T00:00:00", "2024-01-06T00:00:00", "2024-01-13T00:00:00");
    NEXT("0 15 10 ? * MON-FRI", "2024-01-05T10:15:00", "2024-01-08T10:15:00", "2024-01-09T10:15:00");
}

static void test_wrapping_names_years(void)
{
    NEXT("0 0 22-2 * * ?", "2024-01-01T02:00:00", "2024-01-01T22:00:00", "2024-01-01T23:00:00",
         "2024-01-02T00:00:00", "2024-01-02T01:00:00", "2024-01-02T02:00:00", "2024-01-02T22:00:00");
    /* FRI-MON wraps over the week's end (Mon 8 Jan 2024) */
    NEXT("0 0 0 ? * FRI-MON", "2024-01-08T00:00:00", "2024-01-12T00:00:00", "2024-01-13T00:00:00",
         "2024-01-14T00:00:00", "2024-01-15T00:00:00", "2024-01-19T00:00:00");
    NEXT("0 0 0 1 NOV-FEB ?", "2024-03-01T00:00:00", "2024-11-01T00:00:00", "2024-12-01T00:00:00",
         "2025-01-01T00:00:00", "2025-02-01T00:00:00", "2025-11-01T00:00:00");
    NEXT("0 0 0 1 JAN,jul ?", "2024-01-01T00:00:00", "2024-07-01T00:00:00", "2025-01-01T00:00:00");
    NEXT("0 0 0 1 1/6 ?", "2024-02-01T00:00:00", "2024-07-01T00:00:00", "2025-01-01T00:00:00");
    /* the year field */
    NEXT("0 0 0 1 1 ? 2030", "2024-05-05T00:00:00", "2030-01-01T00:00:00");
    check_never("0 0 0 1 1 ? 2030", "2030-01-01T00:00:00");
    NEXT("0 0 0 1 1 ? 2025-2029/2", "2024-05-05T00:00:00", "2025-01-01T00:00:00", "2027-01-01T00:00:00",
         "2029-01-01T00:00:00");
    check_never("0 0 0 1 1 ? 2025-2029/2", "2029-01-01T00:00:00");
    NEXT("0 0 0 1 1 ? 2026,2024", "2023-01-01T00:00:00", "2024-01-01T00:00:00", "2026-01-01T00:00:00");
    NEXT("0 0 0 29 2 ? *", "2024-03-01T00:00:00", "2028-02-29T00:00:00");
    check_never("0 0 0 1 1 ? 2020", "2024-01-01T00:00:00");
    /* far future: accepted instants stop at year 9999 */
    check_never("* * * * * ?", "9999-12-31T23:59:59");
}

static void test_continuous(void)
{
    const char *yes[] = {"* * * * * ?", "* * * ? * *", "0/1 * * * * ?", "* 0-59 * * * ? *", "* * * * * ?  ",
                         "* * * ? * SUN-SAT"};
    const char *no[] = {"0 * * * * ?", "* * * * * ? 2030", "* * * 1-30 * ?", "* * 0-22 * * ?", "* * * ? * MON-FRI",
                        "* * * L * ?"};
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
        pgcdc_cron *c;
        CHECK_INT(pgcdc_cron_parse(yes[i], &c, NULL), PGCDC_OK);
        CHECK_MSG(pgcdc_cron_is_continuous(c), "%s is continuous", yes[i]);
        pgcdc_cron_free(c);
    }
    for (size_t i = 0; i < sizeof no / sizeof *no; i++) {
        pgcdc_cron *c;
        CHECK_INT(pgcdc_cron_parse(no[i], &c, NULL), PGCDC_OK);
        CHECK_MSG(!pgcdc_cron_is_continuous(c), "%s is not continuous", no[i]);
        pgcdc_cron_free(c);
    }
    CHECK(!pgcdc_cron_is_continuous(NULL));
}

static void test_errors(void)
{
    check_error("", "has 0 fields", "6 or 7");
    check_error("0 0 12", "has 3 fields", "seconds minutes hours day-of-month month day-of-week [year]");
    check_error("1 2 3 4 5 6 7 8", "more than 7 fields", NULL);
    check_error("*/5 * * * *", "5-field Unix cron", "\"0 */5 * * * ?\"");
    check_error("0 0 12 * * *", "day-of-week (field 6)", "must be '?'");
    check_error("0 0 12 1 * MON", "must be '?'", NULL);
    check_error("0 0 12 ? * ?", "cannot both be '?'", NULL);
    check_error("60 * * * * ?", "seconds (field 1) \"60\"", "60 is out of range 0-59");
    check_error("0 99 * * * ?", "minutes (field 2)", "out of range 0-59");
    check_error("0 0 24 * * ?", "hours (field 3) \"24\"", "out of range 0-23");
    check_error("0 0 0 32 * ?", "day-of-month (field 4)", "out of range 1-31");
    check_error("0 0 0 0 * ?", "day-of-month (field 4)", "out of range 1-31");
    check_error("0 0 0 1 13 ?", "month (field 5)", "out of range 1-12");
    check_error("0 0 0 ? * 8", "day-of-week (field 6)", "out of range 1-7");
    check_error("0 0 0 ? * 0", "day-of-week (field 6)", "1 = SUN");
    check_error("0 0 0 1 FOO ?", "month (field 5)", "\"FOO\" is not a month name (JAN-DEC)");
    check_error("0 0 0 ? * FUN", "\"FUN\" is not a day name (SUN-SAT)", NULL);
    check_error("0 0 0 1 1 ? 1969", "year (field 7)", "out of range 1970-2099");
    check_error("0 0 0 1 1 ? 2030-2025", "year (field 7)", "runs backwards");
    check_error("0/0 * * * * ?", "seconds (field 1)", "the step 0 is out of range");
    check_error("0/61 * * * * ?", "the step 61 is out of range 1-60", NULL);
    check_error("0/ * * * * ?", "'/' must be followed by a step", NULL);
    check_error("? * * * * ?", "seconds (field 1)", "'?' is only allowed in day-of-month and day-of-week");
    check_error("0 0 0 1,? * ?", "'?' must stand alone", NULL);
    check_error("0 0 0 L,15 * ?", "day-of-month (field 4)", "L must stand alone");
    check_error("0 0 0 L-31 * ?", "L-n needs n from 1 to 30", NULL);
    check_error("0 0 0 1-15W * ?", "L and W must stand alone", NULL);
    check_error("0 0 0 32W * ?", "out of range 1-31", NULL);
    check_error("0 0 0 ? * 6#6", "n#k needs k from 1 to 5", NULL);
    check_error("0 0 0 ? * 6#1,2", "n#k must stand alone", NULL);
    check_error("0 0 0 ? * 2-6L", "nL must stand alone", NULL);
    check_error("0 0 0 ? * L5", "L must stand alone in day-of-week", NULL);
    check_error("0 0 0 ? 1 L,2", "L must stand alone in day-of-week", NULL);
    check_error("0 0 0 ? 1W *", "'W' must stand alone", "only allowed in day-of-month");
    check_error("0 0 0 1,,2 * ?", "an empty list item", NULL);
    check_error("0 0 0 1- * ?", "a value is missing", NULL);
    check_error("0 0 x * * ?", "hours (field 3) \"X\"", "unexpected 'X'");
    check_error("0 0 0 1 * ? 2030x", "year (field 7)", "unexpected 'X'");
    check_error("*5 * * * * ?", "unexpected '5' after '*'", NULL);
    /* the expression itself is quoted in the message */
    pgcdc_cron *c;
    pgcdc_error e = {0};
    CHECK_INT(pgcdc_cron_parse("0 0 25 * * ?", &c, &e), PGCDC_EINVAL);
    CHECK_STR(e.message, "cron expression \"0 0 25 * * ?\": hours (field 3) \"25\": 25 is out of range 0-23; "
                         "e.g. \"0 0 8-18 * * ?\" fires on the hour from 08:00 to 18:00");
    CHECK_INT(pgcdc_cron_parse(NULL, &c, &e), PGCDC_EINVAL);
    char longexpr[400];
    memset(longexpr, '1', sizeof longexpr - 1);
    longexpr[sizeof longexpr - 1] = '\0';
    CHECK_INT(pgcdc_cron_parse(longexpr, &c, &e), PGCDC_EINVAL);
    CHECK_CONTAINS(e.message, "too long");
}

int main(void)
{
    test_basic();
    test_month_ends_and_leap_years();
    test_never_fires();
    test_weekday_specials();
    test_wrapping_names_years();
    test_continuous();
    test_errors();
    return pgt_done("cron");
}
