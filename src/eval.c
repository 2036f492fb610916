#include "frameflow/eval.h"

#include <math.h>
#include <stdlib.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "frameflow/so3.h"
#include "errors.h"

/* Return cos of the angle of Ra^T Rb, (tr(Ra^T Rb) - 1) / 2, where the
 * trace is the sum of the entrywise products of Ra and Rb. */
static double
cos_angle(const double A[9], const double B[9])
{
    double tr = 0.0;

    for (int k = 0; k < 9; k++) {
        tr += A[k] * B[k];
    }
    double c = 0.5 * (tr - 1.0);
    return c > 1.0 ? 1.0 : (c < -1.0 ? -1.0 : c);
}

/* Return the distance from q to the nearest of n targets. */
static double
nearest_one(const ff_pose *q, const ff_pose *target, size_t n, double scale)
{
    double best2 = INFINITY;
    size_t best = 0;
    double s2 = scale * scale;

    for (size_t k = 0; k < n; k++) {
        double dx = q->x[0] - target[k].x[0];
        double dy = q->x[1] - target[k].x[1];
        double dz = q->x[2] - target[k].x[2];
        double t2 = s2 * (dx * dx + dy * dy + dz * dz);
        // The angle only adds to the distance: skip it when the
        // translation alone is already too far.
        if (t2 >= best2) {
            continue;
        }
        // Since 1 - cos a <= a^2 / 2, 2 (1 - c) bounds a^2 from below
        // without an acos.
        double c = cos_angle(q->R, target[k].R);
        if (t2 + 2.0 * (1.0 - c) >= best2) {
            continue;
        }
        // acos loses precision near 0 (about 1e-8 rad), so it only
        // chooses the neighbour; the distance returned comes from
        // ff_so3_angle.
        double a = acos(c);
        if (t2 + a * a < best2) {
            best2 = t2 + a * a;
            best = k;
        }
    }

    const ff_pose *p = &target[best];
    double dx = q->x[0] - p->x[0];
    double dy = q->x[1] - p->x[1];
    double dz = q->x[2] - p->x[2];
    double a = ff_so3_angle(q->R, p->R);
    return sqrt(s2 * (dx * dx + dy * dy + dz * dz) + a * a);
}

int
ff_eval_nearest(double *dist, const ff_pose *query, size_t n_query,
                const ff_pose *target, size_t n_target, double scale,
                int threads, ff_error *err)
{
    if (!(isfinite(scale) && scale > 0.0)) {
        return ff_error_set(err, FF_STATUS_ERR_INVALID,
                            "invalid translation scale %g; expected a "
                            "finite number above 0", scale);
    }
    if (n_query == 0) {
        return 0;
    }
    if (n_target == 0) {
        return ff_error_set(err, FF_STATUS_ERR_EMPTY,
                            "no frames to compare with");
    }

#ifdef _OPENMP
    int nt = threads > 0 ? threads : omp_get_max_threads();
#pragma omp parallel for num_threads(nt) schedule(dynamic, 16)
#else
    (void)threads;
#endif
    for (size_t i = 0; i < n_query; i++) {
        dist[i] = nearest_one(&query[i], target, n_target, scale);
    }
    return 0;
}

/* Fill share[k] with the fraction of the n distances at most tau[k], and
 * return their mean. */
static double
summarise(double share[FF_EVAL_TAU_COUNT], const double *dist, size_t n,
          const double tau[FF_EVAL_TAU_COUNT])
{
    double sum = 0.0;
    size_t within[FF_EVAL_TAU_COUNT] = {0};

    for (size_t i = 0; i < n; i++) {
        sum += dist[i];
        for (int k = 0; k < FF_EVAL_TAU_COUNT; k++) {
            within[k] += dist[i] <= tau[k];
        }
    }
    for (int k = 0; k < FF_EVAL_TAU_COUNT; k++) {
        share[k] = (double)within[k] / (double)n;
    }
    return sum / (double)n;
}

int
ff_eval_compare(ff_eval_result *out, const ff_pose *samples, size_t n_samples,
                const ff_pose *reference, size_t n_reference, double scale,
                int threads, ff_error *err)
{
    if (n_samples == 0) {
        return ff_error_set(err, FF_STATUS_ERR_EMPTY, "no samples to judge");
    }
    if (n_reference == 0) {
        return ff_error_set(err, FF_STATUS_ERR_EMPTY,
                            "no reference frames to judge against");
    }
    double *to_reference = malloc(n_samples * sizeof *to_reference);
    double *to_sample = malloc(n_reference * sizeof *to_sample);
    int rc = 0;
    if (to_reference == NULL || to_sample == NULL) {
        rc = ff_error_set(err, FF_STATUS_ERR_NOMEM,
                          "out of memory for %zu samples and %zu reference "
                          "frames", n_samples, n_reference);
        goto done;
    }
    rc = ff_eval_nearest(to_reference, samples, n_samples, reference,
                         n_reference, scale, threads, err);
    if (rc < 0) {
        goto done;
    }
    rc = ff_eval_nearest(to_sample, reference, n_reference, samples,
                         n_samples, scale, threads, err);
    if (rc < 0) {
        goto done;
    }

    out->sample_count = n_samples;
    out->reference_count = n_reference;
    out->translation_scale = scale;
    out->tau[0] = 0.1;
    out->tau[1] = 0.3;
    out->mean_sample_distance = summarise(out->precision, to_reference,
                                          n_samples, out->tau);
    out->mean_reference_distance = summarise(out->coverage, to_sample,
                                             n_reference, out->tau);

done:
    free(to_reference);
    free(to_sample);
    return rc;
}
