/* batch_value.c - typed Value forms.
 *
 * A typed form is used only when it loses nothing: the reader who turns it
 * back into text (pgcdc_batch_value_get, or the same rules in Java) gets the
 * very bytes PostgreSQL sent. So every conversion is checked by formatting the
 * parsed value again and comparing with the input; anything unusual (leading
 * zeros, a '+', a float printed with extra_float_digits <= 0, which is not the
 * shortest form) simply stays text. No libm: the library does not link it.
 */
#include "batch_value.h"

#include <float.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Digits (leading zeros skipped, trailing ones dropped, at most cap - 1) and
 * decimal exponent of the first digit, from printf's %e form ("-1.2345e+05";
 * the radix may be locale-specific). Returns the digit count. */
static int e_form_digits(const char *s, char *digits, int cap, int *exp10)
{
    int n = 0;
    const char *c = s;
    for (; *c && *c != 'e'; c++)
        if (*c >= '0' && *c <= '9' && (n > 0 || *c != '0') && n < cap - 1)
            digits[n++] = *c;
    *exp10 = *c == 'e' ? atoi(c + 1) : 0;
    while (n > 0 && digits[n - 1] == '0')
        n--;
    digits[n] = '\0';
    return n;
}

/* Is the decimal s (in %e form) exactly the value x? glibc prints exact
 * digits at any precision; 1100 covers the longest midpoint between doubles. */
static bool same_value(const char *s, long double x)
{
    static _Thread_local char big[1200], big_digits[1200];
    char digits[24];
    int es, ex;
    snprintf(big, sizeof big, "%.1100Le", x);
    int ns = e_form_digits(s, digits, sizeof digits, &es);
    int nx = e_form_digits(big, big_digits, sizeof big_digits, &ex);
    return ns == nx && es == ex && memcmp(digits, big_digits, (size_t)ns) == 0;
}

/* The next float or double below (dir -1) or above (+1) a finite, non-zero d:
 * one step of the bit pattern (toward or away from zero by d's sign).
 * Done by hand so that the library needs no libm. */
static long double neighbour(double d, bool float4, int dir)
{
    int away = (d > 0) == (dir > 0) ? 1 : -1; /* away from zero: magnitude up */
    if (float4) {
        float f = (float)d;
        uint32_t bits;
        memcpy(&bits, &f, sizeof bits);
        bits = away > 0 ? bits + 1 : bits - 1;
        memcpy(&f, &bits, sizeof f);
        return f;
    }
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    bits = away > 0 ? bits + 1 : bits - 1;
    memcpy(&d, &bits, sizeof d);
    return d;
}

/* Does the decimal s read back as d, the way PostgreSQL's Ryu accepts it? Ryu
 * there is built without STRICTLY_SHORTEST: a decimal lying exactly halfway
 * to a neighbour does not count, though strtod's round-half-even may map it
 * to d. The midpoints are exact in long double (64-bit mantissa on x86-64,
 * 113 on aarch64); with less, more values just stay text. */
static bool round_trips(const char *s, double d, bool float4)
{
    /* s comes from snprintf in the current locale: parse it in that locale too. */
    if (float4 ? strtof(s, NULL) != (float)d : strtod(s, NULL) != d)
        return false;
    long double x = strtold(s, NULL);
    long double lo = ((long double)d + neighbour(d, float4, -1)) / 2;
    long double hi = ((long double)d + neighbour(d, float4, +1)) / 2;
    /* strtold is exact when s is a midpoint: only then look closer */
    if (x != lo && x != hi)
        return true;
    return !same_value(s, x);
}

/* The shortest decimal digits that read back as d: digits (no leading or
 * trailing zeros) and the decimal exponent of the first digit.
 *
 * Any decimal of up to DBL_DIG (FLT_DIG) digits survives a trip through a
 * normal double (float), so distinct short decimals map to distinct values:
 * if the nearest DIG-digit decimal reads back as d, it is (after dropping
 * trailing zeros) the only short one that does, hence the shortest; if it does
 * not, no shorter one does. Subnormals have fewer digits of precision: search
 * from one digit. */
static int shortest_digits(double d, bool float4, char digits[20], int *exp10)
{
    int dig = float4 ? FLT_DIG : DBL_DIG;
    int maxp = float4 ? 9 : 17;
    double mag = d < 0 ? -d : d;
    bool normal = mag >= (float4 ? (double)FLT_MIN : DBL_MIN);
    char tmp[48];
    int p = normal ? dig : 1;
    for (; p < maxp; p++) {
        snprintf(tmp, sizeof tmp, "%.*e", p - 1, d);
        if (round_trips(tmp, d, float4))
            break;
    }
    if (p >= maxp)
        snprintf(tmp, sizeof tmp, "%.*e", maxp - 1, d); /* always reads back */
    return e_form_digits(tmp, digits, 20, exp10);
}

/* PostgreSQL's layout of a float's decimal digits (Ryu's, like %g): fixed
 * notation for exponents -4 .. DIG-1, else d.ddde+XX. Returns the length. */
static int layout(char out[BATCH_FLOAT_TEXT_MAX], bool neg, const char *digits, int n, int exp, bool float4)
{
    char *o = out;
    if (neg)
        *o++ = '-';
    if (exp >= -4 && exp < (float4 ? FLT_DIG : DBL_DIG)) {
        if (exp < 0) {
            *o++ = '0';
            *o++ = '.';
            for (int i = -1; i > exp; i--)
                *o++ = '0';
            memcpy(o, digits, (size_t)n);
            o += n;
        } else {
            for (int i = 0; i <= exp; i++)
                *o++ = i < n ? digits[i] : '0';
            if (n > exp + 1) {
                *o++ = '.';
                memcpy(o, digits + exp + 1, (size_t)(n - exp - 1));
                o += n - exp - 1;
            }
        }
        *o = '\0';
        return (int)(o - out);
    }
    *o++ = digits[0];
    if (n > 1) {
        *o++ = '.';
        memcpy(o, digits + 1, (size_t)(n - 1));
        o += n - 1;
    }
    int len = (int)(o - out);
    return len + snprintf(o, (size_t)(BATCH_FLOAT_TEXT_MAX - len), "e%c%02d", exp < 0 ? '-' : '+',
                          exp < 0 ? -exp : exp);
}

int batch_float_format(double d, bool float4, char out[BATCH_FLOAT_TEXT_MAX])
{
    if (isnan(d))
        return snprintf(out, BATCH_FLOAT_TEXT_MAX, "NaN");
    if (isinf(d))
        return snprintf(out, BATCH_FLOAT_TEXT_MAX, "%s", d > 0 ? "Infinity" : "-Infinity");
    if (d == 0)
        return snprintf(out, BATCH_FLOAT_TEXT_MAX, "%s", signbit(d) ? "-0" : "0");
    char digits[20];
    int exp;
    int n = shortest_digits(d, float4, digits, &exp);
    return layout(out, signbit(d) != 0, digits, n, exp, float4);
}

/* The significant digits (no leading or trailing zeros) and the exponent of
 * the first one of a decimal "[-]ddd[.ddd][e[+-]dd]"; false for anything else,
 * for zero, or for more than 17 significant digits. */
static bool decimal_parts(const char *t, size_t len, bool *neg, char digits[20], int *n, int *exp10)
{
    size_t i = 0;
    *neg = len > 0 && t[0] == '-';
    i = *neg ? 1 : 0;
    int nd = 0, point = -1, pos = 0, first = -1;
    bool any = false;
    for (; i < len && ((t[i] >= '0' && t[i] <= '9') || t[i] == '.'); i++) {
        if (t[i] == '.') {
            if (point >= 0)
                return false;
            point = pos;
            continue;
        }
        any = true;
        if (t[i] != '0' && first < 0)
            first = pos;
        if (first >= 0) {
            if (nd >= 17)
                return false;
            digits[nd++] = t[i];
        }
        pos++;
    }
    if (!any || first < 0)
        return false;
    int e = 0;
    if (i < len) {
        if (t[i] != 'e' && t[i] != 'E')
            return false;
        i++;
        bool eneg = i < len && t[i] == '-';
        if (i < len && (t[i] == '-' || t[i] == '+'))
            i++;
        if (i == len || len - i > 4)
            return false;
        for (; i < len; i++) {
            if (t[i] < '0' || t[i] > '9')
                return false;
            e = e * 10 + (t[i] - '0');
        }
        if (eneg)
            e = -e;
    }
    if (point < 0)
        point = pos;
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    digits[nd] = '\0';
    *n = nd;
    *exp10 = e + point - first - 1;
    return true;
}

static bool make_double(const char *text, size_t len, bool float4, double *out)
{
    char buf[BATCH_FLOAT_TEXT_MAX];
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

    /* Fast path, the common case (prices, measures): at most DIG significant
     * digits in PostgreSQL's layout, a normal value below 2^53 (float: 2^24).
     * Such a decimal is the only one that short to read back as d (see
     * shortest_digits), and it is never exactly halfway between two doubles:
     * an integer below 2^53 is a double itself, and a fraction M/10^j (M below
     * 10^15) is either not dyadic or a double too. (Larger integers can be
     * halfway: 4.48617987413328e+18 is. They take the slow path.) */
    bool neg;
    char digits[20];
    int n, exp;
    double mag = d < 0 ? -d : d;
    if (decimal_parts(text, len, &neg, digits, &n, &exp) && n <= (float4 ? FLT_DIG : DBL_DIG) &&
        mag >= (float4 ? (double)FLT_MIN : DBL_MIN) && mag < (float4 ? 16777216.0 : 9007199254740992.0)) {
        char again[BATCH_FLOAT_TEXT_MAX];
        int m = layout(again, neg, digits, n, exp, float4);
        if ((size_t)m != len || memcmp(again, text, len) != 0)
            return false;
        *out = d;
        return true;
    }

    char again[BATCH_FLOAT_TEXT_MAX];
    int m = batch_float_format(d, float4, again);
    if ((size_t)m != len || memcmp(again, text, len) != 0)
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
