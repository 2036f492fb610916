/*
 * The first numbers of many items' sequences at once. Each function writes
 * exactly what ff_rng_init followed by the named calls gives, item by item,
 * and computes eight items at a time with AVX-512.
 */
#ifndef FRAMEFLOW_RNG_BATCH_H
#define FRAMEFLOW_RNG_BATCH_H

#include <stddef.h>
#include <stdint.h>

/*
 * For items first .. first + count - 1 of (seed, stream, step), write the
 * first uniforms values of ff_rng_uniform, value j of item first + i to
 * out[j * ld + i]. uniforms is at most 32.
 */
void ff_rng_batch_uniforms(double *out, size_t ld, int uniforms,
                           uint64_t seed, uint32_t stream, uint32_t step,
                           uint32_t first, int count);

/* For the same items, write the first ff_rng_below(n) of item first + i to
 * out[i]. n must be positive. */
void ff_rng_batch_below(uint32_t *out, uint32_t n, uint64_t seed,
                        uint32_t stream, uint32_t step, uint32_t first,
                        int count);

#endif
