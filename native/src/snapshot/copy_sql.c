/* copy_sql.c - the SQL text of a chunk's COPY. Identifiers go through
 * PQescapeIdentifier, bounds (checked to be TIDs or integers when planned or
 * decoded) through PQescapeLiteral: nothing is spliced in as given. */
#include "snapshot_internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

int snap_quote_ident(PGconn *conn, const char *name, pgcdc_buf *out)
{
    char *q = PQescapeIdentifier(conn, name, strlen(name));
    if (!q)
        return -1;
    int rc = pgcdc_buf_puts(out, q);
    PQfreemem(q);
    return rc;
}

static int put_literal(PGconn *conn, const char *s, pgcdc_buf *out)
{
    char *q = PQescapeLiteral(conn, s, strlen(s));
    if (!q)
        return -1;
    int rc = pgcdc_buf_puts(out, q);
    PQfreemem(q);
    return rc;
}

/* "(page,0)" with page a decimal below 2^32. */
bool snap_tid_bound_valid(const char *s)
{
    if (*s++ != '(')
        return false;
    const char *d = s;
    unsigned long long v = 0;
    while (isdigit((unsigned char)*s)) {
        v = v * 10 + (unsigned)(*s++ - '0');
        if (v > 0xFFFFFFFFull)
            return false;
    }
    return s > d && s - d <= 10 && strcmp(s, ",0)") == 0;
}

/* A decimal integer in int8's range, optional minus sign. */
bool snap_int_bound_valid(const char *s)
{
    const char *p = s;
    bool neg = *p == '-';
    if (neg)
        p++;
    size_t n = strlen(p);
    if (n == 0 || n > 19)
        return false;
    for (const char *q = p; *q; q++)
        if (!isdigit((unsigned char)*q))
            return false;
    if (n == 19 && strcmp(p, neg ? "9223372036854775808" : "9223372036854775807") > 0)
        return false;
    return true;
}

pgcdc_code snap_range_condition(PGconn *conn, const pgcdc_snapshot_plan *plan, const pgcdc_snapshot_range *range,
                                pgcdc_buf *out, pgcdc_error *err)
{
    if (plan->chunking == PGCDC_CHUNKING_NONE)
        return PGCDC_OK;
    bool ctid = plan->chunking == PGCDC_CHUNKING_CTID;
    if (!ctid && (plan->chunking != PGCDC_CHUNKING_KEY || !plan->key_column))
        return pgcdc_error_set(err, PGCDC_EINVAL, "snapshot plan has no key column for its key ranges");
    const char *bounds[2] = {range->lower, range->upper};
    const char *ops[2] = {" >= ", " < "};
    bool first = true;
    for (int i = 0; i < 2; i++) {
        if (!bounds[i][0])
            continue;
        if (ctid ? !snap_tid_bound_valid(bounds[i]) : !snap_int_bound_valid(bounds[i]))
            return pgcdc_error_set(err, PGCDC_EINVAL, "snapshot chunk %u has an invalid %s bound \"%s\"", range->id,
                                   i ? "upper" : "lower", bounds[i]);
        int bad = 0;
        if (!first)
            bad |= pgcdc_buf_puts(out, " AND ");
        bad |= ctid ? pgcdc_buf_puts(out, "ctid") : snap_quote_ident(conn, plan->key_column, out);
        bad |= pgcdc_buf_puts(out, ops[i]);
        bad |= put_literal(conn, bounds[i], out);
        if (ctid)
            bad |= pgcdc_buf_puts(out, "::tid");
        if (bad)
            return pgcdc_error_set(err, PGCDC_ENOMEM, "could not build the condition of snapshot chunk %u: %s",
                                   range->id, PQerrorMessage(conn));
        first = false;
    }
    return PGCDC_OK;
}

pgcdc_code snap_copy_sql(PGconn *conn, const pgcdc_snapshot_table *t, const pgcdc_snapshot_range *range,
                         pgcdc_buf *out, pgcdc_error *err)
{
    pgcdc_buf_reset(out);
    int bad = pgcdc_buf_puts(out, "COPY (SELECT ");
    for (int i = 0; i < t->ncolumns && !bad; i++) {
        if (i)
            bad |= pgcdc_buf_puts(out, ", ");
        bad |= snap_quote_ident(conn, t->columns[i], out);
    }
    /* ONLY: an inheritance parent's snapshot holds its own rows; its
     * children are tables of their own (CDC names them so). A partitioned
     * table has no rows of its own: it is read through its root. */
    bad |= pgcdc_buf_puts(out, t->plan->partitioned ? " FROM " : " FROM ONLY ");
    bad |= snap_quote_ident(conn, t->schema, out);
    bad |= pgcdc_buf_putc(out, '.');
    bad |= snap_quote_ident(conn, t->name, out);
    if (bad)
        return pgcdc_error_set(err, PGCDC_ENOMEM, "could not build the COPY statement for %s.%s: %s", t->schema,
                               t->name, PQerrorMessage(conn));
    if (t->plan->chunking != PGCDC_CHUNKING_NONE && (range->lower[0] || range->upper[0])) {
        if (pgcdc_buf_puts(out, " WHERE ") != 0)
            return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
        pgcdc_code rc = snap_range_condition(conn, t->plan, range, out, err);
        if (rc != PGCDC_OK)
            return rc;
    }
    if (pgcdc_buf_puts(out, t->format == PGCDC_COPY_BINARY ? ") TO STDOUT (FORMAT binary)"
                                                           : ") TO STDOUT (FORMAT text)") != 0)
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
    return PGCDC_OK;
}
