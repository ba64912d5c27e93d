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
# # Reproduction overview
#
# Every table, figure and the theorem of the paper, one row each: what it shows, the chapter
# of this book that reproduces it, the paper's headline number, the stored paper-scale run
# with the device and date that made it, the result of this build, and a verdict.

# %% tags=["parameters", "remove-cell"]
profile = "quick"
device = "cpu"
seed = 0
recompute = False

# %% tags=["remove-input"]
from sbcore.book import setup_chapter

info = setup_chapter(profile, device, seed, recompute)

# %% tags=["remove-cell"]
# The items are sbcore/paper_items.csv; the paper's numbers come from sbcore/paper_numbers.csv.
from IPython.display import Markdown, display

from sbcore.book import glue_all, show_problems
from sbcore.build import overview, reproduction

this_run, stored, looked = reproduction.gather(profile, device, seed, recompute)
table = reproduction.overview_table(this_run, stored)
glue_all(reproduction.counts(table))

# %% tags=["remove-input", "remove-stderr"]
problems = show_problems(*looked)

# %% [markdown]
# ## How to read the table
#
# * **paper**: the number the paper prints for the item (mean ± std where it gives one), with
#   the table or figure it comes from. One number per item, its headline: the chapter shows
#   the rest. An item that is an illustration or a definition has no number.
# * **stored paper-scale run**: this project's run at the paper's settings, from the results
#   store (mean ± std over seeds, their count, the device and the date); **this build**: the
#   profile this page was executed with. At a reduced profile a model the paper names may not be
#   trained; the cell then pools the models that were, and says so.
# * **verdict**, by one rule on the numbers: the allowed gap is the largest of the paper's std,
#   our std over seeds and a tolerance of {eval}`tolerance` (the paper prints two
#   decimals, and a randomised metric near chance measured on the paper's 10,000 test points
#   varies by about a third of the tolerance between draws). Within the allowed gap the item
#   is *reproduced*; within {eval}`spread_factor` times it, *within spread*; beyond, it
#   *departs* (the cell gives the numbers). *Not yet*: no chapter reproduces the item so far.

# %% tags=["remove-input"]
display(Markdown(overview.markdown_table(table)))

# %% [markdown]
# Of the {eval}`n_items` items, {eval}`n_built` have a chapter so far. At paper scale
# {eval}`n_reproduced` are reproduced, {eval}`n_within` are within spread and
# {eval}`n_departs` depart, {eval}`n_shown` shown without a number to compare;
# {eval}`n_not_yet` are not built yet: {eval}`not_yet_items`.

# %% [markdown]
# ## Beyond the paper
#
# The paper hopes its datasets will serve "as an effective testbed to evaluate novel
# algorithmic approaches aimed at avoiding the pitfalls of SB", and evaluates none itself.
# [What avoids the pitfalls?](11_testbed.ipynb) puts seven published methods on the testbeds (ERM,
# Spectral Decoupling, gradient-diversity ensembles, OrthoP, JTT, D-BAT and DivDis), grouped
# by what each reads besides the training set (nothing, an unlabelled pool in which S and Sᶜ
# are independent, or a few labels of it), and measures each on the three pitfalls: which
# block the model reads, its accuracy under a universal perturbation, and its test accuracy
# on noisy LMS-7. Its leaderboards are not items of the paper, so they have no row above;
# a method of one's own joins them with `python -m sbcore.testbed MODULE:NAME`.
