/*
 * A program outside the frameflow tree, built by install-test.sh against
 * the installed headers and library through pkg-config. It uses the C
 * geometry, the C++ structure reader and an OpenMP loop, so a link that
 * lacks any of their libraries fails.
 *
 * Usage: install-consumer STRUCTURE FRAMES TX TY TZ R00 R01 ... R22
 * FRAMES is the number of residue frames of the first chain and T, R the
 * first frame, as datasets/EXPECTED.tsv lists them. Exit 0 when every check
 * passes, 1 otherwise, with one line per failed check on stderr.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <frameflow/eval.h>
#include <frameflow/frames.h>
#include <frameflow/so3.h>
#include <frameflow/structure.h>
#include <frameflow/version.h>

static int failures = 0;

static void
check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "install-consumer: %s\n", what);
        failures++;
    }
}

static void
check_version(void)
{
    check(strcmp(ff_version(), FF_VERSION_STRING) == 0,
          "ff_version() differs from FF_VERSION_STRING in version.h");
    check(strlen(ff_structure_gemmi_version()) > 0,
          "ff_structure_gemmi_version() is empty");
}

static void
check_rotation(void)
{
    // A quarter turn about z maps x to y: the closed form is exact up to
    // the rounding of sin and cos of pi/2, a few units of 1e-16.
    const double w[3] = {0.0, 0.0, acos(-1.0) / 2.0};
    const double expected[9] = {0, -1, 0, 1, 0, 0, 0, 0, 1};
    double R[9];
    ff_so3_exp(R, w);
    for (int i = 0; i < 9; i++) {
        check(fabs(R[i] - expected[i]) < 1e-12,
              "ff_so3_exp of a quarter turn about z is wrong");
    }
}

static void
check_frames(char **argv)
{
    ff_error err;
    ff_frameset *set = ff_frameset_new(&err);
    if (set == NULL) {
        check(0, err.message);
        return;
    }
    ff_frames_options options;
    ff_frames_options_init(&options);
    options.interpolate = 0;
    if (ff_frames_build_file(set, NULL, argv[1], &options, &err) != 0) {
        check(0, err.message);
        ff_frameset_free(set);
        return;
    }

    check(set->count == strtoul(argv[2], NULL, 10),
          "frame count differs from EXPECTED.tsv");
    // EXPECTED.tsv prints six decimals, so its values are within 5e-7 of
    // the exact frame.
    for (int i = 0; i < 3; i++) {
        check(fabs(set->poses[0].x[i] - strtod(argv[3 + i], NULL)) < 1e-6,
              "first translation differs from EXPECTED.tsv");
    }
    for (int i = 0; i < 9; i++) {
        check(fabs(set->poses[0].R[i] - strtod(argv[6 + i], NULL)) < 1e-6,
              "first rotation differs from EXPECTED.tsv");
    }

    // Every frame is its own nearest neighbour, found by the OpenMP search.
    double *dist = malloc(set->count * sizeof *dist);
    if (dist == NULL) {
        check(0, "out of memory");
    } else if (ff_eval_nearest(dist, set->poses, set->count, set->poses,
                               set->count, 1.0, 2, &err) != 0) {
        check(0, err.message);
    } else {
        for (size_t i = 0; i < set->count; i++) {
            check(dist[i] == 0.0, "a frame is not its own nearest neighbour");
        }
    }
    free(dist);
    ff_frameset_free(set);
}

int
main(int argc, char **argv)
{
    if (argc != 15) {
        fprintf(stderr, "usage: install-consumer STRUCTURE FRAMES "
                        "TX TY TZ R00 R01 R02 R10 R11 R12 R20 R21 R22\n");
        return 2;
    }
    check_version();
    check_rotation();
    check_frames(argv);
    return failures == 0 ? 0 : 1;
}
