#!/usr/bin/env bash
# Closed-loop success against the number of Euler steps, on both sampling grids, for one checkpoint (issue 19):
# a motus-eval run per (steps, grid) on the same protocol seeds, then motus-report's paired comparisons (McNemar,
# Newcombe) of every run against 10 steps: one report per grid, and one comparing the grids at equal steps.
# Grids: shift 5 (this harness's: the training shift applied to the evenly spaced grid) and shift 1 (the release's
# unshifted linspace(1, 0, N + 1)). With one step both grids are the single step 1 -> 0, so their runs must agree.
# Usage: bash bench/steps_study.sh CHECKPOINT OUT [TASKS] [SEEDS] [WORKERS]   e.g. ... runs/tiny/ckpt study click_bell 50
set -euo pipefail
checkpoint=$1 out=$2 tasks=${3:-click_bell} seeds=${4:-50} workers=${5:-2}
bin=$(dirname "$(command -v python3)")
[ -x .venv/bin/motus-eval ] && bin=.venv/bin
for steps in 10 5 3 2 1; do
  for shift in 5 1; do
    "$bin/motus-eval" --agent motus --checkpoint "$checkpoint" --tasks "$tasks" --seeds "$seeds" --workers "$workers" \
      --run-id "steps-$steps-shift-$shift" --out "$out/runs" \
      agents.motus.num_steps=$steps agents.motus.sample_shift=$shift | tail -n +3
  done
done
for shift in 5 1; do
  runs=()
  for steps in 10 5 3 2 1; do runs+=("$out/runs/steps-$steps-shift-$shift"); done
  "$bin/motus-report" "${runs[@]}" --out "$out/report-shift-$shift"
done
grids=()
for steps in 10 5 3 2 1; do grids+=("$out/runs/steps-$steps-shift-5" "$out/runs/steps-$steps-shift-1"); done
"$bin/motus-report" "${grids[@]}" --out "$out/report-all"
