/* pgcdc/source.h - the PostgreSQL source: configuration from the Openflow
 * "PostgreSQL Source Parameters" and connecting with it.
 *
 * `PostgreSQL Connection URL` may be a JDBC URL
 * (jdbc:postgresql://host:port/db?sslmode=...), a libpq URI
 * (postgresql://...) or a libpq keyword string ("host=... dbname=...").
 * The password is held only in this struct and handed to libpq as a separate
 * parameter; it is never formatted into a connection string, log line or error.
 */
#ifndef PGCDC_SOURCE_H
#define PGCDC_SOURCE_H

#include <stdbool.h>
#include <libpq-fe.h>
#include "pgcdc/error.h"
#include "pgcdc/buf.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PGCDC_MAX_CONN_PARAMS 32

typedef struct pgcdc_source_config {
    /* libpq keyword/value pairs parsed from the URL (host, port, dbname,
     * sslmode, sslrootcert, connect_timeout, application_name, ...), owned. */
    int nparams;
    char *keys[PGCDC_MAX_CONN_PARAMS];
    char *values[PGCDC_MAX_CONN_PARAMS];
    char *username;        /* PostgreSQL Username (overrides a user in the URL) */
    char *password;        /* PostgreSQL Password (sensitive; overrides one in the URL) */
    char *publication;     /* Publication Name */
    char *slot_name;       /* Replication Slot Name, NULL = generate */
} pgcdc_source_config;

/* Names of the parameters pgcdc_source_config_set accepts (Openflow names). */
#define PGCDC_P_CONNECTION_URL "PostgreSQL Connection URL"
#define PGCDC_P_USERNAME       "PostgreSQL Username"
#define PGCDC_P_PASSWORD       "PostgreSQL Password"
#define PGCDC_P_SSL_MODE       "SSL Mode"
#define PGCDC_P_SSL_ROOT_CERT  "SSL Root Certificate"
#define PGCDC_P_PUBLICATION    "Publication Name"
#define PGCDC_P_SLOT_NAME      "Replication Slot Name"
#define PGCDC_P_JDBC_DRIVER    "PostgreSQL JDBC Driver" /* accepted and ignored: libpq needs no driver */

void pgcdc_source_config_init(pgcdc_source_config *cfg);
void pgcdc_source_config_free(pgcdc_source_config *cfg);

/* Sets one parameter by its Openflow name. Empty value = not set.
 * Unknown name or malformed value: PGCDC_EINVAL with a message naming the
 * parameter and what is wrong (never echoing a password). */
pgcdc_code pgcdc_source_config_set(pgcdc_source_config *cfg, const char *name, const char *value,
                                   pgcdc_error *err);

/* Checks that everything required is present and consistent. */
pgcdc_code pgcdc_source_config_validate(const pgcdc_source_config *cfg, pgcdc_error *err);

/* A one-line description for logs: host, port, database, user, sslmode; the
 * password is shown as "********" if set. */
void pgcdc_source_config_describe(const pgcdc_source_config *cfg, pgcdc_buf *out);

/* Opens a connection. replication=true opens a logical replication
 * connection (replication=database). Fails with PGCDC_ECONNECT (interim) or
 * PGCDC_EINVAL (bad credentials/config); the message never contains the password. */
pgcdc_code pgcdc_source_connect(const pgcdc_source_config *cfg, bool replication, PGconn **out,
                                pgcdc_error *err);

/* Server major version (10, 11, ... 18) of an open connection. */
int pgcdc_server_major(PGconn *conn);

#ifdef __cplusplus
}
#endif
#endif
