#!/bin/sh
# Open a PyMOL script that frameflow export wrote, in PyMOL without a
# window, from another working folder, and check that it loads the
# structure beside it and draws the axes without an error. Exits 77 (skip)
# when PyMOL is not installed.
#
# Usage: pymol-check.sh FRAMEFLOW SOURCE_DIR SCRATCH_DIR
set -eu

frameflow=$1
source_dir=$2
scratch=$3

if ! command -v pymol >/dev/null 2>&1; then
    echo "pymol is not installed; skipping"
    exit 77
fi

dir=$(mktemp -d "$scratch/pymol-XXXXXX")
trap 'rm -rf "$dir"' EXIT

"$frameflow" export "$source_dir/datasets/1crn.pdb" -o "$dir/crambin.pdb" -q

# Debian's pymol wrapper runs the first python3 on PATH, and its module is
# installed for the system Python only.
out=$(cd / && PATH=/usr/bin:$PATH pymol -cq "$dir/crambin.pml" \
      -d 'print("frames", cmd.count_atoms("crambin") // 3, "objects", " ".join(cmd.get_names()))' 2>&1)
echo "$out"
# Crambin has 46 residues, each a frame.
echo "$out" | grep -qx "frames 46 objects crambin crambin_axes"
if echo "$out" | grep -qi "error"; then
    echo "PyMOL reported an error" >&2
    exit 1
fi
