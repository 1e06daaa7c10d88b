/* conv_number.c - int, numeric, float, money and boolean text values.
 * Each is validated (a value that is not what its type prints is a protocol
 * or settings problem, never passed on silently) and copied or rewritten
 * with one capacity check. */
#include "types_internal.h"

static pgcdc_code copy(pgcdc_buf *out, const char *s, size_t n, pgcdc_error *err)
{
    return pgcdc_buf_append(out, s, n) == 0 ? PGCDC_OK : pgcdc_out_nomem(err);
}

static pgcdc_code put(pgcdc_buf *out, const char *s, pgcdc_error *err)
{
    return copy(out, s, strlen(s), err);
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

pgcdc_code pgcdc_conv_int(const pgcdc_dest_type *t, const char *s, size_t n, pgcdc_buf *out, bool *ph,
                          pgcdc_error *err)
{
    (void)t;
    (void)ph;
    size_t i = n && s[0] == '-' ? 1 : 0;
    if (i == n || n > 20)
        return pgcdc_bad_value(err, "integer", s, n, NULL);
    for (; i < n; i++)
        if (!is_digit(s[i]))
            return pgcdc_bad_value(err, "integer", s, n, NULL);
    return copy(out, s, n, err);
}

int pgcdc_numeric_classify(const char *s, size_t n, int *int_digits, int *frac_digits)
{
    if (n == 3 && memcmp(s, "NaN", 3) == 0)
        return 1;
    if (n == 8 && memcmp(s, "Infinity", 8) == 0)
        return 2;
    if (n == 9 && memcmp(s, "-Infinity", 9) == 0)
        return 3;
    size_t i = n && s[0] == '-' ? 1 : 0;
    size_t start = i;
    while (i < n && s[i] == '0') /* leading zeros are not significant */
        i++;
    size_t sig = i;
    while (i < n && is_digit(s[i]))
        i++;
    if (i == start)
        return -1;
    *int_digits = (int)(i - sig);
    *frac_digits = 0;
    if (i < n && s[i] == '.') {
        size_t f = ++i;
        while (i < n && is_digit(s[i]))
            i++;
        if (i == f)
            return -1;
        *frac_digits = (int)(i - f);
    }
    return i == n ? 0 : -1;
}

pgcdc_code pgcdc_conv_numeric(const pgcdc_dest_type *t, const char *s, size_t n, pgcdc_buf *out, bool *ph,
                              pgcdc_error *err)
{
    (void)ph;
    int id = 0, fd = 0;
    int k = pgcdc_numeric_classify(s, n, &id, &fd);
    if (k < 0)
        return pgcdc_bad_value(err, "numeric", s, n, NULL);
    if (t->dialect == PGCDC_DIALECT_POSTGRES || t->vclass != PGCDC_VC_NUMERIC)
        return copy(out, s, n, err); /* numeric, or Snowflake TEXT: exact text, NaN and Infinity too */
    if (k > 0)
        return pgcdc_error_set(err, PGCDC_EVALUE,
                               "numeric value %s cannot be stored in the Snowflake %s column: NUMBER has no NaN "
                               "or Infinity (the Oversized Value Strategy decides: Fail Table or Set Null)",
                               k == 1 ? "NaN" : k == 2 ? "Infinity" : "-Infinity", t->sql);
    /* PostgreSQL enforces the column's numeric(p,s), so this only trips on a
     * mapping that does not match the source (e.g. a changed typmod): never
     * let NUMBER round it. */
    if ((t->precision >= 0 && id > t->precision - t->scale) || (t->scale >= 0 && fd > t->scale)) {
        char q[64];
        pgcdc_quote_for_message(s, n, q, sizeof q);
        return pgcdc_error_set(err, PGCDC_EVALUE,
                               "numeric value %s does not fit the Snowflake %s column without rounding "
                               "(has the column's precision or scale changed?)", q, t->sql);
    }
    return copy(out, s, n, err);
}

pgcdc_code pgcdc_conv_float(const pgcdc_dest_type *t, const char *s, size_t n, pgcdc_buf *out, bool *ph,
                            pgcdc_error *err)
{
    (void)ph;
    bool sf = t->dialect == PGCDC_DIALECT_SNOWFLAKE;
    if (n == 3 && memcmp(s, "NaN", 3) == 0)
        return put(out, "NaN", err);
    if (n == 8 && memcmp(s, "Infinity", 8) == 0)
        return put(out, sf ? "inf" : "Infinity", err);
    if (n == 9 && memcmp(s, "-Infinity", 9) == 0)
        return put(out, sf ? "-inf" : "-Infinity", err);
    /* [-]digits[.digits][e[+-]digits] */
    size_t i = n && s[0] == '-' ? 1 : 0, d0 = i;
    while (i < n && is_digit(s[i]))
        i++;
    bool ok = i > d0;
    if (ok && i < n && s[i] == '.') {
        size_t f = ++i;
        while (i < n && is_digit(s[i]))
            i++;
        ok = i > f;
    }
    if (ok && i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t e = i;
        while (i < n && is_digit(s[i]))
            i++;
        ok = i > e;
    }
    if (!ok || i != n)
        return pgcdc_bad_value(err, "float", s, n, "set extra_float_digits=3 on the source session");
    return copy(out, s, n, err);
}

/* money text in the C locale: "$1,234.56", "-$1,234.56". Snowflake FLOAT
 * gets "1234.56". Strict on purpose: a locale that writes "1.234,56 EUR"
 * fails here instead of turning into 1.23456. */
pgcdc_code pgcdc_conv_money(const pgcdc_dest_type *t, const char *s, size_t n, pgcdc_buf *out, bool *ph,
                            pgcdc_error *err)
{
    (void)ph;
    static const char hint[] = "set lc_monetary=C on the source";
    size_t i = 0;
    bool neg = false;
    if (i < n && s[i] == '-') {
        neg = true;
        i++;
    }
    if (i < n && s[i] == '$')
        i++;
    char *w = pgcdc_out_begin(out, n + 1);
    if (!w)
        return pgcdc_out_nomem(err);
    char *w0 = w;
    if (neg)
        *w++ = '-';
    int group = -1; /* digits since the last ',' (-1: none seen) */
    size_t d0 = i;
    for (; i < n && s[i] != '.'; i++) {
        if (is_digit(s[i])) {
            *w++ = s[i];
            if (group >= 0)
                group++;
        } else if (s[i] == ',' && i > d0 && (group < 0 || group == 3)) {
            group = 0;
        } else {
            return pgcdc_bad_value(err, "money", s, n, hint);
        }
    }
    if (i == d0 || (group >= 0 && group != 3) || i == n)
        return pgcdc_bad_value(err, "money", s, n, hint);
    *w++ = s[i++]; /* '.' */
    size_t f0 = i;
    for (; i < n; i++) {
        if (!is_digit(s[i]))
            return pgcdc_bad_value(err, "money", s, n, hint);
        *w++ = s[i];
    }
    if (i == f0)
        return pgcdc_bad_value(err, "money", s, n, hint);
    if (t->dialect == PGCDC_DIALECT_POSTGRES) /* validated; kept as written */
        w = (char *)memcpy(w0, s, n) + n;
    pgcdc_out_end(out, w);
    return PGCDC_OK;
}

pgcdc_code pgcdc_conv_bool(const pgcdc_dest_type *t, const char *s, size_t n, pgcdc_buf *out, bool *ph,
                           pgcdc_error *err)
{
    (void)ph;
    if (n != 1 || (s[0] != 't' && s[0] != 'f'))
        return pgcdc_bad_value(err, "boolean", s, n, NULL);
    if (t->dialect == PGCDC_DIALECT_POSTGRES)
        return copy(out, s, 1, err);
    return put(out, s[0] == 't' ? "true" : "false", err);
}
