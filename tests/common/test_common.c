/* test_common.c - LSN text form, the growable buffer, error records, safe text
 * (UTF-8 cuts, control characters shown). */
#include "pgcdc/arena.h"
#include "pgcdc/buf.h"
#include "pgcdc/error.h"
#include "pgcdc/lsn.h"
#include "pgcdc/suggest.h"
#include "common/text_safe.h"
#include "pgcdc/log.h"
#include "check.h"
#include <string.h>
#include <stdint.h>

static void test_lsn(void)
{
    char s[PGCDC_LSN_STRLEN];
    pgcdc_lsn l = 0;
    CHECK_STR(pgcdc_lsn_format(0x16B3748ULL, s), "0/16B3748");
    CHECK_STR(pgcdc_lsn_format(0xFFFFFFFF00000001ULL, s), "FFFFFFFF/1");
    CHECK_INT(pgcdc_lsn_parse("0/16B3748", &l), 0);
    CHECK(l == 0x16B3748ULL);
    CHECK_INT(pgcdc_lsn_parse("1A/ff", &l), 0);
    CHECK(l == ((0x1AULL << 32) | 0xff));
    CHECK_INT(pgcdc_lsn_parse("", &l), -1);
    CHECK_INT(pgcdc_lsn_parse("0/", &l), -1);
    CHECK_INT(pgcdc_lsn_parse("0/1x", &l), -1);
    CHECK_INT(pgcdc_lsn_parse("123456789/0", &l), -1);
}

static void test_buf(void)
{
    pgcdc_buf b = PGCDC_BUF_INIT;
    for (int i = 0; i < 1000; i++)
        pgcdc_buf_printf(&b, "%d,", i);
    CHECK(b.len == strlen(b.data));
    CHECK(strncmp(b.data, "0,1,2,", 6) == 0);
    CHECK(b.data[b.len] == '\0');
    pgcdc_buf_reset(&b);
    CHECK_INT(b.len, 0);
    pgcdc_buf_append(&b, "a\0b", 3);
    CHECK_INT(b.len, 3);
    CHECK(b.data[1] == '\0' && b.data[2] == 'b');
    pgcdc_buf_free(&b);
    CHECK(b.data == NULL);
}

static void test_error(void)
{
    pgcdc_error e;
    CHECK_INT(pgcdc_error_set(&e, PGCDC_EINVAL, "bad %s", "thing"), PGCDC_EINVAL);
    CHECK_STR(e.message, "bad thing");
    pgcdc_error_prefix(&e, "while %s", "testing");
    CHECK_STR(e.message, "while testing: bad thing");
    CHECK_INT(pgcdc_error_set(NULL, PGCDC_EIO, "ignored"), PGCDC_EIO);
    CHECK_STR(pgcdc_code_name(PGCDC_EGAP), "EGAP");
}

static void test_arena(void)
{
    pgcdc_arena a;
    pgcdc_arena_init(&a, 128);
    char *first = pgcdc_arena_strdup(&a, "hello");
    CHECK_STR(first, "hello");
    for (int i = 0; i < 100; i++) {
        char *p = pgcdc_arena_alloc(&a, 40);
        CHECK(((uintptr_t)p & 7) == 0);
        memset(p, 'x', 40);
    }
    CHECK_STR(first, "hello"); /* earlier allocations survive later blocks */
    char *big = pgcdc_arena_alloc(&a, 10000); /* bigger than a block */
    CHECK(big != NULL);
    memset(big, 0, 10000);
    pgcdc_arena_reset(&a);
    CHECK_INT(a.used_bytes, 0);
    char *again = pgcdc_arena_strndup(&a, "abcdef", 3);
    CHECK_STR(again, "abc");
    CHECK(again == first); /* reset keeps blocks: the next round reuses them */
    for (int i = 0; i < 100; i++)
        CHECK(pgcdc_arena_alloc(&a, 40) != NULL);
    pgcdc_arena_free(&a);
}

static void test_suggest(void)
{
    const char *names[] = {"Publication Name", "Replication Slot Name", "PostgreSQL Username"};
    CHECK_INT(pgcdc_edit_distance("kitten", "sitting"), 3);
    CHECK_INT(pgcdc_edit_distance("ABC", "abc"), 0);
    CHECK_STR(pgcdc_closest_name("Publication Nme", names, 3), "Publication Name");
    CHECK_STR(pgcdc_closest_name("replication slot", names, 3), "Replication Slot Name");
    CHECK(pgcdc_closest_name("Warehouse", names, 3) == NULL);
}

static char logged[4096];
static void keep_line(void *ud, pgcdc_log_level level, const char *line)
{
    (void)ud;
    (void)level;
    snprintf(logged, sizeof logged, "%s", line);
}

/* Issue 8, items 2 and 10: messages cut only between characters, control
 * characters shown, never acted on. */
static void test_text_safe(void)
{
    const char *e3 = "ab\xc3\xa9\xc3\xa9"; /* "abéé": é is 2 bytes */
    CHECK_INT(pgcdc_utf8_cut(e3, 3), 2);   /* not through the first é */
    CHECK_INT(pgcdc_utf8_cut(e3, 4), 4);
    CHECK_INT(pgcdc_utf8_cut(e3, 5), 4);
    CHECK_INT(pgcdc_utf8_cut(e3, 6), 6);
    CHECK_INT(pgcdc_utf8_cut(e3, 100), 6);
    CHECK_INT(pgcdc_utf8_cut("\xe2\x82\xac", 2), 0); /* € is 3 bytes */
    char b[8];
    CHECK_STR(pgcdc_text_copy(b, 4, e3), "ab");
    CHECK_STR(pgcdc_text_copy(b, sizeof b, e3), e3);
    char t[16] = "x\xc3\xa9\xc3";
    pgcdc_utf8_trim(t);
    CHECK_STR(t, "x\xc3\xa9");
    pgcdc_utf8_trim(t);
    CHECK_STR(t, "x\xc3\xa9");
    char w[64];
    CHECK_STR(pgcdc_text_escape_controls(w, sizeof w, "a\nb\rc\td\x1b[2Je\x7f"), "a\\nb\\rc\\td\\x1b[2Je\\x7f");
    CHECK_STR(pgcdc_text_escape_controls(w, 4, "ab\n"), "ab");       /* an escape is never cut in half */
    CHECK_STR(pgcdc_text_escape_controls(w, 4, "a\xc3\xa9\xc3\xa9"), "a\xc3\xa9"); /* nor a character */
    char one[64] = "ERROR:  boom\nDETAIL:  why\n";
    pgcdc_text_one_line(one);
    CHECK_STR(one, "ERROR: boom DETAIL: why");
    /* every error message is cut between characters */
    pgcdc_error err;
    char big[PGCDC_ERROR_MAX * 2];
    for (size_t i = 0; i + 2 < sizeof big; i += 2)
        memcpy(big + i, "\xc3\xa9", 2);
    big[sizeof big - 2] = '\0';
    pgcdc_error_set(&err, PGCDC_EINVAL, "x%s", big); /* odd start: the cut falls inside an é */
    size_t n = strlen(err.message);
    CHECK(n > 0 && pgcdc_utf8_cut(err.message, n) == n && (err.message[n - 1] & 0xC0) == 0x80);
    pgcdc_error_prefix(&err, "y");
    n = strlen(err.message);
    CHECK(n > 0 && (err.message[n - 1] & 0xC0) == 0x80);
    /* every log line: control characters shown, never a second line */
    pgcdc_log_set_handler(keep_line, NULL, PGCDC_LOG_DEBUG);
    pgcdc_log(PGCDC_LOG_WARN, "table %s.%s", "public", "t\nWARN forged");
    CHECK_STR(logged, "table public.t\\nWARN forged");
    pgcdc_log(PGCDC_LOG_WARN, "x%s", big);
    n = strlen(logged);
    CHECK(n > 0 && (logged[n - 1] & 0xC0) == 0x80);
    pgcdc_log_set_handler(NULL, NULL, PGCDC_LOG_INFO);
}

int main(void)
{
    test_text_safe();
    test_suggest();
    test_arena();
    test_lsn();
    test_buf();
    test_error();
    return pgt_done("test_common");
}
