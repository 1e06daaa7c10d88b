/* lsn.c - LSN text form "X/Y", as PostgreSQL prints it. */
#include "pgcdc/lsn.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

char *pgcdc_lsn_format(pgcdc_lsn lsn, char out[PGCDC_LSN_STRLEN])
{
    snprintf(out, PGCDC_LSN_STRLEN, "%X/%X", (unsigned)(lsn >> 32), (unsigned)(lsn & 0xffffffffu));
    return out;
}

static int parse_hex32(const char *s, const char **end, uint32_t *out)
{
    uint64_t v = 0;
    int n = 0;
    for (; n < 8; n++, s++) {
        int d;
        if (*s >= '0' && *s <= '9') d = *s - '0';
        else if (*s >= 'a' && *s <= 'f') d = *s - 'a' + 10;
        else if (*s >= 'A' && *s <= 'F') d = *s - 'A' + 10;
        else break;
        v = v * 16 + (uint64_t)d;
    }
    if (n == 0)
        return -1;
    *end = s;
    *out = (uint32_t)v;
    return 0;
}

int pgcdc_lsn_parse(const char *s, pgcdc_lsn *out)
{
    uint32_t hi, lo;
    const char *p;
    if (!s || parse_hex32(s, &p, &hi) != 0 || *p != '/')
        return -1;
    if (parse_hex32(p + 1, &p, &lo) != 0 || *p != '\0')
        return -1;
    *out = ((uint64_t)hi << 32) | lo;
    return 0;
}
