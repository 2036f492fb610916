#!/usr/bin/env bash
# Sampler throughput: milliseconds per sampler step and frame-steps per
# second of 'frameflow sample', for the deep model with 1000 samples and
# the small model with 500, on 1 and 2 threads, as the median of a few
# runs. The models are trained for one step only: the weights do not change
# the cost of a step.
#
# The ratios compare with figures recorded for the tutorial's PyTorch code
# on a 2-core AVX-512 machine, 1 thread, per sampler step: deep, 1000
# frames, 64 ms as written (the autograd graph kept, as the tutorial does)
# and 21 ms with autograd off; small, 500 frames, 4.5 ms and 3.1 ms. The
# tutorial's code keeps the graph of every step, so its steps slow down as
# a run goes on.
#
# To measure the reference side by side instead, point FRAMEFLOW_REFERENCE
# at the reference script (its 'timesample' command; it needs
# python3-torch). It times 30 steps, which understates the cost of the kept
# graph, but on a shared machine only figures measured together compare
# well.
#
# Environment: BUILD (build folder, default build), STEPS (sampler steps
# per run, default 200), RUNS (runs per figure, default 3).
set -euo pipefail
cd "$(dirname "$0")/.."

build=${BUILD:-build}
steps=${STEPS:-200}
runs=${RUNS:-3}
frameflow=$build/cli/frameflow
meson compile -C "$build" >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for arch in deep small; do
    "$frameflow" train datasets/1crn.pdb --arch "$arch" --steps 1 \
        --batch 16 --checkpoint-every 0 -o "$tmp/$arch.ffm" -q
done

# Print the median of the numbers on standard input.
median() {
    sort -g | awk '{ v[NR] = $1 } END {
        if (NR % 2) { print v[(NR + 1) / 2] }
        else { print (v[NR / 2] + v[NR / 2 + 1]) / 2 } }'
}

# Print frameflow's median milliseconds per step for ARCH, N samples and
# THREADS threads: wall time, then processor time per thread. The second
# is the figure that survives a busy machine, where the wall time mostly
# measures the other work.
frameflow_ms() {
    local arch=$1 n=$2 threads=$3
    for ((r = 0; r < runs; r++)); do
        "$frameflow" sample "$tmp/$arch.ffm" -n "$n" --steps "$steps" \
            --threads "$threads" --seed "$r" -o "$tmp/s.tsv" 2>&1 \
            | sed -n 's/.*in \([0-9.]*\) s (processor time \([0-9.]*\) s).*/\1 \2/p'
    done >"$tmp/times"
    local wall cpu
    wall=$(awk -v s="$steps" '{ print 1000 * $1 / s }' "$tmp/times" | median)
    cpu=$(awk -v s="$steps" -v t="$threads" '{ print 1000 * $2 / s / t }' \
          "$tmp/times" | median)
    echo "$wall $cpu"
}

# Print the reference's milliseconds per step, as written and with
# autograd off, or the quoted 1-thread figures.
reference_ms() {
    local arch=$1 n=$2 threads=$3
    if [[ -n "${FRAMEFLOW_REFERENCE:-}" ]]; then
        /usr/bin/python3 "$FRAMEFLOW_REFERENCE" timesample --model "$arch" \
            --B "$n" --steps 30 --threads "$threads" \
            | /usr/bin/python3 -c 'import json, sys
d = json.load(sys.stdin)
print(1e3 * d["median_s_per_step_autograd_graph_as_tutorial"],
      1e3 * d["median_s_per_step_no_grad"])'
    elif [[ $threads -eq 1 && $arch == deep ]]; then
        echo "64 21"
    elif [[ $threads -eq 1 ]]; then
        echo "4.5 3.1"
    else
        echo "- -"
    fi
}

printf '%-6s %6s %7s %12s %11s %14s %20s %20s\n' model frames threads \
    'ms per step' 'cpu/thread' 'frame-steps/s' 'tutorial (speedup)' \
    'autograd off (speedup)'
for spec in "deep 1000" "small 500"; do
    read -r arch n <<<"$spec"
    for threads in 1 2; do
        read -r ms cpu <<<"$(frameflow_ms "$arch" "$n" "$threads")"
        read -r written nograd <<<"$(reference_ms "$arch" "$n" "$threads")"
        awk -v a="$arch" -v n="$n" -v t="$threads" -v ms="$ms" -v cpu="$cpu" \
            -v w="$written" -v g="$nograd" 'BEGIN {
            rate = n * 1000 / ms
            if (w == "-") { ws = "-"; gs = "-" }
            else {
                ws = sprintf("%.1f ms (%.1fx)", w, w / ms)
                gs = sprintf("%.1f ms (%.1fx)", g, g / ms)
            }
            printf "%-6s %6d %7d %12.2f %11.2f %14.0f %20s %20s\n", a, n, t,
                ms, cpu, rate, ws, gs }'
    done
done
