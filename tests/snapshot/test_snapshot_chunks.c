/* test_snapshot_chunks.c - one big table over several connections, and
 * resuming.
 *   - 200k rows cut into many chunks (CTID ranges on 14+, key ranges
 *     everywhere), read with 2 and 4 connections: every row exactly once
 *     (count and an order-independent hash of the keys equal the server's),
 *     several connections took part, progress readable while running, and
 *     the workers' log lines carry the calling thread's log context (what
 *     routes them to the calling NiFi processor's logger);
 *   - resume: a run stopped after some chunks (pgcdc_snapshot_reader_stop),
 *     and one that "crashes" (the rows callback fails) in the middle of a
 *     chunk, then a second run with the plan read back from its text and the
 *     finished chunks skipped: the rows of the finished chunks of the first
 *     run plus the second run's rows are the table exactly once;
 *   - a partitioned table read through its root, and an inheritance parent
 *     read without its children. */
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "snap_test.h"

#define NROWS 200000

static pgt_cluster cl;
static pgcdc_source_config cfg;

static unsigned long long key_hash(long long k)
{
    return (unsigned long long)((k * 2654435761LL) % 4294967291LL);
}

typedef struct collect {
    pthread_mutex_t lock;
    long long max_key;
    int *chunk_of;            /* per key: the chunk that delivered it, -1 none */
    int *times;               /* per key: deliveries */
    long long rows;
    int workers_used[8];
    pgcdc_snapshot_reader *reader;
    /* resume scenarios */
    bool *done;               /* per chunk id: END seen */
    int ndone;
    int stop_after;           /* stop the reader after this many chunk ENDs (0: never) */
    int fail_after;           /* fail the rows callback once this many chunks are done (0: never) */
    bool failed;
    /* progress seen while running */
    int progress_seen_partial;
} collect;

static void collect_init(collect *c, long long max_key, uint32_t nchunks)
{
    memset(c, 0, sizeof *c);
    pthread_mutex_init(&c->lock, NULL);
    c->max_key = max_key;
    c->chunk_of = malloc((size_t)(max_key + 1) * sizeof *c->chunk_of);
    c->times = calloc((size_t)max_key + 1, sizeof *c->times);
    for (long long k = 0; k <= max_key; k++)
        c->chunk_of[k] = -1;
    c->done = calloc(nchunks, sizeof *c->done);
}

static void collect_free(collect *c)
{
    free(c->chunk_of);
    free(c->times);
    free(c->done);
    pthread_mutex_destroy(&c->lock);
}

static pgcdc_code on_rows(void *ud, const pgcdc_snapshot_rows *b, pgcdc_error *err)
{
    collect *c = ud;
    pthread_mutex_lock(&c->lock);
    if (c->fail_after && c->ndone >= c->fail_after && b->chunk.range->id % 2 == 1) {
        c->failed = true;
        pthread_mutex_unlock(&c->lock);
        return pgcdc_error_set(err, PGCDC_EIO, "destination write failed (simulated crash in chunk %u)",
                               b->chunk.range->id);
    }
    for (size_t i = 0; i < b->nrows; i++) {
        long long k = snap_int(&b->rows[i].values[0]);
        if (k >= 1 && k <= c->max_key) {
            c->times[k]++;
            c->chunk_of[k] = (int)b->chunk.range->id;
        }
        c->rows++;
    }
    if (b->chunk.worker >= 0 && b->chunk.worker < 8)
        c->workers_used[b->chunk.worker] = 1;
    pthread_mutex_unlock(&c->lock);
    return PGCDC_OK;
}

static pgcdc_code on_chunk(void *ud, pgcdc_snapshot_chunk_event ev, const pgcdc_snapshot_chunk_info *info,
                           pgcdc_error *err)
{
    collect *c = ud;
    (void)err;
    if (ev != PGCDC_SNAPSHOT_CHUNK_END)
        return PGCDC_OK;
    pthread_mutex_lock(&c->lock);
    c->done[info->chunk.range->id] = true;
    c->ndone++;
    bool stop = c->stop_after && c->ndone == c->stop_after;
    pthread_mutex_unlock(&c->lock);
    if (stop)
        pgcdc_snapshot_reader_stop(c->reader);
    return PGCDC_OK;
}

typedef struct poller {
    pthread_t thread;
    collect *c;
    atomic_bool done;
    uint64_t last_rows;
    int went_back;
} poller;

static void *poll_main(void *arg)
{
    poller *p = arg;
    while (!atomic_load(&p->done)) {
        pgcdc_snapshot_progress pr;
        pgcdc_snapshot_reader_progress(p->c->reader, -1, &pr);
        if (pr.rows < p->last_rows)
            p->went_back++;
        p->last_rows = pr.rows;
        if (pr.chunks_done > 0 && pr.chunks_done < pr.chunks_total && pr.rows > 0)
            p->c->progress_seen_partial = 1;
        usleep(500);
    }
    return NULL;
}

/* One run over table "big" with the plan; returns run's result. */
static pgcdc_code run(const char *table, const pgcdc_snapshot_plan *plan, const uint32_t *done, uint32_t ndone,
                      int conns, collect *c, pgcdc_error *e, pgcdc_code *status)
{
    pgcdc_snapshot_options opt = {0};
    opt.connections = conns;
    opt.batch_rows = 700;
    opt.on_rows = on_rows;
    opt.on_chunk = on_chunk;
    opt.userdata = c;
    static const char *const names[] = {"id", "val", "n"};
    pgcdc_snapshot_table t = {"public", table, 3, names, PGCDC_COPY_BINARY, plan, done, ndone, NULL};
    pgcdc_snapshot_reader *r;
    pgcdc_code rc = pgcdc_snapshot_reader_new(&cfg, &opt, &r, e);
    if (rc != PGCDC_OK)
        return rc;
    int idx;
    CHECK_INT(pgcdc_snapshot_reader_add(r, &t, &idx, e), PGCDC_OK);
    c->reader = r;
    poller p = {0};
    p.c = c;
    atomic_init(&p.done, false);
    pthread_create(&p.thread, NULL, poll_main, &p);
    rc = pgcdc_snapshot_reader_run(r, e);
    atomic_store(&p.done, true);
    pthread_join(p.thread, NULL);
    CHECK_INT(p.went_back, 0);
    pgcdc_error se;
    *status = pgcdc_snapshot_reader_table_status(r, idx, &se);
    pgcdc_snapshot_reader_free(r);
    return rc;
}

static void server_facts(PGconn *admin, const char *table, long long *count, unsigned long long *hash)
{
    char *v = pgt_query_value(admin, "SELECT count(*) || ' ' || coalesce(sum((id * 2654435761) %% 4294967291), 0)"
                                     " FROM %s", table);
    sscanf(v, "%lld %llu", count, hash);
    free(v);
}

static void check_once(const collect *c, long long want_count, unsigned long long want_hash, const char *what)
{
    long long once = 0, twice = 0;
    unsigned long long h = 0;
    for (long long k = 1; k <= c->max_key; k++) {
        if (c->times[k] == 1) {
            once++;
            h += key_hash(k);
        } else if (c->times[k] > 1) {
            twice++;
        }
    }
    CHECK_MSG(once == want_count && twice == 0 && h == want_hash,
              "%s: %lld keys once, %lld more than once, hash %llu (server: %lld rows, hash %llu)", what, once, twice, h,
              want_count, want_hash);
}

/* Log lines of threads other than main: how many, and how many of them had
 * main's log context. */
static pthread_t main_thread;
static int log_context_marker;
static atomic_int worker_lines, worker_lines_in_context;

static void context_log(void *ud, pgcdc_log_level level, const char *msg)
{
    if (!pthread_equal(pthread_self(), main_thread)) {
        atomic_fetch_add(&worker_lines, 1);
        if (pgcdc_log_thread_context() == &log_context_marker)
            atomic_fetch_add(&worker_lines_in_context, 1);
    }
    if (level >= PGCDC_LOG_WARN)
        snap_log(ud, level, msg);
}

static void test_parallel(PGconn *admin, pgcdc_chunking chunking)
{
    long long count;
    unsigned long long hash;
    server_facts(admin, "big", &count, &hash);
    CHECK_INT(count, NROWS);
    pgcdc_error e;
    pgcdc_snapshot_plan_options po = {0};
    po.chunking = chunking;
    po.key_column = "id";
    po.target_bytes = 256 * 1024;
    pgcdc_snapshot_plan plan;
    CHECK_INT(snap_plan(&cl, "public", "big", &po, &plan, &e), PGCDC_OK);
    CHECK(plan.nranges >= 20);
    CHECK_INT(plan.chunking, chunking);
    CHECK(plan.est_rows > NROWS / 2 && plan.est_rows < NROWS * 2);
    for (int conns = 2; conns <= 4; conns += 2) {
        collect c;
        collect_init(&c, NROWS, plan.nranges);
        pgcdc_code status;
        double t0 = snap_now();
        main_thread = pthread_self();
        atomic_store(&worker_lines, 0);
        atomic_store(&worker_lines_in_context, 0);
        pgcdc_log_set_handler(context_log, NULL, PGCDC_LOG_DEBUG);
        pgcdc_log_set_thread_context(&log_context_marker);
        pgcdc_code rc = run("big", &plan, NULL, 0, conns, &c, &e, &status);
        pgcdc_log_set_thread_context(NULL);
        pgcdc_log_set_handler(snap_log, NULL, PGCDC_LOG_WARN);
        double dt = snap_now() - t0;
        CHECK_MSG(atomic_load(&worker_lines) > 0 && atomic_load(&worker_lines) == atomic_load(&worker_lines_in_context),
                  "%d of %d worker log lines had the caller's log context", atomic_load(&worker_lines_in_context),
                  atomic_load(&worker_lines));
        CHECK_MSG(rc == PGCDC_OK, "%s", e.message);
        CHECK_INT(status, PGCDC_OK);
        CHECK_INT(c.rows, NROWS);
        check_once(&c, count, hash, "parallel read");
        CHECK_INT(c.ndone, plan.nranges);
        int used = 0;
        for (int w = 0; w < 8; w++)
            used += c.workers_used[w];
        CHECK(used >= 2);
        CHECK(used <= conns);
        CHECK(c.progress_seen_partial);
        printf("%s plan, %u chunks, %d connections (%d took chunks): %lld rows in %.3f s\n",
               pgcdc_chunking_name(plan.chunking), plan.nranges, conns, used, c.rows, dt);
        collect_free(&c);
    }
    pgcdc_snapshot_plan_free(&plan);
}

/* What AUTO picks without a key, and chunks by rows. */
static void test_auto_choices(PGconn *admin)
{
    long long count;
    unsigned long long hash;
    server_facts(admin, "big", &count, &hash);
    pgcdc_error e;
    pgcdc_snapshot_plan plan;
    pgcdc_snapshot_plan_options po = {0};
    po.target_bytes = 256 * 1024;
    po.min_chunks = 3;
    CHECK_INT(snap_plan(&cl, "public", "big", &po, &plan, &e), PGCDC_OK);
    CHECK_INT(plan.chunking, PGCDC_CHUNKING_CTID);
    if (pgt_major() < 14)
        CHECK_INT(plan.nranges, 3); /* each chunk a full scan: one per connection */
    else
        CHECK(plan.nranges >= 20);
    collect c;
    collect_init(&c, NROWS, plan.nranges);
    pgcdc_code status;
    CHECK_INT(run("big", &plan, NULL, 0, 3, &c, &e, &status), PGCDC_OK);
    check_once(&c, count, hash, "auto without a key");
    collect_free(&c);
    pgcdc_snapshot_plan_free(&plan);

    po.min_chunks = 0;
    CHECK_INT(snap_plan(&cl, "public", "big", &po, &plan, &e), PGCDC_OK);
    CHECK_INT(plan.chunking, pgt_major() < 14 ? PGCDC_CHUNKING_NONE : PGCDC_CHUNKING_CTID);
    CHECK_INT(plan.nranges == 1, pgt_major() < 14);
    pgcdc_snapshot_plan_free(&plan);

    /* by rows: 200k rows at 10k a chunk */
    po.target_rows = 10000;
    po.key_column = "id";
    CHECK_INT(snap_plan(&cl, "public", "big", &po, &plan, &e), PGCDC_OK);
    CHECK_MSG(plan.nranges >= 15 && plan.nranges <= 25, "%u chunks for 10k rows each", plan.nranges);
    pgcdc_snapshot_plan_free(&plan);
}

/* mode 0: stopped; mode 1: crashed (callback failure) */
static void test_resume(PGconn *admin, int mode)
{
    long long count;
    unsigned long long hash;
    server_facts(admin, "big", &count, &hash);
    pgcdc_error e;
    pgcdc_snapshot_plan_options po = {0};
    po.key_column = "id";
    po.target_bytes = 256 * 1024;
    po.min_chunks = 4;
    pgcdc_snapshot_plan plan;
    CHECK_INT(snap_plan(&cl, "public", "big", &po, &plan, &e), PGCDC_OK);
    CHECK(plan.nranges >= 20);

    /* the plan as the caller would store it */
    pgcdc_buf text = PGCDC_BUF_INIT;
    CHECK_INT(pgcdc_snapshot_plan_encode(&plan, &text, &e), PGCDC_OK);

    collect first;
    collect_init(&first, NROWS, plan.nranges);
    if (mode == 0)
        first.stop_after = 7;
    else
        first.fail_after = 7;
    pgcdc_code status;
    pgcdc_code rc = run("big", &plan, NULL, 0, 2, &first, &e, &status);
    if (mode == 0) {
        CHECK_INT(rc, PGCDC_ETIMEOUT);
        CHECK_CONTAINS(e.message, "stopped");
    } else {
        CHECK_INT(rc, PGCDC_EIO);
        CHECK_CONTAINS(e.message, "simulated crash");
        CHECK(first.failed);
    }
    CHECK_INT(status, PGCDC_ETIMEOUT);
    CHECK(first.ndone >= 7 && (uint32_t)first.ndone < plan.nranges);

    /* what a crashed caller has: the plan text and the finished chunk ids */
    uint32_t *done = malloc(plan.nranges * sizeof *done);
    uint32_t ndone = 0;
    for (uint32_t i = 0; i < plan.nranges; i++)
        if (first.done[i])
            done[ndone++] = i;
    pgcdc_snapshot_plan again;
    CHECK_INT(pgcdc_snapshot_plan_decode(text.data, text.len, &again, &e), PGCDC_OK);
    CHECK_INT(again.nranges, plan.nranges);

    collect second;
    collect_init(&second, NROWS, plan.nranges);
    rc = run("big", &again, done, ndone, 2, &second, &e, &status);
    CHECK_MSG(rc == PGCDC_OK, "%s", e.message);
    CHECK_INT(status, PGCDC_OK);
    CHECK_INT((uint32_t)second.ndone + ndone, plan.nranges);
    for (uint32_t i = 0; i < ndone; i++)
        CHECK(!second.done[done[i]]); /* finished chunks are not read again */

    /* durable after the crash: rows of finished chunks only; then the second run's */
    collect merged;
    collect_init(&merged, NROWS, 1);
    long long kept = 0;
    for (long long k = 1; k <= NROWS; k++) {
        if (first.times[k] && first.chunk_of[k] >= 0 && first.done[first.chunk_of[k]]) {
            merged.times[k] += first.times[k];
            kept++;
        }
        merged.times[k] += second.times[k];
    }
    CHECK(kept > 0);
    check_once(&merged, count, hash, mode ? "crashed and resumed" : "stopped and resumed");
    printf("%s after %d of %u chunks; resumed: %d chunks, %lld rows\n", mode ? "crashed" : "stopped", first.ndone,
           plan.nranges, second.ndone, second.rows);

    collect_free(&first);
    collect_free(&second);
    collect_free(&merged);
    free(done);
    pgcdc_buf_free(&text);
    pgcdc_snapshot_plan_free(&plan);
    pgcdc_snapshot_plan_free(&again);
}

static void test_partitioned(PGconn *admin)
{
    pgt_exec(admin, "CREATE TABLE part (id bigint NOT NULL, val text, n int) PARTITION BY RANGE (id)");
    pgt_exec(admin, "CREATE TABLE part_1 PARTITION OF part FOR VALUES FROM (1) TO (10001)");
    pgt_exec(admin, "CREATE TABLE part_2 PARTITION OF part FOR VALUES FROM (10001) TO (40001)");
    pgt_exec(admin, "CREATE TABLE part_3 PARTITION OF part FOR VALUES FROM (40001) TO (MAXVALUE)");
    pgt_exec(admin, "INSERT INTO part SELECT g, md5(g::text), g %% 7 FROM generate_series(1, 50000) g");
    pgt_exec(admin, "ANALYZE part");
    long long count;
    unsigned long long hash;
    server_facts(admin, "part", &count, &hash);
    for (int k = 0; k < 2; k++) {
        pgcdc_error e;
        pgcdc_snapshot_plan_options po = {0};
        po.chunking = k == 0 ? PGCDC_CHUNKING_AUTO : PGCDC_CHUNKING_KEY;
        po.key_column = "id";
        po.target_bytes = 128 * 1024;
        pgcdc_snapshot_plan plan;
        pgcdc_code rc = snap_plan(&cl, "public", "part", &po, &plan, &e);
        CHECK_MSG(rc == PGCDC_OK, "%s", e.message);
        CHECK(plan.partitioned);
        CHECK(plan.nranges >= 5);
        CHECK(plan.est_bytes > 1000000);
        collect c;
        collect_init(&c, 50000, plan.nranges);
        pgcdc_code status;
        rc = run("part", &plan, NULL, 0, 3, &c, &e, &status);
        CHECK_MSG(rc == PGCDC_OK, "%s", e.message);
        check_once(&c, count, hash, "partitioned");
        printf("partitioned: %s plan, %u chunks\n", pgcdc_chunking_name(plan.chunking), plan.nranges);
        collect_free(&c);
        pgcdc_snapshot_plan_free(&plan);
    }
    /* an inheritance parent: its own rows, not its child's */
    pgt_exec(admin, "CREATE TABLE parent (id bigint PRIMARY KEY, val text, n int)");
    pgt_exec(admin, "CREATE TABLE child () INHERITS (parent)");
    pgt_exec(admin, "INSERT INTO parent SELECT g, 'p', 0 FROM generate_series(1, 100) g");
    pgt_exec(admin, "INSERT INTO child SELECT g, 'c', 0 FROM generate_series(101, 150) g");
    pgcdc_error e;
    pgcdc_snapshot_plan plan;
    CHECK_INT(snap_plan(&cl, "public", "parent", NULL, &plan, &e), PGCDC_OK);
    CHECK(!plan.partitioned);
    collect c;
    collect_init(&c, 150, plan.nranges);
    pgcdc_code status;
    CHECK_INT(run("parent", &plan, NULL, 0, 1, &c, &e, &status), PGCDC_OK);
    CHECK_INT(c.rows, 100);
    collect_free(&c);
    pgcdc_snapshot_plan_free(&plan);
}

int main(void)
{
    pgcdc_log_set_handler(snap_log, NULL, PGCDC_LOG_WARN);
    pgt_cluster_start(&cl, pgt_major(), NULL);
    snap_cfg(&cfg, &cl, NULL, NULL);
    PGconn *admin = pgt_connect(&cl, "postgres");
    pgt_exec(admin, "CREATE TABLE big (id bigint PRIMARY KEY, val text, n int)");
    pgt_exec(admin, "INSERT INTO big SELECT g, md5(g::text), g %% 1000 FROM generate_series(1, %d) g", NROWS);
    /* some holes and a few rows moved by updates, so pages are not a neat function of keys */
    pgt_exec(admin, "DELETE FROM big WHERE id %% 97 = 0");
    pgt_exec(admin, "INSERT INTO big SELECT g, 'again', 0 FROM generate_series(1, %d) g WHERE g %% 97 = 0", NROWS);
    pgt_exec(admin, "UPDATE big SET n = n + 1 WHERE id %% 1013 = 0");
    pgt_exec(admin, "VACUUM ANALYZE big");
    if (pgt_major() >= 14)
        test_parallel(admin, PGCDC_CHUNKING_CTID);
    test_parallel(admin, PGCDC_CHUNKING_KEY);
    test_auto_choices(admin);
    test_resume(admin, 0);
    test_resume(admin, 1);
    test_partitioned(admin);
    PQfinish(admin);
    snap_cfg_free(&cfg);
    pgt_cluster_stop(&cl);
    return pgt_done("snapshot_chunks");
}
