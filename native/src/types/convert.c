/* convert.c - pgcdc_value_convert: dispatch on the value kind and class,
 * the verbatim classes (text, json, interval, other), bytea, the Snowflake
 * size limits, and the helpers the converters share. */
#include "types_internal.h"

#include <stdio.h>

pgcdc_code pgcdc_out_nomem(pgcdc_error *err)
{
    return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory while converting a value");
}

void pgcdc_quote_for_message(const char *s, size_t n, char *dst, size_t dstlen)
{
    size_t k = 0, lim = n > 40 ? 40 : n;
    if (dstlen < 8) {
        if (dstlen)
            dst[0] = '\0';
        return;
    }
    dst[k++] = '\'';
    for (size_t i = 0; i < lim && k + 6 < dstlen; i++) {
        unsigned char c = (unsigned char)s[i];
        dst[k++] = c >= 0x20 && c != 0x7f ? (char)c : '?';
    }
    if (n > lim && k + 6 < dstlen) {
        memcpy(dst + k, "...", 3);
        k += 3;
    }
    dst[k++] = '\'';
    dst[k] = '\0';
}

pgcdc_code pgcdc_bad_value(pgcdc_error *err, const char *what, const char *s, size_t n, const char *hint)
{
    char q[64];
    pgcdc_quote_for_message(s, n, q, sizeof q);
    return pgcdc_error_set(err, PGCDC_EPROTOCOL, "the source sent %s which is not a valid %s value%s%s", q, what,
                           hint ? ": " : "", hint ? hint : "");
}

/* JSON string escaping: quotes, backslashes and control characters; other
 * bytes (UTF-8) pass through. A counting pass first, so a large string
 * reserves what it needs, not six times its size. With backslash_escaped,
 * s is an element of PostgreSQL array text whose backslashes escape the next
 * byte: those are undone on the way. */
int pgcdc_json_string_from(pgcdc_buf *out, const char *s, size_t n, bool backslash_escaped)
{
    static const char hex[] = "0123456789abcdef";
    size_t need = n + 2;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (backslash_escaped && c == '\\' && i + 1 < n)
            c = (unsigned char)s[++i];
        if (c < 0x20 || c == '"' || c == '\\')
            need += c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\b' && c != '\f' ? 5 : 1;
    }
    char *w = pgcdc_out_begin(out, need);
    if (!w)
        return -1;
    *w++ = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (backslash_escaped && c == '\\' && i + 1 < n)
            c = (unsigned char)s[++i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            *w++ = (char)c;
            continue;
        }
        *w++ = '\\';
        switch (c) {
        case '"': *w++ = '"'; break;
        case '\\': *w++ = '\\'; break;
        case '\n': *w++ = 'n'; break;
        case '\r': *w++ = 'r'; break;
        case '\t': *w++ = 't'; break;
        case '\b': *w++ = 'b'; break;
        case '\f': *w++ = 'f'; break;
        default:
            *w++ = 'u';
            *w++ = '0';
            *w++ = '0';
            *w++ = hex[c >> 4];
            *w++ = hex[c & 15];
        }
    }
    *w++ = '"';
    pgcdc_out_end(out, w);
    return 0;
}

int pgcdc_json_string(pgcdc_buf *out, const char *s, size_t n)
{
    return pgcdc_json_string_from(out, s, n, false);
}

static pgcdc_code oversized(const pgcdc_dest_type *t, size_t n, pgcdc_error *err)
{
    return pgcdc_error_set(err, PGCDC_EVALUE,
                           "value of %zu bytes is larger than the %zu bytes a Snowflake %s column holds "
                           "(oversized: the Oversized Value Strategy decides - Fail Table or Set Null)",
                           n, t->max_bytes, t->sql);
}

/* text, varchar, interval, uuid, inet, enums, json ...: the text form is the
 * literal in both dialects. */
static pgcdc_code conv_verbatim(const pgcdc_dest_type *t, const char *s, size_t n, pgcdc_buf *out, bool *ph,
                                pgcdc_error *err)
{
    (void)ph;
    if (t->max_bytes && n > t->max_bytes)
        return oversized(t, n, err);
    return pgcdc_buf_append(out, s, n) == 0 ? PGCDC_OK : pgcdc_out_nomem(err);
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* bytea text ("\x0001ff", or the escape format "a\000\\") -> Snowflake BINARY
 * in hex; the PostgreSQL dialect keeps the text (bytea input reads both). */
pgcdc_code pgcdc_conv_bytea(const pgcdc_dest_type *t, const char *s, size_t n, pgcdc_buf *out, bool *ph,
                            pgcdc_error *err)
{
    (void)ph;
    static const char HEX[] = "0123456789ABCDEF";
    bool hexfmt = n >= 2 && s[0] == '\\' && s[1] == 'x';
    if (t->dialect == PGCDC_DIALECT_POSTGRES) {
        if (hexfmt && (n % 2) != 0)
            return pgcdc_bad_value(err, "bytea", s, n, NULL);
        return pgcdc_buf_append(out, s, n) == 0 ? PGCDC_OK : pgcdc_out_nomem(err);
    }
    size_t start = out->len;
    if (hexfmt) {
        if ((n % 2) != 0)
            return pgcdc_bad_value(err, "bytea", s, n, NULL);
        if (t->max_bytes && (n - 2) / 2 > t->max_bytes)
            return oversized(t, (n - 2) / 2, err);
        char *w = pgcdc_out_begin(out, n - 2);
        if (!w)
            return pgcdc_out_nomem(err);
        for (size_t i = 2; i < n; i += 2) {
            int hi = hexval((unsigned char)s[i]), lo = hexval((unsigned char)s[i + 1]);
            if (hi < 0 || lo < 0) {
                out->len = start;
                out->data[start] = '\0';
                return pgcdc_bad_value(err, "bytea", s, n, NULL);
            }
            *w++ = HEX[hi];
            *w++ = HEX[lo];
        }
        pgcdc_out_end(out, w);
        return PGCDC_OK;
    }
    /* escape format (bytea_output=escape): \\ is a backslash, \ooo an octal byte */
    char *w = pgcdc_out_begin(out, n * 2);
    if (!w)
        return pgcdc_out_nomem(err);
    size_t bytes = 0;
    for (size_t i = 0; i < n; bytes++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\\') {
            if (i + 1 < n && s[i + 1] == '\\') {
                i += 2;
            } else if (i + 3 < n && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0'
                       && s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
                c = (unsigned char)(((s[i + 1] - '0') << 6) | ((s[i + 2] - '0') << 3) | (s[i + 3] - '0'));
                i += 4;
            } else {
                out->len = start;
                out->data[start] = '\0';
                return pgcdc_bad_value(err, "bytea", s, n, "set bytea_output=hex on the source session");
            }
        } else {
            i++;
        }
        *w++ = HEX[c >> 4];
        *w++ = HEX[c & 15];
    }
    if (t->max_bytes && bytes > t->max_bytes) {
        out->len = start;
        out->data[start] = '\0';
        return oversized(t, bytes, err);
    }
    pgcdc_out_end(out, w);
    return PGCDC_OK;
}

pgcdc_text_conv pgcdc_text_conv_for(pgcdc_value_class c)
{
    switch (c) {
    case PGCDC_VC_INT: return pgcdc_conv_int;
    case PGCDC_VC_NUMERIC:
    case PGCDC_VC_NUMERIC_TEXT: return pgcdc_conv_numeric;
    case PGCDC_VC_FLOAT: return pgcdc_conv_float;
    case PGCDC_VC_MONEY: return pgcdc_conv_money;
    case PGCDC_VC_BOOL: return pgcdc_conv_bool;
    case PGCDC_VC_BINARY: return pgcdc_conv_bytea;
    case PGCDC_VC_DATE: return pgcdc_conv_date;
    case PGCDC_VC_TIME: return pgcdc_conv_time;
    case PGCDC_VC_TIMETZ: return pgcdc_conv_timetz;
    case PGCDC_VC_TIMESTAMP: return pgcdc_conv_timestamp;
    case PGCDC_VC_TIMESTAMPTZ: return pgcdc_conv_timestamptz;
    case PGCDC_VC_ARRAY: return pgcdc_conv_array;
    case PGCDC_VC_TEXT:
    case PGCDC_VC_INTERVAL:
    case PGCDC_VC_JSON:
    case PGCDC_VC_OTHER: return conv_verbatim;
    }
    return conv_verbatim;
}

pgcdc_code pgcdc_value_convert(const pgcdc_dest_type *t, const pgcdc_value *v, pgcdc_buf *out,
                               pgcdc_value_result *result, pgcdc_error *err)
{
    pgcdc_value_result dummy;
    if (!result)
        result = &dummy;
    *result = PGCDC_VALUE_NULL;
    if (!t || !v || !out)
        return pgcdc_error_set(err, PGCDC_EINVAL, "pgcdc_value_convert: NULL argument");
    size_t start = out->len;
    bool ph = false;
    pgcdc_code rc;
    switch (v->kind) {
    case 'n':
        return PGCDC_OK;
    case 'u':
        rc = pgcdc_value_unchanged_placeholder(t, out, err);
        if (rc == PGCDC_OK)
            *result = PGCDC_VALUE_UNCHANGED;
        return rc;
    case 't':
        rc = pgcdc_text_conv_for(t->vclass)(t, v->data ? v->data : "", v->len, out, &ph, err);
        break;
    case 'b':
        rc = pgcdc_convert_binary(t, v->data ? v->data : "", v->len, out, &ph, err);
        break;
    default:
        return pgcdc_error_set(err, PGCDC_EPROTOCOL, "unknown tuple value kind '%c' for a %s column",
                               v->kind >= 0x20 && v->kind < 0x7f ? v->kind : '?', t->pg_name);
    }
    if (rc != PGCDC_OK) {
        if (out->data) {
            out->len = start;
            out->data[start] = '\0';
        }
        return rc;
    }
    *result = ph ? PGCDC_VALUE_PLACEHOLDER : PGCDC_VALUE_LITERAL;
    return PGCDC_OK;
}
