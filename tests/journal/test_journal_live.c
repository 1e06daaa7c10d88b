/* test_journal_live.c - the journal writer against real servers: batches
 * built from a real slot on a source database, written into journals of a
 * destination database (same throwaway cluster), merged with the planner's
 * SQL, destination compared with the source. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "change_batch.pb-c.h"
#include "jt_support.h"
#include "pgt.h"

static pgt_cluster cl;
static PGconn *src, *dst;
static int major;

enum { CUSTOMERS, PRODUCTS, ORDERS, ALLTYPES, DOCS, NT };
static jt_table tabs[NT];
static jt_table *tp[NT];
static const char *names[NT] = {"customers", "products", "orders", "alltypes", "docs"};

static pgcdc_journal_options opts(void)
{
    pgcdc_journal_options o = {.slot_name = "jslot", .state_schema = "app"};
    return o;
}

static pgcdc_journal_writer *new_writer(PGconn *conn, const pgcdc_journal_options *o)
{
    pgcdc_journal_writer *w;
    pgcdc_error err;
    CHECK_INT(pgcdc_journal_writer_new(conn, o, &w, &err), PGCDC_OK);
    for (int i = 0; i < NT; i++)
        CHECK_INT(pgcdc_journal_register(w, &tabs[i].t, &err), PGCDC_OK);
    return w;
}

static int64_t durable(PGconn *conn)
{
    pgcdc_lsn l = 0;
    pgcdc_error err;
    CHECK_INT(pgcdc_journal_durable_lsn(conn, "app", PGCDC_IDENT_CASE_SENSITIVE, "jslot", &l, &err), PGCDC_OK);
    return (int64_t)l;
}

static void merge_all_and_compare(const char *what)
{
    int64_t bound = durable(dst) - 1; /* see docs/journal.md: commit LSNs are < the confirmed end LSN */
    for (int i = 0; i < NT; i++) {
        jt_merge(dst, &tabs[i].t, bound);
        CHECK_MSG(jt_same(src, dst, &tabs[i]), "%s: %s equal", what, names[i]);
    }
}

static void write_ok(pgcdc_journal_writer *w, pgcdc_batch *b, pgcdc_journal_stats *st)
{
    pgcdc_error err = {0};
    pgcdc_code rc = pgcdc_journal_write(w, b, st, &err);
    CHECK_MSG(rc == PGCDC_OK, "write: %s", err.message);
}

static void source_setup(void)
{
    pgt_exec(src, "CREATE SCHEMA app;"
                  "CREATE TABLE app.customers (customer_id SERIAL PRIMARY KEY, name VARCHAR(100) NOT NULL,"
                  " email VARCHAR(200) NOT NULL, created_at TIMESTAMP NOT NULL DEFAULT now());"
                  "CREATE TABLE app.products (product_id SERIAL PRIMARY KEY, name VARCHAR(100) NOT NULL,"
                  " price NUMERIC(10,2) NOT NULL, in_stock BOOLEAN NOT NULL DEFAULT true);"
                  "CREATE TABLE app.orders (order_id SERIAL PRIMARY KEY,"
                  " customer_id INTEGER NOT NULL REFERENCES app.customers(customer_id),"
                  " product_id INTEGER NOT NULL REFERENCES app.products(product_id),"
                  " quantity INTEGER NOT NULL DEFAULT 1, status VARCHAR(20) NOT NULL DEFAULT 'pending',"
                  " order_date TIMESTAMP NOT NULL DEFAULT now());"
                  "INSERT INTO app.customers (name, email) VALUES ('Taro Yamada', 'taro@example.com'),"
                  " ('Hanako Suzuki', 'hanako@example.com'), ('Jiro Tanaka', 'jiro@example.com');"
                  "INSERT INTO app.products (name, price, in_stock) VALUES ('Keyboard', 3980.00, true),"
                  " ('Mouse', 1980.00, true), ('Monitor', 29800.00, false);"
                  "INSERT INTO app.orders (customer_id, product_id, quantity, status) VALUES"
                  " (1, 1, 2, 'confirmed'), (2, 2, 1, 'pending'), (3, 3, 1, 'shipped');");
    pgt_exec(src, "CREATE TYPE app.mood AS ENUM ('sad', 'ok', 'happy');"
                  "CREATE TABLE app.alltypes (id int PRIMARY KEY, i2 smallint, i8 bigint, n numeric(12,3),"
                  " nu numeric, f4 real, f8 double precision, m money, b boolean, t text, vc varchar(20),"
                  " ch char(5), bt bytea, d date, tm time, ttz timetz, ts timestamp, tstz timestamptz,"
                  " iv interval, js json, jb jsonb, u uuid, ip inet, ia int[], ta text[], mo app.mood,"
                  " bi bit(4), vb varbit(8), r int4range, o oid)");
    pgt_exec(src, "INSERT INTO app.alltypes VALUES (1, -32768, 9223372036854775807, 123456789.125, "
                  "'-0.000000000000000000001', 1.5e-7, 3.141592653589793, '-12.34', true, "
                  "E'tab\\there\\nnew\\\\line \\r \"q\" ''s'' \\\\N', 'varchar', 'ab', '\\x00ff5c0a09', "
                  "'2024-02-29', '23:59:59.999999', '12:00:00+05:30', '2000-01-01 00:00:00.000001', "
                  "'1999-12-31 23:59:59.5+02', '1 year 2 mons 3 days 04:05:06.7', "
                  "'{\"a\": [1, \"x\\ty\"], \"b\": null}', '{\"k\": \"v\\\\n\", \"n\": 1.50}', "
                  "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '192.168.0.1/24', '{1,NULL,3}', "
                  "'{\"a b\",\"c,d\",NULL,\"e\\\\\\\\f\"}', 'happy', B'1010', B'101', '[1,5)', 4000000000)");
    pgt_exec(src, "INSERT INTO app.alltypes (id) VALUES (2)");
    pgt_exec(src, "INSERT INTO app.alltypes (id, nu, f4, f8, d, ts, tstz, t) VALUES (3, 'NaN', 'Infinity', "
                  "'-Infinity', 'infinity', '-infinity', 'infinity', '')");
    pgt_exec(src, "CREATE TABLE app.docs (id int PRIMARY KEY, body text, n int, blob bytea, meta jsonb)");
    pgt_exec(src, "ALTER TABLE app.docs ALTER COLUMN body SET STORAGE EXTERNAL;"
                  "ALTER TABLE app.docs ALTER COLUMN blob SET STORAGE EXTERNAL");
    pgt_exec(src, "INSERT INTO app.docs SELECT g, repeat(md5(g::text), 400), g, "
                  "decode(repeat(md5(g::text), 300), 'hex'), NULL FROM generate_series(1, 3) g");
}

/* The key arrives unchanged-TOAST: a synthetic batch (a real one would need a
 * TOASTed primary key). */
static pgcdc_batch *unchanged_key_batch(void)
{
    pgcdc_batch_builder *b;
    pgcdc_error err;
    pgcdc_batch_builder_new("postgres", &b, &err);
    pgcdc_column cols[2] = {{"customer_id", 23, -1, PGCDC_COLUMN_KEY}, {"name", 1043, 104, 0}};
    pgcdc_relation rel = {.relid = 1, .nspname = "app", .relname = "customers", .replident = 'd',
                          .ncolumns = 2, .columns = cols, .generation = 1};
    pgcdc_txn txn = {.xid = 9, .commit_lsn = 0x100, .end_lsn = 0x108, .commit_time = 0};
    pgcdc_value nv[2] = {{'u', 0, NULL}, {'t', 1, "x"}};
    pgcdc_event ev = {.kind = PGCDC_EV_RELATION, .rel = &rel};
    pgcdc_batch_add_event(b, &ev, &err);
    ev = (pgcdc_event){.kind = PGCDC_EV_BEGIN, .txn = &txn};
    pgcdc_batch_add_event(b, &ev, &err);
    ev = (pgcdc_event){.kind = PGCDC_EV_UPDATE, .txn = &txn, .rel = &rel, .new_tuple = {2, nv}};
    CHECK_INT(pgcdc_batch_add_event(b, &ev, &err), PGCDC_OK);
    ev = (pgcdc_event){.kind = PGCDC_EV_COMMIT, .txn = &txn};
    pgcdc_batch_add_event(b, &ev, &err);
    pgcdc_buf buf = PGCDC_BUF_INIT;
    pgcdc_batch *batch = NULL;
    CHECK_INT(pgcdc_batch_encode(b, &buf, &err), PGCDC_OK);
    CHECK_INT(pgcdc_batch_decode((const uint8_t *)buf.data, buf.len, &batch, &err), PGCDC_OK);
    pgcdc_buf_free(&buf);
    pgcdc_batch_builder_free(b);
    return batch;
}

static PGconn *killer;
static pgcdc_code kill_writer(void *ud, pgcdc_error *err)
{
    (void)err;
    PGconn *victim = ud;
    pgt_exec(killer, "SELECT pg_terminate_backend(%d)", PQbackendPID(victim));
    /* wait until the backend is gone, so COMMIT surely finds it dead */
    for (int i = 0; i < 100; i++) {
        char *v = pgt_query_value(killer, "SELECT count(*) FROM pg_stat_activity WHERE pid = %d",
                                  PQbackendPID(victim));
        int alive = atoi(v);
        free(v);
        if (!alive)
            break;
    }
    return 0;
}
static pgcdc_code inject(void *ud, pgcdc_error *err)
{
    (void)ud;
    return pgcdc_error_set(err, PGCDC_EIO, "journal write: stopped before COMMIT (fault injection)");
}

int main(void)
{
    major = pgt_major();
    pgt_cluster_start(&cl, major, NULL);
    src = pgt_connect(&cl, "postgres");
    pgt_exec(src, "CREATE DATABASE dest");
    dst = pgt_connect(&cl, "dest");
    killer = pgt_connect(&cl, "dest");
    jt_session(src);
    jt_session(dst);
    source_setup();
    pgt_exec(src, "CREATE PUBLICATION pub FOR ALL TABLES");
    for (int i = 0; i < NT; i++) {
        tp[i] = &tabs[i];
        jt_table_from_source(src, "app", names[i], major, &tabs[i]);
        jt_dest_setup(dst, &tabs[i].t);
    }

    /* durable position before anything exists: 0 */
    CHECK_INT(durable(dst), 0);
    pgcdc_journal_options o = opts();
    pgcdc_journal_writer *w = new_writer(dst, &o);
    pgcdc_error err = {0};
    CHECK_INT(pgcdc_journal_setup(w, &err), PGCDC_OK);
    CHECK_INT(pgcdc_journal_setup(w, &err), PGCDC_OK); /* idempotent */
    CHECK_INT(durable(dst), 0);

    /* ---- snapshot ---- */
    char *cp = pgt_query_value(src, "SELECT lsn - '0/0' FROM pg_create_logical_replication_slot('jslot', 'pgoutput')");
    uint64_t consistent = strtoull(cp, NULL, 10);
    free(cp);
    pgcdc_batch *snap = jt_snapshot(src, tp, NT, consistent);
    pgcdc_journal_stats st;
    write_ok(w, snap, &st);
    CHECK_INT(st.confirm_lsn, 0); /* a snapshot batch confirms nothing */
    CHECK_INT(st.rows, 3 + 3 + 3 + 3 + 3);
    CHECK_INT(jt_journal_rows(dst, &tabs[CUSTOMERS].t), 3);
    char *v = pgt_query_value(dst, "SELECT min(\"_PGCDC_OP\") || max(\"_PGCDC_OP\") || min(\"_PGCDC_LSN\") FROM %s",
                              jt_journal(&tabs[ORDERS].t));
    char expect[64];
    snprintf(expect, sizeof expect, "SS%llu", (unsigned long long)consistent);
    CHECK_STR(v, expect);
    free(v);
    v = pgt_query_value(dst, "SELECT count(DISTINCT \"_PGCDC_SEQ\") || ':' || (max(\"_PGCDC_SEQ\") < 0) FROM %s",
                        jt_journal(&tabs[ORDERS].t));
    CHECK_STR(v, "3:true"); /* distinct, and before any change of the same LSN */
    free(v);
    for (int i = 0; i < NT; i++) {
        /* snapshot rows only: a transaction committing at exactly this LSN is merged later */
        jt_merge_seq(dst, &tabs[i].t, (int64_t)consistent, -1);
        CHECK_MSG(jt_same(src, dst, &tabs[i]), "snapshot: %s equal", names[i]);
    }
    pgcdc_batch_free(snap);

    /* ---- the walkthrough's changes through CDC ---- */
    pgt_exec(src, "INSERT INTO app.customers (name, email) VALUES ('Saburo Sato', 'saburo@example.com')");
    pgt_exec(src, "INSERT INTO app.orders (customer_id, product_id, quantity, status) VALUES (4, 1, 5, 'pending')");
    pgt_exec(src, "UPDATE app.products SET in_stock = true, price = 27800.00 WHERE name = 'Monitor'");
    pgt_exec(src, "UPDATE app.orders SET status = 'shipped' WHERE order_id = 2");
    pgt_exec(src, "DELETE FROM app.orders WHERE order_id = 3");
    pgcdc_batch *b1 = jt_drain(src, "jslot", major);
    uint64_t b1_confirm = pgcdc_batch_message(b1)->confirm_lsn;
    write_ok(w, b1, &st);
    CHECK_INT(st.rows, 5);
    CHECK_INT(st.tables, 3);
    CHECK_INT(st.confirm_lsn, b1_confirm);
    CHECK_INT(durable(dst), b1_confirm);
    merge_all_and_compare("walkthrough");
    v = pgt_query_value(dst, "SELECT string_agg(order_id || ':' || status || ':' || \"_SNOWFLAKE_DELETED\", ',' "
                             "ORDER BY order_id) FROM %s", jt_dest(&tabs[ORDERS].t));
    CHECK_STR(v, "1:confirmed:false,2:shipped:false,3:shipped:true,4:pending:false");
    free(v);
    v = pgt_query_value(dst, "SELECT string_agg(\"_PGCDC_OP\" || \"_PGCDC_SEQ\", ',' ORDER BY \"_PGCDC_LSN\", "
                             "\"_PGCDC_SEQ\") FROM %s WHERE \"_PGCDC_OP\" <> 'S'", jt_journal(&tabs[ORDERS].t));
    CHECK_STR(v, "I0,U0,D0"); /* one change per transaction: seq = 2 * position */
    free(v);
    /* commit times: the source's clock (same machine), UTC */
    v = pgt_query_value(dst, "SELECT bool_and(abs(extract(epoch FROM now() - \"_PGCDC_COMMIT_TIME\")) < 120) "
                             "|| ':' || count(\"_PGCDC_COMMIT_TIME\") FROM %s WHERE \"_PGCDC_OP\" <> 'S'",
                        jt_journal(&tabs[ORDERS].t));
    CHECK_STR(v, "true:3");
    free(v);

    /* ---- every type through CDC: inserts, an update to other values, NULLs ---- */
    pgt_exec(src, "BEGIN; INSERT INTO app.alltypes SELECT id + 10, i2, i8, n, nu, f4, f8, m, b, t, vc, ch, bt, d, "
                  "tm, ttz, ts, tstz, iv, js, jb, u, ip, ia, ta, mo, bi, vb, r, o FROM app.alltypes;"
                  "UPDATE app.alltypes SET t = E'a\\\\b\\tc\\nd\\re', bt = '\\x5c', ta = '{\"\\\\\",\"\"}', "
                  "n = -0.001, f8 = 1e308, tstz = '2024-06-01 12:00+09', iv = '-1 day -00:00:01', "
                  "js = '[]', mo = 'sad', r = NULL WHERE id = 11; COMMIT");
    pgcdc_batch *b2 = jt_drain(src, "jslot", major);
    write_ok(w, b2, &st);
    v = pgt_query_value(dst, "SELECT string_agg(\"_PGCDC_OP\" || \"_PGCDC_SEQ\", ',' ORDER BY \"_PGCDC_SEQ\") "
                             "FROM %s WHERE \"_PGCDC_OP\" <> 'S'", jt_journal(&tabs[ALLTYPES].t));
    CHECK_STR(v, "I0,I2,I4,U6");
    free(v);
    merge_all_and_compare("types");
    pgcdc_batch_free(b2);

    /* ---- unchanged TOAST and key changes ---- */
    pgt_exec(src, "UPDATE app.docs SET n = n + 100 WHERE id = 1");         /* body, blob unchanged */
    pgt_exec(src, "UPDATE app.docs SET id = 20, n = 7 WHERE id = 2");      /* key change, body unchanged */
    pgt_exec(src, "BEGIN; UPDATE app.docs SET id = 30 WHERE id = 3; UPDATE app.docs SET id = 31 WHERE id = 30; "
                  "UPDATE app.docs SET meta = '{\"a\":1}' WHERE id = 31; COMMIT");
    pgcdc_batch *b3 = jt_drain(src, "jslot", major);
    write_ok(w, b3, &st);
    v = pgt_query_value(dst, "SELECT string_agg(\"_PGCDC_OP\" || \"_PGCDC_SEQ\" || ':' || coalesce(id::text, '-') "
                             "|| ':' || coalesce(\"_PGCDC_UNCHANGED\"::text, '-') || ':' || "
                             "coalesce(left(body, 26), '-'), ',' ORDER BY \"_PGCDC_LSN\", \"_PGCDC_SEQ\") "
                             "FROM %s WHERE \"_PGCDC_OP\" <> 'S'", jt_journal(&tabs[DOCS].t));
    CHECK_STR(v, "U0:1:{body,blob}:__previous_value_unchanged,"
                 "D0:2:-:-,I1:20:{body,blob}:__previous_value_unchanged,"
                 "D0:3:-:-,I1:30:{body,blob}:__previous_value_unchanged,"
                 "D2:30:-:-,I3:31:{body,blob}:__previous_value_unchanged,"
                 "U4:31:{body,blob}:__previous_value_unchanged");
    free(v);
    merge_all_and_compare("toast");
    v = pgt_query_value(dst, "SELECT string_agg(id || ':' || \"_SNOWFLAKE_DELETED\" || ':' || length(body), ',' "
                             "ORDER BY id) FROM %s", jt_dest(&tabs[DOCS].t));
    /* 30 was inserted and deleted within the window: never appears */
    CHECK_STR(v, "1:false:12800,2:true:12800,3:true:12800,20:false:12800,31:false:12800");
    free(v);
    pgcdc_batch_free(b3);

    /* ---- a table the writer does not know: nothing written ---- */
    pgt_exec(src, "CREATE TABLE app.extra (id int PRIMARY KEY, x text)");
    pgt_exec(src, "BEGIN; INSERT INTO app.customers (name, email) VALUES ('Shiro', 's@example.com');"
                  "INSERT INTO app.extra VALUES (1, 'x'); COMMIT");
    pgcdc_batch *b4 = jt_drain(src, "jslot", major);
    long before = jt_journal_rows(dst, &tabs[CUSTOMERS].t);
    int64_t pos = durable(dst);
    CHECK_INT(pgcdc_journal_write(w, b4, &st, &err), PGCDC_EINVAL);
    CHECK_CONTAINS(err.message, "app.extra");
    CHECK_CONTAINS(err.message, "not registered");
    CHECK_INT(jt_journal_rows(dst, &tabs[CUSTOMERS].t), before);
    CHECK_INT(durable(dst), pos);
    jt_table extra;
    jt_table_from_source(src, "app", "extra", major, &extra);
    jt_dest_setup(dst, &extra.t);
    CHECK_INT(pgcdc_journal_register(w, &extra.t, &err), PGCDC_OK);
    write_ok(w, b4, &st);
    CHECK_INT(st.rows, 2);
    merge_all_and_compare("registered later");
    jt_merge(dst, &extra.t, durable(dst) - 1);
    CHECK(jt_same(src, dst, &extra));
    /* unregistered (a FAILED table): skipped from then on */
    CHECK_INT(pgcdc_journal_unregister(w, "app", "extra", &err), PGCDC_OK);
    CHECK_INT(pgcdc_journal_unregister(w, "app", "nope", &err), PGCDC_ENOTFOUND);
    pgcdc_batch_free(b4);

    /* ---- the same batch written twice (crash between commit and slot confirm) ---- */
    pgt_exec(src, "UPDATE app.customers SET email = 'taro@new.example' WHERE customer_id = 1");
    pgt_exec(src, "DELETE FROM app.orders WHERE order_id = 4");
    pgt_exec(src, "UPDATE app.docs SET id = 40 WHERE id = 31");
    pgt_exec(src, "INSERT INTO app.extra VALUES (2, 'skipped')");
    pgcdc_batch *b5 = jt_peek(src, "jslot", major); /* not consumed: "the slot was not confirmed" */
    write_ok(w, b5, &st);
    CHECK_INT(st.skipped, 1);
    long jrows = jt_journal_rows(dst, &tabs[DOCS].t);
    pgcdc_journal_writer_free(w);
    PQfinish(dst);
    dst = pgt_connect(&cl, "dest"); /* the "restarted" runner */
    jt_session(dst);
    w = new_writer(dst, &o);
    CHECK_INT(pgcdc_journal_register(w, &extra.t, &err), PGCDC_OK); /* known, but FAILED: */
    CHECK_INT(pgcdc_journal_unregister(w, "app", "extra", &err), PGCDC_OK);
    pgcdc_batch *b5again = jt_drain(src, "jslot", major);
    write_ok(w, b5again, &st);
    CHECK_INT(jt_journal_rows(dst, &tabs[DOCS].t), jrows + 2);
    merge_all_and_compare("written twice");
    /* an older batch written again does not move the position back */
    write_ok(w, b1, &st);
    CHECK_INT(durable(dst), pgcdc_batch_message(b5)->confirm_lsn);
    CHECK_INT(st.confirm_lsn, pgcdc_batch_message(b5)->confirm_lsn);
    merge_all_and_compare("old batch again");
    pgcdc_batch_free(b5);
    pgcdc_batch_free(b5again);

    /* ---- a write interrupted before COMMIT ---- */
    pgt_exec(src, "INSERT INTO app.products (name, price) VALUES ('Cable', 9.99)");
    pgt_exec(src, "UPDATE app.docs SET n = -1 WHERE id = 1");
    pgcdc_batch *b6 = jt_drain(src, "jslot", major);
    pos = durable(dst);
    long pj = jt_journal_rows(dst, &tabs[PRODUCTS].t), dj = jt_journal_rows(dst, &tabs[DOCS].t);
    /* injected failure */
    pgcdc_journal_options oi = o;
    oi.before_commit = inject;
    pgcdc_journal_writer *wi = new_writer(dst, &oi);
    CHECK_INT(pgcdc_journal_write(wi, b6, &st, &err), PGCDC_EIO);
    CHECK_INT(PQtransactionStatus(dst), PQTRANS_IDLE);
    CHECK_INT(jt_journal_rows(dst, &tabs[PRODUCTS].t), pj);
    CHECK_INT(durable(dst), pos);
    pgcdc_journal_writer_free(wi);
    /* the destination connection killed inside the transaction */
    PGconn *victim = pgt_connect(&cl, "dest");
    jt_session(victim);
    pgcdc_journal_options ok = o;
    ok.before_commit = kill_writer;
    ok.userdata = victim;
    pgcdc_journal_writer *wk = new_writer(victim, &ok);
    pgcdc_code rc = pgcdc_journal_write(wk, b6, &st, &err);
    CHECK_INT(rc, PGCDC_ECONNECT);
    CHECK_CONTAINS(err.message, "connection");
    pgcdc_journal_writer_free(wk);
    PQfinish(victim);
    CHECK_INT(jt_journal_rows(dst, &tabs[PRODUCTS].t), pj);
    CHECK_INT(jt_journal_rows(dst, &tabs[DOCS].t), dj);
    CHECK_INT(durable(dst), pos);
    /* written again: the same as one clean write */
    write_ok(w, b6, &st);
    CHECK_INT(jt_journal_rows(dst, &tabs[PRODUCTS].t), pj + 1);
    CHECK_INT(durable(dst), pgcdc_batch_message(b6)->confirm_lsn);
    merge_all_and_compare("after interruption");
    pgcdc_batch_free(b6);

    /* ---- a key column arriving unchanged-TOAST fails that table ---- */
    pgcdc_batch *bk = unchanged_key_batch();
    pos = durable(dst);
    CHECK_INT(pgcdc_journal_write(w, bk, &st, &err), PGCDC_EUNSUPPORTED);
    CHECK_CONTAINS(err.message, "app.customers");
    CHECK_CONTAINS(err.message, "customer_id");
    CHECK(pgcdc_journal_failed_table(w) == &tabs[CUSTOMERS].t);
    CHECK_INT(durable(dst), pos);
    pgcdc_batch_free(bk);

    pgcdc_batch_free(b1);
    pgcdc_journal_writer_free(w);
    PQfinish(killer);
    PQfinish(dst);
    PQfinish(src);
    pgt_cluster_stop(&cl);
    return pgt_done("journal-live");
}
