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

pgcdc_code pgcdc_destination_write_journal(pgcdc_destination *d, const uint8_t *data, size_t len,
                                           pgcdc_lsn *durable, pgcdc_error *err)
{
    pl_ctx *x = &d->x;
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
    pgcdc_journal_stats st = {0};
    for (size_t tries = 0; rc == PGCDC_OK; tries++) {
        pgcdc_error e;
        pgcdc_code w = pgcdc_journal_write(x->writer, batch, &st, &e);
        const pgcdc_merge_table *bad = pgcdc_journal_failed_table(x->writer);
        if (w != PGCDC_OK && pl_is_code_table_failure(w) && bad && tries <= d->n) {
            /* that table fails alone; the batch is written again for the others */
            for (size_t i = 0; i < d->n; i++)
                if (&d->t[i]->t.mt == bad)
                    pl_fail(x, &d->t[i]->t, e.message);
            continue;
        }
        if (w != PGCDC_OK && err)
            *err = e;
        rc = w;
        break;
    }
    if (rc == PGCDC_OK) {
        count_snapshot_rows(d, pgcdc_batch_message(batch));
        if (st.confirm_lsn > x->durable)
            x->durable = st.confirm_lsn;
        if (durable)
            *durable = x->durable;
    }
    pgcdc_batch_free(filtered);
    pgcdc_batch_free(in);
    return rc;
}

static bool interim(pgcdc_code c)
{
    return c == PGCDC_ECONNECT || c == PGCDC_ENOMEM || c == PGCDC_ETIMEOUT;
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
    pgcdc_error e;
    pgcdc_code c = pl_merge(&d->x, t, (int64_t)snapshot_lsn, -1, PL_INCREMENTAL, &e);
    if (c == PGCDC_OK) {
        pgcdc_log(PGCDC_LOG_INFO, "table %s: %lld rows snapshotted", t->key, (long long)t->rows_snapshotted);
        return PGCDC_OK;
    }
    if (interim(c)) {
        if (err)
            *err = e;
        return c;
    }
    pl_fail(&d->x, t, e.message); /* the destination refused it: the table fails alone */
    return PGCDC_OK;
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
        if (interim(c)) {
            if (err)
                *err = e;
            rc = c;
        } else if (c != PGCDC_OK) {
            pl_fail(&d->x, &ct->t, e.message);
        }
    }
    pgcdc_table_set_free(&set);
    return rc;
}
