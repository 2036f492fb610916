#include "frameflow/so3.h"

#include <math.h>

/*
 * Below this angle the closed forms of Exp divide a small difference by a
 * power of t; two Taylor terms are then exact to double precision because
 * the first dropped term is of order t^4 < 1e-16.
 */
#define SMALL_ANGLE 1e-4

/*
 * The Jacobian coefficients (t - sin t) / t^3 and (1 - (t/2) cot(t/2)) / t^2
 * cancel to a relative error of about 1e-16 / t^2, so they switch to their
 * series earlier; three terms leave a remainder below t^6 / 3e5 < 1e-17.
 */
#define SERIES_ANGLE 1e-2

static double
norm3(const double v[3])
{
    return sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
}

void
ff_so3_hat(double K[9], const double w[3])
{
    double a = w[0];
    double b = w[1];
    double c = w[2];

    K[0] = 0.0;
    K[1] = -c;
    K[2] = b;
    K[3] = c;
    K[4] = 0.0;
    K[5] = -a;
    K[6] = -b;
    K[7] = a;
    K[8] = 0.0;
}

void
ff_so3_vee(double w[3], const double K[9])
{
    // Averaging the two off-diagonal copies drops any symmetric part.
    double a = 0.5 * (K[7] - K[5]);
    double b = 0.5 * (K[2] - K[6]);
    double c = 0.5 * (K[3] - K[1]);

    w[0] = a;
    w[1] = b;
    w[2] = c;
}

/* Write I + a K + b K^2 for K = hat(w), expanding K^2 = w w^T - |w|^2 I. */
static void
rodrigues(double out[9], const double w[3], double a, double b)
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

void
ff_so3_exp(double R[9], const double w[3])
{
    double t = norm3(w);
    double t2 = t * t;
    double a;
    double b;

    if (t < SMALL_ANGLE) {
        a = 1.0 - t2 / 6.0;
        b = 0.5 - t2 / 24.0;
    } else {
        // 1 - cos t = 2 sin^2(t/2) avoids cancellation for moderate t.
        double h = sin(0.5 * t);
        a = sin(t) / t;
        b = 2.0 * h * h / t2;
    }
    rodrigues(R, w, a, b);
}

void
ff_so3_log(double w[3], const double R[9])
{
    // vee(R - R^T) / 2 = sin(t) u and (trace R - 1) / 2 = cos(t), so atan2
    // recovers t to full precision at every angle, where acos alone loses
    // half the digits near 0 and pi.
    double skew[3] = {0.5 * (R[7] - R[5]), 0.5 * (R[2] - R[6]),
                      0.5 * (R[3] - R[1])};
    double s = norm3(skew);
    double c = 0.5 * (R[0] + R[4] + R[8] - 1.0);
    if (c > 1.0) {
        c = 1.0;
    } else if (c < -1.0) {
        c = -1.0;
    }
    double t = atan2(s, c);

    if (c >= 0.0) {
        // Angle below pi/2: the skew part carries the whole vector.
        double f;
        if (t < SMALL_ANGLE) {
            double t2 = t * t;
            f = 1.0 + t2 / 6.0 + 7.0 * t2 * t2 / 360.0;
        } else {
            f = t / s;
        }
        w[0] = f * skew[0];
        w[1] = f * skew[1];
        w[2] = f * skew[2];
        return;
    }

    // Angle above pi/2: sin t -> 0 near pi, so take the axis from the
    // symmetric part (R + R^T) / 2 = c I + (1 - c) u u^T, starting from its
    // largest diagonal entry, and only the sign from the skew part.
    double S[9];
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++) {
            S[3 * i + j] = 0.5 * (R[3 * i + j] + R[3 * j + i]);
        }
    }
    int k = 0;
    if (S[4] > S[3 * k + k]) {
        k = 1;
    }
    if (S[8] > S[3 * k + k]) {
        k = 2;
    }
    double one_minus_c = 1.0 - c;
    double uk2 = (S[3 * k + k] - c) / one_minus_c;
    double uk = sqrt(uk2 > 0.0 ? uk2 : 0.0);
    double u[3];
    for (int j = 0; j < 3; j++) {
        u[j] = (j == k) ? uk : S[3 * k + j] / (one_minus_c * uk);
    }
    double un = norm3(u);
    double dot = u[0] * skew[0] + u[1] * skew[1] + u[2] * skew[2];
    double scale = (dot < 0.0 ? -t : t) / un;
    w[0] = scale * u[0];
    w[1] = scale * u[1];
    w[2] = scale * u[2];
}

void
ff_so3_compose(double out[9], const double A[9], const double B[9])
{
    double P[9];

    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++) {
            P[3 * i + j] = A[3 * i] * B[j] + A[3 * i + 1] * B[3 + j]
                           + A[3 * i + 2] * B[6 + j];
        }
    }
    for (int i = 0; i < 9; i++) {
        out[i] = P[i];
    }
}

void
ff_so3_inverse(double out[9], const double R[9])
{
    double T[9];

    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++) {
            T[3 * i + j] = R[3 * j + i];
        }
    }
    for (int i = 0; i < 9; i++) {
        out[i] = T[i];
    }
}

void
ff_so3_act(double out[3], const double R[9], const double p[3])
{
    double q[3];

    for (int i = 0; i < 3; i++) {
        q[i] = R[3 * i] * p[0] + R[3 * i + 1] * p[1] + R[3 * i + 2] * p[2];
    }
    out[0] = q[0];
    out[1] = q[1];
    out[2] = q[2];
}

void
ff_so3_jl(double J[9], const double w[3])
{
    double t = norm3(w);
    double t2 = t * t;
    double a;
    double b;

    if (t < SERIES_ANGLE) {
        a = 0.5 - t2 / 24.0 + t2 * t2 / 720.0;
        b = 1.0 / 6.0 - t2 / 120.0 + t2 * t2 / 5040.0;
    } else {
        double h = sin(0.5 * t);
        a = 2.0 * h * h / t2;
        b = (t - sin(t)) / (t2 * t);
    }
    rodrigues(J, w, a, b);
}

void
ff_so3_jl_inv(double J[9], const double w[3])
{
    // Jl(w)^-1 = I - K/2 + ((1 - (t/2) cot(t/2)) / t^2) K^2; written with
    // cot(t/2) the coefficient stays finite at t = pi, where the usual
    // (1 + cos t) / (2 t sin t) form is 0/0. It diverges only at t = 2 pi.
    double t = norm3(w);
    double t2 = t * t;
    double b;

    if (t < SERIES_ANGLE) {
        b = 1.0 / 12.0 + t2 / 720.0 + t2 * t2 / 30240.0;
    } else {
        double h = 0.5 * t;
        b = (1.0 - h * cos(h) / sin(h)) / t2;
    }
    rodrigues(J, w, -0.5, b);
}

void
ff_so3_jr(double J[9], const double w[3])
{
    double m[3] = {-w[0], -w[1], -w[2]};

    ff_so3_jl(J, m);
}

void
ff_so3_jr_inv(double J[9], const double w[3])
{
    double m[3] = {-w[0], -w[1], -w[2]};

    ff_so3_jl_inv(J, m);
}

void
ff_so3_interp(double out[9], const double R0[9], const double R1[9],
              double s)
{
    double D[9];
    double w[3];
    double start[9];

    for (int i = 0; i < 9; i++) {
        start[i] = R0[i];
    }
    ff_so3_inverse(D, R0);
    ff_so3_compose(D, D, R1);
    ff_so3_log(w, D);
    w[0] *= s;
    w[1] *= s;
    w[2] *= s;
    ff_so3_exp(D, w);
    ff_so3_compose(out, start, D);
}

void
ff_so3_scale_geodesic(double out[3], const double w[3], double s)
{
    double R[9];
    double v[3];

    ff_so3_exp(R, w);
    ff_so3_log(v, R);
    out[0] = s * v[0];
    out[1] = s * v[1];
    out[2] = s * v[2];
}

void
ff_so3_to_quat(double q[4], const double R[9])
{
    // Shepperd's method: build the quaternion from its largest component,
    // so the square root never takes a small, noisy argument.
    double tr = R[0] + R[4] + R[8];
    double v[4];

    if (tr >= R[0] && tr >= R[4] && tr >= R[8]) {
        double r = sqrt(1.0 + tr);
        double f = 0.5 / r;
        v[0] = 0.5 * r;
        v[1] = (R[7] - R[5]) * f;
        v[2] = (R[2] - R[6]) * f;
        v[3] = (R[3] - R[1]) * f;
    } else if (R[0] >= R[4] && R[0] >= R[8]) {
        double r = sqrt(1.0 + R[0] - R[4] - R[8]);
        double f = 0.5 / r;
        v[0] = (R[7] - R[5]) * f;
        v[1] = 0.5 * r;
        v[2] = (R[1] + R[3]) * f;
        v[3] = (R[2] + R[6]) * f;
    } else if (R[4] >= R[8]) {
        double r = sqrt(1.0 - R[0] + R[4] - R[8]);
        double f = 0.5 / r;
        v[0] = (R[2] - R[6]) * f;
        v[1] = (R[1] + R[3]) * f;
        v[2] = 0.5 * r;
        v[3] = (R[5] + R[7]) * f;
    } else {
        double r = sqrt(1.0 - R[0] - R[4] + R[8]);
        double f = 0.5 / r;
        v[0] = (R[3] - R[1]) * f;
        v[1] = (R[2] + R[6]) * f;
        v[2] = (R[5] + R[7]) * f;
        v[3] = 0.5 * r;
    }

    double n = sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2] + v[3] * v[3]);
    double sign = v[0] < 0.0 ? -1.0 : 1.0;
    for (int i = 0; i < 4; i++) {
        q[i] = sign * v[i] / n;
    }
}

void
ff_so3_from_quat(double R[9], const double q[4])
{
    double n = sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);

    if (n == 0.0) {
        double w0[3] = {0.0, 0.0, 0.0};
        ff_so3_exp(R, w0);
        return;
    }
    double w = q[0] / n;
    double x = q[1] / n;
    double y = q[2] / n;
    double z = q[3] / n;

    R[0] = 1.0 - 2.0 * (y * y + z * z);
    R[1] = 2.0 * (x * y - w * z);
    R[2] = 2.0 * (x * z + w * y);
    R[3] = 2.0 * (x * y + w * z);
    R[4] = 1.0 - 2.0 * (x * x + z * z);
    R[5] = 2.0 * (y * z - w * x);
    R[6] = 2.0 * (x * z - w * y);
    R[7] = 2.0 * (y * z + w * x);
    R[8] = 1.0 - 2.0 * (x * x + y * y);
}

void
ff_so3_orthonormalize(double out[9], const double R[9])
{
    double c0[3] = {R[0], R[3], R[6]};
    double c1[3] = {R[1], R[4], R[7]};
    double n0 = norm3(c0);

    for (int i = 0; i < 3; i++) {
        c0[i] /= n0;
    }
    double d = c0[0] * c1[0] + c0[1] * c1[1] + c0[2] * c1[2];
    for (int i = 0; i < 3; i++) {
        c1[i] -= d * c0[i];
    }
    double n1 = norm3(c1);
    for (int i = 0; i < 3; i++) {
        c1[i] /= n1;
    }
    double c2[3] = {c0[1] * c1[2] - c0[2] * c1[1],
                    c0[2] * c1[0] - c0[0] * c1[2],
                    c0[0] * c1[1] - c0[1] * c1[0]};

    for (int i = 0; i < 3; i++) {
        out[3 * i] = c0[i];
        out[3 * i + 1] = c1[i];
        out[3 * i + 2] = c2[i];
    }
}

double
ff_so3_angle(const double A[9], const double B[9])
{
    double D[9];
    double w[3];

    ff_so3_inverse(D, A);
    ff_so3_compose(D, D, B);
    ff_so3_log(w, D);
    return norm3(w);
}

double
ff_so3_orthonormality_error(const double R[9])
{
    double worst = 0.0;

    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++) {
            double g = R[i] * R[j] + R[3 + i] * R[3 + j] + R[6 + i] * R[6 + j];
            double e = fabs(g - (i == j ? 1.0 : 0.0));
            // A NaN entry must count as the worst error, not be skipped.
            if (isnan(e)) {
                return INFINITY;
            }
            if (e > worst) {
                worst = e;
            }
        }
    }
    return worst;
}

double
ff_so3_det(const double R[9])
{
    return R[0] * (R[4] * R[8] - R[5] * R[7])
           - R[1] * (R[3] * R[8] - R[5] * R[6])
           + R[2] * (R[3] * R[7] - R[4] * R[6]);
}
