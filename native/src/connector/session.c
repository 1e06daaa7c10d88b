/* session.c - a snapshot session: a TEMPORARY replication slot whose
 * exported snapshot and consistent point C serve a table's snapshot while
 * the main slot streams on. The replication connection is kept idle (no
 * command may follow CREATE_REPLICATION_SLOT while the snapshot is in use);
 * a second, normal connection describes and plans the tables. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pgcdc/log.h"
#include "pgcdc/slot.h"
#include "connector_internal.h"

struct pgcdc_snapshot_session {
    pgcdc_connector_config *cfg;
    PGconn *repl;
    pl_ctx x;                 /* src, filter, cfg, dbname: for describing tables */
    pgcdc_slot_created slot;
    PGconn *plan_dst;         /* destination: the record of the plans (plan_record.c) */
};

/* PQfinish does not wait for the walsender to exit: wait (briefly) until
 * its temporary slot is gone, so that the slot's place in
 * max_replication_slots is free for the next session when close returns. */
static void wait_slot_dropped(pgcdc_snapshot_session *s)
{
    const char *v[1] = {s->slot.name};
    for (int i = 0; i < 250; i++) {
        PGresult *r = PQexecParams(s->x.src, "SELECT 1 FROM pg_replication_slots WHERE slot_name = $1", 1, NULL, v,
                                   NULL, NULL, 0);
        bool gone = PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) == 0;
        PQclear(r);
        if (gone)
            return;
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    pgcdc_log(PGCDC_LOG_WARN, "snapshot session: temporary slot %s still exists 5 s after its connection closed",
              s->slot.name);
}

void pgcdc_snapshot_session_close(pgcdc_snapshot_session *s)
{
    if (!s)
        return;
    if (s->repl) {
        PQfinish(s->repl); /* the server drops the temporary slot */
        if (s->x.src && s->slot.name[0])
            wait_slot_dropped(s);
    }
    if (s->x.src)
        PQfinish(s->x.src);
    if (s->plan_dst)
        PQfinish(s->plan_dst);
    pgcdc_column_filter_free(s->x.filter);
    pgcdc_connector_config_free(s->cfg);
    free(s);
}

pgcdc_code pgcdc_snapshot_session_begin(const pgcdc_connector_config *cfg, pgcdc_snapshot_session **out,
                                        pgcdc_error *err)
{
    static const pgcdc_pipeline_run_options no_options;
    *out = NULL;
    pgcdc_snapshot_session *s = calloc(1, sizeof *s);
    if (!s)
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
    pgcdc_code rc = pgcdc_connector_config_copy(cfg, &s->cfg, err);
    if (rc == PGCDC_OK) {
        s->x.cfg = &s->cfg->pl;
        s->x.opt = &no_options;
        rc = pgcdc_connector_config_validate_source(s->cfg, err);
    }
    if (rc == PGCDC_OK)
        rc = pgcdc_column_filter_parse(s->x.cfg->column_filter_json, &s->x.filter, err);
    if (rc == PGCDC_OK)
        rc = pgcdc_source_connect(&s->x.cfg->source, false, &s->x.src, err);
    if (rc == PGCDC_OK) {
        snprintf(s->x.dbname, sizeof s->x.dbname, "%s", PQdb(s->x.src));
        s->x.dst_major = pgcdc_server_major(s->x.src);
        rc = pgcdc_source_connect(&s->x.cfg->source, true, &s->repl, err);
    }
    char name[PGCDC_SLOT_NAME_MAX + 1];
    pgcdc_slot_generate_name("pgcdc_snap", name);
    if (rc == PGCDC_OK)
        rc = pgcdc_slot_create_temporary(s->repl, name, &s->slot, err);
    if (rc != PGCDC_OK) {
        pgcdc_snapshot_session_close(s);
        return rc;
    }
    char l[PGCDC_LSN_STRLEN];
    pgcdc_log(PGCDC_LOG_INFO, "snapshot session: temporary slot %s, snapshot %s at %s", s->slot.name,
              s->slot.snapshot_name, pgcdc_lsn_format(s->slot.consistent_point, l));
    *out = s;
    return PGCDC_OK;
}

const char *pgcdc_snapshot_session_name(const pgcdc_snapshot_session *s)
{
    return s->slot.snapshot_name;
}

pgcdc_lsn pgcdc_snapshot_session_lsn(const pgcdc_snapshot_session *s)
{
    return s->slot.consistent_point;
}

void pgcdc_snapshot_chunks_free(pgcdc_buf *chunks, size_t n)
{
    for (size_t i = 0; chunks && i < n; i++)
        pgcdc_buf_free(&chunks[i]);
    free(chunks);
}

pgcdc_code pgcdc_snapshot_session_plan(pgcdc_snapshot_session *s, const char *table, int min_chunks,
                                       pgcdc_buf **chunks, size_t *n, pgcdc_error *err)
{
    *chunks = NULL;
    *n = 0;
    pl_table t;
    memset(&t, 0, sizeof t);
    pgcdc_code rc = cn_split_table(table, t.schema, t.name, err);
    if (rc != PGCDC_OK)
        return rc;
    pl_table_key(t.schema, t.name, t.key);
    /* the columns as the destination was prepared with (the same catalog and Column Filter) */
    rc = pl_describe(&s->x, &t, err);
    pgcdc_snapshot_plan_options po = {.key_column = t.key_column[0] ? t.key_column : NULL,
                                      .min_chunks = min_chunks > 0 ? (uint32_t)min_chunks : 0};
    if (rc == PGCDC_OK && (rc = pgcdc_snapshot_plan_create(s->x.src, t.schema, t.name, &po, &t.plan, err)) ==
                              PGCDC_OK)
        t.has_plan = true;
    cn_chunk c;
    memset(&c, 0, sizeof c);
    if (rc == PGCDC_OK) {
        pgcdc_dest_type *types = calloc(t.ncols, sizeof *types);
        if (!types) {
            rc = pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
        } else {
            for (size_t k = 0; k < t.ncols; k++)
                types[k] = t.mcols[k].type;
            c.binary = pgcdc_snapshot_binary_ok(types, (int)t.ncols, NULL);
            free(types);
        }
    }
    if (rc == PGCDC_OK) {
        snprintf(c.slot, sizeof c.slot, "%s", s->slot.name);
        snprintf(c.snapshot_name, sizeof c.snapshot_name, "%s", s->slot.snapshot_name);
        c.snapshot_lsn = s->slot.consistent_point;
        snprintf(c.database, sizeof c.database, "%s", s->x.dbname);
        snprintf(c.schema, sizeof c.schema, "%s", t.schema);
        snprintf(c.table, sizeof c.table, "%s", t.name);
        c.ncols = t.ncols;
        c.colnames = t.colnames;
        c.cols = t.pcols;
        c.chunking = t.plan.chunking;
        snprintf(c.key_column, sizeof c.key_column, "%s", t.plan.key_column ? t.plan.key_column : "");
        c.partitioned = t.plan.partitioned;
        c.nchunks = t.plan.nranges;
        *chunks = calloc(t.plan.nranges, sizeof **chunks);
        if (!*chunks)
            rc = pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
    }
    /* each descriptor carries its own range only */
    for (uint32_t i = 0; rc == PGCDC_OK && i < t.plan.nranges; i++) {
        c.chunk_id = i;
        snprintf(c.lower, sizeof c.lower, "%s", t.plan.ranges[i].lower);
        snprintf(c.upper, sizeof c.upper, "%s", t.plan.ranges[i].upper);
        rc = cn_chunk_encode(&c, &(*chunks)[i], err);
        *n = i + 1;
    }
    /* recorded before any descriptor leaves: the fetch reads only recorded ones */
    if (rc == PGCDC_OK)
        rc = cn_plan_record_write(s->cfg, &s->plan_dst, s->x.src, &c, *chunks, *n, err);
    if (rc != PGCDC_OK) {
        pgcdc_snapshot_chunks_free(*chunks, *n);
        *chunks = NULL;
        *n = 0;
    }
    pl_table_clear(&t); /* c only borrowed t's arrays */
    return rc;
}
