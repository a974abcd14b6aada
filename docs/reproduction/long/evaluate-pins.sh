#!/usr/bin/env bash
# Evaluates the pinned checkpoints of the four longer runs (docs/REPRODUCTION.md "Longer runs"),
# every run at the same steps with the same settings: FD-FMNIST of 500 samples, SDE 25 steps,
# without guidance and with the run's guidance (IG 2.0 for the IG model, CFG 2.0 for the
# baseline). Run from the project root after training; outputs that exist are kept, so the
# script resumes. Usage: docs/reproduction/long/evaluate-pins.sh OUT_DIR STEP [STEP...]
set -euo pipefail
out=$1; shift
mkdir -p "$out"
for step in "$@"; do
  for run in long-ig-s0 long-ig-s1 long-baseline-s0 long-baseline-s1; do
    dest="$out/$run-step-$step.json"
    [[ -s $dest ]] && continue
    [[ -f runs/$run/checkpoints/$(printf 'step-%08d' "$step")/MANIFEST.json ]] || continue
    case $run in
      long-ig-*) sweep="ig-scale=1.0,2.0" ;;
      *) sweep="cfg-scale=1.0,2.0" ;;
    esac
    start=$(date +%s)
    bin/igspark evaluate --run "runs/$run" --step "$step" --reference data/fashion-mnist-test \
        --num-samples 500 --steps 25 --sweep "$sweep" --output "$dest.tmp"
    mv "$dest.tmp" "$dest"
    echo "$run step $step: $(( $(date +%s) - start )) s"
  done
done
