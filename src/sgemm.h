/*
 * Single-precision matrix products for the score network: the three shapes
 * of a dense layer's forward and backward pass.
 *
 *   forward:          Y  = X W^T (+ bias, optional ReLU)
 *   input gradient:   dX = dY W  (optional ReLU gate)
 *   weight gradient:  dW += dY^T X
 *
 * All matrices are row-major with an explicit leading dimension (the
 * distance in floats between consecutive rows), so a product may read or
 * write a block of columns of a wider matrix, which is how the network
 * concatenates its embeddings. Outputs must not alias inputs, with one
 * exception: ff_sgemm_packed's gate may be C itself when k <= 256.
 *
 * Every output element is one fused multiply-add chain over the inner
 * dimension in increasing order, started from zero (or from the value held
 * in C for the weight gradient), with the bias added after the chain. The
 * chain depends neither on the other rows nor on how the work is split.
 * Results are therefore bit-identical for any OpenMP thread count, though
 * they may differ between builds for different instruction sets.
 *
 * Two layers of functions:
 * - Building blocks that run on the calling thread: pack a weight matrix
 *   once, then multiply any block of rows by it (ff_sgemm_packed), or
 *   accumulate a range of weight-gradient tiles (ff_sgemm_tn_range). The
 *   network calls these from inside one parallel region per step.
 * - ff_sgemm_nt, ff_sgemm_nn and ff_sgemm_tn, which pack and run their own
 *   OpenMP threads, for callers outside a parallel region.
 */
#ifndef FRAMEFLOW_SGEMM_H
#define FRAMEFLOW_SGEMM_H

#include <stddef.h>

/* Floats in a packed right operand with n columns and inner dimension k. */
size_t ff_sgemm_packed_size(int n, int k);

/* Number of column panels of a packed operand with n columns. */
int ff_sgemm_panel_count(int n);

/*
 * Pack column panel jp of the right operand of Y = X W^T, B(p, j) =
 * W[j][p] with W n x k, into packed (laid out for ff_sgemm_packed). Panels
 * are independent, so threads may pack different panels at once.
 */
void ff_sgemm_pack_nt_panel(float *packed, const float *W, int ldw, int n,
                            int k, int jp);

/*
 * Pack column panel jp of the right operand of dX = dY W, B(p, j) =
 * W[p][j] with W k x n (k outputs of the layer, n inputs).
 */
void ff_sgemm_pack_nn_panel(float *packed, const float *W, int ldw, int k,
                            int n, int jp);

/*
 * Compute C[m x n] = A[m x k] B with B packed, on the calling thread. Then
 * add bias[n] when bias is not NULL, apply ReLU when relu is non-zero, and
 * zero every element whose gate entry is not positive when gate is not
 * NULL. Any block of rows may be computed separately with the same result.
 * gate may be C itself (same pointer and leading dimension) when k is at
 * most 256: a tile then reads its gate before it writes there, which a
 * longer sum, computed in several blocks, would not do (asserted).
 */
void ff_sgemm_packed(float *C, int ldc, const float *A, int lda,
                     const float *packed, const float *bias, int relu,
                     const float *gate, int ldg, int m, int n, int k);

/* Number of tiles of an n x k weight gradient, for ff_sgemm_tn_range. */
int ff_sgemm_tn_tiles(int n, int k);

/* Floats of the buffer ff_sgemm_tn_range needs: one packed panel of 256
 * steps of 32 columns. */
#define FF_SGEMM_TN_BUFFER 8192

/*
 * Accumulate tiles [first, last) of dW[n x k] += dY[m x n]^T X[m x k] on
 * the calling thread, with buffer for packing (FF_SGEMM_TN_BUFFER floats,
 * 64-byte aligned). Threads may run disjoint tile ranges at once.
 */
void ff_sgemm_tn_range(float *dW, int lddw, const float *dY, int lddy,
                       const float *X, int ldx, int m, int n, int k,
                       int first, int last, float *buffer);

/* Rows of X that one packed weight-gradient panel of FF_SGEMM_TN_BUFFER
 * floats holds. */
#define FF_SGEMM_TN_BLOCK 256

/* Number of tiles of an n x k weight gradient that read one column panel
 * of X; tiles run panel by panel. */
int ff_sgemm_tn_tiles_per_panel(int n);

/*
 * Pack rows [0, m) of column panel jp of X[m x k], the right operand of
 * dW += dY^T X, into panel (FF_SGEMM_TN_BUFFER floats, 64-byte aligned),
 * for m up to FF_SGEMM_TN_BLOCK.
 */
void ff_sgemm_tn_pack(float *panel, const float *X, int ldx, int m, int k,
                      int jp);

/*
 * Accumulate tile t of dW[n x k] += dY[m x n]^T X over m rows, on the
 * calling thread, with the tile's panel of X packed by ff_sgemm_tn_pack.
 * Each element's chain continues from its value in dW over the rows in
 * order, so consecutive blocks of rows run one after another give the
 * chain of all rows at once.
 */
void ff_sgemm_tn_tile(float *dW, int lddw, const float *dY, int lddy,
                      const float *panel, int m, int n, int k, int tile);

/*
 * Split m rows into parts blocks aligned to the kernel's row block and
 * return block part in [*begin, *end), which may be empty.
 */
void ff_sgemm_split_rows(int m, int part, int parts, int *begin, int *end);

/* A packing buffer for the threaded products below. */
typedef struct ff_sgemm_scratch {
    float *packed;   /* the packed right operand */
    size_t size;     /* floats in packed */
} ff_sgemm_scratch;

/*
 * Allocate scratch for products whose right operand has at most max_cols
 * columns and max_inner inner elements. Return 0, or -1 when memory runs
 * out (s is then empty and safe to free).
 */
int ff_sgemm_scratch_init(ff_sgemm_scratch *s, int max_cols, int max_inner);

/* Release the buffer of s; an empty or zeroed s is allowed. */
void ff_sgemm_scratch_free(ff_sgemm_scratch *s);

/*
 * Compute Y[m x n] = X[m x k] W[n x k]^T, then add bias[n] when bias is not
 * NULL, then apply ReLU when relu is non-zero, with OpenMP threads.
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
 * dense layer summed over the m rows of a batch. s is not used; it keeps
 * the argument list of the other products.
 */
void ff_sgemm_tn(float *dW, int lddw, const float *dY, int lddy,
                 const float *X, int ldx, int m, int n, int k,
                 ff_sgemm_scratch *s);

/* Name the kernel compiled in, such as "AVX-512 12x32", for reports. */
const char *ff_sgemm_kernel_name(void);

#endif
