/* placeholder.c - the unchanged-TOAST placeholder formatted for a column.
 *
 * pgoutput sends 'u' (no data) for a TOASTed column an UPDATE did not touch.
 * The journal row carries __previous_value_unchanged in its place and the
 * MERGE keeps the destination's previous value. The string must therefore be
 * a value the column can hold; where it cannot, the caller gets
 * PGCDC_EUNSUPPORTED and records "unchanged" in a separate flag instead. */
#include "types_internal.h"

#define PH PGCDC_UNCHANGED_PLACEHOLDER

pgcdc_code pgcdc_value_unchanged_placeholder(const pgcdc_dest_type *t, pgcdc_buf *out, pgcdc_error *err)
{
    if (!t || !out)
        return pgcdc_error_set(err, PGCDC_EINVAL, "pgcdc_value_unchanged_placeholder: NULL argument");
    if (!t->holds_unchanged)
        return pgcdc_error_set(err, PGCDC_EUNSUPPORTED,
                               "a %s column (source type %s) cannot hold the unchanged-TOAST placeholder '%s': "
                               "record the value as unchanged in a separate flag",
                               t->sql, t->pg_name, PH);
    static const char HEX[] = "0123456789ABCDEF", hex[] = "0123456789abcdef";
    bool sf = t->dialect == PGCDC_DIALECT_SNOWFLAKE;
    int rc = 0;
    switch (t->vclass) {
    case PGCDC_VC_BINARY: {
        /* Snowflake BINARY reads hex; bytea reads "\x" + hex */
        const char *digits = sf ? HEX : hex;
        char buf[2 + 2 * (sizeof PH - 1)], *w = buf;
        if (!sf) {
            *w++ = '\\';
            *w++ = 'x';
        }
        for (const char *p = PH; *p; p++) {
            *w++ = digits[(unsigned char)*p >> 4];
            *w++ = digits[(unsigned char)*p & 15];
        }
        rc = pgcdc_buf_append(out, buf, (size_t)(w - buf));
        break;
    }
    case PGCDC_VC_JSON:
        rc = pgcdc_buf_puts(out, "\"" PH "\"");
        break;
    case PGCDC_VC_ARRAY:
        /* a JSON array of the string; a PostgreSQL text[] of it (holds_unchanged
         * is only set for text-like elements there) */
        rc = pgcdc_buf_puts(out, sf ? "[\"" PH "\"]" : "{" PH "}");
        break;
    default: /* TEXT-mapped columns, text, varchar(n >= 26), xml */
        rc = pgcdc_buf_puts(out, PH);
        break;
    }
    return rc == 0 ? PGCDC_OK : pgcdc_out_nomem(err);
}
