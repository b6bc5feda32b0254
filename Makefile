# The compendium's two commands: `make book` and `make test`.
# `make book` installs only what building the book needs (requirements-book.lock);
# `make test` adds the test tooling (requirements-test.lock, a superset at the same
# versions) to the same .venv. Each lock is installed again only when it (or
# pyproject.toml) changed.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
BOOK_LOCK := requirements-book.lock
TEST_LOCK := requirements-test.lock
INPUTS_HASH := _build/.inputs.sha256
JB_FLAGS := -W -n --keep-going
# Chapters run from chapters/, so a relative study folder is made absolute here.
ifdef ALLIANCE_DATA
export ALLIANCE_DATA := $(abspath $(ALLIANCE_DATA))
endif
# The browser that prints the PDF edition and runs check_pdf.py (Debian's by default;
# on a GitHub runner, its preinstalled Chrome: `make pdf-check CHROMIUM=...`).
CHROMIUM ?= /usr/bin/chromium
export CHROMIUM
# Seconds per notebook, as execute.timeout in _config.yml.
EXECUTION_TIMEOUT := 600

.PHONY: help install install-test book book-locked test nbval pdf pdf-check outputs bench clean browser pdf-tools vendor

help:
	@echo "make book   build the HTML book into _build/html"
	@echo "make test   build the book, then run every test (pytest, doctests, strict nbval), in parallel"
	@echo "make nbval  strict nbval with every chapter executed again in fresh kernels"
	@echo "make pdf    build the PDF edition into _build/pdf (prints the book with Chromium)"
	@echo "make pdf-check  build the PDF edition and check its pages, chapters and figures"
	@echo "make outputs  re-execute the chapters and store their outputs (after editing one)"
	@echo "make bench  run the benchmarks and print measured ratios"
	@echo "make clean  remove _build (keeps .venv)"
	@echo "make browser  install Debian's Chromium for the browser tests (if missing)"
	@echo "make pdf-tools  install Debian's poppler-utils for the PDF checks (if missing)"
	@echo "make vendor   refresh the committed MathJax and axe-core files from npm"

# Install a lock's pinned versions (and the package, editable) into .venv, unless
# the stamp says this lock and pyproject.toml are installed already. --no-compile:
# Python writes bytecode for the modules it imports, on first import, instead of
# pip compiling every file (about 220 MB of .pyc that a reader never uses).
# The venv holds no pip of its own (`venv --without-pip`, 17 MB a reader never
# uses): the outer interpreter's pip installs into it with `--python` (pip 22.3 or
# later). Only where $(PYTHON) has no such pip does the venv bootstrap its own
# (`python -m ensurepip`, pip's wheel bundled with Python) and install with that.
# Building the editable package fetches setuptools into a throwaway build
# environment (build isolation), not into .venv.
# $(1): the lock file; $(2): the stamp file.
PIP_FLAGS := --quiet --disable-pip-version-check
define install_lock
	@want=$$(cat $(1) pyproject.toml | sha256sum | cut -d' ' -f1); \
	if [ ! -x $(BIN)/python ]; then $(PYTHON) -m venv --without-pip $(VENV); fi; \
	if [ "$$(cat $(2) 2>/dev/null)" = "$$want" ]; then \
	  echo "environment matches $(1)"; \
	else \
	  if $(PYTHON) -c 'import sys, pip; sys.exit([int(p) for p in pip.__version__.split(".")[:2]] < [22, 3])' 2>/dev/null; then \
	    pip="$(PYTHON) -m pip --python $(BIN)/python"; \
	  else \
	    echo "$(PYTHON) has no pip 22.3 or later: bootstrapping pip inside $(VENV) (ensurepip)"; \
	    $(BIN)/python -m pip --version > /dev/null 2>&1 || $(BIN)/python -m ensurepip --default-pip > /dev/null; \
	    pip="$(BIN)/python -m pip"; \
	  fi; \
	  $$pip install $(PIP_FLAGS) --no-compile -r $(1) && \
	  $$pip install $(PIP_FLAGS) --no-deps -e . && \
	  echo "$$want" > $(2); \
	fi
endef

# What building the book needs (no test tooling).
install:
	$(call install_lock,$(BOOK_LOCK),$(VENV)/.installed-book.sha256)

# The test tooling on top: the test lock pins the book lock's packages at the same
# versions (tests/test_foundation.py checks), so nothing is reinstalled.
install-test: install
	$(call install_lock,$(TEST_LOCK),$(VENV)/.installed-test.sha256)

# One build at a time per checkout: a second `make book` waits for the lock
# (and says so). ALLIANCE_DATA, when set, must name a readable folder holding a
# valid study with sessions in at least two of its groups (alliance.book.requirements;
# any group names, informants, raters and themes), checked before anything is
# built: a build never falls back to data/ silently.
BUILD_LOCK := _build/.book.lock

book: install
	@if [ -n "$${ALLIANCE_DATA:-}" ]; then \
	  why=""; \
	  if [ ! -e "$$ALLIANCE_DATA" ]; then why="does not exist"; \
	  elif [ ! -d "$$ALLIANCE_DATA" ]; then why="is not a folder"; \
	  elif [ ! -r "$$ALLIANCE_DATA" ] || [ ! -x "$$ALLIANCE_DATA" ]; then why="cannot be read"; fi; \
	  if [ -n "$$why" ]; then \
	    echo "make book: ALLIANCE_DATA=$$ALLIANCE_DATA $$why; set it to a study folder, or unset it for data/" >&2; \
	    exit 2; \
	  fi; \
	  $(BIN)/python -m alliance.book.requirements "$$ALLIANCE_DATA" || exit 2; \
	fi; \
	mkdir -p _build; \
	if ! flock -n $(BUILD_LOCK) true; then \
	  echo "make book: another build of this checkout is running; waiting for it ($(BUILD_LOCK))"; \
	fi; \
	flock -o $(BUILD_LOCK) $(MAKE) --no-print-directory book-locked

# jupyter-cache keys only on code cells, so the cache is cleared whenever the
# package (src/) or the study data (data/ or $ALLIANCE_DATA) change. Sphinx's
# saved environment (_build/.doctrees) goes too: otherwise Sphinx would not
# re-read the unchanged notebooks, and nothing would re-execute
# (tests/test_rebuild.py proves both directions). So does the site
# (_build/html): it must never keep images or downloads of an earlier study.
book-locked:
	@have=$$(for d in src data $${ALLIANCE_DATA:-}; do \
	    if [ -e "$$d" ]; then find "$$d" -type f ! -path '*/__pycache__/*' -print0; fi; \
	  done | sort -z | xargs -0 -r sha256sum | sha256sum | cut -d' ' -f1); \
	if [ "$$(cat $(INPUTS_HASH) 2>/dev/null)" != "$$have" ]; then \
	  rm -rf _build/.jupyter_cache _build/.doctrees _build/html; echo "$$have" > $(INPUTS_HASH); \
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

# One pytest run on every core (pytest-xdist; --dist loadfile keeps a file's tests,
# and so a notebook's cells, in one worker): the tests, the package's doctests and
# strict nbval. nbval compares the committed outputs with those of the build that
# `book` just ran (--nbval-from-cache, see conftest.py) instead of executing every
# chapter again; `make nbval` is the same check in fresh kernels.
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg
test: install-test book
	$(BIN)/ruff check src tests benchmarks chapters _ext conftest.py
	$(BIN)/ruff format --check src tests benchmarks chapters _ext conftest.py
	$(BIN)/python -m pytest -n auto --dist loadfile tests --doctest-modules src/alliance \
	  $(NBVAL) --nbval-from-cache _build/.jupyter_cache chapters

# Strict nbval with every chapter executed again in a fresh kernel, in parallel.
nbval: install-test
	$(BIN)/python -m pytest -n auto --dist loadfile $(NBVAL) chapters

# The PDF edition: the single-page build (the execution cache serves it, nothing
# re-executes) printed by headless Chromium, offline; then the HTML book again, so
# its introduction links the new PDF (_ext/pdf_edition.py). Why Chromium and not
# LaTeX: DEVELOPERS.md. The root page lives in chapters/, but singlehtml writes
# its links relative to the output root, so it is printed from a copy there.
PDF := _build/pdf/alliance-compendium.pdf
CHROMIUM_FLAGS := --headless --no-sandbox --disable-gpu --no-first-run --disable-sync \
  --disable-background-networking --disable-component-update --disable-quic \
  --no-pdf-header-footer --generate-pdf-document-outline --virtual-time-budget=60000
pdf: book browser
	$(BIN)/jupyter-book build . --builder singlehtml $(JB_FLAGS)
	cp _build/singlehtml/chapters/intro.html _build/singlehtml/book.html
	@mkdir -p $(dir $(PDF))
	$(CHROMIUM) $(CHROMIUM_FLAGS) --print-to-pdf=$(abspath $(PDF)).tmp \
	  "file://$(abspath _build/singlehtml/book.html)" 2> _build/pdf/chromium.log
	mv $(PDF).tmp $(PDF)
	$(BIN)/jupyter-book build . $(JB_FLAGS)
	@echo "PDF edition: $(PDF)"

# Check the PDF edition (tests/check_pdf.py): pages, every chapter title, every
# figure, and that printing it fetched nothing from the network.
pdf-check: install-test pdf pdf-tools
	$(BIN)/python -m pytest tests/check_pdf.py -q

outputs: install
	$(BIN)/python -m alliance.book.chapter_outputs chapters/*.ipynb

bench: install-test
	@for script in benchmarks/bench_*.py; do $(BIN)/python "$$script"; done

clean:
	rm -rf _build

# Debian's Chromium for the browser tests (tests/test_browser.py); installed
# only when missing, with sudo only when not already root.
browser:
	@if [ -x $(CHROMIUM) ]; then \
	  echo "chromium present: $$($(CHROMIUM) --version 2>/dev/null)"; \
	else \
	  sudo=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
	  $$sudo apt-get update -qq; \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	fi

# Debian's poppler-utils (pdftotext, pdfimages, pdfinfo) for `make pdf-check`;
# installed only when missing, like Chromium above.
pdf-tools:
	@if command -v pdftotext > /dev/null && command -v pdfimages > /dev/null; then \
	  echo "poppler-utils present: $$(pdftotext -v 2>&1 | head -1)"; \
	else \
	  sudo=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
	  $$sudo apt-get update -qq; \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils; \
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
