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
# # Datasets with a precise notion of simplicity
#
# To say that a network prefers *simple* features, we need data in which simplicity is
# defined, not assumed. The paper builds every synthetic dataset from one-dimensional
# **blocks**: each coordinate is drawn, given the label, from a block whose complexity is the
# number of linear pieces a classifier needs to separate it. A dataset then places a simple
# block on some coordinates (the set $S$) and complex blocks on the others ($S^c$), and every
# block alone predicts the label. This chapter shows the blocks and datasets; the next chapters
# ask which of them a trained network uses.

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
from IPython.display import HTML, display

from sbcore.book import glue_all, show_problems, viz
from sbcore.studies import runner, view
from sbcore.studies.datasets import figures, views
from sbcore.studies.datasets.widget import dataset_explorer

results = runner.run("datasets", profile, device, seed, recompute, allow_long=allow_long)
result, pictures = results["blocks"], view(profile, "datasets")
glue_all(views.numbers(results, None, profile))

# %% tags=["remove-input", "remove-stderr"]
problems = show_problems(results)

# %% [markdown]
# ## One-dimensional blocks
#
# Labels are $y \in \{-1, +1\}$ with probability one half each (stored as 0 and 1). With
# margin $\gamma$ (here {eval}`format(gamma, ".2f")`), width $B$ (here {eval}`format(B, ".0f")`) and
# $U \sim \mathrm{Uniform}[0, 1]$:
#
# * **Linear**: $x = y\,(B\gamma + (B - B\gamma)\,U)$. Positives fill $[B\gamma, B]$, negatives
#   the mirror image, and the empty gap around zero has width $2B\gamma$ =
#   {eval}`format(gap, ".2f")`. One threshold separates the classes.
# * **Noisy linear**: a fraction $p$ of the points (here {eval}`format(p, ".2f")`) is redrawn
#   uniformly inside the gap $[-B\gamma, B\gamma]$, whatever the label. Nothing does better
#   than the threshold at zero, which is right on the clean points and right half of the time
#   inside the gap: accuracy $1 - p/2$ = {eval}`format(best_noisy, ".3f")`.
# * **$k$-slab** ($k$ odd): $k$ intervals ("slabs") of equal width separated by gaps of
#   $2B\gamma$, spanning $[-B, B]$; the classes alternate from slab to slab, with negatives in
#   the centre slab. Since $k$ slabs and $k-1$ gaps fill $2B$,
#
# $$
# k\,w_k + (k-1)\,2B\gamma = 2B
# \quad\Longrightarrow\quad
# w_k = \frac{2B\,\bigl(1 - (k-1)\gamma\bigr)}{k}.
# $$
#
# At these settings $w_3$ = {eval}`format(w3, ".4f")`, $w_5$ = {eval}`format(w5, ".4f")` and
# $w_7$ = {eval}`format(w7, ".4f")`, and every gap is {eval}`format(gap, ".2f")` wide.
#
# **Why linear is simpler.** Every block is fully predictive, and every block has the same
# margin $B\gamma$ around each boundary. What differs is how many pieces a classifier needs: the
# linear block needs one threshold, a $k$-slab needs $k-1$ thresholds, i.e. a piecewise-linear
# function with $k-1$ pieces ({eval}`pieces3` for a 3-slab, {eval}`pieces5` for a
# 5-slab, {eval}`pieces7` for a 7-slab). That count is the paper's measure of
# simplicity. The table below gives each block's support per class, computed from the formulas.

# %% tags=["remove-input"]
display(viz.styled_table(views.geometry_table(result),
                         {"slab width w_k": "{:.4f}", "gap 2Bγ": "{:.2f}"}))

# %% [markdown]
# Each block drawn {eval}`n` times, coloured by class (the tint marks each slab's class):

# %% tags=["remove-input"]
fig = figures.block_histograms(result, seed)

# %% [markdown]
# ### Slabs of $k$ = 3, 5, 7 side by side
#
# More slabs means thinner slabs and more boundaries to learn. The outer slabs are given less
# probability so that both classes spread about equally (paper, Appendix B): in a 5-slab the
# negatives sit in the outer slabs with probability {eval}`format(design_5_neg_outer, ".2f")`
# (measured {eval}`format(meas_5_neg_outer, ".3f")`); in a 7-slab the negatives split
# {eval}`format(design_7_neg_centre, ".2f")` / {eval}`format(design_7_neg_ring, ".2f")` between the
# centre
# and the second ring (measured {eval}`format(meas_7_neg_centre, ".3f")` /
# {eval}`format(meas_7_neg_ring, ".3f")`), and the positives
# {eval}`format(design_7_pos_inner, ".3f")` /
# {eval}`format(design_7_pos_outer, ".3f")` between the inner and the outer ring (measured
# {eval}`format(meas_7_pos_inner, ".3f")` / {eval}`format(meas_7_pos_outer, ".3f")`). Within each
# ring,
# the side (sign) is a fair coin.

# %% tags=["remove-input"]
fig = figures.slab_strips(result, seed)

# %% [markdown]
# Designed and measured probability of each ring (ring 0 is the centre slab, ring $j$ the two
# slabs $j$ steps out), from {eval}`n` draws; "positive side" is the measured share with
# $x > 0$:

# %% tags=["remove-input"]
display(viz.styled_table(views.rings_table(result),
                         {"design": "{:.3f}", "measured": "{:.3f}", "positive side": "{:.3f}"}))

# %% [markdown]
# ## The noisy linear coordinate
#
# In $\hat{\mathrm{L}}$MS-$k$ the linear coordinate is only {eval}`format(best_noisy, ".0%")`
# predictive. Exactly $\mathrm{round}(np)$ of the $n$ points are moved into the gap (here
# {eval}`format(noisy_inside, ".0f")` of {eval}`n`, a fraction {eval}`format(noisy_frac, ".3f")`),
# and
# their sign agrees with their label {eval}`format(noisy_margin_side, ".3f")` of the time. The sign
# of $x$ is then right on {eval}`format(noisy_acc, ".3f")` of the points, against $1 - p/2$ =
# {eval}`format(best_noisy, ".3f")`. The slabs stay noiseless, so in this dataset the complex
# features are strictly more predictive than the simple one.

# %% tags=["remove-input"]
fig = figures.noisy_linear(result, seed)

# %% [markdown]
# ## From blocks to datasets
#
# A dataset stacks independent blocks, one per coordinate, all drawn for the same label; the
# labels are fair coin flips (here a fraction {eval}`format(pos_frac, ".3f")` of positives). The
# table lists every dataset of the library, with its simple set $S$ and complex set $S^c$.

# %% tags=["remove-input"]
display(viz.styled_table(views.dataset_table()))

# %% [markdown]
# **LMS-5** puts the linear block on coordinate 0 and 5-slabs on the others. Any two of its
# canonical coordinates show the two kinds of structure at once: the classes split left/right
# along the linear coordinate and in alternating bands along the slab coordinate.

# %% tags=["remove-input"]
fig = figures.lms_canonical(result, seed)

# %% [markdown]
# ### What the rotation does
#
# The paper applies a random rotation $Q$ (orthogonal, drawn from the QR decomposition of a
# Gaussian matrix) to every dataset, so that no input axis of the network is special: the
# model sees $XQ$. At the default $d$ = {eval}`lms_d` every rotated coordinate mixes all
# $d$ blocks, and in a plane of two rotated coordinates the classes overlap. The linear
# direction is still there, only hidden along the first row of $Q$; a network has to find it.
# The rotation loses nothing: $QQ^\top = I$ to within
# {eval}`format(rot_err, ".1e")`, and undoing it returns the blocks to within
# {eval}`format(unrot_err, ".1e")` (the inputs are stored in single precision).

# %% tags=["remove-input"]
fig = figures.rotation(result, seed)

# %% [markdown]
# ### LSN, MS-(5,7) and AdvMS-(5,7)
#
# * **LSN** (the theory's dataset): $x_1 = y$, $x_2$ is $0$ for negatives and $\pm 1$ for
#   positives (a 3-slab with zero width), and the remaining $d-2$ coordinates are Gaussian noise.
# * **MS-(5,7)** has no linear block at all: a 5-slab is the *simpler* feature against 7-slabs,
#   showing that simplicity is relative.
# * **AdvMS-(5,7)** ($d$ = {eval}`adv_d`) puts {eval}`adv_nS` 5-slabs with a smaller
#   margin ($\gamma$ = {eval}`format(adv_g5, ".2f")`) against {eval}`adv_nSc` 7-slabs with a
#   larger one ($\gamma$ = {eval}`format(adv_g7, ".2f")`), for the adversarial-training experiment.

# %% tags=["remove-input"]
fig = figures.other_datasets(result, seed)

# %% [markdown]
# ## Moving the margin
#
# The animation varies the margin $\gamma$ of an LMS-5 pair from zero to near the largest a
# 5-slab allows, $1/(k-1)$: the gaps widen, the slabs thin as $w_k$ says, and the linear block's
# empty band grows with them. It is precomputed, so it plays on the static page too.

# %% tags=["remove-input"]
display(HTML(figures.margin_animation_html(pictures["frames"], pictures["n_frame"], seed)))

# %% [markdown]
# ## Try it
#
# Running this chapter as a notebook, the sliders below regenerate the blocks for any number
# of slabs $k$, margin $\gamma$, noise rate $p$ and sample size $n$. A pair $(k, \gamma)$ whose
# slabs would overlap, $\gamma \ge 1/(k-1)$, is refused with the library's error message. On
# the static site the sliders show only the picture saved when the page was built.

# %% tags=["remove-input"]
dataset_explorer(n=pictures["n_widget"], seed=seed)
