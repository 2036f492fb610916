#include "output.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

static const char *const format_names[] = {"pdb", "cif", "tsv"};

const char *
cli_format_name(int format)
{
    if (format < 0 || format > CLI_FORMAT_TSV) {
        return "?";
    }
    return format_names[format];
}

int
cli_output_gzip_name(const char *path)
{
    return cli_ends_with(path, strlen(path), ".gz");
}

/* Guess the format from the output name, in any case, ignoring a final
 * ".gz". */
static int
format_from_name(const char *path)
{
    size_t n = strlen(path);

    if (cli_output_gzip_name(path)) {
        n -= 3;
    }
    if (cli_ends_with(path, n, ".cif") || cli_ends_with(path, n, ".mmcif")) {
        return CLI_FORMAT_CIF;
    }
    if (cli_ends_with(path, n, ".tsv")) {
        return CLI_FORMAT_TSV;
    }
    return CLI_FORMAT_PDB;
}

/* Return path with a final ".gz" and then the extension of its last
 * component (from its last dot) replaced by ext, keeping the folder:
 * "run.1.pdb.gz" gives "run.1" and ext. malloc'd, or NULL. */
static char *
replace_extension(const char *path, const char *ext)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash != NULL ? slash + 1 : path;
    size_t end = strlen(path);
    if (cli_output_gzip_name(path) && end - 3 > (size_t)(base - path)) {
        end -= 3;
    }
    const char *dot = NULL;
    for (const char *c = base; c < path + end; c++) {
        if (*c == '.') {
            dot = c;
        }
    }
    size_t keep = dot != NULL && dot != base ? (size_t)(dot - path) : end;
    char *out = malloc(keep + strlen(ext) + 1);

    if (out != NULL) {
        memcpy(out, path, keep);
        strcpy(out + keep, ext);
    }
    return out;
}

/* Copy the folder part of path ("." when there is none) into buf. */
static void
folder_of(char *buf, size_t size, const char *path)
{
    const char *slash = strrchr(path, '/');

    if (slash == NULL) {
        snprintf(buf, size, ".");
    } else if (slash == path) {
        snprintf(buf, size, "/");
    } else {
        snprintf(buf, size, "%.*s", (int)(slash - path), path);
    }
}

/* Characters that the temporary file's name adds to the output's: a
 * leading dot and ".NNNNNN.tmp" (see src/outfile.c). */
#define TEMPORARY_NAME_EXTRA 12

/* Check that the folder of path exists and can take new files, and that
 * the temporary file written beside path has a name the folder allows. */
static int
check_folder(const char *path)
{
    char folder[PATH_MAX];
    struct stat st;

    folder_of(folder, sizeof folder, path);
    if (stat(folder, &st) == 0 && !S_ISDIR(st.st_mode)) {
        cli_error("%s: cannot write: %s is a file, not a folder; choose "
                  "another output", path, folder);
        return CLI_EXIT_FAILURE;
    }
    if (!cli_is_directory(folder)) {
        cli_error("%s: cannot write: the folder %s does not exist; create it "
                  "or choose another output", path, folder);
        return CLI_EXIT_FAILURE;
    }
    const char *slash = strrchr(path, '/');
    size_t name = strlen(slash != NULL ? slash + 1 : path);
    long name_max = pathconf(folder, _PC_NAME_MAX);
    if (name_max > TEMPORARY_NAME_EXTRA
        && name + TEMPORARY_NAME_EXTRA > (size_t)name_max) {
        cli_error("%s: cannot write: the file name has %zu characters and "
                  "this folder takes at most %ld, of which %d are needed "
                  "for the temporary file; choose a shorter name", path,
                  name, name_max, TEMPORARY_NAME_EXTRA);
        return CLI_EXIT_FAILURE;
    }
    if (access(folder, W_OK | X_OK) != 0) {
        cli_error("%s: cannot write: the folder %s is not writable (%s); "
                  "choose another output", path, folder, strerror(errno));
        return CLI_EXIT_FAILURE;
    }
    return 0;
}

int
cli_output_check_path(const char *path)
{
    struct stat st;

    if (path[0] == '\0') {
        cli_error("the output file name is empty; give a file name");
        return CLI_EXIT_FAILURE;
    }
    if (stat(path, &st) != 0) {
        return check_folder(path);
    }
    if (S_ISDIR(st.st_mode)) {
        cli_error("%s: cannot write: it is a folder; give a file name", path);
        return CLI_EXIT_FAILURE;
    }
    if (!S_ISREG(st.st_mode)) {
        // A device or a pipe is written in place.
        if (access(path, W_OK) != 0) {
            cli_error("%s: cannot write: %s", path, strerror(errno));
            return CLI_EXIT_FAILURE;
        }
        return 0;
    }
    // The file that a symbolic link points to is replaced in its folder.
    char *target = realpath(path, NULL);
    int rc = check_folder(target != NULL ? target : path);
    free(target);
    return rc;
}

int
cli_same_file(const char *a, const char *b)
{
    struct stat sa;
    struct stat sb;
    int a_exists = stat(a, &sa) == 0;
    int b_exists = stat(b, &sb) == 0;

    if (a_exists && b_exists) {
        // Devices such as /dev/null may take several outputs.
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino
               && S_ISREG(sa.st_mode);
    }
    if (a_exists || b_exists) {
        return 0;
    }
    const char *slash_a = strrchr(a, '/');
    const char *slash_b = strrchr(b, '/');
    if (strcmp(slash_a != NULL ? slash_a + 1 : a,
               slash_b != NULL ? slash_b + 1 : b) != 0) {
        return 0;
    }
    char folder_a[PATH_MAX];
    char folder_b[PATH_MAX];
    folder_of(folder_a, sizeof folder_a, a);
    folder_of(folder_b, sizeof folder_b, b);
    return stat(folder_a, &sa) == 0 && stat(folder_b, &sb) == 0
           && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int
cli_output_check_input(const char *command, const char *output,
                       const char *what, const char *input)
{
    if (output == NULL || !cli_same_file(output, input)) {
        return 0;
    }
    return cli_usage_error(command, "%s is an input and would be "
                           "overwritten; give the %s another name", input,
                           what);
}

int
cli_output_check_inputs(const cli_output *o, const char *command,
                        const char *input)
{
    int rc = cli_output_check_input(command, o->path, "output (-o)", input);

    if (rc == 0) {
        rc = cli_output_check_input(command, o->pymol, "PyMOL script",
                                    input);
    }
    return rc;
}

/* Return whether path exists and is neither a regular file nor a folder. */
static int
is_special_file(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && !S_ISREG(st.st_mode)
           && !S_ISDIR(st.st_mode);
}

static int
settle_format(cli_output *o, const char *command, const char *format_text)
{
    if (format_text == NULL) {
        o->format = format_from_name(o->path);
        return 0;
    }
    for (int f = 0; f <= CLI_FORMAT_TSV; f++) {
        if (strcmp(format_text, format_names[f]) == 0) {
            o->format = f;
            return 0;
        }
    }
    return cli_usage_error(command, "--format: invalid value '%s'; expected "
                           "pdb, cif or tsv", format_text);
}

static int
settle_pymol(cli_output *o, const char *command, const char *pymol_text)
{
    o->pymol = NULL;
    if (pymol_text != NULL && strcmp(pymol_text, "none") == 0) {
        return 0;
    }
    // A script named after a device or a pipe, such as /dev/stdout.pml,
    // is not what a user means.
    if (pymol_text == NULL && is_special_file(o->path)) {
        return 0;
    }
    if (o->format == CLI_FORMAT_TSV) {
        if (pymol_text != NULL) {
            return cli_usage_error(command, "--pymol needs a structure to "
                                   "load; write --format pdb or cif");
        }
        return 0;
    }
    o->pymol = pymol_text != NULL ? strdup(pymol_text)
                                  : replace_extension(o->path, ".pml");
    if (o->pymol == NULL) {
        cli_error("out of memory");
        return CLI_EXIT_FAILURE;
    }
    if (strcmp(o->pymol, o->path) == 0) {
        return cli_usage_error(command, "--pymol: the script would replace "
                               "the output %s; choose another name",
                               o->path);
    }
    return 0;
}

int
cli_output_prepare(cli_output *o, const char *command,
                   const char *format_text, const char *pymol_text,
                   size_t count)
{
    int rc = settle_format(o, command, format_text);
    if (rc != 0) {
        return rc;
    }
    rc = settle_pymol(o, command, pymol_text);
    if (rc != 0) {
        return rc;
    }
    if (o->format == CLI_FORMAT_PDB && count > ff_backbone_pdb_capacity()) {
        return cli_usage_error(command, "%zu frames do not fit a PDB file "
                               "(at most %zu, because atom serial numbers "
                               "end at 99999); use --format cif or tsv",
                               count, ff_backbone_pdb_capacity());
    }
    rc = cli_output_check_path(o->path);
    if (rc == 0 && o->pymol != NULL) {
        rc = cli_output_check_path(o->pymol);
    }
    return rc;
}

/*
 * Return the structure's path as the PyMOL script should name it: its file
 * name when both share a folder, its absolute path otherwise. malloc'd.
 */
static char *
structure_reference(const char *script, const char *structure)
{
    char script_folder[PATH_MAX];
    char structure_folder[PATH_MAX];
    const char *slash = strrchr(structure, '/');
    const char *base = slash != NULL ? slash + 1 : structure;

    folder_of(script_folder, sizeof script_folder, script);
    folder_of(structure_folder, sizeof structure_folder, structure);
    if (strcmp(script_folder, structure_folder) == 0) {
        return strdup(base);
    }
    char resolved[PATH_MAX];
    if (realpath(structure_folder, resolved) == NULL) {
        return strdup(structure);
    }
    size_t size = strlen(resolved) + strlen(base) + 2;
    char *out = malloc(size);
    if (out != NULL) {
        snprintf(out, size, "%s/%s", resolved, base);
    }
    return out;
}

/* Derive the PyMOL object name from the structure's file name. */
static void
object_name(char *buf, size_t size, const char *structure)
{
    const char *slash = strrchr(structure, '/');
    const char *base = slash != NULL ? slash + 1 : structure;
    size_t stem = strcspn(base, ".");

    snprintf(buf, size, "%.*s", (int)(stem > 0 ? stem : strlen(base)), base);
}

static int
write_pymol(const cli_output *o, const ff_frameset *set, ff_error *err)
{
    char *reference = structure_reference(o->pymol, o->path);
    char object[256];

    if (reference == NULL) {
        err->code = FF_STATUS_ERR_NOMEM;
        snprintf(err->message, sizeof err->message, "out of memory");
        return FF_STATUS_ERR_NOMEM;
    }
    object_name(object, sizeof object, o->path);
    int rc = ff_backbone_write_pymol(o->pymol, reference, object, set->poses,
                                     set->count, o->axis_length, err);
    free(reference);
    return rc;
}

int
cli_output_write(const cli_output *o, const ff_frameset *set,
                 const ff_backbone_info *info, ff_error *err)
{
    int rc;

    switch (o->format) {
    case CLI_FORMAT_PDB:
        rc = ff_backbone_write_pdb(o->path, set->poses, set->count, info,
                                   err);
        break;
    case CLI_FORMAT_CIF:
        rc = ff_backbone_write_cif(o->path, set->poses, set->count, info,
                                   err);
        break;
    default:
        rc = ff_frameset_write(set, o->path, err);
        break;
    }
    if (rc < 0 || o->pymol == NULL) {
        return rc;
    }
    rc = write_pymol(o, set, err);
    if (rc < 0) {
        // All or nothing: a structure without its script would look like a
        // finished run.
        unlink(o->path);
    }
    return rc;
}

void
cli_output_report(const cli_output *o, size_t count)
{
    cli_log(CLI_LEVEL_INFO, "wrote %zu frame%s to %s (%s)", count,
            cli_plural(count), o->path, cli_format_name(o->format));
    if (o->pymol != NULL) {
        cli_log(CLI_LEVEL_INFO, "wrote %s; open it with: pymol %s", o->pymol,
                o->pymol);
    }
}

void
cli_output_free(cli_output *o)
{
    free(o->pymol);
    o->pymol = NULL;
}
