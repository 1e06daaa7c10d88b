/* pgcdc/pipeline.h - the replication pipeline for a PostgreSQL destination:
 * slot with an exported snapshot -> snapshot reader -> journal -> MERGE, then
 * stream -> decoder -> batch builder -> journal writer -> MERGE, with the
 * table lifecycle NEW -> SNAPSHOT_REPLICATION -> INCREMENTAL_REPLICATION /
 * FAILED persisted in the destination. docs/runner.md tells the whole story.
 *
 *     pgcdc_pipeline_config cfg;
 *     pgcdc_pipeline_config_init(&cfg);
 *     pgcdc_pipeline_config_set(&cfg, "Destination Connection URL", "...", err); // any section's names
 *     pgcdc_pipeline_config_validate(&cfg, err);
 *     pgcdc_pipeline_run(&cfg, &opt, &result, err);   // until opt.stop or caught up
 */
#ifndef PGCDC_PIPELINE_H
#define PGCDC_PIPELINE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include "pgcdc/error.h"
#include "pgcdc/lsn.h"
#include "pgcdc/merge.h"
#include "pgcdc/source.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Destination and ingestion parameter names this module reads. */
#define PGCDC_P_DEST_TYPE            "Destination Type"
#define PGCDC_P_DEST_URL             "Destination Connection URL"
#define PGCDC_P_DEST_USERNAME        "Destination Username"
#define PGCDC_P_DEST_PASSWORD        "Destination Password"
#define PGCDC_P_DEST_DATABASE        "Destination Database"
#define PGCDC_P_DEST_SCHEMA_PATTERN  "Destination Schema Pattern"
#define PGCDC_P_OVERSIZED_VALUE      "Oversized Value Strategy"
#define PGCDC_P_MERGE_CRON           "Merge Task Schedule CRON"
#define PGCDC_P_IDENT_RESOLUTION     "Object Identifier Resolution"
#define PGCDC_P_INGESTION_TYPE       "Ingestion Type"
#define PGCDC_P_SNAPSHOT_QUERIES     "Concurrent Snapshot Queries"

/* The schema (before Object Identifier Resolution) of the runner's own
 * tables: _PGCDC_TABLE_STATE (table lifecycle) and _PGCDC_SOURCE_STATE (the
 * durable source position, the journal writer's). */
#define PGCDC_PIPELINE_STATE_SCHEMA "pgcdc_state"
#define PGCDC_PIPELINE_TABLE_STATE  "_PGCDC_TABLE_STATE"

typedef struct pgcdc_pipeline_config {
    pgcdc_source_config source;      /* PostgreSQL Source Parameters */
    pgcdc_source_config dest;        /* Destination Connection URL / Username / Password */
    bool dest_url_set;
    char *dest_database;             /* Destination Database: must match the URL's if both set */
    char *schema_pattern;            /* NULL = ${source.schema.name} */
    pgcdc_ident_case ident_case;     /* Object Identifier Resolution, default CASE_SENSITIVE */
    char *table_names;               /* Included Table Names */
    char *table_regex;               /* Included Table Regex */
    char *column_filter_json;        /* Column Filter JSON */
    char *merge_cron;                /* NULL = "* * * * * ?" (continuously) */
    bool incremental;                /* Ingestion Type = incremental: no snapshot */
    int snapshot_connections;        /* Concurrent Snapshot Queries, default 2 */
} pgcdc_pipeline_config;

void pgcdc_pipeline_config_init(pgcdc_pipeline_config *cfg);
void pgcdc_pipeline_config_free(pgcdc_pipeline_config *cfg);

/* Sets one parameter by its Openflow name (source, destination or ingestion
 * section). Empty value = not set. PGCDC_EINVAL naming the parameter for an
 * unknown name or a bad value; PGCDC_EUNSUPPORTED for what is known but not
 * built (Destination Type = SNOWFLAKE). Passwords are never echoed. */
pgcdc_code pgcdc_pipeline_config_set(pgcdc_pipeline_config *cfg, const char *name, const char *value,
                                     pgcdc_error *err);

/* Checks everything required is there and parses what can be parsed without
 * a connection (cron, column filter, table selection, schema pattern). */
pgcdc_code pgcdc_pipeline_config_validate(const pgcdc_pipeline_config *cfg, pgcdc_error *err);

/* The Destination Schema Pattern applied to one table (placeholders
 * ${source.database.name}, ${source.schema.name}, ${source.table.name}),
 * into out (replacing its content). PGCDC_EINVAL for another ${...}. */
pgcdc_code pgcdc_pipeline_dest_schema(const char *pattern, const char *database, const char *schema,
                                      const char *table, pgcdc_buf *out, pgcdc_error *err);

/* Progress of one table's snapshot, reported after every written chunk and
 * once more when the table's snapshot ends (done = true). */
typedef struct pgcdc_pipeline_progress {
    const char *table;          /* schema.table (source names) */
    int64_t rows;               /* rows written to the journal so far */
    int64_t bytes;              /* bytes of those rows as read (COPY data) */
    int64_t rows_estimate;      /* the planner's estimate of the table's rows, -1 unknown */
    uint32_t chunks_done, chunks_total;
    double elapsed_s;           /* since this table's snapshot started */
    bool done;                  /* the last report of this table's snapshot ... */
    bool failed;                /* ... because the table FAILED (done is true too) */
} pgcdc_pipeline_progress;

typedef void (*pgcdc_pipeline_progress_fn)(void *userdata, const pgcdc_pipeline_progress *p);

typedef struct pgcdc_pipeline_run_options {
    bool until_caught_up;                 /* stop once every table is INCREMENTAL_REPLICATION or
                                             FAILED and all committed before then is merged */
    volatile sig_atomic_t *stop;          /* non-zero: stop cleanly (SIGINT/SIGTERM) */
    pgcdc_pipeline_progress_fn progress;  /* optional; called on the thread that runs the pipeline */
    void *progress_userdata;
    /* Interim errors (a server restarted, a connection lost, a cancelled or
     * timed-out statement) are retried with exponential backoff from
     * retry_initial_ms (default 1000) up to retry_max_ms (default 60000);
     * retry_max_attempts > 0 ends the run after that many consecutive failed
     * attempts (0: retry until stopped). */
    int retry_initial_ms, retry_max_ms, retry_max_attempts;
} pgcdc_pipeline_run_options;

typedef struct pgcdc_pipeline_result {
    int tables;           /* tables included */
    int tables_failed;    /* of them in FAILED */
    pgcdc_lsn durable_lsn;
} pgcdc_pipeline_result;

/* Runs the pipeline. PGCDC_OK on a clean stop or when caught up (check
 * result->tables_failed); an error for what stops the whole run (a gap
 * behind the slot is PGCDC_EGAP, connection failures PGCDC_ECONNECT: run
 * again, it resumes from the durable position). */
pgcdc_code pgcdc_pipeline_run(const pgcdc_pipeline_config *cfg, const pgcdc_pipeline_run_options *opt,
                              pgcdc_pipeline_result *result, pgcdc_error *err);

typedef struct pgcdc_pipeline_table_status {
    char table[264];           /* schema.table (source names; "a"."b.c" when a part has a dot or a quote) */
    char state[32];            /* NEW, SNAPSHOT_REPLICATION, INCREMENTAL_REPLICATION, FAILED, REMOVED */
    int64_t rows_snapshotted;
    pgcdc_lsn merged_lsn;      /* 0: nothing merged */
    char message[512];         /* why it FAILED, or that it left the included set ("" otherwise) */
    pgcdc_lsn left_lsn;        /* REMOVED (and snapshotted again since): where it left the set; 0 none */
} pgcdc_pipeline_table_status;

typedef struct pgcdc_pipeline_status {
    char slot_name[64];
    pgcdc_lsn durable_lsn;
    int64_t slot_lag_bytes;    /* -1: unknown (no slot) */
    size_t ntables;
    pgcdc_pipeline_table_status *tables; /* owned */
} pgcdc_pipeline_status;

/* Reads the persisted states from the destination and the slot's lag from
 * the source (a normal connection each). */
pgcdc_code pgcdc_pipeline_status_read(const pgcdc_pipeline_config *cfg, pgcdc_pipeline_status *out,
                                      pgcdc_error *err);
void pgcdc_pipeline_status_free(pgcdc_pipeline_status *st);

#ifdef __cplusplus
}
#endif
#endif
