"""Helpers every chapter uses: the opening cell, and the 'paper | stored | this run' tables."""

from __future__ import annotations

import os
import random

import numpy as np
import pandas as pd

from sbcore.book.inline_values import bind_in_notebook, check_glue_name
from sbcore.checks import check_bool, check_seed
from sbcore.paper import format_paper
from sbcore.profiles import DESCRIPTIONS, check_device, check_profile
from sbcore.store import device_name
from sbcore.usage import PROBLEM_MARK


def set_seed(seed: int) -> None:
    """Seed python, numpy and torch (same profile and seed give the same numbers)."""
    import torch

    check_seed(seed)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def setup_chapter(profile: str, device: str, seed: int, recompute: bool = False) -> dict:
    """Validate the chapter's parameters before any work (``recompute`` must be a real bool:
    papermill's ``-p recompute no`` passes the truthy string 'no'), seed everything, set the
    house style, and show which profile, device and seed produced the page."""
    import torch

    check_profile(profile)
    check_device(device)
    check_bool("recompute", recompute)
    set_seed(seed)
    if device == "cpu" and os.cpu_count() and os.cpu_count() <= 2:
        torch.set_num_threads(1)  # small models: one thread beats two on 2 cores
    from sbcore.book import viz  # matplotlib and seaborn: loaded once a page is set up

    viz.set_style()
    info = dict(profile=profile, device=device, seed=seed,
                device_name=_device_name(device), torch=torch.__version__)
    _show_made_with(info)
    return info


def _device_name(device: str) -> str:
    return device_name(device)


def _show_made_with(info: dict) -> None:
    text = (f"This page was executed with profile **{info['profile']}** "
            f"({DESCRIPTIONS[info['profile']]}), device **{info['device']}** "
            f"({info['device_name']}), base seed **{info['seed']}**, torch {info['torch']}. "
            "Opened live (`make lab`), the numbers in its text are those of your own run: they "
            "fill in as each text cell runs (*Run All*).")
    try:
        from IPython.display import Markdown, display

        display(Markdown(f":::{{note}}\n{text}\n:::"))
    except ImportError:  # plain python: just print
        print(text)


def glue_all(values: dict) -> None:
    """Glue every named number or text of a study's ``numbers()`` for the prose, and bind each
    name in the notebook's namespace, where the prose's ``{eval}`name``` reads it when a reader
    runs the chapter live (see ``sbcore.book.inline_values``). Plain floats: a numpy scalar's
    text is "np.float64(...)", which glue cannot format."""
    from myst_nb import glue

    plain = {}
    for name, value in values.items():
        check_glue_name(name)
        plain[name] = value.item() if isinstance(value, (np.integer, np.floating, np.bool_)) else value
    for name, value in plain.items():
        glue(name, value, display=False)
    bind_in_notebook(plain)


def show_problems(*results) -> list[str]:
    """Show the problems met while reading stored results (damaged or stale entries; the
    ``problems`` of ``runner.run`` and ``runner.lookup``) as a warning on the page, and print
    each on stderr, from where the pipeline repeats it in its own output."""
    import sys

    problems = [p for r in results if r is not None for p in getattr(r, "problems", [])]
    if problems:
        for p in problems:
            print(f"{PROBLEM_MARK} {p}", file=sys.stderr)
        try:
            from IPython.display import Markdown, display

            display(Markdown(":::{warning}\nSome stored results could not be used:\n\n"
                             + "\n".join(f"* {p}" for p in problems) + "\n:::"))
        except ImportError:
            pass
    return problems


STORED = "stored paper-scale run"


def _provenances(stored) -> list[dict]:
    """The provenance records of stored results: a Result or Merged, a dict of them, or None."""
    if stored is None:
        return []
    if isinstance(stored, dict):
        return [p for v in stored.values() for p in _provenances(v)]
    if getattr(stored, "provenances", None) is not None:  # a Merged: every entry's
        return list(stored.provenances)
    prov = getattr(stored, "provenance", None)
    return [prov] if prov else []


def stored_label(stored) -> str:
    """Where and when the stored paper-scale run was made: "NVIDIA H100 80GB HBM3,
    2026-11-27" (several devices or days joined), or "" when nothing is stored."""
    made = dict.fromkeys((p.get("device_name", "?"), str(p.get("date", "?"))[:10])
                         for p in _provenances(stored))
    return "; ".join(f"{device}, {day}" for device, day in made)


def sourced_bullets(this_run: list[str], stored: list[str]) -> list[str]:
    """Markdown bullets naming where each finding was made: "* this run: ...", "* stored
    paper-scale run: ...", or, for a line both give (at the paper profile this run *is* the
    stored run), "* this run and the stored paper-scale run: ..." once instead of twice.
    Used by the caveats of the extreme-SB (03) and toolbox (05) chapters."""
    shared = set(this_run) & set(stored)
    return ([f"* this run and the stored paper-scale run: {t}" if t in shared else
             f"* this run: {t}" for t in this_run]
            + [f"* stored paper-scale run: {t}" for t in stored if t not in shared])


def prose_spelling(text: str) -> str:
    """A library label in the prose's spelling: British 'randomised', and S^c as Sᶜ."""
    return (str(text).replace("randomized", "randomised").replace("Sc-", "Sᶜ-")
            .replace("Sc ", "Sᶜ "))


def plural(n: int, word: str) -> str:
    """'1 seed', '2 seeds'."""
    return f"{n} {word}" + ("" if n == 1 else "s")


def page_table(table, stored=None):
    """A comparison table (a DataFrame or its Styler) as the page shows it: the 'stored
    paper-scale run' column names the device and date of that run, so the provenance sits
    where the number is, and metric names are spelt as in the prose (``prose_spelling``)."""
    label = stored_label(stored)
    new = f"{STORED} ({label})" if label else STORED
    if hasattr(table, "data"):  # a Styler: relabel what it shows, keep its data
        for column in ("metric",):
            if column in table.data.columns:
                table = table.format(prose_spelling, subset=[column])
        return table.relabel_index([new if c == STORED else c for c in table.data.columns],
                                   axis="columns")
    out = table.rename(columns={STORED: new})
    if "metric" in out.columns:
        out = out.assign(metric=out["metric"].map(prose_spelling))
    return out


def mean_std(values, count: bool = True, places: int = 3) -> str:
    """'mean ± std (n=count)' with ``places`` decimals; 'value (n=1)' for one value; without
    the '(n=...)' when ``count`` is False (a table whose seeds column gives it)."""
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    if len(v) == 0:
        return "–"
    n = f" (n={len(v)})" if count else ""
    if len(v) == 1:  # one seed has no spread to show
        return f"{v[0]:,.{places}f}{n}"
    return f"{v.mean():,.{places}f} ± {v.std(ddof=1):,.{places}f}{n}"


def summarize(metrics: pd.DataFrame, keys=("dataset", "model", "metric")) -> pd.DataFrame:
    """Tidy per-seed rows -> one 'mean ± std (n)' string per key."""
    keys = list(keys)
    return (metrics.groupby(keys, sort=False)["value"].apply(mean_std)
            .rename("value").reset_index())


def compare_table(paper: pd.DataFrame, this_run: pd.DataFrame,
                  stored: pd.DataFrame | None = None,
                  keys=("dataset", "model", "metric"), stored_rows: bool = False) -> pd.DataFrame:
    """Side by side: the paper's number, the stored paper-scale run (when present) and this run.

    ``paper`` has the columns of ``paper_numbers.csv`` (mean, std); ``this_run`` and ``stored``
    are tidy metric tables. Rows are the keys of this run, then (``stored_rows``) the keys only
    the stored run has, with "–" for this run (cells a smaller profile leaves to the paper
    profile, e.g. the toolbox's MS-(5,7) cells); a key the paper lacks shows blank.
    """
    keys = list(keys)
    out = summarize(this_run, keys).rename(columns={"value": "this run"})
    if stored is not None and len(stored):
        st = summarize(stored, keys).rename(columns={"value": "stored paper-scale run"})
        out = out.merge(st, on=keys, how="left")
        if stored_rows:  # after this run's rows, in the stored run's order
            only = st.merge(out[keys], on=keys, how="left", indicator=True)
            only = only[only.pop("_merge") == "left_only"]
            out = pd.concat([out, only.assign(**{"this run": "–"})], ignore_index=True)
    else:
        out["stored paper-scale run"] = "not yet run"
    p = paper.copy()
    p["paper"] = [format_paper(m, s) for m, s in zip(p["mean"], p["std"])]
    p = p[keys + ["paper"]].drop_duplicates(keys)
    for k in keys:  # align dtypes (d is read as float from the CSV)
        if k in out and k in p and out[k].dtype != p[k].dtype:
            p[k] = p[k].astype(out[k].dtype)
    out = out.merge(p, on=keys, how="left")
    out["paper"] = out["paper"].fillna("")
    out["stored paper-scale run"] = out["stored paper-scale run"].fillna("not yet run")
    return out[keys + ["paper", "stored paper-scale run", "this run"]]


# --------------------------------------------------------------------------------------------
# Wide results tables: rows are the cells (dataset, model), column groups the metrics, each
# with paper | stored | this run (issue 8). Used by 03_extreme_sb and every results chapter.
# --------------------------------------------------------------------------------------------

SOURCES = {"paper": "paper", STORED: "stored", "this run": "this run"}
_COUNT = r"\s*\(n=(\d+)\)"


def wide_table(long: pd.DataFrame, rows, metrics, stored=None, title: str = "",
               profile: str = "", paper_label: str = "paper"):
    """A long comparison table (``compare_table``'s columns: the row keys, ``metric``,
    paper, stored paper-scale run, this run) as one wide table for the page.

    Rows: the distinct values of ``rows`` (e.g. dataset, model), in the order met. Columns: one
    group per metric of ``metrics`` (in that order, spelt as the prose spells them), each with the
    sub-columns paper | stored | this run; a metric for which the paper gives no number has no paper
    sub-column, and one with no stored paper-scale run anywhere in the table no stored sub-column
    (the caption says 'not yet run'). Seed counts: a source with one count for the whole table says
    it once in the caption, one with a count per row in a 'seeds' column group, and only counts that
    differ within a row stay in the cells. The caption also names the device and date of the stored
    paper-scale run (``stored``, as for ``page_table``). ``paper_label`` heads the paper sub-columns
    (the images chapter marks the paper's MNIST-CIFAR numbers set beside another dataset). Returns a
    Styler."""
    rows = list(rows)
    metrics = [m for m in metrics if m in set(long["metric"].astype(str))]
    if not metrics:
        raise ValueError(f"metrics: none of them is in the table (it has "
                         f"{sorted(set(long['metric'].astype(str)))})")
    sub = long[long["metric"].astype(str).isin(metrics)].copy()
    sub["metric"] = sub["metric"].astype(str)
    order = sub[rows].drop_duplicates()
    seeds, per_row = {}, {}
    for source in (STORED, "this run"):
        text = sub[source].astype(str)
        if text.isin(_NO_NUMBER).all():
            continue  # nothing from this source: no counts to say
        counts = text.str.extract(_COUNT, expand=False)
        # a cell without a number ('not yet run', '–') has no count and does not split a row
        valued = counts.where(~text.isin(_NO_NUMBER), "")
        by_row = valued.groupby([sub[k] for k in rows], sort=False).agg(
            lambda c: _one_count(c[c != ""]))
        if counts.dropna().nunique() == 1:  # one count for the whole table: the caption says it
            seeds[source] = counts.dropna().iloc[0]
        elif by_row.notna().all():  # one count per row: a 'seeds' column says it
            per_row[("seeds", SOURCES[source])] = by_row
        else:
            continue  # counts differ within a row: each cell keeps its own
        sub[source] = sub[source].astype(str).str.replace(_COUNT, "", regex=True)
    pieces = dict(per_row)
    for metric in metrics:
        m = sub[sub["metric"] == metric].drop_duplicates(rows)
        for source, short in dict(SOURCES, paper=paper_label).items():
            if source == "paper" and not (m["paper"].astype(str) != "").any():
                continue  # the paper gives no number for this metric
            if source == STORED and m[source].astype(str).isin(["not yet run", "nan"]).all():
                continue  # nothing stored yet: the caption says so
            pieces[(prose_spelling(metric), short)] = m.set_index(rows)[source]
    index = pd.MultiIndex.from_frame(order) if len(rows) > 1 else pd.Index(order[rows[0]])
    table = pd.DataFrame(pieces).reindex(index).fillna("–")
    table.columns = pd.MultiIndex.from_tuples(table.columns)
    table = table.reset_index()
    table.columns = pd.MultiIndex.from_tuples(
        [(c[0], "") if c[0] in rows else c for c in table.columns])
    firsts = [c for i, c in enumerate(table.columns)  # each metric group's first column
              if c[0] not in rows and (i == 0 or table.columns[i - 1][0] != c[0])]
    numbers = [c for c in table.columns if c[0] not in rows]
    return (table.style.hide(axis="index").set_table_attributes('class="dataframe wide"')
            .format(_std_below, subset=numbers)
            .set_table_styles({c: [{"selector": "td", "props": "border-left: 1px solid #ccc"}]
                               for c in firsts}, overwrite=False)
            .set_caption(_wide_caption(title, stored, seeds, profile)))


_NO_NUMBER = ("not yet run", "–", "", "nan")


def _one_count(counts: pd.Series):
    """A row's seed count: the one count its numbered cells share ('–' for a row with none),
    or None when they differ or one lacks a count."""
    if not len(counts):
        return "–"
    return counts.iloc[0] if counts.notna().all() and counts.nunique() == 1 else None


def _std_below(text) -> str:
    """'0.499 ± 0.003' shown as the mean over a smaller '± 0.003' (HTML): a group of three
    sub-columns then fits the text column; the table's data keep the plain text. A stored
    cell 'not yet run' takes two lines too, no wider than a number. A bare number shows with
    three decimals, a missing one as '–'."""
    if text is None or (isinstance(text, float) and text != text):
        return "–"
    if isinstance(text, (float, np.floating)):
        return f"{text:.3f}"
    text = str(text)
    if text == "not yet run":
        return "not yet<br>run"
    mean, sep, rest = text.partition(" ± ")
    if sep:
        return f'{mean}<br><span class="sd">± {rest}</span>'
    head, sep, profile = text.partition("not run at ")  # a cell only the stored run has
    return f'not run<br><span class="sd">at {profile}</span>' if sep and not head else text


def _wide_caption(title: str, stored, seeds: dict, profile: str) -> str:
    """'Title. Mean ± std over seeds; stored: the paper-scale run (device, date), 5 seeds per
    cell; this run: quick profile, 3 seeds per cell.'"""
    def per_cell(source):
        n = seeds.get(source)
        return f", {n} seed{'s' if n != '1' else ''} per cell" if n else ""

    label = stored_label(stored)
    stored_text = (f"stored: the paper-scale run ({label}){per_cell(STORED)}" if label
                   else "stored: the paper-scale run (not yet run)")
    this = f"this run: {profile + ' profile' if profile else 'this page'}{per_cell('this run')}"
    head = f"{title}. " if title else ""
    return f"{head}Mean ± std over seeds; {stored_text}; {this}."


def summary_view(table: pd.DataFrame, title: str = "", counts: pd.DataFrame | None = None):
    """A table of 'mean ± std' cells (rows named by its index, e.g. d) for the page: the index as
    a first column, each std under its mean. ``counts``: the number of values behind each cell
    (same index and columns; 0 or NaN where a cell has no number), or None for cells that are
    not means. A count shared by every cell is said once in the caption; otherwise each cell
    says its own '(n=k)'. Used by 04_theory's sweeps and the images and perturbations tables."""
    out = table.reset_index()
    cells = [c for c in out.columns if c not in table.index.names]
    caption = f"{title}. " if title else ""
    if counts is not None:
        numbered = counts.reindex(index=table.index, columns=table.columns)
        numbered = numbered.where(numbered > 0)
        distinct = {int(n) for n in numbered.stack().dropna()}
        if len(distinct) == 1:
            n = distinct.pop()
            caption += f"Mean ± std over {plural(n, 'run')} per row."
        elif distinct:
            for c in cells:
                out[c] = [text if n != n else f"{text} (n={int(n)})"
                          for text, n in zip(out[c], numbered[c])]
    labels = [c for c in out.columns  # text labels (variant names) wrap
              if c not in cells and not pd.api.types.is_numeric_dtype(out[c])]
    return (out.style.hide(axis="index").set_table_attributes('class="dataframe wide"')
            .format(_std_below, subset=cells).set_caption(caption.strip())
            .set_properties(subset=labels, **{"white-space": "normal", "min-width": "5em"}))
