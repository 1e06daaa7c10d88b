/* bench_pipeline.c - the `pgcdc` runner end to end (docs/runner.md,
 * "Performance"), side by side with PostgreSQL's own tools on the same
 * machine, so that the ratios - not the absolute numbers - compare across
 * machines (reference §8: pg_dump | psql is the common yardstick):
 *
 *   1. full load PG->PG of a 1M-row table (int key, ~60-byte text,
 *      numeric(12,2), timestamptz, a nullable int): `pg_dump -t | psql`,
 *      a raw `COPY TO STDOUT | COPY FROM STDIN` pipe into a table without
 *      indexes (the floor), and `pgcdc run --until-caught-up` (snapshot
 *      only) with Concurrent Snapshot Queries = 1, 2 and 4;
 *   2. CDC: 200k row changes (inserts, updates, deletes; transactions of
 *      100) committed while the runner is stopped, then `pgcdc run
 *      --until-caught-up` (continuous merge), against PostgreSQL's logical
 *      replication of the same changes (a slot created before the changes
 *      with pg_create_logical_replication_slot, CREATE SUBSCRIPTION with
 *      create_slot = false; timed until the last transaction is visible in
 *      the subscriber - transactions are applied in commit order);
 *   3. with a second pgcdc binary (argv[2] or $PGCDC_BENCH_BASELINE, e.g. one
 *      built from an older commit), the same pgcdc runs with it and the
 *      before/after ratios.
 *
 * Two throwaway servers: the source, and the destination that holds every
 * copy (pg_dump's, the COPY pipe's, each pgcdc run's, the subscriber). On one
 * server each copy's writes would go into the WAL every slot must read: a
 * slot created before a later full load would decode that load during the
 * CDC catch-up, one created after it would not, and the CDC comparison would
 * measure the order of the runs. With a source that only the changes write,
 * every slot reads the same WAL.
 *
 * Every destination is checked against the source (live rows: count and a
 * hash of every column), so a fast wrong answer fails the benchmark.
 * Run: meson test -C build --benchmark pipeline -v. PGCDC_BENCH_ROWS scales
 * the table (changes: a fifth of it, or PGCDC_BENCH_CHANGES),
 * PGCDC_BENCH_REPEAT=N takes the best of N full loads (default 2),
 * PGCDC_BENCH_KEEP keeps the runners' logs, PGCDC_TEST_PG_VERSION picks the
 * servers' version (pg_dump must be as new as it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runner.h"

#define MAXBIN 2
#define NQUERIES 3
static const int queries[NQUERIES] = {1, 2, 4};

static pgt_cluster srv, dst; /* source; every destination */
static PGconn *src;          /* bsrc on srv */
static PGconn *dadm;         /* postgres on dst */
static char tmpdir[256];
static long nrows, nchanges, ntxn;
static int repeat;
static char psql[600], pg_dump[600];
static bool have_dump;
static const char *bins[MAXBIN];
static const char *const bin_label[MAXBIN] = {"pgcdc", "baseline"};
static int nbins;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double loadavg(void)
{
    double l = -1;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &l) != 1)
            l = -1;
        fclose(f);
    }
    return l;
}

static long env_long(const char *name, long dflt)
{
    const char *v = getenv(name);
    return v && *v ? atol(v) : dflt;
}

/* psql and pg_dump of the servers' major when installed with it (Debian's);
 * the install-pg.sh builds carry only the server, then the ones on PATH -
 * pg_dump refuses a newer server, which leaves the pg_dump row out. */
static void find_tools(void)
{
    char cmd[1024], bindir[512] = "";
    snprintf(cmd, sizeof cmd, "'%s' bindir %d", PG_CLUSTER_SCRIPT, srv.major);
    FILE *p = popen(cmd, "r");
    if (p && fgets(bindir, sizeof bindir, p))
        bindir[strcspn(bindir, "\n")] = '\0';
    if (p)
        pclose(p);
    snprintf(psql, sizeof psql, "%s/psql", bindir);
    if (!bindir[0] || access(psql, X_OK) != 0)
        snprintf(psql, sizeof psql, "psql");
    snprintf(pg_dump, sizeof pg_dump, "%s/pg_dump", bindir);
    if (!bindir[0] || access(pg_dump, X_OK) != 0)
        snprintf(pg_dump, sizeof pg_dump, "pg_dump");
    snprintf(cmd, sizeof cmd, "'%s' --version 2>/dev/null", pg_dump);
    p = popen(cmd, "r");
    char line[256] = "";
    if (p && fgets(line, sizeof line, p)) {
        const char *v = strstr(line, ") "); /* "pg_dump (PostgreSQL) 15.18 (Debian ...)" */
        have_dump = v && atoi(v + 2) >= srv.major;
    }
    if (p)
        pclose(p);
}

static int sh(const char *cmd)
{
    int rc = system(cmd);
    if (rc != 0)
        fprintf(stderr, "command failed (%d): %s\n", rc, cmd);
    return rc;
}

/* The live rows of public.bench as "count:hash" (every column as text). */
static char *signature(PGconn *c, bool pgcdc_dest)
{
    return pgt_query_value(c, "SELECT count(*) || ':' || coalesce(sum(hashtext(concat_ws('|', id, t, amount, ts,"
                              " coalesce(n::text, 'null')))::bigint), 0) FROM public.bench%s",
                           pgcdc_dest ? " WHERE NOT \"_SNOWFLAKE_DELETED\"" : "");
}

/* Destination database db on dst equals the source. */
static void check_same(const char *db, bool pgcdc_dest, const char *what)
{
    PGconn *d = pgt_connect(&dst, db);
    char *a = signature(src, false), *b = signature(d, pgcdc_dest);
    PQfinish(d);
    CHECK_MSG(strcmp(a, b) == 0, "%s: destination %s differs from the source (count:hash %s vs %s)", what, db, b, a);
    free(a);
    free(b);
}

static void fresh_db(const char *db)
{
    pgt_exec(dadm, "DROP DATABASE IF EXISTS %s", db);
    pgt_exec(dadm, "CREATE DATABASE %s", db);
}

/* A clean start for each timed run: no dirty buffers of the last one. */
static void settle(void)
{
    pgt_exec(src, "CHECKPOINT");
    pgt_exec(dadm, "CHECKPOINT");
}

static double run_dump(void)
{
    fresh_db("bdump");
    settle();
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "'%s' -h 127.0.0.1 -p %d -U postgres -t public.bench bsrc | "
             "'%s' -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p %d -U postgres -d bdump > /dev/null",
             pg_dump, srv.port, psql, dst.port);
    double t0 = now();
    CHECK_INT(sh(cmd), 0);
    double dt = now() - t0;
    check_same("bdump", false, "pg_dump | psql");
    return dt;
}

/* The floor: the rows through one text COPY pipe into a table without
 * indexes, nothing else. The key is added afterwards, untimed: the logical
 * replication subscriber lives in this database. */
static double run_floor(void)
{
    fresh_db("bfloor");
    PGconn *f = pgt_connect(&dst, "bfloor");
    pgt_exec(f, "CREATE TABLE public.bench (id int NOT NULL, t text NOT NULL, amount numeric(12,2), ts timestamptz,"
                " n int)");
    settle();
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "'%s' -X -q -h 127.0.0.1 -p %d -U postgres -d bsrc -c 'COPY public.bench TO STDOUT' | "
             "'%s' -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p %d -U postgres -d bfloor -c 'COPY public.bench FROM STDIN'",
             psql, srv.port, psql, dst.port);
    double t0 = now();
    CHECK_INT(sh(cmd), 0);
    double dt = now() - t0;
    pgt_exec(f, "ALTER TABLE public.bench ADD PRIMARY KEY (id)");
    PQfinish(f);
    check_same("bfloor", false, "COPY pipe");
    return dt;
}

/* The destination database, slot, configuration and log of binary b with
 * queries[q] snapshot connections; the CDC catch-up has a log of its own. */
static void names(int b, int q, bool cdc, char *db, size_t dblen, char *slot, size_t slotlen, char *conf,
                  size_t conflen, char *log, size_t loglen)
{
    snprintf(db, dblen, "bpg_%d_q%d", b, queries[q]);
    snprintf(slot, slotlen, "bslot_%d_q%d", b, queries[q]);
    snprintf(conf, conflen, "%s/%s.conf", tmpdir, db);
    snprintf(log, loglen, "%s/%s%s.log", tmpdir, db, cdc ? "-cdc" : "");
}

static void drop_slot(const char *slot)
{
    pgt_exec(src, "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '%s'", slot);
}

/* The snapshot phase's seconds as the runner logs them ("snapshot
 * public.bench: done N rows X MiB in S s": read, journal, merge), or -1 when
 * the log has no such line (binaries before the progress display). */
static double snapshot_secs(const char *log)
{
    char *l = rt_read_file(log);
    const char *p = strstr(l, "snapshot public.bench: done ");
    p = p ? strstr(p, " MiB in ") : NULL;
    double s = p ? atof(p + 8) : -1;
    free(l);
    return s;
}

/* `pgcdc run --until-caught-up` of binary b; the destination and slot of
 * (b, q) are made fresh first when fresh (a full load), reused otherwise
 * (the CDC catch-up). *snap: the logged snapshot phase (may be NULL). */
static double run_pgcdc(int b, int q, bool fresh, double *snap)
{
    char db[64], slot[64], conf[400], log[400];
    names(b, q, !fresh, db, sizeof db, slot, sizeof slot, conf, sizeof conf, log, sizeof log);
    if (fresh) {
        drop_slot(slot);
        fresh_db(db);
        rt_write_conf(conf, &(rt_conf){.source_port = srv.port, .source_db = "bsrc", .publication = "bpub",
                                       .slot = slot, .dest_port = dst.port, .dest_db = db, .names = "public.bench",
                                       .snapshot_queries = queries[q]});
    }
    settle();
    rt_bin = bins[b];
    unlink(log);
    const char *args[] = {"run", "-c", conf, "--until-caught-up", NULL}; /* into a log: no progress display */
    double t0 = now();
    int rc = rt_run(log, 1800, 0, args);
    double dt = now() - t0;
    CHECK_MSG(rc == 0, "%s run into %s: exit %d", bins[b], db, rc);
    check_same(db, true, bins[b]);
    if (snap)
        *snap = snapshot_secs(log);
    return dt;
}

static void drop_pgcdc(int b, int q)
{
    char db[64], slot[64], conf[400], log[400];
    names(b, q, false, db, sizeof db, slot, sizeof slot, conf, sizeof conf, log, sizeof log);
    drop_slot(slot);
    pgt_exec(dadm, "DROP DATABASE IF EXISTS %s", db);
}

/* nchanges row changes in transactions of 100: 40 inserts of new keys, 40
 * updates (every column but the key, the nullable int toggled between NULL
 * and a value), 20 deletes - the updates in the low half of the keys, the
 * deletes in the high half, so every statement touches exactly its rows. */
static void apply_changes(void)
{
    pgt_exec(src,
             "CREATE PROCEDURE bench_changes(ntxn int, base int, half int) LANGUAGE plpgsql AS $$\n"
             "BEGIN\n"
             "  FOR i IN 0 .. ntxn - 1 LOOP\n"
             "    INSERT INTO bench SELECT base + i * 40 + g, 'inserted-record ' || md5(g::text) || ' '"
             " || lpad((base + i * 40 + g)::text, 10, '0'), (g * 7 %% 100000) / 100.0, now(),"
             " CASE WHEN g %% 4 = 0 THEN NULL ELSE g END FROM generate_series(1, 40) g;\n"
             "    UPDATE bench SET t = 'updated-record  ' || md5(t) || ' ' || lpad(id::text, 10, '0'),"
             " amount = amount + 1, ts = ts + interval '1 hour', n = CASE WHEN n IS NULL THEN id END"
             " WHERE id BETWEEN i * 40 + 1 AND i * 40 + 40;\n"
             "    DELETE FROM bench WHERE id BETWEEN half + i * 20 + 1 AND half + i * 20 + 20;\n"
             "    COMMIT;\n"
             "  END LOOP;\n"
             "END $$");
    pgt_exec(src, "CALL bench_changes(%ld, %ld, %ld)", ntxn, nrows, nrows / 2);
}

/* The same changes by logical replication into bfloor (equal to the source
 * before the changes), from the slot blr: from CREATE SUBSCRIPTION until the
 * last transaction's last insert is visible there. */
static double run_logical(void)
{
    PGconn *sub = pgt_connect(&dst, "bfloor");
    pgt_exec(sub, "SET client_min_messages = warning");
    long last = nrows + ntxn * 40;
    settle();
    double t0 = now();
    pgt_exec(sub,
             "CREATE SUBSCRIPTION bsub CONNECTION 'host=127.0.0.1 port=%d dbname=bsrc user=postgres'"
             " PUBLICATION bpub WITH (create_slot = false, slot_name = 'blr', copy_data = false)",
             srv.port);
    bool done = false;
    while (!done && now() - t0 < 1800) {
        char *v = pgt_query_value(sub, "SELECT count(*) FROM public.bench WHERE id = %ld", last);
        done = strcmp(v, "1") == 0;
        free(v);
        if (!done)
            usleep(10000);
    }
    double dt = now() - t0;
    CHECK_MSG(done, "logical replication did not apply the changes in %.0f s", dt);
    pgt_exec(sub, "DROP SUBSCRIPTION bsub"); /* drops the slot blr too */
    PQfinish(sub);
    check_same("bfloor", false, "logical replication");
    return dt;
}

/* One line: seconds, rate, and ref seconds / these seconds (> 1: faster). */
static void row(const char *what, double secs, long n, const char *unit, double ref, const char *refname)
{
    printf("  %-44s %8.2f s %9.0f %-9s %6.2fx %s\n", what, secs, n / secs, unit, ref / secs, refname);
}

int main(int argc, char **argv)
{
    int start = rt_begin(argc, argv, "bench-pipeline", tmpdir, sizeof tmpdir);
    if (start != 0)
        return start;
    bins[nbins++] = argv[1];
    const char *base = argc > 2 ? argv[2] : getenv("PGCDC_BENCH_BASELINE");
    if (base && *base)
        bins[nbins++] = base;
    nrows = env_long("PGCDC_BENCH_ROWS", 1000000);
    if (nrows < 1000)
        nrows = 1000;
    nchanges = env_long("PGCDC_BENCH_CHANGES", nrows / 5);
    if (nchanges > nrows)
        nchanges = nrows; /* updates and deletes stay inside their halves of the keys */
    ntxn = nchanges / 100 > 0 ? nchanges / 100 : 1;
    nchanges = ntxn * 100;
    repeat = (int)env_long("PGCDC_BENCH_REPEAT", 2);
    if (repeat < 1)
        repeat = 1;
    double load0 = loadavg();

    const char *settings = "-c shared_buffers=256MB -c max_wal_size=4GB -c max_replication_slots=20"
                           " -c max_wal_senders=20";
    pgt_cluster_start(&srv, pgt_major(), settings);
    pgt_cluster_start(&dst, pgt_major(), settings);
    find_tools();
    PGconn *sadm = pgt_connect(&srv, "postgres");
    pgt_exec(sadm, "CREATE DATABASE bsrc");
    PQfinish(sadm);
    dadm = pgt_connect(&dst, "postgres");
    pgt_exec(dadm, "SET client_min_messages = warning"); /* no NOTICE of DROP ... IF EXISTS */
    src = pgt_connect(&srv, "bsrc");
    pgt_exec(src, "SET client_min_messages = warning");
    pgt_exec(src, "CREATE TABLE bench (id int PRIMARY KEY, t text NOT NULL, amount numeric(12,2), ts timestamptz,"
                  " n int)");
    pgt_exec(src, "INSERT INTO bench SELECT g, 'customer-record ' || md5(g::text) || ' ' || lpad(g::text, 10, '0'),"
                  " (g %% 10000000) / 100.0, '2024-01-01'::timestamptz + g * interval '1 second',"
                  " CASE WHEN g %% 4 = 0 THEN NULL ELSE g %% 100000 END FROM generate_series(1, %ld) g", nrows);
    pgt_exec(src, "VACUUM ANALYZE bench");
    pgt_exec(src, "CREATE PUBLICATION bpub FOR TABLE bench");
    char *size = pgt_query_value(src, "SELECT pg_size_pretty(pg_table_size('bench'))");

    /* 1. full loads, best of `repeat` rounds, interleaved so that a busy
     * moment of the machine hits every contender alike */
    double t_dump = 1e9, t_floor = 1e9, t_pg[MAXBIN][NQUERIES], t_snap[MAXBIN][NQUERIES];
    for (int b = 0; b < MAXBIN; b++)
        for (int q = 0; q < NQUERIES; q++)
            t_pg[b][q] = 1e9, t_snap[b][q] = -1;
    for (int r = 0; r < repeat; r++) {
        if (have_dump) {
            double dt = run_dump();
            t_dump = dt < t_dump ? dt : t_dump;
        }
        double dt = run_floor();
        t_floor = dt < t_floor ? dt : t_floor;
        for (int q = 0; q < NQUERIES; q++)
            for (int b = 0; b < nbins; b++) {
                double snap;
                dt = run_pgcdc(b, q, true, &snap);
                if (dt < t_pg[b][q])
                    t_pg[b][q] = dt, t_snap[b][q] = snap;
            }
    }
    pgt_exec(dadm, "DROP DATABASE IF EXISTS bdump");
    /* the CDC runs continue from the default (2 queries) loads; the others go */
    for (int b = 0; b < nbins; b++)
        for (int q = 0; q < NQUERIES; q++)
            if (queries[q] != 2)
                drop_pgcdc(b, q);

    /* 2. CDC: every consumer's slot exists before the changes */
    pgt_exec(src, "SELECT pg_create_logical_replication_slot('blr', 'pgoutput')");
    apply_changes();
    double t_cdc[MAXBIN];
    for (int b = 0; b < nbins; b++)
        t_cdc[b] = run_pgcdc(b, 1, false, NULL);
    double t_lr = run_logical();
    double load1 = loadavg();

    printf("\npipeline benchmark: PostgreSQL %d (source and destination servers on this machine), %ld rows (%s),"
           " %ld changes; %ld cores, load average %.2f at the start, %.2f at the end\n",
           srv.major, nrows, size, nchanges, sysconf(_SC_NPROCESSORS_ONLN), load0, load1);
    printf("  pgcdc: %s\n", bins[0]);
    if (nbins > 1)
        printf("  baseline: %s\n", bins[1]);
    const char *refname = have_dump ? "pg_dump|psql" : "COPY pipe";
    double ref = have_dump ? t_dump : t_floor;
    printf("full load (best of %d)%s\n", repeat, have_dump ? "" : " - no pg_dump for this server version");
    if (have_dump)
        row("pg_dump -t | psql", t_dump, nrows, "rows/s", ref, refname);
    row("COPY TO STDOUT | COPY FROM STDIN (floor)", t_floor, nrows, "rows/s", ref, refname);
    for (int b = 0; b < nbins; b++)
        for (int q = 0; q < NQUERIES; q++) {
            char what[96];
            snprintf(what, sizeof what, "%s run, %d snapshot quer%s", bin_label[b], queries[q],
                     queries[q] == 1 ? "y" : "ies");
            row(what, t_pg[b][q], nrows, "rows/s", ref, refname);
            if (t_snap[b][q] >= 0)
                printf("  %-44s %8.2f s (as logged: read, journal, merge)\n", "  of which the snapshot",
                       t_snap[b][q]);
        }
    printf("CDC: %ld changes in %ld transactions of 100, committed while the runner was stopped\n", nchanges, ntxn);
    row("logical replication (subscription)", t_lr, nchanges, "changes/s", t_lr, "logical repl.");
    for (int b = 0; b < nbins; b++) {
        char what[96];
        snprintf(what, sizeof what, "%s run --until-caught-up", bin_label[b]);
        row(what, t_cdc[b], nchanges, "changes/s", t_lr, "logical repl.");
    }
    if (nbins > 1) {
        printf("pgcdc against baseline (baseline seconds / pgcdc seconds; > 1: pgcdc is faster)\n");
        for (int q = 0; q < NQUERIES; q++) {
            char what[96];
            snprintf(what, sizeof what, "full load, %d snapshot quer%s", queries[q], queries[q] == 1 ? "y" : "ies");
            printf("  %-44s %6.2fx\n", what, t_pg[1][q] / t_pg[0][q]);
        }
        printf("  %-44s %6.2fx\n", "CDC catch-up", t_cdc[1] / t_cdc[0]);
    }
    fflush(stdout);

    free(size);
    PQfinish(src);
    PQfinish(dadm);
    pgt_cluster_stop(&dst);
    pgt_cluster_stop(&srv);
    if (getenv("PGCDC_BENCH_KEEP")) /* the runners' logs, for a look */
        printf("logs: %s\n", tmpdir);
    else
        rt_tmpdir_remove(tmpdir);
    return pgt_done("bench_pipeline");
}
