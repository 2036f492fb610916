/*
 * Helpers shared by the Check suites: a runner that returns the failure
 * count, fixed-seed random inputs, and paths to shipped and scratch files.
 */
#ifndef FRAMEFLOW_TESTUTIL_H
#define FRAMEFLOW_TESTUTIL_H

#include <check.h>

#include "frameflow/rng.h"

/* Run suite and return the number of failed tests. */
int test_run_suite(Suite *suite);

/* Add a test function to suite as its own TCase, so fork mode isolates it. */
void test_add(Suite *suite, const char *name, const TTest *test);
#define TEST_ADD(suite, fn) test_add((suite), #fn, fn)

/* Draw a vector with entries uniform in [-1, 1). */
void test_random_vector(ff_rng *rng, double v[3]);

/* Draw a unit vector uniformly on the sphere. */
void test_random_axis(ff_rng *rng, double v[3]);

/*
 * Fail the test unless |got[i] - want[i]| < tol for every i < n. The message
 * names the case (what), the entry and both values; a NaN always fails.
 */
void test_assert_close(const double *got, const double *want, int n,
                       double tol, const char *what);

/* Return the largest absolute entrywise difference of two n-vectors. */
double test_max_diff(const double *a, const double *b, int n);

/* Write into buf (size bytes) the path FF_SOURCE_DIR/relative. */
void test_source_path(char *buf, size_t size, const char *relative);

/* Write into buf a fresh scratch path FF_BUILD_DIR/tmp-PID-name. */
void test_scratch_path(char *buf, size_t size, const char *name);

#endif
