/*
 * Fast decimal formatting (see numfmt.h).
 *
 * For a finite double v = m 2^e (m an integer below 2^53) and a decimal
 * exponent k with 10^k <= |v| < 10^(k+1), the 17 significant digits that
 * %.17g prints are q = round(|v| 10^(16-k)), rounded half to even as glibc
 * does in the default rounding mode. With 1e-4 <= |v| < 1e15, 16 - k lies
 * in 2..20 and -e in 3..66, so m 10^(16-k) is an integer below 2^120 and q
 * is that integer shifted right by -e bits: exact, with no big-number
 * arithmetic. %.17g then uses fixed notation, because -4 <= k < 17.
 */
#include "numfmt.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

__extension__ typedef unsigned __int128 uint128;

static const uint64_t powers_of_ten[20] = {
    1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL,
    10000000ULL, 100000000ULL, 1000000000ULL, 10000000000ULL,
    100000000000ULL, 1000000000000ULL, 10000000000000ULL,
    100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL,
    100000000000000000ULL, 1000000000000000000ULL,
    10000000000000000000ULL
};

static uint128
power_of_ten(int p)
{
    if (p < 20) {
        return powers_of_ten[p];
    }
    return (uint128)powers_of_ten[19] * 10;
}

/* Write the digits of n (below 10^17) as exactly count characters, with
 * leading zeros. */
static void
write_digits(char *out, uint64_t n, int count)
{
    for (int i = count - 1; i >= 0; i--) {
        out[i] = (char)('0' + n % 10);
        n /= 10;
    }
}

size_t
ff_format_g17(char *out, double v)
{
    double magnitude = fabs(v);
    if (!(magnitude >= 1e-4 && magnitude < 1e15)) {
        int n = snprintf(out, FF_G17_MAX, "%.17g", v);
        return n > 0 ? (size_t)n : 0;
    }

    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    uint64_t m = (bits & ((1ULL << 52) - 1)) | (1ULL << 52);
    int shift = 1075 - (int)((bits >> 52) & 0x7ff);   // v = m 2^-shift

    // A first guess at k: floor(log10(2^x)) with 78913 / 2^18 for log10(2)
    // is off by one at most, and the loop corrects it.
    int x = 52 - shift;
    int k = x >= 0 ? (x * 78913) >> 18 : -((-x * 78913 + (1 << 18) - 1) >> 18);
    uint64_t q;
    for (;;) {
        if (k < -4 || k > 16) {
            int n = snprintf(out, FF_G17_MAX, "%.17g", v);
            return n > 0 ? (size_t)n : 0;
        }
        uint128 scaled = (uint128)m * power_of_ten(16 - k);
        q = (uint64_t)(scaled >> shift);
        if (q >= powers_of_ten[17]) {
            k++;
            continue;
        }
        if (q < powers_of_ten[16]) {
            k--;
            continue;
        }
        uint128 rest = scaled & (((uint128)1 << shift) - 1);
        uint128 half = (uint128)1 << (shift - 1);
        if (rest > half || (rest == half && (q & 1))) {
            q++;
        }
        break;
    }
    if (q == powers_of_ten[17]) {
        // Rounding carried into an 18th digit: 10^(k+1) exactly.
        q = powers_of_ten[16];
        k++;
    }

    char digits[17];
    write_digits(digits, q, 17);
    int last = 16;
    while (last > 0 && digits[last] == '0') {
        last--;
    }

    char *p = out;
    if (v < 0) {
        *p++ = '-';
    }
    if (k >= 0) {
        memcpy(p, digits, (size_t)k + 1);
        p += k + 1;
        if (last > k) {
            *p++ = '.';
            memcpy(p, digits + k + 1, (size_t)(last - k));
            p += last - k;
        }
    } else {
        *p++ = '0';
        *p++ = '.';
        for (int z = 0; z < -k - 1; z++) {
            *p++ = '0';
        }
        memcpy(p, digits, (size_t)last + 1);
        p += last + 1;
    }
    *p = '\0';
    return (size_t)(p - out);
}

size_t
ff_format_int32(char *out, int32_t n)
{
    char *p = out;
    uint32_t u = (uint32_t)n;
    if (n < 0) {
        *p++ = '-';
        u = 0U - u;
    }
    char digits[10];
    int count = 0;
    do {
        digits[count++] = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    while (count > 0) {
        *p++ = digits[--count];
    }
    *p = '\0';
    return (size_t)(p - out);
}
