#!/bin/sh
# Run the sample, export, eval and plot commands as a user would: good runs
# write what they promise, and every bad input ends in one line on stderr,
# the documented exit status and no output file left behind.
#
# Usage: cli-sample.sh FRAMEFLOW MAKE_MODEL SOURCE_DIR SCRATCH_DIR
set -u

frameflow=$1
make_model=$2
source_dir=$3
scratch=$4

dir=$(mktemp -d "$scratch/cli-sample-XXXXXX")
trap 'rm -rf "$dir"' EXIT
failures=0
checks=0

fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

# expect_error STATUS NAME ARGS...: the command exits with STATUS, prints
# exactly one line to stderr that starts with "frameflow: ", and leaves the
# output folder as it was.
expect_error() {
    want=$1
    name=$2
    shift 2
    checks=$((checks + 1))
    before=$(ls -A "$dir/out")
    "$frameflow" "$@" >"$dir/stdout" 2>"$dir/stderr"
    got=$?
    after=$(ls -A "$dir/out")
    lines=$(wc -l <"$dir/stderr")
    if [ "$got" -ne "$want" ]; then
        fail "$name: exit status $got, expected $want"
    fi
    if [ "$lines" -ne 1 ]; then
        fail "$name: $lines lines on stderr, expected 1"
    fi
    if ! grep -q '^frameflow: ' "$dir/stderr"; then
        fail "$name: the message does not start with 'frameflow: '"
    fi
    if [ "$before" != "$after" ]; then
        fail "$name: left files behind: $after"
    fi
    echo "ok ($name): $(cat "$dir/stderr")"
}

# expect_ok NAME ARGS...: the command succeeds.
expect_ok() {
    name=$1
    shift
    checks=$((checks + 1))
    if ! "$frameflow" "$@" >"$dir/stdout" 2>"$dir/stderr"; then
        fail "$name: failed: $(cat "$dir/stderr")"
        return 1
    fi
    echo "ok ($name)"
}

# expect_file NAME PATH: a file exists and is not empty.
expect_file() {
    checks=$((checks + 1))
    if [ ! -s "$2" ]; then
        fail "$1: $2 is missing or empty"
    fi
}

mkdir "$dir/out"
"$make_model" small "$dir/model.ffm" 7 || exit 1
printf 'this is not a model\n' >"$dir/garbage.ffm"
head -c 2000 "$dir/model.ffm" >"$dir/truncated.ffm"
run="sample $dir/model.ffm --steps 5 -n 20"

# Bad input to sample.
expect_error 1 "missing model" sample "$dir/none.ffm" -o "$dir/out/a.pdb"
expect_error 1 "not a model" sample "$dir/garbage.ffm" -o "$dir/out/a.pdb"
expect_error 1 "truncated model" sample "$dir/truncated.ffm" \
    -o "$dir/out/a.pdb"
expect_error 2 "no model" sample -o "$dir/out/a.pdb"
expect_error 2 "n = 0" $run -n 0 -o "$dir/out/a.pdb"
expect_error 2 "negative n" $run -n -4 -o "$dir/out/a.pdb"
expect_error 2 "n not a number" $run -n 12x -o "$dir/out/a.pdb"
expect_error 2 "negative steps" $run --steps -3 -o "$dir/out/a.pdb"
expect_error 2 "zero steps" $run --steps 0 -o "$dir/out/a.pdb"
expect_error 2 "zero dt" $run --dt 0 -o "$dir/out/a.pdb"
expect_error 2 "dt not finite" $run --dt nan -o "$dir/out/a.pdb"
expect_error 2 "unknown sampler" $run --sampler ode -o "$dir/out/a.pdb"
expect_error 2 "zero batch" $run --batch 0 -o "$dir/out/a.pdb"
expect_error 2 "negative threads" $run --threads -1 -o "$dir/out/a.pdb"
expect_error 2 "negative seed" $run --seed -1 -o "$dir/out/a.pdb"
expect_error 2 "unknown format" $run --format xyz -o "$dir/out/a.pdb"
expect_error 2 "unknown option" $run --temperature 3 -o "$dir/out/a.pdb"
expect_error 2 "too many for PDB" $run -n 40000 -o "$dir/out/a.pdb"
expect_error 2 "PyMOL script for tsv" $run -o "$dir/out/a.tsv" \
    --pymol "$dir/out/a.pml"
expect_error 1 "missing folder" $run -o "$dir/out/none/a.pdb"
expect_error 1 "output is a folder" $run -o "$dir/out"
expect_error 1 "missing script folder" $run -o "$dir/out/a.pdb" \
    --pymol "$dir/none/a.pml"

# Good runs: PDB with its script, mmCIF, a frames file.
expect_ok "sample pdb" $run -o "$dir/out/s.pdb" --seed 3 -q
expect_file "sample pdb" "$dir/out/s.pdb"
expect_file "sample pdb" "$dir/out/s.pml"
expect_ok "sample cif" $run -o "$dir/out/s.cif" --seed 3 --pymol none -q
expect_file "sample cif" "$dir/out/s.cif"
if [ -e "$dir/out/s.cif.pml" ] || [ "$(ls "$dir/out" | grep -c pml)" -ne 1 ]; then
    fail "sample cif: --pymol none still wrote a script"
fi
expect_ok "sample tsv" $run -o "$dir/out/s.tsv" --seed 3 -q
expect_file "sample tsv" "$dir/out/s.tsv"

# The same seed gives the same samples with one or two threads, and the
# batch size does not matter either.
expect_ok "one thread" $run -o "$dir/out/t1.tsv" --seed 3 --threads 1 -q
expect_ok "two threads" $run -o "$dir/out/t2.tsv" --seed 3 --threads 2 \
    --batch 7 -q
checks=$((checks + 1))
if ! cmp -s "$dir/out/t1.tsv" "$dir/out/t2.tsv"; then
    fail "samples differ between one and two threads"
fi
checks=$((checks + 1))
if ! cmp -s "$dir/out/t1.tsv" "$dir/out/s.tsv"; then
    fail "samples differ between the default threads and one thread"
fi

# The three files hold the same frames: PDB and mmCIF to their precision.
expect_ok "eval pdb" eval "$dir/out/s.pdb" --reference "$dir/out/s.tsv" --tsv
checks=$((checks + 1))
if ! awk -F'\t' 'NR == 2 && $3 == 20 && $4 == 20 && $6 == 1 && $8 == 1 \
                 && $10 < 0.003 { found = 1 } END { exit !found }' \
        "$dir/stdout"; then
    fail "eval of the PDB against the frames file: $(cat "$dir/stdout")"
fi
expect_ok "eval cif" eval "$dir/out/s.cif" --reference "$dir/out/s.pdb" \
    --model "$dir/model.ffm" --tsv
checks=$((checks + 1))
if ! awk -F'\t' 'NR == 2 && $5 == 0.1 && $6 == 1 && $10 < 0.003 \
                 { found = 1 } END { exit !found }' "$dir/stdout"; then
    fail "eval of the mmCIF against the PDB: $(cat "$dir/stdout")"
fi
expect_ok "eval table" eval "$dir/out/s.pdb" --reference "$dir/out/s.tsv"
checks=$((checks + 1))
if ! grep -q '^precision (samples near a reference frame) .* 1.000 .* 1.000$' \
        "$dir/stdout"; then
    fail "eval table: $(cat "$dir/stdout")"
fi

# Export writes a structure's frames; the export of a frames file and of
# the PDB written from it agree.
expect_ok "export structure" export "$source_dir/datasets/1crn.pdb" \
    -o "$dir/out/crn.tsv" -q
expect_ok "export pdb" export "$dir/out/crn.tsv" -o "$dir/out/crn.pdb" -q
expect_file "export pdb" "$dir/out/crn.pml"
expect_ok "export back" eval "$dir/out/crn.pdb" --reference "$dir/out/crn.tsv" \
    --tsv
checks=$((checks + 1))
if ! awk -F'\t' 'NR == 2 && $3 == 46 && $4 == 46 && $6 == 1 && $8 == 1 \
                 { found = 1 } END { exit !found }' "$dir/stdout"; then
    fail "export round trip: $(cat "$dir/stdout")"
fi

# Bad input to export, eval and plot.
expect_error 1 "export missing input" export "$dir/none.tsv" \
    -o "$dir/out/x.pdb"
expect_error 1 "export garbage input" export "$dir/garbage.ffm" \
    -o "$dir/out/x.pdb"
expect_error 2 "export without -o" export "$dir/out/crn.tsv"
expect_error 1 "export missing folder" export "$dir/out/crn.tsv" \
    -o "$dir/none/x.pdb"
expect_error 2 "eval without reference" eval "$dir/out/s.pdb"
expect_error 1 "eval missing samples" eval "$dir/none.pdb" \
    --reference "$dir/out/s.tsv"
expect_error 1 "eval damaged model" eval "$dir/out/s.pdb" \
    --reference "$dir/out/s.tsv" --model "$dir/truncated.ffm"
expect_error 2 "plot nothing" plot -o "$dir/out/x.svg"
expect_error 2 "plot unknown" plot histogram "$dir/out/s.tsv" \
    -o "$dir/out/x.svg"
expect_error 1 "plot bad loss log" plot loss "$dir/out/s.tsv" \
    -o "$dir/out/x.svg"
expect_error 1 "plot missing folder" plot rotations "$dir/out/s.tsv" \
    -o "$dir/none/x.svg"

# Pictures.
printf 'step,loss,seconds\n1,2.0,0.1\n2,1.5,0.2\n3,1.1,0.3\n' \
    >"$dir/loss.csv"
expect_ok "plot loss" plot loss "$dir/loss.csv" -o "$dir/out/loss.svg" -q
expect_file "plot loss" "$dir/out/loss.svg"
expect_ok "plot rotations" plot rotations "$dir/out/s.pdb" \
    "$dir/out/crn.tsv" -o "$dir/out/rot.svg" -q
expect_file "plot rotations" "$dir/out/rot.svg"
checks=$((checks + 1))
if ! grep -q 'crn.tsv (46 frames)' "$dir/out/rot.svg"; then
    fail "plot rotations: no legend entry for crn.tsv"
fi

# No temporary file survives any of the runs.
checks=$((checks + 1))
if ls -A "$dir/out" | grep -q '\.tmp$'; then
    fail "temporary files left: $(ls -A "$dir/out")"
fi

echo "$((checks - failures)) passed, $failures failed"
[ "$failures" -eq 0 ]
