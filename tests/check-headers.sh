#!/bin/sh
# Compile every public header alone, as C11 and as C++17, with pedantic
# warnings as errors, so a header that leans on an earlier include or on a
# compiler extension fails the suite.
#
# Usage: check-headers.sh SOURCE_HEADER_DIR BUILD_HEADER_DIR CC [CXX]
# SOURCE_HEADER_DIR is the source tree's include folder and BUILD_HEADER_DIR
# the build tree's, which has the generated version.h; each contains
# frameflow/. CC and CXX are compiler commands.
set -eu

src_dir=$1
build_dir=$2
cc=$3
cxx=${4:-}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

count=0
failed=0
for header in "$src_dir"/frameflow/*.h "$build_dir"/frameflow/*.h; do
    [ -f "$header" ] || continue
    name=$(basename "$header")
    count=$((count + 1))
    # The typedef keeps a header of macros alone from leaving an empty
    # translation unit, which ISO C forbids.
    printf '#include <frameflow/%s>\ntypedef int header_check;\n' \
        "$name" >"$tmp/one.c"
    cp "$tmp/one.c" "$tmp/one.cpp"
    if ! $cc -std=c11 -pedantic -Wall -Wextra -Werror -fsyntax-only \
            -I"$src_dir" -I"$build_dir" "$tmp/one.c"; then
        echo "check-headers: frameflow/$name is not self-contained C11" >&2
        failed=$((failed + 1))
    fi
    if [ -n "$cxx" ] && ! $cxx -std=c++17 -pedantic -Wall -Wextra -Werror \
            -fsyntax-only -I"$src_dir" -I"$build_dir" "$tmp/one.cpp"; then
        echo "check-headers: frameflow/$name is not self-contained C++17" >&2
        failed=$((failed + 1))
    fi
done

if [ "$count" -eq 0 ]; then
    echo "check-headers: no headers found under $src_dir/frameflow" >&2
    exit 1
fi
echo "check-headers: $count headers checked, $failed failures"
[ "$failed" -eq 0 ]
