# The two quick-start commands:  make demo   and   make test
# Each one creates .venv, installs the project with what it needs (the demo: its
# `demo` extra only; the tests: the `dev` stack and PyTorch's CPU build), and installs
# the system Graphviz (`dot`) when it is missing; `make test` (and `make docs`,
# which takes screenshots) also installs Chromium, for the stepper page's browser
# tests, and LibreOffice Calc, which the live-workbook tests recalculate with; and it runs
# `npm ci` (Pyodide and viz.js, for the site's browser tests; Debian's npm when npm is missing).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
OUT    ?= out

.PHONY: demo test typecheck setup graphviz chromium libreoffice npm site docs bench bench-torch bench-training clean

demo: graphviz $(VENV)/demo-installed
	$(BIN)/micrograd-lite demo --out $(OUT)

test: setup chromium libreoffice $(VENV)/torch-installed node_modules/.installed
	$(BIN)/ruff check micrograd_lite tests examples benchmarks docs site-src
	$(BIN)/mypy
	$(BIN)/python -m pytest micrograd_lite tests README.md

# mypy --strict over the package ([tool.mypy] in pyproject.toml), as `make test` runs it.
typecheck: setup
	$(BIN)/mypy

# The static site (docs/site.md): the playground and the live training page on Pyodide, from the project's
# own wheel; Pyodide and viz.js from the npm registry, pinned by package-lock.json (`npm ci`). -> site/
site: setup node_modules/.installed
	$(BIN)/python site-src/build.py --out site

node_modules/.installed: package.json package-lock.json
	@$(MAKE) --no-print-directory npm
	npm ci --no-audit --no-fund
	touch $@

npm:
	@command -v npm >/dev/null 2>&1 || { \
	  echo "npm is missing: installing Debian's nodejs and npm (the site's Pyodide and viz.js come from npm)"; \
	  if command -v apt-get >/dev/null 2>&1; then \
	    $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq nodejs npm; \
	  elif command -v brew >/dev/null 2>&1; then brew install node; \
	  else echo "Please install Node.js and npm (https://nodejs.org/)"; exit 1; fi; }

docs: setup chromium
	$(BIN)/python docs/build.py

bench: setup
	$(BIN)/python benchmarks/bench.py --write docs/performance.md

# The same with PyTorch as a third peer: the CPU build only ("+cpu": never a CUDA build).
bench-torch: setup
	$(BIN)/python -m pip install --quiet "torch==2.13.0+cpu"
	$(BIN)/python benchmarks/bench.py --write docs/performance.md

# Compiled training (replay.step, replay.batch) against micrograd and batched PyTorch (CPU build).
bench-training: setup
	$(BIN)/python -m pip install --quiet "torch==2.13.0+cpu"
	OPENBLAS_NUM_THREADS=1 $(BIN)/python benchmarks/bench_training.py --write docs/performance.md

setup: graphviz $(VENV)/installed

$(VENV)/installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/demo-installed

# PyTorch, the CPU build, for the tests that compare cross_entropy and AdamW with it (float64, 1e-12):
# about 30 s to install into a fresh venv, so `make test` runs them rather than skipping them.
$(VENV)/torch-installed: $(VENV)/installed
	$(BIN)/python -m pip install --quiet "torch==2.13.0+cpu"
	touch $@

# The demo needs matplotlib and XlsxWriter (and the system `dot`), not the test stack.
$(VENV)/demo-installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e ".[demo]"
	touch $@

graphviz:
	@command -v dot >/dev/null 2>&1 || { \
	  echo "Graphviz's dot is missing: installing it"; \
	  if command -v apt-get >/dev/null 2>&1; then \
	    $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq graphviz; \
	  elif command -v brew >/dev/null 2>&1; then brew install graphviz; \
	  elif command -v conda >/dev/null 2>&1; then conda install -y -c conda-forge graphviz; \
	  else echo "Please install Graphviz (https://graphviz.org/download/)"; exit 1; fi; }

# Playwright (pip) drives the system Chromium: it cannot download a browser of its own here.
chromium:
	@[ -x /usr/bin/chromium ] || { \
	  echo "Chromium is missing: installing it (the stepper page is tested in it)"; \
	  if command -v apt-get >/dev/null 2>&1; then \
	    $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium; \
	  else echo "Please install Chromium at /usr/bin/chromium"; exit 1; fi; }

# `soffice` alone is not enough: libreoffice-common brings it without Calc, which then converts nothing.
libreoffice:
	@if command -v dpkg-query >/dev/null 2>&1; then \
	  dpkg-query -W -f='$${Status}' libreoffice-calc 2>/dev/null | grep -q "install ok installed" || { \
	    echo "LibreOffice Calc is missing: installing it (the workbook tests recalculate with it)"; \
	    $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq --no-install-recommends libreoffice-calc; }; \
	elif ! command -v soffice >/dev/null 2>&1; then \
	  if command -v brew >/dev/null 2>&1; then brew install --cask libreoffice; \
	  else echo "Please install LibreOffice (https://www.libreoffice.org/download/)"; exit 1; fi; \
	fi

clean:
	rm -rf $(VENV) $(OUT) site node_modules *.egg-info .pytest_cache .ruff_cache .mypy_cache .hypothesis
