/*
 * Inputs of the commands that read structures or frames files ("frameflow
 * frames", "frameflow train"): the paths given, the options that select
 * residues and turn them into frames, and the parallel reading of all
 * inputs into frame sets, delivered in input order.
 *
 * An input is one of:
 * - a structure file: PDB or mmCIF, plain or gzip;
 * - a frames file, recognised by its first line;
 * - a folder: every structure file directly inside it, sorted by name.
 *   Structure files there are names ending in .pdb, .ent, .cif or .mmcif,
 *   each optionally followed by .gz, and hidden files are skipped;
 * - with --list, a text file naming one input per line. Blank lines and
 *   lines starting with '#' are skipped, and relative paths are opened
 *   from the current folder.
 * The selection options apply to structures only.
 *
 * A command uses it like this:
 *
 *     cli_inputs in;
 *     cli_inputs_init(&in);
 *     for (int i = 1; i < argc; i++) {
 *         int used = cli_inputs_parse_option(&in, "train", argc, argv, &i);
 *         if (used < 0) {              // a usage error was printed
 *             cli_inputs_free(&in);
 *             return CLI_EXIT_USAGE;
 *         }
 *         if (used > 0) {
 *             continue;
 *         }
 *         ... the command's own options; other arguments are inputs:
 *         cli_inputs_add_path(&in, argv[i]);
 *     }
 *     ff_frameset *set = NULL;
 *     int status = cli_inputs_load(&in, "train", &set);
 *     ...
 *     ff_frameset_free(set);
 *     cli_inputs_free(&in);
 *
 * and calls cli_inputs_print_help(stdout) in its --help. A command that
 * parses with getopt_long adds CLI_INPUTS_LONG_OPTIONS to its table and
 * passes each option to cli_inputs_getopt instead. Every function that can
 * fail prints its own message and returns a CLI exit status.
 */
#ifndef FRAMEFLOW_CLI_INPUTS_H
#define FRAMEFLOW_CLI_INPUTS_H

#include <getopt.h>
#include <stddef.h>
#include <stdio.h>

#include "frameflow/frames.h"

/* Codes of the input options, as cli_inputs_getopt takes them after
 * CLI_INPUTS_OPTION_BASE is added. */
enum cli_inputs_option {
    CLI_INPUTS_OPTION_MODEL = 0,
    CLI_INPUTS_OPTION_CHAIN = 1,
    CLI_INPUTS_OPTION_RANGE = 2,
    CLI_INPUTS_OPTION_ALTLOC = 3,
    CLI_INPUTS_OPTION_INTERPOLATE = 4,
    CLI_INPUTS_OPTION_THREADS = 5,
    CLI_INPUTS_OPTION_LIST = 6,
    CLI_INPUTS_OPTION_KEEP_GOING = 7
};

/* getopt_long values of the input options, above any character. */
#define CLI_INPUTS_OPTION_BASE 0x1000

/* Entries for a getopt_long option table. */
#define CLI_INPUTS_LONG_OPTIONS \
    {"model", required_argument, NULL, CLI_INPUTS_OPTION_BASE + 0}, \
    {"chain", required_argument, NULL, CLI_INPUTS_OPTION_BASE + 1}, \
    {"range", required_argument, NULL, CLI_INPUTS_OPTION_BASE + 2}, \
    {"altloc", required_argument, NULL, CLI_INPUTS_OPTION_BASE + 3}, \
    {"interpolate", required_argument, NULL, CLI_INPUTS_OPTION_BASE + 4}, \
    {"threads", required_argument, NULL, CLI_INPUTS_OPTION_BASE + 5}, \
    {"list", required_argument, NULL, CLI_INPUTS_OPTION_BASE + 6}, \
    {"keep-going", no_argument, NULL, CLI_INPUTS_OPTION_BASE + 7}

typedef struct cli_input_entry {
    char *path;
    int is_list;       /* 1 for the file of a --list option */
} cli_input_entry;

typedef struct cli_inputs {
    cli_input_entry *entries;  /* in the order given */
    size_t entry_count;
    ff_frames_options frames;  /* --model, --chain, --range, --altloc,
                                  --interpolate; points into the fields
                                  below */
    char **chains;             /* owned names behind frames.chains */
    ff_frames_range *ranges;   /* owned ranges behind frames.ranges */
    int selection_given;       /* whether a selection option was given */
    int threads;               /* --threads; 0 for OpenMP's default */
    int keep_going;            /* --keep-going: skip unreadable inputs */
} cli_inputs;

/* Kinds of input that the totals count apart. */
enum cli_source_kind {
    CLI_SOURCE_PDB = 0,
    CLI_SOURCE_PDB_GZIP,
    CLI_SOURCE_MMCIF,
    CLI_SOURCE_MMCIF_GZIP,
    CLI_SOURCE_FRAMES,
    CLI_SOURCE_FRAMES_GZIP,
    CLI_SOURCE_KIND_COUNT
};

/* Counts from the inputs of one kind. */
typedef struct cli_source_totals {
    size_t files;    /* inputs read */
    size_t chains;   /* chains that gave at least one frame */
    size_t frames;   /* frames, interpolated included */
} cli_source_totals;

/* Totals of one cli_inputs_read. */
typedef struct cli_inputs_totals {
    size_t files;          /* inputs after folders and lists are expanded */
    size_t read;           /* inputs read */
    size_t skipped;        /* inputs skipped under --keep-going */
    size_t residues;       /* amino-acid residues of the structures */
    size_t frames;         /* frames delivered, interpolated included */
    size_t interpolated;   /* interpolated frames among them */
    cli_source_totals by_kind[CLI_SOURCE_KIND_COUNT];  /* per source kind */
} cli_inputs_totals;

/*
 * Receive the frames of input index (0-based, after expansion) read from
 * path, in input order, one call at a time. summary is NULL for a frames
 * file; prepared is what the handler's prepare returned, or NULL without
 * one. The callee may keep nothing it does not copy; it returns 0, or a
 * CLI exit status after printing why, which stops the reading.
 */
typedef int (*cli_inputs_sink)(void *user, size_t index, const char *path,
                               const ff_frameset *set,
                               const ff_frames_summary *summary,
                               void *prepared);

/*
 * Work on one input's frames in the thread that read them, before its turn
 * to be delivered: several inputs are prepared at once, in any order.
 * Return an object for the sink, or NULL with err filled, which fails the
 * input like an unreadable one.
 */
typedef void *(*cli_inputs_prepare)(void *user, const ff_frameset *set,
                                    ff_error *err);

/* What cli_inputs_read does with each input. prepare and release are
 * optional; release frees what prepare returned, after the sink. */
typedef struct cli_inputs_handler {
    cli_inputs_sink sink;
    cli_inputs_prepare prepare;
    void (*release)(void *prepared);
    void *user;
} cli_inputs_handler;

/* Set every option to its default, with no inputs. */
void cli_inputs_init(cli_inputs *in);

/* Free what in owns. */
void cli_inputs_free(cli_inputs *in);

/*
 * Take argv[*i] if it is an input option, with its value (the next
 * argument, or after '=' as in --model=2), advancing *i past what it used.
 * Return 1 when it was one, 0 when it is not an input option, or -1 after
 * printing a usage error that names command.
 */
int cli_inputs_parse_option(cli_inputs *in, const char *command, int argc,
                            char **argv, int *i);

/*
 * Apply a getopt_long result: opt as getopt_long returned it and arg its
 * optarg. Return 1 when opt is an input option, 0 when it is not, or -1
 * after printing a usage error that names command.
 */
int cli_inputs_getopt(cli_inputs *in, const char *command, int opt,
                      const char *arg);

/* Add an input path (a file or folder). Return 0 or CLI_EXIT_FAILURE. */
int cli_inputs_add_path(cli_inputs *in, const char *path);

/* Print the input options with their defaults, for a command's --help. */
void cli_inputs_print_help(FILE *out);

/*
 * Read every input, in parallel (--threads, dynamic schedule), prepare
 * each one's frames in the reading thread when the handler has prepare, and
 * hand them to the sink in input order. Print a warning for chains
 * without frames and for rejected residues, and progress on stderr.
 * An input that cannot be read stops the run with its message unless
 * --keep-going, which prints it as a warning, skips it and counts it in
 * totals->skipped. Return 0, or a CLI exit status after printing why: an
 * unreadable input, no inputs, no frames at all, a sink failure, or an
 * interruption.
 */
int cli_inputs_read(const cli_inputs *in, const char *command,
                    const cli_inputs_handler *handler,
                    cli_inputs_totals *totals);

/* Log one line per kind of source read: files, chains and frames. */
void cli_inputs_log_sources(const cli_inputs_totals *totals);

/*
 * Read every input into one new frame set, as cli_inputs_read does, and
 * store it in *out (free it with ff_frameset_free). Return 0, or a CLI exit
 * status with *out NULL. With --keep-going and skipped inputs it returns
 * CLI_EXIT_FAILURE after printing how many were skipped, with *out set:
 * the caller chooses whether to go on.
 */
int cli_inputs_load(const cli_inputs *in, const char *command,
                    ff_frameset **out);

#endif
