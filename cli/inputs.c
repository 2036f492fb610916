#include "inputs.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "readframes.h"
#include "util.h"

void
cli_inputs_init(cli_inputs *in)
{
    memset(in, 0, sizeof *in);
    ff_frames_options_init(&in->frames);
}

void
cli_inputs_free(cli_inputs *in)
{
    for (size_t i = 0; i < in->entry_count; i++) {
        free(in->entries[i].path);
    }
    free(in->entries);
    for (size_t i = 0; i < in->frames.chain_count; i++) {
        free(in->chains[i]);
    }
    free(in->chains);
    free(in->ranges);
    memset(in, 0, sizeof *in);
}

static int
add_entry(cli_inputs *in, const char *path, int is_list)
{
    cli_input_entry *grown = realloc(in->entries, (in->entry_count + 1)
                                                  * sizeof *grown);
    if (grown == NULL) {
        cli_error("out of memory");
        return CLI_EXIT_FAILURE;
    }
    in->entries = grown;
    grown[in->entry_count].path = strdup(path);
    if (grown[in->entry_count].path == NULL) {
        cli_error("out of memory");
        return CLI_EXIT_FAILURE;
    }
    grown[in->entry_count].is_list = is_list;
    in->entry_count++;
    return 0;
}

int
cli_inputs_add_path(cli_inputs *in, const char *path)
{
    return add_entry(in, path, 0);
}

/* ------------------------------------------------------------------ */
/* Options                                                             */

/*
 * Match argv[*i] against option name. Return 1 with *value set (from
 * "--name=value" or the next argument, advancing *i), 0 when it is another
 * argument, or -1 after printing that the value is missing.
 */
static int
option_value(const char *command, int argc, char **argv, int *i,
             const char *name, const char **value)
{
    const char *arg = argv[*i];
    size_t n = strlen(name);

    if (strncmp(arg, name, n) != 0) {
        return 0;
    }
    if (arg[n] == '=') {
        *value = arg + n + 1;
        return 1;
    }
    if (arg[n] != '\0') {
        return 0;
    }
    if (*i + 1 >= argc) {
        cli_usage_error(command, "%s: missing value", name);
        return -1;
    }
    *value = argv[++*i];
    return 1;
}

/* Parse "H" or "H,L" into the chain list. */
static int
parse_chains(cli_inputs *in, const char *command, const char *text)
{
    const char *p = text;

    for (;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (n == 0) {
            cli_usage_error(command, "--chain: invalid value '%s'; expected "
                            "chain names separated by commas, such as H,L",
                            text);
            return -1;
        }
        char **grown = realloc(in->chains, (in->frames.chain_count + 1)
                                           * sizeof *grown);
        if (grown == NULL) {
            cli_error("out of memory");
            return -1;
        }
        in->chains = grown;
        grown[in->frames.chain_count] = strndup(p, n);
        if (grown[in->frames.chain_count] == NULL) {
            cli_error("out of memory");
            return -1;
        }
        in->frames.chain_count++;
        in->frames.chains = (const char *const *)in->chains;
        if (comma == NULL) {
            return 0;
        }
        p = comma + 1;
    }
}

static int
parse_range(cli_inputs *in, const char *command, const char *text)
{
    ff_frames_range range;
    ff_error err;

    if (ff_frames_range_parse(&range, text, &err) != 0) {
        cli_usage_error(command, "--range: %s", err.message);
        return -1;
    }
    ff_frames_range *grown = realloc(in->ranges, (in->frames.range_count + 1)
                                                 * sizeof *grown);
    if (grown == NULL) {
        cli_error("out of memory");
        return -1;
    }
    in->ranges = grown;
    grown[in->frames.range_count++] = range;
    in->frames.ranges = in->ranges;
    return 0;
}

static int
parse_altloc(cli_inputs *in, const char *command, const char *text)
{
    if (strcmp(text, "occupancy") == 0) {
        in->frames.altloc = FF_ALTLOC_OCCUPANCY;
    } else if (strcmp(text, "first") == 0) {
        in->frames.altloc = FF_ALTLOC_FIRST;
    } else {
        cli_usage_error(command, "--altloc: invalid value '%s'; expected "
                        "occupancy or first", text);
        return -1;
    }
    return 0;
}

/* Names of the options that take a value, in the order of the
 * CLI_INPUTS_OPTION_* codes. */
static const char *const valued_options[] = {
    "--model", "--chain", "--range", "--altloc", "--interpolate",
    "--threads", "--list"
};

/* Apply the input option with code (an index into valued_options, or
 * CLI_INPUTS_OPTION_KEEP_GOING) and its value. Return 1, or -1 after
 * printing a usage error. */
static int
apply_option(cli_inputs *in, const char *command, int code,
             const char *value)
{
    long number = 0;

    switch (code) {
    case CLI_INPUTS_OPTION_MODEL:
        if (cli_parse_long(command, "--model", value, 1, INT32_MAX, &number)
            != 0) {
            return -1;
        }
        in->frames.model = (int32_t)number;
        in->selection_given = 1;
        return 1;
    case CLI_INPUTS_OPTION_CHAIN:
        in->selection_given = 1;
        return parse_chains(in, command, value) == 0 ? 1 : -1;
    case CLI_INPUTS_OPTION_RANGE:
        in->selection_given = 1;
        return parse_range(in, command, value) == 0 ? 1 : -1;
    case CLI_INPUTS_OPTION_ALTLOC:
        in->selection_given = 1;
        return parse_altloc(in, command, value) == 0 ? 1 : -1;
    case CLI_INPUTS_OPTION_INTERPOLATE:
        if (cli_parse_long(command, "--interpolate", value, 0,
                           FF_FRAMES_INTERPOLATE_MAX, &number) != 0) {
            return -1;
        }
        in->frames.interpolate = (int)number;
        in->selection_given = 1;
        return 1;
    case CLI_INPUTS_OPTION_THREADS:
        if (cli_parse_long(command, "--threads", value, 0, 4096, &number)
            != 0) {
            return -1;
        }
        in->threads = (int)number;
        return 1;
    case CLI_INPUTS_OPTION_LIST:
        return add_entry(in, value, 1) == 0 ? 1 : -1;
    case CLI_INPUTS_OPTION_KEEP_GOING:
        in->keep_going = 1;
        return 1;
    default:
        return 0;
    }
}

int
cli_inputs_parse_option(cli_inputs *in, const char *command, int argc,
                        char **argv, int *i)
{
    if (strcmp(argv[*i], "--keep-going") == 0) {
        return apply_option(in, command, CLI_INPUTS_OPTION_KEEP_GOING, NULL);
    }
    for (int code = 0; code < CLI_INPUTS_OPTION_KEEP_GOING; code++) {
        const char *value = NULL;
        int found = option_value(command, argc, argv, i,
                                 valued_options[code], &value);
        if (found != 0) {
            return found < 0 ? -1 : apply_option(in, command, code, value);
        }
    }
    return 0;
}

int
cli_inputs_getopt(cli_inputs *in, const char *command, int opt,
                  const char *arg)
{
    if (opt < CLI_INPUTS_OPTION_BASE
        || opt > CLI_INPUTS_OPTION_BASE + CLI_INPUTS_OPTION_KEEP_GOING) {
        return 0;
    }
    return apply_option(in, command, opt - CLI_INPUTS_OPTION_BASE, arg);
}

void
cli_inputs_print_help(FILE *out)
{
    ff_frames_options d;

    ff_frames_options_init(&d);
    fprintf(out,
            "Inputs (structures, folders of structures, frames files):\n"
            "  --list FILE          read input paths from FILE, one per "
            "line\n"
            "  --keep-going         skip inputs that cannot be read, name "
            "them on\n"
            "                       stderr and end with status 1\n"
            "  --threads N          read N inputs at a time, 0 for "
            "OpenMP's default (%d here)\n"
            "\n"
            "Selection and frames (structures only):\n"
            "  --model N            model number as in the file (default: "
            "the first model)\n"
            "  --chain LIST         chains to read, such as H or H,L "
            "(default: every\n"
            "                       chain with amino acids; with --range, "
            "the chains\n"
            "                       the ranges name)\n"
            "  --range SPEC         residues CHAIN:FIRST-LAST with insertion "
            "codes, such\n"
            "                       as H:1-101 or H:52A-82C; repeatable\n"
            "  --altloc POLICY      occupancy: per atom the altloc with the "
            "highest\n"
            "                       occupancy, the first on a tie; first: "
            "the first in\n"
            "                       the file (default: %s)\n"
            "  --interpolate K      frames added between linked residues, "
            "0 to %d\n"
            "                       (default: %d; 0 turns it off)\n",
#ifdef _OPENMP
            omp_get_max_threads(),
#else
            1,
#endif
            d.altloc == FF_ALTLOC_OCCUPANCY ? "occupancy" : "first",
            FF_FRAMES_INTERPOLATE_MAX, d.interpolate);
}

/* ------------------------------------------------------------------ */
/* Expansion of folders and lists                                      */

typedef struct path_list {
    char **paths;
    size_t count;
} path_list;

static void
path_list_free(path_list *list)
{
    for (size_t i = 0; i < list->count; i++) {
        free(list->paths[i]);
    }
    free(list->paths);
    list->paths = NULL;
    list->count = 0;
}

/* Append a copy of path (or of dir/name when name is not NULL). */
static int
path_list_add(path_list *list, const char *dir, const char *name)
{
    size_t n = strlen(dir) + (name ? strlen(name) + 2 : 1);
    char *copy = malloc(n);
    char **grown = realloc(list->paths, (list->count + 1) * sizeof *grown);

    if (copy == NULL || grown == NULL) {
        free(copy);
        if (grown != NULL) {
            list->paths = grown;
        }
        cli_error("out of memory");
        return CLI_EXIT_FAILURE;
    }
    list->paths = grown;
    if (name != NULL) {
        size_t d = strlen(dir);
        int slash = d > 0 && dir[d - 1] == '/';
        snprintf(copy, n, "%s%s%s", dir, slash ? "" : "/", name);
    } else {
        memcpy(copy, dir, n);
    }
    list->paths[list->count++] = copy;
    return 0;
}

/* Return whether a file name in a folder names a structure file. */
static int
is_structure_name(const char *name)
{
    static const char *const suffixes[] = {".pdb", ".ent", ".cif", ".mmcif"};
    size_t n = strlen(name);

    if (name[0] == '.') {
        return 0;
    }
    if (cli_ends_with(name, n, ".gz")) {
        n -= 3;
    }
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        if (cli_ends_with(name, n, suffixes[i])) {
            return 1;
        }
    }
    return 0;
}

static int
compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Add every structure file directly inside folder, sorted by name. */
static int
expand_folder(path_list *list, const char *folder)
{
    DIR *dir = opendir(folder);
    path_list names = {NULL, 0};

    if (dir == NULL) {
        cli_error("%s: cannot open folder: %s", folder, strerror(errno));
        return CLI_EXIT_FAILURE;
    }
    struct dirent *entry;
    int status = 0;
    while (status == 0 && (entry = readdir(dir)) != NULL) {
        if (is_structure_name(entry->d_name)) {
            status = path_list_add(&names, entry->d_name, NULL);
        }
    }
    closedir(dir);
    if (status == 0 && names.count == 0) {
        cli_error("%s: folder holds no structure files (.pdb, .ent, .cif, "
                  ".mmcif, optionally .gz)", folder);
        status = CLI_EXIT_FAILURE;
    }
    if (status == 0) {
        qsort(names.paths, names.count, sizeof *names.paths, compare_names);
    }
    for (size_t i = 0; status == 0 && i < names.count; i++) {
        status = path_list_add(list, folder, names.paths[i]);
    }
    path_list_free(&names);
    return status;
}

/* Add a path given directly or in a list: a folder expands. */
static int
expand_path(path_list *list, const char *path)
{
    if (cli_is_directory(path)) {
        return expand_folder(list, path);
    }
    return path_list_add(list, path, NULL);
}

/* Add every path named in the list file at path. Unless keep_going, a
 * path that does not exist stops the run here, with the list's line. */
static int
expand_list(path_list *list, const char *path, int keep_going)
{
    FILE *f = fopen(path, "r");

    if (f == NULL) {
        cli_error("%s: cannot open list of inputs: %s", path,
                  strerror(errno));
        return CLI_EXIT_FAILURE;
    }
    char *line = NULL;
    size_t size = 0;
    ssize_t n;
    int status = 0;
    long number = 0;
    while (status == 0 && (n = getline(&line, &size, f)) >= 0) {
        number++;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'
                         || line[n - 1] == ' ' || line[n - 1] == '\t')) {
            line[--n] = '\0';
        }
        if (n >= PATH_MAX) {
            cli_error("%s:%ld: line of %zd bytes, longer than a path can be "
                      "(%d); give one input path per line",
                      path, number, n, PATH_MAX - 1);
            status = CLI_EXIT_FAILURE;
            break;
        }
        char *p = line + strspn(line, " \t");
        if (*p == '\0' || *p == '#') {
            continue;
        }
        struct stat st;
        if (!keep_going && stat(p, &st) != 0) {
            cli_error("%s:%ld: %s: %s%s", path, number, p, strerror(errno),
                      p[0] == '/' ? "" : " (paths in a list are relative to "
                                         "the current folder)");
            status = CLI_EXIT_FAILURE;
            break;
        }
        status = expand_path(list, p);
    }
    if (status == 0 && ferror(f)) {
        cli_error("%s: cannot read the list of inputs: %s", path,
                  strerror(errno));
        status = CLI_EXIT_FAILURE;
    }
    free(line);
    fclose(f);
    return status;
}

static int
expand_inputs(const cli_inputs *in, const char *command, path_list *list)
{
    if (in->entry_count == 0) {
        return cli_usage_error(command, "no inputs; give structure files, "
                               "folders or --list FILE");
    }
    for (size_t i = 0; i < in->entry_count; i++) {
        int status = in->entries[i].is_list
                     ? expand_list(list, in->entries[i].path, in->keep_going)
                     : expand_path(list, in->entries[i].path);
        if (status != 0) {
            return status;
        }
    }
    if (list->count == 0) {
        cli_error("the input lists name no files");
        return CLI_EXIT_FAILURE;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Reading                                                             */

enum slot_state {
    SLOT_PENDING = 0,
    SLOT_READ = 1,
    SLOT_FAILED = 2,
    SLOT_NOT_READ = 3    /* left out after the run stopped */
};

/* One input's result, kept until its turn to be delivered. */
typedef struct slot {
    int state;
    int is_frames_file;
    int kind;             /* an enum cli_source_kind, once read */
    ff_frameset *set;
    ff_frames_summary summary;
    void *prepared;       /* what the handler's prepare returned */
    char *message;        /* why reading failed, or NULL */
    char *note;           /* why a read input gave no frames, or NULL */
} slot;

/* What every thread of cli_inputs_read shares. */
typedef struct read_state {
    const cli_inputs *in;
    const path_list *list;
    slot *slots;
    size_t claimed;       /* inputs taken by a thread so far */
    size_t window;        /* inputs a thread may start ahead of delivery */
    size_t delivered;     /* inputs delivered and freed so far */
    size_t next;          /* first input not yet taken for delivery */
    int stop;             /* set when the run must end early */
    int status;           /* exit status of the first failure */
    int delivering;       /* a thread is delivering results */
    int warned_selection; /* the selection options were reported unused */
    char *empty_path;     /* the first structure that gave no frames */
    const cli_inputs_handler *handler;
    cli_inputs_totals *totals;
    cli_progress progress;
} read_state;

/* Read one input into its slot, and prepare it. With several inputs, a
 * structure without amino acids, when no chain or range was asked for,
 * gives no frames and a note instead of failing the run. */
static void
read_one(const cli_inputs *in, const cli_inputs_handler *handler,
         const char *path, int several, slot *s)
{
    ff_error err;
    int status = FF_STATUS_OK;

    ff_error_clear(&err);
    s->set = ff_frameset_new(&err);
    if (s->set == NULL) {
        status = err.code;
    }
    int probe = status == 0 ? ff_frameset_probe(path, &err) : 0;
    if (probe < 0) {
        status = probe;
    } else if (probe > 0) {
        s->is_frames_file = 1;
        s->kind = probe == FF_FRAMESFILE_GZIP ? CLI_SOURCE_FRAMES_GZIP
                                              : CLI_SOURCE_FRAMES;
        ff_frameset_free(s->set);
        s->set = ff_frameset_read(path, &err);
        status = s->set == NULL ? err.code : 0;
    } else if (status == 0) {
        status = ff_frames_build_file(s->set, &s->summary, path, &in->frames,
                                      &err);
        if (status == FF_STATUS_ERR_EMPTY && several
            && in->frames.chain_count == 0 && in->frames.range_count == 0) {
            s->note = strdup(err.message);
            status = s->note != NULL ? 0 : FF_STATUS_ERR_NOMEM;
        }
        int mmcif = s->summary.format == FF_STRUCTURE_FORMAT_MMCIF;
        if (s->summary.compressed) {
            s->kind = mmcif ? CLI_SOURCE_MMCIF_GZIP : CLI_SOURCE_PDB_GZIP;
        } else {
            s->kind = mmcif ? CLI_SOURCE_MMCIF : CLI_SOURCE_PDB;
        }
    }
    if (status == 0 && handler->prepare != NULL) {
        s->prepared = handler->prepare(handler->user, s->set, &err);
        status = s->prepared == NULL ? err.code : 0;
    }
    s->state = status == 0 ? SLOT_READ : SLOT_FAILED;
    if (status != 0) {
        // A failed input keeps only its message until its turn comes.
        ff_frameset_free(s->set);
        s->set = NULL;
        s->message = strdup(err.message[0] ? err.message
                                           : ff_status_name(status));
    }
}

static void
request_stop(read_state *rs, int status)
{
    rs->status = status;
    #pragma omp atomic write
    rs->stop = 1;
}

/* Warn about chains without frames and rejected residues. */
static void
warn_chains(const char *path, const ff_frames_summary *summary)
{
    for (size_t c = 0; c < summary->chain_count; c++) {
        const ff_chain_summary *ch = &summary->chains[c];
        if (ch->frames == 0) {
            cli_log(CLI_LEVEL_WARNING,
                    "%s: chain '%s' gives no frames: none of its %zu "
                    "residues has usable N, CA and C",
                    path, ch->chain, ch->residues);
        } else if (ch->rejected > 0) {
            char icode[2] = {ch->first_rejected_icode, '\0'};
            if (icode[0] == ' ') {
                icode[0] = '\0';
            }
            cli_log(CLI_LEVEL_WARNING,
                    "%s: chain '%s': %zu residue%s rejected (non-finite, "
                    "out-of-range, coincident or collinear N, CA, C), the "
                    "first at %d%s",
                    path, ch->chain, ch->rejected,
                    ch->rejected == 1 ? "" : "s",
                    (int)ch->first_rejected_seqnum, icode);
        }
        if (ch->skipped > 0 && ch->frames > 0) {
            cli_log(CLI_LEVEL_DEBUG,
                    "%s: chain '%s': %zu residue%s without N, CA or C "
                    "skipped",
                    path, ch->chain, ch->skipped, ch->skipped == 1 ? "" : "s");
        }
    }
}

/* Add one read input to the totals of its kind. */
static void
count_source(cli_inputs_totals *totals, const slot *s)
{
    cli_source_totals *kind = &totals->by_kind[s->kind];

    kind->files++;
    kind->frames += s->set->count;
    if (s->is_frames_file) {
        kind->chains += cli_frameset_chain_count(s->set);
        return;
    }
    for (size_t c = 0; c < s->summary.chain_count; c++) {
        kind->chains += s->summary.chains[c].frames > 0;
    }
}

/* Deliver one slot in order: sink, warnings, counts. Only the thread that
 * holds rs->delivering calls it. */
static void
deliver(read_state *rs, size_t index)
{
    slot *s = &rs->slots[index];
    const char *path = rs->list->paths[index];

    const char *message = s->message ? s->message : "out of memory";

    if (s->state == SLOT_FAILED) {
        if (rs->in->keep_going && !rs->stop) {
            cli_error("skipped: %s", message);
            rs->totals->skipped++;
        } else if (!rs->stop) {
            cli_error("%s", message);
            request_stop(rs, CLI_EXIT_FAILURE);
        }
    } else if (s->state == SLOT_READ && !rs->stop) {
        if (s->is_frames_file && rs->in->selection_given
            && !rs->warned_selection) {
            cli_log(CLI_LEVEL_WARNING,
                    "%s: a frames file: --model, --chain, --range, --altloc "
                    "and --interpolate apply to structures only", path);
            rs->warned_selection = 1;
        }
        if (s->note != NULL) {
            cli_log(CLI_LEVEL_WARNING, "%s", s->note);
        }
        if (!s->is_frames_file) {
            warn_chains(path, &s->summary);
        }
        if (s->set->count == 0 && rs->empty_path == NULL) {
            rs->empty_path = strdup(path);
        }
        int status = rs->handler->sink(rs->handler->user, index, path, s->set,
                                       s->is_frames_file ? NULL : &s->summary,
                                       s->prepared);
        if (status != 0) {
            request_stop(rs, status);
        }
        rs->totals->read++;
        rs->totals->frames += s->set->count;
        count_source(rs->totals, s);
        if (s->is_frames_file) {
            // A frames file has no per-chain summary: its labels say which
            // frames are residues and which are interpolated.
            for (size_t f = 0; f < s->set->count; f++) {
                if (s->set->labels[f].kind == FF_FRAME_KIND_INTERPOLATED) {
                    rs->totals->interpolated++;
                } else {
                    rs->totals->residues++;
                }
            }
        }
        for (size_t c = 0; c < s->summary.chain_count; c++) {
            rs->totals->residues += s->summary.chains[c].residues;
            rs->totals->interpolated += s->summary.chains[c].interpolated;
        }
    }
    ff_frameset_free(s->set);
    s->set = NULL;
    ff_frames_summary_free(&s->summary);
    if (s->prepared != NULL) {
        rs->handler->release(s->prepared);
        s->prepared = NULL;
    }
    free(s->message);
    s->message = NULL;
    free(s->note);
    s->note = NULL;
    cli_progress_update(&rs->progress, (long)index + 1, NULL);
    #pragma omp atomic update
    rs->delivered++;
}

/*
 * Deliver every result that is ready in input order, unless another thread
 * is already delivering: that thread then takes these results too, because
 * it looks again after each run.
 */
static void
deliver_ready(read_state *rs, size_t n)
{
    for (;;) {
        size_t first = 0;
        size_t end = 0;
        #pragma omp critical(cli_inputs_slots)
        {
            if (!rs->delivering) {
                first = rs->next;
                end = first;
                while (end < n && rs->slots[end].state != SLOT_PENDING) {
                    end++;
                }
                rs->delivering = end > first;
                rs->next = end;
            }
        }
        if (end == first) {
            return;
        }
        for (size_t k = first; k < end; k++) {
            deliver(rs, k);
        }
        #pragma omp critical(cli_inputs_slots)
        {
            rs->delivering = 0;
        }
    }
}

/*
 * Wait until input index lies within rs->window inputs of the first one not
 * yet delivered, delivering what is ready meanwhile. Without this bound a
 * thread would read on while delivery lags, on a slow disk or a pipe that
 * is not drained, and the results waiting in their slots would grow with
 * the number of inputs.
 */
static void
wait_for_window(read_state *rs, size_t index, size_t n)
{
    const struct timespec pause = {0, 1000000};  /* 1 ms */

    for (;;) {
        size_t delivered;
        int stop;
        #pragma omp atomic read
        delivered = rs->delivered;
        #pragma omp atomic read
        stop = rs->stop;
        if (index < delivered + rs->window || stop) {
            return;
        }
        deliver_ready(rs, n);
        nanosleep(&pause, NULL);
    }
}

static void
read_all(read_state *rs)
{
    size_t n = rs->list->count;
    int threads = 1;

#ifdef _OPENMP
    threads = rs->in->threads;
    if (threads <= 0) {
        threads = omp_get_max_threads();
    }
#endif
    // Each thread takes the next input when free, because inputs differ
    // in size. Results wait in their slots until every earlier input is
    // delivered. A thread starts an input only within a window of twice
    // the thread count past the first one not yet delivered, so at most
    // that many results are held at a time. The first input not yet
    // delivered is always inside the window, so its thread never waits.
    // One thread at a time delivers, outside the lock, so the others keep
    // reading while it writes.
    rs->window = 2 * (size_t)threads;
    #pragma omp parallel num_threads(threads)
    for (;;) {
        size_t i;
        #pragma omp atomic capture
        i = rs->claimed++;
        if (i >= n) {
            break;
        }
        wait_for_window(rs, i, n);

        int stop;
        #pragma omp atomic read
        stop = rs->stop;
        slot result;
        memset(&result, 0, sizeof result);
        result.state = SLOT_NOT_READ;
        if (!stop && !cli_stop_requested) {
            read_one(rs->in, rs->handler, rs->list->paths[i],
                     rs->list->count > 1, &result);
        }
        #pragma omp critical(cli_inputs_slots)
        {
            rs->slots[i] = result;
        }
        deliver_ready(rs, n);
    }
}

int
cli_inputs_read(const cli_inputs *in, const char *command,
                const cli_inputs_handler *handler, cli_inputs_totals *totals)
{
    path_list list = {NULL, 0};
    read_state rs;

    memset(totals, 0, sizeof *totals);
    int status = expand_inputs(in, command, &list);
    if (status != 0) {
        path_list_free(&list);
        return status;
    }
    totals->files = list.count;

    memset(&rs, 0, sizeof rs);
    rs.in = in;
    rs.list = &list;
    rs.handler = handler;
    rs.totals = totals;
    rs.slots = calloc(list.count, sizeof *rs.slots);
    if (rs.slots == NULL) {
        path_list_free(&list);
        cli_error("out of memory");
        return CLI_EXIT_FAILURE;
    }
    cli_progress_start(&rs.progress, "read", (long)list.count);
    read_all(&rs);
    cli_progress_finish(&rs.progress);
    if (cli_stop_requested && rs.status == 0) {
        rs.status = CLI_EXIT_INTERRUPTED;
    }
    free(rs.slots);
    path_list_free(&list);
    char *empty_path = rs.empty_path;

    if (rs.status == CLI_EXIT_INTERRUPTED) {
        cli_error("interrupted while reading the inputs");
    } else if (rs.status == 0 && totals->read == 0) {
        cli_error("none of the %zu inputs could be read", totals->files);
        rs.status = CLI_EXIT_FAILURE;
    } else if (rs.status == 0 && totals->frames == 0 && totals->read == 1) {
        cli_error("%s: no residue has usable N, CA and C, so there are no "
                  "frames", empty_path ? empty_path : "input");
        rs.status = CLI_EXIT_FAILURE;
    } else if (rs.status == 0 && totals->frames == 0) {
        cli_error("no frames: no residue in the %zu inputs has usable N, CA "
                  "and C", totals->read);
        rs.status = CLI_EXIT_FAILURE;
    }
    free(empty_path);
    return rs.status;
}

void
cli_inputs_log_sources(const cli_inputs_totals *totals)
{
    static const char *const names[CLI_SOURCE_KIND_COUNT] = {
        [CLI_SOURCE_PDB] = "PDB",
        [CLI_SOURCE_PDB_GZIP] = "PDB, gzip",
        [CLI_SOURCE_MMCIF] = "mmCIF",
        [CLI_SOURCE_MMCIF_GZIP] = "mmCIF, gzip",
        [CLI_SOURCE_FRAMES] = "frames file",
        [CLI_SOURCE_FRAMES_GZIP] = "frames file, gzip",
    };

    for (int k = 0; k < CLI_SOURCE_KIND_COUNT; k++) {
        const cli_source_totals *kind = &totals->by_kind[k];
        if (kind->files == 0) {
            continue;
        }
        cli_log(CLI_LEVEL_INFO, "  %-18s %6zu file%s %7zu chain%s %9zu "
                "frame%s", names[k],
                kind->files, kind->files == 1 ? " " : "s",
                kind->chains, kind->chains == 1 ? " " : "s",
                kind->frames, kind->frames == 1 ? "" : "s");
    }
}

static int
append_sink(void *user, size_t index, const char *path,
            const ff_frameset *set, const ff_frames_summary *summary,
            void *prepared)
{
    ff_frameset *all = user;
    ff_error err;

    (void)index;
    (void)summary;
    (void)prepared;
    if (ff_frameset_append(all, set, &err) != 0) {
        cli_error("%s: %s", path, err.message);
        return CLI_EXIT_FAILURE;
    }
    return 0;
}

int
cli_inputs_load(const cli_inputs *in, const char *command, ff_frameset **out)
{
    ff_error err;
    cli_inputs_totals totals;

    *out = ff_frameset_new(&err);
    if (*out == NULL) {
        cli_report(&err);
        return CLI_EXIT_FAILURE;
    }
    cli_inputs_handler handler = {append_sink, NULL, NULL, *out};
    int status = cli_inputs_read(in, command, &handler, &totals);
    if (status != 0) {
        ff_frameset_free(*out);
        *out = NULL;
        return status;
    }
    cli_log(CLI_LEVEL_INFO, "read %zu frame%s (%zu interpolated) from %zu of "
            "%zu input%s",
            totals.frames, cli_plural(totals.frames), totals.interpolated,
            totals.read, totals.files, cli_plural(totals.files));
    cli_inputs_log_sources(&totals);
    if (totals.skipped > 0) {
        cli_error("%zu of %zu inputs were skipped because they could not be "
                  "read (see the messages above)",
                  totals.skipped, totals.files);
        return CLI_EXIT_FAILURE;
    }
    return 0;
}
