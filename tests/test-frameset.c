#include <stdio.h>
#include <string.h>

#include <check.h>

#include "frameflow/frames.h"
#include "frameflow/so3.h"
#include "testutil.h"

static void
random_pose(ff_rng *rng, ff_pose *pose)
{
    double w[3];

    test_random_vector(rng, w);
    ff_so3_exp(pose->R, w);
    test_random_vector(rng, pose->x);
}

static const char *
source_of(const ff_frameset *set, size_t i)
{
    return set->sources[set->labels[i].source];
}

static const char *
chain_of(const ff_frameset *set, size_t i)
{
    return set->chains[set->labels[i].chain];
}

START_TEST(frameset_free_accepts_null)
{
    ff_frameset_free(NULL);
}
END_TEST

START_TEST(frameset_add_keeps_labels)
{
    ff_error err;
    ff_frameset *set = ff_frameset_new(&err);
    ff_rng rng;
    ff_pose pose;

    ck_assert_ptr_nonnull(set);
    ff_rng_init(&rng, 7, FF_RNG_STREAM_USER, 0, 0);
    random_pose(&rng, &pose);
    ck_assert_int_eq(ff_frameset_add(set, &pose, "a.pdb", "H", 1, 52, 'A',
                                     "SER", FF_FRAME_KIND_RESIDUE, 0.0, &err),
                     0);
    ck_assert_int_eq(ff_frameset_add(set, &pose, "a.pdb", "L", 2, -3, ' ',
                                     "ABCDEFGHIJ", FF_FRAME_KIND_INTERPOLATED,
                                     0.25, &err),
                     0);
    ck_assert_uint_eq(set->count, 2);
    ck_assert_uint_eq(set->source_count, 1);
    ck_assert_uint_eq(set->chain_count, 2);
    ck_assert_str_eq(source_of(set, 1), "a.pdb");
    ck_assert_str_eq(chain_of(set, 0), "H");
    ck_assert_str_eq(chain_of(set, 1), "L");
    ck_assert_int_eq(set->labels[0].seqnum, 52);
    ck_assert_int_eq(set->labels[0].icode, 'A');
    ck_assert_int_eq(set->labels[1].model, 2);
    ck_assert_int_eq(set->labels[1].seqnum, -3);
    ck_assert_int_eq(set->labels[1].kind, FF_FRAME_KIND_INTERPOLATED);
    ck_assert_double_eq(set->labels[1].fraction, 0.25);
    // Residue names longer than FF_RESNAME_MAX are cut to that length.
    ck_assert_str_eq(set->labels[1].resname, "ABCDEFG");
    ck_assert_mem_eq(&set->poses[1], &pose, sizeof pose);
    ff_frameset_free(set);
}
END_TEST

START_TEST(frameset_add_rejects_unknown_kind)
{
    ff_error err;
    ff_frameset *set = ff_frameset_new(&err);
    ff_pose pose;

    ff_se3_identity(&pose);
    ck_assert_int_eq(ff_frameset_add(set, &pose, "a", "A", 1, 1, ' ', "ALA",
                                     7, 0.0, &err),
                     FF_STATUS_ERR_INVALID);
    ck_assert_int_eq(err.code, FF_STATUS_ERR_INVALID);
    ck_assert_uint_eq(set->count, 0);
    ff_frameset_free(set);
}
END_TEST

START_TEST(frameset_many_names_stay_distinct)
{
    ff_error err;
    ff_frameset *set = ff_frameset_new(&err);
    ff_pose pose;
    char name[32];

    ff_se3_identity(&pose);
    // Enough names to grow the lookup table several times.
    for (int i = 0; i < 3000; i++) {
        snprintf(name, sizeof name, "file-%d.pdb", i % 1000);
        ck_assert_int_eq(ff_frameset_add(set, &pose, name, i % 2 ? "A" : "B",
                                         1, i, ' ', "GLY",
                                         FF_FRAME_KIND_RESIDUE, 0.0, &err),
                         0);
    }
    ck_assert_uint_eq(set->source_count, 1000);
    ck_assert_uint_eq(set->chain_count, 2);
    for (int i = 0; i < 3000; i++) {
        snprintf(name, sizeof name, "file-%d.pdb", i % 1000);
        ck_assert_str_eq(source_of(set, (size_t)i), name);
        ck_assert_str_eq(chain_of(set, (size_t)i), i % 2 ? "A" : "B");
    }
    ff_frameset_free(set);
}
END_TEST

START_TEST(frameset_append_merges_names)
{
    ff_error err;
    ff_frameset *a = ff_frameset_new(&err);
    ff_frameset *b = ff_frameset_new(&err);
    ff_rng rng;
    ff_pose pa;
    ff_pose pb;
    ff_pose pc;

    ff_rng_init(&rng, 11, FF_RNG_STREAM_USER, 0, 0);
    random_pose(&rng, &pa);
    random_pose(&rng, &pb);
    random_pose(&rng, &pc);
    ck_assert_int_eq(ff_frameset_add(a, &pa, "one.pdb", "A", 1, 1, ' ', "ALA",
                                     FF_FRAME_KIND_RESIDUE, 0.0, &err), 0);
    // b lists its names in another order than a, so indices must be mapped.
    ck_assert_int_eq(ff_frameset_add(b, &pb, "two.pdb", "B", 1, 5, ' ', "GLY",
                                     FF_FRAME_KIND_RESIDUE, 0.0, &err), 0);
    ck_assert_int_eq(ff_frameset_add(b, &pc, "one.pdb", "A", 3, 6, 'C', "SER",
                                     FF_FRAME_KIND_INTERPOLATED, 0.5, &err),
                     0);

    ck_assert_int_eq(ff_frameset_append(a, b, &err), 0);
    ck_assert_uint_eq(a->count, 3);
    ck_assert_uint_eq(a->source_count, 2);
    ck_assert_uint_eq(a->chain_count, 2);
    ck_assert_str_eq(source_of(a, 1), "two.pdb");
    ck_assert_str_eq(chain_of(a, 1), "B");
    ck_assert_str_eq(source_of(a, 2), "one.pdb");
    ck_assert_str_eq(chain_of(a, 2), "A");
    ck_assert_int_eq(a->labels[2].model, 3);
    ck_assert_int_eq(a->labels[2].icode, 'C');
    ck_assert_double_eq(a->labels[2].fraction, 0.5);
    ck_assert_mem_eq(&a->poses[1], &pb, sizeof pb);
    ck_assert_mem_eq(&a->poses[2], &pc, sizeof pc);
    // The source set is untouched.
    ck_assert_uint_eq(b->count, 2);
    ck_assert_str_eq(source_of(b, 0), "two.pdb");

    ff_frameset_free(a);
    ff_frameset_free(b);
}
END_TEST

START_TEST(frameset_append_empty_set)
{
    ff_error err;
    ff_frameset *a = ff_frameset_new(&err);
    ff_frameset *b = ff_frameset_new(&err);

    ck_assert_int_eq(ff_frameset_append(a, b, &err), 0);
    ck_assert_uint_eq(a->count, 0);
    ff_frameset_free(a);
    ff_frameset_free(b);
}
END_TEST

static Suite *
frameset_suite(void)
{
    Suite *s = suite_create("frameset");

    TEST_ADD(s, frameset_free_accepts_null);
    TEST_ADD(s, frameset_add_keeps_labels);
    TEST_ADD(s, frameset_add_rejects_unknown_kind);
    TEST_ADD(s, frameset_many_names_stay_distinct);
    TEST_ADD(s, frameset_append_merges_names);
    TEST_ADD(s, frameset_append_empty_set);
    return s;
}

int
main(void)
{
    return test_run_suite(frameset_suite()) == 0 ? 0 : 1;
}
