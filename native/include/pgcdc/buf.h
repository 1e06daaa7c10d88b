/* pgcdc/buf.h - a growable byte buffer, reused across calls so hot paths do
 * not allocate per value: reset it, append, read data/len. */
#ifndef PGCDC_BUF_H
#define PGCDC_BUF_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pgcdc_buf {
    char *data; /* always NUL-terminated after any append (data[len] == 0) */
    size_t len;
    size_t cap;
} pgcdc_buf;

#define PGCDC_BUF_INIT {NULL, 0, 0}

/* All return 0 on success, -1 when memory runs out (the buffer is unchanged). */
int pgcdc_buf_reserve(pgcdc_buf *b, size_t extra);
int pgcdc_buf_append(pgcdc_buf *b, const void *p, size_t n);
int pgcdc_buf_putc(pgcdc_buf *b, char c);
int pgcdc_buf_puts(pgcdc_buf *b, const char *s);
int pgcdc_buf_printf(pgcdc_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline void pgcdc_buf_reset(pgcdc_buf *b) { b->len = 0; if (b->data) b->data[0] = 0; }
void pgcdc_buf_free(pgcdc_buf *b);

#ifdef __cplusplus
}
#endif
#endif
