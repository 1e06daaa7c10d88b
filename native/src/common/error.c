/* error.c - filling pgcdc_error records. */
#include "pgcdc/error.h"
#include "common/text_safe.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

pgcdc_code pgcdc_error_set(pgcdc_error *err, pgcdc_code code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
        pgcdc_utf8_trim(err->message); /* a long message is cut, never inside a character */
        err->code = code;
        err->sqlstate[0] = '\0';
    }
    return code;
}

void pgcdc_error_set_sqlstate(pgcdc_error *err, const char *sqlstate)
{
    if (err)
        snprintf(err->sqlstate, sizeof err->sqlstate, "%s", sqlstate ? sqlstate : "");
}

bool pgcdc_sqlstate_is_interim(const char *s)
{
    if (!s || strlen(s) != 5)
        return false;
    /* whole classes: the server's state, not the statement's */
    static const char *const classes[] = {"08", "40", "53", "58"};
    for (size_t i = 0; i < sizeof classes / sizeof *classes; i++)
        if (!strncmp(s, classes[i], 2))
            return true;
    if (!strncmp(s, "57", 2))
        return strcmp(s, "57P04") != 0; /* database_dropped will not come back */
    static const char *const states[] = {"55P03", "55006", "25006", "72000"};
    for (size_t i = 0; i < sizeof states / sizeof *states; i++)
        if (!strcmp(s, states[i]))
            return true;
    return false;
}

pgcdc_code pgcdc_error_prefix(pgcdc_error *err, const char *fmt, ...)
{
    if (!err)
        return PGCDC_OK;
    char old[PGCDC_ERROR_MAX];
    memcpy(old, err->message, sizeof old);
    old[sizeof old - 1] = '\0';
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    pgcdc_utf8_trim(err->message);
    /* append ": <old message>", cut to fit (on a character boundary) */
    size_t used = strlen(err->message);
    size_t room = sizeof err->message - 1 - used;
    size_t oldlen = strnlen(old, sizeof old - 1);
    const char sep[] = ": ";
    size_t seplen = room < 2 ? room : 2;
    memcpy(err->message + used, sep, seplen);
    used += seplen;
    room -= seplen;
    if (oldlen > room)
        oldlen = pgcdc_utf8_cut(old, room);
    memcpy(err->message + used, old, oldlen);
    err->message[used + oldlen] = '\0';
    return err->code;
}

void pgcdc_error_clear(pgcdc_error *err)
{
    if (err) {
        err->code = PGCDC_OK;
        err->message[0] = '\0';
        err->sqlstate[0] = '\0';
    }
}

const char *pgcdc_code_name(pgcdc_code code)
{
    switch (code) {
    case PGCDC_OK: return "OK";
    case PGCDC_EINVAL: return "EINVAL";
    case PGCDC_ECONNECT: return "ECONNECT";
    case PGCDC_EPREFLIGHT: return "EPREFLIGHT";
    case PGCDC_EPROTOCOL: return "EPROTOCOL";
    case PGCDC_EIO: return "EIO";
    case PGCDC_ENOMEM: return "ENOMEM";
    case PGCDC_EGAP: return "EGAP";
    case PGCDC_EUNSUPPORTED: return "EUNSUPPORTED";
    case PGCDC_EVALUE: return "EVALUE";
    case PGCDC_ESQL: return "ESQL";
    case PGCDC_ETIMEOUT: return "ETIMEOUT";
    case PGCDC_ENOTFOUND: return "ENOTFOUND";
    }
    return "UNKNOWN";
}
