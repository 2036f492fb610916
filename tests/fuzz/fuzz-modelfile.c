/*
 * Fuzz target: the model file loader. The input is the content of a model
 * file (format in src/modelfile.c), loaded three ways:
 *
 *   1. as it is;
 *   2. with its last 4 bytes replaced by the CRC-32 of the bytes before
 *      them, so that a mutated file gets past the checksum to the checks
 *      behind it;
 *   3. when its header gives sizes and the input is shorter than they
 *      require, padded with zero bytes to that length and given a valid
 *      CRC-32. A corpus of headers alone (a few hundred bytes, where a
 *      whole model is 1 MB or more) so reaches a loaded model.
 *
 * A model that loads is evaluated on one pose.
 */
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "frameflow/model.h"
#include "fuzz.h"
#include "model_internal.h"

#define INPUT_NAME "input"

/* Offsets in a model file, from the layout in src/modelfile.c: the
 * Fourier count and layer count are u32 at 20 and 24; param_count is the
 * u64 that ends the header, 172 + 8 * layers bytes long. */
#define FOURIER_OFFSET 20
#define LAYERS_OFFSET 24
#define HEADER_BASE_SIZE 172

/* Longest padded input, in bytes: above the 7 MB of the deep network. */
#define PADDED_MAX ((size_t)16 << 20)

static uint64_t
read_le(const uint8_t *p, int bytes)
{
    uint64_t v = 0;

    for (int i = 0; i < bytes; i++) {
        v |= (uint64_t)p[i] << (8 * i);
    }
    return v;
}

static void
store_crc(uint8_t *data, size_t size)
{
    uint32_t crc = (uint32_t)crc32_z(0L, data, size - 4);

    for (int i = 0; i < 4; i++) {
        data[size - 4 + i] = (uint8_t)(crc >> (8 * i));
    }
}

static void
load(const uint8_t *data, size_t size)
{
    ff_error err;
    ff_model *m = ff_model_load_memory(data, size, INPUT_NAME, &err);

    if (m == NULL) {
        fuzz_check_error(err.code, &err);
        return;
    }
    const ff_model_config *cfg = ff_model_get_config(m);
    FUZZ_CHECK(ff_model_arch_name(cfg->arch) != NULL);
    FUZZ_CHECK(ff_score_chart_name(cfg->score_chart) != NULL);

    ff_model_eval *ev = ff_model_eval_new(m, 1, &err);
    FUZZ_CHECK(ev != NULL);
    double x[3] = {0.1, -0.2, 0.3};
    double R[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    double v[6];
    FUZZ_CHECK(ff_model_eval_score(ev, 1, x, R, 0.5, v) == 0);
    ff_model_eval_free(ev);
    ff_model_free(m);
}

/* Return the length that the header at data requires, or 0 when the
 * input is too short to tell or the sizes are out of reach. */
static size_t
required_size(const uint8_t *data, size_t size)
{
    if (size < LAYERS_OFFSET + 4) {
        return 0;
    }
    uint64_t fourier = read_le(data + FOURIER_OFFSET, 4);
    uint64_t layers = read_le(data + LAYERS_OFFSET, 4);
    if (fourier > 4096 || layers > FF_MODEL_MAX_LAYERS) {
        return 0;
    }
    size_t header = HEADER_BASE_SIZE + 8 * (size_t)layers;
    if (size < header) {
        return 0;
    }
    uint64_t params = read_le(data + header - 8, 8);
    if (params > PADDED_MAX / 12) {
        return 0;
    }
    return header + 4 * (size_t)fourier + 12 * (size_t)params + 4;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    load(data, size);

    if (size >= 4) {
        uint8_t *copy = malloc(size);
        FUZZ_CHECK(copy != NULL);
        memcpy(copy, data, size);
        store_crc(copy, size);
        load(copy, size);
        free(copy);
    }

    size_t padded = required_size(data, size);
    if (padded > size) {
        uint8_t *copy = calloc(padded, 1);
        FUZZ_CHECK(copy != NULL);
        memcpy(copy, data, size);
        store_crc(copy, padded);
        load(copy, padded);
        free(copy);
    }
    return 0;
}
