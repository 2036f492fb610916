#!/usr/bin/env bash
# Kill 'frameflow train' with SIGKILL at random moments and check what each
# run leaves behind. The model file must be missing (killed before the
# first checkpoint) or a complete checkpoint. 'frameflow info' must read
# it, its step must be a checkpoint's, and '--resume' must continue it to
# the same model, bit for bit, and the same loss log as a run that was
# never killed. Beside them only the run's own temporary files may remain,
# named .MODEL.NNNNNN.tmp.
#
# The kill times are drawn from a seed that is printed first; set
# FF_KILL_SEED to replay them. The moment a kill lands still depends on the
# machine's speed and load, so a replay repeats the times, not the states.
#
# Usage: cli-kill.sh FRAMEFLOW STRUCTURE
set -euo pipefail

frameflow=$1
structure=$2
runs=${FF_KILL_RUNS:-10}
seed=${FF_KILL_SEED:-$(( $(date +%s%N) / 1000 % 1000000 ))}
echo "kill times from seed $seed (replay with FF_KILL_SEED=$seed)"
RANDOM=$seed

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
failures=0

fail() {
    echo "FAIL (run $run): $*"
    failures=$((failures + 1))
}

steps=60
every=3
# Small and with a checkpoint every few steps, so that many kills land
# while a checkpoint is written. One thread: a resumed run repeats the
# uninterrupted one bit for bit only at the same thread count.
train=("$frameflow" train "$structure" --arch small --batch 8 --threads 1
       --seed 5 --steps "$steps" --checkpoint-every "$every" -q)
resume=("$frameflow" train "$structure" --threads 1 --steps "$steps" -q)

now_ms() {
    echo $(( $(date +%s%N) / 1000000 ))
}

# The uninterrupted run: the reference, and the span to draw kill times
# from.
run=0
start=$(now_ms)
"${train[@]}" -o whole.ffm --loss-log whole.csv
span=$(( $(now_ms) - start + 1 ))
cut -d, -f1,2 whole.csv >whole.cut
echo "an uninterrupted run takes $span ms"

before_checkpoint=0
at_checkpoint=0
finished=0
temporaries=0
for run in $(seq 1 "$runs"); do
    mkdir "run$run"
    cd "run$run"
    # In milliseconds, uniform over the run and a little past its end,
    # or, every third run, over its first tenth, where the first
    # checkpoint is written.
    limit=$((span * 11 / 10 + 1))
    if ((run % 3 == 0)); then
        limit=$((span / 10 + 1))
    fi
    delay=$(( (RANDOM * 32768 + RANDOM) % limit ))
    "${train[@]}" -o model.ffm --loss-log loss.csv 2>err.txt &
    pid=$!
    sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
    kill -KILL "$pid" 2>/dev/null || true
    set +e
    # The shell's own "Killed" line goes to the null device.
    wait "$pid" 2>/dev/null
    status=$?
    set -e
    if [[ $status -ne 137 && $status -ne 0 ]]; then
        fail "train exited $status: $(cat err.txt)"
    fi

    # Nothing but the model, its log and the run's temporary files.
    for name in $(ls -A); do
        case $name in
        model.ffm | loss.csv | err.txt) ;;
        .model.ffm.[0-9][0-9][0-9][0-9][0-9][0-9].tmp)
            temporaries=$((temporaries + 1)) ;;
        *) fail "unexpected file $name after the kill" ;;
        esac
    done

    if [[ -e model.ffm ]]; then
        if ! "$frameflow" info model.ffm >info.txt 2>info-err.txt; then
            fail "info cannot read the model: $(cat info-err.txt)"
        fi
        taken=$(awk '/steps taken/ { print $NF }' info.txt)
        if [[ -z $taken ]] || ((taken % every != 0 && taken != steps)); then
            fail "the model's step '$taken' is no checkpoint's"
        elif ((taken == steps)); then
            finished=$((finished + 1))
        else
            at_checkpoint=$((at_checkpoint + 1))
        fi
        if ! "${resume[@]}" --resume model.ffm --loss-log loss.csv \
                2>resume-err.txt; then
            fail "resume failed: $(cat resume-err.txt)"
        fi
    else
        before_checkpoint=$((before_checkpoint + 1))
        if ! "${train[@]}" -o model.ffm --loss-log loss.csv \
                2>again-err.txt; then
            fail "a new run failed: $(cat again-err.txt)"
        fi
    fi
    cmp -s model.ffm ../whole.ffm \
        || fail "the model differs from the uninterrupted run's"
    cut -d, -f1,2 loss.csv >loss.cut
    cmp -s loss.cut ../whole.cut \
        || fail "the loss log differs from the uninterrupted run's"
    cd ..
done

echo "$runs kills: $before_checkpoint before the first checkpoint," \
     "$at_checkpoint with a checkpoint to resume, $finished after the" \
     "last step; $temporaries temporary files left behind"
if ((failures > 0)); then
    echo "kill seed $seed: $failures failures"
    exit 1
fi
