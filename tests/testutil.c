#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int
test_run_suite(Suite *suite)
{
    SRunner *runner = srunner_create(suite);

    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed;
}

void
test_add(Suite *suite, const char *name, const TTest *test)
{
    TCase *tc = tcase_create(name);

    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test);
    suite_add_tcase(suite, tc);
}

void
test_random_vector(ff_rng *rng, double v[3])
{
    for (int i = 0; i < 3; i++) {
        v[i] = 2.0 * ff_rng_uniform(rng) - 1.0;
    }
}

void
test_random_axis(ff_rng *rng, double v[3])
{
    double n;

    do {
        for (int i = 0; i < 3; i++) {
            v[i] = ff_rng_normal(rng);
        }
        n = sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
    } while (n < 1e-6);
    for (int i = 0; i < 3; i++) {
        v[i] /= n;
    }
}

void
test_assert_close(const double *got, const double *want, int n, double tol,
                  const char *what)
{
    for (int i = 0; i < n; i++) {
        ck_assert_msg(fabs(got[i] - want[i]) < tol,
                      "%s: entry %d is %.17g, expected %.17g (tolerance %g)",
                      what, i, got[i], want[i], tol);
    }
}

double
test_max_diff(const double *a, const double *b, int n)
{
    double worst = 0.0;

    for (int i = 0; i < n; i++) {
        double d = fabs(a[i] - b[i]);
        if (isnan(d)) {
            return INFINITY;
        }
        if (d > worst) {
            worst = d;
        }
    }
    return worst;
}

void
test_source_path(char *buf, size_t size, const char *relative)
{
    snprintf(buf, size, "%s/%s", FF_SOURCE_DIR, relative);
}

void
test_scratch_path(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/tmp-%ld-%s", FF_BUILD_DIR, (long)getpid(), name);
}
