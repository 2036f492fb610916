/*
 * frameflow: generate protein backbone frames with an SE(3) score-matching
 * diffusion model. This file dispatches to the subcommands.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "frameflow/structure.h"
#include "frameflow/version.h"

#include "commands.h"
#include "util.h"

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"frames", cmd_frames, "read structures and write their residue frames"},
    {"train", cmd_train, "train the score model on structures or frames"},
    {"sample", cmd_sample, "draw frames from a trained model"},
    {"eval", cmd_eval, "judge samples against reference frames"},
    {"export", cmd_export, "write frames as a PDB or mmCIF pseudo-backbone"},
    {"plot", cmd_plot, "draw the loss curve or frame axes as SVG"},
    {"info", cmd_info, "print what a model or frames file contains"},
    {NULL, NULL, NULL}
};

static void
print_help(void)
{
    printf("frameflow %s: learn and generate protein backbone frames\n\n",
           ff_version());
    printf("Usage: frameflow COMMAND [OPTIONS] [ARGUMENTS]\n\n");
    printf("Commands:\n");
    for (const command *c = commands; c->name != NULL; c++) {
        printf("  %-8s  %s\n", c->name, c->summary);
    }
    printf("\nOptions:\n");
    printf("  -h, --help     show this help and exit\n");
    printf("  -V, --version  show the version, the gemmi version and the "
           "OpenMP threads\n");
    printf("\nRun 'frameflow COMMAND --help' for the options of a command.\n");
}

static void
print_version(void)
{
    printf("frameflow %s\n", ff_version());
    printf("gemmi %s\n", ff_structure_gemmi_version());
#ifdef _OPENMP
    printf("OpenMP: on, %d threads available\n", omp_get_max_threads());
#else
    printf("OpenMP: off\n");
#endif
}

/*
 * Flush standard output and turn a failed write, such as a full disk when
 * it is redirected to a file, into exit status 1 with a message.
 */
static int
finish_stdout(int status)
{
    int failed = ferror(stdout);
    int errnum = 0;

    if (fflush(stdout) != 0) {
        failed = 1;
        errnum = errno;
    }
    if (!failed) {
        return status;
    }
    if (errnum != 0) {
        cli_error("standard output: write failed: %s; free space on the "
                  "disk or redirect the output elsewhere", strerror(errnum));
    } else {
        cli_error("standard output: write failed; free space on the disk "
                  "or redirect the output elsewhere");
    }
    return status == CLI_EXIT_OK ? CLI_EXIT_FAILURE : status;
}

int
main(int argc, char **argv)
{
    if (argc < 2) {
        return cli_usage_error(NULL, "missing command");
    }
    const char *name = argv[1];
    if (strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0
        || strcmp(name, "help") == 0) {
        print_help();
        return finish_stdout(CLI_EXIT_OK);
    }
    if (strcmp(name, "-V") == 0 || strcmp(name, "--version") == 0) {
        print_version();
        return finish_stdout(CLI_EXIT_OK);
    }
    // Past a file size limit (ulimit -f), a write then fails with EFBIG,
    // which the commands report and clean up after, instead of the process
    // being killed with half-written files left behind.
    signal(SIGXFSZ, SIG_IGN);
    for (const command *c = commands; c->name != NULL; c++) {
        if (strcmp(c->name, name) == 0) {
            cli_run_begin(argc, argv);
            return finish_stdout(c->run(argc - 1, argv + 1));
        }
    }
    return cli_usage_error(NULL, "unknown command '%s'", name);
}
