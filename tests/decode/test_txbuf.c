/* test_txbuf.c - the held-transaction buffer on its own: the memory bound counts
 * allocated bytes and holds after every append; replay gives back exactly the
 * accepted records in arrival order (spill file first, then memory), skipping
 * aborted subtransactions except their schema messages; a failed spill write
 * (a real one: RLIMIT_FSIZE makes the kernel refuse it) changes nothing, and
 * appends and replay afterwards see exactly what was accepted. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "txbuf.h"

/* ------------------------------------------------------------ the model */

/* One accepted record; its bytes are derived from seq, so they need no storage. */
typedef struct rec {
    uint64_t seq; /* also the lsn */
    uint32_t subxid;
    uint32_t len;
    char kind;
} rec;

typedef struct model_txn {
    uint32_t xid;
    rec *recs;
    size_t n, cap;
    uint32_t aborted[16];
    int naborted;
} model_txn;

static uint8_t *make_payload(const rec *r)
{
    uint8_t *p = malloc(r->len ? r->len : 1);
    for (uint32_t i = 0; i < r->len; i++)
        p[i] = (uint8_t)(r->seq * 131 + i * 7);
    if (r->len)
        p[0] = (uint8_t)r->kind;
    return p;
}

static void model_add(model_txn *m, rec r)
{
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 64;
        m->recs = realloc(m->recs, m->cap * sizeof *m->recs);
    }
    m->recs[m->n++] = r;
}

static bool model_aborted(const model_txn *m, uint32_t subxid)
{
    for (int i = 0; i < m->naborted; i++)
        if (m->aborted[i] == subxid)
            return true;
    return false;
}

static pgcdc_code append_rec(txbuf *tb, txbuf_txn *t, const rec *r, pgcdc_error *err)
{
    uint8_t *p = make_payload(r);
    pgcdc_code rc = txbuf_append(tb, t, r->subxid, r->seq, p, r->len, err);
    free(p);
    return rc;
}

/* Replay checker: every record must be the next live one of the model. */
typedef struct expect {
    const model_txn *m;
    size_t next;   /* index into m->recs */
    size_t seen;
    size_t stop_after; /* return an error after this many (0: never) */
    bool bad;
} expect;

static pgcdc_code visit(void *ud, pgcdc_lsn lsn, const uint8_t *data, size_t len, pgcdc_error *err)
{
    expect *e = ud;
    while (e->next < e->m->n) {
        const rec *r = &e->m->recs[e->next];
        if (model_aborted(e->m, r->subxid) && r->kind != 'R' && r->kind != 'Y')
            e->next++;
        else
            break;
    }
    if (e->next >= e->m->n) {
        if (!e->bad)
            fprintf(stderr, "txn %u: extra record lsn %llu\n", e->m->xid, (unsigned long long)lsn);
        e->bad = true;
        return pgcdc_error_set(err, PGCDC_EINVAL, "extra record");
    }
    const rec *r = &e->m->recs[e->next++];
    uint8_t *p = make_payload(r);
    if (lsn != r->seq || len != r->len || (len && memcmp(p, data, len) != 0)) {
        if (!e->bad)
            fprintf(stderr, "txn %u: record %zu: lsn %llu len %zu, expected lsn %llu len %u\n", e->m->xid,
                    e->next - 1, (unsigned long long)lsn, len, (unsigned long long)r->seq, r->len);
        e->bad = true;
    }
    free(p);
    e->seen++;
    if (e->stop_after && e->seen == e->stop_after)
        return pgcdc_error_set(err, PGCDC_EINVAL, "stopped on purpose");
    return PGCDC_OK;
}

/* Replays t and checks it gives exactly the model's live records. */
static bool replay_matches(txbuf *tb, txbuf_txn *t, const model_txn *m)
{
    expect e = {.m = m};
    pgcdc_error err = {0};
    pgcdc_code rc = txbuf_replay(tb, t, visit, &e, &err);
    if (rc)
        fprintf(stderr, "txn %u: replay failed: %s\n", m->xid, err.message);
    size_t live = 0;
    for (size_t i = 0; i < m->n; i++)
        if (!model_aborted(m, m->recs[i].subxid) || m->recs[i].kind == 'R' || m->recs[i].kind == 'Y')
            live++;
    if (!rc && e.seen != live)
        fprintf(stderr, "txn %u: replayed %zu records, expected %zu\n", m->xid, e.seen, live);
    return rc == PGCDC_OK && !e.bad && e.seen == live;
}

static size_t sum_caps(txbuf *tb)
{
    size_t s = 0;
    for (txbuf_txn *t = txbuf_first(tb); t; t = t->next)
        s += t->mem_cap;
    return s;
}

static size_t sum_lens(txbuf *tb)
{
    size_t s = 0;
    for (txbuf_txn *t = txbuf_first(tb); t; t = t->next)
        s += t->mem_len;
    return s;
}

static int open_fds(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

static char spill_dir[] = "/tmp/pgcdc-txbuf-test-XXXXXX";

static bool dir_is_empty(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return false;
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n == 0;
}

/* xorshift: a fixed sequence, so a failure reproduces */
static uint64_t rng = 88172645463325252ull;
static uint32_t rnd(uint32_t below)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % below);
}

/* ---------------------------------------------------------------- tests */

/* Many interleaved transactions under a small limit: after every append the
 * allocated bytes stay within the limit and are what the buffers hold; replay
 * gives each transaction's records back exactly; discard frees everything. */
static void test_interleaved(size_t limit)
{
    enum { NTXN = 24, NAPPEND = 6000 };
    int fds_before = open_fds();
    txbuf *tb = txbuf_new(limit, spill_dir);
    CHECK(tb != NULL);
    model_txn m[NTXN] = {{0}};
    txbuf_txn *t[NTXN];
    for (int i = 0; i < NTXN; i++) {
        m[i].xid = 1000 + (uint32_t)i;
        t[i] = txbuf_get(tb, m[i].xid, true);
        CHECK(t[i] != NULL);
    }
    CHECK_INT(txbuf_count(tb), NTXN);
    CHECK(txbuf_get(tb, 1000, false) == t[0]);
    CHECK(txbuf_get(tb, 99, false) == NULL);

    uint64_t seq = 1;
    int over = 0, mismatch = 0, failed = 0;
    for (int k = 0; k < NAPPEND; k++) {
        int i = (int)rnd(NTXN);
        uint32_t r = rnd(100);
        rec x = {.seq = seq++, .subxid = m[i].xid + 100000 * rnd(4)};
        /* mostly small changes, some empty, a few larger than the whole limit */
        x.len = r < 3 ? (uint32_t)limit + rnd(2000) : r < 6 ? 0 : 1 + rnd(r < 20 ? 900 : 120);
        x.kind = !x.len ? 'I' : r % 17 == 0 ? 'R' : r % 19 == 0 ? 'Y' : 'I'; /* an empty record has no kind */
        pgcdc_error err = {0};
        if (append_rec(tb, t[i], &x, &err) != PGCDC_OK) {
            if (!failed++)
                fprintf(stderr, "append failed: %s\n", err.message);
            continue;
        }
        model_add(&m[i], x);
        if (txbuf_memory(tb) > limit && !over++)
            fprintf(stderr, "after append %d: %zu bytes allocated, limit %zu\n", k, txbuf_memory(tb), limit);
        if ((txbuf_memory(tb) != sum_caps(tb) || sum_lens(tb) > txbuf_memory(tb)) && !mismatch++)
            fprintf(stderr, "after append %d: txbuf_memory %zu, capacities %zu, used %zu\n", k, txbuf_memory(tb),
                    sum_caps(tb), sum_lens(tb));
        /* abort a subtransaction now and then, as pgoutput's Stream Abort would */
        if (rnd(400) == 0 && m[i].naborted < 16) {
            uint32_t sub = m[i].xid + 100000 * (1 + rnd(3));
            CHECK(txbuf_abort_sub(t[i], sub, NULL) == PGCDC_OK);
            CHECK(txbuf_abort_sub(t[i], sub, NULL) == PGCDC_OK); /* twice is harmless */
            if (!model_aborted(&m[i], sub))
                m[i].aborted[m[i].naborted++] = sub;
        }
    }
    CHECK_INT(failed, 0);
    CHECK_INT(over, 0);
    CHECK_INT(mismatch, 0);
    CHECK_MSG(txbuf_peak_memory(tb) <= limit, "peak %zu, limit %zu", txbuf_peak_memory(tb), limit);
    CHECK_MSG(txbuf_peak_memory(tb) > limit / 2, "peak %zu: the budget is used", txbuf_peak_memory(tb));
    CHECK(txbuf_spilled_total(tb) > 0);

    /* some transactions hold records both in their file and in memory, so the
     * order check below covers file-then-memory */
    int both = 0, aborted_some = 0;
    for (int i = 0; i < NTXN; i++) {
        both += t[i]->spill_len > 0 && t[i]->mem_len > 0;
        aborted_some += m[i].naborted > 0;
        CHECK_INT(t[i]->nrecords, m[i].n);
    }
    CHECK(both > 0);
    CHECK(aborted_some > 0);

    for (int i = 0; i < NTXN; i++)
        CHECK_MSG(replay_matches(tb, t[i], &m[i]), "txn %u", m[i].xid);
    /* replay is repeatable */
    CHECK(replay_matches(tb, t[3], &m[3]));

    /* a replay stopped by its callback, then more records, then a full replay:
     * the stop must not leave anything that misplaces the later records */
    int j = 0;
    for (int i = 0; i < NTXN; i++)
        if (t[i]->spill_len > 0 && m[i].n > 4)
            j = i;
    expect e = {.m = &m[j], .stop_after = 2};
    pgcdc_error err = {0};
    CHECK_INT(txbuf_replay(tb, t[j], visit, &e, &err), PGCDC_EINVAL);
    CHECK_STR(err.message, "stopped on purpose");
    for (int k = 0; k < 50; k++) {
        rec x = {.seq = seq++, .subxid = m[j].xid, .len = 1 + rnd(k % 10 == 0 ? (uint32_t)limit * 2 : 200),
                 .kind = 'U'};
        CHECK(append_rec(tb, t[j], &x, NULL) == PGCDC_OK);
        model_add(&m[j], x);
    }
    CHECK(replay_matches(tb, t[j], &m[j]));
    CHECK(txbuf_memory(tb) <= limit);

    /* discard gives back every byte and every file */
    for (int i = 0; i < NTXN; i++) {
        size_t before = txbuf_memory(tb), cap = t[i]->mem_cap;
        txbuf_discard(tb, t[i]);
        CHECK_INT(txbuf_memory(tb), before - cap);
        free(m[i].recs);
    }
    CHECK_INT(txbuf_count(tb), 0);
    CHECK_INT(txbuf_memory(tb), 0);
    CHECK(txbuf_first(tb) == NULL);
    CHECK_INT(open_fds(), fds_before);
    CHECK(dir_is_empty(spill_dir)); /* spill files are unlinked from the start */
    txbuf_free(tb);
}

/* One transaction, each record larger than the last: the buffer grows by
 * doubling but never past the limit, and a record above the limit goes to the
 * file after what memory holds. */
static void test_growth(void)
{
    const size_t limit = 10000;
    txbuf *tb = txbuf_new(limit, spill_dir);
    txbuf_txn *t = txbuf_get(tb, 7, true);
    model_txn m = {.xid = 7};
    uint64_t seq = 1;
    for (uint32_t len = 1; len < 3 * limit; len = len * 3 / 2 + 1) {
        rec x = {.seq = seq++, .subxid = 7, .len = len, .kind = 'I'};
        CHECK(append_rec(tb, t, &x, NULL) == PGCDC_OK);
        model_add(&m, x);
        CHECK_MSG(txbuf_memory(tb) <= limit, "len %u: %zu allocated", len, txbuf_memory(tb));
        CHECK_INT(txbuf_memory(tb), t->mem_cap);
    }
    CHECK_MSG(txbuf_peak_memory(tb) <= limit && txbuf_peak_memory(tb) > limit / 2, "peak %zu", txbuf_peak_memory(tb));
    CHECK(t->spill_len > 0);
    CHECK(replay_matches(tb, t, &m));
    free(m.recs);
    txbuf_free(tb); /* frees held transactions too (ASan checks) */

    /* a zero limit: everything goes to the file, nothing is allocated */
    tb = txbuf_new(0, spill_dir);
    t = txbuf_get(tb, 8, true);
    model_txn z = {.xid = 8};
    for (int k = 0; k < 20; k++) {
        rec x = {.seq = seq++, .subxid = 8, .len = (uint32_t)k * 10, .kind = 'I'};
        CHECK(append_rec(tb, t, &x, NULL) == PGCDC_OK);
        model_add(&z, x);
    }
    CHECK_INT(txbuf_peak_memory(tb), 0);
    CHECK(replay_matches(tb, t, &z));
    free(z.recs);
    txbuf_free(tb);
}

/* Aborted subtransactions: their records are skipped, except Relation and
 * Type messages; the top transaction's records stay. */
static void test_aborted_subtransactions(void)
{
    txbuf *tb = txbuf_new(300, spill_dir); /* small: some records are in the file */
    txbuf_txn *t = txbuf_get(tb, 50, true);
    model_txn m = {.xid = 50};
    const char kinds[] = "IRUYDIIRTI";
    for (int k = 0; k < 40; k++) {
        rec x = {.seq = (uint64_t)k + 1, .subxid = 50 + (uint32_t)(k % 4), .len = 20, .kind = kinds[k % 10]};
        CHECK(append_rec(tb, t, &x, NULL) == PGCDC_OK);
        model_add(&m, x);
    }
    CHECK(t->spill_len > 0 && t->mem_len > 0);
    CHECK(txbuf_abort_sub(t, 52, NULL) == PGCDC_OK);
    CHECK(txbuf_abort_sub(t, 51, NULL) == PGCDC_OK);
    m.aborted[m.naborted++] = 52;
    m.aborted[m.naborted++] = 51;
    CHECK(replay_matches(tb, t, &m));

    /* count what came back by hand too, so the model cannot fool itself */
    expect e = {.m = &m};
    CHECK(txbuf_replay(tb, t, visit, &e, NULL) == PGCDC_OK);
    size_t want = 0;
    for (int k = 0; k < 40; k++) {
        uint32_t sub = 50 + (uint32_t)(k % 4);
        char kind = kinds[k % 10];
        want += (sub != 51 && sub != 52) || kind == 'R' || kind == 'Y';
    }
    CHECK_INT(e.seen, want);
    CHECK(want < 40 && want > 20);
    free(m.recs);
    txbuf_free(tb);
}

/* A spill directory that cannot be written: the append fails with a message
 * that says where and what to do, and the records already held stay. */
static void test_unwritable_dir(void)
{
    txbuf *tb = txbuf_new(512, "/nonexistent/pgcdc-spill");
    txbuf_txn *t = txbuf_get(tb, 9, true);
    model_txn m = {.xid = 9};
    pgcdc_error err = {0};
    pgcdc_code rc = PGCDC_OK;
    uint64_t seq = 1;
    for (int k = 0; k < 20 && !rc; k++) {
        rec x = {.seq = seq++, .subxid = 9, .len = 60, .kind = 'I'};
        rc = append_rec(tb, t, &x, &err);
        if (!rc)
            model_add(&m, x);
    }
    CHECK_INT(rc, PGCDC_EIO);
    CHECK_CONTAINS(err.message, "/nonexistent/pgcdc-spill");
    CHECK_CONTAINS(err.message, "spill directory");
    CHECK(m.n > 0);
    CHECK_INT(t->nrecords, m.n);
    CHECK(replay_matches(tb, t, &m));
    CHECK(txbuf_memory(tb) <= 512);
    free(m.recs);
    txbuf_free(tb);
}

/* Real write failures: with RLIMIT_FSIZE the kernel cuts a write short at the
 * limit and refuses the next one with EFBIG (SIGXFSZ ignored). Records are
 * appended until that happens, in small records (memory blocks spilled) and in
 * records above the memory limit (header + payload straight to the file). */
static void test_write_failure(bool big_records)
{
    const size_t limit = 1000;
    const rlim_t fsize = 20000;
    txbuf *tb = txbuf_new(limit, spill_dir);
    enum { N = 3 };
    model_txn m[N] = {{0}};
    txbuf_txn *t[N];
    for (int i = 0; i < N; i++) {
        m[i].xid = 70 + (uint32_t)i;
        t[i] = txbuf_get(tb, m[i].xid, true);
    }
    struct rlimit old;
    CHECK(getrlimit(RLIMIT_FSIZE, &old) == 0);
    struct rlimit lim = {fsize, old.rlim_max};
    CHECK(setrlimit(RLIMIT_FSIZE, &lim) == 0);
    /* nothing may print to a file while the limit is on: collect, report after */
    int failures = 0, over = 0, junk = 0;
    char first_msg[PGCDC_ERROR_MAX] = "";
    pgcdc_code first_rc = PGCDC_OK;
    uint64_t seq = 1;
    for (int k = 0; k < 2000 && failures <= 30; k++) {
        int i = k % N;
        rec x = {.seq = seq++, .subxid = m[i].xid,
                 .len = big_records && k % 3 == 0 ? 1500 + (uint32_t)(k % 7) * 13 : 40 + (uint32_t)(k % 11) * 9,
                 .kind = 'I'};
        pgcdc_error err = {0};
        pgcdc_code rc = append_rec(tb, t[i], &x, &err);
        if (rc) {
            if (!failures++) {
                first_rc = rc;
                snprintf(first_msg, sizeof first_msg, "%s", err.message);
            }
            /* whatever the failed write put there was cut away again */
            struct stat st;
            for (int v = 0; v < N; v++)
                if (t[v]->spill_fd >= 0 && (fstat(t[v]->spill_fd, &st) != 0 || (uint64_t)st.st_size != t[v]->spill_len))
                    junk++;
        } else {
            model_add(&m[i], x);
        }
        if (txbuf_memory(tb) > limit)
            over++;
    }
    CHECK(setrlimit(RLIMIT_FSIZE, &old) == 0);

    CHECK_MSG(failures > 30, "%d failed appends", failures);
    CHECK_INT(over, 0);
    CHECK_INT(junk, 0);
    /* A file that failed below the size limit had a write cut short by the
     * kernel (it writes up to the limit, then refuses): partial writes happened. */
    int cut_short = 0;
    for (int i = 0; i < N; i++)
        cut_short += t[i]->spill_len > 0 && t[i]->spill_len < fsize;
    CHECK_MSG(cut_short > 0, "no write was cut short");
    CHECK_INT(first_rc, PGCDC_EIO);
    CHECK_CONTAINS(first_msg, "cannot write");
    CHECK_CONTAINS(first_msg, spill_dir);
    CHECK_CONTAINS(first_msg, "File too large");
    CHECK_CONTAINS(first_msg, "free space");
    for (int i = 0; i < N; i++) {
        CHECK_INT(t[i]->nrecords, m[i].n);
        CHECK_MSG(t[i]->spill_len <= fsize, "spill_len %llu", (unsigned long long)t[i]->spill_len);
    }
    /* after the failures: exactly the accepted records, in order */
    for (int i = 0; i < N; i++)
        CHECK_MSG(replay_matches(tb, t[i], &m[i]), "txn %u after write failures", m[i].xid);

    /* room again: appends succeed and land after the accepted ones */
    for (int k = 0; k < 60; k++) {
        int i = k % N;
        rec x = {.seq = seq++, .subxid = m[i].xid, .len = k % 5 == 0 ? 2000 : 100, .kind = 'I'};
        pgcdc_error err = {0};
        if (append_rec(tb, t[i], &x, &err) != PGCDC_OK)
            fprintf(stderr, "append after the limit was lifted: %s\n", err.message);
        else
            model_add(&m[i], x);
    }
    for (int i = 0; i < N; i++) {
        CHECK_INT(t[i]->nrecords, m[i].n);
        if (i == 0)
            CHECK(t[i]->spill_len > fsize); /* the 2000-byte records went to the file */
        CHECK_MSG(replay_matches(tb, t[i], &m[i]), "txn %u after the limit was lifted", m[i].xid);
        free(m[i].recs);
    }
    CHECK(txbuf_memory(tb) <= limit);
    txbuf_free(tb);
}

int main(void)
{
    signal(SIGXFSZ, SIG_IGN); /* a write past RLIMIT_FSIZE fails with EFBIG instead of killing us */
    if (!mkdtemp(spill_dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_interleaved(4096);
    test_interleaved(64 * 1024);
    test_growth();
    test_aborted_subtransactions();
    test_unwritable_dir();
    test_write_failure(false);
    test_write_failure(true);
    CHECK(dir_is_empty(spill_dir));
    rmdir(spill_dir);
    return pgt_done("test_txbuf");
}
