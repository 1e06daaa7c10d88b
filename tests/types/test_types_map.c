/* test_types_map.c - the type-mapping table (docs/types.md) for every type of
 * reference §4 and the other built-in types, in both dialects: destination
 * type text, value class and whether the column holds the unchanged-TOAST
 * placeholder. No server: built-in types resolve from the static table. */
#include "pgcdc/types.h"
#include "check.h"

#include <stdio.h>

#define SF PGCDC_DIALECT_SNOWFLAKE
#define PG PGCDC_DIALECT_POSTGRES

/* typmod helpers as PostgreSQL encodes them */
#define NUMMOD(p, s) ((int32_t)((((p) << 16) | ((s) & 0x7FF)) + 4))
#define CHARMOD(n) ((int32_t)((n) + 4))
#define IVMOD(fields, prec) ((int32_t)(((fields) << 16) | (prec)))

typedef struct map_case {
    uint32_t oid;
    int32_t typmod;
    const char *sf_sql;
    pgcdc_value_class sf_class;
    int sf_holds;
    const char *pg_sql;
    pgcdc_value_class pg_class;
    int pg_holds;
} map_case;

static const map_case cases[] = {
    /* integers and serials (a serial is an int4/int8 column) */
    {21, -1, "NUMBER(38,0)", PGCDC_VC_INT, 0, "smallint", PGCDC_VC_INT, 0},
    {23, -1, "NUMBER(38,0)", PGCDC_VC_INT, 0, "integer", PGCDC_VC_INT, 0},
    {20, -1, "NUMBER(38,0)", PGCDC_VC_INT, 0, "bigint", PGCDC_VC_INT, 0},
    {26, -1, "NUMBER(38,0)", PGCDC_VC_INT, 0, "oid", PGCDC_VC_INT, 0},
    /* numeric */
    {1700, NUMMOD(10, 2), "NUMBER(10,2)", PGCDC_VC_NUMERIC, 0, "numeric(10,2)", PGCDC_VC_NUMERIC, 0},
    {1700, NUMMOD(38, 0), "NUMBER(38,0)", PGCDC_VC_NUMERIC, 0, "numeric(38,0)", PGCDC_VC_NUMERIC, 0},
    {1700, NUMMOD(38, 37), "NUMBER(38,37)", PGCDC_VC_NUMERIC, 0, "numeric(38,37)", PGCDC_VC_NUMERIC, 0},
    {1700, NUMMOD(38, 38), "TEXT", PGCDC_VC_NUMERIC_TEXT, 1, "numeric(38,38)", PGCDC_VC_NUMERIC, 0},
    {1700, NUMMOD(39, 0), "TEXT", PGCDC_VC_NUMERIC_TEXT, 1, "numeric(39,0)", PGCDC_VC_NUMERIC, 0},
    {1700, NUMMOD(1000, 500), "TEXT", PGCDC_VC_NUMERIC_TEXT, 1, "numeric(1000,500)", PGCDC_VC_NUMERIC, 0},
    {1700, -1, "TEXT", PGCDC_VC_NUMERIC_TEXT, 1, "numeric", PGCDC_VC_NUMERIC, 0},
    {1700, NUMMOD(5, -2), "NUMBER(7,0)", PGCDC_VC_NUMERIC, 0, "numeric(5,-2)", PGCDC_VC_NUMERIC, 0},
    {1700, NUMMOD(36, -2), "NUMBER(38,0)", PGCDC_VC_NUMERIC, 0, "numeric(36,-2)", PGCDC_VC_NUMERIC, 0},
    {1700, NUMMOD(37, -2), "TEXT", PGCDC_VC_NUMERIC_TEXT, 1, "numeric(37,-2)", PGCDC_VC_NUMERIC, 0},
    {1700, NUMMOD(2, 5), "NUMBER(5,5)", PGCDC_VC_NUMERIC, 0, "numeric(2,5)", PGCDC_VC_NUMERIC, 0},
    /* floats, money */
    {700, -1, "FLOAT", PGCDC_VC_FLOAT, 0, "real", PGCDC_VC_FLOAT, 0},
    {701, -1, "FLOAT", PGCDC_VC_FLOAT, 0, "double precision", PGCDC_VC_FLOAT, 0},
    {790, -1, "FLOAT", PGCDC_VC_MONEY, 0, "money", PGCDC_VC_MONEY, 0},
    {16, -1, "BOOLEAN", PGCDC_VC_BOOL, 0, "boolean", PGCDC_VC_BOOL, 0},
    /* character types */
    {1042, CHARMOD(1), "TEXT", PGCDC_VC_TEXT, 1, "character(1)", PGCDC_VC_TEXT, 0},
    {1042, CHARMOD(26), "TEXT", PGCDC_VC_TEXT, 1, "character(26)", PGCDC_VC_TEXT, 1},
    {1042, -1, "TEXT", PGCDC_VC_TEXT, 1, "bpchar", PGCDC_VC_TEXT, 1},
    {1043, CHARMOD(10), "TEXT", PGCDC_VC_TEXT, 1, "character varying(10)", PGCDC_VC_TEXT, 0},
    {1043, CHARMOD(25), "TEXT", PGCDC_VC_TEXT, 1, "character varying(25)", PGCDC_VC_TEXT, 0},
    {1043, CHARMOD(255), "TEXT", PGCDC_VC_TEXT, 1, "character varying(255)", PGCDC_VC_TEXT, 1},
    {1043, -1, "TEXT", PGCDC_VC_TEXT, 1, "character varying", PGCDC_VC_TEXT, 1},
    {25, -1, "TEXT", PGCDC_VC_TEXT, 1, "text", PGCDC_VC_TEXT, 1},
    {19, -1, "TEXT", PGCDC_VC_TEXT, 1, "name", PGCDC_VC_TEXT, 1},
    {18, -1, "TEXT", PGCDC_VC_OTHER, 1, "\"char\"", PGCDC_VC_OTHER, 0},
    {17, -1, "BINARY", PGCDC_VC_BINARY, 1, "bytea", PGCDC_VC_BINARY, 1},
    /* date and time */
    {1082, -1, "DATE", PGCDC_VC_DATE, 0, "date", PGCDC_VC_DATE, 0},
    {1083, -1, "TIME(6)", PGCDC_VC_TIME, 0, "time without time zone", PGCDC_VC_TIME, 0},
    {1083, 3, "TIME(3)", PGCDC_VC_TIME, 0, "time(3) without time zone", PGCDC_VC_TIME, 0},
    {1266, -1, "TIMESTAMP_TZ(6)", PGCDC_VC_TIMETZ, 0, "time with time zone", PGCDC_VC_TIMETZ, 0},
    {1266, 0, "TIMESTAMP_TZ(0)", PGCDC_VC_TIMETZ, 0, "time(0) with time zone", PGCDC_VC_TIMETZ, 0},
    {1114, -1, "TIMESTAMP_NTZ(6)", PGCDC_VC_TIMESTAMP, 0, "timestamp without time zone", PGCDC_VC_TIMESTAMP, 0},
    {1114, 3, "TIMESTAMP_NTZ(3)", PGCDC_VC_TIMESTAMP, 0, "timestamp(3) without time zone", PGCDC_VC_TIMESTAMP, 0},
    {1184, -1, "TIMESTAMP_LTZ(6)", PGCDC_VC_TIMESTAMPTZ, 0, "timestamp with time zone", PGCDC_VC_TIMESTAMPTZ, 0},
    {1184, 0, "TIMESTAMP_LTZ(0)", PGCDC_VC_TIMESTAMPTZ, 0, "timestamp(0) with time zone", PGCDC_VC_TIMESTAMPTZ, 0},
    {1186, -1, "TEXT", PGCDC_VC_INTERVAL, 1, "interval", PGCDC_VC_INTERVAL, 0},
    {1186, IVMOD(4 | 2, 0xFFFF), "TEXT", PGCDC_VC_INTERVAL, 1, "interval year to month", PGCDC_VC_INTERVAL, 0},
    {1186, IVMOD(0x7FFF, 3), "TEXT", PGCDC_VC_INTERVAL, 1, "interval(3)", PGCDC_VC_INTERVAL, 0},
    {1186, IVMOD(8 | 1024 | 2048 | 4096, 2), "TEXT", PGCDC_VC_INTERVAL, 1, "interval day to second(2)",
     PGCDC_VC_INTERVAL, 0},
    {1186, IVMOD(2, 0xFFFF), "TEXT", PGCDC_VC_INTERVAL, 1, "interval month", PGCDC_VC_INTERVAL, 0},
    /* json */
    {114, -1, "VARIANT", PGCDC_VC_JSON, 1, "json", PGCDC_VC_JSON, 1},
    {3802, -1, "VARIANT", PGCDC_VC_JSON, 1, "jsonb", PGCDC_VC_JSON, 1},
    /* everything else: TEXT in Snowflake, itself in PostgreSQL */
    {2950, -1, "TEXT", PGCDC_VC_OTHER, 1, "uuid", PGCDC_VC_OTHER, 0},
    {142, -1, "TEXT", PGCDC_VC_OTHER, 1, "xml", PGCDC_VC_OTHER, 1},
    {1560, 5, "TEXT", PGCDC_VC_OTHER, 1, "bit(5)", PGCDC_VC_OTHER, 0},
    {1560, -1, "TEXT", PGCDC_VC_OTHER, 1, "bit", PGCDC_VC_OTHER, 0},
    {1562, 10, "TEXT", PGCDC_VC_OTHER, 1, "bit varying(10)", PGCDC_VC_OTHER, 0},
    {1562, -1, "TEXT", PGCDC_VC_OTHER, 1, "bit varying", PGCDC_VC_OTHER, 0},
    {600, -1, "TEXT", PGCDC_VC_OTHER, 1, "point", PGCDC_VC_OTHER, 0},
    {601, -1, "TEXT", PGCDC_VC_OTHER, 1, "lseg", PGCDC_VC_OTHER, 0},
    {602, -1, "TEXT", PGCDC_VC_OTHER, 1, "path", PGCDC_VC_OTHER, 0},
    {603, -1, "TEXT", PGCDC_VC_OTHER, 1, "box", PGCDC_VC_OTHER, 0},
    {604, -1, "TEXT", PGCDC_VC_OTHER, 1, "polygon", PGCDC_VC_OTHER, 0},
    {628, -1, "TEXT", PGCDC_VC_OTHER, 1, "line", PGCDC_VC_OTHER, 0},
    {718, -1, "TEXT", PGCDC_VC_OTHER, 1, "circle", PGCDC_VC_OTHER, 0},
    {650, -1, "TEXT", PGCDC_VC_OTHER, 1, "cidr", PGCDC_VC_OTHER, 0},
    {869, -1, "TEXT", PGCDC_VC_OTHER, 1, "inet", PGCDC_VC_OTHER, 0},
    {829, -1, "TEXT", PGCDC_VC_OTHER, 1, "macaddr", PGCDC_VC_OTHER, 0},
    {774, -1, "TEXT", PGCDC_VC_OTHER, 1, "macaddr8", PGCDC_VC_OTHER, 0},
    {3614, -1, "TEXT", PGCDC_VC_OTHER, 1, "tsvector", PGCDC_VC_OTHER, 0},
    {3615, -1, "TEXT", PGCDC_VC_OTHER, 1, "tsquery", PGCDC_VC_OTHER, 0},
    {3220, -1, "TEXT", PGCDC_VC_OTHER, 1, "pg_lsn", PGCDC_VC_OTHER, 0},
    {3904, -1, "TEXT", PGCDC_VC_OTHER, 1, "int4range", PGCDC_VC_OTHER, 0},
    {3910, -1, "TEXT", PGCDC_VC_OTHER, 1, "tstzrange", PGCDC_VC_OTHER, 0},
    {4451, -1, "TEXT", PGCDC_VC_OTHER, 1, "int4multirange", PGCDC_VC_OTHER, 0},
    {4072, -1, "TEXT", PGCDC_VC_OTHER, 1, "jsonpath", PGCDC_VC_OTHER, 0},
    {5069, -1, "TEXT", PGCDC_VC_OTHER, 1, "xid8", PGCDC_VC_OTHER, 0},
    {22, -1, "TEXT", PGCDC_VC_OTHER, 1, "int2vector", PGCDC_VC_OTHER, 0},
    /* values naming source objects: text in the PostgreSQL dialect */
    {2205, -1, "TEXT", PGCDC_VC_OTHER, 1, "text", PGCDC_VC_TEXT, 1},
    {2206, -1, "TEXT", PGCDC_VC_OTHER, 1, "text", PGCDC_VC_TEXT, 1},
    {1033, -1, "TEXT", PGCDC_VC_OTHER, 1, "text", PGCDC_VC_TEXT, 1},
    /* arrays: the column typmod constrains the element */
    {1007, -1, "ARRAY", PGCDC_VC_ARRAY, 1, "integer[]", PGCDC_VC_ARRAY, 0},
    {1005, -1, "ARRAY", PGCDC_VC_ARRAY, 1, "smallint[]", PGCDC_VC_ARRAY, 0},
    {1231, NUMMOD(10, 2), "ARRAY", PGCDC_VC_ARRAY, 1, "numeric(10,2)[]", PGCDC_VC_ARRAY, 0},
    {1009, -1, "ARRAY", PGCDC_VC_ARRAY, 1, "text[]", PGCDC_VC_ARRAY, 1},
    {1015, CHARMOD(5), "ARRAY", PGCDC_VC_ARRAY, 1, "character varying(5)[]", PGCDC_VC_ARRAY, 0},
    {1115, 3, "ARRAY", PGCDC_VC_ARRAY, 1, "timestamp(3) without time zone[]", PGCDC_VC_ARRAY, 0},
    {199, -1, "ARRAY", PGCDC_VC_ARRAY, 1, "json[]", PGCDC_VC_ARRAY, 0},
    {3807, -1, "ARRAY", PGCDC_VC_ARRAY, 1, "jsonb[]", PGCDC_VC_ARRAY, 0},
    {1001, -1, "ARRAY", PGCDC_VC_ARRAY, 1, "bytea[]", PGCDC_VC_ARRAY, 0},
    {1020, -1, "ARRAY", PGCDC_VC_ARRAY, 1, "box[]", PGCDC_VC_ARRAY, 0},
    {2951, -1, "ARRAY", PGCDC_VC_ARRAY, 1, "uuid[]", PGCDC_VC_ARRAY, 0},
    {2210, -1, "ARRAY", PGCDC_VC_ARRAY, 1, "text[]", PGCDC_VC_ARRAY, 1},
};

static void test_table(void)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const map_case *c = &cases[i];
        pgcdc_pg_type t;
        pgcdc_error err = {0};
        CHECK_INT(pgcdc_type_resolve(NULL, c->oid, c->typmod, &t, &err), PGCDC_OK);
        for (int d = 0; d < 2; d++) {
            pgcdc_dest_type dt;
            CHECK_INT(pgcdc_type_map(&t, d ? PG : SF, &dt, &err), PGCDC_OK);
            const char *want = d ? c->pg_sql : c->sf_sql;
            CHECK_MSG(strcmp(dt.sql, want) == 0, "oid %u typmod %d %s: got \"%s\", expected \"%s\"", c->oid,
                      c->typmod, d ? "pg" : "sf", dt.sql, want);
            CHECK_MSG(dt.vclass == (d ? c->pg_class : c->sf_class), "oid %u %s: class %s", c->oid,
                      d ? "pg" : "sf", pgcdc_value_class_name(dt.vclass));
            CHECK_MSG(dt.holds_unchanged == (d ? c->pg_holds : c->sf_holds), "oid %u typmod %d %s: holds_unchanged %d",
                      c->oid, c->typmod, d ? "pg" : "sf", dt.holds_unchanged);
        }
    }
}

static void test_details(void)
{
    pgcdc_pg_type t;
    pgcdc_dest_type d;
    pgcdc_error err = {0};

    /* arrays: element class, element OID, delimiter */
    CHECK_INT(pgcdc_type_resolve(NULL, 1231, NUMMOD(10, 2), &t, &err), PGCDC_OK);
    CHECK_INT(t.elem_oid, 1700);
    CHECK_INT(t.elem_typmod, NUMMOD(10, 2));
    CHECK_STR(t.name, "_numeric");
    CHECK_INT(pgcdc_type_map(&t, SF, &d, &err), PGCDC_OK);
    CHECK_INT(d.elem_class, PGCDC_VC_NUMERIC);
    CHECK_INT(d.elem_oid, 1700);
    CHECK_INT(d.elem_delim, ',');
    CHECK_INT(d.max_bytes, PGCDC_SNOWFLAKE_MAX_TEXT_BYTES);
    CHECK_INT(pgcdc_type_resolve(NULL, 1020, -1, &t, &err), PGCDC_OK);
    CHECK_INT(pgcdc_type_map(&t, SF, &d, &err), PGCDC_OK);
    CHECK_INT(d.elem_delim, ';');

    /* precision/scale and limits */
    CHECK_INT(pgcdc_type_resolve(NULL, 1700, NUMMOD(12, 4), &t, &err), PGCDC_OK);
    CHECK_INT(t.base_typmod, NUMMOD(12, 4));
    CHECK_INT(pgcdc_type_map(&t, SF, &d, &err), PGCDC_OK);
    CHECK_INT(d.precision, 12);
    CHECK_INT(d.scale, 4);
    CHECK_INT(pgcdc_type_resolve(NULL, 17, -1, &t, &err), PGCDC_OK);
    CHECK_INT(pgcdc_type_map(&t, SF, &d, &err), PGCDC_OK);
    CHECK_INT(d.max_bytes, PGCDC_SNOWFLAKE_MAX_BINARY_BYTES);
    CHECK_INT(pgcdc_type_map(&t, PG, &d, &err), PGCDC_OK);
    CHECK_INT(d.max_bytes, 0);
    CHECK_INT(pgcdc_type_resolve(NULL, 1114, 3, &t, &err), PGCDC_OK);
    CHECK_INT(pgcdc_type_map(&t, PG, &d, &err), PGCDC_OK);
    CHECK_INT(d.precision, 3);

    /* a user type cannot be resolved without a connection */
    CHECK_INT(pgcdc_type_resolve(NULL, 16500, -1, &t, &err), PGCDC_EINVAL);
    CHECK_CONTAINS(err.message, "16500");

    /* hand-made user types: what map does with each typtype */
    pgcdc_pg_type u;
    memset(&u, 0, sizeof u);
    u.oid = u.base_oid = 16400;
    u.typmod = u.base_typmod = u.elem_typmod = -1;
    snprintf(u.name, sizeof u.name, "public.mood");
    const char kinds[] = {'e', 'c', 'r', 'm', 'b'};
    for (size_t i = 0; i < sizeof kinds; i++) {
        u.typtype = u.base_typtype = kinds[i];
        CHECK_INT(pgcdc_type_map(&u, SF, &d, &err), PGCDC_OK);
        CHECK_STR(d.sql, "TEXT");
        CHECK_INT(d.vclass, PGCDC_VC_TEXT);
        CHECK_INT(pgcdc_type_map(&u, PG, &d, &err), PGCDC_OK);
        CHECK_STR(d.sql, "text");
        CHECK_INT(d.vclass, PGCDC_VC_TEXT);
        CHECK(d.holds_unchanged);
        CHECK_STR(d.pg_name, "public.mood");
    }
    /* an array of an enum: text[] / ARRAY of strings */
    u.oid = u.base_oid = 16401;
    u.typtype = u.base_typtype = 'b';
    u.elem_oid = 16400;
    u.elem_typtype = 'e';
    CHECK_INT(pgcdc_type_map(&u, PG, &d, &err), PGCDC_OK);
    CHECK_STR(d.sql, "text[]");
    CHECK(d.holds_unchanged);
    CHECK_INT(pgcdc_type_map(&u, SF, &d, &err), PGCDC_OK);
    CHECK_STR(d.sql, "ARRAY");
    CHECK_INT(d.elem_class, PGCDC_VC_TEXT);
    /* a domain over numeric(10,2): maps like numeric(10,2) */
    memset(&u, 0, sizeof u);
    u.oid = 16402;
    u.typtype = 'd';
    u.typmod = -1;
    u.base_oid = 1700;
    u.base_typtype = 'b';
    u.base_typmod = NUMMOD(10, 2);
    u.elem_typmod = -1;
    CHECK_INT(pgcdc_type_map(&u, SF, &d, &err), PGCDC_OK);
    CHECK_STR(d.sql, "NUMBER(10,2)");
    CHECK_INT(d.pg_oid, 1700);
    CHECK_INT(pgcdc_type_map(&u, PG, &d, &err), PGCDC_OK);
    CHECK_STR(d.sql, "numeric(10,2)");
    /* a pseudo type is refused */
    u.base_typtype = 'p';
    CHECK_INT(pgcdc_type_map(&u, SF, &d, &err), PGCDC_EUNSUPPORTED);
    CHECK_CONTAINS(err.message, "pseudo-type");
    u.base_typtype = 'b';
    CHECK_INT(pgcdc_type_map(&u, (pgcdc_dialect)7, &d, &err), PGCDC_EINVAL);

    CHECK_STR(pgcdc_dialect_name(SF), "snowflake");
    CHECK_STR(pgcdc_dialect_name(PG), "postgresql");
    CHECK_STR(pgcdc_value_result_name(PGCDC_VALUE_PLACEHOLDER), "placeholder");
}

int main(void)
{
    test_table();
    test_details();
    return pgt_done("types-map");
}
