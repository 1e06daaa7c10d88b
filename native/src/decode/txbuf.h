/* txbuf.h - buffered transactions: the raw pgoutput messages of streamed
 * in-progress transactions and of prepared transactions, held per xid until
 * they commit (replayed in order) or abort (dropped).
 *
 * Memory is bounded: the record buffers' allocated capacity, summed over all
 * held transactions, never passes the limit. When a buffer would have to grow
 * past it, the transaction holding the most memory moves its records to an
 * unlinked temp file, so a 1 GB transaction needs about `limit` bytes of RAM,
 * not 1 GB. A record larger than the whole limit goes straight to the file.
 *
 * A failed append changes nothing: the records accepted before it stay
 * readable, and a later append or replay sees exactly those. */
#ifndef PGCDC_DECODE_TXBUF_H
#define PGCDC_DECODE_TXBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h> /* pgoutput.c gets snprintf from here today */
#include "pgcdc/error.h"
#include "pgcdc/lsn.h"

typedef struct txbuf txbuf;

typedef struct txbuf_txn {
    uint32_t xid;
    /* two-phase: set once the transaction is prepared */
    bool prepared;
    char gid[201];
    pgcdc_lsn prepare_lsn;
    pgcdc_lsn prepare_end_lsn;
    int64_t prepare_time;
    bool streamed;
    uint64_t nrecords;

    /* private to txbuf.c */
    uint8_t *mem;
    size_t mem_len, mem_cap;  /* mem_cap is what counts against the limit */
    int spill_fd;             /* -1 until the first spill */
    uint64_t spill_len;       /* bytes of whole records in the file; anything past is junk */
    uint32_t *aborted;   /* sorted aborted sub-transaction xids */
    int naborted, aborted_cap;
    struct txbuf_txn *next;
} txbuf_txn;

txbuf *txbuf_new(size_t memory_limit, const char *spill_dir);
void txbuf_free(txbuf *tb);

/* The transaction with this xid, created if asked (NULL when absent or out of memory). */
txbuf_txn *txbuf_get(txbuf *tb, uint32_t xid, bool create);

/* Appends one raw message (belonging to sub-transaction subxid; == xid for the top).
 * All or nothing: on error (spill file not writable, out of memory) the
 * transaction holds exactly the records it held before. */
pgcdc_code txbuf_append(txbuf *tb, txbuf_txn *t, uint32_t subxid, pgcdc_lsn lsn, const uint8_t *data,
                        size_t len, pgcdc_error *err);

/* Marks a sub-transaction aborted: its records are skipped at replay, except
 * schema messages (Relation, Type), which pgoutput will not send again. */
pgcdc_code txbuf_abort_sub(txbuf_txn *t, uint32_t subxid, pgcdc_error *err);

typedef pgcdc_code (*txbuf_visit_fn)(void *userdata, pgcdc_lsn lsn, const uint8_t *data, size_t len,
                                     pgcdc_error *err);

/* Calls fn for each live record in arrival order. data is valid during the call. */
pgcdc_code txbuf_replay(txbuf *tb, txbuf_txn *t, txbuf_visit_fn fn, void *userdata, pgcdc_error *err);

/* The first held transaction (follow ->next for the others), or NULL. */
txbuf_txn *txbuf_first(const txbuf *tb);

/* Frees the transaction and its spill file. */
void txbuf_discard(txbuf *tb, txbuf_txn *t);

int txbuf_count(const txbuf *tb);
/* Bytes allocated for in-memory record buffers now (capacity, not just the
 * bytes used), and the highest that figure has been; both <= memory_limit.
 * Not counted: per-transaction bookkeeping, aborted-subtransaction lists, the
 * replay read buffer (64 KiB, or one record if larger), and the old block a
 * growing buffer briefly keeps while realloc copies it. */
size_t txbuf_memory(const txbuf *tb);
size_t txbuf_peak_memory(const txbuf *tb);
uint64_t txbuf_spilled_total(const txbuf *tb);

#endif
