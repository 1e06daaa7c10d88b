/* fuzz_batch.c - libFuzzer target for the ChangeBatch decoder
 * (pgcdc_batch_decode: protobuf bytes from FlowFile content or the CLI's
 * pipeline into the in-memory batch) and for what is done with a decoded
 * batch before any destination is touched: every value read back as text
 * (pgcdc_batch_value_get), the table filter of the destination writer
 * (cn_batch_filter) and its re-encoding.
 *
 * Checks beyond "no crash": a decoded batch packs again (protobuf-c reads every
 * field and pointer), and what it packs to decodes to the same size again (a
 * decode that keeps a field the encoder cannot write back would show). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "change_batch.pb-c.h"
#include "connector/connector_internal.h"
#include "pgcdc/batch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile unsigned sink_sum;

static void touch(const void *p, size_t n)
{
    unsigned s = 0;
    for (size_t i = 0; i < n; i++)
        s += ((const unsigned char *)p)[i];
    sink_sum += s;
}

static void touch_str(const char *s)
{
    if (s)
        touch(s, strlen(s));
}

static void read_values(Pgcdc__V1__Value *const *vals, size_t n)
{
    char scratch[PGCDC_BATCH_VALUE_SCRATCH];
    for (size_t i = 0; i < n; i++) {
        pgcdc_value v;
        /* float4 for odd positions: both float formats */
        if (pgcdc_batch_value_get(vals[i], i % 2 ? 700 : 701, scratch, &v, NULL) == PGCDC_OK)
            touch(v.data, v.len);
    }
}

static void walk(const Pgcdc__V1__ChangeBatch *m)
{
    touch_str(m->source_database);
    for (size_t i = 0; i < m->n_records; i++) {
        const Pgcdc__V1__Record *r = m->records[i];
        switch (r->kind_case) {
        case PGCDC__V1__RECORD__KIND_TRANSACTION:
            for (size_t k = 0; k < r->transaction->n_changes; k++) {
                const Pgcdc__V1__RowChange *c = r->transaction->changes[k];
                touch_str(c->schema);
                touch_str(c->table);
                read_values(c->new_values, c->n_new_values);
                read_values(c->old_values, c->n_old_values);
            }
            touch_str(r->transaction->gid);
            break;
        case PGCDC__V1__RECORD__KIND_SNAPSHOT_ROWS:
            for (size_t k = 0; k < r->snapshot_rows->n_rows; k++)
                read_values(r->snapshot_rows->rows[k]->values, r->snapshot_rows->rows[k]->n_values);
            break;
        case PGCDC__V1__RECORD__KIND_SCHEMA_EVENT:
            for (size_t k = 0; k < r->schema_event->n_columns; k++)
                touch_str(r->schema_event->columns[k]->name);
            break;
        default:
            break;
        }
    }
}

/* Keeps tables whose name has an even length: some records go, some stay. */
static bool keep_even(void *ud, const char *schema, const char *table)
{
    (void)ud;
    (void)schema;
    return table && strlen(table) % 2 == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* an exact-size copy, so that a read past the input is caught */
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    pgcdc_batch *b = NULL;
    pgcdc_error err;
    if (pgcdc_batch_decode(copy, size, &b, &err) != PGCDC_OK) {
        free(copy);
        return 0;
    }
    const Pgcdc__V1__ChangeBatch *m = pgcdc_batch_message(b);
    walk(m);

    size_t packed_len = pgcdc__v1__change_batch__get_packed_size(m);
    uint8_t *packed = malloc(packed_len ? packed_len : 1);
    if (packed) {
        size_t n = pgcdc__v1__change_batch__pack(m, packed);
        if (n != packed_len)
            __builtin_trap();
        pgcdc_batch *again = NULL;
        if (pgcdc_batch_decode(packed, n, &again, &err) != PGCDC_OK)
            __builtin_trap(); /* what we decoded must decode again once packed */
        if (pgcdc__v1__change_batch__get_packed_size(pgcdc_batch_message(again)) != packed_len)
            __builtin_trap();
        pgcdc_batch_free(again);
        free(packed);
    }

    pgcdc_buf out = PGCDC_BUF_INIT;
    bool filtered = false;
    if (cn_batch_filter(m, keep_even, NULL, &out, &filtered, &err) == PGCDC_OK && filtered) {
        pgcdc_batch *f = NULL;
        if (pgcdc_batch_decode((const uint8_t *)out.data, out.len, &f, &err) != PGCDC_OK)
            __builtin_trap(); /* the filter's output is a batch */
        walk(pgcdc_batch_message(f));
        pgcdc_batch_free(f);
    }
    pgcdc_buf_free(&out);
    pgcdc_batch_free(b);
    free(copy);
    return 0;
}
