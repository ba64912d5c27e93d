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
# # Execution status
#
# How each page of this site was produced: the profile and device it was executed with, how long
# its execution took and when. The pipeline (`python -m sbcore.build.pipeline execute`) records
# every
# chapter's run in `book/_timings.json`; this page runs after the others and reads that file.
# A chapter whose last execution **failed** still shows its previous successful notebook on the
# site (the pipeline never replaces a notebook with a failed one).

# %% tags=["parameters", "remove-cell"]
profile = "quick"
device = "cpu"
seed = 0
recompute = False

# %% tags=["remove-input"]
from sbcore.book import setup_chapter

info = setup_chapter(profile, device, seed, recompute)

# %% tags=["remove-input"]
from IPython.display import Markdown, display

from sbcore.book import glue_all, viz
from sbcore.build import overview

status, summary = overview.execution_status()
glue_all({key: summary[key] for key in ("n_chapters", "n_failed", "total_minutes")})
display(viz.styled_table(status.drop(columns="store entries used").rename_axis("chapter")
                        .reset_index(), {"time (s)": "{:.1f}"}) if len(status) else
        Markdown(f"No execution has been recorded yet in `{summary['source']}`."))
display(Markdown(overview.usage_markdown(status)))

# %% [markdown]
# Each row also names the torch version of the execution; the list under the table gives the
# store entries each chapter used: reused from the store, computed by that execution, or read
# from the stored paper-scale run (with the device and date that made them).
#
# The {eval}`n_chapters` chapters above took {eval}`format(total_minutes, ".1f")` minutes of
# execution in all; {eval}`n_failed` of them failed at their last execution. This page's own
# execution is not in the table, since it is still running when it reads it. Times include
# starting a kernel and importing torch (a few seconds per chapter); a chapter whose results were
# already in the results store only reads them, so re-executions at the same profile are fast
# unless the pipeline is given `--recompute`.

# %% tags=["remove-input"]
if len(status):
    fig = viz.plot_execution_times(status)
display(Markdown(overview.failures_markdown(summary["errors"])))

# %% [markdown]
# ## Paper-scale work stored and still owed
#
# The results store keeps one entry per grid point or group of seeds. Entries of the `paper`
# profile are committed (most were made on a GPU); this ledger, per study, counts those stored,
# those still missing, those stale (made by an older version of the study) and those damaged.
# `python -m sbcore.run_experiments --list` prints it entry by entry, and
# `python -m sbcore.run_experiments --missing --profile paper --device cuda --budget-min 10`
# works through what is owed, largest first.

# %% tags=["remove-input"]
ledger, counts = overview.ledger_summary("paper")
glue_all({f"ledger_{key}": value for key, value in counts.items()})
display(viz.styled_table(ledger.reset_index()))

# %% [markdown]
# In all, {eval}`ledger_stored` paper-scale entries are stored,
# {eval}`ledger_missing` missing, {eval}`ledger_stale` stale and
# {eval}`ledger_damaged` damaged.
