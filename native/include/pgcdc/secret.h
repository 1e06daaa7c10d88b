/* pgcdc/secret.h - wiping secrets (passwords, keys, URLs that may hold a
 * password) before their memory is freed, so that they do not linger in the
 * heap for a core dump, a swap file or a later read of uninitialised memory.
 *
 * The wipe uses explicit_bzero, which the compiler may not drop as a dead
 * store the way it drops a memset right before free. */
#ifndef PGCDC_SECRET_H
#define PGCDC_SECRET_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Zeroes n bytes at p (p may be NULL when n is 0). */
void pgcdc_secret_wipe(void *p, size_t n);

/* Wipes the NUL-terminated string s, then frees it; NULL is fine. */
void pgcdc_secret_free(char *s);

/* Tests only: when set, called after every wipe with the wiped bytes (still
 * allocated), so a test can see that a free function wiped what it held. */
extern void (*pgcdc_secret_wiped_hook)(const void *p, size_t n);

#ifdef __cplusplus
}
#endif
#endif
