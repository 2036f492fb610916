#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "frameflow/version.h"

int cli_verbosity = CLI_LEVEL_INFO;
volatile sig_atomic_t cli_stop_requested = 0;

static double run_start;
static char run_command[1024];

/*
 * Write "frameflow: ", the formatted text and hint (may be NULL) as one line
 * on stderr. Control characters, which file names and option values may
 * contain, are written as escapes such as \n, so that a message never
 * spans two lines.
 */
static void
print_line(const char *hint, const char *fmt, va_list ap)
{
    char stack[4096];
    char *heap = NULL;
    const char *text = stack;
    va_list copy;

    va_copy(copy, ap);
    int n = vsnprintf(stack, sizeof stack, fmt, copy);
    va_end(copy);
    if (n < 0) {
        stack[0] = '\0';
    } else if (n >= (int)sizeof stack) {
        heap = malloc((size_t)n + 1);
        if (heap != NULL) {
            vsnprintf(heap, (size_t)n + 1, fmt, ap);
            text = heap;
        }
    }

    fputs("frameflow: ", stderr);
    for (const unsigned char *p = (const unsigned char *)text; *p != '\0';
         p++) {
        if (*p == '\n') {
            fputs("\\n", stderr);
        } else if (*p == '\r') {
            fputs("\\r", stderr);
        } else if (*p == '\t') {
            fputs("\\t", stderr);
        } else if (*p < 0x20 || *p == 0x7f) {
            fprintf(stderr, "\\x%02x", *p);
        } else {
            fputc(*p, stderr);
        }
    }
    if (hint != NULL) {
        fputs(hint, stderr);
    }
    fputc('\n', stderr);
    free(heap);
}

void
cli_error(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    print_line(NULL, fmt, ap);
    va_end(ap);
}

void
cli_report(const ff_error *err)
{
    if (err->message[0] != '\0') {
        cli_error("%s", err->message);
    } else {
        cli_error("%s", ff_status_name(err->code));
    }
}

int
cli_usage_error(const char *command, const char *fmt, ...)
{
    char hint[64];
    va_list ap;

    snprintf(hint, sizeof hint, " (see 'frameflow %s%s--help')",
             command != NULL ? command : "", command != NULL ? " " : "");
    va_start(ap, fmt);
    print_line(hint, fmt, ap);
    va_end(ap);
    return CLI_EXIT_USAGE;
}

int
cli_getopt_shared(const char *command, int opt, char **argv)
{
    switch (opt) {
    case 'q':
        cli_verbosity = CLI_LEVEL_ERROR;
        return 1;
    case 'v':
        cli_verbosity++;
        return 1;
    case ':':
        cli_usage_error(command, "%s needs a value", argv[optind - 1]);
        return -1;
    default:
        return 0;
    }
}

void
cli_log(int level, const char *fmt, ...)
{
    va_list ap;

    if (level > cli_verbosity) {
        return;
    }
    va_start(ap, fmt);
    print_line(NULL, fmt, ap);
    va_end(ap);
}

int
cli_parse_long(const char *command, const char *option, const char *text,
               long min, long max, long *out)
{
    char *end = NULL;

    errno = 0;
    long v = strtol(text, &end, 10);
    if (end == text || *end != '\0' || errno == ERANGE || v < min || v > max) {
        cli_usage_error(command,
                        "%s: invalid value '%s'; expected an integer from "
                        "%ld to %ld",
                        option, text, min, max);
        return -1;
    }
    *out = v;
    return 0;
}

int
cli_parse_double(const char *command, const char *option, const char *text,
                 double min, double max, double *out)
{
    char *end = NULL;

    errno = 0;
    double v = strtod(text, &end);
    if (end == text || *end != '\0' || errno == ERANGE || !isfinite(v)
        || v < min || v > max) {
        cli_usage_error(command,
                        "%s: invalid value '%s'; expected a number from "
                        "%g to %g",
                        option, text, min, max);
        return -1;
    }
    *out = v;
    return 0;
}

int
cli_parse_seed(const char *command, const char *option, const char *text,
               unsigned long long *out)
{
    char *end = NULL;

    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (end == text || *end != '\0' || errno == ERANGE || text[0] == '-') {
        cli_usage_error(command,
                        "%s: invalid value '%s'; expected an integer from 0 "
                        "to %llu",
                        option, text, ULLONG_MAX);
        return -1;
    }
    *out = v;
    return 0;
}

double
cli_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void
format_duration(char *buf, size_t size, double seconds)
{
    if (!isfinite(seconds) || seconds < 0.0) {
        snprintf(buf, size, "?");
    } else if (seconds < 60.0) {
        snprintf(buf, size, "%.0fs", seconds);
    } else if (seconds < 3600.0) {
        snprintf(buf, size, "%dm%02ds", (int)(seconds / 60.0),
                 (int)fmod(seconds, 60.0));
    } else {
        snprintf(buf, size, "%dh%02dm", (int)(seconds / 3600.0),
                 (int)fmod(seconds / 60.0, 60.0));
    }
}

void
cli_progress_start(cli_progress *p, const char *label, long total)
{
    p->label = label;
    p->total = total;
    p->tty = isatty(STDERR_FILENO);
    p->start = cli_now();
    p->last_print = p->start;
    p->interval = p->tty ? 0.2 : 10.0;
    p->printed = 0;
    p->shown = 0;
}

void
cli_progress_update(cli_progress *p, long done, const char *extra)
{
    if (cli_verbosity < CLI_LEVEL_INFO) {
        return;
    }
    double now = cli_now();
    // The final count is worth a line only after earlier ones: work that
    // ends within the first interval (or fails at once) prints nothing.
    int last = p->total > 0 && done >= p->total && p->shown;
    if (now - p->last_print < p->interval && !last) {
        return;
    }
    p->shown = 1;
    p->last_print = now;

    double elapsed = now - p->start;
    double rate = elapsed > 0.0 ? (double)done / elapsed : 0.0;
    char left[32];
    format_duration(left, sizeof left,
                    rate > 0.0 ? (double)(p->total - done) / rate : NAN);

    char line[256];
    if (p->total > 0) {
        snprintf(line, sizeof line, "%s %ld/%ld (%.0f%%), %.1f/s, %s left%s%s",
                 p->label, done, p->total, 100.0 * (double)done / (double)p->total,
                 rate, left, extra ? ", " : "", extra ? extra : "");
    } else {
        snprintf(line, sizeof line, "%s %ld, %.1f/s%s%s", p->label, done, rate,
                 extra ? ", " : "", extra ? extra : "");
    }

    if (p->tty) {
        fprintf(stderr, "\r\033[K%s", line);
        p->printed = 1;
    } else {
        char stamp[32];
        time_t t = time(NULL);
        struct tm tm;
        localtime_r(&t, &tm);
        strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
        fprintf(stderr, "frameflow: %s %s\n", stamp, line);
    }
    fflush(stderr);
}

void
cli_progress_finish(cli_progress *p)
{
    if (p->tty && p->printed) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
        p->printed = 0;
    }
}

static void
on_stop_signal(int sig)
{
    if (cli_stop_requested) {
        // A second signal: leave at once with the conventional status.
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    cli_stop_requested = 1;
}

void
cli_install_stop_handler(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

void
cli_run_begin(int argc, char **argv)
{
    size_t used = 0;

    run_start = cli_now();
    run_command[0] = '\0';
    for (int i = 0; i < argc && used + 2 < sizeof run_command; i++) {
        int n = snprintf(run_command + used, sizeof run_command - used, "%s%s",
                         i ? " " : "", argv[i]);
        if (n < 0) {
            break;
        }
        used += (size_t)n;
    }
    if (used >= sizeof run_command) {
        strcpy(run_command + sizeof run_command - 4, "...");
    }
}

void
cli_run_end(void)
{
    struct rusage ru;

    if (cli_verbosity < CLI_LEVEL_INFO) {
        return;
    }
    getrusage(RUSAGE_SELF, &ru);
    double cpu = (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec
                 + (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
    cli_log(CLI_LEVEL_INFO, "version %s; command: %s", ff_version(),
            run_command);
    cli_log(CLI_LEVEL_INFO,
            "wall time %.2f s, CPU time %.2f s, peak memory %.1f MiB",
            cli_now() - run_start, cpu, (double)ru.ru_maxrss / 1024.0);
}

int
cli_ends_with(const char *s, size_t n, const char *suffix)
{
    size_t m = strlen(suffix);

    return n >= m && strncasecmp(s + n - m, suffix, m) == 0;
}

const char *
cli_plural(size_t count)
{
    return count == 1 ? "" : "s";
}

int
cli_is_directory(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

char *
cli_basename_with_extension(const char *path, const char *ext)
{
    // A folder is named by its last component ("pdb/" gives "pdb"), and
    // "." and ".." by the folder they stand for.
    char *resolved = NULL;
    size_t len = strlen(path);
    while (len > 1 && path[len - 1] == '/') {
        len--;
    }
    const char *end = path + len;
    const char *base = end;
    while (base > path && base[-1] != '/') {
        base--;
    }
    size_t base_len = (size_t)(end - base);
    if (base_len == 0 || (base_len == 1 && base[0] == '.')
        || (base_len == 2 && base[0] == '.' && base[1] == '.')) {
        resolved = realpath(path, NULL);
        const char *slash = resolved != NULL ? strrchr(resolved, '/') : NULL;
        if (slash != NULL && slash[1] != '\0') {
            base = slash + 1;
            base_len = strlen(base);
        } else {
            base = "model";
            base_len = strlen(base);
        }
    }

    const char *dot = memchr(base, '.', base_len);
    size_t stem = dot != NULL ? (size_t)(dot - base) : base_len;
    if (stem == 0) {
        stem = base_len;
    }
    char *out = malloc(stem + strlen(ext) + 1);
    if (out != NULL) {
        memcpy(out, base, stem);
        strcpy(out + stem, ext);
    }
    free(resolved);
    return out;
}
