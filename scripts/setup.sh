#!/usr/bin/env bash
# Install frameflow's build and test dependencies from Debian's packages
# (when run as root; otherwise print the command to run) and configure the
# release build in build/. Safe to run again.
set -euo pipefail

cd "$(dirname "$0")/.."

# pymol runs the test that opens the PyMOL scripts frameflow writes.
# snakemake runs the workflow in scripts/workflow and its test (skipped
# without it). On Debian 12 with the build dependencies present, it adds
# about 70 packages and 650 MiB, 530 MiB of which is python3-azure, a hard
# dependency of Debian's package.
packages=(gcc g++ meson ninja-build pkg-config zlib1g-dev
          gemmi-dev tao-pegtl-dev libfast-float-dev check
          pymol snakemake)
# Extra packages a caller needs, e.g. the benchmark's reference tools.
if [[ -n "${FRAMEFLOW_EXTRA_PACKAGES:-}" ]]; then
    read -r -a extra <<<"$FRAMEFLOW_EXTRA_PACKAGES"
    packages+=("${extra[@]}")
fi

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null \
            | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if ((${#missing[@]} > 0)); then
    if [[ $(id -u) -eq 0 ]]; then
        echo "setup: installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
        echo "setup: missing packages; run as root:" >&2
        echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
fi

if [[ -f build/build.ninja ]]; then
    meson setup --reconfigure build >/dev/null
else
    meson setup build >/dev/null
fi
echo "setup: dependencies present; build configured in build/"
