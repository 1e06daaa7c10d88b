/* wire.h - bounds-checked reading of pgoutput's big-endian wire format.
 * A read past the end sets r->bad and returns zero/NULL; callers check
 * r->bad once per message instead of after every field. */
#ifndef PGCDC_DECODE_WIRE_H
#define PGCDC_DECODE_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct wire_reader {
    const uint8_t *p;
    const uint8_t *end;
    bool bad;
} wire_reader;

static inline void wire_init(wire_reader *r, const uint8_t *data, size_t len)
{
    r->p = data;
    r->end = data + len;
    r->bad = false;
}

static inline bool wire_has(wire_reader *r, size_t n)
{
    if (r->bad || (size_t)(r->end - r->p) < n) {
        r->bad = true;
        return false;
    }
    return true;
}

static inline uint8_t wire_u8(wire_reader *r)
{
    if (!wire_has(r, 1))
        return 0;
    return *r->p++;
}

static inline uint16_t wire_u16(wire_reader *r)
{
    if (!wire_has(r, 2))
        return 0;
    uint16_t v = (uint16_t)((r->p[0] << 8) | r->p[1]);
    r->p += 2;
    return v;
}

static inline uint32_t wire_u32(wire_reader *r)
{
    if (!wire_has(r, 4))
        return 0;
    uint32_t v = ((uint32_t)r->p[0] << 24) | ((uint32_t)r->p[1] << 16) | ((uint32_t)r->p[2] << 8) | r->p[3];
    r->p += 4;
    return v;
}

static inline uint64_t wire_u64(wire_reader *r)
{
    uint64_t hi = wire_u32(r);
    return (hi << 32) | wire_u32(r);
}

/* A NUL-terminated string inside the message: returns a pointer into the
 * message itself (no copy), or NULL if there is no terminator. */
static inline const char *wire_str(wire_reader *r)
{
    if (r->bad)
        return NULL;
    const uint8_t *nul = memchr(r->p, 0, (size_t)(r->end - r->p));
    if (!nul) {
        r->bad = true;
        return NULL;
    }
    const char *s = (const char *)r->p;
    r->p = nul + 1;
    return s;
}

/* True when everything was read and nothing is left over: pgoutput messages
 * have no padding, so leftover bytes mean we misread the message's layout. */
static inline bool wire_done(const wire_reader *r)
{
    return !r->bad && r->p == r->end;
}

/* n raw bytes inside the message. */
static inline const uint8_t *wire_bytes(wire_reader *r, size_t n)
{
    if (!wire_has(r, n))
        return NULL;
    const uint8_t *s = r->p;
    r->p += n;
    return s;
}

#endif
