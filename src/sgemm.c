#include "sgemm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

/*
 * Blocking. A micro-kernel keeps an MR x NR block of C in registers and
 * runs over KC steps of the inner dimension, reading packed panels: MR
 * values of the left operand and NR values of the right one per step. With
 * AVX-512, 12 x 32 uses 24 of the 32 vector registers for C, and a 32 x 256
 * panel of the right operand (32 KiB) stays in the 48 KiB level-1 cache
 * while the row panels stream past it.
 */
#define MR 12
#define NR 32
#define KC 256

/* Where the operands' elements live: A(i, p) and B(p, j) of C = A B. */
typedef struct operands {
    const float *a;
    int lda;
    int a_transposed;  /* A(i, p) = a[p * lda + i] instead of a[i * lda + p] */
    const float *b;
    int ldb;
    int b_transposed;  /* B(p, j) = b[j * ldb + p] instead of b[p * ldb + j] */
} operands;

enum epilogue {
    EPILOGUE_NONE = 0,
    EPILOGUE_BIAS = 1,       /* C += bias[j] */
    EPILOGUE_BIAS_RELU = 2,  /* C = max(C + bias[j], 0) */
    EPILOGUE_RELU = 3,       /* C = max(C, 0) */
    EPILOGUE_GATE = 4        /* C = gate > 0 ? C : 0 */
};

typedef struct product {
    float *c;
    int ldc;
    int m;
    int n;
    int k;
    int accumulate;  /* whether the chains start from C instead of zero */
    int epilogue;
    const float *bias;
    const float *gate;
    int ldg;
} product;

static size_t
round_up(size_t n, size_t block)
{
    return (n + block - 1) / block * block;
}

int
ff_sgemm_scratch_init(ff_sgemm_scratch *s, int max_rows, int max_cols)
{
    memset(s, 0, sizeof *s);
    s->a_size = round_up((size_t)(max_rows > 0 ? max_rows : 1), MR) * KC;
    s->b_size = round_up((size_t)(max_cols > 0 ? max_cols : 1), NR) * KC;
    // 64-byte alignment lets the kernel use aligned vector loads.
    s->a = aligned_alloc(64, s->a_size * sizeof(float));
    s->b = aligned_alloc(64, s->b_size * sizeof(float));
    if (s->a == NULL || s->b == NULL) {
        ff_sgemm_scratch_free(s);
        return -1;
    }
    s->max_rows = max_rows;
    s->max_cols = max_cols;
    return 0;
}

void
ff_sgemm_scratch_free(ff_sgemm_scratch *s)
{
    if (s == NULL) {
        return;
    }
    free(s->a);
    free(s->b);
    memset(s, 0, sizeof *s);
}

/* Copy rows [0, m) x inner [p0, p0 + kc) of A into MR-row panels, each
 * stored step by step (MR values per step), zero-padding the last panel. */
static void
pack_a_panel(float *dst, const operands *op, int i0, int m, int p0, int kc)
{
    int rows = m - i0 < MR ? m - i0 : MR;

    if (op->a_transposed) {
        for (int p = 0; p < kc; p++) {
            const float *src = op->a + (size_t)(p0 + p) * op->lda + i0;
            float *out = dst + (size_t)p * MR;
            for (int r = 0; r < rows; r++) {
                out[r] = src[r];
            }
            for (int r = rows; r < MR; r++) {
                out[r] = 0.0f;
            }
        }
        return;
    }
    for (int r = 0; r < rows; r++) {
        const float *src = op->a + (size_t)(i0 + r) * op->lda + p0;
        for (int p = 0; p < kc; p++) {
            dst[(size_t)p * MR + r] = src[p];
        }
    }
    for (int r = rows; r < MR; r++) {
        for (int p = 0; p < kc; p++) {
            dst[(size_t)p * MR + r] = 0.0f;
        }
    }
}

/* Copy columns [j0, j0 + NR) x inner [p0, p0 + kc) of B into one panel of
 * NR values per step, zero-padding columns past n. */
static void
pack_b_panel(float *dst, const operands *op, int j0, int n, int p0, int kc)
{
    int cols = n - j0 < NR ? n - j0 : NR;

    if (op->b_transposed) {
        for (int c = 0; c < cols; c++) {
            const float *src = op->b + (size_t)(j0 + c) * op->ldb + p0;
            for (int p = 0; p < kc; p++) {
                dst[(size_t)p * NR + c] = src[p];
            }
        }
        for (int c = cols; c < NR; c++) {
            for (int p = 0; p < kc; p++) {
                dst[(size_t)p * NR + c] = 0.0f;
            }
        }
        return;
    }
    for (int p = 0; p < kc; p++) {
        const float *src = op->b + (size_t)(p0 + p) * op->ldb + j0;
        float *out = dst + (size_t)p * NR;
        for (int c = 0; c < cols; c++) {
            out[c] = src[c];
        }
        for (int c = cols; c < NR; c++) {
            out[c] = 0.0f;
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
 * C[MR x NR] (+)= Ap Bp over kc steps, C with leading dimension ldc. The
 * accumulators are named one by one so that they live in registers.
 */
static void
kernel(float *c, int ldc, const float *ap, const float *bp, int kc, int load)
{
    __m512 acc[MR][2];

    if (load) {
#pragma GCC unroll 12
        for (int r = 0; r < MR; r++) {
            acc[r][0] = _mm512_loadu_ps(c + (size_t)r * ldc);
            acc[r][1] = _mm512_loadu_ps(c + (size_t)r * ldc + 16);
        }
    } else {
#pragma GCC unroll 12
        for (int r = 0; r < MR; r++) {
            acc[r][0] = _mm512_setzero_ps();
            acc[r][1] = _mm512_setzero_ps();
        }
    }

    for (int p = 0; p < kc; p++) {
        __m512 b0 = _mm512_load_ps(bp);
        __m512 b1 = _mm512_load_ps(bp + 16);
#pragma GCC unroll 12
        for (int r = 0; r < MR; r++) {
            __m512 a = _mm512_set1_ps(ap[r]);
            acc[r][0] = _mm512_fmadd_ps(a, b0, acc[r][0]);
            acc[r][1] = _mm512_fmadd_ps(a, b1, acc[r][1]);
        }
        ap += MR;
        bp += NR;
    }

#pragma GCC unroll 12
    for (int r = 0; r < MR; r++) {
        _mm512_storeu_ps(c + (size_t)r * ldc, acc[r][0]);
        _mm512_storeu_ps(c + (size_t)r * ldc + 16, acc[r][1]);
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
static void
kernel(float *c, int ldc, const float *ap, const float *bp, int kc, int load)
{
    float acc[MR][NR];

    for (int r = 0; r < MR; r++) {
        for (int j = 0; j < NR; j++) {
            acc[r][j] = load ? c[(size_t)r * ldc + j] : 0.0f;
        }
    }
    for (int p = 0; p < kc; p++) {
        for (int r = 0; r < MR; r++) {
            float a = ap[r];
            for (int j = 0; j < NR; j++) {
                acc[r][j] = fmaf(a, bp[j], acc[r][j]);
            }
        }
        ap += MR;
        bp += NR;
    }
    for (int r = 0; r < MR; r++) {
        for (int j = 0; j < NR; j++) {
            c[(size_t)r * ldc + j] = acc[r][j];
        }
    }
}

#endif

/* Apply the product's epilogue to rows [i0, i0 + rows) and columns
 * [j0, j0 + cols) of C. */
static void
apply_epilogue(const product *pr, int i0, int rows, int j0, int cols)
{
    for (int r = 0; r < rows; r++) {
        float *c = pr->c + (size_t)(i0 + r) * pr->ldc + j0;
        switch (pr->epilogue) {
        case EPILOGUE_BIAS:
            for (int j = 0; j < cols; j++) {
                c[j] += pr->bias[j0 + j];
            }
            break;
        case EPILOGUE_BIAS_RELU:
            for (int j = 0; j < cols; j++) {
                float v = c[j] + pr->bias[j0 + j];
                c[j] = v > 0.0f ? v : 0.0f;
            }
            break;
        case EPILOGUE_RELU:
            for (int j = 0; j < cols; j++) {
                c[j] = c[j] > 0.0f ? c[j] : 0.0f;
            }
            break;
        case EPILOGUE_GATE: {
            const float *g = pr->gate + (size_t)(i0 + r) * pr->ldg + j0;
            for (int j = 0; j < cols; j++) {
                c[j] = g[j] > 0.0f ? c[j] : 0.0f;
            }
            break;
        }
        default:
            break;
        }
    }
}

/* Run the kernel on one MR x NR tile; a tile cut by the edge of C goes
 * through a full-size local copy, so its chains are the same as inside. */
static void
run_tile(const product *pr, const float *ap, const float *bp, int i0, int j0,
         int kc, int load)
{
    int rows = pr->m - i0 < MR ? pr->m - i0 : MR;
    int cols = pr->n - j0 < NR ? pr->n - j0 : NR;
    float *c = pr->c + (size_t)i0 * pr->ldc + j0;

    if (rows == MR && cols == NR) {
        kernel(c, pr->ldc, ap, bp, kc, load);
        return;
    }

    float tile[MR * NR];
    memset(tile, 0, sizeof tile);
    if (load) {
        for (int r = 0; r < rows; r++) {
            memcpy(tile + r * NR, c + (size_t)r * pr->ldc,
                   (size_t)cols * sizeof(float));
        }
    }
    kernel(tile, NR, ap, bp, kc, 1);
    for (int r = 0; r < rows; r++) {
        memcpy(c + (size_t)r * pr->ldc, tile + r * NR,
               (size_t)cols * sizeof(float));
    }
}

/*
 * Drive a product: for each KC-long block of the inner dimension, pack both
 * operands, then let the threads share the output tiles. Blocks run in
 * order with a barrier between them, so each chain runs in order.
 */
static void
run_product(const product *pr, const operands *op, ff_sgemm_scratch *s)
{
    int row_panels = (pr->m + MR - 1) / MR;
    int col_panels = (pr->n + NR - 1) / NR;
    int tiles = row_panels * col_panels;
    double work = (double)pr->m * pr->n * (pr->k > 0 ? pr->k : 1);

    if (pr->m <= 0 || pr->n <= 0) {
        return;
    }
    if (pr->k <= 0) {
        if (!pr->accumulate) {
            for (int i = 0; i < pr->m; i++) {
                memset(pr->c + (size_t)i * pr->ldc, 0,
                       (size_t)pr->n * sizeof(float));
            }
        }
        apply_epilogue(pr, 0, pr->m, 0, pr->n);
        return;
    }

    // Threads cost more than they save below about a million
    // multiply-adds.
#pragma omp parallel if (work > 1e6)
    {
        for (int p0 = 0; p0 < pr->k; p0 += KC) {
            int kc = pr->k - p0 < KC ? pr->k - p0 : KC;
            int load = pr->accumulate || p0 > 0;
            int last = p0 + kc >= pr->k;

#pragma omp for schedule(static) nowait
            for (int jp = 0; jp < col_panels; jp++) {
                pack_b_panel(s->b + (size_t)jp * kc * NR, op, jp * NR, pr->n,
                             p0, kc);
            }
#pragma omp for schedule(static)
            for (int ip = 0; ip < row_panels; ip++) {
                pack_a_panel(s->a + (size_t)ip * kc * MR, op, ip * MR, pr->m,
                             p0, kc);
            }

            // Consecutive tiles share a column panel, which stays in cache.
#pragma omp for schedule(static)
            for (int t = 0; t < tiles; t++) {
                int jp = t / row_panels;
                int ip = t % row_panels;
                run_tile(pr, s->a + (size_t)ip * kc * MR,
                         s->b + (size_t)jp * kc * NR, ip * MR, jp * NR, kc,
                         load);
                if (last && pr->epilogue != EPILOGUE_NONE) {
                    int rows = pr->m - ip * MR < MR ? pr->m - ip * MR : MR;
                    int cols = pr->n - jp * NR < NR ? pr->n - jp * NR : NR;
                    apply_epilogue(pr, ip * MR, rows, jp * NR, cols);
                }
            }
        }
    }
}

void
ff_sgemm_nt(float *Y, int ldy, const float *X, int ldx, const float *W,
            int ldw, const float *bias, int relu, int m, int n, int k,
            ff_sgemm_scratch *s)
{
    operands op = {X, ldx, 0, W, ldw, 1};
    product pr = {Y, ldy, m, n, k, 0, EPILOGUE_NONE, bias, NULL, 0};

    if (bias != NULL) {
        pr.epilogue = relu ? EPILOGUE_BIAS_RELU : EPILOGUE_BIAS;
    } else if (relu) {
        pr.epilogue = EPILOGUE_RELU;
    }
    run_product(&pr, &op, s);
}

void
ff_sgemm_nn(float *dX, int lddx, const float *dY, int lddy, const float *W,
            int ldw, const float *gate, int ldg, int m, int n, int k,
            ff_sgemm_scratch *s)
{
    // C = dX is m x k and the inner dimension is n.
    operands op = {dY, lddy, 0, W, ldw, 0};
    product pr = {dX, lddx, m, k, n, 0, EPILOGUE_NONE, NULL, gate, ldg};

    if (gate != NULL) {
        pr.epilogue = EPILOGUE_GATE;
    }
    run_product(&pr, &op, s);
}

void
ff_sgemm_tn(float *dW, int lddw, const float *dY, int lddy, const float *X,
            int ldx, int m, int n, int k, ff_sgemm_scratch *s)
{
    // C = dW is n x k and the inner dimension is the batch, m.
    operands op = {dY, lddy, 1, X, ldx, 0};
    product pr = {dW, lddw, n, k, m, 1, EPILOGUE_NONE, NULL, NULL, 0};

    run_product(&pr, &op, s);
}
