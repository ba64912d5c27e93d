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
# # Measuring what a model relies on
#
# A network that reaches 100% test accuracy on LMS-5 could be using the linear coordinate,
# the 49 slab coordinates, or both: every one of them predicts the label perfectly. Accuracy
# cannot tell these apart. The paper (section 3) measures reliance by **destroying** the
# information in a set of coordinates while keeping their distribution, and watching what
# the model does. This chapter defines the two randomised distributions and the decision rule,
# and checks them on **oracle classifiers** whose reliance we know by construction, before the
# next chapter turns them on trained networks.

# %% tags=["parameters", "remove-cell"]
profile = "quick"
device = "cpu"
seed = 0
recompute = False
allow_long = False

# %% tags=["remove-input"]
from sbcore.book import setup_chapter

info = setup_chapter(profile, device, seed, recompute)

# %% tags=["remove-cell"]
from IPython.display import display

from sbcore.book import glue_all, show_problems, viz
from sbcore.studies import runner
from sbcore.studies.measuring import figures, views

results = runner.run("measuring", profile, device, seed, recompute, allow_long=allow_long)
result = results["oracles"]
glue_all(views.numbers(results, None, profile))

# %% tags=["remove-input", "remove-stderr"]
problems = show_problems(results)

# %% [markdown]
# ## Two randomised distributions
#
# Let $S$ be a set of coordinates and $S^c$ the rest. The **$S$-randomised distribution**
# draws $(x, y)$ from the data distribution $D$ and then replaces the block $x_S$ by an
# independent draw from its marginal $D_S$, keeping $x_{S^c}$ and $y$. After this, $x_S$ carries
# no information about $y$ (nor about $x_{S^c}$), but it still *looks* like data: a model sees
# inputs from the same marginal it was trained on, only with the link to the label cut. The
# **$S^c$-randomised distribution** does the same to $x_{S^c}$. **$S$-randomised accuracy** and
# **AUC** are a model's accuracy and ROC-AUC on that distribution.
#
# On a finite test set the independent draw is a permutation: undo the data's rotation, draw
# **one** permutation of the test rows and move the whole block $x_S$ with it (row $i$ receives
# the $S$-block of row $\pi(i)$), then rotate back (`sbcore.reliance.randomize`).
#
# **Decision rule** (paper, Table 1). A model *relies exclusively on $S$ and is invariant to
# $S^c$* when its $S$-randomised accuracy and AUC fall to chance, {eval}`format(rule_auc, ".2f")`,
# and
# its $S^c$-randomised accuracy and AUC equal the standard ones. The paper states no
# tolerance; `sbcore.reliance.relies_only_on_S` uses 0.05 on the AUCs.

# %% [markdown]
# ## Oracles with a known answer
#
# Three hand-written classifiers on the same LMS-5 and MS-(5,7) data (d = {eval}`d`,
# rotated, {eval}`format(n_test, ",d")` test points). Each reads the canonical coordinates and lets
# every coordinate it uses vote $\pm 1$ for the class that owns the region its value falls in
# (the sign of a linear coordinate; the class of the nearest slab):
#
# * **uses S only** averages the votes of $S$ (the linear coordinate of LMS-5, the 5-slab of
#   MS-(5,7));
# * **uses $S^c$ only** averages the votes of the {eval}`n_sc` complex coordinates;
# * **uses $S$ and $S^c$** adds the two averages: when one half is randomised and disagrees,
#   the score is 0, a tie, which predicts class 0; so it is right on 3 rows in 4.
#
# Their reliance is known, so their randomised metrics are known too (the "known" columns).
# Their standard accuracy is {eval}`standard_acc` on both datasets (on clean data every
# vote is right), so the table shows the randomised metrics only.

# %% tags=["remove-input"]
display(viz.styled_table(views.oracle_table(result)))

# %% [markdown]
# The rule picks out exactly the oracle that uses $S$ alone. On LMS-5 it has $S$-randomised
# accuracy {eval}`format(s_only_S_acc, ".3f")` (known {eval}`format(s_only_S_known, ".2f")`) and
# $S^c$-randomised accuracy {eval}`format(s_only_Sc_acc, ".3f")` (known
# {eval}`format(s_only_Sc_known, ".2f")`). The $S^c$ oracle is its mirror image, with $S$-randomised
# accuracy {eval}`format(sc_only_S_acc, ".3f")` and $S^c$-randomised accuracy
# {eval}`format(sc_only_Sc_acc, ".3f")`. The oracle that uses both loses on either side:
# {eval}`format(both_S_acc, ".3f")` and {eval}`format(both_Sc_acc, ".3f")` (known
# {eval}`format(both_S_known, ".2f")`; AUC {eval}`format(both_S_auc, ".3f")`, known
# {eval}`format(both_S_known_auc, ".3f")`). The gaps from the known values are the sampling noise of
# one permutation of {eval}`format(n_test, ",d")` rows. LMS-5 and MS-(5,7) give the same numbers:
# on clean data every vote is right, so an oracle's scores depend only on the labels and on
# the permutation, which are the same for both datasets here.

# %% tags=["remove-input"]
fig = figures.oracle_bars(result)

# %% [markdown]
# ## Why one joint permutation across all samples
#
# The permutation is the same for every coordinate in the set, and it runs over all test
# rows, not within a class. Both choices matter. The table shows two tempting alternatives
# on LMS-5:
#
# * **independent**: a separate permutation for every coordinate of the set. This breaks the
#   block apart, and that is a different question. For the oracle that uses both halves, the
#   49 independently shuffled slab votes mostly cancel, and the linear vote decides alone: its
#   $S^c$-randomised accuracy becomes {eval}`format(both_Sc_independent, ".3f")`, against
#   {eval}`format(both_Sc_acc, ".3f")` with the joint permutation. Independent shuffling would make
#   a
#   model that *does* use $S^c$ look invariant to it. A joint permutation moves another
#   sample's whole $S^c$ block in, which still speaks with one voice, for a random label.
# * **within-class**: permuting inside each class keeps $x_S$ tied to $y$, so nothing is
#   randomised at all. Even the $S$-only oracle keeps $S$-randomised accuracy
#   {eval}`format(s_only_S_within_class, ".3f")`.

# %% tags=["remove-input"]
display(viz.styled_table(views.randomization_table(result)))

# %% [markdown]
# ## The per-coordinate view
#
# Randomising one canonical coordinate at a time (same joint-permutation recipe, a set of one)
# gives a profile over coordinates. It shows *where* a model looks when reliance sits on a
# few coordinates, but it can miss reliance spread over many: the $S^c$ oracle averages
# {eval}`n_sc` votes, so no single one matters, and every bar stays at 1 even though the
# oracle relies on $S^c$ entirely. That is why the decision rule randomises whole sets.

# %% tags=["remove-input"]
fig = figures.per_coordinate(result)

# %% [markdown]
# On LMS-5, randomising coordinate 0 alone takes the $S$ oracle to
# {eval}`format(s_only_coord0, ".3f")`, while the lowest bar of the $S^c$ oracle is
# {eval}`format(sc_only_min_coord, ".3f")`.
#
# ## The logit view
#
# Accuracy and AUC summarise; the scores show how. For the true positives (label 1, predicted 1
# on the standard test set) we plot the score $\mathrm{logit}_1 - \mathrm{logit}_0$ (for an
# oracle, its vote) on the original inputs and on the two randomised ones. A model that relies
# on $S$ alone keeps the same histogram under $S^c$-randomisation and has its scores shuffled
# across the decision threshold under $S$-randomisation: half of them move to the negative
# side. The oracles' scores are votes, so the histograms are spikes.

# %% tags=["remove-input"]
fig = figures.logits(result)

# %% [markdown]
# With the measurements checked where the answer is known, the next chapter applies them to
# networks trained by SGD.
