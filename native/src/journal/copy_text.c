/* copy_text.c - COPY text-format fields: escaping, text[] elements, times.
 * Hot path: values are converted straight into the table's COPY buffer and
 * escaped in place only when they hold a character that needs it (rare), so
 * the common value costs one scan and no copy. */
#include <string.h>
#include <time.h>

#include "common/text_safe.h"
#include "journal_internal.h"

static inline bool needs_escape(char c)
{
    return c == '\\' || c == '\t' || c == '\n' || c == '\r';
}

int jcopy_escape(pgcdc_buf *out, const char *s, size_t n)
{
    /* worst case every byte doubles */
    if (pgcdc_buf_reserve(out, 2 * n + 1) != 0)
        return -1;
    char *d = out->data + out->len;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!needs_escape(c)) {
            *d++ = c;
            continue;
        }
        *d++ = '\\';
        *d++ = c == '\\' ? '\\' : c == '\t' ? 't' : c == '\n' ? 'n' : 'r';
    }
    out->len = (size_t)(d - out->data);
    out->data[out->len] = 0;
    return 0;
}

int jcopy_escape_tail(pgcdc_buf *out, size_t from, pgcdc_buf *scratch)
{
    const char *p = out->data + from;
    size_t n = out->len - from, i = 0;
    while (i < n && !needs_escape(p[i]))
        i++;
    if (i == n)
        return 0;
    pgcdc_buf_reset(scratch);
    if (pgcdc_buf_append(scratch, p + i, n - i) != 0)
        return -1;
    out->len = from + i;
    return jcopy_escape(out, scratch->data, scratch->len);
}

int jarray_elem(pgcdc_buf *out, const char *name)
{
    if (pgcdc_buf_putc(out, '"') != 0)
        return -1;
    for (const char *s = name; *s; s++) {
        if ((*s == '"' || *s == '\\') && pgcdc_buf_putc(out, '\\') != 0)
            return -1;
        if (pgcdc_buf_putc(out, *s) != 0)
            return -1;
    }
    return pgcdc_buf_putc(out, '"');
}

int jtimestamp_utc(pgcdc_buf *out, int64_t unix_us)
{
    int64_t secs = unix_us / 1000000, us = unix_us % 1000000;
    if (us < 0) {
        us += 1000000;
        secs--;
    }
    time_t t = (time_t)secs;
    struct tm tm;
    if (!gmtime_r(&t, &tm))
        return pgcdc_buf_puts(out, "\\N");
    return pgcdc_buf_printf(out, "%04d-%02d-%02d %02d:%02d:%02d.%06d+00", tm.tm_year + 1900, tm.tm_mon + 1,
                            tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)us);
}

pgcdc_code jsql_error(PGconn *conn, const PGresult *r, const char *what, pgcdc_error *err)
{
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    bool conn_lost = PQstatus(conn) != CONNECTION_OK || !state || !strncmp(state, "08", 2) ||
                     (!strncmp(state, "57P", 3) && pgcdc_sqlstate_is_interim(state));
    /* the server's message (ERROR, DETAIL, CONTEXT lines) as one line */
    char msg[PGCDC_ERROR_MAX];
    pgcdc_text_copy(msg, sizeof msg, r && PQresultErrorMessage(r)[0] ? PQresultErrorMessage(r) : PQerrorMessage(conn));
    pgcdc_text_one_line(msg);
    size_t n = strlen(msg);
    pgcdc_code rc;
    if (conn_lost)
        rc = pgcdc_error_set(err, PGCDC_ECONNECT,
                             "journal write: the destination connection was lost during %s: %.*s "
                             "(nothing of this batch was committed unless the durable position says so; "
                             "reconnect and write the batch again)",
                             what, (int)n, msg);
    else if (pgcdc_sqlstate_is_interim(state))
        /* cancelled, deadlock, lock or disk full ...: the same batch may well
         * go through later; nothing of it was committed */
        rc = pgcdc_error_set(err, PGCDC_ECONNECT,
                             "journal write: the destination could not complete %s for now: %.*s "
                             "(interim: nothing of this batch was committed; write it again)",
                             what, (int)n, msg);
    else
        rc = pgcdc_error_set(err, PGCDC_ESQL, "journal write: the destination refused %s: %.*s", what, (int)n,
                             msg);
    pgcdc_error_set_sqlstate(err, state);
    return rc;
}
