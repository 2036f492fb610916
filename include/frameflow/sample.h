/*
 * Sampling frames by following a score: annealed Langevin dynamics on SE(3).
 *
 * The sampler knows nothing of networks. It calls a score function that
 * returns, for n poses at one time t, the 6-vectors v = (v_x, v_r): the
 * gradient of the log-density of the noised distribution with respect to
 * the translation and to a right perturbation R Exp(delta) of the rotation.
 * A trained model is one such function; an exact score of a known
 * distribution is another, which is how the sampler is tested.
 *
 * Starting from x ~ N(0, I3) and R uniform on SO(3), step i = 0 .. T-1 does
 *
 *     k = (T - i) / T + eps
 *     v = score(x, R, k)
 *     s = v dt                         (naive scaling)
 *       or (v_x dt, dt wrap(v_r))     (geodesic scaling)
 *     Langevin, i != T - 1:  s += sqrt(2 dt) z,  z ~ N(0, I6), where
 *       geodesic scaling also wraps z_r before multiplying by sqrt(2 dt)
 *     x = x + s_x,  R = orthonormalize(R Exp(s_r))
 *
 * wrap(w) is the rotation vector of Exp(w) on the principal branch
 * (|w'| <= pi). The follow sampler leaves the noise out.
 *
 * Units: translations in model units (the sampler does not know the
 * Angstrom scale; ff_sample_to_angstrom maps the result back). Rotations
 * are row-major double[9] as in so3.h.
 *
 * Random numbers come from ff_rng keyed by (seed, FF_RNG_STREAM_SAMPLER,
 * step, sample): step 0 draws the start, step i + 1 the noise of step i, so
 * a seed gives the same samples bit for bit whatever the thread count and
 * the batch size, as long as the score of a pose does not depend on the
 * other poses of a call (a model's does not). Memory is O(count),
 * independent of the number of steps.
 *
 * Functions here allocate only what they free before returning; the caller
 * owns every array it passes.
 *
 * Threads: ff_sample_run keeps no state between calls, so runs with their
 * own out arrays and options may go on in parallel threads when their
 * score functions allow it. It calls score and progress from the calling
 * thread only, and runs OpenMP threads in the pose updates.
 */
#ifndef FRAMEFLOW_SAMPLE_H
#define FRAMEFLOW_SAMPLE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include <frameflow/common.h>
#include <frameflow/error.h>
#include <frameflow/se3.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Evaluate the score of n poses at time t. x is n x 3 (model units), R is
 * n x 9 (row-major rotations), v receives n x 6 numbers: v_x then v_r, the
 * full score (already divided by sigma(t)^2 for a model). Return 0, or a
 * negative ff_status with err filled. The sampler calls it from one thread
 * at a time, with n at most the batch size of ff_sample_options.
 */
typedef int (*ff_sample_score_fn)(void *ctx, size_t n, const double *x,
                                  const double *R, double t, double *v,
                                  ff_error *err);

/*
 * Receive the progress of a run: done steps out of total, called from the
 * calling thread after every step.
 */
typedef void (*ff_sample_progress_fn)(void *ctx, long done, long total);

typedef enum ff_sampler {
    FF_SAMPLER_LANGEVIN = 0,  /* follow the score and add noise */
    FF_SAMPLER_FOLLOW = 1     /* follow the score without noise */
} ff_sampler;

/* Defaults of ff_sample_options_default, also printed by the program. */
#define FF_SAMPLE_DEFAULT_STEPS 1000
#define FF_SAMPLE_DEFAULT_DT 1e-3
#define FF_SAMPLE_DEFAULT_EPS 1e-3
#define FF_SAMPLE_DEFAULT_BATCH 1000

/* Largest number of steps: the step counter of the random numbers is
 * 32 bits wide and step 0 is the start. */
#define FF_SAMPLE_MAX_STEPS 100000000L

typedef struct ff_sample_options {
    size_t count;        /* samples to draw, at least 1 */
    long steps;          /* T, from 1 to FF_SAMPLE_MAX_STEPS */
    double dt;           /* step size, finite and > 0 */
    double eps;          /* time offset: the last step runs at 1/T + eps */
    int sampler;         /* an ff_sampler */
    int geodesic_scale;  /* nonzero: wrap rotation parts before scaling */
    uint64_t seed;
    size_t batch;        /* poses per score call, at least 1 */
    int threads;         /* OpenMP threads of the pose updates; 0: default */
    ff_sample_progress_fn progress;  /* may be NULL */
    void *progress_ctx;
    /* When not NULL and nonzero at the start of a step, the run stops with
     * FF_STATUS_ERR_INTERRUPTED. */
    const volatile sig_atomic_t *stop;
} ff_sample_options;

/* Fill opts with the defaults: 1000 samples, 1000 steps, dt 1e-3, eps 1e-3,
 * Langevin, naive scaling, seed 0, batch 1000, default threads. */
FF_API void ff_sample_options_default(ff_sample_options *opts);

/*
 * Draw opts->count samples into out (count poses, model units) by the
 * scheme above.
 *
 * Return 0; FF_STATUS_ERR_INVALID for options out of range;
 * FF_STATUS_ERR_NOMEM; FF_STATUS_ERR_NUMERIC when the score is not finite;
 * FF_STATUS_ERR_INTERRUPTED when *opts->stop was set; or the status the
 * score function returned. err is filled on failure, and out then holds no
 * meaningful poses.
 */
FF_API FF_WARN_UNUSED int ff_sample_run(ff_pose *out,
                                        const ff_sample_options *opts,
                                        ff_sample_score_fn score,
                                        void *score_ctx, ff_error *err);

/*
 * Map n poses from model units to Angstrom in place: x = x / scale + center.
 * scale must be nonzero.
 */
FF_API void ff_sample_to_angstrom(ff_pose *poses, size_t n, double scale,
                                  const double center[3]);

#ifdef __cplusplus
}
#endif

#endif
