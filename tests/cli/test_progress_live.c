/* test_progress_live.c - the snapshot progress display of `pgcdc run`, the
 * built binary against a throwaway server, on a 200,000-row table:
 *   1. under a pseudo-terminal (TERM=xterm): the live block - escape
 *      sequences, a line "app.big  [#####.....]  NN%  N rows ...", the final
 *      "app.big  done  200,000 rows in ..." - and no plain progress line;
 *   2. stderr to a pipe: not one ESC byte, the plain "snapshot app.big: done
 *      200000 rows ..." line;
 *   3. under the pseudo-terminal with --no-progress: as 2.
 * Each run is a fresh snapshot (its own slot and destination database).
 * argv[1] = the pgcdc binary. */
#include <errno.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runner.h"

static char tmpdir[256];
static pgt_cluster cl;

static void write_conf(const char *path, const char *slot, const char *destdb)
{
    rt_write_conf(path, &(rt_conf){.source_port = cl.port, .source_db = "appdb", .jdbc_url = true,
                                   .user = "openflow_user", .password = "Secret-1", .publication = "big_pub",
                                   .slot = slot, .dest_port = cl.port, .dest_db = destdb, .names = "app.big",
                                   .snapshot_queries = 4});
}

typedef struct output {
    char *data;
    size_t len, cap;
} output;

static void append(output *o, const char *s, size_t n)
{
    if (o->len + n + 1 > o->cap) {
        o->cap = (o->len + n + 1) * 2;
        o->data = realloc(o->data, o->cap);
    }
    memcpy(o->data + o->len, s, n);
    o->len += n;
    o->data[o->len] = '\0';
}

/* Reads fd until the child closed its end (EOF, or EIO on a pty master) or
 * 120 s passed (then kills it); returns the exit status, -1 if killed. */
static int collect(pid_t pid, int fd, output *o)
{
    append(o, "", 0);
    time_t end = time(NULL) + 120;
    for (;;) {
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        int r = poll(&pf, 1, 500);
        if (r > 0) {
            char buf[4096];
            ssize_t n = read(fd, buf, sizeof buf);
            if (n > 0) {
                append(o, buf, (size_t)n);
                continue;
            }
            if (n == 0 || errno == EIO)
                break;
            if (errno != EINTR && errno != EAGAIN)
                break;
        }
        if (time(NULL) > end) {
            fprintf(stderr, "pgcdc run did not finish in 120 s\n");
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            return -1;
        }
    }
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void exec_run(const char *conf, const char *term, bool no_progress)
{
    if (term)
        setenv("TERM", term, 1);
    else
        unsetenv("TERM");
    if (no_progress)
        execl(rt_bin, rt_bin, "run", "-c", conf, "--until-caught-up", "--no-progress", (char *)NULL);
    else
        execl(rt_bin, rt_bin, "run", "-c", conf, "--until-caught-up", (char *)NULL);
    _exit(127);
}

/* `pgcdc run --until-caught-up` with stdout and stderr on a pseudo-terminal
 * of 120 x 30. */
static int run_on_pty(const char *conf, bool no_progress, output *o)
{
    int master;
    struct winsize ws = {.ws_row = 30, .ws_col = 120};
    pid_t pid = forkpty(&master, NULL, NULL, &ws);
    if (pid < 0) {
        perror("forkpty");
        exit(1);
    }
    if (pid == 0)
        exec_run(conf, "xterm", no_progress);
    int rc = collect(pid, master, o);
    close(master);
    return rc;
}

/* The same with stdout and stderr into a pipe (TERM set all the same: not a
 * terminal is what counts). */
static int run_on_pipe(const char *conf, output *o)
{
    int fds[2];
    if (pipe(fds) != 0) {
        perror("pipe");
        exit(1);
    }
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        dup2(fds[1], 1);
        dup2(fds[1], 2);
        close(fds[1]);
        exec_run(conf, "xterm", false);
    }
    close(fds[1]);
    int rc = collect(pid, fds[0], o);
    close(fds[0]);
    return rc;
}

static bool is_digits_commas(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(s[i] >= '0' && s[i] <= '9') && s[i] != ',')
            return false;
    return true;
}

/* A line of the live block: "app.big  [" 10 of '#'/'.' "] " "%3d" "%  "
 * digits and commas " rows  " ... " rows/s  ETA " (or "  merging", all
 * chunks written). Returns the first such
 * line's percent, or -1 if there is none. */
static int live_line_percent(const char *out)
{
    for (const char *p = strstr(out, "app.big  ["); p; p = strstr(p + 1, "app.big  [")) {
        const char *bar = p + strlen("app.big  [");
        if (strlen(bar) < 40 || strspn(bar, "#.") != 10 || strncmp(bar + 10, "] ", 2) != 0)
            continue;
        int pct;
        char sign;
        if (sscanf(bar + 12, "%3d%c", &pct, &sign) != 2 || sign != '%' || strncmp(bar + 16, "  ", 2) != 0)
            continue;
        const char *rows = bar + 18, *end = strstr(rows, " rows  ");
        const char *eol = strpbrk(rows, "\r\n");
        if (!end || (eol && eol < end) || !is_digits_commas(rows, (size_t)(end - rows)))
            continue;
        const char *rate = strstr(end, " rows/s  ");
        if (!rate || (eol && eol < rate) ||
            (strncmp(rate, " rows/s  ETA ", 13) != 0 && strncmp(rate, " rows/s  merging", 16) != 0))
            continue;
        return pct;
    }
    return -1;
}

static void dump(const char *what, const output *o)
{
    fprintf(stderr, "--- %s ---\n", what);
    for (const char *c = o->data; c && *c; c++)
        fprintf(stderr, *c == 27 ? "\\e" : "%c", *c);
    fprintf(stderr, "---\n");
}

int main(int argc, char **argv)
{
    int start = rt_begin(argc, argv, "progress", tmpdir, sizeof tmpdir);
    if (start != 0)
        return start;
    pgt_cluster_start(&cl, pgt_major(), NULL);
    PGconn *adm = pgt_connect(&cl, "postgres");
    pgt_exec(adm, "CREATE DATABASE appdb");
    pgt_exec(adm, "CREATE DATABASE dest_tty");
    pgt_exec(adm, "CREATE DATABASE dest_pipe");
    pgt_exec(adm, "CREATE DATABASE dest_noprog");
    PGconn *src = pgt_connect(&cl, "appdb");
    pgt_exec(src, "CREATE SCHEMA app;"
                  "CREATE TABLE app.big (id int PRIMARY KEY, payload text);"
                  "INSERT INTO app.big SELECT g, md5(g::text) FROM generate_series(1, 200000) g;"
                  "ANALYZE app.big;"
                  "CREATE ROLE openflow_user LOGIN REPLICATION PASSWORD 'Secret-1';"
                  "GRANT USAGE ON SCHEMA app TO openflow_user;"
                  "GRANT SELECT ON app.big TO openflow_user;"
                  "CREATE PUBLICATION big_pub FOR TABLE app.big");

    char conf[300];
    /* 1. a terminal: the live block */
    snprintf(conf, sizeof conf, "%s/tty.conf", tmpdir);
    write_conf(conf, "slot_tty", "dest_tty");
    output tty = {0};
    int rc = run_on_pty(conf, false, &tty);
    CHECK_INT(rc, 0);
    CHECK(strchr(tty.data, '\033') != NULL);
    int pct = live_line_percent(tty.data);
    CHECK_MSG(pct >= 0 && pct < 100, "no live progress line with a percent below 100 (got %d)", pct);
    CHECK_CONTAINS(tty.data, "app.big  done  200,000 rows in ");
    CHECK_CONTAINS(tty.data, " rows/s)");
    CHECK_NOT_CONTAINS(tty.data, "snapshot app.big:");
    /* log lines still come, whole */
    CHECK_CONTAINS(tty.data, "changed from SNAPSHOT_REPLICATION to INCREMENTAL_REPLICATION");
    CHECK_NOT_CONTAINS(tty.data, "Secret-1");
    if (pgt_failures)
        dump("on a terminal", &tty);

    /* 2. a pipe: no escape sequence at all, the plain line */
    int before = pgt_failures;
    snprintf(conf, sizeof conf, "%s/pipe.conf", tmpdir);
    write_conf(conf, "slot_pipe", "dest_pipe");
    output pipe_out = {0};
    CHECK_INT(run_on_pipe(conf, &pipe_out), 0);
    CHECK(strchr(pipe_out.data, '\033') == NULL);
    CHECK_CONTAINS(pipe_out.data, " INFO  snapshot app.big: done 200000 rows ");
    CHECK_NOT_CONTAINS(pipe_out.data, "app.big  [");
    CHECK_CONTAINS(pipe_out.data, "changed from SNAPSHOT_REPLICATION to INCREMENTAL_REPLICATION");
    if (pgt_failures > before)
        dump("into a pipe", &pipe_out);

    /* 3. a terminal, --no-progress: as a pipe */
    before = pgt_failures;
    snprintf(conf, sizeof conf, "%s/noprog.conf", tmpdir);
    write_conf(conf, "slot_noprog", "dest_noprog");
    output np = {0};
    CHECK_INT(run_on_pty(conf, true, &np), 0);
    CHECK(strchr(np.data, '\033') == NULL);
    CHECK_CONTAINS(np.data, " INFO  snapshot app.big: done 200000 rows ");
    CHECK_NOT_CONTAINS(np.data, "app.big  [");
    if (pgt_failures > before)
        dump("on a terminal with --no-progress", &np);

    /* the rows arrived, each time */
    const char *dbs[] = {"dest_tty", "dest_pipe", "dest_noprog"};
    for (int i = 0; i < 3; i++) {
        PGconn *d = pgt_connect(&cl, dbs[i]);
        char *v = pgt_query_value(d, "SELECT count(*) FROM app.big");
        CHECK_STR(v, "200000");
        free(v);
        PQfinish(d);
    }

    free(tty.data);
    free(pipe_out.data);
    free(np.data);
    PQfinish(src);
    PQfinish(adm);
    pgt_cluster_stop(&cl);
    rt_tmpdir_remove(tmpdir);
    return pgt_done("progress-live");
}
