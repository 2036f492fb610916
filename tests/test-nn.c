#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "frameflow/rng.h"
#include "nn.h"
#include "testutil.h"

/*
 * Gradients are checked against central differences of a double-precision
 * copy of each layer. With step h = 1e-5 the difference quotient of these
 * smooth functions is exact to about h^2 |f'''| + 1e-16 |f| / h, below
 * 1e-9 here, so the tolerances below only cover the float32 rounding of
 * the layer under test.
 */
#define FD_STEP 1e-5

static void
fill_random(ff_rng *rng, float *v, size_t n, double scale)
{
    for (size_t i = 0; i < n; i++) {
        v[i] = (float)(scale * (2.0 * ff_rng_uniform(rng) - 1.0));
    }
}

/* Double copy of a dense layer followed by an optional ReLU, and the loss
 * sum c . y that the tests differentiate. */
static double
linear_loss(const double *x, const double *W, const double *b,
            const double *c, int relu, int batch, int in, int out)
{
    double loss = 0.0;

    for (int i = 0; i < batch; i++) {
        for (int j = 0; j < out; j++) {
            double y = b[j];
            for (int p = 0; p < in; p++) {
                y += x[i * in + p] * W[j * in + p];
            }
            if (relu && y < 0.0) {
                y = 0.0;
            }
            loss += c[i * out + j] * y;
        }
    }
    return loss;
}

static void
to_double(double *dst, const float *src, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        dst[i] = src[i];
    }
}

/* Central difference of linear_loss with respect to v[index]. */
static double
linear_fd(double *v, size_t index, const double *x, const double *W,
          const double *b, const double *c, int batch, int in, int out)
{
    double saved = v[index];

    v[index] = saved + FD_STEP;
    double up = linear_loss(x, W, b, c, 0, batch, in, out);
    v[index] = saved - FD_STEP;
    double down = linear_loss(x, W, b, c, 0, batch, in, out);
    v[index] = saved;
    return (up - down) / (2.0 * FD_STEP);
}

START_TEST(nn_linear_gradients_match_fd)
{
    enum { BATCH = 7, IN = 19, OUT = 37 };
    ff_rng rng;
    ff_sgemm_scratch s;
    float x[BATCH * IN];
    float w[OUT * IN];
    float b[OUT];
    float dy[BATCH * OUT];
    float dw[OUT * IN];
    float db[OUT];
    float dx[BATCH * IN];
    double xd[BATCH * IN];
    double wd[OUT * IN];
    double bd[OUT];
    double cd[BATCH * OUT];

    ff_rng_init(&rng, 21, FF_RNG_STREAM_USER, 0, 0);
    fill_random(&rng, x, BATCH * IN, 1.0);
    fill_random(&rng, w, OUT * IN, 0.3);
    fill_random(&rng, b, OUT, 0.3);
    fill_random(&rng, dy, BATCH * OUT, 1.0);
    to_double(xd, x, BATCH * IN);
    to_double(wd, w, OUT * IN);
    to_double(bd, b, OUT);
    to_double(cd, dy, BATCH * OUT);

    // Start from a non-zero gradient to see that backward adds into it.
    for (int i = 0; i < OUT * IN; i++) {
        dw[i] = 0.5f;
    }
    for (int i = 0; i < OUT; i++) {
        db[i] = -0.25f;
    }
    ff_nn_linear layer = {w, b, IN, OUT};
    ff_nn_linear grad = {dw, db, IN, OUT};
    ck_assert_int_eq(ff_sgemm_scratch_init(&s, 64, 64), 0);
    ff_nn_linear_backward(dx, IN, &grad, dy, OUT, x, IN, &layer, NULL, 0,
                          BATCH, &s);

    // Each gradient entry sums at most BATCH or OUT products of values
    // below 1 in magnitude: float32 rounding stays below 1e-5.
    for (int i = 0; i < OUT * IN; i++) {
        double fd = linear_fd(wd, (size_t)i, xd, wd, bd, cd, BATCH, IN, OUT);
        ck_assert_double_eq_tol(dw[i] - 0.5f, fd, 1e-5);
    }
    for (int i = 0; i < OUT; i++) {
        double fd = linear_fd(bd, (size_t)i, xd, wd, bd, cd, BATCH, IN, OUT);
        ck_assert_double_eq_tol(db[i] + 0.25f, fd, 1e-5);
    }
    for (int i = 0; i < BATCH * IN; i++) {
        double fd = linear_fd(xd, (size_t)i, xd, wd, bd, cd, BATCH, IN, OUT);
        ck_assert_double_eq_tol(dx[i], fd, 1e-5);
    }
    ff_sgemm_scratch_free(&s);
}
END_TEST

START_TEST(nn_linear_forward_relu)
{
    enum { BATCH = 5, IN = 13, OUT = 40 };
    ff_rng rng;
    ff_sgemm_scratch s;
    float x[BATCH * IN];
    float w[OUT * IN];
    float b[OUT];
    float y[BATCH * OUT];

    ff_rng_init(&rng, 22, FF_RNG_STREAM_USER, 0, 0);
    fill_random(&rng, x, BATCH * IN, 1.0);
    fill_random(&rng, w, OUT * IN, 0.3);
    fill_random(&rng, b, OUT, 0.3);
    ff_nn_linear layer = {w, b, IN, OUT};
    ck_assert_int_eq(ff_sgemm_scratch_init(&s, 64, 64), 0);
    ff_nn_linear_forward(y, OUT, x, IN, &layer, 1, BATCH, &s);
    for (int i = 0; i < BATCH; i++) {
        for (int j = 0; j < OUT; j++) {
            double z = b[j];
            for (int p = 0; p < IN; p++) {
                z += (double)x[i * IN + p] * w[j * IN + p];
            }
            // IN products below 0.3 each: float rounding below 1e-6.
            ck_assert_double_eq_tol(y[i * OUT + j], z > 0.0 ? z : 0.0, 1e-6);
        }
    }
    ff_sgemm_scratch_free(&s);
}
END_TEST

/* Loss of two dense layers with a ReLU between them, in double. */
static double
two_layer_loss(const double *x, const double *w1, const double *b1,
               const double *w2, const double *b2, const double *c,
               int batch, int in, int mid, int out)
{
    double *h = malloc(sizeof(double) * (size_t)batch * mid);
    double loss = 0.0;

    for (int i = 0; i < batch; i++) {
        for (int j = 0; j < mid; j++) {
            double z = b1[j];
            for (int p = 0; p < in; p++) {
                z += x[i * in + p] * w1[j * in + p];
            }
            h[i * mid + j] = z > 0.0 ? z : 0.0;
        }
    }
    loss = linear_loss(h, w2, b2, c, 0, batch, mid, out);
    free(h);
    return loss;
}

START_TEST(nn_gated_backward_matches_fd)
{
    enum { BATCH = 6, IN = 9, MID = 21, OUT = 5 };
    ff_rng rng;
    ff_sgemm_scratch s;
    float x[BATCH * IN];
    float w1[MID * IN];
    float b1[MID];
    float w2[OUT * MID];
    float b2[OUT];
    float h[BATCH * MID];
    float dy[BATCH * OUT];
    float dh[BATCH * MID];
    float dw1[MID * IN];
    float db1[MID];
    float dw2[OUT * MID];
    float db2[OUT];
    double xd[BATCH * IN];
    double w1d[MID * IN];
    double b1d[MID];
    double w2d[OUT * MID];
    double b2d[OUT];
    double cd[BATCH * OUT];

    ff_rng_init(&rng, 23, FF_RNG_STREAM_USER, 0, 0);
    fill_random(&rng, x, BATCH * IN, 1.0);
    fill_random(&rng, w1, MID * IN, 0.5);
    fill_random(&rng, b1, MID, 0.5);
    fill_random(&rng, w2, OUT * MID, 0.5);
    fill_random(&rng, b2, OUT, 0.5);
    fill_random(&rng, dy, BATCH * OUT, 1.0);
    to_double(xd, x, BATCH * IN);
    to_double(w1d, w1, MID * IN);
    to_double(b1d, b1, MID);
    to_double(w2d, w2, OUT * MID);
    to_double(b2d, b2, OUT);
    to_double(cd, dy, BATCH * OUT);
    memset(dw1, 0, sizeof dw1);
    memset(db1, 0, sizeof db1);
    memset(dw2, 0, sizeof dw2);
    memset(db2, 0, sizeof db2);

    ff_nn_linear l1 = {w1, b1, IN, MID};
    ff_nn_linear l2 = {w2, b2, MID, OUT};
    ff_nn_linear g1 = {dw1, db1, IN, MID};
    ff_nn_linear g2 = {dw2, db2, MID, OUT};
    ck_assert_int_eq(ff_sgemm_scratch_init(&s, 64, 64), 0);
    ff_nn_linear_forward(h, MID, x, IN, &l1, 1, BATCH, &s);
    ff_nn_linear_backward(dh, MID, &g2, dy, OUT, h, MID, &l2, h, MID, BATCH,
                          &s);
    ff_nn_linear_backward(NULL, 0, &g1, dh, MID, x, IN, &l1, NULL, 0, BATCH,
                          &s);

    // A pre-activation within FD_STEP * 10 of zero would put the ReLU's
    // kink inside the difference; the fixed seed avoids that (checked).
    for (int i = 0; i < BATCH * MID; i++) {
        ck_assert(h[i] == 0.0f || h[i] > 1e-3f);
    }
    for (int i = 0; i < MID * IN; i++) {
        double saved = w1d[i];
        w1d[i] = saved + FD_STEP;
        double up = two_layer_loss(xd, w1d, b1d, w2d, b2d, cd, BATCH, IN, MID,
                                   OUT);
        w1d[i] = saved - FD_STEP;
        double down = two_layer_loss(xd, w1d, b1d, w2d, b2d, cd, BATCH, IN,
                                     MID, OUT);
        w1d[i] = saved;
        // Sums of at most BATCH * OUT products below 1: float rounding
        // below 1e-5.
        ck_assert_double_eq_tol(dw1[i], (up - down) / (2.0 * FD_STEP), 1e-5);
    }
    for (int i = 0; i < MID; i++) {
        double saved = b1d[i];
        b1d[i] = saved + FD_STEP;
        double up = two_layer_loss(xd, w1d, b1d, w2d, b2d, cd, BATCH, IN, MID,
                                   OUT);
        b1d[i] = saved - FD_STEP;
        double down = two_layer_loss(xd, w1d, b1d, w2d, b2d, cd, BATCH, IN,
                                     MID, OUT);
        b1d[i] = saved;
        ck_assert_double_eq_tol(db1[i], (up - down) / (2.0 * FD_STEP), 1e-5);
    }
    ff_sgemm_scratch_free(&s);
}
END_TEST

START_TEST(nn_relu_pair)
{
    float x[6] = {-2.0f, -0.0f, 0.0f, 1e-30f, 3.5f, -1e-30f};
    float y[6];
    float dy[6] = {1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f};
    float dx[6];

    ff_nn_relu_forward(y, x, 6);
    ff_nn_relu_backward(dx, dy, y, 6);
    const float expect_y[6] = {0.0f, 0.0f, 0.0f, 1e-30f, 3.5f, 0.0f};
    // The derivative at 0 is taken as 0, as PyTorch does.
    const float expect_dx[6] = {0.0f, 0.0f, 0.0f, 4.0f, 5.0f, 0.0f};
    for (int i = 0; i < 6; i++) {
        ck_assert_float_eq(y[i], expect_y[i]);
        ck_assert_float_eq(dx[i], expect_dx[i]);
    }
}
END_TEST

static double
silu_double(double z)
{
    return z / (1.0 + exp(-z));
}

START_TEST(nn_silu_matches_fd)
{
    enum { ROWS = 4, COLS = 50, LD = 57 };
    float z[ROWS * COLS];
    float y[ROWS * LD];
    float sig[ROWS * COLS];
    float dy[ROWS * COLS];
    float dz[ROWS * COLS];

    for (int i = 0; i < ROWS * COLS; i++) {
        // From -12 to 12, where both tails of the sigmoid matter.
        z[i] = (float)(-12.0 + 24.0 * i / (ROWS * COLS - 1));
        dy[i] = (float)(1.0 + 0.01 * i);
    }
    ff_nn_silu_forward(y, LD, sig, z, COLS, ROWS, COLS);
    ff_nn_silu_backward(dz, COLS, dy, COLS, z, COLS, sig, ROWS, COLS);
    for (int i = 0; i < ROWS; i++) {
        for (int j = 0; j < COLS; j++) {
            double zd = z[i * COLS + j];
            double fd = (silu_double(zd + FD_STEP) - silu_double(zd - FD_STEP))
                        / (2.0 * FD_STEP);
            // A few float roundings of values up to 12: 1e-5 relative.
            double scale = fabs(silu_double(zd)) + 1.0;
            ck_assert_double_eq_tol(y[i * LD + j], silu_double(zd),
                                    1e-6 * scale);
            ck_assert_double_eq_tol(dz[i * COLS + j],
                                    dy[i * COLS + j] * fd, 1e-5 * dy[i * COLS + j]);
        }
    }
}
END_TEST

START_TEST(nn_exp_accuracy)
{
    double worst = 0.0;

    for (int i = 0; i <= 200000; i++) {
        float x = (float)(-87.0 + 175.0 * i / 200000.0);
        double exact = exp((double)x);
        double rel = fabs(ff_nn_exp(x) - exact) / exact;
        if (rel > worst) {
            worst = rel;
        }
    }
    // Two units in the last place of a float, 2 * 2^-23.
    ck_assert_double_le(worst, 2.4e-7);
    // Inputs beyond the range clamp instead of overflowing.
    ck_assert(isfinite(ff_nn_exp(1000.0f)));
    ck_assert(ff_nn_exp(-1000.0f) >= 0.0f);
    ck_assert(isfinite(ff_nn_exp(NAN)));

    // SiLU keeps a NaN, so that a diverged run shows in the loss.
    float z = NAN;
    float y = 0.0f;
    ff_nn_silu_forward(&y, 1, NULL, &z, 1, 1, 1);
    ck_assert(isnan(y));
}
END_TEST

START_TEST(nn_fourier_matches_libm)
{
    enum { ROWS = 9, HALF = 64 };
    ff_rng rng;
    float w[HALF];
    double t[ROWS] = {1e-3, 0.01, 0.123456, 0.25, 0.5, 0.75, 0.999, 1.0, 3.7};
    float f[ROWS * 2 * HALF];

    ff_rng_init(&rng, 24, FF_RNG_STREAM_USER, 0, 0);
    for (int j = 0; j < HALF; j++) {
        w[j] = (float)(30.0 * ff_rng_normal(&rng));
    }
    ff_nn_fourier_forward(f, 2 * HALF, t, w, HALF, ROWS);
    for (int i = 0; i < ROWS; i++) {
        for (int j = 0; j < HALF; j++) {
            double a = 2.0 * M_PI * t[i] * (double)w[j];
            // Rounding to float: half a unit in the last place of values
            // up to 1, plus 1e-12 for libm's own argument reduction.
            ck_assert_double_eq_tol(f[i * 2 * HALF + j], sin(a), 6e-8);
            ck_assert_double_eq_tol(f[i * 2 * HALF + HALF + j], cos(a), 6e-8);
        }
    }
}
END_TEST

START_TEST(nn_fourier_huge_arguments)
{
    // Arguments t w, in turns, from 2^51 up: whole or half turns.
    const double t[] = {0x1p51 - 0.5, 0x1p51 + 0.5, -(0x1p51 + 1.5),
                        0x1p52 + 1.0, 0x1p106, -0x1p106, 1e300};
    const double sin_expected[] = {0, 0, 0, 0, 0, 0, 0};
    const double cos_expected[] = {-1, -1, -1, 1, 1, 1, 1};
    enum { ROWS = sizeof t / sizeof t[0] };
    const float w = 1.0f;
    float f[2 * ROWS];

    ff_nn_fourier_forward(f, 2, t, &w, 1, ROWS);
    for (int i = 0; i < ROWS; i++) {
        ck_assert_double_eq_tol(f[2 * i], sin_expected[i], 1e-7);
        ck_assert_double_eq_tol(f[2 * i + 1], cos_expected[i], 1e-7);
    }

    // An infinite argument gives NaN, as sin and cos of it do.
    const double inf[1] = {INFINITY};
    ff_nn_fourier_forward(f, 2, inf, &w, 1, 1);
    ck_assert(isnan(f[0]));
    ck_assert(isnan(f[1]));
}
END_TEST

/* Whether two floats have the same bits (NaNs included). */
static int
same_bits(float a, float b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

/*
 * The vector paths of SiLU and the Fourier features must give every lane
 * the bits of the scalar code that handles the columns past the last whole
 * vector. Each row holds one value in all its columns, so the last column
 * (scalar) is the reference for the others (vector lanes, where the build
 * has them).
 */
START_TEST(nn_silu_lanes_match_scalar)
{
    enum { COLS = 17, RANDOM = 400 };
    const float special[] = {0.0f, -0.0f, 1e-40f, -1e-40f, 1.0f, -1.0f,
                             86.9f, -86.9f, 87.0f, -87.0f, 88.0f, -88.0f,
                             88.5f, -88.5f, 1e30f, -1e30f, INFINITY,
                             -INFINITY, NAN};
    enum { SPECIAL = sizeof special / sizeof special[0] };
    enum { ROWS = SPECIAL + RANDOM };
    static float z[ROWS * COLS];
    static float y[ROWS * COLS];
    static float sig[ROWS * COLS];
    ff_rng rng;

    ff_rng_init(&rng, 31, FF_RNG_STREAM_USER, 0, 0);
    for (int i = 0; i < ROWS; i++) {
        float v = i < SPECIAL ? special[i]
                              : (float)(40.0 * ff_rng_normal(&rng));
        for (int j = 0; j < COLS; j++) {
            z[i * COLS + j] = v;
        }
    }
    ff_nn_silu_forward(y, COLS, sig, z, COLS, ROWS, COLS);
    for (int i = 0; i < ROWS; i++) {
        const float *yi = y + i * COLS;
        const float *si = sig + i * COLS;
        for (int j = 0; j < COLS - 1; j++) {
            ck_assert_msg(same_bits(yi[j], yi[COLS - 1])
                              && same_bits(si[j], si[COLS - 1]),
                          "SiLU of %a: column %d differs from the scalar "
                          "column", (double)z[i * COLS], j);
        }
    }
}
END_TEST

START_TEST(nn_fourier_lanes_match_scalar)
{
    enum { HALF = 9, RANDOM = 400 };
    const double special_t[] = {0.0, -0.0, 0.25, 0.5, 0.75, 1.25, -0.25,
                                0x1p51 - 0.5, 0x1p51 + 0.5, -(0x1p51 + 1.5),
                                0x1p106, 1e300, INFINITY, -INFINITY, NAN};
    enum { SPECIAL = sizeof special_t / sizeof special_t[0] };
    enum { ROWS = SPECIAL + RANDOM };
    static double t[ROWS];
    static float f[ROWS * 2 * HALF];
    float w[HALF];
    ff_rng rng;

    ff_rng_init(&rng, 32, FF_RNG_STREAM_USER, 0, 0);
    for (int k = 0; k < 2; k++) {
        // Frequency 1 puts the special times in turns as written; a random
        // one of the model's scale then covers every quadrant.
        float freq = k == 0 ? 1.0f : (float)(30.0 * ff_rng_normal(&rng));
        for (int j = 0; j < HALF; j++) {
            w[j] = freq;
        }
        for (int i = 0; i < ROWS; i++) {
            t[i] = i < SPECIAL ? special_t[i] : ff_rng_uniform(&rng);
        }
        ff_nn_fourier_forward(f, 2 * HALF, t, w, HALF, ROWS);
        for (int i = 0; i < ROWS; i++) {
            const float *fi = f + i * 2 * HALF;
            for (int j = 0; j < HALF - 1; j++) {
                ck_assert_msg(same_bits(fi[j], fi[HALF - 1])
                                  && same_bits(fi[HALF + j],
                                               fi[2 * HALF - 1]),
                              "Fourier features of t %a, w %a: column %d "
                              "differs from the scalar column", t[i],
                              (double)freq, j);
            }
        }
    }
}
END_TEST

START_TEST(nn_concat_pair)
{
    float src[6] = {1, 2, 3, 4, 5, 6};
    float dst[10];
    float dsrc[6] = {1, 1, 1, 1, 1, 1};

    for (int i = 0; i < 10; i++) {
        dst[i] = -1.0f;
    }
    // Columns 2..4 of a 2 x 5 matrix receive a 2 x 3 block.
    ff_nn_concat_forward(dst + 2, 5, src, 3, 2, 3);
    const float expect[10] = {-1, -1, 1, 2, 3, -1, -1, 4, 5, 6};
    for (int i = 0; i < 10; i++) {
        ck_assert_float_eq(dst[i], expect[i]);
    }
    ff_nn_concat_backward(dsrc, 3, dst + 2, 5, 2, 3);
    for (int i = 0; i < 6; i++) {
        ck_assert_float_eq(dsrc[i], 1.0f + src[i]);
    }
}
END_TEST

static Suite *
nn_suite(void)
{
    Suite *s = suite_create("nn");

    TEST_ADD(s, nn_linear_gradients_match_fd);
    TEST_ADD(s, nn_linear_forward_relu);
    TEST_ADD(s, nn_gated_backward_matches_fd);
    TEST_ADD(s, nn_relu_pair);
    TEST_ADD(s, nn_silu_matches_fd);
    TEST_ADD(s, nn_exp_accuracy);
    TEST_ADD(s, nn_fourier_matches_libm);
    TEST_ADD(s, nn_fourier_huge_arguments);
    TEST_ADD(s, nn_silu_lanes_match_scalar);
    TEST_ADD(s, nn_fourier_lanes_match_scalar);
    TEST_ADD(s, nn_concat_pair);
    return s;
}

int
main(void)
{
    return test_run_suite(nn_suite()) == 0 ? 0 : 1;
}
