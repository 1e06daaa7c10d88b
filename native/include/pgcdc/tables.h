/* pgcdc/tables.h - which tables and which of their columns are replicated:
 * `Included Table Names`, `Included Table Regex` and `Column Filter JSON`
 * (PostgreSQL Ingestion Parameters). docs/ingestion.md has the user's view.
 *
 * Patterns (the table regex, schemaPattern, tablePattern, includedPattern,
 * excludedPattern) are POSIX extended regular expressions (regcomp with
 * REG_EXTENDED) that must match the WHOLE string, as Java's matches() does
 * in Openflow. A leading (?i) ignores case; \d means a digit; lazy
 * quantifiers are read as greedy (same strings for a whole match); other
 * (?...) groups and a backslash inside [...] are refused.
 */
#ifndef PGCDC_TABLES_H
#define PGCDC_TABLES_H

#include <stdbool.h>
#include <stddef.h>
#include <libpq-fe.h>
#include "pgcdc/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PGCDC_P_INCLUDED_TABLE_NAMES "Included Table Names"
#define PGCDC_P_INCLUDED_TABLE_REGEX "Included Table Regex"
#define PGCDC_P_COLUMN_FILTER_JSON   "Column Filter JSON"

/* ---- Column Filter JSON ---------------------------------------------------
 *
 * An array of filters (or one filter object on its own), each:
 *   {"schema": "app" | "schemaPattern": "app_.*",
 *    "table": "orders" | "tablePattern": "orders_[0-9]+",
 *    "included": ["id", "name"], "excluded": ["ssn"],
 *    "includedPattern": ".*_at", "excludedPattern": "secret_.*"}
 * one of schema/schemaPattern, one of table/tablePattern, and at least one of
 * the four column fields. Names are compared exactly as in the catalog
 * (case-sensitive, unquoted).
 *
 * Which filter applies to a table: among the filters matching it, those
 * naming it exactly beat those using patterns (a filter's rank is the number
 * of exact parts, schema and table: 2, 1 or 0), and among the highest rank
 * the last one in the array wins. Only that filter is used; filters are not
 * combined. Within it, for each column:
 *   1. a key column is always kept (replication needs the key);
 *   2. named in "excluded": dropped (exclusions win: in both lists = dropped);
 *   3. named in "included": kept (an exact name beats a pattern);
 *   4. matches "excludedPattern": dropped;
 *   5. matches "includedPattern": kept;
 *   6. otherwise kept only if the filter has no "included"/"includedPattern".
 * A table no filter matches keeps every column.
 */
typedef struct pgcdc_column_filter pgcdc_column_filter;

/* Parses the parameter's value once. NULL or blank json = no filter (every
 * column kept). PGCDC_EINVAL with a message naming the filter (numbered from
 * 1, with its line and column) and the field that is wrong. */
pgcdc_code pgcdc_column_filter_parse(const char *json, pgcdc_column_filter **out, pgcdc_error *err);

void pgcdc_column_filter_free(pgcdc_column_filter *filter);

/* Number of filters (0 for no filter). */
size_t pgcdc_column_filter_count(const pgcdc_column_filter *filter);

/* Decides, for the n columns of schema.table, which are kept: keep_out[i].
 * is_key may be NULL (no key columns). Returns the number (from 1) of the
 * filter that applied, 0 if none did (all kept). Logs a warning for each
 * name in that filter's "included"/"excluded" that is not a column of the
 * table (a typo there would otherwise silently replicate a column) and for
 * each key column the filter would have dropped. */
int pgcdc_column_filter_apply(const pgcdc_column_filter *filter, const char *schema, const char *table,
                              const char *const *columns, const bool *is_key, size_t n, bool *keep_out);

/* ---- Included Table Names / Included Table Regex ---------------------------
 *
 * The included tables are the union of
 *   - Included Table Names: a comma-separated list of schema.table, each part
 *     exactly as in the catalog or double-quoted ("Sales"."Order Items",
 *     "a""b" for a quote; a quoted part may contain commas and dots); a name
 *     without a schema means public; blanks around items are ignored;
 *   - Included Table Regex: matched against the string schema + "." + table,
 *     the catalog names unquoted and unescaped (e.g. Sales.Order Items), and
 *     it must match the whole string.
 * Only tables of the publication are replicated (pgoutput sends no others).
 */
typedef struct pgcdc_table_selection pgcdc_table_selection;

/* Parses both parameters (NULL or blank = not set). At least one must be set. */
pgcdc_code pgcdc_table_selection_parse(const char *names, const char *regex, pgcdc_table_selection **out,
                                       pgcdc_error *err);

void pgcdc_table_selection_free(pgcdc_table_selection *sel);

/* Whether a table (catalog names) is selected: listed in Included Table
 * Names or matched by Included Table Regex. For tables first seen while
 * running (a Relation message of a table created later). */
bool pgcdc_table_selection_matches(const pgcdc_table_selection *sel, const char *schema, const char *table);

typedef struct pgcdc_included_table {
    char schema[64];   /* catalog names, unquoted */
    char table[64];
    bool by_name;      /* listed in Included Table Names */
    bool by_regex;     /* matched Included Table Regex */
} pgcdc_included_table;

typedef struct pgcdc_table_set {
    size_t n;
    pgcdc_included_table *tables;   /* sorted by schema, table; owned */
    int nwarnings;                  /* warnings found while resolving (each logged once per selection) */
} pgcdc_table_set;

/* Resolves the selection against the source's catalog: the tables of
 * publication (pg_publication_tables, which expands FOR ALL TABLES and FOR
 * TABLES IN SCHEMA) that the selection names or matches. Logs a warning
 * (pgcdc_log) for each named table that does not exist, each named or
 * matched table that is not in the publication (skipped, with the ALTER
 * PUBLICATION that adds it), a partitioned table whose partitions are
 * published separately (publish_via_partition_root = false), a regex
 * matching no published table, and an empty result - each warning once per
 * selection, however often it is resolved again. Reads only catalogs
 * every role may read, so a role with just LOGIN, REPLICATION and SELECT
 * suffices. conn is an ordinary (not replication) connection.
 * PGCDC_ENOTFOUND if the publication does not exist; PGCDC_ECONNECT if the
 * connection is lost; PGCDC_ESQL for other failures. */
pgcdc_code pgcdc_table_selection_resolve(const pgcdc_table_selection *sel, PGconn *conn, const char *publication,
                                         pgcdc_table_set *out, pgcdc_error *err);

void pgcdc_table_set_free(pgcdc_table_set *set);

/* Whether schema.table is in set (NULL if not). */
const pgcdc_included_table *pgcdc_table_set_find(const pgcdc_table_set *set, const char *schema, const char *table);

#ifdef __cplusplus
}
#endif
#endif
