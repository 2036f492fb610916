#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <zlib.h>

#include "frameflow/frames.h"
#include "frameflow/so3.h"
#include "testutil.h"

#define HEADER "# frameflow frames 1\n" \
    "source\tmodel\tchain\tseqnum\ticode\tresname\tkind\tfraction\t" \
    "tx\tty\ttz\tR00\tR01\tR02\tR10\tR11\tR12\tR20\tR21\tR22\n"

#define GOOD_ROW "a.pdb\t1\tA\t5\t.\tALA\tresidue\t0\t1.5\t-2\t3\t" \
    "1\t0\t0\t0\t1\t0\t0\t0\t1\n"

static void
write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");

    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(text, 1, strlen(text), f), strlen(text));
    ck_assert_int_eq(fclose(f), 0);
}

static void
write_gzip(const char *path, const char *text, size_t length)
{
    gzFile gz = gzopen(path, "wb");

    ck_assert_ptr_nonnull(gz);
    ck_assert_int_eq(gzwrite(gz, text, (unsigned)length), (int)length);
    ck_assert_int_eq(gzclose(gz), Z_OK);
}

/* A set with every kind of label: insertion codes, negative numbers, an
 * empty chain name, interpolated frames, and rotations of every angle. */
static ff_frameset *
make_sample_set(void)
{
    ff_error err;
    ff_frameset *set = ff_frameset_new(&err);
    ff_rng rng;
    const char *chains[] = {"A", "H", "", "AA1"};

    ff_rng_init(&rng, 3, FF_RNG_STREAM_USER, 0, 0);
    for (int i = 0; i < 500; i++) {
        ff_pose pose;
        double w[3];
        test_random_axis(&rng, w);
        double angle = M_PI * ff_rng_uniform(&rng);
        for (int k = 0; k < 3; k++) {
            w[k] *= angle;
            pose.x[k] = 1000.0 * (2.0 * ff_rng_uniform(&rng) - 1.0);
        }
        ff_so3_exp(pose.R, w);
        int kind = i % 3 == 0 ? FF_FRAME_KIND_INTERPOLATED
                              : FF_FRAME_KIND_RESIDUE;
        double fraction = kind ? ff_rng_uniform(&rng) * 0.98 + 0.01 : 0.0;
        char source[32];
        snprintf(source, sizeof source, "dir/s%d.cif.gz", i / 100);
        ck_assert_int_eq(ff_frameset_add(set, &pose, source, chains[i % 4],
                                         1 + i / 250, i - 20,
                                         i % 7 == 0 ? 'B' : ' ', "MSE", kind,
                                         fraction, &err),
                         0);
    }
    return set;
}

static void
assert_sets_identical(const ff_frameset *a, const ff_frameset *b)
{
    ck_assert_uint_eq(a->count, b->count);
    for (size_t i = 0; i < a->count; i++) {
        const ff_frame_label *la = &a->labels[i];
        const ff_frame_label *lb = &b->labels[i];
        // Bit for bit: %.17g round-trips every double exactly.
        ck_assert_mem_eq(&a->poses[i], &b->poses[i], sizeof(ff_pose));
        ck_assert_mem_eq(&la->fraction, &lb->fraction, sizeof(double));
        ck_assert_str_eq(a->sources[la->source], b->sources[lb->source]);
        ck_assert_str_eq(a->chains[la->chain], b->chains[lb->chain]);
        ck_assert_int_eq(la->model, lb->model);
        ck_assert_int_eq(la->seqnum, lb->seqnum);
        ck_assert_int_eq(la->icode, lb->icode);
        ck_assert_str_eq(la->resname, lb->resname);
        ck_assert_int_eq(la->kind, lb->kind);
    }
}

/* Check that the file at path reads back as set, then remove it. */
static void
assert_file_matches(const char *path, const ff_frameset *set)
{
    ff_error err;
    ff_frameset *back = ff_frameset_read(path, &err);

    ck_assert_msg(back != NULL, "%s", err.message);
    assert_sets_identical(set, back);
    ff_frameset_free(back);
    unlink(path);
}

static void
check_round_trip(const char *name)
{
    char path[512];
    ff_error err;
    ff_frameset *set = make_sample_set();

    test_scratch_path(path, sizeof path, name);
    ck_assert_msg(ff_frameset_write(set, path, &err) == 0, "%s", err.message);
    assert_file_matches(path, set);
    ff_frameset_free(set);
}

START_TEST(framesfile_round_trip_plain)
{
    check_round_trip("round.tsv");
}
END_TEST

START_TEST(framesfile_round_trip_gzip)
{
    char path[512];
    unsigned char magic[2];

    check_round_trip("round.tsv.gz");

    // A ".gz" name gives gzip content.
    ff_error err;
    ff_frameset *set = make_sample_set();
    test_scratch_path(path, sizeof path, "magic.tsv.gz");
    ck_assert_int_eq(ff_frameset_write(set, path, &err), 0);
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fread(magic, 1, 2, f), 2);
    fclose(f);
    ck_assert_uint_eq(magic[0], 0x1f);
    ck_assert_uint_eq(magic[1], 0x8b);
    ck_assert_int_eq(ff_frameset_probe(path, &err), FF_FRAMESFILE_GZIP);

    unlink(path);

    // Any other name gives plain text.
    test_scratch_path(path, sizeof path, "plain.tsv");
    ck_assert_int_eq(ff_frameset_write(set, path, &err), 0);
    ck_assert_int_eq(ff_frameset_probe(path, &err), FF_FRAMESFILE_PLAIN);
    ff_frameset_free(set);
    unlink(path);
}
END_TEST

START_TEST(framesfile_gzip_found_by_content)
{
    char path[512];
    ff_error err;
    const char *text = HEADER GOOD_ROW;

    test_scratch_path(path, sizeof path, "hidden-gzip.tsv");
    write_gzip(path, text, strlen(text));
    ff_frameset *set = ff_frameset_read(path, &err);
    ck_assert_msg(set != NULL, "%s", err.message);
    ck_assert_uint_eq(set->count, 1);
    ck_assert_double_eq(set->poses[0].x[0], 1.5);
    ck_assert_int_eq(set->labels[0].icode, ' ');
    ck_assert_int_eq(ff_frameset_probe(path, &err), FF_FRAMESFILE_GZIP);
    ff_frameset_free(set);
    unlink(path);
}
END_TEST

START_TEST(framesfile_streamed_sets_in_order)
{
    char path[512];
    ff_error err;
    ff_frameset *set = make_sample_set();

    test_scratch_path(path, sizeof path, "stream.tsv.gz");
    ff_framesfile *file = ff_framesfile_open(path, &err);
    ck_assert_ptr_nonnull(file);
    ck_assert_int_eq(ff_framesfile_write(file, set, &err), 0);
    ck_assert_int_eq(ff_framesfile_write(file, set, &err), 0);
    // Nothing appears under the name before the commit.
    ck_assert_int_ne(access(path, F_OK), 0);
    ck_assert_int_eq(ff_framesfile_commit(file, &err), 0);

    ff_frameset *back = ff_frameset_read(path, &err);
    ck_assert_ptr_nonnull(back);
    ck_assert_uint_eq(back->count, 2 * set->count);
    ck_assert_mem_eq(&back->poses[set->count], &set->poses[0],
                     sizeof(ff_pose));
    ff_frameset_free(back);
    ff_frameset_free(set);
    unlink(path);
}
END_TEST

/* Write the sample set as four blocks encoded on parallel threads, then
 * check that the file reads back as the set. */
static void
check_blocks(const char *name)
{
    char path[512];
    ff_error err;
    ff_frameset *set = make_sample_set();
    ff_frameset *parts[4];
    ff_framesfile_block *blocks[4] = {NULL, NULL, NULL, NULL};

    // Four consecutive slices of the set, each a set of its own.
    for (int p = 0; p < 4; p++) {
        parts[p] = ff_frameset_new(&err);
        ck_assert_ptr_nonnull(parts[p]);
        for (size_t i = set->count * (size_t)p / 4;
             i < set->count * (size_t)(p + 1) / 4; i++) {
            const ff_frame_label *l = &set->labels[i];
            ck_assert_int_eq(ff_frameset_add(parts[p], &set->poses[i],
                                             set->sources[l->source],
                                             set->chains[l->chain], l->model,
                                             l->seqnum, l->icode, l->resname,
                                             l->kind, l->fraction, &err),
                             0);
        }
    }
    test_scratch_path(path, sizeof path, name);
    ff_framesfile *file = ff_framesfile_open(path, &err);
    ck_assert_ptr_nonnull(file);
    #pragma omp parallel for num_threads(4)
    for (int p = 0; p < 4; p++) {
        ff_error local;
        blocks[p] = ff_framesfile_encode(file, parts[p], &local);
    }
    for (int p = 0; p < 4; p++) {
        ck_assert_ptr_nonnull(blocks[p]);
        ck_assert_int_eq(ff_framesfile_write_block(file, blocks[p], &err), 0);
        ff_framesfile_block_free(blocks[p]);
        ff_frameset_free(parts[p]);
    }
    ck_assert_int_eq(ff_framesfile_commit(file, &err), 0);
    assert_file_matches(path, set);
    ff_frameset_free(set);
}

START_TEST(framesfile_blocks_plain)
{
    check_blocks("blocks.tsv");
}
END_TEST

START_TEST(framesfile_blocks_gzip_members)
{
    check_blocks("blocks.tsv.gz");
}
END_TEST

START_TEST(framesfile_round_trip_long_source)
{
    char path[512];
    ff_error err;
    ff_frameset *set = ff_frameset_new(&err);
    static char source[20000];
    ff_pose pose;

    // Rows longer than the writer's buffer take another path.
    memset(source, 'x', sizeof source - 1);
    ff_se3_identity(&pose);
    for (int i = 0; i < 8; i++) {
        source[i] = (char)('a' + i);
        ck_assert_int_eq(ff_frameset_add(set, &pose, source, "A", 1, i, ' ',
                                         "GLY", FF_FRAME_KIND_RESIDUE, 0.0,
                                         &err), 0);
    }
    test_scratch_path(path, sizeof path, "long.tsv");
    ck_assert_int_eq(ff_frameset_write(set, path, &err), 0);
    ff_frameset *back = ff_frameset_read(path, &err);
    ck_assert_msg(back != NULL, "%s", err.message);
    assert_sets_identical(set, back);
    ff_frameset_free(back);
    ff_frameset_free(set);
    unlink(path);
}
END_TEST

START_TEST(framesfile_write_rejects_tab_in_name)
{
    char path[512];
    ff_error err;
    ff_frameset *set = ff_frameset_new(&err);
    ff_pose pose;

    ff_se3_identity(&pose);
    ck_assert_int_eq(ff_frameset_add(set, &pose, "bad\tname.pdb", "A", 1, 1,
                                     ' ', "ALA", FF_FRAME_KIND_RESIDUE, 0.0,
                                     &err), 0);
    test_scratch_path(path, sizeof path, "tab.tsv");
    ck_assert_int_eq(ff_frameset_write(set, path, &err),
                     FF_STATUS_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(err.message, "tab"));
    ck_assert_int_ne(access(path, F_OK), 0);
    ff_frameset_free(set);
}
END_TEST

START_TEST(framesfile_write_to_missing_folder)
{
    ff_error err;
    ff_frameset *set = make_sample_set();

    ck_assert_int_eq(ff_frameset_write(set, "/nonexistent-folder/x.tsv",
                                       &err), FF_STATUS_ERR_IO);
    ck_assert_ptr_nonnull(strstr(err.message, "/nonexistent-folder/x.tsv"));
    ff_frameset_free(set);
}
END_TEST

/* Write text to a scratch file, read it, and check the status and that
 * the message contains the path followed by fragment. */
static void
expect_read_error(const char *text, int code, const char *fragment)
{
    char path[512];
    char located[600];
    ff_error err;

    test_scratch_path(path, sizeof path, "bad.tsv");
    write_text(path, text);
    ff_frameset *set = ff_frameset_read(path, &err);
    ck_assert_ptr_null(set);
    ck_assert_int_eq(err.code, code);
    snprintf(located, sizeof located, "%s%s", path, fragment);
    ck_assert_msg(strstr(err.message, located) != NULL,
                  "message '%s' lacks '%s'", err.message, located);
    unlink(path);
}

START_TEST(framesfile_read_wrong_column_count)
{
    expect_read_error(HEADER GOOD_ROW "a.pdb\t1\tA\t5\n",
                      FF_STATUS_ERR_FORMAT, ":4: expected 20");
}
END_TEST

START_TEST(framesfile_read_bad_integer)
{
    expect_read_error(HEADER
                      "a.pdb\t1\tA\t5x\t.\tALA\tresidue\t0\t1\t2\t3\t"
                      "1\t0\t0\t0\t1\t0\t0\t0\t1\n",
                      FF_STATUS_ERR_FORMAT, ":3: column seqnum");
}
END_TEST

START_TEST(framesfile_read_nan)
{
    expect_read_error(HEADER
                      "a.pdb\t1\tA\t5\t.\tALA\tresidue\t0\tnan\t2\t3\t"
                      "1\t0\t0\t0\t1\t0\t0\t0\t1\n",
                      FF_STATUS_ERR_NUMERIC, ":3: column tx: non-finite");
}
END_TEST

START_TEST(framesfile_read_far_translation)
{
    expect_read_error(HEADER
                      "a.pdb\t1\tA\t5\t.\tALA\tresidue\t0\t1\t2e5\t3\t"
                      "1\t0\t0\t0\t1\t0\t0\t0\t1\n",
                      FF_STATUS_ERR_NUMERIC, ":3: column ty: 2e5 Angstrom");
}
END_TEST

START_TEST(framesfile_write_rejects_far_translation)
{
    char path[512];
    ff_error err;
    ff_frameset *set = ff_frameset_new(&err);
    ff_pose pose;

    // The reader would reject the file, so it is not written.
    ff_se3_identity(&pose);
    pose.x[2] = -2.0 * FF_FRAMES_COORD_MAX;
    ck_assert_int_eq(ff_frameset_add(set, &pose, "far.pdb", "A", 1, 1, ' ',
                                     "ALA", FF_FRAME_KIND_RESIDUE, 0.0, &err),
                     0);
    test_scratch_path(path, sizeof path, "far.tsv");
    ck_assert_int_eq(ff_frameset_write(set, path, &err),
                     FF_STATUS_ERR_NUMERIC);
    ck_assert_msg(strstr(err.message, "frame 1 has the coordinate") != NULL,
                  "%s", err.message);
    ck_assert_int_ne(access(path, F_OK), 0);
    ff_frameset_free(set);
}
END_TEST

START_TEST(framesfile_read_infinite_rotation)
{
    expect_read_error(HEADER
                      "a.pdb\t1\tA\t5\t.\tALA\tresidue\t0\t1\t2\t3\t"
                      "1\t0\t0\t0\tinf\t0\t0\t0\t1\n",
                      FF_STATUS_ERR_NUMERIC, ":3: column R11");
}
END_TEST

START_TEST(framesfile_read_not_orthonormal)
{
    // 1.0001^2 - 1 = 2e-4, above the 1e-4 limit.
    expect_read_error(HEADER GOOD_ROW
                      "a.pdb\t1\tA\t5\t.\tALA\tresidue\t0\t1\t2\t3\t"
                      "1.0001\t0\t0\t0\t1\t0\t0\t0\t1\n",
                      FF_STATUS_ERR_NUMERIC, ":4: R00 ... R22 are not");
}
END_TEST

START_TEST(framesfile_read_six_decimals)
{
    // A rotation by 0.3 rad about z with six decimals, a blank line and a
    // comment: read as one frame whose rotation is exact to rounding.
    char path[512];
    ff_error err;

    test_scratch_path(path, sizeof path, "six.tsv");
    write_text(path, HEADER
               "# written with six decimals\n"
               "a.pdb\t1\tA\t5\t.\tALA\tresidue\t0\t1\t2\t3\t"
               "0.955336\t-0.295520\t0.000000\t"
               "0.295520\t0.955336\t0.000000\t"
               "0.000000\t0.000000\t1.000000\n"
               "\n");
    ff_frameset *set = ff_frameset_read(path, &err);
    ck_assert_msg(set != NULL, "%s", err.message);
    ck_assert_uint_eq(set->count, 1);
    ck_assert_double_le(ff_so3_orthonormality_error(set->poses[0].R), 1e-15);
    ck_assert_double_eq_tol(set->poses[0].R[0], cos(0.3), 2e-6);
    ck_assert_double_eq_tol(set->poses[0].R[3], sin(0.3), 2e-6);
    ff_frameset_free(set);
    unlink(path);
}
END_TEST

START_TEST(framesfile_read_reflection)
{
    expect_read_error(HEADER
                      "a.pdb\t1\tA\t5\t.\tALA\tresidue\t0\t1\t2\t3\t"
                      "1\t0\t0\t0\t1\t0\t0\t0\t-1\n",
                      FF_STATUS_ERR_NUMERIC, ":3: R00 ... R22 are not a "
                      "rotation: the determinant");
}
END_TEST

START_TEST(framesfile_read_bad_kind_and_fraction)
{
    expect_read_error(HEADER
                      "a.pdb\t1\tA\t5\t.\tALA\tframe\t0\t1\t2\t3\t"
                      "1\t0\t0\t0\t1\t0\t0\t0\t1\n",
                      FF_STATUS_ERR_FORMAT, ":3: column kind");
    expect_read_error(HEADER
                      "a.pdb\t1\tA\t5\t.\tALA\tinterpolated\t1\t1\t2\t3\t"
                      "1\t0\t0\t0\t1\t0\t0\t0\t1\n",
                      FF_STATUS_ERR_FORMAT, ":3: column fraction");
    expect_read_error(HEADER
                      "a.pdb\t1\tA\t5\tAB\tALA\tresidue\t0\t1\t2\t3\t"
                      "1\t0\t0\t0\t1\t0\t0\t0\t1\n",
                      FF_STATUS_ERR_FORMAT, ":3: column icode");
}
END_TEST

START_TEST(framesfile_read_wrong_version)
{
    expect_read_error("# frameflow frames 2\n", FF_STATUS_ERR_VERSION,
                      ":1: frames file format version 2");
}
END_TEST

START_TEST(framesfile_read_not_frames_file)
{
    expect_read_error("HEADER    PLANT PROTEIN\n", FF_STATUS_ERR_FORMAT,
                      ":1: not a frameflow frames file");
    expect_read_error("", FF_STATUS_ERR_FORMAT, ": empty file");
    expect_read_error("# frameflow frames 1\nsource\tmodel\n",
                      FF_STATUS_ERR_FORMAT, ":2: expected the column names");
}
END_TEST

START_TEST(framesfile_read_missing_file)
{
    ff_error err;

    ck_assert_ptr_null(ff_frameset_read("/nonexistent/frames.tsv", &err));
    ck_assert_int_eq(err.code, FF_STATUS_ERR_IO);
    ck_assert_ptr_nonnull(strstr(err.message, "/nonexistent/frames.tsv"));
    ck_assert_int_lt(ff_frameset_probe("/nonexistent/frames.tsv", &err), 0);
    ck_assert_ptr_null(ff_frameset_read(FF_SOURCE_DIR, &err));
    ck_assert_ptr_nonnull(strstr(err.message, "folder"));
}
END_TEST

START_TEST(framesfile_read_truncated_gzip)
{
    char path[512];
    char full[512];
    ff_error err;
    ff_frameset *set = make_sample_set();

    test_scratch_path(full, sizeof full, "whole.tsv.gz");
    ck_assert_int_eq(ff_frameset_write(set, full, &err), 0);
    FILE *f = fopen(full, "rb");
    ck_assert_ptr_nonnull(f);
    static unsigned char bytes[1 << 20];
    size_t n = fread(bytes, 1, sizeof bytes, f);
    fclose(f);
    ck_assert_uint_gt(n, 100);

    test_scratch_path(path, sizeof path, "cut.tsv.gz");
    f = fopen(path, "wb");
    ck_assert_uint_eq(fwrite(bytes, 1, n / 2, f), n / 2);
    fclose(f);
    ck_assert_ptr_null(ff_frameset_read(path, &err));
    ck_assert_int_eq(err.code, FF_STATUS_ERR_FORMAT);
    ck_assert_msg(strstr(err.message, "gzip") != NULL, "%s", err.message);
    ff_frameset_free(set);
    unlink(path);
    unlink(full);
}
END_TEST

START_TEST(framesfile_probe_bad_gzip_check)
{
    char path[512];
    ff_error err;

    // One small gzip member is inflated whole on the first read, so the
    // probe meets the damaged CRC-32 in its trailer and reports it.
    test_scratch_path(path, sizeof path, "bad-crc.tsv.gz");
    gzFile gz = gzopen(path, "wb");
    ck_assert_ptr_nonnull(gz);
    ck_assert_int_ge(gzputs(gz, HEADER GOOD_ROW), 0);
    ck_assert_int_eq(gzclose(gz), Z_OK);
    FILE *f = fopen(path, "r+b");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fseek(f, -8, SEEK_END), 0);
    ck_assert_int_eq(fputc(0, f), 0);
    ck_assert_int_eq(fputc(0, f), 0);
    ck_assert_int_eq(fclose(f), 0);
    ck_assert_int_eq(ff_frameset_probe(path, &err), FF_STATUS_ERR_FORMAT);
    ck_assert_msg(strstr(err.message, "corrupt gzip data") != NULL, "%s",
                  err.message);
    ck_assert_ptr_null(ff_frameset_read(path, &err));
    ck_assert_msg(strstr(err.message, "corrupt gzip data") != NULL, "%s",
                  err.message);
    unlink(path);
}
END_TEST

START_TEST(framesfile_probe_structure_file)
{
    char path[512];
    ff_error err;

    test_source_path(path, sizeof path, "datasets/1crn.pdb");
    ck_assert_int_eq(ff_frameset_probe(path, &err), 0);
    test_source_path(path, sizeof path, "datasets/1pfe.cif.gz");
    ck_assert_int_eq(ff_frameset_probe(path, &err), 0);
}
END_TEST

START_TEST(framesfile_read_error_is_one_line)
{
    // A carriage return and a terminal escape inside a field appear as
    // escapes in the message, which stays one line.
    expect_read_error(HEADER
                      "a.pdb\t1\tA\t5\t.\tALA\tresidue\t0\t1\t2\t3\t"
                      "1\t0\t0\t0\t1\t0\t0\t0\t1\r2\x1b[2J\n",
                      FF_STATUS_ERR_FORMAT,
                      ":3: column R22: invalid number "
                      "'1\\r2\\x1b[2J'");
}
END_TEST

static Suite *
framesfile_suite(void)
{
    Suite *s = suite_create("framesfile");

    TEST_ADD(s, framesfile_round_trip_plain);
    TEST_ADD(s, framesfile_blocks_plain);
    TEST_ADD(s, framesfile_blocks_gzip_members);
    TEST_ADD(s, framesfile_round_trip_gzip);
    TEST_ADD(s, framesfile_gzip_found_by_content);
    TEST_ADD(s, framesfile_streamed_sets_in_order);
    TEST_ADD(s, framesfile_round_trip_long_source);
    TEST_ADD(s, framesfile_write_rejects_tab_in_name);
    TEST_ADD(s, framesfile_write_to_missing_folder);
    TEST_ADD(s, framesfile_read_wrong_column_count);
    TEST_ADD(s, framesfile_read_bad_integer);
    TEST_ADD(s, framesfile_read_nan);
    TEST_ADD(s, framesfile_read_far_translation);
    TEST_ADD(s, framesfile_write_rejects_far_translation);
    TEST_ADD(s, framesfile_read_infinite_rotation);
    TEST_ADD(s, framesfile_probe_bad_gzip_check);
    TEST_ADD(s, framesfile_read_not_orthonormal);
    TEST_ADD(s, framesfile_read_six_decimals);
    TEST_ADD(s, framesfile_read_reflection);
    TEST_ADD(s, framesfile_read_bad_kind_and_fraction);
    TEST_ADD(s, framesfile_read_wrong_version);
    TEST_ADD(s, framesfile_read_not_frames_file);
    TEST_ADD(s, framesfile_read_missing_file);
    TEST_ADD(s, framesfile_read_truncated_gzip);
    TEST_ADD(s, framesfile_probe_structure_file);
    TEST_ADD(s, framesfile_read_error_is_one_line);
    return s;
}

int
main(void)
{
    return test_run_suite(framesfile_suite()) == 0 ? 0 : 1;
}
