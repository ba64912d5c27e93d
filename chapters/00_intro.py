# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: all,-user_expressions
#     notebook_metadata_filter: language_info.name
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
#   language_info:
#     name: python
# ---

# %% [markdown]
# # The Pitfalls of Simplicity Bias, executed
#
# This book re-runs the experiments of *The Pitfalls of Simplicity Bias in Neural Networks*
# (Shah, Tamuly, Raghunathan, Jain and Netrapalli, NeurIPS 2020, arXiv 2006.07710) and shows
# each result next to the number the paper reports. Every page is a notebook that was executed
# to make this site; you can run any of them yourself, at a small or at the paper's scale.

# %% tags=["parameters", "remove-cell"]
profile = "quick"
device = "cpu"
seed = 0
recompute = False

# %% tags=["remove-input"]
from sbcore.book import setup_chapter

info = setup_chapter(profile, device, seed, recompute)

# %% tags=["remove-cell"]
# The paper's own numbers quoted below come from sbcore/paper_numbers.csv, never from this text.
from IPython.display import Markdown, display

from sbcore.book import glue_all
from sbcore.build import overview

glue_all(overview.headline_numbers())

# %% [markdown]
# ## The question
#
# Neural networks trained with stochastic gradient descent generalise well, yet they are
# easily fooled: tiny input perturbations flip their predictions, and small shifts in the data
# distribution cost a lot of accuracy. One explanation offered for the good generalisation is
# **simplicity bias** (SB): SGD-trained networks tend to find simple functions. The paper asks
# whether this same bias could also explain the brittleness. To answer it, it builds datasets in
# which the *simplicity* of each feature is known and controlled: a coordinate that separates the
# classes with one threshold (a *linear* feature) sits next to coordinates that need several
# thresholds (*k-slab* features), and every one of them alone predicts the label perfectly.
#
# ## What the paper finds
#
# 1. **Simplicity bias is extreme.** When a simple feature and several complex ones all
#    predict the label, trained networks use *only* the simplest one. Scrambling that feature
#    across examples drops them to chance; scrambling every complex feature changes nothing. The
#    paper measures this with "randomised" accuracy and AUC, a test we build in
#    *Measuring what a model relies on* and apply in *Extreme simplicity bias*.
# 2. **Networks are provably simplicity-biased.** For a one-hidden-layer ReLU network trained by
#    gradient descent on data with one linear and one 3-slab coordinate (plus noise), Theorem 1
#    shows that the learned weight on the linear coordinate grows while the slab weight stays at
#    its initial scale, even though a larger-margin solution would use both. *Why SGD picks
#    the linear coordinate* walks through the statement with simulations.
# 3. **SB hurts generalisation.** If the simple feature is slightly noisy, the networks still
#    lean on it alone: on LMS-7 with a noisy linear coordinate every architecture in Table 2
#    ends at {eval}`format(t2_low, ".1%")` to {eval}`format(t2_high, ".1%")` test accuracy, although
#    the
#    7-slab coordinates alone are learnable to about {eval}`format(ms7_control, ".0%")` from the
#    same
#    number of samples.
# 4. **SB hurts robustness.** Because a network relies on one feature, a single small universal
#    adversarial perturbation (UAP) aimed at that feature fools it on most inputs: the paper's
#    $\ell_2$ UAPs spend {eval}`format(uap_lms5, ".1%")` (LMS-5) and {eval}`format(uap_ms57, ".1%")`
#    (MS-(5,7)) of their budget on the simple coordinates. The usual remedies do not fix this:
#    ensembles of independently trained networks all pick the same simple feature, and
#    adversarial training only swaps one simple feature for the next.
#
# ## How to read this book
#
# Each chapter reads like a section of the paper: a claim, the experiment that tests it, the
# evidence. Results tables put three columns side by side: **paper** (the number printed in the
# paper, from one cited data file), **stored paper-scale run** (a run at the paper's settings,
# taken from the results store when one has been committed), and **this run** (computed when this
# page was executed). A note at the top of every page says which profile, device and seed produced
# it. Code that only plumbs is hidden; click a cell's toggle to see it. Sliders on the site play
# precomputed frames; the live widgets that retrain models need a running notebook (below).

# %% tags=["remove-input"]
display(Markdown(overview.chapter_list()))

# %% [markdown]
# ## How to run it
#
# Everything runs from a clone of the repository on a machine with Python 3.11:
#
# ```bash
# make book                      # set up .venv, execute every chapter, render the site
# make book PROFILE=paper DEVICE=cuda     # the paper's scale, for a GPU; results are stored
# make chapter NAME=03_extreme_sb PROFILE=quick   # one chapter, then the site
# make test                      # the test suite (executes every chapter at smoke)
# ```
#
# `make chapter` runs the same papermill line you can type yourself (papermill reads the
# notebook that jupytext makes from the chapter's `.py` source):
#
# ```bash
# .venv/bin/jupytext --to ipynb --set-kernel python3 -o - chapters/03_extreme_sb.py \
#   | .venv/bin/python -m papermill - book/03_extreme_sb.ipynb \
#       -p profile quick -p device cpu --cwd .
# ```
#
# To use a chapter as a live notebook with working widgets, install JupyterLab into the
# environment (`.venv/bin/pip install jupyterlab`), start it with `.venv/bin/jupyter lab`, and open
# `chapters/<name>.py`: jupytext lets JupyterLab open the `.py` source as a notebook (right
# click, *Open With → Notebook*), and saving writes the `.py` back.
#
# ## Profiles
#
# A profile scales sizes, seeds and caps, never the science: the same datasets, models and stop
# rules at every profile. `quick` (the default) executes the whole book in minutes on a 2-core
# CPU; `paper` uses the paper's settings and is meant for a GPU; `smoke` is for the tests. The
# tables below are generated from each study's settings (`sbcore/studies/<study>/settings.py`).

# %% tags=["remove-input"]
tables = overview.profile_tables()
display(Markdown(overview.markdown_table(tables["purpose"])))
display(Markdown("**How `quick` departs from `paper`:**"))
display(Markdown(overview.markdown_table(tables["quick"])))
display(Markdown("**Where the paper and its official code disagree, the `paper` profile uses:**"))
display(Markdown(overview.markdown_table(tables["choices"])))

# %% [markdown]
# Every setting of every profile, side by side:

# %% tags=["remove-input"]
display(Markdown(overview.markdown_table(tables["settings"])))
