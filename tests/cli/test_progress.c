/* test_progress.c - the snapshot progress display (native/cli/progress.c)
 * fed synthetic progress reports with a given clock: the formatting helpers,
 * the live block's exact bytes (cursor moves, redraw throttle, a log line
 * printed above the block, a finished table leaving it, truncation to the
 * width) and the plain log lines (every 10 s at most, one at the end, no
 * escape sequence). */
#include <math.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "pgcdc/log.h"
#include "progress.h"

static void formatting(void)
{
    char b[64];
    CHECK_STR(cli_fmt_count(b, sizeof b, 0, ','), "0");
    CHECK_STR(cli_fmt_count(b, sizeof b, 999, ','), "999");
    CHECK_STR(cli_fmt_count(b, sizeof b, 1000, ','), "1,000");
    CHECK_STR(cli_fmt_count(b, sizeof b, 1234567, ','), "1,234,567");
    CHECK_STR(cli_fmt_count(b, sizeof b, 1234567, 0), "1234567");
    CHECK_STR(cli_fmt_count(b, sizeof b, -1, ','), "--");
    CHECK_STR(cli_fmt_count(b, 4, 1234567, ','), "1,2"); /* cut to the buffer, still terminated */

    CHECK_STR(cli_fmt_bytes(b, sizeof b, 0), "0 B");
    CHECK_STR(cli_fmt_bytes(b, sizeof b, 1023), "1023 B");
    CHECK_STR(cli_fmt_bytes(b, sizeof b, 1024), "1.0 KiB");
    CHECK_STR(cli_fmt_bytes(b, sizeof b, 126353408), "120.5 MiB");
    CHECK_STR(cli_fmt_bytes(b, sizeof b, 1073741823), "1.0 GiB"); /* not "1024.0 MiB" */
    CHECK_STR(cli_fmt_bytes(b, sizeof b, 5000000000LL), "4.7 GiB");
    CHECK_STR(cli_fmt_bytes(b, sizeof b, -1), "--");

    CHECK_STR(cli_fmt_rate(b, sizeof b, 0, " "), "0");
    CHECK_STR(cli_fmt_rate(b, sizeof b, 950, " "), "950");
    CHECK_STR(cli_fmt_rate(b, sizeof b, 4520, " "), "4.5 k");
    CHECK_STR(cli_fmt_rate(b, sizeof b, 9960, " "), "10 k");
    CHECK_STR(cli_fmt_rate(b, sizeof b, 310000, " "), "310 k");
    CHECK_STR(cli_fmt_rate(b, sizeof b, 310000, ""), "310k");
    CHECK_STR(cli_fmt_rate(b, sizeof b, 999600, " "), "1.0 M");
    CHECK_STR(cli_fmt_rate(b, sizeof b, 2.3e6, ""), "2.3M");
    CHECK_STR(cli_fmt_rate(b, sizeof b, -1, " "), "--");
    CHECK_STR(cli_fmt_rate(b, sizeof b, NAN, " "), "--");

    CHECK_STR(cli_fmt_clock(b, sizeof b, 0), "0:00");
    CHECK_STR(cli_fmt_clock(b, sizeof b, 42), "0:42");
    CHECK_STR(cli_fmt_clock(b, sizeof b, 754), "12:34");
    CHECK_STR(cli_fmt_clock(b, sizeof b, 3723), "1:02:03");
    CHECK_STR(cli_fmt_clock(b, sizeof b, -1), "--");
    CHECK_STR(cli_fmt_clock(b, sizeof b, INFINITY), "--");
    CHECK_STR(cli_fmt_clock(b, sizeof b, 1e12), "--");

    CHECK_STR(cli_fmt_secs(b, sizeof b, 42), "42s");
    CHECK_STR(cli_fmt_secs(b, sizeof b, 192), "3m12s");
    CHECK_STR(cli_fmt_secs(b, sizeof b, 3723), "1h02m03s");
    CHECK_STR(cli_fmt_secs(b, sizeof b, -1), "--");
    CHECK_STR(cli_fmt_elapsed(b, sizeof b, 12.34), "12.3 s");
    CHECK_STR(cli_fmt_elapsed(b, sizeof b, 0), "0.0 s");
    CHECK_STR(cli_fmt_elapsed(b, sizeof b, 192.4), "3m12s");

    CHECK_STR(cli_fmt_bar(b, sizeof b, 0.52, 10), "[#####.....]");
    CHECK_STR(cli_fmt_bar(b, sizeof b, 0.999, 10), "[#########.]");
    CHECK_STR(cli_fmt_bar(b, sizeof b, 1, 10), "[##########]");
    CHECK_STR(cli_fmt_bar(b, sizeof b, -1, 10), "[..........]");
}

static void fractions(void)
{
    pgcdc_pipeline_progress p = {.table = "t", .rows_estimate = -1, .chunks_done = 13, .chunks_total = 25};
    CHECK(fabs(cli_progress_fraction(&p) - 0.52) < 1e-9);
    /* many chunks: they decide, whatever the estimate says */
    p = (pgcdc_pipeline_progress){.rows = 900, .rows_estimate = 1000, .chunks_done = 5, .chunks_total = 20};
    CHECK(fabs(cli_progress_fraction(&p) - 0.25) < 1e-9);
    /* few chunks: the estimate is finer */
    p = (pgcdc_pipeline_progress){.rows = 600, .rows_estimate = 1000, .chunks_done = 1, .chunks_total = 2};
    CHECK(fabs(cli_progress_fraction(&p) - 0.6) < 1e-9);
    /* ... but a low estimate does not hold it back behind the chunks */
    p = (pgcdc_pipeline_progress){.rows = 100, .rows_estimate = 1000, .chunks_done = 1, .chunks_total = 2};
    CHECK(fabs(cli_progress_fraction(&p) - 0.5) < 1e-9);
    /* a stale estimate below the rows already read: short of 100% until done */
    p = (pgcdc_pipeline_progress){.rows = 2000, .rows_estimate = 1000, .chunks_done = 0, .chunks_total = 1};
    CHECK(fabs(cli_progress_fraction(&p) - 0.999) < 1e-9);
    p.done = true;
    CHECK(cli_progress_fraction(&p) == 1.0);
    p = (pgcdc_pipeline_progress){.rows = 250, .rows_estimate = 1000};
    CHECK(fabs(cli_progress_fraction(&p) - 0.25) < 1e-9);
    p = (pgcdc_pipeline_progress){.rows = 250, .rows_estimate = -1};
    CHECK(cli_progress_fraction(&p) < 0);
}

static void truncation(void)
{
    char s[64];
    strcpy(s, "app.orders  [###");
    CHECK_STR(cli_truncate_columns(s, 10), "app.orders");
    strcpy(s, "t\xc3\xabst"); /* "tëst": the ë is two bytes and one column */
    CHECK_STR(cli_truncate_columns(s, 2), "t\xc3\xab");
    strcpy(s, "t\xc3\xabst");
    CHECK_STR(cli_truncate_columns(s, 4), "t\xc3\xabst");
    CHECK_STR(cli_truncate_columns(s, 9), "t\xc3\xabst");
}

static pgcdc_pipeline_progress rep(const char *table, int64_t rows, int64_t bytes, uint32_t done, uint32_t total,
                                   double elapsed)
{
    return (pgcdc_pipeline_progress){.table = table, .rows = rows, .bytes = bytes, .rows_estimate = -1,
                                     .chunks_done = done, .chunks_total = total, .elapsed_s = elapsed};
}

/* What the display wrote since the last call. */
static char *mem;
static size_t memlen, memseen;
static FILE *memf;

static char *written(void)
{
    fflush(memf);
    char *s = strndup(mem + memseen, memlen - memseen);
    memseen = memlen;
    return s;
}

static void expect_written(const char *expected, int line)
{
    char *s = written();
    pgt_checks++;
    if (strcmp(s, expected) != 0) {
        pgt_failures++;
        fprintf(stderr, "%s:%d: display wrote\n  \"", __FILE__, line);
        for (const char *c = s; *c; c++)
            fprintf(stderr, *c == 27 ? "\\e" : *c == '\n' ? "\\n" : "%c", *c);
        fprintf(stderr, "\"\nexpected\n  \"");
        for (const char *c = expected; *c; c++)
            fprintf(stderr, *c == 27 ? "\\e" : *c == '\n' ? "\\n" : "%c", *c);
        fprintf(stderr, "\"\n");
    }
    free(s);
}
#define EXPECT_WRITTEN(s) expect_written(s, __LINE__)

#define ORDERS_52 "app.orders  [#####.....]  52%  1,234,567 rows  120.5 MiB  309 k rows/s  ETA 0:04"

static void live(void)
{
    memf = open_memstream(&mem, &memlen);
    cli_progress *p = cli_progress_start(memf, CLI_PROGRESS_LIVE);
    cli_progress_set_width(p, 120);

    /* 13 of 25 chunks, 1234567 rows in 4 s: 52%, 309 k rows/s, 3.7 s to go */
    pgcdc_pipeline_progress r = rep("app.orders", 1234567, 126353408, 13, 25, 4.0);
    cli_progress_update(p, &r, 100.0);
    EXPECT_WRITTEN("\033[2K" ORDERS_52 "\n");

    /* 0.1 s later: not redrawn (5 pictures a second at most) */
    r = rep("app.orders", 1300000, 130000000, 14, 25, 4.1);
    cli_progress_update(p, &r, 100.1);
    EXPECT_WRITTEN("");

    /* a second table, 0.25 s after the first picture: back over the one line,
     * both lines, names padded to one width; unknown fraction as -- */
    r = rep("app.orders", 1234567, 126353408, 13, 25, 4.0); /* as before, to keep the line */
    cli_progress_update(p, &r, 100.15);                      /* (a repeat: rows went down, samples start over) */
    pgcdc_pipeline_progress c = rep("app.customers", 1000, 2048, 0, 0, 0.5);
    cli_progress_update(p, &c, 100.25);
    EXPECT_WRITTEN("\r\033[1A"
                   "\033[2Kapp.orders     [#####.....]  52%  1,234,567 rows  120.5 MiB  309 k rows/s  ETA 0:04\n"
                   "\033[2Kapp.customers  [..........]  --%  1,000 rows  2.0 KiB  2.0 k rows/s  ETA --\n");

    /* a log line while the block is shown: block cleared, line, block again */
    cli_progress_print_line("2024-01-01T00:00:00Z INFO  hello\n");
    EXPECT_WRITTEN("\r\033[2A\033[J2024-01-01T00:00:00Z INFO  hello\n"
                   "\033[2Kapp.orders     [#####.....]  52%  1,234,567 rows  120.5 MiB  309 k rows/s  ETA 0:04\n"
                   "\033[2Kapp.customers  [..........]  --%  1,000 rows  2.0 KiB  2.0 k rows/s  ETA --\n");

    /* orders done (even within 0.2 s): its final line above, the block shrinks */
    r = rep("app.orders", 5000000, 500000000, 25, 25, 12.31);
    r.done = true;
    cli_progress_update(p, &r, 100.3);
    EXPECT_WRITTEN("\r\033[2A\033[Japp.orders  done  5,000,000 rows in 12.3 s (406 k rows/s)\n"
                   "\033[2Kapp.customers  [..........]  --%  1,000 rows  2.0 KiB  2.0 k rows/s  ETA --\n"
                   "\033[J");

    /* narrow terminal: cut to width - 1 columns; a control character in a
     * name is not sent to the terminal */
    cli_progress_set_width(p, 40);
    c = rep("app.customers", 2000, 4096, 0, 0, 1.0);
    cli_progress_update(p, &c, 101.0);
    EXPECT_WRITTEN("\r\033[1A\033[2Kapp.customers  [..........]  --%  2,000\n");
    cli_progress_set_width(p, 120);
    pgcdc_pipeline_progress e = rep("app.\033[31mevil", 10, 100, 1, 2, 1.0);
    cli_progress_update(p, &e, 101.1); /* throttled: shown by finish */
    EXPECT_WRITTEN("");

    /* finish: the last picture stays, and log lines go to stderr plainly */
    cli_progress_finish(p);
    EXPECT_WRITTEN("\r\033[1A"
                   "\033[2Kapp.customers  [..........]  --%  2,000 rows  4.0 KiB  2.0 k rows/s  ETA --\n"
                   "\033[2Kapp.?[31mevil  [#####.....]  50%  10 rows  100 B  10 rows/s  ETA 0:01\n");
    fflush(stderr);
    int saved = dup(2);
    FILE *cap = tmpfile();
    dup2(fileno(cap), 2);
    cli_progress_print_line("after\n");
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    char got[64] = "";
    rewind(cap);
    size_t n = fread(got, 1, sizeof got - 1, cap);
    got[n] = '\0';
    fclose(cap);
    CHECK_STR(got, "after\n");
    EXPECT_WRITTEN("");
    fclose(memf);
    free(mem);
}

/* ---- plain: the log lines */

static char logged[4096];

static void capture(void *ud, pgcdc_log_level level, const char *msg)
{
    (void)ud;
    snprintf(logged + strlen(logged), sizeof logged - strlen(logged), "%s %s\n", pgcdc_log_level_name(level), msg);
}

static void plain(void)
{
    pgcdc_log_set_handler(capture, NULL, PGCDC_LOG_DEBUG);
    cli_progress *p = cli_progress_start(stderr, CLI_PROGRESS_PLAIN);
    pgcdc_pipeline_progress r = rep("app.orders", 10000, 1000000, 1, 25, 1.0);
    cli_progress_update(p, &r, 0);
    r = rep("app.orders", 234567, 20000000, 3, 25, 5.0);
    cli_progress_update(p, &r, 5);
    CHECK_STR(logged, ""); /* less than 10 s since the table appeared */
    /* 10 s: the rate over the last 5 s, 1,000,000 rows / 5 s */
    r = rep("app.orders", 1234567, 126353408, 13, 25, 10.0);
    cli_progress_update(p, &r, 10);
    CHECK_STR(logged, "INFO snapshot app.orders: 52% 1234567 rows 120.5 MiB 200k rows/s ETA 6s\n");
    logged[0] = '\0';
    r = rep("app.orders", 2000000, 200000000, 20, 25, 15.0);
    cli_progress_update(p, &r, 15);
    CHECK_STR(logged, "");
    /* a small table: only its end */
    pgcdc_pipeline_progress s = rep("app.small", 3, 90, 1, 1, 0.02);
    s.done = true;
    cli_progress_update(p, &s, 16);
    CHECK_STR(logged, "INFO snapshot app.small: done 3 rows 90 B in 0.0 s (150 rows/s)\n");
    logged[0] = '\0';
    r = rep("app.orders", 5000000, 5000000000LL, 25, 25, 12.31);
    r.done = true;
    cli_progress_update(p, &r, 21);
    CHECK_STR(logged, "INFO snapshot app.orders: done 5000000 rows 4.7 GiB in 12.3 s (406k rows/s)\n");
    CHECK(strchr(logged, '\033') == NULL);
    cli_progress_finish(p);
    pgcdc_log_set_handler(NULL, NULL, PGCDC_LOG_INFO);
}

/* Every chunk written, not done: the table is being merged, no ETA. */
static void merging(void)
{
    memf = open_memstream(&mem, &memlen);
    memseen = 0;
    cli_progress *p = cli_progress_start(memf, CLI_PROGRESS_LIVE);
    cli_progress_set_width(p, 120);
    pgcdc_pipeline_progress r = rep("app.t", 4000, 40960, 4, 4, 2.0);
    cli_progress_update(p, &r, 0);
    EXPECT_WRITTEN("\033[2Kapp.t  [#########.]  99%  4,000 rows  40.0 KiB  2.0 k rows/s  merging\n");
    cli_progress_finish(p);
    fclose(memf);
    free(mem);

    logged[0] = '\0';
    pgcdc_log_set_handler(capture, NULL, PGCDC_LOG_DEBUG);
    p = cli_progress_start(stderr, CLI_PROGRESS_PLAIN);
    r = rep("app.t", 2000, 20480, 2, 4, 1.0);
    cli_progress_update(p, &r, 0);
    r = rep("app.t", 4000, 40960, 4, 4, 2.0);
    cli_progress_update(p, &r, 10);
    CHECK_STR(logged, "INFO snapshot app.t: 99% 4000 rows 40.0 KiB 2.0k rows/s merging\n");
    cli_progress_finish(p);
    pgcdc_log_set_handler(NULL, NULL, PGCDC_LOG_INFO);
}

static void mode(void)
{
    /* a pipe is no terminal, whatever TERM says */
    int fds[2];
    CHECK_INT(pipe(fds), 0);
    setenv("TERM", "xterm", 1);
    CHECK_INT(cli_progress_mode_for(fds[1], false), CLI_PROGRESS_PLAIN);
    close(fds[0]);
    close(fds[1]);
    /* a pseudo-terminal is, unless TERM is dumb or unset or --no-progress */
    int master, slave;
    CHECK_INT(openpty(&master, &slave, NULL, NULL, NULL), 0);
    CHECK_INT(cli_progress_mode_for(slave, false), CLI_PROGRESS_LIVE);
    CHECK_INT(cli_progress_mode_for(slave, true), CLI_PROGRESS_PLAIN);
    setenv("TERM", "dumb", 1);
    CHECK_INT(cli_progress_mode_for(slave, false), CLI_PROGRESS_PLAIN);
    unsetenv("TERM");
    CHECK_INT(cli_progress_mode_for(slave, false), CLI_PROGRESS_PLAIN);
    close(master);
    close(slave);
}

int main(void)
{
    formatting();
    fractions();
    truncation();
    live();
    plain();
    merging();
    mode();
    return pgt_done("progress");
}
