#!/usr/bin/env bash
# Run every benchmark and print its Markdown tables (called by `make benchmarks`).
# Takes about 15 minutes on 2 cores, most of it in the cpp_standalone compiles of
# brian2_overhead.py. Copy the printed tables into docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-.venv/bin/python}
[ -x "$python" ] || python=python3
export MPLBACKEND=Agg
for script in reference_speed mnist1d_epoch ngspice_scaling brian2_overhead; do
  echo
  echo "<!-- python benchmarks/$script.py -->"
  "$python" "benchmarks/$script.py"
done
