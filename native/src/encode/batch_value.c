/* batch_value.c - typed Value forms.
 *
 * A typed form is used only when it loses nothing: the reader who turns it
 * back into text (pgcdc_batch_value_get, or the same rules in Java) gets the
 * very bytes PostgreSQL sent. So every conversion is checked by formatting the
 * parsed value again and comparing with the input; anything unusual (leading
 * zeros, a '+', a float printed with extra_float_digits <= 0, which is not the
 * shortest form) simply stays text. Floats are printed by the library's one
 * float formatter (types/float_text.c), as batch_codec.c prints them back.
 */
#include "batch_value.h"

#include <locale.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "types/float_text.h"

/* ------------------------------------------------------------------ ints */

/* Canonical decimal (what int2out/int4out/int8out/oidout print) in [min, max]. */
static bool parse_canonical_int(const char *s, size_t len, int64_t min, int64_t max, int64_t *out)
{
    bool neg = len > 0 && s[0] == '-';
    size_t i = neg ? 1 : 0;
    size_t ndigits = len - i;
    if (ndigits == 0 || ndigits > 19)
        return false;
    if (s[i] == '0' && (ndigits > 1 || neg)) /* leading zero, or "-0" */
        return false;
    uint64_t v = 0;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0'); /* 19 digits cannot overflow uint64 */
    }
    if (neg) {
        if (v > (uint64_t)INT64_MAX + 1)
            return false;
        int64_t r = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
        if (r < min)
            return false;
        *out = r;
    } else {
        if (v > (uint64_t)max)
            return false;
        *out = (int64_t)v;
    }
    return true;
}

/* ---------------------------------------------------------------- floats */

/* PostgreSQL's text is parsed in the C locale whatever the host process (a
 * JVM, say) set: a ',' radix must not make "1.5" unparseable here. */
static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void c_locale_init(void)
{
    c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

/* The text is typed when it is what float4out/float8out print for the value
 * it reads as: formatting that value again must give back the same bytes. */
static bool make_double(const char *text, size_t len, bool float4, double *out)
{
    char buf[PGCDC_FLOAT_TEXT_MAX];
    if (len == 0 || len >= sizeof buf)
        return false;
    memcpy(buf, text, len);
    buf[len] = '\0';
    pthread_once(&c_locale_once, c_locale_init);
    if (!c_locale)
        return false;
    char *end;
    double d = float4 ? (double)strtof_l(buf, &end, c_locale) : strtod_l(buf, &end, c_locale);
    if (end != buf + len)
        return false;
    char again[PGCDC_FLOAT_TEXT_MAX];
    if (pgcdc_format_float(d, float4, again) != len || memcmp(again, text, len) != 0)
        return false;
    *out = d;
    return true;
}

/* ----------------------------------------------------------------- entry */

bool batch_value_make_typed(uint32_t type_oid, const char *text, size_t len, Pgcdc__V1__Value *v)
{
    int64_t i;
    double d;
    switch (type_oid) {
    case BATCH_INT2OID:
        if (!parse_canonical_int(text, len, INT16_MIN, INT16_MAX, &i))
            return false;
        break;
    case BATCH_INT4OID:
        if (!parse_canonical_int(text, len, INT32_MIN, INT32_MAX, &i))
            return false;
        break;
    case BATCH_INT8OID:
        if (!parse_canonical_int(text, len, INT64_MIN, INT64_MAX, &i))
            return false;
        break;
    case BATCH_OIDOID:
        if (!parse_canonical_int(text, len, 0, UINT32_MAX, &i))
            return false;
        break;
    case BATCH_FLOAT4OID:
    case BATCH_FLOAT8OID:
        if (!make_double(text, len, type_oid == BATCH_FLOAT4OID, &d))
            return false;
        v->kind_case = PGCDC__V1__VALUE__KIND_DOUBLE_VALUE;
        v->double_value = d;
        return true;
    case BATCH_BOOLOID:
        if (len != 1 || (text[0] != 't' && text[0] != 'f'))
            return false;
        v->kind_case = PGCDC__V1__VALUE__KIND_BOOL_VALUE;
        v->bool_value = text[0] == 't';
        return true;
    default:
        return false;
    }
    v->kind_case = PGCDC__V1__VALUE__KIND_INT64_VALUE;
    v->int64_value = i;
    return true;
}
