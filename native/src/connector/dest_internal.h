/* dest_internal.h - the destination's files (destination.c, dest_write.c). */
#ifndef PGCDC_DEST_INTERNAL_H
#define PGCDC_DEST_INTERNAL_H

#include "connector_internal.h"

typedef struct cn_table {
    pl_table t;          /* the pipeline's table; its address never changes */
    bool known;          /* the journal writer has it (registered, or skipping it) */
} cn_table;

struct pgcdc_destination {
    pgcdc_connector_config *cfg;
    pl_ctx x;                    /* x.tables stays empty: tables are in t */
    pgcdc_table_selection *sel;
    cn_table **t;
    size_t n;
    pgcdc_buf scratch;           /* a filtered batch */
    pgcdc_buf slice;             /* a part of a batch (before a schema change) */
    char (*failed)[PL_KEY_MAX];         /* tables the last write moved to FAILED */
    size_t nfailed;
};

cn_table *cn_find(pgcdc_destination *d, const char *schema, const char *name);
pgcdc_code cn_entry(pgcdc_destination *d, const char *schema, const char *name, cn_table **out, pgcdc_error *err);
pgcdc_code cn_load(pgcdc_destination *d, cn_table *ct, pgcdc_error *err);

/* Remembers that the current write failed t (reported by
 * pgcdc_destination_write_failures). */
void cn_note_failed(pgcdc_destination *d, const pl_table *t);

/* dest_order.c: PGCDC_ETIMEOUT (interim) when a table's first change in the
 * CDC batch m is at or below its merged position and not in its journal
 * (later batches were merged before this one: the merge would skip it). */
struct Pgcdc__V1__ChangeBatch;
pgcdc_code cn_order_check(pgcdc_destination *d, const struct Pgcdc__V1__ChangeBatch *m, pgcdc_error *err);

/* dest_schema.c: schema changes inside a batch */
struct Pgcdc__V1__ChangeBatch;
struct Pgcdc__V1__SchemaEvent;
/* The index of the first SchemaEvent at or after from that changes a
 * replicating table's shape (or renames it), n_records if none; *split = where
 * its transaction starts (everything before is written first). */
size_t cn_schema_next(pgcdc_destination *d, const struct Pgcdc__V1__ChangeBatch *m, size_t from, size_t *split);
/* Applies the event's shape to its table (pipeline/schema.c); a refused
 * change fails the table alone (PGCDC_OK). open_tx: the first record of the
 * event's transaction in this batch (its fragment_index > 0 when it began in
 * an earlier batch), or NULL. */
struct Pgcdc__V1__Transaction;
pgcdc_code cn_schema_apply(pgcdc_destination *d, const struct Pgcdc__V1__SchemaEvent *se,
                           const struct Pgcdc__V1__Transaction *open_tx, pgcdc_error *err);
/* The highest end LSN of the complete transactions in records [from, to). */
pgcdc_lsn cn_slice_confirm(const struct Pgcdc__V1__ChangeBatch *m, size_t from, size_t to);
/* After the whole batch is written: older shapes of transactions that ended in it are forgotten. */
void cn_schema_done(pgcdc_destination *d, const struct Pgcdc__V1__ChangeBatch *m);

#endif
