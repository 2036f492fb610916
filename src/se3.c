#include "frameflow/se3.h"

#include <math.h>

#include "errors.h"
#include "frameflow/so3.h"

/*
 * Largest entry of R^T R - I accepted from a caller's matrix: 1e-6 admits
 * rotations written with six or more decimals and rejects scaling and
 * shear.
 */
#define RIGID_TOLERANCE 1e-6

void
ff_se3_identity(ff_pose *out)
{
    for (int i = 0; i < 9; i++) {
        out->R[i] = (i % 4 == 0) ? 1.0 : 0.0;
    }
    out->x[0] = 0.0;
    out->x[1] = 0.0;
    out->x[2] = 0.0;
}

void
ff_se3_compose(ff_pose *out, const ff_pose *a, const ff_pose *b)
{
    ff_pose r;

    // (Ra, xa)(Rb, xb) = (Ra Rb, Ra xb + xa)
    ff_so3_compose(r.R, a->R, b->R);
    ff_so3_act(r.x, a->R, b->x);
    for (int i = 0; i < 3; i++) {
        r.x[i] += a->x[i];
    }
    *out = r;
}

void
ff_se3_inverse(ff_pose *out, const ff_pose *a)
{
    ff_pose r;

    ff_so3_inverse(r.R, a->R);
    ff_so3_act(r.x, r.R, a->x);
    for (int i = 0; i < 3; i++) {
        r.x[i] = -r.x[i];
    }
    *out = r;
}

void
ff_se3_act(double out[3], const ff_pose *a, const double p[3])
{
    double q[3];

    ff_so3_act(q, a->R, p);
    for (int i = 0; i < 3; i++) {
        out[i] = q[i] + a->x[i];
    }
}

double
ff_se3_distance(const ff_pose *a, const ff_pose *b)
{
    double dx = a->x[0] - b->x[0];
    double dy = a->x[1] - b->x[1];
    double dz = a->x[2] - b->x[2];
    double t = ff_so3_angle(a->R, b->R);

    return sqrt(dx * dx + dy * dy + dz * dz + t * t);
}

void
ff_se3_to_matrix(double M[16], const ff_pose *a)
{
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++) {
            M[4 * i + j] = a->R[3 * i + j];
        }
        M[4 * i + 3] = a->x[i];
    }
    M[12] = 0.0;
    M[13] = 0.0;
    M[14] = 0.0;
    M[15] = 1.0;
}

int
ff_se3_from_matrix(ff_pose *out, const double M[16], ff_error *err)
{
    ff_pose r;

    for (int i = 0; i < 16; i++) {
        if (!isfinite(M[i])) {
            return ff_error_set(err, FF_STATUS_ERR_NUMERIC,
                                "pose matrix entry at row %d, column %d is %g, not finite",
                                i / 4 + 1, i % 4 + 1, M[i]);
        }
    }
    if (M[12] != 0.0 || M[13] != 0.0 || M[14] != 0.0 || M[15] != 1.0) {
        return ff_error_set(err, FF_STATUS_ERR_INVALID,
                            "pose matrix last row is (%g, %g, %g, %g), not (0, 0, 0, 1)",
                            M[12], M[13], M[14], M[15]);
    }
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++) {
            r.R[3 * i + j] = M[4 * i + j];
        }
        r.x[i] = M[4 * i + 3];
    }

    double off = ff_so3_orthonormality_error(r.R);
    if (off > RIGID_TOLERANCE) {
        return ff_error_set(err, FF_STATUS_ERR_INVALID,
                            "pose rotation block is not orthonormal (R^T R - I reaches %g)",
                            off);
    }
    double det = ff_so3_det(r.R);
    if (det < 0.0) {
        return ff_error_set(err, FF_STATUS_ERR_INVALID,
                            "pose rotation block has determinant %g, a reflection",
                            det);
    }
    *out = r;
    return FF_STATUS_OK;
}
