/* ident.c - identifiers: Object Identifier Resolution, the one quoting rule,
 * names derived for journals and dropped columns, and column names written
 * as string literals. */
#include "merge_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

pgcdc_code pgcdc_ident_case_parse(const char *s, pgcdc_ident_case *out, pgcdc_error *err)
{
    if (!s || !out)
        return pgcdc_error_set(err, PGCDC_EINVAL, "pgcdc_ident_case_parse: NULL argument");
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    if (n == 14 && strncasecmp(s, "CASE_SENSITIVE", n) == 0) {
        *out = PGCDC_IDENT_CASE_SENSITIVE;
        return PGCDC_OK;
    }
    if (n == 16 && strncasecmp(s, "CASE_INSENSITIVE", n) == 0) {
        *out = PGCDC_IDENT_CASE_INSENSITIVE;
        return PGCDC_OK;
    }
    return pgcdc_error_set(err, PGCDC_EINVAL,
                           "Object Identifier Resolution \"%.*s\" is not valid: use CASE_SENSITIVE or "
                           "CASE_INSENSITIVE",
                           (int)(n > 64 ? 64 : n), s);
}

const char *pgcdc_ident_case_name(pgcdc_ident_case c)
{
    return c == PGCDC_IDENT_CASE_INSENSITIVE ? "CASE_INSENSITIVE" : "CASE_SENSITIVE";
}

/* ASCII only and locale-independent: toupper() would follow the process
 * locale, and Snowflake upper-cases only ASCII letters of unquoted names. */
static char upper_ascii(char ch)
{
    return ch >= 'a' && ch <= 'z' ? (char)(ch - 'a' + 'A') : ch;
}

int pgcdc_ident_resolve(pgcdc_buf *out, pgcdc_ident_case c, const char *name)
{
    size_t n = strlen(name);
    if (pgcdc_buf_reserve(out, n) != 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        out->data[out->len + i] = c == PGCDC_IDENT_CASE_INSENSITIVE ? upper_ascii(name[i]) : name[i];
    out->len += n;
    out->data[out->len] = '\0';
    return 0;
}

char *mg_resolve(pgcdc_ident_case c, const char *name)
{
    pgcdc_buf b = PGCDC_BUF_INIT;
    if (pgcdc_ident_resolve(&b, c, name) != 0) {
        pgcdc_buf_free(&b);
        return NULL;
    }
    if (!b.data) /* empty name: still return a string */
        return strdup("");
    return b.data;
}

/* The one quoting rule, for both dialects: PostgreSQL and Snowflake quoted
 * identifiers are the same - double quotes, an inner quote doubled, every
 * other byte literal. */
int mg_quote_exact(pgcdc_buf *out, const char *name)
{
    size_t n = strlen(name), quotes = 0;
    for (size_t i = 0; i < n; i++)
        quotes += name[i] == '"';
    if (pgcdc_buf_reserve(out, n + quotes + 2) != 0)
        return -1;
    char *p = out->data + out->len;
    *p++ = '"';
    for (size_t i = 0; i < n; i++) {
        if (name[i] == '"')
            *p++ = '"';
        *p++ = name[i];
    }
    *p++ = '"';
    out->len = (size_t)(p - out->data);
    *p = '\0';
    return 0;
}

int pgcdc_ident_quote(pgcdc_buf *out, pgcdc_dialect d, pgcdc_ident_case c, const char *name)
{
    (void)d; /* one rule serves both dialects today; the parameter keeps call sites honest */
    char *r = mg_resolve(c, name);
    if (!r)
        return -1;
    int rc = mg_quote_exact(out, r);
    free(r);
    return rc;
}

/* FNV-1a: a stable, dependency-free hash; 32 bits are plenty to keep apart
 * the few long names one schema holds. */
static uint32_t fnv1a(const char *a, const char *b)
{
    uint32_t h = 2166136261u;
    for (const char *s = a; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    for (const char *s = b; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

char *mg_derive(pgcdc_dialect d, const char *base, const char *suffix)
{
    size_t nb = strlen(base), ns = strlen(suffix);
    char *out = malloc(nb + ns + 1);
    if (!out)
        return NULL;
    if (d != PGCDC_DIALECT_POSTGRES || nb + ns <= PGCDC_PG_IDENT_MAX) {
        memcpy(out, base, nb);
        memcpy(out + nb, suffix, ns + 1);
        return out;
    }
    /* base cut to leave room for "_xxxxxxxx" + suffix, at a UTF-8 character
     * start (a continuation byte is 10xxxxxx) so the name stays valid text */
    size_t keep = ns + 9 < PGCDC_PG_IDENT_MAX ? PGCDC_PG_IDENT_MAX - ns - 9 : 0;
    if (keep > nb)
        keep = nb;
    while (keep > 0 && ((uint8_t)base[keep] & 0xC0) == 0x80)
        keep--;
    memcpy(out, base, keep);
    snprintf(out + keep, nb + ns + 1 - keep, "_%08x%s", fnv1a(base, suffix), suffix);
    return out;
}

int mg_literal(pgcdc_buf *out, pgcdc_dialect d, const char *s)
{
    /* PostgreSQL: '' doubles a quote in any mode; a backslash is literal only
     * with standard_conforming_strings on, so a string holding one is written
     * E'...' with the backslash doubled, which means the same in both modes.
     * Snowflake: backslash is always an escape in '...'. */
    bool backslash = strchr(s, '\\') != NULL;
    size_t start = out->len;
    int rc = d == PGCDC_DIALECT_POSTGRES && backslash ? pgcdc_buf_puts(out, "E'") : pgcdc_buf_putc(out, '\'');
    for (const char *p = s; *p && rc == 0; p++) {
        if (*p == '\'')
            rc = pgcdc_buf_puts(out, d == PGCDC_DIALECT_SNOWFLAKE ? "\\'" : "''");
        else if (*p == '\\')
            rc = pgcdc_buf_puts(out, "\\\\");
        else
            rc = pgcdc_buf_putc(out, *p);
    }
    if (rc == 0)
        rc = pgcdc_buf_putc(out, '\'');
    if (rc != 0 && out->data) {
        out->len = start;
        out->data[start] = '\0';
    }
    return rc;
}
