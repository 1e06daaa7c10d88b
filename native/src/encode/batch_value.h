/* batch_value.h - the typed Value forms: when a column's text becomes an
 * int64, double or bool, and how such a value turns back into PostgreSQL's
 * text output. Private to libpgcdc. */
#ifndef PGCDC_BATCH_VALUE_H
#define PGCDC_BATCH_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "change_batch.pb-c.h"

/* Built-in type OIDs (pg_type.dat; fixed forever). */
#define BATCH_BOOLOID 16
#define BATCH_INT8OID 20
#define BATCH_INT2OID 21
#define BATCH_INT4OID 23
#define BATCH_OIDOID 26
#define BATCH_FLOAT4OID 700
#define BATCH_FLOAT8OID 701

/* Sets v to the typed form of the text output `text` (len bytes, not
 * NUL-terminated) of a column of type_oid, if the type has one and the text
 * comes back byte for byte from it. Returns false (v untouched) otherwise:
 * the caller keeps the text. */
bool batch_value_make_typed(uint32_t type_oid, const char *text, size_t len, Pgcdc__V1__Value *v);

#endif
