/* pgcdc/decoder.h - pgoutput decoder for protocol versions 1-4.
 *
 * Feed it the payload of each XLogData message; it calls the sink once per
 * event, in commit order. Pointers inside an event (tuples, names, message
 * content) are valid only during that callback: the decoder does not allocate
 * per value, values point into the payload or into its reusable scratch space.
 *
 * Streamed in-progress transactions (proto 2+) and prepared transactions
 * (two_phase) are buffered per xid and released at Stream Commit / Commit
 * Prepared, with aborted (sub)transactions discarded. The buffer is bounded:
 * above memory_limit bytes it spills to unlinked temp files.
 */
#ifndef PGCDC_DECODER_H
#define PGCDC_DECODER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "pgcdc/error.h"
#include "pgcdc/lsn.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- relations (from Relation messages) ---- */

#define PGCDC_COLUMN_KEY 0x01 /* part of the replica identity key */

typedef struct pgcdc_column {
    const char *name;
    uint32_t type_oid;
    int32_t typmod;
    uint8_t flags;
} pgcdc_column;

typedef struct pgcdc_relation {
    uint32_t relid;
    const char *nspname;
    const char *relname;
    char replident;        /* 'd' default, 'n' nothing, 'f' full, 'i' index */
    uint16_t ncolumns;
    const pgcdc_column *columns;
    uint32_t generation;   /* 1 at first sight, +1 each time the shape changes */
} pgcdc_relation;

typedef enum pgcdc_column_change_kind {
    PGCDC_COL_ADDED = 1,
    PGCDC_COL_DROPPED,
    PGCDC_COL_RENAMED,       /* same position and type, other name (a drop + add to CDC) */
    PGCDC_COL_TYPE_CHANGED,  /* type OID or typmod changed */
    PGCDC_COL_KEY_CHANGED    /* the key flag changed */
} pgcdc_column_change_kind;

typedef struct pgcdc_column_change {
    pgcdc_column_change_kind kind;
    int old_index; /* index in the previous shape, -1 for ADDED */
    int new_index; /* index in the new shape, -1 for DROPPED */
} pgcdc_column_change;

typedef struct pgcdc_schema_diff {
    const pgcdc_relation *old_rel;  /* the previous shape */
    int nchanges;
    const pgcdc_column_change *changes;
    bool table_renamed;             /* namespace or name changed */
    bool replident_changed;
} pgcdc_schema_diff;

/* ---- values ---- */

typedef struct pgcdc_value {
    char kind;         /* 'n' null, 'u' unchanged TOAST (no data), 't' text, 'b' binary */
    uint32_t len;
    const char *data;  /* not NUL-terminated */
} pgcdc_value;

typedef struct pgcdc_tuple {
    uint16_t ncolumns;
    const pgcdc_value *values;
} pgcdc_tuple;

/* ---- transactions ---- */

typedef struct pgcdc_txn {
    uint32_t xid;
    pgcdc_lsn commit_lsn;  /* LSN of the commit (or commit-prepared) record */
    pgcdc_lsn end_lsn;     /* end of that record: what to confirm once durable.
                              For a plain transaction known only at COMMIT (0 before);
                              for streamed and prepared ones known from BEGIN on. */
    int64_t commit_time;   /* microseconds since 2000-01-01 UTC */
    bool streamed;         /* was streamed in progress (proto 2+) */
    bool prepared;         /* two-phase: released at COMMIT PREPARED */
    const char *gid;       /* two-phase global id, else NULL */
    uint64_t nchanges;     /* changes emitted so far in this transaction */
} pgcdc_txn;

/* ---- events ---- */

typedef enum pgcdc_event_kind {
    PGCDC_EV_BEGIN = 1,
    PGCDC_EV_COMMIT,
    PGCDC_EV_RELATION,           /* a Relation message: first sight (diff NULL) or a changed shape;
                                    the same shape announced again is not reported */
    PGCDC_EV_TYPE,               /* a Type message (custom type's name) */
    PGCDC_EV_INSERT,
    PGCDC_EV_UPDATE,
    PGCDC_EV_DELETE,
    PGCDC_EV_TRUNCATE,
    PGCDC_EV_MESSAGE,            /* pg_logical_emit_message */
    PGCDC_EV_ORIGIN,
    PGCDC_EV_PREPARE,            /* two-phase: transaction prepared (changes held until COMMIT PREPARED) */
    PGCDC_EV_ROLLBACK_PREPARED,  /* two-phase: prepared transaction rolled back, its changes dropped */
    PGCDC_EV_STREAM_ABORT        /* a streamed (sub)transaction was aborted and its changes dropped */
} pgcdc_event_kind;

#define PGCDC_TRUNCATE_CASCADE 0x01
#define PGCDC_TRUNCATE_RESTART_IDENTITY 0x02

typedef struct pgcdc_event {
    pgcdc_event_kind kind;
    const pgcdc_txn *txn;        /* the enclosing transaction; NULL outside one */
    pgcdc_lsn lsn;               /* WAL position of the message (XLogData start) */
    uint64_t seq;                /* INSERT/UPDATE/DELETE/TRUNCATE/MESSAGE: 0-based position in the transaction */

    /* RELATION, INSERT, UPDATE, DELETE */
    const pgcdc_relation *rel;
    const pgcdc_schema_diff *diff; /* RELATION: NULL on first sight or unchanged */

    /* UPDATE, DELETE: old_kind 'K' (key columns only, others 'n'), 'O' (whole
     * old row, REPLICA IDENTITY FULL), or 0 (no old tuple sent) */
    char old_kind;
    pgcdc_tuple old_tuple;
    /* INSERT, UPDATE */
    pgcdc_tuple new_tuple;

    /* TRUNCATE */
    int nrelations;
    const pgcdc_relation *const *relations;
    uint8_t truncate_flags;

    /* MESSAGE */
    bool transactional;
    const char *prefix;
    const char *content;
    uint32_t content_len;

    /* TYPE */
    uint32_t type_oid;
    const char *type_nspname;
    const char *type_name;

    /* ORIGIN */
    const char *origin_name;
    pgcdc_lsn origin_lsn;

    /* STREAM_ABORT: the aborted xid (== txn's top xid when the whole transaction aborted) */
    uint32_t aborted_xid;
} pgcdc_event;

/* Returns 0 to go on; any other value stops the feed, which then returns
 * PGCDC_EIO unless the sink filled err itself. */
typedef int (*pgcdc_sink_fn)(void *userdata, const pgcdc_event *ev, pgcdc_error *err);

/* Called while a held transaction is released, which happens inside one
 * pgcdc_decoder_feed call and can take long for a big one: the place to keep
 * the replication connection alive (pgcdc_stream_tick). Non-zero stops. */
typedef pgcdc_code (*pgcdc_progress_fn)(void *userdata, pgcdc_error *err);

typedef struct pgcdc_decoder_options {
    int proto_version;          /* as negotiated; only informs checks (1-4) */
    bool stream_abort_has_lsn;  /* streaming=parallel (16+): Stream Abort carries abort LSN and time */
    size_t memory_limit;        /* bytes of buffered streamed/prepared transactions kept in
                                   memory before spilling; 0 = 64 MiB */
    const char *spill_dir;      /* NULL: $TMPDIR or /tmp */
    pgcdc_progress_fn progress; /* optional, see above */
    void *progress_userdata;
    unsigned progress_every;    /* messages between progress calls; 0 = 1000 */
} pgcdc_decoder_options;

typedef struct pgcdc_decoder pgcdc_decoder;

pgcdc_code pgcdc_decoder_new(const pgcdc_decoder_options *opt, pgcdc_sink_fn sink, void *userdata,
                             pgcdc_decoder **out, pgcdc_error *err);
void pgcdc_decoder_free(pgcdc_decoder *d);

/* Decodes one pgoutput message. wal_start is its XLogData start LSN.
 * PGCDC_EPROTOCOL on a malformed message (the decoder stays usable for the
 * caller to report, but the stream position must not be confirmed past it). */
pgcdc_code pgcdc_decoder_feed(pgcdc_decoder *d, const uint8_t *data, size_t len, pgcdc_lsn wal_start,
                              pgcdc_error *err);

/* Forgets every open and held transaction, keeping the relation cache. Call it
 * after the stream was reopened: the server sends again, from the confirmed
 * position, everything not confirmed, in-progress transactions included. */
void pgcdc_decoder_reset(pgcdc_decoder *d);

/* True while a plain transaction is open (between BEGIN and COMMIT). */
bool pgcdc_decoder_in_transaction(const pgcdc_decoder *d);

/* Two-phase: the PREPARE LSN of the oldest prepared transaction being held
 * (PGCDC_INVALID_LSN when none). Never confirm the slot at or past it: after a
 * restart the server would send only its COMMIT PREPARED, whose changes are
 * gone with this process. */
pgcdc_lsn pgcdc_decoder_confirm_limit(const pgcdc_decoder *d);
/* Number of streamed or prepared transactions being held. */
int pgcdc_decoder_pending_transactions(const pgcdc_decoder *d);

typedef struct pgcdc_decoder_stats {
    uint64_t messages;
    uint64_t changes;
    uint64_t transactions;
    size_t buffered_bytes_in_memory;
    uint64_t spilled_bytes;     /* total bytes ever written to spill files */
    size_t peak_buffered_bytes; /* high-water mark of in-memory buffered bytes */
} pgcdc_decoder_stats;

void pgcdc_decoder_get_stats(const pgcdc_decoder *d, pgcdc_decoder_stats *out);

/* The relation cache: known relation by id, or NULL. */
const pgcdc_relation *pgcdc_decoder_relation(const pgcdc_decoder *d, uint32_t relid);

const char *pgcdc_event_kind_name(pgcdc_event_kind kind);

#ifdef __cplusplus
}
#endif
#endif
