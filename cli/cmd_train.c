/*
 * frameflow train: fit the score model to the frames of one or more
 * structures or frames files, with checkpoints, a loss log and a resume
 * that continues exactly.
 */
#include <getopt.h>
#include <inttypes.h>
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
#include "frameflow/train.h"
#include "commands.h"
#include "inputs.h"
#include "losslog.h"
#include "output.h"
#include "util.h"

#define DEFAULT_STEPS 30000L
#define DEFAULT_CHECKPOINT_EVERY 1000L
/* The training step is a 32-bit counter of the random numbers. */
#define MAX_STEPS 4294967294L
#define MAX_BATCH 1000000L
/* Weight of the newest loss in the smoothed loss of the progress line. */
#define LOSS_SMOOTHING 0.02

typedef struct train_args {
    cli_inputs inputs;
    const char *first_input;
    const char *output;
    const char *resume;
    const char *loss_log;
    int arch;
    int arch_set;
    long steps;
    long batch;
    int batch_set;
    double learning_rate;
    int learning_rate_set;
    double weight_decay;
    int weight_decay_set;
    double translation_scale;
    int translation_scale_set;
    int no_center;
    int score_chart;
    int score_chart_set;
    unsigned long long seed;
    int seed_set;
    long checkpoint_every;
} train_args;

static void
print_help(void)
{
    ff_model_config d;

    ff_model_config_default(&d, FF_MODEL_ARCH_DEEP);
    printf("Usage: frameflow train INPUT... [OPTIONS]\n"
           "\n"
           "Train the score model on the frames of the inputs: structures "
           "(PDB, mmCIF,\n"
           "gzip allowed), folders of them, or frames files written by "
           "'frameflow frames'.\n"
           "Ctrl-C finishes the current step, writes the model and exits "
           "with status 130;\n"
           "--resume continues from it exactly. --threads also sets the "
           "threads of\n"
           "training.\n"
           "\n");
    cli_inputs_print_help(stdout);
    printf("\nTraining:\n");
    printf("  -o, --output FILE        model file (default: the first "
           "input's name with\n"
           "                           .ffm in the current folder; with "
           "--resume, the\n"
           "                           resumed file)\n");
    printf("      --arch NAME          small or deep (default %s)\n",
           ff_model_arch_name(d.arch));
    printf("      --steps N            train until the model has taken N "
           "steps in all\n"
           "                           (default %ld)\n", DEFAULT_STEPS);
    printf("      --batch N            samples per step (default %u)\n",
           d.batch);
    printf("      --lr X               AdamW learning rate (default %g)\n",
           d.learning_rate);
    printf("      --weight-decay X     AdamW decoupled weight decay "
           "(default %g)\n", d.weight_decay);
    printf("      --translation-scale X  model units per Angstrom "
           "(default %g)\n", d.translation_scale);
    printf("      --no-center          keep translations as they are "
           "(default: centre them\n"
           "                           on the centroid of the training "
           "frames)\n");
    printf("      --score-chart NAME   rotation score target: local or "
           "global (default %s)\n", ff_score_chart_name(d.score_chart));
    printf("      --seed N             seed of weights, batches and noise "
           "(default %llu)\n", (unsigned long long)d.seed);
    printf("      --checkpoint-every N write the model every N steps, 0 "
           "for never\n"
           "                           (default %ld)\n",
           DEFAULT_CHECKPOINT_EVERY);
    printf("      --resume MODEL       continue training MODEL; batch, lr "
           "and weight decay\n"
           "                           default to its stored values\n");
    printf("      --loss-log FILE      write step,loss,seconds since this "
           "run started as\n"
           "                           CSV (appended to when resuming)\n");
    printf("  -q, --quiet              print errors only\n"
           "  -v, --verbose            print more detail\n"
           "  -h, --help               show this help and exit\n");
}

enum {
    OPT_ARCH = 256,
    OPT_STEPS,
    OPT_BATCH,
    OPT_LR,
    OPT_WEIGHT_DECAY,
    OPT_TRANSLATION_SCALE,
    OPT_NO_CENTER,
    OPT_SCORE_CHART,
    OPT_SEED,
    OPT_CHECKPOINT_EVERY,
    OPT_RESUME,
    OPT_LOSS_LOG
};

static int
parse_arch(const char *text, int *arch)
{
    for (int a = FF_MODEL_ARCH_SMALL; a <= FF_MODEL_ARCH_DEEP; a++) {
        if (strcmp(text, ff_model_arch_name(a)) == 0) {
            *arch = a;
            return 0;
        }
    }
    cli_usage_error("train", "--arch: invalid value '%s'; expected small "
                    "or deep", text);
    return -1;
}

static int
parse_chart(const char *text, int *chart)
{
    for (int c = FF_SCORE_CHART_LOCAL; c <= FF_SCORE_CHART_GLOBAL; c++) {
        if (strcmp(text, ff_score_chart_name(c)) == 0) {
            *chart = c;
            return 0;
        }
    }
    cli_usage_error("train", "--score-chart: invalid value '%s'; expected "
                    "local or global", text);
    return -1;
}

/* Handle one option that takes a number; return 0 or -1 after a usage
 * error. */
static int
parse_number_option(train_args *a, int c, const char *text)
{
    switch (c) {
    case OPT_STEPS:
        return cli_parse_long("train", "--steps", text, 1, MAX_STEPS,
                              &a->steps);
    case OPT_BATCH:
        a->batch_set = 1;
        return cli_parse_long("train", "--batch", text, 1, MAX_BATCH,
                              &a->batch);
    case OPT_LR:
        a->learning_rate_set = 1;
        return cli_parse_double("train", "--lr", text, 0.0, 1e6,
                                &a->learning_rate);
    case OPT_WEIGHT_DECAY:
        a->weight_decay_set = 1;
        return cli_parse_double("train", "--weight-decay", text, 0.0, 1e6,
                                &a->weight_decay);
    case OPT_TRANSLATION_SCALE:
        a->translation_scale_set = 1;
        return cli_parse_double("train", "--translation-scale", text, 1e-12,
                                1e12, &a->translation_scale);
    case OPT_SEED:
        a->seed_set = 1;
        return cli_parse_seed("train", "--seed", text, &a->seed);
    case OPT_CHECKPOINT_EVERY:
        return cli_parse_long("train", "--checkpoint-every", text, 0,
                              MAX_STEPS, &a->checkpoint_every);
    default:
        return -1;
    }
}

/* Parse the command line; return 0, -1 after --help, or the exit status. */
static int
parse_args(train_args *a, int argc, char **argv)
{
    static const struct option long_options[] = {
        {"output", required_argument, NULL, 'o'},
        {"arch", required_argument, NULL, OPT_ARCH},
        {"steps", required_argument, NULL, OPT_STEPS},
        {"batch", required_argument, NULL, OPT_BATCH},
        {"lr", required_argument, NULL, OPT_LR},
        {"weight-decay", required_argument, NULL, OPT_WEIGHT_DECAY},
        {"translation-scale", required_argument, NULL,
         OPT_TRANSLATION_SCALE},
        {"no-center", no_argument, NULL, OPT_NO_CENTER},
        {"score-chart", required_argument, NULL, OPT_SCORE_CHART},
        {"seed", required_argument, NULL, OPT_SEED},
        {"checkpoint-every", required_argument, NULL, OPT_CHECKPOINT_EVERY},
        {"resume", required_argument, NULL, OPT_RESUME},
        {"loss-log", required_argument, NULL, OPT_LOSS_LOG},
        {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        CLI_INPUTS_LONG_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    int c;

    a->arch = FF_MODEL_ARCH_DEEP;
    a->steps = DEFAULT_STEPS;
    a->checkpoint_every = DEFAULT_CHECKPOINT_EVERY;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:qvh", long_options, NULL)) != -1) {
        int shared = cli_getopt_shared("train", c, argv);
        if (shared < 0) {
            return CLI_EXIT_USAGE;
        }
        if (shared > 0) {
            continue;
        }
        switch (c) {
        case 'o':
            a->output = optarg;
            break;
        case OPT_ARCH:
            a->arch_set = 1;
            if (parse_arch(optarg, &a->arch) != 0) {
                return CLI_EXIT_USAGE;
            }
            break;
        case OPT_SCORE_CHART:
            a->score_chart_set = 1;
            if (parse_chart(optarg, &a->score_chart) != 0) {
                return CLI_EXIT_USAGE;
            }
            break;
        case OPT_NO_CENTER:
            a->no_center = 1;
            break;
        case OPT_RESUME:
            a->resume = optarg;
            break;
        case OPT_LOSS_LOG:
            a->loss_log = optarg;
            break;
        case 'h':
            print_help();
            return -1;
        case '?':
            return cli_usage_error("train", "unknown option '%s'",
                                   argv[optind - 1]);
        default: {
            int used = cli_inputs_getopt(&a->inputs, "train", c, optarg);
            if (used < 0) {
                return CLI_EXIT_USAGE;
            }
            if (used == 0 && parse_number_option(a, c, optarg) != 0) {
                return CLI_EXIT_USAGE;
            }
            break;
        }
        }
    }
    for (int i = optind; i < argc; i++) {
        if (cli_inputs_add_path(&a->inputs, argv[i]) != 0) {
            return CLI_EXIT_FAILURE;
        }
    }
    if (a->inputs.entry_count == 0) {
        return cli_usage_error("train", "missing INPUT: give structures, "
                               "folders or frames files");
    }
    a->first_input = a->inputs.entries[0].path;
    return 0;
}

/* Check that no option contradicts the resumed model; return 0 or the
 * usage exit status. */
static int
check_resume_options(const train_args *a, const ff_model_config *c)
{
    const char *fixed = NULL;

    if (a->arch_set && a->arch != c->arch) {
        fixed = "--arch";
    } else if (a->score_chart_set && a->score_chart != c->score_chart) {
        fixed = "--score-chart";
    } else if (a->seed_set && a->seed != c->seed) {
        fixed = "--seed";
    } else if (a->translation_scale_set
               && a->translation_scale != c->translation_scale) {
        fixed = "--translation-scale";
    } else if (a->no_center && (c->center[0] != 0.0 || c->center[1] != 0.0
                                || c->center[2] != 0.0)) {
        fixed = "--no-center";
    }
    if (fixed != NULL) {
        return cli_usage_error("train", "%s cannot change when resuming %s: "
                               "the model fixes it; leave the option out",
                               fixed, a->resume);
    }
    return 0;
}

/*
 * Check before any reading that the model and the loss log can be
 * written, and that no output would overwrite an input or the other
 * output. Return 0, or print one line and return the exit status.
 */
static int
check_paths(const train_args *a, const char *output)
{
    if (a->resume != NULL && cli_is_directory(a->resume)) {
        cli_error("%s: cannot resume: it is a folder; give a model file "
                  "written by 'frameflow train'", a->resume);
        return CLI_EXIT_FAILURE;
    }
    if (cli_output_gzip_name(output)) {
        return cli_usage_error("train", "%s: model files are not "
                               "compressed; give a name without .gz",
                               output);
    }
    if (cli_output_check_path(output) != 0
        || (a->loss_log != NULL && cli_output_check_path(a->loss_log) != 0)) {
        return CLI_EXIT_FAILURE;
    }
    if (a->loss_log != NULL && cli_same_file(output, a->loss_log)) {
        return cli_usage_error("train", "%s is both the model and the loss "
                               "log; give --loss-log another name",
                               a->loss_log);
    }
    if (a->loss_log != NULL && a->resume != NULL
        && cli_same_file(a->resume, a->loss_log)) {
        return cli_usage_error("train", "%s is both the resumed model and "
                               "the loss log; give --loss-log another name",
                               a->loss_log);
    }
    for (size_t i = 0; i < a->inputs.entry_count; i++) {
        const char *input = a->inputs.entries[i].path;
        int rc = cli_output_check_input("train", output, "model (-o)",
                                        input);
        if (rc == 0) {
            rc = cli_output_check_input("train", a->loss_log, "loss log",
                                        input);
        }
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

/* Load the model to resume, or create a new one for the frames. */
static ff_model *
prepare_model(const train_args *a, const ff_frameset *set, int *usage,
              ff_error *err)
{
    *usage = 0;
    if (a->resume != NULL) {
        ff_model *m = ff_model_load(a->resume, err);
        if (m != NULL) {
            *usage = check_resume_options(a, ff_model_get_config(m));
            if (*usage != 0) {
                ff_model_free(m);
                return NULL;
            }
        }
        return m;
    }

    ff_model_config cfg;
    ff_model_config_default(&cfg, a->arch);
    if (a->translation_scale_set) {
        cfg.translation_scale = a->translation_scale;
    }
    if (a->score_chart_set) {
        cfg.score_chart = a->score_chart;
    }
    cfg.seed = a->seed;
    if (ff_train_config_set_frames(&cfg, set->poses, set->count,
                                   !a->no_center, err) != 0) {
        return NULL;
    }
    return ff_model_new(&cfg, err);
}

/* State shared with the per-step callback. */
typedef struct run_state {
    ff_model *model;
    const char *output;
    long target;                 /* --steps */
    long checkpoint_every;
    cli_loss_log loss_log;
    int logging;                 /* whether loss_log is open */
    const char *checkpoint_path; /* the newest model file, or NULL */
    uint64_t checkpoint_step;    /* its step */
    double start;
    double smoothed;
    uint64_t first_step;
    uint64_t steps_done;
    cli_progress progress;
    ff_error err;
} run_state;

/* Write the --steps option that a resumed run needs to reach target, or
 * nothing for the default. */
static void
format_steps_option(char buf[32], long target)
{
    if (target == DEFAULT_STEPS) {
        buf[0] = '\0';
    } else {
        snprintf(buf, 32, " --steps %ld", target);
    }
}

/*
 * Fill s->err for a loss log write that failed with errnum at step, saying
 * where training can continue from, and return the status that stops it.
 * The model is not written: the log then ends where the newest model file
 * does, once a resumed run has dropped the rows after it.
 */
static int
report_log_failure(run_state *s, int errnum, uint64_t step)
{
    const char *path = s->loss_log.path;
    const char *remedy = cli_loss_log_remedy(errnum);

    if (s->checkpoint_path != NULL) {
        char steps[32];
        format_steps_option(steps, s->target);
        snprintf(s->err.message, sizeof s->err.message,
                 "%s: writing the loss log failed: %s; training stopped at "
                 "step %" PRIu64 " and %s is at step %" PRIu64 "; %s, then "
                 "continue with --resume %s%s", path, strerror(errnum), step,
                 s->checkpoint_path, s->checkpoint_step, remedy,
                 s->checkpoint_path, steps);
    } else {
        snprintf(s->err.message, sizeof s->err.message,
                 "%s: writing the loss log failed: %s; training stopped at "
                 "step %" PRIu64 " before any checkpoint; %s and run again",
                 path, strerror(errnum), step, remedy);
    }
    s->err.code = FF_STATUS_ERR_IO;
    return FF_STATUS_ERR_IO;
}

static int
on_step(const ff_train_progress *p, void *user)
{
    run_state *s = user;
    double now = cli_now();

    s->steps_done++;
    s->smoothed = s->steps_done == 1
                  ? p->loss
                  : (1.0 - LOSS_SMOOTHING) * s->smoothed
                    + LOSS_SMOOTHING * p->loss;
    if (s->logging) {
        int errnum = cli_loss_log_append(&s->loss_log, p->step, p->loss,
                                         now - s->start);
        if (errnum != 0) {
            s->logging = 0;
            return report_log_failure(s, errnum, p->step);
        }
    }

    char extra[96];
    snprintf(extra, sizeof extra, "loss %.4g", s->smoothed);
    cli_progress_update(&s->progress, (long)(p->step - s->first_step), extra);

    if (s->checkpoint_every > 0 && p->step % (uint64_t)s->checkpoint_every == 0
        && p->step < p->target) {
        int status = ff_model_save(s->model, s->output, &s->err);
        if (status != 0) {
            return status;
        }
        s->checkpoint_path = s->output;
        s->checkpoint_step = p->step;
        cli_log(CLI_LEVEL_DEBUG, "checkpoint at step %" PRIu64 " written to "
                "%s", p->step, s->output);
    }
    return 0;
}

/* Run the steps and save the model; return the exit status. */
static int
train_and_save(const train_args *a, ff_model *m, ff_trainer *tr,
               const char *output)
{
    const ff_model_config *c = ff_model_get_config(m);
    run_state s;

    memset(&s, 0, sizeof s);
    s.loss_log.fd = -1;
    s.model = m;
    s.output = output;
    s.target = a->steps;
    s.checkpoint_every = a->checkpoint_every;
    s.first_step = c->step;
    if (a->resume != NULL) {
        s.checkpoint_path = a->resume;
        s.checkpoint_step = c->step;
    }
    if (a->loss_log != NULL) {
        if (cli_loss_log_open(&s.loss_log, a->loss_log, a->resume != NULL,
                              c->step) != 0) {
            return CLI_EXIT_FAILURE;
        }
        s.logging = 1;
    }

    s.start = cli_now();
    cli_progress_start(&s.progress, "train", (long)((uint64_t)a->steps
                                                    - s.first_step));
    int status = ff_trainer_run(tr, (uint64_t)a->steps, on_step, &s,
                                &cli_stop_requested, &s.err);
    cli_progress_finish(&s.progress);
    double seconds = cli_now() - s.start;
    cli_loss_log_close(&s.loss_log);

    if (status != 0 && status != FF_STATUS_ERR_INTERRUPTED) {
        if (status == FF_STATUS_ERR_NUMERIC && s.checkpoint_path != NULL) {
            cli_error("%s; %s holds step %" PRIu64, s.err.message,
                      s.checkpoint_path, s.checkpoint_step);
        } else {
            cli_report(&s.err);
        }
        return CLI_EXIT_FAILURE;
    }
    if (status == FF_STATUS_ERR_INTERRUPTED) {
        // Saving may take a while on slow storage. Tell the user, because
        // a second interrupt would abandon the model.
        cli_log(CLI_LEVEL_INFO, "stopping at step %" PRIu64 "; writing %s "
                "(interrupting again abandons it)", c->step, output);
    }
    ff_error err;
    if (ff_model_save(m, output, &err) != 0) {
        cli_report(&err);
        return CLI_EXIT_FAILURE;
    }
    if (status == FF_STATUS_ERR_INTERRUPTED) {
        char steps[32];
        format_steps_option(steps, a->steps);
        cli_error("stopped at step %" PRIu64 " of %ld; model written to %s; "
                  "continue with --resume %s%s", c->step, a->steps, output,
                  output, steps);
        return CLI_EXIT_INTERRUPTED;
    }
    cli_log(CLI_LEVEL_INFO, "trained %" PRIu64 " steps in %.1f s (%.1f "
            "steps/s), last smoothed loss %.4g; model written to %s",
            s.steps_done, seconds,
            seconds > 0.0 ? (double)s.steps_done / seconds : 0.0, s.smoothed,
            output);
    return CLI_EXIT_OK;
}

static void
log_start(const train_args *a, const ff_model *m, size_t frames,
          const char *output)
{
    const ff_model_config *c = ff_model_get_config(m);
    int threads = 1;

#ifdef _OPENMP
    threads = omp_get_max_threads();
#endif
    cli_log(CLI_LEVEL_INFO, "%s %s model (%" PRIu64 " parameters) on %zu "
            "frames: steps %" PRIu64 " to %ld, batch %u, lr %g, weight "
            "decay %g, %d thread%s; writing %s",
            a->resume != NULL ? "resuming the" : "training a",
            ff_model_arch_name(c->arch), c->param_count, frames, c->step,
            a->steps, c->batch, c->learning_rate, c->weight_decay, threads,
            threads == 1 ? "" : "s", output);
}

int
cmd_train(int argc, char **argv)
{
    train_args a;
    ff_error err;
    ff_frameset *set = NULL;
    ff_model *m = NULL;
    ff_trainer *tr = NULL;
    char *default_output = NULL;
    int usage = 0;
    int status = CLI_EXIT_FAILURE;
    int skipped_inputs = 0;

    memset(&a, 0, sizeof a);
    cli_inputs_init(&a.inputs);
    int parsed = parse_args(&a, argc, argv);
    if (parsed != 0) {
        cli_inputs_free(&a.inputs);
        return parsed < 0 ? CLI_EXIT_OK : parsed;
    }

    const char *output = a.output;
    if (output == NULL) {
        output = a.resume;
    }
    if (output == NULL) {
        default_output = cli_basename_with_extension(a.first_input, ".ffm");
        if (default_output == NULL) {
            cli_error("out of memory");
            goto done;
        }
        output = default_output;
    }
    // Fail now rather than after the inputs are read or a long run.
    status = check_paths(&a, output);
    if (status != 0) {
        goto done;
    }
    status = CLI_EXIT_FAILURE;
    // From here on, Ctrl-C stops reading, or training after a step.
    cli_install_stop_handler();

    // With --keep-going, inputs that could not be read were skipped and
    // named: train on the rest, and end with status 1.
    status = cli_inputs_load(&a.inputs, "train", &set);
    if (set == NULL) {
        goto done;
    }
    skipped_inputs = status != 0;
    status = CLI_EXIT_FAILURE;
#ifdef _OPENMP
    // The reading threads are the training threads too.
    if (a.inputs.threads > 0) {
        omp_set_num_threads(a.inputs.threads);
    }
#endif

    m = prepare_model(&a, set, &usage, &err);
    if (m == NULL) {
        if (usage != 0) {
            status = usage;
        } else {
            cli_report(&err);
        }
        goto done;
    }

    ff_train_options opt;
    ff_train_options_from_model(&opt, m);
    if (a.batch_set) {
        opt.batch = (uint32_t)a.batch;
    }
    if (a.learning_rate_set) {
        opt.learning_rate = a.learning_rate;
    }
    if (a.weight_decay_set) {
        opt.weight_decay = a.weight_decay;
    }
    tr = ff_trainer_new(m, set->poses, set->count, &opt, &err);
    if (tr == NULL && a.resume != NULL) {
        // The library does not know the file: name the resumed model.
        cli_error("%s: %s", a.resume, err.message);
        goto done;
    }
    if (tr == NULL) {
        cli_report(&err);
        goto done;
    }

    if (ff_model_get_config(m)->step >= (uint64_t)a.steps) {
        cli_log(CLI_LEVEL_INFO, "%s has already taken %" PRIu64 " steps, "
                "at least --steps %ld; nothing to train", a.resume,
                ff_model_get_config(m)->step, a.steps);
        status = CLI_EXIT_OK;
        // An output other than the resumed model still receives a copy,
        // so that a pipeline finds the file it expects.
        if (!cli_same_file(output, a.resume)) {
            if (ff_model_save(m, output, &err) != 0) {
                cli_report(&err);
                status = CLI_EXIT_FAILURE;
            } else {
                cli_log(CLI_LEVEL_INFO, "model written to %s", output);
            }
        }
        goto done;
    }
    log_start(&a, m, set->count, output);
    status = train_and_save(&a, m, tr, output);
    if (status == CLI_EXIT_OK) {
        cli_run_end();
        if (skipped_inputs) {
            status = CLI_EXIT_FAILURE;
        }
    }

done:
    ff_trainer_free(tr);
    ff_model_free(m);
    ff_frameset_free(set);
    free(default_output);
    cli_inputs_free(&a.inputs);
    return status;
}
