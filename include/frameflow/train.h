/*
 * Training the score model by denoising score matching on SE(3).
 *
 * A training step draws a batch: for each sample a clean frame (x0, R0)
 * uniformly with replacement from the training frames, a time
 * t ~ U(eps, 1), noise e_x, e_r ~ N(0, I3), and the noisy pose
 * x = x0 + sigma e_x, R = R0 Exp(sigma e_r) with sigma = sigma(t) (see
 * ff_model_sigma). The loss of a sample is sigma^2 |v_pred - v_target|^2
 * summed over the 6 components, v_target from ff_train_score_target; the
 * step minimises the batch mean with AdamW.
 *
 * Random numbers come from the model's seed, keyed by (stream, step,
 * sample), so a run gives bit-identical models whatever the thread count,
 * and a run resumed from a saved model continues exactly as if it had not
 * stopped.
 *
 * Units: training frames are given in Angstrom; the trainer maps them to
 * model units with the centre and translation scale stored in the model.
 *
 * Threads: a trainer uses OpenMP threads inside each step. One trainer and
 * its model must not be used by two threads at once. The library never
 * prints: progress goes to a callback the caller registers.
 */
#ifndef FRAMEFLOW_TRAIN_H
#define FRAMEFLOW_TRAIN_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include <frameflow/common.h>
#include <frameflow/error.h>
#include <frameflow/model.h>
#include <frameflow/se3.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Return a 64-bit FNV-1a digest of n poses: the bytes of R (9 doubles) then
 * x (3 doubles) of each pose, little-endian. Equal frame sets in equal
 * order give equal digests, so a model can tell whether it is resumed on
 * the frames it was trained on.
 */
FF_API uint64_t ff_train_frames_digest(const ff_pose *poses, size_t n);

/*
 * Record in cfg what training on n poses (Angstrom) needs: the frame count,
 * their digest, and the centre: the centroid of the translations when
 * center is non-zero, the origin otherwise. Return 0, or
 * FF_STATUS_ERR_EMPTY when n is 0, FF_STATUS_ERR_INVALID when n exceeds
 * 2^32 - 1, or FF_STATUS_ERR_NUMERIC when a pose is not finite or a
 * translation lies beyond FF_FRAMES_COORD_MAX, with err filled.
 */
FF_API FF_WARN_UNUSED int ff_train_config_set_frames(ff_model_config *cfg,
                                                     const ff_pose *poses,
                                                     size_t n, int center,
                                                     ff_error *err);

/*
 * Compute the score target v (6: v_x, then v_r) of the noisy pose (x, R)
 * around the clean pose (x0, R0) at noise level sigma, the gradient of the
 * log-density -0.5 (|x - x0|^2 + |d|^2) / (sigma^2 + 1e-6) with
 * d = Log(R0^T R):
 *
 *   v_x = -(x - x0) / (sigma^2 + 1e-6)
 *   local chart:  v_r = -d / (sigma^2 + 1e-6)           (R Exp(delta))
 *   global chart: v_r = -Jl(w) d / (sigma^2 + 1e-6)     (R = Exp(w))
 */
FF_API void ff_train_score_target(double v[6], const double x[3],
                                  const double R[9], const double x0[3],
                                  const double R0[9], double sigma,
                                  int chart);

/* Settings a run may change; the model stores them. */
typedef struct ff_train_options {
    uint32_t batch;          /* samples per step, >= 1 */
    double learning_rate;    /* >= 0 */
    double weight_decay;     /* >= 0 */
} ff_train_options;

/* Fill opt with the settings stored in m. */
FF_API void ff_train_options_from_model(ff_train_options *opt,
                                        const ff_model *m);

/* What a training callback receives after each step. */
typedef struct ff_train_progress {
    uint64_t step;      /* steps the model has taken, this one included */
    uint64_t target;    /* the step ff_trainer_run stops at */
    double loss;        /* mean loss of this step's batch */
} ff_train_progress;

/*
 * A function called after every step of ff_trainer_run, while the model is
 * consistent (it may be saved). Return 0 to go on, or a negative status to
 * stop the run with that status.
 */
typedef int (*ff_train_callback)(const ff_train_progress *progress,
                                 void *user);

typedef struct ff_trainer ff_trainer;

/*
 * Create a trainer for model m on n poses (Angstrom). The poses must be
 * those recorded in m's configuration (count and digest, see
 * ff_train_config_set_frames); they are copied, in model units. opt, when
 * not NULL, replaces the model's stored settings (and is stored in it).
 * The trainer changes m at every step and must be freed before m. Return
 * it, to be freed with ff_trainer_free, or NULL with err filled:
 * FF_STATUS_ERR_EMPTY when n is 0, FF_STATUS_ERR_INVALID when opt is out
 * of range or the poses are not those m records, FF_STATUS_ERR_NOMEM. A
 * valid opt stays stored in m even when a later check fails.
 */
FF_API FF_WARN_UNUSED ff_trainer *ff_trainer_new(ff_model *m,
                                                 const ff_pose *poses,
                                                 size_t n,
                                                 const ff_train_options *opt,
                                                 ff_error *err);

/* Free a trainer (not its model); NULL is allowed. */
FF_API void ff_trainer_free(ff_trainer *tr);

/*
 * Take one step: draw the batch of step number config.step, update the
 * parameters and count the step. Return 0 and the batch's mean loss in
 * *loss (may be NULL), or FF_STATUS_ERR_NUMERIC with err filled, and the
 * model unchanged, when the loss or the gradient is not finite.
 */
FF_API FF_WARN_UNUSED int ff_trainer_step(ff_trainer *tr, double *loss,
                                          ff_error *err);

/*
 * Take steps until the model has taken target steps in all. Before each
 * step, stop (when not NULL) is read: non-zero ends the run early. After
 * each step, callback (when not NULL) is called. Return 0 when the target
 * is reached, FF_STATUS_ERR_INTERRUPTED (err filled) when stop ended the
 * run, the callback's negative status when it asked to stop, or a step's
 * failure. The model is left after a whole step in every case.
 */
FF_API FF_WARN_UNUSED int ff_trainer_run(ff_trainer *tr, uint64_t target,
                                         ff_train_callback callback,
                                         void *user,
                                         const volatile sig_atomic_t *stop,
                                         ff_error *err);

#ifdef __cplusplus
}
#endif

#endif
