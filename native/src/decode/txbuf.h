/* txbuf.h - buffered transactions: the raw pgoutput messages of streamed
 * in-progress transactions and of prepared transactions, held per xid until
 * they commit (replayed in order) or abort (dropped).
 *
 * Memory is bounded: when the in-memory total would pass the limit, the
 * largest transaction's records move to an unlinked temp file, so a 1 GB
 * transaction needs about `limit` bytes of RAM, not 1 GB. */
#ifndef PGCDC_DECODE_TXBUF_H
#define PGCDC_DECODE_TXBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
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
    size_t mem_len, mem_cap;
    FILE *spill;
    uint64_t spill_len;
    uint32_t *aborted;   /* sorted aborted sub-transaction xids */
    int naborted, aborted_cap;
    struct txbuf_txn *next;
} txbuf_txn;

txbuf *txbuf_new(size_t memory_limit, const char *spill_dir);
void txbuf_free(txbuf *tb);

/* The transaction with this xid, created if asked (NULL when absent or out of memory). */
txbuf_txn *txbuf_get(txbuf *tb, uint32_t xid, bool create);

/* Appends one raw message (belonging to sub-transaction subxid; == xid for the top). */
pgcdc_code txbuf_append(txbuf *tb, txbuf_txn *t, uint32_t subxid, pgcdc_lsn lsn, const uint8_t *data,
                        size_t len, pgcdc_error *err);

/* Marks a sub-transaction aborted: its records are skipped at replay, except
 * schema messages (Relation, Type), which pgoutput will not send again. */
pgcdc_code txbuf_abort_sub(txbuf_txn *t, uint32_t subxid, pgcdc_error *err);

typedef pgcdc_code (*txbuf_visit_fn)(void *userdata, pgcdc_lsn lsn, const uint8_t *data, size_t len,
                                     pgcdc_error *err);

/* Calls fn for each live record in arrival order. data is valid during the call. */
pgcdc_code txbuf_replay(txbuf *tb, txbuf_txn *t, txbuf_visit_fn fn, void *userdata, pgcdc_error *err);

/* Frees the transaction and its spill file. */
void txbuf_discard(txbuf *tb, txbuf_txn *t);

int txbuf_count(const txbuf *tb);
size_t txbuf_memory(const txbuf *tb);       /* bytes of records held in memory now */
size_t txbuf_peak_memory(const txbuf *tb);
uint64_t txbuf_spilled_total(const txbuf *tb);

#endif
