/* relcache.h - the decoder's relation cache: relation id -> the shape last
 * announced by a Relation message, and the diff when a shape changes. */
#ifndef PGCDC_DECODE_RELCACHE_H
#define PGCDC_DECODE_RELCACHE_H

#include "pgcdc/decoder.h"

typedef struct relcache relcache;

relcache *relcache_new(void);
void relcache_free(relcache *rc);

const pgcdc_relation *relcache_get(const relcache *rc, uint32_t relid);

/* The result of installing a shape: the entry now cached, and, if a shape was
 * cached before and differs, the diff against it. old_rel stays valid until the
 * next relcache_install or relcache_release_old. */
typedef struct relcache_update {
    const pgcdc_relation *rel;
    bool is_new;                  /* first shape seen for this relation id */
    bool changed;                 /* a previous shape existed and differs */
    pgcdc_schema_diff diff;       /* valid when changed */
} relcache_update;

/* Installs (copying names) the shape of `rel`. Returns 0, or -1 when out of memory. */
int relcache_install(relcache *rc, const pgcdc_relation *rel, relcache_update *out);

/* Frees the previous shape kept alive for the last update's diff. */
void relcache_release_old(relcache *rc);

#endif
