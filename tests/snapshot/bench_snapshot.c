/* bench_snapshot.c - snapshot read throughput of a 1M-row table, side by
 * side with `psql -c "COPY ... TO STDOUT" > /dev/null` on the same server as
 * the reference (ratios, not absolute numbers, compare across machines):
 *   - binary and text COPY through the reader, one connection, one chunk
 *     (like for like with psql), then two connections over CTID chunks;
 *   - the same with every value converted by pgcdc_value_convert (the
 *     PostgreSQL dialect), i.e. what a pipeline pays before writing.
 * MB/s counts the COPY bytes received (binary and text differ in size);
 * every figure is the best of three runs.
 * Run: meson test -C build --benchmark snapshot -v; PGCDC_BENCH_ROWS changes
 * the row count, PGCDC_TEST_PG_VERSION the server, PGCDC_BENCH_CHUNKING=key
 * or ctid the plan kind (default: what AUTO picks). */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pgcdc/types.h"
#include "snap_test.h"

#define NCOLS 7
#define REPEAT 3 /* best of: the machine may be busy with other work */
static const char *const names[NCOLS] = {"id", "n", "amount", "ts", "name", "flag", "score"};

static pgt_cluster cl;
static pgcdc_source_config cfg;
static pgcdc_dest_type dtypes[NCOLS];
static long nrows;

typedef struct bench {
    atomic_ullong rows;
    bool convert;
    pgcdc_buf out[8]; /* per worker */
    atomic_int errors;
} bench;

static pgcdc_code on_rows(void *ud, const pgcdc_snapshot_rows *b, pgcdc_error *err)
{
    bench *x = ud;
    (void)err;
    if (x->convert) {
        pgcdc_buf *out = &x->out[b->chunk.worker & 7];
        for (size_t i = 0; i < b->nrows; i++) {
            pgcdc_buf_reset(out);
            for (int c = 0; c < NCOLS; c++) {
                pgcdc_error e;
                if (pgcdc_value_convert(&dtypes[c], &b->rows[i].values[c], out, NULL, &e) != PGCDC_OK)
                    atomic_fetch_add(&x->errors, 1);
            }
        }
    }
    atomic_fetch_add_explicit(&x->rows, b->nrows, memory_order_relaxed);
    return PGCDC_OK;
}

static double psql_copy(const char *format)
{
    char cmd[1024], bindir[512] = "";
    snprintf(cmd, sizeof cmd, "'%s' bindir %d", PG_CLUSTER_SCRIPT, cl.major);
    FILE *p = popen(cmd, "r");
    if (!p || !fgets(bindir, sizeof bindir, p)) {
        fprintf(stderr, "no psql for PostgreSQL %d\n", cl.major);
        exit(1);
    }
    pclose(p);
    bindir[strcspn(bindir, "\n")] = '\0';
    /* installs made by install-pg.sh carry no psql: then the one on PATH */
    char psql[600];
    snprintf(psql, sizeof psql, "%s/psql", bindir);
    if (access(psql, X_OK) != 0)
        snprintf(psql, sizeof psql, "psql");
    snprintf(cmd, sizeof cmd,
             "'%s' -X -q -h 127.0.0.1 -p %d -U postgres -d postgres -c 'COPY bench TO STDOUT%s' > /dev/null", psql,
             cl.port, format);
    double best = 1e9;
    for (int i = 0; i < REPEAT; i++) {
        double t0 = snap_now();
        int rc = system(cmd);
        double dt = snap_now() - t0;
        CHECK_INT(rc, 0);
        best = dt < best ? dt : best;
    }
    return best;
}

static void report(const char *what, double secs, double bytes, double ref)
{
    printf("  %-44s %7.3f s %10.0f rows/s %8.1f MB/s  %5.2fx psql text\n", what, secs, nrows / secs,
           bytes / secs / 1e6, ref / secs);
}

static void run(const char *what, pgcdc_copy_format fmt, const pgcdc_snapshot_plan *plan, int conns, bool convert,
                double ref)
{
    bench x = {0};
    atomic_init(&x.rows, 0);
    atomic_init(&x.errors, 0);
    x.convert = convert;
    pgcdc_snapshot_options opt = {0};
    opt.connections = conns;
    opt.on_rows = on_rows;
    opt.userdata = &x;
    pgcdc_snapshot_table t = {"public", "bench", NCOLS, names, fmt, plan, NULL, 0, NULL};
    pgcdc_snapshot_progress p;
    pgcdc_error e;
    double best = 1e9;
    for (int i = 0; i < REPEAT; i++) {
        atomic_store(&x.rows, 0);
        double t0 = snap_now();
        pgcdc_code rc = snap_read(&cfg, &opt, &t, &p, &e);
        double dt = snap_now() - t0;
        CHECK_MSG(rc == PGCDC_OK, "%s", e.message);
        CHECK_INT(atomic_load(&x.rows), nrows);
        best = dt < best ? dt : best;
    }
    CHECK_INT(atomic_load(&x.errors), 0);
    report(what, best, (double)p.bytes, ref);
    for (int i = 0; i < 8; i++)
        pgcdc_buf_free(&x.out[i]);
}

int main(void)
{
    const char *env = getenv("PGCDC_BENCH_ROWS");
    nrows = env && *env ? atol(env) : 1000000;
    pgcdc_log_set_handler(snap_log, NULL, PGCDC_LOG_WARN);
    pgt_cluster_start(&cl, pgt_major(), "-c shared_buffers=256MB");
    snap_cfg(&cfg, &cl, NULL, NULL);
    PGconn *admin = pgt_connect(&cl, "postgres");
    pgt_exec(admin, "CREATE TABLE bench (id bigint PRIMARY KEY, n integer, amount numeric(12,2), ts timestamptz,"
                    " name text, flag boolean, score double precision)");
    pgt_exec(admin, "INSERT INTO bench SELECT g, g %% 100000, (g %% 1000000) / 100.0,"
                    " '2024-01-01'::timestamptz + g * interval '1 second', 'customer ' || md5(g::text),"
                    " g %% 3 = 0, g / 7.0 FROM generate_series(1, %ld) g", nrows);
    pgt_exec(admin, "VACUUM ANALYZE bench");
    char *size = pgt_query_value(admin, "SELECT pg_size_pretty(pg_relation_size('bench'))");

    PGresult *res = PQexec(admin, "SELECT atttypid, atttypmod FROM pg_attribute WHERE attrelid = 'bench'::regclass"
                                  " AND attnum > 0 ORDER BY attnum");
    for (int c = 0; c < NCOLS; c++) {
        pgcdc_pg_type t;
        pgcdc_error e;
        CHECK_INT(pgcdc_type_resolve(NULL, (uint32_t)atol(PQgetvalue(res, c, 0)), atoi(PQgetvalue(res, c, 1)), &t,
                                     &e), PGCDC_OK);
        CHECK_INT(pgcdc_type_map(&t, PGCDC_DIALECT_POSTGRES, &dtypes[c], &e), PGCDC_OK);
    }
    PQclear(res);
    CHECK(pgcdc_snapshot_binary_ok(dtypes, NCOLS, NULL));

    pgcdc_snapshot_plan one, chunks;
    pgcdc_error e;
    CHECK_INT(pgcdc_snapshot_plan_single(false, &one, &e), PGCDC_OK);
    pgcdc_snapshot_plan_options po = {0};
    po.key_column = "id";
    po.target_bytes = 8u << 20;
    po.min_chunks = 2;
    const char *how = getenv("PGCDC_BENCH_CHUNKING"); /* "key" or "ctid": force a plan kind */
    if (how && strcmp(how, "key") == 0)
        po.chunking = PGCDC_CHUNKING_KEY;
    else if (how && strcmp(how, "ctid") == 0)
        po.chunking = PGCDC_CHUNKING_CTID;
    CHECK_INT(pgcdc_snapshot_plan_create(admin, "public", "bench", &po, &chunks, &e), PGCDC_OK);

    double ref = psql_copy("");
    double ref_bin = psql_copy(" (FORMAT binary)");
    printf("snapshot read of %ld rows (%s heap), PostgreSQL %d, %u %s chunks for 2 connections\n", nrows, size,
           cl.major, chunks.nranges, pgcdc_chunking_name(chunks.chunking));
    printf("  %-44s %7.3f s %10.0f rows/s\n", "psql COPY TO STDOUT > /dev/null (text)", ref, nrows / ref);
    printf("  %-44s %7.3f s %10.0f rows/s\n", "psql COPY TO STDOUT > /dev/null (binary)", ref_bin, nrows / ref_bin);
    run("reader binary, 1 connection", PGCDC_COPY_BINARY, &one, 1, false, ref);
    run("reader text,   1 connection", PGCDC_COPY_TEXT, &one, 1, false, ref);
    run("reader binary, 2 connections", PGCDC_COPY_BINARY, &chunks, 2, false, ref);
    run("reader text,   2 connections", PGCDC_COPY_TEXT, &chunks, 2, false, ref);
    run("reader binary + convert, 1 connection", PGCDC_COPY_BINARY, &one, 1, true, ref);
    run("reader text   + convert, 1 connection", PGCDC_COPY_TEXT, &one, 1, true, ref);
    run("reader binary + convert, 2 connections", PGCDC_COPY_BINARY, &chunks, 2, true, ref);
    run("reader text   + convert, 2 connections", PGCDC_COPY_TEXT, &chunks, 2, true, ref);

    pgcdc_snapshot_plan_free(&one);
    pgcdc_snapshot_plan_free(&chunks);
    free(size);
    PQfinish(admin);
    snap_cfg_free(&cfg);
    pgt_cluster_stop(&cl);
    return pgt_done("bench_snapshot");
}
