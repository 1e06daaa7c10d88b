/* bench_decoder.c - decode throughput of the pgoutput decoder, side by side
 * with reference points measured in the same run (ratios, not absolute
 * numbers, are what to compare across machines):
 *   memcpy    copying the same bytes (the floor)
 *   plain     plain transactions decoded as they arrive
 *   streamed  the same changes streamed (held in memory, replayed at commit)
 *   spilled   streamed with a tiny memory limit (held in a spill file)
 * Run: meson test -C build --benchmark -v  (or build/tests/bench/bench_decoder). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pgcdc/decoder.h"

typedef struct msgbuf {
    uint8_t *data;
    size_t len, cap;
    size_t *offs; /* message boundaries */
    size_t nmsg, msgcap;
} msgbuf;

static void put(msgbuf *m, const void *p, size_t n)
{
    if (m->len + n > m->cap) {
        m->cap = (m->cap + n) * 2;
        m->data = realloc(m->data, m->cap);
    }
    memcpy(m->data + m->len, p, n);
    m->len += n;
}
static void put8(msgbuf *m, uint8_t v) { put(m, &v, 1); }
static void put16(msgbuf *m, uint16_t v) { uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v}; put(m, b, 2); }
static void put32(msgbuf *m, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    put(m, b, 4);
}
static void put64(msgbuf *m, uint64_t v) { put32(m, (uint32_t)(v >> 32)); put32(m, (uint32_t)v); }
static void putstr(msgbuf *m, const char *s) { put(m, s, strlen(s) + 1); }
static void begin_msg(msgbuf *m)
{
    if (m->nmsg == m->msgcap) {
        m->msgcap = m->msgcap ? m->msgcap * 2 : 1024;
        m->offs = realloc(m->offs, sizeof(size_t) * m->msgcap);
    }
    m->offs[m->nmsg++] = m->len;
}

#define NCOLS 8
static const char *values[NCOLS] = {"123456", "customer name 42", "someone@example.com", "2026-11-21 08:00:00.123456+00",
                                    "199.99", "t", "a longer free text column value of some length", "42"};

/* A relation, then ntx transactions of nchg inserts; streamed ones wrapped in S/E ... c. */
static void build(msgbuf *m, int ntx, int nchg, int streamed)
{
    begin_msg(m);
    put8(m, 'R'); put32(m, 16384); putstr(m, "app"); putstr(m, "orders"); put8(m, 'd'); put16(m, NCOLS);
    for (int i = 0; i < NCOLS; i++) {
        char name[16];
        snprintf(name, sizeof name, "col%d", i);
        put8(m, i == 0); putstr(m, name); put32(m, 25); put32(m, (uint32_t)-1);
    }
    for (int t = 0; t < ntx; t++) {
        uint32_t xid = 1000 + (uint32_t)t;
        if (streamed) {
            begin_msg(m); put8(m, 'S'); put32(m, xid); put8(m, 1);
        } else {
            begin_msg(m); put8(m, 'B'); put64(m, 0x1000000 + (uint64_t)t * 4096); put64(m, 0); put32(m, xid);
        }
        for (int c = 0; c < nchg; c++) {
            begin_msg(m);
            put8(m, 'I');
            if (streamed)
                put32(m, xid);
            put32(m, 16384); put8(m, 'N'); put16(m, NCOLS);
            for (int i = 0; i < NCOLS; i++) {
                put8(m, 't'); put32(m, (uint32_t)strlen(values[i])); put(m, values[i], strlen(values[i]));
            }
        }
        begin_msg(m);
        if (streamed) {
            put8(m, 'E');
            begin_msg(m);
            put8(m, 'c'); put32(m, xid); put8(m, 0);
            put64(m, 0x1000000 + (uint64_t)t * 4096); put64(m, 0x1000000 + (uint64_t)t * 4096 + 64); put64(m, 0);
        } else {
            put8(m, 'C'); put8(m, 0); put64(m, 0x1000000 + (uint64_t)t * 4096);
            put64(m, 0x1000000 + (uint64_t)t * 4096 + 64); put64(m, 0);
        }
    }
}

static uint64_t checksum;

static int sink(void *ud, const pgcdc_event *ev, pgcdc_error *err)
{
    (void)ud;
    (void)err;
    if (ev->kind == PGCDC_EV_INSERT)
        for (int i = 0; i < ev->new_tuple.ncolumns; i++)
            checksum += ev->new_tuple.values[i].len + (unsigned char)ev->new_tuple.values[i].data[0];
    return 0;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double run_decoder(const msgbuf *m, size_t memory_limit, uint64_t *changes)
{
    pgcdc_decoder_options o = {.proto_version = 4, .memory_limit = memory_limit};
    pgcdc_decoder *d;
    pgcdc_error err;
    if (pgcdc_decoder_new(&o, sink, NULL, &d, &err) != PGCDC_OK) {
        fprintf(stderr, "%s\n", err.message);
        exit(1);
    }
    double t0 = now();
    for (size_t i = 0; i < m->nmsg; i++) {
        size_t end = i + 1 < m->nmsg ? m->offs[i + 1] : m->len;
        if (pgcdc_decoder_feed(d, m->data + m->offs[i], end - m->offs[i], 0x1000000 + i, &err) != PGCDC_OK) {
            fprintf(stderr, "decode: %s\n", err.message);
            exit(1);
        }
    }
    double t = now() - t0;
    pgcdc_decoder_stats st;
    pgcdc_decoder_get_stats(d, &st);
    *changes = st.changes;
    pgcdc_decoder_free(d);
    return t;
}

int main(int argc, char **argv)
{
    int ntx = argc > 1 ? atoi(argv[1]) : 2000;
    int nchg = argc > 2 ? atoi(argv[2]) : 500; /* 1M changes by default */
    msgbuf plain = {0}, streamed = {0};
    build(&plain, ntx, nchg, 0);
    build(&streamed, ntx, nchg, 1);

    uint8_t *copy = malloc(plain.len);
    memset(copy, 1, plain.len); /* fault the pages in before timing (0 could become calloc) */
    double t0 = now();
    for (size_t i = 0; i < plain.nmsg; i++) {
        size_t end = i + 1 < plain.nmsg ? plain.offs[i + 1] : plain.len;
        memcpy(copy + plain.offs[i], plain.data + plain.offs[i], end - plain.offs[i]);
    }
    double t_copy = now() - t0;
    checksum += copy[plain.len / 2];

    uint64_t n_plain, n_streamed, n_spilled;
    double t_plain = run_decoder(&plain, 0, &n_plain);
    double t_streamed = run_decoder(&streamed, 0, &n_streamed);
    double t_spilled = run_decoder(&streamed, 64 * 1024, &n_spilled);

    double mb = plain.len / 1e6;
    printf("bench_decoder: %d transactions x %d inserts x %d text columns, %.1f MB of pgoutput\n", ntx, nchg, NCOLS, mb);
    printf("  %-9s %8.3f s %10.0f MB/s\n", "memcpy", t_copy, mb / t_copy);
    printf("  %-9s %8.3f s %10.0f changes/s %8.0f MB/s  x%.1f memcpy time\n", "plain", t_plain, n_plain / t_plain,
           mb / t_plain, t_plain / t_copy);
    printf("  %-9s %8.3f s %10.0f changes/s  x%.2f plain time\n", "streamed", t_streamed, n_streamed / t_streamed,
           t_streamed / t_plain);
    printf("  %-9s %8.3f s %10.0f changes/s  x%.2f plain time\n", "spilled", t_spilled, n_spilled / t_spilled,
           t_spilled / t_plain);
    printf("  (checksum %llu)\n", (unsigned long long)checksum);
    free(copy);
    return n_plain == n_streamed && n_plain == n_spilled && n_plain == (uint64_t)ntx * nchg ? 0 : 1;
}
