/* pgcdc/preflight.h - checks that the source can be replicated, each failure
 * with a message that says what to run to fix it. Needs only a role with
 * REPLICATION (or rds_replication) and SELECT on the tables. */
#ifndef PGCDC_PREFLIGHT_H
#define PGCDC_PREFLIGHT_H

#include <stdbool.h>
#include "pgcdc/source.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum pgcdc_check_id {
    PGCDC_CHECK_SERVER_VERSION = 0, /* >= 10 */
    PGCDC_CHECK_WAL_LEVEL,          /* wal_level = logical */
    PGCDC_CHECK_REPLICATION_ROLE,   /* REPLICATION attribute, superuser or rds_replication */
    PGCDC_CHECK_PUBLICATION,        /* the publication exists */
    PGCDC_CHECK_TABLE_IN_PUBLICATION,
    PGCDC_CHECK_TABLE_HAS_KEY,      /* primary key or replica identity index */
    PGCDC_CHECK_REPLICA_IDENTITY,   /* replica identity matches the key (not NOTHING, index = key) */
    PGCDC_CHECK_TABLE_SELECT,       /* the role can SELECT the table */
    PGCDC_CHECK_SLOT_HEADROOM,      /* a free replication slot (or ours exists) */
    PGCDC_CHECK_WAL_SENDER_HEADROOM,/* a free wal sender */
    PGCDC_CHECK_COUNT
} pgcdc_check_id;

typedef struct pgcdc_check_result {
    pgcdc_check_id id;
    bool ok;
    char subject[256];  /* what was checked, e.g. "app.orders" or "server" */
    char message[768];  /* on failure: what is wrong and what to run to fix it */
} pgcdc_check_result;

typedef struct pgcdc_preflight_report {
    int nresults;
    int nfailed;
    pgcdc_check_result *results; /* owned; pgcdc_preflight_report_free */
} pgcdc_preflight_report;

/* Runs every check for the given tables ("schema.table", unquoted names as
 * in the catalog). Returns PGCDC_OK when the checks could be run (look at
 * report->nfailed), PGCDC_ECONNECT etc. when they could not. */
pgcdc_code pgcdc_preflight_run(const pgcdc_source_config *cfg, const char *const *tables, int ntables,
                               pgcdc_preflight_report *report, pgcdc_error *err);

void pgcdc_preflight_report_free(pgcdc_preflight_report *report);
const char *pgcdc_check_name(pgcdc_check_id id);

#ifdef __cplusplus
}
#endif
#endif
