/* test_copy_parse.c - the COPY parser without a server: binary and text COPY
 * data built by hand (every escape, NULLs, empty values, bytes 0x00, a 1 MB
 * value, a header extension) fed whole, split at every position into two and
 * three buffers, byte by byte and in random pieces: the rows delivered are
 * always the same, values point into the fed buffers unless their row was
 * split, every buffer is released exactly once, batches respect their
 * limits; malformed data is refused with a clear message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgt.h"
#include "snapshot/snapshot_internal.h"

/* ---- building COPY data ---- */

static void put16(pgcdc_buf *b, int v)
{
    char c[2] = {(char)((v >> 8) & 0xff), (char)(v & 0xff)};
    pgcdc_buf_append(b, c, 2);
}
static void put32(pgcdc_buf *b, long v)
{
    unsigned long u = (unsigned long)v;
    char c[4] = {(char)(u >> 24), (char)(u >> 16), (char)(u >> 8), (char)u};
    pgcdc_buf_append(b, c, 4);
}
static void bin_header(pgcdc_buf *b, long flags, const char *ext, size_t extlen)
{
    pgcdc_buf_append(b, "PGCOPY\n\377\r\n\0", 11);
    put32(b, flags);
    put32(b, (long)extlen);
    pgcdc_buf_append(b, ext, extlen);
}
/* A field: NULL when s is NULL. */
static void bin_field(pgcdc_buf *b, const char *s, size_t n)
{
    if (!s) {
        put32(b, -1);
        return;
    }
    put32(b, (long)n);
    pgcdc_buf_append(b, s, n);
}

/* ---- collecting what the parser delivers ---- */

typedef struct sink {
    pgcdc_buf out;          /* rows as text: values "b:<hex>" / "t:<hex>" / "N", '|' between, '\n' after */
    size_t batches, max_batch, rows;
    const char *whole;      /* when fed as one buffer: its bounds, to check no value was copied */
    size_t whole_len;
    int outside;            /* values not pointing into `whole` */
    int fail_at_batch;      /* > 0: the flush that returns an error */
} sink;

static void put_hex(pgcdc_buf *b, const char *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    pgcdc_buf_reserve(b, 2 * n + 1);
    char *w = b->data + b->len;
    for (size_t k = 0; k < n; k++) {
        *w++ = hex[(unsigned char)p[k] >> 4];
        *w++ = hex[(unsigned char)p[k] & 15];
    }
    b->len += 2 * n;
    b->data[b->len] = '\0';
}

static pgcdc_code collect(void *ud, const pgcdc_tuple *rows, size_t n, pgcdc_error *err)
{
    sink *s = ud;
    s->batches++;
    if (s->fail_at_batch && (int)s->batches == s->fail_at_batch)
        return pgcdc_error_set(err, PGCDC_EIO, "sink refused batch %zu", s->batches);
    if (n > s->max_batch)
        s->max_batch = n;
    for (size_t i = 0; i < n; i++) {
        for (int c = 0; c < rows[i].ncolumns; c++) {
            const pgcdc_value *v = &rows[i].values[c];
            if (c)
                pgcdc_buf_putc(&s->out, '|');
            if (v->kind == 'n') {
                pgcdc_buf_putc(&s->out, 'N');
                continue;
            }
            pgcdc_buf_printf(&s->out, "%c:", v->kind);
            put_hex(&s->out, v->data, v->len);
            if (s->whole && v->len && (v->data < s->whole || v->data + v->len > s->whole + s->whole_len))
                s->outside++;
        }
        pgcdc_buf_putc(&s->out, '\n');
        s->rows++;
    }
    return PGCDC_OK;
}

static int released;
static void counting_free(void *p)
{
    released++;
    free(p);
}

/* Feeds data cut at the given positions (each piece a malloc'd copy the
 * parser owns); returns the parser's result; *rows_text gets the rows. */
static pgcdc_code run(pgcdc_copy_format fmt, int ncols, const char *data, size_t len, const size_t *cuts,
                      int ncuts, size_t batch_rows, size_t batch_bytes, sink *s, pgcdc_error *err)
{
    snap_parser p;
    pgcdc_code rc = snap_parser_init(&p, fmt, ncols, batch_rows, batch_bytes, collect, s, counting_free, err);
    if (rc != PGCDC_OK)
        return rc;
    released = 0;
    int fed = 0;
    size_t at = 0;
    for (int i = 0; i <= ncuts && rc == PGCDC_OK; i++) {
        size_t end = i < ncuts ? cuts[i] : len;
        char *piece = malloc(end - at + 1);
        memcpy(piece, data + at, end - at);
        fed++;
        if (ncuts == 0) {
            s->whole = piece;
            s->whole_len = len;
        }
        rc = snap_parser_feed(&p, piece, end - at, err);
        at = end;
    }
    if (rc == PGCDC_OK)
        rc = snap_parser_finish(&p, err);
    CHECK_INT(p.rows_total >= s->rows, 1);
    snap_parser_free(&p);
    CHECK_INT(released, fed);
    return rc;
}

/* ---- binary ---- */

static pgcdc_buf big;       /* a 1 MB value with every byte value */
static pgcdc_buf bin_data;  /* the stream */
static pgcdc_buf bin_expect;

static void build_binary(void)
{
    pgcdc_buf_reset(&big);
    for (int i = 0; i < (1 << 20); i++)
        pgcdc_buf_putc(&big, (char)(i * 7 + (i >> 8)));
    pgcdc_buf *b = &bin_data;
    bin_header(b, 0x0000ffff /* compatible flags are ignored */, "ext!", 4);
    /* row 1: int4 42, NULL, empty, bytea with 0 bytes */
    put16(b, 4);
    bin_field(b, "\0\0\0\x2a", 4);
    bin_field(b, NULL, 0);
    bin_field(b, "", 0);
    bin_field(b, "a\0b\0", 4);
    /* row 2: everything NULL */
    put16(b, 4);
    for (int i = 0; i < 4; i++)
        bin_field(b, NULL, 0);
    /* row 3: the 1 MB value */
    put16(b, 4);
    bin_field(b, "x", 1);
    bin_field(b, big.data, big.len);
    bin_field(b, "", 0);
    bin_field(b, NULL, 0);
    /* rows 4-9: small */
    for (int r = 0; r < 6; r++) {
        char v[8];
        int n = snprintf(v, sizeof v, "r%d", r);
        put16(b, 4);
        bin_field(b, v, (size_t)n);
        bin_field(b, v, (size_t)n);
        bin_field(b, NULL, 0);
        bin_field(b, "\xff", 1);
    }
    put16(b, -1);

    pgcdc_buf *e = &bin_expect;
    pgcdc_buf_puts(e, "b:0000002a|N|b:|b:61006200\nN|N|N|N\nb:78|b:");
    put_hex(e, big.data, big.len);
    pgcdc_buf_puts(e, "|b:|N\n");
    for (int r = 0; r < 6; r++)
        pgcdc_buf_printf(e, "b:72%02x|b:72%02x|N|b:ff\n", '0' + r, '0' + r);
}

static void test_binary_whole(void)
{
    sink s = {PGCDC_BUF_INIT, 0, 0, 0, NULL, 0, 0, 0};
    pgcdc_error e;
    pgcdc_code rc = run(PGCDC_COPY_BINARY, 4, bin_data.data, bin_data.len, NULL, 0, 4, 0, &s, &e);
    CHECK_MSG(rc == PGCDC_OK, "%s", e.message);
    CHECK(s.out.len == bin_expect.len && memcmp(s.out.data, bin_expect.data, s.out.len) == 0);
    CHECK_INT(s.rows, 9);
    CHECK_INT(s.outside, 0); /* nothing copied: every value points into the buffer */
    CHECK_INT(s.max_batch, 4);
    CHECK_INT(s.batches, 3); /* 4 + 4 + 1 */
    pgcdc_buf_free(&s.out);
}

/* The 1 MB row split in every way that matters, and batch_bytes. */
static void test_binary_splits(void)
{
    pgcdc_error e;
    /* two pieces: every cut in the first 200 bytes and around the big value's ends */
    size_t big_at = 0;
    {
        const char *p = memmem(bin_data.data, bin_data.len, big.data, 64);
        big_at = (size_t)(p - bin_data.data);
    }
    int bad = 0, count = 0;
    for (size_t cut = 1; cut < bin_data.len; cut++) {
        bool near = cut < 200 || (cut > big_at - 40 && cut < big_at + 40)
                    || (cut > big_at + big.len - 40 && cut < big_at + big.len + 80) || cut > bin_data.len - 120;
        if (!near && cut % 65521 != 0)
            continue;
        sink s = {PGCDC_BUF_INIT, 0, 0, 0, NULL, 0, 0, 0};
        pgcdc_code rc = run(PGCDC_COPY_BINARY, 4, bin_data.data, bin_data.len, &cut, 1, 3, 0, &s, &e);
        count++;
        if (rc != PGCDC_OK || s.out.len != bin_expect.len || memcmp(s.out.data, bin_expect.data, s.out.len) != 0) {
            if (bad++ < 3)
                fprintf(stderr, "binary cut at %zu: rc %d (%s), %zu bytes of rows\n", cut, rc,
                        rc ? e.message : "", s.out.len);
        }
        pgcdc_buf_free(&s.out);
    }
    CHECK_INT(bad, 0);
    CHECK(count > 400);
    fprintf(stderr, "binary: %d two-piece cuts\n", count);

    /* random pieces, 1 to 70000 bytes, many times; small byte-limited batches */
    srand(7);
    bad = 0;
    for (int round = 0; round < 40; round++) {
        size_t cuts[400];
        int n = 0;
        size_t at = 0;
        while (n < 400) {
            at += 1 + (size_t)rand() % (round % 2 ? 70000 : 16);
            if (at >= bin_data.len)
                break;
            cuts[n++] = at;
        }
        sink s = {PGCDC_BUF_INIT, 0, 0, 0, NULL, 0, 0, 0};
        pgcdc_code rc = run(PGCDC_COPY_BINARY, 4, bin_data.data, bin_data.len, cuts, n, 1000, 100, &s, &e);
        if (rc != PGCDC_OK || s.out.len != bin_expect.len || memcmp(s.out.data, bin_expect.data, s.out.len) != 0)
            bad++;
        pgcdc_buf_free(&s.out);
    }
    CHECK_INT(bad, 0);
}

/* Small rows only (no big value) cut into three pieces at every pair of positions. */
static void test_binary_three_pieces(void)
{
    pgcdc_buf d = PGCDC_BUF_INIT, x = PGCDC_BUF_INIT;
    bin_header(&d, 0, "", 0);
    for (int r = 0; r < 3; r++) {
        put16(&d, 2);
        bin_field(&d, "ab", 2);
        bin_field(&d, r == 1 ? NULL : "\0", r == 1 ? 0 : 1);
        pgcdc_buf_printf(&x, "b:6162|%s\n", r == 1 ? "N" : "b:00");
    }
    put16(&d, -1);
    int bad = 0;
    pgcdc_error e;
    for (size_t i = 1; i < d.len; i++) {
        for (size_t j = i + 1; j < d.len; j++) {
            size_t cuts[2] = {i, j};
            sink s = {PGCDC_BUF_INIT, 0, 0, 0, NULL, 0, 0, 0};
            pgcdc_code rc = run(PGCDC_COPY_BINARY, 2, d.data, d.len, cuts, 2, 2, 0, &s, &e);
            if (rc != PGCDC_OK || strcmp(s.out.data ? s.out.data : "", x.data) != 0)
                bad++;
            pgcdc_buf_free(&s.out);
        }
    }
    CHECK_INT(bad, 0);
    /* byte by byte */
    size_t cuts[256];
    int n = 0;
    for (size_t i = 1; i < d.len && n < 256; i++)
        cuts[n++] = i;
    sink s = {PGCDC_BUF_INIT, 0, 0, 0, NULL, 0, 0, 0};
    CHECK_INT(run(PGCDC_COPY_BINARY, 2, d.data, d.len, cuts, n, 2, 0, &s, &e), PGCDC_OK);
    CHECK_STR(s.out.data, x.data);
    pgcdc_buf_free(&s.out);
    pgcdc_buf_free(&d);
    pgcdc_buf_free(&x);
}

static void expect_error(pgcdc_copy_format fmt, int ncols, const char *data, size_t len, const char *needle)
{
    sink s = {PGCDC_BUF_INIT, 0, 0, 0, NULL, 0, 0, 0};
    pgcdc_error e = {0};
    pgcdc_code rc = run(fmt, ncols, data, len, NULL, 0, 10, 0, &s, &e);
    CHECK_INT(rc, PGCDC_EPROTOCOL);
    CHECK_CONTAINS(e.message, needle);
    pgcdc_buf_free(&s.out);
}

static void test_binary_errors(void)
{
    pgcdc_buf d = PGCDC_BUF_INIT;
    pgcdc_buf_append(&d, "PGCOPX\n\377\r\n\0\0\0\0\0\0\0\0\0", 19);
    expect_error(PGCDC_COPY_BINARY, 1, d.data, d.len, "PGCOPY signature");

    pgcdc_buf_reset(&d);
    bin_header(&d, 0x00010000, "", 0); /* OIDs included: a critical flag */
    put16(&d, -1);
    expect_error(PGCDC_COPY_BINARY, 1, d.data, d.len, "flags 0x00010000");

    pgcdc_buf_reset(&d);
    bin_header(&d, 0, "", 0);
    put16(&d, 2);
    bin_field(&d, "a", 1);
    bin_field(&d, "b", 1);
    put16(&d, -1);
    expect_error(PGCDC_COPY_BINARY, 3, d.data, d.len, "row has 2 fields, expected 3");

    pgcdc_buf_reset(&d);
    bin_header(&d, 0, "", 0);
    put16(&d, 1);
    put32(&d, -7);
    expect_error(PGCDC_COPY_BINARY, 1, d.data, d.len, "field 1 has length -7");

    pgcdc_buf_reset(&d);
    bin_header(&d, 0, "", 0);
    put16(&d, 1);
    bin_field(&d, "abc", 3);
    expect_error(PGCDC_COPY_BINARY, 1, d.data, d.len - 1, "ended inside a row");
    expect_error(PGCDC_COPY_BINARY, 1, d.data, d.len, "without its trailer");

    put16(&d, -1);
    put16(&d, 1);
    expect_error(PGCDC_COPY_BINARY, 1, d.data, d.len, "after the binary trailer");

    /* an empty result: header and trailer only */
    pgcdc_buf_reset(&d);
    bin_header(&d, 0, "", 0);
    put16(&d, -1);
    sink s = {PGCDC_BUF_INIT, 0, 0, 0, NULL, 0, 0, 0};
    pgcdc_error e;
    CHECK_INT(run(PGCDC_COPY_BINARY, 5, d.data, d.len, NULL, 0, 10, 0, &s, &e), PGCDC_OK);
    CHECK_INT(s.rows, 0);
    CHECK_INT(s.batches, 0);

    /* a failing sink stops the feed with its own error; buffers are still released */
    pgcdc_buf_reset(&d);
    bin_header(&d, 0, "", 0);
    for (int i = 0; i < 10; i++) {
        put16(&d, 1);
        bin_field(&d, "v", 1);
    }
    put16(&d, -1);
    sink f = {PGCDC_BUF_INIT, 0, 0, 0, NULL, 0, 0, 2};
    CHECK_INT(run(PGCDC_COPY_BINARY, 1, d.data, d.len, NULL, 0, 3, 0, &f, &e), PGCDC_EIO);
    CHECK_STR(e.message, "sink refused batch 2");
    pgcdc_buf_free(&f.out);
    pgcdc_buf_free(&d);
}

/* ---- text ---- */

static void test_text(void)
{
    /* Field by field: what COPY TO writes and what COPY FROM also takes. */
    static const char data[] =
        "1\tplain\t\\N\t\n"                                  /* NULL, empty */
        "2\t\\\\N\ta\\tb\\nc\\rd\tx\\\\y\n"                  /* literal \N, tab/newline/CR, backslash */
        "3\t\\b\\f\\v\t\\101\\0\\7\\1234\t\\x41\\x4\\xg\\q\n" /* \b \f \v, octal (\1234 = S then 4), hex, x, q */
        "4\t\xc3\xa9\xe6\x97\xa5\t\\N\t\\\\\n";              /* UTF-8, NULL, one backslash */
    const char *want =
        "t:31|t:706c61696e|N|t:\n"
        "t:32|t:5c4e|t:6109620a630d64|t:785c79\n"
        "t:33|t:080c0b|t:4100075334|t:4104786771\n"
        "t:34|t:c3a9e697a5|N|t:5c\n";
    size_t len = sizeof data - 1;
    sink s = {PGCDC_BUF_INIT, 0, 0, 0, NULL, 0, 0, 0};
    pgcdc_error e;
    pgcdc_code rc = run(PGCDC_COPY_TEXT, 4, data, len, NULL, 0, 3, 0, &s, &e);
    CHECK_MSG(rc == PGCDC_OK, "%s", e.message);
    CHECK_STR(s.out.data, want);
    CHECK_INT(s.outside, 0);
    CHECK_INT(s.batches, 2);
    pgcdc_buf_free(&s.out);

    /* every two- and three-piece split gives the same rows */
    int bad = 0;
    for (size_t i = 1; i < len; i++) {
        for (size_t j = i; j < len; j += (i % 3) + 1) {
            size_t cuts[2] = {i, j};
            int n = j == i ? 1 : 2;
            sink t = {PGCDC_BUF_INIT, 0, 0, 0, NULL, 0, 0, 0};
            rc = run(PGCDC_COPY_TEXT, 4, data, len, cuts, n, 1, 0, &t, &e);
            if (rc != PGCDC_OK || !t.out.data || strcmp(t.out.data, want) != 0)
                bad++;
            pgcdc_buf_free(&t.out);
        }
    }
    CHECK_INT(bad, 0);

    /* a one-column row of one empty field; a row of a 1 MB text value in 7 pieces */
    pgcdc_buf d = PGCDC_BUF_INIT, x = PGCDC_BUF_INIT;
    pgcdc_buf_puts(&d, "\n");
    pgcdc_buf_puts(&x, "t:\n");
    for (int i = 0; i < (1 << 20); i++)
        pgcdc_buf_putc(&d, (char)('a' + i % 26));
    pgcdc_buf_puts(&d, "\\t\n");
    pgcdc_buf_puts(&x, "t:");
    for (int i = 0; i < (1 << 20); i++)
        pgcdc_buf_printf(&x, "%02x", 'a' + i % 26);
    pgcdc_buf_puts(&x, "09\n");
    size_t cuts[6] = {1, 2, 5000, 300000, 1048576, 1048578};
    sink t = {PGCDC_BUF_INIT, 0, 0, 0, NULL, 0, 0, 0};
    CHECK_INT(run(PGCDC_COPY_TEXT, 1, d.data, d.len, cuts, 6, 10, 0, &t, &e), PGCDC_OK);
    CHECK_STR(t.out.data, x.data);
    pgcdc_buf_free(&t.out);
    pgcdc_buf_free(&d);
    pgcdc_buf_free(&x);

    expect_error(PGCDC_COPY_TEXT, 2, "a\tb\tc\n", 6, "more than the 2 fields");
    expect_error(PGCDC_COPY_TEXT, 3, "a\tb\n", 4, "row has 2 fields, expected 3");
    expect_error(PGCDC_COPY_TEXT, 1, "ab\\\n", 4, "lone backslash");
    expect_error(PGCDC_COPY_TEXT, 1, "a\nb", 3, "ended inside a row");
}

/* ---- the SQL of a chunk ---- */

static void test_sql(void)
{
    CHECK(snap_tid_bound_valid("(0,0)"));
    CHECK(snap_tid_bound_valid("(4294967295,0)"));
    CHECK(!snap_tid_bound_valid("(4294967296,0)"));
    CHECK(!snap_tid_bound_valid("(1,1)"));
    CHECK(!snap_tid_bound_valid("(1,0)'; DROP TABLE x; --"));
    CHECK(!snap_tid_bound_valid("(,0)"));
    CHECK(snap_int_bound_valid("-9223372036854775808"));
    CHECK(snap_int_bound_valid("9223372036854775807"));
    CHECK(!snap_int_bound_valid("9223372036854775808"));
    CHECK(!snap_int_bound_valid("1e3"));
    CHECK(!snap_int_bound_valid(""));
    CHECK(!snap_int_bound_valid("-"));
}

int main(void)
{
    build_binary();
    test_binary_whole();
    test_binary_splits();
    test_binary_three_pieces();
    test_binary_errors();
    test_text();
    test_sql();
    pgcdc_buf_free(&big);
    pgcdc_buf_free(&bin_data);
    pgcdc_buf_free(&bin_expect);
    return pgt_done("copy_parse");
}
