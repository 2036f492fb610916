#include "frameflow/rng.h"

#include <assert.h>
#include <math.h>

#include "frameflow/so3.h"

#include "mathfn.h"

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

double
ff_rng_uniform(ff_rng *rng)
{
    uint64_t hi = ff_rng_u32(rng) >> 6;
    uint64_t lo = ff_rng_u32(rng) >> 6;
    uint64_t k = (hi << 26) | lo;

    // k is uniform on [0, 2^52). Every (k + 0.5) / 2^52 is exact in double,
    // so the results lie in [2^-53, 1 - 2^-53], symmetric about 1/2. With 53
    // bits the top value k + 0.5 = 2^53 - 0.5 would round up to 1.
    return ((double)k + 0.5) * (1.0 / 4503599627370496.0);
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
