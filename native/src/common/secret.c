/* secret.c - wiping secrets before their memory is freed (pgcdc/secret.h). */
#include "pgcdc/secret.h"

#include <stdlib.h>
#include <string.h>

void (*pgcdc_secret_wiped_hook)(const void *p, size_t n);

void pgcdc_secret_wipe(void *p, size_t n)
{
    if (!p || !n)
        return;
    explicit_bzero(p, n);
    if (pgcdc_secret_wiped_hook)
        pgcdc_secret_wiped_hook(p, n);
}

void pgcdc_secret_free(char *s)
{
    if (!s)
        return;
    pgcdc_secret_wipe(s, strlen(s));
    free(s);
}
