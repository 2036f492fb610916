/*
 * frameflow info: print what a model file or a frames file contains.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "frameflow/frames.h"
#include "frameflow/model.h"
#include "commands.h"
#include "readframes.h"
#include "util.h"

static void
print_help(void)
{
    printf("Usage: frameflow info FILE...\n"
           "\n"
           "Print what each file contains: for a model file (written by "
           "'frameflow train')\n"
           "its architecture, noise schedule, units, training state and "
           "optimiser\n"
           "settings; for a frames file its frame count, sources and "
           "chains.\n"
           "\n"
           "Options:\n"
           "  -h, --help  show this help and exit\n");
}

static void
print_model(const char *path, const ff_model_config *c)
{
    printf("%s: frameflow model\n", path);
    printf("  architecture       %s, %" PRIu64 " parameters\n",
           ff_model_arch_name(c->arch), c->param_count);
    printf("  embeddings         pose 12 -> %d, time %d Fourier "
           "frequencies -> %d\n", c->embed_width, c->fourier_count,
           c->embed_width);
    printf("  layers            ");
    for (int l = 0; l < c->layer_count; l++) {
        printf(" %d-%d", c->layer_in[l], c->layer_out[l]);
    }
    printf("\n");
    printf("  schedule           sigma(t) = sqrt((%g^(2t) - 1) / (2 ln "
           "%g)), t in [%g, 1]\n", c->schedule_base, c->schedule_base,
           c->eps);
    printf("  units              translation scale %g per Angstrom, "
           "centre (%.4f, %.4f, %.4f) Angstrom\n", c->translation_scale,
           c->center[0], c->center[1], c->center[2]);
    printf("  score chart        %s\n", ff_score_chart_name(c->score_chart));
    printf("  seed               %" PRIu64 "\n", c->seed);
    printf("  steps taken        %" PRIu64 "\n", c->step);
    printf("  training frames    %" PRIu64 " (digest %016" PRIx64 ")\n",
           c->frame_count, c->frame_digest);
    printf("  optimiser          AdamW, batch %u, lr %g, weight decay %g, "
           "betas %g %g, eps %g\n", c->batch, c->learning_rate,
           c->weight_decay, c->beta1, c->beta2, c->adam_eps);
}

static void
print_frames(const char *path, const ff_frameset *set)
{
    size_t interpolated = 0;

    for (size_t i = 0; i < set->count; i++) {
        interpolated += set->labels[i].kind == FF_FRAME_KIND_INTERPOLATED;
    }
    printf("%s: frames file\n", path);
    printf("  frames             %zu (%zu residues, %zu interpolated)\n",
           set->count, set->count - interpolated, interpolated);
    printf("  sources            %zu:", set->source_count);
    for (size_t i = 0; i < set->source_count; i++) {
        printf(" %s", set->sources[i]);
    }
    printf("\n  chains             %zu, named", cli_frameset_chain_count(set));
    for (size_t i = 0; i < set->chain_count; i++) {
        printf(" %s", set->chains[i][0] != '\0' ? set->chains[i] : "''");
    }
    printf("\n");
}

/* Print one file; return 0 or -1 after reporting an error. */
static int
print_file(const char *path)
{
    ff_error err;
    int kind = ff_model_probe(path, &err);

    if (kind < 0) {
        cli_report(&err);
        return -1;
    }
    if (kind == 1) {
        ff_model *m = ff_model_load(path, &err);
        if (m == NULL) {
            cli_report(&err);
            return -1;
        }
        print_model(path, ff_model_get_config(m));
        ff_model_free(m);
        return 0;
    }

    kind = ff_frameset_probe(path, &err);
    if (kind < 0) {
        cli_report(&err);
        return -1;
    }
    if (kind == 0) {
        cli_error("%s: neither a model file nor a frames file; give a file "
                  "written by 'frameflow train' or 'frameflow frames'",
                  path);
        return -1;
    }
    ff_frameset *set = ff_frameset_read(path, &err);
    if (set == NULL) {
        cli_report(&err);
        return -1;
    }
    print_frames(path, set);
    ff_frameset_free(set);
    return 0;
}

int
cmd_info(int argc, char **argv)
{
    static const struct option long_options[] = {
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
        if (c == 'h') {
            print_help();
            return CLI_EXIT_OK;
        }
        return cli_usage_error("info", "unknown option '%s'",
                               argv[optind - 1]);
    }
    if (optind >= argc) {
        return cli_usage_error("info", "missing FILE");
    }

    int failed = 0;
    for (int i = optind; i < argc; i++) {
        failed |= print_file(argv[i]) != 0;
    }
    return failed ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}
