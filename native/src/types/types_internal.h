/* types_internal.h - shared pieces of native/src/types: the built-in type
 * table, date/time arithmetic, the per-class text converters and small
 * append helpers. Not installed. */
#ifndef PGCDC_TYPES_INTERNAL_H
#define PGCDC_TYPES_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "pgcdc/types.h"

/* ---- built-in types (builtin.c) ---- */

#define PGCDC_FIRST_USER_OID 16384u /* FirstNormalObjectId: user/extension types start here */

/* In the PostgreSQL dialect the type is carried as text: its values name
 * objects that need not exist in the destination (reg*, aclitem) or it has
 * no input function (pg_node_tree, gtsvector). */
#define PGCDC_BT_PG_AS_TEXT 0x01

typedef struct pgcdc_builtin_type {
    uint32_t oid;
    uint32_t array_oid;
    const char *typname;   /* pg_type.typname */
    const char *spelling;  /* format_type() spelling without a typmod */
    char typtype;
    char delim;            /* typdelim */
    pgcdc_value_class vclass;
    uint8_t flags;
} pgcdc_builtin_type;

const pgcdc_builtin_type *pgcdc_builtin_by_oid(uint32_t oid);
const pgcdc_builtin_type *pgcdc_builtin_by_array_oid(uint32_t array_oid);

/* Well-known OIDs the converters dispatch on. */
enum {
    OID_BOOL = 16, OID_BYTEA = 17, OID_CHAR = 18, OID_NAME = 19, OID_INT8 = 20, OID_INT2 = 21,
    OID_INT4 = 23, OID_TEXT = 25, OID_OID = 26, OID_JSON = 114, OID_XML = 142, OID_BOX = 603,
    OID_FLOAT4 = 700, OID_FLOAT8 = 701, OID_MONEY = 790, OID_BPCHAR = 1042, OID_VARCHAR = 1043,
    OID_DATE = 1082, OID_TIME = 1083, OID_TIMESTAMP = 1114, OID_TIMESTAMPTZ = 1184,
    OID_INTERVAL = 1186, OID_TIMETZ = 1266, OID_BIT = 1560, OID_VARBIT = 1562, OID_NUMERIC = 1700,
    OID_UUID = 2950, OID_JSONB = 3802
};

/* numeric typmod -> precision/scale (scale may be negative or > precision on 15+).
 * Returns false for -1 (unconstrained). */
bool pgcdc_numeric_typmod(int32_t typmod, int *precision, int *scale);

/* ---- append helpers ---- */

/* Reserve then write through a raw pointer: one capacity check per value. */
static inline char *pgcdc_out_begin(pgcdc_buf *b, size_t max)
{
    if (pgcdc_buf_reserve(b, max) != 0)
        return NULL;
    return b->data + b->len;
}
static inline void pgcdc_out_end(pgcdc_buf *b, char *w)
{
    b->len = (size_t)(w - b->data);
    b->data[b->len] = '\0';
}
/* Writes v with at least width digits (zero padded); returns the new end. */
char *pgcdc_put_uint(char *w, uint64_t v, int width);
/* Writes the 6-digit microsecond fraction with trailing zeros removed, with
 * its '.', or nothing when usec is 0 (PostgreSQL's own style). */
char *pgcdc_put_fraction(char *w, uint32_t usec);

pgcdc_code pgcdc_out_nomem(pgcdc_error *err);
/* "'abc...'" for messages: at most 40 bytes of the value, non-printing bytes as '?'. */
void pgcdc_quote_for_message(const char *s, size_t n, char *dst, size_t dstlen);
pgcdc_code pgcdc_bad_value(pgcdc_error *err, const char *what, const char *s, size_t n, const char *hint);

/* Appends s as a JSON string (quotes included). */
int pgcdc_json_string(pgcdc_buf *out, const char *s, size_t n);
/* The same for an element of array text whose backslashes escape the next byte. */
int pgcdc_json_string_from(pgcdc_buf *out, const char *s, size_t n, bool backslash_escaped);

/* ---- date/time (datetime.c) ---- */

#define PGCDC_USECS_PER_DAY 86400000000LL
#define PGCDC_POSTGRES_EPOCH_JDATE 2451545 /* 2000-01-01 */

/* Julian day numbers of the proleptic Gregorian calendar; year is astronomical (0 = 1 BC). */
int64_t pgcdc_date2j(int64_t year, int month, int day);
void pgcdc_j2date(int64_t jd, int64_t *year, int *month, int *day);

typedef struct pgcdc_tm {
    int64_t year;  /* astronomical: 1 BC = 0, 2 BC = -1 */
    int month, day;
    int hour, min, sec;
    uint32_t usec;
    int32_t tz;    /* offset in seconds EAST of UTC (as written: "+05:30" = 19800) */
} pgcdc_tm;

/* Parsers of PostgreSQL's ISO output. Return 1 for "infinity", -1 for
 * "-infinity", 0 for a value, -2 when the text is malformed. */
int pgcdc_parse_date(const char *s, size_t n, pgcdc_tm *tm);
int pgcdc_parse_timestamp(const char *s, size_t n, bool with_tz, pgcdc_tm *tm);
int pgcdc_parse_time(const char *s, size_t n, bool with_tz, pgcdc_tm *tm);

/* Formatters of PostgreSQL's ISO output from binary values (dst >= 64 bytes,
 * interval >= 96); return the length. */
size_t pgcdc_format_date(int32_t days, char *dst);
size_t pgcdc_format_timestamp(int64_t us, bool with_tz, char *dst);
size_t pgcdc_format_time(int64_t us, char *dst);
size_t pgcdc_format_timetz(int64_t us, int32_t zone_west, char *dst);
size_t pgcdc_format_interval(int64_t us, int32_t days, int32_t months, char *dst);

/* ---- converters of one text value of a class (convert.c dispatches) ---- */

/* Each appends the literal of s[0..n) for column t (t->dialect decides the
 * form) and sets *placeholder when it substituted a placeholder. */
typedef pgcdc_code (*pgcdc_text_conv)(const pgcdc_dest_type *t, const char *s, size_t n, pgcdc_buf *out,
                                      bool *placeholder, pgcdc_error *err);

pgcdc_code pgcdc_conv_int(const pgcdc_dest_type *t, const char *s, size_t n, pgcdc_buf *out, bool *ph,
                          pgcdc_error *err);
pgcdc_code pgcdc_conv_numeric(const pgcdc_dest_type *t, const char *s, size_t n, pgcdc_buf *out, bool *ph,
                              pgcdc_error *err);
pgcdc_code pgcdc_conv_float(const pgcdc_dest_type *t, const char *s, size_t n, pgcdc_buf *out, bool *ph,
                            pgcdc_error *err);
pgcdc_code pgcdc_conv_money(const pgcdc_dest_type *t, const char *s, size_t n, pgcdc_buf *out, bool *ph,
                            pgcdc_error *err);
pgcdc_code pgcdc_conv_bool(const pgcdc_dest_type *t, const char *s, size_t n, pgcdc_buf *out, bool *ph,
                           pgcdc_error *err);
pgcdc_code pgcdc_conv_bytea(const pgcdc_dest_type *t, const char *s, size_t n, pgcdc_buf *out, bool *ph,
                            pgcdc_error *err);
pgcdc_code pgcdc_conv_date(const pgcdc_dest_type *t, const char *s, size_t n, pgcdc_buf *out, bool *ph,
                           pgcdc_error *err);
pgcdc_code pgcdc_conv_time(const pgcdc_dest_type *t, const char *s, size_t n, pgcdc_buf *out, bool *ph,
                           pgcdc_error *err);
pgcdc_code pgcdc_conv_timetz(const pgcdc_dest_type *t, const char *s, size_t n, pgcdc_buf *out, bool *ph,
                             pgcdc_error *err);
pgcdc_code pgcdc_conv_timestamp(const pgcdc_dest_type *t, const char *s, size_t n, pgcdc_buf *out,
                                bool *ph, pgcdc_error *err);
pgcdc_code pgcdc_conv_timestamptz(const pgcdc_dest_type *t, const char *s, size_t n, pgcdc_buf *out,
                                  bool *ph, pgcdc_error *err);
pgcdc_code pgcdc_conv_array(const pgcdc_dest_type *t, const char *s, size_t n, pgcdc_buf *out, bool *ph,
                            pgcdc_error *err);

/* One non-NULL array element (its plain text) as a JSON array item of a
 * Snowflake ARRAY column t (conv_array.c). */
pgcdc_code pgcdc_array_json_element(const pgcdc_dest_type *t, const char *s, size_t n, pgcdc_buf *out, bool *ph,
                                    pgcdc_error *err);

/* The converter of class c (text, other, interval, json: verbatim copy). */
pgcdc_text_conv pgcdc_text_conv_for(pgcdc_value_class c);

/* Numeric text: 1 NaN, 2 Infinity, 3 -Infinity, 0 a number (digits counted),
 * -1 malformed. */
int pgcdc_numeric_classify(const char *s, size_t n, int *int_digits, int *frac_digits);

/* ---- binary send format -> PostgreSQL text (binary.c) ---- */

/* Converts a binary value to the text PostgreSQL would have sent and runs the
 * text converter on it, so both paths give the same literal. */
pgcdc_code pgcdc_convert_binary(const pgcdc_dest_type *t, const char *s, size_t n, pgcdc_buf *out,
                                bool *ph, pgcdc_error *err);

#endif
