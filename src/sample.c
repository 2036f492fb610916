#include "frameflow/sample.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "frameflow/rng.h"
#include "frameflow/so3.h"
#include "errors.h"

void
ff_sample_options_default(ff_sample_options *opts)
{
    memset(opts, 0, sizeof *opts);
    opts->count = 1000;
    opts->steps = FF_SAMPLE_DEFAULT_STEPS;
    opts->dt = FF_SAMPLE_DEFAULT_DT;
    opts->eps = FF_SAMPLE_DEFAULT_EPS;
    opts->sampler = FF_SAMPLER_LANGEVIN;
    opts->batch = FF_SAMPLE_DEFAULT_BATCH;
}

static int
check_options(const ff_sample_options *o, ff_error *err)
{
    if (o->count == 0 || o->count > UINT32_MAX) {
        return ff_error_set(err, FF_STATUS_ERR_INVALID,
                            "invalid sample count %zu; expected 1 to %lu",
                            o->count, (unsigned long)UINT32_MAX);
    }
    if (o->steps < 1 || o->steps > FF_SAMPLE_MAX_STEPS) {
        return ff_error_set(err, FF_STATUS_ERR_INVALID,
                            "invalid number of steps %ld; expected 1 to %ld",
                            o->steps, FF_SAMPLE_MAX_STEPS);
    }
    if (!(isfinite(o->dt) && o->dt > 0.0)) {
        return ff_error_set(err, FF_STATUS_ERR_INVALID,
                            "invalid step size %g; expected a finite number "
                            "above 0", o->dt);
    }
    if (!(isfinite(o->eps) && o->eps >= 0.0)) {
        return ff_error_set(err, FF_STATUS_ERR_INVALID,
                            "invalid time offset %g; expected a finite number "
                            "of at least 0", o->eps);
    }
    if (o->sampler != FF_SAMPLER_LANGEVIN && o->sampler != FF_SAMPLER_FOLLOW) {
        return ff_error_set(err, FF_STATUS_ERR_INVALID,
                            "invalid sampler %d; expected langevin or follow",
                            o->sampler);
    }
    if (o->batch == 0) {
        return ff_error_set(err, FF_STATUS_ERR_INVALID,
                            "invalid batch size 0; expected at least 1");
    }
    if (o->threads < 0) {
        return ff_error_set(err, FF_STATUS_ERR_INVALID,
                            "invalid thread count %d; expected 0 (default) "
                            "or more", o->threads);
    }
    return 0;
}

static int
thread_count(const ff_sample_options *o)
{
#ifdef _OPENMP
    return o->threads > 0 ? o->threads : omp_get_max_threads();
#else
    (void)o;
    return 1;
#endif
}

/* Draw the start of every sample: x ~ N(0, I3), R uniform on SO(3). */
static void
draw_start(double *x, double *R, size_t n, uint64_t seed, int threads)
{
    (void)threads;
#ifdef _OPENMP
#pragma omp parallel for num_threads(threads) schedule(static)
#endif
    for (size_t j = 0; j < n; j++) {
        ff_rng rng;
        ff_rng_init(&rng, seed, FF_RNG_STREAM_SAMPLER, 0, (uint32_t)j);
        for (int c = 0; c < 3; c++) {
            x[3 * j + c] = ff_rng_normal(&rng);
        }
        ff_rng_rotation_uniform(&R[9 * j], &rng);
    }
}

/*
 * Compute the step s = (s_x, s_r) of one sample at step i from its score v,
 * with the Langevin noise of (seed, step i + 1, sample j) when noise is set.
 */
static void
step_vector(double s[6], const double v[6], const ff_sample_options *o,
            long i, size_t j, int noise)
{
    for (int c = 0; c < 3; c++) {
        s[c] = v[c] * o->dt;
    }
    if (o->geodesic_scale) {
        ff_so3_scale_geodesic(&s[3], &v[3], o->dt);
    } else {
        for (int c = 3; c < 6; c++) {
            s[c] = v[c] * o->dt;
        }
    }
    if (!noise) {
        return;
    }

    ff_rng rng;
    double z[6];
    double scale = sqrt(2.0 * o->dt);
    ff_rng_init(&rng, o->seed, FF_RNG_STREAM_SAMPLER, (uint32_t)(i + 1),
                (uint32_t)j);
    for (int c = 0; c < 6; c++) {
        z[c] = ff_rng_normal(&rng);
    }
    for (int c = 0; c < 3; c++) {
        s[c] += scale * z[c];
    }
    if (o->geodesic_scale) {
        double zr[3];
        ff_so3_scale_geodesic(zr, &z[3], scale);
        for (int c = 0; c < 3; c++) {
            s[3 + c] += zr[c];
        }
    } else {
        for (int c = 3; c < 6; c++) {
            s[c] += scale * z[c];
        }
    }
}

/* Move one pose by s: x += s_x, R = R Exp(s_r), projected back on SO(3)
 * so that rounding does not accumulate over thousands of products. */
static void
apply_step(double x[3], double R[9], const double s[6])
{
    double E[9];

    for (int c = 0; c < 3; c++) {
        x[c] += s[c];
    }
    ff_so3_exp(E, &s[3]);
    ff_so3_compose(R, R, E);
    ff_so3_orthonormalize(R, R);
}

/*
 * Update samples first .. first + m - 1 at step i from their scores v (the
 * chunk's m x 6 block). Return the index of the first sample whose score is
 * not finite, or SIZE_MAX when all are.
 */
static size_t
update_chunk(double *x, double *R, const double *v, size_t first, size_t m,
             const ff_sample_options *o, long i, int threads)
{
    int noise = o->sampler == FF_SAMPLER_LANGEVIN && i != o->steps - 1;
    size_t bad = SIZE_MAX;

    (void)threads;
#ifdef _OPENMP
#pragma omp parallel for num_threads(threads) schedule(static) \
    reduction(min : bad)
#endif
    for (size_t k = 0; k < m; k++) {
        const double *vk = &v[6 * k];
        size_t j = first + k;
        int finite = 1;
        for (int c = 0; c < 6; c++) {
            finite &= isfinite(vk[c]) != 0;
        }
        if (!finite) {
            bad = j < bad ? j : bad;
            continue;
        }
        double s[6];
        step_vector(s, vk, o, i, j, noise);
        apply_step(&x[3 * j], &R[9 * j], s);
    }
    return bad;
}

/* Evaluate the score chunk by chunk and move every sample by one step. */
static int
run_step(double *x, double *R, double *v, const ff_sample_options *o,
         long i, int threads, ff_sample_score_fn score, void *score_ctx,
         ff_error *err)
{
    double t = (double)(o->steps - i) / (double)o->steps + o->eps;

    for (size_t first = 0; first < o->count; first += o->batch) {
        size_t m = o->count - first < o->batch ? o->count - first : o->batch;
        // A step over many batches may take long: stop between them too.
        if (first > 0 && o->stop != NULL && *o->stop) {
            return ff_error_set(err, FF_STATUS_ERR_INTERRUPTED,
                                "sampling stopped in step %ld of %ld", i + 1,
                                o->steps);
        }
        ff_error inner;
        ff_error_clear(&inner);
        int rc = score(score_ctx, m, &x[3 * first], &R[9 * first], t, v,
                       &inner);
        if (rc < 0) {
            if (inner.message[0] == '\0') {
                return ff_error_set(err, rc,
                                    "score function failed at step %ld: %s",
                                    i, ff_status_name(rc));
            }
            return ff_error_set(err, rc, "%s", inner.message);
        }
        size_t bad = update_chunk(x, R, v, first, m, o, i, threads);
        if (bad != SIZE_MAX) {
            return ff_error_set(err, FF_STATUS_ERR_NUMERIC,
                                "the score of sample %zu is not finite at "
                                "step %ld (t = %g); the model may be damaged "
                                "or the step size too large",
                                bad, i, t);
        }
    }
    return 0;
}

int
ff_sample_run(ff_pose *out, const ff_sample_options *opts,
              ff_sample_score_fn score, void *score_ctx, ff_error *err)
{
    int rc = check_options(opts, err);
    if (rc < 0) {
        return rc;
    }

    size_t n = opts->count;
    size_t chunk = opts->batch < n ? opts->batch : n;
    double *x = malloc(n * 3 * sizeof *x);
    double *R = malloc(n * 9 * sizeof *R);
    double *v = malloc(chunk * 6 * sizeof *v);
    if (x == NULL || R == NULL || v == NULL) {
        rc = ff_error_set(err, FF_STATUS_ERR_NOMEM,
                          "out of memory for %zu samples", n);
        goto done;
    }

    int threads = thread_count(opts);
    draw_start(x, R, n, opts->seed, threads);
    for (long i = 0; i < opts->steps; i++) {
        if (opts->stop != NULL && *opts->stop) {
            rc = ff_error_set(err, FF_STATUS_ERR_INTERRUPTED,
                              "sampling stopped at step %ld of %ld", i,
                              opts->steps);
            goto done;
        }
        rc = run_step(x, R, v, opts, i, threads, score, score_ctx, err);
        if (rc < 0) {
            goto done;
        }
        if (opts->progress != NULL) {
            opts->progress(opts->progress_ctx, i + 1, opts->steps);
        }
    }

    for (size_t j = 0; j < n; j++) {
        memcpy(out[j].x, &x[3 * j], sizeof out[j].x);
        memcpy(out[j].R, &R[9 * j], sizeof out[j].R);
    }

done:
    free(x);
    free(R);
    free(v);
    return rc;
}

void
ff_sample_to_angstrom(ff_pose *poses, size_t n, double scale,
                      const double center[3])
{
    for (size_t j = 0; j < n; j++) {
        for (int c = 0; c < 3; c++) {
            poses[j].x[c] = poses[j].x[c] / scale + center[c];
        }
    }
}
