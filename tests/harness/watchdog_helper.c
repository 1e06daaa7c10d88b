/* watchdog_helper.c - the processes test_watchdog.sh plays the owner of a
 * cluster with, through pgt.c exactly as the C tests start one:
 *   watchdog_helper hold    starts a cluster, prints "PORT DIR", waits to be killed
 *   watchdog_helper abort   starts a cluster, prints "PORT DIR", aborts (no atexit)
 *   watchdog_helper stop    starts a cluster, prints "PORT DIR", pgt_cluster_stop, prints "stopped"
 *   watchdog_helper ping PORT   exit 0 if a server accepts connections on 127.0.0.1:PORT, else 1 */
#include "pgt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "ping") == 0) {
        char ci[128];
        snprintf(ci, sizeof ci, "host=127.0.0.1 port=%s dbname=postgres user=postgres connect_timeout=2", argv[2]);
        return PQping(ci) == PQPING_OK ? 0 : 1;
    }
    if (argc != 2 || (strcmp(argv[1], "hold") != 0 && strcmp(argv[1], "abort") != 0 &&
                      strcmp(argv[1], "stop") != 0)) {
        fprintf(stderr, "usage: watchdog_helper hold|abort|stop | ping PORT\n");
        return 2;
    }
    pgt_cluster c;
    pgt_cluster_start(&c, pgt_major(), NULL);
    printf("%d %s\n", c.port, c.dir);
    fflush(stdout);
    if (strcmp(argv[1], "abort") == 0)
        abort();
    if (strcmp(argv[1], "hold") == 0) {
        for (;;)
            pause();
    }
    pgt_cluster_stop(&c);
    printf("stopped\n");
    return 0;
}
