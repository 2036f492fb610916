/*
 * Fuzz target: the frames file reader. The input is the content of a
 * frames file, plain or gzip; the reader takes a path, so the input is
 * written to a private scratch file first.
 *
 * A file that reads is checked frame by frame, written back (gzip when the
 * input was) and read again, and the second set must equal the first bit
 * for bit, as frames.h promises.
 */
#include <string.h>

#include "frameflow/frames.h"
#include "fuzz.h"

static void
check_set(const ff_frameset *set)
{
    for (size_t i = 0; i < set->count; i++) {
        const ff_frame_label *label = &set->labels[i];
        fuzz_check_pose(&set->poses[i]);
        FUZZ_CHECK(label->source < set->source_count);
        FUZZ_CHECK(label->chain < set->chain_count);
        FUZZ_CHECK(set->sources[label->source][0] != '\0');
        FUZZ_CHECK(strlen(label->resname) <= FF_RESNAME_MAX);
        FUZZ_CHECK(label->kind == FF_FRAME_KIND_RESIDUE
                   || label->kind == FF_FRAME_KIND_INTERPOLATED);
    }
}

/* Check that b contains the frames of a with the same labels and names. */
static void
check_equal(const ff_frameset *a, const ff_frameset *b)
{
    FUZZ_CHECK(a->count == b->count);
    for (size_t i = 0; i < a->count; i++) {
        const ff_frame_label *la = &a->labels[i];
        const ff_frame_label *lb = &b->labels[i];
        FUZZ_CHECK(memcmp(&a->poses[i], &b->poses[i], sizeof a->poses[i])
                   == 0);
        FUZZ_CHECK(strcmp(a->sources[la->source], b->sources[lb->source])
                   == 0);
        FUZZ_CHECK(strcmp(a->chains[la->chain], b->chains[lb->chain]) == 0);
        FUZZ_CHECK(la->model == lb->model);
        FUZZ_CHECK(la->seqnum == lb->seqnum);
        FUZZ_CHECK(la->icode == lb->icode);
        FUZZ_CHECK(strcmp(la->resname, lb->resname) == 0);
        FUZZ_CHECK(la->kind == lb->kind);
        FUZZ_CHECK(memcmp(&la->fraction, &lb->fraction, sizeof la->fraction)
                   == 0);
    }
}

static void
round_trip(const ff_frameset *set, int gzip)
{
    const char *path = fuzz_scratch_path(gzip ? "copy.tsv.gz" : "copy.tsv");
    ff_error err;

    FUZZ_CHECK(path != NULL);
    int status = ff_frameset_write(set, path, &err);
    if (status != 0) {
        // A name with a carriage return inside reads but cannot be written.
        fuzz_check_error(status, &err);
        FUZZ_CHECK(status == FF_STATUS_ERR_INVALID);
        return;
    }
    ff_frameset *back = ff_frameset_read(path, &err);
    if (back == NULL) {
        fuzz_fail(__FILE__, __LINE__, err.message);
    }
    check_equal(set, back);
    ff_frameset_free(back);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_scratch_path("input");
    ff_error err;

    FUZZ_CHECK(path != NULL);
    FUZZ_CHECK(fuzz_write_file(path, data, size) == 0);

    int gzip = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
    int probe = ff_frameset_probe(path, &err);
    if (probe < 0) {
        fuzz_check_error(probe, &err);
    }
    FUZZ_CHECK(probe <= FF_FRAMESFILE_GZIP);
    ff_frameset *set = ff_frameset_read(path, &err);
    if (set == NULL) {
        fuzz_check_error(err.code, &err);
        return 0;
    }
    FUZZ_CHECK(probe == (gzip ? FF_FRAMESFILE_GZIP : FF_FRAMESFILE_PLAIN));
    check_set(set);
    round_trip(set, gzip);
    ff_frameset_free(set);
    return 0;
}
