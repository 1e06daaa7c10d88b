/* comma_locale.h - a locale whose decimal point is ',' for the tests that
 * prove float text does not follow the process locale (a JVM host calls
 * setlocale(LC_ALL, "") and may get one). Header-only: used by
 * tests/types/test_float_text.c and tests/encode/test_batch_values.c. */
#ifndef PGT_COMMA_LOCALE_H
#define PGT_COMMA_LOCALE_H

#include <locale.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The name of a ',' locale, available to setlocale/newlocale from now on, or
 * NULL (with a note on stdout) when there is none. An installed one is taken
 * if any; else one is compiled with glibc's localedef into a temporary
 * directory that LOCPATH then points at (no root, no package needed; call
 * pgt_comma_locale_done() at the end to remove it). The process locale is
 * left as it was. For a per-thread locale, setlocale then duplocale
 * (LC_GLOBAL_LOCALE) rather than newlocale (see below). */
static char pgt_comma_locale_dir[] = "/tmp/pgcdc-locale-XXXXXX";
static bool pgt_comma_locale_made;

static const char *pgt_comma_locale(void)
{
    static const char *names[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8", "de_DE", "fr_FR"};
    /* probed with setlocale, not newlocale: glibc's newlocale leaks its copy
     * of LOCPATH, which LeakSanitizer reports */
    char *saved = strdup(setlocale(LC_ALL, NULL));
    const char *found = NULL;
    for (int pass = 0; pass < 2 && !found && saved; pass++) {
        for (size_t i = 0; i < sizeof names / sizeof *names && !found; i++)
            if (setlocale(LC_ALL, names[i]) && strcmp(localeconv()->decimal_point, ",") == 0)
                found = names[i];
        if (found || pass == 1 || !mkdtemp(pgt_comma_locale_dir))
            break;
        pgt_comma_locale_made = true;
        char cmd[256];
        snprintf(cmd, sizeof cmd, "localedef -i de_DE -f UTF-8 '%s/de_DE.UTF-8' >/dev/null 2>&1",
                 pgt_comma_locale_dir);
        int rc = system(cmd); /* localedef exits 1 on mere warnings: setlocale decides */
        (void)rc;
        setenv("LOCPATH", pgt_comma_locale_dir, 1);
    }
    if (saved)
        setlocale(LC_ALL, saved);
    free(saved);
    if (!found)
        printf("note: no locale with a ',' decimal point (none installed, localedef failed): locale checks skipped\n");
    return found;
}

/* Removes the locale pgt_comma_locale compiled, if it did (locales already
 * loaded stay usable). */
static void pgt_comma_locale_done(void)
{
    if (!pgt_comma_locale_made)
        return;
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", pgt_comma_locale_dir);
    int rc = system(cmd);
    (void)rc;
    pgt_comma_locale_made = false;
}

#endif
