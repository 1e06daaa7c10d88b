/* fuzz_decoder.c - libFuzzer target for the pgoutput decoder.
 *
 * Input: one options byte, then messages as [u16 big-endian length][bytes].
 * The sink reads every byte of every value and name it is handed, so a
 * pointer past the message shows up under AddressSanitizer. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pgcdc/decoder.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile unsigned sink_sum;

static void touch(const char *p, size_t n)
{
    unsigned s = 0;
    for (size_t i = 0; i < n; i++)
        s += (unsigned char)p[i];
    sink_sum += s;
}

static void touch_tuple(const pgcdc_tuple *t)
{
    for (int i = 0; i < t->ncolumns; i++)
        if (t->values[i].data)
            touch(t->values[i].data, t->values[i].len);
}

static int sink(void *ud, const pgcdc_event *ev, pgcdc_error *err)
{
    (void)ud;
    (void)err;
    if (ev->rel) {
        touch(ev->rel->nspname, strlen(ev->rel->nspname));
        for (int i = 0; i < ev->rel->ncolumns; i++)
            touch(ev->rel->columns[i].name, strlen(ev->rel->columns[i].name));
    }
    if (ev->diff)
        for (int i = 0; i < ev->diff->nchanges; i++)
            if (ev->diff->changes[i].old_index >= 0)
                touch(ev->diff->old_rel->columns[ev->diff->changes[i].old_index].name, 1);
    touch_tuple(&ev->old_tuple);
    touch_tuple(&ev->new_tuple);
    for (int i = 0; i < ev->nrelations; i++)
        touch(ev->relations[i]->relname, strlen(ev->relations[i]->relname));
    if (ev->content)
        touch(ev->content, ev->content_len);
    if (ev->prefix)
        touch(ev->prefix, strlen(ev->prefix));
    if (ev->txn && ev->txn->gid)
        touch(ev->txn->gid, strlen(ev->txn->gid));
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    pgcdc_decoder_options opt = {
        .proto_version = 4,
        .stream_abort_has_lsn = data[0] & 1,
        .memory_limit = (data[0] & 2) ? 512 : 1 << 20, /* tiny limit: exercise spilling */
    };
    pgcdc_decoder *d;
    if (pgcdc_decoder_new(&opt, sink, NULL, &d, NULL) != PGCDC_OK)
        return 0;
    size_t pos = 1;
    pgcdc_lsn lsn = 1;
    while (pos + 2 <= size) {
        size_t len = ((size_t)data[pos] << 8) | data[pos + 1];
        pos += 2;
        if (len > size - pos)
            len = size - pos;
        /* copy into an exact-size buffer so reads past the message are caught */
        uint8_t *msg = len ? __builtin_malloc(len) : NULL;
        if (len)
            memcpy(msg, data + pos, len);
        pgcdc_decoder_feed(d, msg, len, lsn++, NULL);
        __builtin_free(msg);
        pos += len;
    }
    pgcdc_decoder_free(d);
    return 0;
}
