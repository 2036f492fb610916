/*
 * Single-precision matrix products for the score network: the three shapes
 * of a dense layer's forward and backward pass.
 *
 *   ff_sgemm_nt:  Y  = X W^T (+ bias, optional ReLU)   forward
 *   ff_sgemm_nn:  dX = dY W  (optional ReLU gate)      input gradient
 *   ff_sgemm_tn:  dW += dY^T X                         weight gradient
 *
 * All matrices are row-major with an explicit leading dimension (the
 * distance in floats between consecutive rows), so a product may read or
 * write a block of columns of a wider matrix, which is how the network
 * concatenates its embeddings. Outputs must not alias inputs.
 *
 * Every output element is one fused multiply-add chain over the inner
 * dimension in increasing order, started from zero (or from the value held
 * in C for ff_sgemm_tn), with the bias added after the chain. The chain does
 * not depend on how the work is split, so results are bit-identical for any
 * OpenMP thread count; they may differ between builds for different
 * instruction sets.
 *
 * The products run OpenMP threads over blocks of the output when called
 * outside a parallel region. A scratch record holds the packed copies of
 * the operands; one scratch must not be used by two products at once.
 */
#ifndef FRAMEFLOW_SGEMM_H
#define FRAMEFLOW_SGEMM_H

#include <stddef.h>

/* Packing buffers, allocated once for the largest product they serve. */
typedef struct ff_sgemm_scratch {
    float *a;        /* row panels of the left operand */
    size_t a_size;   /* floats in a */
    float *b;        /* column panels of the right operand */
    size_t b_size;   /* floats in b */
    int max_rows;    /* largest row count of C this scratch serves */
    int max_cols;    /* largest column count of C this scratch serves */
} ff_sgemm_scratch;

/*
 * Allocate scratch for products whose output C has at most max_rows rows
 * and max_cols columns (any inner dimension). Return 0, or -1 when memory
 * runs out (s is then empty and safe to free).
 */
int ff_sgemm_scratch_init(ff_sgemm_scratch *s, int max_rows, int max_cols);

/* Release the buffers of s; an empty or zeroed s is allowed. */
void ff_sgemm_scratch_free(ff_sgemm_scratch *s);

/*
 * Compute Y[m x n] = X[m x k] W[n x k]^T, then add bias[n] when bias is not
 * NULL, then apply ReLU when relu is non-zero. This is the forward pass of a
 * dense layer with PyTorch's weight layout (out x in).
 */
void ff_sgemm_nt(float *Y, int ldy, const float *X, int ldx, const float *W,
                 int ldw, const float *bias, int relu, int m, int n, int k,
                 ff_sgemm_scratch *s);

/*
 * Compute dX[m x k] = dY[m x n] W[n x k]; when gate is not NULL, zero every
 * element whose gate[m x k] entry (leading dimension ldg) is not positive,
 * which applies the derivative of a ReLU that produced gate.
 */
void ff_sgemm_nn(float *dX, int lddx, const float *dY, int lddy,
                 const float *W, int ldw, const float *gate, int ldg, int m,
                 int n, int k, ff_sgemm_scratch *s);

/*
 * Accumulate dW[n x k] += dY[m x n]^T X[m x k]: the weight gradient of a
 * dense layer summed over the m rows of a batch.
 */
void ff_sgemm_tn(float *dW, int lddw, const float *dY, int lddy,
                 const float *X, int ldx, int m, int n, int k,
                 ff_sgemm_scratch *s);

/* Name the kernel compiled in, such as "AVX-512 12x32", for reports. */
const char *ff_sgemm_kernel_name(void);

#endif
