/* pgcdc/suggest.h - "did you mean ...?" for misspelt parameter names. */
#ifndef PGCDC_SUGGEST_H
#define PGCDC_SUGGEST_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Case-insensitive edit distance between two strings. */
int pgcdc_edit_distance(const char *a, const char *b);

/* The candidate closest to word, or NULL if none is plausibly what was meant
 * (distance more than about a third of the word's length). */
const char *pgcdc_closest_name(const char *word, const char *const *candidates, size_t n);

#ifdef __cplusplus
}
#endif
#endif
