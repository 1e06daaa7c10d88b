/* tables_internal.h - the parsed table selection, shared by table_select.c
 * (parsing, matching) and table_resolve.c (the live catalog). */
#ifndef PGCDC_TABLES_INTERNAL_H
#define PGCDC_TABLES_INTERNAL_H

#include "pgcdc/tables.h"
#include "ingest/regex.h"

typedef struct sel_name {
    char schema[64];
    char table[64];
} sel_name;

/* Warnings a selection has logged already: a selection resolved again and
 * again (every few seconds while running, to find new tables) names a table
 * it skips once, not on every resolution. */
typedef struct sel_warned {
    char **texts;
    size_t n, cap;
} sel_warned;

struct pgcdc_table_selection {
    size_t nnames;
    sel_name *names;   /* Included Table Names, in order, without repeats */
    char *regex;       /* Included Table Regex as given (trimmed), NULL if unset */
    pgcdc_rx rx;
    sel_warned *warned; /* owned; written while resolving (a const selection too) */
};

/* Whether text was warned about before; remembers it if not (false). */
bool sel_warned_before(const pgcdc_table_selection *sel, const char *text);

/* Index of schema.table in Included Table Names, or -1. */
int sel_name_index(const pgcdc_table_selection *sel, const char *schema, const char *table);

/* Whether "schema.table" matches Included Table Regex (false if unset). */
bool sel_regex_matches(const pgcdc_table_selection *sel, const char *schema, const char *table);

#endif
