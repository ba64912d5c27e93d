"""The per-number scoreboard (chapter 00_overview, section "Every number"): every row of
``paper_numbers.csv`` beside our result for it, judged by the overview's rule.

The registry is data, ``sbcore/paper_scoreboard.csv``, one row per row of paper_numbers.csv:

* ``source``, ``dataset``, ``d``, ``model``, ``metric``: the paper's row (these five name it;
  paper_numbers.csv has no two rows alike in them). The paper's values are not repeated here;
  they are read from paper_numbers.csv;
* ``judged_as``: how the paper's number is known (``JUDGED_AS``): printed by the paper, read
  off one of its plots, or printed by an official notebook (a single unseeded run);
* ``study``, ``entries`` (the prefix of the entry names), ``our_metric`` and ``filter``
  (``column=value`` pairs, ``;``-separated, on the study's tidy metrics): the selection of our
  results; ``reduce`` (``REDUCTIONS``) names a step that first turns the entries' results into
  the tidy rows the selection reads (empty: the ``metrics`` table as stored);
* ``no_counterpart``: instead of a selection, why there is none here;
* ``chapter`` and ``section``: where the book discusses the number.

Nothing here computes a study: ``gather`` reads the store, the rest only reads its results.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sbcore.book.chapter import mean_std
from sbcore.build import pipeline
from sbcore.build import reproduction as rep
from sbcore.build.overview import chapter_title
from sbcore.paper import PAPER_NUMBERS, format_paper, paper_numbers
from sbcore.studies import runner
from sbcore.studies.extreme_sb import study as extreme_sb
from sbcore.studies.generalisation import study as generalisation

PAPER_SCOREBOARD = Path(__file__).resolve().parents[1] / "paper_scoreboard.csv"
KEY = ["source", "dataset", "d", "model", "metric"]
COLUMNS = KEY + ["judged_as", "study", "entries", "our_metric", "filter", "reduce",
                 "no_counterpart", "chapter", "section"]

PRINTED, READ_OFF, NOTEBOOK = "printed", "read off a plot", "notebook print"
JUDGED_AS = (PRINTED, READ_OFF, NOTEBOOK)
# A number read off a figure (Figs. 6 and 7: "≈ 75%", "100% for eps <= 0.1", "at most 50%")
# is known to about a twentieth of the accuracy axis, not to the two printed decimals that
# reproduction.TOLERANCE allows for.
READ_OFF_TOLERANCE = 0.05

NO_COUNTERPART = "no counterpart here"
# the verdicts the counts tell apart, in the order of their columns
OUTCOMES = [rep.REPRODUCED, rep.WITHIN_SPREAD, rep.DEPARTS, rep.NOT_YET, NO_COUNTERPART]
OUTCOME_NAMES = {rep.REPRODUCED: "reproduced", rep.WITHIN_SPREAD: "within spread",
                 rep.DEPARTS: "departs", rep.NOT_YET: "not yet run",
                 NO_COUNTERPART: "no counterpart here"}
THE_PAPER, THE_NOTEBOOKS = "the paper", "the official notebooks"

BOARD_COLUMNS = ["source", "dataset", "d", "model", "metric", "judged as", "paper",
                 "stored paper-scale run", "verdict (paper scale)", "this build",
                 "verdict (this build)", "chapter", "section"]


# --------------------------------------------------------------------------------------------
# The registry
# --------------------------------------------------------------------------------------------

def registry(path: Path = PAPER_SCOREBOARD) -> pd.DataFrame:
    """The scoreboard's registry as strings ('' where empty), in the file's order. ValueError
    when a column is missing or a row is neither a selection nor a reason, or both."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"{Path(path).name} lacks the columns {missing}; it needs {COLUMNS}")
    bad = df[df["judged_as"].map(lambda v: v not in JUDGED_AS)]
    if len(bad):
        raise ValueError(f"{Path(path).name}: judged_as must be one of {JUDGED_AS}; rows "
                         f"{list(bad.index)} say {sorted(set(bad['judged_as']))}")
    selected, reasoned = df["study"] != "", df["no_counterpart"] != ""
    both_or_neither = df[selected == reasoned]
    if len(both_or_neither):
        raise ValueError(f"{Path(path).name}: rows {list(both_or_neither.index)} must have "
                         f"either a study (a selection) or a no_counterpart reason, not both "
                         f"or neither")
    unknown = sorted(set(df.loc[df["reduce"] != "", "reduce"]) - set(REDUCTIONS))
    if unknown:
        raise ValueError(f"{Path(path).name}: reduce {unknown} is unknown; known: "
                         f"{', '.join(REDUCTIONS)}")
    return df


def key_of(row) -> tuple:
    """A row's name: (source, dataset, d, model, metric), d as a float (nan where none)."""
    d = row["d"]
    d = np.nan if d == "" or pd.isna(d) else float(d)
    return (row["source"], row["dataset"], d, row["model"], row["metric"])


def _keys(df: pd.DataFrame) -> list[tuple]:
    return [key_of(r) for _, r in df.iterrows()]


def accounting(reg: pd.DataFrame | None = None, numbers: pd.DataFrame | None = None) -> dict:
    """How the registry covers paper_numbers.csv: the rows of the paper with no registry row
    (``missing``), registry rows named twice (``twice``), registry rows naming no row of the
    paper (``unknown``), and how many are mapped to a selection or marked with a reason."""
    reg = registry() if reg is None else reg
    numbers = paper_numbers() if numbers is None else numbers
    # nan != nan: a key with no d is compared by its text
    ours = [str(k) for k in _keys(reg)]
    theirs = [str(k) for k in _keys(numbers)]
    seen, twice = set(), []
    for k in ours:
        (twice.append(k) if k in seen else seen.add(k))
    return dict(n_numbers=len(theirs), n_rows=len(ours),
                missing=[k for k in theirs if k not in seen],
                twice=twice, unknown=[k for k in seen if k not in set(theirs)],
                n_selected=int((reg["study"] != "").sum()),
                n_no_counterpart=int((reg["no_counterpart"] != "").sum()))


def check_complete(reg: pd.DataFrame | None = None, numbers: pd.DataFrame | None = None):
    """ValueError unless every row of paper_numbers.csv has exactly one registry row and every
    registry row names one of them."""
    a = accounting(reg, numbers)
    if a["missing"] or a["twice"] or a["unknown"]:
        raise ValueError(f"{PAPER_SCOREBOARD.name} must name each of the {a['n_numbers']} rows "
                         f"of {PAPER_NUMBERS.name} once: missing {a['missing'][:5]} "
                         f"({len(a['missing'])}), named twice {a['twice'][:5]}, unknown "
                         f"{a['unknown'][:5]}")


# --------------------------------------------------------------------------------------------
# Our number for a row
# --------------------------------------------------------------------------------------------

def _stored_metrics(found: dict, profile: str, prefix: str) -> pd.DataFrame:
    return pd.concat([r.metrics for r in found.values()], ignore_index=True)


def _chosen_point(found: dict, profile: str, prefix: str) -> pd.DataFrame | None:
    """The seeds of the network's chosen grid point (``generalisation.study.chosen_runs``);
    None unless every grid point of the profile is there (the choice needs all of them)."""
    wanted = [e for e in generalisation.configs(profile) if e.startswith(prefix)]
    if not wanted or any(e not in found for e in wanted):
        return None
    return generalisation.chosen_runs(_stored_metrics(found, profile, prefix))


def _coordinates(found: dict, profile: str, prefix: str) -> pd.DataFrame:
    """The per-coordinate view of extreme_sb's main part (``coordinate_summary``)."""
    return pd.concat([extreme_sb.coordinate_summary(r) for r in found.values()],
                     ignore_index=True)


REDUCTIONS = {"chosen grid point": _chosen_point, "coordinate summary": _coordinates}


def selected(row, results: dict | None, profile: str) -> dict | None:
    """Our values for one registry row from its study's results ({entry: store.Result} at
    ``profile``): mean, std, n and values (n = 0 when the selection picks no row), with the
    devices and dates of the entries. None when no entry of the selection is there (or a
    reduction that needs more of them lacks some)."""
    found = rep.entries_of(results, row["entries"])
    if not found:
        return None
    reduce = REDUCTIONS.get(row["reduce"], _stored_metrics)
    metrics = reduce(found, profile, row["entries"])
    if metrics is None:
        return None
    rows, _ = rep.pick(metrics, row["our_metric"], rep.parse_filter(row["filter"]), pool=False)
    return dict(rep.provenance_of(found), **rep.summary(rows["value"]))


# --------------------------------------------------------------------------------------------
# The verdict
# --------------------------------------------------------------------------------------------

def judge(paper_mean, paper_std, judged_as: str, found: dict | None) -> str:
    """The overview's rule (``reproduction.verdict``) for one number, by how the paper's side
    is known: a printed number with its std; an official notebook's print as one unseeded
    run (no std on its side: the allowed gap is our spread over seeds, the spread of single
    runs, or the tolerance); a number read off a plot with the reading's tolerance
    ``READ_OFF_TOLERANCE``. Not yet: no result, or none that the selection picks."""
    if judged_as not in JUDGED_AS:
        raise ValueError(f"judged_as {judged_as!r} is unknown; allowed: {', '.join(JUDGED_AS)}")
    if found is None or not found["n"]:
        return rep.NOT_YET
    if judged_as == PRINTED:
        return rep.verdict(paper_mean, paper_std, found["mean"], found["std"])
    tolerance = READ_OFF_TOLERANCE if judged_as == READ_OFF else rep.TOLERANCE
    return rep.verdict(paper_mean, np.nan, found["mean"], found["std"], tolerance=tolerance)


def outcome(verdict_text: str) -> str:
    """The verdict's kind (one of ``OUTCOMES``): a 'departs' verdict whatever its numbers."""
    kind = verdict_text.split(":")[0]
    if kind not in OUTCOMES:
        raise ValueError(f"verdict {verdict_text!r} is none of {OUTCOMES}")
    return kind


# --------------------------------------------------------------------------------------------
# The board, its counts and its departures
# --------------------------------------------------------------------------------------------

def gather(profile: str, seed: int = 0, root: Path | None = None,
           reg: pd.DataFrame | None = None):
    """The stored results of every study the registry names: at ``profile`` (this build:
    what its chapters computed; nothing is computed here) and at paper scale. Returns
    ({study: results}, {study: stored}, [the StudyResults, for show_problems])."""
    reg = registry() if reg is None else reg
    names = list(dict.fromkeys(reg.loc[reg["study"] != "", "study"]))
    this = {n: runner.lookup(n, profile, seed, root=root) for n in names}
    stored = {n: runner.lookup(n, "paper", root=root) for n in names}
    return this, stored, list(this.values()) + list(stored.values())


def _cell(found: dict | None, with_provenance: bool) -> str:
    if found is None:
        return rep.NOT_YET
    if not found["n"]:
        return "no row of the selection at this profile"
    text = mean_std(found["values"])
    if with_provenance:
        text += f"; {', '.join(found['devices'])}, {', '.join(found['dates'])}"
    return text


def board(this: dict, stored: dict, profile: str, reg: pd.DataFrame | None = None
          ) -> pd.DataFrame:
    """One row per number of paper_numbers.csv (``BOARD_COLUMNS``): its name, how it is
    known, the paper's value as printed, the stored paper-scale result (mean ± std, seeds,
    device and date) and its verdict, this build's (at ``profile``) and its verdict, and the
    chapter and section that discuss it."""
    reg = registry() if reg is None else reg
    check_complete(reg)
    numbers = paper_numbers()
    values = {str(key_of(r)): (r["mean"], r["std"]) for _, r in numbers.iterrows()}
    rows = []
    for _, row in reg.iterrows():
        p_mean, p_std = values[str(key_of(row))]
        base = {k: row[k] for k in KEY} | {
            "judged as": row["judged_as"], "paper": format_paper(p_mean, p_std),
            "chapter": row["chapter"], "section": row["section"]}
        if row["no_counterpart"]:
            reason = f"{NO_COUNTERPART}: {row['no_counterpart']}"
            rows.append(base | {"stored paper-scale run": reason, "this build": reason,
                                "verdict (paper scale)": NO_COUNTERPART,
                                "verdict (this build)": NO_COUNTERPART})
            continue
        st = selected(row, stored.get(row["study"]), "paper")
        mine = selected(row, this.get(row["study"]), profile)
        rows.append(base | {
            "stored paper-scale run": _cell(st, with_provenance=True),
            "verdict (paper scale)": judge(p_mean, p_std, row["judged_as"], st),
            "this build": _cell(mine, with_provenance=False),
            "verdict (this build)": judge(p_mean, p_std, row["judged_as"], mine)})
    return pd.DataFrame(rows)[BOARD_COLUMNS]


def source_order(sources) -> list[str]:
    """The paper's sources in reading order (tables, figures, then the text), then the
    official notebooks."""
    def rank(s: str):
        kind, _, number = s.partition(" ")
        number = number.split()[0].rstrip("b")
        order = {"Table": 0, "Fig.": 1, "Sec.": 2, "Notebook": 3}.get(kind, 4)
        try:
            return (order, float(number), s)
        except ValueError:
            return (order, 0.0, s)
    return sorted(set(sources), key=rank)


def counts(table: pd.DataFrame, scale: str) -> pd.DataFrame:
    """Per source, how many numbers each outcome (``OUTCOMES``) has at one ``scale``
    ("paper scale" or "this build"), with their sum; then the subtotals of the paper and of
    the official notebooks, and the total."""
    column = f"verdict ({scale})"
    if column not in table:
        raise ValueError(f"scale {scale!r} is unknown; allowed: paper scale, this build")
    kinds = table[column].map(outcome)
    grid = pd.crosstab(table["source"], kinds).reindex(columns=OUTCOMES, fill_value=0)
    grid = grid.reindex(source_order(table["source"])).fillna(0).astype(int)
    notebook = grid.index.str.startswith("Notebook")
    paper, notebooks = grid[~notebook].sum(), grid[notebook].sum()
    grid.loc[THE_PAPER], grid.loc[THE_NOTEBOOKS] = paper, notebooks
    grid.loc["all"] = paper + notebooks
    grid["numbers"] = grid.sum(axis=1)
    grid.columns = [OUTCOME_NAMES.get(c, c) for c in grid.columns]
    grid.index.name = "source"
    return grid


def totals(table: pd.DataFrame) -> dict[str, int]:
    """The numbers the page's prose glues: per scale and outcome, over the paper's numbers
    (``paper_``/``build_`` + ``reproduced``, ``within``, ``departs``, ``not_yet``, ``none``)
    and over the notebooks' (``nb_`` before them), and how many numbers there are."""
    short = dict(zip(OUTCOMES, ["reproduced", "within", "departs", "not_yet", "none"]))
    out = {"sb_numbers": len(table),
           "sb_paper_numbers": int((~table["source"].str.startswith("Notebook")).sum()),
           "sb_notebook_numbers": int(table["source"].str.startswith("Notebook").sum()),
           "sb_read_off_tolerance": READ_OFF_TOLERANCE}
    for scale, prefix in (("paper scale", "paper"), ("this build", "build")):
        c = counts(table, scale)
        for kind, name in short.items():
            out[f"sb_{prefix}_{name}"] = int(c.loc[THE_PAPER, OUTCOME_NAMES[kind]])
            out[f"sb_{prefix}_nb_{name}"] = int(c.loc[THE_NOTEBOOKS, OUTCOME_NAMES[kind]])
    return out


def _name(row) -> str:
    d = "" if row["d"] == "" else f", d = {row['d']}"
    return f"{row['source']}: {row['dataset']}{d}, {row['model']}, {row['metric']}"


def departures_markdown(table: pd.DataFrame, chapter_names: dict | None = None) -> str:
    """Markdown: every number that departs at paper scale or at this build, with the
    paper's value, ours and the verdict at each scale where it departs, and a link to the
    chapter with the section that discusses it; a sentence when none departs."""
    chapter_names = pipeline.chapter_sources() if chapter_names is None else chapter_names
    lines = []
    for _, row in table.iterrows():
        where = [(scale, row[f"verdict ({scale})"], row[cell]) for scale, cell in
                 (("paper scale", "stored paper-scale run"), ("this build", "this build"))
                 if outcome(row[f"verdict ({scale})"]) == rep.DEPARTS]
        if not where:
            continue
        title = chapter_title(chapter_names[row["chapter"]])
        said = "; ".join(f"{scale}: {value} ({verdict.split(': ', 1)[1]})"
                         for scale, verdict, value in where)
        lines.append(f"- **{_name(row)}** (paper {row['paper']}, {row['judged as']}). {said}. "
                     f"Discussed in [{title}]({row['chapter']}.ipynb), section "
                     f"*{row['section']}*.")
    return "\n".join(lines) if lines else "No number departs, at paper scale or in this build."


__all__ = ["BOARD_COLUMNS", "COLUMNS", "JUDGED_AS", "KEY", "NOTEBOOK", "NO_COUNTERPART",
           "OUTCOMES", "PAPER_SCOREBOARD", "PRINTED", "READ_OFF", "READ_OFF_TOLERANCE",
           "REDUCTIONS", "accounting", "board", "check_complete", "counts",
           "departures_markdown", "gather", "judge", "key_of", "outcome", "registry",
           "selected", "source_order", "totals"]
