#!/usr/bin/env bash
# Fuzz one reader of untrusted files with libFuzzer:
#
#   scripts/fuzz.sh TARGET SECONDS [LIBFUZZER_OPTION...]
#
# TARGET is structure, framesfile or modelfile (tests/fuzz/fuzz-TARGET.c).
# Installs clang when missing (through scripts/setup.sh), builds the target
# with clang, ASan and UBSan in build-fuzz/, and runs it on one core for
# SECONDS seconds. The run starts from build-fuzz/run-TARGET/corpus, into
# which the seed corpus tests/fuzz/corpus/TARGET and the inputs of
# tests/fuzz/regressions/TARGET are copied, and which keeps what earlier runs
# added. Crashes, leaks, timeouts and out-of-memory inputs go to
# build-fuzz/run-TARGET/findings. Prints the executions run, the coverage
# and every finding of this run, and exits 1 when there is one. Extra options go to libFuzzer, for
# example -max_len=4096.
set -euo pipefail

cd "$(dirname "$0")/.."

targets=(structure framesfile modelfile)
usage="usage: scripts/fuzz.sh TARGET SECONDS [LIBFUZZER_OPTION...]; TARGET is one of: ${targets[*]}"
if (($# < 2)); then
    echo "$usage" >&2
    exit 2
fi
target=$1
seconds=$2
shift 2
if [[ ! " ${targets[*]} " =~ " $target " ]]; then
    echo "fuzz: unknown target '$target'; $usage" >&2
    exit 2
fi
if [[ ! $seconds =~ ^[1-9][0-9]*$ ]]; then
    echo "fuzz: SECONDS must be a positive integer, not '$seconds'" >&2
    exit 2
fi

# libFuzzer comes with clang's runtime libraries, which apt installs only
# as a recommendation of clang.
FRAMEFLOW_EXTRA_PACKAGES="clang libclang-rt-dev ${FRAMEFLOW_EXTRA_PACKAGES:-}" \
    scripts/setup.sh

# One thread: the fuzzer gets one core, and OpenMP would only add noise to
# the coverage feedback.
if [[ ! -f build-fuzz/build.ninja ]]; then
    CC=clang CXX=clang++ meson setup build-fuzz -Dfuzzing=true \
        --buildtype=debugoptimized -Db_sanitize=address,undefined \
        -Db_lundef=false -Dopenmp=disabled >/dev/null
fi
if ! output=$(meson compile -C build-fuzz "fuzz-$target" 2>&1); then
    echo "$output" >&2
    echo "fuzz: building fuzz-$target failed" >&2
    exit 1
fi

run=build-fuzz/run-$target
mkdir -p "$run/corpus" "$run/findings"
find "tests/fuzz/corpus/$target" "tests/fuzz/regressions/$target" \
    -type f ! -name '.*' -exec cp {} "$run/corpus/" \;
log=$run/fuzz.log
# Findings of earlier runs stay; this run reports those newer than the mark.
touch "$run/started"

# The frames file target writes scratch files, and the writer's fsync makes
# that about 20 times slower on a disk than in memory. A crashing run leaves
# its scratch folder behind, so each run gets one that is removed at exit.
scratch_base=${TMPDIR:-/tmp}
if [[ -z ${TMPDIR:-} && -d /dev/shm && -w /dev/shm ]]; then
    scratch_base=/dev/shm
fi
scratch=$(mktemp -d "$scratch_base/frameflow-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
export TMPDIR=$scratch

echo "fuzz: running fuzz-$target for $seconds s; log in $log"
status=0
# UBSan stops at the first report, so that libFuzzer saves the input.
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
timeout --kill-after=30 $((seconds + 120)) \
    "build-fuzz/tests/fuzz/fuzz-$target" "$run/corpus" \
    -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2048 \
    -artifact_prefix="$run/findings/" -print_final_stats=1 "$@" \
    >"$log" 2>&1 || status=$?

# The last status line contains the coverage: cov (edges), ft (features).
grep -E '^#[0-9]+' "$log" | tail -n 1 || true
grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added)' \
    "$log" || true
findings=$(find "$run/findings" -type f -newer "$run/started" | sort)
if [[ -n $findings ]]; then
    echo "fuzz: findings (libFuzzer status $status):"
    echo "$findings"
    grep -E 'ERROR: |SUMMARY: |runtime error|fuzz check failed' "$log" \
        | head -n 20 || true
    exit 1
fi
if ((status != 0)); then
    echo "fuzz: fuzz-$target exited with status $status; see $log" >&2
    exit 1
fi
echo "fuzz: nothing found"
