# The compendium's two commands: `make book` and `make test`.
# Both create .venv from requirements.lock when needed and reinstall only when
# the lock (or pyproject.toml) changed.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
LOCK := requirements.lock
INSTALLED := $(VENV)/.installed.sha256
INPUTS_HASH := _build/.inputs.sha256
JB_FLAGS := -W -n --keep-going

.PHONY: help install book test outputs bench clean

help:
	@echo "make book   build the HTML book into _build/html"
	@echo "make test   build the book, then run every test (pytest, doctests, strict nbval)"
	@echo "make outputs  re-execute the chapters and store their outputs (after editing one)"
	@echo "make bench  run the benchmarks and print measured ratios"
	@echo "make clean  remove _build (keeps .venv)"

# Install exactly the pinned environment; skip when the lock has not changed.
install:
	@want=$$(cat $(LOCK) pyproject.toml | sha256sum | cut -d' ' -f1); \
	if [ ! -x $(BIN)/python ]; then $(PYTHON) -m venv $(VENV); fi; \
	if [ "$$(cat $(INSTALLED) 2>/dev/null)" = "$$want" ]; then \
	  echo "environment matches $(LOCK)"; \
	else \
	  $(BIN)/python -m pip install --quiet --disable-pip-version-check -r $(LOCK) && \
	  $(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e . && \
	  echo "$$want" > $(INSTALLED); \
	fi

# jupyter-cache keys only on code cells, so the cache is cleared whenever the
# package (src/) or the study data (data/ or $ALLIANCE_DATA) change.
book: install
	@mkdir -p _build; \
	have=$$(for d in src data $${ALLIANCE_DATA:-}; do \
	    if [ -e "$$d" ]; then find "$$d" -type f ! -path '*/__pycache__/*' -print0; fi; \
	  done | sort -z | xargs -0 -r sha256sum | sha256sum | cut -d' ' -f1); \
	if [ "$$(cat $(INPUTS_HASH) 2>/dev/null)" != "$$have" ]; then \
	  rm -rf _build/.jupyter_cache; echo "$$have" > $(INPUTS_HASH); \
	fi
	$(BIN)/jupyter-book build . $(JB_FLAGS)

test: book
	$(BIN)/ruff check src tests benchmarks chapters
	$(BIN)/python -m pytest tests --doctest-modules src/alliance
	$(BIN)/python -m pytest --nbval --nbval-current-env \
	  --nbval-sanitize-with tests/nbval_sanitize.cfg chapters

outputs: install
	$(BIN)/python -m alliance.chapter_outputs chapters/*.ipynb

bench: install
	@for script in benchmarks/bench_*.py; do $(BIN)/python "$$script"; done

clean:
	rm -rf _build
