#include <math.h>
#include <stdio.h>
#include <string.h>

#include <check.h>

#include "frameflow/so3.h"
#include "testutil.h"

/* Log(Exp(w)) must return w to this accuracy at every angle (so3.h). */
#define LOG_TOL 1e-9

/*
 * A short chain of 3x3 products, Exp and Log on entries of size up to 10
 * rounds to at most 6e-15 on these inputs (measured on x86-64 with glibc's
 * libm); 1e-13 leaves a margin of about 20.
 */
#define CHAIN_TOL 1e-13

/*
 * Jacobian products have entries below 2 and three terms each, and round to
 * at most 7e-16 (measured as above). 1e-14 leaves a margin of over 10 and
 * still detects a wrong t^2 term in a series, which shifts them by 4e-13.
 */
#define JAC_TOL 1e-14

/*
 * Below an angle of 1, Exp - I and Log have no cancellation, so they keep a
 * relative accuracy of about 2e-16 (measured as above) however small the
 * angle. Checks there scale this bound by the angle, with a margin of 50.
 */
#define REL_TOL 1e-14

/* Rotations that the library returns must satisfy R^T R = I and det R = 1
 * to this accuracy; rounding alone leaves about 1e-15. */
#define SO3_TOL 1e-12

/*
 * Central differences with step h = 1e-5 err by about h^2 (truncation) plus
 * 1e-16 / h (rounding), both near 1e-10; 1e-8 leaves a margin of 100.
 */
#define FD_STEP 1e-5
#define FD_TOL 1e-8

static const double identity[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};

static int
count_of(size_t bytes, size_t one)
{
    return (int)(bytes / one);
}

static double
norm3(const double v[3])
{
    return sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
}

static void
scale3(double out[3], const double v[3], double s)
{
    for (int i = 0; i < 3; i++) {
        out[i] = s * v[i];
    }
}

/* Plain 3x3 product, written here so the reference values below do not
 * depend on the library's own compose. */
static void
matmul3(double out[9], const double A[9], const double B[9])
{
    double P[9];

    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++) {
            double sum = 0.0;
            for (int k = 0; k < 3; k++) {
                sum += A[3 * i + k] * B[3 * k + j];
            }
            P[3 * i + j] = sum;
        }
    }
    memcpy(out, P, sizeof P);
}

static void
transpose3(double out[9], const double A[9])
{
    double T[9];

    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++) {
            T[3 * i + j] = A[3 * j + i];
        }
    }
    memcpy(out, T, sizeof T);
}

/*
 * Matrix exponential of a general 3x3 A by scaling and squaring: A / 2^j
 * has infinity norm at most 1/2, where 30 Taylor terms leave a remainder
 * below 0.5^31 / 31! (negligible), and j squarings undo the scaling.
 */
static void
expm_series(double E[9], const double A[9])
{
    double norm = 0.0;
    for (int i = 0; i < 3; i++) {
        double row = fabs(A[3 * i]) + fabs(A[3 * i + 1]) + fabs(A[3 * i + 2]);
        norm = row > norm ? row : norm;
    }
    int squarings = 0;
    while (norm > 0.5) {
        norm *= 0.5;
        squarings++;
    }

    double scaled[9];
    for (int i = 0; i < 9; i++) {
        scaled[i] = ldexp(A[i], -squarings);
    }
    double term[9];
    memcpy(E, identity, sizeof identity);
    memcpy(term, identity, sizeof identity);
    for (int k = 1; k <= 30; k++) {
        matmul3(term, term, scaled);
        for (int i = 0; i < 9; i++) {
            term[i] /= k;
            E[i] += term[i];
        }
    }

    for (int s = 0; s < squarings; s++) {
        matmul3(E, E, E);
    }
}

/* Left Jacobian as its series sum_n K^n / (n + 1)!, 40 terms. */
static void
jl_series(double J[9], const double w[3])
{
    double K[9];
    double term[9];

    ff_so3_hat(K, w);
    memcpy(J, identity, sizeof identity);
    memcpy(term, identity, sizeof identity);
    for (int n = 1; n <= 40; n++) {
        matmul3(term, term, K);
        for (int i = 0; i < 9; i++) {
            term[i] /= n + 1;
            J[i] += term[i];
        }
    }
}

/* The angle t wrapped to (-pi, pi]: t - 2 pi round(t / (2 pi)). */
static double
wrap_angle(double t)
{
    return t - 2.0 * M_PI * round(t / (2.0 * M_PI));
}

static void
assert_on_so3(const double R[9], const char *what)
{
    double err = ff_so3_orthonormality_error(R);
    ck_assert_msg(err < SO3_TOL, "%s: R^T R - I reaches %g", what, err);
    double det = ff_so3_det(R);
    ck_assert_msg(fabs(det - 1.0) < SO3_TOL, "%s: det R = %.17g", what, det);
}

/* Check Log(Exp(t axis)) = t axis, up to the sign of w at exactly pi. */
static void
check_round_trip(double t, const double axis[3], const char *what)
{
    double w[3];
    double back[3];
    double R[9];

    scale3(w, axis, t);
    ff_so3_exp(R, w);
    ff_so3_log(back, R);
    if (t < M_PI) {
        test_assert_close(back, w, 3, LOG_TOL, what);
        return;
    }

    // At exactly pi, w and -w are the same rotation: compare w up to its
    // sign, and the rotations themselves.
    double dot = back[0] * w[0] + back[1] * w[1] + back[2] * w[2];
    double signed_w[3];
    scale3(signed_w, w, dot < 0.0 ? -1.0 : 1.0);
    test_assert_close(back, signed_w, 3, LOG_TOL, what);
    double R_back[9];
    ff_so3_exp(R_back, back);
    test_assert_close(R_back, R, 9, LOG_TOL, what);
}

START_TEST(exp_log_round_trip)
{
    const double angles[] = {0.0, 1e-12, 1e-8, 1e-4, 0.5, M_PI / 2, 3.0,
                             M_PI - 1e-6, M_PI - 1e-8, M_PI};
    // Near pi, Log reads the axis from the largest diagonal entry of the
    // symmetric part. Axes along or close to a coordinate axis make the
    // other entries vanish, so a wrong choice of entry fails here.
    const double s = 1.0 / sqrt(3.0);
    const double fixed_axes[][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1},
                                    {0, 0, -1}, {s, s, s}, {-s, s, -s}};
    ff_rng rng;
    ff_rng_init(&rng, 1, FF_RNG_STREAM_USER, 0, 0);

    for (int a = 0; a < count_of(sizeof angles, sizeof angles[0]); a++) {
        char what[80];
        for (int k = 0; k < 50; k++) {
            double axis[3];
            test_random_axis(&rng, axis);
            snprintf(what, sizeof what, "angle %.17g, random axis %d",
                     angles[a], k);
            check_round_trip(angles[a], axis, what);
        }
        for (int k = 0; k < count_of(sizeof fixed_axes, sizeof fixed_axes[0]);
             k++) {
            snprintf(what, sizeof what, "angle %.17g, fixed axis %d",
                     angles[a], k);
            check_round_trip(angles[a], fixed_axes[k], what);
        }
        for (int k = 0; k < 3; k++) {
            // A coordinate axis tilted by 1e-9 towards the other two.
            double axis[3] = {1e-9, 1e-9, 1e-9};
            axis[k] = 1.0;
            snprintf(what, sizeof what, "angle %.17g, near axis %d",
                     angles[a], k);
            check_round_trip(angles[a], axis, what);
        }
    }
}
END_TEST

START_TEST(log_wraps_large_angles)
{
    const double angles[] = {4.0, 7.0, 10.0, 2.0 * M_PI + 0.1, -5.0};
    ff_rng rng;
    ff_rng_init(&rng, 2, FF_RNG_STREAM_USER, 0, 0);

    for (int a = 0; a < count_of(sizeof angles, sizeof angles[0]); a++) {
        for (int k = 0; k < 20; k++) {
            char what[64];
            double axis[3];
            double w[3];
            double wrapped[3];
            double back[3];
            double R[9];
            snprintf(what, sizeof what, "angle %g axis %d", angles[a], k);

            test_random_axis(&rng, axis);
            scale3(w, axis, angles[a]);
            scale3(wrapped, axis, wrap_angle(angles[a]));
            ff_so3_exp(R, w);
            ff_so3_log(back, R);
            test_assert_close(back, wrapped, 3, LOG_TOL, what);
            ck_assert_double_le(norm3(back), M_PI);
        }
    }
}
END_TEST

START_TEST(exp_matches_series)
{
    const double angles[] = {0.0, 1e-9, 1e-5, 1e-4, 2e-4, 0.3, 1.0, 2.0,
                             3.0, M_PI, 5.0, 9.0};
    ff_rng rng;
    ff_rng_init(&rng, 3, FF_RNG_STREAM_USER, 0, 0);

    for (int a = 0; a < count_of(sizeof angles, sizeof angles[0]); a++) {
        for (int k = 0; k < 20; k++) {
            char what[64];
            double axis[3];
            double w[3];
            double K[9];
            double want[9];
            double got[9];
            snprintf(what, sizeof what, "angle %g axis %d", angles[a], k);

            test_random_axis(&rng, axis);
            scale3(w, axis, angles[a]);
            ff_so3_hat(K, w);
            expm_series(want, K);
            ff_so3_exp(got, w);
            // The series' rounding error grows by about 2^j over j <= 5
            // squarings: CHAIN_TOL.
            test_assert_close(got, want, 9, CHAIN_TOL, what);
        }
    }
}
END_TEST

START_TEST(exp_trace_closed_form)
{
    ff_rng rng;
    ff_rng_init(&rng, 4, FF_RNG_STREAM_USER, 0, 0);

    for (int k = 0; k < 500; k++) {
        double w[3];
        double R[9];
        test_random_vector(&rng, w);
        scale3(w, w, 4.0);

        ff_so3_exp(R, w);
        double trace = R[0] + R[4] + R[8];
        // Three entries, each within a few 1e-16: CHAIN_TOL.
        ck_assert_double_eq_tol(trace, 1.0 + 2.0 * cos(norm3(w)), CHAIN_TOL);
        assert_on_so3(R, "Exp of a random vector");
    }
}
END_TEST

START_TEST(small_angles_relative)
{
    // Both sides of the switch to Taylor coefficients at 1e-4.
    const double angles[] = {1e-12, 1e-8, 1e-5, 1e-4 * (1.0 - 1e-9),
                             1e-4 * (1.0 + 1e-9), 1e-3, 0.1};
    ff_rng rng;
    ff_rng_init(&rng, 18, FF_RNG_STREAM_USER, 0, 0);

    for (int a = 0; a < count_of(sizeof angles, sizeof angles[0]); a++) {
        for (int k = 0; k < 20; k++) {
            char what[64];
            double t = angles[a];
            double axis[3];
            double w[3];
            double K[9];
            double R[9];
            double back[3];
            snprintf(what, sizeof what, "angle %.17g axis %d", t, k);
            test_random_axis(&rng, axis);
            scale3(w, axis, t);
            ff_so3_hat(K, w);
            ff_so3_exp(R, w);

            // The skew part (R - R^T) / 2 of Exp(w) is (sin t / t) K, whose
            // entries have size t. sin t / t from libm is exact to rounding.
            double skew[9];
            double want[9];
            for (int i = 0; i < 9; i++) {
                int j = 3 * (i % 3) + i / 3;
                skew[i] = 0.5 * (R[i] - R[j]);
                want[i] = sin(t) / t * K[i];
            }
            test_assert_close(skew, want, 9, REL_TOL * t, what);

            ff_so3_log(back, R);
            test_assert_close(back, w, 3, REL_TOL * t, what);
        }
    }
}
END_TEST

START_TEST(hat_vee_inverse_and_linear)
{
    ff_rng rng;
    ff_rng_init(&rng, 5, FF_RNG_STREAM_USER, 0, 0);

    for (int k = 0; k < 200; k++) {
        double u[3];
        double v[3];
        double K[9];
        double back[3];
        test_random_vector(&rng, u);
        test_random_vector(&rng, v);

        // vee only copies and halves sums of two equal numbers: exact.
        ff_so3_hat(K, u);
        ff_so3_vee(back, K);
        ck_assert_double_eq(back[0], u[0]);
        ck_assert_double_eq(back[1], u[1]);
        ck_assert_double_eq(back[2], u[2]);

        // hat(u) v is the cross product u x v.
        double cross[3] = {u[1] * v[2] - u[2] * v[1],
                           u[2] * v[0] - u[0] * v[2],
                           u[0] * v[1] - u[1] * v[0]};
        double Kv[3];
        for (int i = 0; i < 3; i++) {
            Kv[i] = K[3 * i] * v[0] + K[3 * i + 1] * v[1] + K[3 * i + 2] * v[2];
        }
        // Two products of numbers below 1: a few 1e-16.
        test_assert_close(Kv, cross, 3, 1e-15, "hat(u) v = u x v");

        // hat(a u + b v) = a hat(u) + b hat(v).
        double a = 2.0 * ff_rng_uniform(&rng) - 1.0;
        double b = 2.0 * ff_rng_uniform(&rng) - 1.0;
        double mix[3];
        double Kmix[9];
        double Kv_hat[9];
        double want[9];
        for (int i = 0; i < 3; i++) {
            mix[i] = a * u[i] + b * v[i];
        }
        ff_so3_hat(Kmix, mix);
        ff_so3_hat(Kv_hat, v);
        for (int i = 0; i < 9; i++) {
            want[i] = a * K[i] + b * Kv_hat[i];
        }
        // One product and one sum of numbers below 1 on each side.
        test_assert_close(Kmix, want, 9, 1e-15, "hat is linear");
    }
}
END_TEST

/*
 * Estimate column k of a Jacobian by central differences of the rotation
 * vector of a relative rotation: right Log(Exp(w)^T Exp(w + d)), left
 * Log(Exp(w + d) Exp(w)^T), with d = +-h e_k.
 */
static void
jacobian_column_fd(double col[3], const double w[3], int k, int right)
{
    double R[9];
    double Rt[9];
    double diff[2][3];

    ff_so3_exp(R, w);
    transpose3(Rt, R);
    for (int side = 0; side < 2; side++) {
        double shifted[3] = {w[0], w[1], w[2]};
        double S[9];
        shifted[k] += side == 0 ? FD_STEP : -FD_STEP;
        ff_so3_exp(S, shifted);
        if (right) {
            matmul3(S, Rt, S);
        } else {
            matmul3(S, S, Rt);
        }
        ff_so3_log(diff[side], S);
    }
    for (int i = 0; i < 3; i++) {
        col[i] = (diff[0][i] - diff[1][i]) / (2.0 * FD_STEP);
    }
}

static void
check_jacobian_fd(int right)
{
    // Both sides of the series switches (1e-4 and 1e-2) and up to pi.
    const double angles[] = {0.0, 1e-3, 5e-3, 2e-2, 0.5, 1.5, 2.5, 3.0,
                             M_PI - 1e-6};
    ff_rng rng;
    ff_rng_init(&rng, 6, FF_RNG_STREAM_USER, (uint32_t)right, 0);

    for (int a = 0; a < count_of(sizeof angles, sizeof angles[0]); a++) {
        for (int n = 0; n < 10; n++) {
            double axis[3];
            double w[3];
            double J[9];
            test_random_axis(&rng, axis);
            scale3(w, axis, angles[a]);
            if (right) {
                ff_so3_jr(J, w);
            } else {
                ff_so3_jl(J, w);
            }

            for (int k = 0; k < 3; k++) {
                char what[80];
                double col[3];
                double want[3] = {J[k], J[3 + k], J[6 + k]};
                snprintf(what, sizeof what, "%s Jacobian, angle %g, column %d",
                         right ? "right" : "left", angles[a], k);
                jacobian_column_fd(col, w, k, right);
                test_assert_close(col, want, 3, FD_TOL, what);
            }
        }
    }
}

START_TEST(jacobian_right_finite_diff)
{
    check_jacobian_fd(1);
}
END_TEST

START_TEST(jacobian_left_finite_diff)
{
    check_jacobian_fd(0);
}
END_TEST

START_TEST(jacobian_left_matches_series)
{
    // Both sides of the switch to the Taylor coefficients at 1e-2.
    const double angles[] = {0.0, 1e-8, 1e-3, 1e-2 - 1e-9, 1e-2 + 1e-9,
                             0.1, 1.0, 2.0, M_PI};
    ff_rng rng;
    ff_rng_init(&rng, 7, FF_RNG_STREAM_USER, 0, 0);

    for (int a = 0; a < count_of(sizeof angles, sizeof angles[0]); a++) {
        for (int n = 0; n < 10; n++) {
            char what[64];
            double axis[3];
            double w[3];
            double got[9];
            double want[9];
            snprintf(what, sizeof what, "angle %.17g axis %d", angles[a], n);

            test_random_axis(&rng, axis);
            scale3(w, axis, angles[a]);
            ff_so3_jl(got, w);
            jl_series(want, w);
            // 40 terms of size below pi^n / (n + 1)! sum to within a few
            // 1e-16 of the limit.
            test_assert_close(got, want, 9, JAC_TOL, what);
        }
    }
}
END_TEST

START_TEST(jacobian_inverses)
{
    const double angles[] = {0.0, 1e-9, 1e-3, 1e-2 - 1e-9, 1e-2 + 1e-9,
                             0.5, 2.0, M_PI - 1e-6, M_PI};
    ff_rng rng;
    ff_rng_init(&rng, 8, FF_RNG_STREAM_USER, 0, 0);

    for (int a = 0; a < count_of(sizeof angles, sizeof angles[0]); a++) {
        for (int n = 0; n < 10; n++) {
            char what[64];
            double axis[3];
            double w[3];
            double J[9];
            double Jinv[9];
            double P[9];
            test_random_axis(&rng, axis);
            scale3(w, axis, angles[a]);

            snprintf(what, sizeof what, "Jl Jl^-1, angle %.17g", angles[a]);
            ff_so3_jl(J, w);
            ff_so3_jl_inv(Jinv, w);
            matmul3(P, J, Jinv);
            test_assert_close(P, identity, 9, JAC_TOL, what);
            matmul3(P, Jinv, J);
            test_assert_close(P, identity, 9, JAC_TOL, what);

            snprintf(what, sizeof what, "Jr Jr^-1, angle %.17g", angles[a]);
            ff_so3_jr(J, w);
            ff_so3_jr_inv(Jinv, w);
            matmul3(P, J, Jinv);
            test_assert_close(P, identity, 9, JAC_TOL, what);
            matmul3(P, Jinv, J);
            test_assert_close(P, identity, 9, JAC_TOL, what);
        }
    }
}
END_TEST

START_TEST(jacobian_right_is_left_transpose)
{
    ff_rng rng;
    ff_rng_init(&rng, 9, FF_RNG_STREAM_USER, 0, 0);

    for (int n = 0; n < 200; n++) {
        double w[3];
        double Jl[9];
        double Jr[9];
        double Jlt[9];
        test_random_vector(&rng, w);
        scale3(w, w, n % 2 == 0 ? 3.0 : 1e-2);

        // Jr(w) = Jl(-w) = Jl(w)^T is an identity, and the library builds
        // both from the same terms: 1e-15 allows one rounding.
        ff_so3_jl(Jl, w);
        ff_so3_jr(Jr, w);
        transpose3(Jlt, Jl);
        test_assert_close(Jr, Jlt, 9, 1e-15, "Jr = Jl^T");

        ff_so3_jl_inv(Jl, w);
        ff_so3_jr_inv(Jr, w);
        transpose3(Jlt, Jl);
        test_assert_close(Jr, Jlt, 9, 1e-15, "Jr^-1 = Jl^-T");
    }
}
END_TEST

START_TEST(interp_endpoints_and_symmetry)
{
    const double fractions[] = {0.1, 0.25, 0.5, 0.75, 0.9};
    ff_rng rng;
    ff_rng_init(&rng, 10, FF_RNG_STREAM_USER, 0, 0);

    for (int n = 0; n < 100; n++) {
        double R0[9];
        double R1[9];
        double out[9];
        ff_rng_rotation_uniform(R0, &rng);
        ff_rng_rotation_uniform(R1, &rng);

        // At s = 0 the step Exp(0) is exactly I, so R0 comes back bit for
        // bit.
        ff_so3_interp(out, R0, R1, 0.0);
        for (int i = 0; i < 9; i++) {
            ck_assert_double_eq(out[i], R0[i]);
        }
        // At s = 1 the result is R0 Exp(Log(R0^T R1)): a round trip and two
        // products.
        ff_so3_interp(out, R0, R1, 1.0);
        test_assert_close(out, R1, 9, CHAIN_TOL, "interp at s = 1");

        for (int f = 0; f < count_of(sizeof fractions, sizeof fractions[0]);
             f++) {
            double s = fractions[f];
            double back[9];
            ff_so3_interp(out, R0, R1, s);
            ff_so3_interp(back, R1, R0, 1.0 - s);
            test_assert_close(out, back, 9, CHAIN_TOL,
                              "interp(R0, R1, s) = interp(R1, R0, 1 - s)");
        }
    }
}
END_TEST

START_TEST(interp_angle_linear_on_so3)
{
    ff_rng rng;
    ff_rng_init(&rng, 11, FF_RNG_STREAM_USER, 0, 0);

    for (int n = 0; n < 100; n++) {
        double R0[9];
        double R1[9];
        ff_rng_rotation_uniform(R0, &rng);
        ff_rng_rotation_uniform(R1, &rng);
        double total = ff_so3_angle(R0, R1);

        for (int k = 0; k <= 10; k++) {
            char what[64];
            double s = 0.1 * k;
            double out[9];
            snprintf(what, sizeof what, "pair %d, s = %g", n, s);

            ff_so3_interp(out, R0, R1, s);
            assert_on_so3(out, what);
            // Angles come from Log, accurate to a few 1e-15: CHAIN_TOL.
            ck_assert_double_eq_tol(ff_so3_angle(R0, out), s * total,
                                    CHAIN_TOL);
            ck_assert_double_eq_tol(ff_so3_angle(out, R1), (1.0 - s) * total,
                                    CHAIN_TOL);
        }
    }
}
END_TEST

START_TEST(compose_not_commutative)
{
    const double wx[3] = {M_PI / 2, 0.0, 0.0};
    const double wy[3] = {0.0, M_PI / 2, 0.0};
    double Rx[9];
    double Ry[9];
    double xy[9];
    double yx[9];

    ff_so3_exp(Rx, wx);
    ff_so3_exp(Ry, wy);
    ff_so3_compose(xy, Rx, Ry);
    ff_so3_compose(yx, Ry, Rx);
    // Quarter turns about x and y differ in order by whole entries.
    ck_assert_double_gt(test_max_diff(xy, yx, 9), 0.5);

    // In quaternions (1/2)(1, 1, 0, 0)(1, 0, 1, 0) = (1, 1, 1, 1) / 2: a turn
    // of 2 pi / 3 about (1, 1, 1) / sqrt 3, and (1, 1, 1, -1) / 2 for the
    // other order.
    double c = 2.0 * M_PI / 3.0 / sqrt(3.0);
    double want_xy[3] = {c, c, c};
    double want_yx[3] = {c, c, -c};
    double w[3];
    ff_so3_log(w, xy);
    test_assert_close(w, want_xy, 3, LOG_TOL, "Log(Rx Ry)");
    ff_so3_log(w, yx);
    test_assert_close(w, want_yx, 3, LOG_TOL, "Log(Ry Rx)");

    // Compose applies its second argument first.
    double p[3] = {0.0, 0.0, 1.0};
    double q[3];
    double r[3];
    ff_so3_act(q, Ry, p);
    ff_so3_act(q, Rx, q);
    ff_so3_act(r, xy, p);
    test_assert_close(r, q, 3, CHAIN_TOL, "(Rx Ry) p = Rx (Ry p)");

    // Random products round-trip through Log.
    ff_rng rng;
    ff_rng_init(&rng, 12, FF_RNG_STREAM_USER, 0, 0);
    for (int n = 0; n < 100; n++) {
        double A[9];
        double B[9];
        ff_rng_rotation_uniform(A, &rng);
        ff_rng_rotation_uniform(B, &rng);
        ff_so3_compose(xy, A, B);
        ff_so3_compose(yx, B, A);
        ck_assert_double_gt(test_max_diff(xy, yx, 9), 1e-6);
        for (int order = 0; order < 2; order++) {
            double back[9];
            const double *P = order == 0 ? xy : yx;
            ff_so3_log(w, P);
            ff_so3_exp(back, w);
            test_assert_close(back, P, 9, LOG_TOL, "Exp(Log(A B))");
        }
    }
}
END_TEST

static void
check_quat_round_trip(const double R[9], const char *what)
{
    double q[4];
    double back[9];
    double neg[4];
    double from_neg[9];

    ff_so3_to_quat(q, R);
    ck_assert_double_ge(q[0], 0.0);
    double n = sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
    // A normalised 4-vector: a few roundings.
    ck_assert_double_eq_tol(n, 1.0, 1e-15);

    ff_so3_from_quat(back, q);
    test_assert_close(back, R, 9, CHAIN_TOL, what);

    // q and -q are the same rotation: every product of two components keeps
    // its sign, so the matrices agree bit for bit.
    for (int i = 0; i < 4; i++) {
        neg[i] = -q[i];
    }
    ff_so3_from_quat(from_neg, neg);
    for (int i = 0; i < 9; i++) {
        ck_assert_double_eq(from_neg[i], back[i]);
    }
}

START_TEST(quat_round_trip)
{
    ff_rng rng;
    ff_rng_init(&rng, 13, FF_RNG_STREAM_USER, 0, 0);

    // Random rotations mostly take the branch of Shepperd's method for a
    // large scalar part. Half turns and 3-radian turns about each axis force
    // the branches for a large x, y or z.
    for (int n = 0; n < 200; n++) {
        double R[9];
        ff_rng_rotation_uniform(R, &rng);
        check_quat_round_trip(R, "random rotation");
    }
    const double angles[] = {0.0, 3.0, M_PI};
    for (int a = 0; a < count_of(sizeof angles, sizeof angles[0]); a++) {
        for (int k = 0; k < 3; k++) {
            double w[3] = {0.0, 0.0, 0.0};
            double R[9];
            char what[64];
            w[k] = angles[a];
            snprintf(what, sizeof what, "angle %g about axis %d", angles[a], k);
            ff_so3_exp(R, w);
            check_quat_round_trip(R, what);
        }
    }

    // (cos(t/2), sin(t/2) u) is the rotation Exp(t u); scaling q changes
    // nothing because from_quat normalises it.
    for (int n = 0; n < 100; n++) {
        double axis[3];
        double w[3];
        double R[9];
        double Q[9];
        test_random_axis(&rng, axis);
        double t = M_PI * ff_rng_uniform(&rng);
        double h = sin(0.5 * t);
        double q[4] = {3.0 * cos(0.5 * t), 3.0 * h * axis[0], 3.0 * h * axis[1],
                       3.0 * h * axis[2]};
        scale3(w, axis, t);
        ff_so3_exp(R, w);
        ff_so3_from_quat(Q, q);
        test_assert_close(Q, R, 9, CHAIN_TOL, "quaternion of Exp(t u)");
    }

    double zero[4] = {0.0, 0.0, 0.0, 0.0};
    double R[9];
    ff_so3_from_quat(R, zero);
    for (int i = 0; i < 9; i++) {
        ck_assert_double_eq(R[i], identity[i]);
    }
}
END_TEST

START_TEST(orthonormalize_perturbed)
{
    ff_rng rng;
    ff_rng_init(&rng, 14, FF_RNG_STREAM_USER, 0, 0);

    for (int n = 0; n < 200; n++) {
        double R[9];
        double P[9];
        double O[9];
        ff_rng_rotation_uniform(R, &rng);

        // A rotation is already orthonormal: Gram-Schmidt changes it by
        // rounding only.
        ff_so3_orthonormalize(O, R);
        test_assert_close(O, R, 9, CHAIN_TOL, "orthonormalize a rotation");

        // Entries off by up to 1e-6 move each column by at most a few 1e-6,
        // so the result lies within 1e-5 of R.
        for (int i = 0; i < 9; i++) {
            P[i] = R[i] + 1e-6 * (2.0 * ff_rng_uniform(&rng) - 1.0);
        }
        ck_assert_double_gt(ff_so3_orthonormality_error(P), 1e-9);
        ff_so3_orthonormalize(O, P);
        assert_on_so3(O, "orthonormalize a perturbed rotation");
        test_assert_close(O, R, 9, 1e-5, "orthonormalize a perturbed rotation");
    }

    // Drift from many products comes back to SO(3).
    double w[3] = {0.3, -0.2, 0.1};
    double step[9];
    double R[9];
    ff_so3_exp(step, w);
    memcpy(R, identity, sizeof identity);
    for (int n = 0; n < 100000; n++) {
        ff_so3_compose(R, R, step);
    }
    ff_so3_orthonormalize(R, R);
    assert_on_so3(R, "orthonormalize after 1e5 products");
}
END_TEST

START_TEST(angle_symmetric_equals_log)
{
    ff_rng rng;
    ff_rng_init(&rng, 15, FF_RNG_STREAM_USER, 0, 0);

    for (int n = 0; n < 200; n++) {
        double A[9];
        double B[9];
        double D[9];
        double w[3];
        ff_rng_rotation_uniform(A, &rng);
        ff_rng_rotation_uniform(B, &rng);

        // Log(A^T B) is computed here from a separate transpose and product;
        // the angles agree to Log's rounding, a few 1e-15.
        transpose3(D, A);
        matmul3(D, D, B);
        ff_so3_log(w, D);
        double ab = ff_so3_angle(A, B);
        ck_assert_double_eq_tol(ab, norm3(w), CHAIN_TOL);
        ck_assert_double_eq_tol(ff_so3_angle(B, A), ab, CHAIN_TOL);
        ck_assert_double_le(ab, M_PI);
        ck_assert_double_eq_tol(ff_so3_angle(A, A), 0.0, CHAIN_TOL);

        // B = A Exp(v) with |v| < pi lies at angle |v| from A.
        double v[3];
        double E[9];
        test_random_axis(&rng, v);
        double t = 3.0 * ff_rng_uniform(&rng);
        scale3(v, v, t);
        ff_so3_exp(E, v);
        ff_so3_compose(B, A, E);
        ck_assert_double_eq_tol(ff_so3_angle(A, B), t, CHAIN_TOL);
    }
}
END_TEST

START_TEST(scale_geodesic_wraps_then_scales)
{
    const double angles[] = {0.5, 3.0, 4.0, 7.0, 10.0, -5.0};
    const double scales[] = {0.0, 0.3, 1.0};
    ff_rng rng;
    ff_rng_init(&rng, 16, FF_RNG_STREAM_USER, 0, 0);

    for (int a = 0; a < count_of(sizeof angles, sizeof angles[0]); a++) {
        for (int s = 0; s < count_of(sizeof scales, sizeof scales[0]); s++) {
            char what[64];
            double axis[3];
            double w[3];
            double want[3];
            double got[3];
            snprintf(what, sizeof what, "angle %g, scale %g", angles[a],
                     scales[s]);

            test_random_axis(&rng, axis);
            scale3(w, axis, angles[a]);
            scale3(want, axis, scales[s] * wrap_angle(angles[a]));
            ff_so3_scale_geodesic(got, w, scales[s]);
            // Wrapping goes through Log (LOG_TOL), then |s| <= 1.
            test_assert_close(got, want, 3, LOG_TOL, what);
        }
    }
}
END_TEST

START_TEST(outputs_alias_inputs)
{
    ff_rng rng;
    ff_rng_init(&rng, 17, FF_RNG_STREAM_USER, 0, 0);
    double A[9];
    double B[9];
    double want[9];
    double got[9];
    ff_rng_rotation_uniform(A, &rng);
    ff_rng_rotation_uniform(B, &rng);

    // Each aliased call must give bit for bit the result of a separate
    // output array.
    ff_so3_compose(want, A, B);
    memcpy(got, A, sizeof got);
    ff_so3_compose(got, got, B);
    ck_assert_mem_eq(got, want, sizeof got);
    memcpy(got, B, sizeof got);
    ff_so3_compose(got, A, got);
    ck_assert_mem_eq(got, want, sizeof got);

    ff_so3_inverse(want, A);
    memcpy(got, A, sizeof got);
    ff_so3_inverse(got, got);
    ck_assert_mem_eq(got, want, sizeof got);

    ff_so3_interp(want, A, B, 0.3);
    memcpy(got, A, sizeof got);
    ff_so3_interp(got, got, B, 0.3);
    ck_assert_mem_eq(got, want, sizeof got);
    memcpy(got, B, sizeof got);
    ff_so3_interp(got, A, got, 0.3);
    ck_assert_mem_eq(got, want, sizeof got);

    ff_so3_orthonormalize(want, A);
    memcpy(got, A, sizeof got);
    ff_so3_orthonormalize(got, got);
    ck_assert_mem_eq(got, want, sizeof got);

    double p[3] = {0.1, -2.0, 3.5};
    double p_want[3];
    double p_got[3];
    ff_so3_act(p_want, A, p);
    memcpy(p_got, p, sizeof p_got);
    ff_so3_act(p_got, A, p_got);
    ck_assert_mem_eq(p_got, p_want, sizeof p_got);

    double w[3] = {4.0, 1.0, -2.0};
    ff_so3_scale_geodesic(p_want, w, 0.5);
    memcpy(p_got, w, sizeof p_got);
    ff_so3_scale_geodesic(p_got, p_got, 0.5);
    ck_assert_mem_eq(p_got, p_want, sizeof p_got);
}
END_TEST

START_TEST(nan_propagates)
{
    double w[3] = {NAN, 0.0, 0.0};
    double R[9];
    double back[3];

    ff_so3_exp(R, w);
    for (int i = 0; i < 9; i++) {
        ck_assert(isnan(R[i]));
    }
    ff_so3_log(back, R);
    for (int i = 0; i < 3; i++) {
        ck_assert(isnan(back[i]));
    }
    ck_assert(isinf(ff_so3_orthonormality_error(R)));
}
END_TEST

static Suite *
so3_suite(void)
{
    Suite *s = suite_create("so3");

    TEST_ADD(s, exp_log_round_trip);
    TEST_ADD(s, log_wraps_large_angles);
    TEST_ADD(s, exp_matches_series);
    TEST_ADD(s, exp_trace_closed_form);
    TEST_ADD(s, small_angles_relative);
    TEST_ADD(s, hat_vee_inverse_and_linear);
    TEST_ADD(s, jacobian_right_finite_diff);
    TEST_ADD(s, jacobian_left_finite_diff);
    TEST_ADD(s, jacobian_left_matches_series);
    TEST_ADD(s, jacobian_inverses);
    TEST_ADD(s, jacobian_right_is_left_transpose);
    TEST_ADD(s, interp_endpoints_and_symmetry);
    TEST_ADD(s, interp_angle_linear_on_so3);
    TEST_ADD(s, compose_not_commutative);
    TEST_ADD(s, quat_round_trip);
    TEST_ADD(s, orthonormalize_perturbed);
    TEST_ADD(s, angle_symmetric_equals_log);
    TEST_ADD(s, scale_geodesic_wraps_then_scales);
    TEST_ADD(s, outputs_alias_inputs);
    TEST_ADD(s, nan_propagates);
    return s;
}

int
main(void)
{
    return test_run_suite(so3_suite()) == 0 ? 0 : 1;
}
