#!/usr/bin/env bash
# Time structure reading and frame building.
#
# - gemmi alone: build/bench/bench-frames "read" opens and parses each file
#   with the same reader that frameflow uses, and builds no frames.
# - frames: bench-frames "frames" reads the same files and builds their
#   frames (no interpolation, then the default 19 per gap).
# - frameflow frames: the whole program, writing a gzip frames file, with
#   1 and 2 threads.
# - threads: bench-frames reading a batch (the shipped files, 4 times) with
#   1 and 2 threads.
#
# Inputs are the shipped structures and one large structure made here: 60
# copies of 3BDY's atoms under distinct two-letter chain names (31,680
# residues). Each figure is the median of several short runs; runs of the
# things compared alternate, so load from other processes falls on all of
# them. Reading against frame building compares process CPU time, because
# other processes on the machine disturb it less than wall time. The thread
# comparison and the program use wall time. Residues are the amino-acid
# residues of the first model.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ! -f build/build.ninja ]]; then
    scripts/setup.sh >/dev/null
fi
meson compile -C build >/dev/null
bench=build/bench/bench-frames
frameflow=build/cli/frameflow
repeats=${FRAMEFLOW_BENCH_REPEATS:-5}
# The whole program writes a gzip file and takes longer: fewer runs.
program_repeats=${FRAMEFLOW_BENCH_PROGRAM_REPEATS:-3}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/frameflow-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

shipped=(datasets/*.pdb datasets/*.cif datasets/*.gz)
awk 'BEGIN { ids = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz01234567" }
     /^(ATOM  |HETATM|TER)/ { lines[n++] = $0 }
     END {
         for (k = 1; k <= 60; k++) {
             for (i = 0; i < n; i++) {
                 line = lines[i]
                 print substr(line, 1, 20) substr(ids, k, 1) substr(line, 22)
             }
         }
         print "END"
     }' datasets/3BDY.pdb >"$tmp/large.pdb"
large=("$tmp/large.pdb")

median() {
    sort -g | awk '{ v[NR] = $1 }
        END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
              print m }'
}

# Print one field (median_s for wall time, cpu_s for CPU time) of one
# bench-frames run.
bench_field() {
    local field=$1
    shift
    "$bench" "$@" | tr '\t' '\n' | awk -F= -v f="$field" '$1 == f { print $2 }'
}

bench_residues() {
    "$bench" read 1 1 0 "$@" | tr '\t' '\n' \
        | awk -F= '$1 == "residues" { print $2 }'
}

# Print the median wall time of frameflow frames with the given number of
# threads over the given inputs.
frameflow_seconds() {
    local threads=$1
    shift
    for ((r = 0; r < program_repeats; r++)); do
        local start=$EPOCHREALTIME
        "$frameflow" frames "$@" -o "$tmp/out.tsv.gz" -q --threads "$threads"
        awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { print b - a }'
    done | median
}

# Compare gemmi alone with frame building on one set of files.
compare_set() {
    local label=$1
    shift
    local residues read_s frames_s interp_s
    residues=$(bench_residues "$@")
    for ((r = 0; r < repeats; r++)); do
        bench_field cpu_s read 1 1 0 "$@" >>"$tmp/read"
        bench_field cpu_s frames 1 1 0 "$@" >>"$tmp/frames"
        bench_field cpu_s frames 1 1 19 "$@" >>"$tmp/interp"
    done
    read_s=$(median <"$tmp/read")
    frames_s=$(median <"$tmp/frames")
    interp_s=$(median <"$tmp/interp")
    rm -f "$tmp/read" "$tmp/frames" "$tmp/interp"
    local program_s program2_s
    program_s=$(frameflow_seconds 1 "$@")
    program2_s=$(frameflow_seconds 2 "$@")
    awk -v l="$label" -v n="$residues" -v r="$read_s" -v f="$frames_s" \
        -v i="$interp_s" -v p="$program_s" -v p2="$program2_s" 'BEGIN {
        printf "%s: %d residues\n", l, n
        printf "  gemmi read alone          %8.4f s CPU  %9.0f residues/s\n", r, n / r
        printf "  read + frames             %8.4f s CPU  %9.0f residues/s  (%+.0f%% over gemmi)\n", f, n / f, 100 * (f - r) / r
        printf "  read + frames, K=19       %8.4f s CPU  %9.0f residues/s  (%+.0f%% over gemmi)\n", i, n / i, 100 * (i - r) / r
        printf "  frameflow frames, K=19    %8.4f s wall %9.0f residues/s  (gzip output, 1 thread)\n", p, n / p
        printf "  frameflow frames, K=19    %8.4f s wall %9.0f residues/s  (gzip output, 2 threads)\n", p2, n / p2
    }'
}

echo "bench-frames: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)," \
     "median of $repeats runs"
compare_set "shipped structures (${#shipped[@]} files)" "${shipped[@]}"
compare_set "large structure (60 copies of 3BDY)" "${large[@]}"

batch=("${shipped[@]}" "${shipped[@]}" "${shipped[@]}" "${shipped[@]}")
for ((r = 0; r < repeats; r++)); do
    "$bench" read 1 1 0 "${batch[@]}" >>"$tmp/one"
    "$bench" read 2 1 0 "${batch[@]}" >>"$tmp/two"
done
field() {
    tr '\t' '\n' <"$1" | awk -F= -v f="$2" '$1 == f { print $2 }' | median
}
# CPU time that grows with the threads would mean work lost to contention;
# wall time shows the speed-up only when the machine has a core to spare.
awk -v a="$(field "$tmp/one" median_s)" -v b="$(field "$tmp/two" median_s)" \
    -v ca="$(field "$tmp/one" cpu_s)" -v cb="$(field "$tmp/two" cpu_s)" \
    -v n="${#batch[@]}" 'BEGIN {
    printf "threads: batch of %d files, 1 thread %.4f s wall %.4f s CPU, 2 threads %.4f s wall %.4f s CPU: %.2fx faster\n", n, a, ca, b, cb, a / b
}'
