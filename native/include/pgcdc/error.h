/* pgcdc/error.h - error codes and the error record every public call fills.
 *
 * Every fallible call returns a pgcdc_code and, when it fails, writes a
 * message fit to show a user into the caller's pgcdc_error (which may be NULL).
 * Messages never contain a password.
 */
#ifndef PGCDC_ERROR_H
#define PGCDC_ERROR_H

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
    PGCDC_ESQL,         /* a SQL statement failed (permanent) */
    PGCDC_ETIMEOUT,     /* nothing arrived in the allotted time (not an error for loops) */
    PGCDC_ENOTFOUND     /* the thing asked for does not exist */
} pgcdc_code;

#define PGCDC_ERROR_MAX 1024

typedef struct pgcdc_error {
    pgcdc_code code;
    char message[PGCDC_ERROR_MAX];
} pgcdc_error;

/* Sets err (if not NULL) and returns code, so callers can `return pgcdc_error_set(...)`. */
pgcdc_code pgcdc_error_set(pgcdc_error *err, pgcdc_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

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
