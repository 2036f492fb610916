#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "frameflow/frames.h"
#include "frameflow/model.h"
#include "frameflow/rng.h"
#include "frameflow/so3.h"
#include "frameflow/train.h"
#include "model_internal.h"
#include "testutil.h"

/* The log-density of the noisy pose (x, R) around (x0, R0), up to a
 * constant. */
static double
log_density(const double x[3], const double R[9], const double x0[3],
            const double R0[9], double sigma)
{
    double R0t[9];
    double rel[9];
    double d[3];
    double sq = 0.0;

    ff_so3_inverse(R0t, R0);
    ff_so3_compose(rel, R0t, R);
    ff_so3_log(d, rel);
    for (int i = 0; i < 3; i++) {
        sq += (x[i] - x0[i]) * (x[i] - x0[i]) + d[i] * d[i];
    }
    return -0.5 * sq / (sigma * sigma + 1e-6);
}

/*
 * Compare both charts' analytic targets with central differences of the
 * log-density over random poses. Step 1e-6: the truncation error h^2 f'''
 * is below 1e-9 of the scale, and rounding contributes 1e-16 |f| / h,
 * at most 1e-6 of |f| (|f| grows as 1/sigma^2, like the gradient itself).
 */
START_TEST(train_score_targets_match_fd)
{
    const double h = 1e-6;
    ff_rng rng;
    int checked = 0;

    ff_rng_init(&rng, 41, FF_RNG_STREAM_USER, 0, 0);
    for (int trial = 0; trial < 400; trial++) {
        double x0[3];
        double R0[9];
        double x[3];
        double R[9];
        double sigma = 0.03 + 0.7 * ff_rng_uniform(&rng);

        test_random_vector(&rng, x0);
        ff_rng_rotation_uniform(R0, &rng);
        for (int i = 0; i < 3; i++) {
            x[i] = x0[i] + sigma * ff_rng_normal(&rng);
        }
        ff_rng_rotation_tangent_gaussian(R, R0, sigma, &rng);

        double w[3];
        double R0t[9];
        double rel[9];
        double d[3];
        ff_so3_log(w, R);
        ff_so3_inverse(R0t, R0);
        ff_so3_compose(rel, R0t, R);
        ff_so3_log(d, rel);
        // Log jumps at angle pi, where no derivative exists: keep both
        // angles away from it.
        if (sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]) > 3.0
            || sqrt(w[0] * w[0] + w[1] * w[1] + w[2] * w[2]) > 3.0) {
            continue;
        }
        checked++;

        double local[6];
        double global[6];
        ff_train_score_target(local, x, R, x0, R0, sigma,
                              FF_SCORE_CHART_LOCAL);
        ff_train_score_target(global, x, R, x0, R0, sigma,
                              FF_SCORE_CHART_GLOBAL);
        double scale = 1.0 / (sigma * sigma + 1e-6);

        for (int i = 0; i < 3; i++) {
            double xp[3];
            double xm[3];
            memcpy(xp, x, sizeof xp);
            memcpy(xm, x, sizeof xm);
            xp[i] += h;
            xm[i] -= h;
            double fd = (log_density(xp, R, x0, R0, sigma)
                         - log_density(xm, R, x0, R0, sigma)) / (2.0 * h);
            ck_assert_double_eq_tol(local[i], fd, 1e-6 * scale);
            ck_assert_double_eq_tol(global[i], fd, 1e-6 * scale);

            // Local chart: R Exp(+-h e_i).
            double e[3] = {0.0, 0.0, 0.0};
            double E[9];
            double Rp[9];
            double Rm[9];
            e[i] = h;
            ff_so3_exp(E, e);
            ff_so3_compose(Rp, R, E);
            e[i] = -h;
            ff_so3_exp(E, e);
            ff_so3_compose(Rm, R, E);
            fd = (log_density(x, Rp, x0, R0, sigma)
                  - log_density(x, Rm, x0, R0, sigma)) / (2.0 * h);
            ck_assert_double_eq_tol(local[3 + i], fd, 1e-6 * scale);

            // Global chart: R = Exp(w +- h e_i).
            double wp[3];
            double wm[3];
            memcpy(wp, w, sizeof wp);
            memcpy(wm, w, sizeof wm);
            wp[i] += h;
            wm[i] -= h;
            ff_so3_exp(Rp, wp);
            ff_so3_exp(Rm, wm);
            fd = (log_density(x, Rp, x0, R0, sigma)
                  - log_density(x, Rm, x0, R0, sigma)) / (2.0 * h);
            ck_assert_double_eq_tol(global[3 + i], fd, 1e-6 * scale);
        }
    }
    ck_assert_int_gt(checked, 300);
}
END_TEST

START_TEST(train_frames_digest_and_centre)
{
    ff_pose poses[3];
    ff_model_config cfg;
    ff_error err;

    for (int i = 0; i < 3; i++) {
        ff_se3_identity(&poses[i]);
        poses[i].x[0] = 3.0 * i;
        poses[i].x[1] = -1.0;
        poses[i].x[2] = 10.0 + i;
    }
    uint64_t digest = ff_train_frames_digest(poses, 3);
    ck_assert_uint_eq(digest, ff_train_frames_digest(poses, 3));
    // Order and count matter.
    ff_pose swapped[3] = {poses[1], poses[0], poses[2]};
    ck_assert_uint_ne(digest, ff_train_frames_digest(swapped, 3));
    ck_assert_uint_ne(digest, ff_train_frames_digest(poses, 2));
    // FNV-1a of no bytes is its offset basis.
    ck_assert_uint_eq(ff_train_frames_digest(poses, 0),
                      14695981039346656037ull);

    ff_model_config_default(&cfg, FF_MODEL_ARCH_SMALL);
    ck_assert_int_eq(ff_train_config_set_frames(&cfg, poses, 3, 1, &err), 0);
    ck_assert_double_eq_tol(cfg.center[0], 3.0, 1e-15);
    ck_assert_double_eq_tol(cfg.center[1], -1.0, 1e-15);
    ck_assert_double_eq_tol(cfg.center[2], 11.0, 1e-15);
    ck_assert_uint_eq(cfg.frame_count, 3);
    ck_assert_uint_eq(cfg.frame_digest, digest);
    ck_assert_int_eq(ff_train_config_set_frames(&cfg, poses, 3, 0, &err), 0);
    ck_assert_double_eq(cfg.center[2], 0.0);

    ck_assert_int_eq(ff_train_config_set_frames(&cfg, poses, 0, 1, &err),
                     FF_STATUS_ERR_EMPTY);
    poses[1].R[4] = NAN;
    ck_assert_int_eq(ff_train_config_set_frames(&cfg, poses, 3, 1, &err),
                     FF_STATUS_ERR_NUMERIC);
    ck_assert_ptr_nonnull(strstr(err.message, "frame 2"));
}
END_TEST

/* The first toy problem of the small model: two poses given as (x, w),
 * R = Exp(w). */
static void
toy_poses(ff_pose poses[2])
{
    const double x[2][3] = {{0.3, 0.3, 0.3}, {-0.5, 1.2, -0.7}};
    const double w[2][3] = {{0.0, 0.0, 0.0}, {-0.3, 1.2, -0.4}};

    for (int i = 0; i < 2; i++) {
        ff_so3_exp(poses[i].R, w[i]);
        memcpy(poses[i].x, x[i], sizeof x[i]);
    }
}

static ff_model *
toy_model(int arch, uint32_t batch, uint64_t seed, const ff_pose *poses)
{
    ff_model_config cfg;
    ff_error err;

    ff_model_config_default(&cfg, arch);
    cfg.seed = seed;
    cfg.batch = batch;
    cfg.translation_scale = 1.0;
    ck_assert_int_eq(ff_train_config_set_frames(&cfg, poses, 2, 0, &err), 0);
    ff_model *m = ff_model_new(&cfg, &err);
    ck_assert_msg(m != NULL, "%s", err.message);
    return m;
}

typedef struct loss_record {
    double first;  /* sum of the first 100 losses */
    double last;   /* sum of the last 100 losses */
    uint64_t total;
} loss_record;

static int
record_loss(const ff_train_progress *p, void *user)
{
    loss_record *r = user;

    if (p->step <= 100) {
        r->first += p->loss;
    }
    if (p->step > p->target - 100) {
        r->last += p->loss;
    }
    r->total = p->step;
    return 0;
}

START_TEST(train_toy_problem_learns)
{
    ff_pose poses[2];
    ff_error err;
    loss_record rec = {0.0, 0.0, 0};

    toy_poses(poses);
    ff_model *m = toy_model(FF_MODEL_ARCH_SMALL, 500, 1, poses);
    ff_trainer *tr = ff_trainer_new(m, poses, 2, NULL, &err);
    ck_assert_msg(tr != NULL, "%s", err.message);
    ck_assert_int_eq(ff_trainer_run(tr, 1000, record_loss, &rec, NULL, &err),
                     0);
    ck_assert_uint_eq(rec.total, 1000);
    ck_assert_uint_eq(ff_model_get_config(m)->step, 1000);
    ck_assert_msg(rec.last < 0.5 * rec.first,
                  "mean loss of the last 100 steps %g is not under half of "
                  "the first 100 steps' %g", rec.last / 100,
                  rec.first / 100);
    ff_trainer_free(tr);
    ff_model_free(m);
}
END_TEST

static void
train_steps(ff_model *m, const ff_pose *poses, uint64_t target)
{
    ff_error err;
    ff_trainer *tr = ff_trainer_new(m, poses, 2, NULL, &err);

    ck_assert_msg(tr != NULL, "%s", err.message);
    ck_assert_int_eq(ff_trainer_run(tr, target, NULL, NULL, NULL, &err), 0);
    ff_trainer_free(tr);
}

static unsigned char *
slurp(const char *path, size_t *size)
{
    FILE *fp = fopen(path, "rb");
    ck_assert_ptr_nonnull(fp);
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    unsigned char *data = malloc((size_t)n);
    ck_assert_uint_eq(fread(data, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    *size = (size_t)n;
    return data;
}

START_TEST(train_resume_is_exact)
{
    ff_pose poses[2];
    ff_error err;
    char whole[512];
    char half[512];
    char resumed[512];

    toy_poses(poses);
    test_scratch_path(whole, sizeof whole, "whole.ffm");
    test_scratch_path(half, sizeof half, "half.ffm");
    test_scratch_path(resumed, sizeof resumed, "resumed.ffm");

    // 200 steps in one go.
    ff_model *a = toy_model(FF_MODEL_ARCH_SMALL, 64, 5, poses);
    train_steps(a, poses, 200);
    ck_assert_int_eq(ff_model_save(a, whole, &err), 0);

    // 100 steps, saved, loaded, and 100 more.
    ff_model *b = toy_model(FF_MODEL_ARCH_SMALL, 64, 5, poses);
    train_steps(b, poses, 100);
    ck_assert_int_eq(ff_model_save(b, half, &err), 0);
    ff_model *c = ff_model_load(half, &err);
    ck_assert_msg(c != NULL, "%s", err.message);
    train_steps(c, poses, 200);
    ck_assert_int_eq(ff_model_save(c, resumed, &err), 0);

    size_t n1 = 0;
    size_t n2 = 0;
    unsigned char *d1 = slurp(whole, &n1);
    unsigned char *d2 = slurp(resumed, &n2);
    ck_assert_uint_eq(n1, n2);
    ck_assert_int_eq(memcmp(d1, d2, n1), 0);

    free(d1);
    free(d2);
    unlink(whole);
    unlink(half);
    unlink(resumed);
    ff_model_free(a);
    ff_model_free(b);
    ff_model_free(c);
}
END_TEST

/* Train deep for a few steps with a batch large enough for every product
 * to run threads, and return the parameters. */
static float *
train_with_threads(int threads, size_t *count)
{
    ff_pose poses[2];

#ifdef _OPENMP
    omp_set_num_threads(threads);
#else
    (void)threads;
#endif
    toy_poses(poses);
    ff_model *m = toy_model(FF_MODEL_ARCH_DEEP, 300, 8, poses);
    train_steps(m, poses, 4);
    *count = m->param_count;
    float *params = malloc(3 * m->param_count * sizeof(float));
    memcpy(params, m->params, m->param_count * sizeof(float));
    memcpy(params + m->param_count, m->adam_m, m->param_count * sizeof(float));
    memcpy(params + 2 * m->param_count, m->adam_v,
           m->param_count * sizeof(float));
    ff_model_free(m);
    return params;
}

START_TEST(train_thread_count_invariant)
{
    size_t count = 0;
    float *one = train_with_threads(1, &count);
    float *two = train_with_threads(2, &count);
    float *four = train_with_threads(4, &count);

    ck_assert_int_eq(memcmp(one, two, 3 * count * sizeof(float)), 0);
    ck_assert_int_eq(memcmp(one, four, 3 * count * sizeof(float)), 0);
    free(one);
    free(two);
    free(four);
}
END_TEST

START_TEST(train_rejects_other_frames)
{
    ff_pose poses[2];
    ff_error err;

    toy_poses(poses);
    ff_model *m = toy_model(FF_MODEL_ARCH_SMALL, 8, 1, poses);
    poses[1].x[0] += 1e-9;
    ck_assert_ptr_null(ff_trainer_new(m, poses, 2, NULL, &err));
    ck_assert_int_eq(err.code, FF_STATUS_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(err.message, "differ"));
    ck_assert_ptr_null(ff_trainer_new(m, poses, 1, NULL, &err));
    ck_assert_ptr_null(ff_trainer_new(m, poses, 0, NULL, &err));
    ck_assert_int_eq(err.code, FF_STATUS_ERR_EMPTY);
    ff_model_free(m);
}
END_TEST

START_TEST(train_options_are_stored)
{
    ff_pose poses[2];
    ff_error err;
    ff_train_options opt;

    toy_poses(poses);
    ff_model *m = toy_model(FF_MODEL_ARCH_SMALL, 8, 1, poses);
    ff_train_options_from_model(&opt, m);
    ck_assert_uint_eq(opt.batch, 8);
    opt.batch = 16;
    opt.learning_rate = 1e-3;
    opt.weight_decay = 0.0;
    ff_trainer *tr = ff_trainer_new(m, poses, 2, &opt, &err);
    ck_assert_ptr_nonnull(tr);
    ck_assert_uint_eq(ff_model_get_config(m)->batch, 16);
    ck_assert_double_eq(ff_model_get_config(m)->learning_rate, 1e-3);
    ck_assert_double_eq(ff_model_get_config(m)->weight_decay, 0.0);
    ff_trainer_free(tr);

    opt.learning_rate = NAN;
    ck_assert_ptr_null(ff_trainer_new(m, poses, 2, &opt, &err));
    ck_assert_ptr_nonnull(strstr(err.message, "learning rate"));
    opt.learning_rate = 1e-3;
    opt.batch = 0;
    ck_assert_ptr_null(ff_trainer_new(m, poses, 2, &opt, &err));
    ck_assert_ptr_nonnull(strstr(err.message, "batch"));
    ff_model_free(m);
}
END_TEST

static int
stop_after_three(const ff_train_progress *p, void *user)
{
    volatile sig_atomic_t *flag = user;

    if (p->step == 3) {
        *flag = 1;
    }
    return 0;
}

static int
refuse_at_five(const ff_train_progress *p, void *user)
{
    (void)user;
    return p->step == 5 ? FF_STATUS_ERR_IO : 0;
}

START_TEST(train_stops_between_steps)
{
    ff_pose poses[2];
    ff_error err;
    volatile sig_atomic_t stop = 0;

    toy_poses(poses);
    ff_model *m = toy_model(FF_MODEL_ARCH_SMALL, 8, 1, poses);
    ff_trainer *tr = ff_trainer_new(m, poses, 2, NULL, &err);
    ck_assert_ptr_nonnull(tr);
    ck_assert_int_eq(ff_trainer_run(tr, 10, stop_after_three, (void *)&stop,
                                    &stop, &err),
                     FF_STATUS_ERR_INTERRUPTED);
    ck_assert_uint_eq(ff_model_get_config(m)->step, 3);
    ck_assert_ptr_nonnull(strstr(err.message, "step 3 of 10"));

    stop = 0;
    ck_assert_int_eq(ff_trainer_run(tr, 10, refuse_at_five, NULL, &stop, &err),
                     FF_STATUS_ERR_IO);
    ck_assert_uint_eq(ff_model_get_config(m)->step, 5);

    // A target already reached takes no step.
    ck_assert_int_eq(ff_trainer_run(tr, 2, NULL, NULL, NULL, &err), 0);
    ck_assert_uint_eq(ff_model_get_config(m)->step, 5);
    ff_trainer_free(tr);
    ff_model_free(m);
}
END_TEST

START_TEST(train_divergence_is_reported)
{
    ff_pose poses[2];
    ff_error err;
    ff_train_options opt;
    double loss = 0.0;

    toy_poses(poses);
    ff_model *m = toy_model(FF_MODEL_ARCH_SMALL, 8, 1, poses);
    ff_train_options_from_model(&opt, m);
    // Steps of 1e30 per parameter overflow a forward pass within a few
    // steps.
    opt.learning_rate = 1e30;
    opt.weight_decay = 0.0;
    ff_trainer *tr = ff_trainer_new(m, poses, 2, &opt, &err);
    ck_assert_ptr_nonnull(tr);
    int status = 0;
    for (int k = 0; k < 10 && status == 0; k++) {
        uint64_t step = ff_model_get_config(m)->step;
        float before = m->params[5];
        status = ff_trainer_step(tr, &loss, &err);
        if (status != 0) {
            // The failed step changed nothing.
            ck_assert_int_eq(status, FF_STATUS_ERR_NUMERIC);
            ck_assert_ptr_nonnull(strstr(err.message, " at step "));
            ck_assert_ptr_nonnull(strstr(err.message,
                                         "lower the learning rate"));
            ck_assert_uint_eq(ff_model_get_config(m)->step, step);
            ck_assert(memcmp(&m->params[5], &before, sizeof before) == 0);
        }
    }
    ck_assert_int_eq(status, FF_STATUS_ERR_NUMERIC);
    // No step wrote a NaN into the weights, so the model can be saved.
    for (size_t i = 0; i < m->param_count; i++) {
        ck_assert_msg(isfinite(m->params[i]), "parameter %zu is %g", i,
                      (double)m->params[i]);
    }
    ff_trainer_free(tr);
    ff_model_free(m);
}
END_TEST

START_TEST(train_rejects_far_frames)
{
    ff_pose poses[2];
    ff_model_config cfg;
    ff_error err;

    // A translation far beyond any structure overflows the network's float
    // inputs, so it is rejected before training.
    toy_poses(poses);
    poses[1].x[1] = 2.0 * FF_FRAMES_COORD_MAX;
    ff_model_config_default(&cfg, FF_MODEL_ARCH_SMALL);
    ck_assert_int_eq(ff_train_config_set_frames(&cfg, poses, 2, 1, &err),
                     FF_STATUS_ERR_NUMERIC);
    ck_assert_msg(strstr(err.message, "training frame 2") != NULL, "%s",
                  err.message);
}
END_TEST

static Suite *
train_suite(void)
{
    Suite *s = suite_create("train");

    TEST_ADD(s, train_score_targets_match_fd);
    TEST_ADD(s, train_frames_digest_and_centre);
    TEST_ADD(s, train_toy_problem_learns);
    TEST_ADD(s, train_resume_is_exact);
    TEST_ADD(s, train_thread_count_invariant);
    TEST_ADD(s, train_rejects_other_frames);
    TEST_ADD(s, train_options_are_stored);
    TEST_ADD(s, train_stops_between_steps);
    TEST_ADD(s, train_divergence_is_reported);
    TEST_ADD(s, train_rejects_far_frames);
    return s;
}

int
main(void)
{
    return test_run_suite(train_suite()) == 0 ? 0 : 1;
}
