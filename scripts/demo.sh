#!/usr/bin/env bash
# Short MNIST-1D run end to end: train the small GLE classifier briefly with
# local errors, then feed a few test sequences to every back end and write the
# cross-check report to demo-report/index.html. The demo asks whether the
# ngspice circuit classifies the K test sequences exactly as the continuous
# reference does, and its last line answers that. The exit code is 0 only when it
# does and every cross-check comparison is within its tolerance.
# Measured run time (docs/mnist1d.md): 100 s on a 2-core machine at load average 3 to 4.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
OUT=demo-report
EPOCHS=${DEMO_EPOCHS:-4}
TRAIN_SAMPLES=${DEMO_TRAIN_SAMPLES:-4000}
SAMPLES=${DEMO_SAMPLES:-3}
mkdir -p "$OUT"
start=$(date +%s)

# The training progress bar goes to standard error. In a log file it would be one
# long line of carriage returns, so it is shown on a terminal only.
train_progress=()
[ -t 2 ] || train_progress=(--no-progress)

echo "demo: training examples/mnist1d_small.toml on $TRAIN_SAMPLES MNIST-1D sequences for $EPOCHS epochs"
"$PY" -m vle.cli train examples/mnist1d_small.toml --dataset mnist1d --epochs "$EPOCHS" \
  --train-samples "$TRAIN_SAMPLES" --test-samples 500 "${train_progress[@]}" \
  --out "$OUT/trained.toml"

echo "demo: cross-checking $SAMPLES test sequences on every back end"
# Tolerances (NRMSE against the continuous reference):
# - reference, brian2: 0.1. dt = 0.2 s equals the shortest tau_r of the model, so
#   the grid scheme's first-order error is about 0.06 here instead of below the
#   default 1e-2. Brian2 must still match the euler reference to 1e-9.
# - brian2-spiking: 0.4. Measured on the trained demo model with 3 test sequences
#   and seed 0. The model's [spiking] table (400 neurons per unit, rate_max 2.5 Hz,
#   tau_syn 0.2 s) gave a max NRMSE of 0.309 (r/h4), 1600 neurons per unit 0.307,
#   0.286 with rate_max 10 Hz (a 4 times finer spiking clock). More spikes barely
#   change it, so it is not shot noise but a systematic difference that grows with
#   depth (h1 0.04, h2 0.14, h3 0.28, h4 0.31). A shorter tau_syn, with less
#   filtering and more noise, makes it worse (0.36 at 0.1 s, 0.54 at 0.05 s).
#   NOTE: the cause is not pinned down. Candidates are the tau_syn low-pass filter
#   that every spiking layer adds and the clipping of the linear layers' rates to
#   [-1, 1]. 0.4 admits the measured 0.31 with room for other samples and seeds;
#   it is no precision check.
status=0
"$PY" -m vle.cli crosscheck "$OUT/trained.toml" --dataset mnist1d --samples "$SAMPLES" \
  --backends reference,brian2,brian2-spiking,ngspice \
  --tolerance reference=0.1 --tolerance brian2=0.1 --tolerance brian2-spiking=0.4 \
  --report "$OUT" || status=$?

echo "demo: finished in $(( $(date +%s) - start )) s (cross-check exit code $status)"
echo "demo: report at $OUT/index.html"
if [ "$status" -gt 1 ]; then
  echo "demo: FAIL (invalid input or a back end failed to run; see the messages above)"
  exit "$status"
fi
# The cross-check reports classification without judging it; the demo judges
# the ngspice part, which is its point.
same=$("$PY" -c 'import json, sys
result = json.load(open(sys.argv[1]))["classification"]["backends"]["ngspice"]
print("yes" if result and result["same_as_reference"] else "no")' "$OUT/metrics.json")
if [ "$same" != yes ]; then
  echo "demo: FAIL (ngspice does not classify the $SAMPLES test sequences as the reference does)"
  exit 1
fi
if [ "$status" -ne 0 ]; then
  echo "demo: FAIL (a cross-check tolerance was exceeded; the report shows where)"
  exit 1
fi
echo "demo: PASS (ngspice classifies all $SAMPLES test sequences exactly as the reference does, and every comparison is within its tolerance)"
