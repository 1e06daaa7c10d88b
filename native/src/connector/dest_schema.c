/* dest_schema.c - schema changes inside a written batch (reference §5, as
 * the CLI runner does them in pipeline/schema.c).
 *
 * A batch's SchemaEvent records tell each table's shape: at first sight and
 * whenever it changes, placed before the rows that follow it (a transaction
 * is split into fragments around an event in its middle). The writer
 * (dest_write.c) asks cn_schema_next for the first event whose shape differs
 * from the table's current one, writes every record before that event's
 * transaction (so generation n holds everything committed before the
 * change and can be merged completely), then applies the change with
 * cn_schema_apply (pl_schema_change: merge n, DDL + generation n+1 + state +
 * columns + the older shape in one destination transaction) and goes on
 * with the rest. The changing transaction goes wholly to generation n+1: its
 * rows before the DDL come with the older shape, which is accepted again
 * inside that transaction only (shape_prev.c); the journal maps values by
 * column name, so a column added later is NULL in them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgcdc/log.h"
#include "change_batch.pb-c.h"
#include "dest_internal.h"

static char replident(Pgcdc__V1__ReplicaIdentity r)
{
    switch (r) {
    case PGCDC__V1__REPLICA_IDENTITY__REPLICA_IDENTITY_NOTHING:
        return 'n';
    case PGCDC__V1__REPLICA_IDENTITY__REPLICA_IDENTITY_FULL:
        return 'f';
    case PGCDC__V1__REPLICA_IDENTITY__REPLICA_IDENTITY_INDEX:
        return 'i';
    default:
        return 'd';
    }
}

/* The event as the decoder's relation (what the pipeline's functions take);
 * *cols is malloc'd, names point into the event. */
static pgcdc_code relation_of(const Pgcdc__V1__SchemaEvent *se, pgcdc_relation *rel, pgcdc_column **cols,
                              pgcdc_error *err)
{
    if (se->n_columns > UINT16_MAX)
        return pgcdc_error_set(err, PGCDC_EINVAL, "a schema event of %s.%s has %zu columns", se->schema,
                               se->table, se->n_columns);
    pgcdc_column *c = calloc(se->n_columns ? se->n_columns : 1, sizeof *c);
    if (!c)
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
    for (size_t i = 0; i < se->n_columns; i++) {
        c[i].name = se->columns[i]->name;
        c[i].type_oid = se->columns[i]->type_oid;
        c[i].typmod = se->columns[i]->typmod;
        c[i].flags = se->columns[i]->is_key ? PGCDC_COLUMN_KEY : 0;
    }
    memset(rel, 0, sizeof *rel);
    rel->relid = se->relid;
    rel->nspname = se->schema;
    rel->relname = se->table;
    rel->replident = replident(se->replica_identity);
    rel->ncolumns = (uint16_t)se->n_columns;
    rel->columns = c;
    rel->generation = se->generation;
    *cols = c;
    return PGCDC_OK;
}

static const Pgcdc__V1__Transaction *tx_at(const Pgcdc__V1__ChangeBatch *m, size_t i)
{
    return m->records[i]->kind_case == PGCDC__V1__RECORD__KIND_TRANSACTION ? m->records[i]->transaction : NULL;
}

/* End LSN of the transaction xid whose fragments start at or after from (0:
 * not in the batch). */
static pgcdc_lsn tx_end(const Pgcdc__V1__ChangeBatch *m, size_t from, uint32_t xid)
{
    for (size_t i = from; i < m->n_records; i++) {
        const Pgcdc__V1__Transaction *tx = tx_at(m, i);
        if (tx && tx->xid == xid && !tx->continues)
            return tx->end_lsn;
    }
    return 0;
}

/* Where the transaction of the event at i starts: its first fragment before
 * i (only events and messages sit between fragments), else i. */
static size_t tx_start(const Pgcdc__V1__ChangeBatch *m, size_t i, uint32_t xid)
{
    size_t start = i;
    for (size_t j = i; j-- > 0;) {
        const Pgcdc__V1__Transaction *tx = tx_at(m, j);
        if (!tx)
            continue;
        if (tx->xid != xid || !tx->continues)
            break;
        start = j;
    }
    return start;
}

pgcdc_lsn cn_slice_confirm(const Pgcdc__V1__ChangeBatch *m, size_t from, size_t to)
{
    pgcdc_lsn c = 0;
    for (size_t i = from; i < to; i++) {
        const Pgcdc__V1__Transaction *tx = tx_at(m, i);
        if (tx && !tx->continues && tx->end_lsn > c)
            c = tx->end_lsn;
    }
    return c;
}

/* Is the event at i a shape that differs from its table's current one? */
static bool changes_shape(pgcdc_destination *d, const Pgcdc__V1__ChangeBatch *m, size_t i)
{
    const Pgcdc__V1__SchemaEvent *se = m->records[i]->schema_event;
    const char *schema = se->schema, *name = se->table;
    if (se->diff && se->diff->table_renamed && se->diff->previous_table && *se->diff->previous_table) {
        cn_table *o = cn_find(d, se->diff->previous_schema, se->diff->previous_table);
        if (o && o->t.registered)
            return true;
    }
    cn_table *ct = cn_find(d, schema, name);
    if (!ct || !ct->t.registered)
        return false;
    /* a transaction written before (a batch written again after a failure):
     * its events are history, not changes */
    pgcdc_lsn end = tx_end(m, i, se->xid);
    if (end != 0 && end <= d->x.durable)
        return false;
    pgcdc_relation rel;
    pgcdc_column *cols = NULL;
    if (relation_of(se, &rel, &cols, NULL) != PGCDC_OK)
        return true; /* cn_schema_apply says what is wrong */
    bool same = pl_relation_matches(&d->x, &ct->t, &rel) ||
                (se->xid && pl_relation_matches_prev(&d->x, &ct->t, &rel, se->xid));
    free(cols);
    return !same;
}

size_t cn_schema_next(pgcdc_destination *d, const Pgcdc__V1__ChangeBatch *m, size_t from, size_t *split)
{
    for (size_t i = from; i < m->n_records; i++) {
        if (m->records[i]->kind_case != PGCDC__V1__RECORD__KIND_SCHEMA_EVENT || !changes_shape(d, m, i))
            continue;
        *split = tx_start(m, i, m->records[i]->schema_event->xid);
        return i;
    }
    *split = m->n_records;
    return m->n_records;
}

/* Merges what the table's journal holds, then fails it (like schema.c). */
static pgcdc_code fail_merged(pgcdc_destination *d, pl_table *t, const char *why, pgcdc_error *err)
{
    pgcdc_error e;
    pgcdc_code rc = PGCDC_OK;
    if (!strcmp(t->state, PL_INCREMENTAL))
        rc = pl_merge(&d->x, t, (int64_t)d->x.durable - 1, INT64_MAX, NULL, &e);
    if (pl_ends_attempt(rc, &e)) {
        if (err)
            *err = e;
        return rc;
    }
    if ((rc = pl_fail(&d->x, t, why, err)) != PGCDC_OK)
        return rc;
    cn_note_failed(d, t);
    return PGCDC_OK;
}

/* The changing transaction began in an earlier batch (a transaction too
 * large for one, cut into fragments by the reader): its rows before this
 * batch are in generation n, and the rest goes to n+1. Those rows are
 * merged now - the transaction is committed on the source - up to the last
 * of them, (commit LSN, highest SEQ written); later rows of the transaction
 * have higher SEQs, and rows written again after a crash are at or below the
 * merged position, so each is merged once. */
static pgcdc_code merge_open_part(pgcdc_destination *d, pl_table *t, const Pgcdc__V1__Transaction *tx,
                                  pgcdc_error *err)
{
    if (!tx || tx->fragment_index == 0 || tx->commit_lsn == 0 || tx->commit_lsn > (uint64_t)INT64_MAX)
        return PGCDC_OK;
    pgcdc_buf q = PGCDC_BUF_INIT, sql = PGCDC_BUF_INIT;
    pgcdc_code rc = pgcdc_merge_journal_qualified(&t->mt, &q, err);
    if (rc == PGCDC_OK && pgcdc_buf_printf(&sql, "SELECT max(\"_PGCDC_SEQ\") FROM %s WHERE \"_PGCDC_LSN\" = "
                                                  "CAST($1 AS bigint)", q.data) != 0)
        rc = pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
    char lsn[32];
    snprintf(lsn, sizeof lsn, "%llu", (unsigned long long)tx->commit_lsn);
    const char *v[1] = {lsn};
    PGresult *r = NULL;
    if (rc == PGCDC_OK)
        rc = pl_query(d->x.dst, sql.data, 1, v, &r, err);
    if (rc == PGCDC_OK && PQntuples(r) == 1 && !PQgetisnull(r, 0, 0))
        rc = pl_merge(&d->x, t, (int64_t)tx->commit_lsn, strtoll(PQgetvalue(r, 0, 0), NULL, 10), NULL, err);
    PQclear(r);
    pgcdc_buf_free(&q);
    pgcdc_buf_free(&sql);
    return rc;
}

pgcdc_code cn_schema_apply(pgcdc_destination *d, const Pgcdc__V1__SchemaEvent *se,
                           const Pgcdc__V1__Transaction *open_tx, pgcdc_error *err)
{
    if (se->diff && se->diff->table_renamed) {
        cn_table *o = cn_find(d, se->diff->previous_schema, se->diff->previous_table);
        if (o && o->t.registered)
            return fail_merged(d, &o->t,
                               "the table was renamed on the source while replicating; renaming a replicated "
                               "table is not supported: restart the table under its new name (include it, drop "
                               "the old destination table if it is not wanted)",
                               err);
    }
    cn_table *ct = cn_find(d, se->schema, se->table);
    if (!ct || !ct->t.registered)
        return PGCDC_OK;
    pl_table *t = &ct->t;
    if (strcmp(t->state, PL_INCREMENTAL) != 0)
        /* its snapshot rows (old shape, at the snapshot's point) and the
         * journal's generation could not be brought together safely */
        return fail_merged(d, t,
                           "the table's columns changed on the source while its snapshot was being read: "
                           "restart the table (its snapshot is taken again with the new columns)",
                           err);
    pgcdc_relation rel;
    pgcdc_column *cols = NULL;
    pgcdc_code rc = relation_of(se, &rel, &cols, err);
    if (rc == PGCDC_OK && open_tx && open_tx->xid == se->xid)
        rc = merge_open_part(d, t, open_tx, err);
    if (rc == PGCDC_OK)
        rc = pl_shape_remember(t, se->xid, err);
    if (rc == PGCDC_OK)
        rc = pl_schema_change(&d->x, t, &rel, err);
    free(cols);
    if (rc == PGCDC_OK && !strcmp(t->state, PL_FAILED))
        cn_note_failed(d, t); /* the planner refused the change */
    return rc;
}

void cn_schema_done(pgcdc_destination *d, const Pgcdc__V1__ChangeBatch *m)
{
    for (size_t i = 0; i < d->n; i++) {
        pl_table *t = &d->t[i]->t;
        if (t->prev && tx_end(m, 0, t->prev_xid) != 0)
            pl_shape_forget(t); /* the transaction with rows of two shapes is written */
    }
}
