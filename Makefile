# Entry points named in the README. Each target prepares the machine first
# (ngspice from Debian, .venv with vle and its development extras).
VENV := .venv
PY := $(VENV)/bin/python
export MPLBACKEND ?= Agg

.PHONY: setup test test-slow demo docs benchmarks clean

setup:
	bash scripts/setup.sh

test: setup
	$(PY) -m pytest -q

test-slow: setup
	$(PY) -m pytest -q -m slow

demo: setup
	bash scripts/demo.sh

docs: setup
	$(PY) docs/build.py

benchmarks: setup
	bash benchmarks/run_all.sh

clean:
	rm -rf $(VENV) build *.egg-info report demo-report
