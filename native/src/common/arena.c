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

#define ARENA_KEEP_BYTES (8u << 20)

void pgcdc_arena_init(pgcdc_arena *a, size_t block_size)
{
    a->head = NULL;
    a->spare = NULL;
    a->block_size = block_size ? block_size : 64 * 1024;
    a->used_bytes = 0;
}

void *pgcdc_arena_alloc(pgcdc_arena *a, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    pgcdc_arena_block *b = a->head;
    if (!b || b->size - b->used < n) {
        if (n <= a->block_size && a->spare) {
            b = a->spare;
            a->spare = b->prev;
        } else {
            size_t size = n > a->block_size ? n : a->block_size;
            if (!(b = malloc(sizeof *b + size)))
                return NULL;
            b->size = size;
        }
        b->prev = a->head;
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
    size_t kept = 0;
    for (pgcdc_arena_block *b = a->spare; b; b = b->prev)
        kept += b->size;
    pgcdc_arena_block *b = a->head;
    while (b) {
        pgcdc_arena_block *prev = b->prev;
        if (b->size == a->block_size && kept + b->size <= ARENA_KEEP_BYTES) {
            b->prev = a->spare;
            a->spare = b;
            kept += b->size;
        } else {
            free(b);
        }
        b = prev;
    }
    a->head = NULL;
    a->used_bytes = 0;
}

static void free_chain(pgcdc_arena_block *b)
{
    while (b) {
        pgcdc_arena_block *prev = b->prev;
        free(b);
        b = prev;
    }
}

void pgcdc_arena_free(pgcdc_arena *a)
{
    free_chain(a->head);
    free_chain(a->spare);
    a->head = a->spare = NULL;
    a->used_bytes = 0;
}
