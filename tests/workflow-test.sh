#!/usr/bin/env bash
# Run the Snakemake workflow of scripts/workflow on three shipped
# structures with a tiny training budget, and check every result. Then run
# it again through the shipped Slurm profile, with a stand-in for sbatch
# that runs each submitted job script locally, so the cluster path
# is exercised without a cluster. Everything happens in a temporary folder
# that is removed at the end. Exits 77 (skipped) when snakemake is missing.
#
# Usage: workflow-test.sh SOURCE_DIR FRAMEFLOW
set -euo pipefail

source_dir=$1
frameflow=$(realpath "$2")

if ! command -v snakemake >/dev/null; then
    echo "workflow-test: snakemake is not installed; skipped" \
         "(scripts/setup.sh installs Debian's snakemake package)"
    exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/frameflow-workflow.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# Snakemake keeps a cache under XDG_CACHE_HOME; keep it in the temporary
# folder too.
export XDG_CACHE_HOME=$tmp/cache
failed=0

fail() {
    echo "workflow-test: $*" >&2
    failed=$((failed + 1))
}

# Print the number of frames in a frames file: the lines after the magic
# line and the header.
frame_count() {
    zcat -f "$1" | tail -n +3 | wc -l
}

# Single-chain structures without breaks or incomplete residues, so that
# their frame count is complete + K (complete - 1) with K interpolated
# frames per link.
structures=(1crn.pdb 1l2y.pdb.gz 1A8O.cif)
interpolate=2
train_steps=20
sample_count=50

mkdir "$tmp/structures"
declare -A expected_frames
total_frames=0
for file in "${structures[@]}"; do
    cp "$source_dir/datasets/$file" "$tmp/structures/"
    read -r chains residues complete breaks < <(awk -F'\t' -v f="$file" '
        $1 == f && $2 == 1 { n++; r += $4; c += $5; b += $6 }
        END { print n, r, c, b }' "$source_dir/datasets/EXPECTED.tsv")
    if [[ "$chains" != 1 || "$residues" != "$complete" || "$breaks" != 0 ]]
    then
        echo "workflow-test: $file is not one unbroken chain in" \
             "EXPECTED.tsv; choose another structure" >&2
        exit 1
    fi
    frames=$((complete + interpolate * (complete - 1)))
    expected_frames[${file%.gz}]=$frames
    total_frames=$((total_frames + frames))
done

write_config() {
    cat >"$tmp/$1" <<CONFIG
input_dir: $tmp/structures
output_dir: $tmp/$2
frameflow: $frameflow
threads: 2
interpolate: $interpolate
train: {arch: small, steps: $train_steps, batch: 64, seed: 1}
sample: {count: $sample_count, steps: 20, seed: 2}
CONFIG
}

run_snakemake() {
    local log=$1
    shift
    if ! snakemake -s "$source_dir/scripts/workflow/Snakefile" \
            --directory "$tmp" "$@" >"$tmp/$log" 2>&1; then
        cat "$tmp/$log" >&2
        fail "snakemake $* failed"
        return 1
    fi
}

# Check the results under one output folder.
check_results() {
    local out=$tmp/$1

    for name in "${!expected_frames[@]}"; do
        local file=$out/frames/$name.tsv.gz
        if [[ ! -f "$file" ]]; then
            fail "$file is missing"
        elif [[ $(frame_count "$file") -ne ${expected_frames[$name]} ]]; then
            fail "$file has $(frame_count "$file") frames," \
                 "expected ${expected_frames[$name]}"
        fi
    done
    if [[ $(frame_count "$out/frames.tsv.gz") -ne $total_frames ]]; then
        fail "frames.tsv.gz has $(frame_count "$out/frames.tsv.gz")" \
             "frames, expected the $total_frames of all structures"
    fi

    # The loss log has a header and one row per step.
    if [[ $(wc -l <"$out/loss.csv") -ne $((train_steps + 1)) ]]; then
        fail "loss.csv has $(wc -l <"$out/loss.csv") lines," \
             "expected $((train_steps + 1))"
    fi
    if ! "$frameflow" info "$out/model.ffm" >"$tmp/info" 2>&1; then
        fail "frameflow info cannot read model.ffm"
    fi

    if [[ $(frame_count "$out/samples.tsv.gz") -ne $sample_count ]]; then
        fail "samples.tsv.gz has $(frame_count "$out/samples.tsv.gz")" \
             "frames, expected $sample_count"
    fi
    local atoms
    atoms=$(awk '/^ATOM/ && substr($0, 13, 4) == " CA "' "$out/samples.pdb" \
        | wc -l)
    if [[ "$atoms" -ne $sample_count ]]; then
        fail "samples.pdb has $atoms CA atoms, expected $sample_count"
    fi
    if [[ ! -s "$out/samples.pml" ]]; then
        fail "samples.pml is missing or empty"
    fi

    if [[ $(wc -l <"$out/eval.tsv") -ne 2 ]] \
            || ! head -n 1 "$out/eval.tsv" | grep -q precision; then
        fail "eval.tsv is not one header with precision and one row"
    fi

    for svg in loss.svg rotations.svg; do
        if ! grep -q '<svg' "$out/$svg" \
                || [[ $(tail -c 7 "$out/$svg" | tr -d '\n') != '</svg>' ]]
        then
            fail "$svg is not a complete SVG picture"
        fi
    done
    if [[ -e "$out/frames.list" ]]; then
        fail "the temporary frames.list was left behind"
    fi
}

echo "== local run with --cores 2"
SECONDS=0
write_config local.yaml local
run_snakemake local.log --configfile "$tmp/local.yaml" --cores 2
check_results local
run_snakemake local-again.log --configfile "$tmp/local.yaml" --cores 2 \
    --dry-run
if ! grep -q 'Nothing to be done' "$tmp/local-again.log"; then
    cat "$tmp/local-again.log" >&2
    fail "a second run would redo jobs whose inputs did not change"
fi

echo "local run: ${SECONDS} s"
echo "== run through the Slurm profile with a stand-in for sbatch"
SECONDS=0
mkdir "$tmp/bin"
cat >"$tmp/bin/sbatch" <<'SBATCH'
#!/usr/bin/env bash
# Stand-in for sbatch: record the options, run the job script (the last
# argument) here and print a job number, as sbatch --parsable does.
echo "$*" >>"$SBATCH_CALLS"
for script; do :; done
bash "$script" >/dev/null 2>&1
echo "$RANDOM"
SBATCH
chmod +x "$tmp/bin/sbatch"
export SBATCH_CALLS=$tmp/sbatch-calls
write_config cluster.yaml cluster
# Snakemake 7 checks on submitted jobs every 10 s, or every second when CI
# is "true" (snakemake/executors/__init__.py, function sleep).
CI=true PATH=$tmp/bin:$PATH run_snakemake cluster.log \
    --configfile "$tmp/cluster.yaml" \
    --profile "$source_dir/scripts/workflow/profiles/slurm" \
    --jobs 2 --latency-wait 5
echo "cluster run: ${SECONDS} s"
check_results cluster
# Ten jobs: three frames jobs, merge, train, sample, export, eval and the
# two plots; the rule 'all' runs locally.
if [[ $(wc -l <"$SBATCH_CALLS") -ne 10 ]]; then
    fail "sbatch was called $(wc -l <"$SBATCH_CALLS") times, expected 10"
fi
if ! grep -q -- '--job-name=frameflow-train --cpus-per-task=2' \
        "$SBATCH_CALLS"; then
    fail "the train job was not submitted with --cpus-per-task=2"
fi

if ((failed > 0)); then
    echo "workflow-test: $failed checks failed" >&2
    exit 1
fi
echo "workflow-test: the workflow ran and its results passed every check," \
     "locally and through the Slurm profile"
