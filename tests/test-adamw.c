#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "adamw.h"
#include "testutil.h"

/*
 * Three AdamW steps on two parameters, against the values the formulas
 * give when worked by hand in double precision. lr 0.1 and weight decay
 * 0.5 make every term visible at float precision.
 *
 * Step 1, p = 1.0, g = 0.5 (lr 0.1, wd 0.5, betas 0.9 / 0.999, eps 1e-8):
 *   decay      p = 1.0 * (1 - 0.05)                 = 0.95
 *   moments    m = 0.05, v = 0.00025
 *   corrected  m / (1 - 0.9) = 0.5, sqrt(v / (1 - 0.999)) = 0.5
 *   update     p = 0.95 - 0.1 * 0.5 / (0.5 + 1e-8)   = 0.85000000
 * and for p = -2.0, g = -1.0:
 *   p = -1.9, m = -0.1, v = 0.001, corrected -1 and 1, p = -1.8.
 */
START_TEST(adamw_three_steps_by_hand)
{
    const double lr = 0.1;
    const double wd = 0.5;
    const double b1 = 0.9;
    const double b2 = 0.999;
    const double eps = 1e-8;
    const double grads[3][2] = {{0.5, -1.0}, {-0.25, 2.0}, {1.0, 0.125}};
    float p[2] = {1.0f, -2.0f};
    float m[2] = {0.0f, 0.0f};
    float v[2] = {0.0f, 0.0f};
    double pe[2] = {1.0, -2.0};
    double me[2] = {0.0, 0.0};
    double ve[2] = {0.0, 0.0};
    ff_adamw opt = {lr, b1, b2, eps, wd};

    for (int k = 1; k <= 3; k++) {
        float g[2] = {(float)grads[k - 1][0], (float)grads[k - 1][1]};
        ff_adamw_step(p, m, v, g, 2, (uint64_t)k, &opt);
        for (int i = 0; i < 2; i++) {
            double gi = grads[k - 1][i];
            pe[i] *= 1.0 - lr * wd;
            me[i] = b1 * me[i] + (1.0 - b1) * gi;
            ve[i] = b2 * ve[i] + (1.0 - b2) * gi * gi;
            double mhat = me[i] / (1.0 - pow(b1, k));
            double vhat = ve[i] / (1.0 - pow(b2, k));
            pe[i] -= lr * mhat / (sqrt(vhat) + eps);

            // Float arithmetic: a few roundings of 2^-24 relative on
            // values of order 1.
            ck_assert_double_eq_tol(p[i], pe[i], 1e-6);
            ck_assert_double_eq_tol(m[i], me[i], 1e-7);
            ck_assert_double_eq_tol(v[i], ve[i], 1e-8);
        }
        if (k == 1) {
            // The values worked out in the comment above.
            ck_assert_double_eq_tol(p[0], 0.85, 1e-6);
            ck_assert_double_eq_tol(p[1], -1.8, 1e-6);
        }
    }
}
END_TEST

START_TEST(adamw_zero_gradient_only_decays)
{
    float p[3] = {2.0f, -4.0f, 0.0f};
    float m[3] = {0.0f, 0.0f, 0.0f};
    float v[3] = {0.0f, 0.0f, 0.0f};
    float g[3] = {0.0f, 0.0f, 0.0f};
    ff_adamw opt = {5e-4, 0.9, 0.999, 1e-8, 0.01};

    ff_adamw_step(p, m, v, g, 3, 1, &opt);
    // m = 0, so the Adam term vanishes and only p (1 - lr wd) remains.
    ck_assert_float_eq(p[0], (float)(2.0f * (float)(1.0 - 5e-6)));
    ck_assert_float_eq(p[1], (float)(-4.0f * (float)(1.0 - 5e-6)));
    ck_assert_float_eq(p[2], 0.0f);
}
END_TEST

START_TEST(adamw_large_block_matches_small)
{
    // The parallel chunks must give what one element at a time gives.
    size_t n = 100003;
    float *p = malloc(n * sizeof(float));
    float *m = calloc(n, sizeof(float));
    float *v = calloc(n, sizeof(float));
    float *g = malloc(n * sizeof(float));
    ff_adamw opt = {5e-4, 0.9, 0.999, 1e-8, 0.01};

    for (size_t i = 0; i < n; i++) {
        p[i] = (float)sin((double)i);
        g[i] = (float)cos(0.5 * (double)i);
    }
    ff_adamw_step(p, m, v, g, n, 1, &opt);
    for (size_t i = 0; i < n; i += 997) {
        float ps = (float)sin((double)i);
        float ms = 0.0f;
        float vs = 0.0f;
        float gs = (float)cos(0.5 * (double)i);
        ff_adamw_step(&ps, &ms, &vs, &gs, 1, 1, &opt);
        ck_assert_float_eq(p[i], ps);
        ck_assert_float_eq(m[i], ms);
        ck_assert_float_eq(v[i], vs);
    }
    free(p);
    free(m);
    free(v);
    free(g);
}
END_TEST

static Suite *
adamw_suite(void)
{
    Suite *s = suite_create("adamw");

    TEST_ADD(s, adamw_three_steps_by_hand);
    TEST_ADD(s, adamw_zero_gradient_only_decays);
    TEST_ADD(s, adamw_large_block_matches_small);
    return s;
}

int
main(void)
{
    return test_run_suite(adamw_suite()) == 0 ? 0 : 1;
}
