/* format.c - binary or text COPY for a table: binary when the type layer
 * decodes every column's send format.
 *
 * The type layer answers that question itself: pgcdc_value_convert returns
 * PGCDC_EUNSUPPORTED for a binary value of a type it does not decode
 * (types.h), and it says so before looking at the bytes. So a probe value -
 * empty, or for an array a one-element array holding an empty element, which
 * reaches the element type's decoder - tells supported (converted, or
 * rejected as malformed) from unsupported, without a second list of types
 * here that could drift from binary.c. */
#include "snapshot_internal.h"

bool pgcdc_snapshot_binary_ok(const pgcdc_dest_type *types, int ntypes, int *first_bad)
{
    /* ndim 1, no nulls, element type 0 (not checked), 1 element from 1, element length 0 */
    static const char array_probe[24] = {0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0};
    pgcdc_buf out = PGCDC_BUF_INIT;
    bool ok = true;
    for (int i = 0; i < ntypes && ok; i++) {
        pgcdc_value v = {'b', 0, ""};
        if (types[i].vclass == PGCDC_VC_ARRAY) {
            v.len = sizeof array_probe;
            v.data = array_probe;
        }
        pgcdc_buf_reset(&out);
        pgcdc_error e;
        if (pgcdc_value_convert(&types[i], &v, &out, NULL, &e) == PGCDC_EUNSUPPORTED) {
            ok = false;
            if (first_bad)
                *first_bad = i;
        }
    }
    pgcdc_buf_free(&out);
    return ok;
}
