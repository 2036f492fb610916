#!/bin/sh
# Exercise 'frameflow train' and 'frameflow info' end to end: option
# checks (exit 2), a run resumed halfway that must give the same model file
# bit for bit as one run in one go, the loss log, and SIGINT, which must
# leave a model that resumes.
#
# Usage: cli-train.sh FRAMEFLOW STRUCTURE
set -eu

frameflow=$1
structure=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
failures=0

fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

expect_status() {
    want=$1
    shift
    set +e
    "$@" >out.txt 2>err.txt
    got=$?
    set -e
    if [ "$got" -ne "$want" ]; then
        fail "'$*' exited $got, expected $want: $(cat err.txt)"
    fi
}

# Invalid values are usage errors that name the option.
for option in "--batch 0" "--steps 0" "--steps -3" "--lr nan" "--lr -1" \
              "--weight-decay -0.5" "--translation-scale 0" \
              "--arch medium" "--score-chart left" "--threads -2" \
              "--checkpoint-every -1" "--seed x" "--interpolate -1"; do
    # shellcheck disable=SC2086
    expect_status 2 "$frameflow" train "$structure" $option
    name=${option%% *}
    grep -q -- "$name" err.txt || fail "message for '$option' lacks $name"
done
expect_status 2 "$frameflow" train
expect_status 1 "$frameflow" train missing.pdb
[ ! -e missing.ffm ] || fail "a failed run left missing.ffm"

# 40 steps in one go against 20 + 20 resumed, same thread count.
common="--arch small --batch 50 --threads 2 --seed 3"
# shellcheck disable=SC2086
expect_status 0 "$frameflow" train "$structure" $common --steps 40 \
    -o whole.ffm --loss-log whole.csv --checkpoint-every 7 -v
grep -q "checkpoint at step 35" err.txt || fail "no checkpoint at step 35"
# shellcheck disable=SC2086
expect_status 0 "$frameflow" train "$structure" $common --steps 20 \
    -o half.ffm --loss-log half.csv
expect_status 0 "$frameflow" train "$structure" --threads 2 --steps 40 \
    --resume half.ffm --loss-log half.csv
cmp -s whole.ffm half.ffm || fail "resumed model differs from one run"
[ "$(wc -l <half.csv)" -eq 41 ] || fail "resumed loss log lacks lines"
cut -d, -f1,2 whole.csv >whole.cut
cut -d, -f1,2 half.csv >half.cut
cmp -s whole.cut half.cut || fail "resumed loss log differs"

# The model fixes its architecture; other frames are rejected.
expect_status 2 "$frameflow" train "$structure" --resume half.ffm \
    --arch deep --steps 60
expect_status 1 "$frameflow" train "$structure" --resume half.ffm \
    --interpolate 2 --steps 60
grep -q "differ" err.txt || fail "other frames not reported"

# info reads the model.
expect_status 0 "$frameflow" info whole.ffm
grep -q "steps taken *40" out.txt || fail "info does not show 40 steps"
expect_status 1 "$frameflow" info "$structure"

# With --keep-going, -q still names each skipped input.
printf 'ATOM      1  N   GLY A   1       1.0x0   0.000   0.000\n' >bad.pdb
expect_status 1 "$frameflow" train "$structure" bad.pdb --keep-going -q \
    --arch small --batch 20 --steps 2 -o kept.ffm
grep -q "^frameflow: skipped: bad.pdb" err.txt \
    || fail "-q hid the skipped input: $(cat err.txt)"

# A pipe cannot be read twice, and the message explains that.
set +e
"$frameflow" frames /dev/stdin -o piped.tsv -q <"$structure" 2>err.txt
status_file=$?
cat "$structure" | "$frameflow" frames /dev/stdin -o piped.tsv -q 2>err.txt
status_pipe=$?
set -e
[ "$status_file" -eq 0 ] || fail "/dev/stdin from a file gave $status_file"
[ "$status_pipe" -eq 1 ] || fail "/dev/stdin from a pipe gave $status_pipe"
grep -q "is a pipe or device" err.txt || fail "pipe message: $(cat err.txt)"

# info counts chain A of two sources as two chains.
cp "$structure" first.pdb
cp "$structure" second.pdb
expect_status 0 "$frameflow" frames first.pdb second.pdb -o both.tsv -q
expect_status 0 "$frameflow" info both.tsv
grep -q "chains *2, named A$" out.txt || fail "info chains: $(cat out.txt)"

# SIGINT after the first logged step: the step finishes, the model is
# written, the exit status is 130, and the model resumes.
"$frameflow" train "$structure" --arch small --batch 20 --threads 1 \
    --steps 1000000 -o stopped.ffm --loss-log stopped.csv -q 2>err.txt &
pid=$!
tries=0
while [ "$(wc -l <stopped.csv 2>/dev/null || echo 0)" -lt 3 ] \
      && [ $tries -lt 600 ]; do
    sleep 0.1
    tries=$((tries + 1))
done
kill -INT $pid
set +e
wait $pid
status=$?
set -e
[ "$status" -eq 130 ] || fail "SIGINT gave exit status $status, not 130"
grep -q "continue with --resume stopped.ffm --steps 1000000" err.txt \
    || fail "SIGINT message missing or without --steps: $(cat err.txt)"
expect_status 0 "$frameflow" info stopped.ffm
steps=$(sed -n 's/^ *steps taken *//p' out.txt)
expect_status 0 "$frameflow" train "$structure" --threads 1 \
    --resume stopped.ffm --steps $((steps + 2))

# A resumed model that has taken its steps is still copied to -o.
expect_status 0 "$frameflow" train "$structure" --resume whole.ffm \
    --steps 30 -o copy.ffm
cmp -s whole.ffm copy.ffm || fail "nothing to train: -o not written"

# Options that repeat the resumed model's settings are accepted.
# shellcheck disable=SC2086
expect_status 0 "$frameflow" train "$structure" $common --steps 5 \
    --no-center -o uncentred.ffm
# shellcheck disable=SC2086
expect_status 0 "$frameflow" train "$structure" $common --steps 8 \
    --no-center --resume uncentred.ffm
expect_status 2 "$frameflow" train "$structure" --steps 50 --no-center \
    --resume whole.ffm

# Outputs are checked before any reading.
expect_status 1 "$frameflow" train "$structure" -o ""
grep -q "empty" err.txt || fail "empty -o not reported: $(cat err.txt)"

# A folder input names the default model after the folder.
mkdir -p chains/sub
cp "$structure" chains/sub/
expect_status 0 env -C chains "$frameflow" train sub/ --arch small \
    --batch 20 --steps 2 -q
[ -f chains/sub.ffm ] || fail "folder input sub/ did not give sub.ffm"
expect_status 0 env -C chains/sub "$frameflow" train . --arch small \
    --batch 20 --steps 2 -q
[ -f chains/sub/sub.ffm ] || fail "folder input . did not give sub.ffm"

# Past a file size limit, writes fail with a message instead of the
# process being killed. No temporary file is left, and the loss log keeps
# whole rows.
mkdir limited
set +e
(ulimit -f 8 && exec "$frameflow" train "$structure" --arch small \
    --batch 20 --steps 2000 --threads 1 --checkpoint-every 0 \
    -o limited/m.ffm --loss-log limited/loss.csv -q) 2>err.txt
status=$?
set -e
[ "$status" -eq 1 ] || fail "file size limit gave status $status, not 1"
grep -q "File too large" err.txt || fail "no message: $(cat err.txt)"
[ -z "$(ls -A limited | grep -v '^loss.csv$')" ] \
    || fail "files left behind: $(ls -A limited)"
[ "$(tail -c 1 limited/loss.csv | od -An -c | tr -d ' ')" = '\n' ] \
    || fail "the loss log ends in a partial row"

if [ "$failures" -ne 0 ]; then
    echo "$failures failed"
    exit 1
fi
echo "cli-train: all checks passed"
