/* datetime.c - the calendar arithmetic, parsers of PostgreSQL's ISO date/time
 * output and formatters of the same output from binary values. Hand-written
 * (no sscanf/strftime): this runs once per date/time value. */
#include "types_internal.h"

#include <stdlib.h>

/* PostgreSQL's date2j/j2date (src/backend/utils/adt/datetime.c): Julian day
 * numbers of the proleptic Gregorian calendar, widened to 64 bits so years
 * far outside PostgreSQL's range cannot overflow. */
int64_t pgcdc_date2j(int64_t year, int month, int day)
{
    int64_t y = year, m = month, julian, century;
    if (m > 2) {
        m += 1;
        y += 4800;
    } else {
        m += 13;
        y += 4799;
    }
    century = y / 100;
    julian = y * 365 - 32167;
    julian += y / 4 - century + century / 4;
    julian += 7834 * m / 256 + day;
    return julian;
}

void pgcdc_j2date(int64_t jd, int64_t *year, int *month, int *day)
{
    /* PostgreSQL computes this in unsigned 32 bits, valid for jd >= 0 (4714 BC).
     * Shift by whole 400-year cycles (146097 days) so that any jd works. */
    int64_t shift = 0;
    if (jd < 0) {
        int64_t cycles = (-jd) / 146097 + 1;
        jd += cycles * 146097;
        shift = cycles * 400;
    }
    uint64_t julian = (uint64_t)jd + 32044;
    uint64_t quad = julian / 146097;
    uint64_t extra = (julian - quad * 146097) * 4 + 3;
    julian += 60 + quad * 3 + extra / 146097;
    quad = julian / 1461;
    julian -= quad * 1461;
    int64_t y = (int64_t)(julian * 4 / 1461);
    julian = ((y != 0) ? ((julian + 305) % 365) : ((julian + 306) % 366)) + 123;
    y += (int64_t)quad * 4;
    *year = y - 4800 - shift;
    uint64_t q = julian * 2141 / 65536;
    *day = (int)(julian - 7834 * q / 256);
    *month = (int)((q + 10) % 12 + 1);
}

/* ---- parsing ---- */

/* Reads exactly k digits. */
static bool digits_n(const char **p, const char *end, int k, int *v)
{
    if (end - *p < k)
        return false;
    int x = 0;
    for (int i = 0; i < k; i++) {
        unsigned d = (unsigned char)(*p)[i] - '0';
        if (d > 9)
            return false;
        x = x * 10 + (int)d;
    }
    *p += k;
    *v = x;
    return true;
}

static int infinity_kind(const char *s, size_t n)
{
    if (n == 8 && memcmp(s, "infinity", 8) == 0)
        return 1;
    if (n == 9 && memcmp(s, "-infinity", 9) == 0)
        return -1;
    return 0;
}

/* " BC" at the very end: strips it and returns true. */
static bool strip_bc(const char *s, size_t *n)
{
    if (*n >= 3 && memcmp(s + *n - 3, " BC", 3) == 0) {
        *n -= 3;
        return true;
    }
    return false;
}

/* YYYY[Y...]-MM-DD: at least 4 year digits (PostgreSQL pads), at most 9. */
static bool parse_ymd(const char **p, const char *end, pgcdc_tm *tm)
{
    const char *q = *p;
    int64_t y = 0;
    int nd = 0;
    while (q < end && *q >= '0' && *q <= '9' && nd < 10) {
        y = y * 10 + (*q - '0');
        q++;
        nd++;
    }
    if (nd < 4 || nd > 9 || q >= end || *q != '-')
        return false;
    q++;
    if (!digits_n(&q, end, 2, &tm->month) || q >= end || *q != '-')
        return false;
    q++;
    if (!digits_n(&q, end, 2, &tm->day))
        return false;
    if (tm->month < 1 || tm->month > 12 || tm->day < 1 || tm->day > 31)
        return false;
    tm->year = y;
    *p = q;
    return true;
}

/* HH:MM:SS[.f{1,6}] */
static bool parse_hms(const char **p, const char *end, pgcdc_tm *tm)
{
    const char *q = *p;
    if (!digits_n(&q, end, 2, &tm->hour) || q >= end || *q++ != ':' || !digits_n(&q, end, 2, &tm->min)
        || q >= end || *q++ != ':' || !digits_n(&q, end, 2, &tm->sec))
        return false;
    tm->usec = 0;
    if (q < end && *q == '.') {
        q++;
        uint32_t f = 0;
        int nd = 0;
        while (q < end && *q >= '0' && *q <= '9') {
            if (nd == 6)
                return false;
            f = f * 10 + (uint32_t)(*q - '0');
            q++;
            nd++;
        }
        if (nd == 0)
            return false;
        while (nd++ < 6)
            f *= 10;
        tm->usec = f;
    }
    if (tm->hour > 24 || tm->min > 59 || tm->sec > 60)
        return false;
    *p = q;
    return true;
}

/* +HH[:MM[:SS]] -> seconds east */
static bool parse_tz(const char **p, const char *end, int32_t *tz)
{
    const char *q = *p;
    if (q >= end || (*q != '+' && *q != '-'))
        return false;
    int sign = *q++ == '-' ? -1 : 1;
    int h = 0, m = 0, s = 0;
    if (!digits_n(&q, end, 2, &h))
        return false;
    if (q < end && *q == ':') {
        q++;
        if (!digits_n(&q, end, 2, &m))
            return false;
        if (q < end && *q == ':') {
            q++;
            if (!digits_n(&q, end, 2, &s))
                return false;
        }
    }
    *tz = sign * (h * 3600 + m * 60 + s);
    *p = q;
    return true;
}

int pgcdc_parse_date(const char *s, size_t n, pgcdc_tm *tm)
{
    int inf = infinity_kind(s, n);
    if (inf)
        return inf;
    bool bc = strip_bc(s, &n);
    const char *p = s, *end = s + n;
    memset(tm, 0, sizeof *tm);
    if (!parse_ymd(&p, end, tm) || p != end)
        return -2;
    if (bc)
        tm->year = 1 - tm->year;
    return 0;
}

int pgcdc_parse_timestamp(const char *s, size_t n, bool with_tz, pgcdc_tm *tm)
{
    int inf = infinity_kind(s, n);
    if (inf)
        return inf;
    bool bc = strip_bc(s, &n);
    const char *p = s, *end = s + n;
    memset(tm, 0, sizeof *tm);
    if (!parse_ymd(&p, end, tm) || p >= end || *p++ != ' ' || !parse_hms(&p, end, tm))
        return -2;
    if (with_tz && !parse_tz(&p, end, &tm->tz))
        return -2;
    if (p != end)
        return -2;
    if (bc)
        tm->year = 1 - tm->year;
    return 0;
}

int pgcdc_parse_time(const char *s, size_t n, bool with_tz, pgcdc_tm *tm)
{
    const char *p = s, *end = s + n;
    memset(tm, 0, sizeof *tm);
    if (!parse_hms(&p, end, tm))
        return -2;
    if (with_tz && !parse_tz(&p, end, &tm->tz))
        return -2;
    return p == end ? 0 : -2;
}

/* ---- formatting (PostgreSQL's EncodeDateTime & co. for DateStyle=ISO) ---- */

char *pgcdc_put_uint(char *w, uint64_t v, int width)
{
    char tmp[24];
    int k = 0;
    do {
        tmp[k++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (k < width)
        tmp[k++] = '0';
    while (k)
        *w++ = tmp[--k];
    return w;
}

char *pgcdc_put_fraction(char *w, uint32_t usec)
{
    if (usec == 0)
        return w;
    int digits = 6;
    while (usec % 10 == 0) {
        usec /= 10;
        digits--;
    }
    *w++ = '.';
    return pgcdc_put_uint(w, usec, digits);
}

/* astronomical year -> "YYYY-MM-DD" with PostgreSQL's " BC" handled by the caller */
static char *put_ymd(char *w, int64_t year, int month, int day)
{
    uint64_t y = year > 0 ? (uint64_t)year : (uint64_t)(1 - year);
    w = pgcdc_put_uint(w, y, 4);
    *w++ = '-';
    w = pgcdc_put_uint(w, (uint64_t)month, 2);
    *w++ = '-';
    return pgcdc_put_uint(w, (uint64_t)day, 2);
}

static char *put_hms(char *w, int64_t us_of_day)
{
    int64_t secs = us_of_day / 1000000;
    w = pgcdc_put_uint(w, (uint64_t)(secs / 3600), 2);
    *w++ = ':';
    w = pgcdc_put_uint(w, (uint64_t)(secs / 60 % 60), 2);
    *w++ = ':';
    w = pgcdc_put_uint(w, (uint64_t)(secs % 60), 2);
    return pgcdc_put_fraction(w, (uint32_t)(us_of_day % 1000000));
}

/* EncodeTimezone: tz in seconds WEST; "+HH", "+HH:MM" or "+HH:MM:SS" */
static char *put_tz_west(char *w, int32_t tz)
{
    int32_t a = abs(tz);
    *w++ = tz <= 0 ? '+' : '-';
    w = pgcdc_put_uint(w, (uint64_t)(a / 3600), 2);
    if (a % 3600) {
        *w++ = ':';
        w = pgcdc_put_uint(w, (uint64_t)(a / 60 % 60), 2);
        if (a % 60) {
            *w++ = ':';
            w = pgcdc_put_uint(w, (uint64_t)(a % 60), 2);
        }
    }
    return w;
}

size_t pgcdc_format_date(int32_t days, char *dst)
{
    if (days == INT32_MIN || days == INT32_MAX) {
        const char *s = days == INT32_MAX ? "infinity" : "-infinity";
        size_t n = strlen(s);
        memcpy(dst, s, n);
        return n;
    }
    int64_t y;
    int m, d;
    pgcdc_j2date((int64_t)days + PGCDC_POSTGRES_EPOCH_JDATE, &y, &m, &d);
    char *w = put_ymd(dst, y, m, d);
    if (y <= 0) {
        memcpy(w, " BC", 3);
        w += 3;
    }
    return (size_t)(w - dst);
}

size_t pgcdc_format_timestamp(int64_t us, bool with_tz, char *dst)
{
    if (us == INT64_MIN || us == INT64_MAX) {
        const char *s = us == INT64_MAX ? "infinity" : "-infinity";
        size_t n = strlen(s);
        memcpy(dst, s, n);
        return n;
    }
    /* floor division: times before 2000 have a negative microsecond count */
    int64_t day = us / PGCDC_USECS_PER_DAY, tod = us % PGCDC_USECS_PER_DAY;
    if (tod < 0) {
        tod += PGCDC_USECS_PER_DAY;
        day--;
    }
    int64_t y;
    int m, d;
    pgcdc_j2date(day + PGCDC_POSTGRES_EPOCH_JDATE, &y, &m, &d);
    char *w = put_ymd(dst, y, m, d);
    *w++ = ' ';
    w = put_hms(w, tod);
    if (with_tz) /* the session time zone is UTC (types.h) */
        w = put_tz_west(w, 0);
    if (y <= 0) {
        memcpy(w, " BC", 3);
        w += 3;
    }
    return (size_t)(w - dst);
}

size_t pgcdc_format_time(int64_t us, char *dst)
{
    return (size_t)(put_hms(dst, us) - dst);
}

size_t pgcdc_format_timetz(int64_t us, int32_t zone_west, char *dst)
{
    char *w = put_hms(dst, us);
    return (size_t)(put_tz_west(w, zone_west) - dst);
}

/* AddPostgresIntPart: " +1 year" style parts; the '+' appears only right
 * after a negative part (is_before), exactly as PostgreSQL prints it. */
static char *interval_part(char *w, int64_t v, const char *unit, bool *is_zero, bool *is_before)
{
    if (v == 0)
        return w;
    if (!*is_zero)
        *w++ = ' ';
    if (*is_before && v > 0)
        *w++ = '+';
    if (v < 0) {
        *w++ = '-';
        w = pgcdc_put_uint(w, (uint64_t)0 - (uint64_t)v, 1);
    } else {
        w = pgcdc_put_uint(w, (uint64_t)v, 1);
    }
    *w++ = ' ';
    size_t ul = strlen(unit);
    memcpy(w, unit, ul);
    w += ul;
    if (v != 1)
        *w++ = 's';
    *is_before = v < 0;
    *is_zero = false;
    return w;
}

/* EncodeInterval for IntervalStyle=postgres. */
size_t pgcdc_format_interval(int64_t us, int32_t days, int32_t months, char *dst)
{
    /* PostgreSQL 17+: infinite intervals have every field at its extreme */
    if (us == INT64_MAX && days == INT32_MAX && months == INT32_MAX) {
        memcpy(dst, "infinity", 8);
        return 8;
    }
    if (us == INT64_MIN && days == INT32_MIN && months == INT32_MIN) {
        memcpy(dst, "-infinity", 9);
        return 9;
    }
    char *w = dst;
    bool is_zero = true, is_before = false;
    /* C division truncates toward zero, like PostgreSQL's interval2itm */
    w = interval_part(w, months / 12, "year", &is_zero, &is_before);
    w = interval_part(w, months % 12, "mon", &is_zero, &is_before);
    w = interval_part(w, days, "day", &is_zero, &is_before);
    int64_t hour = us / 3600000000LL;
    int64_t rem = us % 3600000000LL;
    int64_t min = rem / 60000000LL;
    rem %= 60000000LL;
    int64_t sec = rem / 1000000, fsec = rem % 1000000;
    if (is_zero || hour != 0 || min != 0 || sec != 0 || fsec != 0) {
        bool minus = hour < 0 || min < 0 || sec < 0 || fsec < 0;
        if (!is_zero)
            *w++ = ' ';
        if (minus)
            *w++ = '-';
        else if (is_before)
            *w++ = '+';
        w = pgcdc_put_uint(w, (uint64_t)(hour < 0 ? -hour : hour), 2);
        *w++ = ':';
        w = pgcdc_put_uint(w, (uint64_t)(min < 0 ? -min : min), 2);
        *w++ = ':';
        w = pgcdc_put_uint(w, (uint64_t)(sec < 0 ? -sec : sec), 2);
        w = pgcdc_put_fraction(w, (uint32_t)(fsec < 0 ? -fsec : fsec));
    }
    return (size_t)(w - dst);
}
