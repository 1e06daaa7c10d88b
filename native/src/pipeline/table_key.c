/* table_key.c - the one name of a source table in the state tables, the
 * status, the connector's API and NiFi's View State: a key that stands for
 * the (schema, table) pair and for nothing else.
 *
 * "schema.table" alone is ambiguous: a."b.c" and "a.b".c both read a.b.c,
 * and the two tables then shared one state row (issue 8, item 4). So a name
 * with a dot or a double quote in either part is written quoted, as SQL
 * would: "a"."b.c" and "a.b"."c" ('"' doubled inside). Every other name -
 * nearly every real one - keeps the plain form app.orders, which is what the
 * state rows held before, so those rows need no migration
 * (pl_state_claim_legacy takes over the rows of the others). */
#include <stdio.h>
#include <string.h>

#include "pipeline_internal.h"

static bool needs_quotes(const char *s)
{
    return strpbrk(s, ".\"") != NULL;
}

static void put_quoted(char **o, const char *s)
{
    *(*o)++ = '"';
    for (; *s; s++) {
        if (*s == '"')
            *(*o)++ = '"';
        *(*o)++ = *s;
    }
    *(*o)++ = '"';
}

void pl_table_key(const char *schema, const char *table, char out[PL_KEY_MAX])
{
    if (!needs_quotes(schema) && !needs_quotes(table)) {
        snprintf(out, PL_KEY_MAX, "%s.%s", schema, table);
        return;
    }
    /* each part is under 64 bytes: doubled quotes and the 5 added fit */
    char *o = out;
    put_quoted(&o, schema);
    *o++ = '.';
    put_quoted(&o, table);
    *o = '\0';
}

/* One part: quoted ("..." with "" for a quote, up to the closing quote) or
 * plain (up to stop, '\0' for "to the end"). *p is moved past it. */
static bool get_part(const char **p, char stop, char out[64])
{
    const char *s = *p;
    size_t n = 0;
    if (*s == '"') {
        for (s++;; s++) {
            if (!*s)
                return false;
            if (*s == '"') {
                if (s[1] != '"')
                    break;
                s++;
            }
            if (n >= 63)
                return false;
            out[n++] = *s;
        }
        s++; /* the closing quote */
    } else {
        const char *end = stop ? strchr(s, stop) : s + strlen(s);
        if (!end || (size_t)(end - s) >= 64)
            return false;
        n = (size_t)(end - s);
        memcpy(out, s, n);
        s = end;
    }
    out[n] = '\0';
    *p = s;
    return n > 0;
}

pgcdc_code pl_table_key_parse(const char *key, char schema[64], char table[64], pgcdc_error *err)
{
    const char *p = key ? key : "";
    bool ok = get_part(&p, '.', schema) && *p++ == '.' && get_part(&p, '\0', table) && !*p;
    if (!ok)
        return pgcdc_error_set(err, PGCDC_EINVAL, "'%s' is not a table name: write schema.table (catalog names; "
                               "a part with a dot or a double quote in double quotes, as \"a.b\".\"c\")",
                               key ? key : "");
    return PGCDC_OK;
}
