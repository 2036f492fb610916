#include "frameflow/backbone.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frameflow/so3.h"
#include "frameflow/structure.h"
#include "frameflow/version.h"
#include "errors.h"
#include "outfile.h"

/* PDB limits: residue numbers have 4 columns, atom serials 5, chain IDs
 * one character. */
#define PDB_MAX_RESSEQ 9999
#define PDB_MAX_SERIAL 99999

/* Chain IDs in the order they are used. */
static const char pdb_chain_ids[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

static const char *const atom_names[3] = {" N  ", " CA ", " C  "};
static const char atom_elements[3] = {'N', 'C', 'C'};

void
ff_backbone_atoms(double atoms[9], const ff_pose *pose)
{
    const double ideal[3][3] = {
        {FF_BACKBONE_N_X, 0.0, 0.0},
        {0.0, 0.0, 0.0},
        {FF_BACKBONE_C_X, FF_BACKBONE_C_Y, 0.0},
    };

    for (int a = 0; a < 3; a++) {
        ff_se3_act(&atoms[3 * a], pose, ideal[a]);
    }
}

/* Serial numbers that n frames take: three atoms each and a TER record
 * per chain of up to 9999 residues. */
static size_t
pdb_serials_needed(size_t n)
{
    return 3 * n + (n + PDB_MAX_RESSEQ - 1) / PDB_MAX_RESSEQ;
}

/* Return whether text is 1 to max characters of letters, digits, '_' and
 * '-' (max 0 for no limit). */
static int
plain_name(const char *text, size_t max)
{
    size_t n = 0;

    for (const char *p = text; *p != '\0'; p++, n++) {
        char c = *p;
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9') || c == '_' || c == '-')) {
            return 0;
        }
    }
    return n > 0 && (max == 0 || n <= max);
}

static int
compare_residues(const void *a, const void *b)
{
    const ff_backbone_residue *x = *(const ff_backbone_residue *const *)a;
    const ff_backbone_residue *y = *(const ff_backbone_residue *const *)b;
    int c = strcmp(x->chain, y->chain);

    if (c != 0) {
        return c;
    }
    if (x->seqnum != y->seqnum) {
        return x->seqnum < y->seqnum ? -1 : 1;
    }
    return (x->icode > y->icode) - (x->icode < y->icode);
}

/* Return the number of runs of one chain in the n residues. */
static size_t
chain_runs(const ff_backbone_residue *residues, size_t n)
{
    size_t runs = 0;

    for (size_t j = 0; j < n; j++) {
        runs += j == 0 || strcmp(residues[j].chain, residues[j - 1].chain) != 0;
    }
    return runs;
}

int
ff_backbone_residues_fit(const ff_backbone_residue *residues, size_t n,
                         int pdb, char *why, size_t why_size)
{
    for (size_t j = 0; j < n; j++) {
        const ff_backbone_residue *r = &residues[j];
        char icode = r->icode;
        if (!plain_name(r->chain, pdb ? 1 : 0)) {
            snprintf(why, why_size, "chain name '%s' of frame %zu %s",
                     r->chain, j + 1,
                     pdb ? "is not one letter or digit" : "is not plain");
            return 0;
        }
        if (!plain_name(r->name, pdb ? 3 : 0)) {
            snprintf(why, why_size, "residue name '%s' of frame %zu %s",
                     r->name, j + 1,
                     pdb ? "is not 1 to 3 letters or digits"
                         : "is not plain");
            return 0;
        }
        if (icode != ' ' && !((icode >= 'A' && icode <= 'Z')
                              || (icode >= 'a' && icode <= 'z'))) {
            snprintf(why, why_size, "frame %zu has an insertion code that "
                     "is not a letter", j + 1);
            return 0;
        }
        if (pdb && (r->seqnum < -999 || r->seqnum > PDB_MAX_RESSEQ)) {
            snprintf(why, why_size, "residue number %d of frame %zu does "
                     "not fit the 4 columns of PDB", (int)r->seqnum, j + 1);
            return 0;
        }
    }
    size_t runs = pdb ? chain_runs(residues, n) : 0;
    if (pdb && 3 * n + runs > PDB_MAX_SERIAL) {
        snprintf(why, why_size, "%zu frames in %zu chain runs need more "
                 "atom serial numbers than PDB has", n, runs);
        return 0;
    }

    const ff_backbone_residue **sorted = malloc((n > 0 ? n : 1)
                                                * sizeof *sorted);
    if (sorted == NULL) {
        snprintf(why, why_size, "out of memory");
        return 0;
    }
    for (size_t j = 0; j < n; j++) {
        sorted[j] = &residues[j];
    }
    qsort(sorted, n, sizeof *sorted, compare_residues);
    int fits = 1;
    for (size_t j = 1; j < n && fits; j++) {
        if (compare_residues(&sorted[j - 1], &sorted[j]) == 0) {
            char icode[2] = {sorted[j]->icode, '\0'};
            snprintf(why, why_size, "residue %s %d%s stands for more than "
                     "one frame", sorted[j]->chain, (int)sorted[j]->seqnum,
                     icode[0] == ' ' ? "" : icode);
            fits = 0;
        }
    }
    free(sorted);
    return fits;
}

size_t
ff_backbone_pdb_capacity(void)
{
    size_t n = PDB_MAX_SERIAL / 3;

    while (pdb_serials_needed(n) > PDB_MAX_SERIAL) {
        n--;
    }
    // The chain IDs allow 62 * 9999 residues, so in practice the serial
    // numbers are the limit.
    size_t by_chains = (sizeof pdb_chain_ids - 1) * PDB_MAX_RESSEQ;
    return n < by_chains ? n : by_chains;
}

/* Copy text into buf (size bytes), replacing characters outside printable
 * ASCII by '?', so a file name cannot break a record. */
static void
printable_copy(char *buf, size_t size, const char *text)
{
    size_t i = 0;

    for (; text[i] != '\0' && i + 1 < size; i++) {
        unsigned char c = (unsigned char)text[i];
        buf[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    buf[i] = '\0';
}

static const char *
title_or_default(const ff_backbone_info *info)
{
    if (info != NULL && info->title != NULL) {
        return info->title;
    }
    return "frameflow frames";
}

/*
 * Check that every atom of n frames has finite coordinates, and when
 * pdb_columns is set that each fits "%8.3f". Return 0 or a negative
 * status naming the first offending frame.
 */
static int
check_coordinates(const char *path, const ff_pose *poses, size_t n,
                  int pdb_columns, ff_error *err)
{
    for (size_t j = 0; j < n; j++) {
        double atoms[9];
        ff_backbone_atoms(atoms, &poses[j]);
        for (int k = 0; k < 9; k++) {
            if (!isfinite(atoms[k])) {
                return ff_error_set(err, FF_STATUS_ERR_NUMERIC,
                                    "%s: frame %zu has a non-finite "
                                    "coordinate; nothing was written",
                                    path, j + 1);
            }
            char text[64];
            int len = snprintf(text, sizeof text, "%8.3f", atoms[k]);
            if (pdb_columns && len != 8) {
                return ff_error_set(err, FF_STATUS_ERR_NUMERIC,
                                    "%s: frame %zu has the coordinate %.3f, "
                                    "which does not fit the PDB columns "
                                    "(-999.999 to 9999.999); write mmCIF or "
                                    "a frames file instead",
                                    path, j + 1, atoms[k]);
            }
        }
    }
    return 0;
}

/* Write text as REMARK 99 lines of at most 80 columns, breaking at the
 * last space that fits, or inside a word longer than a line. */
static void
pdb_write_remark(ff_outfile *out, const char *text)
{
    char clean[4096];
    const size_t width = 80 - 11;

    printable_copy(clean, sizeof clean, text);
    const char *rest = clean;
    do {
        size_t len = strlen(rest);
        size_t take = len;
        if (len > width) {
            take = width;
            while (take > 0 && rest[take] != ' ') {
                take--;
            }
            if (take == 0) {
                take = width;
            }
        }
        ff_outfile_printf(out, "REMARK  99 %-*.*s\n", (int)width, (int)take,
                          rest);
        rest += take;
        while (*rest == ' ') {
            rest++;
        }
    } while (*rest != '\0');
}

static void
pdb_write_header(ff_outfile *out, const ff_backbone_info *info, size_t n)
{
    char title[80];

    printable_copy(title, sizeof title, title_or_default(info));
    ff_outfile_printf(out, "HEADER    %-70s\n", FF_STRUCTURE_PSEUDO_BACKBONE);
    ff_outfile_printf(out, "TITLE     %-70.70s\n", title);

    char line[128];
    snprintf(line, sizeof line,
             "written by frameflow %s: %zu frames, one GLY residue each "
             "(N, CA, C at ideal positions in the frame)",
             FF_VERSION_STRING, n);
    pdb_write_remark(out, line);
    for (size_t i = 0; info != NULL && i < info->remark_count; i++) {
        pdb_write_remark(out, info->remarks[i]);
    }
}

/* Write the atoms of n frames, GLY numbered in order, or named by
 * residues when not NULL (checked by ff_backbone_residues_fit). */
static void
pdb_write_atoms(ff_outfile *out, const ff_pose *poses, size_t n,
                const ff_backbone_residue *residues)
{
    size_t serial = 1;

    for (size_t j = 0; j < n; j++) {
        char chain = pdb_chain_ids[j / PDB_MAX_RESSEQ];
        int resseq = (int)(j % PDB_MAX_RESSEQ) + 1;
        char icode = ' ';
        const char *name = "GLY";
        int last = resseq == PDB_MAX_RESSEQ || j + 1 == n;
        if (residues != NULL) {
            chain = residues[j].chain[0];
            resseq = (int)residues[j].seqnum;
            icode = residues[j].icode;
            name = residues[j].name;
            last = j + 1 == n || residues[j + 1].chain[0] != chain;
        }
        double atoms[9];

        ff_backbone_atoms(atoms, &poses[j]);
        for (int a = 0; a < 3; a++) {
            ff_outfile_printf(out,
                              "ATOM  %5zu %4s %3s %c%4d%c   %8.3f%8.3f%8.3f"
                              "  1.00  0.00          %2c  \n",
                              serial++, atom_names[a], name, chain, resseq,
                              icode, atoms[3 * a], atoms[3 * a + 1],
                              atoms[3 * a + 2], atom_elements[a]);
        }
        if (last) {
            ff_outfile_printf(out, "TER   %5zu      %3s %c%4d%c%53s\n",
                              serial++, name, chain, resseq, icode, "");
        }
    }
}

/* Check the residues of info, when it names them, for the format; return
 * 0 or FF_STATUS_ERR_INVALID with err filled. */
static int
check_residues(const char *path, const ff_backbone_info *info, size_t n,
               int pdb, ff_error *err)
{
    char why[256];

    if (info == NULL || info->residues == NULL
        || ff_backbone_residues_fit(info->residues, n, pdb, why, sizeof why)) {
        return 0;
    }
    return ff_error_set(err, FF_STATUS_ERR_INVALID,
                        "%s: the residue names do not fit %s: %s", path,
                        pdb ? "PDB" : "mmCIF", why);
}

int
ff_backbone_write_pdb(const char *path, const ff_pose *poses, size_t n,
                      const ff_backbone_info *info, ff_error *err)
{
    if (n == 0) {
        return ff_error_set(err, FF_STATUS_ERR_EMPTY,
                            "%s: no frames to write", path);
    }
    size_t capacity = ff_backbone_pdb_capacity();
    if (n > capacity) {
        return ff_error_set(err, FF_STATUS_ERR_INVALID,
                            "%s: %zu frames do not fit a PDB file (at most "
                            "%zu, because atom serial numbers end at %d); "
                            "write mmCIF or a frames file instead",
                            path, n, capacity, PDB_MAX_SERIAL);
    }
    int rc = check_coordinates(path, poses, n, 1, err);
    if (rc == 0) {
        rc = check_residues(path, info, n, 1, err);
    }
    if (rc < 0) {
        return rc;
    }

    ff_outfile *out = ff_outfile_open(path, FF_OUTFILE_BY_NAME, err);
    if (out == NULL) {
        return err != NULL ? err->code : FF_STATUS_ERR_IO;
    }
    pdb_write_header(out, info, n);
    pdb_write_atoms(out, poses, n, info != NULL ? info->residues : NULL);
    ff_outfile_printf(out, "%-80s\n", "END");
    return ff_outfile_commit(out, err);
}

/* Write one comment line per remark; '#' lines need no quoting. */
static void
cif_write_comment(ff_outfile *out, const char *text)
{
    char clean[4096];

    printable_copy(clean, sizeof clean, text);
    ff_outfile_printf(out, "# %s\n", clean);
}

static void
cif_write_header(ff_outfile *out, const ff_backbone_info *info, size_t n)
{
    char title[1024];

    printable_copy(title, sizeof title, title_or_default(info));
    ff_outfile_printf(out, "data_frameflow\n");
    ff_outfile_printf(out, "# written by frameflow %s: %zu frames, one GLY "
                      "residue each (N, CA, C at ideal positions in the "
                      "frame)\n", FF_VERSION_STRING, n);
    for (size_t i = 0; info != NULL && i < info->remark_count; i++) {
        cif_write_comment(out, info->remarks[i]);
    }
    ff_outfile_printf(out, "#\n_entry.id frameflow\n#\n");
    // The classification marks the file as frameflow's, so that reading
    // it back links no residues (ff_structure_is_pseudo_backbone).
    ff_outfile_printf(out, "_struct_keywords.entry_id frameflow\n"
                      "_struct_keywords.pdbx_keywords '%s'\n#\n",
                      FF_STRUCTURE_PSEUDO_BACKBONE);
    // A text field (between lines that start with ';') needs no quoting,
    // and printable_copy removed any newline that could end it early.
    ff_outfile_printf(out, "_struct.title\n;%s\n;\n#\n", title);
}

static void
cif_write_atoms(ff_outfile *out, const ff_pose *poses, size_t n,
                const ff_backbone_residue *residues)
{
    static const char *const columns[] = {
        "group_PDB", "id", "type_symbol", "label_atom_id", "label_alt_id",
        "label_comp_id", "label_asym_id", "label_entity_id", "label_seq_id",
        "pdbx_PDB_ins_code", "Cartn_x", "Cartn_y", "Cartn_z", "occupancy",
        "B_iso_or_equiv", "auth_seq_id", "auth_asym_id",
        "pdbx_PDB_model_num",
    };
    static const char *const plain_names[3] = {"N", "CA", "C"};

    ff_outfile_printf(out, "loop_\n");
    for (size_t c = 0; c < sizeof columns / sizeof columns[0]; c++) {
        ff_outfile_printf(out, "_atom_site.%s\n", columns[c]);
    }
    size_t serial = 1;
    for (size_t j = 0; j < n; j++) {
        const char *chain = "A";
        const char *name = "GLY";
        long seqnum = (long)j + 1;
        char icode[2] = {'?', '\0'};
        if (residues != NULL) {
            chain = residues[j].chain;
            name = residues[j].name;
            seqnum = residues[j].seqnum;
            if (residues[j].icode != ' ') {
                icode[0] = residues[j].icode;
            }
        }
        double atoms[9];
        ff_backbone_atoms(atoms, &poses[j]);
        // label_seq_id numbers the frames in order; auth_seq_id and the
        // insertion code carry the residue's own number.
        for (int a = 0; a < 3; a++) {
            ff_outfile_printf(out,
                              "ATOM %zu %c %s . %s %s 1 %zu %s %.3f %.3f "
                              "%.3f 1 0 %ld %s 1\n",
                              serial++, atom_elements[a], plain_names[a],
                              name, chain, j + 1, icode, atoms[3 * a],
                              atoms[3 * a + 1], atoms[3 * a + 2], seqnum,
                              chain);
        }
    }
    ff_outfile_printf(out, "#\n");
}

int
ff_backbone_write_cif(const char *path, const ff_pose *poses, size_t n,
                      const ff_backbone_info *info, ff_error *err)
{
    if (n == 0) {
        return ff_error_set(err, FF_STATUS_ERR_EMPTY,
                            "%s: no frames to write", path);
    }
    int rc = check_coordinates(path, poses, n, 0, err);
    if (rc == 0) {
        rc = check_residues(path, info, n, 0, err);
    }
    if (rc < 0) {
        return rc;
    }

    ff_outfile *out = ff_outfile_open(path, FF_OUTFILE_BY_NAME, err);
    if (out == NULL) {
        return err != NULL ? err->code : FF_STATUS_ERR_IO;
    }
    cif_write_header(out, info, n);
    cif_write_atoms(out, poses, n, info != NULL ? info->residues : NULL);
    return ff_outfile_commit(out, err);
}

/* Write text as a Python string literal in double quotes. */
static void
python_write_string(ff_outfile *out, const char *text)
{
    ff_outfile_printf(out, "\"");
    for (const char *p = text; *p != '\0'; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\') {
            ff_outfile_printf(out, "\\%c", c);
        } else if (c < 0x20 || c == 0x7f) {
            ff_outfile_printf(out, "\\x%02x", c);
        } else {
            ff_outfile_printf(out, "%c", c);
        }
    }
    ff_outfile_printf(out, "\"");
}

/* Write the three axis cylinders of one frame as one script line that
 * extends the CGO list. */
static void
pymol_write_triad(ff_outfile *out, const ff_pose *pose, double length)
{
    static const char *const colours[3] = {"1, 0, 0", "0, 1, 0", "0, 0, 1"};
    // Thicker than the 0.08 A sticks of the atoms, thin enough that the
    // triads of residues 3.8 A apart stay apart.
    const double radius = 0.1 * length;
    const double *x = pose->x;

    ff_outfile_printf(out, "/ff_axes += [");
    for (int c = 0; c < 3; c++) {
        double tip[3];
        for (int k = 0; k < 3; k++) {
            tip[k] = x[k] + length * pose->R[3 * k + c];
        }
        ff_outfile_printf(out,
                          "%sCYLINDER, %.3f, %.3f, %.3f, %.3f, %.3f, %.3f, "
                          "%.3f, %s, %s",
                          c == 0 ? "" : ", ", x[0], x[1], x[2], tip[0],
                          tip[1], tip[2], radius, colours[c], colours[c]);
    }
    ff_outfile_printf(out, "]\n");
}

/* Copy object into buf as a PyMOL object name. */
static void
pymol_object_name(char *buf, size_t size, const char *object)
{
    size_t i = 0;

    for (; object[i] != '\0' && i + 1 < size; i++) {
        char c = object[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
                 || (c >= '0' && c <= '9') || c == '_';
        buf[i] = ok ? c : '_';
    }
    if (i == 0 && size > 1) {
        buf[i++] = '_';
    }
    buf[i] = '\0';
}

/*
 * Write the lines that load the structure. Each starts with '/', PyMOL's
 * mark for one line of Python, which it runs without echoing it. PyMOL
 * keeps the running script's path in cmd._pymol.__script__ (checked with
 * PyMOL 2.5), so the structure is looked for beside the script first.
 */
static void
pymol_write_loader(ff_outfile *out, const char *structure, const char *name)
{
    ff_outfile_printf(out,
        "/import os\n"
        "/from pymol import cmd\n"
        "/from pymol.cgo import CYLINDER\n"
        "/ff_structure = ");
    python_write_string(out, structure);
    ff_outfile_printf(out,
        "\n"
        "/ff_script = getattr(cmd._pymol, \"__script__\", \"\") or \"\"\n"
        "/ff_beside = os.path.join(os.path.dirname(ff_script), "
        "ff_structure)\n"
        "/ff_path = ff_beside if os.path.exists(ff_beside) else "
        "ff_structure\n"
        // PyMOL renames objects that clash with selection keywords ("x"
        // becomes "x_"); get_legal_name gives the name it will use.
        "/ff_name = cmd.get_legal_name(\"%s\")\n"
        "/cmd.load(ff_path, ff_name)\n"
        "/cmd.hide(\"everything\", ff_name)\n"
        "/cmd.show(\"sticks\", ff_name)\n"
        "/cmd.set(\"stick_radius\", 0.08, ff_name)\n"
        "/cmd.color(\"grey70\", ff_name)\n",
        name);
}

int
ff_backbone_write_pymol(const char *path, const char *structure,
                        const char *object, const ff_pose *poses, size_t n,
                        double axis_length, ff_error *err)
{
    if (n == 0) {
        return ff_error_set(err, FF_STATUS_ERR_EMPTY,
                            "%s: no frames to draw", path);
    }
    if (!(isfinite(axis_length) && axis_length > 0.0)) {
        return ff_error_set(err, FF_STATUS_ERR_INVALID,
                            "%s: invalid axis length %g; expected a number "
                            "above 0", path, axis_length);
    }
    int rc = check_coordinates(path, poses, n, 0, err);
    if (rc < 0) {
        return rc;
    }

    char name[256];
    char shown_path[1024];
    pymol_object_name(name, sizeof name, object);
    printable_copy(shown_path, sizeof shown_path, path);
    ff_outfile *out = ff_outfile_open(path, FF_OUTFILE_PLAIN, err);
    if (out == NULL) {
        return err != NULL ? err->code : FF_STATUS_ERR_IO;
    }
    ff_outfile_printf(out,
                      "# PyMOL script written by frameflow %s: loads the "
                      "structure and draws each of\n"
                      "# its %zu frames as axes (x red, y green, z blue, "
                      "%.2f A long). Open it with\n"
                      "# pymol %s\n",
                      FF_VERSION_STRING, n, axis_length, shown_path);
    pymol_write_loader(out, structure, name);
    ff_outfile_printf(out, "/ff_axes = []\n");
    for (size_t j = 0; j < n; j++) {
        pymol_write_triad(out, &poses[j], axis_length);
    }
    ff_outfile_printf(out, "/cmd.load_cgo(ff_axes, ff_name + \"_axes\")\n"
                      "/cmd.zoom(ff_name)\n");
    return ff_outfile_commit(out, err);
}
