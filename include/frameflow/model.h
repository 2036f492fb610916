/*
 * The score model: a trained network with its configuration, read from and
 * written to a model file, and evaluated on batches of poses.
 *
 * Units: a model works in model units, translations centred on
 * config.center (Angstrom) and multiplied by config.translation_scale:
 * x_model = (x_angstrom - center) * translation_scale. Rotations are
 * row-major 3x3 matrices (see so3.h). The network computes in float32; the
 * interface takes and returns doubles.
 *
 * Scores: ff_model_eval_score returns v = (v_x, v_r), the network output
 * divided by sigma(t)^2 with sigma(t) = sqrt((s^(2t) - 1) / (2 ln s)) and
 * s = config.schedule_base. v_r is a tangent vector in the chart that
 * config.score_chart names: with the local chart, R Exp(dt v_r) moves R
 * along the score.
 *
 * Threads: an ff_model may be read by any number of threads at once (for
 * example through one ff_model_eval each) while nothing trains or frees
 * it. An ff_model_eval belongs to one thread at a time. Evaluation runs
 * OpenMP threads inside its matrix products.
 */
#ifndef FRAMEFLOW_MODEL_H
#define FRAMEFLOW_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include <frameflow/common.h>
#include <frameflow/error.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ff_model_arch {
    FF_MODEL_ARCH_SMALL = 0,  /* 3 dense layers after the embeddings */
    FF_MODEL_ARCH_DEEP = 1    /* a trunk and a head of 6 layers each */
} ff_model_arch;

typedef enum ff_score_chart {
    FF_SCORE_CHART_LOCAL = 0,   /* v_r = -d / (sigma^2 + 1e-6),
                                   d = Log(R0^T R) (right perturbation) */
    FF_SCORE_CHART_GLOBAL = 1   /* v_r = -Jl(w) d / (sigma^2 + 1e-6),
                                   w = Log(R) (the tutorial's chart) */
} ff_score_chart;

/* Dense layers after the embeddings, at most (deep has 12). */
#define FF_MODEL_MAX_LAYERS 12

typedef struct ff_model_config {
    /* Architecture. */
    int arch;                /* an ff_model_arch */
    int embed_width;         /* pose and time embedding width: 128 */
    int fourier_count;       /* Fourier frequencies: 64 (128 features) */
    int layer_count;         /* dense layers after the embeddings */
    int layer_in[FF_MODEL_MAX_LAYERS];   /* their input widths */
    int layer_out[FF_MODEL_MAX_LAYERS];  /* their output widths */
    uint64_t param_count;    /* trained parameters (floats) */

    /* Noise schedule and units. */
    double schedule_base;    /* s of sigma(t); 0.5 */
    double eps;              /* smallest time; 1e-3 */
    double translation_scale;  /* model units per Angstrom; 0.1 */
    double center[3];        /* Angstrom; subtracted before scaling */
    int score_chart;         /* an ff_score_chart */

    /* Training state and provenance. */
    uint64_t seed;           /* for weights, batches and noise */
    uint64_t step;           /* optimiser steps taken */
    uint64_t frame_count;    /* training frames */
    uint64_t frame_digest;   /* ff_train_frames_digest of them */

    /* Optimiser settings (AdamW), kept so that a resumed run goes on with
     * the same ones. */
    uint32_t batch;          /* samples per step; 1000 */
    double learning_rate;    /* 5e-4 */
    double weight_decay;     /* decoupled, PyTorch's AdamW; 0.01 */
    double beta1;            /* 0.9 */
    double beta2;            /* 0.999 */
    double adam_eps;         /* 1e-8 */
} ff_model_config;

typedef struct ff_model ff_model;
typedef struct ff_model_eval ff_model_eval;

/*
 * Fill cfg with the defaults for arch: the widths of that architecture,
 * schedule base 0.5, eps 1e-3, translation scale 0.1, centre 0, local
 * chart, seed 0, step 0, no frames, batch 1000 and PyTorch's AdamW with
 * learning rate 5e-4 and weight decay 0.01. Return 0, or
 * FF_STATUS_ERR_INVALID for an unknown arch (cfg is then zeroed).
 */
FF_API int ff_model_config_default(ff_model_config *cfg, int arch);

/* Return the name of an architecture ("small", "deep"), a static string,
 * or NULL for an unknown arch. */
FF_API const char *ff_model_arch_name(int arch);

/* Return the name of a score chart ("local", "global"), a static string,
 * or NULL for an unknown chart. */
FF_API const char *ff_score_chart_name(int chart);

/*
 * Return sigma(t) = sqrt((base^(2t) - 1) / (2 ln base)), the noise level of
 * time t for schedule base base (0 < base, base != 1). Nothing is
 * checked: a base outside that range gives NaN or infinity.
 */
FF_API double ff_model_sigma(double base, double t);

/*
 * Create a model from cfg with fresh weights drawn from cfg->seed, as
 * PyTorch initialises nn.Linear, zero optimiser moments and step 0. The
 * widths in cfg must be those of cfg->arch (ff_model_config_default writes
 * them). Return the model, to be freed with ff_model_free, or NULL with err
 * filled: FF_STATUS_ERR_INVALID when cfg is invalid, FF_STATUS_ERR_NOMEM
 * when memory runs out. cfg is copied and stays the caller's.
 */
FF_API FF_WARN_UNUSED ff_model *ff_model_new(const ff_model_config *cfg,
                                             ff_error *err);

/*
 * Read a model file. Return the model, to be freed with ff_model_free, or
 * NULL with err filled: FF_STATUS_ERR_IO when the file cannot be read,
 * FF_STATUS_ERR_FORMAT for a wrong magic, a truncated file, impossible
 * sizes, an invalid header field or a weight, frequency or optimiser moment
 * that is NaN or infinite, FF_STATUS_ERR_VERSION for an unsupported format
 * version,
 * FF_STATUS_ERR_CHECKSUM when the stored CRC32 does not match and
 * FF_STATUS_ERR_NOMEM.
 */
FF_API FF_WARN_UNUSED ff_model *ff_model_load(const char *path,
                                              ff_error *err);

/*
 * Return 1 when path starts with the model file's magic bytes, 0 when it
 * does not (a shorter file included), or FF_STATUS_ERR_IO with err filled
 * when it cannot be read or is a pipe or device, which the probe would
 * consume. Only the first bytes are read.
 */
FF_API FF_WARN_UNUSED int ff_model_probe(const char *path, ff_error *err);

/*
 * Write the model, optimiser state included, to path: to a temporary file
 * beside it first, renamed into place once complete. Return 0, or
 * FF_STATUS_ERR_IO, FF_STATUS_ERR_NOMEM or FF_STATUS_ERR_NUMERIC with err
 * filled. FF_STATUS_ERR_NUMERIC means a weight, frequency or optimiser
 * moment is NaN or infinite, which ff_model_load would reject. On failure
 * path is left as it was. m is only read, so evaluators may run meanwhile.
 */
FF_API FF_WARN_UNUSED int ff_model_save(const ff_model *m, const char *path,
                                        ff_error *err);

/* Free a model; NULL is allowed. */
FF_API void ff_model_free(ff_model *m);

/* Return the model's configuration, owned by the model. */
FF_API const ff_model_config *ff_model_get_config(const ff_model *m);

/*
 * Create an evaluator for batches of up to max_batch poses (max_batch >=
 * 1). Each call reads the model's parameters as they are then, so steps
 * trained between calls take effect, and m must outlive the evaluator.
 * Return it, to be freed with ff_model_eval_free, or NULL with err filled:
 * FF_STATUS_ERR_INVALID when max_batch is 0 or above INT32_MAX / 256,
 * FF_STATUS_ERR_NOMEM.
 */
FF_API FF_WARN_UNUSED ff_model_eval *ff_model_eval_new(const ff_model *m,
                                                       size_t max_batch,
                                                       ff_error *err);

/* Free an evaluator; NULL is allowed. */
FF_API void ff_model_eval_free(ff_model_eval *ev);

/*
 * Evaluate the score of n poses at time t: x (n x 3, model units) and R
 * (n x 9, row-major) in; v (n x 6: v_x, then v_r) out, already divided by
 * sigma(t)^2. Return 0, or FF_STATUS_ERR_INVALID when n exceeds the
 * evaluator's max_batch or t is not a positive finite number. v must not
 * alias x or R. The result of one row does not depend on the other rows or
 * on the thread count.
 */
FF_API FF_WARN_UNUSED int ff_model_eval_score(ff_model_eval *ev, size_t n,
                                              const double *x,
                                              const double *R, double t,
                                              double *v);

#ifdef __cplusplus
}
#endif

#endif
