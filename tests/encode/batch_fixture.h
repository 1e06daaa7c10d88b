/* batch_fixture.h - decoder events made by hand for the batch tests, shaped
 * exactly as the decoder hands them over: every pointer (names, columns,
 * values, gid, message content) points into one scratch area that
 * fx_trash() overwrites after each add, which proves the builder copied them. */
#ifndef BATCH_FIXTURE_H
#define BATCH_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pgcdc/batch.h"
#include "pgcdc/decoder.h"

#include "change_batch.pb-c.h"

/* Scratch copies (8-byte aligned), valid until fx_trash(). */
void *fx_alloc(size_t n);
const char *fx_str(const char *s);
/* Overwrites the whole scratch area with garbage and starts it over. */
void fx_trash(void);

/* Values: "n" null, "u" unchanged, text, binary. */
pgcdc_value fx_null(void);
pgcdc_value fx_unchanged(void);
pgcdc_value fx_text(const char *s);
pgcdc_value fx_bin(const void *p, size_t len);
pgcdc_tuple fx_tuple(int n, const pgcdc_value *vals);

/* A column spec: name, type OID, typmod, key flag. */
typedef struct fx_col {
    const char *name;
    uint32_t type_oid;
    int32_t typmod;
    bool key;
} fx_col;

pgcdc_relation *fx_rel(uint32_t relid, const char *nsp, const char *name, char replident, uint32_t generation,
                       int ncols, const fx_col *cols);
pgcdc_txn *fx_txn(uint32_t xid, pgcdc_lsn commit_lsn, pgcdc_lsn end_lsn, int64_t commit_time_pg);

/* Adds ev to b (CHECKing success unless expect != PGCDC_OK), then trashes the
 * scratch area and the event. Returns the code. */
pgcdc_code fx_add(pgcdc_batch_builder *b, pgcdc_event *ev, pgcdc_code expect);

/* Encodes b (split or not) and decodes the bytes; NULL (after a failed CHECK) on error. */
pgcdc_batch *fx_roundtrip(pgcdc_batch_builder *b, bool split);

/* One INSERT of n values, all of column type type_oid, through builder ->
 * bytes -> decode; change is the decoded RowChange (NULL after a failed CHECK). */
typedef struct fx_run {
    pgcdc_batch_builder *b;
    pgcdc_batch *batch;
    const Pgcdc__V1__RowChange *change;
} fx_run;

void fx_run_values(fx_run *r, uint32_t type_oid, int n, const pgcdc_value *vals);
void fx_run_free(fx_run *r);

/* Text of a decoded value for comparisons: "NULL", "UNCHANGED", "t:<text>",
 * "b:<hex>", "i:<int>", "d:<%.17g>", "B:true|false" in a static buffer. */
const char *fx_value_str(const Pgcdc__V1__Value *v);
/* The values of an array joined with '|' (static buffer). */
const char *fx_values_str(size_t n, Pgcdc__V1__Value *const *v);

#endif
