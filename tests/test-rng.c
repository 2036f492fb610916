#include <check.h>

#include "frameflow/rng.h"
#include "testutil.h"

START_TEST(rng_same_key_same_stream)
{
    ff_rng a;
    ff_rng b;

    ff_rng_init(&a, 42, FF_RNG_STREAM_NOISE, 7, 3);
    ff_rng_init(&b, 42, FF_RNG_STREAM_NOISE, 7, 3);
    for (int i = 0; i < 1000; i++) {
        ck_assert_uint_eq(ff_rng_u32(&a), ff_rng_u32(&b));
    }
}
END_TEST

static Suite *
rng_suite(void)
{
    Suite *s = suite_create("rng");

    TEST_ADD(s, rng_same_key_same_stream);
    return s;
}

int
main(void)
{
    return test_run_suite(rng_suite()) == 0 ? 0 : 1;
}
