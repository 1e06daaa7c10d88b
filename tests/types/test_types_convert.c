/* test_types_convert.c - value conversion tables, both dialects: every type of
 * reference §4 with normal and edge values (integer limits, 40-digit numerics,
 * NaN/Infinity, float edges, BC and far-future dates, infinity, odd offsets,
 * bytea, quoting, arrays), the unchanged-TOAST placeholder per type, the
 * Snowflake size limits and a few binary values built by hand (the live test
 * checks binary against real servers). */
#include "pgcdc/types.h"
#include "check.h"

#include <stdio.h>
#include <stdlib.h>

#define SF PGCDC_DIALECT_SNOWFLAKE
#define PG PGCDC_DIALECT_POSTGRES
#define NUMMOD(p, s) ((int32_t)((((p) << 16) | ((s) & 0x7FF)) + 4))
#define CHARMOD(n) ((int32_t)((n) + 4))

static pgcdc_dest_type dest(uint32_t oid, int32_t typmod, pgcdc_dialect d)
{
    pgcdc_pg_type t;
    pgcdc_dest_type dt;
    pgcdc_error err = {0};
    if (pgcdc_type_resolve(NULL, oid, typmod, &t, &err) != PGCDC_OK || pgcdc_type_map(&t, d, &dt, &err) != PGCDC_OK) {
        fprintf(stderr, "cannot map oid %u: %s\n", oid, err.message);
        exit(1);
    }
    return dt;
}

/* Expected outcome mini-language:
 *   "="           the input, unchanged (result LITERAL)
 *   "~text"       text, result PLACEHOLDER
 *   "!VALUE:sub"  PGCDC_EVALUE, message contains sub (likewise !PROTO:, !UNSUP:)
 *   anything else the literal, result LITERAL */
static void expect(const char *file, int line, const pgcdc_dest_type *dt, const pgcdc_value *v, const char *in,
                   const char *want)
{
    pgcdc_buf out = PGCDC_BUF_INIT;
    pgcdc_error err = {0};
    pgcdc_value_result r = PGCDC_VALUE_NULL;
    pgcdc_buf_puts(&out, "<"); /* converters append: what was there must stay */
    pgcdc_code rc = pgcdc_value_convert(dt, v, &out, &r, &err);
    const char *got = out.data + 1;
    pgt_checks++;
    bool ok;
    if (want[0] == '!') {
        pgcdc_code wc = strncmp(want, "!VALUE:", 7) == 0   ? PGCDC_EVALUE
                        : strncmp(want, "!PROTO:", 7) == 0 ? PGCDC_EPROTOCOL
                                                           : PGCDC_EUNSUPPORTED;
        ok = rc == wc && strstr(err.message, want + 7) != NULL && strcmp(out.data, "<") == 0;
    } else {
        bool ph = want[0] == '~';
        const char *lit = strcmp(want, "=") == 0 ? in : want + (ph ? 1 : 0);
        pgcdc_value_result wr = v->kind == 'u' ? PGCDC_VALUE_UNCHANGED
                                : ph           ? PGCDC_VALUE_PLACEHOLDER
                                               : PGCDC_VALUE_LITERAL;
        ok = rc == PGCDC_OK && r == wr && strcmp(got, lit) == 0 && out.len == strlen(lit) + 1;
    }
    if (!ok) {
        pgt_failures++;
        fprintf(stderr, "%s:%d: %s %s [%s] '%s': got rc=%s result=%s out='%s' msg='%s', expected '%s'\n", file, line,
                pgcdc_dialect_name(dt->dialect), dt->sql, dt->pg_name, in, pgcdc_code_name(rc),
                pgcdc_value_result_name(r), got, err.message, want);
    }
    pgcdc_buf_free(&out);
}

typedef struct conv_case {
    uint32_t oid;
    int32_t typmod;
    const char *in;
    const char *sf;
    const char *pg;
} conv_case;

static const conv_case cases[] = {
    /* integers */
    {21, -1, "-32768", "=", "="},
    {21, -1, "32767", "=", "="},
    {23, -1, "-2147483648", "=", "="},
    {23, -1, "2147483647", "=", "="},
    {20, -1, "-9223372036854775808", "=", "="},
    {20, -1, "9223372036854775807", "=", "="},
    {26, -1, "4294967295", "=", "="},
    {23, -1, "12a", "!PROTO:not a valid integer", "!PROTO:'12a'"},
    {23, -1, "", "!PROTO:integer", "!PROTO:integer"},
    /* numeric(p,s) into NUMBER(p,s) */
    {1700, NUMMOD(10, 2), "12345678.90", "=", "="},
    {1700, NUMMOD(10, 2), "-0.01", "=", "="},
    {1700, NUMMOD(10, 2), "NaN", "!VALUE:NaN cannot be stored in the Snowflake NUMBER(10,2)", "="},
    {1700, NUMMOD(10, 2), "Infinity", "!VALUE:Infinity cannot be stored", "="},
    {1700, NUMMOD(10, 2), "-Infinity", "!VALUE:-Infinity", "="},
    {1700, NUMMOD(10, 2), "123456789.00", "!VALUE:does not fit", "="},
    {1700, NUMMOD(10, 2), "1.005", "!VALUE:does not fit", "="},
    {1700, NUMMOD(38, 0), "99999999999999999999999999999999999999", "=", "="},
    {1700, NUMMOD(5, -2), "9999900", "=", "="},
    {1700, NUMMOD(2, 5), "0.00099", "=", "="},
    /* unconstrained / over 38 digits: exact text, NaN and Infinity kept */
    {1700, -1, "1234567890123456789012345678901234567890.0123456789", "=", "="},
    {1700, -1, "-0.00000000000000000000000000000000000000001", "=", "="},
    {1700, -1, "NaN", "=", "="},
    {1700, -1, "Infinity", "=", "="},
    {1700, -1, "-Infinity", "=", "="},
    {1700, NUMMOD(40, 0), "1234567890123456789012345678901234567890", "=", "="},
    {1700, -1, "1e5", "!PROTO:numeric", "!PROTO:numeric"},
    {1700, -1, "1.", "!PROTO:numeric", "!PROTO:numeric"},
    /* floats */
    {701, -1, "1.5", "=", "="},
    {701, -1, "-0", "=", "="},
    {701, -1, "1e+308", "=", "="},
    {701, -1, "1.7976931348623157e+308", "=", "="},
    {701, -1, "5e-324", "=", "="},
    {701, -1, "2.2250738585072014e-308", "=", "="},
    {701, -1, "NaN", "NaN", "NaN"},
    {701, -1, "Infinity", "inf", "Infinity"},
    {701, -1, "-Infinity", "-inf", "-Infinity"},
    {701, -1, "0x10", "!PROTO:extra_float_digits", "!PROTO:float"},
    {700, -1, "3.4028235e+38", "=", "="},
    {700, -1, "1e-45", "=", "="},
    {700, -1, "-Infinity", "-inf", "-Infinity"},
    /* money (C locale text) -> FLOAT */
    {790, -1, "$1,234.56", "1234.56", "="},
    {790, -1, "-$1.00", "-1.00", "="},
    {790, -1, "$0.00", "0.00", "="},
    {790, -1, "-$92,233,720,368,547,758.08", "-92233720368547758.08", "="},
    {790, -1, "1.234,56 EUR", "!PROTO:lc_monetary", "!PROTO:money"},
    {790, -1, "$1,5.00", "!PROTO:money", "!PROTO:money"},
    /* boolean */
    {16, -1, "t", "true", "t"},
    {16, -1, "f", "false", "f"},
    {16, -1, "true", "!PROTO:boolean", "!PROTO:boolean"},
    /* character types: kept exactly */
    {25, -1, "it's \"quoted\" \\ back\\slash\nnew line\ttab \xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac", "=", "="},
    {25, -1, "", "=", "="},
    {1042, CHARMOD(5), "ab   ", "=", "="},
    {1043, CHARMOD(10), "abc", "=", "="},
    {19, -1, "pg_class", "=", "="},
    /* bytea: Snowflake BINARY takes hex */
    {17, -1, "\\x", "", "="},
    {17, -1, "\\x00ff10", "00FF10", "="},
    {17, -1, "\\x00", "00", "="},
    {17, -1, "\\xDEADbeef", "DEADBEEF", "="},
    {17, -1, "\\x0", "!PROTO:bytea", "!PROTO:bytea"},
    {17, -1, "\\xzz", "!PROTO:bytea", "="},
    {17, -1, "a\\000\\\\b", "61005C62", "="},
    {17, -1, "a\\9", "!PROTO:bytea_output=hex", "="},
    /* dates */
    {1082, -1, "2024-02-29", "=", "="},
    {1082, -1, "0001-01-01", "=", "="},
    {1082, -1, "9999-12-31", "=", "="},
    {1082, -1, "4713-11-24 BC", "-4712-11-24", "="},
    {1082, -1, "0001-01-01 BC", "0000-01-01", "="},
    {1082, -1, "0002-06-30 BC", "-0001-06-30", "="},
    {1082, -1, "10000-01-01 BC", "-9999-01-01", "="},
    {1082, -1, "10001-12-31 BC", "~-9999-01-01", "="},
    {1082, -1, "10000-01-01", "~9999-12-31", "="},
    {1082, -1, "5874897-12-31", "~9999-12-31", "="},
    {1082, -1, "infinity", "~9999-12-31", "="},
    {1082, -1, "-infinity", "~-9999-01-01", "="},
    {1082, -1, "01/02/2024", "!PROTO:DateStyle=ISO", "!PROTO:DateStyle=ISO"},
    {1082, -1, "2024-13-01", "!PROTO:date", "!PROTO:date"},
    /* time */
    {1083, -1, "00:00:00", "=", "="},
    {1083, -1, "23:59:59.999999", "=", "="},
    {1083, -1, "12:30:00.5", "=", "="},
    {1083, -1, "24:00:00", "~23:59:59.999999999", "="},
    {1083, -1, "24:00:01", "!PROTO:time", "!PROTO:time"},
    {1083, -1, "12:30", "!PROTO:time", "!PROTO:time"},
    /* timetz -> TIMESTAMP_TZ on 1970-01-01 */
    {1266, -1, "12:00:00+05:30", "1970-01-01 12:00:00+05:30", "="},
    {1266, -1, "12:00:00-09:30:15", "1970-01-01 12:00:15-09:30", "="},
    {1266, -1, "00:00:00.25+00", "1970-01-01 00:00:00.25+00:00", "="},
    {1266, -1, "24:00:00+05:30", "1970-01-02 00:00:00+05:30", "="},
    {1266, -1, "00:00:05+00:00:30", "1969-12-31 23:59:35+00:00", "="},
    {1266, -1, "23:59:59.999999-14", "1970-01-01 23:59:59.999999-14:00", "="},
    {1266, -1, "12:00:00", "!PROTO:timetz", "!PROTO:timetz"},
    /* timestamp */
    {1114, -1, "2024-01-01 00:00:00", "=", "="},
    {1114, -1, "2024-01-01 12:34:56.789", "=", "="},
    {1114, -1, "2024-01-01 12:34:56.000001", "=", "="},
    {1114, -1, "0001-01-01 00:00:00", "=", "="},
    {1114, -1, "9999-12-31 23:59:59.999999", "=", "="},
    {1114, -1, "0001-12-31 23:59:59 BC", "~0001-01-01 00:00:00", "="},
    {1114, -1, "4713-11-24 00:00:00 BC", "~0001-01-01 00:00:00", "="},
    {1114, -1, "10000-01-01 00:00:00", "~9999-12-31 23:59:59.999999999", "="},
    {1114, -1, "294276-12-31 23:59:59.999999", "~9999-12-31 23:59:59.999999999", "="},
    {1114, -1, "infinity", "~9999-12-31 23:59:59.999999999", "="},
    {1114, -1, "-infinity", "~0001-01-01 00:00:00", "="},
    {1114, -1, "2024-01-01T00:00:00", "!PROTO:timestamp", "!PROTO:timestamp"},
    {1114, -1, "2024-01-01 00:00:00.1234567", "!PROTO:timestamp", "!PROTO:timestamp"},
    /* timestamptz: written in UTC */
    {1184, -1, "2024-01-01 12:00:00+00", "2024-01-01 12:00:00+00:00", "="},
    {1184, -1, "2024-01-01 12:00:00.5+05:30", "2024-01-01 06:30:00.5+00:00", "="},
    {1184, -1, "2024-03-01 01:00:00+02", "2024-02-29 23:00:00+00:00", "="},
    {1184, -1, "1799-12-31 19:03:58-04:56:02", "1800-01-01 00:00:00+00:00", "="},
    {1184, -1, "0001-01-01 00:30:00+01", "~0001-01-01 00:00:00+00:00", "="},
    {1184, -1, "0001-01-01 00:30:00-01", "0001-01-01 01:30:00+00:00", "="},
    {1184, -1, "9999-12-31 23:30:00-01", "~9999-12-31 23:59:59.999999999+00:00", "="},
    {1184, -1, "294276-12-31 23:59:59.999999+00", "~9999-12-31 23:59:59.999999999+00:00", "="},
    {1184, -1, "4713-11-24 00:00:00+00 BC", "~0001-01-01 00:00:00+00:00", "="},
    {1184, -1, "infinity", "~9999-12-31 23:59:59.999999999+00:00", "="},
    {1184, -1, "-infinity", "~0001-01-01 00:00:00+00:00", "="},
    {1184, -1, "2024-01-01 12:00:00", "!PROTO:timestamptz", "!PROTO:timestamptz"},
    /* interval, json, the text-carried rest */
    {1186, -1, "1 year 2 mons -3 days +04:05:06.789", "=", "="},
    {1186, -1, "-178956970 years -8 mons -2147483648 days -2562047788:00:54.775808", "=", "="},
    {1186, -1, "infinity", "=", "="},
    {114, -1, "{\"a\": \"\\u0000\", \"b\": [1, 2.5e10, null]}", "=", "="},
    {3802, -1, "{\"a\": \"x\\ny\", \"b\": {\"c\": true}}", "=", "="},
    {3802, -1, "\"just a string\"", "=", "="},
    {2950, -1, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "=", "="},
    {142, -1, "<a b=\"1\">x &amp; y</a>", "=", "="},
    {1560, 5, "10101", "=", "="},
    {1562, -1, "", "=", "="},
    {869, -1, "192.168.0.1/24", "=", "="},
    {869, -1, "::ffff:1.2.3.4", "=", "="},
    {650, -1, "10.0.0.0/8", "=", "="},
    {829, -1, "08:00:2b:01:02:03", "=", "="},
    {774, -1, "08:00:2b:01:02:03:04:05", "=", "="},
    {3614, -1, "'a' 'fat':2 'rat':3", "=", "="},
    {3615, -1, "'fat' & 'rat'", "=", "="},
    {3220, -1, "16/B374D848", "=", "="},
    {600, -1, "(1,2)", "=", "="},
    {603, -1, "(1,1),(0,0)", "=", "="},
    {718, -1, "<(0,0),1>", "=", "="},
    {3904, -1, "[1,10)", "=", "="},
    {4451, -1, "{[1,3),[5,7)}", "=", "="},
    {2205, -1, "pg_class", "=", "="},
    /* arrays -> JSON arrays (Snowflake), kept as array text (PostgreSQL) */
    {1007, -1, "{1,2,NULL}", "[1,2,null]", "="},
    {1007, -1, "{{1,2},{3,4}}", "[[1,2],[3,4]]", "="},
    {1007, -1, "[0:1]={1,2}", "[1,2]", "="},
    {1007, -1, "[1:1][-2:-1]={{1,2}}", "[[1,2]]", "="},
    {1007, -1, "{}", "[]", "="},
    {1007, -1, "{{NULL,NULL},{NULL,NULL}}", "[[null,null],[null,null]]", "="},
    {1016, -1, "{-9223372036854775808,9223372036854775807}", "[-9223372036854775808,9223372036854775807]", "="},
    {1009, -1, "{\"a b\",\"c\\\"d\",\"NULL\",\"\",\"x\\\\y\",NULL,null}",
     "[\"a b\",\"c\\\"d\",\"NULL\",\"\",\"x\\\\y\",null,null]", "="},
    {1009, -1, "{\"line1\nline2\",\"tab\there\",\"\x01\"}", "[\"line1\\nline2\",\"tab\\there\",\"\\u0001\"]", "="},
    {1009, -1, "{\xc3\xa9,\xe6\x97\xa5\xe6\x9c\xac}", "[\"\xc3\xa9\",\"\xe6\x97\xa5\xe6\x9c\xac\"]", "="},
    {1009, -1, "{{a,b},{c,d}}", "[[\"a\",\"b\"],[\"c\",\"d\"]]", "="},
    {1231, -1, "{1.5,NaN,Infinity,-Infinity,1234567890123456789012345678901234567890,-0.001}",
     "[1.5,\"NaN\",\"Infinity\",\"-Infinity\",\"1234567890123456789012345678901234567890\",-0.001]", "="},
    {1022, -1, "{1.5,NaN,Infinity,-Infinity,-0,1e+308,5e-324}", "[1.5,\"NaN\",\"inf\",\"-inf\",-0,1e+308,5e-324]",
     "="},
    {1000, -1, "{t,f,NULL}", "[true,false,null]", "="},
    {1182, -1, "{2024-01-01,infinity,\"4713-11-24 BC\"}", "~[\"2024-01-01\",\"9999-12-31\",\"-4712-11-24\"]", "="},
    {1115, -1, "{\"2024-01-01 00:00:00\",\"2024-01-01 12:00:00.5\"}",
     "[\"2024-01-01 00:00:00\",\"2024-01-01 12:00:00.5\"]", "="},
    {1185, -1, "{\"2024-01-01 12:00:00+05:30\"}", "[\"2024-01-01 06:30:00+00:00\"]", "="},
    {199, -1, "{\"{\\\"a\\\": 1}\",NULL,\"[1, \\\"x\\\"]\"}", "[{\"a\": 1},null,[1, \"x\"]]", "="},
    {3807, -1, "{\"{\\\"a\\\": \\\"x y\\\"}\"}", "[{\"a\": \"x y\"}]", "="},
    {1001, -1, "{\"\\\\x0001\",NULL,\"\\\\x\"}", "[\"0001\",null,\"\"]", "="},
    {1020, -1, "{(1,1),(0,0);(2,2),(1,1)}", "[\"(1,1),(0,0)\",\"(2,2),(1,1)\"]", "="},
    {791, -1, "{$1.00,\"-$1,234.56\"}", "[1.00,-1234.56]", "="},
    {1187, -1, "{\"1 day\",\"-00:00:01\"}", "[\"1 day\",\"-00:00:01\"]", "="},
    {2951, -1, "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}", "[\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\"]", "="},
    {1007, -1, "{1,2", "!PROTO:array", "="},
    {1007, -1, "{1,,2}", "!PROTO:array", "="},
    {1007, -1, "{1}x", "!PROTO:array", "="},
    {1007, -1, "{{1},2}", "!PROTO:array", "="},
    {1007, -1, "{a}", "!PROTO:integer", "="},
    {1007, -1, "1,2", "!PROTO:array", "!PROTO:array"},
};

static void test_table(void)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const conv_case *c = &cases[i];
        pgcdc_value v = {'t', (uint32_t)strlen(c->in), c->in};
        pgcdc_dest_type sf = dest(c->oid, c->typmod, SF), pg = dest(c->oid, c->typmod, PG);
        expect(__FILE__, __LINE__, &sf, &v, c->in, c->sf);
        expect(__FILE__, __LINE__, &pg, &v, c->in, c->pg);
    }
}

/* The unchanged-TOAST placeholder ('u') per column type. */
typedef struct ph_case {
    uint32_t oid;
    int32_t typmod;
    const char *sf;
    const char *pg;
} ph_case;

#define PH PGCDC_UNCHANGED_PLACEHOLDER
#define PH_HEX_UP "5F5F70726576696F75735F76616C75655F756E6368616E676564"
#define PH_HEX_LO "\\x5f5f70726576696f75735f76616c75655f756e6368616e676564"
#define NOPE "!UNSUP:cannot hold the unchanged-TOAST placeholder"

static const ph_case ph_cases[] = {
    {25, -1, PH, PH},
    {1043, -1, PH, PH},
    {1043, CHARMOD(10), PH, NOPE},
    {1043, CHARMOD(26), PH, PH},
    {1042, CHARMOD(30), PH, PH},
    {1042, CHARMOD(1), PH, NOPE},
    {17, -1, PH_HEX_UP, PH_HEX_LO},
    {114, -1, "\"" PH "\"", "\"" PH "\""},
    {3802, -1, "\"" PH "\"", "\"" PH "\""},
    {142, -1, PH, PH},
    {1009, -1, "[\"" PH "\"]", "{" PH "}"},
    {1015, -1, "[\"" PH "\"]", "{" PH "}"},
    {1007, -1, "[\"" PH "\"]", NOPE},
    {3807, -1, "[\"" PH "\"]", NOPE},
    {1700, -1, PH, NOPE},
    {1700, NUMMOD(10, 2), NOPE, NOPE},
    {1186, -1, PH, NOPE},
    {869, -1, PH, NOPE},
    {3614, -1, PH, NOPE},
    {3615, -1, PH, NOPE},
    {1560, -1, PH, NOPE},
    {602, -1, PH, NOPE},
    {3904, -1, PH, NOPE},
    {23, -1, NOPE, NOPE},
    {701, -1, NOPE, NOPE},
    {790, -1, NOPE, NOPE},
    {16, -1, NOPE, NOPE},
    {1082, -1, NOPE, NOPE},
    {1083, -1, NOPE, NOPE},
    {1266, -1, NOPE, NOPE},
    {1114, -1, NOPE, NOPE},
    {1184, -1, NOPE, NOPE},
    {2205, -1, PH, PH},
};

static void test_unchanged(void)
{
    pgcdc_value u = {'u', 0, NULL};
    for (size_t i = 0; i < sizeof ph_cases / sizeof ph_cases[0]; i++) {
        const ph_case *c = &ph_cases[i];
        pgcdc_dest_type sf = dest(c->oid, c->typmod, SF), pg = dest(c->oid, c->typmod, PG);
        expect(__FILE__, __LINE__, &sf, &u, "(unchanged)", c->sf);
        expect(__FILE__, __LINE__, &pg, &u, "(unchanged)", c->pg);
        /* the direct call agrees with the 'u' path */
        pgcdc_buf b = PGCDC_BUF_INIT;
        pgcdc_code rc = pgcdc_value_unchanged_placeholder(&sf, &b, NULL);
        CHECK_INT(rc == PGCDC_OK, sf.holds_unchanged);
        pgcdc_buf_free(&b);
    }
    /* the message names the column type and says what to do */
    pgcdc_dest_type d = dest(1700, NUMMOD(10, 2), SF);
    pgcdc_buf b = PGCDC_BUF_INIT;
    pgcdc_error err = {0};
    CHECK_INT(pgcdc_value_unchanged_placeholder(&d, &b, &err), PGCDC_EUNSUPPORTED);
    CHECK_CONTAINS(err.message, "NUMBER(10,2)");
    CHECK_CONTAINS(err.message, "separate flag");
    CHECK_INT(b.len, 0);
    pgcdc_buf_free(&b);
}

static void test_null_and_kinds(void)
{
    pgcdc_dest_type d = dest(23, -1, SF);
    pgcdc_value n = {'n', 0, NULL};
    pgcdc_buf b = PGCDC_BUF_INIT;
    pgcdc_value_result r = PGCDC_VALUE_LITERAL;
    pgcdc_error err = {0};
    CHECK_INT(pgcdc_value_convert(&d, &n, &b, &r, &err), PGCDC_OK);
    CHECK_INT(r, PGCDC_VALUE_NULL);
    CHECK_INT(b.len, 0);
    pgcdc_value bad = {'x', 0, NULL};
    CHECK_INT(pgcdc_value_convert(&d, &bad, &b, &r, &err), PGCDC_EPROTOCOL);
    /* several values appended into one buffer */
    pgcdc_value a = {'t', 2, "42"}, c = {'t', 3, "-7x"};
    CHECK_INT(pgcdc_value_convert(&d, &a, &b, NULL, &err), PGCDC_OK);
    pgcdc_buf_putc(&b, '|');
    CHECK_INT(pgcdc_value_convert(&d, &a, &b, NULL, &err), PGCDC_OK);
    CHECK_STR(b.data, "42|42");
    CHECK_INT(pgcdc_value_convert(&d, &c, &b, NULL, &err), PGCDC_EPROTOCOL);
    CHECK_STR(b.data, "42|42");
    pgcdc_buf_free(&b);
}

/* Snowflake VARCHAR 16 MB, BINARY 8 MB, ARRAY 16 MB; no limit for PostgreSQL. */
static void test_oversized(void)
{
    size_t big = PGCDC_SNOWFLAKE_MAX_TEXT_BYTES + 1;
    char *s = malloc(big * 2 + 3);
    memset(s, 'a', big);
    pgcdc_value v = {'t', (uint32_t)big, s};
    pgcdc_dest_type sf = dest(25, -1, SF), pg = dest(25, -1, PG);
    pgcdc_buf b = PGCDC_BUF_INIT;
    pgcdc_error err = {0};
    CHECK_INT(pgcdc_value_convert(&sf, &v, &b, NULL, &err), PGCDC_EVALUE);
    CHECK_CONTAINS(err.message, "oversized");
    CHECK_CONTAINS(err.message, "16777217 bytes");
    CHECK_INT(b.len, 0);
    v.len = PGCDC_SNOWFLAKE_MAX_TEXT_BYTES;
    CHECK_INT(pgcdc_value_convert(&sf, &v, &b, NULL, &err), PGCDC_OK);
    CHECK_INT(b.len, PGCDC_SNOWFLAKE_MAX_TEXT_BYTES);
    pgcdc_buf_reset(&b);
    v.len = (uint32_t)big;
    CHECK_INT(pgcdc_value_convert(&pg, &v, &b, NULL, &err), PGCDC_OK);
    CHECK_INT(b.len, big);
    pgcdc_buf_reset(&b);
    /* bytea: 8 MiB of bytes is the limit, counted in bytes, not hex digits */
    size_t nbytes = PGCDC_SNOWFLAKE_MAX_BINARY_BYTES;
    s[0] = '\\';
    s[1] = 'x';
    memset(s + 2, '0', nbytes * 2);
    pgcdc_value bv = {'t', (uint32_t)(2 + nbytes * 2), s};
    pgcdc_dest_type bin = dest(17, -1, SF);
    CHECK_INT(pgcdc_value_convert(&bin, &bv, &b, NULL, &err), PGCDC_OK);
    CHECK_INT(b.len, nbytes * 2);
    pgcdc_buf_reset(&b);
    memset(s + 2, '0', nbytes * 2 + 2);
    bv.len += 2;
    CHECK_INT(pgcdc_value_convert(&bin, &bv, &b, NULL, &err), PGCDC_EVALUE);
    CHECK_CONTAINS(err.message, "BINARY");
    CHECK_INT(b.len, 0);
    /* an array whose JSON exceeds 16 MB */
    s[0] = '{';
    size_t k = 1;
    while (k < big) {
        s[k++] = '1';
        s[k++] = ',';
    }
    s[k - 1] = '}';
    pgcdc_value av = {'t', (uint32_t)k, s};
    pgcdc_dest_type arr = dest(1007, -1, SF);
    CHECK_INT(pgcdc_value_convert(&arr, &av, &b, NULL, &err), PGCDC_EVALUE);
    CHECK_CONTAINS(err.message, "ARRAY");
    CHECK_INT(b.len, 0);
    pgcdc_buf_free(&b);
    free(s);
}

/* Binary values by hand (big-endian send formats). */
static void bin(const char *file, int line, uint32_t oid, int32_t typmod, pgcdc_dialect d, const void *data,
                size_t n, const char *want)
{
    pgcdc_dest_type dt = dest(oid, typmod, d);
    pgcdc_value v = {'b', (uint32_t)n, data};
    expect(file, line, &dt, &v, "(binary)", want);
}
#define BIN(oid, typmod, d, bytes, want) bin(__FILE__, __LINE__, oid, typmod, d, bytes, sizeof(bytes) - 1, want)

static void test_binary(void)
{
    BIN(23, -1, SF, "\x00\x00\x00\x2a", "42");
    BIN(23, -1, SF, "\x80\x00\x00\x00", "-2147483648");
    BIN(21, -1, PG, "\xff\xff", "-1");
    BIN(20, -1, SF, "\x80\x00\x00\x00\x00\x00\x00\x00", "-9223372036854775808");
    BIN(26, -1, SF, "\xff\xff\xff\xff", "4294967295");
    BIN(16, -1, SF, "\x01", "true");
    BIN(16, -1, PG, "\x00", "f");
    BIN(701, -1, PG, "\x3f\xb9\x99\x99\x99\x99\x99\x9a", "0.1");
    BIN(701, -1, PG, "\x7f\xe1\xcc\xf3\x85\xeb\xc8\xa0", "1e+308");
    BIN(701, -1, PG, "\x00\x00\x00\x00\x00\x00\x00\x01", "5e-324");
    BIN(701, -1, PG, "\x80\x00\x00\x00\x00\x00\x00\x00", "-0");
    BIN(701, -1, SF, "\x7f\xf0\x00\x00\x00\x00\x00\x00", "inf");
    BIN(701, -1, SF, "\x7f\xf8\x00\x00\x00\x00\x00\x00", "NaN");
    BIN(701, -1, PG, "\x42\xd6\xbc\xc4\x1e\x90\x00\x00", "100000000000000");
    BIN(700, -1, PG, "\x49\x74\x24\x00", "1e+06");
    BIN(700, -1, PG, "\x47\xf1\x20\x00", "123456");
    BIN(700, -1, PG, "\x3d\xcc\xcc\xcd", "0.1");
    BIN(1082, -1, PG, "\x00\x00\x00\x00", "2000-01-01");
    BIN(1082, -1, SF, "\x7f\xff\xff\xff", "~9999-12-31");
    BIN(1082, -1, PG, "\x80\x00\x00\x00", "-infinity");
    BIN(1114, -1, PG, "\x00\x00\x00\x00\x00\x00\x00\x00", "2000-01-01 00:00:00");
    BIN(1114, -1, PG, "\xff\xff\xff\xff\xff\xff\xff\xff", "1999-12-31 23:59:59.999999");
    BIN(1184, -1, SF, "\x7f\xff\xff\xff\xff\xff\xff\xff", "~9999-12-31 23:59:59.999999999+00:00");
    BIN(1184, -1, PG, "\x00\x00\x00\x00\x00\x00\x00\x00", "2000-01-01 00:00:00+00");
    BIN(1083, -1, PG, "\x00\x00\x00\x14\x1d\xd7\x60\x00", "24:00:00");
    /* numeric 1234.5678: ndigits 2, weight 0, sign +, dscale 4, digits 1234 5678 */
    BIN(1700, -1, PG, "\x00\x02\x00\x00\x00\x00\x00\x04\x04\xd2\x16\x2e", "1234.5678");
    BIN(1700, NUMMOD(10, 4), SF, "\x00\x02\x00\x00\x40\x00\x00\x04\x04\xd2\x16\x2e", "-1234.5678");
    BIN(1700, NUMMOD(10, 4), SF, "\x00\x00\x00\x00\xc0\x00\x00\x00", "!VALUE:NaN");
    BIN(1700, -1, SF, "\x00\x00\x00\x00\xd0\x00\x00\x00", "Infinity");
    BIN(1700, -1, PG, "\x00\x00\x00\x00\x00\x00\x00\x00", "0");
    BIN(1700, -1, PG, "\x00\x01\xff\xff\x00\x00\x00\x06\x00\x0c", "0.001200");
    BIN(1700, -1, PG, "\x00\x01\x00\x05\x00\x00\x00\x00\x00\x01", "100000000000000000000");
    BIN(1700, -1, PG, "\x00\x01\x00\x00\x00\x00\x00\x00\x27\x10", "!PROTO:numeric");
    BIN(2950, -1, SF, "\xa0\xee\xbc\x99\x9c\x0b\x4e\xf8\xbb\x6d\x6b\xb9\xbd\x38\x0a\x11",
        "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
    BIN(3802, -1, SF, "\x01{\"a\": 1}", "{\"a\": 1}");
    BIN(3802, -1, SF, "\x02{}", "!PROTO:jsonb");
    BIN(17, -1, SF, "\x00\xff\x10", "00FF10");
    BIN(17, -1, PG, "\x00\xff\x10", "\\x00ff10");
    BIN(25, -1, SF, "h\xc3\xa9", "h\xc3\xa9");
    /* interval 1 year 2 mons -3 days +04:05:06.789 */
    BIN(1186, -1, PG, "\x00\x00\x00\x03\x6c\x97\xca\x88\xff\xff\xff\xfd\x00\x00\x00\x0e",
        "1 year 2 mons -3 days +04:05:06.789");
    BIN(1186, -1, PG, "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", "00:00:00");
    BIN(23, -1, SF, "\x00\x2a", "!PROTO:malformed binary");
    BIN(869, -1, SF, "\x02\x20\x00\x04\x7f\x00\x00\x01", "!UNSUP:binary transfer of type inet");
    /* int4[] [0:1]={1,NULL}: ndim 1, hasnull 1, elem 23, dim 2, lbound 0 */
    BIN(1007, -1, PG,
        "\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00\x17\x00\x00\x00\x02\x00\x00\x00\x00"
        "\x00\x00\x00\x04\x00\x00\x00\x01\xff\xff\xff\xff",
        "[0:1]={1,NULL}");
    BIN(1007, -1, SF,
        "\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00\x17\x00\x00\x00\x02\x00\x00\x00\x00"
        "\x00\x00\x00\x04\x00\x00\x00\x01\xff\xff\xff\xff",
        "[1,null]");
    /* text[] 2x1 {{"a b"},{NULL}} */
    BIN(1009, -1, PG,
        "\x00\x00\x00\x02\x00\x00\x00\x01\x00\x00\x00\x19\x00\x00\x00\x02\x00\x00\x00\x01"
        "\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00\x03" "a b" "\xff\xff\xff\xff",
        "{{\"a b\"},{NULL}}");
    BIN(1009, -1, SF,
        "\x00\x00\x00\x02\x00\x00\x00\x01\x00\x00\x00\x19\x00\x00\x00\x02\x00\x00\x00\x01"
        "\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00\x03" "a b" "\xff\xff\xff\xff",
        "[[\"a b\"],[null]]");
    BIN(1007, -1, SF, "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x17", "[]");
    BIN(1007, -1, SF, "\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x17\x00\x00\x00\x05\x00\x00\x00\x01",
        "!PROTO:malformed binary array");
}

int main(void)
{
    test_table();
    test_unchanged();
    test_null_and_kinds();
    test_oversized();
    test_binary();
    return pgt_done("types-convert");
}
