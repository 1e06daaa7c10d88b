/* test_merge_golden.c - the planner's SQL, byte for byte, against the files in
 * tests/merge/golden/<case>.<dialect>.sql, for the PostgreSQL and the
 * Snowflake dialect.
 *
 * test_merge_live.c runs the planner's PostgreSQL output for the same
 * fixture tables on real servers; the Snowflake files are checked here only:
 * there is no Snowflake to run them against.
 *
 * When a planner change is intended, rewrite the files and review the diff:
 *
 *     PGCDC_UPDATE_GOLDEN=1 meson test -C <builddir> merge-golden
 *     git diff tests/merge/golden
 *
 * Usage: test_merge_golden GOLDEN_DIR (meson passes the source directory). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "merge_fixture.h"

#define PG PGCDC_DIALECT_POSTGRES
#define SF PGCDC_DIALECT_SNOWFLAKE
#define CS PGCDC_IDENT_CASE_SENSITIVE
#define CI PGCDC_IDENT_CASE_INSENSITIVE

static const char *golden_dir;
static int update_mode;

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    pgcdc_buf b = PGCDC_BUF_INIT;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        pgcdc_buf_append(&b, chunk, n);
    fclose(f);
    return b.data ? b.data : strdup("");
}

/* Where two texts first differ, as a line number and both lines. */
static void report_difference(const char *name, const char *got, const char *want)
{
    int line = 1;
    const char *g = got, *w = want, *gl = got, *wl = want;
    while (*g && *g == *w) {
        if (*g == '\n') {
            line++;
            gl = g + 1;
            wl = w + 1;
        }
        g++;
        w++;
    }
    fprintf(stderr, "%s differs from the golden file at line %d:\n  generated: %.*s\n  golden:    %.*s\n"
                    "(run with PGCDC_UPDATE_GOLDEN=1 to rewrite the golden files, then review git diff)\n",
            name, line, (int)strcspn(gl, "\n"), gl, (int)strcspn(wl, "\n"), wl);
}

static void golden(const char *name, const char *text)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", golden_dir, name);
    if (update_mode) {
        FILE *f = fopen(path, "wb");
        CHECK_MSG(f && fwrite(text, 1, strlen(text), f) == strlen(text), "cannot write %s", path);
        if (f)
            fclose(f);
        fprintf(stderr, "rewrote %s\n", path);
        return;
    }
    char *want = read_file(path);
    CHECK_MSG(want != NULL, "golden file %s is missing (PGCDC_UPDATE_GOLDEN=1 writes it)", path);
    if (!want)
        return;
    int same = strcmp(text, want) == 0;
    CHECK_MSG(same, "%s: generated SQL differs", name);
    if (!same)
        report_difference(name, text, want);
    free(want);
}

static const char *dialect_file(pgcdc_dialect d)
{
    return d == PG ? "postgresql" : "snowflake";
}

/* the setup and merge script of one table */
static void table_case(const char *name, const fx_def *def, pgcdc_dialect d, int major, pgcdc_ident_case c)
{
    fx_table ft;
    fx_table_init(&ft, def, d, major, c);
    pgcdc_buf out = PGCDC_BUF_INIT;
    pgcdc_error err;
    pgcdc_buf_printf(&out, "-- %s, %s dialect%s, %s\n", def->table, pgcdc_dialect_name(d),
                     d == PG ? (major >= 15 ? " (PostgreSQL 15+: MERGE)" : " (PostgreSQL 10-14: ON CONFLICT)") : "",
                     pgcdc_ident_case_name(c));
    pgcdc_code rc = fx_script(&ft.t, &out, &err);
    CHECK_MSG(rc == PGCDC_OK, "%s: %s", name, err.message);
    char file[256];
    snprintf(file, sizeof file, "%s.%s.sql", name, dialect_file(d));
    if (rc == PGCDC_OK)
        golden(file, out.data);
    pgcdc_buf_free(&out);
}

/* ---- schema changes ---- */

static const fx_col items_v1[] = {
    {"id", 23, -1, true},
    {"name", 1043, FX_CHARMOD(10), false},
    {"qty", 23, -1, false},
    {"price", 1700, FX_NUMMOD(10, 2), false},
    {"small", 21, -1, false},
};
/* qty dropped, name and small widened, note added, a rename of price to
 * cost (a drop plus an add) */
static const fx_col items_v2[] = {
    {"id", 23, -1, true},
    {"name", 1043, FX_CHARMOD(20), false},
    {"cost", 1700, FX_NUMMOD(10, 2), false},
    {"small", 20, -1, false},
    {"note", 25, -1, false},
};
static const fx_def items1 = {"app", "items", items_v1, 5}, items2 = {"app", "items", items_v2, 5};

/* a table and a column with names at PostgreSQL's 63-byte limit: the
 * derived names are shortened with a hash */
static const fx_col long_v1[] = {
    {"id", 23, -1, true},
    {"a_column_name_that_is_exactly_sixty_three_bytes_long_xxxxxxxxxx", 25, -1, false},
};
static const fx_col long_v2[] = {
    {"id", 23, -1, true},
};
static const fx_def long1 = {"app", "a_table_name_that_is_exactly_sixty_three_bytes_long_xxxxxxxxxxx", long_v1, 2},
                    long2 = {"app", "a_table_name_that_is_exactly_sixty_three_bytes_long_xxxxxxxxxxx", long_v2, 1};

static void schema_change_case(const char *name, const fx_def *a, const fx_def *b, pgcdc_dialect d,
                               pgcdc_ident_case c)
{
    fx_table ta, tb;
    fx_table_init(&ta, a, d, 17, c);
    fx_table_init(&tb, b, d, 17, c);
    tb.t.journal_n = 2;
    pgcdc_sql_list l;
    pgcdc_sql_list_init(&l);
    pgcdc_buf out = PGCDC_BUF_INIT;
    pgcdc_error err;
    bool newgen = false;
    pgcdc_buf_printf(&out, "-- schema change of %s, %s dialect, %s\n", a->table, pgcdc_dialect_name(d),
                     pgcdc_ident_case_name(c));
    pgcdc_code rc = pgcdc_merge_sql_schema_change(&ta.t, &tb.t, &l, &newgen, &err);
    CHECK_MSG(rc == PGCDC_OK, "%s: %s", name, err.message);
    pgcdc_buf_printf(&out, "-- new journal generation: %s\n", newgen ? "yes" : "no");
    pgcdc_sql_list_script(&l, &out, &err);
    /* then the generation that follows it */
    pgcdc_sql_list_reset(&l);
    if (rc == PGCDC_OK && newgen && pgcdc_merge_sql_create_journal(&tb.t, &l, &err) == PGCDC_OK) {
        pgcdc_buf_puts(&out, "\n-- generation 2\n");
        pgcdc_sql_list_script(&l, &out, &err);
    }
    char file[256];
    snprintf(file, sizeof file, "%s.%s.sql", name, dialect_file(d));
    if (rc == PGCDC_OK)
        golden(file, out.data);
    pgcdc_sql_list_free(&l);
    pgcdc_buf_free(&out);
}

/* The re-snapshot merge (a table back in the included set: its snapshot
 * merged into the destination table it already has, rows the snapshot no
 * longer has soft-deleted) */
static void resnapshot_case(const char *name, const fx_def *def, pgcdc_dialect d, int major)
{
    fx_table ft;
    fx_table_init(&ft, def, d, major, CS);
    pgcdc_sql_list l;
    pgcdc_sql_list_init(&l);
    pgcdc_buf out = PGCDC_BUF_INIT;
    pgcdc_error err;
    pgcdc_buf_printf(&out, "-- re-snapshot merge of %s, %s dialect%s\n", def->table, pgcdc_dialect_name(d),
                     d == PG ? (major >= 15 ? " (PostgreSQL 15+: MERGE)" : " (PostgreSQL 10-14: ON CONFLICT)") : "");
    pgcdc_code rc = pgcdc_merge_sql_resnapshot(&ft.t, &l, &err);
    CHECK_MSG(rc == PGCDC_OK, "%s: %s", name, err.message);
    CHECK_INT((int)l.n, PGCDC_MERGE_RESNAPSHOT_NSTATEMENTS);
    pgcdc_buf_puts(&out, "-- statements: lock state, merge, soft-delete rows the snapshot lacks, advance state\n");
    pgcdc_sql_list_script(&l, &out, &err);
    char file[256];
    snprintf(file, sizeof file, "%s.%s.sql", name, dialect_file(d));
    if (rc == PGCDC_OK)
        golden(file, out.data);
    pgcdc_sql_list_free(&l);
    pgcdc_buf_free(&out);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s GOLDEN_DIR\n", argv[0]);
        return 2;
    }
    golden_dir = argv[1];
    const char *u = getenv("PGCDC_UPDATE_GOLDEN");
    update_mode = u && strcmp(u, "1") == 0;

    static const pgcdc_dialect dialects[] = {PG, SF};
    for (int i = 0; i < 2; i++) {
        pgcdc_dialect d = dialects[i];
        /* the walkthrough's tables */
        table_case("walkthrough-customers", &fx_customers, d, 17, CS);
        table_case("walkthrough-products", &fx_products, d, 17, CS);
        table_case("walkthrough-orders", &fx_orders, d, 17, CS);
        table_case("walkthrough-orders-insensitive", &fx_orders, d, 17, CI);
        table_case("composite-key", &fx_order_lines, d, 17, CS);
        table_case("toast-columns", &fx_docs, d, 17, CS);
        table_case("fixed-columns", &fx_counters, d, 17, CS);
        table_case("quoting-sensitive", &fx_weird, d, 17, CS);
        table_case("quoting-insensitive", &fx_weird, d, 17, CI);
        schema_change_case("schema-change", &items1, &items2, d, CS);
        schema_change_case("schema-change-insensitive", &items1, &items2, d, CI);
        schema_change_case("schema-change-long-names", &long1, &long2, d, CS);
        resnapshot_case("resnapshot-composite-key", &fx_order_lines, d, 17);
    }
    resnapshot_case("pg13-resnapshot-composite-key", &fx_order_lines, PG, 13);
    /* PostgreSQL 10-14: INSERT ... ON CONFLICT instead of MERGE */
    table_case("pg13-walkthrough-orders", &fx_orders, PG, 13, CS);
    table_case("pg13-composite-key", &fx_order_lines, PG, 13, CS);
    table_case("pg13-toast-columns", &fx_docs, PG, 13, CS);
    table_case("pg13-fixed-columns", &fx_counters, PG, 13, CS);
    table_case("pg13-quoting-insensitive", &fx_weird, PG, 13, CI);
    return pgt_done("merge-golden");
}
