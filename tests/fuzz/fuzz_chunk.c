/* fuzz_chunk.c - libFuzzer target for the snapshot chunk descriptor codec
 * (connector/chunk_codec.c) and the snapshot plan codec (snapshot/
 * plan_codec.c): text that arrives as FlowFile content or from the
 * destination's state.
 *
 * Input: one selector byte (even: a chunk descriptor, odd: a plan), then the
 * text, copied into an exact-size buffer so a read past it shows under
 * AddressSanitizer. What decodes is encoded again, and that must decode to
 * the same encoding (round trip): a mismatch aborts. A count the text cannot
 * hold must be refused before it is allocated: -rss_limit_mb and
 * -malloc_limit_mb catch one that is not. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "connector/connector_internal.h"
#include "pgcdc/snapshot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same(const pgcdc_buf *a, const pgcdc_buf *b)
{
    if (a->len != b->len || memcmp(a->data, b->data, a->len) != 0)
        abort();
}

static void chunk(const uint8_t *text, size_t len)
{
    cn_chunk c, d;
    pgcdc_error err;
    if (cn_chunk_decode(text, len, &c, &err) != PGCDC_OK)
        return;
    pgcdc_buf once = PGCDC_BUF_INIT, twice = PGCDC_BUF_INIT;
    if (cn_chunk_encode(&c, &once, &err) != PGCDC_OK)
        abort();
    if (cn_chunk_decode((const uint8_t *)once.data, once.len, &d, &err) != PGCDC_OK)
        abort();
    if (cn_chunk_encode(&d, &twice, &err) != PGCDC_OK)
        abort();
    same(&once, &twice);
    cn_chunk_clear(&d);
    cn_chunk_clear(&c);
    pgcdc_buf_free(&once);
    pgcdc_buf_free(&twice);
}

static void plan(const char *text, size_t len)
{
    pgcdc_snapshot_plan p, q;
    pgcdc_error err;
    if (pgcdc_snapshot_plan_decode(text, len, &p, &err) != PGCDC_OK)
        return;
    pgcdc_buf once = PGCDC_BUF_INIT, twice = PGCDC_BUF_INIT;
    if (pgcdc_snapshot_plan_encode(&p, &once, &err) != PGCDC_OK)
        abort();
    if (pgcdc_snapshot_plan_decode(once.data, once.len, &q, &err) != PGCDC_OK)
        abort();
    if (pgcdc_snapshot_plan_encode(&q, &twice, &err) != PGCDC_OK)
        abort();
    same(&once, &twice);
    pgcdc_snapshot_plan_free(&q);
    pgcdc_snapshot_plan_free(&p);
    pgcdc_buf_free(&once);
    pgcdc_buf_free(&twice);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t len = size - 1;
    char *text = malloc(len ? len : 1);
    if (!text)
        return 0;
    memcpy(text, data + 1, len);
    if (data[0] & 1)
        plan(text, len);
    else
        chunk((const uint8_t *)text, len);
    free(text);
    return 0;
}
