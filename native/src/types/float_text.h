/* float_text.h - a float4/float8 value -> the text PostgreSQL's float4out /
 * float8out print with extra_float_digits > 0 (the default since 12): the
 * shortest digits that read back as the value, as PostgreSQL's Ryu picks
 * them. Shared by the binary decoders (types/binary.c) and the ChangeBatch
 * typed values (encode/). Private to libpgcdc. */
#ifndef PGCDC_FLOAT_TEXT_H
#define PGCDC_FLOAT_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* Room for any such text and its NUL ("-2.2250738585072014e-308" is 24). */
#define PGCDC_FLOAT_TEXT_MAX 32

/* Writes the text of v (is_float4: v holds a float value, printed as float4out
 * does) and a NUL into dst; returns the length without the NUL. The same
 * bytes whatever the process locale (integer arithmetic only, no libm). */
size_t pgcdc_format_float(double v, bool is_float4, char dst[PGCDC_FLOAT_TEXT_MAX]);

#endif
