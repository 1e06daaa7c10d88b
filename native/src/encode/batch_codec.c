/* batch_codec.c - ChangeBatch bytes: encode from the builder, decode into
 * protobuf-c structs held by one arena, and decoded Values back to text. */
#include "batch_internal.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch_value.h"
#include "types/float_text.h"

/* ---------------------------------------------------------------- encode */

static pgcdc_code encode(pgcdc_batch_builder *b, pgcdc_buf *out, bool split, pgcdc_error *err)
{
    if (b->txn) {
        if (!split)
            return pgcdc_error_set(err, PGCDC_EINVAL,
                                   "cannot encode the change batch: transaction %u is still open (%zu changes so "
                                   "far); a batch is cut between transactions: encode after its COMMIT, or use "
                                   "pgcdc_batch_encode_split to send it in fragments",
                                   b->hdr.xid, b->txn->n_changes);
        if ((b->txn->n_changes || b->txn->n_messages) && batch_split_txn(b) != 0)
            return batch_oom(err, "fragment");
    }
    Pgcdc__V1__ChangeBatch msg = PGCDC__V1__CHANGE_BATCH__INIT;
    msg.format_version = PGCDC_BATCH_FORMAT_VERSION;
    msg.source_database = b->source_database;
    msg.confirm_lsn = b->confirm_lsn;
    msg.records = b->records;
    /* The open transaction's empty fragment is last: it belongs to the next batch. */
    msg.n_records = b->nrecords - (b->txn ? 1 : 0);

    size_t size = pgcdc__v1__change_batch__get_packed_size(&msg);
    pgcdc_buf_reset(out);
    if (pgcdc_buf_reserve(out, size) != 0)
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory for a change batch of %zu bytes", size);
    size_t n = pgcdc__v1__change_batch__pack(&msg, (uint8_t *)out->data);
    out->len = n;
    out->data[n] = '\0';
    return PGCDC_OK;
}

pgcdc_code pgcdc_batch_encode(pgcdc_batch_builder *b, pgcdc_buf *out, pgcdc_error *err)
{
    return encode(b, out, false, err);
}

pgcdc_code pgcdc_batch_encode_split(pgcdc_batch_builder *b, pgcdc_buf *out, pgcdc_error *err)
{
    return encode(b, out, true, err);
}

/* ---------------------------------------------------------------- decode */

/* Allocations of protobuf-c's unpack: small ones from an arena (no malloc per
 * value, one free for all), big ones (arrays, scan buffers that unpack frees
 * itself) from malloc, tracked so that free can find them. */
#define BIG_ALLOC (64 * 1024)

typedef struct big_block {
    struct big_block *prev, *next;
    max_align_t data[];
} big_block;

struct pgcdc_batch {
    pgcdc_arena arena;
    big_block *big;
    ProtobufCAllocator alloc;
    bool out_of_memory;
    Pgcdc__V1__ChangeBatch *msg;
};

static void *dec_alloc(void *data, size_t size)
{
    pgcdc_batch *d = data;
    if (size < BIG_ALLOC) {
        void *p = pgcdc_arena_alloc(&d->arena, size);
        d->out_of_memory |= !p;
        return p;
    }
    big_block *bb = malloc(sizeof *bb + size);
    if (!bb) {
        d->out_of_memory = true;
        return NULL;
    }
    bb->prev = NULL;
    bb->next = d->big;
    if (d->big)
        d->big->prev = bb;
    d->big = bb;
    return bb->data;
}

static void dec_free(void *data, void *p)
{
    pgcdc_batch *d = data;
    if (!p)
        return;
    /* Unpack frees few blocks, mostly the ones it allocated last. */
    for (big_block *bb = d->big; bb; bb = bb->next) {
        if ((void *)bb->data == p) {
            if (bb->prev)
                bb->prev->next = bb->next;
            else
                d->big = bb->next;
            if (bb->next)
                bb->next->prev = bb->prev;
            free(bb);
            return;
        }
    }
    /* arena memory: freed with the batch */
}

/* Reads a varint at *pos; -1 when truncated or longer than 10 bytes. */
static int read_varint(const uint8_t *p, size_t len, size_t *pos, uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (*pos >= len)
            return -1;
        uint8_t byte = p[(*pos)++];
        v |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return -1;
}

/* format_version from the top-level fields, before anything else is parsed, so
 * that a batch of a newer format is refused as such even if the rest of its
 * layout changed. -1 when the top level is not well-formed protobuf. */
static int peek_format_version(const uint8_t *p, size_t len, uint64_t *version)
{
    size_t pos = 0;
    *version = 0;
    while (pos < len) {
        uint64_t tag, v;
        if (read_varint(p, len, &pos, &tag) != 0 || (tag >> 3) == 0)
            return -1;
        switch (tag & 7) {
        case 0:
            if (read_varint(p, len, &pos, &v) != 0)
                return -1;
            if ((tag >> 3) == 1)
                *version = v;
            break;
        case 1:
            if (len - pos < 8)
                return -1;
            pos += 8;
            break;
        case 2:
            if (read_varint(p, len, &pos, &v) != 0 || v > len - pos)
                return -1;
            pos += (size_t)v;
            break;
        case 5:
            if (len - pos < 4)
                return -1;
            pos += 4;
            break;
        default:
            return -1;
        }
    }
    return 0;
}

/* Whether m or a message inside it holds a field numbered 0. No protobuf
 * writer makes one; protobuf-c keeps one as an unknown field when its tag is
 * spelt as a non-minimal varint (0x80 0x00), but writes it back in one byte,
 * which protobuf-c then refuses: such a batch would decode here and fail
 * after the destination filter re-encoded it. Found by fuzz_batch. The walk
 * is bounded by the schema's nesting (a Value is four messages deep). */
static bool has_field_zero(const ProtobufCMessage *m)
{
    for (unsigned i = 0; i < m->n_unknown_fields; i++)
        if (m->unknown_fields[i].tag == 0)
            return true;
    const ProtobufCMessageDescriptor *desc = m->descriptor;
    const char *base = (const char *)m;
    for (unsigned i = 0; i < desc->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &desc->fields[i];
        if (f->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(const size_t *)(base + f->quantifier_offset);
            ProtobufCMessage *const *items = *(ProtobufCMessage *const *const *)(base + f->offset);
            for (size_t k = 0; k < n; k++)
                if (items[k] && has_field_zero(items[k]))
                    return true;
            continue;
        }
        if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) && *(const uint32_t *)(base + f->quantifier_offset) != f->id)
            continue; /* another member of the oneof is set */
        const ProtobufCMessage *sub = *(ProtobufCMessage *const *)(base + f->offset);
        if (sub && has_field_zero(sub))
            return true;
    }
    return false;
}

void pgcdc_batch_free(pgcdc_batch *batch)
{
    if (!batch)
        return;
    big_block *bb = batch->big;
    while (bb) {
        big_block *next = bb->next;
        free(bb);
        bb = next;
    }
    pgcdc_arena_free(&batch->arena);
    free(batch);
}

pgcdc_code pgcdc_batch_decode(const uint8_t *data, size_t len, pgcdc_batch **out, pgcdc_error *err)
{
    *out = NULL;
    if (!data && len)
        return pgcdc_error_set(err, PGCDC_EINVAL, "change batch: no data");
    pgcdc_batch *d = calloc(1, sizeof *d);
    if (!d)
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory decoding a change batch of %zu bytes", len);
    /* Decoded structs take several times the encoded size: size blocks after it. */
    size_t block = len * 2;
    block = block < 64 * 1024 ? 64 * 1024 : block > 4 * 1024 * 1024 ? 4 * 1024 * 1024 : block;
    pgcdc_arena_init(&d->arena, block);
    d->alloc.alloc = dec_alloc;
    d->alloc.free = dec_free;
    d->alloc.allocator_data = d;
    d->msg = pgcdc__v1__change_batch__unpack(&d->alloc, len, data);

    /* A batch of a newer format is refused as such, whether or not its layout
     * still parses as this one. */
    bool field_zero = d->msg && has_field_zero(&d->msg->base);
    uint64_t version = d->msg ? d->msg->format_version : 0, peeked;
    bool well_formed = d->msg != NULL;
    if (!d->msg && peek_format_version(data, len, &peeked) == 0) {
        well_formed = true;
        version = peeked;
    }
    pgcdc_code rc = PGCDC_OK;
    if (!d->msg && d->out_of_memory)
        rc = pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory decoding a change batch of %zu bytes", len);
    else if (version > PGCDC_BATCH_FORMAT_VERSION)
        rc = pgcdc_error_set(err, PGCDC_EUNSUPPORTED,
                             "change batch format version %" PRIu64 " is newer than this pgcdc reads (up to %u): "
                             "upgrade pgcdc (the library, CLI or NiFi NAR that reads these batches)",
                             version, PGCDC_BATCH_FORMAT_VERSION);
    else if (!d->msg || field_zero)
        rc = pgcdc_error_set(err, PGCDC_EINVAL,
                             "malformed change batch (%zu bytes): %s; the data is truncated or corrupted, or is "
                             "not a pgcdc change batch",
                             len, field_zero ? "it holds a field numbered 0"
                                  : well_formed ? "its records do not parse" : "not protobuf");
    else if (version == 0)
        rc = pgcdc_error_set(err, PGCDC_EINVAL,
                             "not a pgcdc change batch (%zu bytes): it has no format_version; the data is empty or "
                             "something else",
                             len);
    if (rc) {
        pgcdc_batch_free(d);
        return rc;
    }
    *out = d;
    return PGCDC_OK;
}

const struct Pgcdc__V1__ChangeBatch *pgcdc_batch_message(const pgcdc_batch *batch)
{
    return batch->msg;
}

/* ----------------------------------------------------------------- values */

_Static_assert(PGCDC_BATCH_VALUE_SCRATCH >= PGCDC_FLOAT_TEXT_MAX, "the scratch holds any float text");

pgcdc_code pgcdc_batch_value_get(const struct Pgcdc__V1__Value *v, uint32_t type_oid,
                                 char scratch[PGCDC_BATCH_VALUE_SCRATCH], pgcdc_value *out, pgcdc_error *err)
{
    out->len = 0;
    out->data = "";
    switch (v->kind_case) {
    case PGCDC__V1__VALUE__KIND_IS_NULL:
        out->kind = 'n';
        return PGCDC_OK;
    case PGCDC__V1__VALUE__KIND_UNCHANGED_TOAST:
        out->kind = 'u';
        return PGCDC_OK;
    case PGCDC__V1__VALUE__KIND_TEXT:
    case PGCDC__V1__VALUE__KIND_BINARY: {
        const ProtobufCBinaryData *bd = v->kind_case == PGCDC__V1__VALUE__KIND_TEXT ? &v->text : &v->binary;
        out->kind = v->kind_case == PGCDC__V1__VALUE__KIND_TEXT ? 't' : 'b';
        out->len = (uint32_t)bd->len;
        if (bd->len)
            out->data = (const char *)bd->data;
        return PGCDC_OK;
    }
    case PGCDC__V1__VALUE__KIND_INT64_VALUE:
        out->kind = 't';
        out->len = (uint32_t)snprintf(scratch, PGCDC_BATCH_VALUE_SCRATCH, "%" PRId64, v->int64_value);
        out->data = scratch;
        return PGCDC_OK;
    case PGCDC__V1__VALUE__KIND_DOUBLE_VALUE:
        out->kind = 't';
        out->len = (uint32_t)pgcdc_format_float(v->double_value, type_oid == BATCH_FLOAT4OID, scratch);
        out->data = scratch;
        return PGCDC_OK;
    case PGCDC__V1__VALUE__KIND_BOOL_VALUE:
        out->kind = 't';
        scratch[0] = v->bool_value ? 't' : 'f';
        scratch[1] = '\0';
        out->len = 1;
        out->data = scratch;
        return PGCDC_OK;
    default:
        break;
    }
    out->kind = 0;
    return pgcdc_error_set(err, PGCDC_EINVAL,
                           "a change batch value has a kind this pgcdc does not know (written by a newer pgcdc): "
                           "upgrade pgcdc to read it");
}
