/* check.h - the tiny assertion kit of the C tests: failed checks are counted
 * and printed with file:line, and pgt_done() turns the count into the exit code. */
#ifndef PGT_CHECK_H
#define PGT_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

extern int pgt_checks;
extern int pgt_failures;

#define CHECK(cond) do { pgt_checks++; if (!(cond)) { pgt_failures++; \
    fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); } } while (0)

#define CHECK_MSG(cond, ...) do { pgt_checks++; if (!(cond)) { pgt_failures++; \
    fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond); \
    fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } while (0)

#define CHECK_INT(a, b) do { long long a_ = (long long)(a), b_ = (long long)(b); pgt_checks++; \
    if (a_ != b_) { pgt_failures++; fprintf(stderr, "%s:%d: CHECK_INT failed: %s == %lld, expected %s == %lld\n", \
    __FILE__, __LINE__, #a, a_, #b, b_); } } while (0)

#define CHECK_STR(a, b) do { const char *a_ = (a), *b_ = (b); pgt_checks++; \
    if (!a_ || !b_ || strcmp(a_, b_) != 0) { pgt_failures++; \
    fprintf(stderr, "%s:%d: CHECK_STR failed: %s == \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #a, \
    a_ ? a_ : "(null)", b_ ? b_ : "(null)"); } } while (0)

/* CHECK_STR of a string the check then frees (a pgt_query_value result) */
#define CHECK_STR_FREE(a, b) do { char *s_ = (a); CHECK_STR(s_, b); free(s_); } while (0)

/* strstr(hay, needle) != NULL */
#define CHECK_CONTAINS(hay, needle) do { const char *h_ = (hay), *n_ = (needle); pgt_checks++; \
    if (!h_ || !strstr(h_, n_)) { pgt_failures++; \
    fprintf(stderr, "%s:%d: CHECK_CONTAINS failed: \"%s\" does not contain \"%s\"\n", __FILE__, __LINE__, \
    h_ ? h_ : "(null)", n_); } } while (0)

#define CHECK_NOT_CONTAINS(hay, needle) do { const char *h_ = (hay), *n_ = (needle); pgt_checks++; \
    if (h_ && strstr(h_, n_)) { pgt_failures++; \
    fprintf(stderr, "%s:%d: CHECK_NOT_CONTAINS failed: \"%s\" contains \"%s\"\n", __FILE__, __LINE__, h_, n_); } \
    } while (0)

/* Prints the summary and returns the process exit code (0 only if every check passed
 * and at least one ran: a test that checks nothing is a failure). */
int pgt_done(const char *name);

#endif
