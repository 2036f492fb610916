/*
 * Rotations: the group SO(3), its exponential and logarithm maps, Jacobians,
 * geodesic interpolation, quaternions and re-orthonormalisation.
 *
 * Conventions:
 * - Every rotation matrix is 3x3, double precision, stored row-major in
 *   double[9]: element (i, j) is R[3 * i + j]. Angles are in radians.
 * - A rotation vector w has angle |w| and axis w / |w|;
 *   Exp(w) = I + (sin t / t) K + ((1 - cos t) / t^2) K^2, t = |w|,
 *   K = hat(w). Log returns the principal vector, |w| <= pi.
 * - Perturbations are right perturbations, R Exp(d), unless a function says
 *   otherwise.
 * - Quaternions are (w, x, y, z), scalar first, unit length.
 * - Outputs come first. An output may be the same array as an input of the
 *   same shape (compose(A, A, B), act(p, R, p)): each function reads its
 *   inputs before it writes. Arrays that overlap only in part are not
 *   supported.
 *
 * Accuracy: Log(Exp(w)) returns w to within 1e-9 at every angle up to and
 * including pi (pi - 1e-8 included), which the tests check on random axes.
 * At an angle of exactly pi the sign of w is arbitrary. Taylor series
 * replace the closed forms near angle 0, so nothing divides by a tiny angle.
 *
 * Every function is pure: no allocation, no state, safe from any thread.
 * No function reports errors: a NaN input gives NaN outputs, except that
 * ff_so3_orthonormality_error returns infinity.
 */
#ifndef FRAMEFLOW_SO3_H
#define FRAMEFLOW_SO3_H

#include <frameflow/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Write the skew matrix K of w, so that K v = w x v. */
FF_API void ff_so3_hat(double K[9], const double w[3]);

/* Read w back from a skew matrix; the symmetric part of K is ignored. */
FF_API void ff_so3_vee(double w[3], const double K[9]);

/* Compute R = Exp(w) by Rodrigues' formula. */
FF_API void ff_so3_exp(double R[9], const double w[3]);

/*
 * Compute the rotation vector w = Log(R) with |w| in [0, pi].
 * R must be a rotation to within about 1e-9; the result for other matrices
 * is unspecified. At an angle of exactly pi the axis sign is arbitrary (both
 * signs give the same rotation).
 */
FF_API void ff_so3_log(double w[3], const double R[9]);

/* Compose out = A B (apply B first). */
FF_API void ff_so3_compose(double out[9], const double A[9], const double B[9]);

/* Invert a rotation: out = R^T. */
FF_API void ff_so3_inverse(double out[9], const double R[9]);

/* Rotate a point: out = R p. */
FF_API void ff_so3_act(double out[3], const double R[9], const double p[3]);

/*
 * Left Jacobian Jl(w) = I + ((1 - cos t) / t^2) K + ((t - sin t) / t^3) K^2,
 * so that Exp(w + d) ~ Exp(Jl(w) d) Exp(w) for small d.
 */
FF_API void ff_so3_jl(double J[9], const double w[3]);

/*
 * Inverse of the left Jacobian,
 * Jl(w)^-1 = I - K/2 + ((1 - (t/2) cot(t/2)) / t^2) K^2, in closed form
 * (series near 0). Finite for |w| < 2 pi, pi included.
 */
FF_API void ff_so3_jl_inv(double J[9], const double w[3]);

/*
 * Right Jacobian Jr(w) = Jl(-w) = Jl(w)^T, so that
 * Exp(w + d) ~ Exp(w) Exp(Jr(w) d) for small d.
 */
FF_API void ff_so3_jr(double J[9], const double w[3]);

/* Inverse of the right Jacobian, Jr(w)^-1 = Jl(w)^-T, finite for |w| < 2 pi. */
FF_API void ff_so3_jr_inv(double J[9], const double w[3]);

/*
 * Interpolate along the geodesic: out = R0 Exp(s Log(R0^T R1)).
 * s = 0 gives R0 and s = 1 gives R1; s outside [0, 1] extrapolates. When
 * R0^T R1 turns by exactly pi the two geodesics are equally short and the
 * one taken is arbitrary.
 */
FF_API void ff_so3_interp(double out[9], const double R0[9],
                          const double R1[9], double s);

/*
 * Scale a rotation vector geodesically: wrap w to the principal branch
 * (w' = Log(Exp(w)), so |w'| <= pi and Exp(w') = Exp(w)), then multiply by
 * s. A w that wraps to an angle of exactly pi keeps an arbitrary sign.
 */
FF_API void ff_so3_scale_geodesic(double out[3], const double w[3], double s);

/*
 * Convert a rotation matrix to a unit quaternion with w >= 0 (q and -q are
 * the same rotation). At an angle of pi, w = 0 and the sign is arbitrary.
 */
FF_API void ff_so3_to_quat(double q[4], const double R[9]);

/*
 * Convert a quaternion to a rotation matrix. q need not be unit length: it
 * is normalised first. A zero quaternion gives the identity.
 */
FF_API void ff_so3_from_quat(double R[9], const double q[4]);

/*
 * Project a nearly orthonormal matrix back onto SO(3) by Gram-Schmidt on
 * its columns (first column kept in direction, third = first x second).
 * Use it after many compositions to remove rounding drift. The third input
 * column is not read, so a reflection comes back as the rotation that
 * shares its first two columns. When the first two columns are zero or
 * parallel the output contains NaN.
 */
FF_API void ff_so3_orthonormalize(double out[9], const double R[9]);

/* Return the angle in radians, in [0, pi], of the rotation A^T B. */
FF_API double ff_so3_angle(const double A[9], const double B[9]);

/*
 * Return the largest absolute entry of R^T R - I, a measure of how far R is
 * from being orthonormal.
 */
FF_API double ff_so3_orthonormality_error(const double R[9]);

/* Return the determinant of a 3x3 matrix. */
FF_API double ff_so3_det(const double R[9]);

#ifdef __cplusplus
}
#endif

#endif
