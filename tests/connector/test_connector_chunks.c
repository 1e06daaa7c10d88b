/* test_connector_chunks.c - chunk descriptors are FlowFile content, which
 * anyone who can edit the flow can change (issue 8, item 8): the listing
 * records its session's plan on the destination and the fetch reads only a
 * descriptor that is byte for byte a recorded one, so a descriptor whose
 * range, chunk id, table, columns, snapshot point, slot or read mode was
 * changed is refused with a message naming what differs; a huge count is
 * refused before anything is allocated, a descriptor of the old version is an
 * abandoned attempt, and a descriptor's size does not depend on the chunk
 * count. And the change reader keeps the CLI's continuity rule (item 9): a
 * slot advanced past the host's stored position by someone else is a gap
 * (EGAP), while a slot the reader itself kept at what the host confirmed is
 * not. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pgcdc/connector.h"
#include "pgcdc/snapshot.h"
#include "pgt.h"
#include "connector_util.h"

static pgt_cluster cl;

/* The descriptor with its first line starting with prefix replaced by
 * line (the caller frees). */
static char *with_line(const pgcdc_buf *desc, const char *prefix, const char *line)
{
    char *text = strndup(desc->data, desc->len);
    char *at = strstr(text, prefix);
    CHECK_MSG(at != NULL, "no line %s in the descriptor", prefix);
    if (!at)
        return text;
    char *end = strchr(at + 1, '\n'); /* a prefix may start with its line break */
    size_t n = (size_t)(at - text), rest = end ? strlen(end) : 0;
    char *out = malloc(n + strlen(line) + rest + 1);
    memcpy(out, text, n);
    strcpy(out + n, line);
    if (end)
        strcat(out, end);
    free(text);
    return out;
}

/* The first line of desc starting with prefix (the caller frees). */
static char *line_of(const pgcdc_buf *desc, const char *prefix)
{
    char *text = strndup(desc->data, desc->len);
    char *at = strstr(text, prefix);
    CHECK_MSG(at != NULL, "no line %s in the descriptor", prefix);
    char *out = strdup(at ? at : "");
    char *end = strchr(out + 1, '\n');
    if (end)
        *end = '\0';
    free(text);
    return out;
}

static char err_last[sizeof ((pgcdc_error *)0)->message];

static pgcdc_code fetch_text(pgcdc_connector_config *cfg, const char *text, pgcdc_error *err, uint64_t *rows)
{
    pgcdc_buf out = PGCDC_BUF_INIT;
    pgcdc_batch_info info;
    memset(&info, 0, sizeof info);
    pgcdc_code rc = pgcdc_snapshot_fetch_chunk(cfg, (const uint8_t *)text, strlen(text), &out, &info, err);
    if (rows)
        *rows = info.changes;
    pgcdc_buf_free(&out);
    return rc;
}

/* The tampered descriptor (line NULL: desc itself) is refused, EINVAL, its
 * message naming what (kept in err_last). */
static void refused(pgcdc_connector_config *cfg, const pgcdc_buf *desc, const char *prefix, const char *line,
                    const char *what)
{
    char *t = line ? with_line(desc, prefix, line) : strndup(desc->data, desc->len);
    pgcdc_error err;
    err.message[0] = '\0';
    CHECK_MSG(fetch_text(cfg, t, &err, NULL) == PGCDC_EINVAL, "%s -> %s: not refused (%s)", prefix,
              line ? line : "(unchanged)", err.message);
    CHECK_CONTAINS(err.message, what);
    snprintf(err_last, sizeof err_last, "%s", err.message);
    free(t);
}

static size_t max_len(const pgcdc_buf *chunks, size_t n)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        m = chunks[i].len > m ? chunks[i].len : m;
    return m;
}

static void test_descriptors(PGconn *src, PGconn *dst)
{
    pgcdc_connector_config *cfg = cu_config(&cl, "csrc", "c_pub", "c_slot", "cdst", "public\\.t");
    pgcdc_error err;
    CHECK_INT(pgcdc_connector_config_set(cfg, "Column Filter JSON",
                                         "[{\"schema\": \"public\", \"table\": \"t\", \"excluded\": [\"secret\"]}]",
                                         &err), PGCDC_OK);
    pgcdc_snapshot_session *s = NULL, *s2 = NULL;
    pgcdc_code rc = pgcdc_snapshot_session_begin(cfg, &s, &err);
    CHECK_MSG(rc == PGCDC_OK, "session: %s", err.message);
    if (rc != PGCDC_OK)
        return;
    pgcdc_buf *chunks = NULL, *many = NULL;
    size_t n = 0, nmany = 0;
    /* the latest plan of a table is the session's: the one fetched below comes last */
    CHECK_INT(pgcdc_snapshot_session_plan(s, "public.t", 64, &many, &nmany, &err), PGCDC_OK);
    CHECK_MSG(nmany >= 32, "%zu chunks", nmany);
    CHECK_INT(pgcdc_snapshot_session_plan(s, "public.t", 4, &chunks, &n, &err), PGCDC_OK);
    CHECK_MSG(n >= 3, "%zu chunks", n);
    /* each descriptor carries its own range: the size does not grow with the chunk count */
    CHECK_MSG(max_len(many, nmany) <= max_len(chunks, n) + 8, "%zu chunks: %zu bytes, %zu chunks: %zu bytes", n,
              max_len(chunks, n), nmany, max_len(many, nmany));
    CHECK_MSG(max_len(many, nmany) < 512, "%zu bytes", max_len(many, nmany));
    printf("largest descriptor: %zu bytes of %zu chunks, %zu bytes of %zu chunks\n", max_len(chunks, n), n,
           max_len(many, nmany), nmany);
    /* the record: one row per chunk of the session's latest plan */
    char *nrec = pgt_query_value(dst, "SELECT count(*) FROM \"pgcdc_state\".\"_PGCDC_SNAPSHOT_PLAN\"");
    CHECK_INT(atoll(nrec), (long long)n);
    free(nrec);
    /* a replaced plan's descriptor: its range is not the recorded one */
    refused(cfg, &many[1], "\nchunk ", NULL, "recorded a plan of");

    /* unchanged: every row once, the filtered column not read */
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        char *t = strndup(chunks[i].data, chunks[i].len);
        uint64_t rows = 0;
        rc = fetch_text(cfg, t, &err, &rows);
        CHECK_MSG(rc == PGCDC_OK, "chunk %zu: %s", i, err.message);
        total += rows;
        free(t);
    }
    CHECK_INT((long long)total, 20000);
    CHECK(strstr(chunks[0].data, "secret") == NULL);

    const pgcdc_buf *d = &chunks[1];
    /* the range: another chunk's bounds, bounds widened over two chunks, another chunk's id with this range */
    char *c1 = line_of(&chunks[1], "\nchunk "), *c2 = line_of(&chunks[2], "\nchunk ");
    char lo1[64], hi1[64], lo2[64], hi2[64], line[256];
    unsigned id, of;
    CHECK(sscanf(c1, "\nchunk %u of %u %63s %63s", &id, &of, lo1, hi1) == 4);
    CHECK(sscanf(c2, "\nchunk %u of %u %63s %63s", &id, &of, lo2, hi2) == 4);
    snprintf(line, sizeof line, "\nchunk 1 of %u %s %s", of, lo2, hi2);
    refused(cfg, d, "\nchunk ", line, "is not the recorded range");
    snprintf(line, sizeof line, "\nchunk 1 of %u %s %s", of, lo1, hi2);
    refused(cfg, d, "\nchunk ", line, "is not the recorded range");
    snprintf(line, sizeof line, "\nchunk 2 of %u %s %s", of, lo1, hi1);
    refused(cfg, d, "\nchunk ", line, "recorded range [");
    CHECK_CONTAINS(err_last, "of chunk 2");
    snprintf(line, sizeof line, "\nchunk 1 of %u %s %s", of + 1, lo1, hi1);
    refused(cfg, d, "\nchunk ", line, "recorded a plan of");
    free(c1);
    free(c2);
    /* another table (not included; readable by the source role): no plan of it */
    refused(cfg, d, "table ", "table public other", "no snapshot plan of public.other is recorded");
    /* a column the Column Filter leaves out; a column renamed */
    char *t = with_line(d, "note ", "note 25 -1 0\nsecret 25 -1 0");
    char *t2 = with_line(&(pgcdc_buf){.data = t, .len = strlen(t)}, "columns ", "columns 3");
    CHECK_INT(fetch_text(cfg, t2, &err, NULL), PGCDC_EINVAL);
    CHECK_CONTAINS(err.message, "is not byte for byte the descriptor");
    free(t);
    free(t2);
    refused(cfg, d, "note ", "secret 25 -1 0", "is not byte for byte the descriptor");
    /* an invented snapshot point */
    char lsn[64];
    snprintf(lsn, sizeof lsn, "lsn %llu", (unsigned long long)pgcdc_snapshot_session_lsn(s) + 4096);
    refused(cfg, d, "lsn ", lsn, "the recorded point");
    refused(cfg, d, "lsn ", "lsn 1", "the recorded point");
    /* a slot that is not the session's, then another live session's slot with its own point */
    refused(cfg, d, "slot ", "slot c_slot_x", "no snapshot plan of public.t is recorded for the session of "
                                              "temporary slot c_slot_x");
    pgt_exec(src, "INSERT INTO other VALUES (2, 'moves the transaction counter')");
    rc = pgcdc_snapshot_session_begin(cfg, &s2, &err);
    CHECK_MSG(rc == PGCDC_OK, "session 2: %s", err.message);
    if (s2) {
        char *a = NULL, *b = NULL;
        char slot2[128];
        char *q = pgt_query_value(src, "SELECT slot_name FROM pg_replication_slots WHERE temporary AND "
                                       "confirmed_flush_lsn = '%X/%X'::pg_lsn",
                                  (unsigned)(pgcdc_snapshot_session_lsn(s2) >> 32),
                                  (unsigned)pgcdc_snapshot_session_lsn(s2));
        snprintf(slot2, sizeof slot2, "slot %s", q);
        snprintf(lsn, sizeof lsn, "lsn %llu", (unsigned long long)pgcdc_snapshot_session_lsn(s2));
        a = with_line(d, "slot ", slot2);
        b = with_line(&(pgcdc_buf){.data = a, .len = strlen(a)}, "lsn ", lsn);
        CHECK_INT(fetch_text(cfg, b, &err, NULL), PGCDC_EINVAL);
        CHECK_CONTAINS(err.message, "no snapshot plan of public.t is recorded for the session of temporary slot");
        /* once session 2 plans the table, the other session's bytes are still not its descriptor */
        pgcdc_buf *c2s = NULL;
        size_t n2 = 0;
        CHECK_INT(pgcdc_snapshot_session_plan(s2, "public.t", 4, &c2s, &n2, &err), PGCDC_OK);
        CHECK_INT(fetch_text(cfg, b, &err, NULL), PGCDC_EINVAL);
        CHECK_CONTAINS(err.message, "is not byte for byte the descriptor");
        pgcdc_snapshot_chunks_free(c2s, n2);
        free(q);
        free(a);
        free(b);
        pgcdc_snapshot_session_close(s2);
    }
    /* another database, the read mode, the format */
    refused(cfg, d, "database ", "database cdst", "is not byte for byte the descriptor");
    refused(cfg, d, "partitioned ", "partitioned 1", "is not byte for byte the descriptor");
    refused(cfg, d, "format ", "format text", "is not byte for byte the descriptor");
    CHECK_CONTAINS(err_last, "pass chunk FlowFiles unchanged");
    /* untampered descriptors still read after all that (from the cache) */
    for (size_t i = 0; i < n; i++) {
        char *u = strndup(chunks[i].data, chunks[i].len);
        CHECK_INT(fetch_text(cfg, u, &err, NULL), PGCDC_OK);
        free(u);
    }

    /* huge counts: refused before anything is allocated (an untouched calloc
     * does not show in the peak RSS: tests/fuzz/fuzz_chunk.c runs under a
     * 64 MB malloc limit for that) */
    refused(cfg, d, "columns ", "columns 100000000", "columns (1 to 1664)");
    refused(cfg, d, "chunk 1 of ", "chunk 5 of 4294967295 (1,0) (2,0)", "(chunk)");
    pgcdc_snapshot_plan plan;
    const char *huge = "pgcdc snapshot plan 1\nchunking ctid\npartitioned 0\nest_bytes 1\nest_rows 1\n"
                       "ranges 10000000\n0 - -\n";
    CHECK_INT(pgcdc_snapshot_plan_decode(huge, strlen(huge), &plan, &err), PGCDC_EINVAL);
    CHECK_CONTAINS(err.message, "more ranges announced than the text has lines");

    /* a descriptor of version 1 (a pgcdc before an upgrade): an abandoned attempt */
    CHECK_INT(fetch_text(cfg, "pgcdc chunk 1\nsnapshot 00000003-00000002-1\nlsn 1\n", &err, NULL),
              PGCDC_ENOTFOUND);
    CHECK_CONTAINS(err.message, "version 1");

    /* a chunk of an ended session, once a later listing pruned its record:
     * still an abandoned attempt (dropped), not a changed descriptor */
    pgcdc_snapshot_session_close(s);
    pgcdc_snapshot_session *s3 = NULL;
    CHECK_INT(pgcdc_snapshot_session_begin(cfg, &s3, &err), PGCDC_OK);
    pgcdc_buf *c3 = NULL;
    size_t n3 = 0;
    if (s3)
        CHECK_INT(pgcdc_snapshot_session_plan(s3, "public.t", 2, &c3, &n3, &err), PGCDC_OK);
    nrec = pgt_query_value(dst, "SELECT count(*) FROM \"pgcdc_state\".\"_PGCDC_SNAPSHOT_PLAN\"");
    CHECK_INT(atoll(nrec), (long long)n3);
    free(nrec);
    char *old = strndup(chunks[0].data, chunks[0].len);
    CHECK_INT(fetch_text(cfg, old, &err, NULL), PGCDC_ENOTFOUND); /* this process cached its record */
    CHECK_CONTAINS(err.message, "abandoned attempt");
    char *unknown = with_line(&chunks[0], "slot ", "slot c_gone"); /* a session this process never saw */
    CHECK_INT(fetch_text(cfg, unknown, &err, NULL), PGCDC_ENOTFOUND);
    CHECK_CONTAINS(err.message, "abandoned attempt");
    free(unknown);
    free(old);
    pgcdc_snapshot_chunks_free(c3, n3);
    pgcdc_snapshot_session_close(s3);

    pgcdc_snapshot_chunks_free(chunks, n);
    pgcdc_snapshot_chunks_free(many, nmany);
    pgcdc_connector_config_free(cfg);
}

/* Polls until a batch with transactions comes, confirms it; its end. */
static pgcdc_lsn read_one(pgcdc_change_reader *r)
{
    pgcdc_buf b = PGCDC_BUF_INIT;
    pgcdc_lsn end = 0;
    for (int i = 0; i < 40 && !end; i++) {
        pgcdc_batch_info info;
        pgcdc_error err;
        pgcdc_code rc = pgcdc_change_reader_poll(r, 250, 1 << 20, &b, &info, &err);
        CHECK_MSG(rc == PGCDC_OK || rc == PGCDC_ETIMEOUT, "poll: %s", err.message);
        if (rc == PGCDC_OK && info.transactions > 0)
            end = info.confirm_lsn;
    }
    CHECK(end > 0);
    pgcdc_change_reader_confirm(r, end);
    pgcdc_buf_free(&b);
    return end;
}

static pgcdc_lsn slot_lsn(PGconn *src, const char *slot)
{
    char *v = pgt_query_value(src, "SELECT confirmed_flush_lsn - '0/0'::pg_lsn FROM pg_replication_slots "
                                   "WHERE slot_name = '%s'", slot);
    pgcdc_lsn l = strtoull(v, NULL, 10);
    free(v);
    return l;
}

static void test_continuity(PGconn *src, PGconn *dst)
{
    pgcdc_connector_config *cfg = cu_config(&cl, "csrc", "c_pub", "c_adv", "cdst", "public\\.t");
    pgcdc_error err;
    pgcdc_change_reader *r = NULL;
    CHECK_INT(pgcdc_change_reader_open(cfg, "c_adv", 0, &r, &err), PGCDC_OK);
    if (!r)
        return;
    pgcdc_change_reader_set_idle_interval(r, 0); /* the host confirms batches only */
    pgt_exec(src, "UPDATE t SET note = 'a' WHERE id = 1");
    pgcdc_lsn stored = read_one(r); /* what the host made durable and stored */
    /* WAL elsewhere while the stream is quiet: keepalives (wal_sender_timeout
     * 2 s) tell positions past the stored one; the slot must not follow them */
    for (int i = 0; i < 12; i++) {
        pgt_exec(dst, "INSERT INTO filler SELECT g FROM generate_series(1, 200) g");
        pgcdc_buf b = PGCDC_BUF_INIT;
        pgcdc_batch_info info;
        CHECK_INT(pgcdc_change_reader_poll(r, 300, 1 << 20, &b, &info, &err), PGCDC_ETIMEOUT);
        pgcdc_buf_free(&b);
    }
    pgcdc_change_reader_close(r);
    r = NULL;
    CHECK_MSG(slot_lsn(src, "c_adv") <= stored, "slot at %llu, past the stored %llu",
              (unsigned long long)slot_lsn(src, "c_adv"), (unsigned long long)stored);
    /* reopened at the stored position: no gap */
    pgcdc_code rc = pgcdc_change_reader_open(cfg, "c_adv", stored, &r, &err);
    CHECK_MSG(rc == PGCDC_OK, "reopen: %s", err.message);
    pgcdc_change_reader_close(r);
    r = NULL;

    /* someone else advances the slot past the stored position */
    pgt_exec(src, "UPDATE t SET note = 'lost' WHERE id = 2");
    char *adv = pgt_query_value(src, "SELECT pg_replication_slot_advance('c_adv', pg_current_wal_lsn())");
    free(adv);
    CHECK(slot_lsn(src, "c_adv") > stored);
    CHECK_INT(pgcdc_change_reader_open(cfg, "c_adv", stored, &r, &err), PGCDC_EGAP);
    CHECK(r == NULL);
    CHECK_CONTAINS(err.message, "replication slot \"c_adv\" is at");
    CHECK_CONTAINS(err.message, "advanced by another consumer");
    CHECK_CONTAINS(err.message, "Restart the affected tables (full resync)");
    pgcdc_connector_config_free(cfg);
}

int main(void)
{
    pgt_cluster_start(&cl, pgt_major(), "-c wal_sender_timeout=2s");
    PGconn *admin = pgt_connect(&cl, "postgres");
    pgt_exec(admin, "CREATE DATABASE csrc");
    pgt_exec(admin, "CREATE DATABASE cdst");
    PGconn *src = pgt_connect(&cl, "csrc");
    PGconn *dst = pgt_connect(&cl, "cdst");
    pgt_exec(src, "CREATE TABLE t (id bigint PRIMARY KEY, note text, secret text)");
    pgt_exec(src, "INSERT INTO t SELECT g, repeat('n', 40), 'secret ' || g FROM generate_series(1, 20000) g");
    pgt_exec(src, "CREATE TABLE other (id int PRIMARY KEY, note text, secret text)");
    pgt_exec(src, "INSERT INTO other VALUES (1, 'not included', 'secret')");
    pgt_exec(src, "CREATE PUBLICATION c_pub FOR ALL TABLES");
    pgt_exec(src, "ANALYZE");
    pgt_exec(dst, "CREATE TABLE filler (n int)");

    test_descriptors(src, dst);
    test_continuity(src, dst);

    PQfinish(dst);
    PQfinish(src);
    PQfinish(admin);
    pgt_cluster_stop(&cl);
    return pgt_done("connector-chunks");
}
