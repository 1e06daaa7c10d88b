/* test_pipeline_safety.c - the runner's safety defects of issue 8, each
 * against real servers (one cluster, wal_sender_timeout = 2s throughout):
 *
 *   slots      (item 1)  a physical slot, a test_decoding slot and another
 *                        destination's slot of the same name are refused,
 *                        named, and left alone; the owner goes on losing
 *                        nothing
 *   failed     (item 2)  a merge refused for one table (a unique index on the
 *                        destination, two rows of repeat('é', 400)) while the
 *                        state table is locked (lock_timeout): the table does
 *                        not leave the stream until FAILED is recorded, then
 *                        it is FAILED durably with its message whole
 *   pattern    (item 5)  a Destination Schema Pattern too long for one
 *                        regex-matched table fails that table alone
 *   logs       (item 10) a table name with a newline forges no log line nor
 *                        stored line; an unpublished regex match is warned
 *                        about once over several refreshes
 *   slow merge (item 13) merges longer than wal_sender_timeout keep the
 *                        stream
 *
 * argv[1] = the pgcdc binary. */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runner.h"

static char tmpdir[256];
static pgt_cluster cl;

static void paths(const char *name, char *conf, char *log)
{
    snprintf(conf, 300, "%s/%s.conf", tmpdir, name);
    snprintf(log, 300, "%s/%s.log", tmpdir, name);
    unlink(log);
}

static void conf_for(const char *path, const char *slot, const char *destdb, const char *names, const char *regex,
                     const char *pattern)
{
    rt_write_conf(path, &(rt_conf){.source_port = cl.port, .source_db = "ssrc", .publication = "s_pub",
                                   .slot = slot, .dest_port = cl.port, .dest_db = destdb, .names = names,
                                   .regex = regex, .schema_pattern = pattern, .cron = "* * * * * ?"});
}

static long count(PGconn *c, const char *sql)
{
    char *v = pgt_query_value(c, "%s", sql);
    long n = atol(v);
    free(v);
    return n;
}

/* How often s occurs in the file. */
static int occurrences(const char *log, const char *s)
{
    char *text = rt_read_file(log);
    int n = 0;
    for (const char *p = text; (p = strstr(p, s)) != NULL; p += strlen(s))
        n++;
    free(text);
    return n;
}

static bool wait_log(const char *log, const char *s, int seconds)
{
    for (int i = 0; i < seconds * 20; i++) {
        if (rt_log_has(log, s))
            return true;
        usleep(50000);
    }
    return false;
}

static char *slot_state(PGconn *src, const char *slot)
{
    char *v = pgt_query_value(src, "SELECT coalesce(string_agg(slot_type || ' ' || coalesce(plugin, '-') || ' ' || "
                              "coalesce(confirmed_flush_lsn::text, '-'), ','), 'gone') FROM pg_replication_slots "
                              "WHERE slot_name = '%s'", slot);
    return v;
}

/* Item 1: slots pgcdc did not create are refused, named and left alone. */
static void foreign_slots(PGconn *src, PGconn *adm)
{
    char conf[300], log[300];
    pgt_exec(adm, "CREATE DATABASE sdst1");
    pgt_exec(adm, "CREATE DATABASE sdst2");
    pgt_exec(src, "SELECT pg_create_physical_replication_slot('s_phys', true)");
    pgt_exec(src, "SELECT pg_create_logical_replication_slot('s_td', 'test_decoding')");
    char *phys = slot_state(src, "s_phys"), *td = slot_state(src, "s_td");

    paths("phys", conf, log);
    conf_for(conf, "s_phys", "sdst1", "public.s_ok", NULL, NULL);
    CHECK_INT(rt_wait_exit(rt_spawn_run(conf, true, log, NULL), 60), 1);
    CHECK(rt_log_has(log, "replication slot s_phys already exists"));
    CHECK(rt_log_has(log, "physical slot"));
    CHECK(rt_log_has(log, "pg_drop_replication_slot('s_phys')"));
    CHECK_STR_FREE(slot_state(src, "s_phys"), phys);

    paths("td", conf, log);
    conf_for(conf, "s_td", "sdst1", "public.s_ok", NULL, NULL);
    CHECK_INT(rt_wait_exit(rt_spawn_run(conf, true, log, NULL), 60), 1);
    CHECK(rt_log_has(log, "logical slot with plugin test_decoding in database ssrc"));
    CHECK_STR_FREE(slot_state(src, "s_td"), td);
    free(phys);
    free(td);
    pgt_exec(src, "SELECT pg_drop_replication_slot('s_phys')");
    pgt_exec(src, "SELECT pg_drop_replication_slot('s_td')");

    /* two destinations configured with one slot name: the first owns it */
    char conf2[300], log2[300];
    paths("owner", conf, log);
    conf_for(conf, "s_shared", "sdst1", "public.s_ok", NULL, NULL);
    CHECK_INT(rt_run_caught_up(conf, log, 0), 0);
    pgt_exec(src, "INSERT INTO s_ok SELECT g, 'before the second ' || g FROM generate_series(101, 120) g");
    char *owned = slot_state(src, "s_shared");
    paths("second", conf2, log2);
    conf_for(conf2, "s_shared", "sdst2", "public.s_ok", NULL, NULL);
    CHECK_INT(rt_wait_exit(rt_spawn_run(conf2, true, log2, NULL), 60), 1);
    CHECK(rt_log_has(log2, "replication slot s_shared already exists"));
    CHECK(rt_log_has(log2, "plugin pgoutput in database ssrc"));
    CHECK(rt_log_has(log2, "this destination has no record of it"));
    CHECK_STR_FREE(slot_state(src, "s_shared"), owned); /* not dropped, not moved */
    free(owned);
    pgt_exec(src, "INSERT INTO s_ok SELECT g, 'after the second ' || g FROM generate_series(121, 140) g");
    CHECK_INT(rt_run_caught_up(conf, log, 0), 0);
    PGconn *d1 = pgt_connect(&cl, "sdst1");
    CHECK(rt_same(src, "SELECT id, v FROM s_ok", d1, "SELECT id, v FROM public.s_ok WHERE NOT \"_SNOWFLAKE_DELETED\""));
    PQfinish(d1);
    pgt_try_exec(src, "SELECT pg_drop_replication_slot('s_shared')");
}

/* Item 2: a table leaves the stream only once FAILED is durable. */
static void failed_durably(PGconn *src, PGconn *adm)
{
    char conf[300], log[300];
    pgt_exec(adm, "CREATE DATABASE sdst3");
    paths("failed", conf, log);
    conf_for(conf, "s_failed", "sdst3", "public.s_u, public.s_ok", NULL, NULL);
    CHECK_INT(rt_run_caught_up(conf, log, 0), 0);
    PGconn *dst = pgt_connect(&cl, "sdst3");
    pgt_exec(dst, "CREATE UNIQUE INDEX s_u_v ON public.s_u (v)");
    pgt_exec(adm, "ALTER DATABASE sdst3 SET lock_timeout = '500ms'");
    /* the FAILED write cannot get through while this lock is held */
    PGconn *locker = pgt_connect(&cl, "sdst3");
    pgt_exec(locker, "BEGIN");
    pgt_exec(locker, "LOCK TABLE pgcdc_state.\"_PGCDC_TABLE_STATE\" IN EXCLUSIVE MODE");
    /* the unique violation's message shows the value: long, multi-byte */
    pgt_exec(src, "INSERT INTO s_u VALUES (1, repeat('é', 400)), (2, repeat('é', 400))");
    pgt_exec(src, "INSERT INTO s_ok SELECT g, 'with the failure ' || g FROM generate_series(201, 210) g");
    paths("failed", conf, log);
    pid_t pid = rt_spawn_run(conf, true, log, NULL);
    CHECK(wait_log(log, "its FAILED state could not be recorded", 30));
    CHECK(wait_log(log, "interim error, retrying", 10));
    CHECK_INT(waitpid(pid, NULL, WNOHANG), 0); /* retrying: the table has not left the stream */
    char *st = pgt_query_value(dst, "SELECT state FROM pgcdc_state.\"_PGCDC_TABLE_STATE\" WHERE table_name = "
                               "'public.s_u'");
    CHECK_STR(st, "INCREMENTAL_REPLICATION");
    free(st);
    pgt_exec(locker, "ROLLBACK");
    PQfinish(locker);
    CHECK_INT(rt_wait_exit(pid, 60), 1); /* --until-caught-up: 1 when a table FAILED */
    st = pgt_query_value(dst, "SELECT state || ' ' || (message LIKE '%%duplicate key%%')::text || ' ' || "
                         "(position(E'\\n' in message) = 0)::text FROM pgcdc_state.\"_PGCDC_TABLE_STATE\" WHERE "
                         "table_name = 'public.s_u'");
    CHECK_STR(st, "FAILED true true");
    free(st);
    CHECK(rt_same(src, "SELECT id, v FROM s_ok", dst, "SELECT id, v FROM public.s_ok WHERE NOT \"_SNOWFLAKE_DELETED\""));
    /* the merge error is one line: no line of the log starts inside the SQL */
    CHECK_INT(occurrences(log, "\nUSING "), 0);
    CHECK_INT(occurrences(log, "\nDETAIL:"), 0);
    pgt_exec(adm, "ALTER DATABASE sdst3 RESET lock_timeout");
    PQfinish(dst);
    pgt_try_exec(src, "SELECT pg_drop_replication_slot('s_failed')");
}

/* Item 5: a schema name too long for one table fails that table alone. */
static void long_schema_name(PGconn *src, PGconn *adm)
{
    char conf[300], log[300];
    const char *longname = "p5_a_table_name_long_enough_to_overflow_the_schema_name_xxxx";
    pgt_exec(adm, "CREATE DATABASE sdst4");
    pgt_exec(src, "CREATE TABLE p5_short (id int PRIMARY KEY, v text)");
    pgt_exec(src, "CREATE TABLE %s (id int PRIMARY KEY, v text)", longname);
    pgt_exec(src, "INSERT INTO p5_short SELECT g, 'p5 ' || g FROM generate_series(1, 10) g");
    pgt_exec(src, "INSERT INTO %s VALUES (1, 'long')", longname);
    pgt_exec(src, "ALTER PUBLICATION s_pub ADD TABLE p5_short, %s", longname);
    paths("pattern", conf, log);
    conf_for(conf, "s_pattern", "sdst4", NULL, "public\\.p5_.*", "${source.database.name}_${source.table.name}");
    CHECK_INT(rt_run_caught_up(conf, log, 1), 1); /* 1: a table FAILED; the run went on */
    CHECK(rt_log_has(log, "Destination Schema Pattern gives the schema name"));
    PGconn *dst = pgt_connect(&cl, "sdst4");
    char *st = pgt_query_value(dst, "SELECT string_agg(table_name || ' ' || state, ',' ORDER BY table_name) FROM "
                               "pgcdc_state.\"_PGCDC_TABLE_STATE\"");
    char want[300];
    snprintf(want, sizeof want, "public.%s FAILED,public.p5_short INCREMENTAL_REPLICATION", longname);
    CHECK_STR(st, want);
    free(st);
    pgt_exec(src, "INSERT INTO p5_short SELECT g, 'later ' || g FROM generate_series(11, 20) g");
    CHECK_INT(rt_run_caught_up(conf, log, 1), 1);
    CHECK(rt_same(src, "SELECT id, v FROM p5_short", dst,
                  "SELECT id, v FROM ssrc_p5_short.p5_short WHERE NOT \"_SNOWFLAKE_DELETED\""));
    PQfinish(dst);
    pgt_try_exec(src, "SELECT pg_drop_replication_slot('s_pattern')");
}

/* Item 10: names are shown, never acted on; a skipped table is named once. */
static void hostile_names(PGconn *src, PGconn *adm)
{
    char conf[300], log[300];
    pgt_exec(adm, "CREATE DATABASE sdst5");
    /* no key: it fails, and its message names it */
    pgt_exec(src, "CREATE TABLE \"nl\nERROR forged line\" (v text)");
    pgt_exec(src, "CREATE TABLE nl_ok (id int PRIMARY KEY, v text)");
    pgt_exec(src, "CREATE TABLE nl_unpub (id int PRIMARY KEY, v text)");
    pgt_exec(src, "ALTER PUBLICATION s_pub ADD TABLE \"nl\nERROR forged line\", nl_ok");
    pgt_exec(src, "INSERT INTO nl_ok VALUES (1, 'one')");
    paths("names", conf, log);
    conf_for(conf, "s_names", "sdst5", NULL, "public\\.nl.*", NULL);
    pid_t pid = rt_spawn_run(conf, false, log, NULL);
    CHECK(wait_log(log, "streaming changes", 60));
    sleep(8); /* two refreshes of the table selection at least (every 3 s) */
    kill(pid, SIGTERM);
    CHECK_INT(rt_wait_exit(pid, 30), 0);
    CHECK_INT(occurrences(log, "\nERROR forged line"), 0);
    CHECK(rt_log_has(log, "nl\\nERROR forged line"));
    CHECK_INT(occurrences(log, "public.nl_unpub matches Included Table Regex, but it is not in publication"), 1);
    PGconn *dst = pgt_connect(&cl, "sdst5");
    char *st = pgt_query_value(dst, "SELECT state || ' ' || (position(E'\\n' in message) = 0)::text || ' ' || "
                               "(message LIKE '%%nl\\\\nERROR forged line%%')::text FROM "
                               "pgcdc_state.\"_PGCDC_TABLE_STATE\" WHERE table_name = E'public.nl\\nERROR forged line'");
    CHECK_STR(st, "FAILED true true");
    free(st);
    CHECK_INT(count(dst, "SELECT count(*) FROM public.nl_ok"), 1);
    PQfinish(dst);
    pgt_try_exec(src, "SELECT pg_drop_replication_slot('s_names')");
}

/* Item 13: merges longer than wal_sender_timeout (2 s here) keep the stream:
 * no attempt ends, every change arrives. */
static void slow_merges(PGconn *src, PGconn *adm)
{
    char conf[300], log[300];
    pgt_exec(adm, "CREATE DATABASE sdst6");
    pgt_exec(src, "CREATE TABLE slow1 (id int PRIMARY KEY, v text)");
    pgt_exec(src, "ALTER PUBLICATION s_pub ADD TABLE slow1");
    paths("slow", conf, log);
    conf_for(conf, "s_slow", "sdst6", "public.slow1", NULL, NULL);
    CHECK_INT(rt_run_caught_up(conf, log, 0), 0);
    PGconn *dst = pgt_connect(&cl, "sdst6");
    pgt_exec(dst, "CREATE FUNCTION slow() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(3); "
                  "RETURN NULL; END $$");
    pgt_exec(dst, "CREATE TRIGGER slow AFTER INSERT ON public.slow1 FOR EACH STATEMENT EXECUTE FUNCTION slow()");
    paths("slow", conf, log);
    pid_t pid = rt_spawn_run(conf, false, log, NULL);
    CHECK(wait_log(log, "streaming changes", 60));
    for (int round = 1; round <= 2; round++) {
        pgt_exec(src, "INSERT INTO slow1 VALUES (%d, 'slow')", round);
        bool arrived = false;
        for (int i = 0; i < 300 && !arrived; i++) {
            usleep(50000);
            char q[100];
            snprintf(q, sizeof q, "SELECT count(*) FROM public.slow1 WHERE id = %d", round);
            arrived = count(dst, q) == 1;
        }
        CHECK(arrived);
    }
    sleep(1); /* the stream is read again after the last slow merge */
    kill(pid, SIGTERM);
    CHECK_INT(rt_wait_exit(pid, 30), 0);
    CHECK(!rt_log_has(log, "interim error"));
    if (rt_log_has(log, "interim error"))
        rt_show_log(log, "the stream was lost during a merge");
    PQfinish(dst);
    pgt_try_exec(src, "SELECT pg_drop_replication_slot('s_slow')");
}

int main(int argc, char **argv)
{
    int start = rt_begin(argc, argv, "safety", tmpdir, sizeof tmpdir);
    if (start != 0)
        return start;
    pgt_cluster_start(&cl, pgt_major(), "-c wal_sender_timeout=2s");
    PGconn *adm = pgt_connect(&cl, "postgres");
    pgt_exec(adm, "CREATE DATABASE ssrc");
    PGconn *src = pgt_connect(&cl, "ssrc");
    pgt_exec(src, "CREATE TABLE s_ok (id int PRIMARY KEY, v text)");
    pgt_exec(src, "CREATE TABLE s_u (id int PRIMARY KEY, v text)");
    pgt_exec(src, "INSERT INTO s_ok SELECT g, 'row ' || g FROM generate_series(1, 100) g");
    pgt_exec(src, "CREATE PUBLICATION s_pub FOR TABLE s_ok, s_u");

    const char *only = getenv("PGCDC_TEST_ONLY"); /* one part, when debugging */
    if (!only || !strcmp(only, "slots"))
        foreign_slots(src, adm);
    if (!only || !strcmp(only, "failed"))
        failed_durably(src, adm);
    if (!only || !strcmp(only, "pattern"))
        long_schema_name(src, adm);
    if (!only || !strcmp(only, "logs"))
        hostile_names(src, adm);
    if (!only || !strcmp(only, "slow"))
        slow_merges(src, adm);

    PQfinish(src);
    PQfinish(adm);
    pgt_cluster_stop(&cl);
    rt_tmpdir_remove(tmpdir);
    return pgt_done("pipeline-safety");
}
