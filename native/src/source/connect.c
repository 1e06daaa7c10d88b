/* connect.c - opening connections to the source, normal or logical
 * replication (replication=database), with the session settings the rest of
 * the library relies on.
 *
 * Why the session settings: pgoutput sends column values in their text output
 * form, produced by the walsender under *its* session's DateStyle, TimeZone,
 * extra_float_digits, bytea_output and IntervalStyle. The type converter
 * parses exactly one form of each, so every connection (the walsender and the
 * snapshot readers alike) is pinned to it through the startup `options`.
 *
 * The password travels only as libpq's separate "password" parameter; it is
 * never put into a connection string, and it is scrubbed from every message
 * we pass on, in case libpq or a server ever echoes it. */
#include "pgcdc/source.h"
#include "common/text_safe.h"
#include "pgcdc/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Appended to any user-given `options`. No value contains a space, so no
 * backslash escaping is needed inside the options string. */
#define SESSION_OPTIONS \
    "-c datestyle=ISO -c timezone=UTC -c extra_float_digits=3 " \
    "-c bytea_output=hex -c intervalstyle=postgres -c lc_monetary=C"

#define DEFAULT_APPLICATION_NAME "pgcdc"
/* libpq waits for a TCP connection as long as the OS lets it (minutes) when
 * no connect_timeout is set; a bounded wait keeps retries and the stream's
 * side connection responsive. Seconds; a user-given value wins. */
#define DEFAULT_CONNECT_TIMEOUT "15"

/* Room for the user's parameters plus the ones we add. */
#define MAX_PARAMS (PGCDC_MAX_CONN_PARAMS + 8)

static const char *find_param(const pgcdc_source_config *cfg, const char *key)
{
    for (int i = 0; i < cfg->nparams; i++)
        if (cfg->keys[i] && strcmp(cfg->keys[i], key) == 0)
            return cfg->values[i];
    return NULL;
}

/* Replaces each occurrence of secret in text (a buffer of size bytes) by
 * "********"; if the mask would not fit, the secret's own characters are
 * starred instead. Either way the secret is gone. */
static void scrub_one(const char *secret, char *text, size_t size)
{
    if (!secret || !*secret || !text || size == 0)
        return;
    static const char mask[] = "********";
    size_t slen = strlen(secret), mlen = sizeof mask - 1;
    char *p = text;
    while ((p = strstr(p, secret)) != NULL) {
        size_t tail = strlen(p + slen);
        size_t used = (size_t)(p - text) + slen + tail + 1;
        if (mlen <= slen || used + (mlen - slen) <= size) {
            memmove(p + mlen, p + slen, tail + 1);
            memcpy(p, mask, mlen);
            p += mlen;
        } else {
            memset(p, '*', slen);
            p += slen;
        }
    }
}

void pgcdc_source_scrub_secret(const pgcdc_source_config *cfg, char *text, size_t size)
{
    if (!cfg || !text)
        return;
    scrub_one(cfg->password, text, size);
    scrub_one(find_param(cfg, "password"), text, size);
    scrub_one(find_param(cfg, "sslpassword"), text, size);
}

/* libpq reports connection failures as text only (no SQLSTATE), so the
 * failure class is read from the message: the phrases below are those of
 * libpq and the server's startup errors. Anything not recognised as a
 * configuration or credential problem is treated as interim. */
static pgcdc_code classify_failure(PGconn *conn, const char *msg)
{
    static const char *const permanent[] = {
        "password authentication failed",
        "authentication failed",
        "no pg_hba.conf entry",
        "pg_hba.conf rejects",
        "does not exist",               /* database "x" / role "x" does not exist */
        "no password supplied",
        "password is required",
        "must be superuser or replication role", /* walsender, PG <= 15 */
        "permission denied",            /* walsender (PG 16+), CONNECT privilege */
        "not permitted to log in",
        "invalid connection option",
        "invalid sslmode",
        "invalid value for parameter",
        "invalid integer value",
        "invalid port number",
        "invalid URI",
        "missing \"=\"",
        "unterminated quoted string",
        "server does not support SSL",
        "certificate",
    };
    if (conn && PQconnectionNeedsPassword(conn))
        return PGCDC_EINVAL;
    if (msg) {
        for (size_t i = 0; i < sizeof permanent / sizeof permanent[0]; i++)
            if (strstr(msg, permanent[i]))
                return PGCDC_EINVAL;
    }
    return PGCDC_ECONNECT;
}

/* Server notices (e.g. PG 18's WARNING "skipped loading publication") go
 * to the log, warnings as warnings. A notice never carries our password. */
static void notice_to_log(void *arg, const PGresult *res)
{
    (void)arg;
    const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
    if (!sev)
        sev = PQresultErrorField(res, PG_DIAG_SEVERITY);
    char line[1024];
    snprintf(line, sizeof line, "%s", PQresultErrorMessage(res));
    pgcdc_source_flatten_message(line);
    pgcdc_log(sev && strcmp(sev, "WARNING") == 0 ? PGCDC_LOG_WARN : PGCDC_LOG_INFO, "server: %s", line);
}

void pgcdc_source_flatten_message(char *text)
{
    /* libpq and server messages span lines (DETAIL, HINT, CONTEXT, "connection
     * to server ... failed:"); a user-facing message is one line. */
    pgcdc_text_one_line(text);
}

pgcdc_code pgcdc_source_connect(const pgcdc_source_config *cfg, bool replication, PGconn **out,
                                pgcdc_error *err)
{
    *out = NULL;
    if (!cfg)
        return pgcdc_error_set(err, PGCDC_EINVAL, "no source configuration given");
    if (cfg->nparams < 0 || cfg->nparams > PGCDC_MAX_CONN_PARAMS)
        return pgcdc_error_set(err, PGCDC_EINVAL, "source configuration holds %d connection parameters (max %d)",
                               cfg->nparams, PGCDC_MAX_CONN_PARAMS);

    const char *keys[MAX_PARAMS + 1];
    const char *values[MAX_PARAMS + 1];
    int n = 0;
    const char *user_options = NULL;
    bool have_appname = false, have_timeout = false, have_encoding = false;

    for (int i = 0; i < cfg->nparams; i++) {
        const char *k = cfg->keys[i], *v = cfg->values[i];
        if (!k || !v)
            continue;
        /* Ours to decide or to merge: */
        if (strcmp(k, "replication") == 0)
            continue;
        if (strcmp(k, "options") == 0) {
            user_options = v;
            continue;
        }
        /* The separate Username/Password parameters override the URL's. */
        if (strcmp(k, "user") == 0 && cfg->username && *cfg->username)
            continue;
        if (strcmp(k, "password") == 0 && cfg->password && *cfg->password)
            continue;
        if (strcmp(k, "application_name") == 0 && *v)
            have_appname = true;
        if (strcmp(k, "connect_timeout") == 0 && *v)
            have_timeout = true;
        if (strcmp(k, "client_encoding") == 0 && *v)
            have_encoding = true;
        keys[n] = k;
        values[n] = v;
        n++;
    }
    if (cfg->username && *cfg->username) {
        keys[n] = "user";
        values[n++] = cfg->username;
    }
    if (cfg->password && *cfg->password) {
        keys[n] = "password";
        values[n++] = cfg->password;
    }
    if (replication) {
        keys[n] = "replication";
        values[n++] = "database";
    }
    if (!have_appname) {
        keys[n] = "application_name";
        values[n++] = DEFAULT_APPLICATION_NAME;
    }
    if (!have_timeout) {
        keys[n] = "connect_timeout";
        values[n++] = DEFAULT_CONNECT_TIMEOUT;
    }
    /* Snapshot rows and everything we read back are handled as UTF-8. (The
     * walsender does not convert pgoutput data; that is the database encoding.) */
    if (!have_encoding) {
        keys[n] = "client_encoding";
        values[n++] = "UTF8";
    }

    char *options = NULL;
    if (user_options && *user_options) {
        size_t len = strlen(user_options) + 1 + sizeof SESSION_OPTIONS;
        options = malloc(len);
        if (!options)
            return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory while connecting");
        snprintf(options, len, "%s %s", user_options, SESSION_OPTIONS);
    }
    keys[n] = "options";
    values[n++] = options ? options : SESSION_OPTIONS;
    keys[n] = NULL;
    values[n] = NULL;

    /* expand_dbname=0: the keys come parsed already; a dbname holding '='
     * is a name, not a connection string. */
    PGconn *conn = PQconnectdbParams(keys, values, 0);
    free(options);
    if (!conn)
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory while connecting to PostgreSQL");

    if (PQstatus(conn) != CONNECTION_OK) {
        char msg[PGCDC_ERROR_MAX - 128];
        snprintf(msg, sizeof msg, "%s", PQerrorMessage(conn));
        pgcdc_source_flatten_message(msg);
        pgcdc_source_scrub_secret(cfg, msg, sizeof msg);
        pgcdc_code code = classify_failure(conn, msg);
        PQfinish(conn);
        if (code == PGCDC_EINVAL)
            return pgcdc_error_set(err, code,
                                   "could not connect to PostgreSQL%s: %s. Check the connection URL, "
                                   "database name, username and password, and that the role may connect%s",
                                   replication ? " for replication" : "", msg,
                                   replication ? " with REPLICATION (pg_hba.conf must allow it)" : "");
        return pgcdc_error_set(err, code,
                               "could not connect to PostgreSQL%s: %s. This may be interim (server down, "
                               "unreachable or busy); it will be retried",
                               replication ? " for replication" : "", msg);
    }
    PQsetNoticeReceiver(conn, notice_to_log, NULL);
    *out = conn;
    return PGCDC_OK;
}

int pgcdc_server_major(PGconn *conn)
{
    int v = conn ? PQserverVersion(conn) : 0;
    if (v <= 0)
        return 0;
    /* From 10 on, the version is MMmmmm; before, MMmmpp (9.6 -> 90600),
     * whose major version we report as 9: callers only compare with 10+. */
    return v / 10000;
}
