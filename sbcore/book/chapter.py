"""Helpers every chapter uses: the opening cell, and the 'paper | stored | this run' tables."""

from __future__ import annotations

import os
import random
from functools import partial

import numpy as np
import pandas as pd

from sbcore.book.inline_values import bind_in_notebook, check_glue_name
from sbcore.checks import check_bool, check_seed
from sbcore.paper import paper_places
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
        numpy_scalar = isinstance(value, (np.integer, np.floating, np.bool_))
        plain[name] = value.item() if numpy_scalar else value
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
    for column in ("paper", new, "this run"):  # the cells' numbers as the page shows them
        if column in out.columns:
            out[column] = out[column].map(_cell_text)
    if "metric" in out.columns:
        out = out.assign(metric=out["metric"].map(prose_spelling))
    return out


class Cell:
    """One source's number in a comparison table, kept as numbers until a table shows it: the
    mean, the std and how many values it summarises (``n``; None for a number the paper gives,
    which states no count), with the decimals to show. ``text`` and ``html`` write it (the
    Styler's format step of ``wide_table``, ``page_table``); ``str`` is its text with the count.

    ``Cell.of(values)`` summarises measured values (None when none is a number);
    ``Cell.paper(mean, std)`` is a number of the paper, printed as the paper prints it."""

    __slots__ = ("mean", "std", "n", "places")

    def __init__(self, mean: float, std: float = float("nan"), n: int | None = None,
                 places: int = 3):
        self.mean, self.std, self.n, self.places = float(mean), float(std), n, int(places)

    @classmethod
    def of(cls, values, places: int = 3) -> Cell | None:
        v = np.asarray(values, dtype=float)
        v = v[~np.isnan(v)]
        if len(v) == 0:
            return None
        return cls(v.mean(), v.std(ddof=1) if len(v) > 1 else float("nan"), len(v), places)

    @classmethod
    def paper(cls, mean: float, std: float = float("nan")) -> Cell | None:
        if pd.isna(mean):
            return None
        return cls(mean, std, None, paper_places(mean, std))

    def _number(self, x: float) -> str:
        # measured numbers group thousands (updates run); the paper's print as printed
        return f"{x:.{self.places}f}" if self.n is None else f"{x:,.{self.places}f}"

    def parts(self, count: bool = True) -> tuple[str, str | None, str]:
        """The mean's text, the std's (None when there is no spread to show: one value, or a
        paper number without one) and ' (n=k)' (empty without ``count`` or a count)."""
        spread = not pd.isna(self.std) if self.n is None else self.n > 1
        std = self._number(self.std) if spread else None
        n = f" (n={self.n})" if count and self.n is not None else ""
        return self._number(self.mean), std, n

    def text(self, count: bool = True) -> str:
        """'mean ± std (n=k)', 'value (n=1)' for one value; no '(n=k)' without ``count``."""
        mean, std, n = self.parts(count)
        return f"{mean} ± {std}{n}" if std is not None else f"{mean}{n}"

    def html(self, count: bool = True) -> str:
        """The text with the std (and count) in a smaller line under the mean."""
        mean, std, n = self.parts(count)
        return f'{mean}<br><span class="sd">± {std}{n}</span>' if std is not None else mean + n

    def _key(self):  # a missing std (NaN) equals a missing std
        return self.mean, None if pd.isna(self.std) else self.std, self.n, self.places

    def __eq__(self, other):
        return self._key() == other._key() if isinstance(other, Cell) else NotImplemented

    def __hash__(self):
        return hash(self._key())

    def __str__(self):
        return self.text()

    def __repr__(self):
        return f"Cell(mean={self.mean!r}, std={self.std!r}, n={self.n!r}, places={self.places})"


def _cell_text(value):
    """A comparison table's cell as text: a Cell's (with its count); anything else as it is."""
    return value.text() if isinstance(value, Cell) else value


def mean_std(values, count: bool = True, places: int = 3) -> str:
    """'mean ± std (n=count)' with ``places`` decimals; 'value (n=1)' for one value; without
    the '(n=...)' when ``count`` is False (a table whose seeds column gives it)."""
    cell = Cell.of(values, places)
    return "–" if cell is None else cell.text(count)


def _summary(values):
    cell = Cell.of(values)
    return "–" if cell is None else cell


def summarize(metrics: pd.DataFrame, keys=("dataset", "model", "metric")) -> pd.DataFrame:
    """Tidy per-seed rows -> one ``Cell`` (mean, std, n) per key ('–' where no value is a
    number)."""
    keys = list(keys)
    return (metrics.groupby(keys, sort=False)["value"].apply(_summary)
            .rename("value").reset_index())


def compare_table(paper: pd.DataFrame, this_run: pd.DataFrame,
                  stored: pd.DataFrame | None = None,
                  keys=("dataset", "model", "metric"), stored_rows: bool = False) -> pd.DataFrame:
    """Side by side: the paper's number, the stored paper-scale run (when present) and this run.

    ``paper`` has the columns of ``paper_numbers.csv`` (mean, std); ``this_run`` and ``stored``
    are tidy metric tables. Each source's cell is a ``Cell`` (numbers: mean, std, count) or a
    text without a number. Rows are the keys of this run, then (``stored_rows``) the keys only
    the stored run has, with "–" for this run (cells a smaller profile leaves to the paper
    profile, e.g. the toolbox's MS-(5,7) cells); a key the paper lacks shows blank (""), one
    without a stored run "not yet run".
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
    p["paper"] = pd.Series([Cell.paper(m, s) or "" for m, s in zip(p["mean"], p["std"])],
                           index=p.index, dtype=object)
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


def wide_table(long: pd.DataFrame, rows, metrics, stored=None, title: str = "",
               profile: str = "", paper_label: str = "paper"):
    """A long comparison table (``compare_table``'s columns: the row keys, ``metric``,
    paper, stored paper-scale run, this run; each cell a ``Cell`` or a text without a number)
    as one wide table for the page.

    Rows: the distinct values of ``rows`` (e.g. dataset, model), in the order met. Columns: one
    group per metric of ``metrics`` (in that order, spelt as the prose spells them), each with the
    sub-columns paper | stored | this run; a metric for which the paper gives no number has no paper
    sub-column, and one with no stored paper-scale run anywhere in the table no stored sub-column
    (the caption says 'not yet run'). Seed counts (the cells' ``n``): a source with one count for
    the whole table says it once in the caption, one with a count per row in a 'seeds' column
    group, and only counts that differ within a row stay in the cells. The caption also names the
    device and date of the stored paper-scale run (``stored``, as for ``page_table``).
    ``paper_label`` heads the paper sub-columns (the images chapter marks the paper's MNIST-CIFAR
    numbers set beside another dataset). Returns a Styler: its data keep the cells' numbers, its
    format step writes them."""
    rows = list(rows)
    metrics = [m for m in metrics if m in set(long["metric"].astype(str))]
    if not metrics:
        raise ValueError(f"metrics: none of them is in the table (it has "
                         f"{sorted(set(long['metric'].astype(str)))})")
    sub = long[long["metric"].astype(str).isin(metrics)].copy()
    sub["metric"] = sub["metric"].astype(str)
    order = sub[rows].drop_duplicates()
    index = pd.MultiIndex.from_frame(order) if len(rows) > 1 else pd.Index(order[rows[0]])
    keys = list(order.itertuples(index=False, name=None))
    cell_keys = list(sub[rows].itertuples(index=False, name=None))
    seeds, per_row, bare = {}, {}, set()
    for source in (STORED, "this run"):
        counts = _seed_counts(sub[source])
        numbered = {n for n in counts if n is not None and n is not _NO_COUNT}
        if not numbered:
            continue  # nothing from this source: no counts to say
        if len(numbered) == 1:  # one count for the whole table: the caption says it
            seeds[source] = numbered.pop()
        else:
            by_row = _row_counts(cell_keys, counts)
            shared = [by_row.get(k, "–") for k in keys]
            if any(n is None for n in shared):
                continue  # counts differ within a row: each cell keeps its own
            per_row[("seeds", SOURCES[source])] = pd.Series(shared, index=index, dtype=object)
        bare.add(SOURCES[source])
    pieces = dict(per_row)
    for metric in metrics:
        m = sub[sub["metric"] == metric].drop_duplicates(rows)
        for source, short in dict(SOURCES, paper=paper_label).items():
            if source == "paper" and not m["paper"].map(_has_paper).any():
                continue  # the paper gives no number for this metric
            if source == STORED and m[source].map(_nothing_stored).all():
                continue  # nothing stored yet: the caption says so
            pieces[(prose_spelling(metric), short)] = m.set_index(rows)[source]
    table = pd.DataFrame(pieces).reindex(index).fillna("–")
    table.columns = pd.MultiIndex.from_tuples(table.columns)
    table = table.reset_index()
    table.columns = pd.MultiIndex.from_tuples(
        [(c[0], "") if c[0] in rows else c for c in table.columns])
    firsts = [c for i, c in enumerate(table.columns)  # each metric group's first column
              if c[0] not in rows and (i == 0 or table.columns[i - 1][0] != c[0])]
    numbers = [c for c in table.columns if c[0] not in rows]
    counted = [c for c in numbers if c[1] not in bare or c[0] == "seeds"]
    uncounted = [c for c in numbers if c not in counted]
    styler = table.style.hide(axis="index").set_table_attributes('class="dataframe wide"')
    if counted:
        styler = styler.format(_std_below, subset=counted)
    if uncounted:  # their count is in the caption or the seeds column
        styler = styler.format(partial(_std_below, count=False), subset=uncounted)
    return (styler.set_table_styles({c: [{"selector": "td", "props": "border-left: 1px solid #ccc"}]
                                     for c in firsts}, overwrite=False)
            .set_caption(_wide_caption(title, stored, seeds, profile)))


_NO_COUNT = object()  # a cell without a number: it has no count and splits no row


def _no_number(value) -> bool:
    """A cell that holds no number: NaN, or a marker ("not yet run", "–", "")."""
    if isinstance(value, Cell):
        return False
    return (isinstance(value, float) and value != value) or value in ("not yet run", "–", "", "nan")


def _seed_counts(cells: pd.Series) -> list:
    """Each cell's count: a Cell's ``n``, ``_NO_COUNT`` for a cell without a number, None for
    a text note (e.g. 'not run at smoke': its count is not known, so its row keeps counts per
    cell)."""
    return [v.n if isinstance(v, Cell) else _NO_COUNT if _no_number(v) else None
            for v in cells]


def _row_counts(keys: list, counts: list) -> dict:
    """Per row key: the one count its numbered cells share ('–' for a row with none), or None
    when they differ or one lacks a count."""
    found: dict = {}
    for key, n in zip(keys, counts):
        found.setdefault(key, [])
        if n is not _NO_COUNT:
            found[key].append(n)
    return {k: "–" if not ns else ns[0] if None not in ns and len(set(ns)) == 1 else None
            for k, ns in found.items()}


def _has_paper(value) -> bool:
    return not (isinstance(value, str) and value == "")


def _nothing_stored(value) -> bool:
    return (isinstance(value, float) and value != value) or (
        isinstance(value, str) and value in ("not yet run", "nan"))


def _std_below(value, count: bool = True) -> str:
    """A cell as the page shows it (HTML). A Cell: its mean over a smaller '± std' (its
    '(n=k)' too, unless ``count`` is False: the caption or the seeds column says it), so that a
    group of three sub-columns fits the text column; the table's data keep the numbers. A
    'mean ± std' text (``summary_view``'s cells) likewise. A stored cell 'not yet run' takes
    two lines too, no wider than a number. A bare float shows with three decimals, a missing
    one as '–'."""
    if isinstance(value, Cell):
        return value.html(count)
    if value is None or (isinstance(value, float) and value != value):
        return "–"
    if isinstance(value, (float, np.floating)):
        return f"{value:.3f}"
    text = str(value)
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
        return f", {plural(n, 'seed')} per cell" if n else ""

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
