/*
 * Structure files: a C interface to the gemmi reader for PDB and mmCIF.
 *
 * ff_structure_open reads a whole file, plain or gzip-compressed, and tells
 * the formats apart by content, whatever the file is called: gzip by its
 * magic bytes, mmCIF by a leading data_, loop_ or _tag, PDB otherwise. The
 * open structure is then walked by index: models, the chains of a model,
 * the residues of a chain and the atoms of a residue, all in file order.
 *
 * Chains are the parts gemmi reads: the atoms of one author chain that
 * follow each other in the file. A chain whose waters or ligands come after
 * other chains appears again under the same name. Positions are in
 * Angstrom as written in the file.
 *
 * Every exception of the C++ reader is caught inside the library and
 * returned as an ff_status with gemmi's message and the file name. Strings
 * returned by the accessors belong to the structure and stay valid until
 * ff_structure_free. An open structure may be read from several threads at
 * once; different files may be opened in parallel.
 *
 * The accessors take the structure and indices below the matching counts
 * (ff_structure_model_count and so on). They check neither: NULL or an
 * index out of range is undefined behaviour, not an error.
 */
#ifndef FRAMEFLOW_STRUCTURE_H
#define FRAMEFLOW_STRUCTURE_H

#include <stddef.h>
#include <stdint.h>

#include <frameflow/common.h>
#include <frameflow/error.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ff_structure ff_structure;

typedef enum ff_structure_format {
    FF_STRUCTURE_FORMAT_PDB = 0,
    FF_STRUCTURE_FORMAT_MMCIF = 1
} ff_structure_format;

typedef struct ff_structure_residue {
    const char *name;    /* residue name, such as "ALA" or "MSE" */
    int32_t seqnum;      /* sequence number, author numbering */
    char icode;          /* insertion code, ' ' when there is none */
    int amino_acid;      /* 1 when the residue is an amino acid (see below) */
    size_t atom_count;
} ff_structure_residue;

typedef struct ff_structure_atom {
    const char *name;    /* atom name, such as "CA" */
    char altloc;         /* alternative location ID, '\0' when none */
    double occupancy;    /* 1 when the file gives none */
    double pos[3];       /* Angstrom, finite (see ff_structure_open) */
} ff_structure_atom;

/*
 * Read the structure file at path. Return an open structure that the caller
 * frees with ff_structure_free, or NULL with err filled: FF_STATUS_ERR_IO
 * (missing, unreadable, a folder), FF_STATUS_ERR_FORMAT (empty, binary,
 * truncated gzip, a parse error of gemmi, no atoms, or an atom record that
 * gemmi would read wrongly), FF_STATUS_ERR_NOMEM. The message starts with
 * path, and with "path:line:" where a line of the file is at fault.
 *
 * The atom records are checked before gemmi reads them. A PDB file is
 * rejected when an ATOM or HETATM record before END contains a tab, is too
 * short for its coordinates or longer than 120 characters, has a
 * coordinate or occupancy that is not a plain decimal number (NaN,
 * infinities and exponents included), or gives an atom a second time
 * (same name, altloc, residue, chain and segment in one model). An mmCIF
 * file is rejected when _atom_site lacks a column gemmi needs, has no rows,
 * has a coordinate or occupancy that is not a finite number, or gives an
 * atom a second time. Records after END and carriage returns before line
 * breaks are ignored.
 */
FF_API ff_structure *ff_structure_open(const char *path, ff_error *err);

/* Free an open structure; NULL is allowed. */
FF_API void ff_structure_free(ff_structure *structure);

/* Return the format found: an ff_structure_format. */
FF_API int ff_structure_get_format(const ff_structure *structure);

/* Return 1 when the file was gzip-compressed, 0 when it was plain text. */
FF_API int ff_structure_is_compressed(const ff_structure *structure);

/* The classification (PDB HEADER, mmCIF _struct_keywords.pdbx_keywords)
 * of the pseudo-backbones that frameflow writes. */
#define FF_STRUCTURE_PSEUDO_BACKBONE "FRAMEFLOW PSEUDO-BACKBONE"

/*
 * Return 1 when the file is a pseudo-backbone written by frameflow, by its
 * classification FF_STRUCTURE_PSEUDO_BACKBONE, and 0 otherwise. Its
 * residues are independent frames, one each, even where one residue's C
 * happens to lie near the next one's N.
 */
FF_API int ff_structure_is_pseudo_backbone(const ff_structure *structure);

/* Return the number of models; at least 1 for an open structure. */
FF_API size_t ff_structure_model_count(const ff_structure *structure);

/*
 * Return the number of model index (0-based) as the file gives it (MODEL
 * record or pdbx_PDB_model_num; 1 when the file has none), or index + 1
 * when that is not an integer.
 */
FF_API int32_t ff_structure_model_number(const ff_structure *structure,
                                         size_t model);

/* Return the number of chains of a model. */
FF_API size_t ff_structure_chain_count(const ff_structure *structure,
                                       size_t model);

/* Return a chain's name: the author chain ID, "" for a blank PDB ID. */
FF_API const char *ff_structure_chain_name(const ff_structure *structure,
                                           size_t model, size_t chain);

/* Return the number of residues of a chain. */
FF_API size_t ff_structure_residue_count(const ff_structure *structure,
                                         size_t model, size_t chain);

/*
 * Describe one residue. amino_acid is 1 when gemmi's residue table lists
 * the name as an amino acid (standard or modified, such as MSE, PCA or
 * DSN), or does not list it and the residue has atoms named N, CA and C;
 * and the file does not mark the residue as a ligand or water (residues
 * after a chain's TER record in PDB, non-polymer entities in mmCIF). It is
 * 0 otherwise: nucleotides, waters, ligands. Indices must be in range.
 */
FF_API void ff_structure_get_residue(ff_structure_residue *out,
                                     const ff_structure *structure,
                                     size_t model, size_t chain,
                                     size_t residue);

/* Describe one atom of a residue. Indices must be in range. */
FF_API void ff_structure_get_atom(ff_structure_atom *out,
                                  const ff_structure *structure, size_t model,
                                  size_t chain, size_t residue, size_t atom);

/* Return the version of gemmi that frameflow was built with, e.g. "0.5.7".
 * The string is static; the call is safe from any thread. */
FF_API const char *ff_structure_gemmi_version(void);

#ifdef __cplusplus
}
#endif

#endif
