/* test_stream_bigtxn.c - a huge transaction read slowly, message by message,
 * against a server with wal_sender_timeout = 2 s: the status updates must
 * keep flowing mid-transaction (each read checks the timer), so the server
 * sees replies all along and never drops the connection. On 14+ the
 * transaction is streamed while in progress (logical_decoding_work_mem is
 * tiny here). */
#include "stream_test.h"

#define ROWS 200000

static pgt_cluster cl;

static double reply_epoch(PGconn *admin, int pid)
{
    char *v = pgt_query_value(admin, "SELECT coalesce(extract(epoch from reply_time), 0) FROM pg_stat_replication "
                                     "WHERE pid = %d", pid);
    double t = atof(v);
    free(v);
    return t;
}

int main(void)
{
    pgcdc_log_set_handler(st_log, NULL, PGCDC_LOG_WARN);
    int major = pgt_major();
    pgt_cluster_start(&cl, major, major >= 13 ? "-c wal_sender_timeout=2s -c logical_decoding_work_mem=64kB"
                                              : "-c wal_sender_timeout=2s");
    pgcdc_source_config cfg;
    st_cfg(&cfg, &cl, "postgres", NULL, NULL);
    PGconn *admin = pgt_connect(&cl, "postgres");
    pgt_exec(admin, "CREATE TABLE big (id int PRIMARY KEY, v text)");
    pgt_exec(admin, "CREATE PUBLICATION pub FOR TABLE big");
    pgt_exec(admin, "SELECT pg_create_logical_replication_slot('s_big', 'pgoutput')");

    pgcdc_stream_options opt = {.slot_name = "s_big", .publication_names = "pub", .status_interval_ms = 400};
    pgcdc_stream *s = NULL;
    pgcdc_error e;
    pgcdc_code rc = st_open(&cfg, &opt, &s, &e);
    CHECK_MSG(rc == PGCDC_OK, "%s", e.message);
    if (rc != PGCDC_OK)
        return pgt_done("stream_bigtxn");
    pgt_exec(admin, "INSERT INTO big SELECT g, 'value ' || g FROM generate_series(1, %d) g", ROWS);
    st_sleep_ms(100);
    int pid = st_walsender_pid(admin, "s_big");
    CHECK(pid != 0);

    long inserts = 0, stream_starts = 0;
    int samples = 0, increasing = 0;
    double last_reply = reply_epoch(admin, pid);
    long long t_first = 0, last_sample = st_now_ms();
    bool done = false;
    pgcdc_stream_msg m;
    long long until = st_now_ms() + 40000;
    while (!done && st_now_ms() < until) {
        rc = pgcdc_stream_read(s, 5000, &m, &e);
        if (rc == PGCDC_ETIMEOUT)
            continue;
        if (rc != PGCDC_OK) {
            CHECK_MSG(0, "read failed mid-transaction after %ld inserts: %s", inserts, e.message);
            break;
        }
        switch (m.data[0]) {
        case 'I':
            if (inserts++ == 0)
                t_first = st_now_ms();
            break;
        case 'S':
            stream_starts++;
            break;
        case 'C':   /* commit of a decoded-at-commit transaction */
        case 'c':   /* stream commit */
            done = true;
            break;
        }
        /* A slow consumer: ~6 s for the whole transaction, far beyond
         * wal_sender_timeout; meanwhile the server must hear from us. */
        if (inserts % 50 == 49)
            st_sleep_ms(1);
        if (inserts > 0 && st_now_ms() - last_sample >= 1000) {
            double r = reply_epoch(admin, pid);
            samples++;
            if (r > last_reply)
                increasing++;
            last_reply = r;
            last_sample = st_now_ms();
        }
    }
    long long slow_ms = st_now_ms() - t_first;
    CHECK(done);
    CHECK_INT(inserts, ROWS);
    CHECK_MSG(slow_ms > 3000, "the transaction was read in %lld ms: too fast to prove anything", slow_ms);
    /* Every sample mid-transaction saw a newer reply from us. */
    CHECK_MSG(samples >= 3 && increasing == samples, "%d of %d samples saw a new reply", increasing, samples);
    CHECK_INT(st_walsender_pid(admin, "s_big"), pid);
    if (major >= 14)
        CHECK_MSG(stream_starts > 1, "%ld Stream Start messages: the transaction was not streamed", stream_starts);

    /* The server log agrees: no replication timeout. */
    char path[600];
    snprintf(path, sizeof path, "%s/server.log", cl.dir);
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    if (f) {
        char line[2048];
        int timeouts = 0;
        while (fgets(line, sizeof line, f))
            if (strstr(line, "replication timeout"))
                timeouts++;
        fclose(f);
        CHECK_INT(timeouts, 0);
    }

    pgcdc_stream_close(s);
    PQfinish(admin);
    st_cfg_free(&cfg);
    pgt_cluster_stop(&cl);
    return pgt_done("stream_bigtxn");
}
