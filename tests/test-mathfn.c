#include <check.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "frameflow/rng.h"
#include "mathfn.h"
#include "testutil.h"

/*
 * The references are long double (64-bit significand on x86-64), eleven
 * bits more than the double results under test, and every argument given
 * to them is exact in long double.
 */
#define PI_L 3.141592653589793238462643383279502884L

/* The spacing of doubles at |x|: one unit in the last place. */
static double
ulp_at(double x)
{
    int e = 0;

    frexp(x, &e);
    return ldexp(1.0, e - 53);
}

/* Whether two doubles have the same bits (NaNs included). */
static int
same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

START_TEST(mathfn_log_within_ulps)
{
    ff_rng rng;
    double worst = 0.0;
    double worst_x = 0.0;

    ff_rng_init(&rng, 41, FF_RNG_STREAM_USER, 0, 0);
    for (int i = 0; i < 400000; i++) {
        double x;
        if (i < 200000) {
            // The noise draws' domain: uniforms in (0, 1).
            x = ff_rng_uniform(&rng);
        } else {
            // Every binade of normal doubles.
            x = ldexp(1.0 + ff_rng_uniform(&rng),
                      (int)(ff_rng_below(&rng, 2045)) - 1022);
        }
        long double exact = logl((long double)x);
        double err = (double)fabsl((long double)ff_mathfn_log(x) - exact)
                     / ulp_at((double)exact);
        if (x != 1.0 && err > worst) {
            worst = err;
            worst_x = x;
        }
    }
    // The series is exact to 3e-20. What is left is the rounding of s and
    // of the final sums, up to 1.32 units near sqrt(1/2).
    ck_assert_msg(worst <= 1.5, "log is off by %.3f units at %a", worst,
                  worst_x);

    // Exact cases: powers of two and one.
    ck_assert(ff_mathfn_log(1.0) == 0.0);
    for (int k = -1022; k <= 1023; k++) {
        long double exact = (long double)k * logl(2.0L);
        double err = (double)fabsl((long double)ff_mathfn_log(ldexp(1.0, k))
                                   - exact);
        ck_assert_msg(k == 0 || err <= ulp_at((double)exact),
                      "log(2^%d) is off by %g", k, err);
    }
}
END_TEST

START_TEST(mathfn_sincos_turns_within_bound)
{
    ff_rng rng;
    double worst = 0.0;
    double worst_u = 0.0;

    ff_rng_init(&rng, 42, FF_RNG_STREAM_USER, 0, 0);
    for (int i = 0; i < 400000; i++) {
        // |u| < 4 keeps the reference's own rounding of 2 pi u below
        // 2e-18.
        double u = 8.0 * ff_rng_uniform(&rng) - 4.0;
        long double a = 2.0L * PI_L * (long double)u;
        double s = 0.0;
        double c = 0.0;
        ff_mathfn_sincos_turns(&s, &c, u);
        double err = (double)fmaxl(fabsl((long double)s - sinl(a)),
                                   fabsl((long double)c - cosl(a)));
        if (err > worst) {
            worst = err;
            worst_u = u;
        }
    }
    // Measured: 3.5 times 2^-53 (the rounding of 2 pi in the angle).
    ck_assert_msg(worst <= 5e-16, "sin/cos of %a turns are off by %g",
                  worst_u, worst);

    // Whole turns reduce exactly: u and u + 1000 give the same bits, and
    // quarter turns give exact values with the signs of sin and cos.
    for (int i = 0; i < 1000; i++) {
        double u = ff_rng_uniform(&rng) - 0.5;
        double s0;
        double c0;
        double s1;
        double c1;
        // u + 1000 rounds u to 2^-43, so compare at the rounded argument.
        ff_mathfn_sincos_turns(&s0, &c0, (u + 1000.0) - 1000.0);
        ff_mathfn_sincos_turns(&s1, &c1, u + 1000.0);
        ck_assert(same_bits(s0, s1) && same_bits(c0, c1));
    }
    const double quarter[][3] = {{0.0, 0.0, 1.0}, {0.25, 1.0, 0.0},
                                 {0.5, 0.0, -1.0}, {-0.25, -1.0, 0.0}};
    for (int i = 0; i < 4; i++) {
        double s;
        double c;
        ff_mathfn_sincos_turns(&s, &c, quarter[i][0]);
        ck_assert(s == quarter[i][1] && c == quarter[i][2]);
    }
}
END_TEST

START_TEST(mathfn_box_muller_matches_rng_normal)
{
    // With the same stream, ff_rng_normal returns the transform's two
    // values in order.
    ff_rng a;
    ff_rng b;

    ff_rng_init(&a, 43, FF_RNG_STREAM_USER, 1, 2);
    ff_rng_init(&b, 43, FF_RNG_STREAM_USER, 1, 2);
    for (int i = 0; i < 1000; i++) {
        double u1 = ff_rng_uniform(&b);
        double u2 = ff_rng_uniform(&b);
        double first;
        double second;
        ff_mathfn_box_muller(&first, &second, u1, u2);
        ck_assert(same_bits(ff_rng_normal(&a), first));
        ck_assert(same_bits(ff_rng_normal(&a), second));
    }
}
END_TEST

#if defined(__AVX512F__) && defined(__AVX512VL__)
/*
 * Every lane of the 8-lane forms must have the scalar result's bits: each
 * test value is put in one lane among random others, in every position.
 */
START_TEST(mathfn_lanes_match_scalar)
{
    enum { RANDOM = 20000 };
    const double special_u[] = {0.0, -0.0, 0.25, 0.5, 0.75, -0.25, 0x1p51,
                                0x1p51 + 1.0, -(0x1p51 + 1.5), 0x1p106,
                                1e300, INFINITY, -INFINITY, NAN};
    enum { SPECIAL = sizeof special_u / sizeof special_u[0] };
    ff_rng rng;

    ff_rng_init(&rng, 44, FF_RNG_STREAM_USER, 0, 0);
    for (int i = 0; i < SPECIAL + RANDOM; i++) {
        double u1[8];
        double u2[8];
        for (int j = 0; j < 8; j++) {
            u1[j] = ff_rng_uniform(&rng);
            u2[j] = i < SPECIAL && j == i % 8 ? special_u[i]
                                              : 4.0 * ff_rng_uniform(&rng);
        }
        if (i >= SPECIAL) {
            // Any positive normal double for the logarithm.
            u1[i % 8] = ldexp(1.0 + ff_rng_uniform(&rng),
                              (int)ff_rng_below(&rng, 2045) - 1022);
        }
        double lg[8];
        double s[8];
        double c[8];
        double first[8];
        double second[8];
        __m512d vs;
        __m512d vc;
        __m512d vf;
        __m512d vsec;
        _mm512_storeu_pd(lg, ff_mathfn_log8(_mm512_loadu_pd(u1)));
        ff_mathfn_sincos_turns8(&vs, &vc, _mm512_loadu_pd(u2));
        _mm512_storeu_pd(s, vs);
        _mm512_storeu_pd(c, vc);
        ff_mathfn_box_muller8(&vf, &vsec, _mm512_loadu_pd(u1),
                              _mm512_loadu_pd(u2));
        _mm512_storeu_pd(first, vf);
        _mm512_storeu_pd(second, vsec);
        for (int j = 0; j < 8; j++) {
            double s1;
            double c1;
            double f1;
            double sec1;
            ff_mathfn_sincos_turns(&s1, &c1, u2[j]);
            ff_mathfn_box_muller(&f1, &sec1, u1[j], u2[j]);
            ck_assert_msg(same_bits(lg[j], ff_mathfn_log(u1[j])),
                          "log lane %d differs at %a", j, u1[j]);
            ck_assert_msg(same_bits(s[j], s1) && same_bits(c[j], c1),
                          "sin/cos lane %d differs at %a", j, u2[j]);
            ck_assert_msg(same_bits(first[j], f1)
                              && same_bits(second[j], sec1),
                          "Box-Muller lane %d differs at %a, %a", j, u1[j],
                          u2[j]);
        }
    }
}
END_TEST
#endif

static Suite *
mathfn_suite(void)
{
    Suite *s = suite_create("mathfn");

    TEST_ADD(s, mathfn_log_within_ulps);
    TEST_ADD(s, mathfn_sincos_turns_within_bound);
    TEST_ADD(s, mathfn_box_muller_matches_rng_normal);
#if defined(__AVX512F__) && defined(__AVX512VL__)
    TEST_ADD(s, mathfn_lanes_match_scalar);
#endif
    return s;
}

int
main(void)
{
    return test_run_suite(mathfn_suite()) == 0 ? 0 : 1;
}
