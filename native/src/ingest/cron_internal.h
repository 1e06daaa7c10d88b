/* cron_internal.h - the parsed form of a Quartz expression, shared by
 * cron_parse.c (which fills it) and cron_next.c (which walks the calendar). */
#ifndef PGCDC_CRON_INTERNAL_H
#define PGCDC_CRON_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#define CRON_MIN_YEAR 1970
#define CRON_MAX_YEAR 2099

/* How the day is chosen: by day-of-month (day-of-week is '?') or by
 * day-of-week (day-of-month is '?'), and which special form, if any. */
typedef enum cron_day_kind {
    CRON_DOM_SET,      /* dom bits */
    CRON_DOM_LAST,     /* L or L-n: last day minus day_offset; LW/L-nW if day_weekday */
    CRON_DOM_WEEKDAY,  /* nW: weekday nearest to day_n */
    CRON_DOW_SET,      /* dow bits */
    CRON_DOW_LAST,     /* nL: last day_n (1 = SUN .. 7 = SAT) of the month */
    CRON_DOW_NTH       /* n#k: the day_nth-th day_n of the month */
} cron_day_kind;

struct pgcdc_cron {
    uint64_t seconds;  /* bit s for second s (0-59) */
    uint64_t minutes;  /* bit m (0-59) */
    uint32_t hours;    /* bit h (0-23) */
    uint32_t dom;      /* bit d (1-31), CRON_DOM_SET */
    uint16_t months;   /* bit m (1-12) */
    uint8_t dow;       /* bit d (1 = SUN .. 7 = SAT), CRON_DOW_SET */
    bool any_year;     /* no year field, or '*' */
    uint64_t years[3]; /* bit (y - CRON_MIN_YEAR) when !any_year */
    cron_day_kind day_kind;
    int day_n;         /* CRON_DOM_WEEKDAY: the day; CRON_DOW_LAST/NTH: the weekday */
    int day_offset;    /* CRON_DOM_LAST: n of L-n (0 for L) */
    bool day_weekday;  /* CRON_DOM_LAST: LW / L-nW */
    int day_nth;       /* CRON_DOW_NTH: k of n#k (1-5) */
    bool continuous;
};

/* Whether any date in the expression's years satisfies its day and month
 * fields (cron_next.c); the parser refuses an expression that never fires. */
bool cron_fires_ever(const struct pgcdc_cron *c);

#endif
