/* test_batch_roundtrip.c - decoder events -> builder -> bytes -> decoded
 * batch, comparing every field; record order, fragments, snapshot rows,
 * watermarks and the builder's refusals. Events point into a scratch area
 * that is overwritten after every add. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "batch_fixture.h"
#include "check.h"
#include "pgcdc/batch.h"

#define OID_BOOL 16
#define OID_BYTEA 17
#define OID_INT8 20
#define OID_INT2 21
#define OID_INT4 23
#define OID_TEXT 25
#define OID_OID 26
#define OID_FLOAT4 700
#define OID_FLOAT8 701
#define OID_MOOD 90001 /* a custom type announced by a Type message */

#define ITEMS 16384
#define OTHER 16390

static const fx_col items_cols[] = {
    {"id", OID_INT4, -1, true},     {"name", OID_TEXT, -1, false},   {"price", OID_FLOAT8, -1, false},
    {"flag", OID_BOOL, -1, false},  {"big", OID_INT8, -1, false},    {"data", OID_BYTEA, -1, false},
    {"small", OID_INT2, -1, false}, {"o", OID_OID, -1, false},       {"f4", OID_FLOAT4, -1, false},
    {"mood", OID_MOOD, -1, false},
};
#define NITEMS 10

static pgcdc_relation *items(void)
{
    return fx_rel(ITEMS, "public", "items", 'd', 1, NITEMS, items_cols);
}

static pgcdc_relation *other(void)
{
    static const fx_col c[] = {{"k", OID_INT8, -1, true}};
    return fx_rel(OTHER, "s2", "other", 'f', 1, 1, c);
}

static pgcdc_event ev_of(pgcdc_event_kind kind, pgcdc_lsn lsn, const pgcdc_txn *txn)
{
    pgcdc_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = kind;
    ev.lsn = lsn;
    ev.txn = txn;
    return ev;
}

static pgcdc_txn *cur_txn(uint32_t xid, pgcdc_lsn commit_lsn)
{
    return fx_txn(xid, commit_lsn, 0, 1000000);
}

static pgcdc_code add_begin(pgcdc_batch_builder *b, uint32_t xid, pgcdc_lsn commit_lsn, pgcdc_lsn lsn)
{
    pgcdc_event ev = ev_of(PGCDC_EV_BEGIN, lsn, cur_txn(xid, commit_lsn));
    return fx_add(b, &ev, PGCDC_OK);
}

static pgcdc_code add_commit(pgcdc_batch_builder *b, uint32_t xid, pgcdc_lsn commit_lsn, pgcdc_lsn end_lsn)
{
    pgcdc_event ev = ev_of(PGCDC_EV_COMMIT, commit_lsn, fx_txn(xid, commit_lsn, end_lsn, 2000000));
    return fx_add(b, &ev, PGCDC_OK);
}

static pgcdc_code add_row(pgcdc_batch_builder *b, pgcdc_event_kind kind, uint32_t xid, uint64_t seq, pgcdc_lsn lsn,
                          pgcdc_relation *rel, char old_kind, int nold, const pgcdc_value *oldv, int nnew,
                          const pgcdc_value *newv, pgcdc_code expect)
{
    pgcdc_event ev = ev_of(kind, lsn, cur_txn(xid, 0x5000));
    ev.seq = seq;
    ev.rel = rel;
    ev.old_kind = old_kind;
    if (nold)
        ev.old_tuple = fx_tuple(nold, oldv);
    if (nnew)
        ev.new_tuple = fx_tuple(nnew, newv);
    return fx_add(b, &ev, expect);
}

static void row1(pgcdc_value *v)
{
    static const unsigned char bin[] = {0x00, 0x01, 0x00, 0xff, 0x00};
    v[0] = fx_text("1");
    v[1] = fx_text("it's \"quoted\" \\ ünïcødé ✓ 日本");
    v[2] = fx_text("1.5");
    v[3] = fx_text("t");
    v[4] = fx_text("-9223372036854775808");
    v[5] = fx_bin(bin, sizeof bin);
    v[6] = fx_text("32767");
    v[7] = fx_text("4294967295");
    v[8] = fx_text("0.1");
    v[9] = fx_text("happy");
}
#define ROW1 "i:1|t:it's \"quoted\" \\ ünïcødé ✓ 日本|d:1.5|B:true|i:-9223372036854775808|b:000100ff00|" \
             "i:32767|i:4294967295|d:0.10000000149011612|t:happy"

static void row2(pgcdc_value *v)
{
    v[0] = fx_text("2");
    v[1] = fx_text("");
    v[2] = fx_text("NaN");
    v[3] = fx_text("f");
    v[4] = fx_text("9223372036854775807");
    v[5] = fx_null();
    v[6] = fx_unchanged();
    v[7] = fx_text("0");
    v[8] = fx_text("-Infinity");
    v[9] = fx_null();
}
#define ROW2 "i:2|t:|d:nan|B:false|i:9223372036854775807|NULL|UNCHANGED|i:0|d:-inf|NULL"

/* Forms that do not come back byte for byte stay text. */
static void row3(pgcdc_value *v)
{
    v[0] = fx_text("-2147483648");
    v[1] = fx_text("x");
    v[2] = fx_text("1.50");
    v[3] = fx_text("true");
    v[4] = fx_text("007");
    v[5] = fx_bin("", 0);
    v[6] = fx_text("32768");
    v[7] = fx_text("-1");
    v[8] = fx_text("0.1000000000000000055511151231257827");
    v[9] = fx_text("");
}
#define ROW3 "i:-2147483648|t:x|t:1.50|t:true|t:007|b:|t:32768|t:-1|t:0.1000000000000000055511151231257827|t:"

static void key_only(pgcdc_value *v, const char *id)
{
    v[0] = fx_text(id);
    for (int i = 1; i < NITEMS; i++)
        v[i] = fx_null();
}

static Pgcdc__V1__Record *rec_at(const Pgcdc__V1__ChangeBatch *m, size_t i, Pgcdc__V1__Record__KindCase kind)
{
    CHECK_MSG(i < m->n_records, "record %zu of %zu", i, m->n_records);
    if (i >= m->n_records)
        return NULL;
    CHECK_MSG(m->records[i]->kind_case == kind, "record %zu has kind %d, expected %d", i,
              (int)m->records[i]->kind_case, (int)kind);
    return m->records[i]->kind_case == kind ? m->records[i] : NULL;
}

static void check_col(const Pgcdc__V1__Column *c, const char *name, uint32_t type_oid, int32_t typmod, bool key)
{
    CHECK_STR(c->name, name);
    CHECK_INT(c->type_oid, type_oid);
    CHECK_INT(c->typmod, typmod);
    CHECK_INT(c->is_key, key);
}

/* ------------------------------------------------------------------------ */

static void test_transaction(void)
{
    pgcdc_batch_builder *b = NULL;
    pgcdc_error err = {0};
    CHECK_INT(pgcdc_batch_builder_new("shop", &b, &err), PGCDC_OK);
    pgcdc_value v[NITEMS], o[NITEMS];
    pgcdc_event ev;

    ev = ev_of(PGCDC_EV_TYPE, 0x4E00, NULL);
    ev.type_oid = OID_MOOD;
    ev.type_nspname = fx_str("app");
    ev.type_name = fx_str("mood");
    fx_add(b, &ev, PGCDC_OK);

    add_begin(b, 700, 0x5000, 0x4F00);
    CHECK(pgcdc_batch_builder_in_transaction(b));
    ev = ev_of(PGCDC_EV_ORIGIN, 0x4F01, cur_txn(700, 0x5000));
    ev.origin_name = fx_str("node_a");
    ev.origin_lsn = 0x77;
    fx_add(b, &ev, PGCDC_OK);
    ev = ev_of(PGCDC_EV_RELATION, 0x4F02, cur_txn(700, 0x5000));
    ev.rel = items();
    fx_add(b, &ev, PGCDC_OK);

    row1(v);
    add_row(b, PGCDC_EV_INSERT, 700, 0, 0x4F10, items(), 0, 0, NULL, NITEMS, v, PGCDC_OK);
    row2(v);
    add_row(b, PGCDC_EV_INSERT, 700, 1, 0x4F20, items(), 0, 0, NULL, NITEMS, v, PGCDC_OK);
    row3(v);
    add_row(b, PGCDC_EV_INSERT, 700, 2, 0x4F30, items(), 0, 0, NULL, NITEMS, v, PGCDC_OK);
    key_only(o, "1");
    row2(v);
    add_row(b, PGCDC_EV_UPDATE, 700, 3, 0x4F40, items(), 'K', NITEMS, o, NITEMS, v, PGCDC_OK);
    row1(o);
    row2(v);
    add_row(b, PGCDC_EV_UPDATE, 700, 4, 0x4F50, items(), 'O', NITEMS, o, NITEMS, v, PGCDC_OK);
    row1(v);
    add_row(b, PGCDC_EV_UPDATE, 700, 5, 0x4F60, items(), 0, 0, NULL, NITEMS, v, PGCDC_OK);
    key_only(o, "2");
    add_row(b, PGCDC_EV_DELETE, 700, 6, 0x4F70, items(), 'K', NITEMS, o, 0, NULL, PGCDC_OK);
    row3(o);
    add_row(b, PGCDC_EV_DELETE, 700, 7, 0x4F80, items(), 'O', NITEMS, o, 0, NULL, PGCDC_OK);

    ev = ev_of(PGCDC_EV_MESSAGE, 0x4F90, cur_txn(700, 0x5000));
    ev.seq = 8;
    ev.transactional = true;
    ev.prefix = fx_str("app");
    ev.content = fx_alloc(3);
    memcpy((char *)ev.content, "a\0b", 3);
    ev.content_len = 3;
    fx_add(b, &ev, PGCDC_OK);

    ev = ev_of(PGCDC_EV_TRUNCATE, 0x4FA0, cur_txn(700, 0x5000));
    ev.seq = 9;
    const pgcdc_relation **rels = fx_alloc(2 * sizeof *rels);
    rels[0] = items();
    rels[1] = other();
    ev.nrelations = 2;
    ev.relations = rels;
    ev.truncate_flags = PGCDC_TRUNCATE_CASCADE | PGCDC_TRUNCATE_RESTART_IDENTITY;
    fx_add(b, &ev, PGCDC_OK);
    CHECK_INT(pgcdc_batch_builder_changes(b), 9);

    add_commit(b, 700, 0x5000, 0x5100);
    CHECK(!pgcdc_batch_builder_in_transaction(b));
    CHECK_INT(pgcdc_batch_builder_confirm_lsn(b), 0x5100);

    /* a non-transactional message outside any transaction */
    ev = ev_of(PGCDC_EV_MESSAGE, 0x5200, NULL);
    ev.prefix = fx_str("hb");
    fx_add(b, &ev, PGCDC_OK);

    /* a transaction with nothing replicated: no record, but confirm_lsn moves */
    add_begin(b, 701, 0x5280, 0x5210);
    add_commit(b, 701, 0x5280, 0x5300);
    CHECK_INT(pgcdc_batch_builder_confirm_lsn(b), 0x5300);

    /* two-phase and streaming notices */
    pgcdc_txn *info = fx_txn(702, 0x53E0, 0x5400, 3000000);
    info->prepared = true;
    info->gid = fx_str("g1");
    ev = ev_of(PGCDC_EV_PREPARE, 0x53F0, info);
    fx_add(b, &ev, PGCDC_OK);
    info = fx_txn(702, 0, 0x5500, 4000000);
    info->prepared = true;
    info->gid = fx_str("g1");
    ev = ev_of(PGCDC_EV_ROLLBACK_PREPARED, 0x54F0, info);
    fx_add(b, &ev, PGCDC_OK);
    ev = ev_of(PGCDC_EV_STREAM_ABORT, 0x5600, NULL);
    ev.aborted_xid = 703;
    fx_add(b, &ev, PGCDC_OK);

    CHECK_INT(pgcdc_batch_builder_records(b), 6);
    CHECK_INT(pgcdc_batch_builder_changes(b), 9);

    pgcdc_batch *batch = fx_roundtrip(b, false);
    if (!batch) {
        pgcdc_batch_builder_free(b);
        return;
    }
    const Pgcdc__V1__ChangeBatch *m = pgcdc_batch_message(batch);
    CHECK_INT(m->format_version, 1);
    CHECK_STR(m->source_database, "shop");
    CHECK_INT(m->confirm_lsn, 0x5300);
    CHECK_INT(m->n_records, 6);

    /* the Relation came after BEGIN but before any change: its record goes first */
    Pgcdc__V1__Record *r = rec_at(m, 0, PGCDC__V1__RECORD__KIND_SCHEMA_EVENT);
    if (r) {
        const Pgcdc__V1__SchemaEvent *s = r->schema_event;
        CHECK_INT(s->relid, ITEMS);
        CHECK_STR(s->schema, "public");
        CHECK_STR(s->table, "items");
        CHECK_INT(s->generation, 1);
        CHECK_INT(s->replica_identity, PGCDC__V1__REPLICA_IDENTITY__REPLICA_IDENTITY_DEFAULT);
        CHECK_INT(s->lsn, 0x4F02);
        CHECK_INT(s->xid, 700);
        CHECK(s->diff == NULL);
        CHECK_INT(s->n_columns, NITEMS);
        for (size_t i = 0; i < s->n_columns && i < NITEMS; i++)
            check_col(s->columns[i], items_cols[i].name, items_cols[i].type_oid, -1, items_cols[i].key);
        if (s->n_columns == NITEMS) {
            CHECK_STR(s->columns[9]->type_schema, "app");
            CHECK_STR(s->columns[9]->type_name, "mood");
            CHECK_STR(s->columns[0]->type_name, ""); /* built-in: by OID */
        }
    }

    r = rec_at(m, 1, PGCDC__V1__RECORD__KIND_TRANSACTION);
    if (r) {
        const Pgcdc__V1__Transaction *t = r->transaction;
        CHECK_INT(t->xid, 700);
        CHECK_INT(t->commit_lsn, 0x5000);
        CHECK_INT(t->end_lsn, 0x5100);
        CHECK_INT(t->begin_lsn, 0x4F00);
        CHECK_INT(t->commit_time_unix_us, 2000000 + 946684800LL * 1000000);
        CHECK_STR(t->origin_name, "node_a");
        CHECK_INT(t->origin_lsn, 0x77);
        CHECK(!t->streamed && !t->prepared && !t->continues);
        CHECK_STR(t->gid, "");
        CHECK_INT(t->fragment_index, 0);
        CHECK_INT(t->n_changes, 9);
        CHECK_INT(t->n_messages, 1);
        static const struct {
            Pgcdc__V1__Op op;
            Pgcdc__V1__OldTuple old_kind;
            const char *oldv, *newv;
        } want[8] = {
            {PGCDC__V1__OP__OP_INSERT, PGCDC__V1__OLD_TUPLE__OLD_TUPLE_NONE, "", ROW1},
            {PGCDC__V1__OP__OP_INSERT, PGCDC__V1__OLD_TUPLE__OLD_TUPLE_NONE, "", ROW2},
            {PGCDC__V1__OP__OP_INSERT, PGCDC__V1__OLD_TUPLE__OLD_TUPLE_NONE, "", ROW3},
            {PGCDC__V1__OP__OP_UPDATE, PGCDC__V1__OLD_TUPLE__OLD_TUPLE_KEY, "i:1|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL",
             ROW2},
            {PGCDC__V1__OP__OP_UPDATE, PGCDC__V1__OLD_TUPLE__OLD_TUPLE_FULL, ROW1, ROW2},
            {PGCDC__V1__OP__OP_UPDATE, PGCDC__V1__OLD_TUPLE__OLD_TUPLE_NONE, "", ROW1},
            {PGCDC__V1__OP__OP_DELETE, PGCDC__V1__OLD_TUPLE__OLD_TUPLE_KEY, "i:2|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL",
             ""},
            {PGCDC__V1__OP__OP_DELETE, PGCDC__V1__OLD_TUPLE__OLD_TUPLE_FULL, ROW3, ""},
        };
        for (size_t i = 0; i < 8 && i < t->n_changes; i++) {
            const Pgcdc__V1__RowChange *c = t->changes[i];
            CHECK_INT(c->op, want[i].op);
            CHECK_INT(c->relid, ITEMS);
            CHECK_STR(c->schema, "public");
            CHECK_STR(c->table, "items");
            CHECK_INT(c->generation, 1);
            CHECK_INT(c->seq, i);
            CHECK_INT(c->lsn, 0x4F10 + 0x10 * i);
            CHECK_INT(c->old_kind, want[i].old_kind);
            CHECK_STR(fx_values_str(c->n_old_values, c->old_values), want[i].oldv);
            CHECK_STR(fx_values_str(c->n_new_values, c->new_values), want[i].newv);
            CHECK_INT(c->n_truncated, 0);
        }
        if (t->n_changes == 9) {
            const Pgcdc__V1__RowChange *c = t->changes[8];
            CHECK_INT(c->op, PGCDC__V1__OP__OP_TRUNCATE);
            CHECK_INT(c->seq, 9);
            CHECK_INT(c->lsn, 0x4FA0);
            CHECK_INT(c->relid, 0);
            CHECK_INT(c->n_new_values + c->n_old_values, 0);
            CHECK(c->truncate_cascade && c->truncate_restart_identity);
            CHECK_INT(c->n_truncated, 2);
            if (c->n_truncated == 2) {
                CHECK_INT(c->truncated[0]->relid, ITEMS);
                CHECK_STR(c->truncated[0]->schema, "public");
                CHECK_STR(c->truncated[0]->table, "items");
                CHECK_INT(c->truncated[1]->relid, OTHER);
                CHECK_STR(c->truncated[1]->schema, "s2");
                CHECK_STR(c->truncated[1]->table, "other");
            }
        }
        if (t->n_messages == 1) {
            const Pgcdc__V1__LogicalMessage *msg = t->messages[0];
            CHECK_STR(msg->prefix, "app");
            CHECK_INT(msg->content.len, 3);
            CHECK(msg->content.len == 3 && memcmp(msg->content.data, "a\0b", 3) == 0);
            CHECK(msg->transactional);
            CHECK_INT(msg->lsn, 0x4F90);
            CHECK_INT(msg->xid, 700);
            CHECK_INT(msg->seq, 8);
        }
    }

    r = rec_at(m, 2, PGCDC__V1__RECORD__KIND_LOGICAL_MESSAGE);
    if (r) {
        CHECK_STR(r->logical_message->prefix, "hb");
        CHECK_INT(r->logical_message->content.len, 0);
        CHECK(!r->logical_message->transactional);
        CHECK_INT(r->logical_message->lsn, 0x5200);
        CHECK_INT(r->logical_message->xid, 0);
    }
    r = rec_at(m, 3, PGCDC__V1__RECORD__KIND_NOTICE);
    if (r) {
        CHECK_INT(r->notice->kind, PGCDC__V1__NOTICE_KIND__NOTICE_PREPARED);
        CHECK_INT(r->notice->xid, 702);
        CHECK_STR(r->notice->gid, "g1");
        CHECK_INT(r->notice->lsn, 0x53F0);
        CHECK_INT(r->notice->end_lsn, 0x5400);
    }
    r = rec_at(m, 4, PGCDC__V1__RECORD__KIND_NOTICE);
    if (r) {
        CHECK_INT(r->notice->kind, PGCDC__V1__NOTICE_KIND__NOTICE_ROLLBACK_PREPARED);
        CHECK_INT(r->notice->xid, 702);
        CHECK_STR(r->notice->gid, "g1");
        CHECK_INT(r->notice->end_lsn, 0x5500);
    }
    r = rec_at(m, 5, PGCDC__V1__RECORD__KIND_NOTICE);
    if (r) {
        CHECK_INT(r->notice->kind, PGCDC__V1__NOTICE_KIND__NOTICE_STREAM_ABORTED);
        CHECK_INT(r->notice->aborted_xid, 703);
        CHECK_INT(r->notice->xid, 0);
    }
    pgcdc_batch_free(batch);

    /* reset: an empty batch that still is a valid one */
    pgcdc_batch_builder_reset(b);
    CHECK_INT(pgcdc_batch_builder_records(b), 0);
    CHECK_INT(pgcdc_batch_builder_changes(b), 0);
    CHECK_INT(pgcdc_batch_builder_confirm_lsn(b), 0);
    batch = fx_roundtrip(b, false);
    if (batch) {
        CHECK_INT(pgcdc_batch_message(batch)->n_records, 0);
        CHECK_INT(pgcdc_batch_message(batch)->format_version, 1);
        pgcdc_batch_free(batch);
    }
    pgcdc_batch_builder_free(b);
}

/* ------------------------------------------------------------------------ */

static pgcdc_relation *items_v2(void)
{
    /* v2: id lost its key flag (KEY_CHANGED), name -> title (RENAMED), price
     * dropped, flag int2 -> int4 (TYPE_CHANGED, typmod too), new column "added". */
    static const fx_col c[] = {
        {"id", OID_INT4, -1, false}, {"title", OID_TEXT, -1, false}, {"flag", OID_INT4, 4, false},
        {"added", OID_TEXT, -1, false},
    };
    return fx_rel(ITEMS, "sales", "items_v2", 'f', 2, 4, c);
}

static pgcdc_relation *items_v1_small(void)
{
    static const fx_col c[] = {
        {"id", OID_INT4, -1, true}, {"name", OID_TEXT, -1, false}, {"price", OID_FLOAT8, -1, false},
        {"flag", OID_INT2, -1, false},
    };
    return fx_rel(ITEMS, "public", "items", 'd', 1, 4, c);
}

static void test_schema_diff_and_fragments(void)
{
    pgcdc_batch_builder *b = NULL;
    CHECK_INT(pgcdc_batch_builder_new(NULL, &b, NULL), PGCDC_OK);
    pgcdc_value v[4];

    /* a streamed, prepared transaction: end_lsn known from BEGIN */
    pgcdc_txn *t = fx_txn(710, 0x6000, 0x6100, 5000000);
    t->streamed = true;
    t->prepared = true;
    t->gid = fx_str("gx");
    pgcdc_event ev = ev_of(PGCDC_EV_BEGIN, 0x5F00, t);
    fx_add(b, &ev, PGCDC_OK);

    v[0] = fx_text("1"), v[1] = fx_text("a"), v[2] = fx_text("2.25"), v[3] = fx_text("3");
    add_row(b, PGCDC_EV_INSERT, 710, 0, 0x5F10, items_v1_small(), 0, 0, NULL, 4, v, PGCDC_OK);

    /* the shape changes in the middle of the transaction */
    ev = ev_of(PGCDC_EV_RELATION, 0x5F20, cur_txn(710, 0x6000));
    ev.rel = items_v2();
    pgcdc_schema_diff *d = fx_alloc(sizeof *d);
    pgcdc_column_change *ch = fx_alloc(5 * sizeof *ch);
    ch[0] = (pgcdc_column_change){PGCDC_COL_KEY_CHANGED, 0, 0};
    ch[1] = (pgcdc_column_change){PGCDC_COL_RENAMED, 1, 1};
    ch[2] = (pgcdc_column_change){PGCDC_COL_DROPPED, 2, -1};
    ch[3] = (pgcdc_column_change){PGCDC_COL_TYPE_CHANGED, 3, 2};
    ch[4] = (pgcdc_column_change){PGCDC_COL_ADDED, -1, 3};
    d->old_rel = items_v1_small();
    d->nchanges = 5;
    d->changes = ch;
    d->table_renamed = true;
    d->replident_changed = true;
    ev.diff = d;
    fx_add(b, &ev, PGCDC_OK);

    v[0] = fx_text("2"), v[1] = fx_text("b"), v[2] = fx_text("70000"), v[3] = fx_unchanged();
    pgcdc_relation *r2 = items_v2();
    add_row(b, PGCDC_EV_INSERT, 710, 1, 0x5F30, r2, 0, 0, NULL, 4, v, PGCDC_OK);

    /* a non-transactional message arriving while the transaction has content */
    ev = ev_of(PGCDC_EV_MESSAGE, 0x5F40, NULL);
    ev.prefix = fx_str("side");
    ev.content = fx_str("x");
    ev.content_len = 1;
    fx_add(b, &ev, PGCDC_OK);

    add_commit(b, 710, 0x6000, 0x6100);
    CHECK_INT(pgcdc_batch_builder_records(b), 5);

    pgcdc_batch *batch = fx_roundtrip(b, false);
    if (!batch) {
        pgcdc_batch_builder_free(b);
        return;
    }
    const Pgcdc__V1__ChangeBatch *m = pgcdc_batch_message(batch);
    CHECK_STR(m->source_database, "");
    CHECK_INT(m->confirm_lsn, 0x6100);
    CHECK_INT(m->n_records, 5);
    /* fragment 0 (continues), schema event, fragment 1 (continues), message, fragment 2 */
    static const int frag_at[3] = {0, 2, 4};
    static const size_t nchanges[3] = {1, 1, 0};
    for (int f = 0; f < 3; f++) {
        Pgcdc__V1__Record *r = rec_at(m, (size_t)frag_at[f], PGCDC__V1__RECORD__KIND_TRANSACTION);
        if (!r)
            continue;
        const Pgcdc__V1__Transaction *tx = r->transaction;
        CHECK_INT(tx->xid, 710);
        CHECK_INT(tx->commit_lsn, 0x6000);
        CHECK_INT(tx->begin_lsn, 0x5F00);
        CHECK_INT(tx->fragment_index, f);
        CHECK_INT(tx->continues, f < 2);
        CHECK_INT(tx->end_lsn, f < 2 ? 0 : 0x6100); /* nothing to confirm before the last fragment */
        CHECK(tx->streamed && tx->prepared);
        CHECK_STR(tx->gid, "gx");
        CHECK_INT(tx->n_changes, nchanges[f]);
    }
    Pgcdc__V1__Record *r = rec_at(m, 0, PGCDC__V1__RECORD__KIND_TRANSACTION);
    if (r && r->transaction->n_changes == 1) {
        const Pgcdc__V1__RowChange *c = r->transaction->changes[0];
        CHECK_INT(c->generation, 1);
        CHECK_STR(fx_values_str(c->n_new_values, c->new_values), "i:1|t:a|d:2.25|i:3");
    }
    r = rec_at(m, 2, PGCDC__V1__RECORD__KIND_TRANSACTION);
    if (r && r->transaction->n_changes == 1) {
        const Pgcdc__V1__RowChange *c = r->transaction->changes[0];
        CHECK_INT(c->generation, 2);
        CHECK_INT(c->seq, 1);
        CHECK_STR(c->schema, "sales");
        CHECK_STR(c->table, "items_v2");
        CHECK_STR(fx_values_str(c->n_new_values, c->new_values), "i:2|t:b|i:70000|UNCHANGED");
    }
    r = rec_at(m, 1, PGCDC__V1__RECORD__KIND_SCHEMA_EVENT);
    if (r) {
        const Pgcdc__V1__SchemaEvent *s = r->schema_event;
        CHECK_INT(s->generation, 2);
        CHECK_STR(s->schema, "sales");
        CHECK_STR(s->table, "items_v2");
        CHECK_INT(s->replica_identity, PGCDC__V1__REPLICA_IDENTITY__REPLICA_IDENTITY_FULL);
        CHECK_INT(s->n_columns, 4);
        if (s->n_columns == 4) {
            check_col(s->columns[0], "id", OID_INT4, -1, false);
            check_col(s->columns[2], "flag", OID_INT4, 4, false);
        }
        CHECK(s->diff != NULL);
        if (s->diff) {
            const Pgcdc__V1__SchemaDiff *sd = s->diff;
            CHECK(sd->table_renamed);
            CHECK_STR(sd->previous_schema, "public");
            CHECK_STR(sd->previous_table, "items");
            CHECK(sd->replica_identity_changed);
            CHECK_INT(sd->previous_replica_identity, PGCDC__V1__REPLICA_IDENTITY__REPLICA_IDENTITY_DEFAULT);
            CHECK_INT(sd->n_column_changes, 5);
            static const struct {
                Pgcdc__V1__ColumnChangeKind kind;
                int old_index, new_index;
                const char *old_name, *new_name;
            } want[5] = {
                {PGCDC__V1__COLUMN_CHANGE_KIND__COLUMN_KEY_CHANGED, 0, 0, "id", "id"},
                {PGCDC__V1__COLUMN_CHANGE_KIND__COLUMN_RENAMED, 1, 1, "name", "title"},
                {PGCDC__V1__COLUMN_CHANGE_KIND__COLUMN_DROPPED, 2, -1, "price", NULL},
                {PGCDC__V1__COLUMN_CHANGE_KIND__COLUMN_TYPE_CHANGED, 3, 2, "flag", "flag"},
                {PGCDC__V1__COLUMN_CHANGE_KIND__COLUMN_ADDED, -1, 3, NULL, "added"},
            };
            for (size_t i = 0; i < 5 && i < sd->n_column_changes; i++) {
                const Pgcdc__V1__ColumnChange *cc = sd->column_changes[i];
                CHECK_INT(cc->kind, want[i].kind);
                CHECK_INT(cc->old_index, want[i].old_index);
                CHECK_INT(cc->new_index, want[i].new_index);
                CHECK_INT(cc->old_column != NULL, want[i].old_name != NULL);
                CHECK_INT(cc->new_column != NULL, want[i].new_name != NULL);
                if (cc->old_column && want[i].old_name)
                    CHECK_STR(cc->old_column->name, want[i].old_name);
                if (cc->new_column && want[i].new_name)
                    CHECK_STR(cc->new_column->name, want[i].new_name);
            }
            if (sd->n_column_changes == 5) {
                check_col(sd->column_changes[0]->old_column, "id", OID_INT4, -1, true);
                check_col(sd->column_changes[0]->new_column, "id", OID_INT4, -1, false);
                check_col(sd->column_changes[3]->old_column, "flag", OID_INT2, -1, false);
                check_col(sd->column_changes[3]->new_column, "flag", OID_INT4, 4, false);
            }
        }
    }
    r = rec_at(m, 3, PGCDC__V1__RECORD__KIND_LOGICAL_MESSAGE);
    if (r) {
        CHECK_STR(r->logical_message->prefix, "side");
        CHECK_INT(r->logical_message->content.len, 1);
    }
    pgcdc_batch_free(batch);
    pgcdc_batch_builder_free(b);
}

/* ------------------------------------------------------------------------ */

static void test_encode_split(void)
{
    pgcdc_batch_builder *b = NULL;
    pgcdc_error err = {0};
    pgcdc_buf buf = PGCDC_BUF_INIT;
    CHECK_INT(pgcdc_batch_builder_new("db", &b, &err), PGCDC_OK);
    pgcdc_value v[4];

    add_begin(b, 720, 0x8000, 0x7F00);
    for (int i = 0; i < 3; i++) {
        char id[8];
        snprintf(id, sizeof id, "%d", i);
        v[0] = fx_text(id), v[1] = fx_text("x"), v[2] = fx_null(), v[3] = fx_null();
        add_row(b, PGCDC_EV_INSERT, 720, (uint64_t)i, 0x7F10 + (pgcdc_lsn)i, items_v1_small(), 0, 0, NULL, 4, v,
                PGCDC_OK);
    }
    /* a batch is cut between transactions */
    CHECK_INT(pgcdc_batch_encode(b, &buf, &err), PGCDC_EINVAL);
    CHECK_CONTAINS(err.message, "transaction 720 is still open");
    CHECK_CONTAINS(err.message, "pgcdc_batch_encode_split");

    pgcdc_batch *batch = fx_roundtrip(b, true);
    if (batch) {
        const Pgcdc__V1__ChangeBatch *m = pgcdc_batch_message(batch);
        CHECK_INT(m->n_records, 1);
        CHECK_INT(m->confirm_lsn, 0);
        Pgcdc__V1__Record *r = rec_at(m, 0, PGCDC__V1__RECORD__KIND_TRANSACTION);
        if (r) {
            CHECK_INT(r->transaction->xid, 720);
            CHECK_INT(r->transaction->n_changes, 3);
            CHECK(r->transaction->continues);
            CHECK_INT(r->transaction->end_lsn, 0);
            CHECK_INT(r->transaction->fragment_index, 0);
        }
        pgcdc_batch_free(batch);
    }
    pgcdc_batch_builder_reset(b);
    CHECK(pgcdc_batch_builder_in_transaction(b));
    CHECK_INT(pgcdc_batch_builder_changes(b), 0);
    for (int i = 3; i < 5; i++) {
        char id[8];
        snprintf(id, sizeof id, "%d", i);
        v[0] = fx_text(id), v[1] = fx_text("y"), v[2] = fx_null(), v[3] = fx_null();
        add_row(b, PGCDC_EV_INSERT, 720, (uint64_t)i, 0x7F10 + (pgcdc_lsn)i, items_v1_small(), 0, 0, NULL, 4, v,
                PGCDC_OK);
    }
    add_commit(b, 720, 0x8000, 0x8100);
    batch = fx_roundtrip(b, false);
    if (batch) {
        const Pgcdc__V1__ChangeBatch *m = pgcdc_batch_message(batch);
        CHECK_INT(m->n_records, 1);
        CHECK_INT(m->confirm_lsn, 0x8100);
        Pgcdc__V1__Record *r = rec_at(m, 0, PGCDC__V1__RECORD__KIND_TRANSACTION);
        if (r) {
            const Pgcdc__V1__Transaction *t = r->transaction;
            CHECK_INT(t->xid, 720);
            CHECK_INT(t->commit_lsn, 0x8000);
            CHECK_INT(t->begin_lsn, 0x7F00);
            CHECK_INT(t->fragment_index, 1);
            CHECK(!t->continues);
            CHECK_INT(t->end_lsn, 0x8100);
            CHECK_INT(t->n_changes, 2);
            if (t->n_changes == 2) {
                CHECK_INT(t->changes[0]->seq, 3);
                CHECK_STR(fx_values_str(t->changes[1]->n_new_values, t->changes[1]->new_values), "i:4|t:y|NULL|NULL");
            }
        }
        pgcdc_batch_free(batch);
    }

    /* split while the open transaction has nothing yet: it is not in the batch */
    pgcdc_batch_builder_reset(b);
    add_begin(b, 730, 0x9000, 0x8F00);
    batch = fx_roundtrip(b, true);
    if (batch) {
        CHECK_INT(pgcdc_batch_message(batch)->n_records, 0);
        pgcdc_batch_free(batch);
    }
    pgcdc_batch_builder_reset(b);
    v[0] = fx_text("9"), v[1] = fx_null(), v[2] = fx_null(), v[3] = fx_null();
    add_row(b, PGCDC_EV_INSERT, 730, 0, 0x8F10, items_v1_small(), 0, 0, NULL, 4, v, PGCDC_OK);
    add_commit(b, 730, 0x9000, 0x9100);
    batch = fx_roundtrip(b, false);
    if (batch) {
        const Pgcdc__V1__ChangeBatch *m = pgcdc_batch_message(batch);
        Pgcdc__V1__Record *r = rec_at(m, 0, PGCDC__V1__RECORD__KIND_TRANSACTION);
        if (r) {
            CHECK_INT(r->transaction->fragment_index, 0);
            CHECK_INT(r->transaction->n_changes, 1);
            CHECK_INT(r->transaction->end_lsn, 0x9100);
        }
        pgcdc_batch_free(batch);
    }
    pgcdc_buf_free(&buf);
    pgcdc_batch_builder_free(b);
}

/* ------------------------------------------------------------------------ */

static void test_snapshot_and_watermarks(void)
{
    pgcdc_batch_builder *b = NULL;
    pgcdc_error err = {0};
    CHECK_INT(pgcdc_batch_builder_new("db", &b, &err), PGCDC_OK);
    static const fx_col cols[] = {{"id", OID_INT4, -1, true}, {"name", OID_TEXT, -1, false},
                                  {"price", OID_FLOAT8, -1, false}};
    pgcdc_relation *rel = fx_rel(ITEMS, "public", "items", 'd', 3, 3, cols);

    pgcdc_watermark wm = {PGCDC_WATERMARK_LOW, fx_str("w-1"), ITEMS, fx_str("public"), fx_str("items"), 7, 0x7000};
    CHECK_INT(pgcdc_batch_add_watermark(b, &wm, &err), PGCDC_OK);
    fx_trash();

    rel = fx_rel(ITEMS, "public", "items", 'd', 3, 3, cols);
    pgcdc_snapshot_chunk chunk = {
        .relid = ITEMS, .nspname = rel->nspname, .relname = rel->relname, .generation = 3,
        .ncolumns = 3, .columns = rel->columns, .chunk_id = 7, .chunk_start = fx_str("(0)"),
        .chunk_end = fx_str("(100)"), .snapshot_lsn = 0x6FFF, .last_chunk = true,
    };
    pgcdc_value v[3];
    pgcdc_tuple rows[2];
    v[0] = fx_text("1"), v[1] = fx_text("one"), v[2] = fx_text("0.5");
    rows[0] = fx_tuple(3, v);
    v[0] = fx_text("2"), v[1] = fx_null(), v[2] = fx_text("-0");
    rows[1] = fx_tuple(3, v);
    CHECK_INT(pgcdc_batch_add_snapshot_rows(b, &chunk, rows, 2, &err), PGCDC_OK);
    fx_trash();
    v[0] = fx_text("3"), v[1] = fx_text("three"), v[2] = fx_text("1e+300");
    rows[0] = fx_tuple(3, v);
    CHECK_INT(pgcdc_batch_append_snapshot_rows(b, rows, 1, &err), PGCDC_OK);
    fx_trash();
    CHECK_INT(pgcdc_batch_builder_snapshot_rows(b), 3);

    wm = (pgcdc_watermark){PGCDC_WATERMARK_HIGH, fx_str("w-1"), ITEMS, fx_str("public"), fx_str("items"), 7, 0x7100};
    CHECK_INT(pgcdc_batch_add_watermark(b, &wm, &err), PGCDC_OK);
    fx_trash();
    /* the chunk is closed once something else was added */
    v[0] = fx_text("4"), v[1] = fx_null(), v[2] = fx_null();
    rows[0] = fx_tuple(3, v);
    CHECK_INT(pgcdc_batch_append_snapshot_rows(b, rows, 1, &err), PGCDC_EINVAL);
    CHECK_CONTAINS(err.message, "pgcdc_batch_add_snapshot_rows");
    wm.kind = 5;
    CHECK_INT(pgcdc_batch_add_watermark(b, &wm, &err), PGCDC_EINVAL);
    fx_trash();

    /* a chunk without a column list keeps values as given */
    pgcdc_snapshot_chunk bare = {.relid = OTHER, .nspname = fx_str("s2"), .relname = fx_str("other"), .chunk_id = 8};
    v[0] = fx_text("42");
    rows[0] = fx_tuple(1, v);
    CHECK_INT(pgcdc_batch_add_snapshot_rows(b, &bare, rows, 1, &err), PGCDC_OK);
    fx_trash();

    pgcdc_batch *batch = fx_roundtrip(b, false);
    if (!batch) {
        pgcdc_batch_builder_free(b);
        return;
    }
    const Pgcdc__V1__ChangeBatch *m = pgcdc_batch_message(batch);
    CHECK_INT(m->n_records, 4);
    CHECK_INT(m->confirm_lsn, 0);
    Pgcdc__V1__Record *r = rec_at(m, 0, PGCDC__V1__RECORD__KIND_WATERMARK);
    if (r) {
        CHECK_INT(r->watermark->kind, PGCDC__V1__WATERMARK_KIND__WATERMARK_LOW);
        CHECK_STR(r->watermark->watermark_id, "w-1");
        CHECK_INT(r->watermark->relid, ITEMS);
        CHECK_STR(r->watermark->schema, "public");
        CHECK_STR(r->watermark->table, "items");
        CHECK_INT(r->watermark->chunk_id, 7);
        CHECK_INT(r->watermark->lsn, 0x7000);
    }
    r = rec_at(m, 1, PGCDC__V1__RECORD__KIND_SNAPSHOT_ROWS);
    if (r) {
        const Pgcdc__V1__SnapshotRows *s = r->snapshot_rows;
        CHECK_INT(s->relid, ITEMS);
        CHECK_STR(s->schema, "public");
        CHECK_STR(s->table, "items");
        CHECK_INT(s->generation, 3);
        CHECK_INT(s->chunk_id, 7);
        CHECK_STR(s->chunk_start, "(0)");
        CHECK_STR(s->chunk_end, "(100)");
        CHECK_INT(s->snapshot_lsn, 0x6FFF);
        CHECK(s->last_chunk);
        CHECK_INT(s->n_columns, 3);
        if (s->n_columns == 3) {
            check_col(s->columns[0], "id", OID_INT4, -1, true);
            check_col(s->columns[2], "price", OID_FLOAT8, -1, false);
        }
        CHECK_INT(s->n_rows, 3);
        if (s->n_rows == 3) {
            CHECK_STR(fx_values_str(s->rows[0]->n_values, s->rows[0]->values), "i:1|t:one|d:0.5");
            CHECK_STR(fx_values_str(s->rows[1]->n_values, s->rows[1]->values), "i:2|NULL|d:-0");
            CHECK(signbit(s->rows[1]->values[2]->double_value));
            CHECK_STR(fx_values_str(s->rows[2]->n_values, s->rows[2]->values), "i:3|t:three|d:1.0000000000000001e+300");
        }
    }
    r = rec_at(m, 2, PGCDC__V1__RECORD__KIND_WATERMARK);
    if (r) {
        CHECK_INT(r->watermark->kind, PGCDC__V1__WATERMARK_KIND__WATERMARK_HIGH);
        CHECK_INT(r->watermark->lsn, 0x7100);
    }
    r = rec_at(m, 3, PGCDC__V1__RECORD__KIND_SNAPSHOT_ROWS);
    if (r) {
        CHECK_INT(r->snapshot_rows->n_columns, 0);
        CHECK_STR(r->snapshot_rows->chunk_start, "");
        CHECK(!r->snapshot_rows->last_chunk);
        CHECK_INT(r->snapshot_rows->n_rows, 1);
        if (r->snapshot_rows->n_rows == 1)
            CHECK_STR(fx_values_str(r->snapshot_rows->rows[0]->n_values, r->snapshot_rows->rows[0]->values), "t:42");
    }
    pgcdc_batch_free(batch);

    /* snapshot rows while a transaction is open: before it when it is empty,
     * between fragments when it has changes */
    pgcdc_batch_builder_reset(b);
    add_begin(b, 740, 0xA000, 0x9F00);
    v[0] = fx_text("5");
    rows[0] = fx_tuple(1, v);
    pgcdc_snapshot_chunk c2 = {.relid = OTHER, .nspname = fx_str("s2"), .relname = fx_str("other"), .chunk_id = 9};
    CHECK_INT(pgcdc_batch_add_snapshot_rows(b, &c2, rows, 1, &err), PGCDC_OK);
    fx_trash();
    pgcdc_value iv[4] = {fx_text("1"), fx_null(), fx_null(), fx_null()};
    add_row(b, PGCDC_EV_INSERT, 740, 0, 0x9F10, items_v1_small(), 0, 0, NULL, 4, iv, PGCDC_OK);
    /* the insert closed the chunk for appends */
    v[0] = fx_text("6");
    rows[0] = fx_tuple(1, v);
    CHECK_INT(pgcdc_batch_append_snapshot_rows(b, rows, 1, &err), PGCDC_EINVAL);
    fx_trash();
    wm = (pgcdc_watermark){PGCDC_WATERMARK_LOW, fx_str("w-2"), OTHER, fx_str("s2"), fx_str("other"), 9, 0x9F20};
    CHECK_INT(pgcdc_batch_add_watermark(b, &wm, &err), PGCDC_OK);
    fx_trash();
    add_commit(b, 740, 0xA000, 0xA100);
    batch = fx_roundtrip(b, false);
    if (batch) {
        m = pgcdc_batch_message(batch);
        CHECK_INT(m->n_records, 4);
        rec_at(m, 0, PGCDC__V1__RECORD__KIND_SNAPSHOT_ROWS);
        r = rec_at(m, 1, PGCDC__V1__RECORD__KIND_TRANSACTION);
        if (r)
            CHECK(r->transaction->continues && r->transaction->n_changes == 1);
        rec_at(m, 2, PGCDC__V1__RECORD__KIND_WATERMARK);
        r = rec_at(m, 3, PGCDC__V1__RECORD__KIND_TRANSACTION);
        if (r)
            CHECK(!r->transaction->continues && r->transaction->fragment_index == 1 &&
                  r->transaction->end_lsn == 0xA100);
        pgcdc_batch_free(batch);
    }
    pgcdc_batch_builder_free(b);
}

/* ------------------------------------------------------------------------ */

static void test_refusals(void)
{
    pgcdc_batch_builder *b = NULL;
    CHECK_INT(pgcdc_batch_builder_new("db", &b, NULL), PGCDC_OK);
    pgcdc_error err = {0};
    pgcdc_value v[4] = {fx_text("1"), fx_null(), fx_null(), fx_null()};
    pgcdc_event ev = ev_of(PGCDC_EV_INSERT, 0x10, NULL);
    ev.rel = items_v1_small();
    ev.new_tuple = fx_tuple(4, v);
    CHECK_INT(pgcdc_batch_add_event(b, &ev, &err), PGCDC_EINVAL);
    CHECK_CONTAINS(err.message, "INSERT");
    CHECK_CONTAINS(err.message, "no transaction is open");
    fx_trash();

    ev = ev_of(PGCDC_EV_COMMIT, 0x20, fx_txn(1, 2, 3, 4));
    CHECK_INT(pgcdc_batch_add_event(b, &ev, &err), PGCDC_EINVAL);
    CHECK_CONTAINS(err.message, "COMMIT");
    fx_trash();

    add_begin(b, 750, 0xB000, 0xAF00);
    ev = ev_of(PGCDC_EV_BEGIN, 0xAF10, cur_txn(751, 0xB100));
    CHECK_INT(pgcdc_batch_add_event(b, &ev, &err), PGCDC_EINVAL);
    CHECK_CONTAINS(err.message, "transaction 750 is still open");
    fx_trash();
    ev = ev_of(PGCDC_EV_COMMIT, 0xAF20, fx_txn(751, 0xB000, 0xB100, 0));
    CHECK_INT(pgcdc_batch_add_event(b, &ev, &err), PGCDC_EINVAL);
    CHECK_CONTAINS(err.message, "751");
    fx_trash();

    /* a value kind the decoder never produces */
    v[0] = fx_text("1");
    v[1] = (pgcdc_value){.kind = 'x'};
    v[2] = fx_null(), v[3] = fx_null();
    add_row(b, PGCDC_EV_INSERT, 750, 0, 0xAF30, items_v1_small(), 0, 0, NULL, 4, v, PGCDC_EINVAL);
    ev = ev_of((pgcdc_event_kind)99, 0xAF40, NULL);
    CHECK_INT(pgcdc_batch_add_event(b, &ev, &err), PGCDC_EINVAL);

    /* the sink form: 0 to go on, -1 with err filled to stop */
    ev = ev_of(PGCDC_EV_COMMIT, 0xAF50, fx_txn(750, 0xB000, 0xB100, 0));
    CHECK_INT(pgcdc_batch_sink(b, &ev, &err), 0);
    ev = ev_of(PGCDC_EV_COMMIT, 0xAF60, fx_txn(750, 0xB000, 0xB100, 0));
    CHECK_INT(pgcdc_batch_sink(b, &ev, &err), -1);
    CHECK_INT(err.code, PGCDC_EINVAL);
    fx_trash();
    pgcdc_batch_builder_free(b);
    pgcdc_batch_builder_free(NULL);
}

/* Typed values off: everything stays as sent. */
static void test_untyped(void)
{
    pgcdc_batch_builder *b = NULL;
    CHECK_INT(pgcdc_batch_builder_new("db", &b, NULL), PGCDC_OK);
    pgcdc_batch_builder_set_typed_values(b, false);
    pgcdc_value v[NITEMS];
    add_begin(b, 760, 0xC000, 0xBF00);
    row1(v);
    add_row(b, PGCDC_EV_INSERT, 760, 0, 0xBF10, items(), 0, 0, NULL, NITEMS, v, PGCDC_OK);
    add_commit(b, 760, 0xC000, 0xC100);
    pgcdc_batch *batch = fx_roundtrip(b, false);
    if (batch) {
        const Pgcdc__V1__ChangeBatch *m = pgcdc_batch_message(batch);
        Pgcdc__V1__Record *r = rec_at(m, 0, PGCDC__V1__RECORD__KIND_TRANSACTION);
        if (r && r->transaction->n_changes == 1)
            CHECK_STR(fx_values_str(r->transaction->changes[0]->n_new_values, r->transaction->changes[0]->new_values),
                      "t:1|t:it's \"quoted\" \\ ünïcødé ✓ 日本|t:1.5|t:t|t:-9223372036854775808|b:000100ff00|"
                      "t:32767|t:4294967295|t:0.1|t:happy");
        pgcdc_batch_free(batch);
    }
    pgcdc_batch_builder_free(b);
}

/* The size estimate is what callers cut batches by: keep it close. */
static void test_size_estimate(void)
{
    pgcdc_batch_builder *b = NULL;
    CHECK_INT(pgcdc_batch_builder_new("db", &b, NULL), PGCDC_OK);
    pgcdc_value v[NITEMS];
    for (int t = 0; t < 20; t++) {
        add_begin(b, 800 + (uint32_t)t, 0x100000 + (pgcdc_lsn)t * 0x1000, 0x100000 + (pgcdc_lsn)t * 0x1000 - 0x800);
        for (int i = 0; i < 50; i++) {
            row1(v);
            add_row(b, PGCDC_EV_INSERT, 800 + (uint32_t)t, (uint64_t)i, 0x100000 + (pgcdc_lsn)(t * 0x1000 + i),
                    items(), 0, 0, NULL, NITEMS, v, PGCDC_OK);
        }
        add_commit(b, 800 + (uint32_t)t, 0x100000 + (pgcdc_lsn)t * 0x1000, 0x100000 + (pgcdc_lsn)t * 0x1000 + 0x10);
    }
    pgcdc_buf buf = PGCDC_BUF_INIT;
    CHECK_INT(pgcdc_batch_encode(b, &buf, NULL), PGCDC_OK);
    size_t est = pgcdc_batch_builder_bytes(b);
    double ratio = (double)est / (double)buf.len;
    CHECK_MSG(ratio > 0.9 && ratio < 1.1, "estimate %zu for %zu encoded bytes", est, buf.len);
    CHECK_INT(pgcdc_batch_builder_changes(b), 1000);
    CHECK_INT(pgcdc_batch_builder_records(b), 20);
    pgcdc_buf_free(&buf);
    pgcdc_batch_builder_free(b);
}

int main(void)
{
    fx_trash();
    test_transaction();
    test_schema_diff_and_fragments();
    test_encode_split();
    test_snapshot_and_watermarks();
    test_refusals();
    test_untyped();
    test_size_estimate();
    return pgt_done("batch_roundtrip");
}
