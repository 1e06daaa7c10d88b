/* regex.c - POSIX extended regular expressions, anchored, for table and
 * column patterns.
 *
 * Openflow (Java) matches these patterns against the whole name, and users
 * copy patterns from its documentation, so before regcomp we:
 *   - anchor: the pattern must match the whole string (Java's matches());
 *   - take a leading (?i) as "ignore case" (REG_ICASE);
 *   - turn \d and \D into [0-9] and [^0-9] (POSIX would read them as d, D);
 *   - drop the '?' of lazy quantifiers (*? +? ?? {n,m}?): for a whole-string
 *     match lazy and greedy accept exactly the same strings;
 * and refuse, rather than silently mismatch:
 *   - any other (?...) group (lookaround, inline flags, non-capturing);
 *   - a backslash inside [...] (POSIX takes it literally, Java as an escape);
 *   - a quantifier right after another (a++ is possessive in Java and
 *     undefined in POSIX).
 * GNU's \w \W \s \S \b \< \> work as in glibc.
 *
 * glibc's regcomp expands bounded repeats ({n,m}) into copies, so nested
 * bounds or stacked quantifiers can make it allocate gigabytes (found by
 * fuzzing). Patterns are therefore limited in length and in the product of
 * their repeat bounds, far above what a table or column pattern needs. */
#include "ingest/regex.h"
#include "pgcdc/buf.h"
#include "common/text_safe.h"

#include <string.h>

#define RX_MAX_LEN 1000        /* bytes of pattern */
#define RX_MAX_BOUND_PRODUCT 10000 /* product of the {n,m} upper bounds */

static pgcdc_code refuse(pgcdc_error *err, const char *what, const char *pattern, const char *why)
{
    return pgcdc_error_set(err, PGCDC_EINVAL,
                           "%s \"%.*s\" is not supported: %s (patterns are POSIX extended regular expressions "
                           "matched against the whole name; see docs/ingestion.md)",
                           what, PGCDC_UTF8_PREC(pattern, 200), pattern, why);
}

/* Rewrites pattern into out as described above; sets *icase. */
static pgcdc_code translate(const char *pattern, const char *what, pgcdc_buf *out, int *icase, pgcdc_error *err)
{
    const char *s = pattern;
    *icase = 0;
    if (strncmp(s, "(?i)", 4) == 0) {
        *icase = 1;
        s += 4;
    }
    if (strlen(s) > RX_MAX_LEN)
        return refuse(err, what, pattern, "it is longer than 1000 characters");
    int oom = 0;
    bool after_quantifier = false; /* the last thing emitted was a quantifier */
    long bound_product = 1;
    while (*s) {
        char c = *s;
        if (c == '{' && ((s[1] >= '0' && s[1] <= '9') || (s[1] == ',' && s[2] >= '0' && s[2] <= '9'))) {
            /* a bound: {n}, {n,}, {n,m} or glibc's {,m} */
            const char *q = s + 1;
            long lo = 0, hi = -1;
            while (*q >= '0' && *q <= '9' && lo <= RX_MAX_BOUND_PRODUCT)
                lo = lo * 10 + (*q++ - '0');
            if (*q == ',') {
                q++;
                if (*q >= '0' && *q <= '9')
                    for (hi = 0; *q >= '0' && *q <= '9' && hi <= RX_MAX_BOUND_PRODUCT; q++)
                        hi = hi * 10 + (*q - '0');
            }
            if (*q == '}') {
                if (after_quantifier)
                    return refuse(err, what, pattern, "a quantifier right after another (such as a+{2}) has no "
                                                      "defined meaning in POSIX");
                long most = hi > lo ? hi : lo;
                bound_product *= most > 1 ? most : 1;
                if (bound_product > RX_MAX_BOUND_PRODUCT)
                    return refuse(err, what, pattern, "its repeat counts {n,m} are too large (their product must stay "
                                                      "under 10000)");
                oom |= pgcdc_buf_append(out, s, (size_t)(q + 1 - s));
                s = q + 1;
                if (*s == '?')
                    s++; /* lazy */
                after_quantifier = true;
                continue;
            }
        }
        if (c == '*' || c == '+' || c == '?') {
            if (after_quantifier)
                return refuse(err, what, pattern, "a quantifier right after another (such as a++, Java's possessive "
                                                  "form) has no defined meaning in POSIX");
            oom |= pgcdc_buf_putc(out, c);
            s++;
            if (*s == '?')
                s++; /* lazy quantifier */
            after_quantifier = true;
            continue;
        }
        after_quantifier = false;
        if (c == '\\') {
            if (!s[1])
                return refuse(err, what, pattern, "it ends with a lone backslash");
            if (s[1] == 'd')
                oom |= pgcdc_buf_puts(out, "[0-9]");
            else if (s[1] == 'D')
                oom |= pgcdc_buf_puts(out, "[^0-9]");
            else
                oom |= pgcdc_buf_append(out, s, 2);
            s += 2;
            continue;
        }
        if (c == '(' && s[1] == '?')
            return refuse(err, what, pattern, "(?...) groups are Java/Perl syntax; only a leading (?i) is accepted");
        if (c == '[') {
            const char *start = s++;
            if (*s == '^')
                s++;
            if (*s == ']')
                s++;
            while (*s && *s != ']') {
                if (*s == '\\')
                    return refuse(err, what, pattern, "a backslash inside [...] would be taken literally; "
                                                      "write [0-9] for \\d and [.] for \\.");
                if (*s == '[' && (s[1] == ':' || s[1] == '.' || s[1] == '=')) {
                    char kind = s[1];
                    const char *end = s + 2;
                    while (*end && !(end[0] == kind && end[1] == ']'))
                        end++;
                    s = *end ? end + 2 : end;
                    continue;
                }
                s++;
            }
            if (*s == ']')
                s++;
            oom |= pgcdc_buf_append(out, start, (size_t)(s - start)); /* unclosed: regcomp says so */
            continue;
        }
        oom |= pgcdc_buf_putc(out, c);
        s++;
    }
    return oom ? pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory compiling %s", what) : PGCDC_OK;
}

static pgcdc_code compile(regex_t *re, const char *text, int flags, const char *what, const char *pattern,
                          pgcdc_error *err)
{
    int rc = regcomp(re, text, flags);
    if (rc == 0)
        return PGCDC_OK;
    char msg[200];
    regerror(rc, re, msg, sizeof msg);
    regfree(re);
    if (rc == REG_ESPACE)
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory compiling %s", what);
    return pgcdc_error_set(err, PGCDC_EINVAL,
                           "%s \"%.*s\" is not a valid regular expression: %s (patterns are POSIX extended regular "
                           "expressions matched against the whole name, e.g. app\\.(orders|customers)_[0-9]+)",
                           what, PGCDC_UTF8_PREC(pattern, 200), pattern, msg);
}

pgcdc_code pgcdc_rx_compile(pgcdc_rx *rx, const char *pattern, const char *what, pgcdc_error *err)
{
    rx->compiled = false;
    pgcdc_buf body = PGCDC_BUF_INIT, full = PGCDC_BUF_INIT;
    int icase;
    pgcdc_code rc = translate(pattern, what, &body, &icase, err);
    int flags = REG_EXTENDED | REG_NOSUB | (icase ? REG_ICASE : 0);
    if (rc == PGCDC_OK) {
        /* Compiled alone first: an unbalanced ')' must be an error, not
         * something that escapes the anchoring group below. */
        regex_t probe;
        rc = compile(&probe, body.data ? body.data : "", flags, what, pattern, err);
        if (rc == PGCDC_OK)
            regfree(&probe);
    }
    if (rc == PGCDC_OK) {
        if (pgcdc_buf_printf(&full, "^(%s)$", body.data ? body.data : "") < 0)
            rc = pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory compiling %s", what);
        else
            rc = compile(&rx->re, full.data, flags, what, pattern, err);
    }
    pgcdc_buf_free(&body);
    pgcdc_buf_free(&full);
    rx->compiled = rc == PGCDC_OK;
    return rc;
}

bool pgcdc_rx_match(const pgcdc_rx *rx, const char *s)
{
    return rx->compiled && regexec(&rx->re, s, 0, NULL, 0) == 0;
}

void pgcdc_rx_free(pgcdc_rx *rx)
{
    if (rx->compiled)
        regfree(&rx->re);
    rx->compiled = false;
}
