/* text_safe.c - UTF-8-safe cuts and visible control characters for text
 * that leaves the library (see common/text_safe.h). */
#include "common/text_safe.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static bool is_continuation(unsigned char c)
{
    return (c & 0xC0) == 0x80;
}

/* Bytes a character starting with lead c has (1 for ASCII and for bytes
 * that cannot start a character: those are left as they are). */
static size_t char_len(unsigned char c)
{
    if (c >= 0xF0 && c <= 0xF7)
        return 4;
    if (c >= 0xE0)
        return c <= 0xEF ? 3 : 1;
    if (c >= 0xC0)
        return 2;
    return 1;
}

size_t pgcdc_utf8_cut(const char *s, size_t max)
{
    size_t n = strnlen(s, max);
    if (n < max)
        return n; /* the whole text fits */
    /* s[n] exists (NUL or not): cutting before a continuation byte splits a
     * character; step back to its lead (at most 3 bytes: a longer run is not
     * UTF-8, and is cut where asked) */
    size_t k = n;
    while (k > 0 && n - k < 3 && is_continuation((unsigned char)s[k]))
        k--;
    return is_continuation((unsigned char)s[k]) ? n : k;
}

void pgcdc_utf8_trim(char *s)
{
    size_t n = strlen(s), i = n;
    while (i > 0 && n - i < 3 && is_continuation((unsigned char)s[i - 1]))
        i--;
    if (i == 0)
        return;
    unsigned char lead = (unsigned char)s[i - 1];
    if (lead >= 0xC0 && (i - 1) + char_len(lead) > n)
        s[i - 1] = '\0';
}

char *pgcdc_text_copy(char *dst, size_t size, const char *src)
{
    if (size == 0)
        return dst;
    if (!src)
        src = "";
    size_t n = pgcdc_utf8_cut(src, size - 1);
    memmove(dst, src, n);
    dst[n] = '\0';
    return dst;
}

char *pgcdc_text_escape_controls(char *dst, size_t size, const char *src)
{
    if (size == 0)
        return dst;
    size_t w = 0;
    for (const unsigned char *r = (const unsigned char *)(src ? src : ""); *r;) {
        char esc[5];
        size_t len;
        if (*r < 0x20 || *r == 0x7F) {
            if (*r == '\n')
                len = (size_t)snprintf(esc, sizeof esc, "\\n");
            else if (*r == '\r')
                len = (size_t)snprintf(esc, sizeof esc, "\\r");
            else if (*r == '\t')
                len = (size_t)snprintf(esc, sizeof esc, "\\t");
            else
                len = (size_t)snprintf(esc, sizeof esc, "\\x%02x", *r);
            if (w + len >= size)
                break;
            memcpy(dst + w, esc, len);
            r++;
        } else {
            /* one whole character, or nothing */
            len = 1;
            while (len < char_len(*r) && r[len] && is_continuation(r[len]))
                len++;
            if (w + len >= size)
                break;
            memcpy(dst + w, r, len);
            r += len;
        }
        w += len;
    }
    dst[w] = '\0';
    return dst;
}

void pgcdc_text_one_line(char *s)
{
    char *w = s;
    bool space = false;
    for (const char *r = s; *r; r++) {
        if (*r == '\n' || *r == '\r' || *r == '\t' || *r == ' ') {
            space = w != s;
            continue;
        }
        if (space)
            *w++ = ' ';
        space = false;
        *w++ = *r;
    }
    *w = '\0';
    pgcdc_utf8_trim(s);
}
