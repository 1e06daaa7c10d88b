/* map.c - resolved PostgreSQL type + dialect -> destination column type and
 * value class. The tables are in docs/types.md; the rules that need a
 * decision are commented where they are made. */
#include "types_internal.h"

#include <stdio.h>
#include <string.h>

/* Snowflake NUMBER limits. */
#define SF_MAX_PRECISION 38
#define SF_MAX_SCALE 37

/* What one scalar (a column, or an array's element) maps to. */
typedef struct scalar_map {
    pgcdc_value_class vclass;
    char sql[64]; /* the longest spelling is "timestamp(6) without time zone" */
    int precision, scale;
    size_t max_bytes;
    bool holds_unchanged;
} scalar_map;

/* fractional-second digits of time/timestamp typmods: -1 = default 6 */
static int time_precision(int32_t typmod)
{
    return typmod >= 0 && typmod <= 6 ? (int)typmod : 6;
}

/* interval typmod: field mask in the high half, precision in the low half */
static void interval_spelling(int32_t typmod, char *dst, size_t n)
{
    if (typmod < 0) {
        snprintf(dst, n, "interval");
        return;
    }
    enum { MONTH = 1 << 1, YEAR = 1 << 2, DAY = 1 << 3, HOUR = 1 << 10, MINUTE = 1 << 11, SECOND = 1 << 12 };
    int fields = (typmod >> 16) & 0x7FFF, prec = typmod & 0xFFFF;
    const char *f = "";
    switch (fields) {
    case YEAR: f = " year"; break;
    case MONTH: f = " month"; break;
    case DAY: f = " day"; break;
    case HOUR: f = " hour"; break;
    case MINUTE: f = " minute"; break;
    case SECOND: f = " second"; break;
    case YEAR | MONTH: f = " year to month"; break;
    case DAY | HOUR: f = " day to hour"; break;
    case DAY | HOUR | MINUTE: f = " day to minute"; break;
    case DAY | HOUR | MINUTE | SECOND: f = " day to second"; break;
    case HOUR | MINUTE: f = " hour to minute"; break;
    case HOUR | MINUTE | SECOND: f = " hour to second"; break;
    case MINUTE | SECOND: f = " minute to second"; break;
    default: break; /* 0x7FFF: all fields */
    }
    if (prec != 0xFFFF)
        snprintf(dst, n, "interval%s(%d)", f, prec);
    else
        snprintf(dst, n, "interval%s", f);
}

/* format_type()'s spelling of a built-in type with its typmod. */
static void pg_spelling(const pgcdc_builtin_type *b, int32_t typmod, char *dst, size_t n)
{
    int p, s;
    switch (b->oid) {
    case OID_NUMERIC:
        if (pgcdc_numeric_typmod(typmod, &p, &s))
            snprintf(dst, n, "numeric(%d,%d)", p, s);
        else
            snprintf(dst, n, "numeric");
        return;
    case OID_BPCHAR:
        if (typmod >= 4)
            snprintf(dst, n, "character(%d)", (int)(typmod - 4));
        else
            snprintf(dst, n, "bpchar");
        return;
    case OID_VARCHAR:
        if (typmod >= 4)
            snprintf(dst, n, "character varying(%d)", (int)(typmod - 4));
        else
            snprintf(dst, n, "character varying");
        return;
    case OID_BIT:
    case OID_VARBIT:
        if (typmod >= 0)
            snprintf(dst, n, "%s(%d)", b->spelling, (int)typmod);
        else
            snprintf(dst, n, "%s", b->spelling);
        return;
    case OID_TIME:
    case OID_TIMETZ:
    case OID_TIMESTAMP:
    case OID_TIMESTAMPTZ:
        if (typmod >= 0) {
            /* "timestamp(3) without time zone": the precision goes after the first word */
            const char *sp = strchr(b->spelling, ' ');
            snprintf(dst, n, "%.*s(%d)%s", (int)(sp - b->spelling), b->spelling, (int)typmod, sp);
        } else {
            snprintf(dst, n, "%s", b->spelling);
        }
        return;
    case OID_INTERVAL:
        interval_spelling(typmod, dst, n);
        return;
    default:
        snprintf(dst, n, "%s", b->spelling);
        return;
    }
}

/* numeric(p,s) in Snowflake. NUMBER holds precision <= 38 and scale 0..37.
 * A negative scale (PostgreSQL 15+, numeric(5,-2) rounds to hundreds) holds
 * integers of p - s digits: NUMBER(p - s, 0). A scale above the precision
 * (numeric(2,5): |x| < 0.001) needs NUMBER(s, s). Everything else -
 * unconstrained numeric, precision above 38, scale above 37 - would be rounded
 * by any NUMBER, so it is kept as its exact decimal text in a TEXT column
 * (docs/types.md, "numeric beyond NUMBER"). */
static void map_snowflake_numeric(int32_t typmod, scalar_map *m)
{
    int p, s;
    if (pgcdc_numeric_typmod(typmod, &p, &s)) {
        int dp = p, ds = s;
        if (s < 0) {
            dp = p - s;
            ds = 0;
        } else if (s > p) {
            dp = s;
        }
        if (dp >= 1 && dp <= SF_MAX_PRECISION && ds <= SF_MAX_SCALE) {
            m->vclass = PGCDC_VC_NUMERIC;
            snprintf(m->sql, sizeof m->sql, "NUMBER(%d,%d)", dp, ds);
            m->precision = dp;
            m->scale = ds;
            return;
        }
    }
    m->vclass = PGCDC_VC_NUMERIC_TEXT;
    snprintf(m->sql, sizeof m->sql, "TEXT");
    m->max_bytes = PGCDC_SNOWFLAKE_MAX_TEXT_BYTES;
    m->holds_unchanged = true;
}

static void map_snowflake(uint32_t oid, int32_t typmod, scalar_map *m)
{
    const pgcdc_builtin_type *b = pgcdc_builtin_by_oid(oid);
    /* Not built in (enum, composite, user range, extension type): its text form. */
    pgcdc_value_class vc = b ? b->vclass : PGCDC_VC_TEXT;
    m->vclass = vc;
    m->precision = m->scale = -1;
    m->max_bytes = 0;
    m->holds_unchanged = false;
    switch (vc) {
    case PGCDC_VC_INT:
        snprintf(m->sql, sizeof m->sql, "NUMBER(38,0)");
        m->precision = 38;
        m->scale = 0;
        return;
    case PGCDC_VC_NUMERIC:
        map_snowflake_numeric(typmod, m);
        return;
    case PGCDC_VC_FLOAT:
    case PGCDC_VC_MONEY:
        snprintf(m->sql, sizeof m->sql, "FLOAT");
        return;
    case PGCDC_VC_BOOL:
        snprintf(m->sql, sizeof m->sql, "BOOLEAN");
        return;
    case PGCDC_VC_BINARY:
        snprintf(m->sql, sizeof m->sql, "BINARY");
        m->max_bytes = PGCDC_SNOWFLAKE_MAX_BINARY_BYTES;
        m->holds_unchanged = true;
        return;
    case PGCDC_VC_DATE:
        snprintf(m->sql, sizeof m->sql, "DATE");
        return;
    case PGCDC_VC_TIME:
        m->precision = time_precision(typmod);
        snprintf(m->sql, sizeof m->sql, "TIME(%d)", m->precision);
        return;
    case PGCDC_VC_TIMETZ:
        /* Snowflake has no time-with-zone: a TIMESTAMP_TZ on 1970-01-01 */
        m->precision = time_precision(typmod);
        snprintf(m->sql, sizeof m->sql, "TIMESTAMP_TZ(%d)", m->precision);
        return;
    case PGCDC_VC_TIMESTAMP:
        m->precision = time_precision(typmod);
        snprintf(m->sql, sizeof m->sql, "TIMESTAMP_NTZ(%d)", m->precision);
        return;
    case PGCDC_VC_TIMESTAMPTZ:
        m->precision = time_precision(typmod);
        snprintf(m->sql, sizeof m->sql, "TIMESTAMP_LTZ(%d)", m->precision);
        return;
    case PGCDC_VC_JSON:
        snprintf(m->sql, sizeof m->sql, "VARIANT");
        m->max_bytes = PGCDC_SNOWFLAKE_MAX_TEXT_BYTES;
        m->holds_unchanged = true;
        return;
    case PGCDC_VC_INTERVAL:
        m->precision = typmod >= 0 && (typmod & 0xFFFF) != 0xFFFF ? (typmod & 0xFFFF) : 6;
        snprintf(m->sql, sizeof m->sql, "TEXT");
        m->max_bytes = PGCDC_SNOWFLAKE_MAX_TEXT_BYTES;
        m->holds_unchanged = true;
        return;
    default:
        snprintf(m->sql, sizeof m->sql, "TEXT");
        m->max_bytes = PGCDC_SNOWFLAKE_MAX_TEXT_BYTES;
        m->holds_unchanged = true;
        return;
    }
}

/* The PostgreSQL dialect: a built-in type maps to itself with the same
 * typmod; what the destination may not have (user types: enums, composites,
 * ranges, extension types) or whose values name source objects (reg*,
 * aclitem) is carried as text. */
static void map_postgres(uint32_t oid, int32_t typmod, scalar_map *m)
{
    const pgcdc_builtin_type *b = pgcdc_builtin_by_oid(oid);
    m->precision = m->scale = -1;
    m->max_bytes = 0;
    m->holds_unchanged = false;
    if (!b || (b->flags & PGCDC_BT_PG_AS_TEXT)) {
        m->vclass = PGCDC_VC_TEXT;
        snprintf(m->sql, sizeof m->sql, "text");
        m->holds_unchanged = true;
        return;
    }
    m->vclass = b->vclass;
    pg_spelling(b, typmod, m->sql, sizeof m->sql);
    switch (b->vclass) {
    case PGCDC_VC_NUMERIC: {
        int p, s;
        if (pgcdc_numeric_typmod(typmod, &p, &s)) {
            m->precision = p;
            m->scale = s;
        }
        return;
    }
    case PGCDC_VC_INT:
        return;
    case PGCDC_VC_TIME:
    case PGCDC_VC_TIMETZ:
    case PGCDC_VC_TIMESTAMP:
    case PGCDC_VC_TIMESTAMPTZ:
        m->precision = time_precision(typmod);
        return;
    case PGCDC_VC_INTERVAL:
        m->precision = typmod >= 0 && (typmod & 0xFFFF) != 0xFFFF ? (typmod & 0xFFFF) : 6;
        return;
    case PGCDC_VC_TEXT:
        /* varchar(n)/char(n) hold the 26-character placeholder only if n >= 26 */
        m->holds_unchanged = typmod < 4 || (typmod - 4) >= (int32_t)(sizeof PGCDC_UNCHANGED_PLACEHOLDER - 1);
        return;
    case PGCDC_VC_BINARY:
    case PGCDC_VC_JSON:
        m->holds_unchanged = true;
        return;
    default:
        m->holds_unchanged = oid == OID_XML; /* plain text is valid xml content */
        return;
    }
}

static void map_scalar(uint32_t oid, int32_t typmod, pgcdc_dialect d, scalar_map *m)
{
    memset(m, 0, sizeof *m);
    if (d == PGCDC_DIALECT_SNOWFLAKE)
        map_snowflake(oid, typmod, m);
    else
        map_postgres(oid, typmod, m);
}

pgcdc_code pgcdc_type_map(const pgcdc_pg_type *t, pgcdc_dialect d, pgcdc_dest_type *out, pgcdc_error *err)
{
    if (!t || !out)
        return pgcdc_error_set(err, PGCDC_EINVAL, "pgcdc_type_map: NULL argument");
    if (d != PGCDC_DIALECT_SNOWFLAKE && d != PGCDC_DIALECT_POSTGRES)
        return pgcdc_error_set(err, PGCDC_EINVAL, "unknown destination dialect %d", (int)d);
    if (t->base_typtype == 'p' || (t->elem_oid && t->elem_typtype == 'p'))
        return pgcdc_error_set(err, PGCDC_EUNSUPPORTED,
                               "columns of pseudo-type %s cannot be replicated: change the column type", t->name);
    memset(out, 0, sizeof *out);
    out->dialect = d;
    snprintf(out->pg_name, sizeof out->pg_name, "%s", t->name);
    out->pg_oid = t->base_oid;
    out->pg_typtype = t->base_typtype;

    scalar_map m;
    if (t->elem_oid) {
        map_scalar(t->elem_oid, t->elem_typmod, d, &m);
        out->vclass = PGCDC_VC_ARRAY;
        out->elem_class = m.vclass;
        out->elem_oid = t->elem_oid;
        out->elem_typtype = t->elem_typtype;
        out->elem_delim = t->elem_delim ? t->elem_delim : ',';
        out->precision = m.precision;
        out->scale = m.scale;
        if (d == PGCDC_DIALECT_SNOWFLAKE) {
            snprintf(out->sql, sizeof out->sql, "ARRAY");
            out->max_bytes = PGCDC_SNOWFLAKE_MAX_TEXT_BYTES;
            out->holds_unchanged = true; /* ["__previous_value_unchanged"] */
        } else {
            snprintf(out->sql, sizeof out->sql, "%s[]", m.sql);
            /* {__previous_value_unchanged} only makes sense for text elements */
            out->holds_unchanged = m.vclass == PGCDC_VC_TEXT && m.holds_unchanged;
        }
        return PGCDC_OK;
    }
    map_scalar(t->base_oid, t->base_typmod, d, &m);
    out->vclass = out->elem_class = m.vclass;
    snprintf(out->sql, sizeof out->sql, "%s", m.sql);
    out->precision = m.precision;
    out->scale = m.scale;
    out->max_bytes = m.max_bytes;
    out->holds_unchanged = m.holds_unchanged;
    return PGCDC_OK;
}

const char *pgcdc_dialect_name(pgcdc_dialect d)
{
    switch (d) {
    case PGCDC_DIALECT_SNOWFLAKE: return "snowflake";
    case PGCDC_DIALECT_POSTGRES: return "postgresql";
    }
    return "unknown";
}

const char *pgcdc_value_class_name(pgcdc_value_class c)
{
    switch (c) {
    case PGCDC_VC_TEXT: return "text";
    case PGCDC_VC_INT: return "int";
    case PGCDC_VC_NUMERIC: return "numeric";
    case PGCDC_VC_NUMERIC_TEXT: return "numeric-as-text";
    case PGCDC_VC_FLOAT: return "float";
    case PGCDC_VC_MONEY: return "money";
    case PGCDC_VC_BOOL: return "bool";
    case PGCDC_VC_BINARY: return "binary";
    case PGCDC_VC_DATE: return "date";
    case PGCDC_VC_TIME: return "time";
    case PGCDC_VC_TIMETZ: return "timetz";
    case PGCDC_VC_TIMESTAMP: return "timestamp";
    case PGCDC_VC_TIMESTAMPTZ: return "timestamptz";
    case PGCDC_VC_INTERVAL: return "interval";
    case PGCDC_VC_JSON: return "json";
    case PGCDC_VC_ARRAY: return "array";
    case PGCDC_VC_OTHER: return "other";
    }
    return "unknown";
}

const char *pgcdc_value_result_name(pgcdc_value_result r)
{
    switch (r) {
    case PGCDC_VALUE_NULL: return "null";
    case PGCDC_VALUE_LITERAL: return "literal";
    case PGCDC_VALUE_PLACEHOLDER: return "placeholder";
    case PGCDC_VALUE_UNCHANGED: return "unchanged";
    }
    return "unknown";
}
