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
typedef struct cn_chunk {
    char snapshot_name[64];
    pgcdc_lsn snapshot_lsn;
    char database[64];
    char schema[64], table[64];
    bool binary;                 /* COPY format */
    size_t ncols;
    char (*colnames)[64];
    pgcdc_column *cols;          /* names point into colnames */
    const char **colptrs;
    uint32_t chunk_id;
    pgcdc_snapshot_plan plan;    /* the table's whole plan: the other chunks are skipped */
} cn_chunk;

pgcdc_code cn_chunk_encode(const cn_chunk *c, pgcdc_buf *out, pgcdc_error *err);
pgcdc_code cn_chunk_decode(const uint8_t *data, size_t len, cn_chunk *out, pgcdc_error *err);
void cn_chunk_clear(cn_chunk *c);

#endif
