/*
 * Parts of SO(3)'s exponential in a scalar form, which src/so3.c uses. With
 * AVX-512 there is also an 8-lane form over eight rotations at once. It
 * performs the same operations in the same order, so every lane has the
 * bits of the scalar function. The training batch builds its noisy
 * rotations eight at a time with it.
 */
#ifndef FRAMEFLOW_SO3_LANES_H
#define FRAMEFLOW_SO3_LANES_H

#include <stdint.h>

#include "frameflow/so3.h"

#include "mathfn.h"

/*
 * Below this angle the closed forms of Exp divide a small difference by a
 * power of t. Two Taylor terms are then exact to double precision because
 * the first dropped term is of order t^4 < 1e-16.
 */
#define FF_SO3_SMALL_ANGLE 1e-4

/*
 * Write the coefficients of Exp(w) = I + a K + b K^2, K = hat(w), for the
 * angle t = |w| and t2 = t^2: a = sin(t) / t and b = (1 - cos t) / t^2,
 * taken as 2 sin(t/2) cos(t/2) / t and 2 sin^2(t/2) / t^2, which avoids
 * the cancellation in 1 - cos t.
 */
static inline void
ff_so3_exp_coef(double *a, double *b, double t, double t2)
{
    if (t < FF_SO3_SMALL_ANGLE) {
        *a = 1.0 - t2 / 6.0;
        *b = 0.5 - t2 / 24.0;
        return;
    }
    double sh = 0.0;
    double ch = 0.0;
    ff_mathfn_sincos(&sh, &ch, 0.5 * t);
    *a = 2.0 * sh * ch / t;
    *b = 2.0 * sh * sh / t2;
}

/* Write I + a K + b K^2 for K = hat(w), expanding K^2 = w w^T - |w|^2 I. */
static inline void
ff_so3_rodrigues(double out[9], const double w[3], double a, double b)
{
    double t2 = w[0] * w[0] + w[1] * w[1] + w[2] * w[2];
    double K[9];

    ff_so3_hat(K, w);
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++) {
            double k2 = w[i] * w[j] - (i == j ? t2 : 0.0);
            out[3 * i + j] = (i == j ? 1.0 : 0.0) + a * K[3 * i + j] + b * k2;
        }
    }
}

#if defined(__AVX512F__) && defined(__AVX512VL__)

/* -x by flipping the sign bit, as unary minus does. */
static inline __m512d
ff_so3_negate8(__m512d x)
{
    return _mm512_castsi512_pd(_mm512_xor_si512(
        _mm512_castpd_si512(x), _mm512_set1_epi64(INT64_MIN)));
}

/* ff_so3_exp on 8 lanes: R[k] is entry k of the eight rotations. */
static inline void
ff_so3_exp8(__m512d R[9], const __m512d w[3])
{
    __m512d t = _mm512_sqrt_pd(_mm512_add_pd(
        _mm512_add_pd(_mm512_mul_pd(w[0], w[0]), _mm512_mul_pd(w[1], w[1])),
        _mm512_mul_pd(w[2], w[2])));
    __m512d t2 = _mm512_mul_pd(t, t);

    // ff_so3_exp_coef's two branches, chosen per lane.
    __m512d sh;
    __m512d ch;
    ff_mathfn_sincos8(&sh, &ch, _mm512_mul_pd(_mm512_set1_pd(0.5), t));
    __m512d two_sh = _mm512_mul_pd(_mm512_set1_pd(2.0), sh);
    __m512d a = _mm512_div_pd(_mm512_mul_pd(two_sh, ch), t);
    __m512d b = _mm512_div_pd(_mm512_mul_pd(two_sh, sh), t2);
    __mmask8 small = _mm512_cmp_pd_mask(
        t, _mm512_set1_pd(FF_SO3_SMALL_ANGLE), _CMP_LT_OQ);
    a = _mm512_mask_blend_pd(
        small, a,
        _mm512_sub_pd(_mm512_set1_pd(1.0),
                      _mm512_div_pd(t2, _mm512_set1_pd(6.0))));
    b = _mm512_mask_blend_pd(
        small, b,
        _mm512_sub_pd(_mm512_set1_pd(0.5),
                      _mm512_div_pd(t2, _mm512_set1_pd(24.0))));

    // ff_so3_rodrigues.
    __m512d r2 = _mm512_add_pd(
        _mm512_add_pd(_mm512_mul_pd(w[0], w[0]), _mm512_mul_pd(w[1], w[1])),
        _mm512_mul_pd(w[2], w[2]));
    __m512d zero = _mm512_setzero_pd();
    __m512d K[9] = {zero,   ff_so3_negate8(w[2]), w[1],
                    w[2],   zero,                 ff_so3_negate8(w[0]),
                    ff_so3_negate8(w[1]), w[0],   zero};
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++) {
            __m512d k2 = _mm512_sub_pd(_mm512_mul_pd(w[i], w[j]),
                                       i == j ? r2 : zero);
            R[3 * i + j] = _mm512_add_pd(
                _mm512_add_pd(_mm512_set1_pd(i == j ? 1.0 : 0.0),
                              _mm512_mul_pd(a, K[3 * i + j])),
                _mm512_mul_pd(b, k2));
        }
    }
}

/* ff_so3_compose on 8 lanes: out = A B. out must not alias A or B. */
static inline void
ff_so3_compose8(__m512d out[9], const __m512d A[9], const __m512d B[9])
{
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++) {
            out[3 * i + j] = _mm512_add_pd(
                _mm512_add_pd(_mm512_mul_pd(A[3 * i], B[j]),
                              _mm512_mul_pd(A[3 * i + 1], B[3 + j])),
                _mm512_mul_pd(A[3 * i + 2], B[6 + j]));
        }
    }
}

#endif

#endif
