/* plan_codec.c - a snapshot plan as data: checked, written as text and read
 * back, so that a snapshot interrupted by a crash resumes with exactly the
 * chunks it started with.
 *
 *     pgcdc snapshot plan 1
 *     chunking ctid
 *     partitioned 0
 *     est_bytes 1048576
 *     est_rows 10000
 *     ranges 3
 *     0 - (43,0)
 *     1 (43,0) (86,0)
 *     2 (86,0) -
 *
 * A KEY plan has a line "key <name>" after chunking, the name with every byte
 * outside [A-Za-z0-9_] written as %XX. "-" is an open bound. */
#include "snapshot_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PLAN_MAGIC "pgcdc snapshot plan 1"

const char *pgcdc_chunking_name(pgcdc_chunking c)
{
    switch (c) {
    case PGCDC_CHUNKING_AUTO: return "auto";
    case PGCDC_CHUNKING_CTID: return "ctid";
    case PGCDC_CHUNKING_KEY: return "key";
    case PGCDC_CHUNKING_NONE: return "none";
    }
    return "?";
}

void pgcdc_snapshot_plan_free(pgcdc_snapshot_plan *plan)
{
    if (!plan)
        return;
    free(plan->key_column);
    free(plan->ranges);
    memset(plan, 0, sizeof *plan);
}

pgcdc_code pgcdc_snapshot_plan_single(bool partitioned, pgcdc_snapshot_plan *out, pgcdc_error *err)
{
    memset(out, 0, sizeof *out);
    out->ranges = calloc(1, sizeof *out->ranges);
    if (!out->ranges)
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory for a snapshot plan");
    out->chunking = PGCDC_CHUNKING_NONE;
    out->partitioned = partitioned;
    out->est_rows = -1;
    out->nranges = 1;
    return PGCDC_OK;
}

/* Compares two valid bounds of one kind: <0, 0, >0. */
static int bound_cmp(pgcdc_chunking k, const char *a, const char *b)
{
    if (k == PGCDC_CHUNKING_CTID) {
        unsigned long long x = strtoull(a + 1, NULL, 10), y = strtoull(b + 1, NULL, 10);
        return x < y ? -1 : x > y;
    }
    long long x = strtoll(a, NULL, 10), y = strtoll(b, NULL, 10);
    return x < y ? -1 : x > y;
}

pgcdc_code snap_plan_check(const pgcdc_snapshot_plan *plan, pgcdc_error *err)
{
    pgcdc_chunking k = plan->chunking;
    if (k != PGCDC_CHUNKING_CTID && k != PGCDC_CHUNKING_KEY && k != PGCDC_CHUNKING_NONE)
        return pgcdc_error_set(err, PGCDC_EINVAL, "snapshot plan has chunking \"%s\": ctid, key or none expected",
                               pgcdc_chunking_name(k));
    if (k == PGCDC_CHUNKING_KEY && (!plan->key_column || !*plan->key_column))
        return pgcdc_error_set(err, PGCDC_EINVAL, "snapshot plan by key ranges names no key column");
    if (plan->nranges == 0 || !plan->ranges)
        return pgcdc_error_set(err, PGCDC_EINVAL, "snapshot plan has no chunk");
    if (k == PGCDC_CHUNKING_NONE && plan->nranges != 1)
        return pgcdc_error_set(err, PGCDC_EINVAL, "snapshot plan without chunking has %u chunks", plan->nranges);
    for (uint32_t i = 0; i < plan->nranges; i++) {
        const pgcdc_snapshot_range *r = &plan->ranges[i];
        if (r->id != i)
            return pgcdc_error_set(err, PGCDC_EINVAL, "snapshot plan chunk %u has id %u", i, r->id);
        const char *b[2] = {r->lower, r->upper};
        for (int j = 0; j < 2; j++) {
            if (!b[j][0])
                continue;
            if (k == PGCDC_CHUNKING_NONE)
                return pgcdc_error_set(err, PGCDC_EINVAL, "snapshot plan without chunking has a bound");
            if (k == PGCDC_CHUNKING_CTID ? !snap_tid_bound_valid(b[j]) : !snap_int_bound_valid(b[j]))
                return pgcdc_error_set(err, PGCDC_EINVAL, "snapshot plan chunk %u has an invalid bound \"%s\"", i,
                                       b[j]);
        }
        /* open at both ends, contiguous, increasing: every row in exactly one chunk */
        if (i == 0 && r->lower[0])
            return pgcdc_error_set(err, PGCDC_EINVAL, "the first snapshot chunk must have no lower bound");
        if (i == plan->nranges - 1 && r->upper[0])
            return pgcdc_error_set(err, PGCDC_EINVAL, "the last snapshot chunk must have no upper bound");
        if (i > 0 && (!r->lower[0] || strcmp(r->lower, plan->ranges[i - 1].upper) != 0))
            return pgcdc_error_set(err, PGCDC_EINVAL,
                                   "snapshot chunk %u does not start where chunk %u ends: rows would be missed or "
                                   "read twice", i, i - 1);
        if (r->lower[0] && r->upper[0] && bound_cmp(k, r->lower, r->upper) >= 0)
            return pgcdc_error_set(err, PGCDC_EINVAL, "snapshot chunk %u is empty or reversed (%s .. %s)", i,
                                   r->lower, r->upper);
    }
    return PGCDC_OK;
}

static int put_name(pgcdc_buf *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    int bad = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p && !bad; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_') {
            bad |= pgcdc_buf_putc(out, (char)*p);
        } else {
            char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            bad |= pgcdc_buf_append(out, e, 3);
        }
    }
    return bad;
}

pgcdc_code pgcdc_snapshot_plan_encode(const pgcdc_snapshot_plan *plan, pgcdc_buf *out, pgcdc_error *err)
{
    pgcdc_code rc = snap_plan_check(plan, err);
    if (rc != PGCDC_OK)
        return rc;
    pgcdc_buf_reset(out);
    int bad = pgcdc_buf_printf(out, "%s\nchunking %s\n", PLAN_MAGIC, pgcdc_chunking_name(plan->chunking));
    if (plan->chunking == PGCDC_CHUNKING_KEY) {
        bad |= pgcdc_buf_puts(out, "key ");
        bad |= put_name(out, plan->key_column);
        bad |= pgcdc_buf_putc(out, '\n');
    }
    bad |= pgcdc_buf_printf(out, "partitioned %d\nest_bytes %" PRIu64 "\nest_rows %" PRId64 "\nranges %u\n",
                            plan->partitioned ? 1 : 0, plan->est_bytes, plan->est_rows, plan->nranges);
    for (uint32_t i = 0; i < plan->nranges && !bad; i++) {
        const pgcdc_snapshot_range *r = &plan->ranges[i];
        bad |= pgcdc_buf_printf(out, "%u %s %s\n", r->id, r->lower[0] ? r->lower : "-",
                                r->upper[0] ? r->upper : "-");
    }
    if (bad)
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory while writing a snapshot plan");
    return PGCDC_OK;
}

/* ---- decoding ---- */

typedef struct reader {
    const char *p, *end;
    int line;
    char buf[256];
} reader;

/* The next line into r->buf; 0, or -1 at the end or for a line too long. */
static int next_line(reader *r)
{
    if (r->p >= r->end)
        return -1;
    const char *nl = memchr(r->p, '\n', (size_t)(r->end - r->p));
    const char *stop = nl ? nl : r->end;
    size_t n = (size_t)(stop - r->p);
    r->line++;
    if (n >= sizeof r->buf)
        return -1;
    memcpy(r->buf, r->p, n);
    r->buf[n] = '\0';
    r->p = nl ? nl + 1 : r->end;
    return 0;
}

/* Lines left to read (a last line without its newline counts). */
static int64_t lines_left(const reader *r)
{
    int64_t n = 0;
    for (const char *p = r->p; p < r->end; p++)
        n += *p == '\n';
    return n + (r->p < r->end && r->end[-1] != '\n');
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static char *get_name(const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(n + 1), *w = out;
    if (!out)
        return NULL;
    while (*s) {
        if (*s == '%') {
            int h = hexval(s[1]), l = h >= 0 ? hexval(s[2]) : -1;
            if (l < 0 || (h == 0 && l == 0)) {
                free(out);
                return NULL;
            }
            *w++ = (char)(h * 16 + l);
            s += 3;
        } else {
            *w++ = *s++;
        }
    }
    *w = '\0';
    return out;
}

static bool parse_i64(const char *s, int64_t *v)
{
    if (!snap_int_bound_valid(s))
        return false;
    *v = strtoll(s, NULL, 10);
    return true;
}

static pgcdc_code bad_line(reader *r, const char *what, pgcdc_error *err)
{
    return pgcdc_error_set(err, PGCDC_EINVAL, "snapshot plan text, line %d: %s", r->line, what);
}

static pgcdc_code decode(reader *r, pgcdc_snapshot_plan *out, pgcdc_error *err)
{
    if (next_line(r) != 0 || strcmp(r->buf, PLAN_MAGIC) != 0)
        return bad_line(r, "not a snapshot plan (\"" PLAN_MAGIC "\" expected)", err);
    if (next_line(r) != 0 || strncmp(r->buf, "chunking ", 9) != 0)
        return bad_line(r, "\"chunking ctid|key|none\" expected", err);
    const char *k = r->buf + 9;
    if (strcmp(k, "ctid") == 0)
        out->chunking = PGCDC_CHUNKING_CTID;
    else if (strcmp(k, "key") == 0)
        out->chunking = PGCDC_CHUNKING_KEY;
    else if (strcmp(k, "none") == 0)
        out->chunking = PGCDC_CHUNKING_NONE;
    else
        return bad_line(r, "unknown chunking (ctid, key or none expected)", err);
    if (out->chunking == PGCDC_CHUNKING_KEY) {
        if (next_line(r) != 0 || strncmp(r->buf, "key ", 4) != 0 || !r->buf[4])
            return bad_line(r, "\"key <column>\" expected", err);
        if (!(out->key_column = get_name(r->buf + 4)))
            return bad_line(r, "malformed key column name", err);
        /* a column name has at most 63 bytes; a longer one would also not
         * fit a line once written again (found by tests/fuzz/fuzz_chunk.c) */
        if (strlen(out->key_column) > 63)
            return bad_line(r, "key column name longer than 63 bytes", err);
    }
    int partitioned;
    int64_t est_bytes, est_rows, nranges;
    if (next_line(r) != 0 || sscanf(r->buf, "partitioned %d", &partitioned) != 1 || (partitioned & ~1))
        return bad_line(r, "\"partitioned 0|1\" expected", err);
    out->partitioned = partitioned;
    if (next_line(r) != 0 || strncmp(r->buf, "est_bytes ", 10) != 0 || !parse_i64(r->buf + 10, &est_bytes)
        || est_bytes < 0)
        return bad_line(r, "\"est_bytes <n>\" expected", err);
    out->est_bytes = (uint64_t)est_bytes;
    if (next_line(r) != 0 || strncmp(r->buf, "est_rows ", 9) != 0 || !parse_i64(r->buf + 9, &est_rows)
        || est_rows < -1)
        return bad_line(r, "\"est_rows <n>\" expected", err);
    out->est_rows = est_rows;
    if (next_line(r) != 0 || strncmp(r->buf, "ranges ", 7) != 0 || !parse_i64(r->buf + 7, &nranges)
        || nranges < 1 || nranges > 10000000)
        return bad_line(r, "\"ranges <n>\" (1 or more) expected", err);
    /* every range is a line of its own: a count the text cannot hold is
     * refused before it is allocated (a few bytes must not claim gigabytes) */
    if (nranges > lines_left(r))
        return bad_line(r, "more ranges announced than the text has lines", err);
    out->ranges = calloc((size_t)nranges, sizeof *out->ranges);
    if (!out->ranges)
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory for a snapshot plan of %" PRId64 " chunks",
                               nranges);
    out->nranges = (uint32_t)nranges;
    for (uint32_t i = 0; i < out->nranges; i++) {
        pgcdc_snapshot_range *g = &out->ranges[i];
        char lo[64], hi[64];
        unsigned id;
        char extra;
        if (next_line(r) != 0 || sscanf(r->buf, "%u %63s %63s %c", &id, lo, hi, &extra) != 3)
            return bad_line(r, "\"<id> <lower> <upper>\" expected", err);
        if (strlen(lo) >= sizeof g->lower || strlen(hi) >= sizeof g->upper)
            return bad_line(r, "bound too long", err);
        g->id = id;
        snprintf(g->lower, sizeof g->lower, "%s", strcmp(lo, "-") == 0 ? "" : lo);
        snprintf(g->upper, sizeof g->upper, "%s", strcmp(hi, "-") == 0 ? "" : hi);
    }
    while (next_line(r) == 0)
        if (r->buf[0])
            return bad_line(r, "unexpected text after the last chunk", err);
    return snap_plan_check(out, err);
}

pgcdc_code pgcdc_snapshot_plan_decode(const char *text, size_t len, pgcdc_snapshot_plan *out, pgcdc_error *err)
{
    memset(out, 0, sizeof *out);
    if (!text)
        return pgcdc_error_set(err, PGCDC_EINVAL, "no snapshot plan text given");
    reader r = {text, text + len, 0, {0}};
    pgcdc_code rc = decode(&r, out, err);
    if (rc != PGCDC_OK)
        pgcdc_snapshot_plan_free(out);
    return rc;
}
