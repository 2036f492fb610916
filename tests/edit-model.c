/*
 * Change one field of a model file and write the result with a matching
 * CRC-32, so that the tests can give the program a model file that is
 * intact as a file but damaged inside:
 *
 *     edit-model IN OUT FIELD VALUE
 *
 * FIELD is version (u32), translation-scale or learning-rate (f64),
 * parameter (the first weight, f32) or adam-v (the first AdamW second
 * moment, f32); VALUE is read with strtod, so "nan" and "inf" work. The
 * offsets follow the layout documented at the top of src/modelfile.c and
 * are worked out here without the library, little-endian throughout.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

/* Offsets of the fixed part of the header. */
enum {
    VERSION_OFFSET = 8,
    FOURIER_COUNT_OFFSET = 20,
    LAYER_COUNT_OFFSET = 24,
    LAYERS_OFFSET = 28
};

/* Offsets from the end of the layer widths to the fields after them. */
enum {
    TRANSLATION_SCALE_FROM_LAYERS = 16,
    LEARNING_RATE_FROM_LAYERS = 96,
    PARAM_COUNT_FROM_LAYERS = 136,
    FOURIER_FROM_LAYERS = 144
};

static uint64_t
get_le(const unsigned char *p, int bytes)
{
    uint64_t v = 0;

    for (int i = bytes - 1; i >= 0; i--) {
        v = v << 8 | p[i];
    }
    return v;
}

static void
put_le(unsigned char *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++) {
        p[i] = (unsigned char)(v >> (8 * i));
    }
}

static unsigned char *
read_all(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    unsigned char *data = NULL;
    size_t used = 0;
    size_t capacity = 0;

    if (f == NULL) {
        perror(path);
        return NULL;
    }
    for (;;) {
        if (used == capacity) {
            capacity = capacity ? 2 * capacity : 1 << 16;
            unsigned char *grown = realloc(data, capacity);
            if (grown == NULL) {
                free(data);
                fclose(f);
                return NULL;
            }
            data = grown;
        }
        size_t got = fread(data + used, 1, capacity - used, f);
        used += got;
        if (got == 0) {
            break;
        }
    }
    fclose(f);
    *size = used;
    return data;
}

/* Return the offset and width in bytes of field in data, or 0 when the
 * field is unknown or lies outside the file. */
static size_t
locate(const unsigned char *data, size_t size, const char *field, int *width)
{
    if (size < LAYERS_OFFSET) {
        return 0;
    }
    size_t layers_end = LAYERS_OFFSET
                        + 8 * (size_t)get_le(data + LAYER_COUNT_OFFSET, 4);
    size_t fourier_count = (size_t)get_le(data + FOURIER_COUNT_OFFSET, 4);
    size_t offset = 0;

    if (layers_end + FOURIER_FROM_LAYERS > size) {
        return 0;
    }
    size_t param_count = (size_t)get_le(data + layers_end
                                        + PARAM_COUNT_FROM_LAYERS, 8);
    size_t params = layers_end + FOURIER_FROM_LAYERS + 4 * fourier_count;
    if (strcmp(field, "version") == 0) {
        offset = VERSION_OFFSET;
        *width = 4;
    } else if (strcmp(field, "translation-scale") == 0) {
        offset = layers_end + TRANSLATION_SCALE_FROM_LAYERS;
        *width = 8;
    } else if (strcmp(field, "learning-rate") == 0) {
        offset = layers_end + LEARNING_RATE_FROM_LAYERS;
        *width = 8;
    } else if (strcmp(field, "parameter") == 0) {
        offset = params;
        *width = -4;
    } else if (strcmp(field, "adam-v") == 0) {
        offset = params + 2 * 4 * param_count;
        *width = -4;
    }
    return offset + 8 <= size ? offset : 0;
}

int
main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: edit-model IN OUT FIELD VALUE\n");
        return 2;
    }
    size_t size = 0;
    unsigned char *data = read_all(argv[1], &size);
    if (data == NULL) {
        return 1;
    }
    int width = 0;
    size_t offset = locate(data, size, argv[3], &width);
    if (offset == 0) {
        fprintf(stderr, "edit-model: %s: no field '%s'\n", argv[1], argv[3]);
        free(data);
        return 1;
    }

    // A width of 4 is an integer, 8 a double and -4 a float.
    double value = strtod(argv[4], NULL);
    if (width == 4) {
        put_le(data + offset, (uint64_t)value, 4);
    } else if (width == 8) {
        uint64_t bits;
        memcpy(&bits, &value, sizeof bits);
        put_le(data + offset, bits, 8);
    } else {
        float f = (float)value;
        uint32_t bits;
        memcpy(&bits, &f, sizeof bits);
        put_le(data + offset, bits, 4);
    }
    put_le(data + size - 4, crc32_z(0L, data, size - 4), 4);

    FILE *out = fopen(argv[2], "wb");
    int failed = out == NULL || fwrite(data, 1, size, out) != size;
    if (out != NULL && fclose(out) != 0) {
        failed = 1;
    }
    if (failed) {
        perror(argv[2]);
    }
    free(data);
    return failed ? 1 : 0;
}
