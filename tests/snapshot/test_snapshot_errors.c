/* test_snapshot_errors.c - what goes wrong, and what the user is told.
 *   - a table dropped while its chunks are read, each chunk under its own
 *     snapshot: that table fails with a message naming it and the chunk; the
 *     table queued after it is read completely;
 *   - under an exported snapshot the same DROP (and a TRUNCATE) waits until
 *     the read is over: every row of the snapshot is read;
 *   - a table dropped after the snapshot was exported, before the read;
 *   - no SELECT privilege (a role with a password): permission denied,
 *     naming the table and chunk and the GRANT to run; other tables go on;
 *   - a column that does not exist; a snapshot that does not exist; a wrong
 *     password; the reading connection killed mid-COPY (interim ECONNECT);
 *   - planning a missing table, a view, key ranges on unusable columns;
 *     plan text that is garbage or leaves a gap; done ids outside the plan. */
#include <pthread.h>
#include <unistd.h>

#include "snap_test.h"

static pgt_cluster cl;
static pgcdc_source_config cfg;
static PGconn *admin;

static const char *const names[] = {"id", "v"};

typedef struct counts {
    pthread_mutex_t lock;
    long long rows[4]; /* per table index */
    PGconn *side;      /* a connection for statements sent from a callback */
    int action;        /* 1: drop "victim" after its first chunk (async); 2: same with TRUNCATE;
                          3: kill the reading backend at the first batch */
    bool acted;
    int backend_pid;
} counts;

static pgcdc_code on_rows(void *ud, const pgcdc_snapshot_rows *b, pgcdc_error *err)
{
    counts *c = ud;
    (void)err;
    pthread_mutex_lock(&c->lock);
    c->rows[b->chunk.table] += (long long)b->nrows;
    bool kill = c->action == 3 && !c->acted;
    c->acted |= kill;
    pthread_mutex_unlock(&c->lock);
    if (kill)
        pgt_exec(c->side, "SELECT pg_terminate_backend(%d)", c->backend_pid);
    return PGCDC_OK;
}

static pgcdc_code on_chunk(void *ud, pgcdc_snapshot_chunk_event ev, const pgcdc_snapshot_chunk_info *info,
                           pgcdc_error *err)
{
    counts *c = ud;
    (void)err;
    if (ev == PGCDC_SNAPSHOT_CHUNK_BEGIN) {
        c->backend_pid = PQbackendPID(info->conn);
        return PGCDC_OK;
    }
    if ((c->action == 1 || c->action == 2) && !c->acted && strcmp(info->chunk.name, "victim") == 0) {
        c->acted = true;
        /* sent, not awaited: it has to wait for the reader's lock (and the
         * reader goes on only once it is queued, so the next chunk meets it) */
        CHECK(PQsendQuery(c->side, c->action == 1 ? "DROP TABLE victim" : "TRUNCATE victim") == 1);
        for (int i = 0; i < 5000; i++) {
            char *n = pgt_query_value(admin, "SELECT count(*) FROM pg_locks l JOIN pg_class k ON k.oid = l.relation"
                                             " WHERE k.relname = 'victim' AND NOT l.granted");
            bool queued = strcmp(n, "0") != 0;
            free(n);
            if (queued)
                break;
            usleep(1000);
        }
    }
    return PGCDC_OK;
}

static void make_table(const char *name, int rows)
{
    pgt_exec(admin, "SET client_min_messages = warning; DROP TABLE IF EXISTS %s", name);
    pgt_exec(admin, "CREATE TABLE %s (id bigint PRIMARY KEY, v text)", name);
    pgt_exec(admin, "INSERT INTO %s SELECT g, repeat('v', 50) FROM generate_series(1, %d) g", name, rows);
    pgt_exec(admin, "ANALYZE %s", name);
}

static pgcdc_snapshot_plan plan_of(const char *table, uint64_t target)
{
    pgcdc_snapshot_plan_options po = {0};
    po.key_column = "id";
    po.target_bytes = target;
    po.min_chunks = 4;
    pgcdc_snapshot_plan plan;
    pgcdc_error e;
    pgcdc_code rc = snap_plan(&cl, "public", table, &po, &plan, &e);
    CHECK_MSG(rc == PGCDC_OK, "%s", e.message);
    return plan;
}

/* Reads victim then survivor; returns run's code, statuses in st[2]. */
static pgcdc_code read_two(const pgcdc_source_config *c_cfg, const char *snapshot, counts *c, pgcdc_code st[2],
                           pgcdc_error st_err[2], pgcdc_error *e, const char *const *cols)
{
    pgcdc_snapshot_plan pv = plan_of("victim", 64 * 1024), ps = plan_of("survivor", 64 * 1024);
    CHECK(pv.nranges >= 4);
    pgcdc_snapshot_options opt = {0};
    opt.snapshot_name = snapshot;
    opt.connections = 1;
    opt.on_rows = on_rows;
    opt.on_chunk = on_chunk;
    opt.userdata = c;
    pgcdc_snapshot_reader *r;
    pgcdc_code rc = pgcdc_snapshot_reader_new(c_cfg, &opt, &r, e);
    CHECK_INT(rc, PGCDC_OK);
    pgcdc_snapshot_table tv = {"public", "victim", 2, cols ? cols : names, PGCDC_COPY_BINARY, &pv, NULL, 0, NULL};
    pgcdc_snapshot_table ts = {"public", "survivor", 2, names, PGCDC_COPY_TEXT, &ps, NULL, 0, NULL};
    int iv, is;
    CHECK_INT(pgcdc_snapshot_reader_add(r, &tv, &iv, e), PGCDC_OK);
    CHECK_INT(pgcdc_snapshot_reader_add(r, &ts, &is, e), PGCDC_OK);
    CHECK_INT(iv, 0);
    CHECK_INT(is, 1);
    rc = pgcdc_snapshot_reader_run(r, e);
    st[0] = pgcdc_snapshot_reader_table_status(r, iv, &st_err[0]);
    st[1] = pgcdc_snapshot_reader_table_status(r, is, &st_err[1]);
    pgcdc_snapshot_progress p;
    pgcdc_snapshot_reader_progress(r, -1, &p);
    CHECK_INT(p.tables_total, 2);
    if (rc == PGCDC_OK || rc == st[0]) /* the run ended by itself: every table done or failed */
        CHECK_INT(p.tables_done + p.tables_failed, 2);
    else
        CHECK_INT(p.tables_done + p.tables_failed, 0);
    pgcdc_snapshot_reader_free(r);
    pgcdc_snapshot_plan_free(&pv);
    pgcdc_snapshot_plan_free(&ps);
    return rc;
}

static void finish_side(PGconn *side)
{
    PGresult *res;
    while ((res = PQgetResult(side)) != NULL) {
        CHECK_INT(PQresultStatus(res), PGRES_COMMAND_OK);
        PQclear(res);
    }
}

static void test_dropped_mid_read(void)
{
    make_table("victim", 20000);
    make_table("survivor", 3000);
    counts c = {0};
    pthread_mutex_init(&c.lock, NULL);
    c.side = pgt_connect(&cl, "postgres");
    c.action = 1;
    pgcdc_code st[2];
    pgcdc_error se[2], e;
    pgcdc_code rc = read_two(&cfg, NULL, &c, st, se, &e, NULL);
    finish_side(c.side);
    CHECK_INT(rc, PGCDC_ENOTFOUND);
    CHECK_CONTAINS(e.message, "reading chunk 2 of ");
    CHECK_CONTAINS(e.message, "of table public.victim");
    CHECK_CONTAINS(e.message, "does not exist");
    CHECK_CONTAINS(e.message, "dropped or renamed");
    CHECK_INT(st[0], PGCDC_ENOTFOUND);
    CHECK_STR(se[0].message, e.message);
    CHECK_INT(st[1], PGCDC_OK);
    CHECK_INT(c.rows[1], 3000); /* the next table is read completely */
    CHECK(c.rows[0] > 0 && c.rows[0] < 20000);
    printf("dropped mid-read: %s\n", e.message);
    PQfinish(c.side);
}

/* Under an exported snapshot DROP and TRUNCATE wait for the reader. */
static void test_exported_holds(int action)
{
    make_table("victim", 20000);
    make_table("survivor", 3000);
    pgcdc_error e;
    PGconn *repl;
    CHECK_INT(pgcdc_source_connect(&cfg, true, &repl, &e), PGCDC_OK);
    pgcdc_slot_created made;
    CHECK_INT(pgcdc_slot_create(repl, "snap_errors", false, &made, &e), PGCDC_OK);
    counts c = {0};
    pthread_mutex_init(&c.lock, NULL);
    c.side = pgt_connect(&cl, "postgres");
    c.action = action;
    pgcdc_code st[2];
    pgcdc_error se[2];
    pgcdc_code rc = read_two(&cfg, made.snapshot_name, &c, st, se, &e, NULL);
    CHECK_MSG(rc == PGCDC_OK, "%s", e.message);
    CHECK(c.acted);
    CHECK_INT(c.rows[0], 20000);
    CHECK_INT(c.rows[1], 3000);
    finish_side(c.side); /* the DROP / TRUNCATE went through once the reader was done */
    char *n = pgt_query_value(admin, "SELECT count(*) FROM pg_class WHERE relname = 'victim'");
    CHECK_STR(n, action == 1 ? "0" : "1");
    free(n);
    if (action == 2) {
        n = pgt_query_value(admin, "SELECT count(*) FROM victim");
        CHECK_STR(n, "0");
        free(n);
    }
    PQfinish(c.side);

    /* A table dropped after the export and before the read fails alone */
    if (action == 2) {
        pgt_exec(admin, "DROP TABLE victim");
        counts d = {0};
        pthread_mutex_init(&d.lock, NULL);
        make_table("victim", 10); /* planned... */
        pgcdc_snapshot_plan pv = plan_of("victim", 0);
        pgt_exec(admin, "DROP TABLE victim"); /* ... then gone */
        pgcdc_snapshot_plan ps = plan_of("survivor", 0);
        pgcdc_snapshot_options opt = {0};
        opt.snapshot_name = made.snapshot_name;
        opt.connections = 2;
        opt.on_rows = on_rows;
        opt.userdata = &d;
        pgcdc_snapshot_reader *r;
        CHECK_INT(pgcdc_snapshot_reader_new(&cfg, &opt, &r, &e), PGCDC_OK);
        pgcdc_snapshot_table tv = {"public", "victim", 2, names, PGCDC_COPY_BINARY, &pv, NULL, 0, NULL};
        pgcdc_snapshot_table ts = {"public", "survivor", 2, names, PGCDC_COPY_BINARY, &ps, NULL, 0, NULL};
        CHECK_INT(pgcdc_snapshot_reader_add(r, &tv, NULL, &e), PGCDC_OK);
        CHECK_INT(pgcdc_snapshot_reader_add(r, &ts, NULL, &e), PGCDC_OK);
        rc = pgcdc_snapshot_reader_run(r, &e);
        CHECK_INT(rc, PGCDC_ENOTFOUND);
        CHECK_CONTAINS(e.message, "table public.victim");
        CHECK_CONTAINS(e.message, "does not exist");
        CHECK_INT(pgcdc_snapshot_reader_table_status(r, 1, NULL), PGCDC_OK);
        CHECK_INT(d.rows[1], 3000);
        printf("dropped before the read: %s\n", e.message);
        pgcdc_snapshot_reader_free(r);
        pgcdc_snapshot_plan_free(&pv);
        pgcdc_snapshot_plan_free(&ps);
    }
    CHECK_INT(pgcdc_slot_drop(repl, "snap_errors", &e), PGCDC_OK);
    PQfinish(repl);
}

static void test_permission(void)
{
    make_table("victim", 5000);
    make_table("survivor", 3000);
    pgt_exec(admin, "DROP ROLE IF EXISTS snap_reader");
    pgt_exec(admin, "CREATE ROLE snap_reader LOGIN PASSWORD 'Secret-pw-42'");
    pgt_exec(admin, "GRANT SELECT ON survivor TO snap_reader");
    pgcdc_source_config rcfg;
    snap_cfg(&rcfg, &cl, "snap_reader", "Secret-pw-42");
    for (int exported = 0; exported < 2; exported++) {
        PGconn *repl = NULL;
        pgcdc_slot_created made;
        pgcdc_error e;
        if (exported) {
            CHECK_INT(pgcdc_source_connect(&cfg, true, &repl, &e), PGCDC_OK);
            CHECK_INT(pgcdc_slot_create(repl, "snap_perm", false, &made, &e), PGCDC_OK);
        }
        counts c = {0};
        pthread_mutex_init(&c.lock, NULL);
        pgcdc_code st[2];
        pgcdc_error se[2];
        pgcdc_code rc = read_two(&rcfg, exported ? made.snapshot_name : NULL, &c, st, se, &e, NULL);
        CHECK_INT(rc, PGCDC_ESQL);
        CHECK_CONTAINS(e.message, "permission denied");
        CHECK_CONTAINS(e.message, "public.victim");
        CHECK_CONTAINS(e.message, exported ? "before its first chunk" : "reading chunk 1 of ");
        CHECK_CONTAINS(e.message, "grant SELECT");
        CHECK_NOT_CONTAINS(e.message, "Secret-pw-42");
        CHECK_INT(st[1], PGCDC_OK);
        CHECK_INT(c.rows[0], 0);
        CHECK_INT(c.rows[1], 3000);
        printf("permission denied: %s\n", e.message);
        if (exported) {
            CHECK_INT(pgcdc_slot_drop(repl, "snap_perm", &e), PGCDC_OK);
            PQfinish(repl);
        }
    }
    /* a wrong password: every connection fails, the run says why */
    free(rcfg.password);
    rcfg.password = strdup("Wrong-pw-17");
    counts c = {0};
    pthread_mutex_init(&c.lock, NULL);
    pgcdc_code st[2];
    pgcdc_error se[2], e;
    pgcdc_code rc = read_two(&rcfg, NULL, &c, st, se, &e, NULL);
    CHECK_INT(rc, PGCDC_EINVAL);
    CHECK_CONTAINS(e.message, "password authentication failed");
    CHECK_NOT_CONTAINS(e.message, "Wrong-pw-17");
    CHECK_INT(st[0], PGCDC_ETIMEOUT);
    CHECK_CONTAINS(se[0].message, "not finished (0 of");
    snap_cfg_free(&rcfg);
}

static void test_misc(void)
{
    make_table("victim", 5000);
    make_table("survivor", 3000);
    pgcdc_error e;
    /* a column that is not there */
    {
        counts c = {0};
        pthread_mutex_init(&c.lock, NULL);
        static const char *const bad_cols[] = {"id", "nope"};
        pgcdc_code st[2];
        pgcdc_error se[2];
        pgcdc_code rc = read_two(&cfg, NULL, &c, st, se, &e, bad_cols);
        CHECK_INT(rc, PGCDC_ENOTFOUND);
        CHECK_CONTAINS(e.message, "\"nope\" does not exist");
        CHECK_CONTAINS(e.message, "public.victim");
        CHECK_INT(st[1], PGCDC_OK);
    }
    /* a snapshot that does not exist */
    {
        counts c = {0};
        pthread_mutex_init(&c.lock, NULL);
        pgcdc_code st[2];
        pgcdc_error se[2];
        pgcdc_code rc = read_two(&cfg, "00000003-00000A2B-1", &c, st, se, &e, NULL);
        CHECK_INT(rc, PGCDC_ESQL);
        CHECK_CONTAINS(e.message, "the snapshot is gone");
        CHECK_CONTAINS(e.message, "00000003-00000A2B-1");
        CHECK_INT(st[0], PGCDC_ETIMEOUT);
        printf("no such snapshot: %s\n", e.message);
    }
    /* the reading connection killed mid-COPY: interim */
    {
        counts c = {0};
        pthread_mutex_init(&c.lock, NULL);
        c.side = pgt_connect(&cl, "postgres");
        c.action = 3;
        pgcdc_code st[2];
        pgcdc_error se[2];
        pgcdc_code rc = read_two(&cfg, NULL, &c, st, se, &e, NULL);
        CHECK_INT(rc, PGCDC_ECONNECT);
        CHECK_CONTAINS(e.message, "reading chunk ");
        CHECK_CONTAINS(e.message, "public.victim");
        CHECK_INT(st[0], PGCDC_ETIMEOUT);
        printf("connection killed: %s\n", e.message);
        PQfinish(c.side);
    }
    /* planning */
    pgcdc_snapshot_plan plan;
    pgcdc_snapshot_plan_options po = {0};
    CHECK_INT(snap_plan(&cl, "public", "missing", NULL, &plan, &e), PGCDC_ENOTFOUND);
    CHECK_CONTAINS(e.message, "public.missing does not exist");
    pgt_exec(admin, "CREATE VIEW a_view AS SELECT 1 AS x");
    CHECK_INT(snap_plan(&cl, "public", "a_view", NULL, &plan, &e), PGCDC_EINVAL);
    CHECK_CONTAINS(e.message, "not a table");
    pgt_exec(admin, "CREATE TABLE texty (t text PRIMARY KEY, n int)");
    po.chunking = PGCDC_CHUNKING_KEY;
    po.key_column = "t";
    CHECK_INT(snap_plan(&cl, "public", "texty", &po, &plan, &e), PGCDC_EINVAL);
    CHECK_CONTAINS(e.message, "not a NOT NULL smallint, integer or bigint");
    po.key_column = "n"; /* nullable */
    CHECK_INT(snap_plan(&cl, "public", "texty", &po, &plan, &e), PGCDC_EINVAL);
    po.key_column = "zz";
    CHECK_INT(snap_plan(&cl, "public", "texty", &po, &plan, &e), PGCDC_EINVAL);
    CHECK_CONTAINS(e.message, "no column \"zz\"");
    po.key_column = NULL;
    CHECK_INT(snap_plan(&cl, "public", "texty", &po, &plan, &e), PGCDC_EINVAL);
    CHECK_CONTAINS(e.message, "no key column given");

    /* plan text */
    CHECK_INT(pgcdc_snapshot_plan_decode("hello", 5, &plan, &e), PGCDC_EINVAL);
    CHECK_CONTAINS(e.message, "line 1");
    static const char gap[] = "pgcdc snapshot plan 1\nchunking ctid\npartitioned 0\nest_bytes 10\nest_rows 5\n"
                              "ranges 3\n0 - (10,0)\n1 (10,0) (20,0)\n2 (21,0) -\n";
    CHECK_INT(pgcdc_snapshot_plan_decode(gap, sizeof gap - 1, &plan, &e), PGCDC_EINVAL);
    CHECK_CONTAINS(e.message, "chunk 2 does not start where chunk 1 ends");
    static const char inject[] = "pgcdc snapshot plan 1\nchunking key\nkey id\npartitioned 0\nest_bytes 10\n"
                                 "est_rows 5\nranges 2\n0 - 5;DROP\n1 5;DROP -\n";
    CHECK_INT(pgcdc_snapshot_plan_decode(inject, sizeof inject - 1, &plan, &e), PGCDC_EINVAL);
    CHECK_CONTAINS(e.message, "invalid bound");
    static const char ok[] = "pgcdc snapshot plan 1\nchunking key\nkey my%20id%25\npartitioned 1\nest_bytes 10\n"
                             "est_rows -1\nranges 2\n0 - -5\n1 -5 -\n";
    CHECK_INT(pgcdc_snapshot_plan_decode(ok, sizeof ok - 1, &plan, &e), PGCDC_OK);
    CHECK_STR(plan.key_column, "my id%");
    CHECK(plan.partitioned);
    CHECK_INT(plan.est_rows, -1);
    CHECK_STR(plan.ranges[0].upper, "-5");
    pgcdc_buf text = PGCDC_BUF_INIT;
    CHECK_INT(pgcdc_snapshot_plan_encode(&plan, &text, &e), PGCDC_OK);
    CHECK_STR(text.data, ok);
    pgcdc_buf_free(&text);

    /* done ids outside the plan */
    pgcdc_snapshot_options opt = {0};
    opt.on_rows = on_rows;
    pgcdc_snapshot_reader *r;
    CHECK_INT(pgcdc_snapshot_reader_new(&cfg, &opt, &r, &e), PGCDC_OK);
    uint32_t done[1] = {2};
    pgcdc_snapshot_table t = {"public", "texty", 1, names, PGCDC_COPY_TEXT, &plan, done, 1, NULL};
    CHECK_INT(pgcdc_snapshot_reader_add(r, &t, NULL, &e), PGCDC_EINVAL);
    CHECK_CONTAINS(e.message, "chunk id 2 marked done is not in its plan of 2 chunks");
    pgcdc_snapshot_reader_free(r);
    pgcdc_snapshot_plan_free(&plan);
    opt.connections = 65;
    CHECK_INT(pgcdc_snapshot_reader_new(&cfg, &opt, &r, &e), PGCDC_EINVAL);
    CHECK_CONTAINS(e.message, "Concurrent Snapshot Queries");
}

int main(void)
{
    pgcdc_log_set_handler(NULL, NULL, PGCDC_LOG_ERROR); /* errors are expected: keep quiet */
    pgt_cluster_start(&cl, pgt_major(), NULL);
    snap_cfg(&cfg, &cl, NULL, NULL);
    admin = pgt_connect(&cl, "postgres");
    test_dropped_mid_read();
    test_exported_holds(1);
    test_exported_holds(2);
    test_permission();
    test_misc();
    PQfinish(admin);
    snap_cfg_free(&cfg);
    pgt_cluster_stop(&cl);
    return pgt_done("snapshot_errors");
}
