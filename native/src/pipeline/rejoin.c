/* rejoin.c - a table that leaves the included set and comes back (issue 11).
 *
 * Leaving: a replicating table no longer in the set (Included Table Names /
 * Regex changed, or it left the publication) is merged up to the durable
 * position and its state row becomes REMOVED with that position
 * ("left_lsn"): from there on its changes are not replicated, and the state
 * says so (pgcdc status, NiFi's View State). A table that left between two
 * runs is marked at the start of the next one, at the durable position the
 * run starts from (its changes after it were never read).
 *
 * Coming back: its destination table is kept. The shape it had (persisted
 * columns) is brought to the source's current one by the schema-change
 * rules (the planner's DDL; a change it refuses fails the table), a new
 * journal generation begins, and the table is snapshotted again under the
 * exact hand-over of any table added while running (online.c). The
 * snapshot's merge is the re-snapshot merge (pgcdc_merge_sql_resnapshot):
 * rows of the snapshot upserted (rows already there keep
 * _SNOWFLAKE_INSERTED_AT), rows the source no longer has soft-deleted; later
 * changes merged as usual. State: REMOVED -> SNAPSHOT_REPLICATION (left_lsn
 * kept: a crash during the snapshot resumes it into the same destination
 * table) -> INCREMENTAL_REPLICATION. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgcdc/log.h"
#include "pipeline_internal.h"

static void removed_message(pl_table *t)
{
    char l[PGCDC_LSN_STRLEN];
    snprintf(t->message, sizeof t->message,
             "left the included set at %s (not in Included Table Names / Included Table Regex, or not in the "
             "publication); changes after that are not replicated until it is included again, when it is "
             "snapshotted again into its destination table",
             pgcdc_lsn_format(t->left_lsn, l));
}

pgcdc_code pl_table_leave(pl_ctx *x, pl_table *t, pgcdc_error *err)
{
    t->left_lsn = x->durable;
    removed_message(t);
    pgcdc_error e;
    pgcdc_code rc;
    if (!strcmp(t->state, PL_INCREMENTAL) && x->durable != PGCDC_INVALID_LSN) {
        /* what it has in its journal, merged with the state change */
        rc = pl_merge(x, t, (int64_t)x->durable - 1, INT64_MAX, PL_REMOVED, &e);
    } else {
        /* a snapshot not finished: it is taken again when the table returns */
        rc = pl_state_write(x, t, PL_REMOVED, &e);
        if (rc == PGCDC_OK)
            pl_state_changed(x, t, PL_REMOVED);
    }
    if (rc != PGCDC_OK && pl_ends_attempt(rc, &e)) {
        if (err)
            *err = e;
        return rc;
    }
    if (t->registered)
        pgcdc_journal_unregister(x->writer, t->schema, t->name, NULL);
    t->registered = false;
    t->needs_snapshot = t->snap_waiting = t->needs_fixup = false;
    if (rc != PGCDC_OK)
        return pl_fail(x, t, e.message, err);
    return PGCDC_OK;
}

/* One state row of a table that left: what its journal holds merged up to
 * the durable position with the move to REMOVED (when its shape is known),
 * else the state alone. */
static pgcdc_code mark_one(pl_ctx *x, pl_table *t, pgcdc_error *err)
{
    t->left_lsn = x->durable;
    removed_message(t);
    bool found = false;
    pgcdc_error e;
    if (!strcmp(t->state, PL_INCREMENTAL) && x->durable != PGCDC_INVALID_LSN &&
        pl_columns_load(x, t, &found, &e) == PGCDC_OK && found) {
        pgcdc_code rc = pl_merge(x, t, (int64_t)x->durable - 1, INT64_MAX, PL_REMOVED, &e);
        if (rc == PGCDC_OK || pl_ends_attempt(rc, &e)) {
            if (rc != PGCDC_OK && err)
                *err = e;
            return rc;
        }
        pgcdc_log(PGCDC_LOG_WARN, "table %s.%s left the included set; its last changes could not be merged: %s",
                  t->schema, t->name, e.message);
    }
    pgcdc_code rc = pl_state_write(x, t, PL_REMOVED, err);
    if (rc == PGCDC_OK)
        pl_state_changed(x, t, PL_REMOVED);
    return rc;
}

pgcdc_code pl_mark_left(pl_ctx *x, const pgcdc_table_set *set, pgcdc_error *err)
{
    pgcdc_buf sql = PGCDC_BUF_INIT;
    pgcdc_buf_printf(&sql, "SELECT \"table_name\", \"state\", coalesce(\"source_schema\", ''), "
                     "coalesce(\"source_table\", '') FROM %s WHERE \"state\" IN ('%s', '%s') ORDER BY 1",
                     x->table_state_q.data, PL_INCREMENTAL, PL_SNAPSHOT);
    PGresult *r = NULL;
    pgcdc_code rc = pl_query(x->dst, sql.data, 0, NULL, &r, err);
    pgcdc_buf_free(&sql);
    for (int i = 0; rc == PGCDC_OK && i < PQntuples(r); i++) {
        const char *key = PQgetvalue(r, i, 0);
        pl_table t;
        memset(&t, 0, sizeof t);
        t.snap_index = -1;
        snprintf(t.key, sizeof t.key, "%s", key);
        snprintf(t.schema, sizeof t.schema, "%s", PQgetvalue(r, i, 2));
        snprintf(t.name, sizeof t.name, "%s", PQgetvalue(r, i, 3));
        if (!t.schema[0] && pl_table_key_parse(key, t.schema, t.name, NULL) != PGCDC_OK)
            continue; /* not a name pgcdc wrote */
        if (pgcdc_table_set_find(set, t.schema, t.name))
            continue;
        if ((rc = pl_state_load(x, &t, err)) == PGCDC_OK)
            rc = mark_one(x, &t, err);
        pl_table_clear(&t);
    }
    PQclear(r);
    return rc;
}

/* Is there a _PGCDC_SNAPSHOT_CHUNKS (snapstate.c) in this destination? */
static pgcdc_code chunks_table(pl_ctx *x, bool *exists, pgcdc_error *err)
{
    pgcdc_buf q = PGCDC_BUF_INIT;
    pgcdc_buf_printf(&q, "%s.\"_PGCDC_SNAPSHOT_CHUNKS\"", x->state_schema_q.data);
    const char *v[1] = {q.data};
    PGresult *r = NULL;
    pgcdc_code rc = pl_query(x->dst, "SELECT to_regclass($1) IS NOT NULL", 1, v, &r, err);
    *exists = rc == PGCDC_OK && PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    pgcdc_buf_free(&q);
    return rc;
}

/* nt: t's identity and journal with the source's current columns (x->src's
 * catalog); t's columns it no longer has join the dropped list. */
static pgcdc_code current_shape(pl_ctx *x, const pl_table *t, pl_table *nt, pgcdc_error *err)
{
    *nt = *t;
    nt->colnames = NULL;
    nt->mcols = NULL;
    nt->pcols = NULL;
    nt->colptrs = NULL;
    nt->ncols = 0;
    nt->dropnames = NULL;
    nt->dropptrs = NULL;
    nt->ndropped = 0;
    nt->has_plan = false;
    nt->prev = NULL;
    nt->nprev = 0;
    nt->done_chunks = NULL;
    nt->ndone = 0;
    nt->journal_n = t->journal_n + 1;
    pgcdc_code rc = PGCDC_OK;
    for (size_t i = 0; i < t->ndropped && rc == PGCDC_OK; i++)
        rc = pl_dropped_add(nt, t->dropnames[i], err);
    if (rc == PGCDC_OK)
        rc = pl_describe(x, nt, err);
    for (size_t j = 0; j < t->ncols && rc == PGCDC_OK; j++) {
        bool kept = false;
        for (size_t i = 0; i < nt->ncols; i++)
            kept = kept || !strcmp(t->colnames[j], nt->colnames[i]);
        if (!kept)
            rc = pl_dropped_add(nt, t->colnames[j], err);
    }
    pl_table_fix_pointers(nt);
    return rc;
}

pgcdc_code pl_table_rejoin(pl_ctx *x, pl_table *t, pgcdc_error *err)
{
    pgcdc_error e;
    pgcdc_code rc = PGCDC_OK;
    bool found = t->described;
    if (!found) {
        rc = pl_columns_load(x, t, &found, &e);
        t->described = found;
    }
    bool exists = false;
    if (rc == PGCDC_OK && found)
        rc = pl_dest_exists(x, t, &exists, &e);
    if (rc == PGCDC_OK && !exists) {
        /* nothing to merge into: a table started over */
        pgcdc_log(PGCDC_LOG_INFO, "table %s.%s is included again but its destination table is gone; it is "
                  "snapshotted again", t->schema, t->name);
        pl_dropped_clear(t);
        t->described = false;
        t->left_lsn = 0;
        snprintf(t->state, sizeof t->state, "%s", PL_NEW);
        return pl_table_start(x, t, err);
    }
    pl_table nt;
    memset(&nt, 0, sizeof nt);
    bool have_nt = false;
    pgcdc_sql_list l;
    pgcdc_sql_list_init(&l);
    if (rc == PGCDC_OK) {
        have_nt = true;
        rc = current_shape(x, t, &nt, &e);
    }
    bool newgen = false;
    /* Ingestion Type = incremental takes no snapshot, here neither */
    const char *next = x->cfg->incremental ? PL_INCREMENTAL : PL_SNAPSHOT;
    if (rc == PGCDC_OK)
        rc = pgcdc_merge_sql_schema_change(&t->mt, &nt.mt, &l, &newgen, &e);
    if (rc == PGCDC_OK)
        rc = pgcdc_merge_sql_create_journal(&nt.mt, &l, &e);
    if (rc == PGCDC_OK && (rc = pl_exec(x->dst, "BEGIN", &e)) == PGCDC_OK) {
        rc = pl_run_list(x->dst, &l, &e);
        nt.rows_snapshotted = 0;
        if (rc == PGCDC_OK)
            rc = pl_state_write(x, &nt, next, &e);
        if (rc == PGCDC_OK)
            rc = pl_columns_write(x, &nt, &e);
        bool chunks = false; /* the runner's resumable chunks (the connector keeps none) */
        if (rc == PGCDC_OK)
            rc = chunks_table(x, &chunks, &e);
        if (rc == PGCDC_OK && chunks)
            rc = pl_snapstate_clear(x, &nt, &e); /* chunks of an earlier snapshot are not this one's */
        if (rc == PGCDC_OK)
            rc = pl_exec(x->dst, "COMMIT", &e);
        else
            PQclear(PQexec(x->dst, "ROLLBACK"));
    }
    pgcdc_sql_list_free(&l);
    if (rc != PGCDC_OK) {
        if (have_nt)
            pl_shape_copy_free(&nt);
        if (pl_ends_attempt(rc, &e)) {
            if (err)
                *err = e;
            return rc;
        }
        return pl_fail(x, t, e.message, err); /* no key now, a change the planner refuses ... */
    }
    /* t takes the new shape and generation */
    pl_shape_copy_free(t);
    free(t->done_chunks);
    bool had_plan = t->has_plan;
    pgcdc_snapshot_plan plan = t->plan;
    pl_shape_forget(t);
    *t = nt;
    t->has_plan = had_plan;
    t->plan = plan;
    pl_table_fix_pointers(t);
    t->described = true;
    t->needs_fixup = t->snap_waiting = false;
    char l1[PGCDC_LSN_STRLEN];
    pgcdc_log(PGCDC_LOG_INFO, "table %s.%s is included again (it left at %s): it is snapshotted again into its "
              "destination table, journal generation %d", t->schema, t->name, pgcdc_lsn_format(t->left_lsn, l1),
              t->journal_n);
    pl_state_changed(x, t, next);
    rc = pgcdc_journal_register(x->writer, &t->mt, &e);
    if (rc == PGCDC_OK) {
        t->registered = true;
        t->needs_snapshot = !x->cfg->incremental;
        return PGCDC_OK;
    }
    if (pl_ends_attempt(rc, &e)) {
        if (err)
            *err = e;
        return rc;
    }
    return pl_fail(x, t, e.message, err);
}
