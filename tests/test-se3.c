#include <math.h>
#include <string.h>

#include <check.h>

#include "frameflow/error.h"
#include "frameflow/se3.h"
#include "frameflow/so3.h"
#include "testutil.h"

/*
 * Rotation entries are at most 1 and translations at most about 20 here, so
 * a chain of a few products and sums rounds to some 1e-14; 1e-12 leaves a
 * margin of about 100.
 */
#define POSE_TOL 1e-12

static void
random_pose(ff_rng *rng, ff_pose *pose)
{
    ff_rng_rotation_uniform(pose->R, rng);
    test_random_vector(rng, pose->x);
    for (int i = 0; i < 3; i++) {
        pose->x[i] *= 10.0;
    }
}

static void
assert_pose_close(const ff_pose *got, const ff_pose *want, const char *what)
{
    test_assert_close(got->R, want->R, 9, POSE_TOL, what);
    test_assert_close(got->x, want->x, 3, POSE_TOL, what);
}

START_TEST(compose_inverse_identities)
{
    ff_rng rng;
    ff_rng_init(&rng, 1, FF_RNG_STREAM_USER, 0, 0);
    ff_pose id;
    ff_se3_identity(&id);

    for (int n = 0; n < 200; n++) {
        ff_pose a;
        ff_pose b;
        ff_pose c;
        ff_pose inv;
        ff_pose left;
        ff_pose right;
        random_pose(&rng, &a);
        random_pose(&rng, &b);
        random_pose(&rng, &c);

        ff_se3_inverse(&inv, &a);
        ff_se3_compose(&left, &a, &inv);
        assert_pose_close(&left, &id, "a a^-1 = I");
        ff_se3_compose(&left, &inv, &a);
        assert_pose_close(&left, &id, "a^-1 a = I");

        ff_se3_compose(&left, &id, &a);
        assert_pose_close(&left, &a, "I a = a");
        ff_se3_compose(&left, &a, &id);
        assert_pose_close(&left, &a, "a I = a");

        ff_pose ab;
        ff_pose bc;
        ff_se3_compose(&ab, &a, &b);
        ff_se3_compose(&bc, &b, &c);
        ff_se3_compose(&left, &ab, &c);
        ff_se3_compose(&right, &a, &bc);
        assert_pose_close(&left, &right, "(a b) c = a (b c)");

        // (a b)^-1 = b^-1 a^-1
        ff_pose inv_b;
        ff_se3_inverse(&left, &ab);
        ff_se3_inverse(&inv_b, &b);
        ff_se3_compose(&right, &inv_b, &inv);
        assert_pose_close(&left, &right, "(a b)^-1 = b^-1 a^-1");

        // An output may be the same object as an input.
        ff_pose alias = a;
        ff_se3_compose(&alias, &alias, &b);
        ck_assert_mem_eq(&alias, &ab, sizeof alias);
        alias = a;
        ff_se3_inverse(&alias, &alias);
        ck_assert_mem_eq(&alias, &inv, sizeof alias);
    }
}
END_TEST

START_TEST(act_matches_composition)
{
    // A quarter turn about z moves (1, 0, 0) to (0, 1, 0), then the
    // translation (1, 2, 3) is added.
    ff_pose pose;
    double w[3] = {0.0, 0.0, M_PI / 2};
    ff_so3_exp(pose.R, w);
    pose.x[0] = 1.0;
    pose.x[1] = 2.0;
    pose.x[2] = 3.0;
    double p[3] = {1.0, 0.0, 0.0};
    double want[3] = {1.0, 3.0, 3.0};
    double got[3];
    ff_se3_act(got, &pose, p);
    // cos(pi/2) rounds to 6e-17.
    test_assert_close(got, want, 3, 1e-15, "quarter turn about z");

    ff_rng rng;
    ff_rng_init(&rng, 2, FF_RNG_STREAM_USER, 0, 0);
    for (int n = 0; n < 200; n++) {
        ff_pose a;
        ff_pose b;
        ff_pose ab;
        ff_pose inv;
        double q[3];
        double r[3];
        random_pose(&rng, &a);
        random_pose(&rng, &b);
        test_random_vector(&rng, p);

        // (a b) p = a (b p): b acts first.
        ff_se3_compose(&ab, &a, &b);
        ff_se3_act(q, &b, p);
        ff_se3_act(q, &a, q);
        ff_se3_act(r, &ab, p);
        test_assert_close(r, q, 3, POSE_TOL, "(a b) p = a (b p)");

        // a^-1 undoes a.
        ff_se3_inverse(&inv, &a);
        ff_se3_act(q, &a, p);
        ff_se3_act(r, &inv, q);
        test_assert_close(r, p, 3, POSE_TOL, "a^-1 (a p) = p");

        // R p + x, written out.
        for (int i = 0; i < 3; i++) {
            want[i] = a.R[3 * i] * p[0] + a.R[3 * i + 1] * p[1]
                      + a.R[3 * i + 2] * p[2] + a.x[i];
        }
        ff_se3_act(got, &a, p);
        test_assert_close(got, want, 3, POSE_TOL, "R p + x");
    }
}
END_TEST

START_TEST(distance_symmetric_and_zero)
{
    ff_pose a;
    ff_pose b;
    ff_se3_identity(&a);
    ff_se3_identity(&b);

    // Translation (3, 4, 0) alone: 5. Exact in double precision.
    b.x[0] = 3.0;
    b.x[1] = 4.0;
    ck_assert_double_eq(ff_se3_distance(&a, &b), 5.0);

    // A turn of 0.7 rad alone: 0.7, then both: sqrt(25 + 0.49). Log
    // returns the angle to a few 1e-16.
    double w[3] = {0.0, 0.7, 0.0};
    ff_so3_exp(b.R, w);
    ck_assert_double_eq_tol(ff_se3_distance(&a, &b), sqrt(25.0 + 0.49),
                            1e-14);
    b.x[0] = 0.0;
    b.x[1] = 0.0;
    ck_assert_double_eq_tol(ff_se3_distance(&a, &b), 0.7, 1e-14);

    ff_rng rng;
    ff_rng_init(&rng, 3, FF_RNG_STREAM_USER, 0, 0);
    for (int n = 0; n < 200; n++) {
        random_pose(&rng, &a);
        random_pose(&rng, &b);
        double ab = ff_se3_distance(&a, &b);
        // The two directions differ only in rounding inside Log.
        ck_assert_double_eq_tol(ff_se3_distance(&b, &a), ab, POSE_TOL);
        ck_assert_double_gt(ab, 0.0);
        // Log of R^T R, which is I to rounding, is below 1e-15.
        ck_assert_double_eq_tol(ff_se3_distance(&a, &a), 0.0, 1e-14);
    }
}
END_TEST

START_TEST(matrix_round_trip)
{
    ff_rng rng;
    ff_rng_init(&rng, 4, FF_RNG_STREAM_USER, 0, 0);

    for (int n = 0; n < 200; n++) {
        ff_pose a;
        ff_pose back;
        double M[16];
        ff_error err;
        random_pose(&rng, &a);

        ff_se3_to_matrix(M, &a);
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                ck_assert_double_eq(M[4 * i + j], a.R[3 * i + j]);
            }
            ck_assert_double_eq(M[4 * i + 3], a.x[i]);
        }
        ck_assert_double_eq(M[12], 0.0);
        ck_assert_double_eq(M[13], 0.0);
        ck_assert_double_eq(M[14], 0.0);
        ck_assert_double_eq(M[15], 1.0);

        // Entries are copied, never recomputed: bit for bit.
        ff_error_clear(&err);
        ck_assert_int_eq(ff_se3_from_matrix(&back, M, &err), FF_STATUS_OK);
        ck_assert_int_eq(err.code, FF_STATUS_OK);
        ck_assert_mem_eq(&back, &a, sizeof back);
    }
}
END_TEST

/* Expect ff_se3_from_matrix to reject M with code, leaving the pose as it
 * was and naming the problem (needle) in the message. */
static void
check_rejected(const double M[16], int code, const char *needle)
{
    ff_pose out;
    ff_pose before;
    ff_error err;

    memset(&out, 0x5a, sizeof out);
    before = out;
    ff_error_clear(&err);
    ck_assert_int_eq(ff_se3_from_matrix(&out, M, &err), code);
    ck_assert_int_eq(err.code, code);
    ck_assert_msg(strstr(err.message, needle) != NULL,
                  "message \"%s\" does not contain \"%s\"", err.message,
                  needle);
    ck_assert_mem_eq(&out, &before, sizeof out);

    // A NULL error record is allowed.
    ck_assert_int_eq(ff_se3_from_matrix(&out, M, NULL), code);
}

START_TEST(from_matrix_rejects_bad_input)
{
    ff_pose a;
    double good[16];
    double M[16];
    ff_rng rng;
    ff_rng_init(&rng, 5, FF_RNG_STREAM_USER, 0, 0);
    random_pose(&rng, &a);
    ff_se3_to_matrix(good, &a);

    // Scale: every entry of R^T R - I on the diagonal becomes 0.21.
    memcpy(M, good, sizeof M);
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++) {
            M[4 * i + j] *= 1.1;
        }
    }
    check_rejected(M, FF_STATUS_ERR_INVALID, "not orthonormal");

    // Shear: add a multiple of column 0 to column 1.
    memcpy(M, good, sizeof M);
    for (int i = 0; i < 3; i++) {
        M[4 * i + 1] += 0.01 * M[4 * i];
    }
    check_rejected(M, FF_STATUS_ERR_INVALID, "not orthonormal");

    // Reflection: orthonormal, determinant -1.
    memcpy(M, good, sizeof M);
    for (int i = 0; i < 3; i++) {
        M[4 * i + 2] = -M[4 * i + 2];
    }
    check_rejected(M, FF_STATUS_ERR_INVALID, "determinant");

    // Non-finite entries anywhere, the last row included.
    const int positions[] = {0, 5, 10, 3, 11, 12, 15};
    const double bad[] = {NAN, INFINITY, -INFINITY};
    for (int p = 0; p < (int)(sizeof positions / sizeof positions[0]); p++) {
        for (int b = 0; b < 3; b++) {
            memcpy(M, good, sizeof M);
            M[positions[p]] = bad[b];
            check_rejected(M, FF_STATUS_ERR_NUMERIC, "not finite");
        }
    }

    // A last row other than (0, 0, 0, 1), even slightly.
    const double rows[][4] = {{0.0, 0.0, 0.0, 2.0},
                              {1e-3, 0.0, 0.0, 1.0},
                              {0.0, 0.0, 1e-300, 1.0},
                              {0.0, 0.0, 0.0, 0.0}};
    for (int r = 0; r < 4; r++) {
        memcpy(M, good, sizeof M);
        memcpy(M + 12, rows[r], sizeof rows[r]);
        check_rejected(M, FF_STATUS_ERR_INVALID, "last row");
    }

    // Rounding noise of 1e-9 on a rotation is accepted.
    memcpy(M, good, sizeof M);
    M[0] += 1e-9;
    ff_pose out;
    ck_assert_int_eq(ff_se3_from_matrix(&out, M, NULL), FF_STATUS_OK);
    ck_assert_double_eq(out.R[0], M[0]);
}
END_TEST

static Suite *
se3_suite(void)
{
    Suite *s = suite_create("se3");

    TEST_ADD(s, compose_inverse_identities);
    TEST_ADD(s, act_matches_composition);
    TEST_ADD(s, distance_symmetric_and_zero);
    TEST_ADD(s, matrix_round_trip);
    TEST_ADD(s, from_matrix_rejects_bad_input);
    return s;
}

int
main(void)
{
    return test_run_suite(se3_suite()) == 0 ? 0 : 1;
}
