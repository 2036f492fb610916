#!/usr/bin/env bash
# Run every frameflow benchmark and print its figures. Each part lives in
# scripts/bench-*.sh and can be run alone.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null
meson compile -C build >/dev/null
for part in scripts/bench-*.sh; do
    [[ -x "$part" ]] || continue
    echo "== $(basename "$part" .sh)"
    "$part"
done
