/* run.c - pgcdc_pipeline_run: connections, tables and their states, the slot
 * (created with an exported snapshot, or reused after the continuity check),
 * the initial snapshot, then the change stream. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgcdc/log.h"
#include "pgcdc/slot.h"
#include "pipeline_internal.h"

bool pl_is_code_table_failure(pgcdc_code c)
{
    return c == PGCDC_EUNSUPPORTED || c == PGCDC_EVALUE || c == PGCDC_EPROTOCOL;
}

static pgcdc_code setup_tables(pl_ctx *x, pgcdc_error *err)
{
    pgcdc_table_set set = {0};
    pgcdc_code rc = pgcdc_table_selection_parse(x->cfg->table_names, x->cfg->table_regex, &x->sel, err);
    if (rc == PGCDC_OK)
        rc = pgcdc_table_selection_resolve(x->sel, x->src, x->cfg->source.publication, &set, err);
    if (rc != PGCDC_OK)
        return rc;
    x->tables = calloc(set.n ? set.n : 1, sizeof *x->tables);
    if (!x->tables) {
        pgcdc_table_set_free(&set);
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
    }
    x->ntables = set.n;
    x->tables_cap = set.n ? set.n : 1;
    for (size_t i = 0; i < set.n && rc == PGCDC_OK; i++) {
        pl_table *t = &x->tables[i];
        snprintf(t->schema, sizeof t->schema, "%s", set.tables[i].schema);
        snprintf(t->name, sizeof t->name, "%s", set.tables[i].table);
        pl_table_key(t->schema, t->name, t->key);
        t->snap_index = -1;
        rc = pl_state_load(x, t, err);
    }
    /* replicating tables no longer included left at the durable position */
    if (rc == PGCDC_OK)
        rc = pl_mark_left(x, &set, err);
    pgcdc_table_set_free(&set);
    return rc;
}

/* Describes every table; one that cannot be replicated fails alone. */
static pgcdc_code describe_tables(pl_ctx *x, bool fresh, pgcdc_error *err)
{
    for (size_t i = 0; i < x->ntables; i++) {
        pl_table *t = &x->tables[i];
        if (!strcmp(t->state, PL_FAILED)) {
            pgcdc_log(PGCDC_LOG_WARN, "table %s.%s stays FAILED: %s", t->schema, t->name, t->message);
            continue;
        }
        pgcdc_error e;
        pgcdc_code rc = PGCDC_OK;
        bool found = false;
        /* a replicating table continues with the shape it had at the durable
         * position (the source's catalog may be ahead: the stream will tell) */
        /* a table in SNAPSHOT_REPLICATION too: its journal has the saved shape
         * (online.c starts it over if the catalog differs at the snapshot) */
        /* a table back in the set too: its destination has that shape (rejoin.c) */
        if (!fresh && (!strcmp(t->state, PL_INCREMENTAL) || !strcmp(t->state, PL_SNAPSHOT) ||
                       !strcmp(t->state, PL_REMOVED))) {
            rc = pl_columns_load(x, t, &found, &e);
            if (rc == PGCDC_OK)
                rc = pl_shape_load(x, t, &e);
        }
        if (rc == PGCDC_OK && !found)
            rc = pl_describe(x, t, &e);
        if (rc == PGCDC_OK)
            continue;
        if (rc == PGCDC_EUNSUPPORTED) {
            if ((rc = pl_fail(x, t, e.message, err)) != PGCDC_OK)
                return rc;
            continue;
        }
        if (err)
            *err = e;
        return rc;
    }
    return PGCDC_OK;
}

static pgcdc_code register_table(pl_ctx *x, pl_table *t, pgcdc_error *err)
{
    pgcdc_code rc = pgcdc_journal_register(x->writer, &t->mt, err);
    if (rc == PGCDC_OK)
        t->registered = true;
    return rc;
}

/* A new slot: every table not FAILED is (re)snapshotted under its exported
 * snapshot (or, Ingestion Type = incremental, starts from the slot). */
static pgcdc_code start_fresh(pl_ctx *x, pgcdc_error *err)
{
    PGconn *repl = NULL;
    pgcdc_slot_created created;
    pgcdc_code rc = PGCDC_OK;
    /* The slot is recorded as this destination's before it exists (a row
     * with no position yet, slot_owner.c): a crash during the first snapshot
     * then leaves a slot the next run knows as its own, drops and creates
     * again - not an orphan pinning WAL, nor one it would refuse. */
    rc = pgcdc_source_connect(&x->cfg->source, true, &repl, err);
    if (rc == PGCDC_OK)
        rc = pl_slot_create_owned(x, repl, &created, err);
    if (rc != PGCDC_OK) {
        if (repl)
            PQfinish(repl);
        return rc;
    }
    char l[PGCDC_LSN_STRLEN];
    pgcdc_log(PGCDC_LOG_INFO, "created replication slot %s at %s", x->slot,
              pgcdc_lsn_format(created.consistent_point, l));
    const char *next = x->cfg->incremental ? PL_INCREMENTAL : PL_SNAPSHOT;
    for (size_t i = 0; i < x->ntables && rc == PGCDC_OK; i++) {
        pl_table *t = &x->tables[i];
        if (!t->described || !strcmp(t->state, PL_FAILED))
            continue;
        pgcdc_error e;
        pgcdc_code c = pl_restart_dest(x, t, &e);
        if (c == PGCDC_OK) {
            snprintf(t->state, sizeof t->state, "%s", PL_NEW);
            c = pl_create_dest(x, t, next, &e);
        }
        if (c == PGCDC_OK) {
            pl_state_changed(x, t, next);
            c = register_table(x, t, &e);
        }
        if (pl_ends_attempt(c, &e)) {
            rc = c;
            if (err)
                *err = e;
        } else if (c != PGCDC_OK) {
            rc = pl_fail(x, t, e.message, err);
        }
    }
    /* Once every table is SNAPSHOT_REPLICATION (or FAILED), a restart
     * streams from the slot's start and resumes each snapshot from its last
     * finished chunk (online.c, snapstate.c). Not before: a crash in the
     * loop above must start over, or tables not yet moved would continue
     * from the new slot as if nothing had happened in between. */
    if (rc == PGCDC_OK)
        rc = pl_source_state_upsert(x, created.consistent_point, err);
    if (rc == PGCDC_OK)
        x->durable = created.consistent_point;
    if (rc == PGCDC_OK && !x->cfg->incremental)
        rc = pl_snapshot(x, created.snapshot_name, created.consistent_point, false, err);
    PQfinish(repl); /* the exported snapshot is no longer needed */
    return rc;
}

/* Does t's destination table exist? (The reference's way to restart a
 * table: take it out of the included set, drop its destination table, add
 * it back - the table then has a state row but no destination table.) */
pgcdc_code pl_dest_exists(pl_ctx *x, pl_table *t, bool *exists, pgcdc_error *err)
{
    pgcdc_buf q = PGCDC_BUF_INIT;
    pgcdc_code rc = pgcdc_merge_dest_qualified(&t->mt, &q, err);
    const char *v[1] = {q.data};
    PGresult *r = NULL;
    if (rc == PGCDC_OK)
        rc = pl_query(x->dst, "SELECT to_regclass($1) IS NOT NULL", 1, v, &r, err);
    if (rc == PGCDC_OK)
        *exists = PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    pgcdc_buf_free(&q);
    return rc;
}

/* The slot continues: replicating tables go on; a table whose snapshot was
 * interrupted resumes it, a table new to the destination starts, and so does
 * one whose destination table was dropped; they are snapshotted while
 * streaming (online.c). */
static pgcdc_code resume(pl_ctx *x, pgcdc_error *err)
{
    for (size_t i = 0; i < x->ntables; i++) {
        pl_table *t = &x->tables[i];
        if (!t->described || !strcmp(t->state, PL_FAILED))
            continue;
        pgcdc_error e;
        pgcdc_code c = PGCDC_OK;
        bool exists = true;
        if (strcmp(t->state, PL_NEW) != 0 && (c = pl_dest_exists(x, t, &exists, &e)) != PGCDC_OK) {
            if (err)
                *err = e;
            return c;
        }
        if (!exists) {
            pgcdc_log(PGCDC_LOG_INFO, "table %s.%s: its destination table is gone; it is snapshotted again",
                      t->schema, t->name);
            pl_dropped_clear(t); /* a new life: the catalog's shape, no dropped columns */
            t->described = false;
            snprintf(t->state, sizeof t->state, "%s", PL_NEW);
        }
        if (!strcmp(t->state, PL_NEW) || !strcmp(t->state, PL_REMOVED)) {
            /* new, or back in the set after it left: snapshotted while streaming */
            c = strcmp(t->state, PL_NEW) ? pl_table_rejoin(x, t, &e) : pl_table_start(x, t, &e);
            if (c != PGCDC_OK) {
                if (err)
                    *err = e;
                return c;
            }
            continue;
        }
        if (!strcmp(t->state, PL_INCREMENTAL) || !strcmp(t->state, PL_SNAPSHOT)) {
            pgcdc_sql_list l; /* the journal generation again, harmless if it exists */
            pgcdc_sql_list_init(&l);
            c = pgcdc_merge_sql_create_journal(&t->mt, &l, &e);
            if (c == PGCDC_OK)
                c = pl_run_list(x->dst, &l, &e);
            pgcdc_sql_list_free(&l);
            if (c == PGCDC_OK)
                c = pl_columns_write(x, t, &e); /* the same shape again (or the first time) */
            /* an interrupted snapshot resumes while streaming */
            t->needs_snapshot = !strcmp(t->state, PL_SNAPSHOT);
        } else {
            c = pgcdc_error_set(&e, PGCDC_EUNSUPPORTED, "unknown replication state \"%s\" in %s", t->state,
                                x->table_state_q.data);
        }
        if (c == PGCDC_OK)
            c = register_table(x, t, &e);
        if (c != PGCDC_OK && pl_ends_attempt(c, &e)) {
            if (err)
                *err = e;
            return c;
        }
        if (c != PGCDC_OK && (c = pl_fail(x, t, e.message, err)) != PGCDC_OK)
            return c;
    }
    return PGCDC_OK;
}

/* One attempt: connect, set up, snapshot, stream - until stopped, caught up
 * or an error. retry.c decides whether to try again. */
pgcdc_code pl_run_once(const pgcdc_pipeline_config *cfg, const pgcdc_pipeline_run_options *opt,
                       pgcdc_pipeline_result *result, pgcdc_error *err)
{
    pl_ctx x = {.cfg = cfg, .opt = opt};
    pgcdc_buf_reset(&x.state_schema_q);
    if (result)
        memset(result, 0, sizeof *result);
    pgcdc_code rc = pgcdc_pipeline_config_validate(cfg, err);
    if (rc == PGCDC_OK)
        rc = pgcdc_column_filter_parse(cfg->column_filter_json, &x.filter, err);
    if (rc == PGCDC_OK)
        rc = pgcdc_cron_parse(cfg->merge_cron ? cfg->merge_cron : "* * * * * ?", &x.cron, err);
    if (rc == PGCDC_OK)
        x.continuous = pgcdc_cron_is_continuous(x.cron);
    if (rc == PGCDC_OK)
        rc = pgcdc_source_connect(&cfg->source, false, &x.src, err);
    if (rc == PGCDC_OK && (rc = pgcdc_source_connect(&cfg->dest, false, &x.dst, err)) != PGCDC_OK)
        pgcdc_error_prefix(err, "destination");
    if (rc == PGCDC_OK) {
        snprintf(x.dbname, sizeof x.dbname, "%s", PQdb(x.src));
        x.dst_major = pgcdc_server_major(x.dst);
        /* "already exists, skipping" notices of the IF NOT EXISTS DDL are noise */
        rc = pl_exec(x.dst, "SET client_min_messages = warning", err);
        if (rc == PGCDC_OK)
            rc = pl_state_setup(&x, err);
        if (rc == PGCDC_OK)
            rc = pl_snapstate_setup(&x, err);
        if (rc == PGCDC_OK)
            rc = pl_shape_setup(&x, err);
    }
    bool fresh = false;
    if (rc == PGCDC_OK)
        rc = pl_choose_slot(&x, &fresh, err);
    pgcdc_journal_options jo = {.slot_name = x.slot, .state_schema = PGCDC_PIPELINE_STATE_SCHEMA,
                                .ident_case = cfg->ident_case, .before_commit = pl_snapstate_before_commit,
                                .userdata = &x};
    if (rc == PGCDC_OK)
        rc = pgcdc_journal_writer_new(x.dst, &jo, &x.writer, err);
    if (rc == PGCDC_OK)
        rc = pgcdc_journal_setup(x.writer, err);
    if (rc == PGCDC_OK)
        rc = setup_tables(&x, err);
    if (rc == PGCDC_OK)
        rc = describe_tables(&x, fresh, err);
    if (rc == PGCDC_OK)
        rc = fresh ? start_fresh(&x, err) : resume(&x, err);
    if (rc == PGCDC_OK && !(x.opt->stop && *x.opt->stop))
        rc = pl_stream(&x, err);
    if (result) {
        result->tables = (int)x.ntables;
        for (size_t i = 0; i < x.ntables; i++)
            result->tables_failed += !strcmp(x.tables[i].state, PL_FAILED);
        result->durable_lsn = x.durable;
    }
    pgcdc_journal_writer_free(x.writer); /* first: it points into the tables' descriptions */
    for (size_t i = 0; i < x.ntables; i++)
        pl_table_clear(&x.tables[i]);
    free(x.tables);
    pgcdc_column_filter_free(x.filter);
    pgcdc_table_selection_free(x.sel);
    pgcdc_cron_free(x.cron);
    if (x.fix_repl)
        PQfinish(x.fix_repl);
    if (x.src)
        PQfinish(x.src);
    if (x.dst)
        PQfinish(x.dst);
    pgcdc_buf_free(&x.state_schema_q);
    pgcdc_buf_free(&x.table_state_q);
    pgcdc_buf_free(&x.source_state_q);
    pgcdc_buf_free(&x.table_columns_q);
    return rc;
}
