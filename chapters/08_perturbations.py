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
# # Small perturbations, large failures
#
# A network that relies on $S$ alone has a small margin along $S$: a perturbation that moves a
# point along $S$ by about the width of the linear block's gap crosses its decision boundary,
# whatever the other $d - 1$ coordinates say. The paper shows it with universal adversarial
# perturbations (Fig. 4): one perturbation for the whole test set, of l2 norm about 1, spends
# almost all of its budget on $S$ and takes the networks to chance or below. A classifier
# that averaged the linear classifier with the $d - 1$ per-slab classifiers would have a
# margin of order $\sqrt{d}$; this chapter builds it and attacks it too.

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
from IPython.display import HTML, Markdown, display

from sbcore.book import glue_all, show_problems, viz
from sbcore.studies import notes, runner
from sbcore.studies.perturbations import figures, prose, study, views

this_run = runner.run("perturbations", profile, device, seed, recompute,
                      only=study.runnable(profile, seed),
                      allow_long=allow_long)
paper_run = runner.lookup("perturbations", "paper")
result, stored = runner.merge(this_run), runner.merge(paper_run)
glue_all(views.numbers(this_run, paper_run, profile))

# %% tags=["remove-input", "remove-stderr"]
problems = show_problems(this_run, paper_run)

# %% [markdown]
# ## Setup
#
# LMS-5 and MS-(5,7) at d = {eval}`d` with {eval}`format(n_train, ",d")` training points; an
# FCN, a CNN and a GRU on LMS-5 and the FCN on MS-(5,7), {eval}`n_seeds` seeds each,
# trained as in the extreme simplicity bias chapter. Each attacks the first
# {eval}`format(n_attack, ",d")` test points:
#
# * **PGD**, per example: l2 projected gradient ascent on the loss, radius
#   {eval}`pgd_eps` times the data's range, as the official notebook 06;
# * **SVD-UAP**: the top right-singular vector of the PGD perturbations of the whole test set,
#   scaled to the norm, the sign that hurts more kept;
# * **AS-UAP**: one perturbation trained by normalised gradient steps on batches of the test
#   set, projected onto the l2 ball;
# * **shifts** of the same norms along $S$ and along a random direction of $S^c$.
#
# A universal perturbation is added with the label's sign, $+u$ to class 1 and $-u$ to class 0
# (the paper's convention: one direction, its sign set by the label). The share of a
# perturbation's budget on $S$ is $\lVert P_S \rVert / \lVert P \rVert$ in the blocks'
# coordinates (before the rotation), as the notebook computes it; the store also keeps the
# l2-mass reading $\lVert P_S \rVert^2 / \lVert P \rVert^2$.

# %% tags=["remove-input"]
display(*map(Markdown, notes.profile_notes("perturbations", profile)))

# %% [markdown]
# ## The UAPs ride $S$ (Fig. 4)
#
# In the three tables below the UAPs have norm 1.0 on LMS-5 and 0.5 on MS-(5,7), as in notebook
# 06.
#
# **Table.** Accuracy under the universal perturbations.

# %% tags=["remove-input"]
display(views.summary(result, stored, profile, "accuracy"))

# %% [markdown]
# **Table.** Share of each UAP's l2 budget on S (mean ‖P_S‖ / ‖P‖ in the blocks' coordinates).

# %% tags=["remove-input"]
display(views.summary(result, stored, profile, "share"))

# %% [markdown]
# **Table.** Per-example PGD: accuracy, and the share of its budget on S.

# %% tags=["remove-input"]
display(views.summary(result, stored, profile, "pgd"))

# %% [markdown]
# One perturbation of norm 1 takes the networks to {eval}`format(uap_acc_lo, ".3f")`–
# {eval}`format(uap_acc_hi, ".3f")` accuracy, with {eval}`format(uap_share_lo, ".3f")`–
# {eval}`format(uap_share_hi, ".3f")` of its budget on $S$. The averaging classifier keeps
# {eval}`format(avg_svd_acc, ".3f")` under the SVD-UAP and {eval}`format(avg_as_acc, ".3f")` under
# an AS-UAP
# trained against it (lowest over the two datasets). Per-example PGD, with a budget of half
# the data's range, breaks every model, the averaging classifier included: that budget is far
# beyond its margin.
#
# Added with one sign to every point, whatever its label, the same SVD-UAP leaves the LMS-5
# networks {eval}`format(unsigned_lms_5, ".3f")` accuracy on average: half of the points move away
# from the boundary, so on LMS-5 the paper's universal perturbation is a direction whose sign
# the label sets. On MS-(5,7) the unsigned one leaves {eval}`format(unsigned_ms_5_7, ".3f")`: there
# a
# shift of one slab width along $S$ puts a point of either class on a slab of the other.
#
# **Table.** Accuracy under the SVD-UAP added with one sign to every point, whatever its label
# (norm 1.0 on LMS-5 and 0.5 on MS-(5,7), as in notebook 06).

# %% tags=["remove-input"]
display(views.summary(result, stored, profile, "unsigned"))

# %% tags=["remove-input"]
fig = figures.accuracy_vs_norm(result)

# %% [markdown]
# How the points cross, on each dataset: the FCN's decision regions over $S$ and the $S^c$
# coordinate whose randomisation costs it most (the other coordinates at a test point's), and
# the test points pushed by its SVD-UAP, norm by norm (a hollow marker is a point it now gets
# wrong). The points move along $S$, where the UAP spends its budget, and cross the boundary
# together.

# %% tags=["remove-input"]
display(HTML(viz.animation_html(figures.crossing_animation(result))))

# %% [markdown]
# ## The models learn the same perturbation
#
# The paper says FCNs, CNNs and GRUs learn essentially the same UAP. The cosine between their
# SVD-UAP directions.
#
# **Table.** The SVD-UAPs of the models trained on LMS-5: |cosine| between their directions (1 is
# the same direction).

# %% tags=["remove-input"]
table = views.uap_cosines(result, stored)
display(table if table is not None else Markdown("*One model only at this profile.*"))

# %% [markdown]
# ## Images: the UAP sits on the digit
#
# The same attack on a CNN trained on the MNIST-Fashion domino of the images chapter: the
# SVD-UAP of its PGD perturbations, pixels kept in [0, 1]. Of the UAP's l2 budget,
# {eval}`format(img_share, ".3f")` lies on the MNIST half as $\lVert P_S \rVert / \lVert P \rVert$
# ({eval}`format(img_mass, ".3f")` as the l2 mass); the paper reports
# {eval}`format(img_paper, ".3f")` for
# DenseNet121 on MNIST-CIFAR (it does not say which of the two readings). Where CIFAR-10 is
# found (`SB_CIFAR10`), the paper profile attacks a DenseNet121 on MNIST-CIFAR as well.

# %% tags=["remove-input"]
table = views.image_table(result)
if table is not None:
    display(viz.styled_table(table))
    fig = figures.image_uap(result)

# %% [markdown]
# ## A small shift along $S$, a large one along $S^c$
#
# A distribution shift is a perturbation too. Moving every test point by 1 along $S$ (towards
# the other class) leaves the networks {eval}`format(shift_s, ".3f")` accuracy; the same shift
# along a direction of $S^c$ leaves {eval}`format(shift_sc, ".3f")`, and even a shift of
# {eval}`shift_norm` along $S^c$ leaves {eval}`format(shift_sc_big, ".3f")`: the networks are
# as fragile along $S$ as they are indifferent to $S^c$.
#
# ## Recap
#
# * One perturbation for the whole test set, of l2 norm 1 on LMS-5 (0.5 on MS-(5,7)), takes the
#   networks to {eval}`format(uap_acc_lo, ".3f")`–{eval}`format(uap_acc_hi, ".3f")` accuracy, and
#   {eval}`format(uap_share_lo, ".3f")`–{eval}`format(uap_share_hi, ".3f")` of its budget lies on
#   S.
# * The averaging classifier, which reads every coordinate, keeps at least
#   {eval}`format(avg_svd_acc, ".3f")` accuracy under the SVD-UAP of the same norm, and
#   {eval}`format(avg_as_acc, ".3f")` under an AS-UAP trained against it
#   (d = {eval}`d`){eval}`pick(averaging_holds, ": the failure is the networks' reliance on S, not the data's.", ". Its margin grows like the square root of d; at this d a budget of 1 already reaches it when the perturbation is trained against it directly.")`
# * A shift of norm 1 along S leaves the networks {eval}`format(shift_s, ".3f")` accuracy; along
#   Sᶜ {eval}`format(shift_sc, ".3f")`, and even a shift of norm {eval}`format(shift_norm, "g")`
#   along Sᶜ leaves {eval}`format(shift_sc_big, ".3f")`.

# %% tags=["remove-input"]
stored_bullet = prose.stored_recap(views.stored_findings(paper_run))  # "": nothing stored
if stored_bullet:
    display(Markdown(stored_bullet))
