/* pgcdc/types.h - PostgreSQL types to destination types, and pgoutput values
 * to the literals a destination takes. docs/types.md has the full tables.
 *
 * Three steps, each with one job:
 *   1. pgcdc_type_resolve: a column's type OID + typmod (from a Relation
 *      message) -> what it really is: domains followed to their base, arrays
 *      to their element, enums/composites/ranges recognised. Built-in OIDs are
 *      answered from a static table; other OIDs from pg_type (one query, or
 *      none with a pgcdc_type_cache). Done once per column per Relation message.
 *   2. pgcdc_type_map: resolved type + dialect -> destination column type
 *      (SQL text) and a value class telling the converter what to do.
 *   3. pgcdc_value_convert: one pgoutput value -> the destination literal, on
 *      the hot path (no allocation besides growing the caller's buffer).
 *
 * Literals are the plain text the destination parses when loading (a COPY
 * field, a JSON string value), NOT an SQL literal: no quotes are added and
 * nothing is escaped for any container format - that is the writer's job.
 *
 * Source session assumptions (the connection layer sets them on the
 * replication connection; pgoutput formats text values with them):
 *   DateStyle=ISO, IntervalStyle=postgres, extra_float_digits=3,
 *   bytea_output=hex (the escape format is accepted too), TimeZone=UTC
 *   (timestamptz/timetz text with any offset is still read correctly),
 *   lc_monetary=C or another locale writing money as "-$1,234.56",
 *   server_encoding=UTF8.
 * A value that does not parse under them fails with PGCDC_EPROTOCOL naming
 * the setting to check - never a silently wrong value.
 */
#ifndef PGCDC_TYPES_H
#define PGCDC_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <libpq-fe.h>
#include "pgcdc/buf.h"
#include "pgcdc/decoder.h"
#include "pgcdc/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum pgcdc_dialect {
    PGCDC_DIALECT_SNOWFLAKE = 0,
    PGCDC_DIALECT_POSTGRES
} pgcdc_dialect;

const char *pgcdc_dialect_name(pgcdc_dialect d); /* "snowflake", "postgresql" */

/* ---- 1. the source type ---- */

#define PGCDC_TYPE_NAME_MAX 136 /* schema.name, both up to 63 bytes, + NUL */

typedef struct pgcdc_pg_type {
    uint32_t oid;       /* the column's type as pgoutput names it */
    int32_t typmod;     /* the column's typmod, -1 = none */
    char typtype;       /* of oid: 'b' base, 'd' domain, 'e' enum, 'c' composite,
                           'r' range, 'm' multirange, 'p' pseudo */
    char name[PGCDC_TYPE_NAME_MAX]; /* for messages: "int4", "_int4", "public.mood" */

    /* oid with domains followed to the ultimate base (== oid when not a domain);
     * base_typmod is the typmod that applies to it (a domain's own typmod, or
     * the column's). For an array, base is the array type itself. */
    uint32_t base_oid;
    int32_t base_typmod;
    char base_typtype;

    /* When base is an array: its element, domains followed too (an array of a
     * domain over numeric(10,2) has elem numeric, elem_typmod (10,2)); else 0. */
    uint32_t elem_oid;
    int32_t elem_typmod;
    char elem_typtype;
    char elem_delim;    /* the element type's array delimiter: ',' (';' for box) */
} pgcdc_pg_type;

/* Resolves a column type. Built-in OIDs need no connection (conn may be NULL);
 * others are looked up in pg_type/pg_namespace with a single simple-protocol
 * query, so conn may be a normal or a replication=database connection - but
 * not one that is streaming (COPY BOTH): Relation messages that arrive while
 * streaming are resolved on a separate normal connection.
 * PGCDC_ENOTFOUND if the OID does not exist (dropped meanwhile), PGCDC_ECONNECT
 * if the query fails for connection reasons, PGCDC_EINVAL for a user type with
 * conn == NULL. */
pgcdc_code pgcdc_type_resolve(PGconn *conn, uint32_t oid, int32_t typmod, pgcdc_pg_type *out,
                              pgcdc_error *err);

/* An optional cache of resolved user types for one source database (OIDs of
 * user types mean nothing across databases). Invalidate an OID when a Type
 * message or a changed Relation message says it may have changed; 0 = all. */
typedef struct pgcdc_type_cache pgcdc_type_cache;
pgcdc_code pgcdc_type_cache_new(pgcdc_type_cache **out, pgcdc_error *err);
void pgcdc_type_cache_free(pgcdc_type_cache *cache);
void pgcdc_type_cache_invalidate(pgcdc_type_cache *cache, uint32_t oid);
/* pgcdc_type_resolve through the cache (cache NULL = no cache). */
pgcdc_code pgcdc_type_resolve_cached(pgcdc_type_cache *cache, PGconn *conn, uint32_t oid, int32_t typmod,
                                     pgcdc_pg_type *out, pgcdc_error *err);

/* ---- 2. the destination type ---- */

/* What the converter does with a value. */
typedef enum pgcdc_value_class {
    PGCDC_VC_TEXT = 0,     /* char/varchar/text/name and types carried as text in the
                              destination (enums, composites, user ranges, extension types) */
    PGCDC_VC_INT,          /* int2, int4, int8, oid */
    PGCDC_VC_NUMERIC,      /* numeric into NUMBER(p,s) / numeric */
    PGCDC_VC_NUMERIC_TEXT, /* numeric kept as its exact decimal text (Snowflake TEXT) */
    PGCDC_VC_FLOAT,        /* float4, float8 */
    PGCDC_VC_MONEY,
    PGCDC_VC_BOOL,
    PGCDC_VC_BINARY,       /* bytea */
    PGCDC_VC_DATE,
    PGCDC_VC_TIME,
    PGCDC_VC_TIMETZ,
    PGCDC_VC_TIMESTAMP,
    PGCDC_VC_TIMESTAMPTZ,
    PGCDC_VC_INTERVAL,
    PGCDC_VC_JSON,         /* json, jsonb */
    PGCDC_VC_ARRAY,
    PGCDC_VC_OTHER         /* any other type, kept as its text form (uuid, inet, xml, ...) */
} pgcdc_value_class;

const char *pgcdc_value_class_name(pgcdc_value_class c);

#define PGCDC_DEST_TYPE_MAX 96

/* Snowflake limits (bytes). A longer value is PGCDC_EVALUE ("oversized"): the
 * caller applies the Oversized Value Strategy (Fail Table or Set Null). */
#define PGCDC_SNOWFLAKE_MAX_TEXT_BYTES   16777216u /* VARCHAR, VARIANT, ARRAY */
#define PGCDC_SNOWFLAKE_MAX_BINARY_BYTES  8388608u /* BINARY (decoded bytes) */

typedef struct pgcdc_dest_type {
    pgcdc_dialect dialect;
    char sql[PGCDC_DEST_TYPE_MAX]; /* "NUMBER(10,2)", "TIMESTAMP_NTZ(6)", "numeric(10,2)",
                                      "timestamp(3) without time zone", "integer[]", ... */
    pgcdc_value_class vclass;
    pgcdc_value_class elem_class;  /* arrays: class of the elements, else vclass */
    int precision;                 /* numeric: digits (-1 unconstrained); time types:
                                      fractional-second digits; else -1 */
    int scale;                     /* numeric scale, else -1 */
    char pg_name[PGCDC_TYPE_NAME_MAX]; /* source type name, for messages */
    uint32_t pg_oid;               /* source base type (domains followed): picks the binary decoder */
    char pg_typtype;               /* its typtype ('e' enum: binary is the label text) */
    uint32_t elem_oid;             /* arrays: source element base type, else 0 */
    char elem_typtype;             /* arrays: its typtype */
    char elem_delim;               /* arrays: element delimiter in the source text form */
    size_t max_bytes;              /* Snowflake: largest value the column holds (0 = no limit) */
    bool holds_unchanged;          /* the column can hold the unchanged-TOAST placeholder */
} pgcdc_dest_type;

/* Maps a resolved type. PGCDC_EUNSUPPORTED for pseudo types (a column of type
 * anyarray etc.); PGCDC_EINVAL for an unknown dialect. Never fails otherwise:
 * anything without a better mapping is carried as text. */
pgcdc_code pgcdc_type_map(const pgcdc_pg_type *t, pgcdc_dialect d, pgcdc_dest_type *out, pgcdc_error *err);

/* ---- 3. values ---- */

typedef enum pgcdc_value_result {
    PGCDC_VALUE_NULL = 0,     /* SQL NULL: nothing written */
    PGCDC_VALUE_LITERAL,      /* the value's literal was appended */
    PGCDC_VALUE_PLACEHOLDER,  /* out of the destination's range: an edge placeholder was
                                 appended (dates/timestamps, time 24:00:00; docs/types.md) */
    PGCDC_VALUE_UNCHANGED     /* 'u' unchanged TOAST: the placeholder was appended */
} pgcdc_value_result;

const char *pgcdc_value_result_name(pgcdc_value_result r);

/* Converts one pgoutput value ('n', 'u', 't' or 'b') and APPENDS its literal
 * to out (the caller resets out when it wants; one buffer can hold a row).
 * result (may be NULL) says what was written. On failure out is left as it
 * was on entry and:
 *   PGCDC_EVALUE       the destination cannot hold the value (NaN/Infinity in a
 *                      NUMBER column, oversized text/binary): apply the
 *                      Oversized Value Strategy;
 *   PGCDC_EUNSUPPORTED binary transfer of a type we do not decode, or 'u' for a
 *                      column that cannot hold the placeholder (holds_unchanged
 *                      false: record "unchanged" in a separate flag instead);
 *   PGCDC_EPROTOCOL    the value does not parse (wrong session settings?);
 *   PGCDC_ENOMEM.
 * No allocation besides growing out. */
pgcdc_code pgcdc_value_convert(const pgcdc_dest_type *t, const pgcdc_value *v, pgcdc_buf *out,
                               pgcdc_value_result *result, pgcdc_error *err);

/* ---- the unchanged-TOAST placeholder ---- */

#define PGCDC_UNCHANGED_PLACEHOLDER "__previous_value_unchanged"

/* Appends the placeholder formatted for the column type: the string itself for
 * text columns; its bytes in hex for BINARY/bytea; the JSON string
 * "\"__previous_value_unchanged\"" for VARIANT/json/jsonb; a one-element array
 * for arrays. PGCDC_EUNSUPPORTED (out unchanged) when the type cannot hold it
 * (holds_unchanged false): NUMBER, numeric, inet, tsvector, varchar(10), ... */
pgcdc_code pgcdc_value_unchanged_placeholder(const pgcdc_dest_type *t, pgcdc_buf *out, pgcdc_error *err);

#ifdef __cplusplus
}
#endif
#endif
