/* conv_datetime.c - date, time, timetz, timestamp, timestamptz text values.
 *
 * PostgreSQL dialect: the value is validated and kept exactly (infinity, BC,
 * year 294276 all exist there). Snowflake: values outside what Snowflake
 * holds become the edge placeholders Openflow documents (docs/types.md):
 *   date         -9999-01-01 ... 9999-12-31
 *   timestamp    0001-01-01 00:00:00 ... 9999-12-31 23:59:59.999999999
 *   timestamptz  the same with +00:00 (values are written in UTC)
 * and +-infinity becomes the respective edge. */
#include "types_internal.h"

#include <stdlib.h>

#define SF_DATE_LOW "-9999-01-01"
#define SF_DATE_HIGH "9999-12-31"
#define SF_TS_LOW "0001-01-01 00:00:00"
#define SF_TS_HIGH "9999-12-31 23:59:59.999999999"
#define SF_TSTZ_LOW "0001-01-01 00:00:00+00:00"
#define SF_TSTZ_HIGH "9999-12-31 23:59:59.999999999+00:00"
#define SF_TIME_HIGH "23:59:59.999999999"

static pgcdc_code put_str(pgcdc_buf *out, const char *s, size_t n, pgcdc_error *err)
{
    return pgcdc_buf_append(out, s, n) == 0 ? PGCDC_OK : pgcdc_out_nomem(err);
}

static pgcdc_code put_placeholder(pgcdc_buf *out, const char *s, bool *ph, pgcdc_error *err)
{
    *ph = true;
    return put_str(out, s, strlen(s), err);
}

/* Snowflake date text: ISO 8601 with a signed astronomical year (1 BC = 0000,
 * 4713 BC = -4712), as Snowflake reads "-9999-01-01". */
static char *put_sf_ymd(char *w, int64_t year, int month, int day)
{
    if (year < 0)
        *w++ = '-';
    w = pgcdc_put_uint(w, (uint64_t)(year < 0 ? -year : year), 4);
    *w++ = '-';
    w = pgcdc_put_uint(w, (uint64_t)month, 2);
    *w++ = '-';
    return pgcdc_put_uint(w, (uint64_t)day, 2);
}

static char *put_sf_hms(char *w, int hour, int min, int sec, uint32_t usec)
{
    w = pgcdc_put_uint(w, (uint64_t)hour, 2);
    *w++ = ':';
    w = pgcdc_put_uint(w, (uint64_t)min, 2);
    *w++ = ':';
    w = pgcdc_put_uint(w, (uint64_t)sec, 2);
    return pgcdc_put_fraction(w, usec);
}

/* "+05:30" from minutes east */
static char *put_sf_offset(char *w, int32_t minutes)
{
    *w++ = minutes < 0 ? '-' : '+';
    int32_t a = abs(minutes);
    w = pgcdc_put_uint(w, (uint64_t)(a / 60), 2);
    *w++ = ':';
    return pgcdc_put_uint(w, (uint64_t)(a % 60), 2);
}

static pgcdc_code malformed(pgcdc_error *err, const char *what, const char *s, size_t n)
{
    return pgcdc_bad_value(err, what, s, n, "set DateStyle=ISO on the source session");
}

pgcdc_code pgcdc_conv_date(const pgcdc_dest_type *t, const char *s, size_t n, pgcdc_buf *out, bool *ph,
                           pgcdc_error *err)
{
    pgcdc_tm tm;
    int k = pgcdc_parse_date(s, n, &tm);
    if (k == -2)
        return malformed(err, "date", s, n);
    if (t->dialect == PGCDC_DIALECT_POSTGRES)
        return put_str(out, s, n, err);
    if (k == 1 || (k == 0 && tm.year > 9999))
        return put_placeholder(out, SF_DATE_HIGH, ph, err);
    if (k == -1 || tm.year < -9999)
        return put_placeholder(out, SF_DATE_LOW, ph, err);
    char *w = pgcdc_out_begin(out, 16);
    if (!w)
        return pgcdc_out_nomem(err);
    pgcdc_out_end(out, put_sf_ymd(w, tm.year, tm.month, tm.day));
    return PGCDC_OK;
}

pgcdc_code pgcdc_conv_timestamp(const pgcdc_dest_type *t, const char *s, size_t n, pgcdc_buf *out, bool *ph,
                                pgcdc_error *err)
{
    pgcdc_tm tm;
    int k = pgcdc_parse_timestamp(s, n, false, &tm);
    if (k == -2)
        return malformed(err, "timestamp", s, n);
    if (t->dialect == PGCDC_DIALECT_POSTGRES)
        return put_str(out, s, n, err);
    if (k == 1 || (k == 0 && tm.year > 9999))
        return put_placeholder(out, SF_TS_HIGH, ph, err);
    if (k == -1 || tm.year < 1)
        return put_placeholder(out, SF_TS_LOW, ph, err);
    char *w = pgcdc_out_begin(out, 32);
    if (!w)
        return pgcdc_out_nomem(err);
    w = put_sf_ymd(w, tm.year, tm.month, tm.day);
    *w++ = ' ';
    pgcdc_out_end(out, put_sf_hms(w, tm.hour, tm.min, tm.sec, tm.usec));
    return PGCDC_OK;
}

pgcdc_code pgcdc_conv_timestamptz(const pgcdc_dest_type *t, const char *s, size_t n, pgcdc_buf *out,
                                  bool *ph, pgcdc_error *err)
{
    pgcdc_tm tm;
    int k = pgcdc_parse_timestamp(s, n, true, &tm);
    if (k == -2)
        return malformed(err, "timestamptz", s, n);
    if (t->dialect == PGCDC_DIALECT_POSTGRES)
        return put_str(out, s, n, err);
    if (k == 1)
        return put_placeholder(out, SF_TSTZ_HIGH, ph, err);
    if (k == -1)
        return put_placeholder(out, SF_TSTZ_LOW, ph, err);
    /* Normalise to UTC: a TIMESTAMP_LTZ stores the instant only, and the
     * session may not be in UTC (offsets such as -04:56:02 have seconds,
     * which Snowflake offsets cannot express). */
    int64_t day = pgcdc_date2j(tm.year, tm.month, tm.day);
    int64_t tod = ((int64_t)tm.hour * 3600 + tm.min * 60 + tm.sec - tm.tz) * 1000000 + tm.usec;
    while (tod < 0) {
        tod += PGCDC_USECS_PER_DAY;
        day--;
    }
    while (tod >= PGCDC_USECS_PER_DAY) {
        tod -= PGCDC_USECS_PER_DAY;
        day++;
    }
    int64_t y;
    int m, d;
    pgcdc_j2date(day, &y, &m, &d);
    if (y > 9999)
        return put_placeholder(out, SF_TSTZ_HIGH, ph, err);
    if (y < 1)
        return put_placeholder(out, SF_TSTZ_LOW, ph, err);
    char *w = pgcdc_out_begin(out, 40);
    if (!w)
        return pgcdc_out_nomem(err);
    w = put_sf_ymd(w, y, m, d);
    *w++ = ' ';
    int64_t secs = tod / 1000000;
    w = put_sf_hms(w, (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60), (uint32_t)(tod % 1000000));
    pgcdc_out_end(out, put_sf_offset(w, 0));
    return PGCDC_OK;
}

pgcdc_code pgcdc_conv_time(const pgcdc_dest_type *t, const char *s, size_t n, pgcdc_buf *out, bool *ph,
                           pgcdc_error *err)
{
    pgcdc_tm tm;
    if (pgcdc_parse_time(s, n, false, &tm) != 0 || (tm.hour == 24 && (tm.min || tm.sec || tm.usec)))
        return malformed(err, "time", s, n);
    if (t->dialect == PGCDC_DIALECT_POSTGRES)
        return put_str(out, s, n, err);
    /* PostgreSQL allows 24:00:00; Snowflake's TIME ends at 23:59:59.999999999 */
    if (tm.hour == 24)
        return put_placeholder(out, SF_TIME_HIGH, ph, err);
    char *w = pgcdc_out_begin(out, 24);
    if (!w)
        return pgcdc_out_nomem(err);
    pgcdc_out_end(out, put_sf_hms(w, tm.hour, tm.min, tm.sec, tm.usec));
    return PGCDC_OK;
}

/* timetz -> Snowflake TIMESTAMP_TZ on 1970-01-01 with the same offset. An
 * offset with seconds (-09:30:15, historic local mean times) is cut to whole
 * minutes and the wall time moved by the cut seconds, so the instant is
 * exact; 24:00:00 and such moves carry into the next (or previous) day. */
pgcdc_code pgcdc_conv_timetz(const pgcdc_dest_type *t, const char *s, size_t n, pgcdc_buf *out, bool *ph,
                             pgcdc_error *err)
{
    pgcdc_tm tm;
    if (pgcdc_parse_time(s, n, true, &tm) != 0 || (tm.hour == 24 && (tm.min || tm.sec || tm.usec)))
        return malformed(err, "timetz", s, n);
    if (t->dialect == PGCDC_DIALECT_POSTGRES)
        return put_str(out, s, n, err);
    int32_t tz_min = tm.tz / 60; /* truncates toward zero */
    int32_t cut = tm.tz - tz_min * 60;
    int64_t tod = ((int64_t)tm.hour * 3600 + tm.min * 60 + tm.sec - cut) * 1000000 + tm.usec;
    int64_t day = pgcdc_date2j(1970, 1, 1);
    if (tod < 0) {
        tod += PGCDC_USECS_PER_DAY;
        day--;
    } else if (tod >= PGCDC_USECS_PER_DAY) {
        tod -= PGCDC_USECS_PER_DAY;
        day++;
    }
    int64_t y;
    int m, d;
    pgcdc_j2date(day, &y, &m, &d);
    char *w = pgcdc_out_begin(out, 40);
    if (!w)
        return pgcdc_out_nomem(err);
    w = put_sf_ymd(w, y, m, d);
    *w++ = ' ';
    int64_t secs = tod / 1000000;
    w = put_sf_hms(w, (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60), (uint32_t)(tod % 1000000));
    pgcdc_out_end(out, put_sf_offset(w, tz_min));
    return PGCDC_OK;
}
