/* bench_batch.c - ChangeBatch throughput: building from decoder events,
 * encoding, decoding; bytes per change with and without typed values; with
 * reference points from the same run (ratios, not absolute numbers, are what
 * to compare across machines):
 *   memcpy          copying the encoded bytes (the floor)
 *   decode(malloc)  protobuf-c's unpack with its default allocator
 * Run: meson test -C build --benchmark --suite bench -v (or the binary itself;
 * an argument scales the rounds). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pgcdc/batch.h"

#include "change_batch.pb-c.h"

#define NCOLS 8
#define TXNS 1000
#define CHANGES_PER_TXN 10
#define NCHANGES (TXNS * CHANGES_PER_TXN)

static const pgcdc_column cols[NCOLS] = {
    {"id", 20, -1, PGCDC_COLUMN_KEY}, {"customer_id", 23, -1, 0}, {"name", 25, -1, 0},
    {"email", 1043, 104, 0},          {"price", 701, -1, 0},      {"qty", 23, -1, 0},
    {"active", 16, -1, 0},            {"created_at", 1184, -1, 0},
};
static const pgcdc_relation rel = {16384, "public", "orders", 'd', NCOLS, cols, 1};

/* Pre-rendered values, as pgoutput text. */
static char text_pool[NCHANGES][NCOLS][40];
static pgcdc_value values[NCHANGES][NCOLS];

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void make_values(void)
{
    srand(42);
    for (int i = 0; i < NCHANGES; i++) {
        char(*t)[40] = text_pool[i];
        snprintf(t[0], 40, "%d", 1000000 + i);
        snprintf(t[1], 40, "%d", rand() % 100000);
        snprintf(t[2], 40, "Customer %05d", rand() % 100000);
        snprintf(t[3], 40, "user%d@example.com", rand() % 1000000);
        snprintf(t[4], 40, "%d.%02d", rand() % 1000, rand() % 100);
        snprintf(t[5], 40, "%d", 1 + rand() % 20);
        snprintf(t[6], 40, "%s", rand() % 2 ? "t" : "f");
        snprintf(t[7], 40, "2024-05-%02d 12:%02d:%02d.%06d+00", 1 + rand() % 28, rand() % 60, rand() % 60,
                 rand() % 1000000);
        for (int c = 0; c < NCOLS; c++)
            values[i][c] = (pgcdc_value){'t', (uint32_t)strlen(t[c]), t[c]};
    }
}

/* Adds the whole workload; returns the seconds it took. */
static double build(pgcdc_batch_builder *b)
{
    pgcdc_txn txn = {0};
    pgcdc_event ev;
    double t0 = now();
    for (int x = 0; x < TXNS; x++) {
        txn.xid = 1000 + (uint32_t)x;
        txn.commit_lsn = 0x1000000 + (pgcdc_lsn)x * 0x1000;
        txn.end_lsn = 0;
        memset(&ev, 0, sizeof ev);
        ev.kind = PGCDC_EV_BEGIN;
        ev.txn = &txn;
        pgcdc_batch_add_event(b, &ev, NULL);
        for (int c = 0; c < CHANGES_PER_TXN; c++) {
            int i = x * CHANGES_PER_TXN + c;
            memset(&ev, 0, sizeof ev);
            ev.kind = PGCDC_EV_INSERT;
            ev.txn = &txn;
            ev.lsn = txn.commit_lsn - 0x800 + (pgcdc_lsn)c;
            ev.seq = (uint64_t)c;
            ev.rel = &rel;
            ev.new_tuple = (pgcdc_tuple){NCOLS, values[i]};
            if (pgcdc_batch_add_event(b, &ev, NULL) != PGCDC_OK) {
                fprintf(stderr, "bench_batch: add failed\n");
                exit(1);
            }
        }
        txn.end_lsn = txn.commit_lsn + 0x30;
        memset(&ev, 0, sizeof ev);
        ev.kind = PGCDC_EV_COMMIT;
        ev.txn = &txn;
        pgcdc_batch_add_event(b, &ev, NULL);
    }
    return now() - t0;
}

static void report(const char *what, double secs, int rounds, size_t bytes)
{
    double changes = (double)NCHANGES * rounds;
    printf("  %-16s %8.2f M changes/s  %8.1f MB/s\n", what, changes / secs / 1e6, (double)bytes * rounds / secs / 1e6);
}

/* Touches every decoded value, so decoding is not measured half-done. */
static uint64_t walk(const Pgcdc__V1__ChangeBatch *m)
{
    uint64_t sum = 0;
    for (size_t r = 0; r < m->n_records; r++) {
        const Pgcdc__V1__Transaction *t = m->records[r]->transaction;
        for (size_t c = 0; t && c < t->n_changes; c++)
            for (size_t v = 0; v < t->changes[c]->n_new_values; v++)
                sum += (uint64_t)t->changes[c]->new_values[v]->kind_case;
    }
    return sum;
}

static void run(bool typed, int rounds)
{
    pgcdc_batch_builder *b;
    pgcdc_batch_builder_new("bench", &b, NULL);
    pgcdc_batch_builder_set_typed_values(b, typed);
    pgcdc_buf out = PGCDC_BUF_INIT;
    double t_build = 0, t_encode = 0, t_decode = 0, t_malloc = 0, t_copy = 0;
    size_t estimate = 0;
    uint64_t sink = 0;
    char *copy = NULL;
    for (int r = 0; r < rounds; r++) {
        t_build += build(b);
        estimate = pgcdc_batch_builder_bytes(b);
        double t0 = now();
        if (pgcdc_batch_encode(b, &out, NULL) != PGCDC_OK) {
            fprintf(stderr, "bench_batch: encode failed\n");
            exit(1);
        }
        t_encode += now() - t0;
        pgcdc_batch_builder_reset(b);

        t0 = now();
        pgcdc_batch *batch;
        if (pgcdc_batch_decode((const uint8_t *)out.data, out.len, &batch, NULL) != PGCDC_OK) {
            fprintf(stderr, "bench_batch: decode failed\n");
            exit(1);
        }
        sink += walk(pgcdc_batch_message(batch));
        pgcdc_batch_free(batch);
        t_decode += now() - t0;

        t0 = now();
        Pgcdc__V1__ChangeBatch *m = pgcdc__v1__change_batch__unpack(NULL, out.len, (const uint8_t *)out.data);
        sink += walk(m);
        pgcdc__v1__change_batch__free_unpacked(m, NULL);
        t_malloc += now() - t0;

        if (!copy)
            copy = malloc(out.len);
        t0 = now();
        memcpy(copy, out.data, out.len);
        sink += (uint64_t)copy[out.len / 2];
        t_copy += now() - t0;
    }
    printf("%s values: %zu bytes per batch of %d changes = %.1f bytes/change (estimate %zu, %+.1f%%)\n",
           typed ? "typed" : "text", out.len, NCHANGES, (double)out.len / NCHANGES, estimate,
           100.0 * ((double)estimate - (double)out.len) / (double)out.len);
    report("build", t_build, rounds, out.len);
    report("encode", t_encode, rounds, out.len);
    report("build+encode", t_build + t_encode, rounds, out.len);
    report("decode", t_decode, rounds, out.len);
    report("decode(malloc)", t_malloc, rounds, out.len);
    report("memcpy", t_copy, rounds, out.len);
    if (sink == 42)
        printf(" ");
    free(copy);
    pgcdc_buf_free(&out);
    pgcdc_batch_builder_free(b);
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 30;
    if (rounds < 1)
        rounds = 1;
    make_values();
    printf("bench_batch: %d rounds of %d transactions x %d inserts, %d columns "
           "(int8, int4, text, varchar, float8, int4, bool, timestamptz)\n",
           rounds, TXNS, CHANGES_PER_TXN, NCOLS);
    run(true, rounds);
    run(false, rounds);
    return 0;
}
