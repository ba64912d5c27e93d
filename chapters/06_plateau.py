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
# # The MS-(5,7) plateau
#
# Two cells of the extreme simplicity bias chapter did not reproduce at the paper profile:
# at d = 250 the (2000,1)-FCN on MS-(5,7) fit its training set without generalising, and
# with $S$ removed the networks did not learn MS-(5,7)'s seven-slabs, where the paper says the
# complex features alone reach 100%. Both sit where the official MS-(5,7) run already shows a
# long plateau: training accuracy near chance for about 10,000 updates, then a jump once the
# network finds the 5-slab. This chapter measures how long that plateau lasts as d and the
# sample size grow, a result the paper does not have, then reruns both cells with a longer
# cap and a larger sample.

# %% tags=["parameters", "remove-cell"]
profile = "quick"
device = "cpu"
seed = 0
recompute = False

# %% tags=["remove-input"]
from sbcore.book import setup_chapter

info = setup_chapter(profile, device, seed, recompute)

# %% tags=["remove-cell"]
from IPython.display import Markdown, display

from sbcore.book import glue_all, show_problems, stored_label, viz
from sbcore.studies import notes, runner
from sbcore.studies.plateau import figures, prose, views

this_run = runner.run("plateau", profile, device, seed, recompute)
paper_run = runner.lookup("plateau", "paper")
esb_paper = runner.lookup("extreme_sb", "paper")
result = runner.merge(this_run)
stored = runner.merge(paper_run)
esb_parts = runner.parts("extreme_sb", esb_paper)
cells = views.stored_cells(esb_parts)
glue_all({**views.numbers(result, stored, profile), **cells})

# %% tags=["remove-input", "remove-stderr"]
problems = show_problems(this_run, paper_run, esb_paper)

# %% [markdown]
# ## Setup
#
# MS-(5,7) (one 5-slab $S$, d − 1 seven-slabs, rotated), the {eval}`model` trained with
# SGD (learning rate {eval}`lr`, batch {eval}`batch`), {eval}`n_seeds` seeds
# per setting, evaluated every 250 updates. A run *escapes* the plateau at the first
# evaluation whose validation accuracy reaches {eval}`escape`; it stops once train
# accuracy reaches 0.98, or at {eval}`format(cap, ",d")` updates.

# %% tags=["remove-input"]
display(*map(Markdown, notes.profile_notes("plateau", profile)))

# %% [markdown]
# ## The plateau grows with d
#
# Validation accuracy during training: every run first sits at chance, then jumps when it
# finds the 5-slab; the larger d, the later.

# %% tags=["remove-input"]
fig = figures.curves(result)

# %% tags=["remove-input"]
fig = figures.escape_trend(result)
display(viz.styled_table(views.sweeps(result)))

# %% [markdown]
# {eval}`n_capped` runs met the cap without escaping and {eval}`n_memorised`
# memorised their training set (stop rule met, validation at chance).
#
# At the paper's scale (the sweep over d on 50,000 training points, the sample-size sweep
# from 12,500 to 200,000 points at d = 50, 150 and 250; 5 seeds, the official loop's cap of
# 800,000 updates), as far as the stored paper-scale run goes:

# %% tags=["remove-input"]
if views.stored_sweep(stored):
    display(Markdown(f"*Stored paper-scale sweep ({stored_label(stored)}):*"))
    fig = figures.escape_trend(stored)
    display(viz.styled_table(views.sweeps(stored)))
else:
    display(Markdown("*No paper-scale sweep is stored yet.*"))

# %% [markdown]
# ## The two cells, answered
#
# The stored paper-scale run of the extreme-SB chapter (cap {eval}`format(esb_cap, ",d")` updates):

# %% tags=["remove-input"]
display(Markdown(prose.stored_cells(cells)))
display(Markdown("**This run:** " + prose.answer(views.answer(result, cells["esb_cap"]))))
if views.stored_sweep(stored):
    display(Markdown("**The stored paper-scale sweep:** "
                     + prose.answer(views.answer(stored, cells["esb_cap"]))))

# %% [markdown]
# Both cells rerun at the paper profile with the official loop's cap of 800,000 updates and
# larger samples (400,000 points at d = 250, 200,000 for the control) are entries of this
# study's paper profile, which a GPU or the 2-core CPU runs
# (`python -m sbcore.run_experiments --missing --profile paper`, with `--device cuda
# --budget-min 9` on a GPU); a run longer than one time-boxed slice pauses at its end and
# resumes in the next, from a checkpoint. A third rerun, *control-long*, keeps the S-removed
# (100,1)-FCN cell's own sample and raises only its cap, which tells the cap from the sample.

# %% tags=["remove-input"]
table = views.reruns(stored) if stored is not None else None
display(viz.styled_table(table) if table is not None and len(table) else
        Markdown("*The reruns are not stored yet.*"))
fig = figures.rerun_curves(stored, cells["esb_cap"])
stop = views.stop_accuracy()
display(Markdown(prose.wide(views.wide_rerun(stored, esb_parts["wide"]), stop)))
display(Markdown(prose.sample(views.sample_rerun(stored, esb_parts["control"]), stop)))
display(Markdown(prose.cap(views.cap_rerun(stored, esb_parts["control"]))))

# %% [markdown]
# ## Recap

# %% tags=["remove-input"]
recap = views.recap_findings(result, stored, esb_parts["control"], esb_parts["wide"])
display(Markdown(prose.recap(recap)))

# %% [markdown]
# * A run stopped before its plateau ends looks like a failure to learn: it sits at chance or
#   memorises its training set. Whether such a cell reproduces depends on the update cap and
#   the sample as much as on the network.
