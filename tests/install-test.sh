#!/usr/bin/env bash
# Install frameflow into a temporary folder with meson install --destdir,
# so nothing outside it is touched, and check what arrived. Then build a
# small C program against the installed library through pkg-config, once
# linked to the shared library and once to the static one, and run it.
#
# Usage: install-test.sh MESON BUILD_DIR SOURCE_DIR CC [SANITIZE]
# CC is the C compiler command; SANITIZE is meson's b_sanitize value, whose
# -fsanitize flags the program needs to link a sanitized library.
set -euo pipefail

meson=$1
build_dir=$2
source_dir=$3
read -r -a cc <<<"$4"
sanitize=${5:-none}

cflags=(-std=c11 -Wall -Wextra -Werror)
if [[ "$sanitize" != none && -n "$sanitize" ]]; then
    cflags+=("-fsanitize=$sanitize")
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/frameflow-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
failed=0

fail() {
    echo "install-test: $*" >&2
    failed=$((failed + 1))
}

# Print the one path under root that matches a find expression.
find_one() {
    local found
    found=$(find "$root" "$@")
    if [[ -z "$found" || "$found" == *$'\n'* ]]; then
        echo "install-test: expected one installed file for: $*" >&2
        echo "install-test: found: ${found:-nothing}" >&2
        exit 1
    fi
    echo "$found"
}

# Print the function names that the headers given declare with FF_API, one
# per line: preprocessor lines and comments are dropped, then the name is
# the identifier before the first '(' of each FF_API declaration.
api_functions() {
    cat "$@" | grep -v '^[[:space:]]*#' | grep -v '^[[:space:]]*//' \
        | tr '\n' ' ' \
        | sed -e 's:/\*[^*]*\*\+\([^/*][^*]*\*\+\)*/: :g' \
        | grep -oE 'FF_API[^;(]*\(' \
        | grep -oE '[A-Za-z_][A-Za-z0-9_]*[[:space:]]*\($' \
        | tr -d ' (' | sort -u
}

echo "== meson install into $root"
"$meson" install -C "$build_dir" --no-rebuild --destdir "$root" --quiet

pc=$(find_one -name frameflow.pc)
libdir=$(dirname "$(dirname "$pc")")
includedir=$(find_one -type d -path '*/include/frameflow')
program=$(find_one -type f -path '*/bin/frameflow')
manpage=$(find_one -type f -path '*/man1/frameflow.1')
shared=$(find_one -type f -name 'libframeflow.so.*')
find_one -name libframeflow.a >/dev/null

echo "== headers"
for header in "$source_dir"/include/frameflow/*.h version.h; do
    name=$(basename "$header")
    if [[ ! -f "$includedir/$name" ]]; then
        fail "frameflow/$name is not installed"
    fi
done

echo "== exported symbols of $(basename "$shared")"
api_functions "$includedir"/*.h >"$tmp/api.txt"
nm -D --defined-only "$shared" | awk '{ print $3 }' | sort -u \
    >"$tmp/exported.txt"
if [[ ! -s "$tmp/api.txt" ]]; then
    fail "no FF_API function found in the installed headers"
fi
if ! diff "$tmp/api.txt" "$tmp/exported.txt" >"$tmp/symbols.diff"; then
    fail "exported symbols differ from the FF_API functions" \
         "('<' declared only, '>' exported only):"
    cat "$tmp/symbols.diff" >&2
fi
echo "$(wc -l <"$tmp/exported.txt") symbols"

echo "== program and manual page"
# --version prints the frameflow and gemmi versions and the OpenMP state;
# OMP_NUM_THREADS sets the thread count that it reports.
OMP_NUM_THREADS=3 "$program" --version >"$tmp/version"
expected=$(grep -oE '"[0-9]+\.[0-9]+\.[0-9]+"' "$includedir/version.h" \
    | tr -d '"')
if [[ "$(sed -n 1p "$tmp/version")" != "frameflow $expected" ]]; then
    fail "frameflow --version printed '$(sed -n 1p "$tmp/version")'," \
         "expected 'frameflow $expected'"
fi
if ! sed -n 2p "$tmp/version" | grep -qE '^gemmi [0-9]+\.[0-9]+'; then
    fail "the second line of frameflow --version is not 'gemmi VERSION'"
fi
if ! sed -n 3p "$tmp/version" \
        | grep -qxE 'OpenMP: (on, 3 threads available|off)'; then
    fail "the third line of frameflow --version is not the OpenMP state" \
         "with OMP_NUM_THREADS=3: '$(sed -n 3p "$tmp/version")'"
fi
if ! grep -q '^\.TH FRAMEFLOW 1' "$manpage"; then
    fail "$manpage has no .TH FRAMEFLOW 1 line"
fi

# The program's arguments: 1crn.pdb's chain and first frame as
# datasets/EXPECTED.tsv lists them (columns 5, 18-20 and 9-17).
structure=$source_dir/datasets/1crn.pdb
read -r -a expected_frames < <(awk -F'\t' '$1 == "1crn.pdb" {
    print $5, $18, $19, $20, $9, $10, $11, $12, $13, $14, $15, $16, $17
}' "$source_dir/datasets/EXPECTED.tsv")
if [[ ${#expected_frames[@]} -ne 13 ]]; then
    fail "no 1crn.pdb row in datasets/EXPECTED.tsv"
    exit 1
fi

export PKG_CONFIG_PATH=$libdir/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
# The .pc file names the final prefix; the sysroot maps it into root.
export PKG_CONFIG_SYSROOT_DIR=$root
read -r -a pc_cflags < <(pkg-config --cflags frameflow)

echo "== shared link: pkg-config --libs frameflow"
read -r -a pc_libs < <(pkg-config --libs frameflow)
"${cc[@]}" "${cflags[@]}" "${pc_cflags[@]}" \
    "$source_dir/tests/install-consumer.c" -o "$tmp/consumer-shared" \
    "${pc_libs[@]}"
if ! readelf -d "$tmp/consumer-shared" | grep -q 'NEEDED.*libframeflow\.so'
then
    fail "the shared link does not load libframeflow.so"
fi
if ! LD_LIBRARY_PATH=$libdir "$tmp/consumer-shared" "$structure" \
        "${expected_frames[@]}"; then
    fail "the program linked to the shared library failed"
fi

echo "== static link: pkg-config --static --libs frameflow"
# -l:libframeflow.a makes the linker take the archive where the shared
# library sits beside it; the other flags are those of Libs.private.
read -r -a pc_static < <(pkg-config --static --libs frameflow \
    | sed -e 's/-lframeflow\b/-l:libframeflow.a/')
"${cc[@]}" "${cflags[@]}" "${pc_cflags[@]}" \
    "$source_dir/tests/install-consumer.c" -o "$tmp/consumer-static" \
    "${pc_static[@]}"
if readelf -d "$tmp/consumer-static" | grep -q 'NEEDED.*libframeflow'; then
    fail "the static link still loads libframeflow.so"
fi
if ! "$tmp/consumer-static" "$structure" "${expected_frames[@]}"; then
    fail "the program linked to the static library failed"
fi

if ((failed > 0)); then
    echo "install-test: $failed checks failed" >&2
    exit 1
fi
echo "install-test: all checks passed"
