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
 * report->nfailed), PGCDC_ECONNECT etc. when they could not.
 *
 * Table names (see pgcdc_preflight_split_name): each part exactly as in the
 * catalog (case-sensitive), or double-quoted ("My.Schema"."Order""s"); an
 * unquoted table part runs to the end, so app.my.table is table "my.table"
 * in schema app; a name without a schema means public.
 *
 * Every check gets a result, except those that cannot be judged because one
 * they depend on failed (no membership results when the publication is
 * missing, no key/identity/privilege results for a table that does not
 * exist, no replica identity result for a table without a key). Results of
 * checks that passed may carry a note in message (e.g. which key is used). */
pgcdc_code pgcdc_preflight_run(const pgcdc_source_config *cfg, const char *const *tables, int ntables,
                               pgcdc_preflight_report *report, pgcdc_error *err);

void pgcdc_preflight_report_free(pgcdc_preflight_report *report);
const char *pgcdc_check_name(pgcdc_check_id id);

/* Appends the report to out, one line per result ("FAILED wal_level server:
 * ..."), only the failures if failures_only. */
void pgcdc_preflight_report_format(const pgcdc_preflight_report *report, bool failures_only, pgcdc_buf *out);

/* The server-version check for PQserverVersion()'s number (90624 = 9.6.24,
 * 150004 = 15.4), filled into out. Exposed so that versions no test server
 * runs (< 10) can be tested. */
void pgcdc_preflight_check_version(int server_version_num, pgcdc_check_result *out);

/* Splits an included table name into schema and table (rules above), each
 * at most 63 bytes. PGCDC_EINVAL with a message naming the table if it is
 * malformed. */
pgcdc_code pgcdc_preflight_split_name(const char *name, char schema[64], char table[64], pgcdc_error *err);

#ifdef __cplusplus
}
#endif
#endif
