/* ingest/regex.h - the regular expressions users write in `Included Table
 * Regex` and `Column Filter JSON`: POSIX extended (regcomp REG_EXTENDED),
 * always matched against the whole string, with the few Java habits users
 * bring from Openflow accepted or refused loudly (see regex.c). */
#ifndef PGCDC_INGEST_REGEX_H
#define PGCDC_INGEST_REGEX_H

#include <regex.h>
#include <stdbool.h>
#include "pgcdc/error.h"

typedef struct pgcdc_rx {
    regex_t re;
    bool compiled;
} pgcdc_rx;

/* Compiles pattern for full-string matching. what names the pattern in
 * messages ("Included Table Regex", "Column Filter JSON: filter 2 ..."). */
pgcdc_code pgcdc_rx_compile(pgcdc_rx *rx, const char *pattern, const char *what, pgcdc_error *err);

/* True when the whole of s matches. */
bool pgcdc_rx_match(const pgcdc_rx *rx, const char *s);

void pgcdc_rx_free(pgcdc_rx *rx);

#endif
