/* pgcdc/json.h - a small strict JSON (RFC 8259) reader for configuration
 * values such as `Column Filter JSON`.
 *
 * Strict: no comments, no trailing commas, no single quotes, no leading
 * zeros or '+', no control characters in strings, valid UTF-8 only, \u
 * escapes with surrogates properly paired (decoded to UTF-8), duplicate
 * object keys rejected (RFC 8259 leaves their meaning open; in a
 * configuration one of them would be silently ignored). A leading UTF-8 byte
 * order mark is skipped. Errors give line:column (1-based; columns count
 * characters). Nesting is limited to PGCDC_JSON_MAX_DEPTH.
 *
 * The whole tree lives in one arena owned by the pgcdc_json_doc.
 */
#ifndef PGCDC_JSON_H
#define PGCDC_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "pgcdc/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PGCDC_JSON_MAX_DEPTH 256

typedef enum pgcdc_json_type {
    PGCDC_JSON_NULL = 0,
    PGCDC_JSON_BOOL,
    PGCDC_JSON_NUMBER,
    PGCDC_JSON_STRING,
    PGCDC_JSON_ARRAY,
    PGCDC_JSON_OBJECT
} pgcdc_json_type;

typedef struct pgcdc_json pgcdc_json;
struct pgcdc_json {
    pgcdc_json_type type;
    int line, column;   /* where the value starts in the text */
    bool boolean;       /* BOOL */
    const char *str;    /* STRING: the decoded UTF-8 (NUL-terminated, but
                           \u0000 may put a NUL inside: see len);
                           NUMBER: the number as written */
    size_t len;         /* bytes of str */
    size_t n;           /* ARRAY, OBJECT: elements / members */
    pgcdc_json **items; /* ARRAY: the elements; OBJECT: the member values */
    pgcdc_json **keys;  /* OBJECT: the member names (STRING nodes), same order */
};

typedef struct pgcdc_json_doc pgcdc_json_doc;

/* Parses len bytes of text. PGCDC_EINVAL with "JSON line L, column C: what"
 * on malformed input, PGCDC_ENOMEM when memory runs out. */
pgcdc_code pgcdc_json_parse(const char *text, size_t len, pgcdc_json_doc **out, pgcdc_error *err);

const pgcdc_json *pgcdc_json_root(const pgcdc_json_doc *doc);

void pgcdc_json_free(pgcdc_json_doc *doc);

/* The value of member key of an object, NULL if absent or obj is not an object. */
const pgcdc_json *pgcdc_json_member(const pgcdc_json *obj, const char *key);

/* "a string", "an array", ... for messages such as "must be an array, not a string". */
const char *pgcdc_json_type_name(pgcdc_json_type type);

/* An integral NUMBER (no fraction or exponent) that fits an int64. */
bool pgcdc_json_int64(const pgcdc_json *v, int64_t *out);

#ifdef __cplusplus
}
#endif
#endif
