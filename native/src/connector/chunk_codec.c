/* chunk_codec.c - a snapshot chunk descriptor: what a fetch on another
 * thread or node needs to read one chunk, as versioned text (readable in a
 * FlowFile viewer):
 *
 *     pgcdc chunk 2
 *     slot pgcdc_snap_1a2b3c
 *     snapshot 00000003-00000002-1
 *     lsn 23456789
 *     database shop
 *     table public orders
 *     format binary
 *     columns 2
 *     id 23 -1 1
 *     note 25 -1 0
 *     chunking key id
 *     partitioned 0
 *     chunk 2 of 5 1000 2000
 *
 * The last line is the chunk's id, the plan's chunk count and its bounds
 * ("-" = open). A descriptor carries its own range only (version 1 carried
 * the whole plan, so n chunks cost n*n). Names are written with every byte
 * outside [A-Za-z0-9_] as %XX. Decoding checks the form and bounds every
 * count before allocating; plan_record.c checks that the bytes are the ones
 * the session recorded. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connector_internal.h"

#define CHUNK_MAGIC "pgcdc chunk 2"
#define CHUNK_MAGIC_V1 "pgcdc chunk 1"

static int put_name(pgcdc_buf *b, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_';
        if ((plain ? pgcdc_buf_putc(b, (char)*p) : pgcdc_buf_printf(b, "%%%02X", *p)) != 0)
            return -1;
    }
    return 0;
}

static const char *bound_text(const char *b)
{
    return b[0] ? b : "-";
}

pgcdc_code cn_chunk_encode(const cn_chunk *c, pgcdc_buf *out, pgcdc_error *err)
{
    pgcdc_buf_reset(out);
    int e = pgcdc_buf_printf(out, "%s\nslot ", CHUNK_MAGIC);
    e |= put_name(out, c->slot);
    e |= pgcdc_buf_puts(out, "\nsnapshot ");
    e |= put_name(out, c->snapshot_name);
    e |= pgcdc_buf_printf(out, "\nlsn %" PRIu64 "\ndatabase ", c->snapshot_lsn);
    e |= put_name(out, c->database);
    e |= pgcdc_buf_puts(out, "\ntable ");
    e |= put_name(out, c->schema);
    e |= pgcdc_buf_putc(out, ' ');
    e |= put_name(out, c->table);
    e |= pgcdc_buf_printf(out, "\nformat %s\ncolumns %zu\n", c->binary ? "binary" : "text", c->ncols);
    for (size_t i = 0; i < c->ncols; i++) {
        e |= put_name(out, c->colnames[i]);
        e |= pgcdc_buf_printf(out, " %" PRIu32 " %" PRId32 " %u\n", c->cols[i].type_oid, c->cols[i].typmod,
                              (unsigned)c->cols[i].flags);
    }
    e |= pgcdc_buf_printf(out, "chunking %s", pgcdc_chunking_name(c->chunking));
    if (c->chunking == PGCDC_CHUNKING_KEY) {
        e |= pgcdc_buf_putc(out, ' ');
        e |= put_name(out, c->key_column);
    }
    e |= pgcdc_buf_printf(out, "\npartitioned %d\nchunk %" PRIu32 " of %" PRIu32 " %s %s\n", c->partitioned ? 1 : 0,
                          c->chunk_id, c->nchunks, bound_text(c->lower), bound_text(c->upper));
    return e ? pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory") : PGCDC_OK;
}

void cn_chunk_clear(cn_chunk *c)
{
    free(c->colnames);
    free(c->cols);
    free(c->colptrs);
    memset(c, 0, sizeof *c);
}

typedef struct reader {
    const char *p, *end;
} reader;

/* The next line (without its newline) into line; false at the end. */
static bool next_line(reader *r, char *line, size_t size)
{
    if (r->p >= r->end)
        return false;
    const char *nl = memchr(r->p, '\n', (size_t)(r->end - r->p));
    size_t n = nl ? (size_t)(nl - r->p) : (size_t)(r->end - r->p);
    if (n >= size || memchr(r->p, '\0', n))
        return false;
    memcpy(line, r->p, n);
    line[n] = '\0';
    r->p += n + (nl ? 1 : 0);
    return true;
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

/* One %XX-encoded word from *s into out (size 64); false if malformed. */
static bool get_name(const char **s, char out[64])
{
    size_t n = 0;
    const char *p = *s;
    while (*p && *p != ' ') {
        int ch = (unsigned char)*p;
        if (*p == '%') {
            int h = hexval(p[1]), l = h < 0 ? -1 : hexval(p[2]);
            if (l < 0)
                return false;
            ch = h * 16 + l;
            p += 2;
        }
        if (n + 1 >= 64 || ch == 0)
            return false;
        out[n++] = (char)ch;
        p++;
    }
    out[n] = '\0';
    *s = *p == ' ' ? p + 1 : p;
    return n > 0;
}

static bool keyword(const char **s, const char *kw)
{
    size_t n = strlen(kw);
    if (strncmp(*s, kw, n) != 0 || (*s)[n] != ' ')
        return false;
    *s += n + 1;
    return true;
}

static pgcdc_code bad(pgcdc_error *err, const char *what)
{
    return pgcdc_error_set(err, PGCDC_EINVAL, "this is not a pgcdc snapshot chunk descriptor (%s): pass the "
                           "content of a chunk FlowFile made by the snapshot chunk listing unchanged", what);
}

/* A bound as written ("-" = open) into out; false if it cannot be one. */
static bool get_bound(const char *s, char out[PGCDC_SNAPSHOT_BOUND_MAX])
{
    if (strlen(s) >= PGCDC_SNAPSHOT_BOUND_MAX)
        return false;
    snprintf(out, PGCDC_SNAPSHOT_BOUND_MAX, "%s", strcmp(s, "-") == 0 ? "" : s);
    return true;
}

static pgcdc_code decode_chunking(reader *r, cn_chunk *out, pgcdc_error *err)
{
    char line[512];
    const char *s;
    if (!next_line(r, line, sizeof line) || !(s = line, keyword(&s, "chunking")))
        return bad(err, "chunking");
    if (strcmp(s, "ctid") == 0)
        out->chunking = PGCDC_CHUNKING_CTID;
    else if (strcmp(s, "none") == 0)
        out->chunking = PGCDC_CHUNKING_NONE;
    else if (keyword(&s, "key") && get_name(&s, out->key_column) && !*s)
        out->chunking = PGCDC_CHUNKING_KEY;
    else
        return bad(err, "chunking");
    int part;
    char tail;
    if (!next_line(r, line, sizeof line) || sscanf(line, "partitioned %d%c", &part, &tail) != 1 || (part & ~1))
        return bad(err, "partitioned");
    out->partitioned = part;
    unsigned long id, n;
    char lo[64], hi[64];
    if (!next_line(r, line, sizeof line) || sscanf(line, "chunk %lu of %lu %63s %63s%c", &id, &n, lo, hi, &tail) != 4
        || n == 0 || n > CN_CHUNK_MAX_CHUNKS || id >= n || !get_bound(lo, out->lower) || !get_bound(hi, out->upper))
        return bad(err, "chunk");
    out->chunk_id = (uint32_t)id;
    out->nchunks = (uint32_t)n;
    /* the first chunk is open below, the last above, the others bounded on
     * both sides: what the planner makes */
    if ((id == 0) != !out->lower[0] || (id + 1 == n) != !out->upper[0] ||
        (out->chunking == PGCDC_CHUNKING_NONE && n != 1))
        return bad(err, "chunk bounds that do not fit its place in the plan");
    while (r->p < r->end)
        if (!next_line(r, line, sizeof line) || line[0])
            return bad(err, "text after the chunk");
    /* the bounds themselves: as the reader will check them */
    pgcdc_snapshot_plan plan;
    uint32_t done[2], ndone, idx;
    pgcdc_code rc = cn_chunk_window(out, &plan, done, &ndone, &idx, err);
    pgcdc_snapshot_plan_free(&plan);
    return rc;
}

pgcdc_code cn_chunk_decode(const uint8_t *data, size_t len, cn_chunk *out, pgcdc_error *err)
{
    memset(out, 0, sizeof *out);
    reader r = {(const char *)data, (const char *)data + len};
    char line[512] = "";
    const char *s;
    if (!next_line(&r, line, sizeof line) || strcmp(line, CHUNK_MAGIC) != 0) {
        if (strcmp(line, CHUNK_MAGIC_V1) == 0)
            /* only a pgcdc before an upgrade wrote these, and its snapshot
             * session ended with it: the attempt is abandoned (ENOTFOUND),
             * the table's snapshot is taken again */
            return pgcdc_error_set(err, PGCDC_ENOTFOUND, "a snapshot chunk descriptor of version 1, made by a pgcdc "
                                   "before an upgrade: its snapshot session ended with that process; the chunk is "
                                   "dropped and the table's snapshot taken again");
        return bad(err, len >= 12 && strncmp((const char *)data, "pgcdc chunk ", 12) == 0
                            ? "a newer format: upgrade pgcdc"
                            : "no header");
    }
    if (!next_line(&r, line, sizeof line) || !(s = line, keyword(&s, "slot")) || !get_name(&s, out->slot) || *s)
        return bad(err, "slot");
    if (!next_line(&r, line, sizeof line) || !(s = line, keyword(&s, "snapshot")) ||
        !get_name(&s, out->snapshot_name) || *s)
        return bad(err, "snapshot");
    unsigned long long u;
    char tail;
    if (!next_line(&r, line, sizeof line) || sscanf(line, "lsn %llu%c", &u, &tail) != 1 || u == 0)
        return bad(err, "lsn");
    out->snapshot_lsn = (pgcdc_lsn)u;
    if (!next_line(&r, line, sizeof line) || !(s = line, keyword(&s, "database")) || !get_name(&s, out->database) ||
        *s)
        return bad(err, "database");
    if (!next_line(&r, line, sizeof line) || !(s = line, keyword(&s, "table")) || !get_name(&s, out->schema) ||
        !get_name(&s, out->table) || *s)
        return bad(err, "table");
    if (!next_line(&r, line, sizeof line) || (strcmp(line, "format binary") && strcmp(line, "format text")))
        return bad(err, "format");
    out->binary = !strcmp(line, "format binary");
    size_t n;
    /* bounded before anything is allocated */
    if (!next_line(&r, line, sizeof line) || sscanf(line, "columns %zu%c", &n, &tail) != 1 || n == 0 ||
        n > CN_CHUNK_MAX_COLUMNS)
        return bad(err, "columns (1 to 1664)");
    out->colnames = calloc(n, sizeof *out->colnames);
    out->cols = calloc(n, sizeof *out->cols);
    out->colptrs = calloc(n, sizeof *out->colptrs);
    if (!out->colnames || !out->cols || !out->colptrs) {
        cn_chunk_clear(out);
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
    }
    out->ncols = n;
    for (size_t i = 0; i < n; i++) {
        unsigned oid, flags;
        int mod;
        if (!next_line(&r, line, sizeof line) || !(s = line, get_name(&s, out->colnames[i])) ||
            sscanf(s, "%u %d %u%c", &oid, &mod, &flags, &tail) != 3 || flags > 255) {
            cn_chunk_clear(out);
            return bad(err, "a column");
        }
        out->cols[i] = (pgcdc_column){out->colnames[i], oid, mod, (uint8_t)flags};
        out->colptrs[i] = out->colnames[i];
    }
    pgcdc_code rc = decode_chunking(&r, out, err);
    if (rc != PGCDC_OK) {
        cn_chunk_clear(out);
        return rc == PGCDC_ENOMEM ? rc : PGCDC_EINVAL;
    }
    return PGCDC_OK;
}

pgcdc_code cn_chunk_window(const cn_chunk *c, pgcdc_snapshot_plan *plan, uint32_t done[2], uint32_t *ndone,
                           uint32_t *idx, pgcdc_error *err)
{
    memset(plan, 0, sizeof *plan);
    *ndone = 0;
    plan->ranges = calloc(3, sizeof *plan->ranges);
    plan->key_column = c->chunking == PGCDC_CHUNKING_KEY ? strdup(c->key_column) : NULL;
    if (!plan->ranges || (c->chunking == PGCDC_CHUNKING_KEY && !plan->key_column))
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
    plan->chunking = c->chunking;
    plan->partitioned = c->partitioned;
    plan->est_rows = -1;
    uint32_t n = 0;
    if (c->lower[0]) { /* the rows below: read by another chunk */
        snprintf(plan->ranges[n].upper, sizeof plan->ranges[n].upper, "%s", c->lower);
        done[(*ndone)++] = n++;
    }
    *idx = n;
    snprintf(plan->ranges[n].lower, sizeof plan->ranges[n].lower, "%s", c->lower);
    snprintf(plan->ranges[n].upper, sizeof plan->ranges[n].upper, "%s", c->upper);
    n++;
    if (c->upper[0]) { /* the rows above */
        snprintf(plan->ranges[n].lower, sizeof plan->ranges[n].lower, "%s", c->upper);
        done[(*ndone)++] = n++;
    }
    for (uint32_t i = 0; i < n; i++)
        plan->ranges[i].id = i;
    plan->nranges = n;
    pgcdc_buf text = PGCDC_BUF_INIT;
    pgcdc_code rc = pgcdc_snapshot_plan_encode(plan, &text, err); /* checks every bound */
    pgcdc_buf_free(&text);
    if (rc != PGCDC_OK) {
        pgcdc_snapshot_plan_free(plan);
        return rc == PGCDC_ENOMEM ? rc
                                  : pgcdc_error_prefix(err, "%s", "this is not a valid pgcdc snapshot chunk descriptor "
                                                                  "(its chunk bounds)");
    }
    return PGCDC_OK;
}
