/* pgcdc/arena.h - a bump allocator for batch-scoped memory: many small
 * allocations, freed all at once by reset. Hot paths use it instead of malloc. */
#ifndef PGCDC_ARENA_H
#define PGCDC_ARENA_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pgcdc_arena_block pgcdc_arena_block;

typedef struct pgcdc_arena {
    pgcdc_arena_block *head;   /* current block (blocks chain backwards) */
    pgcdc_arena_block *spare;  /* default-size blocks kept by reset for reuse */
    size_t block_size;         /* default block payload size */
    size_t used_bytes;         /* bytes handed out since the last reset */
} pgcdc_arena;

/* block_size 0 = 64 KiB. */
void pgcdc_arena_init(pgcdc_arena *a, size_t block_size);
/* 8-byte aligned memory, or NULL when memory runs out. */
void *pgcdc_arena_alloc(pgcdc_arena *a, size_t n);
/* Copies n bytes and adds a NUL. */
char *pgcdc_arena_strndup(pgcdc_arena *a, const char *s, size_t n);
char *pgcdc_arena_strdup(pgcdc_arena *a, const char *s);
/* Forgets everything allocated. Default-size blocks (up to 8 MiB of them) are
 * kept for the next round, so a batch-per-reset cycle does not malloc and
 * page-fault its memory again each time. */
void pgcdc_arena_reset(pgcdc_arena *a);
void pgcdc_arena_free(pgcdc_arena *a);

#ifdef __cplusplus
}
#endif
#endif
