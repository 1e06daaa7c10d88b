/* main.c - the pgcdc command-line tool. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "cli.h"

static void usage(FILE *f)
{
    fputs("usage: pgcdc COMMAND -c FILE [options]\n"
          "\n"
          "commands:\n"
          "  run    -c FILE [--until-caught-up] [--no-progress]\n"
          "                                 replicate: snapshot, then changes, merged into the destination;\n"
          "                                 SIGINT/SIGTERM stop cleanly; --until-caught-up stops once every\n"
          "                                 table replicates and all committed so far is merged; on a\n"
          "                                 terminal the snapshot shows live progress per table,\n"
          "                                 --no-progress (or not a terminal) logs it every 10 s instead\n"
          "  status -c FILE [--json]        each table's state, rows snapshotted, last merged LSN, slot lag\n"
          "  check  -c FILE                 run the preflight checks against the source\n"
          "  tail   -c FILE [--slot NAME] [--max-commits N] [--seconds S]\n"
          "                                 stream the publication's changes and print them\n"
          "  version                        print the version\n"
          "\n"
          "FILE has three sections, [PostgreSQL Source Parameters], [PostgreSQL Destination\n"
          "Parameters] and [PostgreSQL Ingestion Parameters], with \"Parameter Name = value\"\n"
          "lines (see examples/walkthrough/pgcdc.conf). Any parameter can come from the\n"
          "environment instead: PGCDC_ + the name upper-cased with '_' for other characters,\n"
          "e.g. PGCDC_POSTGRESQL_PASSWORD.\n",
          f);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
        printf("pgcdc %s\n", PGCDC_VERSION);
        return 0;
    }
    cli_options o = {0};
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        if ((!strcmp(a, "-c") || !strcmp(a, "--config")) && next) {
            o.config_path = argv[++i];
        } else if (!strcmp(a, "--slot") && next) {
            o.slot = argv[++i];
        } else if (!strcmp(a, "--max-commits") && next) {
            o.max_commits = strtol(argv[++i], NULL, 10);
        } else if (!strcmp(a, "--until-caught-up")) {
            o.until_caught_up = true;
        } else if (!strcmp(a, "--no-progress")) {
            o.no_progress = true;
        } else if (!strcmp(a, "--json")) {
            o.json = true;
        } else if (!strcmp(a, "--seconds") && next) {
            o.seconds = strtod(argv[++i], NULL);
        } else {
            fprintf(stderr, "pgcdc: unknown or incomplete option '%s'\n\n", a);
            usage(stderr);
            return 2;
        }
    }
    /* Every command reads the configuration, which holds passwords: no core
     * dump, no ptrace attach or /proc/PID/mem and environ reads by other
     * processes of the same user. */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
        fprintf(stderr, "pgcdc: warning: cannot make the process non-dumpable: %s\n", strerror(errno));
    cli_install_logging();
    if (!strcmp(cmd, "check"))
        return cmd_check(&o);
    if (!strcmp(cmd, "tail"))
        return cmd_tail(&o);
    if (!strcmp(cmd, "run"))
        return cmd_run(&o);
    if (!strcmp(cmd, "status"))
        return cmd_status(&o);
    fprintf(stderr, "pgcdc: unknown command '%s'\n\n", cmd);
    usage(stderr);
    return 2;
}
