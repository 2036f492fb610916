#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "frameflow/rng.h"
#include "frameflow/sample.h"
#include "frameflow/se3.h"
#include "frameflow/so3.h"
#include "testutil.h"

/* The schedule's base, 0.5 by default. */
#define BASE 0.5

/* sigma(t) = sqrt((s^(2t) - 1) / (2 ln s)), the noise scale at time t. */
static double
schedule_sigma(double t)
{
    return sqrt((pow(BASE, 2.0 * t) - 1.0) / (2.0 * log(BASE)));
}

/*
 * The exact score of an equal-weight mixture of isotropic SE(3) Gaussians
 * of width sigma(t) around the given poses: with responsibilities w_k
 * proportional to exp(-(|x - x_k|^2 + |d_k|^2) / (2 sigma^2)),
 * d_k = Log(R_k^T R), the score is sum_k w_k (-(x - x_k), -d_k) / sigma^2.
 * One pose gives the single-Gaussian score.
 */
typedef struct mixture {
    const ff_pose *poses;
    size_t count;
} mixture;

static int
mixture_score(void *ctx, size_t n, const double *x, const double *R,
              double t, double *v, ff_error *err)
{
    const mixture *mix = ctx;
    double sigma2 = schedule_sigma(t) * schedule_sigma(t);

    (void)err;
    if (mix->count > 8) {
        return FF_STATUS_ERR_INVALID;
    }
    for (size_t j = 0; j < n; j++) {
        double logw[8];
        double d[8][3];
        double dx[8][3];
        double top = -INFINITY;
        for (size_t k = 0; k < mix->count; k++) {
            double RkT[9];
            double D[9];
            ff_so3_inverse(RkT, mix->poses[k].R);
            ff_so3_compose(D, RkT, &R[9 * j]);
            ff_so3_log(d[k], D);
            double q = 0.0;
            for (int c = 0; c < 3; c++) {
                dx[k][c] = x[3 * j + c] - mix->poses[k].x[c];
                q += dx[k][c] * dx[k][c] + d[k][c] * d[k][c];
            }
            logw[k] = -0.5 * q / sigma2;
            top = logw[k] > top ? logw[k] : top;
        }
        double total = 0.0;
        for (size_t k = 0; k < mix->count; k++) {
            logw[k] = exp(logw[k] - top);
            total += logw[k];
        }
        memset(&v[6 * j], 0, 6 * sizeof *v);
        for (size_t k = 0; k < mix->count; k++) {
            double w = logw[k] / total / sigma2;
            for (int c = 0; c < 3; c++) {
                v[6 * j + c] -= w * dx[k][c];
                v[6 * j + 3 + c] -= w * d[k][c];
            }
        }
    }
    return 0;
}

static void
pose_from_vectors(ff_pose *p, double x0, double x1, double x2, double w0,
                  double w1, double w2)
{
    const double w[3] = {w0, w1, w2};

    p->x[0] = x0;
    p->x[1] = x1;
    p->x[2] = x2;
    ff_so3_exp(p->R, w);
}

/* Index of the nearest of count poses to p; its distance in *dist. */
static size_t
nearest_pose(const ff_pose *p, const ff_pose *poses, size_t count,
             double *dist)
{
    size_t best = 0;

    *dist = INFINITY;
    for (size_t k = 0; k < count; k++) {
        double d = ff_se3_distance(p, &poses[k]);
        if (d < *dist) {
            *dist = d;
            best = k;
        }
    }
    return best;
}

static int zero_score(void *ctx, size_t n, const double *x, const double *R,
                      double t, double *v, ff_error *err);

/*
 * Return the product over the schedule of (1 - dt / sigma(k_i)^2): with the
 * exact score of one pose the follow sampler multiplies the translation
 * offset and the rotation vector Log(R0^T R) by exactly this factor.
 */
static double
follow_contraction(long steps, double dt, double eps)
{
    double p = 1.0;

    for (long i = 0; i < steps; i++) {
        double k = (double)(steps - i) / (double)steps + eps;
        p *= 1.0 - dt / (schedule_sigma(k) * schedule_sigma(k));
    }
    return p;
}

START_TEST(sample_follow_single_pose_converges)
{
    ff_pose target;
    pose_from_vectors(&target, 0.4, -0.8, 1.1, 0.7, -1.9, 0.4);
    mixture mix = {&target, 1};
    ff_sample_options opts;
    ff_sample_options_default(&opts);
    opts.count = 300;
    opts.sampler = FF_SAMPLER_FOLLOW;
    opts.seed = 11;
    ff_pose *start = calloc(opts.count, sizeof *start);
    ff_pose *out = calloc(opts.count, sizeof *out);
    ff_error err;

    ck_assert_int_eq(ff_sample_run(out, &opts, mixture_score, &mix, &err), 0);
    // The start: one follow step with a zero score leaves it in place.
    opts.steps = 1;
    ck_assert_int_eq(ff_sample_run(start, &opts, zero_score, NULL, &err), 0);

    double factor = follow_contraction(1000, 1e-3, 1e-3);
    ck_assert_double_lt(factor, 5e-4);
    for (size_t j = 0; j < opts.count; j++) {
        for (int c = 0; c < 3; c++) {
            // 1000 multiplications by (1 - c_i) in rounding: relative error
            // about 1000 ulp of offsets of a few units.
            double expected = factor * (start[j].x[c] - target.x[c]);
            ck_assert_double_eq_tol(out[j].x[c] - target.x[c], expected,
                                    1e-12);
        }
        // R0^T R moves from Exp(d) to Exp((1 - c) d) at each step, so the
        // angle shrinks by the same factor; Log is accurate to 1e-9 even
        // for starts near pi.
        double angle = ff_so3_angle(target.R, start[j].R);
        ck_assert_double_eq_tol(ff_so3_angle(target.R, out[j].R),
                                factor * angle, 1e-9);
        ck_assert_double_le(ff_so3_orthonormality_error(out[j].R), 1e-12);
    }
    free(start);
    free(out);
}
END_TEST

static const ff_pose *
two_poses(void)
{
    static ff_pose poses[2];

    pose_from_vectors(&poses[0], 0.3, 0.3, 0.3, 0.0, 0.0, 0.0);
    pose_from_vectors(&poses[1], -0.5, 1.2, -0.7, -0.3, 1.2, -0.4);
    return poses;
}

/* Draw 500 samples from the two-pose mixture; return the share within tau
 * of a pose and each pose's share in share[2]. */
static double
mixture_run(int sampler, double tau, double share[2])
{
    mixture mix = {two_poses(), 2};
    ff_sample_options opts;
    ff_sample_options_default(&opts);
    opts.count = 500;
    opts.sampler = sampler;
    opts.seed = 5;
    opts.batch = 128;
    ff_pose *out = calloc(opts.count, sizeof *out);
    ff_error err;
    size_t near = 0;
    size_t hits[2] = {0, 0};

    ck_assert_int_eq(ff_sample_run(out, &opts, mixture_score, &mix, &err), 0);
    for (size_t j = 0; j < opts.count; j++) {
        double d;
        size_t k = nearest_pose(&out[j], mix.poses, 2, &d);
        hits[k]++;
        near += d < tau;
    }
    free(out);
    share[0] = (double)hits[0] / (double)opts.count;
    share[1] = (double)hits[1] / (double)opts.count;
    return (double)near / (double)opts.count;
}

START_TEST(sample_follow_mixture_covers_both)
{
    double share[2];
    // Without noise a sample shrinks its offset from the pose it commits to
    // by the factor of the single-pose test (below 5e-4), from a few units
    // when it commits, so all end within 1e-2.
    double near = mixture_run(FF_SAMPLER_FOLLOW, 1e-2, share);

    ck_assert_double_eq(near, 1.0);
    // The poses are 2.1 apart and the start is spread over several units,
    // so neither basin takes almost everything. This seed splits 62 / 38.
    ck_assert_double_ge(share[0], 0.25);
    ck_assert_double_ge(share[1], 0.25);
}
END_TEST

START_TEST(sample_langevin_mixture_covers_both)
{
    double share[2];
    // The last noisy step adds sqrt(2 dt) z, about 0.045 per component, and
    // the final score step halves the offset. With this seed all 500
    // samples end within 0.3 and three quarters within 0.1.
    double near = mixture_run(FF_SAMPLER_LANGEVIN, 0.3, share);

    ck_assert_double_ge(near, 0.99);
    ck_assert_double_ge(share[0], 0.25);
    ck_assert_double_ge(share[1], 0.25);
}
END_TEST

/* Run the mixture sampler with the given threads and batch size. */
static ff_pose *
run_with(int threads, size_t batch, int geodesic)
{
    mixture mix = {two_poses(), 2};
    ff_sample_options opts;
    ff_sample_options_default(&opts);
    opts.count = 301;
    opts.steps = 60;
    opts.seed = 99;
    opts.threads = threads;
    opts.batch = batch;
    opts.geodesic_scale = geodesic;
    ff_pose *out = calloc(opts.count, sizeof *out);
    ff_error err;

    ck_assert_int_eq(ff_sample_run(out, &opts, mixture_score, &mix, &err), 0);
    return out;
}

START_TEST(sample_same_bits_any_threads)
{
    for (int geodesic = 0; geodesic < 2; geodesic++) {
        ff_pose *one = run_with(1, 1000, geodesic);
        ff_pose *two = run_with(2, 1000, geodesic);
        ff_pose *chunked = run_with(2, 7, geodesic);
        ck_assert_mem_eq(one, two, 301 * sizeof *one);
        ck_assert_mem_eq(one, chunked, 301 * sizeof *one);
        free(one);
        free(two);
        free(chunked);
    }
}
END_TEST

START_TEST(sample_seed_changes_samples)
{
    mixture mix = {two_poses(), 2};
    ff_sample_options opts;
    ff_sample_options_default(&opts);
    opts.count = 10;
    opts.steps = 5;
    ff_pose a[10];
    ff_pose b[10];
    ff_pose c[10];
    ff_error err;

    opts.seed = 1;
    ck_assert_int_eq(ff_sample_run(a, &opts, mixture_score, &mix, &err), 0);
    ck_assert_int_eq(ff_sample_run(b, &opts, mixture_score, &mix, &err), 0);
    opts.seed = 2;
    ck_assert_int_eq(ff_sample_run(c, &opts, mixture_score, &mix, &err), 0);
    ck_assert_mem_eq(a, b, sizeof a);
    for (int j = 0; j < 10; j++) {
        ck_assert_double_ne(a[j].x[0], c[j].x[0]);
    }
}
END_TEST

/* A score that is zero everywhere and records what it was called with. */
typedef struct recorder {
    double times[16];
    long calls;
    size_t largest;
    size_t seen;
    ff_pose first[64];  /* the poses of the first call */
} recorder;

static int
zero_score(void *ctx, size_t n, const double *x, const double *R, double t,
           double *v, ff_error *err)
{
    recorder *rec = ctx;

    (void)err;
    if (rec != NULL) {
        if (rec->calls < 16) {
            rec->times[rec->calls] = t;
        }
        if (rec->seen == 0) {
            for (size_t j = 0; j < n && j < 64; j++) {
                memcpy(rec->first[j].x, &x[3 * j], sizeof rec->first[j].x);
                memcpy(rec->first[j].R, &R[9 * j], sizeof rec->first[j].R);
            }
        }
        rec->calls++;
        rec->seen += n;
        rec->largest = n > rec->largest ? n : rec->largest;
    }
    memset(v, 0, n * 6 * sizeof *v);
    return 0;
}

START_TEST(sample_times_follow_schedule)
{
    recorder rec;
    memset(&rec, 0, sizeof rec);
    ff_sample_options opts;
    ff_sample_options_default(&opts);
    opts.count = 3;
    opts.steps = 4;
    ff_pose out[3];
    ff_error err;

    ck_assert_int_eq(ff_sample_run(out, &opts, zero_score, &rec, &err), 0);
    ck_assert_int_eq(rec.calls, 4);
    // k = (T - i) / T + eps for i = 0 .. 3, T = 4, eps = 1e-3.
    const double expected[4] = {1.001, 0.751, 0.501, 0.251};
    for (int i = 0; i < 4; i++) {
        ck_assert_double_eq_tol(rec.times[i], expected[i], 1e-15);
    }
}
END_TEST

START_TEST(sample_calls_score_in_batches)
{
    recorder rec;
    memset(&rec, 0, sizeof rec);
    ff_sample_options opts;
    ff_sample_options_default(&opts);
    opts.count = 23;
    opts.steps = 3;
    opts.batch = 5;
    ff_pose out[23];
    ff_error err;

    ck_assert_int_eq(ff_sample_run(out, &opts, zero_score, &rec, &err), 0);
    // 23 samples in chunks of 5 make 5 calls per step.
    ck_assert_int_eq(rec.calls, 15);
    ck_assert_uint_eq(rec.largest, 5);
    ck_assert_uint_eq(rec.seen, 69);
}
END_TEST

START_TEST(sample_start_follows_key_scheme)
{
    recorder rec;
    memset(&rec, 0, sizeof rec);
    ff_sample_options opts;
    ff_sample_options_default(&opts);
    opts.count = 40;
    opts.steps = 1;
    opts.seed = 1234;
    ff_pose out[40];
    ff_error err;

    ck_assert_int_eq(ff_sample_run(out, &opts, zero_score, &rec, &err), 0);
    for (size_t j = 0; j < 40; j++) {
        // The start of sample j comes from (seed, sampler stream, step 0,
        // item j): three normals for x, then a uniform rotation.
        ff_rng rng;
        double x[3];
        double R[9];
        ff_rng_init(&rng, 1234, FF_RNG_STREAM_SAMPLER, 0, (uint32_t)j);
        for (int c = 0; c < 3; c++) {
            x[c] = ff_rng_normal(&rng);
        }
        ff_rng_rotation_uniform(R, &rng);
        ck_assert_mem_eq(rec.first[j].x, x, sizeof x);
        ck_assert_double_le(test_max_diff(rec.first[j].R, R, 9), 1e-15);
        // One step with a zero score and no noise on the last step leaves
        // the start unchanged, up to re-orthonormalisation.
        ck_assert_mem_eq(out[j].x, x, sizeof x);
        ck_assert_double_le(test_max_diff(out[j].R, R, 9), 1e-14);
    }
}
END_TEST

START_TEST(sample_start_distribution)
{
    ff_sample_options opts;
    ff_sample_options_default(&opts);
    opts.count = 20000;
    opts.steps = 1;
    opts.sampler = FF_SAMPLER_FOLLOW;
    ff_pose *out = calloc(opts.count, sizeof *out);
    ff_error err;
    double sum[3] = {0};
    double sq[3] = {0};
    double trace = 0.0;

    ck_assert_int_eq(ff_sample_run(out, &opts, zero_score, NULL, &err), 0);
    for (size_t j = 0; j < opts.count; j++) {
        for (int c = 0; c < 3; c++) {
            sum[c] += out[j].x[c];
            sq[c] += out[j].x[c] * out[j].x[c];
        }
        trace += out[j].R[0] + out[j].R[4] + out[j].R[8];
    }
    double n = (double)opts.count;
    for (int c = 0; c < 3; c++) {
        // Standard errors with n = 20000: 0.007 for the mean, 0.01 for the
        // variance; the bounds are five of them.
        ck_assert_double_eq_tol(sum[c] / n, 0.0, 0.035);
        ck_assert_double_eq_tol(sq[c] / n, 1.0, 0.05);
    }
    // Under the Haar measure E[tr R] = 0 and Var[tr R] = 1.
    ck_assert_double_eq_tol(trace / n, 0.0, 0.035);
    free(out);
}
END_TEST

START_TEST(sample_langevin_noise_matches_key_scheme)
{
    const double dt = 0.01;
    const double c = sqrt(2.0 * dt);

    for (int geodesic = 0; geodesic < 2; geodesic++) {
        recorder rec;
        memset(&rec, 0, sizeof rec);
        ff_sample_options opts;
        ff_sample_options_default(&opts);
        opts.count = 64;
        opts.steps = 2;
        opts.dt = dt;
        opts.seed = 77;
        opts.geodesic_scale = geodesic;
        ff_pose out[64];
        ff_error err;
        int wrapped = 0;

        ck_assert_int_eq(ff_sample_run(out, &opts, zero_score, &rec, &err),
                         0);
        for (size_t j = 0; j < 64; j++) {
            // Step 0 adds sqrt(2 dt) z with z from (seed, stream, step 1,
            // item j); step 1 is the last and adds nothing.
            ff_rng rng;
            double z[6];
            ff_rng_init(&rng, 77, FF_RNG_STREAM_SAMPLER, 1, (uint32_t)j);
            for (int k = 0; k < 6; k++) {
                z[k] = ff_rng_normal(&rng);
            }
            double angle = sqrt(z[3] * z[3] + z[4] * z[4] + z[5] * z[5]);
            double factor = c;
            if (geodesic && angle > M_PI) {
                // Exp(z) turns by 2 pi - |z| about -z: the principal branch
                // is z (|z| - 2 pi) / |z|, as long as |z| < 3 pi.
                factor = c * (angle - 2.0 * M_PI) / angle;
                wrapped++;
            }
            double w[3] = {factor * z[3], factor * z[4], factor * z[5]};
            double E[9];
            double R[9];
            ff_so3_exp(E, w);
            ff_so3_compose(R, rec.first[j].R, E);
            for (int k = 0; k < 3; k++) {
                ck_assert_double_eq_tol(out[j].x[k],
                                        rec.first[j].x[k] + c * z[k], 1e-15);
            }
            // Two re-orthonormalisations differ from the plain product by
            // a few rounding errors.
            ck_assert_double_le(test_max_diff(out[j].R, R, 9), 1e-14);
        }
        if (geodesic) {
            // |z| > pi has probability 0.03 for a 3D standard normal; with
            // 64 samples this seed wraps at least one.
            ck_assert_int_ge(wrapped, 1);
        }
    }
}
END_TEST

/* A score whose rotation part is a fixed vector, for the scaling test. */
static int
fixed_rotation_score(void *ctx, size_t n, const double *x, const double *R,
                     double t, double *v, ff_error *err)
{
    const double *w = ctx;

    (void)x;
    (void)R;
    (void)t;
    (void)err;
    for (size_t j = 0; j < n; j++) {
        v[6 * j + 0] = 0.0;
        v[6 * j + 1] = 0.0;
        v[6 * j + 2] = 0.0;
        v[6 * j + 3] = w[0];
        v[6 * j + 4] = w[1];
        v[6 * j + 5] = w[2];
    }
    return 0;
}

START_TEST(sample_geodesic_scale_wraps_score)
{
    const double dt = 1e-3;
    // |v_r| = 2 pi m + 0.5 with m = 300: Exp(v_r) is a turn of 0.5 about
    // the axis, so the geodesic step turns by 0.5 dt while the naive step
    // turns by |v_r| dt = 1.885 rad.
    const double length = 2.0 * M_PI * 300.0 + 0.5;
    const double axis[3] = {2.0 / 7.0, -3.0 / 7.0, 6.0 / 7.0};
    double w[3];
    for (int c = 0; c < 3; c++) {
        w[c] = length * axis[c];
    }

    for (int geodesic = 0; geodesic < 2; geodesic++) {
        ff_sample_options opts;
        ff_sample_options_default(&opts);
        opts.count = 4;
        opts.steps = 1;
        opts.dt = dt;
        opts.sampler = FF_SAMPLER_FOLLOW;
        opts.geodesic_scale = geodesic;
        ff_pose start[4];
        ff_pose out[4];
        ff_error err;

        // The start: the same run with a zero score and one step.
        ck_assert_int_eq(ff_sample_run(start, &opts, zero_score, NULL, &err),
                         0);
        ck_assert_int_eq(ff_sample_run(out, &opts, fixed_rotation_score, w,
                                       &err),
                         0);
        double turn = geodesic ? 0.5 * dt : length * dt;
        for (int j = 0; j < 4; j++) {
            double step[3] = {turn * axis[0], turn * axis[1], turn * axis[2]};
            double E[9];
            double R[9];
            ff_so3_exp(E, step);
            ff_so3_compose(R, start[j].R, E);
            // Exp and Log of a vector of length 1885 lose about 1885 times
            // the rounding error in the angle, 4e-13.
            ck_assert_double_le(test_max_diff(out[j].R, R, 9), 1e-10);
        }
    }
}
END_TEST

START_TEST(sample_rejects_bad_options)
{
    ff_sample_options opts;
    ff_pose out[2];
    ff_error err;

    ff_sample_options_default(&opts);
    opts.count = 0;
    ck_assert_int_eq(ff_sample_run(out, &opts, zero_score, NULL, &err),
                     FF_STATUS_ERR_INVALID);
    ck_assert_str_eq(err.message,
                     "invalid sample count 0; expected 1 to 4294967295");

    ff_sample_options_default(&opts);
    opts.count = 2;
    opts.steps = -3;
    ck_assert_int_eq(ff_sample_run(out, &opts, zero_score, NULL, &err),
                     FF_STATUS_ERR_INVALID);
    ck_assert_str_eq(err.message,
                     "invalid number of steps -3; expected 1 to 100000000");

    ff_sample_options_default(&opts);
    opts.count = 2;
    opts.dt = NAN;
    ck_assert_int_eq(ff_sample_run(out, &opts, zero_score, NULL, &err),
                     FF_STATUS_ERR_INVALID);
    ck_assert_str_eq(err.message, "invalid step size nan; expected a finite "
                                  "number above 0");

    ff_sample_options_default(&opts);
    opts.count = 2;
    opts.batch = 0;
    ck_assert_int_eq(ff_sample_run(out, &opts, zero_score, NULL, &err),
                     FF_STATUS_ERR_INVALID);

    ff_sample_options_default(&opts);
    opts.count = 2;
    opts.sampler = 7;
    ck_assert_int_eq(ff_sample_run(out, &opts, zero_score, NULL, &err),
                     FF_STATUS_ERR_INVALID);
}
END_TEST

static int
nan_score(void *ctx, size_t n, const double *x, const double *R, double t,
          double *v, ff_error *err)
{
    (void)ctx;
    (void)x;
    (void)R;
    (void)t;
    (void)err;
    memset(v, 0, n * 6 * sizeof *v);
    if (t < 0.6) {
        v[6 * (n - 1) + 4] = NAN;
    }
    return 0;
}

START_TEST(sample_rejects_nonfinite_score)
{
    ff_sample_options opts;
    ff_sample_options_default(&opts);
    opts.count = 5;
    opts.steps = 4;
    ff_pose out[5];
    ff_error err;

    ck_assert_int_eq(ff_sample_run(out, &opts, nan_score, NULL, &err),
                     FF_STATUS_ERR_NUMERIC);
    ck_assert_str_eq(err.message,
                     "the score of sample 4 is not finite at step 2 "
                     "(t = 0.501); the model may be damaged or the step "
                     "size too large");
}
END_TEST

static int
failing_score(void *ctx, size_t n, const double *x, const double *R,
              double t, double *v, ff_error *err)
{
    (void)n;
    (void)x;
    (void)R;
    (void)t;
    (void)v;
    if (ctx == NULL) {
        return FF_STATUS_ERR_NOMEM;
    }
    err->code = FF_STATUS_ERR_INTERNAL;
    strcpy(err->message, "model.ffm: evaluation failed");
    return FF_STATUS_ERR_INTERNAL;
}

START_TEST(sample_passes_score_errors)
{
    ff_sample_options opts;
    ff_sample_options_default(&opts);
    opts.count = 5;
    opts.steps = 4;
    ff_pose out[5];
    ff_error err;
    int ctx = 0;

    ck_assert_int_eq(ff_sample_run(out, &opts, failing_score, &ctx, &err),
                     FF_STATUS_ERR_INTERNAL);
    ck_assert_int_eq(err.code, FF_STATUS_ERR_INTERNAL);
    ck_assert_str_eq(err.message, "model.ffm: evaluation failed");

    // Without a message of its own the sampler names the step.
    ck_assert_int_eq(ff_sample_run(out, &opts, failing_score, NULL, &err),
                     FF_STATUS_ERR_NOMEM);
    ck_assert_str_eq(err.message,
                     "score function failed at step 0: out of memory");
}
END_TEST

typedef struct stopper {
    volatile sig_atomic_t flag;
    long after;
    long last;
} stopper;

static void
stop_after(void *ctx, long done, long total)
{
    stopper *s = ctx;

    ck_assert_int_eq(total, 10);
    ck_assert_int_eq(done, s->last + 1);
    s->last = done;
    if (done == s->after) {
        s->flag = 1;
    }
}

START_TEST(sample_progress_and_stop)
{
    stopper s = {0, 3, 0};
    ff_sample_options opts;
    ff_sample_options_default(&opts);
    opts.count = 5;
    opts.steps = 10;
    opts.progress = stop_after;
    opts.progress_ctx = &s;
    opts.stop = &s.flag;
    ff_pose out[5];
    ff_error err;

    ck_assert_int_eq(ff_sample_run(out, &opts, zero_score, NULL, &err),
                     FF_STATUS_ERR_INTERRUPTED);
    ck_assert_int_eq(s.last, 3);
    ck_assert_str_eq(err.message, "sampling stopped at step 3 of 10");

    s.flag = 0;
    s.after = 0;
    s.last = 0;
    ck_assert_int_eq(ff_sample_run(out, &opts, zero_score, NULL, &err), 0);
    ck_assert_int_eq(s.last, 10);
}
END_TEST

START_TEST(sample_to_angstrom_undoes_units)
{
    ff_pose p[2];
    const double center[3] = {10.0, -20.0, 5.5};

    memset(p, 0, sizeof p);
    p[1].x[0] = 0.25;
    p[1].x[1] = -1.0;
    p[1].x[2] = 3.0;
    ff_sample_to_angstrom(p, 2, 0.1, center);
    ck_assert_double_eq_tol(p[0].x[0], 10.0, 1e-14);
    ck_assert_double_eq_tol(p[0].x[1], -20.0, 1e-14);
    ck_assert_double_eq_tol(p[1].x[0], 12.5, 1e-14);
    ck_assert_double_eq_tol(p[1].x[1], -30.0, 1e-14);
    ck_assert_double_eq_tol(p[1].x[2], 35.5, 1e-14);
}
END_TEST

static Suite *
sample_suite(void)
{
    Suite *s = suite_create("sample");

    TEST_ADD(s, sample_follow_single_pose_converges);
    TEST_ADD(s, sample_follow_mixture_covers_both);
    TEST_ADD(s, sample_langevin_mixture_covers_both);
    TEST_ADD(s, sample_same_bits_any_threads);
    TEST_ADD(s, sample_seed_changes_samples);
    TEST_ADD(s, sample_times_follow_schedule);
    TEST_ADD(s, sample_calls_score_in_batches);
    TEST_ADD(s, sample_start_follows_key_scheme);
    TEST_ADD(s, sample_start_distribution);
    TEST_ADD(s, sample_langevin_noise_matches_key_scheme);
    TEST_ADD(s, sample_geodesic_scale_wraps_score);
    TEST_ADD(s, sample_rejects_bad_options);
    TEST_ADD(s, sample_rejects_nonfinite_score);
    TEST_ADD(s, sample_passes_score_errors);
    TEST_ADD(s, sample_progress_and_stop);
    TEST_ADD(s, sample_to_angstrom_undoes_units);
    return s;
}

int
main(void)
{
    return test_run_suite(sample_suite()) == 0 ? 0 : 1;
}
