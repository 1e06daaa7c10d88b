/* test_batch_live.c - the builder as the decoder's sink on a real server's
 * pgoutput stream (read through pg_logical_slot_get_binary_changes, which
 * hands out exactly what the walsender sends): DML of every kind, a column
 * added in the middle of a transaction, an unchanged TOASTed value, logical
 * messages, TRUNCATE; then encode, decode and check what came out. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch_fixture.h"
#include "check.h"
#include "pgcdc/batch.h"
#include "pgcdc/decoder.h"
#include "pgt.h"

static uint64_t be64(const char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | (unsigned char)p[i];
    return v;
}

static void drain(PGconn *conn, const char *options, pgcdc_decoder *dec)
{
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT lsn, data FROM pg_logical_slot_get_binary_changes('s', NULL, NULL, %s)",
             options);
    PGresult *r = PQexecParams(conn, sql, 0, NULL, NULL, NULL, NULL, 1);
    CHECK_MSG(PQresultStatus(r) == PGRES_TUPLES_OK, "%s", PQerrorMessage(conn));
    pgcdc_error err = {0};
    for (int i = 0; i < PQntuples(r); i++) {
        pgcdc_code rc = pgcdc_decoder_feed(dec, (const uint8_t *)PQgetvalue(r, i, 1), (size_t)PQgetlength(r, i, 1),
                                           be64(PQgetvalue(r, i, 0)), &err);
        CHECK_MSG(rc == PGCDC_OK, "feed: %s", err.message);
        if (rc)
            break;
    }
    PQclear(r);
}

static const Pgcdc__V1__Transaction *txn_at(const Pgcdc__V1__ChangeBatch *m, size_t i)
{
    CHECK_MSG(i < m->n_records && m->records[i]->kind_case == PGCDC__V1__RECORD__KIND_TRANSACTION,
              "record %zu is not a transaction", i);
    return i < m->n_records && m->records[i]->kind_case == PGCDC__V1__RECORD__KIND_TRANSACTION
               ? m->records[i]->transaction
               : NULL;
}

int main(void)
{
    int major = pgt_major();
    pgt_cluster c;
    pgt_cluster_start(&c, major, NULL);
    PGconn *conn = pgt_connect(&c, "postgres");
    bool messages = major >= 14; /* the pgoutput "messages" option */

    pgt_exec(conn, "CREATE TABLE items (id int PRIMARY KEY, name text, price float8, flag bool, big bigint, "
                   "data bytea, note text)");
    pgt_exec(conn, "ALTER TABLE items ALTER COLUMN note SET STORAGE EXTERNAL"); /* TOASTed, uncompressed */
    pgt_exec(conn, "CREATE TABLE other (k bigint PRIMARY KEY)");
    pgt_exec(conn, "CREATE PUBLICATION pub FOR ALL TABLES");
    pgt_exec(conn, "SELECT pg_create_logical_replication_slot('s', 'pgoutput')");
    char options[256];
    int proto = major >= 16 ? 4 : major >= 15 ? 3 : major >= 14 ? 2 : 1;
    snprintf(options, sizeof options, "'proto_version', '%d', 'publication_names', 'pub'%s", proto,
             messages ? ", 'messages', 'true'" : "");

    /* 1: inserts, an update, a delete, a transactional message */
    pgt_exec(conn, "BEGIN; "
                   "INSERT INTO items VALUES (1, 'one', 1.5, true, -9223372036854775808, '\\x00ff00', repeat('x', 3000)), "
                   "(2, 'it''s', 'NaN', false, 9223372036854775807, NULL, NULL); "
                   "UPDATE items SET name = 'uno' WHERE id = 1; "
                   "DELETE FROM items WHERE id = 2; "
                   "SELECT pg_logical_emit_message(true, 'app', 'in txn'); "
                   "COMMIT");
    /* 2: a column added in the middle of a transaction */
    pgt_exec(conn, "BEGIN; INSERT INTO items (id, name) VALUES (3, 'three'); "
                   "ALTER TABLE items ADD COLUMN extra int; "
                   "INSERT INTO items (id, name, extra) VALUES (4, 'four', 44); COMMIT");
    /* 3: a non-transactional message, then TRUNCATE of two tables */
    pgt_exec(conn, "SELECT pg_logical_emit_message(false, 'hb', 'tick')");
    pgt_exec(conn, "TRUNCATE items, other RESTART IDENTITY");
    char *end_lsn = pgt_query_value(conn, "SELECT pg_current_wal_lsn()");

    pgcdc_batch_builder *b = NULL;
    pgcdc_decoder *dec = NULL;
    pgcdc_error err = {0};
    CHECK_INT(pgcdc_batch_builder_new("postgres", &b, &err), PGCDC_OK);
    pgcdc_decoder_options o = {.proto_version = proto};
    CHECK_INT(pgcdc_decoder_new(&o, pgcdc_batch_sink, b, &dec, &err), PGCDC_OK);
    drain(conn, options, dec);
    CHECK(!pgcdc_batch_builder_in_transaction(b));

    pgcdc_batch *batch = fx_roundtrip(b, false);
    if (batch) {
        const Pgcdc__V1__ChangeBatch *m = pgcdc_batch_message(batch);
        pgcdc_lsn wal_end = 0;
        pgcdc_lsn_parse(end_lsn, &wal_end);
        CHECK(m->confirm_lsn > 0 && m->confirm_lsn <= wal_end);

        /* SchemaEvent items, txn 1, txn 2 frag 0, SchemaEvent items gen 2, txn 2 frag 1,
         * [message hb,] SchemaEvent other, txn 3 (truncate) */
        size_t want = messages ? 8 : 7;
        CHECK_INT(m->n_records, want);
        if (m->n_records == want) {
            Pgcdc__V1__Record *const *r = m->records;
            CHECK_INT(r[0]->kind_case, PGCDC__V1__RECORD__KIND_SCHEMA_EVENT);
            if (r[0]->kind_case == PGCDC__V1__RECORD__KIND_SCHEMA_EVENT) {
                CHECK_STR(r[0]->schema_event->table, "items");
                CHECK_INT(r[0]->schema_event->n_columns, 7);
                CHECK_INT(r[0]->schema_event->generation, 1);
            }
            const Pgcdc__V1__Transaction *t = txn_at(m, 1);
            if (t) {
                CHECK_INT(t->n_changes, 4);
                CHECK_INT(t->n_messages, messages ? 1 : 0);
                CHECK(t->end_lsn > t->commit_lsn && !t->continues);
                if (t->n_changes == 4) {
                    const Pgcdc__V1__RowChange *c0 = t->changes[0];
                    CHECK_STR(fx_values_str(c0->n_new_values < 6 ? c0->n_new_values : 6, c0->new_values),
                              "i:1|t:one|d:1.5|B:true|i:-9223372036854775808|t:\\x00ff00");
                    if (c0->n_new_values == 7) {
                        const Pgcdc__V1__Value *note = c0->new_values[6];
                        bool all_x = note->kind_case == PGCDC__V1__VALUE__KIND_TEXT && note->text.len == 3000;
                        for (size_t i = 0; all_x && i < 3000; i++)
                            all_x = note->text.data[i] == 'x';
                        CHECK_MSG(all_x, "the TOASTed note came as %s", note->kind_case == PGCDC__V1__VALUE__KIND_TEXT
                                                                           ? "other text" : fx_value_str(note));
                    }
                    CHECK_STR(fx_values_str(t->changes[1]->n_new_values, t->changes[1]->new_values),
                              "i:2|t:it's|d:nan|B:false|i:9223372036854775807|NULL|NULL");
                    /* the TOASTed note did not change: not sent */
                    CHECK_INT(t->changes[2]->op, PGCDC__V1__OP__OP_UPDATE);
                    CHECK_STR(fx_values_str(t->changes[2]->n_new_values, t->changes[2]->new_values),
                              "i:1|t:uno|d:1.5|B:true|i:-9223372036854775808|t:\\x00ff00|UNCHANGED");
                    CHECK_INT(t->changes[3]->op, PGCDC__V1__OP__OP_DELETE);
                    CHECK_INT(t->changes[3]->old_kind, PGCDC__V1__OLD_TUPLE__OLD_TUPLE_KEY);
                    CHECK_STR(fx_values_str(t->changes[3]->n_old_values, t->changes[3]->old_values),
                              "i:2|NULL|NULL|NULL|NULL|NULL|NULL");
                    for (size_t i = 0; i < 4; i++)
                        CHECK_INT(t->changes[i]->seq, i);
                }
                if (t->n_messages == 1) {
                    CHECK_STR(t->messages[0]->prefix, "app");
                    CHECK_INT(t->messages[0]->seq, 4); /* after the four changes */
                    CHECK_INT(t->messages[0]->xid, t->xid);
                }
            }
            /* transaction 2: split around the new shape */
            const Pgcdc__V1__Transaction *f0 = txn_at(m, 2), *f1 = txn_at(m, 4);
            CHECK_INT(r[3]->kind_case, PGCDC__V1__RECORD__KIND_SCHEMA_EVENT);
            if (f0 && f1 && r[3]->kind_case == PGCDC__V1__RECORD__KIND_SCHEMA_EVENT) {
                const Pgcdc__V1__SchemaEvent *s = r[3]->schema_event;
                CHECK_INT(s->generation, 2);
                CHECK_INT(s->n_columns, 8);
                CHECK(s->diff != NULL);
                if (s->diff && s->diff->n_column_changes == 1) {
                    CHECK_INT(s->diff->column_changes[0]->kind, PGCDC__V1__COLUMN_CHANGE_KIND__COLUMN_ADDED);
                    CHECK_STR(s->diff->column_changes[0]->new_column->name, "extra");
                }
                CHECK_INT(f0->xid, f1->xid);
                CHECK(f0->continues && f0->end_lsn == 0 && f0->fragment_index == 0);
                CHECK(!f1->continues && f1->end_lsn > 0 && f1->fragment_index == 1);
                CHECK_INT(f0->n_changes, 1);
                CHECK_INT(f1->n_changes, 1);
                if (f1->n_changes == 1) {
                    CHECK_INT(f1->changes[0]->generation, 2);
                    CHECK_STR(fx_values_str(f1->changes[0]->n_new_values, f1->changes[0]->new_values),
                              "i:4|t:four|NULL|NULL|NULL|NULL|NULL|i:44");
                }
            }
            size_t k = 5;
            if (messages) {
                CHECK_INT(r[k]->kind_case, PGCDC__V1__RECORD__KIND_LOGICAL_MESSAGE);
                if (r[k]->kind_case == PGCDC__V1__RECORD__KIND_LOGICAL_MESSAGE)
                    CHECK_STR(r[k]->logical_message->prefix, "hb");
                k++;
            }
            CHECK_INT(r[k]->kind_case, PGCDC__V1__RECORD__KIND_SCHEMA_EVENT);
            t = txn_at(m, k + 1);
            if (t && t->n_changes == 1) {
                const Pgcdc__V1__RowChange *ch = t->changes[0];
                CHECK_INT(ch->op, PGCDC__V1__OP__OP_TRUNCATE);
                CHECK_INT(ch->n_truncated, 2);
                CHECK(ch->truncate_restart_identity && !ch->truncate_cascade);
                CHECK_INT(m->confirm_lsn, t->end_lsn);
            }
        }
        pgcdc_batch_free(batch);
    }
    free(end_lsn);
    pgcdc_decoder_free(dec);
    pgcdc_batch_builder_free(b);
    PQfinish(conn);
    pgt_cluster_stop(&c);
    return pgt_done("batch_live");
}
