/* suggest.c - closest-name suggestions (Levenshtein distance, case-insensitive). */
#include "pgcdc/suggest.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

int pgcdc_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    int stackrow[128];
    int *row = lb + 1 <= 128 ? stackrow : malloc(sizeof(int) * (lb + 1));
    if (!row)
        return (int)(la > lb ? la : lb);
    for (size_t j = 0; j <= lb; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int up = row[j];
            int cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
            int best = diag + cost;
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    int d = row[lb];
    if (row != stackrow)
        free(row);
    return d;
}

const char *pgcdc_closest_name(const char *word, const char *const *candidates, size_t n)
{
    const char *best = NULL;
    int bestd = 0;
    for (size_t i = 0; i < n; i++) {
        int d = pgcdc_edit_distance(word, candidates[i]);
        if (!best || d < bestd) {
            best = candidates[i];
            bestd = d;
        }
    }
    return best && bestd <= (int)strlen(word) / 3 + 1 ? best : NULL;
}
