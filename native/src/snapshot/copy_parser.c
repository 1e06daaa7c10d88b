/* copy_parser.c - turns the CopyData buffers of a COPY ... TO STDOUT into
 * batches of rows, without copying values: each value points into the buffer
 * it arrived in, which is held until the batch has been handed on.
 *
 * The one exception is a row split over two or more buffers: it is gathered
 * in a scratch buffer. Scratch holds one row at a time, so before a second
 * split row is gathered the batch pointing into the first is flushed. Only
 * what the row still needs is moved into scratch (binary: up to the end of the
 * next length word or value; text: up to the newline), so a split row costs
 * the copy of itself and nothing more. */
#include "snapshot_internal.h"

#include <stdlib.h>
#include <string.h>

pgcdc_code snap_parser_init(snap_parser *p, pgcdc_copy_format format, int ncolumns, size_t batch_rows,
                            size_t batch_bytes, snap_flush_fn flush, void *userdata, void (*release)(void *),
                            pgcdc_error *err)
{
    memset(p, 0, sizeof *p);
    if (ncolumns < 1 || ncolumns > 1664 /* MaxTupleAttributeNumber */)
        return pgcdc_error_set(err, PGCDC_EINVAL, "a snapshot reads 1 to 1664 columns, not %d", ncolumns);
    if (format != PGCDC_COPY_BINARY && format != PGCDC_COPY_TEXT)
        return pgcdc_error_set(err, PGCDC_EINVAL, "unknown COPY format %d", (int)format);
    p->format = format;
    p->ncolumns = ncolumns;
    p->batch_rows = batch_rows ? batch_rows : 1000;
    p->batch_bytes = batch_bytes ? batch_bytes : 4u << 20;
    p->flush = flush;
    p->userdata = userdata;
    p->release = release;
    p->values = malloc(p->batch_rows * (size_t)ncolumns * sizeof *p->values);
    p->rows = malloc(p->batch_rows * sizeof *p->rows);
    if (!p->values || !p->rows) {
        snap_parser_free(p);
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory for a snapshot batch of %zu rows of %d columns",
                               batch_rows, ncolumns);
    }
    for (size_t i = 0; i < p->batch_rows; i++) {
        p->rows[i].ncolumns = (uint16_t)ncolumns;
        p->rows[i].values = p->values + i * (size_t)ncolumns;
    }
    p->state = format == PGCDC_COPY_BINARY ? SNAP_HEADER : SNAP_BODY;
    return PGCDC_OK;
}

static void release_held(snap_parser *p)
{
    if (p->release)
        for (size_t i = 0; i < p->nheld; i++)
            p->release(p->held[i]);
    p->nheld = 0;
}

void snap_parser_reset(snap_parser *p)
{
    release_held(p);
    p->nrows = 0;
    p->pending_bytes = 0;
    p->assembling = false;
    p->scratch_in_batch = false;
    pgcdc_buf_reset(&p->scratch);
    p->state = p->format == PGCDC_COPY_BINARY ? SNAP_HEADER : SNAP_BODY;
    p->header_len = 0;
    p->header_checked = false;
    p->header_skip = 0;
}

void snap_parser_free(snap_parser *p)
{
    release_held(p);
    free(p->held);
    free(p->values);
    free(p->rows);
    pgcdc_buf_free(&p->scratch);
    memset(p, 0, sizeof *p);
}

/* Hands the batch on and lets go of every buffer but `keep` (the one being
 * parsed, whose later rows are still to come). */
static pgcdc_code flush_batch(snap_parser *p, void *keep, pgcdc_error *err)
{
    pgcdc_code rc = PGCDC_OK;
    if (p->nrows > 0) {
        rc = p->flush(p->userdata, p->rows, p->nrows, err);
        p->nrows = 0;
    }
    p->pending_bytes = 0;
    p->scratch_in_batch = false;
    size_t kept = 0;
    for (size_t i = 0; i < p->nheld; i++) {
        if (p->held[i] == keep)
            kept = 1;
        else if (p->release)
            p->release(p->held[i]);
    }
    p->nheld = 0;
    if (kept)
        p->held[p->nheld++] = keep;
    return rc;
}

static pgcdc_code row_added(snap_parser *p, size_t bytes, void *keep, pgcdc_error *err)
{
    p->nrows++;
    p->rows_total++;
    p->pending_bytes += bytes;
    if (p->nrows == p->batch_rows || p->pending_bytes >= p->batch_bytes)
        return flush_batch(p, keep, err);
    return PGCDC_OK;
}

static int parse_row(snap_parser *p, char *s, size_t avail, size_t *consumed, size_t *need, pgcdc_error *err)
{
    pgcdc_value *vals = p->values + p->nrows * (size_t)p->ncolumns;
    *need = 1;
    if (p->format == PGCDC_COPY_BINARY)
        return snap_binary_row(p, s, avail, vals, consumed, need, err);
    return snap_text_row(p, s, avail, vals, consumed, err);
}

/* Binary header: 11-byte signature, flags, extension length, extension. */
static pgcdc_code eat_header(snap_parser *p, const char *data, size_t len, size_t *pos, pgcdc_error *err)
{
    while (*pos < len && p->header_len < sizeof p->header)
        p->header[p->header_len++] = (unsigned char)data[(*pos)++];
    if (p->header_len < sizeof p->header)
        return PGCDC_OK;
    if (!p->header_checked) {
        pgcdc_code rc = snap_binary_header(p->header, &p->header_skip, err);
        if (rc != PGCDC_OK)
            return rc;
        p->header_checked = true;
    }
    size_t skip = len - *pos < p->header_skip ? len - *pos : p->header_skip;
    *pos += skip;
    p->header_skip -= (uint32_t)skip;
    if (p->header_skip == 0)
        p->state = SNAP_BODY;
    return PGCDC_OK;
}

/* Moves what the row in scratch still needs from data into scratch. Sets
 * *pos past what was taken; the row, once complete, joins the batch. */
static pgcdc_code continue_split_row(snap_parser *p, char *data, size_t len, size_t *pos, pgcdc_error *err)
{
    while (*pos < len) {
        size_t take;
        if (p->format == PGCDC_COPY_TEXT) {
            char *nl = memchr(data + *pos, '\n', len - *pos);
            take = nl ? (size_t)(nl - (data + *pos)) + 1 : len - *pos;
        } else {
            size_t consumed = 0, need = 1;
            /* not complete yet, or it would not be assembling: what is missing? */
            int r = parse_row(p, p->scratch.data, p->scratch.len, &consumed, &need, err);
            if (r < 0)
                return err ? err->code : PGCDC_EPROTOCOL;
            take = need < len - *pos ? need : len - *pos;
        }
        if (pgcdc_buf_append(&p->scratch, data + *pos, take) != 0)
            return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory for a snapshot row of %zu bytes",
                                   p->scratch.len + take);
        *pos += take;

        size_t consumed = 0, need = 1;
        int r = parse_row(p, p->scratch.data, p->scratch.len, &consumed, &need, err);
        if (r < 0)
            return err ? err->code : PGCDC_EPROTOCOL;
        if (r == 0)
            continue;
        p->assembling = false;
        if (r == 2) {
            p->state = SNAP_DONE;
            return PGCDC_OK;
        }
        p->scratch_in_batch = true;
        return row_added(p, consumed, data, err);
    }
    return PGCDC_OK;
}

pgcdc_code snap_parser_feed(snap_parser *p, char *data, size_t len, pgcdc_error *err)
{
    if (p->release) {
        if (p->nheld == p->held_cap) {
            size_t cap = p->held_cap ? p->held_cap * 2 : 64;
            void **h = realloc(p->held, cap * sizeof *h);
            if (!h) {
                p->release(data);
                return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory while reading COPY data");
            }
            p->held = h;
            p->held_cap = cap;
        }
        p->held[p->nheld++] = data;
    }
    p->bytes_total += len;

    size_t pos = 0;
    pgcdc_code rc;
    if (p->state == SNAP_HEADER) {
        if ((rc = eat_header(p, data, len, &pos, err)) != PGCDC_OK)
            return rc;
        if (p->state == SNAP_HEADER)
            return PGCDC_OK;
    }
    if (p->assembling && (rc = continue_split_row(p, data, len, &pos, err)) != PGCDC_OK)
        return rc;
    while (pos < len) {
        if (p->state == SNAP_DONE)
            return pgcdc_error_set(err, PGCDC_EPROTOCOL, "COPY data continues after the binary trailer");
        size_t consumed = 0, need = 1;
        int r = parse_row(p, data + pos, len - pos, &consumed, &need, err);
        if (r < 0)
            return err ? err->code : PGCDC_EPROTOCOL;
        if (r == 2) {
            p->state = SNAP_DONE;
            pos += consumed;
            continue;
        }
        if (r == 1) {
            pos += consumed;
            if ((rc = row_added(p, consumed, data, err)) != PGCDC_OK)
                return rc;
            continue;
        }
        /* the row goes on in the next buffer: gather it in scratch */
        if (p->scratch_in_batch && (rc = flush_batch(p, data, err)) != PGCDC_OK)
            return rc;
        pgcdc_buf_reset(&p->scratch);
        if (pgcdc_buf_append(&p->scratch, data + pos, len - pos) != 0)
            return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory for a snapshot row");
        p->assembling = true;
        break;
    }
    return PGCDC_OK;
}

pgcdc_code snap_parser_finish(snap_parser *p, pgcdc_error *err)
{
    if (p->assembling)
        return pgcdc_error_set(err, PGCDC_EPROTOCOL, "COPY data ended inside a row (%zu bytes of it received)",
                               p->scratch.len);
    if (p->format == PGCDC_COPY_BINARY && p->state != SNAP_DONE)
        return pgcdc_error_set(err, PGCDC_EPROTOCOL, "binary COPY data ended without its trailer");
    return flush_batch(p, NULL, err);
}
