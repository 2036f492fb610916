/*
 * frameflow sample: draw frames from a trained model and write them.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "frameflow/backbone.h"
#include "frameflow/frames.h"
#include "frameflow/model.h"
#include "frameflow/sample.h"
#include "commands.h"
#include "output.h"
#include "util.h"

#define DEFAULT_OUTPUT "samples.pdb"
#define DEFAULT_COUNT 1000
#define MAX_BATCH 1000000L
#define MAX_THREADS 1024L

static void
print_help(void)
{
    printf("Usage: frameflow sample MODEL [OPTIONS]\n"
           "\n"
           "Draw frames from a trained model by annealed Langevin dynamics "
           "on SE(3) and\n"
           "write them in Angstrom: by default as a PDB file with one GLY "
           "residue (N, CA,\n"
           "C) per frame and a PyMOL script beside it that draws each "
           "frame's axes.\n"
           "\n"
           "Options:\n"
           "  -n, --count N        samples to draw (default %d)\n"
           "  -o, --output FILE    the file to write (default %s)\n"
           "      --format FORMAT  pdb, cif (mmCIF) or tsv (a frames file); "
           "default: from\n"
           "                       the output name (.cif, .tsv, "
           "optionally .gz), else pdb\n"
           "      --pymol FILE     the PyMOL script, or 'none' (default: "
           "the output name\n"
           "                       with .pml; none for tsv)\n"
           "      --axis-length A  length of the drawn axes, Angstrom "
           "(default %g)\n"
           "      --steps T        sampler steps (default %d)\n"
           "      --dt DT          step size (default %g)\n"
           "      --sampler NAME   langevin (with noise) or follow (without "
           "noise)\n"
           "                       (default langevin)\n"
           "      --geodesic-scale wrap rotation steps to angles of at most "
           "pi before\n"
           "                       scaling them (default: scale the vectors "
           "as they are)\n"
           "      --seed N         seed of the start and the noise "
           "(default 0)\n"
           "      --threads N      OpenMP threads, 0 for the default "
           "(default 0)\n"
           "      --batch N        poses per model evaluation (default %d)\n"
           "  -q, --quiet          print errors only\n"
           "  -v, --verbose        print more detail\n"
           "  -h, --help           show this help and exit\n",
           DEFAULT_COUNT, DEFAULT_OUTPUT, CLI_AXIS_LENGTH_DEFAULT,
           FF_SAMPLE_DEFAULT_STEPS, FF_SAMPLE_DEFAULT_DT,
           FF_SAMPLE_DEFAULT_BATCH);
}

/* Options as given on the command line. */
typedef struct sample_args {
    ff_sample_options opts;
    const char *model;
    const char *output;
    const char *format;
    const char *pymol;
    double axis_length;
} sample_args;

enum {
    OPT_FORMAT = 256,
    OPT_PYMOL,
    OPT_AXIS_LENGTH,
    OPT_STEPS,
    OPT_DT,
    OPT_SAMPLER,
    OPT_GEODESIC,
    OPT_SEED,
    OPT_THREADS,
    OPT_BATCH
};

/* Parse one option; return 0, -1 after a usage error, or 1 for an option
 * it does not know. */
static int
parse_option(sample_args *a, int c, const char *value)
{
    long n;
    unsigned long long seed;

    switch (c) {
    case 'n':
        if (cli_parse_long("sample", "-n", value, 1, (long)UINT32_MAX, &n)) {
            return -1;
        }
        a->opts.count = (size_t)n;
        return 0;
    case 'o':
        a->output = value;
        return 0;
    case OPT_FORMAT:
        a->format = value;
        return 0;
    case OPT_PYMOL:
        a->pymol = value;
        return 0;
    case OPT_AXIS_LENGTH:
        return cli_parse_double("sample", "--axis-length", value, 1e-3, 100.0,
                                &a->axis_length);
    case OPT_STEPS:
        if (cli_parse_long("sample", "--steps", value, 1, FF_SAMPLE_MAX_STEPS,
                           &n)) {
            return -1;
        }
        a->opts.steps = n;
        return 0;
    case OPT_DT:
        return cli_parse_double("sample", "--dt", value, 1e-12, 1.0,
                                &a->opts.dt);
    case OPT_SAMPLER:
        if (strcmp(value, "langevin") == 0) {
            a->opts.sampler = FF_SAMPLER_LANGEVIN;
        } else if (strcmp(value, "follow") == 0) {
            a->opts.sampler = FF_SAMPLER_FOLLOW;
        } else {
            cli_usage_error("sample", "--sampler: invalid value '%s'; "
                            "expected langevin or follow", value);
            return -1;
        }
        return 0;
    case OPT_GEODESIC:
        a->opts.geodesic_scale = 1;
        return 0;
    case OPT_SEED:
        if (cli_parse_seed("sample", "--seed", value, &seed)) {
            return -1;
        }
        a->opts.seed = seed;
        return 0;
    case OPT_THREADS:
        if (cli_parse_long("sample", "--threads", value, 0, MAX_THREADS,
                           &n)) {
            return -1;
        }
        a->opts.threads = (int)n;
        return 0;
    case OPT_BATCH:
        if (cli_parse_long("sample", "--batch", value, 1, MAX_BATCH, &n)) {
            return -1;
        }
        a->opts.batch = (size_t)n;
        return 0;
    default:
        return 1;
    }
}

/* Parse the command line into a; return 0 to go on, -1 after --help, or
 * the exit status of a usage error. */
static int
parse_args(sample_args *a, int argc, char **argv)
{
    static const struct option long_options[] = {
        {"count", required_argument, NULL, 'n'},
        {"output", required_argument, NULL, 'o'},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"pymol", required_argument, NULL, OPT_PYMOL},
        {"axis-length", required_argument, NULL, OPT_AXIS_LENGTH},
        {"steps", required_argument, NULL, OPT_STEPS},
        {"dt", required_argument, NULL, OPT_DT},
        {"sampler", required_argument, NULL, OPT_SAMPLER},
        {"geodesic-scale", no_argument, NULL, OPT_GEODESIC},
        {"seed", required_argument, NULL, OPT_SEED},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"batch", required_argument, NULL, OPT_BATCH},
        {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    memset(a, 0, sizeof *a);
    ff_sample_options_default(&a->opts);
    a->opts.count = DEFAULT_COUNT;
    a->output = DEFAULT_OUTPUT;
    a->axis_length = CLI_AXIS_LENGTH_DEFAULT;

    opterr = 0;
    while ((c = getopt_long(argc, argv, ":n:o:qvh", long_options, NULL))
           != -1) {
        if (c == 'h') {
            print_help();
            return -1;
        }
        int shared = cli_getopt_shared("sample", c, argv);
        if (shared < 0) {
            return CLI_EXIT_USAGE;
        }
        if (shared > 0) {
            continue;
        }
        if (c == '?') {
            return cli_usage_error("sample", "unknown option '%s'",
                                   argv[optind - 1]);
        }
        if (parse_option(a, c, optarg) != 0) {
            return CLI_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        return cli_usage_error("sample", "missing the model file");
    }
    if (argc - optind > 1) {
        return cli_usage_error("sample", "takes one model file, not %d "
                               "files", argc - optind);
    }
    a->model = argv[optind];
    return 0;
}

/* Adapt a model evaluator to the sampler's score function. */
static int
model_score(void *ctx, size_t n, const double *x, const double *R, double t,
            double *v, ff_error *err)
{
    int rc = ff_model_eval_score(ctx, n, x, R, t, v);

    if (rc < 0) {
        err->code = rc;
        snprintf(err->message, sizeof err->message,
                 "model evaluation failed at t = %g: %s", t,
                 ff_status_name(rc));
    }
    return rc;
}

static void
report_progress(void *ctx, long done, long total)
{
    (void)total;
    cli_progress_update(ctx, done, NULL);
}

/* Describe the run in the lines written at the top of the output. */
static void
describe_run(char lines[3][512], const sample_args *a,
             const ff_model_config *cfg)
{
    const char *arch = ff_model_arch_name(cfg->arch);

    snprintf(lines[0], sizeof lines[0],
             "model: %s (%s, %llu training steps, score chart %s)", a->model,
             arch != NULL ? arch : "?", (unsigned long long)cfg->step,
             ff_score_chart_name(cfg->score_chart));
    snprintf(lines[1], sizeof lines[1],
             "sampler: %s, %ld steps, dt %g, %s scaling, seed %llu",
             a->opts.sampler == FF_SAMPLER_FOLLOW ? "follow" : "langevin",
             a->opts.steps, a->opts.dt,
             a->opts.geodesic_scale ? "geodesic" : "naive",
             (unsigned long long)a->opts.seed);
    snprintf(lines[2], sizeof lines[2],
             "units: Angstrom, from model units by dividing by %g and "
             "adding the centre (%.3f, %.3f, %.3f)",
             cfg->translation_scale, cfg->center[0], cfg->center[1],
             cfg->center[2]);
}

/* Collect the samples, in Angstrom, as a frame set labelled by the model. */
static ff_frameset *
samples_as_frameset(const ff_pose *poses, size_t n, const char *model,
                    ff_error *err)
{
    ff_frameset *set = ff_frameset_new(err);

    for (size_t j = 0; set != NULL && j < n; j++) {
        if (ff_frameset_add(set, &poses[j], model, "A", 1,
                            (int32_t)(j + 1), ' ', "GLY",
                            FF_FRAME_KIND_RESIDUE, 0.0, err)
            < 0) {
            ff_frameset_free(set);
            set = NULL;
        }
    }
    return set;
}

/* Memory a run takes per sample, bytes: the state and the poses while
 * sampling (about 200) and the frames and their text when written,
 * measured at 260 for a million samples written as a frames file. */
#define BYTES_PER_SAMPLE 300.0

/*
 * Check that count samples fit in this machine's memory; return 0, or
 * print one line and return the exit status.
 */
static int
check_memory(size_t count)
{
    long pages = sysconf(_SC_PHYS_PAGES);
    long page_size = sysconf(_SC_PAGESIZE);

    if (pages <= 0 || page_size <= 0) {
        return 0;
    }
    double available = (double)pages * (double)page_size;
    double needed = BYTES_PER_SAMPLE * (double)count;
    if (needed <= available) {
        return 0;
    }
    cli_error("%zu samples need about %.1f GiB, more than the %.1f GiB of "
              "memory here; draw fewer (-n) per run and give each run its "
              "own --seed", count, needed / 1073741824.0,
              available / 1073741824.0);
    return CLI_EXIT_FAILURE;
}

/* Sample with the model and write the result; return the exit status. */
static int
sample_and_write(const sample_args *a, cli_output *out, ff_model *model)
{
    const ff_model_config *cfg = ff_model_get_config(model);
    ff_pose *poses = malloc(a->opts.count * sizeof *poses);
    ff_frameset *set = NULL;
    ff_model_eval *ev = NULL;
    int status = CLI_EXIT_FAILURE;
    ff_error err;

    ff_error_clear(&err);
    if (poses == NULL) {
        cli_error("out of memory for %zu samples", a->opts.count);
        goto done;
    }
    ev = ff_model_eval_new(model, a->opts.batch, &err);
    if (ev == NULL) {
        cli_report(&err);
        goto done;
    }

    cli_progress progress;
    ff_sample_options opts = a->opts;
    opts.eps = cfg->eps;
    opts.progress = report_progress;
    opts.progress_ctx = &progress;
    opts.stop = &cli_stop_requested;
    cli_install_stop_handler();
    cli_progress_start(&progress, "sample", opts.steps);
    double start = cli_now();
    clock_t cpu_start = clock();
    int rc = ff_sample_run(poses, &opts, model_score, ev, &err);
    double seconds = cli_now() - start;
    double cpu = (double)(clock() - cpu_start) / CLOCKS_PER_SEC;
    cli_progress_finish(&progress);
    if (rc == FF_STATUS_ERR_INTERRUPTED) {
        cli_error("%s; nothing was written", err.message);
        status = CLI_EXIT_INTERRUPTED;
        goto done;
    }
    if (rc < 0) {
        cli_report(&err);
        goto done;
    }

    // scripts/bench-sample.sh reads this line: keep its wording.
    cli_log(CLI_LEVEL_INFO, "sampled %zu frames in %.3f s (processor time "
            "%.3f s): %.3f ms per step, %.0f frame-steps per second",
            opts.count, seconds, cpu, 1e3 * seconds / (double)opts.steps,
            (double)opts.count * (double)opts.steps / seconds);
    ff_sample_to_angstrom(poses, opts.count, cfg->translation_scale,
                          cfg->center);
    set = samples_as_frameset(poses, opts.count, a->model, &err);
    if (set == NULL) {
        cli_report(&err);
        goto done;
    }
    char lines[3][512];
    const char *remarks[3] = {lines[0], lines[1], lines[2]};
    describe_run(lines, a, cfg);
    ff_backbone_info info = {"frameflow samples", remarks, 3, NULL};
    if (cli_output_write(out, set, &info, &err) < 0) {
        cli_report(&err);
        goto done;
    }
    cli_output_report(out, set->count);
    status = CLI_EXIT_OK;
    // A signal that came while the file was written did not cut it short,
    // but the run was still interrupted.
    if (cli_stop_requested) {
        cli_error("interrupted while writing %s; the file was completed",
                  out->path);
        status = CLI_EXIT_INTERRUPTED;
    }

done:
    ff_frameset_free(set);
    ff_model_eval_free(ev);
    free(poses);
    return status;
}

int
cmd_sample(int argc, char **argv)
{
    sample_args a;
    int rc = parse_args(&a, argc, argv);
    if (rc != 0) {
        return rc < 0 ? CLI_EXIT_OK : rc;
    }

    cli_output out = {a.output, CLI_FORMAT_PDB, NULL, a.axis_length};
    rc = cli_output_prepare(&out, "sample", a.format, a.pymol, a.opts.count);
    if (rc == 0) {
        rc = cli_output_check_inputs(&out, "sample", a.model);
    }
    if (rc == 0) {
        rc = check_memory(a.opts.count);
    }
    if (rc != 0) {
        cli_output_free(&out);
        return rc;
    }
#ifdef _OPENMP
    if (a.opts.threads > 0) {
        omp_set_num_threads(a.opts.threads);
    }
#endif

    ff_error err;
    ff_error_clear(&err);
    ff_model *model = ff_model_load(a.model, &err);
    if (model == NULL) {
        cli_report(&err);
        cli_output_free(&out);
        return CLI_EXIT_FAILURE;
    }
    rc = sample_and_write(&a, &out, model);
    ff_model_free(model);
    cli_output_free(&out);
    if (rc == CLI_EXIT_OK) {
        cli_run_end();
    }
    return rc;
}
