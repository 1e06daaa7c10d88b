/* filter.c - a ChangeBatch without the tables a destination does not
 * replicate. The reader streams every table of the publication; the journal
 * writer refuses tables it was never told about, and tables that are NEW
 * (not prepared yet) or not included must not reach a journal anyway. The
 * filtered batch shares the decoded message's records: only the pointer
 * arrays and the records whose change lists shrink are copied. */
#include <stdlib.h>
#include <string.h>

#include "change_batch.pb-c.h"
#include "connector_internal.h"

pgcdc_code cn_split_table(const char *qualified, char schema[64], char table[64], pgcdc_error *err)
{
    return pl_table_key_parse(qualified, schema, table, err);
}

typedef struct copies {
    Pgcdc__V1__Record **recs;     /* the new record list */
    Pgcdc__V1__Record *rec_copies;
    Pgcdc__V1__Transaction *tx_copies;
    Pgcdc__V1__RowChange **changes;
} copies;

static void copies_free(copies *c)
{
    free(c->recs);
    free(c->rec_copies);
    free(c->tx_copies);
    free(c->changes);
}

static bool keep_change(const Pgcdc__V1__RowChange *ch, cn_keep_fn keep, void *ud)
{
    /* TRUNCATE names its tables in `truncated`; the writer skips it anyway */
    return ch->op == PGCDC__V1__OP__OP_TRUNCATE || keep(ud, ch->schema, ch->table);
}

pgcdc_code cn_batch_filter(const Pgcdc__V1__ChangeBatch *m, cn_keep_fn keep, void *ud, pgcdc_buf *out,
                           bool *filtered, pgcdc_error *err)
{
    *filtered = false;
    size_t nchanges = 0, dropped = 0;
    for (size_t i = 0; i < m->n_records; i++) {
        const Pgcdc__V1__Record *r = m->records[i];
        switch (r->kind_case) {
        case PGCDC__V1__RECORD__KIND_TRANSACTION:
            for (size_t k = 0; k < r->transaction->n_changes; k++) {
                nchanges++;
                dropped += !keep_change(r->transaction->changes[k], keep, ud);
            }
            break;
        case PGCDC__V1__RECORD__KIND_SNAPSHOT_ROWS:
            dropped += !keep(ud, r->snapshot_rows->schema, r->snapshot_rows->table);
            break;
        case PGCDC__V1__RECORD__KIND_SCHEMA_EVENT:
            dropped += !keep(ud, r->schema_event->schema, r->schema_event->table);
            break;
        default:
            break;
        }
    }
    if (dropped == 0)
        return PGCDC_OK;
    copies c = {0};
    size_t n = m->n_records ? m->n_records : 1;
    c.recs = calloc(n, sizeof *c.recs);
    c.rec_copies = calloc(n, sizeof *c.rec_copies);
    c.tx_copies = calloc(n, sizeof *c.tx_copies);
    c.changes = calloc(nchanges ? nchanges : 1, sizeof *c.changes);
    if (!c.recs || !c.rec_copies || !c.tx_copies || !c.changes) {
        copies_free(&c);
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
    }
    size_t nr = 0, nc = 0;
    for (size_t i = 0; i < m->n_records; i++) {
        Pgcdc__V1__Record *r = m->records[i];
        if (r->kind_case == PGCDC__V1__RECORD__KIND_SNAPSHOT_ROWS &&
            !keep(ud, r->snapshot_rows->schema, r->snapshot_rows->table))
            continue;
        if (r->kind_case == PGCDC__V1__RECORD__KIND_SCHEMA_EVENT &&
            !keep(ud, r->schema_event->schema, r->schema_event->table))
            continue;
        if (r->kind_case != PGCDC__V1__RECORD__KIND_TRANSACTION) {
            c.recs[nr++] = r;
            continue;
        }
        /* the transaction stays (its commit LSN moves the position) with the kept changes */
        const Pgcdc__V1__Transaction *tx = r->transaction;
        Pgcdc__V1__Transaction *t = &c.tx_copies[i];
        *t = *tx;
        t->changes = &c.changes[nc];
        t->n_changes = 0;
        for (size_t k = 0; k < tx->n_changes; k++)
            if (keep_change(tx->changes[k], keep, ud))
                c.changes[nc + t->n_changes++] = tx->changes[k];
        nc += t->n_changes;
        c.rec_copies[i] = *r;
        c.rec_copies[i].transaction = t;
        c.recs[nr++] = &c.rec_copies[i];
    }
    Pgcdc__V1__ChangeBatch b = *m;
    b.records = c.recs;
    b.n_records = nr;
    size_t len = pgcdc__v1__change_batch__get_packed_size(&b);
    pgcdc_buf_reset(out);
    if (pgcdc_buf_reserve(out, len + 1) != 0) {
        copies_free(&c);
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
    }
    out->len = pgcdc__v1__change_batch__pack(&b, (uint8_t *)out->data);
    out->data[out->len] = '\0';
    copies_free(&c);
    *filtered = true;
    return PGCDC_OK;
}
