/* copy_text.c - PostgreSQL's text COPY format as COPY ... TO STDOUT writes
 * it: one line per row ending in '\n', fields separated by a tab, NULL as \N,
 * and backslash escapes for the bytes that would break the format. A reader
 * must also take what COPY FROM takes: \b \f \n \r \t \v, \ooo (1-3 octal
 * digits), \xhh (1-2 hex digits) and a backslash before any other character
 * standing for that character. Fields are unescaped in place: the result is
 * never longer than its escaped form. */
#include "snapshot_internal.h"

#include <string.h>

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Unescapes s[0..n) in place from the first backslash at bs; returns the new
 * length, or -1 for a backslash ending the field. */
static long unescape(char *s, size_t n, char *bs)
{
    char *w = bs, *r = bs, *end = s + n;
    while (r < end) {
        char c = *r++;
        if (c != '\\') {
            *w++ = c;
            continue;
        }
        if (r == end)
            return -1;
        c = *r++;
        switch (c) {
        case 'b': *w++ = '\b'; break;
        case 'f': *w++ = '\f'; break;
        case 'n': *w++ = '\n'; break;
        case 'r': *w++ = '\r'; break;
        case 't': *w++ = '\t'; break;
        case 'v': *w++ = '\v'; break;
        case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': {
            int v = c - '0';
            for (int k = 0; k < 2 && r < end && *r >= '0' && *r <= '7'; k++)
                v = v * 8 + (*r++ - '0');
            *w++ = (char)(v & 0377);
            break;
        }
        case 'x':
            if (r < end && hexval(*r) >= 0) {
                int v = hexval(*r++);
                if (r < end && hexval(*r) >= 0)
                    v = v * 16 + hexval(*r++);
                *w++ = (char)v;
            } else {
                *w++ = 'x';
            }
            break;
        default:
            *w++ = c; /* \\ and an escaped delimiter or any other byte */
            break;
        }
    }
    return (long)(w - s);
}

static int field(char *s, size_t n, pgcdc_value *v, int col, pgcdc_error *err)
{
    if (n == 2 && s[0] == '\\' && s[1] == 'N') {
        v->kind = 'n';
        v->len = 0;
        v->data = NULL;
        return 0;
    }
    char *bs = memchr(s, '\\', n);
    if (bs) {
        long m = unescape(s, n, bs);
        if (m < 0) {
            pgcdc_error_set(err, PGCDC_EPROTOCOL, "text COPY field %d ends with a lone backslash", col + 1);
            return -1;
        }
        n = (size_t)m;
    }
    v->kind = 't';
    v->len = (uint32_t)n;
    v->data = s;
    return 0;
}

int snap_text_row(const snap_parser *p, char *s, size_t avail, pgcdc_value *vals, size_t *consumed,
                  pgcdc_error *err)
{
    char *nl = memchr(s, '\n', avail);
    if (!nl)
        return 0;
    /* A field holds no raw tab or newline (both are escaped), so the line
     * splits on them; each field is unescaped within its own bytes. */
    char *start = s;
    int i = 0;
    for (;;) {
        char *tab = memchr(start, '\t', (size_t)(nl - start));
        char *stop = tab ? tab : nl;
        if (i == p->ncolumns) {
            pgcdc_error_set(err, PGCDC_EPROTOCOL, "text COPY row has more than the %d fields expected",
                            p->ncolumns);
            return -1;
        }
        if (field(start, (size_t)(stop - start), &vals[i], i, err) != 0)
            return -1;
        i++;
        if (!tab)
            break;
        start = tab + 1;
    }
    if (i != p->ncolumns) {
        pgcdc_error_set(err, PGCDC_EPROTOCOL, "text COPY row has %d fields, expected %d", i, p->ncolumns);
        return -1;
    }
    *consumed = (size_t)(nl - s) + 1;
    return 1;
}
