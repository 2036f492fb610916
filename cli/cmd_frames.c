/*
 * frameflow frames: read structures and write their residue frames to a
 * frames file, in input order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frameflow/frames.h"

#include "commands.h"
#include "inputs.h"
#include "output.h"
#include "readframes.h"
#include "util.h"

static const char *const command_name = "frames";

typedef struct frames_run {
    ff_framesfile *file;
    const char *output;
    int summary;          /* --summary: print the per-chain table */
    int header_printed;
} frames_run;

static void
print_usage(void)
{
    printf("Usage: frameflow frames INPUT... -o FILE [OPTIONS]\n\n"
           "Read protein structures (PDB or mmCIF, plain or gzip, found by "
           "content)\nand write one frame per residue, plus interpolated "
           "frames between linked\nresidues, to a tab-separated frames file "
           "(gzip when FILE ends in .gz).\nFrames are written in input "
           "order; inputs are read in parallel.\n\n"
           "Options:\n"
           "  -o, --output FILE    frames file to write (required); it "
           "appears only when\n"
           "                       every input was read\n"
           "  --summary            print a table per chain to stdout: file, "
           "model, chain,\n"
           "                       residues, frames, skipped, rejected, "
           "breaks,\n"
           "                       interpolated (- where a frames file "
           "does not say)\n"
           "  -q, --quiet          print errors only\n"
           "  -v, --verbose        print more detail; repeat for more\n"
           "  -h, --help           show this help and exit\n\n");
    cli_inputs_print_help(stdout);
    printf("\nA residue needs N, CA and C; one without them is skipped, and "
           "one whose atoms\nare far beyond any real coordinate, coincident "
           "or collinear is rejected.\nResidues are linked when C(i) to "
           "N(i+1) is at most %.1f A; nothing is\ninterpolated across a "
           "break. A file that gives an atom twice (same name,\naltloc, "
           "residue and chain) or a coordinate that is not a number is "
           "rejected;\nthe message names the line (PDB) or the "
           "_atom_site.id (mmCIF). In PDB\nfiles, records after END are "
           "ignored.\n",
           FF_FRAMES_LINK_MAX);
}

static void
print_summary_header(frames_run *run)
{
    if (!run->header_printed) {
        printf("file\tmodel\tchain\tresidues\tframes\tskipped\trejected\t"
               "breaks\tinterpolated\n");
        run->header_printed = 1;
    }
}

/* Print the rows of a frames file: one per run of frames of one source,
 * model and chain, named by the source, with - for the counts that the
 * file does not record. */
static void
print_set_summary(frames_run *run, const ff_frameset *set)
{
    print_summary_header(run);
    size_t end = 0;
    for (size_t start = 0; start < set->count; start = end) {
        const ff_frame_label *first = &set->labels[start];
        end = cli_frameset_chain_end(set, start);
        size_t interpolated = 0;
        for (size_t f = start; f < end; f++) {
            interpolated += set->labels[f].kind == FF_FRAME_KIND_INTERPOLATED;
        }
        size_t residues = end - start - interpolated;
        printf("%s\t%d\t%s\t%zu\t%zu\t-\t-\t-\t%zu\n",
               set->sources[first->source], (int)first->model,
               set->chains[first->chain], residues, residues, interpolated);
    }
}

static void
print_summary(frames_run *run, const char *path,
              const ff_frames_summary *summary)
{
    print_summary_header(run);
    for (size_t c = 0; c < summary->chain_count; c++) {
        const ff_chain_summary *ch = &summary->chains[c];
        printf("%s\t%d\t%s\t%zu\t%zu\t%zu\t%zu\t%zu\t%zu\n", path,
               (int)ch->model, ch->chain, ch->residues, ch->frames,
               ch->skipped, ch->rejected, ch->breaks, ch->interpolated);
    }
}

/*
 * Format and compress one input's frames in the thread that read them.
 * NOTE: for a plain output the block is the input's whole text, about 300
 * bytes a frame, held until its turn to be written.
 */
static void *
encode_frames(void *user, const ff_frameset *set, ff_error *err)
{
    const frames_run *run = user;

    return ff_framesfile_encode(run->file, set, err);
}

static void
free_block(void *block)
{
    ff_framesfile_block_free(block);
}

static int
write_sink(void *user, size_t index, const char *path,
           const ff_frameset *set, const ff_frames_summary *summary,
           void *block)
{
    frames_run *run = user;
    ff_error err;

    (void)index;
    if (ff_framesfile_write_block(run->file, block, &err) != 0) {
        cli_report(&err);
        return CLI_EXIT_FAILURE;
    }
    if (run->summary && summary != NULL) {
        print_summary(run, path, summary);
    } else if (run->summary) {
        print_set_summary(run, set);
    }
    return 0;
}

/* Parse the arguments into run and in. Return 0, -1 after --help, or a
 * CLI exit status. */
static int
parse_arguments(int argc, char **argv, frames_run *run, cli_inputs *in)
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        int used = cli_inputs_parse_option(in, command_name, argc, argv, &i);
        if (used < 0) {
            return CLI_EXIT_USAGE;
        }
        if (used > 0) {
            continue;
        }
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            print_usage();
            return -1;
        } else if (strcmp(arg, "-o") == 0 || strcmp(arg, "--output") == 0) {
            if (i + 1 >= argc) {
                return cli_usage_error(command_name, "%s: missing value",
                                       arg);
            }
            run->output = argv[++i];
        } else if (strncmp(arg, "--output=", 9) == 0) {
            run->output = arg + 9;
        } else if (strcmp(arg, "--summary") == 0) {
            run->summary = 1;
        } else if (strcmp(arg, "-q") == 0 || strcmp(arg, "--quiet") == 0) {
            cli_verbosity = CLI_LEVEL_ERROR;
        } else if (strcmp(arg, "-v") == 0 || strcmp(arg, "--verbose") == 0) {
            cli_verbosity++;
        } else if (arg[0] == '-' && arg[1] != '\0') {
            return cli_usage_error(command_name, "unknown option '%s'", arg);
        } else if (cli_inputs_add_path(in, arg) != 0) {
            return CLI_EXIT_FAILURE;
        }
    }
    if (run->output == NULL) {
        return cli_usage_error(command_name, "missing -o FILE, the frames "
                               "file to write");
    }
    for (size_t i = 0; i < in->entry_count; i++) {
        int rc = cli_output_check_input(command_name, run->output,
                                        "output (-o)", in->entries[i].path);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

int
cmd_frames(int argc, char **argv)
{
    frames_run run;
    cli_inputs in;
    cli_inputs_totals totals;
    ff_error err;

    memset(&run, 0, sizeof run);
    cli_inputs_init(&in);
    int status = parse_arguments(argc, argv, &run, &in);
    if (status != 0) {
        cli_inputs_free(&in);
        return status < 0 ? CLI_EXIT_OK : status;
    }

    cli_install_stop_handler();
    run.file = ff_framesfile_open(run.output, &err);
    if (run.file == NULL) {
        cli_report(&err);
        cli_inputs_free(&in);
        return CLI_EXIT_FAILURE;
    }
    cli_inputs_handler handler = {write_sink, encode_frames, free_block,
                                  &run};
    status = cli_inputs_read(&in, command_name, &handler, &totals);
    fflush(stdout);
    if (status != 0) {
        ff_framesfile_abort(run.file);
        cli_inputs_free(&in);
        return status;
    }
    if (ff_framesfile_commit(run.file, &err) != 0) {
        cli_report(&err);
        cli_inputs_free(&in);
        return CLI_EXIT_FAILURE;
    }

    cli_log(CLI_LEVEL_INFO,
            "wrote %zu frame%s (%zu of residues, %zu interpolated) from %zu "
            "residue%s of %zu input%s to %s",
            totals.frames, cli_plural(totals.frames),
            totals.frames - totals.interpolated, totals.interpolated,
            totals.residues, cli_plural(totals.residues), totals.read,
            cli_plural(totals.read), run.output);
    cli_inputs_log_sources(&totals);
    cli_run_end();
    cli_inputs_free(&in);
    if (totals.skipped > 0) {
        cli_error("%zu of %zu inputs were skipped because they could not be "
                  "read (see the messages above); %s holds the others",
                  totals.skipped, totals.files, run.output);
        return CLI_EXIT_FAILURE;
    }
    return CLI_EXIT_OK;
}
