/* binary.c - values pgoutput sent in binary (the "binary" option): each
 * type's send format (PostgreSQL's *send functions) is turned into the text
 * its output function would have printed, then handed to the same text
 * converter, so binary and text transfer give the same literal.
 *
 * Decoded: bool, int2/4/8, oid, float4/8, numeric, date, time, timetz,
 * timestamp, timestamptz, interval, uuid, text/varchar/bpchar/name, enums,
 * json, jsonb, bytea, and arrays of these. Anything else is refused with a
 * message to turn binary off (its send format is not decoded here). */
#include "types_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "types/float_text.h"

static uint16_t rd16(const unsigned char *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}
static uint32_t rd32(const unsigned char *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static uint64_t rd64(const unsigned char *p)
{
    return ((uint64_t)rd32(p) << 32) | rd32(p + 4);
}

static pgcdc_code unsupported(const pgcdc_dest_type *t, pgcdc_error *err)
{
    return pgcdc_error_set(err, PGCDC_EUNSUPPORTED,
                           "binary transfer of type %s is not supported: turn the binary option of the "
                           "replication stream off (text transfer handles every type)", t->pg_name);
}

static pgcdc_code bad_binary(const pgcdc_dest_type *t, const char *what, pgcdc_error *err)
{
    return pgcdc_error_set(err, PGCDC_EPROTOCOL, "malformed binary %s value for a column of type %s", what,
                           t->pg_name);
}

/* Types whose send format is their text: text, varchar, bpchar, name, json
 * (textsend) and enums (enum_send sends the label). */
static bool binary_is_text(uint32_t oid, char typtype)
{
    return oid == OID_TEXT || oid == OID_VARCHAR || oid == OID_BPCHAR || oid == OID_NAME || oid == OID_JSON
           || typtype == 'e';
}

static char *put_int64(char *w, int64_t v)
{
    if (v < 0) {
        *w++ = '-';
        return pgcdc_put_uint(w, (uint64_t)0 - (uint64_t)v, 1);
    }
    return pgcdc_put_uint(w, (uint64_t)v, 1);
}

/* Fixed-size types -> their text in dst (>= 128 bytes). Returns the length,
 * 0 for a type not handled here, -1 for a wrong length. */
static int fixed_to_text(uint32_t oid, const unsigned char *s, size_t n, char *dst)
{
    char *w = dst;
    switch (oid) {
    case OID_BOOL:
        if (n != 1)
            return -1;
        *w++ = s[0] ? 't' : 'f';
        break;
    case OID_INT2:
        if (n != 2)
            return -1;
        w = put_int64(w, (int16_t)rd16(s));
        break;
    case OID_INT4:
        if (n != 4)
            return -1;
        w = put_int64(w, (int32_t)rd32(s));
        break;
    case OID_INT8:
        if (n != 8)
            return -1;
        w = put_int64(w, (int64_t)rd64(s));
        break;
    case OID_OID:
        if (n != 4)
            return -1;
        w = pgcdc_put_uint(w, rd32(s), 1);
        break;
    case OID_FLOAT4: {
        if (n != 4)
            return -1;
        uint32_t bits = rd32(s);
        float f;
        memcpy(&f, &bits, 4);
        w += pgcdc_format_float(f, true, w);
        break;
    }
    case OID_FLOAT8: {
        if (n != 8)
            return -1;
        uint64_t bits = rd64(s);
        double d;
        memcpy(&d, &bits, 8);
        w += pgcdc_format_float(d, false, w);
        break;
    }
    case OID_DATE:
        if (n != 4)
            return -1;
        w += pgcdc_format_date((int32_t)rd32(s), w);
        break;
    case OID_TIME:
        if (n != 8)
            return -1;
        w += pgcdc_format_time((int64_t)rd64(s), w);
        break;
    case OID_TIMETZ:
        if (n != 12)
            return -1;
        w += pgcdc_format_timetz((int64_t)rd64(s), (int32_t)rd32(s + 8), w);
        break;
    case OID_TIMESTAMP:
    case OID_TIMESTAMPTZ:
        if (n != 8)
            return -1;
        w += pgcdc_format_timestamp((int64_t)rd64(s), oid == OID_TIMESTAMPTZ, w);
        break;
    case OID_INTERVAL:
        if (n != 16)
            return -1;
        w += pgcdc_format_interval((int64_t)rd64(s), (int32_t)rd32(s + 8), (int32_t)rd32(s + 12), w);
        break;
    case OID_UUID: {
        static const char hex[] = "0123456789abcdef";
        if (n != 16)
            return -1;
        for (int i = 0; i < 16; i++) {
            if (i == 4 || i == 6 || i == 8 || i == 10)
                *w++ = '-';
            *w++ = hex[s[i] >> 4];
            *w++ = hex[s[i] & 15];
        }
        break;
    }
    default:
        return 0;
    }
    return (int)(w - dst);
}

/* numeric_send: ndigits, weight, sign, dscale (int16 each), then base-10000
 * digits. Checks the header and returns an upper bound of the text length
 * (0 when malformed). */
static size_t numeric_bound(const unsigned char *s, size_t n)
{
    if (n < 8)
        return 0;
    int ndigits = (int16_t)rd16(s), weight = (int16_t)rd16(s + 2), dscale = (int16_t)rd16(s + 6);
    uint16_t sign = rd16(s + 4);
    if (ndigits < 0 || dscale < 0 || n != 8 + 2 * (size_t)ndigits)
        return 0;
    if (sign != 0 && sign != 0x4000 && sign != 0xC000 && sign != 0xD000 && sign != 0xF000)
        return 0;
    for (int i = 0; i < ndigits; i++)
        if (rd16(s + 8 + 2 * i) > 9999)
            return 0;
    return 12 + (weight >= 0 ? 4 * ((size_t)weight + 1) : 1) + (size_t)dscale + 4;
}

/* get_str_from_var's text into w (room for numeric_bound bytes); returns the end. */
static char *numeric_render(const unsigned char *s, char *w)
{
    int ndigits = (int16_t)rd16(s), weight = (int16_t)rd16(s + 2), dscale = (int16_t)rd16(s + 6);
    uint16_t sign = rd16(s + 4);
    const char *special = sign == 0xC000 ? "NaN" : sign == 0xD000 ? "Infinity" : sign == 0xF000 ? "-Infinity" : NULL;
    if (special) {
        size_t k = strlen(special);
        memcpy(w, special, k);
        return w + k;
    }
    const unsigned char *dg = s + 8;
#define DIGIT(i) ((i) >= 0 && (i) < ndigits ? (int)rd16(dg + 2 * (i)) : 0)
    if (sign == 0x4000)
        *w++ = '-';
    int d;
    if (weight < 0) {
        d = weight + 1;
        *w++ = '0';
    } else {
        for (d = 0; d <= weight; d++)
            w = pgcdc_put_uint(w, (uint64_t)DIGIT(d), d == 0 ? 1 : 4);
    }
    if (dscale > 0) {
        *w++ = '.';
        char *endp = w + dscale;
        for (int i = 0; i < dscale; d++, i += 4)
            w = pgcdc_put_uint(w, (uint64_t)DIGIT(d), 4);
        w = endp; /* the last group may overshoot the scale */
    }
#undef DIGIT
    return w;
}

/* Appends the numeric's text to out. */
static pgcdc_code numeric_to_text(const pgcdc_dest_type *t, const unsigned char *s, size_t n, pgcdc_buf *out,
                                  pgcdc_error *err)
{
    size_t bound = numeric_bound(s, n);
    if (!bound)
        return bad_binary(t, "numeric", err);
    char *w = pgcdc_out_begin(out, bound);
    if (!w)
        return pgcdc_out_nomem(err);
    pgcdc_out_end(out, numeric_render(s, w));
    return PGCDC_OK;
}

static pgcdc_code bytea_hex(const pgcdc_dest_type *t, const unsigned char *s, size_t n, bool with_prefix,
                            pgcdc_buf *out, pgcdc_error *err)
{
    bool sf = t->dialect == PGCDC_DIALECT_SNOWFLAKE;
    const char *digits = sf ? "0123456789ABCDEF" : "0123456789abcdef";
    if (sf && t->vclass == PGCDC_VC_BINARY && t->max_bytes && n > t->max_bytes)
        return pgcdc_error_set(err, PGCDC_EVALUE,
                               "value of %zu bytes is larger than the %zu bytes a Snowflake %s column holds "
                               "(oversized: the Oversized Value Strategy decides - Fail Table or Set Null)",
                               n, t->max_bytes, t->sql);
    char *w = pgcdc_out_begin(out, 2 * n + 2);
    if (!w)
        return pgcdc_out_nomem(err);
    if (with_prefix) {
        *w++ = '\\';
        *w++ = 'x';
    }
    for (size_t i = 0; i < n; i++) {
        *w++ = digits[s[i] >> 4];
        *w++ = digits[s[i] & 15];
    }
    pgcdc_out_end(out, w);
    return PGCDC_OK;
}

/* ---- arrays (array_send) ---- */

#define MAXDIM 6

/* array_out quotes an element that is empty, spells NULL, or holds a
 * delimiter, brace, quote, backslash or white space. */
static pgcdc_code put_pg_element(const char *s, size_t n, char delim, pgcdc_buf *out, pgcdc_error *err)
{
    bool quote = n == 0 || (n == 4 && strncasecmp(s, "NULL", 4) == 0);
    for (size_t i = 0; i < n && !quote; i++) {
        char c = s[i];
        quote = c == '"' || c == '\\' || c == '{' || c == '}' || c == delim || c == ' ' || c == '\t' || c == '\n'
                || c == '\r' || c == '\f' || c == '\v';
    }
    char *w = pgcdc_out_begin(out, quote ? 2 * n + 2 : n);
    if (!w)
        return pgcdc_out_nomem(err);
    if (!quote) {
        memcpy(w, s, n);
        pgcdc_out_end(out, w + n);
        return PGCDC_OK;
    }
    *w++ = '"';
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"' || s[i] == '\\')
            *w++ = '\\';
        *w++ = s[i];
    }
    *w++ = '"';
    pgcdc_out_end(out, w);
    return PGCDC_OK;
}

/* One non-NULL element in its binary form. */
static pgcdc_code array_element(const pgcdc_dest_type *t, const unsigned char *s, size_t n, pgcdc_buf *out,
                                bool *ph, pgcdc_error *err)
{
    bool sf = t->dialect == PGCDC_DIALECT_SNOWFLAKE;
    uint32_t oid = t->elem_oid;
    const char *txt = (const char *)s;
    size_t len = n;
    char buf[128];
    if (oid == OID_JSONB) {
        if (n < 1 || s[0] != 1)
            return bad_binary(t, "jsonb", err);
        txt++;
        len--;
    } else if (oid == OID_BYTEA) {
        if (sf) {
            if (pgcdc_buf_putc(out, '"') != 0)
                return pgcdc_out_nomem(err);
            pgcdc_code rc = bytea_hex(t, s, n, false, out, err);
            if (rc == PGCDC_OK && pgcdc_buf_putc(out, '"') != 0)
                rc = pgcdc_out_nomem(err);
            return rc;
        }
        /* "\\x0102" inside the array text: quoted, its backslash escaped */
        if (pgcdc_buf_append(out, "\"\\\\x", 4) != 0)
            return pgcdc_out_nomem(err);
        pgcdc_code rc = bytea_hex(t, s, n, false, out, err);
        if (rc == PGCDC_OK && pgcdc_buf_putc(out, '"') != 0)
            rc = pgcdc_out_nomem(err);
        return rc;
    } else if (oid == OID_NUMERIC) {
        /* numeric text needs no quoting in either form; a JSON string is
         * needed for NaN/Infinity and above 38 digits */
        size_t at = out->len;
        pgcdc_code rc = numeric_to_text(t, s, n, out, err);
        if (rc != PGCDC_OK || !sf)
            return rc;
        int id = 0, fd = 0;
        int k = pgcdc_numeric_classify(out->data + at, out->len - at, &id, &fd);
        if (k == 0 && id + fd <= 38 && fd <= 37)
            return PGCDC_OK;
        if (pgcdc_buf_reserve(out, 2) != 0)
            return pgcdc_out_nomem(err);
        memmove(out->data + at + 1, out->data + at, out->len - at);
        out->data[at] = '"';
        out->data[out->len + 1] = '"';
        out->len += 2;
        out->data[out->len] = '\0';
        return PGCDC_OK;
    } else if (!binary_is_text(oid, t->elem_typtype)) {
        int k = fixed_to_text(oid, s, n, buf);
        if (k < 0)
            return bad_binary(t, "array element", err);
        if (k == 0)
            return pgcdc_error_set(err, PGCDC_EUNSUPPORTED,
                                   "binary transfer of arrays of this element type (column type %s) is not "
                                   "supported: turn the binary option of the replication stream off", t->pg_name);
        txt = buf;
        len = (size_t)k;
    }
    if (sf)
        return pgcdc_array_json_element(t, txt, len, out, ph, err);
    return put_pg_element(txt, len, t->elem_delim ? t->elem_delim : ',', out, err);
}

static pgcdc_code convert_array(const pgcdc_dest_type *t, const unsigned char *s, size_t n, pgcdc_buf *out,
                                bool *ph, pgcdc_error *err)
{
    bool sf = t->dialect == PGCDC_DIALECT_SNOWFLAKE;
    if (n < 12)
        return bad_binary(t, "array", err);
    int32_t ndim = (int32_t)rd32(s);
    if (ndim < 0 || ndim > MAXDIM || n < 12 + 8 * (size_t)ndim)
        return bad_binary(t, "array", err);
    int32_t dims[MAXDIM], lbs[MAXDIM];
    uint64_t total = ndim ? 1 : 0;
    bool bounds = false;
    for (int i = 0; i < ndim; i++) {
        dims[i] = (int32_t)rd32(s + 12 + 8 * i);
        lbs[i] = (int32_t)rd32(s + 16 + 8 * i);
        if (dims[i] < 0)
            return bad_binary(t, "array", err);
        total *= (uint64_t)dims[i];
        if (total > n) /* each element needs at least 4 bytes: cannot be more */
            return bad_binary(t, "array", err);
        bounds |= lbs[i] != 1;
    }
    const unsigned char *p = s + 12 + 8 * (size_t)ndim, *end = s + n;
    char open = sf ? '[' : '{', close = sf ? ']' : '}';
    char sep = sf ? ',' : (t->elem_delim ? t->elem_delim : ',');
    if (total == 0) {
        if (p != end)
            return bad_binary(t, "array", err);
        return pgcdc_buf_puts(out, sf ? "[]" : "{}") == 0 ? PGCDC_OK : pgcdc_out_nomem(err);
    }
    if (!sf && bounds) { /* array_out's "[lb:ub]...=" decoration */
        for (int i = 0; i < ndim; i++)
            if (pgcdc_buf_printf(out, "[%d:%d]", lbs[i], lbs[i] + dims[i] - 1) != 0)
                return pgcdc_out_nomem(err);
        if (pgcdc_buf_putc(out, '=') != 0)
            return pgcdc_out_nomem(err);
    }
    int32_t idx[MAXDIM] = {0};
    for (int i = 0; i < ndim; i++)
        if (pgcdc_buf_putc(out, open) != 0)
            return pgcdc_out_nomem(err);
    for (uint64_t e = 0; e < total; e++) {
        if (end - p < 4)
            return bad_binary(t, "array", err);
        int32_t len = (int32_t)rd32(p);
        p += 4;
        pgcdc_code rc;
        if (len == -1) {
            rc = pgcdc_buf_puts(out, sf ? "null" : "NULL") == 0 ? PGCDC_OK : pgcdc_out_nomem(err);
        } else {
            if (len < 0 || end - p < len)
                return bad_binary(t, "array", err);
            rc = array_element(t, p, (size_t)len, out, ph, err);
            p += len;
        }
        if (rc != PGCDC_OK)
            return rc;
        /* advance the index odometer: close finished dimensions, open new ones */
        int k = ndim - 1;
        while (k >= 0 && ++idx[k] == dims[k]) {
            idx[k] = 0;
            k--;
        }
        if (k < 0)
            break;
        for (int i = ndim - 1; i > k; i--)
            if (pgcdc_buf_putc(out, close) != 0)
                return pgcdc_out_nomem(err);
        if (pgcdc_buf_putc(out, sep) != 0)
            return pgcdc_out_nomem(err);
        for (int i = ndim - 1; i > k; i--)
            if (pgcdc_buf_putc(out, open) != 0)
                return pgcdc_out_nomem(err);
    }
    for (int i = 0; i < ndim; i++)
        if (pgcdc_buf_putc(out, close) != 0)
            return pgcdc_out_nomem(err);
    if (p != end)
        return bad_binary(t, "array", err);
    return PGCDC_OK;
}

pgcdc_code pgcdc_convert_binary(const pgcdc_dest_type *t, const char *data, size_t n, pgcdc_buf *out, bool *ph,
                                pgcdc_error *err)
{
    const unsigned char *s = (const unsigned char *)data;
    if (t->vclass == PGCDC_VC_ARRAY) {
        size_t start = out->len;
        pgcdc_code rc = convert_array(t, s, n, out, ph, err);
        if (rc == PGCDC_OK && t->max_bytes && out->len - start > t->max_bytes)
            rc = pgcdc_error_set(err, PGCDC_EVALUE,
                                 "array value of %zu bytes (as JSON) is larger than the %zu bytes a Snowflake "
                                 "ARRAY holds (oversized: the Oversized Value Strategy decides - Fail Table or "
                                 "Set Null)", out->len - start, t->max_bytes);
        return rc;
    }
    pgcdc_text_conv conv = pgcdc_text_conv_for(t->vclass);
    uint32_t oid = t->pg_oid;
    if (binary_is_text(oid, t->pg_typtype))
        return conv(t, data, n, out, ph, err);
    if (oid == OID_JSONB) {
        if (n < 1 || s[0] != 1)
            return bad_binary(t, "jsonb", err);
        return conv(t, data + 1, n - 1, out, ph, err);
    }
    if (oid == OID_BYTEA)
        return bytea_hex(t, s, n, t->dialect == PGCDC_DIALECT_POSTGRES, out, err);
    if (oid == OID_NUMERIC) {
        /* TEXT-mapped or PostgreSQL: the text is the literal, render it in place. */
        if (t->dialect == PGCDC_DIALECT_POSTGRES || t->vclass != PGCDC_VC_NUMERIC)
            return numeric_to_text(t, s, n, out, err);
        /* NUMBER(p,s): render on the stack and let the text converter check it.
         * A text longer than the buffer has more than 38 digits or a scale
         * above 37, so it cannot fit any NUMBER without rounding. */
        char tmp[160];
        size_t bound = numeric_bound(s, n);
        if (!bound)
            return bad_binary(t, "numeric", err);
        if (bound > sizeof tmp)
            return pgcdc_error_set(err, PGCDC_EVALUE,
                                   "a numeric value of more than 38 digits does not fit the Snowflake %s column "
                                   "without rounding (has the column's precision or scale changed?)", t->sql);
        char *e = numeric_render(s, tmp);
        return conv(t, tmp, (size_t)(e - tmp), out, ph, err);
    }
    char buf[128];
    int k = fixed_to_text(oid, s, n, buf);
    if (k < 0)
        return bad_binary(t, t->pg_name, err);
    if (k == 0)
        return unsupported(t, err);
    return conv(t, buf, (size_t)k, out, ph, err);
}
