/* connector_internal.h - what the connector's files share. */
#ifndef PGCDC_CONNECTOR_INTERNAL_H
#define PGCDC_CONNECTOR_INTERNAL_H

#include "pgcdc/connector.h"
#include "../pipeline/pipeline_internal.h"

struct pgcdc_connector_config {
    pgcdc_pipeline_config pl;
    size_t n;          /* parameters set, in order, to replay for a copy */
    char **names;
    char **values;
};

/* The batch without the changes and snapshot rows of tables keep() refuses
 * (into out, re-encoded), or *filtered = false when every table is kept. */
typedef bool (*cn_keep_fn)(void *ud, const char *schema, const char *table);
pgcdc_code cn_batch_filter(const struct Pgcdc__V1__ChangeBatch *m, cn_keep_fn keep, void *ud, pgcdc_buf *out,
                           bool *filtered, pgcdc_error *err);

/* Splits "schema.table" (the first dot), or the quoted form of pl_table_key,
 * into catalog names. */
pgcdc_code cn_split_table(const char *qualified, char schema[64], char table[64], pgcdc_error *err);

/* ---- chunk descriptors (chunk_codec.c) ---- */
/* One chunk of a table's snapshot: its own range only, so a descriptor's
 * size does not grow with the chunk count. Nothing in it is trusted: the
 * fetch reads it only if it is the one the session recorded (plan_record.c). */
typedef struct cn_chunk {
    char slot[64];               /* the session's temporary slot (its consistent point) */
    char snapshot_name[64];
    pgcdc_lsn snapshot_lsn;
    char database[64];
    char schema[64], table[64];
    bool binary;                 /* COPY format */
    size_t ncols;
    char (*colnames)[64];
    pgcdc_column *cols;          /* names point into colnames */
    const char **colptrs;
    pgcdc_chunking chunking;     /* of the table's plan */
    char key_column[64];         /* KEY chunking */
    bool partitioned;
    uint32_t chunk_id, nchunks;  /* this chunk's place in the plan */
    char lower[PGCDC_SNAPSHOT_BOUND_MAX], upper[PGCDC_SNAPSHOT_BOUND_MAX]; /* "" = open */
} cn_chunk;

#define CN_CHUNK_MAX_COLUMNS 1664 /* PostgreSQL's MaxTupleAttributeNumber */
#define CN_CHUNK_MAX_CHUNKS 1000000

pgcdc_code cn_chunk_encode(const cn_chunk *c, pgcdc_buf *out, pgcdc_error *err);
pgcdc_code cn_chunk_decode(const uint8_t *data, size_t len, cn_chunk *out, pgcdc_error *err);
void cn_chunk_clear(cn_chunk *c);

/* The chunk as a plan the snapshot reader takes: at most three ranges (below,
 * the chunk, above), the others in done; *idx = the chunk's range. The plan
 * is checked like any plan (bounds, order). */
pgcdc_code cn_chunk_window(const cn_chunk *c, pgcdc_snapshot_plan *plan, uint32_t done[2], uint32_t *ndone,
                           uint32_t *idx, pgcdc_error *err);

/* ---- the session's plan, recorded on the destination (plan_record.c) ---- */
/* Records chunks (the descriptors of one table's plan, c their common part)
 * in <state schema>."_PGCDC_SNAPSHOT_PLAN" in one transaction, and prunes
 * the records of sessions whose temporary slot is gone from src. *dst is the
 * caller's destination connection, opened here when NULL. */
pgcdc_code cn_plan_record_write(const pgcdc_connector_config *cfg, PGconn **dst, PGconn *src, const cn_chunk *c,
                                const pgcdc_buf *chunks, size_t n, pgcdc_error *err);
/* PGCDC_OK when desc (decoded into c) is byte for byte the descriptor
 * recorded for its session, table and chunk id; PGCDC_EINVAL naming what
 * differs otherwise (*unrecorded: the session has no record of the table at
 * all). A session's record is read from the destination once per process. */
pgcdc_code cn_plan_record_check(const pgcdc_connector_config *cfg, const cn_chunk *c, const uint8_t *desc,
                                size_t len, bool *unrecorded, pgcdc_error *err);

#endif
