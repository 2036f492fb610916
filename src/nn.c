#include "nn.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "mathfn.h"

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

/* Columns of the bias gradient summed together, held in registers. */
#define BIAS_BLOCK 64

void
ff_nn_linear_forward(float *y, int ldy, const float *x, int ldx,
                     const ff_nn_linear *layer, int relu, int batch,
                     ff_sgemm_scratch *s)
{
    ff_sgemm_nt(y, ldy, x, ldx, layer->weight, layer->in, layer->bias, relu,
                batch, layer->out, layer->in, s);
}

void
ff_nn_bias_backward(float *dbias, const float *dy, int lddy, int batch,
                    int first, int last)
{
    for (int j0 = first; j0 < last; j0 += BIAS_BLOCK) {
        int cols = last - j0 < BIAS_BLOCK ? last - j0 : BIAS_BLOCK;
        float acc[BIAS_BLOCK];

        memcpy(acc, dbias + j0, (size_t)cols * sizeof(float));
        for (int i = 0; i < batch; i++) {
            const float *row = dy + (size_t)i * lddy + j0;
            for (int j = 0; j < cols; j++) {
                acc[j] += row[j];
            }
        }
        memcpy(dbias + j0, acc, (size_t)cols * sizeof(float));
    }
}

void
ff_nn_linear_backward(float *dx, int lddx, const ff_nn_linear *grad,
                      const float *dy, int lddy, const float *x, int ldx,
                      const ff_nn_linear *layer, const float *gate, int ldg,
                      int batch, ff_sgemm_scratch *s)
{
    ff_sgemm_tn(grad->weight, layer->in, dy, lddy, x, ldx, batch, layer->out,
                layer->in, s);
    ff_nn_bias_backward(grad->bias, dy, lddy, batch, 0, layer->out);
    if (dx != NULL) {
        ff_sgemm_nn(dx, lddx, dy, lddy, layer->weight, layer->in, gate, ldg,
                    batch, layer->out, layer->in, s);
    }
}

void
ff_nn_relu_forward(float *y, const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        y[i] = x[i] > 0.0f ? x[i] : 0.0f;
    }
}

void
ff_nn_relu_backward(float *dx, const float *dy, const float *y, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
    }
}

/*
 * Constants of ff_nn_exp and its 16-lane form. exp(x) = 2^k exp(r) with
 * k = round(x / ln 2) and |r| <= ln 2 / 2. Adding and subtracting 1.5 *
 * 2^23 rounds to an integer without a call, and ln 2 is split in two parts
 * so that k ln 2 is exact enough (Cody and Waite).
 */
#define EXP_MIN -87.0f
#define EXP_MAX 88.0f
#define EXP_LOG2E 1.44269504f
#define EXP_LN2_HI 0.693145752f
#define EXP_LN2_LO 1.42860677e-6f
#define EXP_ROUND_MAGIC 12582912.0f

/* The Taylor series of exp(r) to r^7, highest term first: the first
 * omitted term is below 0.347^8 / 8! = 5e-9, well under float's 6e-8
 * rounding. */
#define EXP_TERMS 8
static const float exp_coef[EXP_TERMS] = {
    1.0f / 5040.0f, 1.0f / 720.0f, 1.0f / 120.0f, 1.0f / 24.0f,
    1.0f / 6.0f,    0.5f,          1.0f,          1.0f,
};

float
ff_nn_exp(float x)
{
    // Written so that a NaN input becomes EXP_MIN rather than reaching the
    // integer conversion below; callers that multiply by x keep the NaN.
    x = x > EXP_MIN ? x : EXP_MIN;
    x = x < EXP_MAX ? x : EXP_MAX;
    float kf = (x * EXP_LOG2E + EXP_ROUND_MAGIC) - EXP_ROUND_MAGIC;
    float r = (x - kf * EXP_LN2_HI) - kf * EXP_LN2_LO;

    float p = exp_coef[0];
    for (int i = 1; i < EXP_TERMS; i++) {
        p = p * r + exp_coef[i];
    }

    uint32_t bits = (uint32_t)((int32_t)kf + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

#if defined(__AVX512F__)
/*
 * ff_nn_exp on 16 lanes, with the same operations in the same order, so
 * that every lane equals the scalar result bit for bit. max and min
 * return their second operand for a NaN, as the scalar clamps do.
 */
static inline __m512
exp16(__m512 x)
{
    const __m512 round_magic = _mm512_set1_ps(EXP_ROUND_MAGIC);

    x = _mm512_max_ps(x, _mm512_set1_ps(EXP_MIN));
    x = _mm512_min_ps(x, _mm512_set1_ps(EXP_MAX));
    __m512 kf = _mm512_sub_ps(
        _mm512_add_ps(_mm512_mul_ps(x, _mm512_set1_ps(EXP_LOG2E)),
                      round_magic),
        round_magic);
    __m512 r = _mm512_sub_ps(
        _mm512_sub_ps(x, _mm512_mul_ps(kf, _mm512_set1_ps(EXP_LN2_HI))),
        _mm512_mul_ps(kf, _mm512_set1_ps(EXP_LN2_LO)));
    __m512 p = _mm512_set1_ps(exp_coef[0]);
    for (int i = 1; i < EXP_TERMS; i++) {
        p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(exp_coef[i]));
    }
    __m512i bits = _mm512_slli_epi32(
        _mm512_add_epi32(_mm512_cvttps_epi32(kf), _mm512_set1_epi32(127)),
        23);
    return _mm512_mul_ps(p, _mm512_castsi512_ps(bits));
}
#endif

void
ff_nn_silu_forward(float *y, int ldy, float *sig, const float *z, int ldz,
                   int rows, int cols)
{
    for (int i = 0; i < rows; i++) {
        const float *zi = z + (size_t)i * ldz;
        float *yi = y + (size_t)i * ldy;
        float *si = sig != NULL ? sig + (size_t)i * cols : NULL;
        int j = 0;
#if defined(__AVX512F__)
        const __m512 one = _mm512_set1_ps(1.0f);
        for (; j + 16 <= cols; j += 16) {
            __m512 zv = _mm512_loadu_ps(zi + j);
            __m512 e = exp16(_mm512_castsi512_ps(_mm512_xor_si512(
                _mm512_castps_si512(zv), _mm512_set1_epi32(INT32_MIN))));
            __m512 sv = _mm512_div_ps(one, _mm512_add_ps(one, e));
            _mm512_storeu_ps(yi + j, _mm512_mul_ps(zv, sv));
            if (si != NULL) {
                _mm512_storeu_ps(si + j, sv);
            }
        }
#endif
        for (; j < cols; j++) {
            float s = 1.0f / (1.0f + ff_nn_exp(-zi[j]));
            yi[j] = zi[j] * s;
            if (si != NULL) {
                si[j] = s;
            }
        }
    }
}

void
ff_nn_silu_backward(float *dz, int lddz, const float *dy, int lddy,
                    const float *z, int ldz, const float *sig, int rows,
                    int cols)
{
    for (int i = 0; i < rows; i++) {
        const float *zi = z + (size_t)i * ldz;
        const float *dyi = dy + (size_t)i * lddy;
        const float *si = sig + (size_t)i * cols;
        float *dzi = dz + (size_t)i * lddz;
        // dz may be dy itself, read and written at the same index, which
        // leaves nothing for the compiler to guard against. Clang has its
        // own spelling of the pragma.
#if defined(__clang__)
#pragma clang loop vectorize(assume_safety)
#else
#pragma GCC ivdep
#endif
        for (int j = 0; j < cols; j++) {
            float s = si[j];
            dzi[j] = dyi[j] * (s * (1.0f + zi[j] * (1.0f - s)));
        }
    }
}

#if defined(__AVX512F__) && defined(__AVX512VL__)
/* The sines and cosines of t w[0..7] turns, rounded to float, from the
 * series that float needs. */
static inline void
fourier8(float *s_out, float *c_out, double t, const float *w)
{
    __m512d s;
    __m512d c;

    ff_mathfn_sincos_turns_series8(
        &s, &c, _mm512_mul_pd(_mm512_set1_pd(t),
                              _mm512_cvtps_pd(_mm256_loadu_ps(w))),
        FF_MATHFN_SIN_TERMS_FLOAT, FF_MATHFN_COS_TERMS_FLOAT);
    _mm256_storeu_ps(s_out, _mm512_cvtpd_ps(s));
    _mm256_storeu_ps(c_out, _mm512_cvtpd_ps(c));
}
#endif

void
ff_nn_fourier_forward(float *f, int ldf, const double *t, const float *w,
                      int half, int rows)
{
    for (int i = 0; i < rows; i++) {
        float *fi = f + (size_t)i * ldf;
        int j = 0;
#if defined(__AVX512F__) && defined(__AVX512VL__)
        for (; j + 8 <= half; j += 8) {
            fourier8(fi + j, fi + half + j, t[i], w + j);
        }
#endif
        for (; j < half; j++) {
            double s;
            double c;
            ff_mathfn_sincos_turns_series(&s, &c, t[i] * (double)w[j],
                                          FF_MATHFN_SIN_TERMS_FLOAT,
                                          FF_MATHFN_COS_TERMS_FLOAT);
            fi[j] = (float)s;
            fi[half + j] = (float)c;
        }
    }
}

void
ff_nn_concat_forward(float *dst, int lddst, const float *src, int ldsrc,
                     int rows, int cols)
{
    for (int i = 0; i < rows; i++) {
        memcpy(dst + (size_t)i * lddst, src + (size_t)i * ldsrc,
               (size_t)cols * sizeof(float));
    }
}

void
ff_nn_concat_backward(float *dsrc, int lddsrc, const float *ddst, int lddst,
                      int rows, int cols)
{
    for (int i = 0; i < rows; i++) {
        float *d = dsrc + (size_t)i * lddsrc;
        const float *g = ddst + (size_t)i * lddst;
        for (int j = 0; j < cols; j++) {
            d[j] += g[j];
        }
    }
}
