/* dest_write.c - the destination's writes: journal batches (with the
 * tables a batch names brought up to date first), the snapshot's final
 * merge and the merges of replicating tables. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgcdc/log.h"
#include "change_batch.pb-c.h"
#include "dest_internal.h"

/* A table another destination prepared since this one last looked is
 * registered now, so none of its changes is dropped. Tables the
 * configuration does not include are not looked up at all. */
static pgcdc_code refresh(pgcdc_destination *d, const char *schema, const char *name, pgcdc_error *err)
{
    if (!schema || !name || !*name)
        return PGCDC_OK;
    cn_table *ct = cn_find(d, schema, name);
    if (ct && ct->t.registered)
        return PGCDC_OK;
    if (!pgcdc_table_selection_matches(d->sel, schema, name))
        return PGCDC_OK;
    pgcdc_code rc = cn_entry(d, schema, name, &ct, err);
    if (rc == PGCDC_OK)
        rc = cn_load(d, ct, err);
    return rc;
}

static pgcdc_code refresh_batch(pgcdc_destination *d, const Pgcdc__V1__ChangeBatch *m, pgcdc_error *err)
{
    pgcdc_code rc = PGCDC_OK;
    for (size_t i = 0; i < m->n_records && rc == PGCDC_OK; i++) {
        const Pgcdc__V1__Record *r = m->records[i];
        if (r->kind_case == PGCDC__V1__RECORD__KIND_SNAPSHOT_ROWS) {
            rc = refresh(d, r->snapshot_rows->schema, r->snapshot_rows->table, err);
        } else if (r->kind_case == PGCDC__V1__RECORD__KIND_TRANSACTION) {
            const Pgcdc__V1__Transaction *tx = r->transaction;
            for (size_t k = 0; k < tx->n_changes && rc == PGCDC_OK; k++)
                if (tx->changes[k]->op != PGCDC__V1__OP__OP_TRUNCATE)
                    rc = refresh(d, tx->changes[k]->schema, tx->changes[k]->table, err);
        }
    }
    return rc;
}

/* The journal writer takes only tables it knows (a failed one it skips). */
static bool keep(void *ud, const char *schema, const char *name)
{
    cn_table *ct = cn_find(ud, schema, name);
    return ct && ct->known;
}

/* Snapshot rows written per table, for the state row (informational: not
 * in the journal's transaction). */
static void count_snapshot_rows(pgcdc_destination *d, const Pgcdc__V1__ChangeBatch *m)
{
    for (size_t i = 0; i < m->n_records; i++) {
        const Pgcdc__V1__Record *r = m->records[i];
        if (r->kind_case != PGCDC__V1__RECORD__KIND_SNAPSHOT_ROWS || r->snapshot_rows->n_rows == 0)
            continue;
        cn_table *ct = cn_find(d, r->snapshot_rows->schema, r->snapshot_rows->table);
        if (!ct || !ct->t.registered)
            continue;
        ct->t.rows_snapshotted += (int64_t)r->snapshot_rows->n_rows;
        pgcdc_buf sql = PGCDC_BUF_INIT;
        pgcdc_buf_printf(&sql, "UPDATE %s SET \"rows_snapshotted\" = \"rows_snapshotted\" + CAST($2 AS bigint) "
                         "WHERE \"table_name\" = $1", d->x.table_state_q.data);
        char n[32];
        snprintf(n, sizeof n, "%zu", r->snapshot_rows->n_rows);
        const char *v[2] = {ct->t.key, n};
        pgcdc_error e;
        if (pl_exec_params(d->x.dst, sql.data, 2, v, &e) != PGCDC_OK)
            pgcdc_log(PGCDC_LOG_WARN, "could not count snapshot rows of %s: %s", ct->t.key, e.message);
        pgcdc_buf_free(&sql);
    }
}

void cn_note_failed(pgcdc_destination *d, const pl_table *t)
{
    for (size_t i = 0; i < d->nfailed; i++)
        if (!strcmp(d->failed[i], t->key))
            return;
    char(*f)[PL_KEY_MAX] = realloc(d->failed, (d->nfailed + 1) * sizeof *f);
    if (!f)
        return; /* the report only: the table is FAILED in the destination anyway */
    d->failed = f;
    snprintf(d->failed[d->nfailed++], sizeof *f, "%s", t->key);
}

size_t pgcdc_destination_write_failures(const pgcdc_destination *d, const char **tables, size_t max)
{
    for (size_t i = 0; i < d->nfailed && i < max; i++)
        tables[i] = d->failed[i];
    return d->nfailed;
}

/* One batch (or a part of one) into the journals. A table whose rows the
 * destination refuses (a value it cannot hold, a permanent SQL error the
 * writer pins on one table) fails alone, with the reference's log line, and
 * the batch is written again for the others. */
static pgcdc_code write_batch(pgcdc_destination *d, const pgcdc_batch *batch, pgcdc_journal_stats *st,
                              pgcdc_error *err)
{
    pl_ctx *x = &d->x;
    for (size_t tries = 0;; tries++) {
        pgcdc_error e;
        pgcdc_code w = pgcdc_journal_write(x->writer, batch, st, &e);
        const pgcdc_merge_table *bad = pgcdc_journal_failed_table(x->writer);
        if (w != PGCDC_OK && pl_is_write_table_failure(w, &e) && bad && tries <= d->n) {
            bool found = false;
            for (size_t i = 0; i < d->n; i++)
                if (&d->t[i]->t.mt == bad) {
                    /* FAILED not recorded: the table stays, the batch is refused (interim) */
                    pgcdc_code f = pl_fail(x, &d->t[i]->t, e.message, err);
                    if (f != PGCDC_OK)
                        return f;
                    cn_note_failed(d, &d->t[i]->t);
                    found = true;
                }
            if (found)
                continue;
        }
        if (w != PGCDC_OK) {
            if (err)
                *err = e;
            return w;
        }
        if (st->confirm_lsn > x->durable)
            x->durable = st->confirm_lsn;
        return PGCDC_OK;
    }
}

/* The first fragment in m, at or after from, of the transaction of the
 * schema event ev (before or after it: an event is placed before a
 * transaction that has no content yet in the batch), or NULL. */
static const Pgcdc__V1__Transaction *first_fragment(const Pgcdc__V1__ChangeBatch *m, size_t from,
                                                    const Pgcdc__V1__Record *ev)
{
    uint32_t xid = ev->schema_event->xid;
    for (size_t i = from; xid != 0 && i < m->n_records; i++)
        if (m->records[i]->kind_case == PGCDC__V1__RECORD__KIND_TRANSACTION &&
            m->records[i]->transaction->xid == xid)
            return m->records[i]->transaction;
    return NULL;
}

/* Records [from, to) of m as a batch of their own, confirming confirm. */
static pgcdc_code slice(pgcdc_destination *d, const Pgcdc__V1__ChangeBatch *m, size_t from, size_t to,
                        pgcdc_lsn confirm, pgcdc_batch **out, pgcdc_error *err)
{
    Pgcdc__V1__ChangeBatch b = *m;
    b.records = m->records + from;
    b.n_records = to - from;
    b.confirm_lsn = confirm;
    size_t len = pgcdc__v1__change_batch__get_packed_size(&b);
    pgcdc_buf_reset(&d->slice);
    if (pgcdc_buf_reserve(&d->slice, len + 1) != 0)
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
    d->slice.len = pgcdc__v1__change_batch__pack(&b, (uint8_t *)d->slice.data);
    return pgcdc_batch_decode((const uint8_t *)d->slice.data, d->slice.len, out, err);
}

pgcdc_code pgcdc_destination_write_journal(pgcdc_destination *d, const uint8_t *data, size_t len,
                                           pgcdc_lsn *durable, pgcdc_error *err)
{
    pl_ctx *x = &d->x;
    d->nfailed = 0;
    pgcdc_batch *in = NULL, *filtered = NULL;
    pgcdc_code rc = pgcdc_batch_decode(data, len, &in, err);
    if (rc == PGCDC_OK)
        rc = refresh_batch(d, pgcdc_batch_message(in), err);
    bool was_filtered = false;
    if (rc == PGCDC_OK)
        rc = cn_batch_filter(pgcdc_batch_message(in), keep, d, &d->scratch, &was_filtered, err);
    if (rc == PGCDC_OK && was_filtered)
        rc = pgcdc_batch_decode((const uint8_t *)d->scratch.data, d->scratch.len, &filtered, err);
    const pgcdc_batch *batch = filtered ? filtered : in;
    const Pgcdc__V1__ChangeBatch *m = rc == PGCDC_OK ? pgcdc_batch_message(batch) : NULL;
    pgcdc_journal_stats st = {0};
    /* a CDC batch overtaken by later, merged ones is refused (dest_order.c) */
    if (rc == PGCDC_OK)
        rc = cn_order_check(d, m, err);
    /* a schema change splits the batch: what came before it is written (and
     * merged by the change) before the change is applied */
    size_t from = 0, scan = 0;
    while (rc == PGCDC_OK) {
        size_t split, at = cn_schema_next(d, m, scan, &split);
        if (at == m->n_records) {
            if (from == 0) {
                rc = write_batch(d, batch, &st, err);
            } else {
                pgcdc_batch *part = NULL;
                rc = slice(d, m, from, m->n_records, m->confirm_lsn, &part, err);
                if (rc == PGCDC_OK)
                    rc = write_batch(d, part, &st, err);
                pgcdc_batch_free(part);
            }
            break;
        }
        if (split > from) {
            pgcdc_batch *part = NULL;
            pgcdc_journal_stats pst = {0};
            rc = slice(d, m, from, split, cn_slice_confirm(m, from, split), &part, err);
            if (rc == PGCDC_OK)
                rc = write_batch(d, part, &pst, err);
            pgcdc_batch_free(part);
            from = split;
        }
        if (rc == PGCDC_OK)
            rc = cn_schema_apply(d, m->records[at]->schema_event, first_fragment(m, split, m->records[at]), err);
        scan = at + 1;
    }
    if (rc == PGCDC_OK) {
        cn_schema_done(d, m);
        count_snapshot_rows(d, m);
        if (durable)
            *durable = x->durable;
    }
    pgcdc_batch_free(filtered);
    pgcdc_batch_free(in);
    return rc;
}

pgcdc_code pgcdc_destination_finish_snapshot(pgcdc_destination *d, const char *table, pgcdc_lsn snapshot_lsn,
                                             pgcdc_error *err)
{
    char schema[64], name[64];
    pgcdc_code rc = cn_split_table(table, schema, name, err);
    cn_table *ct = NULL;
    if (rc == PGCDC_OK)
        rc = cn_entry(d, schema, name, &ct, err);
    if (rc == PGCDC_OK)
        rc = cn_load(d, ct, err);
    if (rc != PGCDC_OK)
        return rc;
    pl_table *t = &ct->t;
    if (strcmp(t->state, PL_SNAPSHOT) != 0)
        return pgcdc_error_set(err, PGCDC_EINVAL, "table %s is %s, not %s: only a table whose snapshot is being "
                               "read can finish it", t->key, t->state, PL_SNAPSHOT);
    if (snapshot_lsn == PGCDC_INVALID_LSN || snapshot_lsn > (pgcdc_lsn)INT64_MAX)
        return pgcdc_error_set(err, PGCDC_EINVAL, "finishing the snapshot of %s: the snapshot LSN is not valid",
                               t->key);
    /* every CDC change before the snapshot's point must be in the journal
     * first (see connector.h) */
    pgcdc_lsn dur = 0;
    if ((rc = pgcdc_destination_durable_lsn(d, &dur, err)) != PGCDC_OK)
        return rc;
    if (dur < snapshot_lsn) {
        char a[PGCDC_LSN_STRLEN], b[PGCDC_LSN_STRLEN];
        return pgcdc_error_set(err, PGCDC_ETIMEOUT, "the snapshot of %s cannot be finished yet: the change "
                               "stream is written up to %s, the snapshot is consistent at %s; try again once the "
                               "change capture's batches up to there are written", t->key,
                               pgcdc_lsn_format(dur, a), pgcdc_lsn_format(snapshot_lsn, b));
    }
    pgcdc_error e;
    pgcdc_code c = pl_merge(&d->x, t, (int64_t)snapshot_lsn, -1, PL_INCREMENTAL, &e);
    if (c == PGCDC_OK) {
        pgcdc_log(PGCDC_LOG_INFO, "table %s: %lld rows snapshotted", t->key, (long long)t->rows_snapshotted);
        return PGCDC_OK;
    }
    if (pl_ends_attempt(c, &e)) { /* the runner's rule: an interim SQLSTATE too */
        if (err)
            *err = e;
        return c;
    }
    return pl_fail(&d->x, t, e.message, err); /* the destination refused it: the table fails alone */
}

pgcdc_code pgcdc_destination_merge(pgcdc_destination *d, pgcdc_error *err)
{
    pgcdc_code rc = pgcdc_destination_durable_lsn(d, NULL, err);
    pgcdc_table_set set = {0};
    if (rc == PGCDC_OK)
        rc = pgcdc_table_selection_resolve(d->sel, d->x.src, d->x.cfg->source.publication, &set, err);
    for (size_t i = 0; i < set.n && rc == PGCDC_OK; i++) {
        cn_table *ct;
        rc = cn_entry(d, set.tables[i].schema, set.tables[i].table, &ct, err);
        if (rc == PGCDC_OK)
            rc = cn_load(d, ct, err);
        if (rc != PGCDC_OK || !ct->t.registered || strcmp(ct->t.state, PL_INCREMENTAL) != 0 ||
            d->x.durable == PGCDC_INVALID_LSN)
            continue;
        pgcdc_error e;
        pgcdc_code c = pl_merge(&d->x, &ct->t, (int64_t)d->x.durable - 1, INT64_MAX, NULL, &e);
        if (pl_ends_attempt(c, &e)) {
            if (err)
                *err = e;
            rc = c;
        } else if (c != PGCDC_OK) {
            rc = pl_fail(&d->x, &ct->t, e.message, err);
        }
    }
    pgcdc_table_set_free(&set);
    return rc;
}
