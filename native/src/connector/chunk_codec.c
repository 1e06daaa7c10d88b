/* chunk_codec.c - a snapshot chunk descriptor: everything a fetch on another
 * thread or node needs, as versioned text (readable in a FlowFile viewer):
 *
 *     pgcdc chunk 1
 *     snapshot 00000003-00000002-1
 *     lsn 23456789
 *     database shop
 *     table public orders
 *     format binary
 *     chunk 2
 *     columns 2
 *     id 23 -1 1
 *     note 25 -1 0
 *     plan 98
 *     <the table's plan, plan_codec.c's text, 98 bytes>
 *
 * Names are written with every byte outside [A-Za-z0-9_] as %XX. The whole
 * plan is carried (its codec checks that the ranges cover the table); the
 * fetch reads the one chunk and skips the others. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connector_internal.h"

#define CHUNK_MAGIC "pgcdc chunk 1"

static int put_name(pgcdc_buf *b, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_';
        if ((plain ? pgcdc_buf_putc(b, (char)*p) : pgcdc_buf_printf(b, "%%%02X", *p)) != 0)
            return -1;
    }
    return 0;
}

pgcdc_code cn_chunk_encode(const cn_chunk *c, pgcdc_buf *out, pgcdc_error *err)
{
    pgcdc_buf plan = PGCDC_BUF_INIT;
    pgcdc_code rc = pgcdc_snapshot_plan_encode(&c->plan, &plan, err);
    if (rc != PGCDC_OK)
        return rc;
    pgcdc_buf_reset(out);
    int e = pgcdc_buf_printf(out, "%s\nsnapshot ", CHUNK_MAGIC);
    e |= put_name(out, c->snapshot_name);
    e |= pgcdc_buf_printf(out, "\nlsn %" PRIu64 "\ndatabase ", c->snapshot_lsn);
    e |= put_name(out, c->database);
    e |= pgcdc_buf_puts(out, "\ntable ");
    e |= put_name(out, c->schema);
    e |= pgcdc_buf_putc(out, ' ');
    e |= put_name(out, c->table);
    e |= pgcdc_buf_printf(out, "\nformat %s\nchunk %" PRIu32 "\ncolumns %zu\n", c->binary ? "binary" : "text",
                          c->chunk_id, c->ncols);
    for (size_t i = 0; i < c->ncols; i++) {
        e |= put_name(out, c->colnames[i]);
        e |= pgcdc_buf_printf(out, " %" PRIu32 " %" PRId32 " %u\n", c->cols[i].type_oid, c->cols[i].typmod,
                              (unsigned)c->cols[i].flags);
    }
    e |= pgcdc_buf_printf(out, "plan %zu\n", plan.len);
    e |= pgcdc_buf_append(out, plan.data, plan.len);
    pgcdc_buf_free(&plan);
    return e ? pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory") : PGCDC_OK;
}

void cn_chunk_clear(cn_chunk *c)
{
    free(c->colnames);
    free(c->cols);
    free(c->colptrs);
    pgcdc_snapshot_plan_free(&c->plan);
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
    if (n >= size)
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

pgcdc_code cn_chunk_decode(const uint8_t *data, size_t len, cn_chunk *out, pgcdc_error *err)
{
    memset(out, 0, sizeof *out);
    reader r = {(const char *)data, (const char *)data + len};
    char line[512];
    const char *s;
    if (!next_line(&r, line, sizeof line) || strcmp(line, CHUNK_MAGIC) != 0)
        return bad(err, strncmp((const char *)data, "pgcdc chunk ", len < 12 ? len : 12) == 0
                            ? "a newer format: upgrade pgcdc"
                            : "no header");
    if (!next_line(&r, line, sizeof line) || !(s = line, keyword(&s, "snapshot")) ||
        !get_name(&s, out->snapshot_name))
        return bad(err, "snapshot");
    unsigned long long u;
    char tail;
    if (!next_line(&r, line, sizeof line) || sscanf(line, "lsn %llu%c", &u, &tail) != 1 || u == 0)
        return bad(err, "lsn");
    out->snapshot_lsn = (pgcdc_lsn)u;
    if (!next_line(&r, line, sizeof line) || !(s = line, keyword(&s, "database")) || !get_name(&s, out->database))
        return bad(err, "database");
    if (!next_line(&r, line, sizeof line) || !(s = line, keyword(&s, "table")) || !get_name(&s, out->schema) ||
        !get_name(&s, out->table) || *s)
        return bad(err, "table");
    if (!next_line(&r, line, sizeof line) || (strcmp(line, "format binary") && strcmp(line, "format text")))
        return bad(err, "format");
    out->binary = !strcmp(line, "format binary");
    unsigned id;
    if (!next_line(&r, line, sizeof line) || sscanf(line, "chunk %u%c", &id, &tail) != 1)
        return bad(err, "chunk");
    out->chunk_id = id;
    size_t n;
    if (!next_line(&r, line, sizeof line) || sscanf(line, "columns %zu%c", &n, &tail) != 1 || n == 0 || n > 1664)
        return bad(err, "columns");
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
            sscanf(s, "%u %d %u%c", &oid, &mod, &flags, &tail) != 3) {
            cn_chunk_clear(out);
            return bad(err, "a column");
        }
        out->cols[i] = (pgcdc_column){out->colnames[i], oid, mod, (uint8_t)flags};
        out->colptrs[i] = out->colnames[i];
    }
    size_t plen;
    if (!next_line(&r, line, sizeof line) || sscanf(line, "plan %zu%c", &plen, &tail) != 1 ||
        plen != (size_t)(r.end - r.p)) {
        cn_chunk_clear(out);
        return bad(err, "plan");
    }
    pgcdc_code rc = pgcdc_snapshot_plan_decode(r.p, plen, &out->plan, err);
    if (rc == PGCDC_OK && out->chunk_id >= out->plan.nranges)
        rc = bad(err, "chunk beyond the plan");
    if (rc != PGCDC_OK) {
        cn_chunk_clear(out);
        return rc == PGCDC_ENOMEM ? rc : PGCDC_EINVAL;
    }
    return PGCDC_OK;
}
