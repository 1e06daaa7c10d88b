/* copy_binary.c - PostgreSQL's binary COPY format (the manual's "Binary
 * Format" of COPY): an 11-byte signature, a 32-bit flags field, a header
 * extension, then per row a 16-bit field count and per field a 32-bit length
 * (-1 = NULL) followed by that many bytes of the type's send format; a field
 * count of -1 ends the data. All integers are in network byte order. */
#include "snapshot_internal.h"

#include <string.h>

static const unsigned char signature[11] = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', 0377, '\r', '\n', '\0'};

static uint32_t rd32(const unsigned char *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

pgcdc_code snap_binary_header(const unsigned char *h, uint32_t *ext, pgcdc_error *err)
{
    if (memcmp(h, signature, sizeof signature) != 0)
        return pgcdc_error_set(err, PGCDC_EPROTOCOL, "binary COPY data does not start with the PGCOPY signature");
    uint32_t flags = rd32(h + 11);
    /* Bit 16: OIDs included (we never ask for them). Bits 17-31 are reserved
     * for format changes a reader must not ignore; 0-15 for compatible ones. */
    if (flags & 0xFFFF0000u)
        return pgcdc_error_set(err, PGCDC_EPROTOCOL,
                               "binary COPY header has flags 0x%08x this reader does not understand", flags);
    uint32_t n = rd32(h + 15);
    if (n > 0x7FFFFFFFu)
        return pgcdc_error_set(err, PGCDC_EPROTOCOL, "binary COPY header extension length %u is invalid", n);
    *ext = n;
    return PGCDC_OK;
}

int snap_binary_row(const snap_parser *p, const char *s, size_t avail, pgcdc_value *vals, size_t *consumed,
                    size_t *need, pgcdc_error *err)
{
    const unsigned char *u = (const unsigned char *)s;
    if (avail < 2) {
        *need = 2 - avail;
        return 0;
    }
    int16_t nfields = (int16_t)((u[0] << 8) | u[1]);
    if (nfields == -1) {
        *consumed = 2;
        return 2;
    }
    if (nfields != p->ncolumns) {
        pgcdc_error_set(err, PGCDC_EPROTOCOL, "binary COPY row has %d fields, expected %d", nfields, p->ncolumns);
        return -1;
    }
    size_t off = 2;
    for (int i = 0; i < p->ncolumns; i++) {
        if (avail - off < 4) {
            *need = off + 4 - avail;
            return 0;
        }
        int32_t len = (int32_t)rd32(u + off);
        off += 4;
        if (len == -1) {
            vals[i].kind = 'n';
            vals[i].len = 0;
            vals[i].data = NULL;
            continue;
        }
        if (len < 0) {
            pgcdc_error_set(err, PGCDC_EPROTOCOL, "binary COPY field %d has length %d", i + 1, (int)len);
            return -1;
        }
        if (avail - off < (size_t)len) {
            *need = off + (size_t)len - avail;
            return 0;
        }
        vals[i].kind = 'b';
        vals[i].len = (uint32_t)len;
        vals[i].data = s + off;
        off += (size_t)len;
    }
    *consumed = off;
    return 1;
}
