/*
 * Frame sets: residue frames with their provenance, the builder that makes
 * them from a structure file, and the frames file.
 *
 * A frame is a pose (R, x) in Angstrom (see se3.h): x is the CA position and
 * the columns of R are e0 = normalize(CA - N), e1 = the part of C - CA
 * orthogonal to e0, normalised, and e2 = e0 x e1. Each frame carries a label
 * that says where it came from: the source file, model, chain, residue and
 * whether it is a residue's own frame or one interpolated between two
 * linked residues.
 *
 * An ff_frameset owns all of its memory; ff_frameset_free releases it. A set
 * may be read from several threads at once but changed by one at a time.
 * Different sets may be built in parallel: the builder keeps no state.
 *
 * The frames file
 * ---------------
 * Tab-separated text, gzip-compressed (level 1) when the name ends in ".gz".
 * A compressed file has one gzip member for the header and one for each
 * set written, which gzip, zlib and Python's gzip module read as one
 * stream. The first line is the magic string and format version,
 * "# frameflow frames 1"; the second names the 20 columns; then each line
 * is one frame:
 *
 *   source    the structure file the frame came from, as it was given
 *   model     model number (integer)
 *   chain     author chain name (may be empty for a blank PDB chain ID)
 *   seqnum    residue sequence number (integer, author numbering)
 *   icode     insertion code, "." when the residue has none
 *   resname   residue name, at most FF_RESNAME_MAX characters
 *   kind      "residue", or "interpolated" for a frame between this residue
 *             and the next linked one
 *   fraction  0 for a residue; s in (0, 1) for an interpolated frame
 *   tx ty tz  translation (the CA position), Angstrom
 *   R00 R01 R02 R10 R11 R12 R20 R21 R22   rotation, row-major
 *
 * Numbers are printed with "%.17g", so reading a file back gives the same
 * doubles bit for bit. pandas reads it with
 * read_csv(path, sep="\t", skiprows=1, keep_default_na=False), and awk with
 * -F'\t' 'NR > 2'.
 */
#ifndef FRAMEFLOW_FRAMES_H
#define FRAMEFLOW_FRAMES_H

#include <stddef.h>
#include <stdint.h>

#include <frameflow/common.h>
#include <frameflow/error.h>
#include <frameflow/se3.h>
#include <frameflow/structure.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ff_frame_kind {
    FF_FRAME_KIND_RESIDUE = 0,       /* the frame of one residue */
    FF_FRAME_KIND_INTERPOLATED = 1   /* between a residue and the next */
} ff_frame_kind;

/* Longest residue name kept, in characters (mmCIF allows five). */
#define FF_RESNAME_MAX 7

typedef struct ff_frame_label {
    uint32_t source;   /* index into ff_frameset.sources */
    uint32_t chain;    /* index into ff_frameset.chains */
    int32_t model;     /* model number, 1 for the first model of a file */
    int32_t seqnum;    /* residue sequence number (author numbering) */
    char icode;        /* insertion code, ' ' when there is none */
    char resname[FF_RESNAME_MAX + 1];  /* NUL-terminated */
    uint8_t kind;      /* an ff_frame_kind */
    double fraction;   /* 0 for a residue; s in (0, 1) for a frame
                          interpolated from this residue towards the next */
} ff_frame_label;

/* Private lookup tables of an ff_frameset. */
struct ff_frameset_index;

typedef struct ff_frameset {
    size_t count;            /* number of frames */
    size_t capacity;         /* allocated entries of poses and labels */
    ff_pose *poses;          /* count poses, Angstrom */
    ff_frame_label *labels;  /* count labels, one per pose */
    char **sources;          /* source_count file names */
    size_t source_count;
    char **chains;           /* chain_count distinct chain names */
    size_t chain_count;
    struct ff_frameset_index *index;  /* private: finds a name's entry */
} ff_frameset;

/* ------------------------------------------------------------------ */
/* Frame sets                                                          */

/* Create an empty set. Return it, or NULL with err filled when out of
 * memory. Free it with ff_frameset_free. */
FF_API ff_frameset *ff_frameset_new(ff_error *err);

/* Free a set and everything it owns; NULL is allowed. */
FF_API void ff_frameset_free(ff_frameset *set);

/*
 * Make room for extra more frames, so that the next extra appends do not
 * reallocate. Return 0, or FF_STATUS_ERR_NOMEM with err filled and the set
 * unchanged.
 */
FF_API int ff_frameset_reserve(ff_frameset *set, size_t extra,
                               ff_error *err) FF_WARN_UNUSED;

/*
 * Append one frame with its label. source and chain are copied (each
 * distinct name is stored once); resname is truncated to FF_RESNAME_MAX
 * characters. icode is ' ' for none. kind is an ff_frame_kind; fraction is
 * 0 for a residue and in (0, 1) for an interpolated frame.
 * Return 0, or FF_STATUS_ERR_NOMEM or FF_STATUS_ERR_INVALID (an unknown
 * kind) with err filled; the set is unchanged on failure.
 */
FF_API int ff_frameset_add(ff_frameset *set, const ff_pose *pose,
                           const char *source, const char *chain,
                           int32_t model, int32_t seqnum, char icode,
                           const char *resname, int kind, double fraction,
                           ff_error *err) FF_WARN_UNUSED;

/*
 * Append every frame of src to dst, in order, with its label; source and
 * chain names are merged with those dst already has. src is not changed and
 * must not be dst. Return 0, or FF_STATUS_ERR_NOMEM with err filled; dst is
 * unchanged on failure.
 */
FF_API int ff_frameset_append(ff_frameset *dst, const ff_frameset *src,
                              ff_error *err) FF_WARN_UNUSED;

/* ------------------------------------------------------------------ */
/* Frames from a structure                                             */

/* Default number of frames interpolated between two linked residues: 19
 * divides each gap into 20 equal parts. */
#define FF_FRAMES_INTERPOLATE_DEFAULT 19

/* Largest accepted number of interpolated frames per gap. */
#define FF_FRAMES_INTERPOLATE_MAX 1000

/* Largest C(i) to N(i+1) distance, Angstrom, of two linked residues. */
#define FF_FRAMES_LINK_MAX 2.0

/* Residues with a backbone coordinate beyond this many Angstrom from the
 * origin are rejected: ten times the largest value the PDB format can
 * hold (9999.999), so only corrupt coordinates reach it. */
#define FF_FRAMES_COORD_MAX 1e5

/* Longest chain name in a residue range, in characters. */
#define FF_CHAIN_NAME_MAX 31

/* Which atom to take where an atom has alternative locations (altlocs). */
typedef enum ff_altloc_policy {
    FF_ALTLOC_OCCUPANCY = 0,  /* highest occupancy, first in file on a tie */
    FF_ALTLOC_FIRST = 1       /* first in the file */
} ff_altloc_policy;

/*
 * Residues of one chain from first to last, both included. Residues compare
 * by sequence number, then by insertion code, with no code before 'A'
 * (52 < 52A < 52B < 53), the order Kabat and Chothia numbering use.
 */
typedef struct ff_frames_range {
    char chain[FF_CHAIN_NAME_MAX + 1];
    int32_t first_seqnum;
    char first_icode;   /* ' ' for none */
    int32_t last_seqnum;
    char last_icode;    /* ' ' for none */
} ff_frames_range;

/* What to read from a structure and how to turn it into frames. */
typedef struct ff_frames_options {
    int32_t model;      /* model number as in the file; 0 takes the first */
    const char *const *chains;  /* chain_count chain names to take; NULL
                                   takes every chain with amino acids */
    size_t chain_count;
    const ff_frames_range *ranges;  /* range_count ranges; NULL for none */
    size_t range_count;
    int altloc;         /* an ff_altloc_policy */
    int interpolate;    /* frames added between linked residues, 0 to
                           FF_FRAMES_INTERPOLATE_MAX */
} ff_frames_options;

/* Counts for one chain read by the builder. */
typedef struct ff_chain_summary {
    char *chain;           /* chain name, owned by the summary */
    int32_t model;         /* model number */
    size_t residues;       /* amino-acid residues selected */
    size_t frames;         /* residue frames (interpolated not included) */
    size_t skipped;        /* residues missing N, CA or C */
    size_t rejected;       /* residues with N, CA and C but no frame */
    size_t breaks;         /* neighbours, both complete, with C-N > 2 A */
    size_t interpolated;   /* interpolated frames added */
    int32_t first_rejected_seqnum;  /* first rejected residue, when any */
    char first_rejected_icode;
} ff_chain_summary;

/* Counts for every chain the builder read from one structure. */
typedef struct ff_frames_summary {
    size_t chain_count;
    ff_chain_summary *chains;  /* chain_count entries, in file order */
    int format;                /* an ff_structure_format */
    int compressed;            /* 1 when the file was gzip-compressed */
} ff_frames_summary;

/* Fill options with the defaults: first model, every chain with amino
 * acids, no range, FF_ALTLOC_OCCUPANCY, FF_FRAMES_INTERPOLATE_DEFAULT. */
FF_API void ff_frames_options_init(ff_frames_options *options);

/*
 * Parse a residue range "CHAIN:FIRST-LAST" such as "H:1-101", "H:52A-82C"
 * or "A:-3-10" (numbers may be negative; an insertion code is one letter
 * after the number). Return 0, or FF_STATUS_ERR_INVALID with err filled
 * naming the text and the expected form.
 */
FF_API int ff_frames_range_parse(ff_frames_range *out, const char *text,
                                 ff_error *err) FF_WARN_UNUSED;

/*
 * Build the frames of an open structure and append them to set, labelled
 * with source (usually the path the structure was read from).
 *
 * Takes the model and chains that options select, and of each chain the
 * amino-acid residues in file order, ranges applied. Residues that share a
 * sequence number and insertion code and follow each other are one residue
 * (microheterogeneity): the alternative whose atoms reach the highest
 * occupancy is kept, the first on a tie. Of each backbone atom N, CA and C
 * the altloc chosen by options->altloc is used. A residue missing one of
 * them is skipped; one whose atoms are non-finite, beyond
 * FF_FRAMES_COORD_MAX, or give |CA - N| or the part of C - CA orthogonal
 * to CA - N below 1e-6 A is rejected. Two neighbours with frames are linked
 * when C(i) to N(i+1) is at most FF_FRAMES_LINK_MAX, except in a
 * pseudo-backbone written by frameflow (ff_structure_is_pseudo_backbone),
 * whose residues are independent frames; between linked
 * neighbours options->interpolate frames are added at s = j / (K + 1) with
 * x linear in s and R on the geodesic (ff_so3_interp). A skipped or
 * rejected residue or a longer C-N distance is a break: nothing is
 * interpolated across it.
 *
 * summary (may be NULL) receives the counts per chain; free it with
 * ff_frames_summary_free. A chain with no frame at all is not an error.
 * Return 0, or a negative status with err filled: FF_STATUS_ERR_EMPTY when
 * the model, a chain or a range is not in the structure or the selection
 * holds no amino-acid residue, FF_STATUS_ERR_INVALID for bad options,
 * FF_STATUS_ERR_NOMEM. On failure set and summary are unchanged.
 */
FF_API int ff_frames_build(ff_frameset *set, ff_frames_summary *summary,
                           const ff_structure *structure, const char *source,
                           const ff_frames_options *options, ff_error *err)
    FF_WARN_UNUSED;

/*
 * Read a structure file (see ff_structure_open) and build its frames into
 * set as ff_frames_build does, with path as the source. Return as
 * ff_frames_build, or the error of ff_structure_open.
 */
FF_API int ff_frames_build_file(ff_frameset *set, ff_frames_summary *summary,
                                const char *path,
                                const ff_frames_options *options,
                                ff_error *err) FF_WARN_UNUSED;

/* Free what a summary owns and empty it; NULL is allowed. */
FF_API void ff_frames_summary_free(ff_frames_summary *summary);

/* ------------------------------------------------------------------ */
/* The frames file (format at the top of this header)                  */

/* Magic string and format version on the first line of a frames file. */
#define FF_FRAMESFILE_MAGIC "# frameflow frames"
#define FF_FRAMESFILE_VERSION 1

/*
 * Write set to path, gzip when the name ends in ".gz". The file appears
 * whole or not at all: it is written under a temporary name and renamed on
 * success. Return 0, or a negative status with err filled:
 * FF_STATUS_ERR_IO, FF_STATUS_ERR_NOMEM, FF_STATUS_ERR_INVALID when a
 * source or chain name contains a tab or line break, or FF_STATUS_ERR_NUMERIC
 * when a translation is not finite or lies beyond FF_FRAMES_COORD_MAX,
 * which the reader would reject.
 */
FF_API int ff_frameset_write(const ff_frameset *set, const char *path,
                             ff_error *err) FF_WARN_UNUSED;

/*
 * Read a frames file (plain or gzip, found by content). Return a new set
 * that the caller frees with ff_frameset_free, or NULL with err filled:
 * FF_STATUS_ERR_IO, FF_STATUS_ERR_VERSION for another format version,
 * FF_STATUS_ERR_FORMAT for a malformed row ("FILE:LINE: what is wrong"),
 * FF_STATUS_ERR_NUMERIC for a non-finite number, a translation beyond
 * FF_FRAMES_COORD_MAX or a rotation that is not one (an entry of R^T R - I
 * above 1e-4, or det R < 0), FF_STATUS_ERR_NOMEM. A rotation off by more
 * than 1e-12 (one written with few digits) is projected onto SO(3) with
 * ff_so3_orthonormalize. frameflow's own 17 digits are kept bit for bit.
 * Empty lines and lines that start with '#' after the column names are
 * skipped.
 */
FF_API ff_frameset *ff_frameset_read(const char *path, ff_error *err);

/* Results of ff_frameset_probe for a frames file. */
#define FF_FRAMESFILE_PLAIN 1
#define FF_FRAMESFILE_GZIP 2

/*
 * Return FF_FRAMESFILE_PLAIN or FF_FRAMESFILE_GZIP when path starts like a
 * frames file, that is, its first line begins with FF_FRAMESFILE_MAGIC once
 * gzip is undone. Return 0 when it does not, or a negative status with err
 * filled when it cannot be read (missing, a folder, damaged gzip data) or
 * is a pipe or device, which the probe would consume.
 */
FF_API int ff_frameset_probe(const char *path, ff_error *err) FF_WARN_UNUSED;

/* A frames file being written one set at a time. A handle belongs to one
 * thread at a time; separate handles may write in parallel. */
typedef struct ff_framesfile ff_framesfile;

/* The rows of one set encoded as they appear in a given frames file: text,
 * or one gzip member when the file is gzip-compressed. */
typedef struct ff_framesfile_block ff_framesfile_block;

/* Start writing a frames file at path (see ff_frameset_write). Return a
 * handle, or NULL with err filled. */
FF_API ff_framesfile *ff_framesfile_open(const char *path, ff_error *err);

/* Append every frame of set. Return 0 or a negative status with err
 * filled; after a failure only ff_framesfile_abort remains to call. */
FF_API int ff_framesfile_write(ff_framesfile *file, const ff_frameset *set,
                               ff_error *err) FF_WARN_UNUSED;

/*
 * Encode every frame of set for file without writing it. Safe to call from
 * several threads at once for the same file, which it only reads, so sets
 * can be formatted and compressed in parallel and written in order with
 * ff_framesfile_write_block. Return a block that the caller frees with
 * ff_framesfile_block_free, or NULL with err filled: FF_STATUS_ERR_INVALID
 * (a name the format cannot store) or FF_STATUS_ERR_NOMEM.
 */
FF_API ff_framesfile_block *ff_framesfile_encode(const ff_framesfile *file,
                                                 const ff_frameset *set,
                                                 ff_error *err);

/* Append a block that ff_framesfile_encode made for this file. Return 0 or
 * a negative status with err filled; after a failure only
 * ff_framesfile_abort remains to call. */
FF_API int ff_framesfile_write_block(ff_framesfile *file,
                                     const ff_framesfile_block *block,
                                     ff_error *err) FF_WARN_UNUSED;

/* Free a block; NULL is allowed. */
FF_API void ff_framesfile_block_free(ff_framesfile_block *block);

/* Finish the file and move it into place, then free the handle. Return 0
 * or a negative status with err filled; on failure no file is left. */
FF_API int ff_framesfile_commit(ff_framesfile *file, ff_error *err)
    FF_WARN_UNUSED;

/* Discard the file being written and free the handle; NULL is allowed. */
FF_API void ff_framesfile_abort(ff_framesfile *file);

#ifdef __cplusplus
}
#endif

#endif
