/* test_snapshot_consistency.c - the exported snapshot of a new slot, read
 * in chunks by two connections while another connection inserts, deletes,
 * updates and vacuums the table: the reader sees exactly the rows committed
 * before the slot was created, with their values of that moment - nothing
 * missing, nothing extra, no row twice across chunks. Per plan kind (CTID
 * page ranges, key ranges; on PostgreSQL < 14 also CTID ranges asked for by
 * min_chunks). Then chunks read each under their own snapshot: the chunk
 * callbacks run inside each chunk's REPEATABLE READ transaction. */
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "snap_test.h"

#define N 60000

static pgt_cluster cl;
static pgcdc_source_config cfg;

/* ---- the concurrent writer ---- */

typedef struct writer {
    pthread_t thread;
    atomic_bool done;
    atomic_int commits;
    int inserts, deletes, updates, vacuums;
    long long next_key;
} writer;

static void *writer_main(void *arg)
{
    writer *w = arg;
    PGconn *c = pgt_connect(&cl, "postgres");
    unsigned seed = 12345;
    while (!atomic_load(&w->done)) {
        long long k = 1 + rand_r(&seed) % N;
        switch (rand_r(&seed) % 4) {
        case 0:
            pgt_exec(c, "INSERT INTO t SELECT g, g * 3, repeat('n', 100) FROM generate_series(%lld, %lld) g",
                     w->next_key, w->next_key + 49);
            w->next_key += 50;
            w->inserts += 50;
            break;
        case 1:
            pgt_exec(c, "DELETE FROM t WHERE k BETWEEN %lld AND %lld", k, k + 20);
            w->deletes++;
            break;
        default:
            /* moves rows to other pages (new versions), maybe into a later chunk's pages */
            pgt_exec(c, "UPDATE t SET v = -1, pad = repeat('u', 150) WHERE k BETWEEN %lld AND %lld", k, k + 20);
            w->updates++;
            break;
        }
        if (atomic_fetch_add(&w->commits, 1) % 100 == 50) {
            pgt_exec(c, "VACUUM t");
            w->vacuums++;
        }
    }
    PQfinish(c);
    return NULL;
}

/* ---- what the reader delivered ---- */

typedef struct seen {
    pthread_mutex_t lock;
    unsigned char *count; /* per key 1..N */
    long long rows, outside, wrong_value, twice;
    writer *w;
    atomic_int chunks_begun;
    int isolation_bad, chunk_conn_errors;
} seen;

static pgcdc_code on_rows(void *ud, const pgcdc_snapshot_rows *b, pgcdc_error *err)
{
    seen *s = ud;
    (void)err;
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < b->nrows; i++) {
        const pgcdc_value *v = b->rows[i].values;
        long long k = snap_int(&v[0]), val = snap_int(&v[1]);
        s->rows++;
        if (k < 1 || k > N) {
            s->outside++;
            continue;
        }
        if (s->count[k]++)
            s->twice++;
        if (val != 3 * k || v[2].len != 100 || v[2].data[0] != 'x')
            s->wrong_value++;
    }
    pthread_mutex_unlock(&s->lock);
    return PGCDC_OK;
}

static pgcdc_code on_chunk(void *ud, pgcdc_snapshot_chunk_event ev, const pgcdc_snapshot_chunk_info *info,
                           pgcdc_error *err)
{
    seen *s = ud;
    (void)err;
    if (ev != PGCDC_SNAPSHOT_CHUNK_BEGIN)
        return PGCDC_OK;
    /* the chunk's transaction is a REPEATABLE READ one, usable for queries */
    PGresult *r = PQexec(info->conn, "SHOW transaction_isolation");
    pthread_mutex_lock(&s->lock);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        s->chunk_conn_errors++;
    else if (strcmp(PQgetvalue(r, 0, 0), "repeatable read") != 0)
        s->isolation_bad++;
    pthread_mutex_unlock(&s->lock);
    PQclear(r);
    /* the first chunks wait for the writer to have committed changes that
     * the snapshot must not see; the writer goes on during the whole read */
    if (s->w && atomic_fetch_add(&s->chunks_begun, 1) < 2)
        while (atomic_load(&s->w->commits) < 150)
            usleep(1000);
    return PGCDC_OK;
}

static PGconn *repl_connect(void)
{
    PGconn *c = NULL;
    pgcdc_error e;
    if (pgcdc_source_connect(&cfg, true, &c, &e) != PGCDC_OK) {
        fprintf(stderr, "replication connection: %s\n", e.message);
        exit(1);
    }
    return c;
}

static void reset_table(PGconn *admin)
{
    pgt_exec(admin, "SET client_min_messages = warning; DROP TABLE IF EXISTS t");
    pgt_exec(admin, "CREATE TABLE t (k bigint PRIMARY KEY, v bigint NOT NULL, pad text)");
    pgt_exec(admin, "INSERT INTO t SELECT g, g * 3, repeat('x', 100) FROM generate_series(1, %d) g", N);
    pgt_exec(admin, "VACUUM ANALYZE t");
}

static void test_exported(PGconn *admin, pgcdc_chunking chunking, uint32_t min_chunks, int conns)
{
    reset_table(admin);
    pgcdc_error e;
    PGconn *repl = repl_connect();
    pgcdc_slot_created made;
    pgcdc_code rc = pgcdc_slot_create(repl, "snap_consistency", false, &made, &e);
    CHECK_MSG(rc == PGCDC_OK, "%s", e.message);

    writer w = {0};
    w.next_key = N + 1;
    atomic_init(&w.done, false);
    atomic_init(&w.commits, 0);
    pthread_create(&w.thread, NULL, writer_main, &w);

    /* planned inside the snapshot too */
    PGconn *pc = pgt_connect(&cl, "postgres");
    pgt_exec(pc, "BEGIN ISOLATION LEVEL REPEATABLE READ");
    pgt_exec(pc, "SET TRANSACTION SNAPSHOT '%s'", made.snapshot_name);
    pgcdc_snapshot_plan_options po = {0};
    po.chunking = chunking;
    po.key_column = "k";
    po.target_bytes = 400 * 1024;
    po.min_chunks = min_chunks;
    pgcdc_snapshot_plan plan;
    rc = pgcdc_snapshot_plan_create(pc, "public", "t", &po, &plan, &e);
    CHECK_MSG(rc == PGCDC_OK, "%s", e.message);
    pgt_exec(pc, "COMMIT");
    PQfinish(pc);
    CHECK(plan.nranges >= 10);
    if (chunking != PGCDC_CHUNKING_AUTO)
        CHECK_INT(plan.chunking, chunking);
    else
        CHECK_INT(plan.chunking, pgt_major() >= 14 ? PGCDC_CHUNKING_CTID : PGCDC_CHUNKING_KEY);

    seen s = {0};
    pthread_mutex_init(&s.lock, NULL);
    s.count = calloc(N + 1, 1);
    s.w = &w;
    pgcdc_snapshot_options opt = {0};
    opt.snapshot_name = made.snapshot_name;
    opt.connections = conns;
    opt.batch_rows = 500;
    opt.on_rows = on_rows;
    opt.on_chunk = on_chunk;
    opt.userdata = &s;
    static const char *const names[] = {"k", "v", "pad"};
    pgcdc_snapshot_table t = {"public", "t", 3, names, PGCDC_COPY_BINARY, &plan, NULL, 0, NULL};
    pgcdc_snapshot_progress p;
    rc = snap_read(&cfg, &opt, &t, &p, &e);
    CHECK_MSG(rc == PGCDC_OK, "%s", e.message);
    atomic_store(&w.done, true);
    pthread_join(w.thread, NULL);

    long long missing = 0;
    for (long long k = 1; k <= N; k++)
        missing += s.count[k] == 0;
    CHECK_INT(s.rows, N);
    CHECK_INT(missing, 0);
    CHECK_INT(s.twice, 0);
    CHECK_INT(s.outside, 0);
    CHECK_INT(s.wrong_value, 0);
    CHECK_INT(s.isolation_bad, 0);
    CHECK_INT(s.chunk_conn_errors, 0);
    CHECK_INT(p.rows, N);
    CHECK_INT(p.chunks_done, plan.nranges);
    /* and the writer really changed the table meanwhile */
    CHECK(w.inserts > 0 && w.deletes > 0 && w.updates > 0 && w.vacuums > 0);
    char *now = pgt_query_value(admin, "SELECT count(*) FILTER (WHERE v = -1) > 0 AND count(*) FILTER (WHERE k > %d) > 0"
                                       " AND count(*) FILTER (WHERE k <= %d) < %d FROM t", N, N, N);
    CHECK_STR(now, "t");
    free(now);
    printf("%s plan of %u chunks, %d connections: %lld rows, while %d commits (%d inserted, %d deletes, "
           "%d updates, %d vacuums)\n", pgcdc_chunking_name(plan.chunking), plan.nranges, conns, s.rows,
           atomic_load(&w.commits), w.inserts, w.deletes, w.updates, w.vacuums);

    free(s.count);
    pthread_mutex_destroy(&s.lock);
    pgcdc_snapshot_plan_free(&plan);
    CHECK_INT(pgcdc_slot_drop(repl, "snap_consistency", &e), PGCDC_OK);
    PQfinish(repl);
}

/* Without an exported snapshot: each chunk its own transaction; no writes,
 * so every row exactly once. */
static void test_own_snapshots(PGconn *admin)
{
    reset_table(admin);
    pgcdc_error e;
    pgcdc_snapshot_plan_options po = {0};
    po.key_column = "k";
    po.target_bytes = 400 * 1024;
    po.min_chunks = 2;
    pgcdc_snapshot_plan plan;
    CHECK_INT(snap_plan(&cl, "public", "t", &po, &plan, &e), PGCDC_OK);
    seen s = {0};
    pthread_mutex_init(&s.lock, NULL);
    s.count = calloc(N + 1, 1);
    pgcdc_snapshot_options opt = {0};
    opt.connections = 2;
    opt.on_rows = on_rows;
    opt.on_chunk = on_chunk;
    opt.userdata = &s;
    static const char *const names[] = {"k", "v", "pad"};
    pgcdc_snapshot_table t = {"public", "t", 3, names, PGCDC_COPY_TEXT, &plan, NULL, 0, NULL};
    pgcdc_code rc = snap_read(&cfg, &opt, &t, NULL, &e);
    CHECK_MSG(rc == PGCDC_OK, "%s", e.message);
    CHECK_INT(s.rows, N);
    CHECK_INT(s.twice, 0);
    CHECK_INT(s.wrong_value, 0);
    CHECK_INT(s.isolation_bad, 0);
    CHECK_INT(s.chunk_conn_errors, 0);
    free(s.count);
    pthread_mutex_destroy(&s.lock);
    pgcdc_snapshot_plan_free(&plan);
}

int main(void)
{
    pgcdc_log_set_handler(snap_log, NULL, PGCDC_LOG_WARN);
    pgt_cluster_start(&cl, pgt_major(), NULL);
    snap_cfg(&cfg, &cl, NULL, NULL);
    PGconn *admin = pgt_connect(&cl, "postgres");
    test_exported(admin, PGCDC_CHUNKING_AUTO, 0, 2);
    test_exported(admin, PGCDC_CHUNKING_KEY, 0, 2);
    if (pgt_major() < 14)
        test_exported(admin, PGCDC_CHUNKING_CTID, 4, 2);
    test_own_snapshots(admin);
    PQfinish(admin);
    snap_cfg_free(&cfg);
    pgt_cluster_stop(&cl);
    return pgt_done("snapshot_consistency");
}
