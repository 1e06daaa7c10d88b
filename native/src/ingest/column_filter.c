/* column_filter.c - `Column Filter JSON`: parsed once into compiled filters,
 * then applied to each table's column list (rules in pgcdc/tables.h). */
#include "pgcdc/tables.h"
#include "pgcdc/json.h"
#include "pgcdc/log.h"
#include "pgcdc/suggest.h"
#include "ingest/regex.h"
#include "common/text_safe.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct name_list {
    bool given;
    size_t n;
    char **names;
} name_list;

typedef struct cf_entry {
    int line, column;     /* of the filter object, for messages */
    char *schema, *table; /* exact names, or NULL when a pattern is used */
    pgcdc_rx schema_rx, table_rx;
    name_list included, excluded;
    pgcdc_rx included_rx, excluded_rx; /* .compiled tells whether given */
} cf_entry;

struct pgcdc_column_filter {
    size_t n;
    cf_entry *f;
};

static const char *const FIELDS[] = {"schema", "schemaPattern", "table", "tablePattern",
                                     "included", "excluded", "includedPattern", "excludedPattern"};
#define NFIELDS (sizeof FIELDS / sizeof FIELDS[0])
#define EXAMPLE "{\"schema\": \"app\", \"table\": \"users\", \"excluded\": [\"ssn\"]}"

typedef struct ctx {
    size_t index; /* 1-based filter number */
    const pgcdc_json *obj;
    pgcdc_error *err;
} ctx;

__attribute__((format(printf, 2, 3)))
static pgcdc_code bad(ctx *c, const char *fmt, ...)
{
    char what[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return pgcdc_error_set(c->err, PGCDC_EINVAL, PGCDC_P_COLUMN_FILTER_JSON ": filter %zu (line %d, column %d): %s",
                           c->index, c->obj->line, c->obj->column, what);
}

/* A non-empty string without NUL bytes, copied; field names the member. */
static pgcdc_code get_string(ctx *c, const pgcdc_json *v, const char *field, char **out)
{
    if (v->type != PGCDC_JSON_STRING)
        return bad(c, "\"%s\" must be a string, not %s", field, pgcdc_json_type_name(v->type));
    if (v->len == 0)
        return bad(c, "\"%s\" is empty", field);
    if (strlen(v->str) != v->len)
        return bad(c, "\"%s\" contains a \\u0000 character, which no PostgreSQL name can", field);
    if (!(*out = strdup(v->str)))
        return pgcdc_error_set(c->err, PGCDC_ENOMEM, "out of memory reading " PGCDC_P_COLUMN_FILTER_JSON);
    return PGCDC_OK;
}

static pgcdc_code get_list(ctx *c, const pgcdc_json *v, const char *field, name_list *out)
{
    if (v->type != PGCDC_JSON_ARRAY)
        return bad(c, "\"%s\" must be an array of column names such as [\"id\", \"name\"], not %s", field,
                   pgcdc_json_type_name(v->type));
    out->given = true;
    if (v->n && !(out->names = calloc(v->n, sizeof *out->names)))
        return pgcdc_error_set(c->err, PGCDC_ENOMEM, "out of memory reading " PGCDC_P_COLUMN_FILTER_JSON);
    for (size_t i = 0; i < v->n; i++) {
        char elem[64];
        snprintf(elem, sizeof elem, "%s[%zu]", field, i);
        pgcdc_code rc = get_string(c, v->items[i], elem, &out->names[i]);
        if (rc != PGCDC_OK)
            return rc;
        out->n++;
    }
    return PGCDC_OK;
}

static pgcdc_code get_pattern(ctx *c, const pgcdc_json *v, const char *field, pgcdc_rx *rx)
{
    char *text = NULL;
    pgcdc_code rc = get_string(c, v, field, &text);
    if (rc != PGCDC_OK)
        return rc;
    char what[160];
    snprintf(what, sizeof what, PGCDC_P_COLUMN_FILTER_JSON ": filter %zu (line %d, column %d): \"%s\"", c->index,
             c->obj->line, c->obj->column, field);
    rc = pgcdc_rx_compile(rx, text, what, c->err);
    free(text);
    return rc;
}

/* schema/schemaPattern or table/tablePattern: exactly one of the pair. */
static pgcdc_code get_name_or_pattern(ctx *c, const char *exact, const char *pattern, char **name, pgcdc_rx *rx)
{
    const pgcdc_json *e = pgcdc_json_member(c->obj, exact), *p = pgcdc_json_member(c->obj, pattern);
    if (e && p)
        return bad(c, "give either \"%s\" or \"%s\", not both", exact, pattern);
    if (!e && !p)
        return bad(c, "\"%s\" (or \"%s\") is missing; a filter looks like " EXAMPLE, exact, pattern);
    return e ? get_string(c, e, exact, name) : get_pattern(c, p, pattern, rx);
}

static pgcdc_code parse_entry(ctx *c, cf_entry *f)
{
    if (c->obj->type != PGCDC_JSON_OBJECT)
        return bad(c, "a filter must be an object such as " EXAMPLE ", not %s", pgcdc_json_type_name(c->obj->type));
    f->line = c->obj->line;
    f->column = c->obj->column;
    for (size_t i = 0; i < c->obj->n; i++) {
        const char *key = c->obj->keys[i]->str;
        bool known = false;
        for (size_t k = 0; k < NFIELDS; k++)
            known |= strcmp(key, FIELDS[k]) == 0;
        if (!known) {
            const char *near = pgcdc_closest_name(key, FIELDS, NFIELDS);
            char hint[80] = "";
            if (near)
                snprintf(hint, sizeof hint, "did you mean \"%s\"? ", near);
            return bad(c, "\"%.*s\" is not a filter field; %sthe fields are schema, schemaPattern, table, "
                          "tablePattern, included, excluded, includedPattern and excludedPattern",
                       PGCDC_UTF8_PREC(key, 60), key, hint);
        }
    }
    pgcdc_code rc = get_name_or_pattern(c, "schema", "schemaPattern", &f->schema, &f->schema_rx);
    if (rc == PGCDC_OK)
        rc = get_name_or_pattern(c, "table", "tablePattern", &f->table, &f->table_rx);
    const pgcdc_json *v;
    if (rc == PGCDC_OK && (v = pgcdc_json_member(c->obj, "included")))
        rc = get_list(c, v, "included", &f->included);
    if (rc == PGCDC_OK && (v = pgcdc_json_member(c->obj, "excluded")))
        rc = get_list(c, v, "excluded", &f->excluded);
    if (rc == PGCDC_OK && (v = pgcdc_json_member(c->obj, "includedPattern")))
        rc = get_pattern(c, v, "includedPattern", &f->included_rx);
    if (rc == PGCDC_OK && (v = pgcdc_json_member(c->obj, "excludedPattern")))
        rc = get_pattern(c, v, "excludedPattern", &f->excluded_rx);
    if (rc == PGCDC_OK && !f->included.given && !f->excluded.given && !f->included_rx.compiled &&
        !f->excluded_rx.compiled)
        rc = bad(c, "it needs at least one of \"included\", \"excluded\", \"includedPattern\" and "
                    "\"excludedPattern\", e.g. " EXAMPLE);
    return rc;
}

static void free_list(name_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->names[i]);
    free(l->names);
}

void pgcdc_column_filter_free(pgcdc_column_filter *filter)
{
    if (!filter)
        return;
    for (size_t i = 0; i < filter->n; i++) {
        cf_entry *f = &filter->f[i];
        free(f->schema);
        free(f->table);
        pgcdc_rx_free(&f->schema_rx);
        pgcdc_rx_free(&f->table_rx);
        free_list(&f->included);
        free_list(&f->excluded);
        pgcdc_rx_free(&f->included_rx);
        pgcdc_rx_free(&f->excluded_rx);
    }
    free(filter->f);
    free(filter);
}

pgcdc_code pgcdc_column_filter_parse(const char *json, pgcdc_column_filter **out, pgcdc_error *err)
{
    *out = NULL;
    pgcdc_column_filter *filter = calloc(1, sizeof *filter);
    if (!filter)
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory reading " PGCDC_P_COLUMN_FILTER_JSON);
    if (!json || json[strspn(json, " \t\r\n")] == '\0') {
        *out = filter;
        return PGCDC_OK;
    }
    pgcdc_json_doc *doc;
    pgcdc_code rc = pgcdc_json_parse(json, strlen(json), &doc, err);
    if (rc != PGCDC_OK) {
        free(filter);
        if (err)
            pgcdc_error_prefix(err, PGCDC_P_COLUMN_FILTER_JSON);
        return rc;
    }
    const pgcdc_json *root = pgcdc_json_root(doc);
    bool single = root->type == PGCDC_JSON_OBJECT; /* Openflow accepts one filter without the array */
    if (!single && root->type != PGCDC_JSON_ARRAY) {
        rc = pgcdc_error_set(err, PGCDC_EINVAL, PGCDC_P_COLUMN_FILTER_JSON " must be an array of filters such as "
                             "[" EXAMPLE "] (or one filter object), not %s", pgcdc_json_type_name(root->type));
    } else {
        size_t n = single ? 1 : root->n;
        if (n && !(filter->f = calloc(n, sizeof *filter->f)))
            rc = pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory reading " PGCDC_P_COLUMN_FILTER_JSON);
        for (size_t i = 0; rc == PGCDC_OK && i < n; i++) {
            ctx c = {i + 1, single ? root : root->items[i], err};
            filter->n++;
            rc = parse_entry(&c, &filter->f[i]);
        }
    }
    pgcdc_json_free(doc);
    if (rc != PGCDC_OK) {
        pgcdc_column_filter_free(filter);
        return rc;
    }
    *out = filter;
    return PGCDC_OK;
}

size_t pgcdc_column_filter_count(const pgcdc_column_filter *filter)
{
    return filter ? filter->n : 0;
}

static bool part_matches(const char *exact, const pgcdc_rx *rx, const char *name)
{
    return exact ? strcmp(exact, name) == 0 : pgcdc_rx_match(rx, name);
}

static bool listed(const name_list *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->names[i], name) == 0)
            return true;
    return false;
}

/* Warns about names in l that are not columns of the table. */
static void warn_unknown(const name_list *l, const char *field, int index, const char *schema, const char *table,
                         const char *const *columns, size_t n)
{
    for (size_t i = 0; i < l->n; i++) {
        bool found = false;
        for (size_t j = 0; j < n && !found; j++)
            found = strcmp(columns[j], l->names[i]) == 0;
        if (!found)
            pgcdc_log(PGCDC_LOG_WARN, PGCDC_P_COLUMN_FILTER_JSON ": filter %d lists \"%s\" in \"%s\", but table "
                      "%s.%s has no such column (names are case-sensitive, as in the catalog)",
                      index, l->names[i], field, schema, table);
    }
}

int pgcdc_column_filter_apply(const pgcdc_column_filter *filter, const char *schema, const char *table,
                              const char *const *columns, const bool *is_key, size_t n, bool *keep_out)
{
    int best = -1, best_rank = -1;
    for (size_t i = 0; filter && i < filter->n; i++) {
        const cf_entry *f = &filter->f[i];
        if (!part_matches(f->schema, &f->schema_rx, schema) || !part_matches(f->table, &f->table_rx, table))
            continue;
        int rank = (f->schema != NULL) + (f->table != NULL);
        if (rank >= best_rank) { /* exact beats pattern; the last of equal rank wins */
            best = (int)i;
            best_rank = rank;
        }
    }
    for (size_t i = 0; i < n; i++)
        keep_out[i] = true;
    if (best < 0)
        return 0;
    const cf_entry *f = &filter->f[best];
    bool include_only = f->included.given || f->included_rx.compiled;
    for (size_t i = 0; i < n; i++) {
        const char *col = columns[i];
        bool keep;
        if (listed(&f->excluded, col))
            keep = false;
        else if (listed(&f->included, col))
            keep = true;
        else if (pgcdc_rx_match(&f->excluded_rx, col))
            keep = false;
        else if (pgcdc_rx_match(&f->included_rx, col))
            keep = true;
        else
            keep = !include_only;
        if (!keep && is_key && is_key[i])
            pgcdc_log(PGCDC_LOG_WARN, PGCDC_P_COLUMN_FILTER_JSON ": filter %d would drop column \"%s\" of table "
                      "%s.%s, but it is part of the key, which is always replicated", best + 1, col, schema, table);
        keep_out[i] = keep || (is_key && is_key[i]);
    }
    warn_unknown(&f->included, "included", best + 1, schema, table, columns, n);
    warn_unknown(&f->excluded, "excluded", best + 1, schema, table, columns, n);
    return best + 1;
}
