/*
 * frameflow plot: SVG pictures of a training loss log and of frames' z axes.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frameflow/frames.h"
#include "commands.h"
#include "output.h"
#include "readframes.h"
#include "plot.h"
#include "util.h"

static void
print_help(void)
{
    printf("Usage: frameflow plot loss LOSS.csv -o FILE.svg [OPTIONS]\n"
           "       frameflow plot rotations FRAMES... -o FILE.svg [OPTIONS]\n"
           "\n"
           "Draw a self-contained SVG picture.\n"
           "\n"
           "  loss       the training loss against the step, on a log "
           "scale, raw and\n"
           "             smoothed, from a loss log with the header "
           "step,loss,seconds\n"
           "  rotations  where each frame sends its z axis (the third "
           "column of R),\n"
           "             on two views of the unit sphere, one colour per "
           "file; each\n"
           "             FRAMES is a frames file, a frameflow PDB or mmCIF "
           "file, or a\n"
           "             structure (every chain, no interpolated frames)\n"
           "\n"
           "Options:\n"
           "  -o, --output FILE  the SVG file to write (required)\n"
           "      --title TEXT   the picture's title (default: what it "
           "shows)\n"
           "  -q, --quiet        print errors only\n"
           "  -v, --verbose      print more detail\n"
           "  -h, --help         show this help and exit\n");
}

static int
plot_loss(const char *output, const char *input, const char *title)
{
    ff_plot_loss loss;
    ff_error err;

    ff_error_clear(&err);
    if (ff_plot_loss_read(&loss, input, &err) < 0) {
        cli_report(&err);
        return CLI_EXIT_FAILURE;
    }
    int rc = ff_plot_write_loss(output, &loss, title, &err);
    size_t rows = loss.count;
    ff_plot_loss_free(&loss);
    if (rc == FF_STATUS_ERR_EMPTY) {
        // The output is not at fault, so name the log, which contains
        // nothing to draw.
        cli_error("%s: no finite loss above 0 in its %zu row%s, so there is "
                  "no curve to draw", input, rows, cli_plural(rows));
        return CLI_EXIT_FAILURE;
    }
    if (rc < 0) {
        cli_report(&err);
        return CLI_EXIT_FAILURE;
    }
    cli_log(CLI_LEVEL_INFO, "wrote the loss curve of %zu row%s to %s", rows,
            cli_plural(rows), output);
    return CLI_EXIT_OK;
}

/* Return the file name part of path. */
static const char *
base_name(const char *path)
{
    const char *slash = strrchr(path, '/');

    return slash != NULL ? slash + 1 : path;
}

static int
plot_rotations(const char *output, char **inputs, int count,
               const char *title)
{
    ff_frameset **sets = calloc((size_t)count, sizeof *sets);
    ff_plot_series *series = calloc((size_t)count, sizeof *series);
    int status = CLI_EXIT_FAILURE;
    ff_error err;

    ff_error_clear(&err);
    if (sets == NULL || series == NULL) {
        cli_error("out of memory");
        goto done;
    }
    for (int i = 0; i < count; i++) {
        sets[i] = cli_read_frames(inputs[i], &err);
        if (sets[i] == NULL) {
            cli_report(&err);
            goto done;
        }
        series[i].label = base_name(inputs[i]);
        series[i].poses = sets[i]->poses;
        series[i].count = sets[i]->count;
    }
    if (ff_plot_write_rotations(output, series, (size_t)count, title, &err)
        < 0) {
        cli_report(&err);
        goto done;
    }
    cli_log(CLI_LEVEL_INFO, "wrote the z axes of %d file%s to %s", count,
            count == 1 ? "" : "s", output);
    status = CLI_EXIT_OK;

done:
    for (int i = 0; sets != NULL && i < count; i++) {
        ff_frameset_free(sets[i]);
    }
    free(sets);
    free(series);
    return status;
}

int
cmd_plot(int argc, char **argv)
{
    static const struct option long_options[] = {
        {"output", required_argument, NULL, 'o'},
        {"title", required_argument, NULL, 'T'},
        {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *output = NULL;
    const char *title = NULL;
    int c;

    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:qvh", long_options, NULL))
           != -1) {
        int shared = cli_getopt_shared("plot", c, argv);
        if (shared < 0) {
            return CLI_EXIT_USAGE;
        }
        if (shared > 0) {
            continue;
        }
        switch (c) {
        case 'o':
            output = optarg;
            break;
        case 'T':
            title = optarg;
            break;
        case 'h':
            print_help();
            return CLI_EXIT_OK;
        default:
            return cli_usage_error("plot", "unknown option '%s'",
                                   argv[optind - 1]);
        }
    }

    if (optind >= argc) {
        return cli_usage_error("plot", "missing what to plot: loss or "
                               "rotations");
    }
    const char *what = argv[optind++];
    int inputs = argc - optind;
    if (strcmp(what, "loss") != 0 && strcmp(what, "rotations") != 0) {
        return cli_usage_error("plot", "unknown picture '%s'; expected loss "
                               "or rotations", what);
    }
    if (output == NULL) {
        return cli_usage_error("plot", "missing -o FILE.svg");
    }
    for (int i = optind; i < argc; i++) {
        int rc = cli_output_check_input("plot", output, "output (-o)",
                                        argv[i]);
        if (rc != 0) {
            return rc;
        }
    }
    if (strcmp(what, "loss") == 0) {
        if (inputs != 1) {
            return cli_usage_error("plot", "plot loss takes one loss log, "
                                   "not %d files", inputs);
        }
        return plot_loss(output, argv[optind], title);
    }
    if (inputs < 1) {
        return cli_usage_error("plot", "plot rotations needs at least one "
                               "frames file");
    }
    return plot_rotations(output, argv + optind, inputs, title);
}
