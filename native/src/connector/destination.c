/* destination.c - the destination as an object: connections, the journal
 * writer of one slot, and the included tables with their states. Several
 * destinations (one per NiFi processor, or per node) may work on the same
 * destination database at once, so a table's state is read from the
 * destination whenever it matters instead of trusting what this one saw. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgcdc/log.h"
#include "pgcdc/slot.h"
#include "change_batch.pb-c.h"
#include "connector_internal.h"
#include "dest_internal.h"

static const pgcdc_pipeline_run_options no_options;

void pgcdc_destination_close(pgcdc_destination *d)
{
    if (!d)
        return;
    pl_ctx *x = &d->x;
    pgcdc_journal_writer_free(x->writer); /* first: it points into the tables' descriptions */
    for (size_t i = 0; i < d->n; i++) {
        pl_table_clear(&d->t[i]->t);
        free(d->t[i]);
    }
    free(d->t);
    pgcdc_table_selection_free(d->sel);
    pgcdc_column_filter_free(x->filter);
    if (x->src)
        PQfinish(x->src);
    if (x->dst)
        PQfinish(x->dst);
    pgcdc_buf_free(&x->state_schema_q);
    pgcdc_buf_free(&x->table_state_q);
    pgcdc_buf_free(&x->source_state_q);
    pgcdc_buf_free(&x->table_columns_q);
    pgcdc_buf_free(&d->scratch);
    pgcdc_buf_free(&d->slice);
    free(d->failed);
    pgcdc_connector_config_free(d->cfg);
    free(d);
}

const char *pgcdc_destination_slot_name(const pgcdc_destination *d)
{
    return d->x.slot;
}

static pgcdc_code pick_slot(pgcdc_destination *d, pgcdc_error *err)
{
    pl_ctx *x = &d->x;
    if (x->cfg->source.slot_name) {
        snprintf(x->slot, sizeof x->slot, "%s", x->cfg->source.slot_name);
        return PGCDC_OK;
    }
    pgcdc_code rc = pl_remembered_slot(x, x->slot, sizeof x->slot, err);
    if (rc == PGCDC_OK && !x->slot[0])
        rc = pgcdc_error_set(err, PGCDC_EINVAL, "%s is not set and the destination remembers no slot: set it to "
                             "the slot the change reader uses", PGCDC_P_SLOT_NAME);
    return rc;
}

pgcdc_code pgcdc_destination_open(const pgcdc_connector_config *cfg, pgcdc_destination **out, pgcdc_error *err)
{
    *out = NULL;
    pgcdc_destination *d = calloc(1, sizeof *d);
    if (!d)
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
    pl_ctx *x = &d->x;
    pgcdc_code rc = pgcdc_connector_config_copy(cfg, &d->cfg, err);
    if (rc == PGCDC_OK) {
        x->cfg = &d->cfg->pl;
        x->opt = &no_options;
        rc = pgcdc_pipeline_config_validate(x->cfg, err);
    }
    if (rc == PGCDC_OK)
        rc = pgcdc_column_filter_parse(x->cfg->column_filter_json, &x->filter, err);
    if (rc == PGCDC_OK)
        rc = pgcdc_table_selection_parse(x->cfg->table_names, x->cfg->table_regex, &d->sel, err);
    if (rc == PGCDC_OK)
        rc = pgcdc_source_connect(&x->cfg->source, false, &x->src, err);
    if (rc == PGCDC_OK && (rc = pgcdc_source_connect(&x->cfg->dest, false, &x->dst, err)) != PGCDC_OK)
        pgcdc_error_prefix(err, "destination");
    if (rc == PGCDC_OK) {
        snprintf(x->dbname, sizeof x->dbname, "%s", PQdb(x->src));
        x->dst_major = pgcdc_server_major(x->dst);
        /* "already exists, skipping" notices of the IF NOT EXISTS DDL are noise */
        rc = pl_exec(x->dst, "SET client_min_messages = warning", err);
    }
    if (rc == PGCDC_OK)
        rc = pl_state_setup(x, err);
    if (rc == PGCDC_OK)
        rc = pl_shape_setup(x, err);
    if (rc == PGCDC_OK)
        rc = pick_slot(d, err);
    pgcdc_journal_options jo = {.slot_name = x->slot, .state_schema = PGCDC_PIPELINE_STATE_SCHEMA,
                                .ident_case = x->cfg->ident_case};
    if (rc == PGCDC_OK)
        rc = pgcdc_journal_writer_new(x->dst, &jo, &x->writer, err);
    if (rc == PGCDC_OK)
        rc = pgcdc_journal_setup(x->writer, err);
    /* the slot is remembered from now on (a row with no position yet) */
    if (rc == PGCDC_OK)
        rc = pl_source_state_upsert(x, PGCDC_INVALID_LSN, err);
    if (rc == PGCDC_OK)
        rc = pgcdc_journal_durable_lsn(x->dst, PGCDC_PIPELINE_STATE_SCHEMA, x->cfg->ident_case, x->slot,
                                       &x->durable, err);
    if (rc != PGCDC_OK) {
        pgcdc_destination_close(d);
        return rc;
    }
    *out = d;
    return PGCDC_OK;
}

pgcdc_code pgcdc_destination_durable_lsn(pgcdc_destination *d, pgcdc_lsn *out, pgcdc_error *err)
{
    pgcdc_lsn l = 0;
    pgcdc_code rc = pgcdc_journal_durable_lsn(d->x.dst, PGCDC_PIPELINE_STATE_SCHEMA, d->x.cfg->ident_case,
                                              d->x.slot, &l, err);
    if (rc == PGCDC_OK && l > d->x.durable)
        d->x.durable = l;
    if (out)
        *out = d->x.durable;
    return rc;
}

/* ---- tables ---- */

cn_table *cn_find(pgcdc_destination *d, const char *schema, const char *name)
{
    for (size_t i = 0; i < d->n; i++)
        if (!strcmp(d->t[i]->t.name, name) && !strcmp(d->t[i]->t.schema, schema))
            return d->t[i];
    return NULL;
}

/* The table's entry, made (state not loaded yet) if this destination has
 * not seen it. Entries are allocated one by one: the journal writer keeps
 * pointers into them. */
pgcdc_code cn_entry(pgcdc_destination *d, const char *schema, const char *name, cn_table **out, pgcdc_error *err)
{
    cn_table *ct = cn_find(d, schema, name);
    if (ct) {
        *out = ct;
        return PGCDC_OK;
    }
    if (strlen(schema) >= 64 || strlen(name) >= 64)
        return pgcdc_error_set(err, PGCDC_EINVAL, "table name %s.%s is too long", schema, name);
    cn_table **nt = realloc(d->t, (d->n + 1) * sizeof *nt);
    if (!nt)
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
    d->t = nt;
    ct = calloc(1, sizeof *ct);
    if (!ct)
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
    pl_table *t = &ct->t;
    snprintf(t->schema, sizeof t->schema, "%s", schema);
    snprintf(t->name, sizeof t->name, "%s", name);
    pl_table_key(schema, name, t->key);
    snprintf(t->state, sizeof t->state, "%s", PL_NEW);
    t->snap_index = -1;
    d->t[d->n++] = ct;
    *out = ct;
    return PGCDC_OK;
}

static bool replicating(const pl_table *t)
{
    return !strcmp(t->state, PL_SNAPSHOT) || !strcmp(t->state, PL_INCREMENTAL);
}

/* Reads the table's state from the destination; a replicating table gets
 * its persisted shape and is registered with the journal writer (again if
 * its journal generation changed elsewhere), a failed one is skipped by it. */
pgcdc_code cn_load(pgcdc_destination *d, cn_table *ct, pgcdc_error *err)
{
    pl_ctx *x = &d->x;
    pl_table *t = &ct->t;
    pgcdc_code rc = pl_state_load(x, t, err);
    if (rc != PGCDC_OK)
        return rc;
    if (!replicating(t)) {
        if (t->registered)
            pgcdc_journal_unregister(x->writer, t->schema, t->name, NULL);
        t->registered = false;
        return PGCDC_OK;
    }
    bool stale = t->described && (t->mt.journal_epoch != t->journal_epoch || t->mt.journal_n != t->journal_n);
    if (t->described && !stale && t->registered)
        return PGCDC_OK;
    if (!t->described || stale) {
        bool found = false;
        pgcdc_error e;
        rc = pl_columns_load(x, t, &found, &e);
        /* the shape before its last schema change, for the transaction that made it */
        if (rc == PGCDC_OK && found)
            rc = pl_shape_load(x, t, &e);
        if (rc == PGCDC_OK && !found)
            rc = pl_describe(x, t, &e);
        if (rc != PGCDC_OK) {
            if (rc == PGCDC_ECONNECT || rc == PGCDC_ENOMEM) {
                if (err)
                    *err = e;
                return rc;
            }
            return pl_fail(x, t, e.message, err); /* also unregisters what points at the old shape */
        }
    }
    rc = pgcdc_journal_register(x->writer, &t->mt, err);
    if (rc != PGCDC_OK)
        return rc;
    t->registered = true;
    ct->known = true;
    return PGCDC_OK;
}

/* The included tables now: resolved against the publication. */
static pgcdc_code resolve(pgcdc_destination *d, pgcdc_table_set *set, pgcdc_error *err)
{
    memset(set, 0, sizeof *set);
    return pgcdc_table_selection_resolve(d->sel, d->x.src, d->x.cfg->source.publication, set, err);
}

/* The merged LSN of one table from its schema's _PGCDC_MERGE_STATE (0 when
 * there is none yet). */
static pgcdc_lsn merged_lsn(pgcdc_destination *d, const pl_table *t)
{
    const pgcdc_pipeline_config *cfg = d->x.cfg;
    pgcdc_buf ds = PGCDC_BUF_INIT, q = PGCDC_BUF_INIT, name = PGCDC_BUF_INIT, sql = PGCDC_BUF_INIT;
    pgcdc_lsn out = 0;
    if (pgcdc_pipeline_dest_schema(cfg->schema_pattern, d->x.dbname, t->schema, t->name, &ds, NULL) == PGCDC_OK &&
        pgcdc_ident_quote(&q, PGCDC_DIALECT_POSTGRES, cfg->ident_case, ds.data) == 0 &&
        pgcdc_ident_resolve(&name, cfg->ident_case, t->name) == 0 &&
        pgcdc_buf_printf(&sql, "SELECT merged_lsn FROM %s.\"_PGCDC_MERGE_STATE\" WHERE table_name = $1",
                         q.data) == 0) {
        pgcdc_buf reg = PGCDC_BUF_INIT;
        pgcdc_buf_printf(&reg, "%s.\"_PGCDC_MERGE_STATE\"", q.data);
        const char *v[2] = {name.data, reg.data};
        PGresult *e = PQexecParams(d->x.dst, "SELECT to_regclass($1) IS NOT NULL", 1, NULL, v + 1, NULL, NULL, 0);
        bool exists = PQresultStatus(e) == PGRES_TUPLES_OK && PQgetvalue(e, 0, 0)[0] == 't';
        PQclear(e);
        if (exists) {
            PGresult *r = PQexecParams(d->x.dst, sql.data, 1, NULL, v, NULL, NULL, 0);
            if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
                out = (pgcdc_lsn)strtoull(PQgetvalue(r, 0, 0), NULL, 10);
            PQclear(r);
        }
        pgcdc_buf_free(&reg);
    }
    pgcdc_buf_free(&ds);
    pgcdc_buf_free(&q);
    pgcdc_buf_free(&name);
    pgcdc_buf_free(&sql);
    return out;
}

/* The REMOVED state rows (key, rows, message, left_lsn); *n how many. */
static pgcdc_code removed_rows(pgcdc_destination *d, const pgcdc_table_set *set, PGresult **out, size_t *n,
                               pgcdc_error *err)
{
    (void)set;
    pgcdc_buf sql = PGCDC_BUF_INIT;
    pgcdc_buf_printf(&sql, "SELECT \"table_name\", \"rows_snapshotted\", coalesce(\"message\", ''), "
                     "coalesce(\"left_lsn\", 0) FROM %s WHERE \"state\" = '%s' ORDER BY 1",
                     d->x.table_state_q.data, PL_REMOVED);
    pgcdc_code rc = pl_query(d->x.dst, sql.data, 0, NULL, out, err);
    pgcdc_buf_free(&sql);
    *n = rc == PGCDC_OK ? (size_t)PQntuples(*out) : 0;
    return rc;
}

pgcdc_code pgcdc_destination_tables(pgcdc_destination *d, pgcdc_pipeline_table_status **out, size_t *n,
                                    pgcdc_error *err)
{
    *out = NULL;
    *n = 0;
    pgcdc_table_set set;
    pgcdc_code rc = resolve(d, &set, err);
    if (rc != PGCDC_OK)
        return rc;
    /* replicating tables no longer included leave, at the position this
     * destination made durable (rejoin.c); their later changes are filtered */
    if ((rc = pgcdc_destination_durable_lsn(d, NULL, err)) == PGCDC_OK)
        rc = pl_mark_left(&d->x, &set, err);
    size_t nremoved = 0;
    PGresult *removed = NULL;
    if (rc == PGCDC_OK)
        rc = removed_rows(d, &set, &removed, &nremoved, err);
    if (rc != PGCDC_OK) {
        pgcdc_table_set_free(&set);
        return rc;
    }
    pgcdc_pipeline_table_status *st = calloc(set.n + nremoved + 1, sizeof *st);
    if (!st) {
        pgcdc_table_set_free(&set);
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < set.n && rc == PGCDC_OK; i++) {
        cn_table *ct;
        rc = cn_entry(d, set.tables[i].schema, set.tables[i].table, &ct, err);
        if (rc == PGCDC_OK)
            rc = cn_load(d, ct, err);
        if (rc != PGCDC_OK)
            break;
        pl_table *t = &ct->t;
        snprintf(st[i].table, sizeof st[i].table, "%s", t->key);
        snprintf(st[i].state, sizeof st[i].state, "%s", t->state);
        st[i].rows_snapshotted = t->rows_snapshotted;
        st[i].merged_lsn = strcmp(t->state, PL_NEW) ? merged_lsn(d, t) : 0;
        bool say = !strcmp(t->state, PL_FAILED) || !strcmp(t->state, PL_REMOVED);
        snprintf(st[i].message, sizeof st[i].message, "%s", say ? t->message : "");
        st[i].left_lsn = t->left_lsn;
    }
    /* and the tables that left the set, for the View State */
    size_t k = 0;
    for (int i = 0; rc == PGCDC_OK && removed && i < PQntuples(removed); i++) {
        char schema[64], name[64];
        if (pl_table_key_parse(PQgetvalue(removed, i, 0), schema, name, NULL) != PGCDC_OK ||
            pgcdc_table_set_find(&set, schema, name))
            continue; /* included again: listed above */
        pgcdc_pipeline_table_status *r = &st[set.n + k++];
        snprintf(r->table, sizeof r->table, "%s", PQgetvalue(removed, i, 0));
        snprintf(r->state, sizeof r->state, "%s", PL_REMOVED);
        r->rows_snapshotted = strtoll(PQgetvalue(removed, i, 1), NULL, 10);
        snprintf(r->message, sizeof r->message, "%s", PQgetvalue(removed, i, 2));
        r->left_lsn = (pgcdc_lsn)strtoull(PQgetvalue(removed, i, 3), NULL, 10);
    }
    PQclear(removed);
    if (rc == PGCDC_OK) {
        *out = st;
        *n = set.n + k;
    } else {
        free(st);
    }
    pgcdc_table_set_free(&set);
    return rc;
}

/* The entry of an included table, its state loaded; PGCDC_ENOTFOUND for a
 * table the configuration does not include (or the publication lacks). */
static pgcdc_code included(pgcdc_destination *d, const char *table, cn_table **out, pgcdc_error *err)
{
    char schema[64], name[64];
    pgcdc_code rc = cn_split_table(table, schema, name, err);
    if (rc != PGCDC_OK)
        return rc;
    pgcdc_table_set set;
    if ((rc = resolve(d, &set, err)) != PGCDC_OK)
        return rc;
    bool found = false;
    for (size_t i = 0; i < set.n && !found; i++)
        found = !strcmp(set.tables[i].schema, schema) && !strcmp(set.tables[i].table, name);
    pgcdc_table_set_free(&set);
    if (!found)
        return pgcdc_error_set(err, PGCDC_ENOTFOUND, "table %s.%s is not included: it must be in publication %s "
                               "and named by Included Table Names or matched by Included Table Regex", schema, name,
                               d->x.cfg->source.publication);
    rc = cn_entry(d, schema, name, out, err);
    if (rc == PGCDC_OK)
        rc = cn_load(d, *out, err);
    return rc;
}

/* Is table's state row REMOVED (a table that left the set)? */
static bool removed_now(pgcdc_destination *d, const char *table)
{
    char schema[64], name[64];
    cn_table *ct = NULL;
    return pl_table_key_parse(table, schema, name, NULL) == PGCDC_OK &&
           cn_entry(d, schema, name, &ct, NULL) == PGCDC_OK && pl_state_load(&d->x, &ct->t, NULL) == PGCDC_OK &&
           !strcmp(ct->t.state, PL_REMOVED);
}

pgcdc_code pgcdc_destination_prepare_table(pgcdc_destination *d, const char *table, char state[32],
                                           pgcdc_error *err)
{
    pl_ctx *x = &d->x;
    cn_table *ct;
    pgcdc_code rc = included(d, table, &ct, err);
    if (rc == PGCDC_ENOTFOUND && removed_now(d, table)) {
        snprintf(state, 32, "%s", PL_REMOVED); /* out of the set: stays as it is */
        return PGCDC_OK;
    }
    if (rc != PGCDC_OK)
        return rc;
    pl_table *t = &ct->t;
    if (!strcmp(t->state, PL_REMOVED)) {
        /* back in the set: snapshotted again into its destination table */
        t->described = false; /* the shape persisted when it left */
        pgcdc_error e;
        pgcdc_code c = pl_table_rejoin(x, t, &e);
        if (c != PGCDC_OK) {
            if (err)
                *err = e;
            return c;
        }
        ct->known = t->registered;
        snprintf(state, 32, "%s", t->state);
        return PGCDC_OK;
    }
    if (strcmp(t->state, PL_NEW) != 0) {
        snprintf(state, 32, "%s", t->state);
        return PGCDC_OK;
    }
    const char *next = x->cfg->incremental ? PL_INCREMENTAL : PL_SNAPSHOT;
    pgcdc_error e;
    pgcdc_code c = pl_describe(x, t, &e);
    if (c == PGCDC_OK)
        c = pl_restart_dest(x, t, &e);
    if (c == PGCDC_OK)
        c = pl_create_dest(x, t, next, &e);
    if (c == PGCDC_OK) {
        pl_state_changed(x, t, next);
        c = pgcdc_journal_register(x->writer, &t->mt, &e);
        if (c == PGCDC_OK) {
            t->registered = true;
            ct->known = true;
        }
    }
    if (c == PGCDC_ECONNECT || c == PGCDC_ENOMEM) {
        if (err)
            *err = e;
        return c;
    }
    if (c != PGCDC_OK && (c = pl_fail(x, t, e.message, err)) != PGCDC_OK)
        return c;
    snprintf(state, 32, "%s", t->state);
    return PGCDC_OK;
}

pgcdc_code pgcdc_destination_fail_table(pgcdc_destination *d, const char *table, const char *message,
                                        pgcdc_error *err)
{
    char schema[64], name[64];
    pgcdc_code rc = cn_split_table(table, schema, name, err);
    cn_table *ct = NULL;
    if (rc == PGCDC_OK)
        rc = cn_entry(d, schema, name, &ct, err);
    if (rc == PGCDC_OK)
        rc = pl_state_load(&d->x, &ct->t, err);
    if (rc != PGCDC_OK)
        return rc;
    return pl_fail(&d->x, &ct->t, message && *message ? message : "marked as failed", err);
}
