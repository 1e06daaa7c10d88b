/* slot_owner.c - which replication slot the run uses, and whether it may
 * touch it. pgcdc drops a slot only when this destination recorded it as its
 * own and the first snapshot never finished (its exported snapshot is gone,
 * so it starts over); a slot it did not create - a standby's physical slot,
 * another tool's test_decoding slot, another pgcdc deployment's slot with the
 * same name - is refused with an error that names it.
 *
 * Ownership is the slot's row in the destination's _PGCDC_SOURCE_STATE. It is
 * written (position 0: "created, not positioned yet") and committed BEFORE
 * the slot is created, so no crash leaves a slot of ours unrecorded: a crash
 * between the two leaves a row and no slot (the next run creates it), a crash
 * after the creation a row and the slot (the next run drops and recreates
 * it). If creating fails because a slot of that name appeared meanwhile (made
 * by someone else between our look-up and our creation), the row is deleted
 * again, so that slot is never taken for ours. */
#include <stdio.h>
#include <string.h>

#include "pgcdc/log.h"
#include "pgcdc/slot.h"
#include "pipeline_internal.h"

/* Is there a row for x->slot (positioned or not)? */
static pgcdc_code recorded(pl_ctx *x, bool *out, pgcdc_error *err)
{
    *out = false;
    const char *v[1] = {x->source_state_q.data};
    PGresult *r = NULL;
    pgcdc_code rc = pl_query(x->dst, "SELECT to_regclass($1) IS NOT NULL", 1, v, &r, err);
    if (rc != PGCDC_OK)
        return rc;
    bool exists = PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    if (!exists)
        return PGCDC_OK;
    pgcdc_buf sql = PGCDC_BUF_INIT;
    pgcdc_buf_printf(&sql, "SELECT 1 FROM %s WHERE \"slot_name\" = $1", x->source_state_q.data);
    const char *s[1] = {x->slot};
    rc = pl_query(x->dst, sql.data, 1, s, &r, err);
    pgcdc_buf_free(&sql);
    if (rc == PGCDC_OK)
        *out = PQntuples(r) > 0;
    PQclear(r);
    return rc;
}

/* The slot as a user would identify it: type, plugin, database. */
static void describe(const pgcdc_slot_info *s, char *out, size_t len)
{
    if (!s->plugin[0])
        snprintf(out, len, "a physical slot (used by a standby or a backup tool)");
    else
        snprintf(out, len, "a logical slot with plugin %s in database %s", s->plugin,
                 s->database[0] ? s->database : "?");
}

static pgcdc_code refuse(pl_ctx *x, const pgcdc_slot_info *s, const char *why, pgcdc_error *err)
{
    char d[200];
    describe(s, d, sizeof d);
    return pgcdc_error_set(err, PGCDC_EINVAL, "replication slot %s already exists on the source: %s%s; %s. pgcdc "
                           "does not use or drop a slot it did not create: set %s to another name, or, if "
                           "nothing uses this slot any more, drop it on the source (SELECT "
                           "pg_drop_replication_slot('%s');) and run again",
                           x->slot, d, s->active ? ", in use" : "", why, PGCDC_P_SLOT_NAME, x->slot);
}

pgcdc_code pl_choose_slot(pl_ctx *x, bool *fresh, pgcdc_error *err)
{
    pgcdc_code rc;
    if (x->cfg->source.slot_name) {
        snprintf(x->slot, sizeof x->slot, "%s", x->cfg->source.slot_name);
    } else {
        if ((rc = pl_remembered_slot(x, x->slot, sizeof x->slot, err)) != PGCDC_OK)
            return rc;
        if (!x->slot[0]) {
            pgcdc_slot_generate_name("pgcdc", x->slot);
            pgcdc_log(PGCDC_LOG_INFO, "no %s configured: using the new slot %s (remembered in the destination)",
                      PGCDC_P_SLOT_NAME, x->slot);
        }
    }
    rc = pgcdc_journal_durable_lsn(x->dst, PGCDC_PIPELINE_STATE_SCHEMA, x->cfg->ident_case, x->slot, &x->durable,
                                   err);
    bool ours = false;
    if (rc == PGCDC_OK)
        rc = recorded(x, &ours, err);
    if (rc != PGCDC_OK)
        return rc;
    pgcdc_slot_info info;
    pgcdc_code look = pgcdc_slot_lookup(x->src, x->slot, &info, err);
    if (look != PGCDC_OK && look != PGCDC_ENOTFOUND)
        return look;
    if (look == PGCDC_OK) {
        if (!info.plugin[0] || strcmp(info.plugin, "pgoutput") != 0 ||
            (info.database[0] && strcmp(info.database, x->dbname) != 0))
            return refuse(x, &info, ours ? "it is not the slot this destination recorded (pgcdc creates pgoutput "
                                           "slots in the source database)"
                                         : "it is not a pgcdc slot of this database", err);
        if (!ours)
            return refuse(x, &info, "this destination has no record of it (its state schema holds no position "
                          "for it): another pgcdc deployment or another tool may be reading it", err);
    }
    if (look == PGCDC_OK && x->durable == PGCDC_INVALID_LSN) {
        /* Ours (recorded before it was created) but the first snapshot never
         * finished: its exported snapshot is gone, so start over. */
        pgcdc_log(PGCDC_LOG_WARN, "replication slot %s was created by an earlier run for this destination whose "
                  "initial snapshot never finished; dropping the slot and starting over", x->slot);
        if ((rc = pgcdc_slot_drop(x->src, x->slot, err)) != PGCDC_OK)
            return rc;
        *fresh = true;
        return PGCDC_OK;
    }
    if (look == PGCDC_ENOTFOUND && x->durable == PGCDC_INVALID_LSN) {
        *fresh = true;
        return PGCDC_OK;
    }
    rc = pgcdc_slot_check_continuity(look == PGCDC_OK ? &info : NULL, x->durable, err);
    if (rc != PGCDC_OK)
        return rc;
    *fresh = false;
    return PGCDC_OK;
}

pgcdc_code pl_slot_create_owned(pl_ctx *x, PGconn *repl, pgcdc_slot_created *created, pgcdc_error *err)
{
    pgcdc_code rc = pl_source_state_upsert(x, PGCDC_INVALID_LSN, err); /* committed before the slot exists */
    if (rc != PGCDC_OK)
        return rc;
    rc = pgcdc_slot_create(repl, x->slot, false, created, err);
    if (rc == PGCDC_EINVAL && err && !strcmp(err->sqlstate, "42710")) {
        /* someone else's slot appeared since the look-up: not ours, forget the row */
        pgcdc_buf sql = PGCDC_BUF_INIT;
        pgcdc_buf_printf(&sql, "DELETE FROM %s WHERE \"slot_name\" = $1 AND \"confirmed_lsn\" = 0",
                         x->source_state_q.data);
        const char *v[1] = {x->slot};
        pgcdc_error e;
        if (pl_exec_params(x->dst, sql.data, 1, v, &e) != PGCDC_OK)
            pgcdc_log(PGCDC_LOG_WARN, "could not forget replication slot %s in %s: %s", x->slot,
                      x->source_state_q.data, e.message);
        pgcdc_buf_free(&sql);
    }
    return rc;
}
