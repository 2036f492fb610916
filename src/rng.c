#include "frameflow/rng.h"

#include <assert.h>
#include <math.h>

#include "frameflow/so3.h"

#include "mathfn.h"
#include "rng_batch.h"

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

/* Philox4x32 multipliers and Weyl key increments (Salmon et al., 2011). */
#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u
#define PHILOX_ROUNDS 10

static void
philox_block(uint32_t out[4], const uint32_t counter[4], const uint32_t key[2])
{
    uint32_t c0 = counter[0];
    uint32_t c1 = counter[1];
    uint32_t c2 = counter[2];
    uint32_t c3 = counter[3];
    uint32_t k0 = key[0];
    uint32_t k1 = key[1];

    for (int round = 0; round < PHILOX_ROUNDS; round++) {
        uint64_t p0 = (uint64_t)PHILOX_M0 * c0;
        uint64_t p1 = (uint64_t)PHILOX_M1 * c2;
        uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0;
        uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;

        c1 = (uint32_t)p1;
        c3 = (uint32_t)p0;
        c0 = n0;
        c2 = n2;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    out[0] = c0;
    out[1] = c1;
    out[2] = c2;
    out[3] = c3;
}

void
ff_rng_init(ff_rng *rng, uint64_t seed, uint32_t stream, uint32_t step,
            uint32_t item)
{
    rng->key[0] = (uint32_t)seed;
    rng->key[1] = (uint32_t)(seed >> 32);
    rng->counter[0] = 0;
    rng->counter[1] = item;
    rng->counter[2] = step;
    rng->counter[3] = stream;
    rng->used = 4;
    rng->has_spare = 0;
    rng->spare = 0.0;
}

uint32_t
ff_rng_u32(ff_rng *rng)
{
    if (rng->used == 4) {
        philox_block(rng->block, rng->counter, rng->key);
        rng->counter[0]++;
        rng->used = 0;
    }
    return rng->block[rng->used++];
}

/*
 * The uniform of ff_rng_uniform from its two words. k is uniform on
 * [0, 2^52). Every (k + 0.5) / 2^52 is exact in double, so the results lie
 * in [2^-53, 1 - 2^-53], symmetric about 1/2. With 53 bits the top value
 * k + 0.5 = 2^53 - 0.5 would round up to 1.
 */
static double
uniform_from_words(uint32_t hi_word, uint32_t lo_word)
{
    uint64_t k = ((uint64_t)(hi_word >> 6) << 26) | (lo_word >> 6);

    return ((double)k + 0.5) * (1.0 / 4503599627370496.0);
}

double
ff_rng_uniform(ff_rng *rng)
{
    uint32_t hi = ff_rng_u32(rng);
    uint32_t lo = ff_rng_u32(rng);

    return uniform_from_words(hi, lo);
}

double
ff_rng_normal(ff_rng *rng)
{
    if (rng->has_spare) {
        rng->has_spare = 0;
        return rng->spare;
    }

    double u1 = ff_rng_uniform(rng);
    double u2 = ff_rng_uniform(rng);
    double first = 0.0;

    ff_mathfn_box_muller(&first, &rng->spare, u1, u2);
    rng->has_spare = 1;
    return first;
}

uint32_t
ff_rng_below(ff_rng *rng, uint32_t n)
{
    // Reject the lowest 2^32 mod n values so every residue is equally
    // likely.
    assert(n > 0);
    uint32_t threshold = (uint32_t)(-n) % n;

    for (;;) {
        uint32_t x = ff_rng_u32(rng);
        if (x >= threshold) {
            return x % n;
        }
    }
}

void
ff_rng_rotation_uniform(double R[9], ff_rng *rng)
{
    // A standard normal 4-vector points uniformly over the 3-sphere, and a
    // uniform unit quaternion is a Haar-uniform rotation.
    double q[4];
    double n2;

    do {
        for (int i = 0; i < 4; i++) {
            q[i] = ff_rng_normal(rng);
        }
        n2 = q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3];
    } while (n2 < 1e-20);
    ff_so3_from_quat(R, q);
}

void
ff_rng_rotation_tangent_gaussian(double R[9], const double R0[9],
                                 double sigma, ff_rng *rng)
{
    double e[3];
    double E[9];

    for (int i = 0; i < 3; i++) {
        e[i] = sigma * ff_rng_normal(rng);
    }
    ff_so3_exp(E, e);
    ff_so3_compose(R, R0, E);
}

#if defined(__AVX512F__)
/*
 * Philox4x32-10 for 8 items at once: each 64-bit lane contains a 32-bit
 * word in its low half. The counter words are block, item (per lane), step
 * and stream, and the key is the seed's, as ff_rng_init sets them.
 */
static void
philox_block8(__m512i out[4], uint32_t block, __m512i item, uint32_t step,
              uint32_t stream, uint64_t seed)
{
    const __m512i low = _mm512_set1_epi64(0xffffffff);
    const __m512i m0 = _mm512_set1_epi64(PHILOX_M0);
    const __m512i m1 = _mm512_set1_epi64(PHILOX_M1);
    __m512i c0 = _mm512_set1_epi64(block);
    __m512i c1 = item;
    __m512i c2 = _mm512_set1_epi64(step);
    __m512i c3 = _mm512_set1_epi64(stream);
    uint32_t k0 = (uint32_t)seed;
    uint32_t k1 = (uint32_t)(seed >> 32);

    for (int round = 0; round < PHILOX_ROUNDS; round++) {
        __m512i p0 = _mm512_mul_epu32(m0, c0);
        __m512i p1 = _mm512_mul_epu32(m1, c2);
        __m512i n0 = _mm512_xor_si512(
            _mm512_xor_si512(_mm512_srli_epi64(p1, 32), c1),
            _mm512_set1_epi64(k0));
        __m512i n2 = _mm512_xor_si512(
            _mm512_xor_si512(_mm512_srli_epi64(p0, 32), c3),
            _mm512_set1_epi64(k1));
        c1 = _mm512_and_si512(p1, low);
        c3 = _mm512_and_si512(p0, low);
        c0 = n0;
        c2 = n2;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    out[0] = c0;
    out[1] = c1;
    out[2] = c2;
    out[3] = c3;
}

/* Item numbers first .. first + 7 in the lanes, wrapping at 2^32 as the
 * scalar counter word does. */
static __m512i
item_lanes(uint32_t first)
{
    return _mm512_and_si512(
        _mm512_add_epi64(_mm512_set1_epi64(first),
                         _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0)),
        _mm512_set1_epi64(0xffffffff));
}

/* The uniforms of words hi and lo (low halves of the lanes), with the
 * exact operations of uniform_from_words: k < 2^52 converts exactly by
 * filling the significand of 2^52. */
static __m512d
uniform_from_words8(__m512i hi_word, __m512i lo_word)
{
    const __m512i two52_bits = _mm512_set1_epi64(0x4330000000000000);
    __m512i k = _mm512_or_si512(
        _mm512_slli_epi64(_mm512_srli_epi64(hi_word, 6), 26),
        _mm512_srli_epi64(lo_word, 6));
    __m512d kd = _mm512_sub_pd(
        _mm512_castsi512_pd(_mm512_or_si512(k, two52_bits)),
        _mm512_set1_pd(4503599627370496.0));

    return _mm512_mul_pd(_mm512_add_pd(kd, _mm512_set1_pd(0.5)),
                         _mm512_set1_pd(1.0 / 4503599627370496.0));
}
#endif

void
ff_rng_batch_uniforms(double *out, size_t ld, int uniforms, uint64_t seed,
                      uint32_t stream, uint32_t step, uint32_t first,
                      int count)
{
    int i = 0;

    assert(uniforms <= 32);
#if defined(__AVX512F__)
    for (; i + 8 <= count; i += 8) {
        __m512i item = item_lanes(first + (uint32_t)i);
        __m512i words[4];
        for (int j = 0; j < uniforms; j++) {
            // Uniform j takes words 2j and 2j + 1: half a block.
            if (j % 2 == 0) {
                philox_block8(words, (uint32_t)(j / 2), item, step, stream,
                              seed);
            }
            int w = 2 * (j % 2);
            _mm512_storeu_pd(out + (size_t)j * ld + (size_t)i,
                             uniform_from_words8(words[w], words[w + 1]));
        }
    }
#endif
    for (; i < count; i++) {
        ff_rng rng;
        ff_rng_init(&rng, seed, stream, step, first + (uint32_t)i);
        for (int j = 0; j < uniforms; j++) {
            out[(size_t)j * ld + (size_t)i] = ff_rng_uniform(&rng);
        }
    }
}

void
ff_rng_batch_below(uint32_t *out, uint32_t n, uint64_t seed,
                   uint32_t stream, uint32_t step, uint32_t first, int count)
{
    int i = 0;

    assert(n > 0);
#if defined(__AVX512F__)
    // The first word is kept unless ff_rng_below would reject it.
    uint32_t threshold = (uint32_t)(-n) % n;
    for (; i + 8 <= count; i += 8) {
        __m512i item = item_lanes(first + (uint32_t)i);
        __m512i words[4];
        uint64_t x[8];
        philox_block8(words, 0, item, step, stream, seed);
        _mm512_storeu_si512(x, words[0]);
        for (int j = 0; j < 8; j++) {
            if ((uint32_t)x[j] >= threshold) {
                out[i + j] = (uint32_t)x[j] % n;
            } else {
                // Rejected: the generator goes on past the first word.
                ff_rng rng;
                ff_rng_init(&rng, seed, stream, step,
                            first + (uint32_t)(i + j));
                out[i + j] = ff_rng_below(&rng, n);
            }
        }
    }
#endif
    for (; i < count; i++) {
        ff_rng rng;
        ff_rng_init(&rng, seed, stream, step, first + (uint32_t)i);
        out[i] = ff_rng_below(&rng, n);
    }
}
