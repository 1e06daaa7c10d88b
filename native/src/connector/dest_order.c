/* dest_order.c - a CDC batch that arrives after later batches were already
 * merged is refused, not written below the merged position.
 *
 * The merge takes the journal rows above the table's merged position
 * (_PGCDC_MERGE_STATE) only. A host that lets a later batch overtake an
 * earlier one (NiFi: a retried FlowFile penalized behind the next, or taken
 * back from a failure queue) would have the earlier batch's rows written
 * below that position, never merged, and its slot position already
 * confirmed: lost without a word. The runner reads and writes in one order
 * and never meets this; the connector checks every CDC batch.
 *
 * A batch written again (a retry after a lost COMMIT reply, a capture that
 * read again from the slot) is not refused: its rows are already in the
 * journal, so nothing of it is lost. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "change_batch.pb-c.h"
#include "dest_internal.h"

/* The first (lowest) journal position of each table in the batch, as the
 * journal writer numbers rows: (commit LSN, 2 * seq). */
typedef struct first_row {
    cn_table *ct;
    int64_t lsn, seq;
} first_row;

static pgcdc_code first_rows(pgcdc_destination *d, const Pgcdc__V1__ChangeBatch *m, first_row **out, size_t *n,
                             pgcdc_error *err)
{
    *out = NULL;
    *n = 0;
    size_t cap = 0;
    for (size_t i = 0; i < m->n_records; i++) {
        const Pgcdc__V1__Record *r = m->records[i];
        if (r->kind_case != PGCDC__V1__RECORD__KIND_TRANSACTION)
            continue;
        const Pgcdc__V1__Transaction *tx = r->transaction;
        if (tx->commit_lsn == 0 || tx->commit_lsn > (uint64_t)INT64_MAX)
            continue; /* the journal writer refuses it with its own message */
        for (size_t k = 0; k < tx->n_changes; k++) {
            const Pgcdc__V1__RowChange *c = tx->changes[k];
            if (c->op == PGCDC__V1__OP__OP_TRUNCATE || c->seq >= (UINT64_C(1) << 61))
                continue;
            cn_table *ct = cn_find(d, c->schema, c->table);
            if (!ct || !ct->t.registered)
                continue; /* not written: nothing of it can be lost here */
            int64_t lsn = (int64_t)tx->commit_lsn, seq = (int64_t)c->seq * 2;
            size_t j = 0;
            while (j < *n && (*out)[j].ct != ct)
                j++;
            if (j < *n) {
                if (lsn < (*out)[j].lsn || (lsn == (*out)[j].lsn && seq < (*out)[j].seq)) {
                    (*out)[j].lsn = lsn;
                    (*out)[j].seq = seq;
                }
                continue;
            }
            if (*n == cap) {
                size_t nc = cap ? cap * 2 : 8;
                first_row *f = realloc(*out, nc * sizeof *f);
                if (!f) {
                    free(*out);
                    *out = NULL;
                    return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
                }
                *out = f;
                cap = nc;
            }
            (*out)[(*n)++] = (first_row){ct, lsn, seq};
        }
    }
    return PGCDC_OK;
}

/* The table's merged position; (0, 0) when it has none yet. */
static pgcdc_code merged_position(pgcdc_destination *d, const pl_table *t, int64_t *lsn, int64_t *seq,
                                  pgcdc_error *err)
{
    pgcdc_buf sql = PGCDC_BUF_INIT, key = PGCDC_BUF_INIT;
    const pgcdc_merge_table *mt = &t->mt;
    /* unquoted state columns: each system folds them as it spells them */
    int oom = pgcdc_buf_printf(&sql, "SELECT merged_lsn, merged_seq FROM ");
    oom |= pgcdc_ident_quote(&sql, mt->dialect, mt->ident_case, mt->dest_schema);
    oom |= pgcdc_buf_printf(&sql, ".");
    oom |= pgcdc_ident_quote(&sql, mt->dialect, mt->ident_case, "_PGCDC_MERGE_STATE");
    oom |= pgcdc_buf_printf(&sql, " WHERE table_name = $1");
    pgcdc_code rc = oom ? pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory") : pgcdc_merge_dest_name(mt, &key, err);
    PGresult *res = NULL;
    const char *v[1] = {key.data};
    if (rc == PGCDC_OK)
        rc = pl_query(d->x.dst, sql.data, 1, v, &res, err);
    *lsn = *seq = 0;
    if (rc == PGCDC_OK && PQntuples(res) == 1) {
        *lsn = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
        *seq = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
    }
    PQclear(res);
    pgcdc_buf_free(&sql);
    pgcdc_buf_free(&key);
    return rc;
}

/* Is the row (lsn, seq) in the table's journal (written before)? */
static pgcdc_code in_journal(pgcdc_destination *d, const pl_table *t, int64_t lsn, int64_t seq, bool *found,
                             pgcdc_error *err)
{
    pgcdc_buf sql = PGCDC_BUF_INIT;
    int oom = pgcdc_buf_printf(&sql, "SELECT 1 FROM ");
    pgcdc_code rc = oom ? pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory")
                        : pgcdc_merge_journal_qualified(&t->mt, &sql, err);
    if (rc == PGCDC_OK && pgcdc_buf_printf(&sql, " WHERE \"_PGCDC_LSN\" = CAST($1 AS bigint) AND "
                                                 "\"_PGCDC_SEQ\" = CAST($2 AS bigint) LIMIT 1") != 0)
        rc = pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
    char a[32], b[32];
    snprintf(a, sizeof a, "%lld", (long long)lsn);
    snprintf(b, sizeof b, "%lld", (long long)seq);
    const char *v[2] = {a, b};
    PGresult *res = NULL;
    if (rc == PGCDC_OK)
        rc = pl_query(d->x.dst, sql.data, 2, v, &res, err);
    *found = rc == PGCDC_OK && PQntuples(res) > 0;
    PQclear(res);
    pgcdc_buf_free(&sql);
    return rc;
}

pgcdc_code cn_order_check(pgcdc_destination *d, const Pgcdc__V1__ChangeBatch *m, pgcdc_error *err)
{
    first_row *f = NULL;
    size_t n = 0;
    pgcdc_code rc = first_rows(d, m, &f, &n, err);
    if (rc != PGCDC_OK || n == 0) {
        free(f);
        return rc;
    }
    /* A merged position is never above the durable position (a CDC merge
     * stops at durable - 1, a snapshot's at its point, which the stream had
     * passed): rows from there on cannot be below it. */
    int64_t lowest = f[0].lsn;
    for (size_t i = 1; i < n; i++)
        if (f[i].lsn < lowest)
            lowest = f[i].lsn;
    pgcdc_lsn durable = 0;
    rc = pgcdc_destination_durable_lsn(d, &durable, err);
    for (size_t i = 0; i < n && rc == PGCDC_OK && lowest < (int64_t)durable; i++) {
        int64_t mlsn, mseq;
        bool found = false;
        rc = merged_position(d, &f[i].ct->t, &mlsn, &mseq, err);
        if (rc != PGCDC_OK || f[i].lsn > mlsn || (f[i].lsn == mlsn && f[i].seq > mseq))
            continue;
        rc = in_journal(d, &f[i].ct->t, f[i].lsn, f[i].seq, &found, err);
        if (rc != PGCDC_OK || found)
            continue;
        char a[PGCDC_LSN_STRLEN], b[PGCDC_LSN_STRLEN];
        rc = pgcdc_error_set(err, PGCDC_ETIMEOUT,
                             "a change batch of %s arrived after later batches were already merged: its first "
                             "change (LSN %s) is at or below the table's merged position %s, so the merge would "
                             "never apply it. It is not written (retried as interim). CDC batches must be written "
                             "in the order they were read: one concurrent task and the FIFO prioritizer on Put CDC "
                             "Journal Rows' incoming connection, and no batch taken back from a failure queue after "
                             "later ones; to recover, snapshot %s again (restart the table)",
                             f[i].ct->t.key, pgcdc_lsn_format((pgcdc_lsn)f[i].lsn, a),
                             pgcdc_lsn_format((pgcdc_lsn)mlsn, b), f[i].ct->t.key);
    }
    free(f);
    return rc;
}
