/* bench_types.c - throughput of pgcdc_value_convert on the hot path (suite
 * 'bench', not run by default): values per second for typical column
 * types, text and binary, both dialects. Run with
 *   meson test -C build types-bench -v
 * The buffer is reset per row, as a journal writer would: no allocation
 * happens after the first few values. */
#include "pgcdc/types.h"
#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void bench(const char *label, uint32_t oid, int32_t typmod, pgcdc_dialect d, char kind, const char *data,
                  size_t len, long iterations)
{
    pgcdc_pg_type t;
    pgcdc_dest_type dt;
    pgcdc_error err = {0};
    CHECK_INT(pgcdc_type_resolve(NULL, oid, typmod, &t, &err), PGCDC_OK);
    CHECK_INT(pgcdc_type_map(&t, d, &dt, &err), PGCDC_OK);
    pgcdc_value v = {kind, (uint32_t)len, data};
    pgcdc_buf out = PGCDC_BUF_INIT;
    long failures = 0;
    size_t bytes = 0;
    double t0 = now();
    for (long i = 0; i < iterations; i++) {
        if ((i & 63) == 0) { /* a "row" of 64 values per buffer */
            bytes += out.len;
            pgcdc_buf_reset(&out);
        }
        if (pgcdc_value_convert(&dt, &v, &out, NULL, &err) != PGCDC_OK)
            failures++;
    }
    double secs = now() - t0;
    bytes += out.len;
    CHECK_MSG(failures == 0, "%s: %ld conversions failed: %s", label, failures, err.message);
    printf("%-44s %12.0f values/s  %8.1f MB/s out\n", label, (double)iterations / secs,
           (double)bytes / secs / 1e6);
    pgcdc_buf_free(&out);
}

#define TXT(s) 't', s, sizeof(s) - 1
#define BIN(s) 'b', s, sizeof(s) - 1

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 2000000;
    char text100[101];
    memset(text100, 'x', 100);
    text100[100] = '\0';
    const pgcdc_dialect SF = PGCDC_DIALECT_SNOWFLAKE, PG = PGCDC_DIALECT_POSTGRES;

    bench("int4 text -> Snowflake NUMBER", 23, -1, SF, TXT("-2147483648"), n);
    bench("int8 binary -> Snowflake NUMBER", 20, -1, SF, BIN("\x00\x00\x01\x00\x00\x00\x00\x2a"), n);
    bench("numeric(12,2) text -> Snowflake NUMBER", 1700, ((12 << 16) | 2) + 4, SF, TXT("1234567890.12"), n);
    bench("float8 text -> Snowflake FLOAT", 701, -1, SF, TXT("3.141592653589793"), n);
    bench("float8 binary -> Snowflake FLOAT", 701, -1, SF, BIN("\x40\x09\x21\xfb\x54\x44\x2d\x18"), n / 10);
    bench("bool text -> Snowflake BOOLEAN", 16, -1, SF, TXT("t"), n);
    bench("timestamp text -> Snowflake TIMESTAMP_NTZ", 1114, -1, SF, TXT("2024-05-17 12:34:56.789012"), n);
    bench("timestamptz text -> Snowflake TIMESTAMP_LTZ", 1184, -1, SF, TXT("2024-05-17 12:34:56.789012+00"), n);
    bench("timestamp binary -> Snowflake TIMESTAMP_NTZ", 1114, -1, SF, BIN("\x00\x02\xc5\x8d\x1f\x12\x34\x56"), n);
    bench("date text -> Snowflake DATE", 1082, -1, SF, TXT("2024-05-17"), n);
    bench("text (100 bytes) -> Snowflake TEXT", 25, -1, SF, 't', text100, 100, n);
    bench("bytea text (16 bytes) -> Snowflake BINARY", 17, -1, SF, TXT("\\x000102030405060708090a0b0c0d0e0f"), n);
    bench("int4[] text (10) -> Snowflake ARRAY", 1007, -1, SF, TXT("{1,2,3,4,5,6,7,8,9,10}"), n / 4);
    bench("text[] text (3) -> Snowflake ARRAY", 1009, -1, SF, TXT("{alpha,\"b c\",\"d\\\"e\"}"), n / 4);
    bench("int4 text -> PostgreSQL integer", 23, -1, PG, TXT("-2147483648"), n);
    bench("timestamptz text -> PostgreSQL", 1184, -1, PG, TXT("2024-05-17 12:34:56.789012+00"), n);
    bench("text (100 bytes) -> PostgreSQL text", 25, -1, PG, 't', text100, 100, n);
    bench("int4[] text (10) -> PostgreSQL integer[]", 1007, -1, PG, TXT("{1,2,3,4,5,6,7,8,9,10}"), n);
    return pgt_done("types-bench");
}
