/* test_column_filter.c - Column Filter JSON: one test per rule (exclusions
 * win, the last matching filter wins, exact beats pattern, key columns
 * always kept, whole-name patterns), the regex dialect, the warnings, and
 * the error messages naming the filter and the field. */
#include "pgcdc/tables.h"
#include "pgcdc/log.h"
#include "pgcdc/buf.h"
#include "check.h"

#include <stdio.h>
#include <string.h>

static pgcdc_buf logged = PGCDC_BUF_INIT;

static void capture(void *ud, pgcdc_log_level level, const char *msg)
{
    (void)ud;
    pgcdc_buf_printf(&logged, "%s: %s\n", pgcdc_log_level_name(level), msg);
}

static pgcdc_column_filter *parse_ok(const char *json)
{
    pgcdc_column_filter *f = NULL;
    pgcdc_error e = {0};
    CHECK_MSG(pgcdc_column_filter_parse(json, &f, &e) == PGCDC_OK, "%s: %s", json, e.message);
    return f;
}

/* Applies f to schema.table with the columns of cols ("a b* c": '*' marks a
 * key column) and returns the kept ones as "a b", and the filter number. */
static const char *kept(const pgcdc_column_filter *f, const char *schema, const char *table, const char *cols,
                        int *which)
{
    static char out[512];
    char buf[512], *names[32];
    bool key[32], keep[32];
    size_t n = 0;
    snprintf(buf, sizeof buf, "%s", cols);
    for (char *tok = strtok(buf, " "); tok && n < 32; tok = strtok(NULL, " ")) {
        size_t len = strlen(tok);
        key[n] = tok[len - 1] == '*';
        if (key[n])
            tok[len - 1] = '\0';
        names[n++] = tok;
    }
    int w = pgcdc_column_filter_apply(f, schema, table, (const char *const *)names, key, n, keep);
    if (which)
        *which = w;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        if (keep[i])
            snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s", out[0] ? " " : "", names[i]);
    return out;
}

static void test_no_filter(void)
{
    const char *blank[] = {NULL, "", "  \n\t"};
    for (size_t i = 0; i < 3; i++) {
        pgcdc_column_filter *f = parse_ok(blank[i]);
        CHECK_INT(pgcdc_column_filter_count(f), 0);
        int w = -1;
        CHECK_STR(kept(f, "app", "t", "id* a b", &w), "id a b");
        CHECK_INT(w, 0);
        pgcdc_column_filter_free(f);
    }
    /* an empty array is no filter too; NULL filter keeps everything */
    pgcdc_column_filter *f = parse_ok("[]");
    CHECK_INT(pgcdc_column_filter_count(f), 0);
    pgcdc_column_filter_free(f);
    CHECK_STR(kept(NULL, "app", "t", "a b", NULL), "a b");
    pgcdc_column_filter_free(NULL);
}

static void test_lists(void)
{
    int w;
    /* a single object without the array (Openflow accepts it) */
    pgcdc_column_filter *f = parse_ok("{\"schema\": \"app\", \"table\": \"users\", \"included\": [\"name\", \"email\"]}");
    CHECK_INT(pgcdc_column_filter_count(f), 1);
    CHECK_STR(kept(f, "app", "users", "id* name email ssn created_at", &w), "id name email");
    CHECK_INT(w, 1);
    /* another table, other schema, other case: not matched, all kept */
    CHECK_STR(kept(f, "app", "orders", "id* name ssn", &w), "id name ssn");
    CHECK_INT(w, 0);
    CHECK_STR(kept(f, "App", "users", "id* ssn", &w), "id ssn");
    CHECK_STR(kept(f, "app", "Users", "id* ssn", &w), "id ssn");
    pgcdc_column_filter_free(f);

    /* excluded only: everything else stays */
    f = parse_ok("[{\"schema\": \"app\", \"table\": \"users\", \"excluded\": [\"ssn\", \"Secret\"]}]");
    CHECK_STR(kept(f, "app", "users", "id* name ssn secret Secret", NULL), "id name secret");
    pgcdc_column_filter_free(f);

    /* in both lists: excluded (exclusions win) */
    f = parse_ok("[{\"schema\": \"app\", \"table\": \"users\", \"included\": [\"a\", \"b\"], \"excluded\": [\"b\"]}]");
    CHECK_STR(kept(f, "app", "users", "id* a b c", NULL), "id a");
    pgcdc_column_filter_free(f);

    /* an empty "included" keeps the key only */
    f = parse_ok("[{\"schema\": \"app\", \"table\": \"users\", \"included\": []}]");
    CHECK_STR(kept(f, "app", "users", "id* a b", NULL), "id");
    pgcdc_column_filter_free(f);
}

static void test_patterns(void)
{
    /* whole-name match: ".*name" is "ends with name", not "contains name" */
    pgcdc_column_filter *f = parse_ok("[{\"schema\": \"app\", \"table\": \"users\", \"includedPattern\": \".*name\"}]");
    CHECK_STR(kept(f, "app", "users", "id* name first_name name_x surname2", NULL), "id name first_name");
    pgcdc_column_filter_free(f);

    /* exact beats pattern within a filter: an included name survives the
     * excluded pattern; an excluded name loses to the included pattern */
    f = parse_ok("[{\"schema\": \"app\", \"table\": \"users\", \"excludedPattern\": \"secret_.*\","
                 " \"included\": [\"secret_id\", \"name\"]}]");
    CHECK_STR(kept(f, "app", "users", "id* secret_id secret_pin name other", NULL), "id secret_id name");
    pgcdc_column_filter_free(f);
    f = parse_ok("[{\"schema\": \"app\", \"table\": \"users\", \"includedPattern\": \".*\", \"excluded\": [\"ssn\"]}]");
    CHECK_STR(kept(f, "app", "users", "id* a ssn", NULL), "id a");
    pgcdc_column_filter_free(f);

    /* both patterns match: excluded (exclusions win) */
    f = parse_ok("[{\"schema\": \"app\", \"table\": \"users\", \"includedPattern\": \"a.*\", \"excludedPattern\": \".*x\"}]");
    CHECK_STR(kept(f, "app", "users", "id* ab ax bx c", NULL), "id ab");
    pgcdc_column_filter_free(f);

    /* excluded pattern only */
    f = parse_ok("[{\"schema\": \"app\", \"table\": \"users\", \"excludedPattern\": \"pii_.*|ssn\"}]");
    CHECK_STR(kept(f, "app", "users", "id* pii_email ssn ssn2 name", NULL), "id ssn2 name");
    pgcdc_column_filter_free(f);

    /* table and schema patterns, whole-name, case-sensitive unless (?i) */
    f = parse_ok("[{\"schemaPattern\": \"app|sales\", \"tablePattern\": \"orders_[0-9]{4}\", \"excluded\": [\"x\"]}]");
    CHECK_STR(kept(f, "sales", "orders_2024", "id* x y", NULL), "id y");
    CHECK_STR(kept(f, "sales", "orders_2024_old", "id* x y", NULL), "id x y");
    CHECK_STR(kept(f, "Sales", "orders_2024", "id* x y", NULL), "id x y");
    CHECK_STR(kept(f, "xapp", "orders_2024", "id* x y", NULL), "id x y");
    pgcdc_column_filter_free(f);
    f = parse_ok("[{\"schemaPattern\": \"(?i)sales\", \"table\": \"Order Items\", \"excludedPattern\": \"(?i)note\"}]");
    CHECK_STR(kept(f, "SALES", "Order Items", "id* Note NOTE notes", NULL), "id notes");
    pgcdc_column_filter_free(f);
}

static void test_which_filter(void)
{
    int w;
    /* the last matching filter wins, filters are not combined */
    pgcdc_column_filter *f = parse_ok("[{\"schema\": \"app\", \"table\": \"t\", \"excluded\": [\"a\"]},"
                                      " {\"schema\": \"app\", \"table\": \"t\", \"excluded\": [\"b\"]}]");
    CHECK_STR(kept(f, "app", "t", "id* a b", &w), "id a");
    CHECK_INT(w, 2);
    pgcdc_column_filter_free(f);

    /* exact beats pattern whatever the order: the exact filter comes first */
    f = parse_ok("[{\"schema\": \"app\", \"table\": \"t\", \"excluded\": [\"a\"]},"
                 " {\"schemaPattern\": \".*\", \"tablePattern\": \".*\", \"excluded\": [\"b\"]}]");
    CHECK_STR(kept(f, "app", "t", "id* a b", &w), "id b");
    CHECK_INT(w, 1);
    CHECK_STR(kept(f, "app", "u", "id* a b", &w), "id a");  /* only the pattern filter matches u */
    CHECK_INT(w, 2);
    pgcdc_column_filter_free(f);

    /* rank by exact parts: schema+table exact (2) > one exact (1) > none (0) */
    f = parse_ok("[{\"schema\": \"app\", \"tablePattern\": \"t.*\", \"excluded\": [\"one\"]},"
                 " {\"schemaPattern\": \"a.*\", \"tablePattern\": \"t.*\", \"excluded\": [\"zero\"]},"
                 " {\"schema\": \"app\", \"table\": \"t1\", \"excluded\": [\"two\"]},"
                 " {\"schemaPattern\": \"a.*\", \"tablePattern\": \".*\", \"excluded\": [\"zero2\"]}]");
    CHECK_STR(kept(f, "app", "t1", "id* one zero two zero2", &w), "id one zero zero2");
    CHECK_INT(w, 3);
    CHECK_STR(kept(f, "app", "t2", "id* one zero two zero2", &w), "id zero two zero2");
    CHECK_INT(w, 1);
    CHECK_STR(kept(f, "abc", "t2", "id* one zero two zero2", &w), "id one zero two");
    CHECK_INT(w, 4); /* last of the rank-0 filters */
    pgcdc_column_filter_free(f);
}

static void test_keys_and_warnings(void)
{
    pgcdc_log_set_handler(capture, NULL, PGCDC_LOG_DEBUG);
    pgcdc_buf_reset(&logged);
    /* key columns are kept even when excluded by name or pattern, or not included */
    pgcdc_column_filter *f = parse_ok("[{\"schema\": \"app\", \"table\": \"t\", \"excluded\": [\"id\", \"ssn\", \"nope\"],"
                                      " \"excludedPattern\": \"k.*\"}]");
    CHECK_STR(kept(f, "app", "t", "id* k1* k2 ssn name", NULL), "id k1 name");
    CHECK_CONTAINS(logged.data, "WARN: Column Filter JSON: filter 1 would drop column \"id\" of table app.t, but it "
                                "is part of the key, which is always replicated");
    CHECK_CONTAINS(logged.data, "would drop column \"k1\"");
    CHECK_NOT_CONTAINS(logged.data, "\"k2\"");
    CHECK_CONTAINS(logged.data, "WARN: Column Filter JSON: filter 1 lists \"nope\" in \"excluded\", but table app.t has "
                                "no such column");
    CHECK_NOT_CONTAINS(logged.data, "lists \"ssn\"");
    pgcdc_column_filter_free(f);

    pgcdc_buf_reset(&logged);
    f = parse_ok("[{\"schema\": \"app\", \"table\": \"t\", \"included\": [\"Name\"]}]");
    CHECK_STR(kept(f, "app", "t", "id* name", NULL), "id");
    CHECK_CONTAINS(logged.data, "lists \"Name\" in \"included\"");
    CHECK_CONTAINS(logged.data, "case-sensitive");
    /* no key flags at all: nothing forced */
    const char *cols[] = {"id", "Name"};
    bool keep[2];
    CHECK_INT(pgcdc_column_filter_apply(f, "app", "t", cols, NULL, 2, keep), 1);
    CHECK(!keep[0] && keep[1]);
    pgcdc_column_filter_free(f);
    pgcdc_log_set_handler(NULL, NULL, PGCDC_LOG_DEBUG);
}

static void test_regex_dialect(void)
{
    /* \d, lazy quantifiers (same strings for a whole match), GNU \w */
    pgcdc_column_filter *f = parse_ok("[{\"schema\": \"app\", \"tablePattern\": \"t_\\\\d+\", "
                                      "\"includedPattern\": \"a.*?z|\\\\w+_at\"}]");
    CHECK_STR(kept(f, "app", "t_12", "id* abz abzq created_at x", NULL), "id abz created_at");
    CHECK_STR(kept(f, "app", "t_x", "id* x", NULL), "id x");
    CHECK_STR(kept(f, "app", "t_d", "id* x", NULL), "id x"); /* \d is a digit, not 'd' */
    pgcdc_column_filter_free(f);
    /* bracket expressions and classes pass through */
    f = parse_ok("[{\"schema\": \"app\", \"table\": \"t\", \"excludedPattern\": \"[]a[:digit:]]+\"}]");
    CHECK_STR(kept(f, "app", "t", "id* a1 ]a b", NULL), "id b");
    pgcdc_column_filter_free(f);
}

static void check_error(const char *json, const char *want1, const char *want2)
{
    pgcdc_column_filter *f = (pgcdc_column_filter *)1;
    pgcdc_error e = {0};
    CHECK_MSG(pgcdc_column_filter_parse(json, &f, &e) != PGCDC_OK, "accepted: %s", json);
    CHECK(f == NULL);
    CHECK_CONTAINS(e.message, want1);
    if (want2)
        CHECK_CONTAINS(e.message, want2);
    CHECK(pgcdc_column_filter_parse(json, &f, NULL) != PGCDC_OK);
}

static void test_errors(void)
{
    check_error("[{\"schema\": \"app\", \"table\": \"t\", \"excluded\": [\"a\"],}]",
                "Column Filter JSON: JSON line 1, column 52: a trailing ','", NULL);
    check_error("42", "Column Filter JSON must be an array of filters", "not a number");
    check_error("[{\"schema\": \"app\", \"table\": \"t\", \"excluded\": [\"a\"]}, \"app.t\"]",
                "Column Filter JSON: filter 2 (line 1, column 54): a filter must be an object", "not a string");
    check_error("[\n  {\"schema\": \"app\", \"table\": \"t\", \"excluded\": [\"a\"]},\n  {\"schema\": \"app\", \"tabel\": \"t\"}\n]",
                "filter 2 (line 3, column 3): \"tabel\" is not a filter field; did you mean \"table\"?", NULL);
    check_error("[{\"schema\": \"app\", \"table\": \"t\", \"exclude\": [\"a\"]}]", "did you mean \"excluded\"?", NULL);
    check_error("[{\"schema\": \"app\", \"table\": \"t\", \"whatever\": 1}]", "\"whatever\" is not a filter field; the "
                "fields are", NULL);
    check_error("[{\"schema\": \"app\", \"schemaPattern\": \"a.*\", \"table\": \"t\", \"excluded\": [\"a\"]}]",
                "filter 1", "give either \"schema\" or \"schemaPattern\", not both");
    check_error("[{\"schema\": \"app\", \"excluded\": [\"a\"]}]", "\"table\" (or \"tablePattern\") is missing", NULL);
    check_error("[{\"table\": \"t\", \"excluded\": [\"a\"]}]", "\"schema\" (or \"schemaPattern\") is missing", NULL);
    check_error("[{\"schema\": \"app\", \"table\": \"t\"}]", "it needs at least one of \"included\"", NULL);
    check_error("[{\"schema\": \"app\", \"table\": \"t\", \"included\": \"a\"}]",
                "\"included\" must be an array of column names", "not a string");
    check_error("[{\"schema\": \"app\", \"table\": \"t\", \"excluded\": [\"a\", 2]}]",
                "\"excluded[1]\" must be a string, not a number", NULL);
    check_error("[{\"schema\": \"app\", \"table\": \"t\", \"excluded\": [\"\"]}]", "\"excluded[0]\" is empty", NULL);
    check_error("[{\"schema\": 5, \"table\": \"t\", \"excluded\": [\"a\"]}]", "\"schema\" must be a string", NULL);
    check_error("[{\"schema\": \"a\\u0000b\", \"table\": \"t\", \"excluded\": [\"a\"]}]", "\\u0000", NULL);
    check_error("[{\"schema\": \"app\", \"table\": \"t\", \"includedPattern\": \"[a-\"}]",
                "filter 1 (line 1, column 2): \"includedPattern\" \"[a-\" is not a valid regular expression", NULL);
    check_error("[{\"schema\": \"app\", \"table\": \"t\", \"excludedPattern\": \"a)|(b\"}]",
                "is not a valid regular expression", NULL);
    check_error("[{\"schema\": \"app\", \"table\": \"t\", \"excludedPattern\": \"(?=a)b\"}]",
                "is not supported: (?...) groups are Java/Perl syntax", NULL);
    check_error("[{\"schema\": \"app\", \"table\": \"t\", \"excludedPattern\": \"[\\\\d]\"}]",
                "a backslash inside [...]", NULL);
    check_error("[{\"schema\": \"app\", \"table\": \"t\", \"excludedPattern\": \"a\\\\\"}]", "lone backslash", NULL);
    check_error("[{\"schema\": \"app\", \"tablePattern\": \"\", \"excluded\": [\"a\"]}]", "\"tablePattern\" is empty",
                NULL);
    check_error("[{\"schema\": \"app\", \"table\": \"t\", \"excluded\": [\"a\"], \"excluded\": [\"b\"]}]",
                "appears twice", NULL);
}

int main(void)
{
    test_no_filter();
    test_lists();
    test_patterns();
    test_which_filter();
    test_keys_and_warnings();
    test_regex_dialect();
    test_errors();
    pgcdc_buf_free(&logged);
    return pgt_done("column-filter");
}
