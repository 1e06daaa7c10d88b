/* test_cron_table.c - the shared table of Merge Task Schedule CRON
 * expressions (cron_table.txt, also run by NiFi's tests through JNI) against
 * the native parser and next-fire computation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "pgcdc/cron.h"

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n'))
        s[--n] = '\0';
    return s;
}

static int64_t utc(const char *iso)
{
    struct tm tm = {0};
    if (sscanf(iso, "%d-%d-%dT%d:%d:%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
               &tm.tm_sec) != 6)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (int64_t)timegm(&tm);
}

int main(int argc, char **argv)
{
    FILE *f = argc > 1 ? fopen(argv[1], "r") : NULL;
    CHECK(f != NULL);
    if (!f)
        return pgt_done("cron-table");
    char line[512];
    int rows = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || !strchr(line, '|'))
            continue;
        char *expr = trim(strtok(line, "|")), *after = trim(strtok(NULL, "|")), *want = trim(strtok(NULL, "|"));
        pgcdc_cron *c = NULL;
        pgcdc_error e;
        pgcdc_code rc = pgcdc_cron_parse(expr, &c, &e);
        rows++;
        if (!strcmp(want, "invalid")) {
            if (rc == PGCDC_OK)
                fprintf(stderr, "accepted: %s\n", expr);
            CHECK_INT(rc, PGCDC_EINVAL);
        } else {
            if (rc != PGCDC_OK)
                fprintf(stderr, "refused: %s: %s\n", expr, e.message);
            CHECK_INT(rc, PGCDC_OK);
            int64_t next = -1;
            if (c)
                CHECK_INT(pgcdc_cron_next(c, utc(after), &next), PGCDC_OK);
            if (next != utc(want))
                fprintf(stderr, "%s after %s: got %lld, want %s\n", expr, after, (long long)next, want);
            CHECK(next == utc(want));
        }
        pgcdc_cron_free(c);
    }
    fclose(f);
    CHECK(rows >= 10);
    return pgt_done("cron-table");
}
