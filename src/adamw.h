/*
 * The AdamW optimiser with the semantics of PyTorch's torch.optim.AdamW
 * (amsgrad off): decoupled weight decay applied to the parameter before the
 * Adam update, and bias-corrected moments.
 *
 * For step number k (1 for the first step) and each parameter p with
 * gradient g:
 *
 *   p = p (1 - lr wd)
 *   m = beta1 m + (1 - beta1) g
 *   v = beta2 v + (1 - beta2) g^2
 *   p = p - (lr / (1 - beta1^k)) m / (sqrt(v) / sqrt(1 - beta2^k) + eps)
 *
 * Arithmetic is float, with the bias corrections computed in double. Every
 * element is updated on its own, so the result does not depend on the
 * thread count.
 */
#ifndef FRAMEFLOW_ADAMW_H
#define FRAMEFLOW_ADAMW_H

#include <stddef.h>
#include <stdint.h>

typedef struct ff_adamw {
    double learning_rate;
    double beta1;
    double beta2;
    double eps;
    double weight_decay;
} ff_adamw;

/*
 * Take AdamW step number step (>= 1) on n parameters: params, the moments
 * m and v (zero before the first step) and the gradient grad, all of the
 * same layout. params, m and v are updated in place.
 */
void ff_adamw_step(float *params, float *m, float *v, const float *grad,
                   size_t n, uint64_t step, const ff_adamw *opt);

/*
 * Update elements [first, last) only, as ff_adamw_step does, on the
 * calling thread, so that the threads of a parallel region may share one
 * step.
 */
void ff_adamw_update(float *params, float *m, float *v, const float *grad,
                     size_t first, size_t last, uint64_t step,
                     const ff_adamw *opt);

#endif
