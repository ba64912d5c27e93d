"""The two side channels from a chapter's kernel to the pipeline that executes it.

* ``SB_USAGE_FILE``: the pipeline names a file; the runner appends one JSON line for each
  stored entry the chapter used (``record_usage``); the pipeline sums them up for the status
  page (``summarize_usage``).
* ``PROBLEM_MARK``: a chapter prints each problem met while reading stored results on stderr
  after this mark; the pipeline repeats those lines in its own output.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

USAGE_FILE = "SB_USAGE_FILE"  # set by the pipeline: where a chapter's kernel lists its entries
PROBLEM_MARK = "sbcore warning:"  # the pipeline prints lines of a chapter's output that start so


def record_usage(study: str, profile: str, entry: str, how: str, result=None) -> None:
    """Append one line (study, profile, entry, how: reused | computed | stored | missing |
    stale | damaged, device, date) to the file named by ``SB_USAGE_FILE``, when set: the
    pipeline reads it into the status page's list of the stored entries each chapter used."""
    path = os.environ.get(USAGE_FILE)
    if not path:
        return
    prov = getattr(result, "provenance", None) or {}
    line = dict(study=study, profile=profile, entry=entry, how=how,
                device=prov.get("device_name", ""), date=prov.get("date", ""))
    with open(path, "a") as f:
        f.write(json.dumps(line) + "\n")


def summarize_usage(path: Path) -> str:
    """The store entries a chapter used, one phrase per study and profile, e.g.
    "extreme_sb quick: 9 reused; extreme_sb paper: 12 stored (NVIDIA H100 80GB HBM3,
    2026-11-27)"."""
    lines = [json.loads(x) for x in Path(path).read_text().splitlines() if x.strip()] \
        if Path(path).exists() else []
    groups: dict[tuple, list] = {}
    for u in lines:
        groups.setdefault((u["study"], u["profile"]), []).append(u)
    parts = []
    for (study, profile), us in groups.items():
        counts: dict[str, int] = {}
        for u in us:
            counts[u["how"]] = counts.get(u["how"], 0) + 1
        text = ", ".join(f"{n} {how}" for how, n in counts.items())
        made = sorted({(u["device"], u["date"][:10]) for u in us
                       if u["how"] == "stored" and u["device"]})
        if made:
            text += " (" + "; ".join(f"{d}, {day}" for d, day in made) + ")"
        parts.append(f"{study} {profile}: {text}")
    return "; ".join(parts)
