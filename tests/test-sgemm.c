#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "frameflow/rng.h"
#include "sgemm.h"
#include "testutil.h"

/* Padding columns beyond each matrix's width, filled with a sentinel that
 * no product may change. */
#define PAD 3
#define SENTINEL 12345.0f

typedef struct matrix {
    float *v;
    int rows;
    int cols;
    int ld;
} matrix;

static matrix
matrix_random(ff_rng *rng, int rows, int cols)
{
    matrix a = {NULL, rows, cols, cols + PAD};

    a.v = malloc(sizeof(float) * (size_t)(rows > 0 ? rows : 1) * a.ld);
    ck_assert_ptr_nonnull(a.v);
    for (int i = 0; i < rows; i++) {
        for (int j = 0; j < a.ld; j++) {
            a.v[i * a.ld + j] = j < cols
                                ? (float)(2.0 * ff_rng_uniform(rng) - 1.0)
                                : SENTINEL;
        }
    }
    return a;
}

static float
at(const matrix *a, int i, int j)
{
    return a->v[i * a->ld + j];
}

/*
 * A float chain of k fused multiply-adds differs from the exact sum by at
 * most about k u sum |a b| with u = 2^-24 (one rounding per step); the
 * bound below doubles that and adds one rounding of the bias.
 */
static double
chain_tolerance(int k, double abs_sum)
{
    return 2.0 * (k + 2) * ldexp(1.0, -24) * abs_sum + 1e-30;
}

static void
check_padding(const matrix *c)
{
    for (int i = 0; i < c->rows; i++) {
        for (int j = c->cols; j < c->ld; j++) {
            ck_assert_msg(c->v[i * c->ld + j] == SENTINEL,
                          "padding column %d of row %d was written", j, i);
        }
    }
}

static const int sizes_m[] = {1, 5, 12, 13, 37, 100};
static const int sizes_n[] = {1, 6, 31, 32, 33, 70};
static const int sizes_k[] = {1, 12, 255, 256, 257, 600};

START_TEST(sgemm_nt_matches_double)
{
    ff_rng rng;
    ff_sgemm_scratch s;

    ff_rng_init(&rng, 11, FF_RNG_STREAM_USER, 0, 0);
    ck_assert_int_eq(ff_sgemm_scratch_init(&s, 70, 600), 0);
    for (int a = 0; a < 6; a++) {
        for (int b = 0; b < 6; b++) {
            int m = sizes_m[a];
            int n = sizes_n[b];
            int k = sizes_k[(a + b) % 6];
            matrix X = matrix_random(&rng, m, k);
            matrix W = matrix_random(&rng, n, k);
            matrix Y = matrix_random(&rng, m, n);
            matrix bias = matrix_random(&rng, 1, n);
            int relu = (a + b) % 2;

            ff_sgemm_nt(Y.v, Y.ld, X.v, X.ld, W.v, W.ld, bias.v, relu, m, n,
                        k, &s);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double sum = at(&bias, 0, j);
                    double abs_sum = fabs(sum);
                    for (int p = 0; p < k; p++) {
                        sum += (double)at(&X, i, p) * at(&W, j, p);
                        abs_sum += fabs((double)at(&X, i, p) * at(&W, j, p));
                    }
                    if (relu && sum < 0.0) {
                        sum = 0.0;
                    }
                    ck_assert_double_eq_tol(at(&Y, i, j), sum,
                                            chain_tolerance(k, abs_sum));
                }
            }
            check_padding(&Y);
            free(X.v);
            free(W.v);
            free(Y.v);
            free(bias.v);
        }
    }
    ff_sgemm_scratch_free(&s);
}
END_TEST

START_TEST(sgemm_nn_matches_double)
{
    ff_rng rng;
    ff_sgemm_scratch s;

    ff_rng_init(&rng, 12, FF_RNG_STREAM_USER, 0, 0);
    ck_assert_int_eq(ff_sgemm_scratch_init(&s, 70, 600), 0);
    for (int a = 0; a < 6; a++) {
        for (int b = 0; b < 6; b++) {
            int m = sizes_m[a];
            int n = sizes_k[b];          // inner dimension
            int k = sizes_n[(a + b) % 6];  // output columns
            matrix dY = matrix_random(&rng, m, n);
            matrix W = matrix_random(&rng, n, k);
            matrix dX = matrix_random(&rng, m, k);
            matrix gate = matrix_random(&rng, m, k);
            int gated = (a + b) % 2;

            ff_sgemm_nn(dX.v, dX.ld, dY.v, dY.ld, W.v, W.ld,
                        gated ? gate.v : NULL, gate.ld, m, n, k, &s);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < k; j++) {
                    double sum = 0.0;
                    double abs_sum = 0.0;
                    for (int p = 0; p < n; p++) {
                        sum += (double)at(&dY, i, p) * at(&W, p, j);
                        abs_sum += fabs((double)at(&dY, i, p) * at(&W, p, j));
                    }
                    if (gated && !(at(&gate, i, j) > 0.0f)) {
                        sum = 0.0;
                    }
                    ck_assert_double_eq_tol(at(&dX, i, j), sum,
                                            chain_tolerance(n, abs_sum));
                }
            }
            check_padding(&dX);
            free(dY.v);
            free(W.v);
            free(dX.v);
            free(gate.v);
        }
    }
    ff_sgemm_scratch_free(&s);
}
END_TEST

/*
 * The input gradient may be written over its own gate, as the backward
 * pass does: with an inner dimension of one block (256), each element is
 * the gated sum computed from a separate copy of the gate, bit for bit.
 */
START_TEST(sgemm_nn_gate_in_place)
{
    const int sizes[][3] = {{13, 256, 70}, {37, 6, 33}, {12, 255, 32}};
    ff_rng rng;
    ff_sgemm_scratch s;

    ff_rng_init(&rng, 13, FF_RNG_STREAM_USER, 0, 0);
    ck_assert_int_eq(ff_sgemm_scratch_init(&s, 70, 256), 0);
    for (size_t c = 0; c < sizeof sizes / sizeof sizes[0]; c++) {
        int m = sizes[c][0];
        int n = sizes[c][1];
        int k = sizes[c][2];
        matrix dY = matrix_random(&rng, m, n);
        matrix W = matrix_random(&rng, n, k);
        matrix gate = matrix_random(&rng, m, k);
        matrix separate = matrix_random(&rng, m, k);

        ff_sgemm_nn(separate.v, separate.ld, dY.v, dY.ld, W.v, W.ld, gate.v,
                    gate.ld, m, n, k, &s);
        ff_sgemm_nn(gate.v, gate.ld, dY.v, dY.ld, W.v, W.ld, gate.v, gate.ld,
                    m, n, k, &s);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < k; j++) {
                ck_assert_msg(memcmp(&gate.v[i * gate.ld + j],
                                     &separate.v[i * separate.ld + j],
                                     sizeof(float)) == 0,
                              "%dx%dx%d: element (%d, %d) differs", m, n, k,
                              i, j);
            }
        }
        check_padding(&gate);
        free(dY.v);
        free(W.v);
        free(gate.v);
        free(separate.v);
    }
    ff_sgemm_scratch_free(&s);
}
END_TEST

START_TEST(sgemm_tn_accumulates)
{
    ff_rng rng;
    ff_sgemm_scratch s;

    ff_rng_init(&rng, 13, FF_RNG_STREAM_USER, 0, 0);
    ck_assert_int_eq(ff_sgemm_scratch_init(&s, 70, 70), 0);
    for (int a = 0; a < 6; a++) {
        for (int b = 0; b < 6; b++) {
            int m = sizes_k[a];          // batch: the inner dimension
            int n = sizes_n[b];
            int k = sizes_n[(a + b) % 6];
            matrix dY = matrix_random(&rng, m, n);
            matrix X = matrix_random(&rng, m, k);
            matrix dW = matrix_random(&rng, n, k);
            matrix before = dW;

            before.v = malloc(sizeof(float) * (size_t)n * dW.ld);
            memcpy(before.v, dW.v, sizeof(float) * (size_t)n * dW.ld);
            ff_sgemm_tn(dW.v, dW.ld, dY.v, dY.ld, X.v, X.ld, m, n, k, &s);
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < k; j++) {
                    double sum = at(&before, i, j);
                    double abs_sum = fabs(sum);
                    for (int p = 0; p < m; p++) {
                        sum += (double)at(&dY, p, i) * at(&X, p, j);
                        abs_sum += fabs((double)at(&dY, p, i) * at(&X, p, j));
                    }
                    ck_assert_double_eq_tol(at(&dW, i, j), sum,
                                            chain_tolerance(m, abs_sum));
                }
            }
            check_padding(&dW);
            free(dY.v);
            free(X.v);
            free(dW.v);
            free(before.v);
        }
    }
    ff_sgemm_scratch_free(&s);
}
END_TEST

START_TEST(sgemm_zero_inner_dimension)
{
    ff_sgemm_scratch s;
    float y[4] = {5.0f, 5.0f, 5.0f, 5.0f};
    float bias[2] = {1.0f, -2.0f};
    float dw[4] = {3.0f, 3.0f, 3.0f, 3.0f};

    ck_assert_int_eq(ff_sgemm_scratch_init(&s, 2, 1), 0);
    // An empty sum is zero: Y = bias, then ReLU.
    ff_sgemm_nt(y, 2, NULL, 0, NULL, 0, bias, 1, 2, 2, 0, &s);
    ck_assert_float_eq(y[0], 1.0f);
    ck_assert_float_eq(y[1], 0.0f);
    ck_assert_float_eq(y[2], 1.0f);
    ck_assert_float_eq(y[3], 0.0f);
    // An empty batch adds nothing to the weight gradient.
    ff_sgemm_tn(dw, 2, NULL, 0, NULL, 0, 0, 2, 2, &s);
    ck_assert_float_eq(dw[0], 3.0f);
    ck_assert_float_eq(dw[3], 3.0f);
    ff_sgemm_scratch_free(&s);
}
END_TEST

/* Run the three products of a 1000 x 256 x 256 layer and return a copy of
 * their outputs. */
static float *
run_layer_products(int threads)
{
    ff_rng rng;
    ff_sgemm_scratch s;
    int m = 1000;
    int n = 256;
    int k = 256;

#ifdef _OPENMP
    omp_set_num_threads(threads);
#else
    (void)threads;
#endif
    ff_rng_init(&rng, 14, FF_RNG_STREAM_USER, 0, 0);
    matrix X = matrix_random(&rng, m, k);
    matrix W = matrix_random(&rng, n, k);
    matrix bias = matrix_random(&rng, 1, n);
    float *out = malloc(sizeof(float) * ((size_t)m * n + (size_t)m * k
                                         + (size_t)n * k));
    float *Y = out;
    float *dX = Y + (size_t)m * n;
    float *dW = dX + (size_t)m * k;

    ck_assert_int_eq(ff_sgemm_scratch_init(&s, 256, 256), 0);
    ff_sgemm_nt(Y, n, X.v, X.ld, W.v, W.ld, bias.v, 1, m, n, k, &s);
    ff_sgemm_nn(dX, k, Y, n, W.v, W.ld, X.v, X.ld, m, n, k, &s);
    memset(dW, 0, sizeof(float) * (size_t)n * k);
    ff_sgemm_tn(dW, k, Y, n, X.v, X.ld, m, n, k, &s);
    ff_sgemm_scratch_free(&s);
    free(X.v);
    free(W.v);
    free(bias.v);
    return out;
}

START_TEST(sgemm_thread_count_invariant)
{
    size_t count = 1000 * 256 * 2 + 256 * 256;
    float *one = run_layer_products(1);
    float *two = run_layer_products(2);
    float *three = run_layer_products(3);

    ck_assert_int_eq(memcmp(one, two, count * sizeof(float)), 0);
    ck_assert_int_eq(memcmp(one, three, count * sizeof(float)), 0);
    free(one);
    free(two);
    free(three);
}
END_TEST

static Suite *
sgemm_suite(void)
{
    Suite *s = suite_create("sgemm");

    TEST_ADD(s, sgemm_nt_matches_double);
    TEST_ADD(s, sgemm_nn_matches_double);
    TEST_ADD(s, sgemm_nn_gate_in_place);
    TEST_ADD(s, sgemm_tn_accumulates);
    TEST_ADD(s, sgemm_zero_inner_dimension);
    TEST_ADD(s, sgemm_thread_count_invariant);
    return s;
}

int
main(void)
{
    return test_run_suite(sgemm_suite()) == 0 ? 0 : 1;
}
