#include "readframes.h"

#include <stdio.h>

static ff_frameset *
read_structure(const char *path, ff_error *err)
{
    ff_frames_options options;
    ff_frameset *set = ff_frameset_new(err);

    if (set == NULL) {
        return NULL;
    }
    ff_frames_options_init(&options);
    // Interpolated frames would make every residue count many times over.
    options.interpolate = 0;
    if (ff_frames_build_file(set, NULL, path, &options, err) < 0) {
        ff_frameset_free(set);
        return NULL;
    }
    return set;
}

ff_frameset *
cli_read_frames(const char *path, ff_error *err)
{
    int kind = ff_frameset_probe(path, err);
    if (kind < 0) {
        return NULL;
    }

    ff_frameset *set = kind > 0 ? ff_frameset_read(path, err)
                                 : read_structure(path, err);
    if (set != NULL && set->count == 0) {
        err->code = FF_STATUS_ERR_EMPTY;
        snprintf(err->message, sizeof err->message,
                 "%s: no frames (no residue with N, CA and C)", path);
        ff_frameset_free(set);
        return NULL;
    }
    return set;
}

size_t
cli_frameset_chain_end(const ff_frameset *set, size_t first)
{
    const ff_frame_label *a = &set->labels[first];
    size_t f = first + 1;

    while (f < set->count && set->labels[f].source == a->source
           && set->labels[f].model == a->model
           && set->labels[f].chain == a->chain) {
        f++;
    }
    return f;
}

size_t
cli_frameset_chain_count(const ff_frameset *set)
{
    size_t chains = 0;

    for (size_t f = 0; f < set->count; f = cli_frameset_chain_end(set, f)) {
        chains++;
    }
    return chains;
}
