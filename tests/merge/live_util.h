/* live_util.h - running planned SQL on a live PostgreSQL in the merge tests:
 * set a table up, load journal rows with plain INSERTs, run a merge in one
 * transaction with its four parameters, read a table back as text. */
#ifndef MERGE_LIVE_UTIL_H
#define MERGE_LIVE_UTIL_H

#include <libpq-fe.h>
#include <stdint.h>
#include "pgcdc/merge.h"

#define LU_ALL INT64_MAX /* a bound SEQ that takes the whole transaction */

/* schema, state, destination table, journal; a failure fails the test */
void lu_setup(PGconn *conn, const pgcdc_merge_table *t);
/* only the journal generation (after a schema change) */
void lu_create_journal(PGconn *conn, const pgcdc_merge_table *t);
/* runs every statement of l in order, without parameters */
void lu_run_list(PGconn *conn, const pgcdc_sql_list *l);

/* One journal row: cols is a comma-separated list of quoted column names,
 * vals the matching SQL literals; unchanged NULL or an array literal like
 * '{body}'. */
void lu_journal(PGconn *conn, const pgcdc_merge_table *t, const char *cols, const char *vals, int64_t lsn,
                int64_t seq, char op, const char *unchanged);

/* The merge up to (lsn, seq) in one transaction; returns 0, or -1 with the
 * server's message printed (for tests that expect a failure). */
int lu_merge(PGconn *conn, const pgcdc_merge_table *t, int64_t lsn, int64_t seq);

/* pgcdc_merge_sql_reset_state, run with its parameters */
int lu_reset(PGconn *conn, const pgcdc_merge_table *t);

/* "(...)\n(...)" - each row of SELECT cols FROM <dest> ORDER BY order as a row
 * literal; malloc'd. */
char *lu_dump(PGconn *conn, const pgcdc_merge_table *t, const char *cols, const char *order);

/* the quoted qualified destination / journal name (static buffer, one at a time) */
const char *lu_dest(const pgcdc_merge_table *t);
const char *lu_journal_name(const pgcdc_merge_table *t);

#endif
