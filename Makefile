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
# Chapters run from chapters/, so a relative study folder is made absolute here.
ifdef ALLIANCE_DATA
export ALLIANCE_DATA := $(abspath $(ALLIANCE_DATA))
endif
# Seconds per notebook, as execute.timeout in _config.yml.
EXECUTION_TIMEOUT := 600

.PHONY: help install book test outputs bench clean browser vendor

help:
	@echo "make book   build the HTML book into _build/html"
	@echo "make test   build the book, then run every test (pytest, doctests, strict nbval)"
	@echo "make outputs  re-execute the chapters and store their outputs (after editing one)"
	@echo "make bench  run the benchmarks and print measured ratios"
	@echo "make clean  remove _build (keeps .venv)"
	@echo "make browser  install Debian's Chromium for the browser tests (if missing)"
	@echo "make vendor   refresh the committed MathJax and axe-core files from npm"

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
# package (src/) or the study data (data/ or $ALLIANCE_DATA) change. Sphinx's
# saved environment (_build/.doctrees) goes too: otherwise Sphinx would not
# re-read the unchanged notebooks, and nothing would re-execute
# (tests/test_rebuild.py proves both directions).
book: install
	@mkdir -p _build; \
	have=$$(for d in src data $${ALLIANCE_DATA:-}; do \
	    if [ -e "$$d" ]; then find "$$d" -type f ! -path '*/__pycache__/*' -print0; fi; \
	  done | sort -z | xargs -0 -r sha256sum | sha256sum | cut -d' ' -f1); \
	if [ "$$(cat $(INPUTS_HASH) 2>/dev/null)" != "$$have" ]; then \
	  rm -rf _build/.jupyter_cache _build/.doctrees; echo "$$have" > $(INPUTS_HASH); \
	fi
	@# Execute new or changed chapters in parallel, one per core, into the same
	@# jupyter-cache; jupyter-book then finds them cached (it would run them one
	@# by one). Only worth it when two or more notebooks changed since the last
	@# run (or the cache was cleared); jupyter-book runs a single one itself. A
	@# chapter that fails here is not cached: jupyter-book re-runs it and fails.
	@stamp=_build/.jupyter_cache/.parallel-run; \
	changed=$$(if [ -e "$$stamp" ]; then find chapters -name '*.ipynb' -newer "$$stamp" | wc -l; \
	  else echo all; fi); \
	if [ "$$changed" = all ] || [ "$$changed" -gt 1 ]; then \
	  printf 'y\n' | $(BIN)/jcache notebook -p _build/.jupyter_cache add chapters/*.ipynb > /dev/null; \
	  $(BIN)/jcache project -p _build/.jupyter_cache execute --executor local-parallel \
	    --timeout $(EXECUTION_TIMEOUT) --verbosity WARNING; \
	fi; \
	touch "$$stamp"
	$(BIN)/jupyter-book build . $(JB_FLAGS)

test: book
	$(BIN)/ruff check src tests benchmarks chapters
	$(BIN)/ruff format --check src tests benchmarks chapters
	$(BIN)/python -m pytest tests --doctest-modules src/alliance
	$(BIN)/python -m pytest --nbval --nbval-current-env \
	  --nbval-sanitize-with tests/nbval_sanitize.cfg chapters

outputs: install
	$(BIN)/python -m alliance.book.chapter_outputs chapters/*.ipynb

bench: install
	@for script in benchmarks/bench_*.py; do $(BIN)/python "$$script"; done

clean:
	rm -rf _build

# Debian's Chromium for the browser tests (tests/test_browser.py); installed
# only when missing, with sudo only when not already root.
browser:
	@if [ -x /usr/bin/chromium ]; then \
	  echo "chromium present: $$(/usr/bin/chromium --version 2>/dev/null)"; \
	else \
	  sudo=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
	  $$sudo apt-get update -qq; \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	fi

# Front-end files from the npm registry, at the exact versions of package.json
# and package-lock.json. They are committed (_vendor/_static/mathjax, tests/axe.min.js)
# so the book builds, reads and is tested offline; run this only to update them.
vendor:
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	cp package.json package-lock.json "$$tmp"; \
	npm ci --prefix "$$tmp" --ignore-scripts --no-audit --no-fund --silent; \
	mathjax="$$tmp/node_modules/mathjax"; \
	rm -rf _vendor/_static/mathjax; mkdir -p _vendor/_static/mathjax/output/chtml/fonts; \
	cp "$$mathjax/es5/tex-chtml-full.js" "$$mathjax/LICENSE" _vendor/_static/mathjax/; \
	cp -r "$$mathjax/es5/output/chtml/fonts/woff-v2" _vendor/_static/mathjax/output/chtml/fonts/; \
	cp "$$tmp/node_modules/axe-core/axe.min.js" tests/axe.min.js; \
	echo "vendored mathjax $$(cd "$$mathjax" && node -p 'require("./package.json").version')" \
	  "and axe-core $$(node -p 'require(process.argv[1]).version' "$$tmp/node_modules/axe-core/package.json")"
