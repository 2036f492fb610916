#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "frameflow/model.h"
#include "frameflow/rng.h"
#include "frameflow/so3.h"
#include "model_internal.h"
#include "network.h"
#include "testutil.h"

/*
 * An independent double-precision copy of the score network, written from
 * the architecture's description (network.h) with plain loops and libm.
 * It reads the parameters through their offsets in the block, so the
 * whole-model gradient can be checked against central differences in
 * double.
 */
typedef struct reference {
    const ff_network *net;
    const float *block;    /* the float parameters, for offsets */
    double *params;        /* double copy of the block */
    double fourier[FF_NETWORK_FOURIER];
} reference;

static size_t
offset_of(const reference *ref, const float *p)
{
    return (size_t)(p - ref->block);
}

/* y = W x + b for one sample, with the layer's parameters in double. */
static void
ref_linear(const reference *ref, const ff_nn_linear *layer, double *y,
           const double *x)
{
    const double *w = ref->params + offset_of(ref, layer->weight);
    const double *b = ref->params + offset_of(ref, layer->bias);

    for (int j = 0; j < layer->out; j++) {
        double sum = b[j];
        for (int p = 0; p < layer->in; p++) {
            sum += w[(size_t)j * layer->in + p] * x[p];
        }
        y[j] = sum;
    }
}

static double
ref_silu(double z)
{
    return z / (1.0 + exp(-z));
}

/* Run the reference network on one sample: input (12), time t, output
 * (6, before the division by sigma^2). */
static void
ref_forward(const reference *ref, const double *input, double t, double *out)
{
    const ff_network *net = ref->net;
    double features[2 * FF_NETWORK_FOURIER];
    double time[FF_NETWORK_EMBED];
    double cat[2 * FF_NETWORK_EMBED];
    double a[256];
    double b[256];

    for (int j = 0; j < FF_NETWORK_FOURIER; j++) {
        double angle = 2.0 * M_PI * t * ref->fourier[j];
        features[j] = sin(angle);
        features[FF_NETWORK_FOURIER + j] = cos(angle);
    }
    ref_linear(ref, &net->time, time, features);
    ref_linear(ref, &net->pose, cat, input);
    for (int j = 0; j < FF_NETWORK_EMBED; j++) {
        cat[j] = ref_silu(cat[j]);
        time[j] = ref_silu(time[j]);
        cat[FF_NETWORK_EMBED + j] = time[j];
    }

    const double *x = cat;
    for (int l = 0; l < net->layer_count; l++) {
        double *y = (l % 2 == 0) ? a : b;
        if (l == net->head_start) {
            // Head input: concat(trunk output, time).
            for (int j = 0; j < FF_NETWORK_EMBED; j++) {
                cat[j] = x[j];
                cat[FF_NETWORK_EMBED + j] = time[j];
            }
            x = cat;
        }
        ref_linear(ref, &net->layers[l], y, x);
        if (net->relu[l]) {
            for (int j = 0; j < net->layers[l].out; j++) {
                y[j] = y[j] > 0.0 ? y[j] : 0.0;
            }
        }
        x = y;
    }
    memcpy(out, x, FF_NETWORK_OUTPUT * sizeof(double));
}

/* The loss sum_i c_i . out_i over a batch, in double. */
static double
ref_loss(const reference *ref, int n, const double *inputs, const double *t,
         const double *c)
{
    double loss = 0.0;

    for (int i = 0; i < n; i++) {
        double out[FF_NETWORK_OUTPUT];
        ref_forward(ref, inputs + 12 * i, t[i], out);
        for (int j = 0; j < FF_NETWORK_OUTPUT; j++) {
            loss += c[6 * i + j] * out[j];
        }
    }
    return loss;
}

static ff_model *
new_model(int arch, uint64_t seed)
{
    ff_model_config cfg;
    ff_error err;

    ck_assert_int_eq(ff_model_config_default(&cfg, arch), 0);
    cfg.seed = seed;
    ff_model *m = ff_model_new(&cfg, &err);
    ck_assert_msg(m != NULL, "%s", err.message);
    return m;
}

/* Draw n network inputs: positions of order 1 and random rotations. */
static void
random_inputs(ff_rng *rng, int n, double *inputs, double *t)
{
    for (int i = 0; i < n; i++) {
        double R[9];
        test_random_vector(rng, inputs + 12 * i);
        ff_rng_rotation_uniform(R, rng);
        memcpy(inputs + 12 * i + 3, R, sizeof R);
        t[i] = 1e-3 + 0.999 * ff_rng_uniform(rng);
    }
}

/*
 * Compare the float backward pass of the whole network with central
 * differences of the double reference, on a sample of parameters from
 * every layer (all of them for the small layers).
 */
static void
check_model_gradient(int arch)
{
    enum { N = 3 };
    ff_rng rng;
    ff_model *m = new_model(arch, 7 + (uint64_t)arch);
    ff_network_work w;
    double inputs[12 * N];
    double t[N];
    double c[6 * N];

    ff_rng_init(&rng, 31, FF_RNG_STREAM_USER, (uint32_t)arch, 0);
    random_inputs(&rng, N, inputs, t);
    for (int i = 0; i < 6 * N; i++) {
        c[i] = 2.0 * ff_rng_uniform(&rng) - 1.0;
    }

    ck_assert_int_eq(ff_network_work_init(&w, &m->net, N, 1), 0);
    for (int i = 0; i < 12 * N; i++) {
        w.input[i] = (float)inputs[i];
        inputs[i] = w.input[i];  // the reference gets the same input
    }
    memcpy(w.t, t, sizeof t);
    ff_network_forward(&w, &m->net, m->fourier, N, 0);
    for (int i = 0; i < 6 * N; i++) {
        w.dout[i] = (float)c[i];
    }
    float *grad = calloc(m->param_count, sizeof(float));
    ff_network grad_net;
    ff_network_bind(&grad_net, arch, grad);
    ff_network_backward(&grad_net, &w, &m->net, N);

    reference ref = {&m->net, m->params, NULL, {0}};
    ref.params = malloc(m->param_count * sizeof(double));
    for (size_t i = 0; i < m->param_count; i++) {
        ref.params[i] = m->params[i];
    }
    for (int j = 0; j < FF_NETWORK_FOURIER; j++) {
        ref.fourier[j] = m->fourier[j];
    }

    // The float forward agrees with the reference: values of order 1
    // after up to 14 float layers of width 256 carry about 1e-5 of
    // rounding.
    const float *out = w.act[m->net.layer_count - 1];
    for (int i = 0; i < N; i++) {
        double expect[6];
        ref_forward(&ref, inputs + 12 * i, t[i], expect);
        for (int j = 0; j < 6; j++) {
            ck_assert_double_eq_tol(out[6 * i + j], expect[j], 2e-5);
        }
    }

    // Check 12 entries of every weight matrix and bias vector. Float
    // gradients of order 0.1 to 1 are sums of up to 256 rounded products
    // per layer, about 1e-5 relative; the difference quotient with
    // h = 1e-4 is exact to h^2 times the third derivative, about 1e-8
    // here. A ReLU kink within h of a pre-activation would spoil one
    // entry; none occurs for these seeds.
    const double h = 1e-4;
    const ff_nn_linear *layers[2 + FF_NETWORK_MAX_LAYERS];
    int layer_count = 0;
    layers[layer_count++] = &m->net.time;
    layers[layer_count++] = &m->net.pose;
    for (int l = 0; l < m->net.layer_count; l++) {
        layers[layer_count++] = &m->net.layers[l];
    }
    for (int l = 0; l < layer_count; l++) {
        for (int part = 0; part < 2; part++) {
            const float *start = part == 0 ? layers[l]->weight
                                           : layers[l]->bias;
            uint32_t count = part == 0
                             ? (uint32_t)(layers[l]->in * layers[l]->out)
                             : (uint32_t)layers[l]->out;
            for (int k = 0; k < 12; k++) {
                size_t idx = offset_of(&ref, start)
                             + ff_rng_below(&rng, count);
                double saved = ref.params[idx];
                ref.params[idx] = saved + h;
                double up = ref_loss(&ref, N, inputs, t, c);
                ref.params[idx] = saved - h;
                double down = ref_loss(&ref, N, inputs, t, c);
                ref.params[idx] = saved;
                double fd = (up - down) / (2.0 * h);
                ck_assert_msg(fabs(grad[idx] - fd) <= 1e-4 * (1.0 + fabs(fd)),
                              "layer %d %s entry %zu: backward %.9g, "
                              "finite difference %.9g", l,
                              part == 0 ? "weight" : "bias",
                              idx - offset_of(&ref, start),
                              (double)grad[idx], fd);
            }
        }
    }

    free(ref.params);
    free(grad);
    ff_network_work_free(&w);
    ff_model_free(m);
}

START_TEST(model_small_gradient_matches_fd)
{
    check_model_gradient(FF_MODEL_ARCH_SMALL);
}
END_TEST

START_TEST(model_deep_gradient_matches_fd)
{
    check_model_gradient(FF_MODEL_ARCH_DEEP);
}
END_TEST

START_TEST(model_config_defaults)
{
    ff_model_config cfg;

    ck_assert_int_eq(ff_model_config_default(&cfg, FF_MODEL_ARCH_SMALL), 0);
    // 128x128+128, 12x128+128, 256x128+128, 128x256+256, 256x6+6.
    ck_assert_uint_eq(cfg.param_count, 85638);
    ck_assert_int_eq(cfg.layer_count, 3);
    ck_assert_int_eq(cfg.layer_in[2], 256);
    ck_assert_int_eq(cfg.layer_out[2], 6);
    ck_assert_double_eq(cfg.schedule_base, 0.5);
    ck_assert_double_eq(cfg.eps, 1e-3);
    ck_assert_double_eq(cfg.translation_scale, 0.1);
    ck_assert_double_eq(cfg.learning_rate, 5e-4);
    ck_assert_double_eq(cfg.weight_decay, 0.01);
    ck_assert_uint_eq(cfg.batch, 1000);
    ck_assert_int_eq(cfg.score_chart, FF_SCORE_CHART_LOCAL);

    ck_assert_int_eq(ff_model_config_default(&cfg, FF_MODEL_ARCH_DEEP), 0);
    // Small's embeddings (18176) plus trunk 296192 and head 264838.
    ck_assert_uint_eq(cfg.param_count, 579206);
    ck_assert_int_eq(cfg.layer_count, 12);
    ck_assert_int_eq(cfg.layer_out[5], 128);
    ck_assert_int_eq(cfg.layer_in[6], 256);

    ck_assert_int_eq(ff_model_config_default(&cfg, 7), FF_STATUS_ERR_INVALID);
    ck_assert_str_eq(ff_model_arch_name(FF_MODEL_ARCH_DEEP), "deep");
    ck_assert_str_eq(ff_score_chart_name(FF_SCORE_CHART_GLOBAL), "global");
    ck_assert_ptr_null(ff_model_arch_name(2));
}
END_TEST

START_TEST(model_sigma_closed_form)
{
    // sigma(1)^2 = (0.25 - 1) / (2 ln 0.5) = 0.75 / (2 ln 2).
    ck_assert_double_eq_tol(ff_model_sigma(0.5, 1.0),
                            sqrt(0.75 / (2.0 * log(2.0))), 1e-15);
    // sigma(0.5)^2 = (0.5 - 1) / (2 ln 0.5) = 0.25 / ln 2.
    ck_assert_double_eq_tol(ff_model_sigma(0.5, 0.5), sqrt(0.25 / log(2.0)),
                            1e-15);
    // For small t, sigma^2 ~ t (the derivative at 0 is 1).
    ck_assert_double_eq_tol(ff_model_sigma(0.5, 1e-8), 1e-4, 1e-9);
}
END_TEST

START_TEST(model_new_rejects_bad_config)
{
    ff_model_config cfg;
    ff_error err;

    ff_model_config_default(&cfg, FF_MODEL_ARCH_SMALL);
    cfg.translation_scale = -1.0;
    ck_assert_ptr_null(ff_model_new(&cfg, &err));
    ck_assert_int_eq(err.code, FF_STATUS_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(err.message, "translation scale"));

    ff_model_config_default(&cfg, FF_MODEL_ARCH_SMALL);
    cfg.layer_out[1] = 255;
    ck_assert_ptr_null(ff_model_new(&cfg, &err));
    ck_assert_ptr_nonnull(strstr(err.message, "layer widths"));

    ff_model_config_default(&cfg, FF_MODEL_ARCH_SMALL);
    cfg.schedule_base = 1.0;
    ck_assert_ptr_null(ff_model_new(&cfg, &err));
    ck_assert_ptr_nonnull(strstr(err.message, "schedule base"));
}
END_TEST

START_TEST(model_init_follows_pytorch_bounds)
{
    ff_model *m = new_model(FF_MODEL_ARCH_DEEP, 5);
    const ff_network *net = &m->net;
    double sum_sq = 0.0;

    for (int l = 0; l < net->layer_count; l++) {
        const ff_nn_linear *layer = &net->layers[l];
        double bound = 1.0 / sqrt((double)layer->in);
        double largest = 0.0;
        size_t count = (size_t)layer->in * layer->out;
        for (size_t i = 0; i < count; i++) {
            largest = fmax(largest, fabs(layer->weight[i]));
        }
        for (int i = 0; i < layer->out; i++) {
            largest = fmax(largest, fabs(layer->bias[i]));
        }
        ck_assert_double_le(largest, bound);
        // Uniform on [-b, b] reaches past 0.9 b among hundreds of draws.
        ck_assert_double_gt(largest, 0.9 * bound);
    }
    for (int j = 0; j < FF_NETWORK_FOURIER; j++) {
        sum_sq += (double)m->fourier[j] * m->fourier[j];
    }
    // The mean square of 64 draws of N(0, 30^2) is 900 within a factor
    // of 1.5 with overwhelming probability (chi-square, 64 degrees).
    ck_assert_double_gt(sum_sq / FF_NETWORK_FOURIER, 600.0);
    ck_assert_double_lt(sum_sq / FF_NETWORK_FOURIER, 1350.0);

    // The same seed gives the same model; another seed another.
    ff_model *same = new_model(FF_MODEL_ARCH_DEEP, 5);
    ff_model *other = new_model(FF_MODEL_ARCH_DEEP, 6);
    ck_assert_int_eq(memcmp(m->params, same->params,
                            m->param_count * sizeof(float)), 0);
    ck_assert_int_ne(memcmp(m->params, other->params,
                            m->param_count * sizeof(float)), 0);
    ff_model_free(m);
    ff_model_free(same);
    ff_model_free(other);
}
END_TEST

START_TEST(model_eval_scales_by_sigma)
{
    enum { N = 40 };
    ff_rng rng;
    ff_error err;
    ff_model *m = new_model(FF_MODEL_ARCH_SMALL, 3);
    double inputs[12 * N];
    double t[N];
    double x[3 * N];
    double R[9 * N];
    double v[6 * N];

    ff_rng_init(&rng, 32, FF_RNG_STREAM_USER, 0, 0);
    random_inputs(&rng, N, inputs, t);
    for (int i = 0; i < N; i++) {
        memcpy(x + 3 * i, inputs + 12 * i, 3 * sizeof(double));
        memcpy(R + 9 * i, inputs + 12 * i + 3, 9 * sizeof(double));
    }
    ff_model_eval *ev = ff_model_eval_new(m, N, &err);
    ck_assert_msg(ev != NULL, "%s", err.message);

    reference ref = {&m->net, m->params, NULL, {0}};
    ref.params = malloc(m->param_count * sizeof(double));
    for (size_t i = 0; i < m->param_count; i++) {
        ref.params[i] = m->params[i];
    }
    for (int j = 0; j < FF_NETWORK_FOURIER; j++) {
        ref.fourier[j] = m->fourier[j];
    }

    const double times[3] = {1e-3, 0.3, 1.0};
    for (int k = 0; k < 3; k++) {
        double sigma = ff_model_sigma(0.5, times[k]);
        ck_assert_int_eq(ff_model_eval_score(ev, N, x, R, times[k], v), 0);
        for (int i = 0; i < N; i++) {
            double in[12];
            double out[6];
            for (int j = 0; j < 12; j++) {
                in[j] = (float)inputs[12 * i + j];
            }
            ref_forward(&ref, in, times[k], out);
            for (int j = 0; j < 6; j++) {
                // The float network's 2e-5 (see the gradient test),
                // divided by sigma^2 like the value itself.
                double tol = 2e-5 / (sigma * sigma);
                ck_assert_double_eq_tol(v[6 * i + j],
                                        out[j] / (sigma * sigma), tol);
            }
        }
    }
    free(ref.params);
    ff_model_eval_free(ev);
    ff_model_free(m);
}
END_TEST

START_TEST(model_eval_rows_independent)
{
    enum { N = 100 };
    ff_rng rng;
    ff_error err;
    ff_model *m = new_model(FF_MODEL_ARCH_DEEP, 4);
    double inputs[12 * N];
    double t[N];
    double x[3 * N];
    double R[9 * N];
    double v_all[6 * N];
    double v_one[6];

    ff_rng_init(&rng, 33, FF_RNG_STREAM_USER, 0, 0);
    random_inputs(&rng, N, inputs, t);
    for (int i = 0; i < N; i++) {
        memcpy(x + 3 * i, inputs + 12 * i, 3 * sizeof(double));
        memcpy(R + 9 * i, inputs + 12 * i + 3, 9 * sizeof(double));
    }
    ff_model_eval *ev = ff_model_eval_new(m, N, &err);
    ck_assert_ptr_nonnull(ev);
    ck_assert_int_eq(ff_model_eval_score(ev, N, x, R, 0.4, v_all), 0);
    for (int i = 0; i < N; i += 7) {
        ck_assert_int_eq(ff_model_eval_score(ev, 1, x + 3 * i, R + 9 * i, 0.4,
                                             v_one), 0);
        ck_assert_int_eq(memcmp(v_one, v_all + 6 * i, sizeof v_one), 0);
    }
    ff_model_eval_free(ev);
    ff_model_free(m);
}
END_TEST

START_TEST(model_eval_rejects_bad_calls)
{
    ff_error err;
    ff_model *m = new_model(FF_MODEL_ARCH_SMALL, 3);
    double x[6] = {0};
    double R[18] = {1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1};
    double v[12];

    ck_assert_ptr_null(ff_model_eval_new(m, 0, &err));
    ck_assert_int_eq(err.code, FF_STATUS_ERR_INVALID);
    ff_model_eval *ev = ff_model_eval_new(m, 1, &err);
    ck_assert_ptr_nonnull(ev);
    ck_assert_int_eq(ff_model_eval_score(ev, 2, x, R, 0.5, v),
                     FF_STATUS_ERR_INVALID);
    ck_assert_int_eq(ff_model_eval_score(ev, 1, x, R, 0.0, v),
                     FF_STATUS_ERR_INVALID);
    ck_assert_int_eq(ff_model_eval_score(ev, 1, x, R, NAN, v),
                     FF_STATUS_ERR_INVALID);
    ck_assert_int_eq(ff_model_eval_score(ev, 0, x, R, 0.5, v), 0);
    ff_model_eval_free(ev);
    ff_model_eval_free(NULL);
    ff_model_free(m);
    ff_model_free(NULL);
}
END_TEST

static Suite *
model_suite(void)
{
    Suite *s = suite_create("model");

    TEST_ADD(s, model_small_gradient_matches_fd);
    TEST_ADD(s, model_deep_gradient_matches_fd);
    TEST_ADD(s, model_config_defaults);
    TEST_ADD(s, model_sigma_closed_form);
    TEST_ADD(s, model_new_rejects_bad_config);
    TEST_ADD(s, model_init_follows_pytorch_bounds);
    TEST_ADD(s, model_eval_scales_by_sigma);
    TEST_ADD(s, model_eval_rows_independent);
    TEST_ADD(s, model_eval_rejects_bad_calls);
    return s;
}

int
main(void)
{
    return test_run_suite(model_suite()) == 0 ? 0 : 1;
}
