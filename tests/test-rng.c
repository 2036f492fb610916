#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "frameflow/rng.h"
#include "frameflow/so3.h"
#include "rng_batch.h"
#include "testutil.h"

/*
 * Moment checks allow 5 standard errors: a correct generator fails one with
 * probability about 6e-7, and the seeds are fixed, so a pass repeats.
 */
#define Z_BOUND 5.0

/* Draw the first block of a generator positioned at the given counter. */
static void
philox_block(uint32_t out[4], const uint32_t counter[4], uint64_t seed)
{
    ff_rng rng;

    // ff_rng_init puts (item, step, stream) in counter words 1 to 3 and
    // starts word 0 at 0; word 0 is the public block position, so setting
    // it reaches any counter.
    ff_rng_init(&rng, seed, counter[3], counter[2], counter[1]);
    rng.counter[0] = counter[0];
    for (int i = 0; i < 4; i++) {
        out[i] = ff_rng_u32(&rng);
    }
}

START_TEST(philox_known_answers)
{
    // Known-answer vectors of Philox4x32-10 from the Random123 library
    // (kat_vectors): counter words 0 to 3, key words 0 and 1, output.
    static const struct {
        uint32_t counter[4];
        uint32_t key[2];
        uint32_t out[4];
    } cases[] = {
        {{0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u},
         {0x00000000u, 0x00000000u},
         {0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u}},
        {{0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu},
         {0xffffffffu, 0xffffffffu},
         {0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu}},
        {{0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u},
         {0xa4093822u, 0x299f31d0u},
         {0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u}},
    };

    for (int c = 0; c < 3; c++) {
        uint64_t seed = ((uint64_t)cases[c].key[1] << 32) | cases[c].key[0];
        uint32_t out[4];
        philox_block(out, cases[c].counter, seed);
        for (int i = 0; i < 4; i++) {
            ck_assert_msg(out[i] == cases[c].out[i],
                          "vector %d word %d: got %08x, expected %08x", c, i,
                          out[i], cases[c].out[i]);
        }
    }

    // The first vector is also the plain start of seed 0, stream 0.
    ff_rng rng;
    ff_rng_init(&rng, 0, 0, 0, 0);
    ck_assert_uint_eq(ff_rng_u32(&rng), 0x6627e8d5u);
}
END_TEST

START_TEST(same_key_same_stream)
{
    ff_rng a;
    ff_rng b;

    ff_rng_init(&a, 42, FF_RNG_STREAM_NOISE, 7, 3);
    ff_rng_init(&b, 42, FF_RNG_STREAM_NOISE, 7, 3);
    for (int i = 0; i < 1000; i++) {
        ck_assert_uint_eq(ff_rng_u32(&a), ff_rng_u32(&b));
    }
}
END_TEST

START_TEST(each_key_part_changes_stream)
{
    // Changing the seed (either half), stream, step or item must change
    // the sequence; the chance that 4 words agree by accident is 2^-128.
    ff_rng base;
    ff_rng_init(&base, 42, 5, 7, 3);
    uint32_t first[4];
    for (int i = 0; i < 4; i++) {
        first[i] = ff_rng_u32(&base);
    }

    ff_rng other[6];
    ff_rng_init(&other[0], 43, 5, 7, 3);
    ff_rng_init(&other[1], 42 + (1ull << 32), 5, 7, 3);
    ff_rng_init(&other[2], 42, 6, 7, 3);
    ff_rng_init(&other[3], 42, 5, 8, 3);
    ff_rng_init(&other[4], 42, 5, 7, 4);
    ff_rng_init(&other[5], 42, 3, 7, 5);
    for (int k = 0; k < 6; k++) {
        uint32_t words[4];
        for (int i = 0; i < 4; i++) {
            words[i] = ff_rng_u32(&other[k]);
        }
        ck_assert_msg(memcmp(words, first, sizeof words) != 0,
                      "generator %d repeats the base sequence", k);
    }

    // Consecutive blocks of one generator differ too.
    uint32_t next[4];
    for (int i = 0; i < 4; i++) {
        next[i] = ff_rng_u32(&base);
    }
    ck_assert(memcmp(next, first, sizeof next) != 0);
}
END_TEST

START_TEST(uniform_extreme_bits)
{
    // All-one and all-zero words are the extremes of the conversion; the
    // top one used to round up to exactly 1. Filling the public block
    // buffer feeds them in directly.
    ff_rng rng;
    ff_rng_init(&rng, 1, FF_RNG_STREAM_USER, 0, 0);
    for (int i = 0; i < 4; i++) {
        rng.block[i] = 0xffffffffu;
    }
    rng.used = 0;
    double top = ff_rng_uniform(&rng);
    ck_assert_double_lt(top, 1.0);
    ck_assert_double_eq(top, 1.0 - ldexp(1.0, -53));

    for (int i = 0; i < 4; i++) {
        rng.block[i] = 0;
    }
    rng.used = 0;
    double bottom = ff_rng_uniform(&rng);
    ck_assert_double_gt(bottom, 0.0);
    ck_assert_double_eq(bottom, ldexp(1.0, -53));

    // Normal deviates stay finite at both extremes.
    rng.used = 0;
    ck_assert(isfinite(ff_rng_normal(&rng)));
}
END_TEST

START_TEST(uniform_moments_open_interval)
{
    const int n = 1000000;
    ff_rng rng;
    ff_rng_init(&rng, 2, FF_RNG_STREAM_USER, 0, 0);
    double sum = 0.0;
    double sum_sq = 0.0;
    int outside = 0;

    // Count failures inside the loop: an assert per draw would cost more
    // than the draws.
    for (int i = 0; i < n; i++) {
        double u = ff_rng_uniform(&rng);
        outside += !(u > 0.0 && u < 1.0);
        sum += u - 0.5;
        sum_sq += (u - 0.5) * (u - 0.5);
    }
    // U(0, 1): mean 1/2 with standard error sqrt(1/12 / n); E (u - 1/2)^2 =
    // 1/12, and (u - 1/2)^2 has variance 1/80 - 1/144 = 1/180.
    ck_assert_int_eq(outside, 0);
    double mean = sum / n;
    double var = sum_sq / n;
    ck_assert_double_eq_tol(mean, 0.0, Z_BOUND * sqrt(1.0 / 12.0 / n));
    ck_assert_double_eq_tol(var, 1.0 / 12.0, Z_BOUND * sqrt(1.0 / 180.0 / n));
}
END_TEST

START_TEST(normal_moments)
{
    const int n = 1000000;
    ff_rng rng;
    ff_rng_init(&rng, 3, FF_RNG_STREAM_USER, 0, 0);
    double sum = 0.0;
    double sum_sq = 0.0;
    double sum_4 = 0.0;
    int beyond = 0;
    int infinite = 0;

    for (int i = 0; i < n; i++) {
        double x = ff_rng_normal(&rng);
        infinite += !isfinite(x);
        sum += x;
        sum_sq += x * x;
        sum_4 += x * x * x * x;
        beyond += fabs(x) > 1.959963984540054;
    }
    ck_assert_int_eq(infinite, 0);
    // N(0, 1): x has variance 1, x^2 variance 2, x^4 mean 3 and variance
    // 105 - 9 = 96; |x| > 1.96 with probability 0.05, a binomial share.
    ck_assert_double_eq_tol(sum / n, 0.0, Z_BOUND * sqrt(1.0 / n));
    ck_assert_double_eq_tol(sum_sq / n, 1.0, Z_BOUND * sqrt(2.0 / n));
    ck_assert_double_eq_tol(sum_4 / n, 3.0, Z_BOUND * sqrt(96.0 / n));
    ck_assert_double_eq_tol((double)beyond / n, 0.05,
                            Z_BOUND * sqrt(0.05 * 0.95 / n));
}
END_TEST

/* Check that n draws of ff_rng_below(bound) fall in [0, bound) and that each
 * of the bins equal parts of the range gets its share. */
static void
check_below(uint32_t bound, int bins, int n, uint64_t seed)
{
    ff_rng rng;
    ff_rng_init(&rng, seed, FF_RNG_STREAM_USER, 0, 0);
    int counts[16] = {0};
    uint64_t width = ((uint64_t)bound + (uint64_t)bins - 1) / (uint64_t)bins;

    ck_assert_int_le(bins, 16);
    int outside = 0;
    for (int i = 0; i < n; i++) {
        uint32_t v = ff_rng_below(&rng, bound);
        if (v >= bound) {
            outside++;
            continue;
        }
        counts[v / width]++;
    }
    ck_assert_int_eq(outside, 0);
    // Each bin is a binomial count with p = 1/bins.
    double p = 1.0 / bins;
    double se = sqrt(p * (1.0 - p) / n);
    for (int b = 0; b < bins; b++) {
        ck_assert_msg(fabs((double)counts[b] / n - p) <= Z_BOUND * se,
                      "bound %u, bin %d: share %g, expected %g (+- %g)",
                      bound, b, (double)counts[b] / n, p, Z_BOUND * se);
    }
}

START_TEST(below_in_range_unbiased)
{
    // Small bounds: every value is its own bin.
    check_below(1, 1, 1000, 4);
    check_below(3, 3, 300000, 5);
    check_below(10, 10, 300000, 6);
    // 3 * 2^30 does not divide 2^32, and x mod n without rejection would
    // put half of the draws in the lowest third of the range.
    check_below(3u << 30, 3, 300000, 7);
    check_below(UINT32_MAX, 4, 300000, 8);
}
END_TEST

static int
compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;
    return (x > y) - (x < y);
}

START_TEST(rotation_uniform_haar)
{
    const int n = 100000;
    double *angles = malloc(n * sizeof *angles);
    ck_assert_ptr_nonnull(angles);
    double mean[9] = {0};
    double worst_orthonormal = 0.0;
    double worst_det = 0.0;
    ff_rng rng;
    ff_rng_init(&rng, 9, FF_RNG_STREAM_USER, 0, 0);

    for (int i = 0; i < n; i++) {
        double R[9];
        double w[3];
        ff_rng_rotation_uniform(R, &rng);
        worst_orthonormal = fmax(worst_orthonormal,
                                 ff_so3_orthonormality_error(R));
        worst_det = fmax(worst_det, fabs(ff_so3_det(R) - 1.0));
        ff_so3_log(w, R);
        angles[i] = sqrt(w[0] * w[0] + w[1] * w[1] + w[2] * w[2]);
        for (int k = 0; k < 9; k++) {
            mean[k] += R[k] / n;
        }
    }

    // Kolmogorov-Smirnov distance to the Haar angle law, density
    // (1 - cos t) / pi and CDF (t - sin t) / pi on [0, pi]. At level 1e-3
    // the critical value for large n is 1.95 / sqrt(n).
    qsort(angles, n, sizeof *angles, compare_doubles);
    double d = 0.0;
    for (int i = 0; i < n; i++) {
        double cdf = (angles[i] - sin(angles[i])) / M_PI;
        double above = (double)(i + 1) / n - cdf;
        double below = cdf - (double)i / n;
        d = fmax(d, fmax(above, below));
    }
    free(angles);
    ck_assert_double_lt(d, 1.95 / sqrt(n));

    // Entries are products of a normalised quaternion: a few roundings.
    ck_assert_double_lt(worst_orthonormal, 1e-12);
    ck_assert_double_lt(worst_det, 1e-12);

    // Under the Haar measure E R = 0, and each entry, a coordinate of a
    // uniform unit vector, has variance 1/3.
    for (int k = 0; k < 9; k++) {
        ck_assert_double_eq_tol(mean[k], 0.0, Z_BOUND * sqrt(1.0 / 3.0 / n));
    }
}
END_TEST

START_TEST(rotation_tangent_gaussian)
{
    const int n = 100000;
    const double sigma = 0.1;
    ff_rng rng;
    ff_rng_init(&rng, 10, FF_RNG_STREAM_USER, 0, 0);
    double R0[9];
    ff_rng_rotation_uniform(R0, &rng);
    double R0t[9];
    ff_so3_inverse(R0t, R0);
    double sum[3] = {0};
    double cov[9] = {0};

    for (int i = 0; i < n; i++) {
        double R[9];
        double D[9];
        double d[3];
        ff_rng_rotation_tangent_gaussian(R, R0, sigma, &rng);
        ff_so3_compose(D, R0t, R);
        ff_so3_log(d, D);
        for (int a = 0; a < 3; a++) {
            sum[a] += d[a];
            for (int b = 0; b < 3; b++) {
                cov[3 * a + b] += d[a] * d[b];
            }
        }
    }

    // d ~ N(0, sigma^2 I): each mean has standard error sigma / sqrt(n);
    // d_a^2 has variance 2 sigma^4 and d_a d_b (a != b) sigma^4.
    double s2 = sigma * sigma;
    for (int a = 0; a < 3; a++) {
        ck_assert_double_eq_tol(sum[a] / n, 0.0, Z_BOUND * sigma / sqrt(n));
        for (int b = 0; b < 3; b++) {
            double want = a == b ? s2 : 0.0;
            double se = a == b ? sqrt(2.0 / n) * s2 : s2 / sqrt(n);
            ck_assert_double_eq_tol(cov[3 * a + b] / n, want, Z_BOUND * se);
        }
    }

    // R may be the same array as R0; the draw is then R0 Exp(sigma e).
    double R[9];
    double alias[9];
    ff_rng a;
    ff_rng b;
    ff_rng_init(&a, 11, FF_RNG_STREAM_USER, 0, 0);
    b = a;
    ff_rng_rotation_tangent_gaussian(R, R0, sigma, &a);
    memcpy(alias, R0, sizeof alias);
    ff_rng_rotation_tangent_gaussian(alias, alias, sigma, &b);
    ck_assert_mem_eq(alias, R, sizeof alias);
}
END_TEST

/* Fill item i of out from its own generator (seed, stream, step, i): a
 * word, a normal deviate and a rotation entry. */
static void
fill_item(double *out, int i)
{
    ff_rng rng;
    double R[9];

    ff_rng_init(&rng, 1234, FF_RNG_STREAM_USER, 17, (uint32_t)i);
    out[3 * i] = ff_rng_u32(&rng);
    out[3 * i + 1] = ff_rng_normal(&rng);
    ff_rng_rotation_uniform(R, &rng);
    out[3 * i + 2] = R[i % 9];
}

/* Fill n items with the given number of threads and return the team size
 * that ran the loop (1 without OpenMP). */
static int
fill_items(double *out, int n, int threads)
{
    int team = 1;

#ifdef _OPENMP
    omp_set_num_threads(threads);
#pragma omp parallel
    {
#pragma omp single
        team = omp_get_num_threads();
        // Dynamic chunks hand items to whichever thread is free, so the
        // order of generation differs from run to run.
#pragma omp for schedule(dynamic, 7)
        for (int i = 0; i < n; i++) {
            fill_item(out, i);
        }
    }
#else
    (void)threads;
    for (int i = 0; i < n; i++) {
        fill_item(out, i);
    }
#endif
    return team;
}

START_TEST(streams_independent_of_threads)
{
    const int n = 20000;
    double *serial = malloc(3 * n * sizeof *serial);
    double *parallel = malloc(3 * n * sizeof *parallel);
    ck_assert_ptr_nonnull(serial);
    ck_assert_ptr_nonnull(parallel);

    ck_assert_int_eq(fill_items(serial, n, 1), 1);
#ifdef _OPENMP
    ck_assert_int_eq(fill_items(parallel, n, 2), 2);
#else
    // Without OpenMP both fills run serially, and the check below only
    // shows that a fill repeats.
    fill_items(parallel, n, 2);
#endif
    ck_assert_mem_eq(serial, parallel, 3 * n * sizeof *serial);

    // Item 5 drawn on its own matches its slot in the parallel fill.
    ff_rng rng;
    ff_rng_init(&rng, 1234, FF_RNG_STREAM_USER, 17, 5);
    ck_assert_double_eq(parallel[15], (double)ff_rng_u32(&rng));
    free(serial);
    free(parallel);
}
END_TEST

/*
 * The batch functions must give each item exactly the numbers of its own
 * generator: counts that leave a partial group of eight, item numbers
 * that wrap past 2^32, and bounds whose rejection rate is near one half.
 */
START_TEST(batch_matches_single_generators)
{
    enum { MAX_COUNT = 29, UNIFORMS = 9 };
    const uint32_t firsts[] = {0, 5, 1000, 0xfffffffcu};
    const int counts[] = {1, 7, 8, 16, 29};
    const uint32_t bounds[] = {1, 3, 500, 0x80000001u, 0xffffffffu};
    double got[UNIFORMS * MAX_COUNT];
    uint32_t below[MAX_COUNT];

    for (size_t f = 0; f < sizeof firsts / sizeof firsts[0]; f++) {
        for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
            uint64_t seed = 0x9e3779b97f4a7c15ull * (f + 1) + c;
            uint32_t step = (uint32_t)(17 * c + f);
            int count = counts[c];
            ff_rng_batch_uniforms(got, MAX_COUNT, UNIFORMS, seed,
                                  FF_RNG_STREAM_NOISE, step, firsts[f],
                                  count);
            for (int i = 0; i < count; i++) {
                ff_rng rng;
                ff_rng_init(&rng, seed, FF_RNG_STREAM_NOISE, step,
                            firsts[f] + (uint32_t)i);
                for (int j = 0; j < UNIFORMS; j++) {
                    double want = ff_rng_uniform(&rng);
                    ck_assert_msg(memcmp(&want, &got[j * MAX_COUNT + i],
                                         sizeof want) == 0,
                                  "uniform %d of item %u differs", j,
                                  firsts[f] + (uint32_t)i);
                }
            }
            for (size_t b = 0; b < sizeof bounds / sizeof bounds[0]; b++) {
                ff_rng_batch_below(below, bounds[b], seed,
                                   FF_RNG_STREAM_BATCH, step, firsts[f],
                                   count);
                for (int i = 0; i < count; i++) {
                    ff_rng rng;
                    ff_rng_init(&rng, seed, FF_RNG_STREAM_BATCH, step,
                                firsts[f] + (uint32_t)i);
                    ck_assert_uint_eq(below[i], ff_rng_below(&rng, bounds[b]));
                }
            }
        }
    }
}
END_TEST

static Suite *
rng_suite(void)
{
    Suite *s = suite_create("rng");

    TEST_ADD(s, philox_known_answers);
    TEST_ADD(s, same_key_same_stream);
    TEST_ADD(s, each_key_part_changes_stream);
    TEST_ADD(s, uniform_extreme_bits);
    TEST_ADD(s, uniform_moments_open_interval);
    TEST_ADD(s, normal_moments);
    TEST_ADD(s, below_in_range_unbiased);
    TEST_ADD(s, rotation_uniform_haar);
    TEST_ADD(s, rotation_tangent_gaussian);
    TEST_ADD(s, streams_independent_of_threads);
    TEST_ADD(s, batch_matches_single_generators);
    return s;
}

int
main(void)
{
    return test_run_suite(rng_suite()) == 0 ? 0 : 1;
}
