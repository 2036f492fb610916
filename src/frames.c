/*
 * Residue frames from a structure: selection, altlocs, microheterogeneity,
 * Gram-Schmidt frames, breaks and interpolation (see frameflow/frames.h).
 */
#include "frameflow/frames.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frameflow/so3.h"
#include "errors.h"

/* Shortest |CA - N| and shortest part of C - CA orthogonal to CA - N, in
 * Angstrom, that give a frame; below them the atoms coincide or are
 * collinear and the directions are noise. */
#define MIN_BACKBONE_LENGTH 1e-6

enum residue_status {
    RESIDUE_FRAME = 0,     /* has a frame */
    RESIDUE_SKIPPED = 1,   /* lacks N, CA or C */
    RESIDUE_REJECTED = 2   /* has N, CA and C but gives no frame */
};

/* One amino-acid residue of a chain, with its backbone and frame. */
typedef struct residue_entry {
    size_t part;          /* chain part (gemmi chain) index in the model */
    size_t index;         /* residue index in that part */
    int32_t seqnum;
    char icode;
    const char *name;     /* owned by the structure */
    double occupancy;     /* highest occupancy of its atoms */
    int status;           /* an enum residue_status */
    double n[3];
    double ca[3];
    double c[3];
    ff_pose pose;         /* valid when status is RESIDUE_FRAME */
} residue_entry;

/* A distinct chain name of the model and whether it contains amino
 * acids. */
typedef struct chain_name {
    const char *name;     /* owned by the structure */
    int amino_acids;
    int selected;
} chain_name;

/* Everything one call of ff_frames_build works with. */
typedef struct build_context {
    const ff_structure *st;
    const char *source;
    const ff_frames_options *opt;
    size_t model;         /* model index */
    int32_t model_number;
    chain_name *names;
    size_t name_count;
    residue_entry *residues;  /* scratch for one chain */
    size_t residue_capacity;
    int pseudo_backbone;  /* a file frameflow wrote: no residue is linked */
} build_context;

void
ff_frames_options_init(ff_frames_options *options)
{
    memset(options, 0, sizeof *options);
    options->model = 0;
    options->altloc = FF_ALTLOC_OCCUPANCY;
    options->interpolate = FF_FRAMES_INTERPOLATE_DEFAULT;
}

void
ff_frames_summary_free(ff_frames_summary *summary)
{
    if (summary == NULL) {
        return;
    }
    for (size_t i = 0; i < summary->chain_count; i++) {
        free(summary->chains[i].chain);
    }
    free(summary->chains);
    summary->chains = NULL;
    summary->chain_count = 0;
}

/* ------------------------------------------------------------------ */
/* Residue ranges                                                      */

/* Order of residue IDs: by number, then no insertion code before any. */
static int
compare_residue_id(int32_t seqnum_a, char icode_a, int32_t seqnum_b,
                   char icode_b)
{
    if (seqnum_a != seqnum_b) {
        return seqnum_a < seqnum_b ? -1 : 1;
    }
    int a = icode_a == ' ' ? 0 : (unsigned char)icode_a;
    int b = icode_b == ' ' ? 0 : (unsigned char)icode_b;
    return (a > b) - (a < b);
}

/* Parse "[-]DIGITS[LETTER]" at text; return the end, or NULL. */
static const char *
parse_residue_id(const char *text, int32_t *seqnum, char *icode)
{
    const char *p = text;

    if (*p == '-') {
        p++;
    }
    if (!isdigit((unsigned char)*p)) {
        return NULL;
    }
    char *end = NULL;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno != 0 || v < INT32_MIN || v > INT32_MAX) {
        return NULL;
    }
    *seqnum = (int32_t)v;
    *icode = ' ';
    if (isalpha((unsigned char)*end)) {
        *icode = *end;
        end++;
    }
    return end;
}

int
ff_frames_range_parse(ff_frames_range *out, const char *text, ff_error *err)
{
    ff_frames_range r;
    const char *colon = strrchr(text, ':');

    memset(&r, 0, sizeof r);
    if (colon == NULL) {
        return ff_error_set(err, FF_STATUS_ERR_INVALID,
                            "invalid residue range '%s': expected "
                            "CHAIN:FIRST-LAST, such as H:1-101 or H:52A-82C",
                            text);
    }
    size_t chain_len = (size_t)(colon - text);
    if (chain_len > FF_CHAIN_NAME_MAX) {
        return ff_error_set(err, FF_STATUS_ERR_INVALID,
                            "invalid residue range '%s': chain name longer "
                            "than %d characters", text, FF_CHAIN_NAME_MAX);
    }
    memcpy(r.chain, text, chain_len);
    r.chain[chain_len] = '\0';

    const char *p = parse_residue_id(colon + 1, &r.first_seqnum,
                                     &r.first_icode);
    if (p != NULL && *p == '-') {
        p = parse_residue_id(p + 1, &r.last_seqnum, &r.last_icode);
    } else {
        p = NULL;
    }
    if (p == NULL || *p != '\0') {
        return ff_error_set(err, FF_STATUS_ERR_INVALID,
                            "invalid residue range '%s': expected "
                            "CHAIN:FIRST-LAST, such as H:1-101 or H:52A-82C",
                            text);
    }
    if (compare_residue_id(r.first_seqnum, r.first_icode, r.last_seqnum,
                           r.last_icode) > 0) {
        return ff_error_set(err, FF_STATUS_ERR_INVALID,
                            "invalid residue range '%s': the first residue "
                            "comes after the last", text);
    }
    *out = r;
    return 0;
}

/* Return whether chain has at least one range in the options. */
static int
chain_has_range(const ff_frames_options *opt, const char *chain)
{
    for (size_t i = 0; i < opt->range_count; i++) {
        if (strcmp(opt->ranges[i].chain, chain) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Return whether a residue of chain lies in one of the chain's ranges. */
static int
in_ranges(const ff_frames_options *opt, const char *chain, int32_t seqnum,
          char icode)
{
    for (size_t i = 0; i < opt->range_count; i++) {
        const ff_frames_range *r = &opt->ranges[i];
        if (strcmp(r->chain, chain) == 0
            && compare_residue_id(seqnum, icode, r->first_seqnum,
                                  r->first_icode) >= 0
            && compare_residue_id(seqnum, icode, r->last_seqnum,
                                  r->last_icode) <= 0) {
            return 1;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Frames                                                              */

/*
 * Compute the frame of a residue from its N, CA and C positions. Return
 * RESIDUE_FRAME with out filled, or RESIDUE_REJECTED. Every test comes
 * before the division it guards and is written so that a NaN fails it.
 */
static int
frame_from_backbone(ff_pose *out, const double n[3], const double ca[3],
                    const double c[3])
{
    const double *atoms[3] = {n, ca, c};

    for (int a = 0; a < 3; a++) {
        for (int k = 0; k < 3; k++) {
            if (!(fabs(atoms[a][k]) <= FF_FRAMES_COORD_MAX)) {
                return RESIDUE_REJECTED;
            }
        }
    }

    double e0[3];
    double b[3];
    for (int k = 0; k < 3; k++) {
        e0[k] = ca[k] - n[k];
        b[k] = c[k] - ca[k];
    }
    double len0 = sqrt(e0[0] * e0[0] + e0[1] * e0[1] + e0[2] * e0[2]);
    if (!(len0 >= MIN_BACKBONE_LENGTH)) {
        return RESIDUE_REJECTED;
    }
    for (int k = 0; k < 3; k++) {
        e0[k] /= len0;
    }

    // e1: the part of C - CA orthogonal to e0.
    double dot = b[0] * e0[0] + b[1] * e0[1] + b[2] * e0[2];
    double e1[3];
    for (int k = 0; k < 3; k++) {
        e1[k] = b[k] - dot * e0[k];
    }
    double len1 = sqrt(e1[0] * e1[0] + e1[1] * e1[1] + e1[2] * e1[2]);
    if (!(len1 >= MIN_BACKBONE_LENGTH)) {
        return RESIDUE_REJECTED;
    }
    for (int k = 0; k < 3; k++) {
        e1[k] /= len1;
    }
    // When that part is small beside |C - CA|, rounding leaves e1 off
    // orthogonal to e0 by about 1e-16 |C - CA| / len1, up to 4e-5 within
    // the limits above, more than a frames file accepts. A second
    // projection, Gram-Schmidt applied twice, brings it to rounding level.
    dot = e1[0] * e0[0] + e1[1] * e0[1] + e1[2] * e0[2];
    for (int k = 0; k < 3; k++) {
        e1[k] -= dot * e0[k];
    }
    len1 = sqrt(e1[0] * e1[0] + e1[1] * e1[1] + e1[2] * e1[2]);
    for (int k = 0; k < 3; k++) {
        e1[k] /= len1;
    }
    double e2[3] = {e0[1] * e1[2] - e0[2] * e1[1],
                    e0[2] * e1[0] - e0[0] * e1[2],
                    e0[0] * e1[1] - e0[1] * e1[0]};

    // The vectors are the columns of R, stored row-major.
    for (int k = 0; k < 3; k++) {
        out->R[3 * k + 0] = e0[k];
        out->R[3 * k + 1] = e1[k];
        out->R[3 * k + 2] = e2[k];
        out->x[k] = ca[k];
    }
    return RESIDUE_FRAME;
}

/* Find N, CA and C under the altloc policy and set e->status, e->occupancy
 * and, for a complete residue, the positions and the frame. */
static void
read_backbone(residue_entry *e, const build_context *ctx, size_t atom_count)
{
    double *slots[3] = {e->n, e->ca, e->c};
    double best[3] = {0.0, 0.0, 0.0};
    int found[3] = {0, 0, 0};

    e->occupancy = -INFINITY;
    for (size_t a = 0; a < atom_count; a++) {
        ff_structure_atom atom;
        ff_structure_get_atom(&atom, ctx->st, ctx->model, e->part, e->index,
                              a);
        if (atom.occupancy > e->occupancy) {
            e->occupancy = atom.occupancy;
        }
        // N, CA or C, by name.
        const char *name = atom.name;
        int k = -1;
        if (name[0] == 'N' && name[1] == '\0') {
            k = 0;
        } else if (name[0] == 'C' && name[1] == 'A' && name[2] == '\0') {
            k = 1;
        } else if (name[0] == 'C' && name[1] == '\0') {
            k = 2;
        }
        if (k >= 0) {
            // Occupancy policy: a later altloc wins only when strictly
            // higher, so the first in the file is kept on a tie.
            int take = !found[k]
                       || (ctx->opt->altloc == FF_ALTLOC_OCCUPANCY
                           && atom.occupancy > best[k]);
            if (take) {
                memcpy(slots[k], atom.pos, sizeof atom.pos);
                best[k] = atom.occupancy;
                found[k] = 1;
            }
        }
    }
    if (!found[0] || !found[1] || !found[2]) {
        e->status = RESIDUE_SKIPPED;
        return;
    }
    e->status = frame_from_backbone(&e->pose, e->n, e->ca, e->c);
}

/* ------------------------------------------------------------------ */
/* Selection                                                           */

static int
find_model(build_context *ctx, const char *path, ff_error *err)
{
    size_t count = ff_structure_model_count(ctx->st);

    if (ctx->opt->model == 0) {
        ctx->model = 0;
        ctx->model_number = ff_structure_model_number(ctx->st, 0);
        return 0;
    }
    for (size_t m = 0; m < count; m++) {
        if (ff_structure_model_number(ctx->st, m) == ctx->opt->model) {
            ctx->model = m;
            ctx->model_number = ctx->opt->model;
            return 0;
        }
    }
    return ff_error_set(err, FF_STATUS_ERR_EMPTY,
                        "%s: no model %d; the file has %zu model%s, "
                        "numbered %d to %d",
                        path, (int)ctx->opt->model, count,
                        count == 1 ? "" : "s",
                        (int)ff_structure_model_number(ctx->st, 0),
                        (int)ff_structure_model_number(ctx->st, count - 1));
}

/* Collect the distinct chain names of the model in file order. */
static int
collect_chain_names(build_context *ctx, ff_error *err)
{
    size_t parts = ff_structure_chain_count(ctx->st, ctx->model);

    ctx->names = calloc(parts + 1, sizeof *ctx->names);
    if (ctx->names == NULL) {
        return ff_error_set(err, FF_STATUS_ERR_NOMEM, "%s: out of memory",
                            ctx->source);
    }
    for (size_t p = 0; p < parts; p++) {
        const char *name = ff_structure_chain_name(ctx->st, ctx->model, p);
        size_t i = 0;
        while (i < ctx->name_count && strcmp(ctx->names[i].name, name) != 0) {
            i++;
        }
        if (i == ctx->name_count) {
            ctx->names[i].name = name;
            ctx->name_count++;
        }
        size_t residues = ff_structure_residue_count(ctx->st, ctx->model, p);
        for (size_t r = 0; r < residues && !ctx->names[i].amino_acids; r++) {
            ff_structure_residue res;
            ff_structure_get_residue(&res, ctx->st, ctx->model, p, r);
            ctx->names[i].amino_acids = res.amino_acid;
        }
    }
    return 0;
}

static chain_name *
lookup_chain(build_context *ctx, const char *name)
{
    for (size_t i = 0; i < ctx->name_count; i++) {
        if (strcmp(ctx->names[i].name, name) == 0) {
            return &ctx->names[i];
        }
    }
    return NULL;
}

/* Write the model's chain names, comma-separated, into buf. */
static void
list_chains(const build_context *ctx, char *buf, size_t size)
{
    size_t used = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < ctx->name_count && used + 1 < size; i++) {
        int n = snprintf(buf + used, size - used, "%s'%s'", i ? ", " : "",
                         ctx->names[i].name);
        if (n < 0) {
            break;
        }
        used += (size_t)n;
    }
}

/* Mark one chain, named by --chain or a range, as selected. */
static int
select_named_chain(build_context *ctx, const char *name, ff_error *err)
{
    chain_name *entry = lookup_chain(ctx, name);
    char list[256];

    if (entry == NULL) {
        list_chains(ctx, list, sizeof list);
        return ff_error_set(err, FF_STATUS_ERR_EMPTY,
                            "%s: model %d has no chain '%s'; its chains are "
                            "%s",
                            ctx->source, (int)ctx->model_number, name, list);
    }
    if (!entry->amino_acids) {
        return ff_error_set(err, FF_STATUS_ERR_EMPTY,
                            "%s: chain '%s' of model %d has no amino-acid "
                            "residues (only nucleic acids, waters or "
                            "ligands)",
                            ctx->source, name, (int)ctx->model_number);
    }
    entry->selected = 1;
    return 0;
}

/* Mark the chains to read; fail when the selection names nothing. */
static int
select_chains(build_context *ctx, ff_error *err)
{
    const ff_frames_options *opt = ctx->opt;

    if (opt->chain_count > 0) {
        for (size_t i = 0; i < opt->chain_count; i++) {
            int status = select_named_chain(ctx, opt->chains[i], err);
            if (status != 0) {
                return status;
            }
        }
        return 0;
    }
    if (opt->range_count > 0) {
        for (size_t i = 0; i < opt->range_count; i++) {
            int status = select_named_chain(ctx, opt->ranges[i].chain, err);
            if (status != 0) {
                return status;
            }
        }
        return 0;
    }

    int any = 0;
    for (size_t i = 0; i < ctx->name_count; i++) {
        ctx->names[i].selected = ctx->names[i].amino_acids;
        any = any || ctx->names[i].amino_acids;
    }
    if (!any) {
        return ff_error_set(err, FF_STATUS_ERR_EMPTY,
                            "%s: model %d has no amino-acid residues (only "
                            "nucleic acids, waters or ligands); there are no "
                            "frames to build",
                            ctx->source, (int)ctx->model_number);
    }
    return 0;
}

static int
check_options(const ff_frames_options *opt, const char *source,
              ff_error *err)
{
    if (opt->interpolate < 0 || opt->interpolate > FF_FRAMES_INTERPOLATE_MAX) {
        return ff_error_set(err, FF_STATUS_ERR_INVALID,
                            "invalid number of interpolated frames %d; "
                            "expected 0 to %d",
                            opt->interpolate, FF_FRAMES_INTERPOLATE_MAX);
    }
    if (opt->altloc != FF_ALTLOC_OCCUPANCY && opt->altloc != FF_ALTLOC_FIRST) {
        return ff_error_set(err, FF_STATUS_ERR_INVALID,
                            "invalid altloc policy %d", opt->altloc);
    }
    if ((opt->chain_count > 0 && opt->chains == NULL)
        || (opt->range_count > 0 && opt->ranges == NULL)) {
        return ff_error_set(err, FF_STATUS_ERR_INVALID,
                            "chain or range count without a list");
    }
    // A range must name a chain that the chain list selects.
    for (size_t i = 0; i < opt->range_count && opt->chain_count > 0; i++) {
        size_t c = 0;
        while (c < opt->chain_count
               && strcmp(opt->chains[c], opt->ranges[i].chain) != 0) {
            c++;
        }
        if (c == opt->chain_count) {
            return ff_error_set(err, FF_STATUS_ERR_INVALID,
                                "%s: a residue range names chain '%s', which "
                                "is not among the selected chains",
                                source, opt->ranges[i].chain);
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* One chain                                                           */

/* Collect the chain's selected amino-acid residues in file order, with
 * microheterogeneity resolved. Set *count. */
static int
gather_residues(build_context *ctx, const char *chain, size_t *count,
                ff_error *err)
{
    size_t parts = ff_structure_chain_count(ctx->st, ctx->model);
    int ranged = chain_has_range(ctx->opt, chain);
    size_t n = 0;

    for (size_t p = 0; p < parts; p++) {
        if (strcmp(ff_structure_chain_name(ctx->st, ctx->model, p), chain)
            != 0) {
            continue;
        }
        size_t residues = ff_structure_residue_count(ctx->st, ctx->model, p);
        for (size_t r = 0; r < residues; r++) {
            ff_structure_residue res;
            ff_structure_get_residue(&res, ctx->st, ctx->model, p, r);
            if (!res.amino_acid
                || (ranged
                    && !in_ranges(ctx->opt, chain, res.seqnum, res.icode))) {
                continue;
            }
            if (n == ctx->residue_capacity) {
                size_t capacity = n ? 2 * n : 256;
                residue_entry *grown = realloc(ctx->residues,
                                               capacity * sizeof *grown);
                if (grown == NULL) {
                    return ff_error_set(err, FF_STATUS_ERR_NOMEM,
                                        "%s: out of memory", ctx->source);
                }
                ctx->residues = grown;
                ctx->residue_capacity = capacity;
            }
            residue_entry *e = &ctx->residues[n];
            e->part = p;
            e->index = r;
            e->seqnum = res.seqnum;
            e->icode = res.icode;
            e->name = res.name;
            read_backbone(e, ctx, res.atom_count);

            // Microheterogeneity: a residue with the same number and
            // insertion code as the one before it is an alternative of it.
            // The one with the higher occupancy is kept, the first on a tie.
            if (n > 0 && ctx->residues[n - 1].seqnum == e->seqnum
                && ctx->residues[n - 1].icode == e->icode) {
                if (e->occupancy > ctx->residues[n - 1].occupancy) {
                    ctx->residues[n - 1] = *e;
                }
                continue;
            }
            n++;
        }
    }
    *count = n;
    return 0;
}

static double
distance(const double a[3], const double b[3])
{
    double dx = a[0] - b[0];
    double dy = a[1] - b[1];
    double dz = a[2] - b[2];
    return sqrt(dx * dx + dy * dy + dz * dz);
}

/*
 * Add the K frames between linked residues a and b, whose residue frame is
 * set->labels[a_index]: x = (1 - s) x_a + s x_b and R = R_a Exp(s w) with
 * w = Log(R_a^T R_b) and s = j / (K + 1).
 *
 * Rodrigues' formula with the unit axis u = w / |w| and K = [u]x gives
 * R_a Exp(s w) = R_a + sin(s t) R_a K + (1 - cos(s t)) R_a K^2, t = |w|, so
 * after one logarithm each frame costs two scaled matrix sums. The sines and
 * versines (1 - cos) of j t / (K + 1) come from the angle-addition formulas,
 * which add about one rounding error per step, and the versine form keeps
 * small angles accurate. The result agrees with ff_so3_interp to about
 * 1e-15.
 */
static int
add_interpolated(ff_frameset *set, size_t a_index, int k,
                 const residue_entry *a, const residue_entry *b,
                 ff_chain_summary *sum, ff_error *err)
{
    double relative[9];
    double w[3];
    double rk[9] = {0};    // R_a K
    double rk2[9] = {0};   // R_a K^2

    int status = ff_frameset_reserve(set, (size_t)k, err);
    if (status != 0) {
        return status;
    }
    ff_so3_inverse(relative, a->pose.R);
    ff_so3_compose(relative, relative, b->pose.R);
    ff_so3_log(w, relative);
    double angle = sqrt(w[0] * w[0] + w[1] * w[1] + w[2] * w[2]);
    if (angle > 0.0) {
        double u[3] = {w[0] / angle, w[1] / angle, w[2] / angle};
        double cross[9] = {0.0, -u[2], u[1],
                           u[2], 0.0, -u[0],
                           -u[1], u[0], 0.0};
        ff_so3_compose(rk, a->pose.R, cross);
        ff_so3_compose(rk2, rk, cross);
    }

    double step = angle / (double)(k + 1);
    double sin1 = sin(step);
    double half = sin(0.5 * step);
    double vers1 = 2.0 * half * half;
    double sin_j = 0.0;
    double vers_j = 0.0;
    ff_frame_label label = set->labels[a_index];
    label.kind = FF_FRAME_KIND_INTERPOLATED;
    for (int j = 1; j <= k; j++) {
        // sin and 1 - cos of (j - 1) step + step.
        double sin_next = sin_j * (1.0 - vers1) + (1.0 - vers_j) * sin1;
        vers_j = vers_j + vers1 - vers_j * vers1 + sin_j * sin1;
        sin_j = sin_next;

        double s = (double)j / (double)(k + 1);
        ff_pose *pose = &set->poses[set->count];
        for (int e = 0; e < 9; e++) {
            pose->R[e] = a->pose.R[e] + sin_j * rk[e] + vers_j * rk2[e];
        }
        for (int d = 0; d < 3; d++) {
            pose->x[d] = (1.0 - s) * a->pose.x[d] + s * b->pose.x[d];
        }
        label.fraction = s;
        set->labels[set->count] = label;
        set->count++;
    }
    sum->interpolated += (size_t)k;
    return 0;
}

/*
 * Build the frames of one chain into set in chain order: each residue's
 * frame, then the frames interpolated towards the next residue when the
 * two are linked. Fill the chain's summary.
 */
static int
build_chain(ff_frameset *set, build_context *ctx, const char *chain,
            ff_chain_summary *sum, ff_error *err)
{
    size_t n = 0;
    int status = gather_residues(ctx, chain, &n, err);
    if (status != 0) {
        return status;
    }
    if (n == 0) {
        return ff_error_set(err, FF_STATUS_ERR_EMPTY,
                            "%s: no amino-acid residue of chain '%s' in model "
                            "%d lies in the residue ranges given",
                            ctx->source, chain, (int)ctx->model_number);
    }

    sum->residues = n;
    // At most every residue and K frames after each, reserved in one
    // allocation for the chain.
    size_t max_frames = n * ((size_t)ctx->opt->interpolate + 1);
    status = ff_frameset_reserve(set, max_frames, err);
    if (status != 0) {
        return status;
    }
    size_t a_index = 0;
    for (size_t i = 0; i < n; i++) {
        const residue_entry *a = &ctx->residues[i];
        if (a->status == RESIDUE_SKIPPED) {
            sum->skipped++;
        } else if (a->status == RESIDUE_REJECTED) {
            if (sum->rejected++ == 0) {
                sum->first_rejected_seqnum = a->seqnum;
                sum->first_rejected_icode = a->icode;
            }
        } else {
            a_index = set->count;
            status = ff_frameset_add(set, &a->pose, ctx->source, chain,
                                     ctx->model_number, a->seqnum, a->icode,
                                     a->name, FF_FRAME_KIND_RESIDUE, 0.0,
                                     err);
            if (status != 0) {
                return status;
            }
            sum->frames++;
        }
        if (i + 1 == n) {
            break;
        }

        // A break is counted only between two complete residues, as
        // datasets/EXPECTED.tsv defines it. A skipped or rejected residue
        // ends a segment without being counted. A NaN distance is no break
        // here, because its residue is rejected anyway.
        const residue_entry *b = &ctx->residues[i + 1];
        if (a->status == RESIDUE_SKIPPED || b->status == RESIDUE_SKIPPED) {
            continue;
        }
        double gap = distance(a->c, b->n);
        int linked = gap <= FF_FRAMES_LINK_MAX && !ctx->pseudo_backbone;
        if (!linked && !isnan(gap)) {
            sum->breaks++;
        }
        if (a->status == RESIDUE_FRAME && b->status == RESIDUE_FRAME
            && linked) {
            status = add_interpolated(set, a_index, ctx->opt->interpolate,
                                      a, b, sum, err);
            if (status != 0) {
                return status;
            }
        }
    }
    return 0;
}

/* Append a summary entry for chain; return it, or NULL when out of memory. */
static ff_chain_summary *
add_summary(ff_frames_summary *summary, const char *chain, int32_t model)
{
    ff_chain_summary *grown = realloc(summary->chains,
                                      (summary->chain_count + 1)
                                      * sizeof *grown);
    if (grown == NULL) {
        return NULL;
    }
    summary->chains = grown;
    ff_chain_summary *sum = &grown[summary->chain_count];
    memset(sum, 0, sizeof *sum);
    sum->chain = strdup(chain);
    if (sum->chain == NULL) {
        return NULL;
    }
    sum->model = model;
    summary->chain_count++;
    return sum;
}

int
ff_frames_build(ff_frameset *set, ff_frames_summary *summary,
                const ff_structure *structure, const char *source,
                const ff_frames_options *options, ff_error *err)
{
    build_context ctx;
    ff_frames_summary local = {0, NULL, ff_structure_get_format(structure),
                               ff_structure_is_compressed(structure)};
    size_t start = set->count;

    memset(&ctx, 0, sizeof ctx);
    ctx.st = structure;
    ctx.source = source;
    ctx.pseudo_backbone = ff_structure_is_pseudo_backbone(structure);
    ctx.opt = options;

    int status = check_options(options, source, err);
    if (status == 0) {
        status = find_model(&ctx, source, err);
    }
    if (status == 0) {
        status = collect_chain_names(&ctx, err);
    }
    if (status == 0) {
        status = select_chains(&ctx, err);
    }
    for (size_t i = 0; status == 0 && i < ctx.name_count; i++) {
        if (!ctx.names[i].selected) {
            continue;
        }
        ff_chain_summary *sum = add_summary(&local, ctx.names[i].name,
                                            ctx.model_number);
        if (sum == NULL) {
            status = ff_error_set(err, FF_STATUS_ERR_NOMEM,
                                  "%s: out of memory", source);
            break;
        }
        status = build_chain(set, &ctx, ctx.names[i].name, sum, err);
    }

    free(ctx.names);
    free(ctx.residues);
    if (status != 0) {
        // Frames added before the failure are dropped; names they brought
        // into the set's tables stay, unused.
        set->count = start;
        ff_frames_summary_free(&local);
        return status;
    }
    if (summary != NULL) {
        ff_frames_summary_free(summary);
        *summary = local;
    } else {
        ff_frames_summary_free(&local);
    }
    return 0;
}

int
ff_frames_build_file(ff_frameset *set, ff_frames_summary *summary,
                     const char *path, const ff_frames_options *options,
                     ff_error *err)
{
    ff_error local;
    if (err == NULL) {
        err = &local;
    }
    ff_structure *structure = ff_structure_open(path, err);
    if (structure == NULL) {
        return err->code;
    }
    int status = ff_frames_build(set, summary, structure, path, options, err);
    ff_structure_free(structure);
    return status;
}
