/* arena.c - bump allocator: blocks of block_size (bigger for big requests). */
#include "pgcdc/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct pgcdc_arena_block {
    pgcdc_arena_block *prev;
    size_t size;
    size_t used;
    max_align_t data[]; /* payload */
};

void pgcdc_arena_init(pgcdc_arena *a, size_t block_size)
{
    a->head = NULL;
    a->block_size = block_size ? block_size : 64 * 1024;
    a->used_bytes = 0;
}

void *pgcdc_arena_alloc(pgcdc_arena *a, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    pgcdc_arena_block *b = a->head;
    if (!b || b->size - b->used < n) {
        size_t size = n > a->block_size ? n : a->block_size;
        b = malloc(sizeof *b + size);
        if (!b)
            return NULL;
        b->prev = a->head;
        b->size = size;
        b->used = 0;
        a->head = b;
    }
    void *p = (char *)b->data + b->used;
    b->used += n;
    a->used_bytes += n;
    return p;
}

char *pgcdc_arena_strndup(pgcdc_arena *a, const char *s, size_t n)
{
    char *p = pgcdc_arena_alloc(a, n + 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *pgcdc_arena_strdup(pgcdc_arena *a, const char *s)
{
    return pgcdc_arena_strndup(a, s, strlen(s));
}

void pgcdc_arena_reset(pgcdc_arena *a)
{
    /* Keep the oldest block of the default size; free the rest. */
    pgcdc_arena_block *b = a->head, *keep = NULL;
    while (b) {
        pgcdc_arena_block *prev = b->prev;
        if (!prev && b->size == a->block_size)
            keep = b;
        else
            free(b);
        b = prev;
    }
    if (keep) {
        keep->used = 0;
        keep->prev = NULL;
    }
    a->head = keep;
    a->used_bytes = 0;
}

void pgcdc_arena_free(pgcdc_arena *a)
{
    pgcdc_arena_block *b = a->head;
    while (b) {
        pgcdc_arena_block *prev = b->prev;
        free(b);
        b = prev;
    }
    a->head = NULL;
    a->used_bytes = 0;
}
