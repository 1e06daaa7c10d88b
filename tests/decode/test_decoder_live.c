/* test_decoder_live.c - the pgoutput decoder fed by a live server of the
 * version under test (PGCDC_TEST_PG_VERSION): every message kind the server
 * speaks, DML, TOAST, replica identity, streaming with rolled-back
 * subtransactions and spilling, two-phase, DDL between changes, messages. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pgcdc/decoder.h"
#include "pgcdc/lsn.h"
#include "events.h"
#include "pgt.h"
#include "sqlfeed.h"

static pgt_cluster cluster;
static PGconn *db;
static int major;

typedef struct scenario {
    const char *slot;
    char options[512];
    pgcdc_decoder *dec;
    event_log log;
} scenario;

static void scenario_start(scenario *s, const char *slot, bool two_phase, bool binary, size_t memory_limit)
{
    memset(s, 0, sizeof *s);
    s->slot = slot;
    if (two_phase && major >= 15)
        pgt_exec(db, "SELECT pg_create_logical_replication_slot('%s', 'pgoutput', false, true)", slot);
    else
        pgt_exec(db, "SELECT pg_create_logical_replication_slot('%s', 'pgoutput')", slot);
    int proto = sqlfeed_options(major, "pub", two_phase, binary, s->options, sizeof s->options);
    event_log_init(&s->log);
    pgcdc_decoder_options o = {.proto_version = proto, .memory_limit = memory_limit};
    pgcdc_error err;
    CHECK_INT(pgcdc_decoder_new(&o, event_log_sink, &s->log, &s->dec, &err), PGCDC_OK);
}

static void scenario_drain(scenario *s)
{
    pgcdc_error err = {0};
    pgcdc_code rc = sqlfeed_drain(db, s->slot, s->options, s->dec, &s->log, &err);
    CHECK_MSG(rc == PGCDC_OK, "decode failed: %s", err.message);
}

static int kinds_seen[256]; /* message kinds fed over all scenarios */

static void scenario_end(scenario *s)
{
    for (int i = 0; i < 256; i++)
        kinds_seen[i] += s->log.kinds_seen[i];
    pgcdc_decoder_free(s->dec);
    event_log_free(&s->log);
    pgt_exec(db, "SELECT pg_drop_replication_slot('%s')", s->slot);
}

/* Every message kind the server's protocol version has was decoded at least once. */
static void test_all_kinds_seen(void)
{
    const char *kinds = major >= 15 ? "BCORYIUDTMSEcAbPKrp" : major >= 14 ? "BCORYIUDTMSEcA" : "BCORYIUDT";
    for (const char *k = kinds; *k; k++)
        CHECK_MSG(kinds_seen[(unsigned char)*k] > 0, "message kind '%c' never came from PostgreSQL %d", *k, major);
}

/* Expects these lines, in this order, as a subsequence of the log. */
static void expect_sequence(const event_log *log, const char *const *lines, const char *what)
{
    int at = 0;
    for (int i = 0; lines[i]; i++) {
        int found = event_log_find(log, lines[i], at);
        CHECK_MSG(found >= 0, "%s: missing (in order) \"%s\"", what, lines[i]);
        if (found < 0) {
            event_log_dump(log, what);
            return;
        }
        at = found + 1;
    }
}

static void test_dml(void)
{
    scenario s;
    scenario_start(&s, "dml", false, false, 0);
    pgt_exec(db, "INSERT INTO app.items VALUES (1, 'apple', 10), (2, 'pear', NULL)");
    pgt_exec(db, "UPDATE app.items SET qty = 11 WHERE id = 1");
    char *before = pgt_query_value(db, "SELECT pg_current_wal_lsn()");
    pgt_exec(db, "UPDATE app.items SET id = 3 WHERE id = 2");
    pgt_exec(db, "DELETE FROM app.items WHERE id = 1");
    pgt_exec(db, "TRUNCATE app.items, app.other RESTART IDENTITY CASCADE");
    scenario_drain(&s);
    const char *expected[] = {
        "BEGIN", "RELATION app.items gen=1 (id*,name,qty)",
        "INSERT app.items new=('1','apple','10')", "INSERT app.items new=('2','pear',NULL)", "COMMIT changes=2",
        "BEGIN", "UPDATE app.items new=('1','apple','11')", "COMMIT changes=1",
        "BEGIN", "UPDATE app.items key=('2',NULL,NULL) new=('3','pear',NULL)", "COMMIT changes=1",
        "BEGIN", "DELETE app.items key=('1',NULL,NULL)", "COMMIT changes=1",
        "BEGIN", "TRUNCATE app.items app.other cascade restart-identity", "COMMIT changes=1",
        NULL};
    expect_sequence(&s.log, expected, "dml");
    CHECK_INT(s.log.commits, 5);
    CHECK_INT(event_log_count_prefix(&s.log, "RELATION app.other"), 1);

    /* the transaction facts of the last commit are those of the server */
    pgcdc_lsn before_lsn;
    CHECK_INT(pgcdc_lsn_parse(before, &before_lsn), 0);
    CHECK(s.log.last_commit.commit_lsn > before_lsn);
    CHECK(s.log.last_commit.end_lsn > s.log.last_commit.commit_lsn);
    int64_t now_pg = (int64_t)time(NULL) * 1000000LL - PGCDC_PG_EPOCH_UNIX_SECONDS * 1000000LL;
    CHECK(s.log.last_commit.commit_time > now_pg - 120 * 1000000LL && s.log.last_commit.commit_time < now_pg + 120 * 1000000LL);
    CHECK(!s.log.last_commit.streamed && !s.log.last_commit.prepared);
    free(before);
    scenario_end(&s);
}

/* The xid and LSNs a change carries are the transaction's. */
typedef struct xid_probe {
    uint32_t xid;
    uint64_t seqs[8];
    int nseq;
    pgcdc_lsn commit_lsn, end_lsn;
    pgcdc_lsn change_lsn_min;
} xid_probe;

static int xid_sink(void *ud, const pgcdc_event *ev, pgcdc_error *err)
{
    (void)err;
    xid_probe *p = ud;
    if (ev->kind == PGCDC_EV_INSERT && p->nseq < 8) {
        p->xid = ev->txn->xid;
        p->commit_lsn = ev->txn->commit_lsn;
        p->seqs[p->nseq++] = ev->seq;
        if (!p->change_lsn_min || ev->lsn < p->change_lsn_min)
            p->change_lsn_min = ev->lsn;
    }
    if (ev->kind == PGCDC_EV_COMMIT)
        p->end_lsn = ev->txn->end_lsn;
    return 0;
}

static void test_txn_facts(void)
{
    pgt_exec(db, "SELECT pg_create_logical_replication_slot('facts', 'pgoutput')");
    char opts[512];
    sqlfeed_options(major, "pub", false, false, opts, sizeof opts);
    char *xid = pgt_query_value(db, "BEGIN; INSERT INTO app.items VALUES (10, 'x', 1), (11, 'y', 2), (12, 'z', 3); "
                                    "SELECT txid_current()");
    pgt_exec(db, "COMMIT");
    char *end = pgt_query_value(db, "SELECT pg_current_wal_lsn()");
    xid_probe p = {0};
    pgcdc_decoder *dec;
    pgcdc_error err;
    CHECK_INT(pgcdc_decoder_new(NULL, xid_sink, &p, &dec, &err), PGCDC_OK);
    event_log unused;
    event_log_init(&unused);
    CHECK_INT(sqlfeed_drain(db, "facts", opts, dec, &unused, &err), PGCDC_OK);
    CHECK_INT(p.xid, strtoul(xid, NULL, 10));
    CHECK_INT(p.nseq, 3);
    CHECK(p.seqs[0] == 0 && p.seqs[1] == 1 && p.seqs[2] == 2);
    pgcdc_lsn end_lsn;
    pgcdc_lsn_parse(end, &end_lsn);
    CHECK(p.change_lsn_min < p.commit_lsn);
    CHECK(p.end_lsn > p.commit_lsn && p.end_lsn <= end_lsn);
    pgcdc_decoder_free(dec);
    event_log_free(&unused);
    free(xid);
    free(end);
    pgt_exec(db, "DELETE FROM app.items; SELECT pg_drop_replication_slot('facts')");
}

static void test_toast_and_identity_full(void)
{
    scenario s;
    scenario_start(&s, "toast", false, false, 0);
    /* 20000 chars that do not compress, stored out of line */
    pgt_exec(db, "INSERT INTO app.docs VALUES (1, (SELECT string_agg(md5(g::text), '') FROM generate_series(1, 625) g), 'v1')");
    pgt_exec(db, "UPDATE app.docs SET note = 'v2' WHERE id = 1");
    pgt_exec(db, "INSERT INTO app.full_ident VALUES (1, 'a', 'b')");
    pgt_exec(db, "UPDATE app.full_ident SET b = 'c' WHERE id = 1");
    pgt_exec(db, "DELETE FROM app.full_ident WHERE id = 1");
    scenario_drain(&s);
    const char *expected[] = {
        "INSERT app.docs new=('1','<20000 chars>','v1')",
        "UPDATE app.docs new=('1',UNCHANGED,'v2')",
        "INSERT app.full_ident new=('1','a','b')",
        "UPDATE app.full_ident old=('1','a','b') new=('1','a','c')",
        "DELETE app.full_ident old=('1','a','c')",
        NULL};
    expect_sequence(&s.log, expected, "toast + replica identity full");
    scenario_end(&s);
}

static void test_streamed_with_rolled_back_subtransaction(void)
{
    scenario s;
    /* a small memory limit forces the held transaction to spill to disk */
    scenario_start(&s, "big", false, false, 256 * 1024);
    pgt_exec(db, "BEGIN;"
                 "INSERT INTO app.big SELECT g, repeat('x', 100) FROM generate_series(1, 5000) g;"
                 "SAVEPOINT s1;"
                 "INSERT INTO app.big SELECT g, 'rolled back' FROM generate_series(100001, 102000) g;"
                 "SAVEPOINT s2;"
                 "INSERT INTO app.big SELECT g, 'nested, rolled back' FROM generate_series(200001, 201000) g;"
                 "ROLLBACK TO SAVEPOINT s1;"
                 "SAVEPOINT s3;"
                 "INSERT INTO app.big SELECT g, 'kept' FROM generate_series(5001, 6000) g;"
                 "RELEASE SAVEPOINT s3;"
                 "COMMIT");
    /* a whole streamed transaction that aborts */
    pgt_exec(db, "BEGIN; INSERT INTO app.big SELECT g, 'aborted' FROM generate_series(300001, 306000) g; ROLLBACK");
    pgt_exec(db, "INSERT INTO app.big VALUES (7000, 'after')");
    scenario_drain(&s);

    int inserts = event_log_count_prefix(&s.log, "INSERT app.big");
    CHECK_INT(inserts, 6001);
    CHECK_INT(event_log_count_prefix(&s.log, "INSERT app.big new=('1000"), 1);   /* 1000 itself */
    CHECK_INT(event_log_count_prefix(&s.log, "INSERT app.big new=('10000"), 0);  /* no 100001.. */
    CHECK_INT(event_log_count_prefix(&s.log, "INSERT app.big new=('20000"), 0);  /* no 200001.. */
    CHECK_INT(event_log_count_prefix(&s.log, "INSERT app.big new=('30000"), 0);  /* no 300001.. */
    CHECK_INT(s.log.commits, 2);
    /* order kept: 1..5000 then 5001..6000, then the later transaction */
    int i5000 = event_log_find(&s.log, "INSERT app.big new=('5000','<100 chars>')", 0);
    int i5001 = event_log_find(&s.log, "INSERT app.big new=('5001','kept')", 0);
    int i7000 = event_log_find(&s.log, "INSERT app.big new=('7000','after')", 0);
    CHECK_MSG(i5000 > 0 && i5001 == i5000 + 1 && i7000 > i5001, "order: %d %d %d (%s)", i5000, i5001, i7000, i5000 > 0 ? s.log.lines[i5000 + 1] : "");

    pgcdc_decoder_stats st;
    pgcdc_decoder_get_stats(s.dec, &st);
    if (major >= 14) {
        CHECK_MSG(s.log.kinds_seen['S'] > 0 && s.log.kinds_seen['E'] > 0 && s.log.kinds_seen['c'] > 0,
                  "expected the big transaction to be streamed (S=%d E=%d c=%d)", s.log.kinds_seen['S'],
                  s.log.kinds_seen['E'], s.log.kinds_seen['c']);
        CHECK_MSG(s.log.kinds_seen['A'] >= 2, "S=%d A=%d c=%d", s.log.kinds_seen['S'], s.log.kinds_seen['A'], s.log.kinds_seen['c']); /* the subtransactions and the aborted transaction */
        CHECK_INT(event_log_count_prefix(&s.log, "BEGIN streamed"), 1);
        CHECK_INT(event_log_count_prefix(&s.log, "STREAM_ABORT"), s.log.kinds_seen['A']);
        CHECK_MSG(st.spilled_bytes > 0, "a 256 KiB limit should have spilled (peak %zu)", st.peak_buffered_bytes);
        CHECK_MSG(st.peak_buffered_bytes <= 256 * 1024, "peak %zu over the limit", st.peak_buffered_bytes);
    }
    CHECK_INT(pgcdc_decoder_pending_transactions(s.dec), 0);
    CHECK_INT(st.buffered_bytes_in_memory, 0);
    scenario_end(&s);
}

/* streaming = parallel (16+): Stream Abort then carries the abort LSN and time. */
static void test_parallel_streaming_abort(void)
{
    if (major < 16)
        return;
    scenario s;
    scenario_start(&s, "parallel", false, false, 0);
    snprintf(s.options, sizeof s.options,
             "'proto_version', '4', 'publication_names', 'pub', 'streaming', 'parallel'");
    pgcdc_decoder_free(s.dec);
    pgcdc_decoder_options o = {.proto_version = 4, .stream_abort_has_lsn = true};
    pgcdc_error err;
    CHECK_INT(pgcdc_decoder_new(&o, event_log_sink, &s.log, &s.dec, &err), PGCDC_OK);
    pgt_exec(db, "BEGIN; INSERT INTO app.big SELECT g, 'kept' FROM generate_series(900001, 903000) g; SAVEPOINT a; "
                 "INSERT INTO app.big SELECT g, 'dropped' FROM generate_series(700001, 703000) g; "
                 "ROLLBACK TO SAVEPOINT a; COMMIT");
    pgt_exec(db, "BEGIN; INSERT INTO app.big SELECT g, 'aborted' FROM generate_series(800001, 803000) g; ROLLBACK");
    /* a decoder not told about the abort LSN refuses the message rather than misread it */
    event_log plain_log;
    event_log_init(&plain_log);
    pgcdc_decoder *plain;
    CHECK_INT(pgcdc_decoder_new(NULL, event_log_sink, &plain_log, &plain, &err), PGCDC_OK);
    CHECK_INT(sqlfeed_peek(db, s.slot, s.options, plain, &plain_log, &err), PGCDC_EPROTOCOL);
    CHECK_CONTAINS(err.message, "stream_abort_has_lsn");
    pgcdc_decoder_free(plain);
    event_log_free(&plain_log);

    scenario_drain(&s);
    CHECK(s.log.kinds_seen['A'] >= 1); /* the aborted transaction (the subtransaction only if already streamed) */
    CHECK_INT(event_log_count_prefix(&s.log, "INSERT app.big"), 3000);
    CHECK_INT(event_log_count_prefix(&s.log, "INSERT app.big new=('70000"), 0);
    pgt_exec(db, "DELETE FROM app.big");
    scenario_end(&s);
}

static void test_two_phase(void)
{
    scenario s;
    scenario_start(&s, "twophase", true, false, 128 * 1024);
    pgt_exec(db, "BEGIN; INSERT INTO app.items VALUES (50, 'prepared', 1); PREPARE TRANSACTION 'g1'");
    pgt_exec(db, "BEGIN; INSERT INTO app.items VALUES (51, 'rolled back', 1); PREPARE TRANSACTION 'g2'");
    pgt_exec(db, "INSERT INTO app.items VALUES (52, 'plain', 1)");
    if (major >= 15)
        scenario_drain(&s); /* with two_phase, changes arrive at PREPARE and are held */
    pgt_exec(db, "COMMIT PREPARED 'g1'");
    pgt_exec(db, "ROLLBACK PREPARED 'g2'");
    /* a big prepared transaction is streamed, then prepared (Stream Prepare) */
    pgt_exec(db, "BEGIN; INSERT INTO app.big SELECT g, 'p' FROM generate_series(400001, 404000) g; "
                 "PREPARE TRANSACTION 'g3'");
    pgt_exec(db, "COMMIT PREPARED 'g3'");
    scenario_drain(&s);

    CHECK_INT(event_log_count_prefix(&s.log, "INSERT app.items new=('51'"), 0);
    CHECK_INT(event_log_count_prefix(&s.log, "INSERT app.big"), 4000);
    if (major >= 15) {
        const char *expected[] = {"PREPARE gid=g1", "PREPARE gid=g2", "BEGIN", "INSERT app.items new=('52','plain','1')",
                                  "COMMIT changes=1", "BEGIN prepared gid=g1",
                                  "INSERT app.items new=('50','prepared','1')", "COMMIT changes=1",
                                  "ROLLBACK_PREPARED gid=g2", "PREPARE gid=g3", "BEGIN streamed prepared gid=g3", NULL};
        expect_sequence(&s.log, expected, "two-phase");
        CHECK(s.log.kinds_seen['b'] >= 2 && s.log.kinds_seen['P'] >= 2 && s.log.kinds_seen['K'] >= 2);
        CHECK(s.log.kinds_seen['r'] == 1 && s.log.kinds_seen['p'] == 1);
    } else {
        /* without two-phase decoding a prepared transaction arrives at COMMIT PREPARED */
        const char *expected[] = {"INSERT app.items new=('52','plain','1')", "INSERT app.items new=('50','prepared','1')",
                                  NULL};
        expect_sequence(&s.log, expected, "prepared (decoded at commit)");
    }
    pgt_exec(db, "DELETE FROM app.items WHERE id >= 50; DELETE FROM app.big");
    scenario_end(&s);
}

static void test_ddl_between_changes(void)
{
    scenario s;
    scenario_start(&s, "ddl", false, false, 0);
    pgt_exec(db, "INSERT INTO app.evolving VALUES (1, 'a', 1)");
    pgt_exec(db, "ALTER TABLE app.evolving ADD COLUMN extra int");
    pgt_exec(db, "INSERT INTO app.evolving VALUES (2, 'b', 2, 20)");
    pgt_exec(db, "ALTER TABLE app.evolving DROP COLUMN qty");
    pgt_exec(db, "INSERT INTO app.evolving VALUES (3, 'c', 30)");
    pgt_exec(db, "ALTER TABLE app.evolving RENAME COLUMN name TO title");
    pgt_exec(db, "INSERT INTO app.evolving VALUES (4, 'd', 40)");
    pgt_exec(db, "ALTER TABLE app.evolving ALTER COLUMN extra TYPE bigint");
    pgt_exec(db, "INSERT INTO app.evolving VALUES (5, 'e', 50)");
    pgt_exec(db, "ALTER TABLE app.evolving ALTER COLUMN title TYPE varchar(20)");
    pgt_exec(db, "INSERT INTO app.evolving VALUES (6, 'f', 60)");
    pgt_exec(db, "ALTER TABLE app.evolving DROP CONSTRAINT evolving_pkey, ADD PRIMARY KEY (id, title)");
    pgt_exec(db, "INSERT INTO app.evolving VALUES (7, 'g', 70)");
    /* DDL and DML in one transaction */
    pgt_exec(db, "BEGIN; ALTER TABLE app.evolving ADD COLUMN late text; "
                 "INSERT INTO app.evolving VALUES (8, 'h', 80, 'x'); COMMIT");
    scenario_drain(&s);
    const char *expected[] = {
        "RELATION app.evolving gen=1 (id*,name,qty)", "INSERT app.evolving new=('1','a','1')",
        "RELATION app.evolving gen=2 (id*,name,qty,extra) added:extra", "INSERT app.evolving new=('2','b','2','20')",
        "RELATION app.evolving gen=3 (id*,name,extra) dropped:qty", "INSERT app.evolving new=('3','c','30')",
        "RELATION app.evolving gen=4 (id*,title,extra) renamed:name->title", "INSERT app.evolving new=('4','d','40')",
        "RELATION app.evolving gen=5 (id*,title,extra) type:extra", "INSERT app.evolving new=('5','e','50')",
        "RELATION app.evolving gen=6 (id*,title,extra) type:title", "INSERT app.evolving new=('6','f','60')",
        "RELATION app.evolving gen=7 (id*,title*,extra) key:title", "INSERT app.evolving new=('7','g','70')",
        "RELATION app.evolving gen=8 (id*,title*,extra,late) added:late",
        "INSERT app.evolving new=('8','h','80','x')", NULL};
    expect_sequence(&s.log, expected, "ddl");
    scenario_end(&s);
}

static void test_messages_types_origin(void)
{
    scenario s;
    scenario_start(&s, "misc", false, true, 0);
    pgt_exec(db, "BEGIN; INSERT INTO app.colors VALUES (1, 'red'); "
                 "SELECT pg_logical_emit_message(true, 'pfx', 'in a transaction'); COMMIT");
    pgt_exec(db, "SELECT pg_logical_emit_message(false, 'pfx', 'outside')");
    pgt_exec(db, "SELECT pg_replication_origin_create('upstream')");
    pgt_exec(db, "SELECT pg_replication_origin_session_setup('upstream'); "
                 "BEGIN; SELECT pg_replication_origin_xact_setup('0/AB', now()); "
                 "INSERT INTO app.colors VALUES (2, 'green'); COMMIT; "
                 /* a transaction big enough to be streamed (14+), from the origin too */
                 "BEGIN; SELECT pg_replication_origin_xact_setup('0/AC', now()); "
                 "INSERT INTO app.big SELECT g, 'from upstream' FROM generate_series(500001, 504000) g; COMMIT; "
                 "SELECT pg_replication_origin_session_reset()");
    scenario_drain(&s);
    if (major >= 14) {
        /* binary transfer: the int4 key arrives as 4 bytes */
        const char *expected[] = {"TYPE app.color", "INSERT app.colors new=(<binary 4 bytes>,<binary 3 bytes>)",
                                  "MESSAGE tx pfx 'in a transaction'", "COMMIT changes=2",
                                  "MESSAGE nontx pfx 'outside'", NULL};
        expect_sequence(&s.log, expected, "messages and types");
    } else {
        const char *expected[] = {"TYPE app.color", "INSERT app.colors new=('1','red')", "COMMIT changes=1", NULL};
        expect_sequence(&s.log, expected, "types");
    }
    /* every version sends Origin for a transaction replayed from an origin; a
     * streamed one gets it inside its first chunk */
    CHECK_MSG(event_log_count_prefix(&s.log, "ORIGIN upstream") == 2, "%d ORIGIN events",
              event_log_count_prefix(&s.log, "ORIGIN upstream"));
    CHECK_INT(event_log_count_prefix(&s.log, "INSERT app.big"), 4000); /* binary values here */
    if (major >= 14)
        CHECK_MSG(event_log_count_prefix(&s.log, "BEGIN streamed") == 1, "the origin's big transaction was not streamed");
    pgt_exec(db, "DELETE FROM app.big");
    scenario_end(&s);
}

static void test_malformed_and_unknown(void)
{
    event_log log;
    event_log_init(&log);
    pgcdc_decoder *dec;
    pgcdc_error err;
    CHECK_INT(pgcdc_decoder_new(NULL, event_log_sink, &log, &dec, &err), PGCDC_OK);
    const uint8_t insert_unknown_rel[] = {'I', 0, 0, 0, 42, 'N', 0, 0};
    const uint8_t begin[] = {'B', 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7};
    CHECK_INT(pgcdc_decoder_feed(dec, insert_unknown_rel, sizeof insert_unknown_rel, 100, &err), PGCDC_EPROTOCOL);
    CHECK_CONTAINS(err.message, "outside of a transaction");
    CHECK_INT(pgcdc_decoder_feed(dec, begin, sizeof begin, 100, &err), PGCDC_OK);
    CHECK_INT(pgcdc_decoder_feed(dec, insert_unknown_rel, sizeof insert_unknown_rel, 101, &err), PGCDC_EPROTOCOL);
    CHECK_CONTAINS(err.message, "relation id 42");
    CHECK_INT(pgcdc_decoder_feed(dec, begin, 5, 102, &err), PGCDC_EPROTOCOL);
    const uint8_t unknown[] = {'Z', 1, 2};
    CHECK_INT(pgcdc_decoder_feed(dec, unknown, sizeof unknown, 103, &err), PGCDC_EPROTOCOL);
    CHECK_CONTAINS(err.message, "unknown pgoutput message type 0x5a");
    pgcdc_decoder_free(dec);
    event_log_free(&log);
}

int main(void)
{
    major = pgt_major();
    /* a small decoding memory makes big transactions stream (13+; 12 has no such setting) */
    pgt_cluster_start(&cluster, major, major >= 13 ? "-c logical_decoding_work_mem=64kB" : NULL);
    db = pgt_connect(&cluster, "postgres");
    pgt_exec(db, "CREATE SCHEMA app;"
                 "CREATE TABLE app.items (id int PRIMARY KEY, name text, qty int);"
                 "CREATE TABLE app.other (id serial PRIMARY KEY, item int);"
                 "CREATE TABLE app.docs (id int PRIMARY KEY, body text, note text);"
                 "ALTER TABLE app.docs ALTER COLUMN body SET STORAGE EXTERNAL;"
                 "CREATE TABLE app.full_ident (id int PRIMARY KEY, a text, b text);"
                 "ALTER TABLE app.full_ident REPLICA IDENTITY FULL;"
                 "CREATE TABLE app.big (id int PRIMARY KEY, payload text);"
                 "CREATE TABLE app.evolving (id int PRIMARY KEY, name text, qty int);"
                 "CREATE TYPE app.color AS ENUM ('red', 'green');"
                 "CREATE TABLE app.colors (id int PRIMARY KEY, c app.color);"
                 "CREATE TABLE app.unpublished (id int PRIMARY KEY);"
                 "CREATE PUBLICATION pub FOR TABLE app.items, app.other, app.docs, app.full_ident, app.big, "
                 "app.evolving, app.colors");

    test_dml();
    test_txn_facts();
    test_toast_and_identity_full();
    test_streamed_with_rolled_back_subtransaction();
    test_parallel_streaming_abort();
    test_two_phase();
    test_ddl_between_changes();
    test_messages_types_origin();
    test_malformed_and_unknown();
    test_all_kinds_seen();

    PQfinish(db);
    pgt_cluster_stop(&cluster);
    char name[64];
    snprintf(name, sizeof name, "test_decoder_live (PostgreSQL %d)", major);
    return pgt_done(name);
}
