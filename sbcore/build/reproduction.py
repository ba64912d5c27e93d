"""The reproduction overview (chapter 00_overview): one row per item of the paper (Tables 1-11,
Figures 1-7, Theorem 1) with the chapter that reproduces it, the paper's headline number, the
stored paper-scale result, this build's result and a verdict written by a rule.

The items are data, in ``sbcore/paper_items.csv``, one row each:

* ``item``, ``shows`` (a few words), ``chapter`` (a chapter's file name) and ``section`` (a
  heading of that chapter); both empty while no chapter reproduces the item;
* ``study`` and ``entries`` (the prefix of the study's entry names the number comes from, so
  this page computes only those), ``filter`` (``column=value`` pairs, ``;``-separated, that
  pick the rows of the study's tidy ``metrics``);
* ``source``, ``dataset``, ``d``, ``model``, ``metric``: the one row of ``paper_numbers.csv``
  that holds the paper's headline number (empty for an item the paper gives no number for).
  Our rows are picked by the same ``metric``.

The paper's numbers themselves stay in ``paper_numbers.csv``; nothing here types one.
Nothing here computes a study either: ``gather`` asks the runner, the rest only reads.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sbcore.book.chapter import mean_std
from sbcore.build import pipeline
from sbcore.build.overview import chapter_title
from sbcore.paper import format_paper, paper_numbers
from sbcore.studies import runner

PAPER_ITEMS = Path(__file__).resolve().parents[1] / "paper_items.csv"
ITEM_COUNT = 19  # Tables 1-11, Figures 1-7 and Theorem 1

# The verdict's tolerance on |ours - paper| when neither side's spread is larger: the paper
# prints two decimals (a rounding of up to 0.005), and a randomised AUC or accuracy near
# chance measured on the paper's 10,000 test points has a standard error of about 0.006; 0.02
# is about three such standard errors plus the rounding.
TOLERANCE = 0.02
# "within spread" reaches this many times the allowed gap; past it the result departs.
SPREAD_FACTOR = 2

REPRODUCED, WITHIN_SPREAD, DEPARTS, NOT_YET = "reproduced", "within spread", "departs", "not yet"
SHOWN = "shown (no paper number to compare)"
NO_NUMBER = "none recorded"  # the paper column of an item with no row in paper_numbers.csv
# The model a reduced profile may not train (smoke trains small FCNs only): then every model
# of the entries is pooled, and the cell says so.
RELAXABLE = "model"

COLUMNS = ["what it shows", "reproduced in", "section", "paper", "stored paper-scale run",
           "verdict (paper scale)", "this build", "verdict (this build)"]


# --------------------------------------------------------------------------------------------
# The registry
# --------------------------------------------------------------------------------------------

def items(path: Path = PAPER_ITEMS) -> pd.DataFrame:
    """The registry of the paper's items, as strings ('' where empty), in the file's order."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    if len(df) != ITEM_COUNT or df["item"].duplicated().any():
        raise ValueError(f"{Path(path).name} must list {ITEM_COUNT} distinct items; "
                         f"it has {len(df)}")
    return df


def parse_filter(text: str) -> dict[str, str]:
    """'dataset=lms-5;model=(100,1)-FCN' -> {'dataset': 'lms-5', 'model': '(100,1)-FCN'}."""
    pairs = [p for p in text.split(";") if p.strip()]
    bad = [p for p in pairs if "=" not in p]
    if bad:
        raise ValueError(f"filter {text!r}: {bad} are not column=value pairs")
    return dict((k.strip(), v.strip()) for k, v in (p.split("=", 1) for p in pairs))


def paper_row(item: pd.Series) -> pd.Series | None:
    """The row of paper_numbers.csv with the item's headline number; None for an item the
    paper gives no number for. ValueError unless the selector picks exactly one row."""
    if not item["source"]:
        return None
    df = paper_numbers(item["source"])
    sel = (df["dataset"] == item["dataset"]) & (df["model"] == item["model"]) \
        & (df["metric"] == item["metric"])
    sel &= df["d"].isna() if not item["d"] else df["d"] == float(item["d"])
    if sel.sum() != 1:
        raise ValueError(f"{item['item']}: the selector picks {int(sel.sum())} rows of "
                         f"{item['source']} in paper_numbers.csv, not one")
    return df[sel].iloc[0]


def as_printed(mean: float, std: float = np.nan) -> str:
    """The paper's number as it prints it (``sbcore.paper.format_paper``)."""
    return format_paper(mean, std)


def chapter_link(name: str) -> str:
    """A markdown link to a chapter's page, titled with the chapter's own heading."""
    sources = pipeline.chapter_sources()
    if name not in sources:
        raise ValueError(f"chapter {name!r} is not in chapters/; known: {', '.join(sources)}")
    return f"[{chapter_title(sources[name])}]({name}.ipynb)"


# --------------------------------------------------------------------------------------------
# Numbers and the verdict rule
# --------------------------------------------------------------------------------------------

def verdict(paper_mean, paper_std, ours_mean, ours_std, tolerance: float = TOLERANCE) -> str:
    """The rule: the allowed gap is the largest of the paper's std, our std and ``tolerance``
    (a missing std counts as 0). |ours - paper| within it: reproduced; within
    ``SPREAD_FACTOR`` times it: within spread; else departs, with the numbers. No paper
    number: shown; no result of ours: not yet."""
    if paper_mean is None or pd.isna(paper_mean):
        return SHOWN if ours_mean is not None and not pd.isna(ours_mean) else NOT_YET
    if ours_mean is None or pd.isna(ours_mean):
        return NOT_YET
    allowed = max(0.0 if pd.isna(paper_std) else float(paper_std),
                  0.0 if ours_std is None or pd.isna(ours_std) else float(ours_std), tolerance)
    gap = abs(float(ours_mean) - float(paper_mean))
    if gap <= allowed or np.isclose(gap, allowed):  # a gap of exactly the tolerance is inside
        return REPRODUCED
    if gap <= SPREAD_FACTOR * allowed or np.isclose(gap, SPREAD_FACTOR * allowed):
        return WITHIN_SPREAD
    return (f"{DEPARTS}: |{float(ours_mean):.3f} − {float(paper_mean):.2f}| = {gap:.3f} > "
            f"{SPREAD_FACTOR} × {allowed:.3f}")


def entries_of(results: dict | None, prefix: str) -> dict:
    """The stored entries of a study whose names start with ``prefix`` (None ones left out)."""
    if results is None:
        return {}
    return {k: v for k, v in results.items() if k.startswith(prefix) and v is not None}


def matches(column: pd.Series, value: str) -> pd.Series:
    """The rows whose ``column`` holds a filter's ``value``: equal as text, or as numbers
    when the value reads as one (a column with gaps holds 5.0 where the filter says 5)."""
    same = column.astype(str) == value
    try:
        number = float(value)
    except ValueError:
        return same
    return same | (pd.to_numeric(column, errors="coerce") == number)


def pick(metrics: pd.DataFrame, metric: str, conditions: dict[str, str],
         pool: bool = True) -> tuple[pd.DataFrame, str]:
    """The rows of a tidy metrics table with ``metric`` that meet every ``column=value`` of
    ``conditions``, and a note. With ``pool``, a ``RELAXABLE`` condition (the model) that
    picks nothing is dropped, and the note says so."""
    rows, note = metrics[metrics["metric"] == metric], ""
    for column, value in conditions.items():
        picked = rows[matches(rows[column], value)] if column in rows else rows.iloc[:0]
        if pool and not len(picked) and column == RELAXABLE:
            note = f"no {value} at this profile: all its models pooled"
            continue
        rows = picked
    return rows, note


def summary(values: np.ndarray) -> dict:
    """mean, std (nan for one value), n and the values themselves (None when there are none)."""
    values = np.asarray(values, dtype=float)
    if not len(values):
        return dict(mean=np.nan, std=np.nan, n=0, values=None)
    return dict(mean=float(values.mean()), n=len(values), values=values,
                std=float(values.std(ddof=1)) if len(values) > 1 else np.nan)


def provenance_of(found: dict) -> dict:
    """The devices and dates (UTC days) of the results that a number comes from."""
    provs = [r.provenance for r in found.values()]
    return dict(devices=sorted({p.get("device_name", "an unrecorded device") for p in provs}),
                dates=sorted({str(p.get("date", "an unrecorded date"))[:10] for p in provs}))


def ours(item: pd.Series, results: dict | None) -> dict | None:
    """Our per-seed values of the item's metric, from the item's entries of one study's
    results ({entry: store.Result}): mean, std (nan for one value), n, a note when the
    registry's model was not run (``RELAXABLE``), and the entries' devices and dates.
    None when no entry is there."""
    found = entries_of(results, item["entries"])
    if not found:
        return None
    out = dict(provenance_of(found), note="", **summary([]))
    if not item["metric"] or not item["source"]:
        return out
    metrics = pd.concat([r.metrics for r in found.values()], ignore_index=True)
    rows, out["note"] = pick(metrics, item["metric"], parse_filter(item["filter"]))
    out.update(summary(rows["value"]))
    return out


def result_text(found: dict | None, with_provenance: bool) -> str:
    """A result cell: 'mean ± std (n=…)', the note, and the device and date of a stored run."""
    if found is None:
        return NOT_YET
    text = mean_std(found["values"]) if found["values"] is not None else "computed (no number)"
    if found["note"]:
        text += f"; {found['note']}"
    if with_provenance:
        text += f"; {', '.join(found['devices'])}, {', '.join(found['dates'])}"
    return text


# --------------------------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------------------------

def gather(profile: str, device: str = "cpu", seed: int = 0, recompute: bool = False,
           root: Path | None = None, registry: pd.DataFrame | None = None):
    """Every study the registry names: this build's results (``runner.run``, only the entries
    the items read; ``recompute`` is accepted for the chapter's uniform parameters but never
    recomputes) and the stored paper-scale ones (``runner.lookup``). Returns
    ({study: results}, {study: stored}, [the StudyResults, for show_problems])."""
    registry = items() if registry is None else registry
    this, stored = {}, {}
    for name, group in registry[registry["study"] != ""].groupby("study", sort=False):
        mod = runner.study(name)
        # a study whose data this machine may lack (MNIST-CIFAR needs CIFAR-10) says which
        # of its entries can run here; the others stay 'not yet'
        runnable = getattr(mod, "runnable", None)
        configs = runnable(profile, seed) if runnable else list(mod.configs(profile, seed))
        only = [e for e in configs if any(e.startswith(p) for p in group["entries"])]
        # never recomputed here: the pipeline executes this page after the chapters, which
        # recomputed what was asked and stored it; this page reads it (computing only what
        # is missing), so RECOMPUTE=1 does not run every study twice
        this[name] = runner.run(name, profile, device, seed, False, only=only, root=root)
        stored[name] = runner.lookup(name, "paper", root=root)
    return this, stored, list(this.values()) + list(stored.values())


def overview_table(this: dict, stored: dict, registry: pd.DataFrame | None = None
                   ) -> pd.DataFrame:
    """One row per item (the index): what it shows, the chapter (a link) and section, the
    paper's number (with its source), the stored paper-scale result with its device and date,
    this build's result, and the verdict of each. Items with no study say 'not yet' in every
    result column."""
    registry = items() if registry is None else registry
    rows = []
    for _, item in registry.iterrows():
        paper = paper_row(item)
        p_mean, p_std = (paper["mean"], paper["std"]) if paper is not None else (None, None)
        paper_text = (f"{as_printed(p_mean, p_std)} ({item['source']})" if paper is not None
                      else NO_NUMBER)
        built = bool(item["study"])
        st = ours(item, stored.get(item["study"])) if built else None
        mine = ours(item, this.get(item["study"])) if built else None
        rows.append({
            "item": item["item"], "what it shows": item["shows"],
            "reproduced in": chapter_link(item["chapter"]) if item["chapter"] else NOT_YET,
            "section": item["section"] or NOT_YET, "paper": paper_text,
            "stored paper-scale run": result_text(st, with_provenance=True),
            "verdict (paper scale)": _verdict(p_mean, p_std, st),
            "this build": result_text(mine, with_provenance=False),
            "verdict (this build)": _verdict(p_mean, p_std, mine)})
    return pd.DataFrame(rows).set_index("item")[COLUMNS]


def _verdict(p_mean, p_std, found: dict | None) -> str:
    if found is None:
        return NOT_YET
    if p_mean is None:
        return SHOWN
    return verdict(p_mean, p_std, found["mean"], found["std"])


def counts(table: pd.DataFrame) -> dict[str, int]:
    """How many items there are, how many a chapter reproduces, how many of each verdict at
    paper scale (a 'departs' verdict counted whatever its reason), the items not built yet,
    and the rule's constants: the numbers the page's prose glues."""
    v = table["verdict (paper scale)"].str.split(":").str[0]
    return dict(n_items=len(table), n_built=int((table["reproduced in"] != NOT_YET).sum()),
                n_reproduced=int((v == REPRODUCED).sum()),
                n_within=int((v == WITHIN_SPREAD).sum()), n_departs=int((v == DEPARTS).sum()),
                n_shown=int((v == SHOWN).sum()), n_not_yet=int((v == NOT_YET).sum()),
                not_yet_items=", ".join(table.index[v == NOT_YET]),
                tolerance=TOLERANCE, spread_factor=SPREAD_FACTOR)


__all__ = ["COLUMNS", "DEPARTS", "ITEM_COUNT", "NOT_YET", "NO_NUMBER", "PAPER_ITEMS",
           "REPRODUCED", "SHOWN", "SPREAD_FACTOR", "TOLERANCE", "WITHIN_SPREAD", "as_printed",
           "chapter_link", "counts", "entries_of", "gather", "items", "matches", "ours",
           "overview_table", "paper_row", "parse_filter", "pick", "provenance_of", "summary",
           "verdict"]
