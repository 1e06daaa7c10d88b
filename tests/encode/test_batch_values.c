/* test_batch_values.c - which Value form a column's text becomes (the rules of
 * schemas/README.md, "Values"), and that pgcdc_batch_value_get turns every
 * typed form back into the very text PostgreSQL sent. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../types/comma_locale.h"
#include "batch_fixture.h"
#include "check.h"
#include "pgcdc/batch.h"

#define OID_BOOL 16
#define OID_INT8 20
#define OID_INT2 21
#define OID_INT4 23
#define OID_TEXT 25
#define OID_OID 26
#define OID_NUMERIC 1700
#define OID_FLOAT4 700
#define OID_FLOAT8 701

/* The form a text value of type_oid takes, and that value_get gives the text back. */
static void expect_form(uint32_t type_oid, const char *text, const char *want)
{
    pgcdc_value v = fx_text(text);
    fx_run r;
    fx_run_values(&r, type_oid, 1, &v);
    if (r.change && r.change->n_new_values == 1) {
        const Pgcdc__V1__Value *dv = r.change->new_values[0];
        CHECK_MSG(strcmp(fx_value_str(dv), want) == 0, "type %u, text \"%s\": got %s, expected %s", type_oid, text,
                  fx_value_str(dv), want);
        char scratch[PGCDC_BATCH_VALUE_SCRATCH];
        pgcdc_value back;
        CHECK_INT(pgcdc_batch_value_get(dv, type_oid, scratch, &back, NULL), PGCDC_OK);
        CHECK_INT(back.kind, 't');
        CHECK_MSG(back.len == strlen(text) && memcmp(back.data, text, back.len) == 0,
                  "type %u: \"%s\" came back as \"%.*s\"", type_oid, text, (int)back.len, back.data);
    }
    fx_run_free(&r);
    fx_trash();
}

static void test_ints(void)
{
    expect_form(OID_INT4, "0", "i:0");
    expect_form(OID_INT4, "-1", "i:-1");
    expect_form(OID_INT4, "2147483647", "i:2147483647");
    expect_form(OID_INT4, "-2147483648", "i:-2147483648");
    expect_form(OID_INT4, "2147483648", "t:2147483648"); /* out of range: not int4 output */
    expect_form(OID_INT4, "-2147483649", "t:-2147483649");
    expect_form(OID_INT2, "-32768", "i:-32768");
    expect_form(OID_INT2, "32767", "i:32767");
    expect_form(OID_INT2, "-32769", "t:-32769");
    expect_form(OID_INT8, "9223372036854775807", "i:9223372036854775807");
    expect_form(OID_INT8, "-9223372036854775808", "i:-9223372036854775808");
    expect_form(OID_INT8, "9223372036854775808", "t:9223372036854775808");
    expect_form(OID_INT8, "-9223372036854775809", "t:-9223372036854775809");
    expect_form(OID_INT8, "99999999999999999999", "t:99999999999999999999");
    expect_form(OID_OID, "4294967295", "i:4294967295");
    expect_form(OID_OID, "4294967296", "t:4294967296");
    expect_form(OID_OID, "-1", "t:-1");
    /* anything PostgreSQL does not print stays text */
    expect_form(OID_INT4, "", "t:");
    expect_form(OID_INT4, "-", "t:-");
    expect_form(OID_INT4, "-0", "t:-0");
    expect_form(OID_INT4, "007", "t:007");
    expect_form(OID_INT4, "+7", "t:+7");
    expect_form(OID_INT4, " 7", "t: 7");
    expect_form(OID_INT4, "7 ", "t:7 ");
    expect_form(OID_INT4, "1e3", "t:1e3");
    expect_form(OID_INT4, "0x10", "t:0x10");
}

static void test_bools_and_others(void)
{
    expect_form(OID_BOOL, "t", "B:true");
    expect_form(OID_BOOL, "f", "B:false");
    expect_form(OID_BOOL, "true", "t:true");
    expect_form(OID_BOOL, "T", "t:T");
    /* types without a typed form keep their text, whatever it looks like */
    expect_form(OID_TEXT, "42", "t:42");
    expect_form(OID_NUMERIC, "1.5", "t:1.5");
    expect_form(OID_NUMERIC, "NaN", "t:NaN");
}

/* float8out/float4out outputs, as PostgreSQL 12+ prints them (checked against
 * real servers by test_batch_values_live). */
static void test_floats(void)
{
    static const char *f8[] = {
        "0", "-0", "1", "-1", "100", "1.5", "0.1", "0.30000000000000004", "123456789012345", "1e+15",
        "1.234567890123456e+15", "100000000000000", "0.0001", "1e-05", "1.5e-07", "1e+100", "1e-100",
        "1.7976931348623157e+308", "-1.7976931348623157e+308", "2.2250738585072014e-308", "5e-324", "2.5e-310",
        "NaN", "Infinity", "-Infinity", "3.141592653589793", "0.3333333333333333", "1.23e+302",
    };
    for (size_t i = 0; i < sizeof f8 / sizeof *f8; i++) {
        char want[64];
        double d = strtod(f8[i], NULL);
        snprintf(want, sizeof want, "d:%.17g", d);
        expect_form(OID_FLOAT8, f8[i], want);
    }
    static const char *f4[] = {
        "0", "-0", "1", "100", "100000", "1e+06", "123456", "1.234567e+06", "12345.6", "0.1", "0.0001", "1e-05",
        "3.4028235e+38", "1e-45", "1e-40", "1.6777216e+07", "NaN", "-Infinity", "3.1415927",
    };
    for (size_t i = 0; i < sizeof f4 / sizeof *f4; i++) {
        char want[64];
        double d = (double)strtof(f4[i], NULL);
        snprintf(want, sizeof want, "d:%.17g", d);
        expect_form(OID_FLOAT4, f4[i], want);
    }
    /* texts a double cannot give back byte for byte stay text */
    static const char *text8[] = {
        "1.50", "1.0", "+1", "1E+15", "1e15", "1e+015", "0.10000000000000001", ".5", "5.", "nan", "inf", "infinity",
        "0x1p3", "1e400", "1e-400", "100000000000000000", "0.00001", "1.5e-7", "", " 1", "1,5",
    };
    for (size_t i = 0; i < sizeof text8 / sizeof *text8; i++) {
        char want[64];
        snprintf(want, sizeof want, "t:%s", text8[i]);
        expect_form(OID_FLOAT8, text8[i], want);
    }
    /* float4 text with more digits than a float holds, or a float8-only range */
    expect_form(OID_FLOAT4, "0.100000001", "t:0.100000001");
    expect_form(OID_FLOAT4, "1e+39", "t:1e+39");
    expect_form(OID_FLOAT4, "1000000", "t:1000000"); /* float4out says 1e+06 */
    expect_form(OID_FLOAT8, "1e+06", "t:1e+06");     /* float8out says 1000000 */
    /* a short decimal exactly halfway between two doubles: PostgreSQL prints
     * the value it reads as as 4.4861798741332797e+18 */
    expect_form(OID_FLOAT8, "4.48617987413328e+18", "t:4.48617987413328e+18");
    expect_form(OID_FLOAT8, "4.4861798741332797e+18", "d:4.4861798741332797e+18");
}

/* Many doubles and floats (random bit patterns): the text value_get makes of
 * a double value, given as a column's text, is typed again and comes back the
 * same, and it reads back as the same value. */
static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void test_float_self_consistency(bool float4)
{
    enum { N = 2000, ROUNDS = 10 };
    static char texts[N][PGCDC_BATCH_VALUE_SCRATCH];
    static pgcdc_value vals[N];
    int typed = 0, total = 0;
    for (int round = 0; round < ROUNDS; round++) {
        for (int i = 0; i < N; i++) {
            double d;
            do {
                uint64_t bits = next_rand();
                if (float4) {
                    uint32_t b32 = (uint32_t)bits;
                    float f;
                    memcpy(&f, &b32, sizeof f);
                    d = f;
                } else {
                    memcpy(&d, &bits, sizeof d);
                }
            } while (isnan(d));
            Pgcdc__V1__Value v = PGCDC__V1__VALUE__INIT;
            v.kind_case = PGCDC__V1__VALUE__KIND_DOUBLE_VALUE;
            v.double_value = d;
            pgcdc_value out;
            CHECK_INT(pgcdc_batch_value_get(&v, float4 ? OID_FLOAT4 : OID_FLOAT8, texts[i], &out, NULL), PGCDC_OK);
            double back = float4 ? (double)strtof(texts[i], NULL) : strtod(texts[i], NULL);
            CHECK_MSG(back == d, "%.17g printed as %s", d, texts[i]);
            vals[i] = (pgcdc_value){.kind = 't', .len = out.len, .data = texts[i]};
        }
        fx_run r;
        fx_run_values(&r, float4 ? OID_FLOAT4 : OID_FLOAT8, N, vals);
        for (size_t i = 0; r.change && i < r.change->n_new_values; i++) {
            const Pgcdc__V1__Value *dv = r.change->new_values[i];
            total++;
            if (dv->kind_case != PGCDC__V1__VALUE__KIND_DOUBLE_VALUE) {
                CHECK_MSG(0, "%s stayed %s", texts[i], fx_value_str(dv));
                continue;
            }
            typed++;
            char scratch[PGCDC_BATCH_VALUE_SCRATCH];
            pgcdc_value back;
            pgcdc_batch_value_get(dv, float4 ? OID_FLOAT4 : OID_FLOAT8, scratch, &back, NULL);
            CHECK_MSG(back.len == strlen(texts[i]) && memcmp(back.data, texts[i], back.len) == 0, "%s came back as %.*s",
                      texts[i], (int)back.len, back.data);
        }
        fx_run_free(&r);
        fx_trash();
    }
    CHECK_INT(typed, N * ROUNDS);
    CHECK_INT(total, N * ROUNDS);
}

/* Short decimals (up to 15 digits) in many layouts and magnitudes: typed
 * exactly when PostgreSQL's text of the parsed value is the text itself, as
 * the formatter of value_get says. */
static void test_float_short_decimals(bool float4)
{
    enum { N = 2000, ROUNDS = 10 };
    static char texts[N][40];
    static pgcdc_value vals[N];
    int typed = 0;
    for (int round = 0; round < ROUNDS; round++) {
        for (int i = 0; i < N; i++) {
            int digits = 1 + (int)(next_rand() % (float4 ? 7 : 16));
            int exp10 = (int)(next_rand() % 41) - 20;
            if (i % 7 == 0) /* large integers, where halfway cases live */
                exp10 = float4 ? 6 + (int)(next_rand() % 4) : 15 + (int)(next_rand() % 5);
            double d = (double)(next_rand() % 1000000007) / 1000000007.0;
            for (int e = 0; e < exp10; e++)
                d *= 10;
            for (int e = 0; e > exp10; e--)
                d /= 10;
            if (next_rand() % 2)
                d = -d;
            if (float4)
                d = (float)d;
            if (next_rand() % 2) {
                snprintf(texts[i], sizeof texts[i], "%.*g", digits, d); /* C's layout */
            } else {
                /* PostgreSQL's layout of a short decimal */
                char tmp[40];
                snprintf(tmp, sizeof tmp, "%.*e", digits - 1, d);
                Pgcdc__V1__Value v = PGCDC__V1__VALUE__INIT;
                v.kind_case = PGCDC__V1__VALUE__KIND_DOUBLE_VALUE;
                v.double_value = float4 ? (double)strtof(tmp, NULL) : strtod(tmp, NULL);
                pgcdc_value out;
                char scratch[PGCDC_BATCH_VALUE_SCRATCH];
                pgcdc_batch_value_get(&v, float4 ? OID_FLOAT4 : OID_FLOAT8, scratch, &out, NULL);
                snprintf(texts[i], sizeof texts[i], "%.*s", (int)out.len, out.data);
            }
            vals[i] = (pgcdc_value){.kind = 't', .len = (uint32_t)strlen(texts[i]), .data = texts[i]};
        }
        fx_run r;
        fx_run_values(&r, float4 ? OID_FLOAT4 : OID_FLOAT8, N, vals);
        for (size_t i = 0; r.change && i < r.change->n_new_values; i++) {
            Pgcdc__V1__Value v = PGCDC__V1__VALUE__INIT;
            v.kind_case = PGCDC__V1__VALUE__KIND_DOUBLE_VALUE;
            v.double_value = float4 ? (double)strtof(texts[i], NULL) : strtod(texts[i], NULL);
            pgcdc_value out;
            char scratch[PGCDC_BATCH_VALUE_SCRATCH];
            pgcdc_batch_value_get(&v, float4 ? OID_FLOAT4 : OID_FLOAT8, scratch, &out, NULL);
            bool want = out.len == strlen(texts[i]) && memcmp(out.data, texts[i], out.len) == 0;
            bool got = r.change->new_values[i]->kind_case == PGCDC__V1__VALUE__KIND_DOUBLE_VALUE;
            CHECK_MSG(got == want, "%s: typed %d, PostgreSQL would print %.*s", texts[i], got, (int)out.len, out.data);
            typed += got;
        }
        fx_run_free(&r);
        fx_trash();
    }
    CHECK(typed > N * ROUNDS / 3); /* most PostgreSQL-layout texts, some C-layout ones */
}

/* With a ',' radix in force (process-wide, as a JVM host may set it), float
 * texts are still read and printed in PostgreSQL's C-locale form: typed with
 * the right value, and value_get gives the same bytes back. */
static void test_floats_comma_locale(void)
{
    const char *name = pgt_comma_locale();
    if (!name)
        return;
    static const struct {
        uint32_t oid;
        const char *text;
        double value;
    } cases[] = {
        {OID_FLOAT8, "1.5", 1.5},
        {OID_FLOAT8, "-0.30000000000000004", -(0.1 + 0.2)},
        {OID_FLOAT8, "2.5e-07", 2.5e-07},
        {OID_FLOAT8, "1.7976931348623157e+308", 1.7976931348623157e+308},
        {OID_FLOAT4, "3.1415927", (double)3.1415927f},
        {OID_FLOAT4, "1.234567e+06", 1234567.0},
    };
    CHECK(setlocale(LC_ALL, name) != NULL);
    char probe[16];
    snprintf(probe, sizeof probe, "%.1f", 1.5);
    CHECK_STR(probe, "1,5"); /* the locale is in force */
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        pgcdc_value v = fx_text(cases[i].text);
        fx_run r;
        fx_run_values(&r, cases[i].oid, 1, &v);
        const Pgcdc__V1__Value *dv = r.change && r.change->n_new_values == 1 ? r.change->new_values[0] : NULL;
        CHECK_MSG(dv && dv->kind_case == PGCDC__V1__VALUE__KIND_DOUBLE_VALUE && dv->double_value == cases[i].value,
                  "%s not typed as its value under %s", cases[i].text, name);
        if (dv) {
            char scratch[PGCDC_BATCH_VALUE_SCRATCH];
            pgcdc_value out;
            CHECK_INT(pgcdc_batch_value_get(dv, cases[i].oid, scratch, &out, NULL), PGCDC_OK);
            CHECK_MSG(out.len == strlen(cases[i].text) && memcmp(out.data, cases[i].text, out.len) == 0,
                      "%s came back as %.*s under %s", cases[i].text, (int)out.len, out.data, name);
        }
        fx_run_free(&r);
        fx_trash();
    }
    setlocale(LC_ALL, "C");
    pgt_comma_locale_done();
}

static void test_kinds(void)
{
    /* text is bytes: quotes, backslashes, multi-byte UTF-8, invalid UTF-8
     * (a SQL_ASCII database), even a NUL, all kept exactly */
    static const char tricky[] = "a'b\"c\\d\xc3\xa9\xe2\x9c\x93\xff\xfe\0z";
    pgcdc_value v[6];
    v[0] = fx_text("");
    v[1] = (pgcdc_value){.kind = 't', .len = sizeof tricky - 1, .data = fx_alloc(sizeof tricky)};
    memcpy((char *)v[1].data, tricky, sizeof tricky);
    static const unsigned char bin[] = {0, 0, 1, 0, 255, 0};
    v[2] = fx_bin(bin, sizeof bin);
    v[3] = fx_null();
    v[4] = fx_unchanged();
    v[5] = fx_bin("", 0);
    fx_run r;
    fx_run_values(&r, OID_TEXT, 6, v);
    if (r.change && r.change->n_new_values == 6) {
        char scratch[PGCDC_BATCH_VALUE_SCRATCH];
        pgcdc_value out;
        Pgcdc__V1__Value *const *dv = r.change->new_values;
        CHECK_INT(pgcdc_batch_value_get(dv[0], OID_TEXT, scratch, &out, NULL), PGCDC_OK);
        CHECK(out.kind == 't' && out.len == 0 && out.data != NULL);
        CHECK_INT(pgcdc_batch_value_get(dv[1], OID_TEXT, scratch, &out, NULL), PGCDC_OK);
        CHECK(out.kind == 't' && out.len == sizeof tricky - 1 && memcmp(out.data, tricky, out.len) == 0);
        CHECK_INT(pgcdc_batch_value_get(dv[2], OID_TEXT, scratch, &out, NULL), PGCDC_OK);
        CHECK(out.kind == 'b' && out.len == sizeof bin && memcmp(out.data, bin, sizeof bin) == 0);
        CHECK_INT(pgcdc_batch_value_get(dv[3], OID_TEXT, scratch, &out, NULL), PGCDC_OK);
        CHECK_INT(out.kind, 'n');
        CHECK_INT(pgcdc_batch_value_get(dv[4], OID_TEXT, scratch, &out, NULL), PGCDC_OK);
        CHECK_INT(out.kind, 'u');
        CHECK_INT(pgcdc_batch_value_get(dv[5], OID_TEXT, scratch, &out, NULL), PGCDC_OK);
        CHECK(out.kind == 'b' && out.len == 0);
    }
    fx_run_free(&r);
    fx_trash();

    /* typed forms back to text without a column (int64, bool need no type) */
    char scratch[PGCDC_BATCH_VALUE_SCRATCH];
    pgcdc_value out;
    Pgcdc__V1__Value dv = PGCDC__V1__VALUE__INIT;
    dv.kind_case = PGCDC__V1__VALUE__KIND_INT64_VALUE;
    dv.int64_value = INT64_MIN;
    CHECK_INT(pgcdc_batch_value_get(&dv, 0, scratch, &out, NULL), PGCDC_OK);
    CHECK(out.kind == 't' && out.len == 20 && memcmp(out.data, "-9223372036854775808", 20) == 0);
    dv.kind_case = PGCDC__V1__VALUE__KIND_BOOL_VALUE;
    dv.bool_value = 1;
    CHECK_INT(pgcdc_batch_value_get(&dv, OID_BOOL, scratch, &out, NULL), PGCDC_OK);
    CHECK(out.kind == 't' && out.len == 1 && out.data[0] == 't');
    dv.kind_case = PGCDC__V1__VALUE__KIND_DOUBLE_VALUE;
    dv.double_value = 0.1f;
    CHECK_INT(pgcdc_batch_value_get(&dv, OID_FLOAT4, scratch, &out, NULL), PGCDC_OK);
    CHECK_STR(scratch, "0.1");
    CHECK_INT(pgcdc_batch_value_get(&dv, OID_FLOAT8, scratch, &out, NULL), PGCDC_OK);
    CHECK_STR(scratch, "0.10000000149011612");

    /* a kind from a newer pgcdc */
    dv.kind_case = PGCDC__V1__VALUE__KIND__NOT_SET;
    pgcdc_error err = {0};
    CHECK_INT(pgcdc_batch_value_get(&dv, 0, scratch, &out, &err), PGCDC_EINVAL);
    CHECK_CONTAINS(err.message, "newer pgcdc");
}

int main(void)
{
    fx_trash();
    test_ints();
    test_bools_and_others();
    test_floats();
    test_float_self_consistency(false);
    test_float_self_consistency(true);
    test_float_short_decimals(false);
    test_float_short_decimals(true);
    test_floats_comma_locale();
    test_kinds();
    return pgt_done("batch_values");
}
