/*
 * Frames written as a pseudo-backbone: PDB and mmCIF files with one glycine
 * residue per frame, and a PyMOL script that draws each frame's axes.
 *
 * Each frame (R, x) becomes the atoms N, CA and C at their positions in an
 * ideal backbone, mapped to the world as R a + x:
 *
 *     N = (-1.4606, 0, 0)    CA = (0, 0, 0)    C = (0.5485, 1.4240, 0)
 *
 * (N-CA 1.4606 A, CA-C 1.5260 A, N-CA-C 111.07 degrees). Building the frame
 * of such a residue (e0 along CA - N, e1 the part of C - CA orthogonal to
 * e0) gives back R and x, to the precision of the written coordinates.
 * Poses and coordinates are in Angstrom.
 *
 * A PDB file numbers residues 1 to 9999 in chain A, then continues in chain
 * B and so on (A-Z, a-z, 0-9), with a TER record after each chain, unless
 * the caller names each frame's residue (ff_backbone_info.residues). Atom
 * serial numbers stop at 99999, so a PDB file holds at most
 * ff_backbone_pdb_capacity() frames; mmCIF has no such limit. Coordinates
 * are written with three decimals, and a PDB file rejects coordinates
 * outside -999.999 .. 9999.999, which its 8 columns cannot hold.
 *
 * Every writer goes through a temporary file that is renamed into place
 * only when complete, and gzips when the name ends in ".gz". The functions
 * keep no state and are safe from any thread.
 */
#ifndef FRAMEFLOW_BACKBONE_H
#define FRAMEFLOW_BACKBONE_H

#include <stddef.h>
#include <stdint.h>

#include <frameflow/common.h>
#include <frameflow/error.h>
#include <frameflow/se3.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Ideal atom positions in the frame, Angstrom. */
#define FF_BACKBONE_N_X (-1.4606)
#define FF_BACKBONE_C_X 0.5485
#define FF_BACKBONE_C_Y 1.4240

/* The residue that a frame stands for, when it stands for one. */
typedef struct ff_backbone_residue {
    const char *chain;   /* chain name */
    int32_t seqnum;      /* residue number */
    char icode;          /* insertion code, ' ' for none */
    const char *name;    /* residue name, such as "ALA" */
} ff_backbone_residue;

/* Provenance written at the top of a file, and the residue names. */
typedef struct ff_backbone_info {
    const char *title;            /* one line, e.g. "frameflow samples";
                                     NULL for a default */
    const char *const *remarks;   /* remark_count lines, each without a
                                     newline (model file, sampler, seed) */
    size_t remark_count;
    const ff_backbone_residue *residues;  /* one per frame, which
                                     ff_backbone_residues_fit accepts for
                                     the format; NULL writes GLY residues
                                     numbered in order */
} ff_backbone_info;

/*
 * Return 1 when the n residues can name the frames of a PDB file (pdb
 * non-zero) or an mmCIF file, and 0 otherwise with the reason written to
 * why (why_size bytes). Every residue must be distinct (chain, number and
 * insertion code) and names must be plain: letters, digits, '_' and '-'.
 * PDB also needs chain names of at most one character, numbers from -999
 * to 9999, residue names of at most three characters and room in the atom
 * serial numbers for a TER record after each run of one chain.
 */
FF_API int ff_backbone_residues_fit(const ff_backbone_residue *residues,
                                    size_t n, int pdb, char *why,
                                    size_t why_size);

/*
 * Compute the world positions of the atoms of one frame: atoms[0..2] N,
 * atoms[3..5] CA, atoms[6..8] C, Angstrom.
 */
FF_API void ff_backbone_atoms(double atoms[9], const ff_pose *pose);

/* Return the largest number of frames a PDB file can hold (33331). */
FF_API size_t ff_backbone_pdb_capacity(void);

/*
 * Write n frames as a PDB file at path: HEADER, REMARK 99 lines from info
 * (wrapped at 80 columns), ATOM records, TER after each chain, END.
 * Return 0, or a negative status with err filled: FF_STATUS_ERR_EMPTY when
 * n is 0, FF_STATUS_ERR_INVALID when n is above ff_backbone_pdb_capacity()
 * (the message suggests mmCIF or a frames file) or info's residues do not
 * fit (ff_backbone_residues_fit), FF_STATUS_ERR_NUMERIC
 * when a coordinate is not finite or does not fit the PDB columns,
 * FF_STATUS_ERR_IO, FF_STATUS_ERR_NOMEM. Nothing is left at path on
 * failure.
 */
FF_API FF_WARN_UNUSED int ff_backbone_write_pdb(const char *path,
                                                const ff_pose *poses,
                                                size_t n,
                                                const ff_backbone_info *info,
                                                ff_error *err);

/*
 * Write n frames as an mmCIF file at path: a data block with the title,
 * info's remarks as comment lines and one _atom_site loop, all residues in
 * chain A numbered from 1 unless info names them. Return values as
 * ff_backbone_write_pdb, without the size limits.
 */
FF_API FF_WARN_UNUSED int ff_backbone_write_cif(const char *path,
                                                const ff_pose *poses,
                                                size_t n,
                                                const ff_backbone_info *info,
                                                ff_error *err);

/*
 * Write a PyMOL script at path that loads the structure file and draws
 * every frame as an axis triad of CGO cylinders from x along the columns
 * of R: first red, second green, third blue, axis_length Angstrom long.
 *
 * structure is the structure's path as the script should look for it:
 * relative to the script's folder (the script resolves it from its own
 * location when PyMOL reports one, and from the working folder otherwise)
 * or absolute. object is the PyMOL object name; characters other than
 * letters, digits and '_' become '_'. Return 0, or FF_STATUS_ERR_EMPTY (n
 * is 0), FF_STATUS_ERR_INVALID (axis_length not above 0),
 * FF_STATUS_ERR_NUMERIC, FF_STATUS_ERR_IO or FF_STATUS_ERR_NOMEM with err
 * filled. Nothing is left at path on failure.
 */
FF_API FF_WARN_UNUSED int ff_backbone_write_pymol(const char *path,
                                                  const char *structure,
                                                  const char *object,
                                                  const ff_pose *poses,
                                                  size_t n,
                                                  double axis_length,
                                                  ff_error *err);

#ifdef __cplusplus
}
#endif

#endif
