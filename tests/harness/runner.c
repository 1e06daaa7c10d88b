/* runner.c - the pgcdc binary as a subprocess of a test (runner.h). */
#include "runner.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

const char *rt_bin;

void rt_write_conf(const char *path, const rt_conf *c)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(1);
    }
    fprintf(f,
            "[PostgreSQL Source Parameters]\n"
            "PostgreSQL Connection URL = %spostgresql://127.0.0.1:%d/%s\n"
            "PostgreSQL Username = %s\n",
            c->jdbc_url ? "jdbc:" : "", c->source_port, c->source_db, c->user ? c->user : "postgres");
    if (c->password)
        fprintf(f, "PostgreSQL Password = %s\n", c->password);
    fprintf(f, "Publication Name = %s\n", c->publication);
    if (c->slot)
        fprintf(f, "Replication Slot Name = %s\n", c->slot);
    fprintf(f,
            "\n[PostgreSQL Destination Parameters]\n"
            "Destination Type = POSTGRESQL\n"
            "Destination Connection URL = postgresql://127.0.0.1:%d/%s\n"
            "Destination Username = postgres\n",
            c->dest_port, c->dest_db);
    if (c->schema_pattern)
        fprintf(f, "Destination Schema Pattern = %s\n", c->schema_pattern);
    fprintf(f, "\n[PostgreSQL Ingestion Parameters]\n");
    if (c->names)
        fprintf(f, "Included Table Names = %s\n", c->names);
    if (c->regex)
        fprintf(f, "Included Table Regex = %s\n", c->regex);
    if (c->cron)
        fprintf(f, "Merge Task Schedule CRON = %s\n", c->cron);
    if (c->snapshot_queries)
        fprintf(f, "Concurrent Snapshot Queries = %d\n", c->snapshot_queries);
    fclose(f);
}

char *rt_read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return strdup("");
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = calloc(1, (size_t)n + 1);
    if (fread(s, 1, (size_t)n, f) != (size_t)n)
        exit(1);
    fclose(f);
    return s;
}

bool rt_log_has(const char *log, const char *s)
{
    char *l = rt_read_file(log);
    bool has = strstr(l, s) != NULL;
    free(l);
    return has;
}

void rt_show_log(const char *log, const char *why)
{
    char *l = rt_read_file(log);
    if (why)
        fprintf(stderr, "--- %s (%s) ---\n%s---\n", log, why, l);
    else
        fprintf(stderr, "--- %s ---\n%s---\n", log, l);
    free(l);
}

pid_t rt_spawn(const char *log, const char *crash_at, const char *const args[])
{
    /* argv and the environment are built before the fork: a test's load
     * thread may hold the allocator's lock when it happens */
    size_t nargs = 0, nenv = 0;
    while (args[nargs])
        nargs++;
    while (environ[nenv])
        nenv++;
    char **argv = calloc(nargs + 2, sizeof *argv);
    char **env = calloc(nenv + 2, sizeof *env);
    char var[128];
    argv[0] = (char *)rt_bin;
    for (size_t i = 0; i < nargs; i++)
        argv[i + 1] = (char *)args[i];
    size_t m = 0;
    for (size_t i = 0; i < nenv; i++)
        if (!crash_at || strncmp(environ[i], "PGCDC_CRASH_AT=", 15) != 0)
            env[m++] = environ[i];
    if (crash_at) {
        snprintf(var, sizeof var, "PGCDC_CRASH_AT=%s", crash_at);
        env[m++] = var;
    }
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        execve(rt_bin, argv, env);
        _exit(127);
    }
    free(argv);
    free(env);
    return pid;
}

pid_t rt_spawn_run(const char *conf, bool caught_up, const char *log, const char *crash_at)
{
    const char *args[] = {"run", "-c", conf, caught_up ? "--until-caught-up" : NULL, NULL};
    return rt_spawn(log, crash_at, args);
}

bool rt_wait(pid_t pid, int limit, int *status)
{
    for (int i = 0; i < limit * 20; i++) {
        if (waitpid(pid, status, WNOHANG) == pid)
            return true;
        usleep(50000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, status, 0);
    return false;
}

int rt_exit_code(int status)
{
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int rt_wait_exit(pid_t pid, int limit)
{
    int st = 0;
    if (rt_wait(pid, limit, &st))
        return rt_exit_code(st);
    fprintf(stderr, "runner did not finish in %d s\n", limit);
    return -1;
}

int rt_run(const char *log, int limit, int expect, const char *const args[])
{
    int rc = rt_wait_exit(rt_spawn(log, NULL, args), limit);
    if (rc != expect) {
        char why[64];
        snprintf(why, sizeof why, "exit %d, expected %d", rc, expect);
        rt_show_log(log, why);
    }
    return rc;
}

int rt_run_caught_up(const char *conf, const char *log, int expect)
{
    unlink(log);
    const char *args[] = {"run", "-c", conf, "--until-caught-up", NULL};
    return rt_run(log, 120, expect, args);
}

char *rt_rows(PGconn *c, const char *sel)
{
    return pgt_query_value(c, "SELECT array_to_string(ARRAY(SELECT t::text FROM (%s ORDER BY 1) t), E'\\n')", sel);
}

bool rt_same(PGconn *src, const char *src_sel, PGconn *dst, const char *dst_sel)
{
    char *a = rt_rows(src, src_sel), *b = rt_rows(dst, dst_sel);
    bool eq = strcmp(a, b) == 0 && a[0];
    if (!eq)
        fprintf(stderr, "rows differ:\nsource (%s):\n%s\ndestination (%s):\n%s\n", src_sel, a, dst_sel, b);
    free(a);
    free(b);
    return eq;
}

int rt_begin(int argc, char **argv, const char *name, char *dir, size_t dirlen)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PGCDC_BINARY\n", argv[0]);
        return 2;
    }
    rt_bin = argv[1];
    snprintf(dir, dirlen, "/tmp/pgcdc-%s-XXXXXX", name);
    return mkdtemp(dir) ? 0 : 1;
}

void rt_tmpdir_remove(const char *dir)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (pgt_failures == 0 && system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}
