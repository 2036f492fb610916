/*
 * The frame set container: poses with labels, and the tables of source and
 * chain names that labels point into. Each distinct name is stored once;
 * a hash table finds a name's entry, so adding frames from many files stays
 * linear in the number of frames.
 */
#include "frameflow/frames.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"

/* Open addressing over entry indices; a slot holds index + 1, 0 is empty. */
typedef struct name_table {
    uint32_t *slots;
    size_t size;  /* a power of two, or 0 before the first insertion */
} name_table;

struct ff_frameset_index {
    name_table sources;
    name_table chains;
};

/* FNV-1a: a simple, well-spread hash for short names. */
static uint64_t
hash_name(const char *s)
{
    uint64_t h = 1469598103934665603u;

    for (; *s != '\0'; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211u;
    }
    return h;
}

/* Find name among names[0..count); return its index or count + 1 (absent)
 * and set *slot to where it is or would be stored. */
static size_t
table_find(const name_table *t, char *const *names, const char *name,
           size_t *slot)
{
    size_t mask = t->size - 1;
    size_t i = (size_t)hash_name(name) & mask;

    while (t->slots[i] != 0) {
        size_t entry = t->slots[i] - 1;
        if (strcmp(names[entry], name) == 0) {
            *slot = i;
            return entry;
        }
        i = (i + 1) & mask;
    }
    *slot = i;
    return SIZE_MAX;
}

/* Grow the table so that count + 1 names keep it at most half full. */
static int
table_reserve(name_table *t, char *const *names, size_t count)
{
    if (t->size != 0 && 2 * (count + 1) <= t->size) {
        return 0;
    }
    size_t size = t->size ? 2 * t->size : 16;
    while (2 * (count + 1) > size) {
        size *= 2;
    }
    uint32_t *slots = calloc(size, sizeof *slots);
    if (slots == NULL) {
        return -1;
    }
    name_table grown = {slots, size};
    for (size_t e = 0; e < count; e++) {
        size_t slot;
        table_find(&grown, names, names[e], &slot);
        grown.slots[slot] = (uint32_t)(e + 1);
    }
    free(t->slots);
    *t = grown;
    return 0;
}

/*
 * Return the index of name in the list (names, *count), adding a copy when
 * it is new, or SIZE_MAX when out of memory.
 */
static size_t
intern_name(name_table *t, char ***names, size_t *count, const char *name)
{
    if (*count >= UINT32_MAX - 1) {
        return SIZE_MAX;
    }
    if (table_reserve(t, *names, *count) != 0) {
        return SIZE_MAX;
    }
    size_t slot;
    size_t found = table_find(t, *names, name, &slot);
    if (found != SIZE_MAX) {
        return found;
    }

    // The list grows by one entry at a time; names are few next to frames.
    char **grown = realloc(*names, (*count + 1) * sizeof *grown);
    if (grown == NULL) {
        return SIZE_MAX;
    }
    *names = grown;
    char *copy = strdup(name);
    if (copy == NULL) {
        return SIZE_MAX;
    }
    grown[*count] = copy;
    t->slots[slot] = (uint32_t)(*count + 1);
    return (*count)++;
}

ff_frameset *
ff_frameset_new(ff_error *err)
{
    ff_frameset *set = calloc(1, sizeof *set);

    if (set == NULL) {
        ff_error_set(err, FF_STATUS_ERR_NOMEM, "out of memory");
        return NULL;
    }
    set->index = calloc(1, sizeof *set->index);
    if (set->index == NULL) {
        free(set);
        ff_error_set(err, FF_STATUS_ERR_NOMEM, "out of memory");
        return NULL;
    }
    return set;
}

void
ff_frameset_free(ff_frameset *set)
{
    if (set == NULL) {
        return;
    }
    for (size_t i = 0; i < set->source_count; i++) {
        free(set->sources[i]);
    }
    for (size_t i = 0; i < set->chain_count; i++) {
        free(set->chains[i]);
    }
    free(set->sources);
    free(set->chains);
    free(set->poses);
    free(set->labels);
    if (set->index != NULL) {
        free(set->index->sources.slots);
        free(set->index->chains.slots);
        free(set->index);
    }
    free(set);
}

int
ff_frameset_reserve(ff_frameset *set, size_t extra, ff_error *err)
{
    if (extra <= set->capacity - set->count) {
        return 0;
    }
    // Poses are the larger entries, so this bound keeps both byte counts
    // below SIZE_MAX.
    _Static_assert(sizeof(ff_frame_label) <= sizeof(ff_pose),
                   "labels must not outgrow poses");
    const size_t limit = SIZE_MAX / 2 / sizeof(ff_pose);
    if (extra > limit - set->count) {
        return ff_error_set(err, FF_STATUS_ERR_NOMEM,
                            "out of memory for %zu more frames", extra);
    }
    size_t need = set->count + extra;
    size_t capacity = set->capacity ? set->capacity : 256;
    while (capacity < need) {
        capacity *= 2;
    }
    ff_pose *poses = realloc(set->poses, capacity * sizeof *poses);
    if (poses == NULL) {
        return ff_error_set(err, FF_STATUS_ERR_NOMEM,
                            "out of memory for %zu frames", need);
    }
    set->poses = poses;
    ff_frame_label *labels = realloc(set->labels, capacity * sizeof *labels);
    if (labels == NULL) {
        return ff_error_set(err, FF_STATUS_ERR_NOMEM,
                            "out of memory for %zu frames", need);
    }
    set->labels = labels;
    set->capacity = capacity;
    return 0;
}

int
ff_frameset_add(ff_frameset *set, const ff_pose *pose, const char *source,
                const char *chain, int32_t model, int32_t seqnum, char icode,
                const char *resname, int kind, double fraction, ff_error *err)
{
    if (kind != FF_FRAME_KIND_RESIDUE && kind != FF_FRAME_KIND_INTERPOLATED) {
        return ff_error_set(err, FF_STATUS_ERR_INVALID,
                            "unknown frame kind %d", kind);
    }
    if (ff_frameset_reserve(set, 1, err) != 0) {
        return FF_STATUS_ERR_NOMEM;
    }

    // Frames mostly come in runs from one source and chain, so the names of
    // the previous frame are tried before the hash tables. Interning a new
    // name may leave it in the table even when a later step fails; the
    // set's frames are unchanged, and the name costs nothing.
    const ff_frame_label *prev = set->count ? &set->labels[set->count - 1]
                                            : NULL;
    size_t s = prev && strcmp(set->sources[prev->source], source) == 0
               ? prev->source
               : intern_name(&set->index->sources, &set->sources,
                             &set->source_count, source);
    size_t c = prev && strcmp(set->chains[prev->chain], chain) == 0
               ? prev->chain
               : intern_name(&set->index->chains, &set->chains,
                             &set->chain_count, chain);
    if (s == SIZE_MAX || c == SIZE_MAX) {
        return ff_error_set(err, FF_STATUS_ERR_NOMEM,
                            "out of memory for frame names");
    }

    ff_frame_label *label = &set->labels[set->count];
    memset(label, 0, sizeof *label);
    label->source = (uint32_t)s;
    label->chain = (uint32_t)c;
    label->model = model;
    label->seqnum = seqnum;
    label->icode = icode;
    strncpy(label->resname, resname, FF_RESNAME_MAX);
    label->resname[FF_RESNAME_MAX] = '\0';
    label->kind = (uint8_t)kind;
    label->fraction = fraction;
    set->poses[set->count] = *pose;
    set->count++;
    return 0;
}

int
ff_frameset_append(ff_frameset *dst, const ff_frameset *src, ff_error *err)
{
    int status = FF_STATUS_OK;
    uint32_t *source_map = malloc((src->source_count + 1) * sizeof *source_map);
    uint32_t *chain_map = malloc((src->chain_count + 1) * sizeof *chain_map);

    if (source_map == NULL || chain_map == NULL
        || ff_frameset_reserve(dst, src->count, err) != 0) {
        status = ff_error_set(err, FF_STATUS_ERR_NOMEM,
                              "out of memory for %zu frames",
                              dst->count + src->count);
        goto done;
    }

    // Map src's name indices to dst's, then copy the frames in one pass.
    for (size_t i = 0; i < src->source_count; i++) {
        size_t s = intern_name(&dst->index->sources, &dst->sources,
                               &dst->source_count, src->sources[i]);
        if (s == SIZE_MAX) {
            status = ff_error_set(err, FF_STATUS_ERR_NOMEM,
                                  "out of memory for frame names");
            goto done;
        }
        source_map[i] = (uint32_t)s;
    }
    for (size_t i = 0; i < src->chain_count; i++) {
        size_t c = intern_name(&dst->index->chains, &dst->chains,
                               &dst->chain_count, src->chains[i]);
        if (c == SIZE_MAX) {
            status = ff_error_set(err, FF_STATUS_ERR_NOMEM,
                                  "out of memory for frame names");
            goto done;
        }
        chain_map[i] = (uint32_t)c;
    }
    if (src->count > 0) {
        memcpy(dst->poses + dst->count, src->poses,
               src->count * sizeof *src->poses);
    }
    for (size_t i = 0; i < src->count; i++) {
        ff_frame_label label = src->labels[i];
        label.source = source_map[label.source];
        label.chain = chain_map[label.chain];
        dst->labels[dst->count + i] = label;
    }
    dst->count += src->count;

done:
    free(source_map);
    free(chain_map);
    return status;
}
