/* progress.c - the snapshot progress display of `pgcdc run` (progress.h).
 *
 * The pipeline calls back after every written chunk, from whichever thread
 * wrote it, while log lines come from any thread: one mutex guards the
 * display and the screen, so a log line and a redraw never interleave. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "pgcdc/log.h"
#include "progress.h"

#define REDRAW_EVERY_S 0.2  /* at most 5 pictures a second: more is flicker, not news */
#define PLAIN_EVERY_S 10.0  /* a log line per table at most this often */
#define RATE_WINDOW_S 5.0   /* the rate is the average over about this much of the recent past */
#define NSAMPLES 32
#define MAX_BLOCK_LINES 20  /* more tables than that: "... and N more" */
#define MAX_NAME_COLS 40    /* the name column is as wide as the longest name, up to this */
#define BAR_WIDTH 10
#define LINE_MAX_BYTES 1024

/* rows written at a point of the table's own clock (pgcdc_pipeline_progress.elapsed_s) */
typedef struct sample {
    double t;
    int64_t rows;
} sample;

typedef struct table_row {
    char *table;                   /* sanitized: no control characters reach the terminal */
    pgcdc_pipeline_progress last;  /* .table points at table */
    sample s[NSAMPLES];
    int ns;
    double logged_at;              /* PLAIN: when its last line was logged (or it appeared) */
} table_row;

struct cli_progress {
    FILE *out;
    cli_progress_mode mode;
    int fixed_width;
    table_row *rows;
    size_t nrows, cap;
    int drawn;          /* lines of the block now on the screen, the cursor just below them */
    bool drawn_ever;
    double drawn_at;
    bool stale;         /* an update not drawn yet (throttled) */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static cli_progress *current; /* the display log lines are printed around */

/* ---------------------------------------------------------------- formatting */

char *cli_fmt_count(char *out, size_t outlen, int64_t n, char sep)
{
    if (n < 0) {
        snprintf(out, outlen, "--");
        return out;
    }
    char rev[40];
    int len = 0, digits = 0;
    do {
        if (sep && digits > 0 && digits % 3 == 0)
            rev[len++] = sep;
        rev[len++] = (char)('0' + n % 10);
        digits++;
        n /= 10;
    } while (n > 0);
    size_t i = 0;
    for (; i + 1 < outlen && len > 0; i++)
        out[i] = rev[--len];
    if (outlen)
        out[i] = '\0';
    return out;
}

char *cli_fmt_bytes(char *out, size_t outlen, int64_t bytes)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    if (bytes < 0) {
        snprintf(out, outlen, "--");
        return out;
    }
    if (bytes < 1024) {
        snprintf(out, outlen, "%d B", (int)bytes);
        return out;
    }
    double v = (double)bytes;
    int u = 0;
    /* 1023.96 KiB would print as "1024.0 KiB": step up before rounding does */
    while (v >= 1023.95 && u < 6) {
        v /= 1024;
        u++;
    }
    snprintf(out, outlen, "%.1f %s", v, units[u]);
    return out;
}

char *cli_fmt_rate(char *out, size_t outlen, double per_s, const char *unit_sep)
{
    static const char *const units[] = {"k", "M", "G", "T"};
    if (!(per_s >= 0) || isinf(per_s)) {
        snprintf(out, outlen, "--");
        return out;
    }
    if (per_s < 999.5) {
        snprintf(out, outlen, "%.0f", per_s);
        return out;
    }
    double v = per_s / 1000;
    int u = 0;
    while (v >= 999.5 && u < 3) {
        v /= 1000;
        u++;
    }
    snprintf(out, outlen, v < 9.95 ? "%.1f%s%s" : "%.0f%s%s", v, unit_sep, units[u]);
    return out;
}

/* Whole seconds, or -1 for what cannot be shown (unknown, or beyond a year:
 * an ETA that far is no estimate). */
static long whole_seconds(double s)
{
    if (!(s >= 0) || s > 366.0 * 24 * 3600)
        return -1;
    return lround(s);
}

char *cli_fmt_clock(char *out, size_t outlen, double s)
{
    long t = whole_seconds(s);
    if (t < 0)
        snprintf(out, outlen, "--");
    else if (t >= 3600)
        snprintf(out, outlen, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(out, outlen, "%ld:%02ld", t / 60, t % 60);
    return out;
}

char *cli_fmt_secs(char *out, size_t outlen, double s)
{
    long t = whole_seconds(s);
    if (t < 0)
        snprintf(out, outlen, "--");
    else if (t >= 3600)
        snprintf(out, outlen, "%ldh%02ldm%02lds", t / 3600, t / 60 % 60, t % 60);
    else if (t >= 60)
        snprintf(out, outlen, "%ldm%02lds", t / 60, t % 60);
    else
        snprintf(out, outlen, "%lds", t);
    return out;
}

char *cli_fmt_elapsed(char *out, size_t outlen, double s)
{
    if (s >= 0 && s < 59.95)
        snprintf(out, outlen, "%.1f s", s);
    else
        cli_fmt_secs(out, outlen, s);
    return out;
}

char *cli_fmt_bar(char *out, size_t outlen, double fraction, int width)
{
    if (outlen < (size_t)width + 3) {
        if (outlen)
            out[0] = '\0';
        return out;
    }
    int full = fraction > 0 ? (int)(fraction * width) : 0;
    if (full > width)
        full = width;
    out[0] = '[';
    for (int i = 0; i < width; i++)
        out[1 + i] = i < full ? '#' : '.';
    out[width + 1] = ']';
    out[width + 2] = '\0';
    return out;
}

double cli_progress_fraction(const pgcdc_pipeline_progress *pp)
{
    if (pp->done)
        return 1.0;
    double fc = pp->chunks_total > 0 ? (double)pp->chunks_done / pp->chunks_total : -1;
    double fr = pp->rows_estimate > 0 ? (double)pp->rows / (double)pp->rows_estimate : -1;
    double f;
    if (fc >= 0 && (pp->chunks_total >= 10 || fr < 0))
        f = fc;
    else
        f = fr > fc ? fr : fc;
    if (f < 0)
        return -1;
    return f < 0.999 ? f : 0.999; /* not done until it says so */
}

static bool utf8_start(unsigned char c)
{
    return (c & 0xC0) != 0x80;
}

static int columns_of(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += utf8_start((unsigned char)*s);
    return n;
}

char *cli_truncate_columns(char *s, int columns)
{
    int n = 0;
    for (char *c = s; *c; c++) {
        if (utf8_start((unsigned char)*c) && n++ == columns) {
            *c = '\0';
            break;
        }
    }
    return s;
}

/* ---------------------------------------------------------------- state */

cli_progress_mode cli_progress_mode_for(int fd, bool disabled)
{
    const char *term = getenv("TERM");
    if (disabled || !isatty(fd) || !term || !*term || strcmp(term, "dumb") == 0)
        return CLI_PROGRESS_PLAIN;
    return CLI_PROGRESS_LIVE;
}

static double monotonic_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int width_of(const cli_progress *p)
{
    if (p->fixed_width > 0)
        return p->fixed_width;
    struct winsize ws;
    if (p->out && ioctl(fileno(p->out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    return 80;
}

static int max_block_lines(const cli_progress *p)
{
    struct winsize ws;
    int n = MAX_BLOCK_LINES;
    if (p->fixed_width <= 0 && p->out && ioctl(fileno(p->out), TIOCGWINSZ, &ws) == 0 && ws.ws_row > 2 &&
        ws.ws_row - 2 < n)
        n = ws.ws_row - 2; /* a block taller than the screen cannot be moved back over */
    return n;
}

static char *sanitized(const char *name)
{
    char *s = strdup(name ? name : "?");
    for (char *c = s; s && *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = '?';
    return s;
}

static table_row *find_row(cli_progress *p, const char *table, double now)
{
    char *name = sanitized(table);
    if (!name)
        return NULL;
    for (size_t i = 0; i < p->nrows; i++)
        if (strcmp(p->rows[i].table, name) == 0) {
            free(name);
            return &p->rows[i];
        }
    if (p->nrows == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 8;
        table_row *r = realloc(p->rows, cap * sizeof *r);
        if (!r) {
            free(name);
            return NULL;
        }
        p->rows = r;
        p->cap = cap;
    }
    table_row *r = &p->rows[p->nrows++];
    memset(r, 0, sizeof *r);
    r->table = name;
    r->logged_at = now;
    return r;
}

static void remove_row(cli_progress *p, table_row *r)
{
    free(r->table);
    size_t i = (size_t)(r - p->rows);
    memmove(r, r + 1, (p->nrows - i - 1) * sizeof *r);
    p->nrows--;
}

/* Keeps the samples of the last RATE_WINDOW_S plus the one just before (the
 * window's start); starts over at (0, 0) when the table's snapshot did
 * (a retried run reports it from scratch). */
static void add_sample(table_row *r, const pgcdc_pipeline_progress *pp)
{
    if (r->ns > 0 && (pp->elapsed_s < r->s[r->ns - 1].t || pp->rows < r->s[r->ns - 1].rows))
        r->ns = 0;
    if (r->ns == 0)
        r->s[r->ns++] = (sample){0, 0};
    while (r->ns >= 2 && (r->s[1].t <= pp->elapsed_s - RATE_WINDOW_S || r->ns == NSAMPLES)) {
        memmove(r->s, r->s + 1, (size_t)(r->ns - 1) * sizeof *r->s);
        r->ns--;
    }
    r->s[r->ns++] = (sample){pp->elapsed_s, pp->rows};
}

/* Rows per second over the window, -1 unknown. */
static double rate_of(const table_row *r)
{
    if (r->ns < 2)
        return -1;
    const sample *a = &r->s[0], *b = &r->s[r->ns - 1];
    if (b->t - a->t < 0.05)
        return -1;
    return (double)(b->rows - a->rows) / (b->t - a->t);
}

/* Seconds left, -1 unknown. */
static double eta_of(const table_row *r, double fraction, double rate)
{
    if (!(fraction > 0 && fraction < 1) || !(rate > 0) || r->last.rows <= 0)
        return -1;
    double left = (double)r->last.rows * (1 - fraction) / fraction;
    return left / rate;
}

/* ---------------------------------------------------------------- lines */

/* Every chunk read and written but not done: the pipeline is merging the
 * table's journal, which for a large table takes a while - "ETA 0:00" for a
 * minute would be a lie. */
static bool merging(const pgcdc_pipeline_progress *pp)
{
    return !pp->done && pp->chunks_total > 0 && pp->chunks_done >= pp->chunks_total;
}

static void live_line(const table_row *r, int name_cols, char *out, size_t outlen)
{
    double f = cli_progress_fraction(&r->last), rate = rate_of(r);
    char bar[BAR_WIDTH + 3], pct[8], rows[32], bytes[32], rt[32], eta[40] = "merging";
    cli_fmt_bar(bar, sizeof bar, f, BAR_WIDTH);
    if (!merging(&r->last)) {
        memcpy(eta, "ETA ", 4);
        cli_fmt_clock(eta + 4, sizeof eta - 4, eta_of(r, f, rate));
    }
    if (f >= 0)
        snprintf(pct, sizeof pct, "%3d%%", (int)(f * 100));
    else
        snprintf(pct, sizeof pct, " --%%");
    int pad = name_cols - columns_of(r->table);
    snprintf(out, outlen, "%s%*s  %s %s  %s rows  %s  %s rows/s  %s", r->table, pad > 0 ? pad : 0, "", bar, pct,
             cli_fmt_count(rows, sizeof rows, r->last.rows, ','), cli_fmt_bytes(bytes, sizeof bytes, r->last.bytes),
             cli_fmt_rate(rt, sizeof rt, rate, " "), eta);
}

static double average_rate(const pgcdc_pipeline_progress *pp)
{
    return pp->elapsed_s > 0 ? (double)pp->rows / pp->elapsed_s : -1;
}

static void live_done_line(const table_row *r, char *out, size_t outlen)
{
    char rows[32], el[32], rt[32];
    snprintf(out, outlen, "%s  done  %s rows in %s (%s rows/s)", r->table,
             cli_fmt_count(rows, sizeof rows, r->last.rows, ','), cli_fmt_elapsed(el, sizeof el, r->last.elapsed_s),
             cli_fmt_rate(rt, sizeof rt, average_rate(&r->last), " "));
}

static void plain_line(const table_row *r, char *out, size_t outlen)
{
    char pct[8], rows[32], bytes[32], rt[32], eta[40] = "merging", el[32];
    cli_fmt_count(rows, sizeof rows, r->last.rows, 0);
    cli_fmt_bytes(bytes, sizeof bytes, r->last.bytes);
    if (r->last.done) {
        snprintf(out, outlen, "snapshot %s: done %s rows %s in %s (%s rows/s)", r->table, rows, bytes,
                 cli_fmt_elapsed(el, sizeof el, r->last.elapsed_s),
                 cli_fmt_rate(rt, sizeof rt, average_rate(&r->last), ""));
        return;
    }
    double f = cli_progress_fraction(&r->last), rate = rate_of(r);
    if (f >= 0)
        snprintf(pct, sizeof pct, "%d%%", (int)(f * 100));
    else
        snprintf(pct, sizeof pct, "--%%");
    if (!merging(&r->last)) {
        memcpy(eta, "ETA ", 4);
        cli_fmt_secs(eta + 4, sizeof eta - 4, eta_of(r, f, rate));
    }
    snprintf(out, outlen, "snapshot %s: %s %s rows %s %s rows/s %s", r->table, pct, rows, bytes,
             cli_fmt_rate(rt, sizeof rt, rate, ""), eta);
}

/* ---------------------------------------------------------------- drawing */

/* Moves back over the block, prints above (complete lines, or NULL), then
 * the block again, each line cleared before it is written, and clears what
 * is left below of a taller old block. Called with the lock held. */
static void redraw(cli_progress *p, const char *above, double now)
{
    FILE *o = p->out;
    if (p->drawn > 0)
        fprintf(o, "\r\033[%dA", p->drawn);
    if (above) {
        /* all of the old block goes: a long line wraps over more than the
         * first of its lines */
        fputs("\033[J", o);
        fputs(above, o);
    }
    int width = width_of(p), maxl = max_block_lines(p), name_cols = 0;
    for (size_t i = 0; i < p->nrows; i++) {
        int c = columns_of(p->rows[i].table);
        if (c > name_cols)
            name_cols = c;
    }
    if (name_cols > MAX_NAME_COLS)
        name_cols = MAX_NAME_COLS;
    int n = 0;
    char line[LINE_MAX_BYTES];
    for (size_t i = 0; i < p->nrows; i++, n++) {
        if (n == maxl - 1 && p->nrows > (size_t)maxl) {
            snprintf(line, sizeof line, "... and %zu more tables", p->nrows - i);
            i = p->nrows - 1;
        } else {
            live_line(&p->rows[i], name_cols, line, sizeof line);
        }
        /* one column short of the width: a line filling the last column
         * wraps on some terminals, and the block's height would be wrong */
        cli_truncate_columns(line, width > 1 ? width - 1 : 1);
        fprintf(o, "\033[2K%s\n", line);
    }
    if (n < p->drawn)
        fputs("\033[J", o);
    fflush(o);
    p->drawn = n;
    p->drawn_ever = true;
    p->drawn_at = now;
    p->stale = false;
}

cli_progress *cli_progress_start(FILE *out, cli_progress_mode mode)
{
    cli_progress *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->out = out;
    p->mode = mode;
    pthread_mutex_lock(&lock);
    current = p;
    pthread_mutex_unlock(&lock);
    return p;
}

void cli_progress_set_width(cli_progress *p, int columns)
{
    pthread_mutex_lock(&lock);
    p->fixed_width = columns;
    pthread_mutex_unlock(&lock);
}

void cli_progress_finish(cli_progress *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&lock);
    if (p->mode == CLI_PROGRESS_LIVE && p->stale)
        redraw(p, NULL, monotonic_now()); /* the last picture, not the last but one */
    if (current == p)
        current = NULL;
    pthread_mutex_unlock(&lock);
    for (size_t i = 0; i < p->nrows; i++)
        free(p->rows[i].table);
    free(p->rows);
    free(p);
}

void cli_progress_update(cli_progress *p, const pgcdc_pipeline_progress *pp, double now)
{
    if (!p || !pp)
        return;
    char line[LINE_MAX_BYTES];
    line[0] = '\0';
    pthread_mutex_lock(&lock);
    table_row *r = find_row(p, pp->table, now);
    if (r) {
        add_sample(r, pp);
        r->last = *pp;
        r->last.table = r->table;
        if (p->mode == CLI_PROGRESS_LIVE) {
            if (pp->done) {
                live_done_line(r, line, sizeof line);
                strcat(line, "\n");
                remove_row(p, r);
                redraw(p, line, now);
            } else if (!p->drawn_ever || now - p->drawn_at >= REDRAW_EVERY_S) {
                redraw(p, NULL, now);
            } else {
                p->stale = true;
            }
            line[0] = '\0';
        } else if (pp->done || now - r->logged_at >= PLAIN_EVERY_S) {
            plain_line(r, line, sizeof line);
            r->logged_at = now;
            if (pp->done)
                remove_row(p, r);
        }
    }
    pthread_mutex_unlock(&lock);
    /* outside the lock: the log handler takes it (cli_progress_print_line) */
    if (line[0])
        pgcdc_log(PGCDC_LOG_INFO, "%s", line);
}

void cli_progress_callback(void *userdata, const pgcdc_pipeline_progress *pp)
{
    cli_progress_update(userdata, pp, monotonic_now());
}

void cli_progress_print_line(const char *line)
{
    pthread_mutex_lock(&lock);
    if (current && current->mode == CLI_PROGRESS_LIVE && current->drawn > 0) {
        redraw(current, line, monotonic_now());
    } else {
        fputs(line, stderr);
        fflush(stderr);
    }
    pthread_mutex_unlock(&lock);
}
