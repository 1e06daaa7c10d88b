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
    const char *url_param; /* the parameter the URL parser's warnings name: PostgreSQL
                              Connection URL (init), or the caller's own (a static
                              string, e.g. Destination Connection URL) */

    /* Private to config.c: the parameter values keys/values are rebuilt from,
     * so that SSL Mode and SSL Root Certificate win over the URL whatever
     * order the parameters are set in. Do not read them elsewhere. */
    char *url;             /* PostgreSQL Connection URL as given (may hold a password) */
    char *ssl_mode;        /* SSL Mode, normalised ("verify-full"); NULL = the URL's */
    char *ssl_root_cert;   /* SSL Root Certificate as a file path; NULL = the URL's */
    char *root_cert_tmp;   /* private 0600 file holding PEM text given as SSL Root
                              Certificate; removed by pgcdc_source_config_free */
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

/* Sets one parameter by its Openflow name (case and surrounding blanks are
 * forgiven). Empty value = not set; values other than the password are
 * trimmed. Unknown name or malformed value: PGCDC_EINVAL with a message naming
 * the parameter and what is wrong (never echoing a password; an unknown name
 * gets the closest known one suggested). On failure cfg keeps its old value.
 * SSL Root Certificate takes a file path or the PEM text itself (written to a
 * private temp file). A database is required in the URL (validate). */
pgcdc_code pgcdc_source_config_set(pgcdc_source_config *cfg, const char *name, const char *value,
                                   pgcdc_error *err);

/* The value of libpq keyword key in cfg->keys ("host", "dbname", ...), NULL if unset. */
const char *pgcdc_source_config_get(const pgcdc_source_config *cfg, const char *key);

/* libpq's spelling of an SSL mode given in any case, with '_' or '-'
 * ("VERIFY_FULL" -> "verify-full"); NULL if it is none of the six. */
const char *pgcdc_sslmode_normalize(const char *s);

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

/* Replaces every occurrence of the configured password (the Password
 * parameter or one from the URL) in text, a NUL-terminated string in a buffer
 * of size bytes, with "********": for any message that may quote libpq. */
void pgcdc_source_scrub_secret(const pgcdc_source_config *cfg, char *text, size_t size);

/* Folds a multi-line libpq/server message into one line in place (runs of
 * whitespace and line breaks become one space, none at either end). */
void pgcdc_source_flatten_message(char *text);

#ifdef __cplusplus
}
#endif
#endif
