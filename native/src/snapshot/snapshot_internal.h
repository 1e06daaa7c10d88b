/* snapshot_internal.h - the parts of the snapshot reader shared between its
 * files: the incremental COPY parser (copy_parser.c, copy_binary.c,
 * copy_text.c) and the SQL text of a chunk's COPY (copy_sql.c). */
#ifndef PGCDC_SNAPSHOT_INTERNAL_H
#define PGCDC_SNAPSHOT_INTERNAL_H

#include "pgcdc/snapshot.h"

/* ---- the COPY parser ----
 *
 * Fed the CopyData buffers of one COPY ... TO STDOUT in order, it turns them
 * into rows of pgcdc_value and hands them to flush() in batches. Values
 * point into the fed buffers (kept until the batch that points into them was
 * flushed, then given to release()); text values are unescaped in place. A
 * row that spans buffers - the server sends one row per CopyData message, so
 * that does not happen with PostgreSQL itself, but nothing in the protocol
 * forbids it - is copied into one scratch buffer, the only copy made. */

typedef pgcdc_code (*snap_flush_fn)(void *userdata, const pgcdc_tuple *rows, size_t nrows, pgcdc_error *err);

typedef enum snap_parse_state {
    SNAP_HEADER = 0, /* binary: signature, flags, header extension */
    SNAP_BODY,       /* rows */
    SNAP_DONE        /* binary: the trailer was read */
} snap_parse_state;

typedef struct snap_parser {
    pgcdc_copy_format format;
    int ncolumns;
    size_t batch_rows;
    size_t batch_bytes;
    snap_flush_fn flush;
    void *userdata;
    void (*release)(void *buffer); /* NULL: the caller keeps every fed buffer valid until finish/reset */

    pgcdc_value *values;  /* batch_rows * ncolumns */
    pgcdc_tuple *rows;    /* batch_rows, rows[i].values fixed at init */
    size_t nrows;
    size_t pending_bytes; /* COPY bytes of the rows in the batch */

    void **held;          /* fed buffers rows of the batch may point into */
    size_t nheld, held_cap;

    pgcdc_buf scratch;    /* the one row that spans buffers */
    bool assembling;      /* scratch holds the start of an incomplete row */
    bool scratch_in_batch;/* a row of the batch points into scratch */

    snap_parse_state state;
    unsigned char header[19];
    size_t header_len;
    bool header_checked;
    uint32_t header_skip; /* header extension bytes still to skip */

    uint64_t rows_total;  /* since init */
    uint64_t bytes_total;
} snap_parser;

pgcdc_code snap_parser_init(snap_parser *p, pgcdc_copy_format format, int ncolumns, size_t batch_rows,
                            size_t batch_bytes, snap_flush_fn flush, void *userdata, void (*release)(void *),
                            pgcdc_error *err);
/* Parses len bytes. The buffer is the parser's from now on when release is
 * set (even on failure); text rows are unescaped in it. */
pgcdc_code snap_parser_feed(snap_parser *p, char *data, size_t len, pgcdc_error *err);
/* End of the COPY data: flushes the last rows; PGCDC_EPROTOCOL if it ended
 * inside a row or (binary) before the trailer. */
pgcdc_code snap_parser_finish(snap_parser *p, pgcdc_error *err);
/* Forgets everything fed (releasing held buffers) for the next COPY. */
void snap_parser_reset(snap_parser *p);
void snap_parser_free(snap_parser *p);

/* One row at s[0..avail): returns 1 and *consumed for a complete row written
 * to vals, 2 for the binary trailer, 0 when incomplete (binary: *need = the
 * fewest further bytes that can complete the next piece), -1 on malformed
 * data (err set). Text: the line is unescaped in place only once complete. */
int snap_binary_row(const snap_parser *p, const char *s, size_t avail, pgcdc_value *vals, size_t *consumed,
                    size_t *need, pgcdc_error *err);
int snap_text_row(const snap_parser *p, char *s, size_t avail, pgcdc_value *vals, size_t *consumed,
                  pgcdc_error *err);
/* Checks the 19 fixed bytes of a binary COPY header; the extension length in *ext. */
pgcdc_code snap_binary_header(const unsigned char *h, uint32_t *ext, pgcdc_error *err);

/* ---- SQL ---- */

/* PQescapeIdentifier into out (appended); -1 on failure (conn's message). */
int snap_quote_ident(PGconn *conn, const char *name, pgcdc_buf *out);

/* The WHERE condition of one chunk ("" for a one-chunk plan, else
 * "ctid >= '(0,0)'::tid AND ..."), appended to out. */
pgcdc_code snap_range_condition(PGconn *conn, const pgcdc_snapshot_plan *plan, const pgcdc_snapshot_range *range,
                                pgcdc_buf *out, pgcdc_error *err);

/* COPY (SELECT cols FROM [ONLY] schema.name [WHERE cond]) TO STDOUT (FORMAT f)
 * into out (replacing it). */
pgcdc_code snap_copy_sql(PGconn *conn, const pgcdc_snapshot_table *t, const pgcdc_snapshot_range *range,
                         pgcdc_buf *out, pgcdc_error *err);

/* Checks that the plan's chunks cover every row exactly once: ids 0..n-1 in
 * order, bounds of the plan's kind, each lower bound the previous upper one,
 * the first and last open-ended, bounds increasing. */
pgcdc_code snap_plan_check(const pgcdc_snapshot_plan *plan, pgcdc_error *err);

/* Bound syntax checks shared by planning and plan decoding. */
bool snap_tid_bound_valid(const char *s);
bool snap_int_bound_valid(const char *s);

#endif
