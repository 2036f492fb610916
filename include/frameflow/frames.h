/*
 * Frame sets: residue frames with their provenance, and the frames file.
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
 */
#ifndef FRAMEFLOW_FRAMES_H
#define FRAMEFLOW_FRAMES_H

#include <stddef.h>
#include <stdint.h>

#include <frameflow/common.h>
#include <frameflow/error.h>
#include <frameflow/se3.h>

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

typedef struct ff_frameset {
    size_t count;            /* number of frames */
    size_t capacity;         /* allocated entries of poses and labels */
    ff_pose *poses;          /* count poses, Angstrom */
    ff_frame_label *labels;  /* count labels, one per pose */
    char **sources;          /* source_count file names */
    size_t source_count;
    char **chains;           /* chain_count chain names */
    size_t chain_count;
} ff_frameset;

#ifdef __cplusplus
}
#endif

#endif
