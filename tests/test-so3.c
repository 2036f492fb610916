#include <math.h>

#include <check.h>

#include "frameflow/so3.h"
#include "testutil.h"

START_TEST(exp_log_round_trip_small)
{
    ff_rng rng;
    ff_rng_init(&rng, 1, FF_RNG_STREAM_USER, 0, 0);
    const double angles[] = {0.0, 1e-12, 1e-8, 1e-4, 0.5, M_PI / 2, 3.0,
                             M_PI - 1e-6, M_PI - 1e-8};

    for (int a = 0; a < (int)(sizeof angles / sizeof angles[0]); a++) {
        for (int k = 0; k < 20; k++) {
            double axis[3];
            double w[3];
            double back[3];
            double R[9];
            test_random_axis(&rng, axis);
            for (int i = 0; i < 3; i++) {
                w[i] = angles[a] * axis[i];
            }
            ff_so3_exp(R, w);
            ff_so3_log(back, R);
            // 1e-9 is the accuracy promised in so3.h at every angle.
            ck_assert_double_eq_tol(back[0], w[0], 1e-9);
            ck_assert_double_eq_tol(back[1], w[1], 1e-9);
            ck_assert_double_eq_tol(back[2], w[2], 1e-9);
        }
    }
}
END_TEST

static Suite *
so3_suite(void)
{
    Suite *s = suite_create("so3");

    TEST_ADD(s, exp_log_round_trip_small);
    return s;
}

int
main(void)
{
    return test_run_suite(so3_suite()) == 0 ? 0 : 1;
}
