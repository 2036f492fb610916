#!/usr/bin/env bash
# The whole pipeline on one antibody chain, from a fresh checkout: set up
# and build, take the frames of chain H of 3HFM (the heavy chain of the
# HyHEL-10 Fab bound to lysozyme), train the deep model briefly, draw 500
# frames, and write into out/ (or $OUT) everything needed to look at the
# result: the model, the loss log and its plot, the samples and the
# training frames as PDB files with PyMOL scripts, a picture of their
# rotations and the evaluation table.
#
# The training budget, DEMO_STEPS steps of batch DEMO_BATCH (7000 of 500),
# is sized for about a minute on two idle cores: 7000 steps took 67 s on
# both cores of a 2-core AVX-512 Xeon. Such a short run learns only the rough shape of the
# distribution (with seed 1, 7% of the samples came within 0.3 of a
# training frame in model units, and they covered 2% of the frames). The
# defaults of 'frameflow train', 30000 steps of batch 1000, are the budget
# the tutorial gave its protein model.
set -euo pipefail
cd "$(dirname "$0")/.."

out=${OUT:-out}
steps=${DEMO_STEPS:-7000}
batch=${DEMO_BATCH:-500}
seed=${DEMO_SEED:-1}

echo "== setup and build"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! { scripts/setup.sh && meson compile -C build; } >"$log" 2>&1; then
    cat "$log" >&2
    exit 1
fi
frameflow=build/cli/frameflow
mkdir -p "$out"

echo "== frames of chain H of 3HFM"
"$frameflow" frames datasets/3HFM.pdb --chain H -o "$out/train.tsv"
"$frameflow" export "$out/train.tsv" -o "$out/train.pdb" -q

echo "== training: deep model, $steps steps of batch $batch"
rm -f "$out/loss.csv"
"$frameflow" train "$out/train.tsv" --arch deep --steps "$steps" \
    --batch "$batch" --seed "$seed" --checkpoint-every 0 \
    --loss-log "$out/loss.csv" -o "$out/model.ffm"
"$frameflow" plot loss "$out/loss.csv" -o "$out/loss.svg" \
    --title "training loss: deep model on 3HFM chain H" -q

echo "== sampling 500 frames"
"$frameflow" sample "$out/model.ffm" -n 500 --seed "$seed" \
    -o "$out/samples.pdb"
"$frameflow" plot rotations "$out/train.tsv" "$out/samples.pdb" \
    -o "$out/rotations.svg" \
    --title "z axes: training frames and samples" -q

echo "== samples against the training frames, in model units"
"$frameflow" eval "$out/samples.pdb" --reference "$out/train.tsv" \
    --model "$out/model.ffm" -q | tee "$out/eval.txt"

cat <<EOF

Written to $out/:
  train.tsv         training frames (chain H, with interpolated frames)
  train.pdb         the same as a PDB pseudo-backbone, with train.pml
  model.ffm         the trained model ('frameflow info $out/model.ffm')
  loss.csv          the loss of every training step, plotted in loss.svg
  samples.pdb       500 sampled frames, with samples.pml
  rotations.svg     the frames' z axes: training frames and samples
  eval.txt          precision and coverage of the samples

Look at them with:
  pymol $out/samples.pml       (or pymol $out/train.pml): each frame as
                               axes, x red, y green, z blue
  a web browser on $out/loss.svg and $out/rotations.svg
EOF
