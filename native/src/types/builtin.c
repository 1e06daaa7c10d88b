/* builtin.c - the built-in types we know by OID, so that resolving a column of
 * a built-in type needs no catalog query. Built-in OIDs are fixed across
 * PostgreSQL versions (genbki assigns them in pg_type.dat); a built-in type
 * missing here is still resolved from pg_type and carried as text. */
#include "types_internal.h"

#define T PGCDC_BT_PG_AS_TEXT

static const pgcdc_builtin_type builtins[] = {
    /* oid  array  typname          spelling (format_type)          typtype delim class            flags */
    {16, 1000, "bool", "boolean", 'b', ',', PGCDC_VC_BOOL, 0},
    {17, 1001, "bytea", "bytea", 'b', ',', PGCDC_VC_BINARY, 0},
    {18, 1002, "char", "\"char\"", 'b', ',', PGCDC_VC_OTHER, 0},
    {19, 1003, "name", "name", 'b', ',', PGCDC_VC_TEXT, 0},
    {20, 1016, "int8", "bigint", 'b', ',', PGCDC_VC_INT, 0},
    {21, 1005, "int2", "smallint", 'b', ',', PGCDC_VC_INT, 0},
    {22, 1006, "int2vector", "int2vector", 'b', ',', PGCDC_VC_OTHER, 0},
    {23, 1007, "int4", "integer", 'b', ',', PGCDC_VC_INT, 0},
    {24, 1008, "regproc", "regproc", 'b', ',', PGCDC_VC_OTHER, T},
    {25, 1009, "text", "text", 'b', ',', PGCDC_VC_TEXT, 0},
    {26, 1028, "oid", "oid", 'b', ',', PGCDC_VC_INT, 0},
    {27, 1010, "tid", "tid", 'b', ',', PGCDC_VC_OTHER, 0},
    {28, 1011, "xid", "xid", 'b', ',', PGCDC_VC_OTHER, 0},
    {29, 1012, "cid", "cid", 'b', ',', PGCDC_VC_OTHER, 0},
    {30, 1013, "oidvector", "oidvector", 'b', ',', PGCDC_VC_OTHER, 0},
    {114, 199, "json", "json", 'b', ',', PGCDC_VC_JSON, 0},
    {142, 143, "xml", "xml", 'b', ',', PGCDC_VC_OTHER, 0},
    {194, 0, "pg_node_tree", "pg_node_tree", 'b', ',', PGCDC_VC_OTHER, T},
    {600, 1017, "point", "point", 'b', ',', PGCDC_VC_OTHER, 0},
    {601, 1018, "lseg", "lseg", 'b', ',', PGCDC_VC_OTHER, 0},
    {602, 1019, "path", "path", 'b', ',', PGCDC_VC_OTHER, 0},
    {603, 1020, "box", "box", 'b', ';', PGCDC_VC_OTHER, 0},
    {604, 1027, "polygon", "polygon", 'b', ',', PGCDC_VC_OTHER, 0},
    {628, 629, "line", "line", 'b', ',', PGCDC_VC_OTHER, 0},
    {650, 651, "cidr", "cidr", 'b', ',', PGCDC_VC_OTHER, 0},
    {700, 1021, "float4", "real", 'b', ',', PGCDC_VC_FLOAT, 0},
    {701, 1022, "float8", "double precision", 'b', ',', PGCDC_VC_FLOAT, 0},
    {718, 719, "circle", "circle", 'b', ',', PGCDC_VC_OTHER, 0},
    {774, 775, "macaddr8", "macaddr8", 'b', ',', PGCDC_VC_OTHER, 0},
    {790, 791, "money", "money", 'b', ',', PGCDC_VC_MONEY, 0},
    {829, 1040, "macaddr", "macaddr", 'b', ',', PGCDC_VC_OTHER, 0},
    {869, 1041, "inet", "inet", 'b', ',', PGCDC_VC_OTHER, 0},
    {1033, 1034, "aclitem", "aclitem", 'b', ',', PGCDC_VC_OTHER, T},
    {1042, 1014, "bpchar", "bpchar", 'b', ',', PGCDC_VC_TEXT, 0},
    {1043, 1015, "varchar", "character varying", 'b', ',', PGCDC_VC_TEXT, 0},
    {1082, 1182, "date", "date", 'b', ',', PGCDC_VC_DATE, 0},
    {1083, 1183, "time", "time without time zone", 'b', ',', PGCDC_VC_TIME, 0},
    {1114, 1115, "timestamp", "timestamp without time zone", 'b', ',', PGCDC_VC_TIMESTAMP, 0},
    {1184, 1185, "timestamptz", "timestamp with time zone", 'b', ',', PGCDC_VC_TIMESTAMPTZ, 0},
    {1186, 1187, "interval", "interval", 'b', ',', PGCDC_VC_INTERVAL, 0},
    {1266, 1270, "timetz", "time with time zone", 'b', ',', PGCDC_VC_TIMETZ, 0},
    {1560, 1561, "bit", "bit", 'b', ',', PGCDC_VC_OTHER, 0},
    {1562, 1563, "varbit", "bit varying", 'b', ',', PGCDC_VC_OTHER, 0},
    {1700, 1231, "numeric", "numeric", 'b', ',', PGCDC_VC_NUMERIC, 0},
    {1790, 2201, "refcursor", "refcursor", 'b', ',', PGCDC_VC_OTHER, 0},
    {2202, 2207, "regprocedure", "regprocedure", 'b', ',', PGCDC_VC_OTHER, T},
    {2203, 2208, "regoper", "regoper", 'b', ',', PGCDC_VC_OTHER, T},
    {2204, 2209, "regoperator", "regoperator", 'b', ',', PGCDC_VC_OTHER, T},
    {2205, 2210, "regclass", "regclass", 'b', ',', PGCDC_VC_OTHER, T},
    {2206, 2211, "regtype", "regtype", 'b', ',', PGCDC_VC_OTHER, T},
    {2950, 2951, "uuid", "uuid", 'b', ',', PGCDC_VC_OTHER, 0},
    {2970, 2949, "txid_snapshot", "txid_snapshot", 'b', ',', PGCDC_VC_OTHER, 0},
    {3220, 3221, "pg_lsn", "pg_lsn", 'b', ',', PGCDC_VC_OTHER, 0},
    {3614, 3643, "tsvector", "tsvector", 'b', ',', PGCDC_VC_OTHER, 0},
    {3615, 3645, "tsquery", "tsquery", 'b', ',', PGCDC_VC_OTHER, 0},
    {3642, 3644, "gtsvector", "gtsvector", 'b', ',', PGCDC_VC_OTHER, T},
    {3734, 3735, "regconfig", "regconfig", 'b', ',', PGCDC_VC_OTHER, T},
    {3769, 3770, "regdictionary", "regdictionary", 'b', ',', PGCDC_VC_OTHER, T},
    {3802, 3807, "jsonb", "jsonb", 'b', ',', PGCDC_VC_JSON, 0},
    {3904, 3905, "int4range", "int4range", 'r', ',', PGCDC_VC_OTHER, 0},
    {3906, 3907, "numrange", "numrange", 'r', ',', PGCDC_VC_OTHER, 0},
    {3908, 3909, "tsrange", "tsrange", 'r', ',', PGCDC_VC_OTHER, 0},
    {3910, 3911, "tstzrange", "tstzrange", 'r', ',', PGCDC_VC_OTHER, 0},
    {3912, 3913, "daterange", "daterange", 'r', ',', PGCDC_VC_OTHER, 0},
    {3926, 3927, "int8range", "int8range", 'r', ',', PGCDC_VC_OTHER, 0},
    {4072, 4073, "jsonpath", "jsonpath", 'b', ',', PGCDC_VC_OTHER, 0},
    {4089, 4090, "regnamespace", "regnamespace", 'b', ',', PGCDC_VC_OTHER, T},
    {4096, 4097, "regrole", "regrole", 'b', ',', PGCDC_VC_OTHER, T},
    {4191, 4192, "regcollation", "regcollation", 'b', ',', PGCDC_VC_OTHER, T},
    {4451, 6150, "int4multirange", "int4multirange", 'm', ',', PGCDC_VC_OTHER, 0},
    {4532, 6151, "nummultirange", "nummultirange", 'm', ',', PGCDC_VC_OTHER, 0},
    {4533, 6152, "tsmultirange", "tsmultirange", 'm', ',', PGCDC_VC_OTHER, 0},
    {4534, 6153, "tstzmultirange", "tstzmultirange", 'm', ',', PGCDC_VC_OTHER, 0},
    {4535, 6155, "datemultirange", "datemultirange", 'm', ',', PGCDC_VC_OTHER, 0},
    {4536, 6157, "int8multirange", "int8multirange", 'm', ',', PGCDC_VC_OTHER, 0},
    {5038, 5039, "pg_snapshot", "pg_snapshot", 'b', ',', PGCDC_VC_OTHER, 0},
    {5069, 271, "xid8", "xid8", 'b', ',', PGCDC_VC_OTHER, 0},
};

#undef T

/* Linear scans: called once per column per Relation message, never per value. */
const pgcdc_builtin_type *pgcdc_builtin_by_oid(uint32_t oid)
{
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
        if (builtins[i].oid == oid)
            return &builtins[i];
    return NULL;
}

const pgcdc_builtin_type *pgcdc_builtin_by_array_oid(uint32_t array_oid)
{
    if (array_oid == 0)
        return NULL;
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
        if (builtins[i].array_oid == array_oid)
            return &builtins[i];
    return NULL;
}

bool pgcdc_numeric_typmod(int32_t typmod, int *precision, int *scale)
{
    if (typmod < 4) /* VARHDRSZ: anything smaller means "no typmod" */
        return false;
    int32_t t = typmod - 4;
    *precision = (t >> 16) & 0xFFFF;
    /* The scale is an 11-bit two's complement field since PostgreSQL 15
     * (negative scales); older versions never store a scale above 1000, so
     * the same decoding is right for them. */
    *scale = ((t & 0x7FF) ^ 1024) - 1024;
    return true;
}
