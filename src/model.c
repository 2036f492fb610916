#include "frameflow/model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "model_internal.h"
#include "network.h"

struct ff_model_eval {
    const ff_model *model;
    size_t max_batch;
    ff_network_work work;
};

int
ff_model_config_default(ff_model_config *cfg, int arch)
{
    ff_network net;

    memset(cfg, 0, sizeof *cfg);
    if (ff_network_bind(&net, arch, NULL) != 0) {
        return FF_STATUS_ERR_INVALID;
    }
    cfg->arch = arch;
    cfg->embed_width = FF_NETWORK_EMBED;
    cfg->fourier_count = FF_NETWORK_FOURIER;
    cfg->layer_count = net.layer_count;
    for (int l = 0; l < net.layer_count; l++) {
        cfg->layer_in[l] = net.layers[l].in;
        cfg->layer_out[l] = net.layers[l].out;
    }
    cfg->param_count = ff_network_param_count(arch);

    cfg->schedule_base = 0.5;
    cfg->eps = 1e-3;
    cfg->translation_scale = 0.1;
    cfg->score_chart = FF_SCORE_CHART_LOCAL;

    cfg->batch = 1000;
    cfg->learning_rate = 5e-4;
    cfg->weight_decay = 0.01;
    cfg->beta1 = 0.9;
    cfg->beta2 = 0.999;
    cfg->adam_eps = 1e-8;
    return FF_STATUS_OK;
}

const char *
ff_model_arch_name(int arch)
{
    switch (arch) {
    case FF_MODEL_ARCH_SMALL:
        return "small";
    case FF_MODEL_ARCH_DEEP:
        return "deep";
    default:
        return NULL;
    }
}

const char *
ff_score_chart_name(int chart)
{
    switch (chart) {
    case FF_SCORE_CHART_LOCAL:
        return "local";
    case FF_SCORE_CHART_GLOBAL:
        return "global";
    default:
        return NULL;
    }
}

double
ff_model_sigma(double base, double t)
{
    return sqrt((pow(base, 2.0 * t) - 1.0) / (2.0 * log(base)));
}

/* Check that the widths in cfg are those of its architecture. */
static int
check_widths(const ff_model_config *cfg, const char *context, ff_error *err)
{
    ff_model_config expected;

    if (ff_model_config_default(&expected, cfg->arch) != 0) {
        return ff_error_set(err, FF_STATUS_ERR_INVALID,
                            "%s: unknown architecture %d; expected 0 (small) "
                            "or 1 (deep)", context, cfg->arch);
    }
    int same = cfg->embed_width == expected.embed_width
               && cfg->fourier_count == expected.fourier_count
               && cfg->layer_count == expected.layer_count
               && cfg->param_count == expected.param_count;
    for (int l = 0; same && l < expected.layer_count; l++) {
        same = cfg->layer_in[l] == expected.layer_in[l]
               && cfg->layer_out[l] == expected.layer_out[l];
    }
    if (!same) {
        return ff_error_set(err, FF_STATUS_ERR_INVALID,
                            "%s: the layer widths do not match the %s "
                            "architecture", context,
                            ff_model_arch_name(cfg->arch));
    }
    return 0;
}

int
ff_model_config_check(const ff_model_config *cfg, const char *context,
                      ff_error *err)
{
    int status = check_widths(cfg, context, err);
    if (status != 0) {
        return status;
    }

    const char *bad = NULL;
    if (!(isfinite(cfg->schedule_base) && cfg->schedule_base > 0.0
          && cfg->schedule_base != 1.0)) {
        bad = "schedule base (must be positive and not 1)";
    } else if (!(cfg->eps > 0.0 && cfg->eps < 1.0)) {
        bad = "smallest time eps (must be in (0, 1))";
    } else if (!(isfinite(cfg->translation_scale)
                 && cfg->translation_scale > 0.0)) {
        bad = "translation scale (must be positive)";
    } else if (!(isfinite(cfg->center[0]) && isfinite(cfg->center[1])
                 && isfinite(cfg->center[2]))) {
        bad = "centre (must be finite)";
    } else if (ff_score_chart_name(cfg->score_chart) == NULL) {
        bad = "score chart (must be 0, local, or 1, global)";
    } else if (cfg->batch < 1) {
        bad = "batch size (must be at least 1)";
    } else if (!(isfinite(cfg->learning_rate) && cfg->learning_rate >= 0.0)) {
        bad = "learning rate (must be a non-negative number)";
    } else if (!(isfinite(cfg->weight_decay) && cfg->weight_decay >= 0.0)) {
        bad = "weight decay (must be a non-negative number)";
    } else if (!(cfg->beta1 >= 0.0 && cfg->beta1 < 1.0)
               || !(cfg->beta2 >= 0.0 && cfg->beta2 < 1.0)) {
        bad = "AdamW beta (must be in [0, 1))";
    } else if (!(isfinite(cfg->adam_eps) && cfg->adam_eps > 0.0)) {
        bad = "AdamW epsilon (must be positive)";
    }
    if (bad != NULL) {
        return ff_error_set(err, FF_STATUS_ERR_INVALID, "%s: invalid %s",
                            context, bad);
    }
    return 0;
}

ff_model *
ff_model_alloc(const ff_model_config *cfg, const char *context, ff_error *err)
{
    if (ff_model_config_check(cfg, context, err) != 0) {
        return NULL;
    }

    ff_model *m = calloc(1, sizeof *m);
    if (m == NULL) {
        ff_error_set(err, FF_STATUS_ERR_NOMEM, "%s: out of memory", context);
        return NULL;
    }
    m->config = *cfg;
    m->param_count = (size_t)cfg->param_count;
    m->params = calloc(m->param_count, sizeof(float));
    m->adam_m = calloc(m->param_count, sizeof(float));
    m->adam_v = calloc(m->param_count, sizeof(float));
    if (m->params == NULL || m->adam_m == NULL || m->adam_v == NULL) {
        ff_model_free(m);
        ff_error_set(err, FF_STATUS_ERR_NOMEM, "%s: out of memory", context);
        return NULL;
    }
    ff_network_bind(&m->net, cfg->arch, m->params);
    return m;
}

ff_model *
ff_model_new(const ff_model_config *cfg, ff_error *err)
{
    ff_model *m = ff_model_alloc(cfg, "model configuration", err);

    if (m == NULL) {
        return NULL;
    }
    m->config.step = 0;
    ff_network_init(&m->net, m->fourier, cfg->seed);
    return m;
}

void
ff_model_free(ff_model *m)
{
    if (m == NULL) {
        return;
    }
    free(m->params);
    free(m->adam_m);
    free(m->adam_v);
    free(m);
}

const ff_model_config *
ff_model_get_config(const ff_model *m)
{
    return &m->config;
}

ff_model_eval *
ff_model_eval_new(const ff_model *m, size_t max_batch, ff_error *err)
{
    if (max_batch < 1 || max_batch > (size_t)INT32_MAX / 256) {
        ff_error_set(err, FF_STATUS_ERR_INVALID,
                     "evaluator batch size %zu is out of range; expected "
                     "1 to %d", max_batch, INT32_MAX / 256);
        return NULL;
    }

    ff_model_eval *ev = calloc(1, sizeof *ev);
    if (ev == NULL) {
        ff_error_set(err, FF_STATUS_ERR_NOMEM,
                     "out of memory for a model evaluator");
        return NULL;
    }
    ev->model = m;
    ev->max_batch = max_batch;
    if (ff_network_work_init(&ev->work, &m->net, (int)max_batch, 0) != 0) {
        free(ev);
        ff_error_set(err, FF_STATUS_ERR_NOMEM,
                     "out of memory for a model evaluator of batch %zu",
                     max_batch);
        return NULL;
    }
    return ev;
}

void
ff_model_eval_free(ff_model_eval *ev)
{
    if (ev == NULL) {
        return;
    }
    ff_network_work_free(&ev->work);
    free(ev);
}

int
ff_model_eval_score(ff_model_eval *ev, size_t n, const double *x,
                    const double *R, double t, double *v)
{
    const ff_model *m = ev->model;

    if (n > ev->max_batch || !(isfinite(t) && t > 0.0)) {
        return FF_STATUS_ERR_INVALID;
    }
    if (n == 0) {
        return FF_STATUS_OK;
    }

    // The network predicts sigma^2 times the score.
    double sigma = ff_model_sigma(m->config.schedule_base, t);
    double inv_var = 1.0 / (sigma * sigma);
    ff_network_work *w = &ev->work;
    const float *out = w->act[m->net.layer_count - 1];

#pragma omp parallel if ((double)n * ff_network_macs(&m->net) > 1e6)
    {
        int begin = 0;
        int end = 0;

        ff_network_pack_team(w, &m->net);
        ff_network_rows((int)n, &begin, &end);
        for (size_t i = (size_t)begin; i < (size_t)end; i++) {
            float *row = w->input + i * FF_NETWORK_INPUT;
            for (int j = 0; j < 3; j++) {
                row[j] = (float)x[3 * i + j];
            }
            for (int j = 0; j < 9; j++) {
                row[3 + j] = (float)R[9 * i + j];
            }
            w->t[i] = t;
        }
        ff_network_forward_rows(w, &m->net, m->fourier, begin, end, 1);
        for (size_t i = (size_t)begin * FF_NETWORK_OUTPUT;
             i < (size_t)end * FF_NETWORK_OUTPUT; i++) {
            v[i] = (double)out[i] * inv_var;
        }
    }
    return FF_STATUS_OK;
}
