/* test_batch_values_live.c - the typed Value forms against a real server's
 * output functions: every float8/float4/int/oid/bool text PostgreSQL prints
 * (random values over the whole range, subnormals, specials, arithmetic
 * results) becomes its typed form and pgcdc_batch_value_get gives back the
 * server's bytes exactly. With extra_float_digits=0 (the pre-12 style, still
 * settable) the floats that are not shortest stay text, still exact. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch_fixture.h"
#include "check.h"
#include "pgcdc/batch.h"
#include "pgt.h"

/* Runs the texts of a one-column query through the builder as type_oid
 * values; returns how many became typed (all must come back exactly). */
static int check_column(PGconn *conn, uint32_t type_oid, const char *sql)
{
    PGresult *res = PQexec(conn, sql);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        CHECK_MSG(0, "%s: %s", sql, PQerrorMessage(conn));
        PQclear(res);
        return 0;
    }
    int n = PQntuples(res);
    pgcdc_value *vals = calloc((size_t)n, sizeof *vals);
    for (int i = 0; i < n; i++)
        vals[i] = (pgcdc_value){.kind = 't', .len = (uint32_t)PQgetlength(res, i, 0), .data = PQgetvalue(res, i, 0)};
    fx_run r;
    fx_run_values(&r, type_oid, n, vals);
    int typed = 0;
    for (int i = 0; r.change && i < n && (size_t)i < r.change->n_new_values; i++) {
        const Pgcdc__V1__Value *dv = r.change->new_values[i];
        const char *text = PQgetvalue(res, i, 0);
        bool is_typed = dv->kind_case != PGCDC__V1__VALUE__KIND_TEXT;
        typed += is_typed;
        if (!is_typed && getenv("PGCDC_TEST_VERBOSE"))
            printf("type %u: \"%s\" kept as text\n", type_oid, text);
        char scratch[PGCDC_BATCH_VALUE_SCRATCH];
        pgcdc_value back;
        CHECK_INT(pgcdc_batch_value_get(dv, type_oid, scratch, &back, NULL), PGCDC_OK);
        CHECK_MSG(back.len == strlen(text) && memcmp(back.data, text, back.len) == 0,
                  "type %u: server printed \"%s\", the batch gives back \"%.*s\"", type_oid, text, (int)back.len,
                  back.data);
        if (is_typed && dv->kind_case == PGCDC__V1__VALUE__KIND_DOUBLE_VALUE && !isnan(dv->double_value)) {
            double want = type_oid == 700 ? (double)strtof(text, NULL) : strtod(text, NULL);
            CHECK_MSG(dv->double_value == want, "%s became %.17g", text, dv->double_value);
        }
    }
    fx_run_free(&r);
    fx_trash();
    free(vals);
    PQclear(res);
    return typed;
}

static const char *float8_sql =
    "SELECT x::text FROM ("
    " SELECT ((random() * 2 - 1) * 10 ^ (floor(random() * 600) - 300))::float8 AS x FROM generate_series(1, 4000)"
    " UNION ALL SELECT random()::float8 FROM generate_series(1, 2000)"
    " UNION ALL SELECT (random() * 1e6)::int8::float8 / 100 FROM generate_series(1, 1000)"
    " UNION ALL SELECT '4.9e-324'::float8 * (random() * 1e6)::int FROM generate_series(1, 500)"
    " UNION ALL SELECT 2.2250738585072014e-308::float8 * random() FROM generate_series(1, 500)"
    " UNION ALL SELECT v::float8 FROM unnest(ARRAY['0', '-0', 'NaN', 'Infinity', '-Infinity', '0.1', '1e15',"
    "   '1e16', '123456789012345', '1234567890123456', '0.0001', '0.00001', '1.7976931348623157e308',"
    "   '5e-324', '1e-310']) v"
    " UNION ALL SELECT 0.1::float8 + 0.2::float8 UNION ALL SELECT 1 / 3.0::float8"
    ") s";

static const char *float4_sql =
    "SELECT x::text FROM ("
    " SELECT ((random() * 2 - 1) * 10 ^ (floor(random() * 76) - 38))::float4 AS x FROM generate_series(1, 4000)"
    " UNION ALL SELECT random()::float4 FROM generate_series(1, 2000)"
    " UNION ALL SELECT ('1.4e-45'::float4 * (random() * 1e6)::int)::float4 FROM generate_series(1, 500)"
    " UNION ALL SELECT v::float4 FROM unnest(ARRAY['0', '-0', 'NaN', 'Infinity', '-Infinity', '0.1', '1e6',"
    "   '100000', '123456', '1234567', '3.4028235e38', '1e-45', '16777217']) v"
    ") s";

int main(void)
{
    pgt_cluster c;
    pgt_cluster_start(&c, pgt_major(), NULL);
    PGconn *conn = pgt_connect(&c, "postgres");
    fx_trash();
    pgt_exec(conn, "SELECT setseed(0.4242)");

    int n8 = 4000 + 2000 + 1000 + 500 + 500 + 15 + 2, n4 = 4000 + 2000 + 500 + 13;
    /* PostgreSQL 12+: float output is the shortest exact form: all typed */
    CHECK_INT(check_column(conn, 701, float8_sql), n8);
    CHECK_INT(check_column(conn, 700, float4_sql), n4);

    CHECK_INT(check_column(conn, 20,
                           "SELECT x::text FROM (SELECT ((random() - 0.5) * 1.8e19)::int8 x FROM generate_series(1, 2000)"
                           " UNION ALL SELECT v FROM unnest(ARRAY[-9223372036854775808, 9223372036854775807, 0, -1]::int8[]) v) s"),
              2004);
    CHECK_INT(check_column(conn, 23,
                           "SELECT x::text FROM (SELECT ((random() - 0.5) * 4e9)::int4 x FROM generate_series(1, 2000)"
                           " UNION ALL SELECT v FROM unnest(ARRAY[-2147483648, 2147483647]::int4[]) v) s"),
              2002);
    CHECK_INT(check_column(conn, 21, "SELECT v::text FROM unnest(ARRAY[-32768, 32767, 0, 7]::int2[]) v"), 4);
    CHECK_INT(check_column(conn, 26, "SELECT v::text FROM unnest(ARRAY[0, 1, 4294967295]::oid[]) v"), 3);
    CHECK_INT(check_column(conn, 16, "SELECT v FROM unnest(ARRAY[true, false]) v"), 2);

    /* the pre-12 style output: exact or kept as text, never altered */
    pgt_exec(conn, "SET extra_float_digits = 0");
    int typed = check_column(conn, 701, float8_sql);
    printf("extra_float_digits=0: %d of %d float8 texts typed\n", typed, n8);
    CHECK(typed > 0 && typed < n8);
    pgt_exec(conn, "SET extra_float_digits = 3");
    CHECK_INT(check_column(conn, 701, float8_sql), n8);

    PQfinish(conn);
    pgt_cluster_stop(&c);
    return pgt_done("batch_values_live");
}
