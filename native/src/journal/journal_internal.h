/* journal_internal.h - shared by the journal writer's files (docs/journal.md). */
#ifndef PGCDC_JOURNAL_INTERNAL_H
#define PGCDC_JOURNAL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "change_batch.pb-c.h"
#include "pgcdc/buf.h"
#include "pgcdc/journal.h"

/* One registered table. The relation's columns (as the batch sends them) are
 * mapped to the table's columns by name: col_src[i] is the value index of
 * table column i, -1 when the relation has no such column (written NULL). */
typedef struct jtable {
    const pgcdc_merge_table *t;
    char *src_schema, *src_table;
    char *copy_sql;        /* COPY <journal> (<columns>) FROM STDIN */
    char *journal;         /* the journal's qualified name, for messages */
    char **unchanged_elem; /* column i's destination spelling as a quoted text[] element */
    size_t nelem;          /* entries of unchanged_elem: the column count when derived (the
                              caller's table may have grown since, before re-registering) */
    bool skip;             /* unregistered: changes are skipped */
    bool have_map;         /* col_src from a SchemaEvent (else: identity if the counts match) */
    int *col_src;          /* t->ncolumns entries */
    int *tmp_src;          /* scratch map for a SnapshotRows record with its own columns */
    char **rel_cols;       /* the relation's column names from its last schema event */
    size_t n_rel_cols;
    pgcdc_buf data;        /* this batch's COPY data */
    uint64_t rows;
} jtable;

struct pgcdc_journal_writer {
    PGconn *conn;
    char *slot;
    char *state_schema;
    pgcdc_ident_case ident_case;
    pgcdc_code (*before_commit)(void *userdata, pgcdc_error *err);
    void *userdata;
    char *state_q;         /* the state table, quoted and qualified */
    jtable **tables;
    size_t ntables, cap;
    jtable *last;          /* last table looked up: consecutive changes mostly hit it */
    const pgcdc_merge_table *failed;
    uint64_t skipped;
    pgcdc_buf esc;         /* escaping scratch */
    pgcdc_buf unch;        /* a row's _PGCDC_UNCHANGED elements */
    pgcdc_buf ctime;       /* the transaction's commit time literal */
};

/* rows.c: one batch record into the tables' COPY buffers (nothing is sent). */
pgcdc_code jrows_record(pgcdc_journal_writer *w, const Pgcdc__V1__Record *rec, pgcdc_error *err);
/* writer.c: the registered table for a source name, or NULL. */
/* Remembers the relation's column names and maps the table's columns to them. */
pgcdc_code jtable_set_relation(jtable *jt, const char *const *names, size_t n, pgcdc_error *err);
jtable *jwriter_find(pgcdc_journal_writer *w, const char *schema, const char *table);

/* COPY text format: escapes \, tab, newline and CR in out->data[from..len)
 * (in place, via scratch when something needs escaping). 0 or -1 (memory). */
int jcopy_escape_tail(pgcdc_buf *out, size_t from, pgcdc_buf *scratch);
/* Appends s[0..n) escaped. */
int jcopy_escape(pgcdc_buf *out, const char *s, size_t n);
/* Appends name as a double-quoted text[] element ("a\"b"), not COPY-escaped. */
int jarray_elem(pgcdc_buf *out, const char *name);
/* Appends microseconds since 1970-01-01 UTC as a timestamptz literal. */
int jtimestamp_utc(pgcdc_buf *out, int64_t unix_us);

/* SQL failure -> pgcdc code: connection classes (08, 57P) are ECONNECT. */
pgcdc_code jsql_error(PGconn *conn, const PGresult *r, const char *what, pgcdc_error *err);

/* state.c */
pgcdc_code jstate_qualified(const char *schema, pgcdc_ident_case c, pgcdc_buf *out, pgcdc_error *err);
pgcdc_code jstate_setup(PGconn *conn, const char *schema, pgcdc_ident_case c, pgcdc_error *err);
/* Moves the slot's row forward to lsn; *durable = the row's position after it. */
pgcdc_code jstate_upsert(PGconn *conn, const char *qualified, const char *slot, int64_t lsn, pgcdc_lsn *durable,
                         pgcdc_error *err);

#endif
