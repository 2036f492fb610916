#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "frameflow/model.h"
#include "model_internal.h"
#include "testutil.h"

/* Offsets into a version 1 file of the small model (3 layers). */
#define OFFSET_VERSION 8
#define OFFSET_LAYER_COUNT 24
#define HEADER_SMALL (28 + 3 * 8 + 6 * 8 + 2 * 4 + 5 * 8 + 5 * 8 + 8)

static ff_model *
small_model(void)
{
    ff_model_config cfg;
    ff_error err;

    ff_model_config_default(&cfg, FF_MODEL_ARCH_SMALL);
    cfg.seed = 99;
    cfg.center[0] = 1.5;
    cfg.center[1] = -2.25;
    cfg.center[2] = 40.0;
    cfg.score_chart = FF_SCORE_CHART_GLOBAL;
    cfg.frame_count = 17;
    cfg.frame_digest = 0x0123456789abcdefull;
    cfg.batch = 321;
    ff_model *m = ff_model_new(&cfg, &err);
    ck_assert_msg(m != NULL, "%s", err.message);
    // Give the optimiser state recognisable values.
    for (size_t i = 0; i < m->param_count; i++) {
        m->adam_m[i] = (float)i * 1e-6f;
        m->adam_v[i] = (float)i * 1e-9f;
    }
    m->config.step = 1234;
    return m;
}

static unsigned char *
slurp(const char *path, size_t *size)
{
    FILE *fp = fopen(path, "rb");
    ck_assert_ptr_nonnull(fp);
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    unsigned char *data = malloc((size_t)n + 1);
    ck_assert_uint_eq(fread(data, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    *size = (size_t)n;
    return data;
}

static void
spill(const char *path, const unsigned char *data, size_t size)
{
    FILE *fp = fopen(path, "wb");
    ck_assert_ptr_nonnull(fp);
    ck_assert_uint_eq(fwrite(data, 1, size, fp), size);
    ck_assert_int_eq(fclose(fp), 0);
}

/* Rewrite the trailing CRC so that only the intended damage remains. */
static void
fix_checksum(unsigned char *data, size_t size)
{
    uint32_t crc = (uint32_t)crc32_z(0L, data, size - 4);
    for (int i = 0; i < 4; i++) {
        data[size - 4 + i] = (unsigned char)(crc >> (8 * i));
    }
}

/* Load path, expect failure with code and a message containing text. */
static void
expect_failure(const char *path, int code, const char *text)
{
    ff_error err;

    ff_error_clear(&err);
    ff_model *m = ff_model_load(path, &err);
    ck_assert_ptr_null(m);
    ck_assert_int_eq(err.code, code);
    ck_assert_msg(strstr(err.message, text) != NULL,
                  "message '%s' lacks '%s'", err.message, text);
    ck_assert_msg(strstr(err.message, path) != NULL,
                  "message '%s' does not name the file", err.message);
}

START_TEST(modelfile_round_trip)
{
    char path[512];
    char again[512];
    ff_error err;
    ff_model *m = small_model();

    test_scratch_path(path, sizeof path, "round.ffm");
    test_scratch_path(again, sizeof again, "round2.ffm");
    ck_assert_int_eq(ff_model_save(m, path, &err), 0);
    ff_model *back = ff_model_load(path, &err);
    ck_assert_msg(back != NULL, "%s", err.message);

    const ff_model_config *a = ff_model_get_config(m);
    const ff_model_config *b = ff_model_get_config(back);
    ck_assert_int_eq(memcmp(a, b, sizeof *a), 0);
    ck_assert_int_eq(memcmp(m->params, back->params,
                            m->param_count * sizeof(float)), 0);
    ck_assert_int_eq(memcmp(m->adam_m, back->adam_m,
                            m->param_count * sizeof(float)), 0);
    ck_assert_int_eq(memcmp(m->adam_v, back->adam_v,
                            m->param_count * sizeof(float)), 0);
    ck_assert_int_eq(memcmp(m->fourier, back->fourier, sizeof m->fourier),
                     0);
    ck_assert_uint_eq(b->step, 1234);
    ck_assert_double_eq(b->center[1], -2.25);

    // Saving what was loaded gives the same bytes.
    ck_assert_int_eq(ff_model_save(back, again, &err), 0);
    size_t n1 = 0;
    size_t n2 = 0;
    unsigned char *d1 = slurp(path, &n1);
    unsigned char *d2 = slurp(again, &n2);
    ck_assert_uint_eq(n1, n2);
    ck_assert_int_eq(memcmp(d1, d2, n1), 0);
    // Magic, then version 1, little-endian.
    ck_assert_int_eq(memcmp(d1, "FFMODEL", 8), 0);
    ck_assert_int_eq(d1[OFFSET_VERSION], 1);
    // Header, 64 frequencies, three blocks of parameters and the CRC.
    ck_assert_uint_eq(n1, HEADER_SMALL + 4 * 64 + 3 * 4 * 85638 + 4);

    free(d1);
    free(d2);
    unlink(path);
    unlink(again);
    ff_model_free(m);
    ff_model_free(back);
}
END_TEST

START_TEST(modelfile_rejects_damage)
{
    char good[512];
    char bad[512];
    ff_error err;
    ff_model *m = small_model();

    test_scratch_path(good, sizeof good, "good.ffm");
    test_scratch_path(bad, sizeof bad, "bad.ffm");
    ck_assert_int_eq(ff_model_save(m, good, &err), 0);
    size_t size = 0;
    unsigned char *data = slurp(good, &size);
    unsigned char *copy = malloc(size);

    // Wrong magic.
    memcpy(copy, data, size);
    copy[0] = 'X';
    spill(bad, copy, size);
    expect_failure(bad, FF_STATUS_ERR_FORMAT, "not a frameflow model file");

    // Unsupported versions, named in the message with the supported one.
    memcpy(copy, data, size);
    copy[OFFSET_VERSION] = 2;
    fix_checksum(copy, size);
    spill(bad, copy, size);
    expect_failure(bad, FF_STATUS_ERR_VERSION,
                   "version 2 is not supported; this frameflow reads "
                   "version 1");
    copy[OFFSET_VERSION] = 0;
    spill(bad, copy, size);
    expect_failure(bad, FF_STATUS_ERR_VERSION, "version 0");

    // Truncated: empty, inside the magic, the header, the parameters and
    // the checksum.
    const size_t cuts[] = {0, 5, 10, 40, HEADER_SMALL - 1, HEADER_SMALL + 100,
                           size / 2, size - 5, size - 1};
    const char *where[] = {"magic", "magic", "header", "header", "header",
                           "parameters", "parameters", "parameters",
                           "checksum"};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        spill(bad, data, cuts[i]);
        if (cuts[i] < 8) {
            expect_failure(bad, FF_STATUS_ERR_FORMAT,
                           "not a frameflow model file");
        } else {
            expect_failure(bad, FF_STATUS_ERR_FORMAT, "truncated");
            ff_error_clear(&err);
            ck_assert_ptr_null(ff_model_load(bad, &err));
            ck_assert_msg(strstr(err.message, where[i]) != NULL,
                          "cut at %zu: '%s' lacks '%s'", cuts[i], err.message,
                          where[i]);
        }
    }

    // Flipped bytes in the header, the parameters and the checksum.
    const size_t flips[] = {HEADER_SMALL - 20, HEADER_SMALL + 1000, size - 2};
    for (size_t i = 0; i < 3; i++) {
        memcpy(copy, data, size);
        copy[flips[i]] ^= 0x10;
        spill(bad, copy, size);
        expect_failure(bad, FF_STATUS_ERR_CHECKSUM, "checksum mismatch");
    }

    // Trailing bytes.
    unsigned char *longer = malloc(size + 3);
    memcpy(longer, data, size);
    memset(longer + size, 0, 3);
    spill(bad, longer, size + 3);
    expect_failure(bad, FF_STATUS_ERR_FORMAT, "3 unexpected bytes");
    free(longer);

    // Impossible sizes, with a valid checksum: too many layers, and a
    // parameter count that does not fit the architecture.
    memcpy(copy, data, size);
    copy[OFFSET_LAYER_COUNT] = 200;
    fix_checksum(copy, size);
    spill(bad, copy, size);
    expect_failure(bad, FF_STATUS_ERR_FORMAT, "impossible network sizes");
    memcpy(copy, data, size);
    copy[HEADER_SMALL - 8 + 5] = 0x7f;  // param_count, a high byte
    fix_checksum(copy, size);
    spill(bad, copy, size);
    expect_failure(bad, FF_STATUS_ERR_FORMAT, "impossible sizes");

    // A value no model can have, with a valid checksum: schedule base 1.
    memcpy(copy, data, size);
    const double one = 1.0;
    memcpy(copy + 28 + 3 * 8, &one, sizeof one);
    fix_checksum(copy, size);
    spill(bad, copy, size);
    expect_failure(bad, FF_STATUS_ERR_FORMAT, "schedule base");

    // A NaN weight and an infinite AdamW moment, with a valid checksum:
    // the first parameter follows the 64 Fourier frequencies, and the last
    // second moment comes just before the checksum.
    const float bad_values[] = {NAN, INFINITY};
    const size_t bad_offsets[] = {HEADER_SMALL + 64 * 4, size - 8};
    const char *bad_names[] = {"parameter 1 of", "AdamW second moment"};
    for (size_t i = 0; i < 2; i++) {
        memcpy(copy, data, size);
        memcpy(copy + bad_offsets[i], &bad_values[i], sizeof(float));
        fix_checksum(copy, size);
        spill(bad, copy, size);
        expect_failure(bad, FF_STATUS_ERR_FORMAT, bad_names[i]);
    }

    // Probing looks at the magic bytes only.
    ck_assert_int_eq(ff_model_probe(good, &err), 1);
    spill(bad, data, 7);
    ck_assert_int_eq(ff_model_probe(bad, &err), 0);
    memcpy(copy, data, size);
    copy[3] = 'm';
    spill(bad, copy, size);
    ck_assert_int_eq(ff_model_probe(bad, &err), 0);

    // A missing file.
    unlink(bad);
    expect_failure(bad, FF_STATUS_ERR_IO, "cannot open");
    ck_assert_int_eq(ff_model_probe(bad, &err), FF_STATUS_ERR_IO);

    free(copy);
    free(data);
    unlink(good);
    ff_model_free(m);
}
END_TEST

START_TEST(modelfile_loads_from_memory)
{
    char path[512];
    ff_error err;
    ff_model *m = small_model();

    test_scratch_path(path, sizeof path, "memory.ffm");
    ck_assert_int_eq(ff_model_save(m, path, &err), 0);
    size_t size = 0;
    unsigned char *data = slurp(path, &size);

    ff_model *back = ff_model_load_memory(data, size, "buffer", &err);
    ck_assert_msg(back != NULL, "%s", err.message);
    ck_assert_int_eq(memcmp(ff_model_get_config(m), ff_model_get_config(back),
                            sizeof(ff_model_config)), 0);
    ck_assert_int_eq(memcmp(m->params, back->params,
                            m->param_count * sizeof(float)), 0);

    // Messages name the buffer as they name a file.
    ck_assert_ptr_null(ff_model_load_memory(data, size - 1, "buffer", &err));
    ck_assert_int_eq(err.code, FF_STATUS_ERR_FORMAT);
    ck_assert_str_eq(err.message,
                     "buffer: the model file is truncated (it ends inside "
                     "the checksum); copy or train it again");
    ck_assert_ptr_null(ff_model_load_memory(NULL, 0, "buffer", &err));
    ck_assert_int_eq(err.code, FF_STATUS_ERR_FORMAT);

    free(data);
    unlink(path);
    ff_model_free(m);
    ff_model_free(back);
}
END_TEST

START_TEST(modelfile_save_failure_keeps_old)
{
    char path[512];
    ff_error err;
    ff_model *m = small_model();

    // A folder that does not exist: nothing is written, and the error
    // names the path.
    test_scratch_path(path, sizeof path, "missing-dir/model.ffm");
    ck_assert_int_ne(ff_model_save(m, path, &err), 0);
    ck_assert_int_eq(err.code, FF_STATUS_ERR_IO);
    ck_assert_ptr_nonnull(strstr(err.message, "model.ffm"));
    ck_assert_int_ne(access(path, F_OK), 0);
    ff_model_free(m);
}
END_TEST

START_TEST(modelfile_save_rejects_nan)
{
    char path[512];
    ff_error err;
    ff_model *m = small_model();

    // A model that ff_model_load would reject is not written at all.
    test_scratch_path(path, sizeof path, "nan.ffm");
    m->params[10] = NAN;
    ck_assert_int_eq(ff_model_save(m, path, &err), FF_STATUS_ERR_NUMERIC);
    ck_assert_msg(strstr(err.message, "parameter 11 of") != NULL, "%s",
                  err.message);
    ck_assert_int_ne(access(path, F_OK), 0);
    ff_model_free(m);
}
END_TEST

static Suite *
modelfile_suite(void)
{
    Suite *s = suite_create("modelfile");

    TEST_ADD(s, modelfile_round_trip);
    TEST_ADD(s, modelfile_rejects_damage);
    TEST_ADD(s, modelfile_loads_from_memory);
    TEST_ADD(s, modelfile_save_failure_keeps_old);
    TEST_ADD(s, modelfile_save_rejects_nan);
    return s;
}

int
main(void)
{
    return test_run_suite(modelfile_suite()) == 0 ? 0 : 1;
}
