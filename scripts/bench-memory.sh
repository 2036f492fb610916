#!/usr/bin/env bash
# Measure the peak memory (resident set) of 'frameflow frames', from the
# program's own closing log line, which reads getrusage's ru_maxrss.
#
# - Each shipped structure alone, writing a gzip frames file.
# - The shipped structures (1lzh, which gives no frames, left out) named
#   over and over in a --list of 100, 500 and 2000 files, with 1 and 2
#   threads. The peak must stay near that of the largest single structure
#   and must not grow with the number of files.
# - The same 500 files written into a pipe that is drained only after two
#   seconds, so that the writer blocks and the readers run ahead as far as
#   they may.
#
# Set FRAMEFLOW_BENCH_MEMORY_COUNTS to other list lengths ("100 500").
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ! -f build/build.ninja ]]; then
    scripts/setup.sh >/dev/null
fi
meson compile -C build >/dev/null
frameflow=$PWD/build/cli/frameflow
read -r -a counts <<<"${FRAMEFLOW_BENCH_MEMORY_COUNTS:-100 500 2000}"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/frameflow-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

shipped=()
for f in datasets/*.pdb datasets/*.cif datasets/*.gz; do
    [[ $f == *1lzh* ]] || shipped+=("$PWD/$f")
done

# Print the peak memory in MiB of one frames run with the given arguments.
peak_mib() {
    "$frameflow" frames "$@" 2>&1 >/dev/null \
        | sed -n 's/.*peak memory \([0-9.]*\) MiB.*/\1/p'
}

echo "bench-memory: $(nproc) cores; peak resident set of frameflow frames"
echo "single structures, gzip output:"
for f in "${shipped[@]}"; do
    printf '  %-16s %8s MiB\n' "$(basename "$f")" \
        "$(peak_mib "$f" -o "$tmp/out.tsv.gz")"
done

echo "lists of the shipped structures, gzip output:"
printf '  %6s %12s %12s\n' files "1 thread" "2 threads"
for count in "${counts[@]}"; do
    for ((i = 0; i < count; i++)); do
        echo "${shipped[i % ${#shipped[@]}]}"
    done >"$tmp/list.txt"
    one=$(peak_mib --list "$tmp/list.txt" --threads 1 -o "$tmp/out.tsv.gz")
    two=$(peak_mib --list "$tmp/list.txt" --threads 2 -o "$tmp/out.tsv.gz")
    printf '  %6d %8s MiB %8s MiB\n' "$count" "$one" "$two"
done

echo "500 files into a pipe drained after 2 s, 2 threads:"
for ((i = 0; i < 500; i++)); do
    echo "${shipped[i % ${#shipped[@]}]}"
done >"$tmp/list.txt"
mkfifo "$tmp/pipe"
peak_mib --list "$tmp/list.txt" --threads 2 -o "$tmp/pipe" >"$tmp/peak" &
exec 3<"$tmp/pipe"
sleep 2
cat <&3 >/dev/null
exec 3<&-
wait
printf '  %8s MiB\n' "$(cat "$tmp/peak")"
