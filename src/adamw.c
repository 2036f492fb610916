#include "adamw.h"

#include <math.h>

/* Parameters updated per OpenMP chunk. */
#define ADAMW_CHUNK 16384

void
ff_adamw_update(float *params, float *m, float *v, const float *grad,
                size_t first, size_t last, uint64_t step, const ff_adamw *opt)
{
    double k = (double)step;
    float decay = (float)(1.0 - opt->learning_rate * opt->weight_decay);
    float beta1 = (float)opt->beta1;
    float beta2 = (float)opt->beta2;
    float one_minus_beta1 = (float)(1.0 - opt->beta1);
    float one_minus_beta2 = (float)(1.0 - opt->beta2);
    float step_size = (float)(opt->learning_rate
                              / (1.0 - pow(opt->beta1, k)));
    float correction2_sqrt = (float)sqrt(1.0 - pow(opt->beta2, k));
    float eps = (float)opt->eps;

    for (size_t i = first; i < last; i++) {
        float g = grad[i];
        float p = params[i] * decay;
        float mi = beta1 * m[i] + one_minus_beta1 * g;
        float vi = beta2 * v[i] + one_minus_beta2 * (g * g);
        float denom = sqrtf(vi) / correction2_sqrt + eps;
        params[i] = p - step_size * (mi / denom);
        m[i] = mi;
        v[i] = vi;
    }
}

void
ff_adamw_step(float *params, float *m, float *v, const float *grad, size_t n,
              uint64_t step, const ff_adamw *opt)
{
    size_t chunks = (n + ADAMW_CHUNK - 1) / ADAMW_CHUNK;

#pragma omp parallel for schedule(static) if (n > 4 * ADAMW_CHUNK)
    for (size_t c = 0; c < chunks; c++) {
        size_t end = (c + 1) * ADAMW_CHUNK < n ? (c + 1) * ADAMW_CHUNK : n;
        ff_adamw_update(params, m, v, grad, c * ADAMW_CHUNK, end, step, opt);
    }
}
