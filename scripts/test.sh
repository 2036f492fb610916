#!/usr/bin/env bash
# Set up, build and run the whole test suite, then run it again in a
# separate build with AddressSanitizer and UndefinedBehaviorSanitizer.
# Exits non-zero on any failure.
set -euo pipefail

cd "$(dirname "$0")/.."
scripts/setup.sh

echo "== release build"
meson compile -C build
meson test -C build --print-errorlogs

echo "== AddressSanitizer and UndefinedBehaviorSanitizer build"
if [[ ! -f build-sanitize/build.ninja ]]; then
    # -fsanitize=undefined in GCC leaves out float-cast-overflow, the check
    # for float-to-integer conversions out of range, so it is added here.
    fco=-fsanitize=float-cast-overflow
    meson setup build-sanitize --buildtype=debugoptimized \
        -Db_sanitize=address,undefined -Db_lundef=false \
        -Dc_args="$fco" -Dcpp_args="$fco" \
        -Dc_link_args="$fco" -Dcpp_link_args="$fco" >/dev/null
fi
meson compile -C build-sanitize
# Any sanitizer report fails the run; leaks are checked as well. The
# options reach every process the tests start, so a leak in a frameflow run
# by a shell test, or in a forked Check test, fails its test too.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    meson test -C build-sanitize --print-errorlogs --timeout-multiplier 3

echo "test: all suites passed in both builds"
