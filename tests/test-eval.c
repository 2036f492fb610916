#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "frameflow/eval.h"
#include "frameflow/rng.h"
#include "frameflow/se3.h"
#include "frameflow/so3.h"
#include "testutil.h"

static ff_pose *
random_poses(size_t n, uint64_t seed, double spread)
{
    ff_pose *p = calloc(n, sizeof *p);
    ff_rng rng;

    ff_rng_init(&rng, seed, FF_RNG_STREAM_USER, 0, 0);
    for (size_t j = 0; j < n; j++) {
        ff_rng_rotation_uniform(p[j].R, &rng);
        for (int c = 0; c < 3; c++) {
            p[j].x[c] = spread * ff_rng_normal(&rng);
        }
    }
    return p;
}

/* The nearest distance by the plain definition, for comparison. */
static double
nearest_plain(const ff_pose *q, const ff_pose *target, size_t n, double scale)
{
    double best = INFINITY;

    for (size_t k = 0; k < n; k++) {
        double t2 = 0.0;
        for (int c = 0; c < 3; c++) {
            double d = scale * (q->x[c] - target[k].x[c]);
            t2 += d * d;
        }
        double a = ff_so3_angle(q->R, target[k].R);
        double d = sqrt(t2 + a * a);
        best = d < best ? d : best;
    }
    return best;
}

START_TEST(eval_nearest_matches_definition)
{
    // Close enough that rotations decide many of the neighbours.
    ff_pose *q = random_poses(300, 1, 1.0);
    ff_pose *t = random_poses(400, 2, 1.0);
    double dist[300];
    ff_error err;
    const double scales[2] = {1.0, 0.1};

    for (int s = 0; s < 2; s++) {
        ck_assert_int_eq(ff_eval_nearest(dist, q, 300, t, 400, scales[s], 1,
                                         &err),
                         0);
        for (size_t i = 0; i < 300; i++) {
            // The neighbour is chosen by an acos screen that is exact to
            // about 1e-8 rad; the distance itself comes from the accurate
            // angle.
            ck_assert_double_eq_tol(dist[i],
                                    nearest_plain(&q[i], t, 400, scales[s]),
                                    1e-7);
        }
    }
    free(q);
    free(t);
}
END_TEST

START_TEST(eval_nearest_same_any_threads)
{
    ff_pose *q = random_poses(500, 3, 5.0);
    ff_pose *t = random_poses(700, 4, 5.0);
    double one[500];
    double two[500];
    ff_error err;

    ck_assert_int_eq(ff_eval_nearest(one, q, 500, t, 700, 1.0, 1, &err), 0);
    ck_assert_int_eq(ff_eval_nearest(two, q, 500, t, 700, 1.0, 2, &err), 0);
    ck_assert_mem_eq(one, two, sizeof one);
    free(q);
    free(t);
}
END_TEST

START_TEST(eval_compare_counts_thresholds)
{
    // Ten reference frames 100 A apart on the x axis, all with the
    // identity rotation; four samples at known distances: 0 from frame 0,
    // 0.2 A from frame 1, a 0.25 rad turn from frame 2 and one 50 A from
    // frame 3 and from frame 4.
    ff_pose ref[10];
    ff_pose samples[4];
    for (int k = 0; k < 10; k++) {
        ff_se3_identity(&ref[k]);
        ref[k].x[0] = 100.0 * k;
    }
    samples[0] = ref[0];
    samples[1] = ref[1];
    samples[1].x[1] += 0.2;
    samples[2] = ref[2];
    const double turn[3] = {0.0, 0.0, 0.25};
    double E[9];
    ff_so3_exp(E, turn);
    ff_so3_compose(samples[2].R, ref[2].R, E);
    samples[3] = ref[3];
    samples[3].x[0] += 50.0;

    ff_eval_result r;
    ff_error err;
    ck_assert_int_eq(ff_eval_compare(&r, samples, 4, ref, 10, 1.0, 0, &err),
                     0);
    ck_assert_uint_eq(r.sample_count, 4);
    ck_assert_uint_eq(r.reference_count, 10);
    ck_assert_double_eq(r.tau[0], 0.1);
    ck_assert_double_eq(r.tau[1], 0.3);
    ck_assert_double_eq_tol(r.precision[0], 0.25, 1e-15);
    ck_assert_double_eq_tol(r.precision[1], 0.75, 1e-15);
    ck_assert_double_eq_tol(r.coverage[0], 0.1, 1e-15);
    ck_assert_double_eq_tol(r.coverage[1], 0.3, 1e-15);
    ck_assert_double_eq_tol(r.mean_sample_distance,
                            (0.0 + 0.2 + 0.25 + 50.0) / 4.0, 1e-9);
    // Frames 3 to 9 all have sample 3 (x = 350) as their nearest: 50 A
    // from frame 3, then 100 k - 350 from frame k.
    double expected = 0.0 + 0.2 + 0.25 + 50.0;
    for (int k = 4; k < 10; k++) {
        expected += 100.0 * k - 350.0;
    }
    ck_assert_double_eq_tol(r.mean_reference_distance, expected / 10.0,
                            1e-9);

    // In model units (scale 0.1) the 0.2 A shift is 0.02, and the sample
    // 50 A off is 5 units off.
    ck_assert_int_eq(ff_eval_compare(&r, samples, 4, ref, 10, 0.1, 0, &err),
                     0);
    ck_assert_double_eq_tol(r.precision[0], 0.5, 1e-15);
    ck_assert_double_eq_tol(r.mean_sample_distance,
                            (0.0 + 0.02 + 0.25 + 5.0) / 4.0, 1e-9);
}
END_TEST

START_TEST(eval_rejects_empty_and_bad_scale)
{
    ff_pose *p = random_poses(3, 6, 1.0);
    ff_eval_result r;
    double dist[3];
    ff_error err;

    ck_assert_int_eq(ff_eval_compare(&r, p, 0, p, 3, 1.0, 0, &err),
                     FF_STATUS_ERR_EMPTY);
    ck_assert_str_eq(err.message, "no samples to judge");
    ck_assert_int_eq(ff_eval_compare(&r, p, 3, p, 0, 1.0, 0, &err),
                     FF_STATUS_ERR_EMPTY);
    ck_assert_str_eq(err.message, "no reference frames to judge against");
    ck_assert_int_eq(ff_eval_nearest(dist, p, 3, p, 3, 0.0, 0, &err),
                     FF_STATUS_ERR_INVALID);
    ck_assert_str_eq(err.message, "invalid translation scale 0; expected a "
                                  "finite number above 0");
    ck_assert_int_eq(ff_eval_nearest(dist, p, 3, p, 3, NAN, 0, &err),
                     FF_STATUS_ERR_INVALID);
    free(p);
}
END_TEST

static Suite *
eval_suite(void)
{
    Suite *s = suite_create("eval");

    TEST_ADD(s, eval_nearest_matches_definition);
    TEST_ADD(s, eval_nearest_same_any_threads);
    TEST_ADD(s, eval_compare_counts_thresholds);
    TEST_ADD(s, eval_rejects_empty_and_bad_scale);
    return s;
}

int
main(void)
{
    return test_run_suite(eval_suite()) == 0 ? 0 : 1;
}
