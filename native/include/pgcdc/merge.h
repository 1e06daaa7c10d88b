/* pgcdc/merge.h - the merge planner: destination table metadata + dialect ->
 * SQL text. Pure: no I/O, no connection. docs/merge.md has the layout of the
 * destination, journal and state tables and the MERGE semantics in full.
 *
 * For one replicated table the planner writes:
 *   - CREATE SCHEMA IF NOT EXISTS for the destination schema;
 *   - CREATE TABLE for the destination table: the source columns, the three
 *     metadata columns _SNOWFLAKE_INSERTED_AT/_UPDATED_AT/_DELETED and (in
 *     the PostgreSQL dialect) a primary key on the source key;
 *   - CREATE TABLE IF NOT EXISTS for a journal generation
 *     <TABLE>_JOURNAL_<epoch>_<n> (source columns + _PGCDC_LSN, _PGCDC_SEQ,
 *     _PGCDC_OP, _PGCDC_COMMIT_TIME, _PGCDC_UNCHANGED), and its column list for
 *     the writer's COPY;
 *   - CREATE TABLE IF NOT EXISTS for the schema's _PGCDC_MERGE_STATE table;
 *   - the merge: three statements to run in ONE transaction (lock the state
 *     row, apply the window of journal rows, advance the state row);
 *   - the DDL for a schema change (ADD COLUMN, RENAME to <col>__SNOWFLAKE_DELETED,
 *     widening ALTER COLUMN TYPE), or PGCDC_EUNSUPPORTED with the reason.
 *
 * Identifiers are always quoted, through pgcdc_ident_quote. The only values in
 * the SQL are the merge parameters (below) and column names used as string
 * literals to look them up in _PGCDC_UNCHANGED (escaped by one function).
 */
#ifndef PGCDC_MERGE_H
#define PGCDC_MERGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "pgcdc/buf.h"
#include "pgcdc/error.h"
#include "pgcdc/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- identifiers ---- */

/* Object Identifier Resolution: CASE_SENSITIVE keeps names as in the source;
 * CASE_INSENSITIVE upper-cases them (ASCII letters a-z only: other characters
 * are kept, as Snowflake does for unquoted names). Both are quoted. */
typedef enum pgcdc_ident_case {
    PGCDC_IDENT_CASE_SENSITIVE = 0,
    PGCDC_IDENT_CASE_INSENSITIVE
} pgcdc_ident_case;

/* "CASE_SENSITIVE" / "CASE_INSENSITIVE" (any case, blanks around forgiven). */
pgcdc_code pgcdc_ident_case_parse(const char *s, pgcdc_ident_case *out, pgcdc_error *err);
const char *pgcdc_ident_case_name(pgcdc_ident_case c);

/* Appends name, resolved by c, as a quoted identifier of dialect d: in double
 * quotes, inner double quotes doubled (the same rule in PostgreSQL and
 * Snowflake). Returns 0, or -1 when memory runs out (out unchanged). */
int pgcdc_ident_quote(pgcdc_buf *out, pgcdc_dialect d, pgcdc_ident_case c, const char *name);

/* Appends name as resolved by c, unquoted (the destination spelling). */
int pgcdc_ident_resolve(pgcdc_buf *out, pgcdc_ident_case c, const char *name);

/* PostgreSQL truncates identifiers to 63 bytes. Names the planner derives
 * (journal tables, their index, <col>__SNOWFLAKE_DELETED) that would be longer
 * are shortened: the base is cut at a character boundary and an 8-hex-digit
 * hash of the full name is inserted before the suffix, so distinct long names
 * stay distinct. Names given by the caller longer than this are refused. */
#define PGCDC_PG_IDENT_MAX 63

/* ---- the table ---- */

typedef struct pgcdc_merge_column {
    const char *name;     /* the source column name */
    pgcdc_dest_type type; /* pgcdc_type_map() of the column for the table's dialect */
    bool is_key;          /* part of the primary key / replica identity index */
} pgcdc_merge_column;

/* Can a value of this type arrive as an unchanged TOAST value? (False for
 * the fixed-length types, which PostgreSQL never stores out of line.) */
bool pgcdc_merge_type_toastable(const pgcdc_dest_type *t);

typedef struct pgcdc_merge_table {
    pgcdc_dialect dialect;
    int server_major;               /* PostgreSQL destination: its major version (10+; MERGE
                                       is used from 15, INSERT ... ON CONFLICT below) */
    pgcdc_ident_case ident_case;    /* Object Identifier Resolution */
    const char *source_schema;      /* for messages only */
    const char *source_table;
    const char *dest_schema;        /* from the Destination Schema Pattern, before resolution */
    const char *dest_table;         /* likewise (normally the source table name) */
    const pgcdc_merge_column *columns; /* in source order; at least one key column */
    size_t ncolumns;
    const char *const *dropped;     /* source names of columns dropped by earlier schema changes
                                       (the destination keeps them as <col>__SNOWFLAKE_DELETED) */
    size_t ndropped;
    int64_t journal_epoch;          /* journal generation <TABLE>_JOURNAL_<epoch>_<n>: epoch seconds */
    int journal_n;                  /* and n >= 1 */
} pgcdc_merge_table;

/* Checks what every planner call checks: a key exists, names are non-empty,
 * fit PostgreSQL's 63 bytes (PostgreSQL dialect), stay distinct after
 * resolution, do not collide with the metadata columns (_SNOWFLAKE_*,
 * _PGCDC_*) or a dropped column's new name, a dropped name was not added again,
 * every column was mapped for the table's dialect. PGCDC_EUNSUPPORTED for
 * what fails the table (no key, collisions, re-added name, destination too old),
 * PGCDC_EINVAL for caller mistakes. */
pgcdc_code pgcdc_merge_table_check(const pgcdc_merge_table *t, pgcdc_error *err);

/* ---- names (appended unquoted, as resolved) ---- */

/* The destination table name; it is also the merge state key ($3). */
pgcdc_code pgcdc_merge_dest_name(const pgcdc_merge_table *t, pgcdc_buf *out, pgcdc_error *err);
/* The journal generation's table name ($4). */
pgcdc_code pgcdc_merge_journal_name(const pgcdc_merge_table *t, pgcdc_buf *out, pgcdc_error *err);
/* Column i's destination spelling: what _PGCDC_UNCHANGED lists. */
pgcdc_code pgcdc_merge_column_name(const pgcdc_merge_table *t, size_t i, pgcdc_buf *out, pgcdc_error *err);

/* Quoted and schema-qualified: "schema"."table" / "schema"."<TABLE>_JOURNAL_<e>_<n>". */
pgcdc_code pgcdc_merge_dest_qualified(const pgcdc_merge_table *t, pgcdc_buf *out, pgcdc_error *err);
pgcdc_code pgcdc_merge_journal_qualified(const pgcdc_merge_table *t, pgcdc_buf *out, pgcdc_error *err);

/* The journal's columns for the writer's COPY, quoted, comma-separated: the
 * source columns in table order, then "_PGCDC_LSN", "_PGCDC_SEQ",
 * "_PGCDC_OP", "_PGCDC_COMMIT_TIME", "_PGCDC_UNCHANGED". */
pgcdc_code pgcdc_merge_journal_columns(const pgcdc_merge_table *t, pgcdc_buf *out, pgcdc_error *err);

/* ---- statement lists ---- */

/* Statements without a trailing semicolon, each NUL-terminated inside text. */
typedef struct pgcdc_sql_list {
    pgcdc_buf text;
    size_t *starts; /* offset of statement i in text.data */
    size_t n, cap;
} pgcdc_sql_list;

void pgcdc_sql_list_init(pgcdc_sql_list *l);
void pgcdc_sql_list_reset(pgcdc_sql_list *l);
void pgcdc_sql_list_free(pgcdc_sql_list *l);
/* Statement i (i < l->n). */
const char *pgcdc_sql_list_get(const pgcdc_sql_list *l, size_t i);
/* Appends every statement followed by ";\n" and a blank line between: a
 * script for psql / snowsql and for the golden files. */
pgcdc_code pgcdc_sql_list_script(const pgcdc_sql_list *l, pgcdc_buf *out, pgcdc_error *err);

/* Every builder APPENDS its statements to out; on failure out is left as it
 * was on entry. */

pgcdc_code pgcdc_merge_sql_create_schema(const pgcdc_merge_table *t, pgcdc_sql_list *out, pgcdc_error *err);
/* CREATE TABLE (no IF NOT EXISTS: a destination table already there is for the
 * caller to notice, not to reuse silently). */
pgcdc_code pgcdc_merge_sql_create_table(const pgcdc_merge_table *t, pgcdc_sql_list *out, pgcdc_error *err);
/* CREATE TABLE IF NOT EXISTS for the journal generation (a restart after a
 * crash creates it again harmlessly), plus, in PostgreSQL, an index on
 * (_PGCDC_LSN, _PGCDC_SEQ) so a merge reads only its window. */
pgcdc_code pgcdc_merge_sql_create_journal(const pgcdc_merge_table *t, pgcdc_sql_list *out, pgcdc_error *err);
/* CREATE TABLE IF NOT EXISTS <schema>._PGCDC_MERGE_STATE. */
pgcdc_code pgcdc_merge_sql_create_state(const pgcdc_merge_table *t, pgcdc_sql_list *out, pgcdc_error *err);

/* The merge of the journal generation into the destination table: three
 * statements to run in order in ONE transaction:
 *   1. create-or-lock the table's state row (serialises concurrent merges);
 *   2. apply the journal rows with (LSN, SEQ) > the state's merged position
 *      and <= the upper bound: MERGE (PostgreSQL 15+, Snowflake) or
 *      UPDATE + INSERT ... ON CONFLICT (PostgreSQL 10-14);
 *   3. advance the state to the upper bound (never backwards).
 * Every statement takes the same four parameters, in this order:
 *   1  upper-bound LSN   int8 / NUMBER   (the bound is inclusive)
 *   2  upper-bound SEQ   int8 / NUMBER   (INT64_MAX = all of that transaction)
 *   3  state key         text            pgcdc_merge_dest_name()
 *   4  journal name      text            pgcdc_merge_journal_name()
 * PostgreSQL: $1..$4 with casts, so PQexecParams needs no paramTypes.
 * Snowflake: four '?' in this order, each appearing once per statement (bind
 * them positionally as "1".."4" with the SQL API).
 * A bound must not split a key-change pair (the 'D' of the old key and the 'I'
 * of the new one, adjacent SEQs of one LSN): bounds at transaction ends never do. */
#define PGCDC_MERGE_NPARAMS 4
#define PGCDC_MERGE_NSTATEMENTS 3
pgcdc_code pgcdc_merge_sql_merge(const pgcdc_merge_table *t, pgcdc_sql_list *out, pgcdc_error *err);

/* The initial load: the same three statements with the same parameters, the
 * second one a plain INSERT ... SELECT of the window's rows - no per-key
 * ordering, no lookup in the destination. Only for an EMPTY destination table
 * and a window holding each key at most once (one snapshot read under one
 * exported snapshot, nothing else in the journal): the first load of a
 * table, where it is several times faster than the MERGE. */
pgcdc_code pgcdc_merge_sql_initial_load(const pgcdc_merge_table *t, pgcdc_sql_list *out, pgcdc_error *err);

/* The re-snapshot merge: a snapshot merged into a destination table that
 * may already hold rows (a table back in the included set after it left,
 * docs/runner.md; any snapshot taken while streaming). Four statements with
 * the same four parameters: the merge's three, with between the MERGE and
 * the state's advance an UPDATE that soft-deletes (_SNOWFLAKE_DELETED =
 * TRUE) every live row whose key has no row in the journal up to the bound -
 * the snapshot did not see it and nothing wrote it since. The journal must
 * be a generation begun before the snapshot point (every change since then
 * in it). Rows already there keep their _SNOWFLAKE_INSERTED_AT. */
#define PGCDC_MERGE_RESNAPSHOT_NSTATEMENTS 4
pgcdc_code pgcdc_merge_sql_resnapshot(const pgcdc_merge_table *t, pgcdc_sql_list *out, pgcdc_error *err);

/* Forgets the table's merged position (a restarted table is merged from its
 * new journal's start): one DELETE taking the same four parameters as the
 * merge (only the state key is used). */
pgcdc_code pgcdc_merge_sql_reset_state(const pgcdc_merge_table *t, pgcdc_sql_list *out, pgcdc_error *err);

/* The DDL that takes the destination table from old's columns to new's
 * (same dialect, case and destination names; columns matched by destination
 * spelling): RENAME COLUMN x TO x__SNOWFLAKE_DELETED for each dropped column,
 * ADD COLUMN for each added one, ALTER COLUMN TYPE for a widening the
 * destination can take without touching data (PostgreSQL: smallint -> integer
 * -> bigint, varchar(n) -> varchar(m >= n) / varchar / text; Snowflake: none
 * needed when the destination type is the same). PGCDC_EUNSUPPORTED, with a
 * message that says why and what to do, for: a primary-key change, a numeric
 * precision/scale change, any other type change, re-adding a dropped column
 * name, a name that collides. *new_generation (may be NULL) is set when the
 * journal columns differ: write further changes into generation n+1.
 * Order of work for the caller: merge generation n completely, run this DDL,
 * create generation n+1 (pgcdc_merge_sql_create_journal on new), go on; new's
 * dropped list is then old's plus the columns dropped now. */
pgcdc_code pgcdc_merge_sql_schema_change(const pgcdc_merge_table *old_t, const pgcdc_merge_table *new_t,
                                         pgcdc_sql_list *out, bool *new_generation, pgcdc_error *err);

#ifdef __cplusplus
}
#endif
#endif
