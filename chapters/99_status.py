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
# # Execution status
#
# How each page of this site was produced: the profile and device it was executed with, how long
# its execution took and when. The pipeline (`python -m sbcore.book.pipeline execute`) records every
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

info = setup_chapter(profile, device, seed)

# %% tags=["remove-input"]
import json
import os
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown, display
from myst_nb import glue

from sbcore.book import viz
from sbcore.book.pipeline import BOOK, STATUS_CHAPTER, TIMINGS

# The pipeline tells us where this run's notebooks go; a plain papermill run uses book/.
timings_path = Path(os.environ.get("SB_BOOK_DIR", BOOK)) / TIMINGS
records = json.loads(timings_path.read_text()) if timings_path.exists() else {}
status = pd.DataFrame.from_dict(records, orient="index")
if len(status):
    status = status.drop(index=STATUS_CHAPTER, errors="ignore")
if len(status):
    status = status.sort_index()
    table = status.rename(columns={"seconds": "execution time (s)", "date": "date (UTC)"})[
        ["profile", "device", "seed", "execution time (s)", "status", "date (UTC)"]]
    table["date (UTC)"] = pd.to_datetime(table["date (UTC)"]).dt.strftime("%Y-%m-%d %H:%M")
    glue("total_minutes", float(status["seconds"].sum()) / 60, display=False)
    glue("n_chapters", len(status), display=False)
    glue("n_failed", int((status["status"] != "ok").sum()), display=False)
    display(table)
else:
    glue("total_minutes", 0.0, display=False)
    glue("n_chapters", 0, display=False)
    glue("n_failed", 0, display=False)
    display(Markdown(f"No execution has been recorded yet in `{timings_path.name}`."))

# %% [markdown]
# The {glue:text}`n_chapters` chapters above took {glue:text}`total_minutes:.1f` minutes of
# execution in all; {glue:text}`n_failed` of them failed at their last execution. This page's own
# execution is not in the table, since it is still running when it reads it. Times include
# starting a kernel and importing torch (a few seconds per chapter); a chapter whose results were
# already in the results store only reads them, so re-executions at the same profile are fast
# unless the pipeline is given `--recompute`.

# %% tags=["remove-input"]
if len(status):
    viz.set_style()
    colors = ["#00798c" if s == "ok" else "#d1495b" for s in status["status"]]
    fig, ax = plt.subplots(figsize=(7.5, 0.45 * len(status) + 1.2))
    ax.barh(status.index[::-1], status["seconds"][::-1], color=colors[::-1])
    ax.set_xlabel("execution time (s)")
    ax.set_title("Execution time per chapter (red: last execution failed)")
    fig.tight_layout()
    plt.show()

# %% tags=["remove-input"]
# The error of each failed chapter, so that whoever rebuilds the book sees where to look.
failed = {name: rec.get("error", "") for name, rec in records.items() if rec.get("status") != "ok"}
if failed:
    display(Markdown("**Failed at their last execution:**\n\n" + "\n".join(
        f"- `{name}`:\n\n  ```text\n  {error.replace(chr(10), chr(10) + '  ')}\n  ```"
        for name, error in failed.items())))
