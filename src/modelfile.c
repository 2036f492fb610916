/*
 * The model file, format version 1. All numbers are little-endian; u32 and
 * u64 are unsigned integers, f32 and f64 IEEE 754 floats.
 *
 *   magic           8 bytes  "FFMODEL" and a NUL byte
 *   version         u32      1
 *   arch            u32      0 small, 1 deep
 *   embed_width     u32      128
 *   fourier_count   u32      64
 *   layer_count     u32      L, at most 12
 *   layers          L x (u32 in, u32 out)
 *   schedule_base   f64
 *   eps             f64
 *   translation_scale f64
 *   center          3 x f64  Angstrom
 *   score_chart     u32      0 local, 1 global
 *   batch           u32
 *   seed            u64
 *   step            u64      optimiser steps taken
 *   rng_step        u64      training step whose random numbers come next;
 *                            equal to step, since every step draws from its
 *                            own counter (see rng.h)
 *   frame_count     u64
 *   frame_digest    u64
 *   learning_rate   f64
 *   weight_decay    f64
 *   beta1, beta2    2 x f64
 *   adam_eps        f64
 *   param_count     u64      P
 *   fourier         fourier_count x f32
 *   params          P x f32  (layout in network.h)
 *   adam_m          P x f32
 *   adam_v          P x f32
 *   crc32           u32      zlib CRC-32 of every byte before it
 */
#include "frameflow/model.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "errors.h"
#include "model_internal.h"
#include "outfile.h"

#define MAGIC "FFMODEL"
#define MAGIC_SIZE 8
#define FORMAT_VERSION 1u

/* A growing byte buffer for the serialised model. */
typedef struct writer {
    unsigned char *data;
    size_t size;
    size_t capacity;
    int failed;
} writer;

static void
put_bytes(writer *w, const void *src, size_t n)
{
    if (w->failed) {
        return;
    }
    if (w->size + n > w->capacity) {
        size_t cap = w->capacity ? w->capacity : 4096;
        while (cap < w->size + n) {
            cap *= 2;
        }
        unsigned char *grown = realloc(w->data, cap);
        if (grown == NULL) {
            w->failed = 1;
            return;
        }
        w->data = grown;
        w->capacity = cap;
    }
    memcpy(w->data + w->size, src, n);
    w->size += n;
}

static void
put_u32(writer *w, uint32_t v)
{
    unsigned char b[4];

    for (int i = 0; i < 4; i++) {
        b[i] = (unsigned char)(v >> (8 * i));
    }
    put_bytes(w, b, 4);
}

static void
put_u64(writer *w, uint64_t v)
{
    unsigned char b[8];

    for (int i = 0; i < 8; i++) {
        b[i] = (unsigned char)(v >> (8 * i));
    }
    put_bytes(w, b, 8);
}

static void
put_f64(writer *w, double v)
{
    uint64_t bits;

    memcpy(&bits, &v, sizeof bits);
    put_u64(w, bits);
}

static void
put_f32_array(writer *w, const float *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t bits;
        memcpy(&bits, &v[i], sizeof bits);
        put_u32(w, bits);
    }
}

static void
serialise(writer *w, const ff_model *m)
{
    const ff_model_config *c = &m->config;
    char magic[MAGIC_SIZE] = MAGIC;

    put_bytes(w, magic, MAGIC_SIZE);
    put_u32(w, FORMAT_VERSION);
    put_u32(w, (uint32_t)c->arch);
    put_u32(w, (uint32_t)c->embed_width);
    put_u32(w, (uint32_t)c->fourier_count);
    put_u32(w, (uint32_t)c->layer_count);
    for (int l = 0; l < c->layer_count; l++) {
        put_u32(w, (uint32_t)c->layer_in[l]);
        put_u32(w, (uint32_t)c->layer_out[l]);
    }
    put_f64(w, c->schedule_base);
    put_f64(w, c->eps);
    put_f64(w, c->translation_scale);
    for (int i = 0; i < 3; i++) {
        put_f64(w, c->center[i]);
    }
    put_u32(w, (uint32_t)c->score_chart);
    put_u32(w, c->batch);
    put_u64(w, c->seed);
    put_u64(w, c->step);
    put_u64(w, c->step);
    put_u64(w, c->frame_count);
    put_u64(w, c->frame_digest);
    put_f64(w, c->learning_rate);
    put_f64(w, c->weight_decay);
    put_f64(w, c->beta1);
    put_f64(w, c->beta2);
    put_f64(w, c->adam_eps);
    put_u64(w, c->param_count);
    put_f32_array(w, m->fourier, FF_NETWORK_FOURIER);
    put_f32_array(w, m->params, m->param_count);
    put_f32_array(w, m->adam_m, m->param_count);
    put_f32_array(w, m->adam_v, m->param_count);
    put_u32(w, (uint32_t)crc32_z(0L, w->data, w->size));
}

/* The first value of a model's float blocks that is NaN or infinite. */
typedef struct non_finite {
    const char *name;  /* the kind of value, such as "parameter" */
    size_t index;      /* 0-based, within the block */
    size_t count;      /* values in the block */
    double value;
} non_finite;

/* Look for a value of m's frequencies, parameters or AdamW moments that
 * is NaN or infinite. Return 1 and fill *bad for the first, or 0. */
static int
find_non_finite(non_finite *bad, const ff_model *m)
{
    const struct {
        const float *values;
        size_t count;
        const char *name;
    } blocks[] = {
        {m->fourier, FF_NETWORK_FOURIER, "Fourier frequency"},
        {m->params, m->param_count, "parameter"},
        {m->adam_m, m->param_count, "AdamW first moment"},
        {m->adam_v, m->param_count, "AdamW second moment"},
    };

    for (size_t b = 0; b < sizeof blocks / sizeof blocks[0]; b++) {
        for (size_t i = 0; i < blocks[b].count; i++) {
            if (!isfinite(blocks[b].values[i])) {
                bad->name = blocks[b].name;
                bad->index = i;
                bad->count = blocks[b].count;
                bad->value = blocks[b].values[i];
                return 1;
            }
        }
    }
    return 0;
}

int
ff_model_save(const ff_model *m, const char *path, ff_error *err)
{
    writer w = {NULL, 0, 0, 0};

    // ff_model_load rejects such a file, so it is never written.
    non_finite bad;
    if (find_non_finite(&bad, m)) {
        return ff_error_set(err, FF_STATUS_ERR_NUMERIC,
                            "%s: not written: %s %zu of %zu is not a finite "
                            "number (%g); the training diverged, so lower "
                            "the learning rate",
                            path, bad.name, bad.index + 1, bad.count,
                            bad.value);
    }

    serialise(&w, m);
    if (w.failed) {
        free(w.data);
        return ff_error_set(err, FF_STATUS_ERR_NOMEM,
                            "%s: out of memory while writing the model",
                            path);
    }

    ff_outfile *out = ff_outfile_open(path, FF_OUTFILE_PLAIN, err);
    if (out == NULL) {
        free(w.data);
        return err != NULL ? err->code : FF_STATUS_ERR_IO;
    }
    ff_outfile_write(out, w.data, w.size);
    free(w.data);
    return ff_outfile_commit(out, err);
}

int
ff_model_probe(const char *path, ff_error *err)
{
    unsigned char head[MAGIC_SIZE];
    int stream = ff_error_if_stream(err, path);
    if (stream != 0) {
        return stream;
    }
    FILE *fp = fopen(path, "rb");

    if (fp == NULL) {
        return ff_error_set_errno(err, errno, "%s: cannot open the file",
                                  path);
    }
    size_t got = fread(head, 1, sizeof head, fp);
    int failed = ferror(fp);
    int saved = errno;
    fclose(fp);
    if (failed) {
        return ff_error_set_errno(err, saved, "%s: cannot read the file",
                                  path);
    }
    return got == MAGIC_SIZE && memcmp(head, MAGIC, MAGIC_SIZE) == 0;
}

/* A cursor over the bytes of a model file being read. */
typedef struct reader {
    const unsigned char *data;
    size_t size;
    size_t pos;
    int truncated;  /* whether a read ran past the end */
} reader;

static const unsigned char *
take(reader *r, size_t n)
{
    if (r->truncated || n > r->size - r->pos) {
        r->truncated = 1;
        return NULL;
    }
    const unsigned char *p = r->data + r->pos;
    r->pos += n;
    return p;
}

static uint32_t
get_u32(reader *r)
{
    const unsigned char *b = take(r, 4);
    uint32_t v = 0;

    for (int i = 0; b != NULL && i < 4; i++) {
        v |= (uint32_t)b[i] << (8 * i);
    }
    return v;
}

static uint64_t
get_u64(reader *r)
{
    const unsigned char *b = take(r, 8);
    uint64_t v = 0;

    for (int i = 0; b != NULL && i < 8; i++) {
        v |= (uint64_t)b[i] << (8 * i);
    }
    return v;
}

static double
get_f64(reader *r)
{
    uint64_t bits = get_u64(r);
    double v;

    memcpy(&v, &bits, sizeof v);
    return v;
}

static void
get_f32_array(reader *r, float *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t bits = get_u32(r);
        memcpy(&v[i], &bits, sizeof bits);
    }
}


/* Read the whole file into memory. */
static int
read_file(const char *path, unsigned char **data, size_t *size, ff_error *err)
{
    FILE *fp = fopen(path, "rb");

    *data = NULL;
    *size = 0;
    if (fp == NULL) {
        return ff_error_set_errno(err, errno, "%s: cannot open the model file",
                                  path);
    }

    size_t capacity = 0;
    int status = 0;
    for (;;) {
        if (*size == capacity) {
            size_t cap = capacity ? 2 * capacity : 1 << 16;
            unsigned char *grown = realloc(*data, cap);
            if (grown == NULL) {
                status = ff_error_set(err, FF_STATUS_ERR_NOMEM,
                                      "%s: out of memory while reading",
                                      path);
                break;
            }
            *data = grown;
            capacity = cap;
        }
        size_t got = fread(*data + *size, 1, capacity - *size, fp);
        *size += got;
        if (got == 0) {
            if (ferror(fp)) {
                status = ff_error_set_errno(err, errno,
                                            "%s: cannot read the model file",
                                            path);
            }
            break;
        }
    }
    fclose(fp);
    if (status != 0) {
        free(*data);
        *data = NULL;
    }
    return status;
}

static int
truncated(const char *path, const char *where, ff_error *err)
{
    return ff_error_set(err, FF_STATUS_ERR_FORMAT,
                        "%s: the model file is truncated (it ends inside "
                        "the %s); copy or train it again", path, where);
}

/*
 * Read the configuration up to param_count and check the sizes that fix
 * the length of the file. The cursor is then at the Fourier
 * frequencies.
 */
static int
parse_header(reader *r, ff_model_config *c, const char *path, ff_error *err)
{
    const unsigned char *magic = take(r, MAGIC_SIZE);
    if (magic == NULL || memcmp(magic, MAGIC, MAGIC_SIZE) != 0) {
        return ff_error_set(err, FF_STATUS_ERR_FORMAT,
                            "%s: not a frameflow model file (wrong magic "
                            "bytes); give a file written by 'frameflow "
                            "train'", path);
    }
    uint32_t version = get_u32(r);
    if (r->truncated) {
        return truncated(path, "header", err);
    }
    if (version != FORMAT_VERSION) {
        return ff_error_set(err, FF_STATUS_ERR_VERSION,
                            "%s: model format version %u is not supported; "
                            "this frameflow reads version %u", path, version,
                            FORMAT_VERSION);
    }

    memset(c, 0, sizeof *c);
    c->arch = (int)get_u32(r);
    uint32_t embed = get_u32(r);
    uint32_t fourier = get_u32(r);
    uint32_t layers = get_u32(r);
    if (r->truncated) {
        return truncated(path, "header", err);
    }
    if (embed > 4096 || fourier > 4096 || layers > FF_MODEL_MAX_LAYERS) {
        return ff_error_set(err, FF_STATUS_ERR_FORMAT,
                            "%s: impossible network sizes (embedding %u, "
                            "%u Fourier frequencies, %u layers); the file "
                            "is damaged", path, embed, fourier, layers);
    }
    c->embed_width = (int)embed;
    c->fourier_count = (int)fourier;
    c->layer_count = (int)layers;
    for (uint32_t l = 0; l < layers; l++) {
        uint32_t in = get_u32(r);
        uint32_t out = get_u32(r);
        if (in > 65536 || out > 65536) {
            return ff_error_set(err, FF_STATUS_ERR_FORMAT,
                                "%s: impossible width %u x %u of layer %u; "
                                "the file is damaged", path, in, out, l + 1);
        }
        c->layer_in[l] = (int)in;
        c->layer_out[l] = (int)out;
    }

    c->schedule_base = get_f64(r);
    c->eps = get_f64(r);
    c->translation_scale = get_f64(r);
    for (int i = 0; i < 3; i++) {
        c->center[i] = get_f64(r);
    }
    c->score_chart = (int)get_u32(r);
    c->batch = get_u32(r);
    c->seed = get_u64(r);
    c->step = get_u64(r);
    uint64_t rng_step = get_u64(r);
    c->frame_count = get_u64(r);
    c->frame_digest = get_u64(r);
    c->learning_rate = get_f64(r);
    c->weight_decay = get_f64(r);
    c->beta1 = get_f64(r);
    c->beta2 = get_f64(r);
    c->adam_eps = get_f64(r);
    c->param_count = get_u64(r);
    if (r->truncated) {
        return truncated(path, "header", err);
    }
    if (rng_step != c->step) {
        return ff_error_set(err, FF_STATUS_ERR_FORMAT,
                            "%s: the random-number position %llu differs "
                            "from the step %llu; the file is damaged", path,
                            (unsigned long long)rng_step,
                            (unsigned long long)c->step);
    }

    // The sizes decide how many bytes follow, so they are checked before
    // the length and the checksum; the other fields after them.
    uint64_t params = ff_network_param_count(c->arch);
    if (params == 0 || c->param_count != params
        || c->fourier_count != FF_NETWORK_FOURIER) {
        return ff_error_set(err, FF_STATUS_ERR_FORMAT,
                            "%s: impossible sizes: %llu parameters and %d "
                            "Fourier frequencies for architecture %d; the "
                            "file is damaged", path,
                            (unsigned long long)c->param_count,
                            c->fourier_count, c->arch);
    }
    return 0;
}

ff_model *
ff_model_load_memory(const void *bytes, size_t size, const char *name,
                     ff_error *err)
{
    const unsigned char *data = bytes;
    ff_model_config cfg;

    reader r = {data, size, 0, 0};
    if (parse_header(&r, &cfg, name, err) != 0) {
        return NULL;
    }

    // The header fixes the size of the rest: frequencies, three blocks of
    // parameters and the checksum.
    size_t expected = r.pos + 4 * (size_t)cfg.fourier_count
                      + 3 * 4 * (size_t)cfg.param_count + 4;
    if (size < expected) {
        truncated(name, size < expected - 4 ? "parameters" : "checksum",
                  err);
        return NULL;
    }
    if (size > expected) {
        ff_error_set(err, FF_STATUS_ERR_FORMAT,
                     "%s: %zu unexpected bytes after the end of the model; "
                     "the file is damaged", name, size - expected);
        return NULL;
    }
    uint32_t stored = (uint32_t)data[size - 4]
                      | (uint32_t)data[size - 3] << 8
                      | (uint32_t)data[size - 2] << 16
                      | (uint32_t)data[size - 1] << 24;
    uint32_t computed = (uint32_t)crc32_z(0L, data, size - 4);
    if (stored != computed) {
        ff_error_set(err, FF_STATUS_ERR_CHECKSUM,
                     "%s: checksum mismatch (stored %08x, computed %08x); "
                     "the file is damaged", name, stored, computed);
        return NULL;
    }

    if (ff_model_config_check(&cfg, name, err) != 0) {
        if (err != NULL) {
            // The check names the field, and a file that fails it is damaged.
            char reason[FF_ERROR_MESSAGE_SIZE];
            memcpy(reason, err->message, sizeof reason);
            ff_error_set(err, FF_STATUS_ERR_FORMAT,
                         "%.900s in the model header; the file is damaged",
                         reason);
        }
        return NULL;
    }
    ff_model *m = ff_model_alloc(&cfg, name, err);
    if (m == NULL) {
        return NULL;
    }
    get_f32_array(&r, m->fourier, FF_NETWORK_FOURIER);
    get_f32_array(&r, m->params, m->param_count);
    get_f32_array(&r, m->adam_m, m->param_count);
    get_f32_array(&r, m->adam_v, m->param_count);
    non_finite bad;
    if (find_non_finite(&bad, m)) {
        ff_error_set(err, FF_STATUS_ERR_FORMAT,
                     "%s: %s %zu of %zu is not a finite number (%g); the "
                     "file is damaged",
                     name, bad.name, bad.index + 1, bad.count, bad.value);
        ff_model_free(m);
        return NULL;
    }
    return m;
}

ff_model *
ff_model_load(const char *path, ff_error *err)
{
    unsigned char *data = NULL;
    size_t size = 0;

    if (read_file(path, &data, &size, err) != 0) {
        return NULL;
    }
    ff_model *m = ff_model_load_memory(data, size, path, err);
    free(data);
    return m;
}
