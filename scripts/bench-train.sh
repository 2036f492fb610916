#!/usr/bin/env bash
# Training throughput: the small model at batch 500 and the deep model at
# batch 1000, on 1 and 2 threads, beside the single-precision matrix
# multiply rate of the model's shapes measured in the same run (this
# library's kernel, and OpenBLAS when its OpenMP build is installed).
#
# Usage: scripts/bench-train.sh [STEPS]   (timed steps per figure, default 30)
#
# Figures are medians. Run it on an otherwise idle machine: with other work
# on the cores, the threads of a step wait for each other and the figures
# mostly measure the load. cpu_ms, the processor time of a step, is the
# figure that survives a busy machine on one thread. On a busy machine
# OMP_WAIT_POLICY=passive also helps two threads a lot, because a thread
# that waits at a barrier then sleeps instead of spinning on the core the
# other thread needs.
set -euo pipefail
cd "$(dirname "$0")/.."

steps=${1:-30}
meson compile -C build >/dev/null

blas=()
for lib in /usr/lib/x86_64-linux-gnu/openblas-openmp/libopenblas.so.0 \
           /usr/lib/*/openblas-openmp/libopenblas.so.0; do
    if [[ -e "$lib" ]]; then
        blas=(--blas "$lib")
        break
    fi
done

echo "# $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# kernel: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)"
[[ ${#blas[@]} -gt 0 ]] || echo "# OpenBLAS (libopenblas0-openmp) not installed: kernel only"
printf 'sgemm\tkernel\tproduct\tMxNxK\tthreads\tmedian_ms\tGFLOP/s\n'
printf 'train\tarch\tbatch\tthreads\tmedian_ms\tsteps/s\tsamples/s\tGFLOP/s\tof_matmul\tcpu_ms\n'
for threads in 1 2; do
    build/bench/bench-train --threads "$threads" --steps "$steps" \
        "${blas[@]}"
done
