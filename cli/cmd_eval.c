/*
 * frameflow eval: judge samples against reference frames.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frameflow/eval.h"
#include "frameflow/frames.h"
#include "frameflow/model.h"
#include "commands.h"
#include "readframes.h"
#include "util.h"

#define MAX_THREADS 1024L

static void
print_help(void)
{
    printf("Usage: frameflow eval SAMPLES --reference FRAMES [OPTIONS]\n"
           "\n"
           "Compare sampled frames with reference frames by the SE(3) "
           "distance\n"
           "sqrt(|s dx|^2 + angle^2): for each sample the distance to the "
           "nearest\n"
           "reference frame, and for each reference frame the distance to "
           "the nearest\n"
           "sample. Prints precision (the share of samples within tau of "
           "a reference\n"
           "frame) and coverage (the share of reference frames within tau "
           "of a sample) for\n"
           "tau = 0.1 and 0.3, and the mean nearest distances.\n"
           "\n"
           "SAMPLES and FRAMES are frames files, PDB or mmCIF files written "
           "by frameflow,\n"
           "or structures (every chain, no interpolated frames).\n"
           "\n"
           "Options:\n"
           "  -r, --reference FILE  the reference frames (required)\n"
           "  -m, --model FILE      measure in this model's units: s is "
           "its translation\n"
           "                        scale (default: Angstrom and radians, "
           "s = 1)\n"
           "      --tsv             print one tab-separated header and row\n"
           "      --threads N       OpenMP threads, 0 for the default "
           "(default 0)\n"
           "  -q, --quiet           print errors only\n"
           "  -v, --verbose         print more detail\n"
           "  -h, --help            show this help and exit\n");
}

typedef struct eval_args {
    const char *samples;
    const char *reference;
    const char *model;
    int tsv;
    int threads;
} eval_args;

enum {
    OPT_TSV = 256,
    OPT_THREADS
};

/* Parse the command line; return 0, -1 after --help, or the exit status. */
static int
parse_args(eval_args *a, int argc, char **argv)
{
    static const struct option long_options[] = {
        {"reference", required_argument, NULL, 'r'},
        {"model", required_argument, NULL, 'm'},
        {"tsv", no_argument, NULL, OPT_TSV},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    long n;
    int c;

    memset(a, 0, sizeof *a);
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":r:m:qvh", long_options, NULL))
           != -1) {
        int shared = cli_getopt_shared("eval", c, argv);
        if (shared < 0) {
            return CLI_EXIT_USAGE;
        }
        if (shared > 0) {
            continue;
        }
        switch (c) {
        case 'r':
            a->reference = optarg;
            break;
        case 'm':
            a->model = optarg;
            break;
        case OPT_TSV:
            a->tsv = 1;
            break;
        case OPT_THREADS:
            if (cli_parse_long("eval", "--threads", optarg, 0, MAX_THREADS,
                               &n)) {
                return CLI_EXIT_USAGE;
            }
            a->threads = (int)n;
            break;
        case 'h':
            print_help();
            return -1;
        default:
            return cli_usage_error("eval", "unknown option '%s'",
                                   argv[optind - 1]);
        }
    }
    if (optind >= argc) {
        return cli_usage_error("eval", "missing the samples file");
    }
    if (argc - optind > 1) {
        return cli_usage_error("eval", "takes one samples file, not %d "
                               "files", argc - optind);
    }
    if (a->reference == NULL) {
        return cli_usage_error("eval", "missing --reference FILE");
    }
    a->samples = argv[optind];
    return 0;
}

static void
print_table(const eval_args *a, const ff_eval_result *r)
{
    const char *unit = a->model != NULL ? "model units" : "Angstrom";

    printf("samples:    %zu frames from %s\n", r->sample_count, a->samples);
    printf("reference:  %zu frames from %s\n", r->reference_count,
           a->reference);
    if (a->model != NULL) {
        printf("distance:   sqrt(|%g dx|^2 + angle^2), in the units of %s "
               "and radians\n", r->translation_scale, a->model);
    } else {
        printf("distance:   sqrt(|dx|^2 + angle^2), Angstrom and radians\n");
    }
    printf("\n%-44s %10s %10s\n", "", "tau = 0.1", "tau = 0.3");
    printf("%-44s %10.3f %10.3f\n",
           "precision (samples near a reference frame)", r->precision[0],
           r->precision[1]);
    printf("%-44s %10.3f %10.3f\n",
           "coverage (reference frames near a sample)", r->coverage[0],
           r->coverage[1]);
    printf("\nmean distance from a sample to the nearest reference frame: "
           "%.4f (%s)\n", r->mean_sample_distance, unit);
    printf("mean distance from a reference frame to the nearest sample: "
           "%.4f (%s)\n", r->mean_reference_distance, unit);
}

static void
print_tsv(const eval_args *a, const ff_eval_result *r)
{
    printf("samples\treference\tsample_count\treference_count\t"
           "translation_scale\tprecision_0.1\tprecision_0.3\t"
           "coverage_0.1\tcoverage_0.3\tmean_sample_distance\t"
           "mean_reference_distance\n");
    printf("%s\t%s\t%zu\t%zu\t%g\t%.6f\t%.6f\t%.6f\t%.6f\t%.6g\t%.6g\n",
           a->samples, a->reference, r->sample_count, r->reference_count,
           r->translation_scale, r->precision[0], r->precision[1],
           r->coverage[0], r->coverage[1], r->mean_sample_distance,
           r->mean_reference_distance);
}

/* Read the translation scale of a model; return 0 or the exit status. */
static int
model_scale(const char *path, double *scale)
{
    ff_error err;

    ff_error_clear(&err);
    ff_model *model = ff_model_load(path, &err);
    if (model == NULL) {
        cli_report(&err);
        return CLI_EXIT_FAILURE;
    }
    *scale = ff_model_get_config(model)->translation_scale;
    ff_model_free(model);
    return 0;
}

int
cmd_eval(int argc, char **argv)
{
    eval_args a;
    int rc = parse_args(&a, argc, argv);
    if (rc != 0) {
        return rc < 0 ? CLI_EXIT_OK : rc;
    }

    double scale = 1.0;
    if (a.model != NULL) {
        rc = model_scale(a.model, &scale);
        if (rc != 0) {
            return rc;
        }
    }
    ff_error err;
    ff_error_clear(&err);
    ff_frameset *samples = cli_read_frames(a.samples, &err);
    ff_frameset *reference = NULL;
    int status = CLI_EXIT_FAILURE;
    if (samples == NULL) {
        cli_report(&err);
        goto done;
    }
    reference = cli_read_frames(a.reference, &err);
    if (reference == NULL) {
        cli_report(&err);
        goto done;
    }

    ff_eval_result result;
    if (ff_eval_compare(&result, samples->poses, samples->count,
                        reference->poses, reference->count, scale, a.threads,
                        &err)
        < 0) {
        cli_report(&err);
        goto done;
    }
    if (a.tsv) {
        print_tsv(&a, &result);
    } else {
        print_table(&a, &result);
    }
    status = CLI_EXIT_OK;
    cli_run_end();

done:
    ff_frameset_free(samples);
    ff_frameset_free(reference);
    return status;
}
