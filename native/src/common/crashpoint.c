/* crashpoint.c - PGCDC_CRASH_AT: kill -9 of the process itself at a named
 * point (pgcdc/crashpoint.h). Read once; the counter is shared by threads. */
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pgcdc/crashpoint.h"

static atomic_int state;        /* 0 unread, 1 off, 2 armed */
static char point[128];
static atomic_long remaining;

static void arm(void)
{
    const char *v = getenv("PGCDC_CRASH_AT");
    if (!v || !*v || strlen(v) >= sizeof point) {
        atomic_store(&state, 1);
        return;
    }
    strcpy(point, v);
    long n = 1;
    char *colon = strchr(point, ':');
    if (colon) {
        *colon = '\0';
        n = strtol(colon + 1, NULL, 10);
        if (n < 1)
            n = 1;
    }
    atomic_store(&remaining, n);
    atomic_store(&state, 2);
}

void pgcdc_crashpoint(const char *name)
{
    int s = atomic_load(&state);
    if (s == 0) {
        arm();
        s = atomic_load(&state);
    }
    if (s != 2 || strcmp(name, point) != 0)
        return;
    if (atomic_fetch_sub(&remaining, 1) == 1)
        kill(getpid(), SIGKILL);
}
