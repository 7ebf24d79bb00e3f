# Quick start: `make demo` runs the main job, `make test` runs the tests. Both create or reuse .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench docs validate clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "gpusim needs Python 3.11 or newer (found $$($(PYTHON) --version))"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

demo: $(STAMP)
	@$(BIN)/gpusim demo

test: $(STAMP)
	@$(BIN)/ruff check .
	@$(BIN)/python -m pytest

lint: $(STAMP)
	@$(BIN)/ruff check .

bench: $(STAMP)
	@$(BIN)/python benchmarks/bench_kernel.py
	@$(BIN)/python benchmarks/bench_pipeline.py

docs: $(STAMP)
	@$(BIN)/python tools/render_docs.py

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .ruff_cache .hypothesis
