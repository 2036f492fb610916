#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "numfmt.h"
#include "testutil.h"

/* xorshift64: a fixed stream of test values. */
static uint64_t
next_bits(uint64_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return *state;
}

/* Check ff_format_g17 against snprintf's %.17g for one value. */
static void
check_g17(double v)
{
    char fast[FF_G17_MAX];
    char expected[64];

    size_t n = ff_format_g17(fast, v);
    snprintf(expected, sizeof expected, "%.17g", v);
    ck_assert_msg(strcmp(fast, expected) == 0, "%.17g: got '%s', want '%s'",
                  v, fast, expected);
    ck_assert_uint_eq(n, strlen(expected));
}

START_TEST(g17_matches_printf_on_edges)
{
    const double values[] = {
        0.0, -0.0, 1.0, -1.0, 0.5, 0.1, 0.2, 0.3, 1e-4, -1e-4,
        nextafter(1e-4, 0.0), nextafter(1e-4, 1.0), 1e15,
        nextafter(1e15, 0.0), 1e16, 1e-5, 123456789.125, 0.1 + 0.2,
        9.9999999999999995e-5, 99999999999999.99, 999999999999999.88,
        0.99999999999999989, 9.9999999999999982, 5e-324, 2.2250738585072014e-308,
        1.7976931348623157e308, INFINITY, -INFINITY, NAN,
        1.0 / 3.0, 2.0 / 3.0, M_PI, -M_PI * 1e10, 4503599627370496.0,
        4503599627370495.5,
    };
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        check_g17(values[i]);
    }
    // Every power of ten and its neighbours across the fast range.
    for (int k = -6; k <= 17; k++) {
        double p = pow(10.0, k);
        check_g17(p);
        check_g17(nextafter(p, 0.0));
        check_g17(nextafter(p, INFINITY));
        check_g17(-p);
    }
}
END_TEST

START_TEST(g17_matches_printf_on_random_values)
{
    uint64_t state = 0x9e3779b97f4a7c15ULL;

    for (int i = 0; i < 300000; i++) {
        uint64_t bits = next_bits(&state);
        double v;
        switch (i % 3) {
        case 0:
            // Any bit pattern: every exponent, NaNs and infinities.
            memcpy(&v, &bits, sizeof v);
            break;
        case 1:
            // Full-precision fractions scaled across the fast range.
            v = ldexp((double)(bits >> 11), -53)
                * pow(10.0, (double)(int)(next_bits(&state) % 24) - 6);
            break;
        default:
            // Coordinates with three decimals, as PDB files give them.
            v = (double)(int64_t)(bits % 2000001) / 1000.0 - 1000.0;
            break;
        }
        if (bits & 1) {
            v = -v;
        }
        check_g17(v);
    }
}
END_TEST

START_TEST(g17_reads_back_exactly)
{
    uint64_t state = 12345;
    char text[FF_G17_MAX];

    for (int i = 0; i < 100000; i++) {
        double v = ldexp((double)(next_bits(&state) >> 11), -53) * 2.0 - 1.0;
        ff_format_g17(text, v);
        ck_assert_msg(strtod(text, NULL) == v, "%s does not read back",
                      text);
    }
}
END_TEST

START_TEST(int32_matches_printf)
{
    const int32_t values[] = {0, 1, -1, 9, 10, -10, 99999, 2147483647,
                              -2147483647 - 1, 1000000000, -999999999};
    char fast[12];
    char expected[16];

    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        size_t n = ff_format_int32(fast, values[i]);
        snprintf(expected, sizeof expected, "%d", (int)values[i]);
        ck_assert_str_eq(fast, expected);
        ck_assert_uint_eq(n, strlen(expected));
    }
}
END_TEST

static Suite *
numfmt_suite(void)
{
    Suite *s = suite_create("numfmt");

    TEST_ADD(s, g17_matches_printf_on_edges);
    TEST_ADD(s, g17_matches_printf_on_random_values);
    TEST_ADD(s, g17_reads_back_exactly);
    TEST_ADD(s, int32_matches_printf);
    return s;
}

int
main(void)
{
    return test_run_suite(numfmt_suite()) == 0 ? 0 : 1;
}
