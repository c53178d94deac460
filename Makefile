# Two commands for a fresh clone: `make demo` and `make test`. Each creates or refreshes .venv itself.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS := 120

.PHONY: demo test test-slow lint eval bench clean venv

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(PY) scripts/demo.py

lint: $(STAMP)
	$(VENV)/bin/ruff check cleaners flows tests scripts benchmarks
	$(VENV)/bin/mypy

# `make test`: lint, types, and every suite but the slow ones (under a few minutes).
# `make test-slow`: the slow suites (real `prefect server` deployment, fault injection, flow-vs-library);
# CI (.ci/run) runs both.
test: lint
	$(PY) -m pytest -q -m "not slow"

test-slow: $(STAMP)
	$(PY) -m pytest -q -m slow

# Dev benchmark table (raw vs presswash, in-sample and page-level cross-validated, removals per rule id),
# then the HTML path against bare trafilatura.extract.
# The bench lives in ../shared/bench beside the checkout; override with PRESSWASH_BENCH_DIR.
eval: $(STAMP)
	PYTHONPATH=$(CURDIR) $(PY) benchmarks/eval.py
	PYTHONPATH=$(CURDIR) $(PY) benchmarks/eval_html.py

# Benchmarks (benchmarks/README.md). Full sizes take long; `make bench BENCH_SCALE=small` is a quick run.
BENCH_SCALE ?= full
bench: $(STAMP)
	BENCH_SCALE=$(BENCH_SCALE) $(PY) -m benchmarks.run_all $(BENCHES)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .demo .bench
