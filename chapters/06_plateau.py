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
allow_long = False

# %% tags=["remove-input"]
from sbcore.book import setup_chapter

info = setup_chapter(profile, device, seed, recompute)

# %% tags=["remove-cell"]
from IPython.display import Markdown, display

from sbcore.book import glue_all, show_problems, stored_label, viz
from sbcore.studies import notes, runner
from sbcore.studies.plateau import figures, prose, views

this_run = runner.run("plateau", profile, device, seed, recompute, allow_long=allow_long)
paper_run = runner.lookup("plateau", "paper")
esb_paper = runner.lookup("extreme_sb", "paper")
result = runner.merge(this_run)
stored = runner.merge(paper_run)
esb_parts = runner.parts("extreme_sb", esb_paper)
cells = views.stored_cells(esb_parts)
stored_sweep = stored if views.stored_sweep(stored) else None
glue_all({**views.numbers(result, stored, profile), **cells,
          **views.rerun_numbers(stored, esb_parts),
          **views.answer_numbers(result, cells["esb_cap"], "run"),
          **views.answer_numbers(stored_sweep, cells["esb_cap"], "st")})

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
#
# * d = 250, MS-(5,7), (2000,1)-FCN: train accuracy {eval}`wide_train`, test accuracy
#   {eval}`wide_test`.
# * MS-(5,7) with S removed: test accuracy {eval}`control_test`.

# %% [markdown]
# **This run:** For the {eval}`run_model` on {eval}`run_n_text` training points,
# {eval}`pick(run_fits, "the median escape update (a run that did not escape counted as the latest) grows like", "too few values of d have a median run that escaped to fit")`
# $d^b$ with b = {eval}`run_exponent_text` at d = {eval}`run_fit_ds`; extrapolated to d = 250 that
# is about {eval}`run_at_250_text` updates, against the cap of {eval}`format(esb_cap, ",d")` under
# which the stored d = 250 cell ran.
# {eval}`pick(run_any_answer, "", "Too few runs escaped the plateau, at too few values of d, to fit a trend here; the paper profile's full sweep answers it.")`

# %% tags=["remove-input"]
this_answer = views.answer(result, cells["esb_cap"])
display(Markdown(prose.answer(this_answer)))

# %% [markdown]
# {eval}`pick(run_has_beyond, "At d = ", "")`{eval}`run_beyond_ds`{eval}`pick(run_has_beyond, " the median run never left the plateau, so the fit cannot include it and understates the growth.", "")`
# {eval}`pick(run_end_memorised, "At d = ", "")`{eval}`run_end_memorised_ds`{eval}`pick(run_end_memorised, " the runs that did not escape ended by the stop rule, not the cap: SGD fit the training set before it found the 5-slab, so a larger cap would not have changed them; what is left to change is the sample, a larger one being harder to memorise.", "")`
# {eval}`pick(run_end_capped, "At d = ", "")`{eval}`run_end_capped_ds`{eval}`pick(run_end_capped, " the runs that did not escape were still at chance on validation when the cap stopped them, having fit part of their training set instead: the median run does not leave the plateau late, it does not leave it within the cap at all.", "")`
# {eval}`pick(run_end_mixed, "At d = ", "")`{eval}`run_end_mixed_ds`{eval}`pick(run_end_mixed, " some of the runs that did not escape memorised the training set and the others were still at chance on validation at the cap.", "")`
# {eval}`pick(run_has_beyond, "A d = 250 run that fits its training set without generalising, as the stored cell did, is what this sweep predicts.", "")`
# {eval}`pick(run_law_breaks, "So the power law fitted at d = ", "")`{eval}`run_break_fit_ds`{eval}`pick(run_law_breaks, " does not carry to d = 250: it puts the median escape near ", "")`{eval}`run_break_at_250`{eval}`pick(run_law_breaks, " updates, yet none of the ", "")`{eval}`run_break_runs`{eval}`pick(run_law_breaks, " runs there, on any sample, escaped within ", "")`{eval}`run_break_cap`{eval}`pick(run_law_breaks, ".", "")`
# {eval}`pick(run_typical_within, "The typical run would have escaped within that cap.", "")`
# {eval}`pick(run_has_spread, "Not every run does, and the spread of the escape update grows with d (std ", "")`{eval}`run_std_lo`{eval}`pick(run_has_spread, " at d = ", "")`{eval}`run_d_lo`{eval}`pick(run_has_spread, ", ", "")`{eval}`run_std_hi`{eval}`pick(run_has_spread, " at d = ", "")`{eval}`run_d_hi`{eval}`pick(run_has_spread, ", over the runs that escaped), so a run at d = 250 still on the plateau at ", "")`{eval}`run_spread_cap`{eval}`pick(run_has_spread, " updates, fitting its training set instead, is consistent with this sweep.", "")`
# {eval}`pick(run_typical_stuck, "The typical run would still be on the plateau when that cap stops it.", "")`

# %% [markdown]
# **The stored paper-scale sweep:** For the {eval}`st_model` on {eval}`st_n_text` training points,
# {eval}`pick(st_fits, "the median escape update (a run that did not escape counted as the latest) grows like", "too few values of d have a median run that escaped to fit")`
# $d^b$ with b = {eval}`st_exponent_text` at d = {eval}`st_fit_ds`; extrapolated to d = 250 that
# is about {eval}`st_at_250_text` updates, against the cap of {eval}`format(esb_cap, ",d")` under
# which the stored d = 250 cell ran.
# {eval}`pick(st_any_answer, "", "Too few runs escaped the plateau, at too few values of d, to fit a trend here; the paper profile's full sweep answers it.")`

# %% tags=["remove-input"]
stored_answer = views.answer(stored_sweep, cells["esb_cap"]) if stored_sweep is not None else {}
display(Markdown(prose.answer(stored_answer)))

# %% [markdown]
# {eval}`pick(st_has_beyond, "At d = ", "")`{eval}`st_beyond_ds`{eval}`pick(st_has_beyond, " the median run never left the plateau, so the fit cannot include it and understates the growth.", "")`
# {eval}`pick(st_end_memorised, "At d = ", "")`{eval}`st_end_memorised_ds`{eval}`pick(st_end_memorised, " the runs that did not escape ended by the stop rule, not the cap: SGD fit the training set before it found the 5-slab, so a larger cap would not have changed them; what is left to change is the sample, a larger one being harder to memorise.", "")`
# {eval}`pick(st_end_capped, "At d = ", "")`{eval}`st_end_capped_ds`{eval}`pick(st_end_capped, " the runs that did not escape were still at chance on validation when the cap stopped them, having fit part of their training set instead: the median run does not leave the plateau late, it does not leave it within the cap at all.", "")`
# {eval}`pick(st_end_mixed, "At d = ", "")`{eval}`st_end_mixed_ds`{eval}`pick(st_end_mixed, " some of the runs that did not escape memorised the training set and the others were still at chance on validation at the cap.", "")`
# {eval}`pick(st_has_beyond, "A d = 250 run that fits its training set without generalising, as the stored cell did, is what this sweep predicts.", "")`
# {eval}`pick(st_law_breaks, "So the power law fitted at d = ", "")`{eval}`st_break_fit_ds`{eval}`pick(st_law_breaks, " does not carry to d = 250: it puts the median escape near ", "")`{eval}`st_break_at_250`{eval}`pick(st_law_breaks, " updates, yet none of the ", "")`{eval}`st_break_runs`{eval}`pick(st_law_breaks, " runs there, on any sample, escaped within ", "")`{eval}`st_break_cap`{eval}`pick(st_law_breaks, ".", "")`
# {eval}`pick(st_typical_within, "The typical run would have escaped within that cap.", "")`
# {eval}`pick(st_has_spread, "Not every run does, and the spread of the escape update grows with d (std ", "")`{eval}`st_std_lo`{eval}`pick(st_has_spread, " at d = ", "")`{eval}`st_d_lo`{eval}`pick(st_has_spread, ", ", "")`{eval}`st_std_hi`{eval}`pick(st_has_spread, " at d = ", "")`{eval}`st_d_hi`{eval}`pick(st_has_spread, ", over the runs that escaped), so a run at d = 250 still on the plateau at ", "")`{eval}`st_spread_cap`{eval}`pick(st_has_spread, " updates, fitting its training set instead, is consistent with this sweep.", "")`
# {eval}`pick(st_typical_stuck, "The typical run would still be on the plateau when that cap stops it.", "")`

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

# %% [markdown]
# **The d = {eval}`wr_d` cell with a larger sample.** In the extreme-SB chapter the
# {eval}`wr_model` had {eval}`format(wr_esb_n, ",d")` training points and a cap of
# {eval}`format(esb_cap, ",d")` updates: train accuracy {eval}`wr_before_train`, test accuracy
# {eval}`wr_before_test`. From {eval}`format(wr_n, ",d")` points
# ({eval}`format(wr_ratio, ".0f")` times the sample) with a cap of {eval}`format(wr_cap, ",d")`,
# {eval}`wr_escaped` of {eval}`wr_runs` runs escape the plateau, the median run after
# {eval}`format(wr_median, ",.0f")` updates
# ({eval}`pick(wr_within_old_cap, "within that chapter's cap", "past that chapter's cap")`).
# Test accuracy {eval}`wr_test` (the runs stop at train accuracy
# {eval}`format(stop_acc, ".2f")`), S-randomised AUC {eval}`wr_s_auc`, Sc-randomised AUC
# {eval}`wr_sc_auc` (the paper's Fig. 3b: {eval}`format(wr_paper_s_auc, ".2f")` and
# {eval}`format(wr_paper_sc_auc, ".2f")`).
# {eval}`pick(wr_reproduced, "The networks found the 5-slab and rely on it alone: randomising it leaves them at chance, randomising the other coordinates costs little. That is the extreme simplicity bias the paper reports at this d, reproduced once the plateau is behind the network.", "")`
# {eval}`pick(wr_open, "Most runs still did not find the 5-slab: the cell stays open.", "")`
# Beside it, the sweep's {eval}`wr_sweep_model` at this d, on samples up to
# {eval}`format(wr_sweep_n, ",d")` points within {eval}`format(wr_sweep_cap, ",d")` updates,
# {eval}`pick(wr_sweep_never, "did not escape from any of them: this rerun differs in width and in sample both, so it does not tell which of the two let it escape.", "escaped too.")`
#
# **A larger sample.** The S-removed {eval}`sr_model` cell of the extreme-SB chapter learned
# the seven-slabs in {eval}`sr_a` of {eval}`sr_na` runs from {eval}`format(sr_esb_n, ",d")`
# training points under that chapter's cap of {eval}`format(esb_cap, ",d")` updates. From
# {eval}`format(sr_n, ",d")` points ({eval}`format(sr_ratio, ".0f")` times the sample) with a
# cap of {eval}`format(sr_cap, ",d")`, {eval}`sr_b` of {eval}`sr_nb` do, the median run
# leaving the plateau after {eval}`format(sr_median, ",.0f")` updates, at test accuracy
# {eval}`sr_after` (the runs stop at train accuracy {eval}`format(stop_acc, ".2f")`, this
# study's stop rule).
# {eval}`pick(sr_sample_lever, "The median run left the plateau within the extreme-SB chapter's own cap: for this network the sample, not the cap, is the lever. From a large enough sample the complex features alone generalise, as the paper says; from that chapter's sample most runs of this network had not found them.", "")`
# {eval}`pick(sr_both_levers, "Most runs learn the complex features alone, but later than the extreme-SB chapter's cap: the sample and the cap both held the cell back.", "")`
# {eval}`pick(sr_learned, "", "Even the larger sample leaves most runs short of the seven-slabs.")`
#
# **Only the cap raised.** The S-removed {eval}`cr_model` cell of the extreme-SB chapter, on
# its own {eval}`format(cr_n, ",d")` training points: under that chapter's cap of
# {eval}`format(esb_cap, ",d")` updates {eval}`cr_a` of {eval}`cr_na` runs learned the
# seven-slabs (test accuracy at least {eval}`learn_level`); with a cap of
# {eval}`format(cr_cap, ",d")`, {eval}`cr_b` of {eval}`cr_nb` do, the median run leaving the
# plateau after {eval}`format(cr_median, ",.0f")` updates, at test accuracy {eval}`cr_after`.
# {eval}`pick(cr_learned, "From the same sample most runs do learn the complex features alone, as the paper says, but only after a plateau longer than the cap the cell ran under: for this network the cap, not the sample, kept the cell from reproducing.", "")`
# {eval}`pick(cr_memorised_lever, "Raising the cap does not rescue the cell: most runs fit their training set before they found the seven-slabs, so the sample, not the cap, is the lever; the control rerun with a larger sample tests it.", "")`
# {eval}`pick(cr_short, "Even the official loop's cap leaves most runs short of the seven-slabs: the cap is not the whole story.", "")`
# {eval}`cr_stuck` of the {eval}`cr_nb` runs {eval}`pick(cr_one_stuck, "was", "were")` still on the plateau at
# {eval}`format(cr_cap, ",d")` updates (train accuracy {eval}`format(cr_stuck_train, ".2f")` at
# validation accuracy {eval}`format(cr_stuck_val, ".2f")`){eval}`pick(cr_any_stuck, ": the plateau's length varies from seed to seed, and some seeds outlast even the official loop's cap.", ".")`

# %% [markdown]
# ## Recap

# %% tags=["remove-input"]
recap = views.recap_findings(result, stored)
display(Markdown(prose.recap(recap)))

# %% [markdown]
# * With S removed, raising only the cap from {eval}`format(esb_cap, ",d")` to
#   {eval}`format(cr_cap, ",d")` updates takes the {eval}`cr_model` from {eval}`cr_a` of
#   {eval}`cr_na` to {eval}`cr_b` of {eval}`cr_nb` runs that learn the seven-slabs from the same
#   {eval}`format(cr_n, ",d")` points.
# * At d = {eval}`wr_d` with {eval}`format(wr_n, ",d")` training points instead of
#   {eval}`format(wr_esb_n, ",d")`, the {eval}`wr_model` escapes the plateau in
#   {eval}`wr_escaped` of {eval}`wr_runs` runs, the median after
#   {eval}`format(wr_median, ",.0f")` updates, with S-randomised AUC
#   {eval}`format(wr_s_auc_mean, ".2f")` and Sc-randomised AUC
#   {eval}`format(wr_sc_auc_mean, ".2f")`.
# * With S removed and {eval}`format(sr_n, ",d")` training points instead of
#   {eval}`format(sr_esb_n, ",d")`, the {eval}`sr_model` goes from {eval}`sr_a` of
#   {eval}`sr_na` to {eval}`sr_b` of {eval}`sr_nb` runs that learn the seven-slabs, the median
#   run leaving the plateau after {eval}`format(sr_median, ",.0f")` updates.
# * A run stopped before its plateau ends looks like a failure to learn: it sits at chance or
#   memorises its training set. Whether such a cell reproduces depends on the update cap and
#   the sample as much as on the network.
