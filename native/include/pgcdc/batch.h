/* pgcdc/batch.h - the ChangeBatch: build it from decoder events and snapshot
 * rows, encode it to the protobuf bytes of schemas/pgcdc/change_batch.proto,
 * decode such bytes back.
 *
 * The batch is the one currency between pipeline stages (in memory in the CLI,
 * FlowFile content in NiFi). schemas/README.md describes the format, its
 * compatibility rules and which Value form a reader gets for which type.
 *
 * Building: the builder copies everything it is given (decoder event pointers
 * are valid only during the sink callback) into its arena: no malloc per value.
 * Records keep source order. A batch is normally cut between transactions:
 * pgcdc_batch_encode refuses while one is open, pgcdc_batch_encode_split cuts
 * it into fragments (see the schema) for transactions too large for one batch.
 *
 *     pgcdc_batch_builder *b;
 *     pgcdc_batch_builder_new("shop", &b, err);
 *     pgcdc_decoder_new(&opt, pgcdc_batch_sink, b, &dec, err);
 *     ... feed; whenever !pgcdc_batch_builder_in_transaction(b) and
 *         pgcdc_batch_builder_bytes(b) > limit:
 *             pgcdc_batch_encode(b, &buf, err); ship buf; pgcdc_batch_builder_reset(b);
 *
 * Decoding gives the protobuf-c generated structs (change_batch.pb-c.h, from
 * the build directory), all memory owned by one pgcdc_batch handle.
 */
#ifndef PGCDC_BATCH_H
#define PGCDC_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "pgcdc/buf.h"
#include "pgcdc/decoder.h"
#include "pgcdc/error.h"
#include "pgcdc/lsn.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The format major version this library writes and the newest it reads. */
#define PGCDC_BATCH_FORMAT_VERSION 1u

/* ---- building ---- */

typedef struct pgcdc_batch_builder pgcdc_batch_builder;

/* source_database goes into every batch (may be NULL or ""). */
pgcdc_code pgcdc_batch_builder_new(const char *source_database, pgcdc_batch_builder **out, pgcdc_error *err);
void pgcdc_batch_builder_free(pgcdc_batch_builder *b);

/* Typed values (default on): int2/int4/int8/oid text becomes int64_value,
 * float4/float8 double_value when exact, bool bool_value. Off: text as sent. */
void pgcdc_batch_builder_set_typed_values(pgcdc_batch_builder *b, bool on);

/* Forgets every record (call it after encode and shipping the bytes) and frees
 * the arena but its first block. A transaction still open stays open: its next
 * changes form its next fragment. */
void pgcdc_batch_builder_reset(pgcdc_batch_builder *b);

/* Adds one decoder event, copying what it points to:
 *   BEGIN opens a Transaction record, INSERT/UPDATE/DELETE/TRUNCATE append
 *   RowChanges, COMMIT closes it (with end_lsn). A transaction without changes
 *   or messages leaves no record but still moves confirm_lsn.
 *   RELATION -> SchemaEvent. TYPE -> remembered: fills Column.type_name of
 *   later SchemaEvents. ORIGIN -> the open transaction's origin.
 *   MESSAGE -> into the open transaction when transactional, else its own record.
 *   PREPARE, ROLLBACK_PREPARED, STREAM_ABORT -> TransactionNotice records.
 * A record that is not part of the open transaction (a SchemaEvent, a
 * non-transactional message, snapshot rows, a watermark) is placed before the
 * transaction while it has no content yet, else the transaction is split into
 * fragments around it, so records stay in WAL order.
 * PGCDC_EINVAL for an event that does not fit (a change outside BEGIN/COMMIT,
 * BEGIN inside a transaction, a COMMIT of another xid); PGCDC_ENOMEM. */
pgcdc_code pgcdc_batch_add_event(pgcdc_batch_builder *b, const pgcdc_event *ev, pgcdc_error *err);

/* pgcdc_batch_add_event with the signature of a decoder sink (userdata = the
 * builder): pass it to pgcdc_decoder_new as is. */
int pgcdc_batch_sink(void *builder, const pgcdc_event *ev, pgcdc_error *err);

/* ---- snapshot side ---- */

typedef struct pgcdc_snapshot_chunk {
    uint32_t relid;
    const char *nspname;
    const char *relname;
    uint32_t generation;         /* relation shape the rows follow; 0 if unknown */
    int ncolumns;                /* columns of the rows, in order (types pick the Value forms) */
    const pgcdc_column *columns; /* may be NULL with ncolumns 0: values kept as given */
    uint64_t chunk_id;
    const char *chunk_start;     /* key bounds as text, NULL or "": unbounded */
    const char *chunk_end;
    pgcdc_lsn snapshot_lsn;
    bool last_chunk;
    uint64_t first_row;          /* a piece of a chunk: the chunk's rows before this record's */
} pgcdc_snapshot_chunk;

/* Adds a SnapshotRows record with nrows rows (nrows may be 0: add the rows with
 * pgcdc_batch_append_snapshot_rows as they are read). */
pgcdc_code pgcdc_batch_add_snapshot_rows(pgcdc_batch_builder *b, const pgcdc_snapshot_chunk *chunk,
                                         const pgcdc_tuple *rows, size_t nrows, pgcdc_error *err);

/* Appends rows to the SnapshotRows record added last, as long as nothing else
 * was added since; else PGCDC_EINVAL. */
pgcdc_code pgcdc_batch_append_snapshot_rows(pgcdc_batch_builder *b, const pgcdc_tuple *rows, size_t nrows,
                                            pgcdc_error *err);

typedef enum pgcdc_watermark_kind {
    PGCDC_WATERMARK_LOW = 1,
    PGCDC_WATERMARK_HIGH = 2
} pgcdc_watermark_kind;

typedef struct pgcdc_watermark {
    pgcdc_watermark_kind kind;
    const char *id;
    uint32_t relid;
    const char *nspname;
    const char *relname;
    uint64_t chunk_id;
    pgcdc_lsn lsn;
} pgcdc_watermark;

pgcdc_code pgcdc_batch_add_watermark(pgcdc_batch_builder *b, const pgcdc_watermark *wm, pgcdc_error *err);

/* ---- state, for cutting batches ---- */

/* Approximate encoded size of what was added so far (within about 10%). */
size_t pgcdc_batch_builder_bytes(const pgcdc_batch_builder *b);
/* Records so far, counting an open transaction. */
size_t pgcdc_batch_builder_records(const pgcdc_batch_builder *b);
/* Row changes so far. */
uint64_t pgcdc_batch_builder_changes(const pgcdc_batch_builder *b);
/* Snapshot rows so far. */
uint64_t pgcdc_batch_builder_snapshot_rows(const pgcdc_batch_builder *b);
/* True between BEGIN and COMMIT. */
bool pgcdc_batch_builder_in_transaction(const pgcdc_batch_builder *b);
/* The batch's confirm_lsn: end_lsn of the last transaction completed in it, 0 if none. */
pgcdc_lsn pgcdc_batch_builder_confirm_lsn(const pgcdc_batch_builder *b);

/* ---- encoding ---- */

/* Serializes the batch into out (replacing its content). PGCDC_EINVAL while a
 * transaction is open: cut batches between transactions, or use
 * pgcdc_batch_encode_split. The builder is unchanged: reset it next. */
pgcdc_code pgcdc_batch_encode(pgcdc_batch_builder *b, pgcdc_buf *out, pgcdc_error *err);

/* Like pgcdc_batch_encode, but an open transaction is cut: what it has so far
 * goes out as a fragment that continues, and after reset its next changes form
 * the next fragment. For transactions too large for one batch. */
pgcdc_code pgcdc_batch_encode_split(pgcdc_batch_builder *b, pgcdc_buf *out, pgcdc_error *err);

/* ---- decoding ---- */

struct Pgcdc__V1__ChangeBatch;
struct Pgcdc__V1__Value;

typedef struct pgcdc_batch pgcdc_batch;

/* Parses a batch. PGCDC_EINVAL for bytes that are not a change batch
 * (truncated, corrupted, empty); PGCDC_EUNSUPPORTED for a batch of a newer
 * format version (the message says to upgrade pgcdc). Unknown fields are
 * ignored. The data is copied: it may be freed after the call. */
pgcdc_code pgcdc_batch_decode(const uint8_t *data, size_t len, pgcdc_batch **out, pgcdc_error *err);
/* The decoded message; valid until pgcdc_batch_free. */
const struct Pgcdc__V1__ChangeBatch *pgcdc_batch_message(const pgcdc_batch *batch);
void pgcdc_batch_free(pgcdc_batch *batch);

/* Room for the text of any typed value (int64, double, bool). */
#define PGCDC_BATCH_VALUE_SCRATCH 32

/* A decoded Value as pgoutput would have sent it: kind 'n' null, 'u' unchanged
 * TOAST, 'b' binary (data = the bytes), or 't' text, where typed forms are
 * turned back into PostgreSQL's text output in scratch (type_oid picks float4
 * or float8 formatting). Text points into the batch. PGCDC_EINVAL for a Value
 * whose kind this library does not know (written by a newer pgcdc). */
pgcdc_code pgcdc_batch_value_get(const struct Pgcdc__V1__Value *v, uint32_t type_oid,
                                 char scratch[PGCDC_BATCH_VALUE_SCRATCH], pgcdc_value *out, pgcdc_error *err);

#ifdef __cplusplus
}
#endif
#endif
