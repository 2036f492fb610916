/*
 * Timing of structure reading for scripts/bench-frames.sh: the same gemmi
 * reader with no frame work ("read"), and reading plus frame building
 * ("frames"), over a list of files, with a chosen number of threads. Not
 * installed: it exists to measure, not to be used.
 *
 * Usage: bench-frames MODE THREADS REPEATS INTERPOLATE FILE...
 * Prints one line: mode, threads, files, residues, the median wall time and
 * the median process CPU time of the repeats in seconds, and residues per
 * second at the median wall time. On a machine shared with other work the
 * CPU time is the steadier measure of the work done.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "frameflow/frames.h"
#include "frameflow/structure.h"

static int
compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;
    return (x > y) - (x < y);
}

static double
clock_seconds(clockid_t clock)
{
    struct timespec ts;

    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double
median_of(double *values, int n)
{
    qsort(values, (size_t)n, sizeof *values, compare_doubles);
    return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

/* Count the amino-acid residues of a structure's first model. */
static size_t
count_residues(const ff_structure *st)
{
    size_t n = 0;

    for (size_t c = 0; c < ff_structure_chain_count(st, 0); c++) {
        for (size_t r = 0; r < ff_structure_residue_count(st, 0, c); r++) {
            ff_structure_residue res;
            ff_structure_get_residue(&res, st, 0, c, r);
            n += (size_t)res.amino_acid;
        }
    }
    return n;
}

/* Read (and with frames, build) every file once; return 0 or -1. */
static int
run_once(int frames, int threads, int interpolate, char **files, int count)
{
    int failed = 0;
    ff_frames_options options;

    ff_frames_options_init(&options);
    options.interpolate = interpolate;
    (void)threads;
    #pragma omp parallel for schedule(dynamic, 1) num_threads(threads) \
        reduction(| : failed)
    for (int i = 0; i < count; i++) {
        ff_error err;
        int bad;
        if (frames) {
            ff_frameset *set = ff_frameset_new(&err);
            bad = set == NULL
                  || ff_frames_build_file(set, NULL, files[i], &options,
                                          &err) != 0;
            ff_frameset_free(set);
        } else {
            ff_structure *st = ff_structure_open(files[i], &err);
            bad = st == NULL;
            ff_structure_free(st);
        }
        if (bad) {
            fprintf(stderr, "bench-frames: %s\n", err.message);
        }
        failed |= bad;
    }
    return failed ? -1 : 0;
}

int
main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: bench-frames read|frames THREADS REPEATS "
                "INTERPOLATE FILE...\n");
        return 2;
    }
    int frames = strcmp(argv[1], "frames") == 0;
    int threads = atoi(argv[2]);
    int repeats = atoi(argv[3]);
    int interpolate = atoi(argv[4]);
    char **files = argv + 5;
    int count = argc - 5;
    if (threads < 1 || repeats < 1 || repeats > 1000) {
        fprintf(stderr, "bench-frames: invalid threads or repeats\n");
        return 2;
    }

    size_t residues = 0;
    for (int i = 0; i < count; i++) {
        ff_error err;
        ff_structure *st = ff_structure_open(files[i], &err);
        if (st == NULL) {
            fprintf(stderr, "bench-frames: %s\n", err.message);
            return 1;
        }
        residues += count_residues(st);
        ff_structure_free(st);
    }

    double *wall = malloc((size_t)repeats * sizeof *wall);
    double *cpu = malloc((size_t)repeats * sizeof *cpu);
    if (wall == NULL || cpu == NULL) {
        return 1;
    }
    for (int r = 0; r < repeats; r++) {
        double start = clock_seconds(CLOCK_MONOTONIC);
        double cpu_start = clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
        if (run_once(frames, threads, interpolate, files, count) != 0) {
            return 1;
        }
        wall[r] = clock_seconds(CLOCK_MONOTONIC) - start;
        cpu[r] = clock_seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu_start;
    }
    double median = median_of(wall, repeats);
    printf("%s\tthreads=%d\tfiles=%d\tresidues=%zu\tmedian_s=%.4f\t"
           "cpu_s=%.4f\tresidues_per_s=%.0f\n",
           frames ? "frames" : "read", threads, count, residues, median,
           median_of(cpu, repeats), (double)residues / median);
    free(wall);
    free(cpu);
    return 0;
}
