/* test_json.c - the strict JSON reader: every value kind, escapes and
 * surrogate pairs decoded to UTF-8, positions, each kind of malformed input
 * with its line:column, and a mutation run (truncations, flipped and
 * inserted bytes of valid documents) that must never crash or accept
 * garbage silently. Run it under the ASan build to make the fuzz part bite. */
#include "pgcdc/json.h"
#include "check.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pgcdc_json_doc *parse_ok(const char *text)
{
    pgcdc_json_doc *doc = NULL;
    pgcdc_error e = {0};
    pgcdc_code rc = pgcdc_json_parse(text, strlen(text), &doc, &e);
    CHECK_MSG(rc == PGCDC_OK, "%s: %s", text, e.message);
    return doc;
}

/* Must fail with a message containing want (e.g. "line 2, column 5: ..."). */
static void parse_bad_n(const char *text, size_t len, const char *want)
{
    pgcdc_json_doc *doc = (pgcdc_json_doc *)1;
    pgcdc_error e = {0};
    pgcdc_code rc = pgcdc_json_parse(text, len, &doc, &e);
    CHECK_MSG(rc == PGCDC_EINVAL, "accepted: %.*s", (int)len, text);
    CHECK(doc == NULL);
    CHECK_CONTAINS(e.message, want);
    CHECK_INT(pgcdc_json_parse(text, len, &doc, NULL), PGCDC_EINVAL);
}

static void parse_bad(const char *text, const char *want)
{
    parse_bad_n(text, strlen(text), want);
}

static void test_values(void)
{
    pgcdc_json_doc *doc = parse_ok(" {\"a\": [1, -2.5e+3, 0, -0.0E-2, true, false, null], \"b\": {}, \"c\": [],"
                                   " \"d\": \"x\"}\n");
    const pgcdc_json *root = pgcdc_json_root(doc);
    CHECK_INT(root->type, PGCDC_JSON_OBJECT);
    CHECK_INT(root->n, 4);
    CHECK_INT(root->line, 1);
    CHECK_INT(root->column, 2);
    const pgcdc_json *a = pgcdc_json_member(root, "a");
    CHECK(a && a->type == PGCDC_JSON_ARRAY && a->n == 7);
    if (a && a->n == 7) {
        CHECK_STR(a->items[0]->str, "1");
        CHECK_STR(a->items[1]->str, "-2.5e+3");
        CHECK_STR(a->items[3]->str, "-0.0E-2");
        CHECK(a->items[4]->type == PGCDC_JSON_BOOL && a->items[4]->boolean);
        CHECK(a->items[5]->type == PGCDC_JSON_BOOL && !a->items[5]->boolean);
        CHECK_INT(a->items[6]->type, PGCDC_JSON_NULL);
        int64_t v;
        CHECK(pgcdc_json_int64(a->items[0], &v) && v == 1);
        CHECK(!pgcdc_json_int64(a->items[1], &v));
        CHECK_INT(a->items[1]->column, 12);
    }
    CHECK_INT(pgcdc_json_member(root, "b")->n, 0);
    CHECK_INT(pgcdc_json_member(root, "c")->type, PGCDC_JSON_ARRAY);
    CHECK_STR(pgcdc_json_member(root, "d")->str, "x");
    CHECK(pgcdc_json_member(root, "e") == NULL);
    CHECK(pgcdc_json_member(a, "x") == NULL); /* not an object */
    CHECK_STR(root->keys[3]->str, "d");
    pgcdc_json_free(doc);

    /* scalars at the top level (RFC 8259 allows them) */
    doc = parse_ok("\"only\"");
    CHECK_STR(pgcdc_json_root(doc)->str, "only");
    pgcdc_json_free(doc);
    doc = parse_ok("\t-9223372036854775808 ");
    int64_t v = 0;
    CHECK(pgcdc_json_int64(pgcdc_json_root(doc), &v) && v == INT64_MIN);
    pgcdc_json_free(doc);
    doc = parse_ok("9223372036854775808");
    CHECK(!pgcdc_json_int64(pgcdc_json_root(doc), &v)); /* one past INT64_MAX */
    pgcdc_json_free(doc);
    doc = parse_ok("9223372036854775807");
    CHECK(pgcdc_json_int64(pgcdc_json_root(doc), &v) && v == INT64_MAX);
    pgcdc_json_free(doc);

    /* a byte order mark is skipped and does not count as a column */
    doc = parse_ok("\xEF\xBB\xBF[true]");
    CHECK_INT(pgcdc_json_root(doc)->column, 1);
    pgcdc_json_free(doc);

    CHECK_STR(pgcdc_json_type_name(PGCDC_JSON_ARRAY), "an array");
    CHECK_STR(pgcdc_json_type_name(PGCDC_JSON_STRING), "a string");
    pgcdc_json_free(NULL);
    CHECK(pgcdc_json_root(NULL) == NULL);
}

static void test_strings(void)
{
    pgcdc_json_doc *doc = parse_ok("[\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\", \"\\u00e9\\u20AC\", \"\\ud83d\\ude00\","
                                   " \"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\", \"nul\\u0000in\", \"\"]");
    const pgcdc_json *r = pgcdc_json_root(doc);
    CHECK_INT(r->n, 6);
    if (r->n == 6) {
        CHECK_STR(r->items[0]->str, "a\"b\\c/d\b\f\n\r\t");
        CHECK_STR(r->items[1]->str, "\xC3\xA9\xE2\x82\xAC");        /* é € */
        CHECK_STR(r->items[2]->str, "\xF0\x9F\x98\x80");            /* U+1F600 from a surrogate pair */
        CHECK_STR(r->items[3]->str, "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
        CHECK_INT(r->items[4]->len, 6);                             /* the NUL is kept, len says so */
        CHECK(memcmp(r->items[4]->str, "nul\0in", 6) == 0);
        CHECK_INT(r->items[5]->len, 0);
        /* columns count characters, not bytes: the 4th string starts after
         * 3 strings whose escapes are 6+6+... bytes; check via a simpler doc */
    }
    pgcdc_json_free(doc);
    doc = parse_ok("[\"\xC3\xA9\xC3\xA9\", 1]");
    CHECK_INT(pgcdc_json_root(doc)->items[1]->column, 8); /* [ " é é " , space -> column 8 */
    pgcdc_json_free(doc);
}

static void test_positions(void)
{
    pgcdc_json_doc *doc = parse_ok("[\n  {\"x\": 1},\n  {\"y\":\n     true}\n]");
    const pgcdc_json *r = pgcdc_json_root(doc);
    CHECK_INT(r->items[0]->line, 2);
    CHECK_INT(r->items[0]->column, 3);
    CHECK_INT(r->items[1]->line, 3);
    CHECK_INT(r->items[1]->keys[0]->column, 4);
    CHECK_INT(r->items[1]->items[0]->line, 4);
    CHECK_INT(r->items[1]->items[0]->column, 6);
    pgcdc_json_free(doc);
    parse_bad("[\n  {\"x\": 1},\n  {\"y\" 2}\n]", "JSON line 3, column 8: expected ':' after the member name \"y\", found '2'");
    parse_bad("[1,\r\n 2,\r\n x]", "JSON line 3, column 2:");
    parse_bad("{\"\xC3\xA9\xC3\xA9\": tru}", "JSON line 1, column 8: unexpected characters: did you mean true?");
}

static void test_malformed(void)
{
    parse_bad("", "line 1, column 1: a value is missing");
    parse_bad("   \n  ", "line 2, column 3: a value is missing");
    parse_bad("[1, 2,]", "column 7: a trailing ',' before ']' is not allowed");
    parse_bad("{\"a\": 1,}", "a trailing ','");
    parse_bad("[1 2]", "column 4: expected ',' or ']' after an array element, found '2'");
    parse_bad("{\"a\" 1}", "expected ':'");
    parse_bad("{a: 1}", "column 2: expected a member name in double quotes, found 'a'");
    parse_bad("{'a': 1}", "expected a member name in double quotes");
    parse_bad("['a']", "strings take double quotes, not single quotes");
    parse_bad("[1] [2]", "column 5: unexpected '[' after the end of the JSON value");
    parse_bad("[1] x", "after the end");
    parse_bad("[", "column 2: a value is missing at the end of the input");
    parse_bad("[1", "expected ',' or ']' after an array element, found the end of the input");
    parse_bad("{\"a\":1", "expected ',' or '}' after an object member, found the end of the input");
    parse_bad("\"abc", "column 1: a string is not closed");
    parse_bad("\"a\tb\"", "column 3: byte 0x09 inside a string: control characters must be escaped");
    parse_bad("\"a\nb\"", "byte 0x0A inside a string");
    parse_bad("\"\\x\"", "\\x is not a JSON escape");
    parse_bad("\"\\u12\"", "\\u must be followed by four hex digits");
    parse_bad("\"\\u12G4\"", "four hex digits");
    parse_bad("\"\\", "\\? is not a JSON escape");
    parse_bad("\"\\ud83d\"", "\\uD83D is a high surrogate not followed by a low surrogate");
    parse_bad("\"\\ud83d\\u0041\"", "high surrogate not followed");
    parse_bad("\"\\ude00\"", "\\uDE00 is a low surrogate without a high surrogate");
    parse_bad("\"\xC3\"", "byte 0xC3 is not valid UTF-8");
    parse_bad("\"\xC0\xAF\"", "byte 0xC0 is not valid UTF-8");       /* overlong '/' */
    parse_bad("\"\xE0\x80\xAF\"", "byte 0xE0 is not valid UTF-8");   /* overlong */
    parse_bad("\"\xED\xA0\x80\"", "byte 0xED is not valid UTF-8");   /* a surrogate in UTF-8 */
    parse_bad("\"\xF4\x90\x80\x80\"", "byte 0xF4 is not valid UTF-8"); /* above U+10FFFF */
    parse_bad("\"\xFF\"", "byte 0xFF");
    parse_bad("\xC3\xA9", "found byte 0xC3");
    parse_bad("01", "leading zeros");
    parse_bad("-", "expected a digit after '-', found the end of the input");
    parse_bad("+1", "found '+'");
    parse_bad("1.", "expected a digit after the decimal point");
    parse_bad(".5", "found '.'");
    parse_bad("1e", "expected a digit in the exponent");
    parse_bad("1e+", "expected a digit in the exponent");
    parse_bad("NaN", "found 'N'");
    parse_bad("Infinity", "found 'I'");
    parse_bad("tru", "did you mean true?");
    parse_bad("nul", "did you mean null?");
    parse_bad("falsey", "after the end");
    parse_bad("[1] // comment", "after the end");
    parse_bad("/* c */ 1", "found '/'");
    parse_bad("{\"a\": 1, \"b\": 2, \"a\": 3}", "line 1, column 18: the key \"a\" appears twice in one object (first at "
                                                "line 1, column 2)");
    parse_bad_n("[1,\0 2]", 7, "column 4: expected a value (object, array, string, number, true, false or null), "
                               "found byte 0x00");
    parse_bad_n("\"a\0b\"", 5, "byte 0x00 inside a string");

    /* nesting: the limit holds, just below it parses */
    char deep[2 * PGCDC_JSON_MAX_DEPTH + 8];
    size_t n = 0;
    for (int i = 0; i < PGCDC_JSON_MAX_DEPTH; i++)
        deep[n++] = '[';
    for (int i = 0; i < PGCDC_JSON_MAX_DEPTH; i++)
        deep[n++] = ']';
    deep[n] = '\0';
    pgcdc_json_doc *doc = parse_ok(deep);
    pgcdc_json_free(doc);
    char deeper[sizeof deep + 2];
    snprintf(deeper, sizeof deeper, "[%s]", deep);
    parse_bad(deeper, "nesting is deeper than 256 levels");
    /* a huge nesting depth does not overflow the stack */
    size_t big = 1000000;
    char *huge = malloc(big + 1);
    memset(huge, '[', big);
    huge[big] = '\0';
    parse_bad(huge, "nesting is deeper");
    free(huge);
}

/* Many members: duplicates are found by sorting (not quadratically), and a
 * large document parses. */
static void test_large(void)
{
    size_t nkeys = 50000;
    char *text = malloc(nkeys * 24 + 16);
    size_t n = 0;
    text[n++] = '{';
    for (size_t i = 0; i < nkeys; i++)
        n += (size_t)sprintf(text + n, "%s\"k%zu\": [%zu]", i ? "," : "", i, i);
    text[n++] = '}';
    text[n] = '\0';
    pgcdc_json_doc *doc = parse_ok(text);
    const pgcdc_json *r = pgcdc_json_root(doc);
    CHECK_INT(r->n, nkeys);
    CHECK_STR(pgcdc_json_member(r, "k49999")->items[0]->str, "49999");
    pgcdc_json_free(doc);
    /* make the last key repeat the first */
    char *last = strstr(text, "\"k49999\"");
    memcpy(last, "\"k0\"    ", 8);
    parse_bad(text, "the key \"k0\" appears twice");
    free(text);
}

/* Deterministic mutations of valid documents: each result either parses or
 * fails with a positioned message; never a crash, never an empty message. */
static void test_mutations(void)
{
    static const char *const seeds[] = {
        "[{\"schema\": \"app\", \"table\": \"users\", \"excluded\": [\"ssn\", \"\\u00e9\\ud83d\\ude00\"]}]",
        "{\"a\": [1, -2.5e+3, true, false, null, {\"b\": \"\\n\\t\\\"\"}], \"c\": \"caf\xC3\xA9\"}",
        "[[[[[[]]]]], 0.5e-7, \"\xF0\x9F\x98\x80\"]",
    };
    static const char bytes[] = "{}[]\",:\\u0123456789abcdefABCDEF-+.eEtrufalsn \t\n\r\x00\x7F\x80\xBF\xC3\xED\xF4\xFF";
    uint32_t rng = 12345;
    int parsed = 0, failed = 0;
    for (size_t s = 0; s < sizeof seeds / sizeof *seeds; s++) {
        size_t len = strlen(seeds[s]);
        char buf[512];
        for (int iter = 0; iter < 20000; iter++) {
            memcpy(buf, seeds[s], len);
            size_t blen = len;
            int edits = 1 + iter % 4;
            for (int k = 0; k < edits; k++) {
                rng ^= rng << 13, rng ^= rng >> 17, rng ^= rng << 5; /* xorshift32 */
                uint32_t r = rng;
                size_t pos = blen ? r % blen : 0;
                char c = bytes[(r >> 12) % (sizeof bytes - 1)];
                switch ((r >> 28) % 4) {
                case 0: buf[pos] = c; break;                                     /* replace */
                case 1: if (blen < sizeof buf - 1) { memmove(buf + pos + 1, buf + pos, blen - pos); buf[pos] = c; blen++; } break;
                case 2: if (blen) { memmove(buf + pos, buf + pos + 1, blen - pos - 1); blen--; } break; /* delete */
                case 3: blen = pos; break;                                       /* truncate */
                }
            }
            pgcdc_json_doc *doc = NULL;
            pgcdc_error e = {0};
            pgcdc_code rc = pgcdc_json_parse(buf, blen, &doc, &e);
            if (rc == PGCDC_OK) {
                parsed++;
                pgcdc_json_free(doc);
            } else {
                failed++;
                if (rc != PGCDC_EINVAL || strncmp(e.message, "JSON line ", 10) != 0) {
                    CHECK_MSG(0, "mutation %d of seed %zu: code %d, message \"%s\"", iter, s, rc, e.message);
                    return;
                }
            }
        }
    }
    CHECK(parsed > 0);
    CHECK(failed > 0);
    printf("mutations: %d parsed, %d rejected\n", parsed, failed);
}

int main(void)
{
    test_values();
    test_strings();
    test_positions();
    test_malformed();
    test_large();
    test_mutations();
    return pgt_done("json");
}
