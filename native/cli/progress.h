/* progress.h - the snapshot progress display of `pgcdc run`.
 *
 * On a terminal (LIVE): a block of one line per table being snapshotted,
 * redrawn in place at most 5 times a second,
 *     app.orders  [#####.....]  52%  1,234,567 rows  120.5 MiB  310 k rows/s  ETA 0:42
 * and, when a table is done, a final line above the block:
 *     app.orders  done  5,000,000 rows in 12.3 s (406 k rows/s)
 * Otherwise (PLAIN): no escape sequences at all, an INFO log line per table
 * at most every 10 s and one when it is done:
 *     snapshot app.orders: 52% 1234567 rows 120.5 MiB 310k rows/s ETA 42s
 *
 * Log lines must not garble the live block, so the CLI's log handler writes
 * through cli_progress_print_line(), which clears the block, prints the line
 * and redraws. One display per process (the one started last). */
#ifndef PGCDC_CLI_PROGRESS_H
#define PGCDC_CLI_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pgcdc/pipeline.h"

typedef enum cli_progress_mode {
    CLI_PROGRESS_PLAIN = 0, /* log lines */
    CLI_PROGRESS_LIVE       /* the redrawn block (ANSI) */
} cli_progress_mode;

/* LIVE when fd is a terminal, $TERM is set and not "dumb", and not disabled
 * (--no-progress); PLAIN otherwise. */
cli_progress_mode cli_progress_mode_for(int fd, bool disabled);

typedef struct cli_progress cli_progress;

/* A display writing to out (LIVE) or to the log (PLAIN); it becomes the one
 * cli_progress_print_line() draws around. NULL when out of memory (the run
 * goes on without a display). */
cli_progress *cli_progress_start(FILE *out, cli_progress_mode mode);

/* Stops redrawing: the block's last picture stays on the screen as ordinary
 * lines (a stopped run shows where each table was). Frees p; NULL is fine. */
void cli_progress_finish(cli_progress *p);

/* The pipeline's progress callback (userdata = the cli_progress). Any thread. */
void cli_progress_callback(void *userdata, const pgcdc_pipeline_progress *pp);

/* The same with the clock given (seconds, monotonic): what the callback
 * does, made testable. */
void cli_progress_update(cli_progress *p, const pgcdc_pipeline_progress *pp, double now);

/* Fixes the width (columns) instead of asking the terminal; 0 = ask again. */
void cli_progress_set_width(cli_progress *p, int columns);

/* Writes one complete line (with its '\n') to stderr, around the live block
 * if one is shown. What the CLI's log handler calls. */
void cli_progress_print_line(const char *line);

/* ---- formatting, exposed for the unit test; each writes a NUL-terminated
 * string into out (truncated to outlen) and returns out ---- */

/* 1234567 -> "1,234,567" (sep = ',') or "1234567" (sep = 0); < 0 -> "--" */
char *cli_fmt_count(char *out, size_t outlen, int64_t n, char sep);
/* 126353408 -> "120.5 MiB"; 512 -> "512 B"; < 0 -> "--" */
char *cli_fmt_bytes(char *out, size_t outlen, int64_t bytes);
/* rows per second: 310000 -> "310 k" (unit_sep " ") or "310k" (""), 4520 -> "4.5 k",
 * 950 -> "950", 2.3e6 -> "2.3 M"; < 0 (unknown) -> "--" */
char *cli_fmt_rate(char *out, size_t outlen, double per_s, const char *unit_sep);
/* seconds as a clock: 42 -> "0:42", 754 -> "12:34", 3723 -> "1:02:03"; < 0 -> "--" */
char *cli_fmt_clock(char *out, size_t outlen, double s);
/* seconds for a log line: 42 -> "42s", 192 -> "3m12s", 3723 -> "1h02m03s"; < 0 -> "--" */
char *cli_fmt_secs(char *out, size_t outlen, double s);
/* an elapsed time: 12.34 -> "12.3 s" under a minute, cli_fmt_secs above */
char *cli_fmt_elapsed(char *out, size_t outlen, double s);
/* "[#####.....]" for 0.52 and width 10; unknown (< 0) -> all '.' */
char *cli_fmt_bar(char *out, size_t outlen, double fraction, int width);

/* The fraction done, 0..1, or -1 if unknown. chunks_done / chunks_total is
 * exact but coarse; rows / rows_estimate is fine-grained but the planner's
 * estimate may be stale. With many chunks (>= 10) the chunks decide; with
 * fewer, the larger of the two (the estimate alone can stall at 99% or lag
 * behind the chunks). Below 1 until done. */
double cli_progress_fraction(const pgcdc_pipeline_progress *pp);

/* Cuts a line (UTF-8) to at most columns characters, counting a code point
 * as one column, never in the middle of one. Returns s. */
char *cli_truncate_columns(char *s, int columns);

#endif
