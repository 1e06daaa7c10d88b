/* table_select.c - `Included Table Names` and `Included Table Regex`:
 * parsing both, and deciding whether one table (catalog names) is selected.
 * Resolving against a live catalog is table_resolve.c's job. */
#include "pgcdc/tables.h"
#include "pgcdc/preflight.h"
#include "ingest/regex.h"
#include "ingest/tables_internal.h"
#include "common/text_safe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool blank(const char *s)
{
    return !s || s[strspn(s, " \t\r\n")] == '\0';
}

/* Adds one list item (text of length len) unless it is blank or a repeat. */
static pgcdc_code add_name(pgcdc_table_selection *sel, const char *item, size_t len, size_t index, pgcdc_error *err)
{
    char text[512];
    if (len >= sizeof text)
        return pgcdc_error_set(err, PGCDC_EINVAL, PGCDC_P_INCLUDED_TABLE_NAMES ": item %zu (\"%.*s...\") is too long",
                               index, PGCDC_UTF8_PREC(item, 60), item);
    memcpy(text, item, len);
    text[len] = '\0';
    if (blank(text))
        return PGCDC_OK; /* "a, , b" or a trailing comma: nothing meant there */
    char schema[64], table[64];
    pgcdc_code rc = pgcdc_preflight_split_name(text, schema, table, err);
    if (rc != PGCDC_OK) {
        pgcdc_error_prefix(err, PGCDC_P_INCLUDED_TABLE_NAMES ": item %zu", index);
        return rc;
    }
    if (sel_name_index(sel, schema, table) >= 0)
        return PGCDC_OK;
    sel_name *grown = realloc(sel->names, (sel->nnames + 1) * sizeof *grown);
    if (!grown)
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory reading " PGCDC_P_INCLUDED_TABLE_NAMES);
    sel->names = grown;
    memcpy(grown[sel->nnames].schema, schema, sizeof schema);
    memcpy(grown[sel->nnames].table, table, sizeof table);
    sel->nnames++;
    return PGCDC_OK;
}

/* Splits the list at commas outside double quotes. */
static pgcdc_code parse_names(pgcdc_table_selection *sel, const char *names, pgcdc_error *err)
{
    const char *item = names;
    bool quoted = false;
    size_t index = 1;
    for (const char *s = names;; s++) {
        if (*s == '"')
            quoted = !quoted; /* a doubled "" toggles twice: still inside */
        if (*s == '\0' || (*s == ',' && !quoted)) {
            pgcdc_code rc = add_name(sel, item, (size_t)(s - item), index++, err);
            if (rc != PGCDC_OK)
                return rc;
            if (*s == '\0')
                return PGCDC_OK;
            item = s + 1;
        }
    }
}

pgcdc_code pgcdc_table_selection_parse(const char *names, const char *regex, pgcdc_table_selection **out,
                                       pgcdc_error *err)
{
    *out = NULL;
    if (blank(names) && blank(regex))
        return pgcdc_error_set(err, PGCDC_EINVAL,
                               "neither " PGCDC_P_INCLUDED_TABLE_NAMES " nor " PGCDC_P_INCLUDED_TABLE_REGEX
                               " is set, so no table would be replicated: set one or both, e.g. "
                               PGCDC_P_INCLUDED_TABLE_NAMES " = app.customers, app.orders or "
                               PGCDC_P_INCLUDED_TABLE_REGEX " = app\\..*");
    pgcdc_table_selection *sel = calloc(1, sizeof *sel);
    if (sel && !(sel->warned = calloc(1, sizeof *sel->warned))) {
        free(sel);
        sel = NULL;
    }
    if (!sel)
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory reading the included tables");
    pgcdc_code rc = PGCDC_OK;
    if (!blank(names))
        rc = parse_names(sel, names, err);
    if (rc == PGCDC_OK && !blank(regex)) {
        size_t start = strspn(regex, " \t\r\n"), end = strlen(regex);
        while (end > start && strchr(" \t\r\n", regex[end - 1]))
            end--;
        if (!(sel->regex = strndup(regex + start, end - start)))
            rc = pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory reading " PGCDC_P_INCLUDED_TABLE_REGEX);
        else
            rc = pgcdc_rx_compile(&sel->rx, sel->regex, PGCDC_P_INCLUDED_TABLE_REGEX, err);
    }
    if (rc != PGCDC_OK) {
        pgcdc_table_selection_free(sel);
        return rc;
    }
    *out = sel;
    return PGCDC_OK;
}

void pgcdc_table_selection_free(pgcdc_table_selection *sel)
{
    if (!sel)
        return;
    free(sel->names);
    free(sel->regex);
    pgcdc_rx_free(&sel->rx);
    if (sel->warned) {
        for (size_t i = 0; i < sel->warned->n; i++)
            free(sel->warned->texts[i]);
        free(sel->warned->texts);
        free(sel->warned);
    }
    free(sel);
}

/* Bounds the memory of a selection over a huge, changing database: past
 * this many distinct warnings, new ones are logged every time again. */
#define MAX_WARNED 10000

bool sel_warned_before(const pgcdc_table_selection *sel, const char *text)
{
    sel_warned *w = sel->warned;
    if (!w)
        return false;
    for (size_t i = 0; i < w->n; i++)
        if (!strcmp(w->texts[i], text))
            return true;
    if (w->n == MAX_WARNED)
        return false;
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 16;
        char **t = realloc(w->texts, cap * sizeof *t);
        if (!t)
            return false;
        w->texts = t;
        w->cap = cap;
    }
    char *copy = strdup(text);
    if (copy)
        w->texts[w->n++] = copy;
    return false;
}

int sel_name_index(const pgcdc_table_selection *sel, const char *schema, const char *table)
{
    for (size_t i = 0; i < sel->nnames; i++)
        if (strcmp(sel->names[i].schema, schema) == 0 && strcmp(sel->names[i].table, table) == 0)
            return (int)i;
    return -1;
}

bool sel_regex_matches(const pgcdc_table_selection *sel, const char *schema, const char *table)
{
    if (!sel->rx.compiled)
        return false;
    char full[64 + 1 + 64];
    int n = snprintf(full, sizeof full, "%s.%s", schema, table);
    if (n < 0 || (size_t)n >= sizeof full)
        return false; /* longer than any PostgreSQL name pair */
    return pgcdc_rx_match(&sel->rx, full);
}

bool pgcdc_table_selection_matches(const pgcdc_table_selection *sel, const char *schema, const char *table)
{
    return sel && (sel_name_index(sel, schema, table) >= 0 || sel_regex_matches(sel, schema, table));
}
