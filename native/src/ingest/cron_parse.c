/* cron_parse.c - Quartz cron expression text -> struct pgcdc_cron.
 *
 * Follows Quartz's CronExpression: the same fields, names, specials and
 * numbering (day-of-week 1 = SUN), wrapping ranges (FRI-MON), and the rule
 * that exactly one of day-of-month / day-of-week is '?'. Every error names
 * the field and gives a working example, because the person reading it is
 * usually editing a configuration file, not reading this code. */
#include "pgcdc/cron.h"
#include "ingest/cron_internal.h"
#include "common/text_safe.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { F_SEC, F_MIN, F_HOUR, F_DOM, F_MONTH, F_DOW, F_YEAR, F_COUNT };

typedef struct field_def {
    const char *name;
    int min, max;
    const char *example;
} field_def;

static const field_def FIELDS[F_COUNT] = {
    {"seconds", 0, 59, "\"0/30 * * * * ?\" fires every 30 seconds"},
    {"minutes", 0, 59, "\"0 0/15 * * * ?\" fires every 15 minutes"},
    {"hours", 0, 23, "\"0 0 8-18 * * ?\" fires on the hour from 08:00 to 18:00"},
    {"day-of-month", 1, 31, "\"0 0 12 1,15 * ?\" fires at noon on the 1st and the 15th, \"0 0 0 L * ?\" on the last day"},
    {"month", 1, 12, "\"0 0 0 1 JAN,JUL ?\" fires at midnight on 1 January and 1 July"},
    {"day-of-week", 1, 7, "\"0 0 6 ? * MON-FRI\" fires at 06:00 on weekdays (1 = SUN ... 7 = SAT), \"0 0 6 ? * 6L\" on the last Friday"},
    {"year", CRON_MIN_YEAR, CRON_MAX_YEAR, "\"0 0 0 1 1 ? 2030\" fires at midnight on 1 January 2030"},
};

static const char *const MONTH_NAMES[12] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                            "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
static const char *const DOW_NAMES[7] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

typedef struct parser {
    const char *expr;  /* as given, for messages */
    pgcdc_error *err;
} parser;

/* "cron expression "E": <field> (field N) "<text>": <what>; e.g. <example>" */
__attribute__((format(printf, 4, 5)))
static pgcdc_code field_error(parser *p, int f, const char *text, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return pgcdc_error_set(p->err, PGCDC_EINVAL, "cron expression \"%.*s\": %s (field %d) \"%.*s\": %s; e.g. %s",
                           PGCDC_UTF8_PREC(p->expr, 200), p->expr, FIELDS[f].name, f + 1,
                           PGCDC_UTF8_PREC(text, 40), text, what, FIELDS[f].example);
}

/* A number or (month, day-of-week) a three-letter name at *s; advances *s.
 * Returns 0 or -1 with the error set. */
static int parse_value(parser *p, int f, const char *field, const char **s, int *out)
{
    const char *q = *s;
    if (isdigit((unsigned char)*q)) {
        long v = 0;
        while (isdigit((unsigned char)*q)) {
            if (v < 100000)
                v = v * 10 + (*q - '0');
            q++;
        }
        if (v < FIELDS[f].min || v > FIELDS[f].max) {
            field_error(p, f, field, "%ld is out of range %d-%d", v, FIELDS[f].min, FIELDS[f].max);
            return -1;
        }
        *out = (int)v;
        *s = q;
        return 0;
    }
    const char *const *names = f == F_MONTH ? MONTH_NAMES : f == F_DOW ? DOW_NAMES : NULL;
    int nnames = f == F_MONTH ? 12 : 7;
    if (names && isalpha((unsigned char)*q)) {
        for (int i = 0; i < nnames; i++)
            if (strncmp(q, names[i], 3) == 0 &&
                (!isalpha((unsigned char)q[3]) || (f == F_DOW && q[3] == 'L' && !isalpha((unsigned char)q[4])))) {
                *out = i + 1;
                *s = q + 3;
                return 0;
            }
        field_error(p, f, field, "\"%.*s\" is not a %s name (%s)", (int)strspn(q, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
                    q, f == F_MONTH ? "month" : "day", f == F_MONTH ? "JAN-DEC" : "SUN-SAT");
        return -1;
    }
    if (*q == '\0')
        field_error(p, f, field, "a value is missing");
    else if (*q == '?')
        field_error(p, f, field, "'?' must stand alone in its field");
    else
        field_error(p, f, field, "unexpected '%c' where a %s value was expected", *q,
                    names ? "number or name" : "number");
    return -1;
}

/* Sets bit (v - base) for v in [a, b] (wrapping past max when b < a) by step. */
static void add_range(uint64_t bits[3], int f, int a, int b, int step)
{
    int min = FIELDS[f].min, span = FIELDS[f].max - min + 1;
    int base = f == F_YEAR ? CRON_MIN_YEAR : 0;
    int end = b >= a ? b : b + span;
    for (int v = a; v <= end; v += step) {
        int w = min + (v - min) % span;
        bits[(w - base) / 64] |= (uint64_t)1 << ((w - base) % 64);
    }
}

/* One comma-separated item: '*', value, a-b, each optionally /step. */
static int parse_item(parser *p, int f, const char *field, const char *item, uint64_t bits[3])
{
    const char *s = item;
    int a, b, step = 1;
    bool star = false, single = false;
    if (*s == '*') {
        star = true;
        s++;
        a = FIELDS[f].min;
        b = FIELDS[f].max;
    } else if (*s == '/') { /* a bare "/5": every 5th value from the start of the range */
        a = FIELDS[f].min;
        b = FIELDS[f].max;
    } else {
        if (parse_value(p, f, field, &s, &a) < 0)
            return -1;
        b = a;
        single = true;
        if (*s == '-') {
            s++;
            if (parse_value(p, f, field, &s, &b) < 0)
                return -1;
            single = false;
            if (f == F_YEAR && b < a)
                return field_error(p, f, field, "the range %d-%d runs backwards (only years cannot wrap)", a, b),
                       -1;
        }
    }
    if (*s == '/') {
        s++;
        if (!isdigit((unsigned char)*s))
            return field_error(p, f, field, "'/' must be followed by a step, e.g. */5 or 10-40/10"), -1;
        long v = 0;
        while (isdigit((unsigned char)*s)) {
            if (v < 100000)
                v = v * 10 + (*s - '0');
            s++;
        }
        int span = FIELDS[f].max - FIELDS[f].min + 1;
        if (v < 1 || v > span)
            return field_error(p, f, field, "the step %ld is out of range 1-%d", v, span), -1;
        step = (int)v;
        if (single) /* a/n: from a to the end of the range */
            b = FIELDS[f].max;
    }
    if (*s != '\0') {
        if (*s == '?')
            return field_error(p, f, field, "'?' must stand alone in its field"), -1;
        if (*s == 'L' || *s == 'W' || *s == '#')
            return field_error(p, f, field, "'%c' must stand alone in its field (no lists or ranges), "
                                            "and is only allowed in %s", *s,
                               *s == '#' ? "day-of-week" : *s == 'W' ? "day-of-month" : "day-of-month and day-of-week"),
                   -1;
        return field_error(p, f, field, "unexpected '%c'%s", *s,
                           star ? " after '*'" : ""), -1;
    }
    add_range(bits, f, a, b, step);
    return 0;
}

/* A plain field: comma list of items into bits. */
static int parse_set(parser *p, int f, const char *field, uint64_t bits[3])
{
    char item[64];
    const char *s = field;
    for (;;) {
        size_t n = strcspn(s, ",");
        if (n == 0)
            return field_error(p, f, field, "an empty list item"), -1;
        if (n >= sizeof item)
            return field_error(p, f, field, "a list item is too long"), -1;
        memcpy(item, s, n);
        item[n] = '\0';
        if (parse_item(p, f, field, item, bits) < 0)
            return -1;
        if (s[n] == '\0')
            return 0;
        s += n + 1;
    }
}

/* Unsigned number at *s (no sign), or -1. */
static int read_uint(const char **s)
{
    if (!isdigit((unsigned char)**s))
        return -1;
    int v = 0;
    while (isdigit((unsigned char)**s)) {
        if (v < 100000)
            v = v * 10 + (**s - '0');
        (*s)++;
    }
    return v;
}

/* day-of-month specials: L, L-n, LW, L-nW, nW. Returns 1 if field was one, 0 if not, -1 on error. */
static int parse_dom_special(parser *p, const char *field, pgcdc_cron *c)
{
    if (!strpbrk(field, "LW"))
        return 0;
    const char *s = field;
    if (*s == 'L') {
        s++;
        c->day_kind = CRON_DOM_LAST;
        if (*s == '-') {
            s++;
            int n = read_uint(&s);
            if (n < 1 || n > 30)
                return field_error(p, F_DOM, field, "L-n needs n from 1 to 30 (days before the last day)"), -1;
            c->day_offset = n;
        }
        if (*s == 'W') {
            s++;
            c->day_weekday = true;
        }
        if (*s != '\0')
            return field_error(p, F_DOM, field, "L must stand alone in its field: L, L-n, LW or L-nW"), -1;
        return 1;
    }
    int n = read_uint(&s);
    if (n >= 0 && *s == 'W' && s[1] == '\0') {
        if (n < 1 || n > 31)
            return field_error(p, F_DOM, field, "%d is out of range 1-31", n), -1;
        c->day_kind = CRON_DOM_WEEKDAY;
        c->day_n = n;
        return 1;
    }
    return field_error(p, F_DOM, field, "L and W must stand alone in day-of-month (no lists, ranges or steps): "
                                        "L, L-n, LW, L-nW or nW such as 15W"), -1;
}

/* day-of-week specials: nL, n#k (n a number or name); a bare L means 7 (SAT). */
static int parse_dow_special(parser *p, const char *field, pgcdc_cron *c)
{
    size_t len = strlen(field);
    bool last = len > 1 && field[len - 1] == 'L';
    const char *hash = strchr(field, '#');
    if (!last && !hash) {
        if (strchr(field, 'L'))
            return field_error(p, F_DOW, field, "L must stand alone in day-of-week: L (Saturday) or nL such as 6L "
                                                "(the last Friday)"), -1;
        return 0;
    }
    if (strpbrk(field, ",-/*"))
        return field_error(p, F_DOW, field, "%s must stand alone in day-of-week (no lists, ranges or steps)",
                           last ? "nL" : "n#k"), -1;
    const char *s = field;
    int d;
    if (parse_value(p, F_DOW, field, &s, &d) < 0)
        return -1;
    if (last && s == field + len - 1) {
        c->day_kind = CRON_DOW_LAST;
        c->day_n = d;
        return 1;
    }
    if (*s == '#') {
        s++;
        int k = read_uint(&s);
        if (k < 1 || k > 5 || *s != '\0')
            return field_error(p, F_DOW, field, "n#k needs k from 1 to 5, e.g. 2#1 (the first Monday)"), -1;
        c->day_kind = CRON_DOW_NTH;
        c->day_n = d;
        c->day_nth = k;
        return 1;
    }
    return field_error(p, F_DOW, field, "expected nL (last day n of the month) or n#k (k-th day n)"), -1;
}

static bool all_set(uint64_t bits, int lo, int hi)
{
    for (int i = lo; i <= hi; i++)
        if (!(bits >> i & 1))
            return false;
    return true;
}

static pgcdc_code parse_fields(parser *p, char **fld, int nf, pgcdc_cron *c)
{
    uint64_t bits[F_COUNT][3];
    memset(bits, 0, sizeof bits);
    bool dom_q = strcmp(fld[F_DOM], "?") == 0, dow_q = strcmp(fld[F_DOW], "?") == 0;
    for (int f = 0; f < nf; f++) {
        if (strcmp(fld[f], "?") == 0 && f != F_DOM && f != F_DOW)
            return field_error(p, f, fld[f], "'?' is only allowed in day-of-month and day-of-week");
        if ((f == F_DOM && dom_q) || (f == F_DOW && dow_q))
            continue;
        if (f == F_DOM) {
            int r = parse_dom_special(p, fld[f], c);
            if (r < 0)
                return p->err ? p->err->code : PGCDC_EINVAL;
            if (r > 0)
                continue;
        }
        if (f == F_DOW) {
            if (strcmp(fld[f], "L") == 0) { /* Quartz: a bare L in day-of-week is 7 (SAT) */
                bits[f][0] = (uint64_t)1 << 7;
                continue;
            }
            int r = parse_dow_special(p, fld[f], c);
            if (r < 0)
                return p->err ? p->err->code : PGCDC_EINVAL;
            if (r > 0)
                continue;
        }
        if (parse_set(p, f, fld[f], bits[f]) < 0)
            return p->err ? p->err->code : PGCDC_EINVAL;
    }
    if (dom_q && dow_q)
        return field_error(p, F_DOW, fld[F_DOW], "day-of-month and day-of-week cannot both be '?': "
                                                 "one of them must choose the days");
    if (!dom_q && !dow_q)
        return field_error(p, F_DOW, fld[F_DOW], "one of day-of-month (field 4) and day-of-week (field 6) must be '?' "
                                                 "(Quartz does not combine them): \"0 0 12 * * ?\" is every day, "
                                                 "\"0 0 12 ? * MON\" every Monday");
    c->seconds = bits[F_SEC][0];
    c->minutes = bits[F_MIN][0];
    c->hours = (uint32_t)bits[F_HOUR][0];
    c->months = (uint16_t)bits[F_MONTH][0];
    if (dow_q) {
        if (c->day_kind != CRON_DOM_LAST && c->day_kind != CRON_DOM_WEEKDAY) {
            c->day_kind = CRON_DOM_SET;
            c->dom = (uint32_t)bits[F_DOM][0];
        }
    } else if (c->day_kind != CRON_DOW_LAST && c->day_kind != CRON_DOW_NTH) {
        c->day_kind = CRON_DOW_SET;
        c->dow = (uint8_t)bits[F_DOW][0];
    }
    c->any_year = nf < 7 || strcmp(fld[F_YEAR], "*") == 0;
    memcpy(c->years, bits[F_YEAR], sizeof c->years);
    c->continuous = all_set(c->seconds, 0, 59) && all_set(c->minutes, 0, 59) && all_set(c->hours, 0, 23) &&
                    all_set(c->months, 1, 12) && c->any_year &&
                    ((c->day_kind == CRON_DOM_SET && all_set(c->dom, 1, 31)) ||
                     (c->day_kind == CRON_DOW_SET && all_set(c->dow, 1, 7)));
    return PGCDC_OK;
}

pgcdc_code pgcdc_cron_parse(const char *expr, pgcdc_cron **out, pgcdc_error *err)
{
    *out = NULL;
    parser p = {expr ? expr : "", err};
    char buf[256];
    size_t len = strlen(p.expr);
    if (len >= sizeof buf)
        return pgcdc_error_set(err, PGCDC_EINVAL, "cron expression \"%.*s...\" is too long (%zu characters, at most %zu)",
                               PGCDC_UTF8_PREC(p.expr, 60), p.expr, len, sizeof buf - 1);
    for (size_t i = 0; i <= len; i++)
        buf[i] = (char)toupper((unsigned char)p.expr[i]);

    char *fld[8];
    int nf = 0;
    for (char *s = buf;;) {
        while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
            *s++ = '\0';
        if (!*s)
            break;
        if (nf == 8)
            break;
        fld[nf++] = s;
        while (*s && *s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
            s++;
    }
    if (nf < 6 || nf > 7) {
        const char *hint = nf == 5 ? " (this looks like a 5-field Unix cron: Quartz puts seconds first and needs '?' in "
                                     "day-of-month or day-of-week, so \"*/5 * * * *\" becomes \"0 */5 * * * ?\")"
                                   : "";
        return pgcdc_error_set(err, PGCDC_EINVAL,
                               "cron expression \"%.*s\" has %s%d field%s; a Quartz expression has 6 or 7: seconds "
                               "minutes hours day-of-month month day-of-week [year], e.g. \"0 0/15 * * * ?\" (every "
                               "15 minutes) or \"* * * * * ?\" (continuously)%s",
                               PGCDC_UTF8_PREC(p.expr, 200), p.expr, nf > 7 ? "more than " : "", nf > 7 ? 7 : nf, nf == 1 ? "" : "s", hint);
    }
    pgcdc_cron *c = calloc(1, sizeof *c);
    if (!c)
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory parsing a cron expression");
    pgcdc_code rc = parse_fields(&p, fld, nf, c);
    if (rc == PGCDC_OK && !cron_fires_ever(c))
        /* Quartz refuses to schedule such a trigger; a merge schedule that
         * never fires would let the journals grow without bound */
        rc = pgcdc_error_set(err, PGCDC_EINVAL,
                             "cron expression \"%.200s\" never fires: no date matches its day-of-month, month, "
                             "day-of-week and year fields together (such as 30 FEB, 31 APR, or 29 FEB in years "
                             "without a leap year); e.g. \"0 0 0 L 2 ?\" fires on the last day of February",
                             p.expr);
    if (rc != PGCDC_OK) {
        free(c);
        return rc;
    }
    *out = c;
    return PGCDC_OK;
}

void pgcdc_cron_free(pgcdc_cron *cron)
{
    free(cron);
}

bool pgcdc_cron_is_continuous(const pgcdc_cron *cron)
{
    return cron && cron->continuous;
}
