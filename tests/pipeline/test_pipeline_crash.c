/* test_pipeline_crash.c - kill -9 of the runner at every crash point
 * (pgcdc/crashpoint.h, docs/runner.md "Crash safety") under a concurrent
 * write load, then a restart: the destination must equal the source.
 *
 * One throwaway server; per crash point a fresh source table (int key, text,
 * numeric, a ~3 KB TOASTed text in some rows, timestamptz), its own
 * publication, slot and destination database, so the cases are independent:
 *   1. a write load runs in a thread (per transaction: inserts, an update
 *      leaving the TOAST column unchanged, an update setting it, a key
 *      update of a TOASTed row, deletes of a row inserted in the same
 *      transaction, of one from an earlier transaction and of a seed row);
 *   2. `pgcdc run` (continuous) with PGCDC_CRASH_AT=<point>:<n> must die of
 *      SIGKILL on its own - the test cannot pass without the crash;
 *   3. more load, then `run --until-caught-up` without the variable;
 *   4. a second load phase and another catch-up: the slot goes on;
 * after 3 and 4: live rows equal to the source's (every column, as record
 * text), every key deleted on the source after the destination had it is
 * soft-deleted with its last values, keys inserted and deleted in one
 * transaction absent, no duplicate keys, the table INCREMENTAL_REPLICATION.
 *
 * The load records what it deletes (and the old key of a key update) with
 * the row's record text in crash_<k>_gone, a table outside the publication,
 * in the same transaction: the source keeps its own account of what went.
 *
 * The cluster runs with wal_sender_timeout = 4s: the walsender then asks
 * for a status reply every 2 s, so "confirm-sent" (a status update that
 * advanced the flush position) is reached within seconds rather than at the
 * stream's 10 s status interval.
 * argv[1] = the pgcdc binary. */
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runner.h"

static char tmpdir[256];
static pgt_cluster cl;

#define SEED_ROWS 4000

typedef struct crash_case {
    const char *at;       /* PGCDC_CRASH_AT of the crashing run */
    bool in_snapshot;     /* the crash is in the initial snapshot: the load runs from before the start */
} crash_case;

/* Points hit often get an n that puts the crash well inside the load. */
static const crash_case cases[] = {
    {"snapshot-chunk-written:1", true}, /* after the first of the plan's chunks is in the journal */
    {"mid-transaction:300", false},     /* ~25 load transactions in, one open in the builder */
    {"journal-written:4", false},       /* the 4th batch committed, the slot not told */
    {"merge-before-commit:6", false},   /* 1 = the snapshot's merge, then merges after writes */
    {"confirm-sent:2", false},          /* the 2nd status update that moved the flush position */
};

/* ---- the runner's configuration ---- */

static void write_conf(const char *path, int k)
{
    char pub[32], slot[32], db[32], names[32];
    snprintf(pub, sizeof pub, "crash_pub_%d", k);
    snprintf(slot, sizeof slot, "crash_slot_%d", k);
    snprintf(db, sizeof db, "cdst_%d", k);
    snprintf(names, sizeof names, "public.crash_%d", k);
    rt_write_conf(path, &(rt_conf){.source_port = cl.port, .source_db = "csrc", .publication = pub, .slot = slot,
                                   .dest_port = cl.port, .dest_db = db, .names = names, .cron = "* * * * * ?",
                                   .snapshot_queries = 2});
}

/* ---- the source table and its write load ---- */

static void create_source(PGconn *src, int k)
{
    pgt_exec(src,
             "CREATE TABLE crash_%d (id int PRIMARY KEY, t text, n numeric(12,3), big text, ts timestamptz); "
             /* out of line without compression: the md5 text would not compress much anyway */
             "ALTER TABLE crash_%d ALTER COLUMN big SET STORAGE EXTERNAL; "
             "INSERT INTO crash_%d SELECT g, CASE WHEN g %% 7 = 3 THEN NULL ELSE 'seed ' || g END, "
             "round(g / 3.0 - 500, 3), CASE WHEN g %% 5 = 0 THEN crash_big(g) END, "
             "timestamptz '2024-02-29 12:00:00.123456+00' + g * interval '1 minute 0.5 s' "
             "FROM generate_series(1, %d) g; "
             "CREATE TABLE crash_%d_gone (id int, rec text, fresh bool, phase int); "
             "CREATE PUBLICATION crash_pub_%d FOR TABLE crash_%d; ANALYZE crash_%d",
             k, k, k, SEED_ROWS, k, k, k, k);
}

/* Load transaction i of table crash_<k>. Keys are never reused: fresh rows
 * get b = 100000 + 10 i .. b + 4 (p = the previous transaction's b); a key
 * update moves x to -x (below every key) or to x + 1000000 (above every
 * key). Seed rows touched: big values in ids that are multiples of 5; ids
 * ending in 0 get updates leaving the big value unchanged, ids ending in 5
 * key updates, ids ending in 3 or 7 deletes. Key updates and deletes
 * alternate between the low and the high half of the seed keys, so
 * whichever snapshot chunk finished first, rows in it and rows not yet
 * read both change. */
static void load_step(PGconn *w, int k, int i, int phase)
{
    int b = 100000 + 10 * i, p = b - 10, j = i / 4;
    int keep_toast = 10 * (1 + i % 199);
    int rekey, rekey_to; /* a TOASTed seed row or the previous transaction's b + 4 */
    if (i % 2 == 1)
        rekey = p + 4, rekey_to = -rekey;
    else if (i % 4 == 0)
        rekey = 2005 + 10 * (j % 199), rekey_to = -rekey;
    else
        rekey = 15 + 10 * (j % 198), rekey_to = rekey + 1000000;
    int old = i % 2 ? 3 + 10 * ((i / 2) % 199) : SEED_ROWS - 3 - 10 * ((i / 2) % 199);
    pgt_exec(w,
             "BEGIN; "
             "INSERT INTO crash_%d SELECT g, 'load ' || g, round(g / 7.0, 3), "
             "CASE WHEN g %% 10 IN (0, 4) THEN crash_big(g) END, now() FROM generate_series(%d, %d) g; "
             /* the big column unchanged: pgoutput sends it as unchanged TOAST */
             "UPDATE crash_%d SET n = n + 1, ts = ts + interval '1 s' WHERE id = %d; "
             "UPDATE crash_%d SET t = NULL, big = crash_big(-id) WHERE id = %d; "
             /* a key update of a row with a TOASTed value, unchanged */
             "WITH o AS (SELECT * FROM crash_%d WHERE id = %d), "
             "u AS (UPDATE crash_%d SET id = %d WHERE id = %d RETURNING 1) "
             "INSERT INTO crash_%d_gone SELECT o.id, o::text, false, %d FROM o, u; "
             "WITH d AS (DELETE FROM crash_%d WHERE id IN (%d, %d, %d) RETURNING *) "
             "INSERT INTO crash_%d_gone SELECT d.id, d::text, d.id = %d, %d FROM d; "
             "COMMIT",
             k, b, b + 4, k, keep_toast, k, p + 2, k, rekey, k, rekey_to, rekey, k, phase, k, b + 3, p + 1, old, k,
             b + 3, phase);
}

typedef struct load {
    int k, phase;
    atomic_int next;  /* the next step's number (= steps done + the first) */
    atomic_bool stop;
    pthread_t th;
} load;

static void *load_main(void *arg)
{
    load *l = arg;
    PGconn *w = pgt_connect(&cl, "csrc");
    while (!atomic_load(&l->stop)) {
        load_step(w, l->k, atomic_load(&l->next), l->phase);
        atomic_fetch_add(&l->next, 1);
        usleep(10000);
    }
    PQfinish(w);
    return NULL;
}

static void load_start(load *l, int k, int first, int phase)
{
    l->k = k;
    l->phase = phase;
    atomic_store(&l->next, first);
    atomic_store(&l->stop, false);
    if (pthread_create(&l->th, NULL, load_main, l) != 0) {
        fprintf(stderr, "cannot start the load thread\n");
        exit(1);
    }
}

static void load_wait_steps(load *l, int target)
{
    for (int i = 0; i < 600 && atomic_load(&l->next) < target; i++)
        usleep(10000);
}

static void load_stop(load *l)
{
    atomic_store(&l->stop, true);
    pthread_join(l->th, NULL);
}

/* ---- comparing source and destination ---- */

static PGresult *query(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "query failed: %s\n  %s", sql, PQerrorMessage(c));
        exit(1);
    }
    return r;
}

/* Where record texts a and b first differ, with some context: enough to
 * see which column it is without printing 3 KB values. */
static void show_diff(const char *what, long key, const char *a, const char *b)
{
    size_t i = 0;
    while (a[i] && a[i] == b[i])
        i++;
    if (!a[i] && !b[i]) {
        fprintf(stderr, "%s key %ld (values equal):\n  %.100s\n", what, key, a);
        return;
    }
    size_t from = i > 40 ? i - 40 : 0;
    fprintf(stderr, "%s key %ld (first difference at character %zu):\n  source      ...%.100s\n"
            "  destination ...%.100s\n", what, key, i, a + from, b + from);
}

/* Live rows: the destination's not-deleted rows equal the source's, every
 * column compared as record text (md5 of it, plus its start to read). */
static int compare_live(PGconn *src, PGconn *dst, int k)
{
    char q[512];
    snprintf(q, sizeof q, "SELECT r.id, r::text FROM "
             "(SELECT id, t, n, big, ts FROM public.crash_%d) r ORDER BY 1", k);
    PGresult *a = query(src, q);
    snprintf(q, sizeof q, "SELECT r.id, r::text FROM "
             "(SELECT id, t, n, big, ts FROM public.crash_%d WHERE NOT \"_SNOWFLAKE_DELETED\") r ORDER BY 1", k);
    PGresult *b = query(dst, q);
    int na = PQntuples(a), nb = PQntuples(b), i = 0, j = 0, bad = 0;
    while (i < na || j < nb) {
        long ka = i < na ? atol(PQgetvalue(a, i, 0)) : 0, kb = j < nb ? atol(PQgetvalue(b, j, 0)) : 0;
        if (j >= nb || (i < na && ka < kb)) {
            if (bad++ < 10)
                fprintf(stderr, "crash_%d key %ld: missing in the destination (source %.100s)\n", k, ka,
                        PQgetvalue(a, i, 1));
            i++;
        } else if (i >= na || kb < ka) {
            if (bad++ < 10)
                fprintf(stderr, "crash_%d key %ld: live in the destination, not in the source (%.100s)\n", k, kb,
                        PQgetvalue(b, j, 1));
            j++;
        } else {
            if (strcmp(PQgetvalue(a, i, 1), PQgetvalue(b, j, 1)) != 0 && bad++ < 10)
                show_diff("live row differs:", ka, PQgetvalue(a, i, 1), PQgetvalue(b, j, 1));
            i++;
            j++;
        }
    }
    if (bad)
        fprintf(stderr, "crash_%d: %d live row(s) differ (source %d rows, destination %d live)\n", k, bad, na, nb);
    CHECK(na > SEED_ROWS / 2);
    PQclear(a);
    PQclear(b);
    return bad;
}

/* Keys the load deleted (or moved away with a key update), by what the
 * destination must show (docs/merge.md, "Semantics"):
 * - inserted and deleted in one transaction: absent;
 * - a key the destination surely had before the delete - a seed row (read
 *   by the snapshot) deleted in phase >= must_phase, or a row the load
 *   inserted in phase 1 and deleted in phase 2 (the catch-up between merged
 *   it) - is there, soft-deleted, with the values it had when deleted;
 * - any other may be absent (a load row inserted and deleted within one
 *   merge window is never materialized; a seed row deleted before the
 *   snapshot that counts read the table) but, if there, is soft-deleted
 *   with those values.
 * phase2_first = the first load step of phase 2 (INT_MAX before it).
 * *required = how many keys had to be there. */
static int compare_gone(PGconn *src, PGconn *dst, int k, int must_phase, int phase2_first, int *required)
{
    char q[512];
    snprintf(q, sizeof q, "SELECT id, rec, fresh, phase FROM crash_%d_gone ORDER BY 1", k);
    PGresult *a = query(src, q);
    snprintf(q, sizeof q, "SELECT r.id, r::text, \"_SNOWFLAKE_DELETED\" FROM (SELECT id, t, n, big, ts "
             "FROM public.crash_%d) r JOIN public.crash_%d USING (id) ORDER BY 1", k, k);
    PGresult *b = query(dst, q);
    int na = PQntuples(a), nb = PQntuples(b), j = 0, bad = 0;
    *required = 0;
    for (int i = 0; i < na; i++) {
        long key = atol(PQgetvalue(a, i, 0));
        bool fresh = PQgetvalue(a, i, 2)[0] == 't';
        int phase = atoi(PQgetvalue(a, i, 3));
        bool seed = key >= 1 && key <= SEED_ROWS;
        bool load_earlier = key >= 100000 && key < 1000000 && (key - 100000) / 10 < phase2_first && phase == 2;
        bool must = !fresh && ((seed && phase >= must_phase) || load_earlier);
        *required += must;
        while (j < nb && atol(PQgetvalue(b, j, 0)) < key)
            j++;
        bool there = j < nb && atol(PQgetvalue(b, j, 0)) == key;
        const char *why = NULL;
        if (fresh && there)
            why = "inserted and deleted in one transaction, yet in the destination";
        else if (must && !there)
            why = "deleted on the source after it was replicated, missing in the destination";
        else if (there && PQgetvalue(b, j, 2)[0] != 't')
            why = "deleted on the source, live in the destination";
        else if (there && strcmp(PQgetvalue(a, i, 1), PQgetvalue(b, j, 1)) != 0)
            why = "soft-deleted with other values than it had when deleted";
        if (why && bad++ < 10) {
            char what[200];
            snprintf(what, sizeof what, "crash_%d: %s:", k, why);
            show_diff(what, key, PQgetvalue(a, i, 1), there ? PQgetvalue(b, j, 1) : "(none)");
        }
    }
    if (bad)
        fprintf(stderr, "crash_%d: %d deleted key(s) wrong\n", k, bad);
    PQclear(a);
    PQclear(b);
    return bad;
}

/* Everything the test promises about the destination after a catch-up. */
static void compare(PGconn *src, PGconn *dst, int k, int must_phase, int phase2_first, int min_required,
                    const char *when)
{
    fprintf(stderr, "crash_%d: comparing %s\n", k, when);
    CHECK_INT(compare_live(src, dst, k), 0);
    int required = 0;
    CHECK_INT(compare_gone(src, dst, k, must_phase, phase2_first, &required), 0);
    CHECK_MSG(required >= min_required, "crash_%d: only %d deleted keys had to be soft-deleted: the load did too "
              "little", k, required);
    char *v = pgt_query_value(dst, "SELECT count(*) - count(DISTINCT id) FROM public.crash_%d", k);
    CHECK_STR(v, "0");
    free(v);
    v = pgt_query_value(dst, "SELECT string_agg(state, ',') FROM pgcdc_state.\"_PGCDC_TABLE_STATE\"");
    CHECK_STR(v, "INCREMENTAL_REPLICATION");
    free(v);
}

/* ---- one crash point ---- */

static long long num(PGconn *c, const char *sql)
{
    char *v = pgt_query_value(c, "%s", sql);
    long long n = atoll(v);
    free(v);
    return n;
}

/* The state a crash at the point leaves, where it is certain: proof that
 * the crash came at that moment and not near it. */
static void point_state(PGconn *src, PGconn *dst, int k, const char *at)
{
    long long durable = num(dst, "SELECT confirmed_lsn FROM pgcdc_state.\"_PGCDC_SOURCE_STATE\"");
    char q[300];
    snprintf(q, sizeof q, "SELECT pg_wal_lsn_diff(confirmed_flush_lsn, '0/0')::bigint FROM pg_replication_slots "
             "WHERE slot_name = 'crash_slot_%d'", k);
    long long slot = num(src, q);
    snprintf(q, sizeof q, "SELECT merged_lsn FROM public.\"_PGCDC_MERGE_STATE\" WHERE table_name = 'crash_%d'", k);
    long long merged = num(dst, q);
    if (!strncmp(at, "journal-written", 15))
        /* the write committed its position; the stream never heard of it */
        CHECK_MSG(durable > slot, "crash_%d: durable position %lld, slot confirmed %lld", k, durable, slot);
    if (!strncmp(at, "merge-before-commit", 19))
        /* journal rows written, their merge rolled back */
        CHECK_MSG(merged < durable - 1, "crash_%d: merged %lld, durable %lld", k, merged, durable);
}

static void crash_case_run(PGconn *src, PGconn *adm, int k, const crash_case *cc)
{
    char conf[300], log[300], log2[300], log3[300], dbname[32];
    snprintf(conf, sizeof conf, "%s/crash_%d.conf", tmpdir, k);
    snprintf(log, sizeof log, "%s/crash_%d.crash.log", tmpdir, k);
    snprintf(log2, sizeof log2, "%s/crash_%d.restart.log", tmpdir, k);
    snprintf(log3, sizeof log3, "%s/crash_%d.again.log", tmpdir, k);
    snprintf(dbname, sizeof dbname, "cdst_%d", k);
    fprintf(stderr, "crash_%d: PGCDC_CRASH_AT=%s\n", k, cc->at);
    create_source(src, k);
    pgt_exec(adm, "CREATE DATABASE cdst_%d", k);
    PGconn *dst = pgt_connect(&cl, dbname);
    write_conf(conf, k);

    /* 1-2: the load, the runner that must kill itself at the point */
    load l;
    unlink(log);
    pid_t pid;
    if (cc->in_snapshot) {
        load_start(&l, k, 0, 1);
        load_wait_steps(&l, 5);
        pid = rt_spawn_run(conf, false, log, cc->at);
    } else {
        pid = rt_spawn_run(conf, false, log, cc->at);
        for (int i = 0; i < 600 && !rt_log_has(log, "streaming changes"); i++)
            usleep(20000);
        load_start(&l, k, 0, 1);
    }
    int st = 0;
    bool ended = rt_wait(pid, 40, &st);
    int steps_at_crash = atomic_load(&l.next);
    bool killed = ended && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL;
    CHECK_MSG(killed, "crash_%d: the runner with PGCDC_CRASH_AT=%s %s", k, cc->at,
              !ended ? "did not crash within 40 s" : "ended without SIGKILL");
    if (!killed)
        rt_show_log(log, "the crashing run");
    CHECK_MSG(steps_at_crash >= 3, "crash_%d: the crash came before the load (%d transactions)", k, steps_at_crash);
    if (cc->in_snapshot) {
        /* died in the snapshot, after some but not all rows reached the journal */
        CHECK(rt_log_has(log, "changed from NEW to SNAPSHOT_REPLICATION"));
        CHECK(!rt_log_has(log, "rows snapshotted"));
        char *v = pgt_query_value(dst, "SELECT string_agg(relname, ' ') FROM pg_class WHERE relname ~ "
                                  "'^crash_%d_JOURNAL_[0-9]+_[0-9]+$'", k);
        char *n = strchr(v, ' ') || !v[0] ? strdup("none or several journals")
                                          : pgt_query_value(dst, "SELECT count(*) FROM public.\"%s\"", v);
        CHECK_MSG(atol(n) > 0 && atol(n) < SEED_ROWS, "crash_%d: journal %s has %s rows at the crash, want a part "
                  "of the table's %d: the plan must have several chunks", k, v, n, SEED_ROWS);
        free(n);
        free(v);
    } else {
        CHECK(rt_log_has(log, "streaming changes"));
        point_state(src, dst, k, cc->at);
    }

    /* 3: more load with the runner dead, then the restart */
    load_wait_steps(&l, steps_at_crash + 20);
    load_stop(&l);
    int next = atomic_load(&l.next);
    CHECK_INT(rt_run_caught_up(conf, log2, 0), 0);
    /* a crash in the snapshot: keys deleted before the next snapshot need not be there */
    compare(src, dst, k, cc->in_snapshot ? 2 : 1, INT_MAX, cc->in_snapshot ? 0 : 20, "after the restart");

    /* 4: the replication goes on from where the restart left it */
    for (int i = 0; i < 25; i++)
        load_step(src, k, next + i, 2);
    CHECK_INT(rt_run_caught_up(conf, log3, 0), 0);
    compare(src, dst, k, cc->in_snapshot ? 2 : 1, next, 20, "after a further load and catch-up");
    fprintf(stderr, "crash_%d: %d load transactions, crash after %d\n", k, next + 25, steps_at_crash);
    PQfinish(dst);
}

int main(int argc, char **argv)
{
    int start = rt_begin(argc, argv, "crash", tmpdir, sizeof tmpdir);
    if (start != 0)
        return start;
    unsetenv("PGCDC_CRASH_AT"); /* only the crashing runs get it */
    pgt_cluster_start(&cl, pgt_major(), "-c wal_sender_timeout=4s");
    PGconn *adm = pgt_connect(&cl, "postgres");
    pgt_exec(adm, "CREATE DATABASE csrc");
    PGconn *src = pgt_connect(&cl, "csrc");
    /* ~3.2 KB of md5 hex: above the TOAST threshold */
    pgt_exec(src, "CREATE FUNCTION crash_big(s int) RETURNS text LANGUAGE sql IMMUTABLE AS "
                  "$$ SELECT string_agg(md5(s || ':' || k), '') FROM generate_series(1, 100) k $$");

    int only = getenv("PGCDC_TEST_CRASH_CASE") ? atoi(getenv("PGCDC_TEST_CRASH_CASE")) : 0;
    for (int k = 1; k <= (int)(sizeof cases / sizeof cases[0]); k++)
        if (!only || only == k)
            crash_case_run(src, adm, k, &cases[k - 1]);

    PQfinish(src);
    PQfinish(adm);
    pgt_cluster_stop(&cl);
    rt_tmpdir_remove(tmpdir);
    return pgt_done("pipeline-crash");
}
