/*
 * Fuzz target: the structure reader and the frame builder. The input is
 * the content of a structure file, PDB or mmCIF, plain or gzip; the reader
 * finds which by content, as it does for a file.
 *
 * An input that opens is walked through every accessor and built into
 * frames twice: with the defaults, and with the last model, the first
 * chain, a residue range over that chain, the first-altloc policy and one
 * interpolated frame per gap. Every frame built must be one that a frames
 * file can store and read back.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "frameflow/frames.h"
#include "frameflow/structure.h"
#include "fuzz.h"
#include "structure_internal.h"

/* Name that the messages give the input in place of a path. */
#define INPUT_NAME "input"

static volatile size_t sink;

/* Read every value the accessors return, so that ASan checks each byte. */
static void
walk(const ff_structure *st)
{
    size_t models = ff_structure_model_count(st);
    size_t total = 0;

    FUZZ_CHECK(models >= 1);
    int format = ff_structure_get_format(st);
    FUZZ_CHECK(format == FF_STRUCTURE_FORMAT_PDB
               || format == FF_STRUCTURE_FORMAT_MMCIF);
    for (size_t m = 0; m < models; m++) {
        total += (size_t)ff_structure_model_number(st, m);
        for (size_t c = 0; c < ff_structure_chain_count(st, m); c++) {
            total += strlen(ff_structure_chain_name(st, m, c));
            for (size_t r = 0; r < ff_structure_residue_count(st, m, c);
                 r++) {
                ff_structure_residue res;
                ff_structure_get_residue(&res, st, m, c, r);
                total += strlen(res.name) + (size_t)res.amino_acid;
                for (size_t a = 0; a < res.atom_count; a++) {
                    ff_structure_atom atom;
                    ff_structure_get_atom(&atom, st, m, c, r, a);
                    total += strlen(atom.name) + (size_t)atom.altloc;
                }
            }
        }
    }
    sink = total;
}

/* Check a set that ff_frames_build filled, and its summary. */
static void
check_frames(const ff_frameset *set, const ff_frames_summary *summary,
             int interpolate)
{
    size_t frames = 0;
    size_t interpolated = 0;

    for (size_t i = 0; i < summary->chain_count; i++) {
        const ff_chain_summary *chain = &summary->chains[i];
        FUZZ_CHECK(chain->frames + chain->skipped + chain->rejected
                   == chain->residues);
        frames += chain->frames;
        interpolated += chain->interpolated;
    }
    FUZZ_CHECK(frames + interpolated == set->count);
    FUZZ_CHECK(interpolated <= frames * (size_t)interpolate);
    for (size_t i = 0; i < set->count; i++) {
        const ff_frame_label *label = &set->labels[i];
        fuzz_check_pose(&set->poses[i]);
        FUZZ_CHECK(label->source < set->source_count);
        FUZZ_CHECK(label->chain < set->chain_count);
        FUZZ_CHECK(strlen(label->resname) <= FF_RESNAME_MAX);
        if (label->kind == FF_FRAME_KIND_RESIDUE) {
            FUZZ_CHECK(label->fraction == 0.0);
        } else {
            FUZZ_CHECK(label->kind == FF_FRAME_KIND_INTERPOLATED);
            FUZZ_CHECK(label->fraction > 0.0 && label->fraction < 1.0);
        }
    }
}

static void
build(const ff_structure *st, const ff_frames_options *options)
{
    ff_error err;
    ff_frames_summary summary;
    memset(&summary, 0, sizeof summary);
    ff_frameset *set = ff_frameset_new(&err);

    FUZZ_CHECK(set != NULL);
    int status = ff_frames_build(set, &summary, st, INPUT_NAME, options,
                                 &err);
    if (status == 0) {
        check_frames(set, &summary, options->interpolate);
    } else {
        fuzz_check_error(status, &err);
        FUZZ_CHECK(set->count == 0);
        FUZZ_CHECK(summary.chain_count == 0);
    }
    ff_frames_summary_free(&summary);
    ff_frameset_free(set);
}

/*
 * Fill range with the residues of chain c of model m from the first to the
 * last in file order, through ff_frames_range_parse where the IDs can be
 * written as text. Return 0, or -1 when the chain is empty or its name too
 * long for a range.
 */
static int
make_range(ff_frames_range *range, const ff_structure *st, size_t m,
           size_t c)
{
    const char *chain = ff_structure_chain_name(st, m, c);
    size_t count = ff_structure_residue_count(st, m, c);

    if (count == 0 || strlen(chain) > FF_CHAIN_NAME_MAX) {
        return -1;
    }
    ff_structure_residue first;
    ff_structure_residue last;
    ff_structure_get_residue(&first, st, m, c, 0);
    ff_structure_get_residue(&last, st, m, c, count - 1);

    // A range's text takes an insertion code only as a letter after the
    // number; other codes go straight into the struct.
    int writable = (first.icode == ' ' || isalpha((unsigned char)first.icode))
                   && (last.icode == ' '
                       || isalpha((unsigned char)last.icode));
    char text[128];
    char first_icode[2] = {first.icode == ' ' ? '\0' : first.icode, '\0'};
    char last_icode[2] = {last.icode == ' ' ? '\0' : last.icode, '\0'};
    snprintf(text, sizeof text, "%s:%d%s-%d%s", chain, (int)first.seqnum,
             first_icode, (int)last.seqnum, last_icode);
    if (writable && ff_frames_range_parse(range, text, NULL) == 0) {
        FUZZ_CHECK(strcmp(range->chain, chain) == 0);
        FUZZ_CHECK(range->first_seqnum == first.seqnum);
        FUZZ_CHECK(range->first_icode == first.icode);
        FUZZ_CHECK(range->last_seqnum == last.seqnum);
        FUZZ_CHECK(range->last_icode == last.icode);
        return 0;
    }
    // The parser rejects a first residue after the last; the builder
    // takes such a range and finds nothing in it.
    memset(range, 0, sizeof *range);
    memcpy(range->chain, chain, strlen(chain) + 1);
    range->first_seqnum = first.seqnum;
    range->first_icode = first.icode;
    range->last_seqnum = last.seqnum;
    range->last_icode = last.icode;
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ff_error err;
    ff_structure *st = ff_structure_read_memory(data, size, INPUT_NAME, &err);

    if (st == NULL) {
        fuzz_check_error(err.code, &err);
        return 0;
    }
    walk(st);

    ff_frames_options options;
    ff_frames_options_init(&options);
    build(st, &options);

    size_t last_model = ff_structure_model_count(st) - 1;
    options.model = ff_structure_model_number(st, last_model);
    options.altloc = FF_ALTLOC_FIRST;
    options.interpolate = 1;
    ff_frames_range range;
    if (ff_structure_chain_count(st, last_model) > 0
        && make_range(&range, st, last_model, 0) == 0) {
        const char *chains[1] = {range.chain};
        options.chains = chains;
        options.chain_count = 1;
        options.ranges = &range;
        options.range_count = 1;
        build(st, &options);
    } else {
        build(st, &options);
    }
    ff_structure_free(st);
    return 0;
}
