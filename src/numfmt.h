/*
 * Fast decimal formatting for the text files the library writes.
 */
#ifndef FF_NUMFMT_H
#define FF_NUMFMT_H

#include <stddef.h>
#include <stdint.h>

/* Bytes that ff_format_g17 may write, NUL included. */
#define FF_G17_MAX 32

/*
 * Write v as printf("%.17g") does into out, which has room for FF_G17_MAX
 * bytes, NUL-terminate it and return its length. Reading the text back with
 * strtod gives v exactly. Magnitudes from 1e-4 to below 1e15, which cover
 * coordinates and rotation entries, are converted with exact 128-bit integer
 * arithmetic, several times faster than snprintf. Other values go through
 * snprintf.
 */
size_t ff_format_g17(char *out, double v);

/* Write n in decimal into out, which has room for 12 bytes, NUL-terminate
 * it and return its length. */
size_t ff_format_int32(char *out, int32_t n);

#endif
