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
# ## Every number
#
# The table above judges each item by one headline number; the paper prints many more. All
# {eval}`sb_numbers` numbers that this book takes from the paper ({eval}`sb_paper_numbers`)
# and from the official notebooks' printed outputs ({eval}`sb_notebook_numbers`) are in
# `sbcore/paper_numbers.csv`, and each one is set beside a selection of our results (a study,
# its entries, a filter on their tidy metrics) or marked with the reason it has none here
# (`sbcore/paper_scoreboard.csv`). Each is judged by the rule above, by how the paper's side
# is known:
#
# * a number the paper **prints**, with its std where it gives one: the rule as above;
# * a number **read off a plot** (Figs. 6 and 7 give "≈ 75%" or "100% up to ε = 0.1"): the
#   tolerance is {eval}`sb_read_off_tolerance`, about what such a reading is worth, instead of
#   the printed two decimals' {eval}`tolerance`;
# * a number an official notebook **printed**: one unseeded run, so no std on its side; the
#   allowed gap is the spread of our runs over seeds (how far one run may fall from their
#   mean) or the tolerance, whichever is larger. These are counted apart from the paper's.
#
# *Not yet run*: no stored result holds the selection yet (the per-source counts below say
# where; every number on MNIST-CIFAR also needs CIFAR-10 on the machine that runs it). *No
# counterpart here*: the number is not a measurement to repeat, and the reason is given
# (Table 10's chosen settings, which [the generalisation chapter](09_generalisation.ipynb)
# sets beside the settings our grid chooses).

# %% tags=["remove-cell"]
from sbcore.build import scoreboard

this_numbers, stored_numbers, _ = scoreboard.gather(profile, seed)
numbers = scoreboard.board(this_numbers, stored_numbers, profile)
glue_all(scoreboard.totals(numbers))

# %% [markdown]
# At paper scale, of the paper's {eval}`sb_paper_numbers` numbers {eval}`sb_paper_reproduced`
# are reproduced, {eval}`sb_paper_within` within spread and {eval}`sb_paper_departs` depart;
# {eval}`sb_paper_not_yet` are not yet run and {eval}`sb_paper_none` have no counterpart here.
# Of the notebooks' {eval}`sb_notebook_numbers`, {eval}`sb_paper_nb_reproduced` are
# reproduced, {eval}`sb_paper_nb_within` within spread, {eval}`sb_paper_nb_departs` depart and
# {eval}`sb_paper_nb_not_yet` are not yet run. In this build: {eval}`sb_build_reproduced`,
# {eval}`sb_build_within`, {eval}`sb_build_departs` and {eval}`sb_build_not_yet` of the
# paper's (reproduced, within spread, departs, not yet run), {eval}`sb_build_nb_reproduced`,
# {eval}`sb_build_nb_within`, {eval}`sb_build_nb_departs` and {eval}`sb_build_nb_not_yet` of
# the notebooks'. A reduced profile trains fewer and smaller models than the paper names, so
# most of its numbers have no row to compare.
#
# **At paper scale** (the stored runs), per source:

# %% tags=["remove-input"]
display(Markdown(overview.markdown_table(scoreboard.counts(numbers, "paper scale"))))

# %% [markdown]
# **In this build**, per source:

# %% tags=["remove-input"]
display(Markdown(overview.markdown_table(scoreboard.counts(numbers, "this build"))))

# %% [markdown]
# ### The numbers that depart
#
# Each departing number, at the scale where it departs, with the chapter section that
# discusses it:

# %% tags=["remove-input"]
display(Markdown(scoreboard.departures_markdown(numbers)))

# %% [markdown]
# ### Every number, one row each
#
# The paper's value as it prints it, the stored paper-scale run (mean ± std over seeds, their
# count, device and date), this build's, the verdict of each, and where the book discusses
# it (click to show the table).

# %% tags=["remove-input", "hide-output"]
display(Markdown(overview.markdown_table(numbers.set_index("source"))))

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
