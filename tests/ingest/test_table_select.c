/* test_table_select.c - Included Table Names / Included Table Regex without
 * a server: the name list syntax (quoted identifiers, commas and dots inside
 * quotes, blanks, repeats), what string the regex sees and that it must
 * match all of it, and the errors. The catalog side is test_tables_live.c. */
#include "pgcdc/tables.h"
#include "check.h"

#include <string.h>

static pgcdc_table_selection *sel_ok(const char *names, const char *regex)
{
    pgcdc_table_selection *sel = NULL;
    pgcdc_error e = {0};
    CHECK_MSG(pgcdc_table_selection_parse(names, regex, &sel, &e) == PGCDC_OK, "%s / %s: %s", names ? names : "-",
              regex ? regex : "-", e.message);
    return sel;
}

static void sel_bad(const char *names, const char *regex, const char *want1, const char *want2)
{
    pgcdc_table_selection *sel = (pgcdc_table_selection *)1;
    pgcdc_error e = {0};
    CHECK_MSG(pgcdc_table_selection_parse(names, regex, &sel, &e) != PGCDC_OK, "accepted %s / %s",
              names ? names : "-", regex ? regex : "-");
    CHECK(sel == NULL);
    CHECK_CONTAINS(e.message, want1);
    if (want2)
        CHECK_CONTAINS(e.message, want2);
}

#define MATCH(sel, s, t) CHECK_MSG(pgcdc_table_selection_matches(sel, s, t), "%s.%s should match", s, t)
#define NO_MATCH(sel, s, t) CHECK_MSG(!pgcdc_table_selection_matches(sel, s, t), "%s.%s should not match", s, t)

static void test_names(void)
{
    pgcdc_table_selection *sel = sel_ok(" app.customers,app.orders , \"Sales\".\"Order Items\", "
                                        "\"we,ird\".\"a.b\"\"c\", plain, app.my.table,, ", NULL);
    MATCH(sel, "app", "customers");
    MATCH(sel, "app", "orders");
    MATCH(sel, "Sales", "Order Items");
    MATCH(sel, "we,ird", "a.b\"c");      /* comma and dot inside quotes, "" for a quote */
    MATCH(sel, "public", "plain");       /* no schema: public */
    MATCH(sel, "app", "my.table");       /* an unquoted table part runs to the end */
    NO_MATCH(sel, "app", "Customers");   /* names are case-sensitive, as in the catalog */
    NO_MATCH(sel, "sales", "order items");
    NO_MATCH(sel, "app", "products");
    NO_MATCH(sel, "app", "customers2");
    pgcdc_table_selection_free(sel);

    /* unquoted mixed case means exactly that name (no folding, as Openflow) */
    sel = sel_ok("Sales.Orders, app.orders, app.orders", NULL);
    MATCH(sel, "Sales", "Orders");
    NO_MATCH(sel, "sales", "orders");
    pgcdc_table_selection_free(sel);
    pgcdc_table_selection_free(NULL);
    NO_MATCH(NULL, "app", "orders");
}

static void test_regex(void)
{
    /* the regex sees schema + "." + table, unquoted, and must match all of it */
    pgcdc_table_selection *sel = sel_ok(NULL, "app\\.(cust|ord).*");
    MATCH(sel, "app", "customers");
    MATCH(sel, "app", "orders_2024");
    NO_MATCH(sel, "app", "products");
    NO_MATCH(sel, "xapp", "orders");     /* anchored at the start */
    NO_MATCH(sel, "app2", "orders");
    NO_MATCH(sel, "app", "my_orders");
    pgcdc_table_selection_free(sel);

    sel = sel_ok(NULL, "app\\.orders");
    MATCH(sel, "app", "orders");
    NO_MATCH(sel, "app", "orders_old"); /* anchored at the end */
    pgcdc_table_selection_free(sel);

    /* a dot in the regex matches the separator too; names are raw, with spaces */
    sel = sel_ok(NULL, "  Sales.Order Items  ");
    MATCH(sel, "Sales", "Order Items");
    MATCH(sel, "Sales", "Order Items");
    NO_MATCH(sel, "Sales", "\"Order Items\"");
    NO_MATCH(sel, "sales", "order items");
    pgcdc_table_selection_free(sel);

    /* (?i) as in Openflow's own example "(?i)customer.(orders|payments)" */
    sel = sel_ok(NULL, "(?i)customer.(orders|payments)");
    MATCH(sel, "CUSTOMER", "ORDERS");
    MATCH(sel, "customer", "payments");
    NO_MATCH(sel, "customer", "refunds");
    pgcdc_table_selection_free(sel);

    /* \d and the union with names */
    sel = sel_ok("app.customers", "app\\.orders_\\d{4}");
    MATCH(sel, "app", "customers");
    MATCH(sel, "app", "orders_2025");
    NO_MATCH(sel, "app", "orders_dddd");
    NO_MATCH(sel, "app", "orders");
    pgcdc_table_selection_free(sel);
}

static void test_errors(void)
{
    sel_bad(NULL, NULL, "neither Included Table Names nor Included Table Regex is set", "e.g.");
    sel_bad(" ", "\t", "neither", NULL);
    sel_bad("app.orders, \"Sales.Orders", NULL, "Included Table Names: item 2: table name \"\"Sales.Orders\" is not "
            "valid", "\"App\".\"Order Items\"");
    sel_bad("app.", NULL, "item 1: table name \"app.\" is not valid", NULL);
    sel_bad("app.orders, .x", NULL, "item 2", NULL);
    sel_bad("app.a234567890123456789012345678901234567890123456789012345678901234", NULL, "at most 63 bytes", NULL);
    sel_bad(NULL, "app\\.(orders", "Included Table Regex \"app\\.(orders\" is not a valid regular expression", NULL);
    sel_bad(NULL, "(?!tmp_).*", "Included Table Regex \"(?!tmp_).*\" is not supported: (?...) groups", NULL);
    sel_bad("app.ok", "[\\w]+", "a backslash inside [...]", NULL);
    /* what would make glibc's regcomp allocate without bound is refused */
    sel_bad(NULL, "app\\.a++", "a quantifier right after another", "possessive");
    sel_bad(NULL, "app\\.a+{2}", "a quantifier right after another", NULL);
    sel_bad(NULL, "((a{100}){100}){100}", "repeat counts {n,m} are too large", NULL);
    sel_bad(NULL, "(a{,20000})", "repeat counts {n,m} are too large", NULL);
    char longre[1100];
    memset(longre, 'a', sizeof longre - 1);
    longre[sizeof longre - 1] = '\0';
    sel_bad(NULL, longre, "longer than 1000 characters", NULL);
    /* ... while ordinary bounds, groups of quantified groups and lazy forms pass */
    pgcdc_table_selection *sel = sel_ok(NULL, "app\\.(t_[a-z]{1,20}_[0-9]{4})+|x.+?y|(ab?)*");
    MATCH(sel, "app", "t_orders_2024");
    MATCH(sel, "xa", "y");
    NO_MATCH(sel, "app", "t_orders_20245");
    pgcdc_table_selection_free(sel);
}

int main(void)
{
    test_names();
    test_regex();
    test_errors();
    return pgt_done("table-select");
}
