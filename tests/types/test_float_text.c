/* test_float_text.c - the library's one float formatter (types/float_text.c,
 * PostgreSQL's float4out/float8out with extra_float_digits > 0):
 *  - a table of values with the text PostgreSQL 17 prints for them (checked
 *    with psql when written): layout limits, extremes, subnormals, powers of
 *    two (where the interval of decimals that read back is lopsided; both
 *    earlier formatters got some of them wrong), exact ties (Ryu rounds them
 *    to even), specials;
 *  - random bit patterns: the text reads back as the value;
 *  - a locale with a ',' radix, process-wide (setlocale, as a JVM does) and
 *    per thread (uselocale): the same bytes, through the formatter, a binary
 *    float converted for Snowflake, and a ChangeBatch double read back.
 * The live tests compare with real servers on random values. */
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "change_batch.pb-c.h"
#include "check.h"
#include "comma_locale.h"
#include "pgcdc/batch.h"
#include "pgcdc/types.h"
#include "types/float_text.h"

typedef struct {
    double v;
    bool f4;
    const char *want;
} tcase;

#define F8(x, s) {(double)(x), false, s}
#define F4(x, s) {(double)(float)(x), true, s}

static const tcase cases[] = {
    F8(0.0, "0"),
    F8(-0.0, "-0"),
    F8(1.0, "1"),
    F8(-1.0, "-1"),
    F8(0.1, "0.1"),
    F8(0.1 + 0.2, "0.30000000000000004"),
    F8(1.5, "1.5"),
    F8(100.0, "100"),
    F8(1.0 / 3, "0.3333333333333333"),
    F8(3.141592653589793, "3.141592653589793"),
    F8(123456789012345.0, "123456789012345"),
    F8(999999999999999.9, "999999999999999.9"),
    F8(1e15, "1e+15"),
    F8(1234567890123456.0, "1.234567890123456e+15"),
    F8(9007199254740991.0, "9.007199254740991e+15"),
    F8(0x1p53, "9.007199254740992e+15"),
    F8(0x1p53 + 2, "9.007199254740994e+15"),
    F8(0x1p55, "3.602879701896397e+16"), /* 16 digits above a power of two */
    F8(0x1p56, "7.205759403792794e+16"),
    F8(-0x1p55, "-3.602879701896397e+16"),
    F8(1e23, "9.999999999999999e+22"),
    F8(4.4861798741332797e+18, "4.4861798741332797e+18"), /* 4.48617987413328e+18 is a tie */
    F8(7.1202363472230444e-307, "7.120236347223045e-307"), /* a power of two */
    F8(8.2090736025967525e-289, "8.209073602596753e-289"),
    F8(0.0001, "0.0001"),
    F8(0.00001, "1e-05"),
    F8(1.5e-07, "1.5e-07"),
    F8(0.00012345678901234567, "0.00012345678901234567"),
    F8(0x1p-10, "0.0009765625"),
    F8(1e100, "1e+100"),
    F8(1e-100, "1e-100"),
    F8(1.23e+302, "1.23e+302"),
    F8(1.7976931348623157e+308, "1.7976931348623157e+308"),
    F8(-1.7976931348623157e+308, "-1.7976931348623157e+308"),
    F8(0x1p-1022, "2.2250738585072014e-308"),
    F8(0x0.fffffffffffffp-1022, "2.225073858507201e-308"), /* largest subnormal */
    F8(0x1p-1022 + 0x1p-1074, "2.225073858507202e-308"),
    F8(0x1p-1074, "5e-324"),
    F8(0x1p-1073, "1e-323"),
    F8(2.5e-310, "2.5e-310"),
    F8(278729476988626.625, "278729476988626.62"), /* exact tie: to even */
    F8(-736972543174699.75, "-736972543174699.8"),
    F8(INFINITY, "Infinity"),
    F8(-INFINITY, "-Infinity"),
    F8(NAN, "NaN"),
    F4(0.0f, "0"),
    F4(-0.0f, "-0"),
    F4(1.0f, "1"),
    F4(-0.5f, "-0.5"),
    F4(100000.0f, "100000"),
    F4(1e6f, "1e+06"),
    F4(123456.0f, "123456"),
    F4(1234567.0f, "1.234567e+06"),
    F4(12345.6f, "12345.6"),
    F4(0.1f, "0.1"),
    F4(0.0001f, "0.0001"),
    F4(1e-05f, "1e-05"),
    F4(3.14159265f, "3.1415927"),
    F4(16777216.0f, "1.6777216e+07"),
    F4(1e10f, "1e+10"),
    F4(0x1p100f, "1.2676506e+30"),
    F4(3.4028234663852886e+38, "3.4028235e+38"),
    F4(0x1p-126f, "1.1754944e-38"),
    F4(0x0.fffffep-126f, "1.1754942e-38"), /* largest subnormal */
    F4(0x1p-149f, "1e-45"),
    F4(7.038531e-26f, "7.038531e-26"),
    F4(0.000244140625f, "0.00024414062"), /* exact ties: to even */
    F4(0.00146484375f, "0.0014648438"),
    F4(1.2621774483536189e-29f, "1.2621775e-29"), /* powers of two */
    F4(1.5474250491067253e+26f, "1.5474251e+26"),
    F4(1.2379400392853803e+27f, "1.2379401e+27"),
    F4(INFINITY, "Infinity"),
    F4(-INFINITY, "-Infinity"),
    F4(NAN, "NaN"),
};
#define NCASES (sizeof cases / sizeof *cases)

static void test_table(void)
{
    for (size_t i = 0; i < NCASES; i++) {
        char out[PGCDC_FLOAT_TEXT_MAX + 8];
        memset(out, 'x', sizeof out);
        size_t n = pgcdc_format_float(cases[i].v, cases[i].f4, out);
        CHECK_MSG(n == strlen(cases[i].want) && strcmp(out, cases[i].want) == 0, "%s %.17g: got \"%s\", want \"%s\"",
                  cases[i].f4 ? "float4" : "float8", cases[i].v, out, cases[i].want);
    }
}

static uint64_t rng = 0x2545F4914F6CDD1Dull;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Doubles and floats of every exponent: the text reads back as the value
 * (strtod_l in the C locale), fits the buffer, and has PostgreSQL's shape. */
static void test_random_read_back(void)
{
    locale_t c = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    CHECK(c != (locale_t)0);
    int bad = 0;
    for (int i = 0; i < 200000 && c; i++) {
        bool f4 = i % 2;
        double d;
        uint64_t bits = next_rand();
        if (f4) {
            uint32_t b32 = (uint32_t)bits;
            float f;
            memcpy(&f, &b32, sizeof f);
            d = f;
        } else {
            memcpy(&d, &bits, sizeof d);
        }
        if (isnan(d))
            continue;
        char out[PGCDC_FLOAT_TEXT_MAX];
        size_t n = pgcdc_format_float(d, f4, out);
        char *end;
        double back = f4 ? (double)strtof_l(out, &end, c) : strtod_l(out, &end, c);
        bool ok = n < PGCDC_FLOAT_TEXT_MAX && n == strlen(out) && *end == '\0' && back == d &&
                  signbit(back) == signbit(d) && strspn(out, "-0123456789.e+Inity") == n;
        if (!ok && bad++ < 10)
            CHECK_MSG(ok, "%s %.17g printed as %s", f4 ? "float4" : "float8", d, out);
    }
    CHECK_INT(bad, 0);
    if (c)
        freelocale(c);
}

/* ---------------------------------------------------------------- locale */

static pgcdc_dest_type snowflake_float(uint32_t oid)
{
    pgcdc_pg_type t;
    pgcdc_dest_type dt;
    pgcdc_error err = {0};
    if (pgcdc_type_resolve(NULL, oid, -1, &t, &err) != PGCDC_OK ||
        pgcdc_type_map(&t, PGCDC_DIALECT_SNOWFLAKE, &dt, &err) != PGCDC_OK) {
        fprintf(stderr, "cannot map oid %u: %s\n", oid, err.message);
        exit(1);
    }
    return dt;
}

/* What the library prints in the current (thread's) locale. */
static void check_outputs(const char *where)
{
    for (size_t i = 0; i < NCASES; i++) {
        char out[PGCDC_FLOAT_TEXT_MAX];
        pgcdc_format_float(cases[i].v, cases[i].f4, out);
        CHECK_MSG(strcmp(out, cases[i].want) == 0, "%s: %.17g printed as \"%s\", want \"%s\"", where, cases[i].v, out,
                  cases[i].want);
    }

    /* a binary float8 0.1 and float4 -2.5 converted for Snowflake */
    pgcdc_dest_type f8 = snowflake_float(701), f4 = snowflake_float(700);
    pgcdc_value_result r;
    pgcdc_buf out = PGCDC_BUF_INIT;
    pgcdc_value v8 = {'b', 8, "\x3f\xb9\x99\x99\x99\x99\x99\x9a"};
    CHECK_INT(pgcdc_value_convert(&f8, &v8, &out, &r, NULL), PGCDC_OK);
    CHECK_STR(out.data, "0.1");
    pgcdc_buf_reset(&out);
    pgcdc_value v4 = {'b', 4, "\xc0\x20\x00\x00"};
    CHECK_INT(pgcdc_value_convert(&f4, &v4, &out, &r, NULL), PGCDC_OK);
    CHECK_STR(out.data, "-2.5");
    pgcdc_buf_free(&out);

    /* a ChangeBatch double back to text */
    Pgcdc__V1__Value dv = PGCDC__V1__VALUE__INIT;
    dv.kind_case = PGCDC__V1__VALUE__KIND_DOUBLE_VALUE;
    dv.double_value = 1234.5;
    char scratch[PGCDC_BATCH_VALUE_SCRATCH];
    pgcdc_value got;
    CHECK_INT(pgcdc_batch_value_get(&dv, 701, scratch, &got, NULL), PGCDC_OK);
    CHECK(got.len == 6 && memcmp(got.data, "1234.5", 6) == 0);
}

static void test_comma_locale(void)
{
    const char *name = pgt_comma_locale();
    if (!name)
        return;
    char probe[16];

    /* process-wide, as a JVM's setlocale(LC_ALL, "") may leave it */
    CHECK(setlocale(LC_ALL, name) != NULL);
    snprintf(probe, sizeof probe, "%.1f", 1.5);
    CHECK_STR(probe, "1,5"); /* the locale is in force: printf would say 1,5 */
    check_outputs(name);
    locale_t l = duplocale(LC_GLOBAL_LOCALE);
    setlocale(LC_ALL, "C");

    /* this thread only */
    CHECK(l != (locale_t)0);
    if (l) {
        uselocale(l);
        snprintf(probe, sizeof probe, "%.1f", 1.5);
        CHECK_STR(probe, "1,5");
        check_outputs(name);
        uselocale(LC_GLOBAL_LOCALE);
        freelocale(l);
    }
    pgt_comma_locale_done();
}

int main(void)
{
    test_table();
    test_random_read_back();
    check_outputs("C");
    test_comma_locale();
    return pgt_done("float_text");
}
