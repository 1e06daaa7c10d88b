/* pgcdc/lsn.h - PostgreSQL WAL positions (LSN) as 64-bit integers. */
#ifndef PGCDC_LSN_H
#define PGCDC_LSN_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef uint64_t pgcdc_lsn;
#define PGCDC_INVALID_LSN ((pgcdc_lsn)0)
#define PGCDC_LSN_STRLEN 20 /* "FFFFFFFF/FFFFFFFF" + NUL, rounded up */

/* Writes "X/Y" as PostgreSQL prints it; returns out. */
char *pgcdc_lsn_format(pgcdc_lsn lsn, char out[PGCDC_LSN_STRLEN]);
/* Parses "X/Y" (hex halves); returns 0 on success, -1 if malformed. */
int pgcdc_lsn_parse(const char *s, pgcdc_lsn *out);

/* PostgreSQL timestamps: microseconds since 2000-01-01 00:00:00 UTC. */
#define PGCDC_PG_EPOCH_UNIX_SECONDS 946684800LL
static inline int64_t pgcdc_pgtime_to_unix_us(int64_t pg_us) { return pg_us + PGCDC_PG_EPOCH_UNIX_SECONDS * 1000000LL; }
static inline int64_t pgcdc_unix_us_to_pgtime(int64_t unix_us) { return unix_us - PGCDC_PG_EPOCH_UNIX_SECONDS * 1000000LL; }

#ifdef __cplusplus
}
#endif
#endif
