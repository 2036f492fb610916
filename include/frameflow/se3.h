/*
 * Rigid motions: poses (R, x) in SE(3), acting on points as p -> R p + x.
 *
 * Rotations follow the conventions of so3.h (row-major double[9]).
 * Translations carry whatever unit the caller uses: Angstrom for frames read
 * from structures, model units inside a trained model. Outputs come first
 * and may be the same object as an input. Every function keeps no state
 * and is safe from any thread; ff_se3_from_matrix writes only its out and
 * err arguments.
 */
#ifndef FRAMEFLOW_SE3_H
#define FRAMEFLOW_SE3_H

#include <frameflow/common.h>
#include <frameflow/error.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ff_pose {
    double R[9];  /* rotation, row-major */
    double x[3];  /* translation */
} ff_pose;

/* Set a pose to the identity. */
FF_API void ff_se3_identity(ff_pose *out);

/* Compose out = a b: apply b first, then a. */
FF_API void ff_se3_compose(ff_pose *out, const ff_pose *a, const ff_pose *b);

/* Invert a pose: (R, x)^-1 = (R^T, -R^T x). */
FF_API void ff_se3_inverse(ff_pose *out, const ff_pose *a);

/* Map a point: out = R p + x. */
FF_API void ff_se3_act(double out[3], const ff_pose *a, const double p[3]);

/*
 * Return the distance sqrt(|xa - xb|^2 + |Log(Ra^T Rb)|^2), which mixes the
 * translation unit with radians; it is symmetric and zero only for equal
 * poses.
 */
FF_API double ff_se3_distance(const ff_pose *a, const ff_pose *b);

/* Write the pose as a row-major 4x4 homogeneous matrix. */
FF_API void ff_se3_to_matrix(double M[16], const ff_pose *a);

/*
 * Read a pose from a row-major 4x4 homogeneous matrix. The rotation block is
 * stored as given, not re-orthonormalised.
 *
 * Return FF_STATUS_OK, or on failure leave out untouched, fill err (may be
 * NULL) and return
 * - FF_STATUS_ERR_NUMERIC when an entry is NaN or infinite;
 * - FF_STATUS_ERR_INVALID when the last row is not exactly (0, 0, 0, 1) or
 *   the rotation block is not a rotation (an entry of R^T R - I above 1e-6,
 *   or det R < 0).
 */
FF_API FF_WARN_UNUSED int ff_se3_from_matrix(ff_pose *out,
                                             const double M[16],
                                             ff_error *err);

#ifdef __cplusplus
}
#endif

#endif
