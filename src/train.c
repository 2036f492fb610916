#include "frameflow/train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "frameflow/frames.h"
#include "frameflow/rng.h"
#include "frameflow/so3.h"

#include "adamw.h"
#include "errors.h"
#include "mathfn.h"
#include "model_internal.h"
#include "network.h"
#include "rng_batch.h"

/* Added to sigma^2 in the score target, as the tutorial does, so that the
 * target stays finite for the smallest times. */
#define TARGET_VARIANCE_FLOOR 1e-6

/*
 * Rows of the trainer's noise table, each batch long. A sample's noise
 * stream gives, in this order, the uniform of its time and the two
 * uniforms (u1, u2) of each of three Box-Muller pairs. The pairs' normals
 * go, in the order ff_rng_normal returns them, to the translation (3) and
 * then to the rotation's tangent vector (3).
 */
enum {
    NOISE_TIME,
    NOISE_PAIRS,                         /* u1, u2 of pair p: 1 + 2p, 2 + 2p */
    NOISE_UNIFORMS = NOISE_PAIRS + 6,    /* rows drawn from the stream */
    NOISE_NORMAL = NOISE_UNIFORMS,       /* six rows: normals 0..5 */
    NOISE_ROWS = NOISE_NORMAL + 6
};

struct ff_trainer {
    ff_model *model;
    size_t frame_count;
    double *x0;        /* frame_count x 3, model units */
    double *R0;        /* frame_count x 9 */
    int batch;
    double *target;    /* batch x 6: score targets */
    double *variance;  /* batch: sigma^2 */
    double *losses;    /* batch: per-sample losses */
    uint32_t *pick;    /* batch: index of each sample's clean frame */
    double *noise;     /* NOISE_ROWS x batch: uniforms, then normals */
    float *grad;       /* param_count: gradient block */
    ff_network grad_net;  /* bound to grad */
    ff_network_work work;
};

uint64_t
ff_train_frames_digest(const ff_pose *poses, size_t n)
{
    const uint64_t fnv_offset = 14695981039346656037ull;
    const uint64_t fnv_prime = 1099511628211ull;
    uint64_t h = fnv_offset;

    for (size_t i = 0; i < n; i++) {
        double values[12];
        memcpy(values, poses[i].R, sizeof poses[i].R);
        memcpy(values + 9, poses[i].x, sizeof poses[i].x);
        for (int j = 0; j < 12; j++) {
            uint64_t bits;
            memcpy(&bits, &values[j], sizeof bits);
            for (int b = 0; b < 8; b++) {
                h ^= (bits >> (8 * b)) & 0xffu;
                h *= fnv_prime;
            }
        }
    }
    return h;
}

int
ff_train_config_set_frames(ff_model_config *cfg, const ff_pose *poses,
                           size_t n, int center, ff_error *err)
{
    if (n == 0) {
        return ff_error_set(err, FF_STATUS_ERR_EMPTY,
                            "no training frames; give structures or frames "
                            "files that contain residues");
    }
    if (n > UINT32_MAX) {
        return ff_error_set(err, FF_STATUS_ERR_INVALID,
                            "%zu training frames are more than the %u "
                            "supported", n, UINT32_MAX);
    }

    double sum[3] = {0.0, 0.0, 0.0};
    for (size_t i = 0; i < n; i++) {
        for (int j = 0; j < 9; j++) {
            if (!isfinite(poses[i].R[j])) {
                return ff_error_set(err, FF_STATUS_ERR_NUMERIC,
                                    "training frame %zu has a non-finite "
                                    "rotation", i + 1);
            }
        }
        for (int j = 0; j < 3; j++) {
            if (!isfinite(poses[i].x[j])) {
                return ff_error_set(err, FF_STATUS_ERR_NUMERIC,
                                    "training frame %zu has a non-finite "
                                    "position", i + 1);
            }
            // Far beyond any structure, a position overflows the float
            // inputs of the network and turns the weights into NaN.
            if (fabs(poses[i].x[j]) > FF_FRAMES_COORD_MAX) {
                return ff_error_set(err, FF_STATUS_ERR_NUMERIC,
                                    "training frame %zu has the coordinate "
                                    "%g Angstrom, beyond the %g of any "
                                    "structure",
                                    i + 1, poses[i].x[j],
                                    FF_FRAMES_COORD_MAX);
            }
            sum[j] += poses[i].x[j];
        }
    }

    for (int j = 0; j < 3; j++) {
        cfg->center[j] = center ? sum[j] / (double)n : 0.0;
    }
    cfg->frame_count = n;
    cfg->frame_digest = ff_train_frames_digest(poses, n);
    return 0;
}

void
ff_train_score_target(double v[6], const double x[3], const double R[9],
                      const double x0[3], const double R0[9], double sigma,
                      int chart)
{
    double var = sigma * sigma + TARGET_VARIANCE_FLOOR;
    double R0t[9];
    double rel[9];
    double d[3];

    for (int i = 0; i < 3; i++) {
        v[i] = -(x[i] - x0[i]) / var;
    }
    ff_so3_inverse(R0t, R0);
    ff_so3_compose(rel, R0t, R);
    ff_so3_log(d, rel);

    if (chart == FF_SCORE_CHART_GLOBAL) {
        // d/dw of Log(R0^T Exp(w)) is Jr(d)^-1 Jr(w); transposed and
        // applied to d it gives Jl(w) Jl(d)^-1 d = Jl(w) d.
        double w[3];
        double J[9];
        double Jd[3];
        ff_so3_log(w, R);
        ff_so3_jl(J, w);
        ff_so3_act(Jd, J, d);
        for (int i = 0; i < 3; i++) {
            v[3 + i] = -Jd[i] / var;
        }
        return;
    }
    // Jr(d)^-T d = Jl(d)^-1 d = d: the local chart needs no Jacobian.
    for (int i = 0; i < 3; i++) {
        v[3 + i] = -d[i] / var;
    }
}

void
ff_train_options_from_model(ff_train_options *opt, const ff_model *m)
{
    opt->batch = m->config.batch;
    opt->learning_rate = m->config.learning_rate;
    opt->weight_decay = m->config.weight_decay;
}

/* Check that the frames are the ones the model records, and copy them in
 * model units. */
static int
load_frames(ff_trainer *tr, const ff_pose *poses, size_t n, ff_error *err)
{
    const ff_model_config *c = &tr->model->config;

    if (n == 0) {
        return ff_error_set(err, FF_STATUS_ERR_EMPTY,
                            "no training frames; give structures or frames "
                            "files that contain residues");
    }
    if (n != c->frame_count || ff_train_frames_digest(poses, n)
                               != c->frame_digest) {
        return ff_error_set(err, FF_STATUS_ERR_INVALID,
                            "the %zu training frames differ from the %llu "
                            "the model was set up for; resume with the same "
                            "inputs and selection", n,
                            (unsigned long long)c->frame_count);
    }

    tr->x0 = malloc(n * 3 * sizeof(double));
    tr->R0 = malloc(n * 9 * sizeof(double));
    if (tr->x0 == NULL || tr->R0 == NULL) {
        return ff_error_set(err, FF_STATUS_ERR_NOMEM,
                            "out of memory for %zu training frames", n);
    }
    for (size_t i = 0; i < n; i++) {
        for (int j = 0; j < 3; j++) {
            tr->x0[3 * i + j] = (poses[i].x[j] - c->center[j])
                                * c->translation_scale;
        }
        memcpy(tr->R0 + 9 * i, poses[i].R, sizeof poses[i].R);
    }
    tr->frame_count = n;
    return 0;
}

/* Store opt in the model after checking it. */
static int
apply_options(ff_model *m, const ff_train_options *opt, ff_error *err)
{
    ff_model_config cfg = m->config;

    cfg.batch = opt->batch;
    cfg.learning_rate = opt->learning_rate;
    cfg.weight_decay = opt->weight_decay;
    if (opt->batch > (uint32_t)INT32_MAX / 256) {
        return ff_error_set(err, FF_STATUS_ERR_INVALID,
                            "batch size %u is too large; the most is %d",
                            opt->batch, INT32_MAX / 256);
    }
    int status = ff_model_config_check(&cfg, "training options", err);
    if (status != 0) {
        return status;
    }
    // Decoupled weight decay multiplies every weight by 1 - lr wd per
    // step, so at 0 or below it wipes out or flips the weights.
    if (cfg.learning_rate * cfg.weight_decay >= 1.0) {
        return ff_error_set(err, FF_STATUS_ERR_INVALID,
                            "learning rate %g times weight decay %g is %g; "
                            "at 1 or more each step wipes out or flips the "
                            "weights, so lower either", cfg.learning_rate,
                            cfg.weight_decay,
                            cfg.learning_rate * cfg.weight_decay);
    }
    m->config = cfg;
    return 0;
}

ff_trainer *
ff_trainer_new(ff_model *m, const ff_pose *poses, size_t n,
               const ff_train_options *opt, ff_error *err)
{
    ff_trainer *tr = calloc(1, sizeof *tr);

    if (tr == NULL) {
        ff_error_set(err, FF_STATUS_ERR_NOMEM, "out of memory for a trainer");
        return NULL;
    }
    tr->model = m;
    if (opt != NULL && apply_options(m, opt, err) != 0) {
        goto fail;
    }
    if (load_frames(tr, poses, n, err) != 0) {
        goto fail;
    }

    tr->batch = (int)m->config.batch;
    size_t b = (size_t)tr->batch;
    tr->target = malloc(b * 6 * sizeof(double));
    tr->variance = malloc(b * sizeof(double));
    tr->losses = malloc(b * sizeof(double));
    tr->pick = malloc(b * sizeof(uint32_t));
    tr->noise = malloc(b * NOISE_ROWS * sizeof(double));
    tr->grad = calloc(m->param_count, sizeof(float));
    if (tr->target == NULL || tr->variance == NULL || tr->losses == NULL
        || tr->pick == NULL || tr->noise == NULL || tr->grad == NULL
        || ff_network_work_init(&tr->work, &m->net, tr->batch, 1) != 0) {
        ff_error_set(err, FF_STATUS_ERR_NOMEM,
                     "out of memory for training with batch size %d",
                     tr->batch);
        goto fail;
    }
    ff_network_bind(&tr->grad_net, m->config.arch, tr->grad);
    return tr;

fail:
    ff_trainer_free(tr);
    return NULL;
}

void
ff_trainer_free(ff_trainer *tr)
{
    if (tr == NULL) {
        return;
    }
    free(tr->x0);
    free(tr->R0);
    free(tr->target);
    free(tr->variance);
    free(tr->losses);
    free(tr->pick);
    free(tr->noise);
    free(tr->grad);
    ff_network_work_free(&tr->work);
    free(tr);
}

/* Row r of the noise table, at sample i. */
static double *
noise_at(const ff_trainer *tr, int r, int i)
{
    return tr->noise + (size_t)r * (size_t)tr->batch + (size_t)i;
}

/*
 * Draw samples [begin, end) of the batch of step step: network input,
 * time, score target and sigma^2. Each sample has its own random streams,
 * so any block of rows gives the same samples. The uniforms and the
 * normals made from them are computed eight samples at a time, each equal
 * to what ff_rng_uniform and ff_rng_normal return for the same stream.
 * The rest is built sample by sample.
 */
static void
draw_rows(ff_trainer *tr, uint32_t step, int begin, int end)
{
    const ff_model_config *c = &tr->model->config;

    if (end > begin) {
        ff_rng_batch_below(tr->pick + begin, (uint32_t)tr->frame_count,
                           c->seed, FF_RNG_STREAM_BATCH, step,
                           (uint32_t)begin, end - begin);
        ff_rng_batch_uniforms(noise_at(tr, 0, begin), (size_t)tr->batch,
                              NOISE_UNIFORMS, c->seed, FF_RNG_STREAM_NOISE,
                              step, (uint32_t)begin, end - begin);
    }

    for (int p = 0; p < 3; p++) {
        const double *u1 = noise_at(tr, NOISE_PAIRS + 2 * p, 0);
        const double *u2 = noise_at(tr, NOISE_PAIRS + 2 * p + 1, 0);
        double *first = noise_at(tr, NOISE_NORMAL + 2 * p, 0);
        double *second = noise_at(tr, NOISE_NORMAL + 2 * p + 1, 0);
        int i = begin;
#if defined(__AVX512F__) && defined(__AVX512VL__)
        for (; i + 8 <= end; i += 8) {
            __m512d f;
            __m512d sv;
            ff_mathfn_box_muller8(&f, &sv, _mm512_loadu_pd(u1 + i),
                                  _mm512_loadu_pd(u2 + i));
            _mm512_storeu_pd(first + i, f);
            _mm512_storeu_pd(second + i, sv);
        }
#endif
        for (; i < end; i++) {
            ff_mathfn_box_muller(first + i, second + i, u1[i], u2[i]);
        }
    }

    for (int i = begin; i < end; i++) {
        const double *x0 = tr->x0 + 3 * (size_t)tr->pick[i];
        const double *R0 = tr->R0 + 9 * (size_t)tr->pick[i];
        double t = c->eps + (1.0 - c->eps) * *noise_at(tr, NOISE_TIME, i);
        double sigma = ff_model_sigma(c->schedule_base, t);
        double x[3];
        double e[3];
        double E[9];
        double R[9];

        // As ff_rng_rotation_tangent_gaussian draws the rotation.
        for (int j = 0; j < 3; j++) {
            x[j] = x0[j] + sigma * *noise_at(tr, NOISE_NORMAL + j, i);
            e[j] = sigma * *noise_at(tr, NOISE_NORMAL + 3 + j, i);
        }
        ff_so3_exp(E, e);
        ff_so3_compose(R, R0, E);

        float *row = tr->work.input + (size_t)i * FF_NETWORK_INPUT;
        for (int j = 0; j < 3; j++) {
            row[j] = (float)x[j];
        }
        for (int j = 0; j < 9; j++) {
            row[3 + j] = (float)R[j];
        }
        tr->work.t[i] = t;
        tr->variance[i] = sigma * sigma;
        ff_train_score_target(tr->target + 6 * (size_t)i, x, R, x0, R0,
                              sigma, c->score_chart);
    }
}

/*
 * For rows [begin, end): compute each sample's loss
 * sigma^2 |out / sigma^2 - target|^2 and the gradient of the batch mean
 * with respect to the raw output, 2 (out / sigma^2 - target) / batch.
 */
static void
loss_rows(ff_trainer *tr, int begin, int end)
{
    const float *out = tr->work.act[tr->model->net.layer_count - 1];
    int b = tr->batch;

    for (int i = begin; i < end; i++) {
        double var = tr->variance[i];
        double sum = 0.0;
        for (int j = 0; j < 6; j++) {
            size_t k = 6 * (size_t)i + (size_t)j;
            double diff = (double)out[k] / var - tr->target[k];
            sum += diff * diff;
            tr->work.dout[k] = (float)(2.0 * diff / b);
        }
        tr->losses[i] = var * sum;
    }
}

/* Return the mean of the per-sample losses, summed in order. */
static double
mean_loss(const ff_trainer *tr)
{
    double total = 0.0;

    for (int i = 0; i < tr->batch; i++) {
        total += tr->losses[i];
    }
    return total / tr->batch;
}

/*
 * Return whether every gradient value at g is finite and below 2^63 in
 * magnitude, so that its square, which AdamW adds to the second moment,
 * stays finite in float.
 */
static int
gradient_usable(const float *g, size_t n)
{
    // The exponent bits of 2^63 and above, NaN and infinity included, are
    // at least 127 + 63. The loop has no early exit, so that it runs on
    // whole vectors.
    const uint32_t limit = (127u + 63u) << 23;
    uint32_t bad = 0;

    for (size_t i = 0; i < n; i++) {
        uint32_t bits;
        memcpy(&bits, g + i, sizeof bits);
        bad |= (uint32_t)((bits & 0x7f800000u) >= limit);
    }
    return bad == 0;
}

/* Return this thread's share [*first, *last) of n parameters. */
static void
parameter_share(size_t n, size_t *first, size_t *last)
{
#ifdef _OPENMP
    size_t part = (size_t)omp_get_thread_num();
    size_t parts = (size_t)omp_get_num_threads();
#else
    size_t part = 0;
    size_t parts = 1;
#endif

    *first = n * part / parts;
    *last = n * (part + 1) / parts;
}

int
ff_trainer_step(ff_trainer *tr, double *loss, ff_error *err)
{
    ff_model *m = tr->model;
    uint64_t step = m->config.step;
    ff_adamw opt = {m->config.learning_rate, m->config.beta1,
                    m->config.beta2, m->config.adam_eps,
                    m->config.weight_decay};
    double mean = 0.0;
    int bad_gradient = 0;

    if (step >= UINT32_MAX) {
        return ff_error_set(err, FF_STATUS_ERR_INVALID,
                            "the model has taken %llu steps, the most this "
                            "version can count", (unsigned long long)step);
    }

    // One parallel region for the whole step: each thread draws, runs
    // forward and scores its own block of rows; the backward pass and the
    // optimiser share the work out, with barriers only where the weight
    // gradients need every row.
#pragma omp parallel if ((double)tr->batch * ff_network_macs(&m->net) > 1e6)
    {
        int begin = 0;
        int end = 0;
        size_t first = 0;
        size_t last = 0;

        parameter_share(m->param_count, &first, &last);
        memset(tr->grad + first, 0, (last - first) * sizeof(float));
        ff_network_pack_team(&tr->work, &m->net);

        ff_network_rows(tr->batch, &begin, &end);
        draw_rows(tr, (uint32_t)step, begin, end);
        ff_network_forward_rows(&tr->work, &m->net, m->fourier, begin, end,
                                0);
        loss_rows(tr, begin, end);
        ff_network_backward_team(&tr->grad_net, &tr->work, &m->net,
                                 tr->batch, begin, end);
#pragma omp barrier

        // A gradient that is not finite would make the weights NaN, often
        // while the loss still looks finite, and one whose square
        // overflows would make the second moment infinite and stall the
        // update, so no thread updates then.
        if (!gradient_usable(tr->grad + first, last - first)) {
#pragma omp atomic write
            bad_gradient = 1;
        }
#pragma omp barrier
        int skip;
#pragma omp atomic read
        skip = bad_gradient;

        // Every thread sums the losses in the same order, so all agree on
        // whether the step may update the parameters.
        double thread_mean = mean_loss(tr);
        if (isfinite(thread_mean) && !skip) {
            ff_adamw_update(m->params, m->adam_m, m->adam_v, tr->grad, first,
                            last, step + 1, &opt);
        }
#pragma omp single nowait
        mean = thread_mean;
    }

    if (!isfinite(mean)) {
        return ff_error_set(err, FF_STATUS_ERR_NUMERIC,
                            "the training loss is not finite at step %llu; "
                            "lower the learning rate, the weight decay or "
                            "the translation scale",
                            (unsigned long long)step + 1);
    }
    if (bad_gradient) {
        return ff_error_set(err, FF_STATUS_ERR_NUMERIC,
                            "the gradient overflows at step %llu (a value "
                            "is NaN, infinite or beyond 2^63); lower the "
                            "learning rate, the weight decay or the "
                            "translation scale",
                            (unsigned long long)step + 1);
    }
    m->config.step = step + 1;
    if (loss != NULL) {
        *loss = mean;
    }
    return 0;
}

int
ff_trainer_run(ff_trainer *tr, uint64_t target, ff_train_callback callback,
               void *user, const volatile sig_atomic_t *stop, ff_error *err)
{
    while (tr->model->config.step < target) {
        if (stop != NULL && *stop) {
            return ff_error_set(err, FF_STATUS_ERR_INTERRUPTED,
                                "training stopped at step %llu of %llu",
                                (unsigned long long)tr->model->config.step,
                                (unsigned long long)target);
        }
        double loss = 0.0;
        int status = ff_trainer_step(tr, &loss, err);
        if (status != 0) {
            return status;
        }
        if (callback != NULL) {
            ff_train_progress p = {tr->model->config.step, target, loss};
            status = callback(&p, user);
            if (status != 0) {
                return status;
            }
        }
    }
    return 0;
}
