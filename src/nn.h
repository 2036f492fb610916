/*
 * Layers of the score network, float32, each a forward/backward pair with
 * the same argument order: outputs first, then inputs, then dimensions.
 *
 * Activations are batch-major: row i of a matrix belongs to sample i, and a
 * leading dimension (ld*) gives the distance between rows in floats, so a
 * layer may read or write a block of columns of a wider matrix. That is how
 * the network concatenates its embeddings without copies.
 *
 * Backward functions add into parameter gradients; clearing them is the
 * caller's job. Input gradients are overwritten. The dense layer runs
 * OpenMP threads (see sgemm.h); the other functions run on the calling
 * thread, so that a caller may give each thread a block of rows. Every
 * result is the same for any thread count.
 */
#ifndef FRAMEFLOW_NN_H
#define FRAMEFLOW_NN_H

#include <stddef.h>

#include "sgemm.h"

/* A dense layer y = x W^T + b, as PyTorch's nn.Linear. The pointers lead
 * into a parameter block (or a gradient or moment block of the same
 * layout). */
typedef struct ff_nn_linear {
    float *weight;  /* out x in, row-major */
    float *bias;    /* out */
    int in;
    int out;
} ff_nn_linear;

/*
 * Compute y[batch x out] = x[batch x in] W^T + b, then ReLU when relu is
 * non-zero.
 */
void ff_nn_linear_forward(float *y, int ldy, const float *x, int ldx,
                          const ff_nn_linear *layer, int relu, int batch,
                          ff_sgemm_scratch *s);

/*
 * Backward pass of ff_nn_linear_forward without its activation: given dy,
 * the loss gradient with respect to the layer's pre-activation output, add
 * dy^T x into grad->weight and the column sums of dy into grad->bias, and
 * when dx is not NULL write dx = dy W. When gate is not NULL, dx is also
 * multiplied by the derivative of the ReLU whose output was gate (zero
 * where gate <= 0), so that it becomes the gradient of the pre-activation
 * of the layer below.
 */
void ff_nn_linear_backward(float *dx, int lddx, const ff_nn_linear *grad,
                           const float *dy, int lddy, const float *x, int ldx,
                           const ff_nn_linear *layer, const float *gate,
                           int ldg, int batch, ff_sgemm_scratch *s);

/*
 * Add into dbias[j], for columns first <= j < last, the sum over the batch
 * rows of dy[i][j], rows in order.
 */
void ff_nn_bias_backward(float *dbias, const float *dy, int lddy, int batch,
                         int first, int last);

/* y = max(x, 0) over n values; y may alias x. */
void ff_nn_relu_forward(float *y, const float *x, size_t n);

/* dx = dy where the forward output y is positive, else 0; dx may alias
 * dy. */
void ff_nn_relu_backward(float *dx, const float *dy, const float *y,
                         size_t n);

/*
 * SiLU y = z sigmoid(z) over a rows x cols block. When sig is not NULL it
 * receives sigmoid(z) (leading dimension cols) for the backward pass.
 */
void ff_nn_silu_forward(float *y, int ldy, float *sig, const float *z,
                        int ldz, int rows, int cols);

/*
 * dz = dy sigmoid(z) (1 + z (1 - sigmoid(z))) over a rows x cols block, with
 * sig as ff_nn_silu_forward wrote it (leading dimension cols).
 */
void ff_nn_silu_backward(float *dz, int lddz, const float *dy, int lddy,
                         const float *z, int ldz, const float *sig, int rows,
                         int cols);

/*
 * Gaussian Fourier features of time: for each row i and j < half,
 * f[i][j] = sin(2 pi t[i] w[j]) and f[i][half + j] = cos(2 pi t[i] w[j]),
 * computed in double precision and rounded to float. Accurate to about
 * 1e-7 absolute for |t w| below 1e6. There is no backward pass, because
 * neither t nor w is trained.
 */
void ff_nn_fourier_forward(float *f, int ldf, const double *t,
                           const float *w, int half, int rows);

/* Copy a rows x cols block: the forward pass of placing an input into
 * columns of a concatenation. */
void ff_nn_concat_forward(float *dst, int lddst, const float *src, int ldsrc,
                          int rows, int cols);

/* Add a rows x cols block of a concatenation's gradient into the gradient
 * of the part it came from: dsrc += ddst. */
void ff_nn_concat_backward(float *dsrc, int lddsrc, const float *ddst,
                           int lddst, int rows, int cols);

/* Return exp(x) in float, about 2 ulp, for x clamped to [-87, 88] (a NaN
 * counts as -87); written without branches so that loops calling it
 * vectorise. */
float ff_nn_exp(float x);

#endif
