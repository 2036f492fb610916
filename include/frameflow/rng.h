/*
 * Counter-based random numbers: Philox4x32-10.
 *
 * Every number is a pure function of (seed, stream, step, item, position),
 * so a parallel loop that gives each item its own generator draws the same
 * numbers whatever the thread count or schedule. Callers choose the stream
 * to separate purposes (weights, batches, noise, sampler), the step (a
 * training or sampler step) and the item (a sample in the batch).
 *
 * ff_rng_init maps the seed to the 64-bit key and (item, step, stream) to
 * counter words 1 to 3; counter word 0 counts 128-bit blocks from 0. One
 * (seed, stream, step, item) sequence therefore holds 2^32 blocks (2^34
 * 32-bit words) and then wraps around to its start.
 *
 * An ff_rng is a small value owned by the caller; one generator must not be
 * used by two threads at once, but any number of generators may run in
 * parallel.
 */
#ifndef FRAMEFLOW_RNG_H
#define FRAMEFLOW_RNG_H

#include <stdint.h>

#include <frameflow/common.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ff_rng {
    uint32_t key[2];      /* from the seed */
    uint32_t counter[4];  /* position, item, step, stream */
    uint32_t block[4];    /* the last block of output */
    int used;             /* words of block already returned */
    int has_spare;        /* whether spare holds a normal deviate */
    double spare;
} ff_rng;

/* Streams that frameflow itself uses, so that purposes never overlap. */
enum ff_rng_stream {
    FF_RNG_STREAM_INIT = 1,     /* network weights, Fourier features */
    FF_RNG_STREAM_BATCH = 2,    /* which training frames form a batch */
    FF_RNG_STREAM_NOISE = 3,    /* training times and noise */
    FF_RNG_STREAM_SAMPLER = 4,  /* sampler start and Langevin noise */
    FF_RNG_STREAM_USER = 100    /* first stream free for callers */
};

/* Position a generator at the start of the sequence (seed, stream, step,
 * item). */
FF_API void ff_rng_init(ff_rng *rng, uint64_t seed, uint32_t stream,
                        uint32_t step, uint32_t item);

/* Return the next 32 random bits. */
FF_API uint32_t ff_rng_u32(ff_rng *rng);

/*
 * Return a uniform double in the open interval (0, 1): (k + 0.5) / 2^52 for
 * 52 random bits k, so the values lie in [2^-53, 1 - 2^-53]. Uses two words.
 */
FF_API double ff_rng_uniform(ff_rng *rng);

/*
 * Return a standard normal deviate (Box-Muller on two uniforms; every second
 * call returns the stored partner of the previous pair).
 */
FF_API double ff_rng_normal(ff_rng *rng);

/*
 * Return a uniform integer in [0, n), without modulo bias, by rejecting
 * the lowest 2^32 mod n words. n must be positive (asserted).
 */
FF_API uint32_t ff_rng_below(ff_rng *rng, uint32_t n);

/* Draw a rotation uniformly (Haar measure) from a normalised 4D Gaussian
 * quaternion. */
FF_API void ff_rng_rotation_uniform(double R[9], ff_rng *rng);

/* Draw R = R0 Exp(sigma e) with e ~ N(0, I3); R may alias R0. */
FF_API void ff_rng_rotation_tangent_gaussian(double R[9], const double R0[9],
                                             double sigma, ff_rng *rng);

#ifdef __cplusplus
}
#endif

#endif
