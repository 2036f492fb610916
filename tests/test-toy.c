/*
 * The tutorial's two toy problems, trained for real: the `small` model,
 * 1000 steps, batch 500, then 500 samples with each sampler, judged by
 * their SE(3) distance to the data poses in model units.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "frameflow/model.h"
#include "frameflow/sample.h"
#include "frameflow/se3.h"
#include "frameflow/so3.h"
#include "frameflow/train.h"
#include "testutil.h"

#define TOY_STEPS 1000
#define TOY_BATCH 500
#define TOY_SAMPLES 500
#define TOY_SEED 2024

/* Data poses (x, w) with w the rotation vector, as the tutorial gives
 * them. */
static const double toy_data[4][6] = {
    {0.3, 0.3, 0.3, 0.0, 0.0, 0.0},
    {-0.5, 1.2, -0.7, -0.3, 1.2, -0.4},
    {3.1, 1.3, -2.4, 0.3, -1.0, -1.4},
    {-0.3, 1.2, 0.4, -0.5, 1.2, 0.7},
};

static int
model_score(void *ctx, size_t n, const double *x, const double *R, double t,
            double *v, ff_error *err)
{
    int rc = ff_model_eval_score(ctx, n, x, R, t, v);

    if (rc < 0 && err != NULL) {
        err->code = rc;
        snprintf(err->message, sizeof err->message, "model evaluation "
                 "failed: %s", ff_status_name(rc));
    }
    return rc;
}

/* Train the small model on the first count toy poses, with translation
 * scale 1 and the default centring. */
static ff_model *
train_toy(ff_pose *poses, size_t count)
{
    ff_model_config cfg;
    ff_error err;

    for (size_t k = 0; k < count; k++) {
        memcpy(poses[k].x, toy_data[k], sizeof poses[k].x);
        ff_so3_exp(poses[k].R, &toy_data[k][3]);
    }
    ck_assert_int_eq(ff_model_config_default(&cfg, FF_MODEL_ARCH_SMALL), 0);
    cfg.translation_scale = 1.0;
    cfg.seed = TOY_SEED;
    cfg.batch = TOY_BATCH;
    ck_assert_int_eq(ff_train_config_set_frames(&cfg, poses, count, 1, &err),
                     0);
    ff_model *model = ff_model_new(&cfg, &err);
    ck_assert_msg(model != NULL, "%s", err.message);
    ff_trainer *trainer = ff_trainer_new(model, poses, count, NULL, &err);
    ck_assert_msg(trainer != NULL, "%s", err.message);
    ck_assert_int_eq(ff_trainer_run(trainer, TOY_STEPS, NULL, NULL, NULL,
                                    &err),
                     0);
    ff_trainer_free(trainer);
    return model;
}

/* The share of samples within 0.3 of some data pose, and in share[k] the
 * share whose nearest pose is k. Distances are in model units: samples
 * come from the sampler in model units, data poses are centred. */
static double
judge(const ff_pose *samples, const ff_pose *data, size_t count,
      const ff_model_config *cfg, double *share)
{
    ff_pose centred[4];
    size_t near = 0;
    size_t hits[4] = {0, 0, 0, 0};

    for (size_t k = 0; k < count; k++) {
        centred[k] = data[k];
        for (int c = 0; c < 3; c++) {
            centred[k].x[c] = (data[k].x[c] - cfg->center[c])
                              * cfg->translation_scale;
        }
    }
    for (size_t j = 0; j < TOY_SAMPLES; j++) {
        double best = INFINITY;
        size_t which = 0;
        for (size_t k = 0; k < count; k++) {
            double d = ff_se3_distance(&samples[j], &centred[k]);
            if (d < best) {
                best = d;
                which = k;
            }
        }
        hits[which]++;
        near += best < 0.3;
    }
    for (size_t k = 0; k < count; k++) {
        share[k] = (double)hits[k] / TOY_SAMPLES;
    }
    return (double)near / TOY_SAMPLES;
}

/* Train on count poses, sample with both samplers and check the shares:
 * within 0.3 of a data pose at least 97% (follow) and 90% (langevin), and
 * each pose's share at least min_share. */
static void
run_toy(size_t count, double min_share)
{
    ff_pose data[4];
    ff_model *model = train_toy(data, count);
    const ff_model_config *cfg = ff_model_get_config(model);
    ff_error err;
    ff_model_eval *ev = ff_model_eval_new(model, TOY_SAMPLES, &err);
    ck_assert_msg(ev != NULL, "%s", err.message);
    ff_pose *samples = calloc(TOY_SAMPLES, sizeof *samples);
    const int samplers[2] = {FF_SAMPLER_FOLLOW, FF_SAMPLER_LANGEVIN};
    const double required[2] = {0.97, 0.90};

    for (int s = 0; s < 2; s++) {
        ff_sample_options opts;
        ff_sample_options_default(&opts);
        opts.count = TOY_SAMPLES;
        opts.sampler = samplers[s];
        opts.seed = TOY_SEED;
        opts.batch = TOY_SAMPLES;
        opts.eps = cfg->eps;
        ck_assert_int_eq(ff_sample_run(samples, &opts, model_score, ev, &err),
                         0);

        double share[4];
        double near = judge(samples, data, count, cfg, share);
        const char *name = s == 0 ? "follow" : "langevin";
        fprintf(stderr, "toy with %zu poses, %s: %.3f within 0.3; shares",
                count, name, near);
        for (size_t k = 0; k < count; k++) {
            fprintf(stderr, " %.3f", share[k]);
        }
        fprintf(stderr, "\n");
        ck_assert_msg(near >= required[s], "%s: only %.3f of the samples lie "
                      "within 0.3 of a data pose", name, near);
        for (size_t k = 0; k < count; k++) {
            ck_assert_msg(share[k] >= min_share, "%s: pose %zu receives only "
                          "%.3f of the samples", name, k, share[k]);
        }
    }
    free(samples);
    ff_model_eval_free(ev);
    ff_model_free(model);
}

START_TEST(toy_two_poses)
{
    run_toy(2, 0.20);
}
END_TEST

START_TEST(toy_four_poses)
{
    run_toy(4, 0.05);
}
END_TEST

/* Add a test as its own TCase with a timeout past the 600 s of TEST_ADD:
 * under the sanitizers on a busy machine one toy took about 8 minutes. */
static void
add_long_test(Suite *s, const char *name, const TTest *test)
{
    TCase *tc = tcase_create(name);

    tcase_set_timeout(tc, 3000);
    tcase_add_test(tc, test);
    suite_add_tcase(s, tc);
}

static Suite *
toy_suite(void)
{
    Suite *s = suite_create("toy");

    add_long_test(s, "toy_two_poses", toy_two_poses);
    add_long_test(s, "toy_four_poses", toy_four_poses);
    return s;
}

int
main(void)
{
    return test_run_suite(toy_suite()) == 0 ? 0 : 1;
}
