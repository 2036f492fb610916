/*
 * Writing a frame set for the sample and export commands: a pseudo-backbone
 * PDB or mmCIF file with a PyMOL script beside it, or a frames file.
 */
#ifndef FRAMEFLOW_CLI_OUTPUT_H
#define FRAMEFLOW_CLI_OUTPUT_H

#include <stddef.h>

#include "frameflow/backbone.h"
#include "frameflow/error.h"
#include "frameflow/frames.h"

enum cli_format {
    CLI_FORMAT_PDB = 0,
    CLI_FORMAT_CIF = 1,
    CLI_FORMAT_TSV = 2  /* a frames file */
};

/* Default length of the axes the PyMOL script draws, Angstrom. */
#define CLI_AXIS_LENGTH_DEFAULT 1.0

/* Where and how a command writes its frames. */
typedef struct cli_output {
    const char *path;     /* the structure or frames file */
    int format;           /* a cli_format */
    char *pymol;          /* the PyMOL script, or NULL for none; owned */
    double axis_length;   /* Angstrom */
} cli_output;

/*
 * Settle the format and the PyMOL script of o from the options given:
 * format_text (NULL: from the output name, .cif/.mmcif or .tsv, and PDB
 * otherwise) and pymol_text (NULL: the output name with .pml for PDB and
 * mmCIF, none for a frames file or an output that is a device or a pipe;
 * "none" turns it off). Then check that count frames fit the format and
 * that the outputs can be written (see cli_output_check_path), so that a
 * long run does not end in an unwritable file.
 * Return 0, or print one line and return the exit status (2 for a usage
 * error, 1 for a folder that cannot be written).
 */
int cli_output_prepare(cli_output *o, const char *command,
                       const char *format_text, const char *pymol_text,
                       size_t count);

/*
 * Write set in o's format, and the PyMOL script when o asks for one; info
 * goes into the header of a PDB or mmCIF file. When the script fails, the
 * structure just written is removed again. Return 0 or a negative status
 * with err filled.
 */
int cli_output_write(const cli_output *o, const ff_frameset *set,
                     const ff_backbone_info *info, ff_error *err);

/*
 * Check that path can be written. It must be a non-empty name and no
 * folder, and its folder (the folder of the file a symbolic link points
 * to) must exist, be writable and take a name as long as the temporary
 * file's. A writable device or pipe also passes. Return 0, or print one
 * line and return the exit status 1.
 */
int cli_output_check_path(const char *path);

/*
 * Return whether paths a and b name the same regular file: the same file
 * when both exist, or the same name in the same folder when neither does.
 */
int cli_same_file(const char *a, const char *b);

/* Return whether path ends in ".gz", in any case. */
int cli_output_gzip_name(const char *path);

/*
 * Return 0 unless output (which may be NULL) names the same file as input.
 * Then print a usage error for command that calls the output what, such
 * as "output (-o)", and return its exit status.
 */
int cli_output_check_input(const char *command, const char *output,
                           const char *what, const char *input);

/* Check the output of o and its PyMOL script against input, as
 * cli_output_check_input. */
int cli_output_check_inputs(const cli_output *o, const char *command,
                            const char *input);

/* Print what was written at info level. */
void cli_output_report(const cli_output *o, size_t count);

/* Free what o owns. */
void cli_output_free(cli_output *o);

/* Return the name of a cli_format: "pdb", "cif" or "tsv". */
const char *cli_format_name(int format);

#endif
