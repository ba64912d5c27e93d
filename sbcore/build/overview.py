"""The book's own pages: the introduction (00_intro: chapter list, the paper's headline
numbers, the profiles) and the execution status (99_status: chapter timings and the ledger of
stored paper-scale entries)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pandas as pd

from sbcore.build import pipeline
from sbcore.paper import paper_numbers
from sbcore.profiles import DESCRIPTIONS, PAPER_CHOICES, PROFILE_NAMES
from sbcore.studies import STUDIES, quick_reductions, runner, section


def chapter_title(path: Path) -> str:
    """The first markdown heading of a chapter source (its file name if it has none)."""
    match = re.search(r"^# # (.+)$", Path(path).read_text(), flags=re.M)
    return match.group(1).strip() if match else Path(path).stem


def chapter_list() -> str:
    """A markdown list of the chapters: file name and title, in book order."""
    return "\n".join(f"- `{name}`: {chapter_title(path)}"
                     for name, path in pipeline.chapter_sources().items())


def markdown_table(df: pd.DataFrame) -> str:
    """A left-aligned markdown table with the index in bold: for cells that are sentences."""
    lines = ["| " + " | ".join([df.index.name or ""] + list(map(str, df.columns))) + " |",
             "|" + " --- |" * (len(df.columns) + 1)]
    lines += ["| " + " | ".join([f"**{i}**"] + [str(v).replace("|", "\\|") for v in row]) + " |"
              for i, row in zip(df.index, df.to_numpy())]
    return "\n".join(lines)


def headline_numbers() -> dict[str, float]:
    """The paper's numbers the introduction quotes (from the cited data file), as plain floats
    for glue: Table 2's range, the MS-7 control of section 5, Fig. 4's UAP shares on S."""
    table2 = paper_numbers("Table 2")
    uap = paper_numbers("Fig. 4").set_index("dataset")["mean"]
    return {"t2_low": float(table2["mean"].min()), "t2_high": float(table2["mean"].max()),
            "ms7_control": float(paper_numbers("Sec. 5 text")["mean"].iloc[0]),
            "uap_lms5": float(uap["lms-5"]), "uap_ms57": float(uap["ms-5-7"])}


def _flatten(settings: dict, prefix: str = "") -> dict:
    """Nested settings -> {"study.key.sub": value}; lists joined, empty dicts named."""
    out = {}
    for key, value in settings.items():
        if isinstance(value, dict) and value:
            out.update(_flatten(value, f"{prefix}{key}."))
        elif isinstance(value, list):
            out[f"{prefix}{key}"] = ", ".join(map(str, value))
        else:
            out[f"{prefix}{key}"] = value if value != {} else "(none)"
    return out


def profile_tables() -> dict[str, pd.DataFrame]:
    """The introduction's profile tables: what each profile is for, how quick departs from
    paper, the paper profile's choices, and every setting of every profile side by side."""
    purpose = pd.DataFrame({"what it is for": [DESCRIPTIONS[n] for n in PROFILE_NAMES]},
                           index=pd.Index(PROFILE_NAMES, name="profile"))
    reductions = quick_reductions()
    reduced = pd.DataFrame({"reduction": list(reductions.values())},
                           index=pd.Index(list(reductions), name="study"))
    choices = pd.DataFrame({"choice and reason": list(PAPER_CHOICES.values())},
                           index=pd.Index(list(PAPER_CHOICES), name="setting"))
    settings = pd.DataFrame({p: _flatten({s: section(p, s) for s in STUDIES})
                             for p in PROFILE_NAMES}).fillna("")
    settings.index.name = "setting"
    return {"purpose": purpose, "quick": reduced, "choices": choices, "settings": settings}


def execution_status(book_dir: Path | None = None) -> tuple[pd.DataFrame, dict]:
    """The last recorded execution of every chapter (``_timings.json`` of the pipeline's
    output folder, ``SB_BOOK_DIR`` or ``book/``), the status page itself left out.
    Returns (table, summary) where summary has n_chapters, n_failed, total_minutes and the
    errors of failed chapters."""
    path = Path(book_dir or os.environ.get("SB_BOOK_DIR", pipeline.BOOK)) / pipeline.TIMINGS
    records = json.loads(path.read_text()) if path.exists() else {}
    records = {k: v for k, v in records.items() if k != pipeline.STATUS_CHAPTER}
    table = pd.DataFrame.from_dict(records, orient="index")
    summary = dict(n_chapters=len(table), n_failed=0, total_minutes=0.0, errors={},
                   source=path.name)
    if not len(table):
        return table, summary
    table = table.sort_index()
    summary.update(n_failed=int((table["status"] != "ok").sum()),
                   total_minutes=float(table["seconds"].sum()) / 60,
                   errors={n: r.get("error", "") for n, r in records.items()
                           if r.get("status") != "ok"})
    table["date"] = pd.to_datetime(table["date"]).dt.strftime("%Y-%m-%d %H:%M")
    table = table.rename(columns={"seconds": "time (s)", "date": "date (UTC)",
                                  "used": "store entries used"})
    for column in ("torch", "store entries used"):  # records of older pipelines lack them
        if column not in table:
            table[column] = ""
    table = table.fillna({"torch": "", "store entries used": ""})
    return table[["profile", "device", "seed", "torch", "time (s)", "status",
                  "date (UTC)", "store entries used"]], summary


def usage_markdown(table: pd.DataFrame) -> str:
    """The store entries each chapter used, one bullet per chapter (a list under the status
    table rather than a column of it: the text is long and the table must fit the column)."""
    used = table["store entries used"] if "store entries used" in table else pd.Series()
    lines = [f"* `{name}`: {text}" for name, text in used.items() if text]
    return "**Store entries used:**\n\n" + "\n".join(lines) if lines else ""


def failures_markdown(errors: dict) -> str:
    """The error of each failed chapter as markdown (empty when none failed)."""
    if not errors:
        return ""
    return "**Failed at their last execution:**\n\n" + "\n".join(
        f"- `{name}`:\n\n  ```text\n  {error.replace(chr(10), chr(10) + '  ')}\n  ```"
        for name, error in errors.items())


def ledger_summary(profile: str = "paper") -> tuple[pd.DataFrame, dict]:
    """The ledger of stored entries at a profile, per study: how many entries are stored,
    missing, stale or damaged, and the devices and dates that made the stored ones."""
    table = runner.ledger(profile)
    counts = {s: int((table["status"] == s).sum())
              for s in ("stored", "missing", "stale", "damaged")}
    rows = []
    for study, t in table.groupby("study", sort=False):
        stored = t[t["status"] == "stored"]
        rows.append({"study": study, **{s: int((t["status"] == s).sum()) for s in counts},
                     "made on": ", ".join(sorted(set(stored["device"]))) or "–",
                     "dates (UTC)": ", ".join(sorted({d[:10] for d in stored["date"]})) or "–"})
    return pd.DataFrame(rows).set_index("study"), counts


__all__ = ["chapter_list", "execution_status", "failures_markdown",
           "usage_markdown",
           "headline_numbers", "ledger_summary", "markdown_table", "profile_tables"]
