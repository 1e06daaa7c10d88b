/* runner.h - for tests that drive the built `pgcdc` binary as a subprocess
 * (tests/pipeline, tests/cli): its configuration file, runs with the output
 * in a log file, waits with a limit, the log read back, and source and
 * destination rows compared as record text. One copy of what every such
 * test needs, so that they all run the binary the same way. */
#ifndef PGT_RUNNER_H
#define PGT_RUNNER_H

#include <stdbool.h>
#include <sys/types.h>

#include "pgt.h"

/* The pgcdc binary under test (the test's argv[1]); set by main. */
extern const char *rt_bin;

/* ---- the configuration file ---- */

/* What a test's configuration says. Optional lines (NULL or 0) are left
 * out; an empty string is written as an empty value. */
typedef struct rt_conf {
    int source_port;
    const char *source_db;
    bool jdbc_url;              /* the source URL as jdbc:postgresql://... */
    const char *user;           /* the source user; NULL: postgres */
    const char *password;       /* optional */
    const char *publication;
    const char *slot;           /* optional: the runner generates a name */
    int dest_port;
    const char *dest_db;        /* the destination user is postgres */
    const char *schema_pattern; /* optional */
    const char *names;          /* Included Table Names, optional */
    const char *regex;          /* Included Table Regex, optional */
    const char *cron;           /* Merge Task Schedule CRON, optional */
    int snapshot_queries;       /* Concurrent Snapshot Queries, optional */
} rt_conf;

/* Writes the configuration file; exits the test if it cannot. */
void rt_write_conf(const char *path, const rt_conf *c);

/* ---- files ---- */

/* The whole file as a malloc'd string; "" when it does not exist (a run
 * that has not written its log yet). */
char *rt_read_file(const char *path);
/* Whether the file at log contains s. */
bool rt_log_has(const char *log, const char *s);
/* Prints the log to stderr between "--- log (why) ---" and "---" (why may
 * be NULL: "--- log ---"). */
void rt_show_log(const char *log, const char *why);

/* ---- the binary as a subprocess ---- */

/* Starts rt_bin with args (a NULL-terminated list after the program name),
 * stdout and stderr appended to log. crash_at NULL: the environment as it
 * is; otherwise PGCDC_CRASH_AT=crash_at for that process only. Only
 * async-signal-safe calls between fork and exec (a test may run threads). */
pid_t rt_spawn(const char *log, const char *crash_at, const char *const args[]);
/* `pgcdc run -c conf` (with --until-caught-up if caught_up). */
pid_t rt_spawn_run(const char *conf, bool caught_up, const char *log, const char *crash_at);

/* Waits up to limit seconds for pid; *status its wait status. False, and
 * the process killed with SIGKILL, when it did not end in time. */
bool rt_wait(pid_t pid, int limit, int *status);
/* A wait status as one number: the exit code, or 128 + the signal. */
int rt_exit_code(int status);
/* rt_wait as that number, or -1 ("runner did not finish in N s") when the
 * process was killed for being too slow. */
int rt_wait_exit(pid_t pid, int limit);

/* Runs rt_bin with args to its end (at most limit seconds), output
 * appended to log; returns rt_wait_exit's number and shows the log when it
 * is not expect. */
int rt_run(const char *log, int limit, int expect, const char *const args[]);
/* `pgcdc run -c conf --until-caught-up` into a fresh log, at most 120 s. */
int rt_run_caught_up(const char *conf, const char *log, int expect);

/* ---- rows ---- */

/* The rows of a query as text lines: record text, ordered by the first
 * column (malloc'd; the test fails on an SQL error). */
char *rt_rows(PGconn *c, const char *sel);
/* Whether the two queries' rows are equal and not empty; prints both when
 * they are not. */
bool rt_same(PGconn *src, const char *src_sel, PGconn *dst, const char *dst_sel);

/* ---- the start and the end ---- */

/* The start of main for a test whose argv[1] is the pgcdc binary: rt_bin
 * set, a fresh directory /tmp/pgcdc-<name>-XXXXXX made into dir (for its
 * configurations and logs). Returns 0, or what main returns: 2 (usage
 * printed) or 1 (no directory). */
int rt_begin(int argc, char **argv, const char *name, char *dir, size_t dirlen);

/* Removes the test's directory (rm -rf) unless a check failed: then the
 * configurations and logs stay for a look. */
void rt_tmpdir_remove(const char *dir);

#endif
