/* txbuf.c - per-xid record logs with a global memory budget and spill files.
 *
 * Record layout (in memory and in the spill file alike):
 *   u64 lsn | u32 len | u32 subxid | len bytes of the raw pgoutput message
 *
 * The budget counts allocated capacity (mem_cap), not bytes used, so it bounds
 * what the heap really holds; buffers grow by doubling but never past what the
 * budget has left.
 *
 * Spill files are written with pwrite at spill_len and read with pread, never
 * through a stdio position: spill_len only moves once a whole record (or a whole
 * memory block) is in the file, so a failed or partial write leaves at most junk
 * past spill_len, which the next write overwrites and replay never reads. We
 * still truncate the junk away to give the space back. */
#include "txbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REC_HDR 16
#define MIN_CAP 256              /* first buffer of a transaction; small, as many may be held */
#define REPLAY_CHUNK (64 * 1024) /* spill file read size at replay */

struct txbuf {
    size_t limit;
    char *spill_dir;
    txbuf_txn *head;
    int count;
    size_t mem_total; /* sum of mem_cap over all transactions */
    size_t peak;
    uint64_t spilled;
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
    if (t->spill_fd >= 0)
        close(t->spill_fd);
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
    t->spill_fd = -1;
    t->next = tb->head;
    tb->head = t;
    tb->count++;
    return t;
}

/* ------------------------------------------------------------ spill files */

static pgcdc_code open_spill(txbuf *tb, txbuf_txn *t, pgcdc_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/pgcdc-spill-%u-XXXXXX", tb->spill_dir, t->xid);
    int fd = mkostemp(path, O_CLOEXEC);
    if (fd < 0)
        return pgcdc_error_set(err, PGCDC_EIO,
                               "cannot create a spill file in %s for transaction %u: %s; "
                               "set the spill directory to a writable place with free space",
                               tb->spill_dir, t->xid, strerror(errno));
    unlink(path); /* anonymous: vanishes with the process, even after kill -9 */
    t->spill_fd = fd;
    t->spill_len = 0;
    return PGCDC_OK;
}

/* Writes all n bytes at off; 0, or an errno value. */
static int write_at(int fd, const uint8_t *p, size_t n, uint64_t off)
{
    while (n) {
        ssize_t w = pwrite(fd, p, n, (off_t)off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        if (w == 0)
            return ENOSPC; /* no progress and no reason: treat as a full disk */
        p += w;
        n -= (size_t)w;
        off += (uint64_t)w;
    }
    return 0;
}

/* Appends one whole unit (a memory block, or a record's header + payload) to
 * the spill file. spill_len moves only when every byte is written; on failure
 * the file is cut back to spill_len. */
static pgcdc_code spill_append(txbuf *tb, txbuf_txn *t, const uint8_t *a, size_t na, const uint8_t *b, size_t nb,
                               pgcdc_error *err)
{
    if (t->spill_fd < 0) {
        pgcdc_code rc = open_spill(tb, t, err);
        if (rc)
            return rc;
    }
    int e = write_at(t->spill_fd, a, na, t->spill_len);
    if (!e)
        e = write_at(t->spill_fd, b, nb, t->spill_len + na);
    if (e) {
        /* Give back the partial bytes; if this fails too, they stay as junk past
         * spill_len, which nothing reads and the next write overwrites. */
        if (ftruncate(t->spill_fd, (off_t)t->spill_len) != 0) {
            /* nothing more to do */
        }
        return pgcdc_error_set(err, PGCDC_EIO,
                               "cannot write %zu bytes to the spill file of transaction %u in %s: %s; "
                               "free space there, or set the spill directory to a filesystem with room "
                               "(a larger memory limit also spills less)",
                               na + nb, t->xid, tb->spill_dir, strerror(e));
    }
    t->spill_len += na + nb;
    tb->spilled += na + nb;
    return PGCDC_OK;
}

/* Moves a transaction's in-memory records to the end of its spill file. Its
 * buffer is freed, or kept (emptied, still counted) when the transaction is
 * about to refill it. On failure the records stay in memory. */
static pgcdc_code spill_txn(txbuf *tb, txbuf_txn *t, bool keep_buffer, pgcdc_error *err)
{
    if (t->mem_len) {
        pgcdc_code rc = spill_append(tb, t, t->mem, t->mem_len, NULL, 0, err);
        if (rc)
            return rc;
    }
    t->mem_len = 0;
    if (!keep_buffer) {
        tb->mem_total -= t->mem_cap;
        free(t->mem);
        t->mem = NULL;
        t->mem_cap = 0;
    }
    return PGCDC_OK;
}

/* ------------------------------------------------------------ appending */

static void note_peak(txbuf *tb)
{
    if (tb->mem_total > tb->peak)
        tb->peak = tb->mem_total;
}

/* Grows t's buffer to hold need more bytes, within the budget, spilling the
 * transaction that holds the most memory (perhaps t) while the budget is short.
 * need <= limit. */
static pgcdc_code reserve(txbuf *tb, txbuf_txn *t, size_t need, pgcdc_error *err)
{
    for (;;) {
        size_t want = t->mem_len + need;
        if (want <= t->mem_cap)
            return PGCDC_OK;
        size_t others = tb->mem_total - t->mem_cap;
        if (want <= tb->limit && others <= tb->limit - want) {
            size_t room = tb->limit - others; /* >= want */
            size_t cap = t->mem_cap ? t->mem_cap : MIN_CAP;
            while (cap < want && cap <= room / 2)
                cap *= 2;
            if (cap < want || cap > room)
                cap = room; /* the doubling would pass the budget: take what is left */
            /* An emptied buffer has nothing to copy: free first, so the old and
             * the new block are never held together. */
            uint8_t *m;
            if (!t->mem_len) {
                free(t->mem);
                t->mem = NULL;
                tb->mem_total -= t->mem_cap;
                t->mem_cap = 0;
                m = malloc(cap);
            } else {
                m = realloc(t->mem, cap);
            }
            if (!m)
                return pgcdc_error_set(err, PGCDC_ENOMEM,
                                       "out of memory buffering transaction %u (%zu bytes); "
                                       "lower the decoder's memory limit",
                                       t->xid, cap);
            tb->mem_total = tb->mem_total - t->mem_cap + cap;
            t->mem = m;
            t->mem_cap = cap;
            note_peak(tb);
            return PGCDC_OK;
        }
        txbuf_txn *victim = NULL;
        for (txbuf_txn *v = tb->head; v; v = v->next)
            if (v->mem_cap && (!victim || v->mem_cap > victim->mem_cap))
                victim = v;
        if (!victim) /* cannot happen while need <= limit; never loop forever */
            return pgcdc_error_set(err, PGCDC_EINVAL, "buffering transaction %u: memory accounting is off", t->xid);
        /* t keeps its buffer only when that leaves room for the record */
        pgcdc_code rc = spill_txn(tb, victim, victim == t && need <= t->mem_cap, err);
        if (rc)
            return rc;
    }
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

    pgcdc_code rc;
    if (need > tb->limit) {
        /* Larger than the whole budget: straight to the file, after what is in memory. */
        if ((rc = spill_txn(tb, t, true, err)) || (rc = spill_append(tb, t, hdr, REC_HDR, data, len, err)))
            return rc;
        t->nrecords++;
        return PGCDC_OK;
    }
    if ((rc = reserve(tb, t, need, err)))
        return rc;
    memcpy(t->mem + t->mem_len, hdr, REC_HDR);
    if (len)
        memcpy(t->mem + t->mem_len + REC_HDR, data, len);
    t->mem_len += need;
    t->nrecords++;
    return PGCDC_OK;
}

/* ------------------------------------------------- aborted subtransactions */

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

/* ------------------------------------------------------------ replay */

/* Calls fn for each live record in a run of whole records. */
static pgcdc_code replay_block(txbuf_txn *t, const uint8_t *p, size_t n, txbuf_visit_fn fn, void *ud,
                               pgcdc_error *err)
{
    size_t pos = 0;
    while (pos < n) {
        pgcdc_lsn lsn;
        uint32_t len, subxid;
        memcpy(&lsn, p + pos, 8);
        memcpy(&len, p + pos + 8, 4);
        memcpy(&subxid, p + pos + 12, 4);
        const uint8_t *data = p + pos + REC_HDR;
        pos += REC_HDR + (size_t)len;
        if (skip_record(t, subxid, data, len))
            continue;
        pgcdc_code rc = fn(ud, lsn, data, len, err);
        if (rc)
            return rc;
    }
    return PGCDC_OK;
}

/* Reads exactly n bytes at off; 0, or an errno value (EIO for a file shorter than spill_len). */
static int read_at(int fd, uint8_t *p, size_t n, uint64_t off)
{
    while (n) {
        ssize_t r = pread(fd, p, n, (off_t)off);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        if (r == 0)
            return EIO;
        p += r;
        n -= (size_t)r;
        off += (uint64_t)r;
    }
    return 0;
}

static pgcdc_code replay_read_error(txbuf *tb, txbuf_txn *t, int e, pgcdc_error *err)
{
    return pgcdc_error_set(err, PGCDC_EIO, "reading back the spill file of transaction %u in %s: %s; "
                           "the transaction cannot be replayed (restart the stream from the last confirmed position)",
                           t->xid, tb->spill_dir, strerror(e));
}

/* Replays the spill file in REPLAY_CHUNK reads; a record larger than a chunk
 * gets a buffer of its own size. */
static pgcdc_code replay_file(txbuf *tb, txbuf_txn *t, txbuf_visit_fn fn, void *ud, pgcdc_error *err)
{
    size_t cap = REPLAY_CHUNK;
    uint8_t *buf = malloc(cap);
    if (!buf)
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory replaying transaction %u", t->xid);
    pgcdc_code rc = PGCDC_OK;
    uint64_t off = 0; /* file offset of buf[0] */
    size_t have = 0;  /* bytes in buf */
    while (off < t->spill_len) {
        /* fill the buffer with as much of the file as fits */
        uint64_t left = t->spill_len - off - have;
        size_t want = cap - have < left ? cap - have : (size_t)left;
        int e = read_at(t->spill_fd, buf + have, want, off + have);
        if (e) {
            rc = replay_read_error(tb, t, e, err);
            break;
        }
        have += want;
        /* the whole records in it */
        size_t whole = 0;
        uint32_t len = 0;
        while (have - whole >= REC_HDR) {
            memcpy(&len, buf + whole + 8, 4);
            if (have - whole - REC_HDR < len)
                break;
            whole += REC_HDR + (size_t)len;
        }
        if ((rc = replay_block(t, buf, whole, fn, ud, err)))
            break;
        off += whole;
        have -= whole;
        memmove(buf, buf + whole, have);
        if (have >= REC_HDR && REC_HDR + (size_t)len > cap) {
            if ((uint64_t)REC_HDR + len > t->spill_len - off) {
                rc = replay_read_error(tb, t, EIO, err);
                break;
            }
            uint8_t *b = realloc(buf, REC_HDR + (size_t)len);
            if (!b) {
                rc = pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory replaying a %u-byte message", len);
                break;
            }
            buf = b;
            cap = REC_HDR + (size_t)len;
        }
        if (!whole && !want && off < t->spill_len) { /* no progress: the file does not hold what spill_len says */
            rc = replay_read_error(tb, t, EIO, err);
            break;
        }
    }
    free(buf);
    return rc;
}

pgcdc_code txbuf_replay(txbuf *tb, txbuf_txn *t, txbuf_visit_fn fn, void *ud, pgcdc_error *err)
{
    if (t->spill_fd >= 0 && t->spill_len) {
        pgcdc_code rc = replay_file(tb, t, fn, ud, err);
        if (rc)
            return rc;
    }
    return replay_block(t, t->mem, t->mem_len, fn, ud, err);
}

void txbuf_discard(txbuf *tb, txbuf_txn *t)
{
    for (txbuf_txn **pp = &tb->head; *pp; pp = &(*pp)->next) {
        if (*pp == t) {
            *pp = t->next;
            tb->mem_total -= t->mem_cap;
            tb->count--;
            txn_release(t);
            return;
        }
    }
}

txbuf_txn *txbuf_first(const txbuf *tb) { return tb->head; }
int txbuf_count(const txbuf *tb) { return tb->count; }
size_t txbuf_memory(const txbuf *tb) { return tb->mem_total; }
size_t txbuf_peak_memory(const txbuf *tb) { return tb->peak; }
uint64_t txbuf_spilled_total(const txbuf *tb) { return tb->spilled; }
