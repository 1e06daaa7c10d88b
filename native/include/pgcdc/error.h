/* pgcdc/error.h - error codes and the error record every public call fills.
 *
 * Every fallible call returns a pgcdc_code and, when it fails, writes a
 * message fit to show a user into the caller's pgcdc_error (which may be NULL).
 * Messages never contain a password.
 */
#ifndef PGCDC_ERROR_H
#define PGCDC_ERROR_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum pgcdc_code {
    PGCDC_OK = 0,
    PGCDC_EINVAL,       /* bad input or configuration: fix it and retry */
    PGCDC_ECONNECT,     /* connection failed or lost: interim, retry with backoff */
    PGCDC_EPREFLIGHT,   /* a preflight check failed: the message says what to run */
    PGCDC_EPROTOCOL,    /* the server sent something we cannot decode */
    PGCDC_EIO,          /* local file or system error */
    PGCDC_ENOMEM,       /* out of memory */
    PGCDC_EGAP,         /* the slot is past what we hold durable: changes would be lost */
    PGCDC_EUNSUPPORTED, /* a feature, type or change we do not support */
    PGCDC_EVALUE,       /* a value the destination cannot represent */
    PGCDC_ESQL,         /* a SQL statement failed (permanent unless its sqlstate is interim) */
    PGCDC_ETIMEOUT,     /* nothing arrived in the allotted time (not an error for loops) */
    PGCDC_ENOTFOUND     /* the thing asked for does not exist */
} pgcdc_code;

#define PGCDC_ERROR_MAX 1024

typedef struct pgcdc_error {
    pgcdc_code code;
    char message[PGCDC_ERROR_MAX];
    /* The server's SQLSTATE when a statement failed ("57P01", "42501"), else
     * "". Set with pgcdc_error_set_sqlstate after pgcdc_error_set (which
     * clears it); it survives pgcdc_error_prefix and struct copies. It tells
     * interim errors from permanent ones (pgcdc_sqlstate_is_interim). */
    char sqlstate[6];
} pgcdc_error;

/* Sets err (if not NULL) and returns code, so callers can `return pgcdc_error_set(...)`.
 * Clears err->sqlstate. */
pgcdc_code pgcdc_error_set(pgcdc_error *err, pgcdc_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records the SQLSTATE of the failed statement (NULL or "" clears it; at most
 * five characters are kept). err may be NULL. */
void pgcdc_error_set_sqlstate(pgcdc_error *err, const char *sqlstate);

/* Does this SQLSTATE say the server cannot do it *now* - so that the same
 * statement may well succeed later - rather than that the statement or the
 * data is wrong? Interim: connection exceptions (08), transaction rollback
 * - serialization failure, deadlock - (40), insufficient resources - disk
 * full, out of memory, too many connections - (53), system errors (58),
 * operator intervention (57: admin/crash shutdown, cannot connect now, query
 * cancelled or statement_timeout, idle session timeout; except 57P04,
 * database dropped), lock not available (55P03), object in use (55006),
 * read-only transaction (25006: connected to a standby after a failover),
 * snapshot too old (72000). Everything else - data (22), integrity (23),
 * syntax, undefined objects and permissions (42), feature not supported
 * (0A), internal errors (XX), NULL or "" - is permanent. */
bool pgcdc_sqlstate_is_interim(const char *sqlstate);

/* Prefixes an existing message with context ("while X: <old message>") and
 * returns err->code. With err NULL there is no code to return (PGCDC_OK). */
pgcdc_code pgcdc_error_prefix(pgcdc_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void pgcdc_error_clear(pgcdc_error *err);

/* Short stable name of a code, e.g. "EINVAL". */
const char *pgcdc_code_name(pgcdc_code code);

#ifdef __cplusplus
}
#endif
#endif
