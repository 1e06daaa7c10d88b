/* connector_util.h - what the live tests of the connector facade
 * (pgcdc/connector.h) share: a configuration for the test cluster and
 * draining the change stream into the destination. */
#ifndef PGCDC_TEST_CONNECTOR_UTIL_H
#define PGCDC_TEST_CONNECTOR_UTIL_H

#include <stddef.h>

#include "pgcdc/connector.h"
#include "pgt.h"

/* A configuration for the cluster: source database srcdb with publication
 * pub and replication slot slot, destination database dstdb, the tables
 * matching table_regex; superuser "postgres" on both sides. */
pgcdc_connector_config *cu_config(const pgt_cluster *cl, const char *srcdb, const char *pub, const char *slot,
                                  const char *dstdb, const char *table_regex);

/* Polls (poll_ms each) until the stream stays quiet for quiet_polls polls,
 * writing every batch (a quiet stream's position too) into the journal and
 * confirming what was made durable. The tables the writes moved to FAILED
 * are appended to failed (comma-separated) unless it is NULL. Returns the
 * batches with transactions written. */
int cu_drain(pgcdc_change_reader *r, pgcdc_destination *d, int quiet_polls, int poll_ms, char *failed,
             size_t flen);

#endif
