/*
 * Shared pieces of the frameflow program: messages, number parsing,
 * progress display and the end-of-run report. Only the program prints;
 * the library reports through return codes and ff_error records.
 */
#ifndef FRAMEFLOW_CLI_UTIL_H
#define FRAMEFLOW_CLI_UTIL_H

#include <signal.h>
#include <stdio.h>

#include "frameflow/error.h"

#if defined(__GNUC__) || defined(__clang__)
#define CLI_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define CLI_PRINTF(fmt, args)
#endif

/* Exit statuses: 1 for failures, 2 for usage errors, 130 when stopped by a
 * signal after saving. */
enum cli_exit {
    CLI_EXIT_OK = 0,
    CLI_EXIT_FAILURE = 1,
    CLI_EXIT_USAGE = 2,
    CLI_EXIT_INTERRUPTED = 130
};

/* Message levels; the default is CLI_LEVEL_INFO, -q lowers it to errors. */
enum cli_level {
    CLI_LEVEL_ERROR = 0,
    CLI_LEVEL_WARNING = 1,
    CLI_LEVEL_INFO = 2,
    CLI_LEVEL_DEBUG = 3
};

extern int cli_verbosity;

/* Print "frameflow: MESSAGE" to stderr, whatever the level. */
void cli_error(const char *fmt, ...) CLI_PRINTF(1, 2);

/* Print a library error record as one line. */
void cli_report(const ff_error *err);

/* Print a usage error and the hint to run "frameflow COMMAND --help";
 * return CLI_EXIT_USAGE. */
int cli_usage_error(const char *command, const char *fmt, ...)
    CLI_PRINTF(2, 3);

/*
 * Apply an option that every getopt_long command shares: -q, -v, and
 * getopt's ':' for an option given without its value. opt is what
 * getopt_long returned, with optind past the option. Return 1 when opt was
 * one of these, 0 when it is not, or -1 after printing a usage error that
 * names command.
 */
int cli_getopt_shared(const char *command, int opt, char **argv);

/* Print "frameflow: MESSAGE" to stderr when level <= cli_verbosity. */
void cli_log(int level, const char *fmt, ...) CLI_PRINTF(2, 3);

/*
 * Parse an integer option value in [min, max]. Return 0, or print a usage
 * error naming the option and the value and return -1.
 */
int cli_parse_long(const char *command, const char *option, const char *text,
                   long min, long max, long *out);

/* Parse a finite real option value in [min, max], as cli_parse_long. */
int cli_parse_double(const char *command, const char *option,
                     const char *text, double min, double max, double *out);

/* Parse a seed: any integer from 0 to 2^64 - 1. */
int cli_parse_seed(const char *command, const char *option, const char *text,
                   unsigned long long *out);

/* Seconds on a monotonic clock. */
double cli_now(void);

/*
 * Progress of long work: one updating line on a terminal, plain lines every
 * interval seconds otherwise; silent below CLI_LEVEL_INFO.
 */
typedef struct cli_progress {
    const char *label;  /* e.g. "train" */
    long total;         /* units of work, 0 when unknown */
    int tty;            /* whether stderr is a terminal */
    double start;
    double last_print;
    double interval;    /* seconds between plain lines */
    int printed;        /* whether a terminal line is showing */
    int shown;          /* whether any progress was shown yet */
} cli_progress;

void cli_progress_start(cli_progress *p, const char *label, long total);

/* Report done units of total; extra (may be NULL) is appended. */
void cli_progress_update(cli_progress *p, long done, const char *extra);

/* Clear the terminal line, if any. */
void cli_progress_finish(cli_progress *p);

/*
 * SIGINT and SIGTERM handling for long work: the first signal sets
 * cli_stop_requested, so the work can finish its step and save; a second one
 * ends the program at once.
 */
extern volatile sig_atomic_t cli_stop_requested;
void cli_install_stop_handler(void);

/* Record the start of the run, for the end-of-run report. */
void cli_run_begin(int argc, char **argv);

/* Print version, command line, wall and CPU time and peak memory at info
 * level. */
void cli_run_end(void);

/* Whether path names an existing folder. */
int cli_is_directory(const char *path);

/* Return whether the first n characters of s end with suffix, in any
 * case. */
int cli_ends_with(const char *s, size_t n, const char *suffix);

/* Return "s" unless count is 1, for "%zu frame%s". */
const char *cli_plural(size_t count);

/*
 * Replace the extension of the last path component of path (everything
 * after its first dot, so "a.pdb.gz" counts as one extension) by ext (with
 * its dot), keeping only the file name: "/x/3hfm.cif.gz" with ".ffm" gives
 * "3hfm.ffm". A folder gives its own name: "pdb/" gives "pdb.ffm", and "."
 * the name of the current folder ("model.ffm" for the root). Return a
 * malloc'd string or NULL.
 */
char *cli_basename_with_extension(const char *path, const char *ext);

#endif
