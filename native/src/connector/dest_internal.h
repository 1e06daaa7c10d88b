/* dest_internal.h - the destination's files (destination.c, dest_write.c). */
#ifndef PGCDC_DEST_INTERNAL_H
#define PGCDC_DEST_INTERNAL_H

#include "connector_internal.h"

typedef struct cn_table {
    pl_table t;          /* the pipeline's table; its address never changes */
    bool known;          /* the journal writer has it (registered, or skipping it) */
} cn_table;

struct pgcdc_destination {
    pgcdc_connector_config *cfg;
    pl_ctx x;                    /* x.tables stays empty: tables are in t */
    pgcdc_table_selection *sel;
    cn_table **t;
    size_t n;
    pgcdc_buf scratch;           /* a filtered batch */
};

cn_table *cn_find(pgcdc_destination *d, const char *schema, const char *name);
pgcdc_code cn_entry(pgcdc_destination *d, const char *schema, const char *name, cn_table **out, pgcdc_error *err);
pgcdc_code cn_load(pgcdc_destination *d, cn_table *ct, pgcdc_error *err);

#endif
