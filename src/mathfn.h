/*
 * Elementary functions in double precision, each in a scalar form and, with
 * AVX-512, an 8-lane form that performs the same operations in the same
 * order, so that every lane has the scalar result's bits. The training
 * batch draws its noise eight samples at a time and must agree with
 * ff_rng_normal, which draws one at a time.
 *
 * tests/test-mathfn.c checks both against long double references and the
 * lanes against the scalar forms. The logarithm is within 1.4 units in the
 * last place (1.32 at worst in a search near sqrt(1/2)). The sine and
 * cosine are within 4e-16.
 */
#ifndef FRAMEFLOW_MATHFN_H
#define FRAMEFLOW_MATHFN_H

#include <math.h>
#include <stdint.h>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

/* ln 2 in two parts: the first has 21 significant bits, so k times it is
 * exact for any binary exponent k. */
#define FF_MATHFN_LN2_HI 0x1.62e42p-1
#define FF_MATHFN_LN2_LO 0x1.fdf473de6af28p-22
#define FF_MATHFN_SQRT2 0x1.6a09e667f3bcdp+0
/* 1.5 * 2^52: adding and subtracting it rounds a double of magnitude below
 * 2^51 to the nearest integer. */
#define FF_MATHFN_ROUND_MAGIC 6755399441055744.0

/* Coefficients 2 / (2n + 1), n = 11 down to 1, of the series of log(1 + f)
 * in s = f / (2 + f): 2 atanh s = 2 s + s (2 s^2 / 3 + 2 s^4 / 5 + ...). */
#define FF_MATHFN_LOG_TERMS 11
static const double ff_mathfn_log_coef[FF_MATHFN_LOG_TERMS] = {
    2.0 / 23.0, 2.0 / 21.0, 2.0 / 19.0, 2.0 / 17.0, 2.0 / 15.0, 2.0 / 13.0,
    2.0 / 11.0, 2.0 / 9.0, 2.0 / 7.0, 2.0 / 5.0, 2.0 / 3.0,
};

/* Taylor coefficients of sin a / a and cos a in a^2, highest first. A
 * shorter series takes the last terms: 7 and 8 of them omit terms below
 * (pi/4)^15 / 15! = 2.1e-14, enough for results rounded to float. */
#define FF_MATHFN_SIN_TERMS 9
#define FF_MATHFN_SIN_TERMS_FLOAT 7
static const double ff_mathfn_sin_coef[FF_MATHFN_SIN_TERMS] = {
    1.0 / 355687428096000.0, -1.0 / 1307674368000.0, 1.0 / 6227020800.0,
    -1.0 / 39916800.0, 1.0 / 362880.0, -1.0 / 5040.0, 1.0 / 120.0,
    -1.0 / 6.0, 1.0,
};
#define FF_MATHFN_COS_TERMS 10
#define FF_MATHFN_COS_TERMS_FLOAT 8
static const double ff_mathfn_cos_coef[FF_MATHFN_COS_TERMS] = {
    -1.0 / 6402373705728000.0, 1.0 / 20922789888000.0,
    -1.0 / 87178291200.0, 1.0 / 479001600.0, -1.0 / 3628800.0,
    1.0 / 40320.0, -1.0 / 720.0, 1.0 / 24.0, -0.5, 1.0,
};

/*
 * Return the natural logarithm of x, for positive finite normal x (the
 * noise draws only take logarithms of uniforms in [2^-53, 1)). With x =
 * m 2^k and m in [sqrt(1/2), sqrt(2)), f = m - 1 is exact and log(1 + f)
 * comes from the series in s = f / (2 + f), |s| < 0.172, whose first
 * omitted term is below 2 * 0.0295^12 / 25 = 3e-20.
 */
static inline double
ff_mathfn_log(double x)
{
    int e = 0;
    double m = 2.0 * frexp(x, &e);
    double k = (double)(e - 1);

    if (m > FF_MATHFN_SQRT2) {
        m = 0.5 * m;
        k = k + 1.0;
    }
    double f = m - 1.0;
    double s = f / (2.0 + f);
    double z = s * s;
    double r = ff_mathfn_log_coef[0];
    for (int i = 1; i < FF_MATHFN_LOG_TERMS; i++) {
        r = r * z + ff_mathfn_log_coef[i];
    }
    r = r * z;
    // log(1 + f) = 2 s + s r = f - s (f - r), as 2 s = f - s f.
    double log_m = f - s * (f - r);
    return k * FF_MATHFN_LN2_HI + (k * FF_MATHFN_LN2_LO + log_m);
}

/*
 * Write sin(2 pi u) and cos(2 pi u) from the last sin_terms and cos_terms
 * terms of the series. Reducing u (in turns) by its nearest integer is
 * exact in double, so the reduction loses nothing even for large u. A
 * quarter-turn quadrant then leaves an angle a in [-pi/4, pi/4] for the
 * Taylor series.
 */
static inline void
ff_mathfn_sincos_turns_series(double *s_out, double *c_out, double u,
                              int sin_terms, int cos_terms)
{
    const double two_pi = 6.283185307179586;

    // Adding and subtracting the rounding constant rounds exactly only for
    // |u| below 2^51 (at u = 2^106 it leaves r = 2^53). Every double from
    // 2^51 up is a whole or half turn, which rint reduces exactly, and an
    // infinite u gives NaN, as sin does.
    double r = fabs(u) < 0x1p51
               ? u - ((u + FF_MATHFN_ROUND_MAGIC) - FF_MATHFN_ROUND_MAGIC)
               : u - rint(u);
    double q = (4.0 * r + FF_MATHFN_ROUND_MAGIC) - FF_MATHFN_ROUND_MAGIC;
    double a = two_pi * (r - 0.25 * q);
    double a2 = a * a;

    double s = ff_mathfn_sin_coef[FF_MATHFN_SIN_TERMS - sin_terms];
    for (int i = FF_MATHFN_SIN_TERMS - sin_terms + 1; i < FF_MATHFN_SIN_TERMS;
         i++) {
        s = s * a2 + ff_mathfn_sin_coef[i];
    }
    s = s * a;
    double c = ff_mathfn_cos_coef[FF_MATHFN_COS_TERMS - cos_terms];
    for (int i = FF_MATHFN_COS_TERMS - cos_terms + 1; i < FF_MATHFN_COS_TERMS;
         i++) {
        c = c * a2 + ff_mathfn_cos_coef[i];
    }

    // Rotate by q quarter turns: (sin, cos) of a + q pi / 2. q is -2 to 2,
    // or NaN, when s and c are NaN already.
    int quadrant = isnan(q) ? 0 : (int)q & 3;
    double sin_v = (quadrant & 1) ? c : s;
    double cos_v = (quadrant & 1) ? s : c;
    *s_out = (quadrant & 2) ? -sin_v : sin_v;
    *c_out = ((quadrant + 1) & 2) ? -cos_v : cos_v;
}

/* sin(2 pi u) and cos(2 pi u) with the whole series, to a^17 and a^18,
 * whose first omitted terms are below (pi/4)^19 / 19! = 9e-20. */
static inline void
ff_mathfn_sincos_turns(double *s_out, double *c_out, double u)
{
    ff_mathfn_sincos_turns_series(s_out, c_out, u, FF_MATHFN_SIN_TERMS,
                                  FF_MATHFN_COS_TERMS);
}

/*
 * Box and Muller's transform of two uniforms in (0, 1) into two independent
 * standard normals: with r = sqrt(-2 log u1), first r cos(2 pi u2), then
 * r sin(2 pi u2).
 */
static inline void
ff_mathfn_box_muller(double *first, double *second, double u1, double u2)
{
    double r = sqrt(-2.0 * ff_mathfn_log(u1));
    double s;
    double c;

    ff_mathfn_sincos_turns(&s, &c, u2);
    *first = r * c;
    *second = r * s;
}

#if defined(__AVX512F__) && defined(__AVX512VL__)

/* ff_mathfn_log on 8 lanes. getexp and getmant split x exactly, as frexp
 * does. */
static inline __m512d
ff_mathfn_log8(__m512d x)
{
    __m512d k = _mm512_getexp_pd(x);
    __m512d m = _mm512_getmant_pd(x, _MM_MANT_NORM_1_2, _MM_MANT_SIGN_src);
    __mmask8 high = _mm512_cmp_pd_mask(m, _mm512_set1_pd(FF_MATHFN_SQRT2),
                                       _CMP_GT_OQ);

    m = _mm512_mask_mul_pd(m, high, _mm512_set1_pd(0.5), m);
    k = _mm512_mask_add_pd(k, high, k, _mm512_set1_pd(1.0));
    __m512d f = _mm512_sub_pd(m, _mm512_set1_pd(1.0));
    __m512d s = _mm512_div_pd(f, _mm512_add_pd(_mm512_set1_pd(2.0), f));
    __m512d z = _mm512_mul_pd(s, s);
    __m512d r = _mm512_set1_pd(ff_mathfn_log_coef[0]);
    for (int i = 1; i < FF_MATHFN_LOG_TERMS; i++) {
        r = _mm512_add_pd(_mm512_mul_pd(r, z),
                          _mm512_set1_pd(ff_mathfn_log_coef[i]));
    }
    r = _mm512_mul_pd(r, z);
    __m512d log_m = _mm512_sub_pd(f, _mm512_mul_pd(s, _mm512_sub_pd(f, r)));
    return _mm512_add_pd(
        _mm512_mul_pd(k, _mm512_set1_pd(FF_MATHFN_LN2_HI)),
        _mm512_add_pd(_mm512_mul_pd(k, _mm512_set1_pd(FF_MATHFN_LN2_LO)),
                      log_m));
}

/* ff_mathfn_sincos_turns_series on 8 lanes. */
static inline void
ff_mathfn_sincos_turns_series8(__m512d *s_out, __m512d *c_out, __m512d u,
                               int sin_terms, int cos_terms)
{
    const __m512d round_magic = _mm512_set1_pd(FF_MATHFN_ROUND_MAGIC);

    // The two reductions of the scalar code, chosen per lane. A NaN u
    // fails the comparison and takes rint, as fabs(u) < 2^51 does.
    __m512d near = _mm512_sub_pd(
        u, _mm512_sub_pd(_mm512_add_pd(u, round_magic), round_magic));
    __m512d far = _mm512_sub_pd(
        u, _mm512_roundscale_pd(u, _MM_FROUND_TO_NEAREST_INT
                                       | _MM_FROUND_NO_EXC));
    __mmask8 small = _mm512_cmp_pd_mask(_mm512_abs_pd(u),
                                        _mm512_set1_pd(0x1p51), _CMP_LT_OQ);
    __m512d r = _mm512_mask_blend_pd(small, far, near);
    __m512d q = _mm512_sub_pd(
        _mm512_add_pd(_mm512_mul_pd(_mm512_set1_pd(4.0), r), round_magic),
        round_magic);
    __m512d a = _mm512_mul_pd(
        _mm512_set1_pd(6.283185307179586),
        _mm512_sub_pd(r, _mm512_mul_pd(_mm512_set1_pd(0.25), q)));
    __m512d a2 = _mm512_mul_pd(a, a);

    __m512d sv = _mm512_set1_pd(
        ff_mathfn_sin_coef[FF_MATHFN_SIN_TERMS - sin_terms]);
    for (int i = FF_MATHFN_SIN_TERMS - sin_terms + 1; i < FF_MATHFN_SIN_TERMS;
         i++) {
        sv = _mm512_add_pd(_mm512_mul_pd(sv, a2),
                           _mm512_set1_pd(ff_mathfn_sin_coef[i]));
    }
    sv = _mm512_mul_pd(sv, a);
    __m512d cv = _mm512_set1_pd(
        ff_mathfn_cos_coef[FF_MATHFN_COS_TERMS - cos_terms]);
    for (int i = FF_MATHFN_COS_TERMS - cos_terms + 1; i < FF_MATHFN_COS_TERMS;
         i++) {
        cv = _mm512_add_pd(_mm512_mul_pd(cv, a2),
                           _mm512_set1_pd(ff_mathfn_cos_coef[i]));
    }

    // A NaN q converts to INT_MIN, whose low bits are 0, the quadrant the
    // scalar code gives it.
    __m256i quadrant = _mm512_cvttpd_epi32(q);
    __mmask8 odd = _mm256_test_epi32_mask(quadrant, _mm256_set1_epi32(1));
    __mmask8 sin_neg = _mm256_test_epi32_mask(quadrant,
                                              _mm256_set1_epi32(2));
    __mmask8 cos_neg = _mm256_test_epi32_mask(
        _mm256_add_epi32(quadrant, _mm256_set1_epi32(1)),
        _mm256_set1_epi32(2));
    __m512d sin_v = _mm512_mask_blend_pd(odd, sv, cv);
    __m512d cos_v = _mm512_mask_blend_pd(odd, cv, sv);
    // Negate by flipping the sign bit, as unary minus does (0 - x would
    // turn -0 into +0).
    const __m512i sign = _mm512_set1_epi64(INT64_MIN);
    *s_out = _mm512_castsi512_pd(_mm512_mask_xor_epi64(
        _mm512_castpd_si512(sin_v), sin_neg, _mm512_castpd_si512(sin_v),
        sign));
    *c_out = _mm512_castsi512_pd(_mm512_mask_xor_epi64(
        _mm512_castpd_si512(cos_v), cos_neg, _mm512_castpd_si512(cos_v),
        sign));
}

/* ff_mathfn_sincos_turns on 8 lanes. */
static inline void
ff_mathfn_sincos_turns8(__m512d *s_out, __m512d *c_out, __m512d u)
{
    ff_mathfn_sincos_turns_series8(s_out, c_out, u, FF_MATHFN_SIN_TERMS,
                                   FF_MATHFN_COS_TERMS);
}


/* ff_mathfn_box_muller on 8 lanes. */
static inline void
ff_mathfn_box_muller8(__m512d *first, __m512d *second, __m512d u1,
                      __m512d u2)
{
    __m512d r = _mm512_sqrt_pd(
        _mm512_mul_pd(_mm512_set1_pd(-2.0), ff_mathfn_log8(u1)));
    __m512d s;
    __m512d c;

    ff_mathfn_sincos_turns8(&s, &c, u2);
    *first = _mm512_mul_pd(r, c);
    *second = _mm512_mul_pd(r, s);
}

#endif

#endif
