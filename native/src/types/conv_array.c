/* conv_array.c - PostgreSQL array text -> Snowflake ARRAY (a JSON array).
 *
 *   {1,2,NULL}             -> [1,2,null]
 *   {"a b","c\"d",NULL}    -> ["a b","c\"d",null]
 *   {{1,2},{3,4}}          -> [[1,2],[3,4]]
 *   [0:1]={1,2}            -> [1,2]        (bounds dropped: JSON arrays start at 0)
 *
 * Each element is converted as a scalar of the element type would be, then
 * written as a JSON number (int, numeric, float, money), true/false (bool),
 * raw JSON (json, jsonb), null (NULL), or a JSON string (everything else,
 * and the values JSON numbers cannot carry: NaN, Infinity, numerics of more
 * than 38 significant digits). The PostgreSQL dialect keeps the array text.
 */
#include "types_internal.h"

#include <strings.h>

#define SCRATCH 256 /* longest quoted scalar element we unescape (dates, money) */

/* Undoes the array quoting into dst (raw bytes); returns the length. */
static size_t unescape(const char *s, size_t n, char *dst)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\' && i + 1 < n)
            i++;
        dst[k++] = s[i];
    }
    return k;
}

static pgcdc_code nomem(pgcdc_error *err)
{
    return pgcdc_out_nomem(err);
}

static pgcdc_code put(pgcdc_buf *out, const char *s, pgcdc_error *err)
{
    return pgcdc_buf_puts(out, s) == 0 ? PGCDC_OK : nomem(err);
}

/* One non-NULL element. */
static pgcdc_code emit(const pgcdc_dest_type *t, const char *s, size_t n, bool escaped, pgcdc_buf *out, bool *ph,
                       pgcdc_error *err)
{
    pgcdc_value_class c = t->elem_class;
    if (c == PGCDC_VC_TEXT || c == PGCDC_VC_OTHER || c == PGCDC_VC_INTERVAL)
        return pgcdc_json_string_from(out, s, n, escaped) == 0 ? PGCDC_OK : nomem(err);
    if (c == PGCDC_VC_JSON) { /* already JSON: embed it (the array quoting undone) */
        if (!escaped)
            return pgcdc_buf_append(out, s, n) == 0 ? PGCDC_OK : nomem(err);
        char *w = pgcdc_out_begin(out, n);
        if (!w)
            return nomem(err);
        pgcdc_out_end(out, w + unescape(s, n, w));
        return PGCDC_OK;
    }
    char scratch[SCRATCH];
    if (escaped) {
        if (n > SCRATCH)
            return pgcdc_bad_value(err, "array element", s, n, NULL);
        n = unescape(s, n, scratch);
        s = scratch;
    }
    switch (c) {
    case PGCDC_VC_INT:
        return pgcdc_conv_int(t, s, n, out, ph, err);
    case PGCDC_VC_NUMERIC:
    case PGCDC_VC_NUMERIC_TEXT: {
        int id = 0, fd = 0;
        int k = pgcdc_numeric_classify(s, n, &id, &fd);
        if (k < 0)
            return pgcdc_bad_value(err, "numeric", s, n, NULL);
        /* a JSON number Snowflake can keep exactly (NUMBER(38,37) at most) */
        if (k == 0 && id + fd <= 38 && fd <= 37)
            return pgcdc_buf_append(out, s, n) == 0 ? PGCDC_OK : nomem(err);
        return pgcdc_json_string(out, s, n) == 0 ? PGCDC_OK : nomem(err);
    }
    case PGCDC_VC_FLOAT:
        if (n == 3 && memcmp(s, "NaN", 3) == 0)
            return put(out, "\"NaN\"", err);
        if (n == 8 && memcmp(s, "Infinity", 8) == 0)
            return put(out, "\"inf\"", err);
        if (n == 9 && memcmp(s, "-Infinity", 9) == 0)
            return put(out, "\"-inf\"", err);
        return pgcdc_conv_float(t, s, n, out, ph, err);
    case PGCDC_VC_MONEY:
        return pgcdc_conv_money(t, s, n, out, ph, err);
    case PGCDC_VC_BOOL:
        return pgcdc_conv_bool(t, s, n, out, ph, err);
    default: { /* dates, times, bytea: the scalar literal as a JSON string (no character needs escaping) */
        if (pgcdc_buf_putc(out, '"') != 0)
            return nomem(err);
        pgcdc_code rc = pgcdc_text_conv_for(c)(t, s, n, out, ph, err);
        if (rc != PGCDC_OK)
            return rc;
        return pgcdc_buf_putc(out, '"') == 0 ? PGCDC_OK : nomem(err);
    }
    }
}

pgcdc_code pgcdc_array_json_element(const pgcdc_dest_type *t, const char *s, size_t n, pgcdc_buf *out, bool *ph,
                                    pgcdc_error *err)
{
    return emit(t, s, n, false, out, ph, err);
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static pgcdc_code malformed(const char *s, size_t n, pgcdc_error *err)
{
    return pgcdc_bad_value(err, "array", s, n, NULL);
}

static pgcdc_code to_json(const pgcdc_dest_type *t, const char *s, size_t n, pgcdc_buf *out, bool *ph,
                          pgcdc_error *err)
{
    const char *p = s, *end = s + n;
    const char delim = t->elem_delim ? t->elem_delim : ',';
    if (p < end && *p == '[') { /* "[0:1][1:2]=" dimension decoration */
        p = memchr(p, '=', (size_t)(end - p));
        if (!p)
            return malformed(s, n, err);
        p++;
    }
    while (p < end && is_space(*p))
        p++;
    if (p >= end || *p != '{')
        return malformed(s, n, err);
    int depth = 0, leaf_depth = -1; /* every element sits at the same depth */
    bool want_item = false, just_opened = false;
    pgcdc_code rc;
    while (p < end) {
        char c = *p;
        if (is_space(c)) {
            p++;
            continue;
        }
        if (c == '{') {
            if ((depth > 0 && !want_item) || (leaf_depth >= 0 && depth + 1 > leaf_depth))
                return malformed(s, n, err);
            if (pgcdc_buf_putc(out, '[') != 0)
                return nomem(err);
            depth++;
            p++;
            want_item = just_opened = true;
            continue;
        }
        if (c == '}') {
            if (depth == 0 || (want_item && !just_opened))
                return malformed(s, n, err);
            if (pgcdc_buf_putc(out, ']') != 0)
                return nomem(err);
            depth--;
            p++;
            want_item = just_opened = false;
            if (depth == 0) {
                while (p < end && is_space(*p))
                    p++;
                if (p != end)
                    return malformed(s, n, err);
            }
            continue;
        }
        if (c == delim) {
            if (depth == 0 || want_item)
                return malformed(s, n, err);
            if (pgcdc_buf_putc(out, ',') != 0)
                return nomem(err);
            p++;
            want_item = true;
            just_opened = false;
            continue;
        }
        if (depth == 0 || !want_item || (leaf_depth >= 0 && depth != leaf_depth))
            return malformed(s, n, err);
        leaf_depth = depth;
        if (c == '"') {
            const char *q = p + 1;
            bool escaped = false;
            while (q < end && *q != '"') {
                if (*q == '\\') {
                    escaped = true;
                    q++;
                }
                q++;
            }
            if (q >= end)
                return malformed(s, n, err);
            rc = emit(t, p + 1, (size_t)(q - p - 1), escaped, out, ph, err);
            p = q + 1;
        } else {
            const char *q = p;
            while (q < end && *q != delim && *q != '}' && *q != '{' && *q != '"')
                q++;
            const char *e = q;
            while (e > p && is_space(e[-1]))
                e--;
            size_t len = (size_t)(e - p);
            /* an unquoted NULL is SQL NULL; "NULL" in quotes is the string */
            if (len == 4 && strncasecmp(p, "NULL", 4) == 0)
                rc = put(out, "null", err);
            else
                rc = emit(t, p, len, false, out, ph, err);
            p = q;
        }
        if (rc != PGCDC_OK)
            return rc;
        want_item = just_opened = false;
    }
    if (depth != 0)
        return malformed(s, n, err);
    return PGCDC_OK;
}

pgcdc_code pgcdc_conv_array(const pgcdc_dest_type *t, const char *s, size_t n, pgcdc_buf *out, bool *ph,
                            pgcdc_error *err)
{
    if (n == 0 || (s[0] != '{' && s[0] != '['))
        return malformed(s, n, err);
    if (t->dialect == PGCDC_DIALECT_POSTGRES) /* array_in reads array_out's text, bounds and all */
        return pgcdc_buf_append(out, s, n) == 0 ? PGCDC_OK : nomem(err);
    size_t start = out->len;
    pgcdc_code rc = to_json(t, s, n, out, ph, err);
    if (rc == PGCDC_OK && t->max_bytes && out->len - start > t->max_bytes)
        rc = pgcdc_error_set(err, PGCDC_EVALUE,
                             "array value of %zu bytes (as JSON) is larger than the %zu bytes a Snowflake ARRAY "
                             "holds (oversized: the Oversized Value Strategy decides - Fail Table or Set Null)",
                             out->len - start, t->max_bytes);
    return rc;
}
