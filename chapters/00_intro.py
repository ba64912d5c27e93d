# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
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

info = setup_chapter(profile, device, seed)

# %% tags=["remove-cell"]
# The paper's own numbers quoted below come from sbcore/paper_numbers.csv, never from this text.
# (glue plain floats: a numpy scalar's text is "np.float64(...)", which glue cannot format.)
from myst_nb import glue

from sbcore.paper import paper_numbers

table2 = paper_numbers("Table 2")
glue("t2_low", float(table2["mean"].min()), display=False)
glue("t2_high", float(table2["mean"].max()), display=False)
glue("ms7_control", float(paper_numbers("Sec. 5 text")["mean"].iloc[0]), display=False)
uap = paper_numbers("Fig. 4").set_index("dataset")["mean"]
glue("uap_lms5", float(uap["lms-5"]), display=False)
glue("uap_ms57", float(uap["ms-5-7"]), display=False)

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
#    ends at {glue:text}`t2_low:.1%` to {glue:text}`t2_high:.1%` test accuracy, although the
#    7-slab coordinates alone are learnable to about {glue:text}`ms7_control:.0%` from the same
#    number of samples.
# 4. **SB hurts robustness.** Because a network relies on one feature, a single small universal
#    adversarial perturbation (UAP) aimed at that feature fools it on most inputs: the paper's
#    $\ell_2$ UAPs spend {glue:text}`uap_lms5:.1%` (LMS-5) and {glue:text}`uap_ms57:.1%`
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
import re
from pathlib import Path

import pandas as pd
from IPython.display import Markdown, display

from sbcore.book.pipeline import chapter_sources


def chapter_title(path: Path) -> str:
    """The first markdown heading of a chapter source."""
    match = re.search(r"^# # (.+)$", path.read_text(), flags=re.M)
    return match.group(1).strip() if match else path.stem


display(Markdown("\n".join(f"- `{name}`: {chapter_title(path)}"
                           for name, path in chapter_sources().items())))

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
# tables below are generated from `sbcore.profiles`.

# %% tags=["remove-input"]
from sbcore.profiles import PAPER_CHOICES, PROFILE_NAMES, PROFILES, QUICK_REDUCTIONS


def flatten(settings: dict, prefix: str = "") -> dict:
    """Nested settings -> {"section.key": value}."""
    out = {}
    for key, value in settings.items():
        if isinstance(value, dict) and value:
            out.update(flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value if value != {} else "(no settings)"
    return out


def markdown_table(df: pd.DataFrame) -> Markdown:
    """A left-aligned markdown table: these cells are sentences, not numbers."""
    lines = ["| " + " | ".join([df.index.name or ""] + list(df.columns)) + " |",
             "|" + " --- |" * (len(df.columns) + 1)]
    lines += ["| " + " | ".join([f"**{i}**"] + [str(v).replace("|", "\\|") for v in row]) + " |"
              for i, row in zip(df.index, df.to_numpy())]
    return Markdown("\n".join(lines))


rows = {name: flatten({k: v for k, v in PROFILES[name].items() if k != "description"})
        for name in PROFILE_NAMES}
display(markdown_table(pd.DataFrame({"what it is for": [PROFILES[n]["description"]
                                                        for n in PROFILE_NAMES]},
                                    index=pd.Index(PROFILE_NAMES, name="profile"))))
display(Markdown("**How `quick` departs from `paper`:**"))
display(markdown_table(pd.DataFrame({"reduction": list(QUICK_REDUCTIONS.values())},
                                    index=pd.Index(list(QUICK_REDUCTIONS), name="experiment"))))
display(Markdown("**Where the paper and its official code disagree, the `paper` profile uses:**"))
display(markdown_table(pd.DataFrame({"choice and reason": list(PAPER_CHOICES.values())},
                                    index=pd.Index(list(PAPER_CHOICES), name="setting"))))

# %% [markdown]
# Every setting of every profile, side by side:

# %% tags=["remove-input"]
settings = pd.DataFrame(rows).fillna("")
settings.index.name = "setting"
settings = settings.map(lambda v: ", ".join(map(str, v)) if isinstance(v, list) else v)
display(markdown_table(settings))
