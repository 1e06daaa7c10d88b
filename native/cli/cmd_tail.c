/* cmd_tail.c - `pgcdc tail -c FILE`: streams and decodes the publication's
 * changes and prints them, one line per event; a transaction is confirmed to
 * the server once it has been printed. The quickstart demo until the pipeline
 * runner lands; handy for looking at what a source sends. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "pgcdc/decoder.h"
#include "pgcdc/log.h"
#include "pgcdc/slot.h"
#include "pgcdc/stream.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

typedef struct tail_state {
    pgcdc_stream *stream;
    pgcdc_decoder *dec;
    long commits;
} tail_state;

static void print_value(const pgcdc_value *v)
{
    switch (v->kind) {
    case 'n': fputs("NULL", stdout); break;
    case 'u': fputs("(unchanged TOAST)", stdout); break;
    case 'b': printf("(%u bytes binary)", v->len); break;
    default:
        putchar('\'');
        for (uint32_t i = 0; i < v->len; i++) {
            if (v->data[i] == '\'')
                putchar('\'');
            putchar(v->data[i]);
        }
        putchar('\'');
    }
}

static void print_tuple(const pgcdc_relation *rel, const pgcdc_tuple *t, bool key_only)
{
    bool first = true;
    for (int i = 0; i < t->ncolumns; i++) {
        if (key_only && !(rel->columns[i].flags & PGCDC_COLUMN_KEY))
            continue;
        printf("%s%s=", first ? "" : " ", rel->columns[i].name);
        print_value(&t->values[i]);
        first = false;
    }
}

static int print_event(void *ud, const pgcdc_event *ev, pgcdc_error *err)
{
    (void)err;
    tail_state *st = ud;
    char a[PGCDC_LSN_STRLEN], b[PGCDC_LSN_STRLEN];
    switch (ev->kind) {
    case PGCDC_EV_BEGIN:
        printf("BEGIN xid=%u%s%s\n", ev->txn->xid, ev->txn->streamed ? " (streamed)" : "",
               ev->txn->prepared ? " (two-phase)" : "");
        break;
    case PGCDC_EV_COMMIT:
        printf("COMMIT xid=%u lsn=%s end=%s changes=%llu\n", ev->txn->xid, pgcdc_lsn_format(ev->txn->commit_lsn, a),
               pgcdc_lsn_format(ev->txn->end_lsn, b), (unsigned long long)ev->txn->nchanges);
        fflush(stdout);
        /* printed and flushed: this transaction is done with, confirm it */
        pgcdc_stream_set_durable(st->stream, ev->txn->end_lsn, pgcdc_decoder_pending_transactions(st->dec) == 0);
        st->commits++;
        break;
    case PGCDC_EV_RELATION:
        printf("RELATION %s.%s generation %u:", ev->rel->nspname, ev->rel->relname, ev->rel->generation);
        for (int i = 0; i < ev->rel->ncolumns; i++)
            printf(" %s%s", ev->rel->columns[i].name, ev->rel->columns[i].flags & PGCDC_COLUMN_KEY ? "(key)" : "");
        printf("%s\n", ev->diff ? " [schema changed]" : "");
        break;
    case PGCDC_EV_INSERT:
        printf("  INSERT %s.%s ", ev->rel->nspname, ev->rel->relname);
        print_tuple(ev->rel, &ev->new_tuple, false);
        putchar('\n');
        break;
    case PGCDC_EV_UPDATE:
        printf("  UPDATE %s.%s ", ev->rel->nspname, ev->rel->relname);
        if (ev->old_kind) {
            fputs("old: ", stdout);
            print_tuple(ev->rel, &ev->old_tuple, ev->old_kind == 'K');
            fputs(" new: ", stdout);
        }
        print_tuple(ev->rel, &ev->new_tuple, false);
        putchar('\n');
        break;
    case PGCDC_EV_DELETE:
        printf("  DELETE %s.%s ", ev->rel->nspname, ev->rel->relname);
        print_tuple(ev->rel, &ev->old_tuple, ev->old_kind == 'K');
        putchar('\n');
        break;
    case PGCDC_EV_TRUNCATE:
        fputs("  TRUNCATE", stdout);
        for (int i = 0; i < ev->nrelations; i++)
            printf(" %s.%s", ev->relations[i]->nspname, ev->relations[i]->relname);
        putchar('\n');
        break;
    case PGCDC_EV_MESSAGE:
        printf("  MESSAGE prefix=%s content=%.*s\n", ev->prefix, (int)ev->content_len, ev->content);
        break;
    default:
        break;
    }
    return 0;
}

/* Keeps the connection alive while the decoder releases a big transaction. */
static pgcdc_code keep_alive(void *ud, pgcdc_error *err)
{
    return pgcdc_stream_tick(((tail_state *)ud)->stream, err);
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Reuses the configured slot or creates it; with no name configured, creates
 * a uniquely named one that is dropped again on exit. */
static int prepare_slot(const pgcdc_source_config *src, char name[PGCDC_SLOT_NAME_MAX + 1], bool *drop_at_exit)
{
    pgcdc_error err;
    PGconn *conn = NULL;
    *drop_at_exit = !src->slot_name;
    if (src->slot_name)
        snprintf(name, PGCDC_SLOT_NAME_MAX + 1, "%s", src->slot_name);
    else
        pgcdc_slot_generate_name("pgcdc_tail", name);
    if (pgcdc_source_connect(src, false, &conn, &err) != PGCDC_OK) {
        fprintf(stderr, "pgcdc tail: %s\n", err.message);
        return 1;
    }
    pgcdc_slot_info info;
    pgcdc_code rc = pgcdc_slot_lookup(conn, name, &info, &err);
    PQfinish(conn);
    if (rc == PGCDC_OK) {
        char l[PGCDC_LSN_STRLEN];
        pgcdc_log(PGCDC_LOG_INFO, "reusing replication slot %s (confirmed up to %s)", name,
                  pgcdc_lsn_format(info.confirmed_flush_lsn, l));
        return 0;
    }
    if (rc != PGCDC_ENOTFOUND) {
        fprintf(stderr, "pgcdc tail: %s\n", err.message);
        return 1;
    }
    if (pgcdc_source_connect(src, true, &conn, &err) != PGCDC_OK) {
        fprintf(stderr, "pgcdc tail: %s\n", err.message);
        return 1;
    }
    pgcdc_slot_created created;
    rc = pgcdc_slot_create(conn, name, false, &created, &err);
    PQfinish(conn);
    if (rc != PGCDC_OK) {
        fprintf(stderr, "pgcdc tail: %s\n", err.message);
        return 1;
    }
    if (*drop_at_exit)
        pgcdc_log(PGCDC_LOG_INFO, "no Replication Slot Name configured: slot %s is dropped on exit", name);
    return 0;
}

static void drop_slot(const pgcdc_source_config *src, const char *name)
{
    pgcdc_error err;
    PGconn *conn = NULL;
    if (pgcdc_source_connect(src, false, &conn, &err) != PGCDC_OK ||
        pgcdc_slot_drop(conn, name, &err) != PGCDC_OK)
        pgcdc_log(PGCDC_LOG_WARN, "could not drop replication slot %s: %s; drop it with: "
                  "SELECT pg_drop_replication_slot('%s');", name, err.message, name);
    if (conn)
        PQfinish(conn);
}

int cmd_tail(const cli_options *o)
{
    conf_file cf;
    pgcdc_source_config src;
    int rc = cli_load(o, &cf, &src);
    if (rc)
        return rc;
    char slot[PGCDC_SLOT_NAME_MAX + 1];
    bool drop_at_exit;
    if ((rc = prepare_slot(&src, slot, &drop_at_exit))) {
        pgcdc_source_config_free(&src);
        conf_file_free(&cf);
        return rc;
    }

    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    tail_state st = {0};
    pgcdc_error err;
    pgcdc_stream_options so = {.slot_name = slot, .publication_names = src.publication};
    if (pgcdc_stream_open(&src, &so, &st.stream, &err) != PGCDC_OK) {
        fprintf(stderr, "pgcdc tail: %s\n", err.message);
        rc = 1;
        goto out;
    }
    pgcdc_decoder_options dopt = {.proto_version = pgcdc_stream_proto_version(st.stream),
                                  .progress = keep_alive, .progress_userdata = &st};
    if (pgcdc_decoder_new(&dopt, print_event, &st, &st.dec, &err) != PGCDC_OK) {
        fprintf(stderr, "pgcdc tail: %s\n", err.message);
        rc = 1;
        goto out;
    }
    pgcdc_stream_set_durable(st.stream, pgcdc_stream_confirmed(st.stream), true); /* nothing in flight yet */
    pgcdc_log(PGCDC_LOG_INFO, "streaming publication %s from slot %s (PostgreSQL %d, pgoutput proto_version %d)",
              src.publication, slot, pgcdc_stream_server_major(st.stream), pgcdc_stream_proto_version(st.stream));
    fflush(stdout);

    double deadline = o->seconds > 0 ? now_seconds() + o->seconds : 0;
    while (!stop_requested && (!o->max_commits || st.commits < o->max_commits) &&
           (!deadline || now_seconds() < deadline)) {
        pgcdc_stream_msg msg;
        pgcdc_code c = pgcdc_stream_read(st.stream, 200, &msg, &err);
        if (c == PGCDC_ETIMEOUT)
            continue;
        if (c != PGCDC_OK) {
            fprintf(stderr, "pgcdc tail: %s\n", err.message);
            rc = 1;
            break;
        }
        if (pgcdc_decoder_feed(st.dec, msg.data, msg.len, msg.wal_start, &err) != PGCDC_OK) {
            fprintf(stderr, "pgcdc tail: %s\n", err.message);
            rc = 1;
            break;
        }
        /* Between transactions everything received is printed: say so, so an
         * idle or filtered publication does not pin WAL behind the slot. */
        if (!pgcdc_decoder_in_transaction(st.dec) && pgcdc_decoder_pending_transactions(st.dec) == 0)
            pgcdc_stream_set_durable(st.stream, pgcdc_stream_confirmed(st.stream), true);
    }
out:
    if (st.stream)
        pgcdc_stream_close(st.stream);
    pgcdc_decoder_free(st.dec);
    if (drop_at_exit)
        drop_slot(&src, slot);
    pgcdc_source_config_free(&src);
    conf_file_free(&cf);
    return rc;
}
