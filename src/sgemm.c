#include "sgemm.h"

#include <assert.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

/*
 * Blocking. A micro-kernel keeps an MR x NR block of C in registers and
 * runs over up to KC steps of the inner dimension: per step it broadcasts
 * MR values of the left operand, read in place, and loads NR values of the
 * packed right operand. With AVX-512, 12 x 32 uses 24 of the 32 vector
 * registers for C, and a 256-step panel of the right operand (32 KiB)
 * stays in the 48 KiB level-1 cache while the rows stream past it.
 */
#define MR 12
#define NR 32
#define KC 256

/*
 * NOTE: this kernel is used instead of a BLAS. On one core of a 2.8 GHz
 * Ice Lake Xeon (scripts/bench-train.sh, median of 30, GFLOP/s, this
 * kernel against OpenBLAS 0.3.21's OpenMP build) it is faster for the
 * forward product (115-135 against 108-115) and the input gradient
 * (111-134 against 106-117) but slower for the weight gradient (91-103
 * against 105-117). On a newer Xeon with AVX-512 FP16 the two are level on
 * one core except for the gated input gradient of 256-deep products, where
 * OpenBLAS is 12-15% faster, and the kernel is 17-58% faster on two cores
 * (BENCHMARKS.md). It also applies bias, ReLU and gate in registers and
 * runs inside the step's single parallel region.
 */

#if defined(__AVX512F__)
/* Set lo and hi to the lane masks of the first cols (at most NR) columns of
 * a panel row, held in two vectors of 16. */
static inline void
column_masks(int cols, __mmask16 *lo, __mmask16 *hi)
{
    *lo = (__mmask16)(cols >= 16 ? 0xffffu : (1u << cols) - 1u);
    *hi = (__mmask16)(cols >= NR ? 0xffffu
                      : cols > 16 ? (1u << (cols - 16)) - 1u : 0u);
}
#endif

static size_t
round_up(size_t n, size_t block)
{
    return (n + block - 1) / block * block;
}

size_t
ff_sgemm_packed_size(int n, int k)
{
    return round_up((size_t)(n > 0 ? n : 0), NR) * (size_t)(k > 0 ? k : 0);
}

int
ff_sgemm_panel_count(int n)
{
    return (n + NR - 1) / NR;
}

/*
 * A packed right operand is a sequence of column panels; panel jp holds,
 * for each inner index p in order, the NR values B(p, jp NR .. jp NR + NR
 * - 1), zero past column n.
 */
void
ff_sgemm_pack_nt_panel(float *packed, const float *W, int ldw, int n, int k,
                       int jp)
{
    float *dst = packed + (size_t)jp * NR * k;
    int j0 = jp * NR;
    int cols = n - j0 < NR ? n - j0 : NR;

#if defined(__AVX512F__)
    // Each step gathers one column of W's rows j0.. in two vectors, and
    // the masks leave columns past n zero. The row offsets must fit an int.
    if (ldw <= INT_MAX / NR) {
        __m512i rows = _mm512_mullo_epi32(
            _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2,
                             1, 0),
            _mm512_set1_epi32(ldw));
        __m512i rows_hi = _mm512_add_epi32(rows,
                                           _mm512_set1_epi32(16 * ldw));
        __mmask16 lo;
        __mmask16 hi;
        column_masks(cols, &lo, &hi);
        const float *base = W + (size_t)j0 * ldw;
        for (int p = 0; p < k; p++) {
            __m512 v0 = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), lo,
                                                 rows, base + p, 4);
            __m512 v1 = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), hi,
                                                 rows_hi, base + p, 4);
            _mm512_store_ps(dst + (size_t)p * NR, v0);
            _mm512_store_ps(dst + (size_t)p * NR + 16, v1);
        }
        return;
    }
#endif
    for (int c = 0; c < cols; c++) {
        const float *src = W + (size_t)(j0 + c) * ldw;
        for (int p = 0; p < k; p++) {
            dst[(size_t)p * NR + c] = src[p];
        }
    }
    for (int c = cols; c < NR; c++) {
        for (int p = 0; p < k; p++) {
            dst[(size_t)p * NR + c] = 0.0f;
        }
    }
}

/* Copy cols values to one NR-wide row of a packed panel, with zeros after
 * them. Called once per row of every panel, so a library call per row
 * would cost more than the copy. */
static inline void
copy_panel_row(float *out, const float *src, int cols)
{
#if defined(__AVX512F__)
    __mmask16 lo;
    __mmask16 hi;
    column_masks(cols, &lo, &hi);
    _mm512_store_ps(out, _mm512_maskz_loadu_ps(lo, src));
    _mm512_store_ps(out + 16, _mm512_maskz_loadu_ps(hi, src + 16));
#else
    memcpy(out, src, (size_t)cols * sizeof(float));
    for (int c = cols; c < NR; c++) {
        out[c] = 0.0f;
    }
#endif
}

void
ff_sgemm_pack_nn_panel(float *packed, const float *W, int ldw, int k, int n,
                       int jp)
{
    float *dst = packed + (size_t)jp * NR * k;
    int j0 = jp * NR;
    int cols = n - j0 < NR ? n - j0 : NR;

    for (int p = 0; p < k; p++) {
        copy_panel_row(dst + (size_t)p * NR, W + (size_t)p * ldw + j0, cols);
    }
}

/*
 * Where a tile's left operand is: A(r, p) = a[r * row_step + p * step].
 * Row-major A has step 1, transposed A and packed panels row_step 1.
 */
typedef struct tile_a {
    const float *a;
    size_t row_step;
    size_t step;
} tile_a;

/* What a tile does after its last block: add bias[j], then apply ReLU,
 * then zero where gate <= 0. Pointers are at the tile's corner. */
typedef struct tile_finish {
    const float *bias;
    int relu;
    const float *gate;
    int ldg;
} tile_finish;

/* Apply a finish to a rows x cols corner of a tile, element by element,
 * with the operations of the vector kernel. */
static void
finish_scalar(float *c, int ldc, int rows, int cols, const tile_finish *fin)
{
    for (int r = 0; r < rows; r++) {
        const float *g = fin->gate != NULL ? fin->gate + (size_t)r * fin->ldg
                                           : NULL;
        for (int j = 0; j < cols; j++) {
            float v = c[(size_t)r * ldc + j];
            if (fin->bias != NULL) {
                v += fin->bias[j];
            }
            if (fin->relu) {
                v = v > 0.0f ? v : 0.0f;
            }
            if (g != NULL) {
                v = g[j] > 0.0f ? v : 0.0f;
            }
            c[(size_t)r * ldc + j] = v;
        }
    }
}

#if defined(__AVX512F__)

const char *
ff_sgemm_kernel_name(void)
{
    return "AVX-512 12x32";
}

/*
 * C[rows x cols] (+)= A Bp over kc steps, then the finish when fin is not
 * NULL. Rows of A from rows on repeat A's last row, so a tile cut by the
 * edge of A reads nothing outside it, and their results are dropped. Columns
 * from cols on are computed on the packed zeros and not stored, and only
 * the first NR / 2 columns are computed when wide is 1. The bias and gate
 * are read under the same masks. Inlined into callers with constant rows,
 * cols, wide, row_step or step, so that the address arithmetic and the
 * masks fold away for whole tiles.
 */
static inline __attribute__((always_inline)) void
kernel_body(float *c, int ldc, const float *a, size_t row_step, size_t step,
            const float *bp, int kc, int load, const tile_finish *fin,
            int rows, int cols, int wide)
{
    __m512 acc[MR][2];
    size_t offset[MR];
    __mmask16 m0;
    __mmask16 m1;

    column_masks(cols, &m0, &m1);

#pragma GCC unroll 12
    for (int r = 0; r < MR; r++) {
        offset[r] = (size_t)(r < rows ? r : rows - 1) * row_step;
        acc[r][0] = _mm512_setzero_ps();
        acc[r][1] = _mm512_setzero_ps();
    }
    if (load) {
#pragma GCC unroll 12
        for (int r = 0; r < MR; r++) {
            if (r < rows) {
                acc[r][0] = _mm512_maskz_loadu_ps(m0, c + (size_t)r * ldc);
                if (wide == 2) {
                    acc[r][1] = _mm512_maskz_loadu_ps(
                        m1, c + (size_t)r * ldc + 16);
                }
            }
        }
    }

    for (int p = 0; p < kc; p++) {
        __m512 b0 = _mm512_load_ps(bp);
        __m512 b1 = wide == 2 ? _mm512_load_ps(bp + 16) : b0;
#pragma GCC unroll 12
        for (int r = 0; r < MR; r++) {
            __m512 av = _mm512_set1_ps(a[offset[r]]);
            acc[r][0] = _mm512_fmadd_ps(av, b0, acc[r][0]);
            if (wide == 2) {
                acc[r][1] = _mm512_fmadd_ps(av, b1, acc[r][1]);
            }
        }
        a += step;
        bp += NR;
    }

    if (fin != NULL && fin->bias != NULL) {
        __m512 b0 = _mm512_maskz_loadu_ps(m0, fin->bias);
        __m512 b1 = wide == 2 ? _mm512_maskz_loadu_ps(m1, fin->bias + 16)
                              : b0;
#pragma GCC unroll 12
        for (int r = 0; r < MR; r++) {
            acc[r][0] = _mm512_add_ps(acc[r][0], b0);
            acc[r][1] = _mm512_add_ps(acc[r][1], b1);
        }
    }
    if (fin != NULL && fin->relu) {
        // max returns its second operand for a NaN, as the scalar
        // v > 0 ? v : 0 does.
        __m512 zero = _mm512_setzero_ps();
#pragma GCC unroll 12
        for (int r = 0; r < MR; r++) {
            acc[r][0] = _mm512_max_ps(acc[r][0], zero);
            acc[r][1] = _mm512_max_ps(acc[r][1], zero);
        }
    }
    if (fin != NULL && fin->gate != NULL) {
        __m512 zero = _mm512_setzero_ps();
#pragma GCC unroll 12
        for (int r = 0; r < MR; r++) {
            if (r < rows) {
                const float *g = fin->gate + (size_t)r * fin->ldg;
                __mmask16 k0 = _mm512_mask_cmp_ps_mask(
                    m0, _mm512_maskz_loadu_ps(m0, g), zero, _CMP_GT_OQ);
                acc[r][0] = _mm512_maskz_mov_ps(k0, acc[r][0]);
                if (wide == 2) {
                    __mmask16 k1 = _mm512_mask_cmp_ps_mask(
                        m1, _mm512_maskz_loadu_ps(m1, g + 16), zero,
                        _CMP_GT_OQ);
                    acc[r][1] = _mm512_maskz_mov_ps(k1, acc[r][1]);
                }
            }
        }
    }

#pragma GCC unroll 12
    for (int r = 0; r < MR; r++) {
        if (r < rows) {
            _mm512_mask_storeu_ps(c + (size_t)r * ldc, m0, acc[r][0]);
            if (wide == 2) {
                _mm512_mask_storeu_ps(c + (size_t)r * ldc + 16, m1,
                                      acc[r][1]);
            }
        }
    }
}

/* A tile cut by the edge of C (see run_tile), computed on C itself with
 * the chains of whole tiles. Only its rows rows and cols columns are read
 * and written. One vector of columns is computed when cols fit in it. */
static void
edge_tile(float *c, int ldc, int rows, int cols, const float *a,
          size_t row_step, size_t step, const float *bp, int kc, int load,
          const tile_finish *fin)
{
    if (cols <= NR / 2) {
        if (step == 1) {
            kernel_body(c, ldc, a, row_step, 1, bp, kc, load, fin, rows,
                        cols, 1);
        } else {
            kernel_body(c, ldc, a, 1, step, bp, kc, load, fin, rows, cols,
                        1);
        }
    } else if (step == 1) {
        kernel_body(c, ldc, a, row_step, 1, bp, kc, load, fin, rows, cols,
                    2);
    } else {
        kernel_body(c, ldc, a, 1, step, bp, kc, load, fin, rows, cols, 2);
    }
}

#else

const char *
ff_sgemm_kernel_name(void)
{
    return "portable C 12x32";
}

/* The same chains as the vector kernel, written with fmaf so that the
 * compiler may vectorise them for whatever instruction set it targets. */
static inline void
kernel_body(float *c, int ldc, const float *a, size_t row_step, size_t step,
            const float *bp, int kc, int load, const tile_finish *fin,
            int rows, int cols, int wide)
{
    float acc[MR][NR];

    // Every column is computed and stored: edge_tile gives a full tile.
    (void)cols;
    (void)wide;
    for (int r = 0; r < MR; r++) {
        for (int j = 0; j < NR; j++) {
            acc[r][j] = load ? c[(size_t)r * ldc + j] : 0.0f;
        }
    }
    for (int p = 0; p < kc; p++) {
        for (int r = 0; r < MR; r++) {
            float av = a[(size_t)(r < rows ? r : rows - 1) * row_step];
            for (int j = 0; j < NR; j++) {
                acc[r][j] = fmaf(av, bp[j], acc[r][j]);
            }
        }
        a += step;
        bp += NR;
    }
    for (int r = 0; r < MR; r++) {
        const float *g = fin != NULL && fin->gate != NULL
                         ? fin->gate + (size_t)r * fin->ldg : NULL;
        for (int j = 0; j < NR; j++) {
            float v = acc[r][j];
            if (fin != NULL && fin->bias != NULL) {
                v += fin->bias[j];
            }
            if (fin != NULL && fin->relu) {
                v = v > 0.0f ? v : 0.0f;
            }
            if (g != NULL) {
                v = g[j] > 0.0f ? v : 0.0f;
            }
            c[(size_t)r * ldc + j] = v;
        }
    }
}

/* A tile cut by the edge of C (see run_tile), computed in a full-size
 * local copy with the chains of whole tiles. */
static void
edge_tile(float *c, int ldc, int rows, int cols, const float *a,
          size_t row_step, size_t step, const float *bp, int kc, int load,
          const tile_finish *fin)
{
    _Alignas(64) float tile[MR * NR];
    memset(tile, 0, sizeof tile);
    if (load) {
        for (int r = 0; r < rows; r++) {
            memcpy(tile + r * NR, c + (size_t)r * ldc,
                   (size_t)cols * sizeof(float));
        }
    }
    kernel_body(tile, NR, a, row_step, step, bp, kc, 1, NULL, rows, NR, 2);
    if (fin != NULL) {
        finish_scalar(tile, NR, rows, cols, fin);
    }
    for (int r = 0; r < rows; r++) {
        memcpy(c + (size_t)r * ldc, tile + r * NR,
               (size_t)cols * sizeof(float));
    }
}

#endif

/* The kernel for a whole tile with row-major A, read in place. */
static void
kernel_rows(float *c, int ldc, const float *a, size_t lda, const float *bp,
            int kc, int load, const tile_finish *fin)
{
    kernel_body(c, ldc, a, lda, 1, bp, kc, load, fin, MR, NR, 2);
}

/* The kernel for a whole tile with A stored by steps: a transposed matrix
 * with leading dimension step. */
static void
kernel_steps(float *c, int ldc, const float *a, size_t step, const float *bp,
             int kc, int load, const tile_finish *fin)
{
    kernel_body(c, ldc, a, 1, step, bp, kc, load, fin, MR, NR, 2);
}

/*
 * Run one tile: rows [i0, i0 + MR) and columns [j0, j0 + NR) of C over
 * inner steps [p0, p0 + kc), with A(r, p) = a[r * row_step + p * step]
 * relative to the tile's first row and first step.
 */
static void
run_tile(float *c, int ldc, int rows, int cols, const float *a,
         size_t row_step, size_t step, const float *bp, int kc, int load,
         const tile_finish *fin)
{
    if (rows == MR && cols == NR) {
        if (step == 1) {
            kernel_rows(c, ldc, a, row_step, bp, kc, load, fin);
        } else {
            kernel_steps(c, ldc, a, step, bp, kc, load, fin);
        }
        return;
    }
    edge_tile(c, ldc, rows, cols, a, row_step, step, bp, kc, load, fin);
}

void
ff_sgemm_packed(float *C, int ldc, const float *A, int lda,
                const float *packed, const float *bias, int relu,
                const float *gate, int ldg, int m, int n, int k)
{
    int panels = ff_sgemm_panel_count(n);

    // A first block of several would overwrite a gate in C before the last
    // block reads it.
    assert(gate != C || k <= KC);

    if (m <= 0 || n <= 0) {
        return;
    }
    if (k <= 0) {
        // An empty sum is zero; the finish still applies.
        tile_finish fin = {bias, relu, gate, ldg};
        for (int i = 0; i < m; i++) {
            memset(C + (size_t)i * ldc, 0, (size_t)n * sizeof(float));
        }
        finish_scalar(C, ldc, m, n, &fin);
        return;
    }

    // Column panel outside, so that its packed operand stays in cache
    // while the row tiles pass; inner blocks of KC in order.
    for (int jp = 0; jp < panels; jp++) {
        int j0 = jp * NR;
        int cols = n - j0 < NR ? n - j0 : NR;
        tile_finish fin = {bias != NULL ? bias + j0 : NULL, relu,
                           gate != NULL ? gate + j0 : NULL, ldg};
        int finish = bias != NULL || relu || gate != NULL;
        for (int i0 = 0; i0 < m; i0 += MR) {
            int rows = m - i0 < MR ? m - i0 : MR;
            for (int p0 = 0; p0 < k; p0 += KC) {
                int kc = k - p0 < KC ? k - p0 : KC;
                int last = p0 + kc >= k;
                tile_finish at_row = fin;
                if (at_row.gate != NULL) {
                    at_row.gate += (size_t)i0 * ldg;
                }
                run_tile(C + (size_t)i0 * ldc + j0, ldc, rows, cols,
                         A + (size_t)i0 * lda + p0, (size_t)lda, 1,
                         packed + (size_t)jp * NR * k + (size_t)p0 * NR, kc,
                         p0 > 0, last && finish ? &at_row : NULL);
            }
        }
    }
}

int
ff_sgemm_tn_tiles(int n, int k)
{
    if (n <= 0 || k <= 0) {
        return 0;
    }
    return ff_sgemm_tn_tiles_per_panel(n) * ff_sgemm_panel_count(k);
}

_Static_assert(FF_SGEMM_TN_BUFFER == KC * NR,
               "the weight-gradient buffer holds one packed panel");

/* Pack rows [p0, p0 + kc) and columns [j0, j0 + NR) of X (the right
 * operand of the weight gradient) into one panel. */
static void
pack_rows_panel(float *dst, const float *X, int ldx, int k, int j0, int p0,
                int kc)
{
    int cols = k - j0 < NR ? k - j0 : NR;

    for (int p = 0; p < kc; p++) {
        copy_panel_row(dst + (size_t)p * NR, X + (size_t)(p0 + p) * ldx + j0,
                       cols);
    }
}

void
ff_sgemm_tn_range(float *dW, int lddw, const float *dY, int lddy,
                  const float *X, int ldx, int m, int n, int k, int first,
                  int last, float *buffer)
{
    int per_panel = ff_sgemm_tn_tiles_per_panel(n);

    // Tiles run column panel by column panel, so that consecutive tiles
    // share the packed block of X. The batch (m) is the inner dimension.
    for (int p0 = 0; p0 < m; p0 += KC) {
        int kc = m - p0 < KC ? m - p0 : KC;
        int packed_jp = -1;
        for (int t = first; t < last; t++) {
            int jp = t / per_panel;
            if (jp != packed_jp) {
                pack_rows_panel(buffer, X, ldx, k, jp * NR, p0, kc);
                packed_jp = jp;
            }
            ff_sgemm_tn_tile(dW, lddw, dY + (size_t)p0 * lddy, lddy, buffer,
                             kc, n, k, t);
        }
    }
}

_Static_assert(FF_SGEMM_TN_BLOCK == KC,
               "a weight-gradient block is one panel of KC steps");

int
ff_sgemm_tn_tiles_per_panel(int n)
{
    return (n + MR - 1) / MR;
}

void
ff_sgemm_tn_pack(float *panel, const float *X, int ldx, int m, int k, int jp)
{
    pack_rows_panel(panel, X, ldx, k, jp * NR, 0, m);
}

void
ff_sgemm_tn_tile(float *dW, int lddw, const float *dY, int lddy,
                 const float *panel, int m, int n, int k, int tile)
{
    int per_panel = ff_sgemm_tn_tiles_per_panel(n);
    int jp = tile / per_panel;
    int i0 = (tile % per_panel) * MR;
    int rows = n - i0 < MR ? n - i0 : MR;
    int cols = k - jp * NR < NR ? k - jp * NR : NR;

    if (m <= 0) {
        return;
    }
    run_tile(dW + (size_t)i0 * lddw + jp * NR, lddw, rows, cols, dY + i0, 1,
             (size_t)lddy, panel, m, 1, NULL);
}

void
ff_sgemm_split_rows(int m, int part, int parts, int *begin, int *end)
{
    int blocks = (m + MR - 1) / MR;
    int first = (int)((long)blocks * part / parts);
    int last = (int)((long)blocks * (part + 1) / parts);

    *begin = first * MR < m ? first * MR : m;
    *end = last * MR < m ? last * MR : m;
}

int
ff_sgemm_scratch_init(ff_sgemm_scratch *s, int max_cols, int max_inner)
{
    memset(s, 0, sizeof *s);
    s->size = ff_sgemm_packed_size(max_cols, max_inner);
    // 64-byte alignment lets the kernel use aligned vector loads.
    s->packed = aligned_alloc(64, (s->size > 0 ? s->size : 1)
                                  * sizeof(float));
    if (s->packed == NULL) {
        s->size = 0;
        return -1;
    }
    return 0;
}

void
ff_sgemm_scratch_free(ff_sgemm_scratch *s)
{
    if (s == NULL) {
        return;
    }
    free(s->packed);
    memset(s, 0, sizeof *s);
}

static int
thread_index(void)
{
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

static int
thread_count(void)
{
#ifdef _OPENMP
    return omp_get_num_threads();
#else
    return 1;
#endif
}

/* Threads cost more than they save below about a million multiply-adds. */
#define PARALLEL_WORK 1e6

void
ff_sgemm_nt(float *Y, int ldy, const float *X, int ldx, const float *W,
            int ldw, const float *bias, int relu, int m, int n, int k,
            ff_sgemm_scratch *s)
{
    int panels = ff_sgemm_panel_count(n);

#pragma omp parallel if ((double)m * n * k > PARALLEL_WORK)
    {
#pragma omp for schedule(static)
        for (int jp = 0; jp < panels; jp++) {
            ff_sgemm_pack_nt_panel(s->packed, W, ldw, n, k, jp);
        }
        int begin = 0;
        int end = 0;
        ff_sgemm_split_rows(m, thread_index(), thread_count(), &begin, &end);
        ff_sgemm_packed(Y + (size_t)begin * ldy, ldy, X + (size_t)begin * ldx,
                        ldx, s->packed, bias, relu, NULL, 0, end - begin, n,
                        k);
    }
}

void
ff_sgemm_nn(float *dX, int lddx, const float *dY, int lddy, const float *W,
            int ldw, const float *gate, int ldg, int m, int n, int k,
            ff_sgemm_scratch *s)
{
    // C = dX is m x k and the inner dimension is n.
    int panels = ff_sgemm_panel_count(k);

#pragma omp parallel if ((double)m * n * k > PARALLEL_WORK)
    {
#pragma omp for schedule(static)
        for (int jp = 0; jp < panels; jp++) {
            ff_sgemm_pack_nn_panel(s->packed, W, ldw, n, k, jp);
        }
        int begin = 0;
        int end = 0;
        ff_sgemm_split_rows(m, thread_index(), thread_count(), &begin, &end);
        ff_sgemm_packed(dX + (size_t)begin * lddx, lddx,
                        dY + (size_t)begin * lddy, lddy, s->packed, NULL, 0,
                        gate != NULL ? gate + (size_t)begin * ldg : NULL, ldg,
                        end - begin, k, n);
    }
}

void
ff_sgemm_tn(float *dW, int lddw, const float *dY, int lddy, const float *X,
            int ldx, int m, int n, int k, ff_sgemm_scratch *s)
{
    int tiles = ff_sgemm_tn_tiles(n, k);

    (void)s;
#pragma omp parallel if ((double)m * n * k > PARALLEL_WORK)
    {
        _Alignas(64) float buffer[FF_SGEMM_TN_BUFFER];
        int parts = thread_count();
        int part = thread_index();
        ff_sgemm_tn_range(dW, lddw, dY, lddy, X, ldx, m, n, k,
                          (int)((long)tiles * part / parts),
                          (int)((long)tiles * (part + 1) / parts), buffer);
    }
}
