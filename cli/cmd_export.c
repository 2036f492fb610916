/*
 * frameflow export: write frames (a frames file or a structure) as a
 * pseudo-backbone structure, or as a frames file.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frameflow/backbone.h"
#include "frameflow/frames.h"
#include "commands.h"
#include "readframes.h"
#include "output.h"
#include "util.h"

static void
print_help(void)
{
    printf("Usage: frameflow export FRAMES -o FILE [OPTIONS]\n"
           "\n"
           "Write the frames of FRAMES (a frames file, or a structure, "
           "whose frames are\n"
           "built without interpolation) in Angstrom: as a PDB file with "
           "one GLY residue\n"
           "(N, CA, C) per frame and a PyMOL script beside it that draws "
           "each frame's axes,\n"
           "as mmCIF, or as a frames file.\n"
           "\n"
           "Options:\n"
           "  -o, --output FILE    the file to write (required)\n"
           "      --format FORMAT  pdb, cif (mmCIF) or tsv (a frames file); "
           "default: from\n"
           "                       the output name (.cif, .tsv, "
           "optionally .gz), else pdb\n"
           "      --pymol FILE     the PyMOL script, or 'none' (default: "
           "the output name\n"
           "                       with .pml; none for tsv)\n"
           "      --axis-length A  length of the drawn axes, Angstrom "
           "(default %g)\n"
           "  -q, --quiet          print errors only\n"
           "  -v, --verbose        print more detail\n"
           "  -h, --help           show this help and exit\n",
           CLI_AXIS_LENGTH_DEFAULT);
}

enum {
    OPT_FORMAT = 256,
    OPT_PYMOL,
    OPT_AXIS_LENGTH
};

/* Describe the input in the lines written at the top of the output. */
static void
describe_input(char lines[2][1024], const char *input, const ff_frameset *set)
{
    snprintf(lines[0], sizeof lines[0], "frames: %s (%zu frames)", input,
             set->count);
    size_t used = (size_t)snprintf(lines[1], sizeof lines[1], "sources:");
    for (size_t i = 0; i < set->source_count && used < sizeof lines[1];
         i++) {
        used += (size_t)snprintf(lines[1] + used, sizeof lines[1] - used,
                                 "%s %s", i == 0 ? "" : ",",
                                 set->sources[i]);
    }
}

/*
 * Return the residues that name the frames of set in the output's format,
 * or NULL, after saying at info level why the residues are numbered in
 * order instead. Interpolated frames stand for no residue of their own.
 */
static ff_backbone_residue *
name_residues(const ff_frameset *set, const cli_output *out)
{
    if (out->format == CLI_FORMAT_TSV) {
        return NULL;
    }
    for (size_t j = 0; j < set->count; j++) {
        if (set->labels[j].kind == FF_FRAME_KIND_INTERPOLATED) {
            cli_log(CLI_LEVEL_INFO, "residues numbered in order: the frames "
                    "include interpolated ones, which stand for no residue "
                    "(frames --interpolate 0 keeps only residues)");
            return NULL;
        }
    }
    ff_backbone_residue *residues = malloc(set->count * sizeof *residues);
    if (residues == NULL) {
        return NULL;
    }
    for (size_t j = 0; j < set->count; j++) {
        const ff_frame_label *l = &set->labels[j];
        residues[j].chain = set->chains[l->chain];
        residues[j].seqnum = l->seqnum;
        residues[j].icode = l->icode;
        residues[j].name = l->resname;
    }
    char why[256];
    if (!ff_backbone_residues_fit(residues, set->count,
                                  out->format == CLI_FORMAT_PDB, why,
                                  sizeof why)) {
        cli_log(CLI_LEVEL_INFO, "residues numbered in order: %s", why);
        free(residues);
        return NULL;
    }
    return residues;
}

static int
export_frames(const char *input, cli_output *out)
{
    ff_error err;

    ff_error_clear(&err);
    ff_frameset *set = cli_read_frames(input, &err);
    if (set == NULL) {
        cli_report(&err);
        return CLI_EXIT_FAILURE;
    }
    int status = CLI_EXIT_FAILURE;
    if (out->format == CLI_FORMAT_PDB
        && set->count > ff_backbone_pdb_capacity()) {
        cli_error("%s: %zu frames, more than a PDB file can hold (%zu); "
                  "use --format cif or tsv", input, set->count,
                  ff_backbone_pdb_capacity());
        status = CLI_EXIT_USAGE;
        goto done;
    }
    char lines[2][1024];
    const char *remarks[2] = {lines[0], lines[1]};
    describe_input(lines, input, set);
    ff_backbone_residue *residues = name_residues(set, out);
    ff_backbone_info info = {"frameflow frames", remarks, 2, residues};
    int written = cli_output_write(out, set, &info, &err);
    free(residues);
    if (written < 0) {
        cli_report(&err);
        goto done;
    }
    cli_output_report(out, set->count);
    status = CLI_EXIT_OK;

done:
    ff_frameset_free(set);
    return status;
}

int
cmd_export(int argc, char **argv)
{
    static const struct option long_options[] = {
        {"output", required_argument, NULL, 'o'},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"pymol", required_argument, NULL, OPT_PYMOL},
        {"axis-length", required_argument, NULL, OPT_AXIS_LENGTH},
        {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    cli_output out = {NULL, CLI_FORMAT_PDB, NULL, CLI_AXIS_LENGTH_DEFAULT};
    const char *format = NULL;
    const char *pymol = NULL;
    int c;

    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:qvh", long_options, NULL))
           != -1) {
        int shared = cli_getopt_shared("export", c, argv);
        if (shared < 0) {
            return CLI_EXIT_USAGE;
        }
        if (shared > 0) {
            continue;
        }
        switch (c) {
        case 'o':
            out.path = optarg;
            break;
        case OPT_FORMAT:
            format = optarg;
            break;
        case OPT_PYMOL:
            pymol = optarg;
            break;
        case OPT_AXIS_LENGTH:
            if (cli_parse_double("export", "--axis-length", optarg, 1e-3,
                                 100.0, &out.axis_length)) {
                return CLI_EXIT_USAGE;
            }
            break;
        case 'h':
            print_help();
            return CLI_EXIT_OK;
        default:
            return cli_usage_error("export", "unknown option '%s'",
                                   argv[optind - 1]);
        }
    }
    if (optind >= argc) {
        return cli_usage_error("export", "missing the frames file");
    }
    if (argc - optind > 1) {
        return cli_usage_error("export", "takes one frames file, not %d "
                               "files", argc - optind);
    }
    if (out.path == NULL) {
        return cli_usage_error("export", "missing -o FILE");
    }

    // The frame count is not known before reading; the PDB limit is
    // checked after.
    int rc = cli_output_prepare(&out, "export", format, pymol, 0);
    if (rc == 0) {
        rc = cli_output_check_inputs(&out, "export", argv[optind]);
    }
    if (rc == 0) {
        rc = export_frames(argv[optind], &out);
    }
    cli_output_free(&out);
    return rc;
}
