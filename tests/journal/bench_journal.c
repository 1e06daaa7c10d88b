/* bench_journal.c - journal writer throughput: a real batch of N changes of
 * the walkthrough's orders table (decoded from a slot), written into a
 * journal on the local server; prints rows/s of pgcdc_journal_write alone
 * (COPY build + COPY + state row + COMMIT). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "jt_support.h"
#include "pgt.h"

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(void)
{
    int major = pgt_major(), nrows = 200000, runs = 3;
    const char *n = getenv("PGCDC_BENCH_ROWS");
    if (n && atoi(n) > 0)
        nrows = atoi(n);
    pgt_cluster cl;
    pgt_cluster_start(&cl, major, NULL);
    PGconn *src = pgt_connect(&cl, "postgres");
    pgt_exec(src, "CREATE DATABASE dest");
    PGconn *dst = pgt_connect(&cl, "dest");
    jt_session(src);
    jt_session(dst);
    pgt_exec(src, "CREATE SCHEMA app; CREATE TABLE app.orders (order_id SERIAL PRIMARY KEY, customer_id INTEGER,"
                  " product_id INTEGER, quantity INTEGER NOT NULL DEFAULT 1, status VARCHAR(20) NOT NULL DEFAULT "
                  "'pending', order_date TIMESTAMP NOT NULL DEFAULT now(), note text);"
                  "CREATE PUBLICATION pub FOR ALL TABLES");
    pgt_exec(src, "SELECT pg_create_logical_replication_slot('bench', 'pgoutput')");
    pgt_exec(src, "INSERT INTO app.orders (customer_id, product_id, quantity, status, note) SELECT g %% 1000, "
                  "g %% 50, g %% 7, 'pending', 'note with a\ttab ' || g FROM generate_series(1, %d) g", nrows);
    jt_table t;
    jt_table_from_source(src, "app", "orders", major, &t);
    jt_dest_setup(dst, &t.t);
    pgcdc_batch *b = jt_drain(src, "bench", major);

    pgcdc_journal_options o = {.slot_name = "bench", .state_schema = "app"};
    pgcdc_journal_writer *w;
    pgcdc_error err;
    if (pgcdc_journal_writer_new(dst, &o, &w, &err) != PGCDC_OK || pgcdc_journal_setup(w, &err) != PGCDC_OK ||
        pgcdc_journal_register(w, &t.t, &err) != PGCDC_OK) {
        fprintf(stderr, "bench: %s\n", err.message);
        return 1;
    }
    double best = 0;
    for (int i = 0; i < runs; i++) {
        pgcdc_journal_stats st;
        double t0 = now_s(), c0 = cpu_s();
        if (pgcdc_journal_write(w, b, &st, &err) != PGCDC_OK) {
            fprintf(stderr, "bench: %s\n", err.message);
            return 1;
        }
        double dt = now_s() - t0, cpu = cpu_s() - c0, rate = (double)st.rows / dt;
        printf("journal write: %llu rows, %.1f MB COPY data, %.3f s (client CPU %.3f s), %.0f rows/s\n",
               (unsigned long long)st.rows, (double)st.copy_bytes / 1e6, dt, cpu, rate);
        if (rate > best)
            best = rate;
    }
    printf("journal (PostgreSQL %d): best %.0f rows/s\n", major, best);
    pgcdc_journal_writer_free(w);
    pgcdc_batch_free(b);
    PQfinish(dst);
    PQfinish(src);
    pgt_cluster_stop(&cl);
    return 0;
}
