/* txbuf.c - per-xid record logs with a global memory budget and spill files.
 *
 * Record layout (in memory and in the spill file alike):
 *   u64 lsn | u32 len | u32 subxid | len bytes of the raw pgoutput message */
#include "txbuf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REC_HDR 16

struct txbuf {
    size_t limit;
    char *spill_dir;
    txbuf_txn *head;
    int count;
    size_t mem_total;   /* sum of mem_len over all transactions */
    size_t peak;
    uint64_t spilled;
    uint8_t *scratch;   /* replay buffer for records read back from a file */
    size_t scratch_cap;
};

txbuf *txbuf_new(size_t memory_limit, const char *spill_dir)
{
    txbuf *tb = calloc(1, sizeof *tb);
    if (!tb)
        return NULL;
    tb->limit = memory_limit;
    const char *dir = spill_dir;
    if (!dir || !*dir)
        dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    tb->spill_dir = strdup(dir);
    if (!tb->spill_dir) {
        free(tb);
        return NULL;
    }
    return tb;
}

static void txn_release(txbuf_txn *t)
{
    free(t->mem);
    free(t->aborted);
    if (t->spill)
        fclose(t->spill);
    free(t);
}

void txbuf_free(txbuf *tb)
{
    if (!tb)
        return;
    for (txbuf_txn *t = tb->head, *next; t; t = next) {
        next = t->next;
        txn_release(t);
    }
    free(tb->spill_dir);
    free(tb->scratch);
    free(tb);
}

txbuf_txn *txbuf_get(txbuf *tb, uint32_t xid, bool create)
{
    for (txbuf_txn *t = tb->head; t; t = t->next)
        if (t->xid == xid)
            return t;
    if (!create)
        return NULL;
    txbuf_txn *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->xid = xid;
    t->next = tb->head;
    tb->head = t;
    tb->count++;
    return t;
}

static pgcdc_code open_spill(txbuf *tb, txbuf_txn *t, pgcdc_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/pgcdc-spill-%u-XXXXXX", tb->spill_dir, t->xid);
    int fd = mkstemp(path);
    if (fd < 0)
        return pgcdc_error_set(err, PGCDC_EIO,
                               "cannot create a spill file in %s for transaction %u: %s; "
                               "set the spill directory to a writable place with free space",
                               tb->spill_dir, t->xid, strerror(errno));
    unlink(path); /* anonymous: vanishes with the process, even after kill -9 */
    t->spill = fdopen(fd, "w+b");
    if (!t->spill) {
        close(fd);
        return pgcdc_error_set(err, PGCDC_EIO, "fdopen of spill file: %s", strerror(errno));
    }
    return PGCDC_OK;
}

static pgcdc_code spill_write(txbuf *tb, txbuf_txn *t, const void *p, size_t n, pgcdc_error *err)
{
    if (!t->spill) {
        pgcdc_code rc = open_spill(tb, t, err);
        if (rc)
            return rc;
    }
    if (n && fwrite(p, 1, n, t->spill) != n)
        return pgcdc_error_set(err, PGCDC_EIO, "writing %zu bytes to the spill file of transaction %u in %s: %s",
                               n, t->xid, tb->spill_dir, strerror(errno));
    t->spill_len += n;
    tb->spilled += n;
    return PGCDC_OK;
}

/* Moves a transaction's in-memory records to the end of its spill file. */
static pgcdc_code spill_txn(txbuf *tb, txbuf_txn *t, pgcdc_error *err)
{
    pgcdc_code rc = spill_write(tb, t, t->mem, t->mem_len, err);
    if (rc)
        return rc;
    tb->mem_total -= t->mem_len;
    free(t->mem);
    t->mem = NULL;
    t->mem_len = t->mem_cap = 0;
    return PGCDC_OK;
}

static pgcdc_code make_room(txbuf *tb, size_t need, pgcdc_error *err)
{
    while (tb->mem_total + need > tb->limit) {
        txbuf_txn *largest = NULL;
        for (txbuf_txn *t = tb->head; t; t = t->next)
            if (t->mem_len && (!largest || t->mem_len > largest->mem_len))
                largest = t;
        if (!largest)
            break;
        pgcdc_code rc = spill_txn(tb, largest, err);
        if (rc)
            return rc;
    }
    return PGCDC_OK;
}

pgcdc_code txbuf_append(txbuf *tb, txbuf_txn *t, uint32_t subxid, pgcdc_lsn lsn, const uint8_t *data,
                        size_t len, pgcdc_error *err)
{
    if (len > UINT32_MAX)
        return pgcdc_error_set(err, PGCDC_EPROTOCOL, "message of %zu bytes is too large to buffer", len);
    uint8_t hdr[REC_HDR];
    uint32_t len32 = (uint32_t)len;
    memcpy(hdr, &lsn, 8);
    memcpy(hdr + 8, &len32, 4);
    memcpy(hdr + 12, &subxid, 4);
    size_t need = REC_HDR + len;
    t->nrecords++;

    pgcdc_code rc = make_room(tb, need, err);
    if (rc)
        return rc;
    if (tb->mem_total + need > tb->limit) {
        /* Larger than the whole budget: straight to the file, after what is in memory. */
        if ((rc = spill_txn(tb, t, err)) || (rc = spill_write(tb, t, hdr, REC_HDR, err)))
            return rc;
        return spill_write(tb, t, data, len, err);
    }
    if (t->mem_len + need > t->mem_cap) {
        size_t cap = t->mem_cap ? t->mem_cap : 4096;
        while (cap < t->mem_len + need)
            cap *= 2;
        uint8_t *m = realloc(t->mem, cap);
        if (!m)
            return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory buffering transaction %u", t->xid);
        t->mem = m;
        t->mem_cap = cap;
    }
    memcpy(t->mem + t->mem_len, hdr, REC_HDR);
    memcpy(t->mem + t->mem_len + REC_HDR, data, len);
    t->mem_len += need;
    tb->mem_total += need;
    if (tb->mem_total > tb->peak)
        tb->peak = tb->mem_total;
    return PGCDC_OK;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

pgcdc_code txbuf_abort_sub(txbuf_txn *t, uint32_t subxid, pgcdc_error *err)
{
    if (t->naborted && bsearch(&subxid, t->aborted, (size_t)t->naborted, sizeof(uint32_t), cmp_u32))
        return PGCDC_OK;
    if (t->naborted == t->aborted_cap) {
        int cap = t->aborted_cap ? t->aborted_cap * 2 : 8;
        uint32_t *a = realloc(t->aborted, sizeof(uint32_t) * (size_t)cap);
        if (!a)
            return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory recording an aborted subtransaction");
        t->aborted = a;
        t->aborted_cap = cap;
    }
    t->aborted[t->naborted++] = subxid;
    qsort(t->aborted, (size_t)t->naborted, sizeof(uint32_t), cmp_u32);
    return PGCDC_OK;
}

static bool skip_record(const txbuf_txn *t, uint32_t subxid, const uint8_t *data, size_t len)
{
    if (!t->naborted || !bsearch(&subxid, t->aborted, (size_t)t->naborted, sizeof(uint32_t), cmp_u32))
        return false;
    /* Schema messages stay: pgoutput counts them as sent for the whole transaction. */
    return !(len > 0 && (data[0] == 'R' || data[0] == 'Y'));
}

static pgcdc_code replay_file(txbuf *tb, txbuf_txn *t, txbuf_visit_fn fn, void *ud, pgcdc_error *err)
{
    if (fflush(t->spill) != 0 || fseeko(t->spill, 0, SEEK_SET) != 0)
        return pgcdc_error_set(err, PGCDC_EIO, "rewinding the spill file of transaction %u: %s", t->xid,
                               strerror(errno));
    uint64_t pos = 0;
    while (pos < t->spill_len) {
        uint8_t hdr[REC_HDR];
        pgcdc_lsn lsn;
        uint32_t len, subxid;
        if (fread(hdr, 1, REC_HDR, t->spill) != REC_HDR)
            return pgcdc_error_set(err, PGCDC_EIO, "reading the spill file of transaction %u: short read",
                                   t->xid);
        memcpy(&lsn, hdr, 8);
        memcpy(&len, hdr + 8, 4);
        memcpy(&subxid, hdr + 12, 4);
        if (len > tb->scratch_cap) {
            uint8_t *s = realloc(tb->scratch, len);
            if (!s)
                return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory replaying a %u-byte message", len);
            tb->scratch = s;
            tb->scratch_cap = len;
        }
        if (len && fread(tb->scratch, 1, len, t->spill) != len)
            return pgcdc_error_set(err, PGCDC_EIO, "reading the spill file of transaction %u: short read",
                                   t->xid);
        pos += REC_HDR + len;
        if (skip_record(t, subxid, tb->scratch, len))
            continue;
        pgcdc_code rc = fn(ud, lsn, tb->scratch, len, err);
        if (rc)
            return rc;
    }
    return PGCDC_OK;
}

pgcdc_code txbuf_replay(txbuf *tb, txbuf_txn *t, txbuf_visit_fn fn, void *ud, pgcdc_error *err)
{
    if (t->spill) {
        pgcdc_code rc = replay_file(tb, t, fn, ud, err);
        if (rc)
            return rc;
    }
    size_t pos = 0;
    while (pos < t->mem_len) {
        pgcdc_lsn lsn;
        uint32_t len, subxid;
        memcpy(&lsn, t->mem + pos, 8);
        memcpy(&len, t->mem + pos + 8, 4);
        memcpy(&subxid, t->mem + pos + 12, 4);
        const uint8_t *data = t->mem + pos + REC_HDR;
        pos += REC_HDR + len;
        if (skip_record(t, subxid, data, len))
            continue;
        pgcdc_code rc = fn(ud, lsn, data, len, err);
        if (rc)
            return rc;
    }
    return PGCDC_OK;
}

void txbuf_discard(txbuf *tb, txbuf_txn *t)
{
    for (txbuf_txn **pp = &tb->head; *pp; pp = &(*pp)->next) {
        if (*pp == t) {
            *pp = t->next;
            tb->mem_total -= t->mem_len;
            tb->count--;
            txn_release(t);
            return;
        }
    }
}

int txbuf_count(const txbuf *tb) { return tb->count; }
size_t txbuf_memory(const txbuf *tb) { return tb->mem_total; }
size_t txbuf_peak_memory(const txbuf *tb) { return tb->peak; }
uint64_t txbuf_spilled_total(const txbuf *tb) { return tb->spilled; }
