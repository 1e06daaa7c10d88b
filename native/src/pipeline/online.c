/* online.c - tables that start while the stream runs: tables added to the
 * selection later (a new table matching Included Table Regex, a table whose
 * state row was deleted to restart it), tables whose snapshot a crash
 * interrupted, and - after a restart - every table left in
 * SNAPSHOT_REPLICATION.
 *
 * The scheme (docs/runner.md, "Tables added while running"): the table is
 * registered with the journal writer first, so every change of it the
 * stream decodes from then on goes to its journal; then a TEMPORARY
 * replication slot is created with an exported snapshot, whose consistent
 * point C is exact: transactions that committed before C are in the
 * snapshot, later ones are not. Snapshot rows carry LSN C (negative SEQs),
 * and the journal orders by (LSN, SEQ): a change committed before C sorts
 * before the snapshot row of its key (the snapshot already has its effect),
 * one committed after sorts after it. The snapshot is merged with the bound
 * (C, -1) together with the move to INCREMENTAL_REPLICATION, which also
 * marks every earlier change of the table merged; later changes follow with
 * the normal merges. No gap (everything after C is streamed, everything
 * before is in the snapshot) and no duplicate (the merge keeps one row per
 * key). It needs no grant beyond REPLICATION + SELECT, only one free slot of
 * max_replication_slots while the snapshot is read. The stream is not read
 * meanwhile - it is kept alive (standby status updates) and resumes where
 * it was; the WAL it has not read waits in the slot. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pgcdc/log.h"
#include "pgcdc/slot.h"
#include "pipeline_internal.h"

double pl_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

pl_table *pl_table_append(pl_ctx *x, pgcdc_error *err)
{
    if (x->ntables == x->tables_cap) {
        size_t cap = x->tables_cap ? x->tables_cap * 2 : 8;
        pl_table *n = realloc(x->tables, cap * sizeof *n);
        if (!n) {
            pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
            return NULL;
        }
        bool moved = n != x->tables;
        x->tables = n;
        x->tables_cap = cap;
        /* the journal writer keeps each registered table's pointer */
        for (size_t i = 0; moved && i < x->ntables; i++) {
            pl_table *t = &x->tables[i];
            if (!t->described)
                continue;
            pl_table_fix_pointers(t);
            if (t->registered && pgcdc_journal_register(x->writer, &t->mt, err) != PGCDC_OK)
                return NULL;
        }
    }
    pl_table *t = &x->tables[x->ntables++];
    memset(t, 0, sizeof *t);
    t->snap_index = -1;
    return t;
}

bool pl_snapshot_pending(const pl_ctx *x)
{
    for (size_t i = 0; i < x->ntables; i++)
        if (x->tables[i].needs_snapshot && x->tables[i].registered)
            return true;
    return false;
}

static pl_table *known(pl_ctx *x, const char *schema, const char *name)
{
    for (size_t i = 0; i < x->ntables; i++)
        if (!strcmp(x->tables[i].schema, schema) && !strcmp(x->tables[i].name, name))
            return &x->tables[i];
    return NULL;
}

/* Replicating tables the selection no longer has leave it (rejoin.c). */
static pgcdc_code leave_unselected(pl_ctx *x, const pgcdc_table_set *set, pgcdc_error *err)
{
    for (size_t i = 0; i < x->ntables; i++) {
        pl_table *t = &x->tables[i];
        if (strcmp(t->state, PL_INCREMENTAL) != 0 && strcmp(t->state, PL_SNAPSHOT) != 0)
            continue;
        if (pgcdc_table_set_find(set, t->schema, t->name))
            continue;
        pgcdc_log(PGCDC_LOG_INFO, "table %s.%s is no longer included (it does not match the table selection)",
                  t->schema, t->name);
        pgcdc_code rc = pl_table_leave(x, t, err);
        if (rc != PGCDC_OK)
            return rc;
    }
    return PGCDC_OK;
}

pgcdc_code pl_tables_refresh(pl_ctx *x, int *added, pgcdc_error *err)
{
    *added = 0;
    pgcdc_table_set set = {0};
    pgcdc_error e;
    /* x->sel (parsed at the start) logs each skipped table once, not every REFRESH_S */
    bool resolved = pgcdc_table_selection_resolve(x->sel, x->src, x->cfg->source.publication, &set, &e) == PGCDC_OK;
    pgcdc_code rc = PGCDC_OK;
    if (!resolved) {
        /* a named table that left the publication, say: the tables known go
         * on; the next run's start reports it */
        if (pl_ends_attempt(e.code, &e)) {
            rc = e.code;
            if (err)
                *err = e;
        } else {
            pgcdc_log(PGCDC_LOG_WARN, "resolving the included tables again: %s", e.message);
        }
    }
    /* only from a selection that resolved: a failed one says nothing of who left */
    if (rc == PGCDC_OK && resolved)
        rc = leave_unselected(x, &set, err);
    for (size_t i = 0; i < set.n && rc == PGCDC_OK; i++) {
        pl_table *k = known(x, set.tables[i].schema, set.tables[i].table);
        if (k && !strcmp(k->state, PL_REMOVED)) {
            rc = pl_table_rejoin(x, k, err); /* back after it left during this run */
            (*added)++;
            continue;
        }
        if (k)
            continue;
        pl_table *t = pl_table_append(x, err);
        if (!t) {
            rc = err ? err->code : PGCDC_ENOMEM;
            break;
        }
        snprintf(t->schema, sizeof t->schema, "%s", set.tables[i].schema);
        snprintf(t->name, sizeof t->name, "%s", set.tables[i].table);
        pl_table_key(t->schema, t->name, t->key);
        pgcdc_log(PGCDC_LOG_INFO, "table %s.%s is included now (it matches the table selection)", t->schema,
                  t->name);
        if ((rc = pl_state_load(x, t, err)) != PGCDC_OK)
            break;
        if (!strcmp(t->state, PL_FAILED)) {
            pgcdc_log(PGCDC_LOG_WARN, "table %s.%s stays FAILED: %s", t->schema, t->name, t->message);
            continue;
        }
        /* a table that left the set in an earlier run, back now */
        rc = !strcmp(t->state, PL_REMOVED) ? pl_table_rejoin(x, t, err) : pl_table_start(x, t, err);
        (*added)++;
    }
    pgcdc_table_set_free(&set);
    return rc;
}

/* A table NEW to the destination (or one to start over): destination and
 * journal created, SNAPSHOT_REPLICATION (a snapshot follows, needs_snapshot)
 * or, Ingestion Type = incremental, INCREMENTAL_REPLICATION; registered.
 * A table that cannot be replicated fails alone (PGCDC_OK returned). */
pgcdc_code pl_table_start(pl_ctx *x, pl_table *t, pgcdc_error *err)
{
    pgcdc_error e;
    pgcdc_code c = t->described ? PGCDC_OK : pl_describe(x, t, &e);
    const char *next = x->cfg->incremental ? PL_INCREMENTAL : PL_SNAPSHOT;
    if (c == PGCDC_OK)
        c = pl_restart_dest(x, t, &e);
    /* chunks an earlier life of the table recorded are not this one's */
    if (c == PGCDC_OK)
        c = pl_snapstate_clear(x, t, &e);
    free(t->done_chunks);
    t->done_chunks = NULL;
    t->ndone = 0;
    t->needs_fixup = t->snap_waiting = false;
    if (c == PGCDC_OK) {
        snprintf(t->state, sizeof t->state, "%s", PL_NEW);
        c = pl_create_dest(x, t, next, &e);
    }
    if (c == PGCDC_OK) {
        pl_state_changed(x, t, next);
        if ((c = pgcdc_journal_register(x->writer, &t->mt, &e)) == PGCDC_OK)
            t->registered = true;
        t->needs_snapshot = !x->cfg->incremental;
    }
    if (c == PGCDC_OK)
        return PGCDC_OK;
    if (pl_ends_attempt(c, &e)) {
        if (err)
            *err = e;
        return c;
    }
    return pl_fail(x, t, e.message, err);
}

/* The columns t has in the catalog as the snapshot sc sees it. If they are
 * not t's (a column changed before the snapshot point, or while an
 * interrupted snapshot waited to resume), t takes them and starts over: its
 * destination and journal are made anew for that shape and its recorded
 * chunks dropped - rows read in one shape cannot be resumed in another, and
 * the chunks are read in exactly the shape of the snapshot. */
static pgcdc_code check_shape(pl_ctx *x, pl_table *t, PGconn *sc, pgcdc_error *err)
{
    pl_table tmp;
    memset(&tmp, 0, sizeof tmp);
    memcpy(tmp.schema, t->schema, sizeof tmp.schema);
    memcpy(tmp.name, t->name, sizeof tmp.name);
    memcpy(tmp.key, t->key, sizeof tmp.key);
    tmp.journal_epoch = t->journal_epoch;
    tmp.journal_n = t->journal_n;
    PGconn *src = x->src;
    x->src = sc; /* pl_describe reads the catalog there, under the snapshot */
    pgcdc_error e;
    pgcdc_code rc = pl_describe(x, &tmp, &e);
    x->src = src;
    bool same = false;
    if (rc == PGCDC_OK) {
        pl_colspec *a = pl_table_specs(t), *b = pl_table_specs(&tmp);
        same = a && b && t->ncols == tmp.ncols;
        for (size_t i = 0; same && i < t->ncols; i++)
            same = pl_colspec_eq(&a[i], &b[i]);
        free(a);
        free(b);
    }
    pl_table_clear(&tmp);
    if (rc == PGCDC_OK && same)
        return PGCDC_OK;
    if (rc != PGCDC_OK && pl_ends_attempt(rc, &e)) {
        if (err)
            *err = e;
        return rc;
    }
    if (rc != PGCDC_OK) /* no key now, an unsupported type ... */
        return pl_fail(x, t, e.message, err);
    pgcdc_log(PGCDC_LOG_INFO, "table %s.%s: its columns changed before its snapshot; the snapshot starts over with "
              "the new columns", t->schema, t->name);
    if (t->left_lsn != PGCDC_INVALID_LSN) {
        /* back in the set after it left: its destination table holds rows
         * to keep - brought to the snapshot's shape, not dropped (rejoin.c) */
        x->src = sc;
        rc = pl_table_rejoin(x, t, &e);
        x->src = src;
        if (rc != PGCDC_OK && err)
            *err = e;
        return rc;
    }
    x->src = sc;
    pl_dropped_clear(t);
    rc = pl_describe(x, t, &e);
    x->src = src;
    t->described = rc == PGCDC_OK;
    if (rc == PGCDC_OK) {
        t->had_row = true;
        rc = pl_table_start(x, t, &e); /* fails the table alone when it must */
    }
    if (rc != PGCDC_OK && err)
        *err = e;
    return rc;
}

/* The statement on a source connection; a failure as pl_sql_error's. */
static pgcdc_code exec_source(PGconn *c, const char *sql, const char *what, pgcdc_error *err)
{
    PGresult *r = PQexec(c, sql);
    pgcdc_code rc = PQresultStatus(r) == PGRES_COMMAND_OK ? PGCDC_OK : pl_sql_error(c, r, "source", what, err);
    PQclear(r);
    return rc;
}

pgcdc_code pl_snapshot_conn(pl_ctx *x, const char *name, PGconn **out, pgcdc_error *err)
{
    pgcdc_code rc = pgcdc_source_connect(&x->cfg->source, false, out, err);
    if (rc == PGCDC_OK)
        rc = exec_source(*out, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "starting a snapshot transaction",
                         err);
    char *lit = rc == PGCDC_OK ? PQescapeLiteral(*out, name, strlen(name)) : NULL;
    pgcdc_buf sql = PGCDC_BUF_INIT;
    if (rc == PGCDC_OK && (!lit || pgcdc_buf_printf(&sql, "SET TRANSACTION SNAPSHOT %s", lit) != 0))
        rc = pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory"); /* never read under another snapshot */
    if (rc == PGCDC_OK)
        rc = exec_source(*out, sql.data, "importing the exported snapshot", err);
    PQfreemem(lit);
    pgcdc_buf_free(&sql);
    return rc;
}

pgcdc_code pl_snapshot_online(pl_ctx *x, pgcdc_error *err)
{
    PGconn *repl = NULL;
    pgcdc_slot_created created;
    char name[PGCDC_SLOT_NAME_MAX + 1];
    pgcdc_slot_generate_name("pgcdc_snapshot", name);
    pgcdc_code rc = pgcdc_source_connect(&x->cfg->source, true, &repl, err);
    if (rc == PGCDC_OK)
        rc = pgcdc_slot_create_temporary(repl, name, &created, err);
    if (rc == PGCDC_OK) {
        /* only the tables asking for it: a table already INCREMENTAL is not
         * read again */
        for (size_t i = 0; i < x->ntables; i++) {
            pl_table *t = &x->tables[i];
            if (t->needs_snapshot && t->registered && strcmp(t->state, PL_SNAPSHOT) != 0)
                t->needs_snapshot = false;
        }
        PGconn *sc = NULL;
        rc = pl_snapshot_conn(x, created.snapshot_name, &sc, err);
        for (size_t i = 0; i < x->ntables && rc == PGCDC_OK; i++) {
            pl_table *t = &x->tables[i];
            if (t->needs_snapshot && t->registered && !strcmp(t->state, PL_SNAPSHOT))
                rc = check_shape(x, t, sc, err);
        }
        if (sc)
            PQfinish(sc);
        if (rc == PGCDC_OK)
            rc = pl_snapshot(x, created.snapshot_name, created.consistent_point, true, err);
    }
    bool fixup = false;
    for (size_t i = 0; rc == PGCDC_OK && i < x->ntables; i++)
        fixup |= x->tables[i].needs_fixup && x->tables[i].snap_waiting;
    if (fixup && !x->fix_repl) {
        /* its exported snapshot is read again later (fixup.c) */
        x->fix_repl = repl;
        snprintf(x->fix_snapshot, sizeof x->fix_snapshot, "%s", created.snapshot_name);
    } else if (repl) {
        PQfinish(repl); /* drops the temporary slot */
    }
    for (size_t i = 0; rc == PGCDC_OK && i < x->ntables; i++)
        if (strcmp(x->tables[i].state, PL_SNAPSHOT) != 0 || x->tables[i].snap_waiting)
            x->tables[i].needs_snapshot = false;
    return rc;
}
