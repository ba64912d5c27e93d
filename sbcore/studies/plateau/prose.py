"""The plateau chapter's text whose shape branches on what was found: the runs at each d that
did not escape and the sample-size lever at each d beyond the fit. Each function reads a findings
dict (``findings.sweep_answer``) and writes markdown; the fixed sentences and the verdicts
(picks on the findings' booleans) are in the chapter."""

from __future__ import annotations

import math


def _ds(ds) -> str:
    return ", ".join(map(str, ds))


def _stuck(s: dict) -> str:
    """One sentence on the runs at one d that did not escape (``findings._stuck_per_d``)."""
    how = [f"{s['memorised']} memorised the training set"] if s["memorised"] else []
    if s["stuck"] > s["memorised"]:
        how.append(f"{s['stuck'] - s['memorised']} reached the cap of {s['cap']:,} updates")
    return (f"At d = {s['d']}, {s['stuck']} of {s['total']} runs did not escape "
            f"({', '.join(how)}; train accuracy {s['train']:.2f} at validation accuracy "
            f"{s['val']:.2f}). ")


def _larger(x: dict) -> str:
    """The sample-size lever at one d (``findings.larger_sample``)."""
    if x["lever"]:
        return (f" The sample-size sweep shows the lever: at d = {x['d']} with {x['n']:,} "
                f"training points {x['escaped']} of {x['runs']} runs escape, the median after "
                f"{x['median']:,.0f} updates.")
    text = (f" At d = {x['d']} even {x['n']:,} training points, the sweep's largest, leave the "
            f"median run on the plateau ({x['escaped']} of {x['runs']} runs escape")
    if not x["all_capped"]:
        return text + ")."
    lesson = ("the larger sample stopped the memorising, not the plateau, which"
              if x["smaller_memorised"] else "the plateau")
    return text + (f"; {'all ' if x['stuck'] > 1 else ''}{x['stuck']} reached the cap of "
                   f"{x['cap']:,} updates at train accuracy {x['train']:.2f} and validation "
                   f"accuracy {x['val']:.2f}): {lesson} at d = {x['d']} outlasts {x['cap']:,} "
                   "updates.")


def answer(f: dict) -> str:
    """One sentence per d with runs that did not escape, then the sample-size lever
    (``findings.sweep_answer``; the fit and the verdicts are in the chapter)."""
    return ("".join(map(_stuck, f.get("stuck", [])))
            + "".join(map(_larger, f.get("larger", [])))).strip()


def recap_trend(label: str, t: dict) -> str:
    """A recap bullet on one run's trend (``findings.trend``), '' without a fit."""
    if math.isnan(t["exponent"]):
        return ""
    grows = "lengthens" if t["lengthens"] else "does not lengthen"
    line = (f"* In {label} (d = {_ds(t['fit_ds'])}) the median run's plateau {grows} with d, "
            f"like $d^{{{t['exponent']:.2f}}}$")
    if t["beyond"]:
        line += f"; at d = {_ds(t['beyond'])} the median run never left it"
    return line + "."


def recap_samples(label: str, per_d: list[dict]) -> list[str]:
    """Recap bullets: per d swept over samples, how many runs escaped at each
    (``findings.escaped_by_sample``)."""
    return [f"* In {label} at d = {x['d']}, runs that escaped by sample size: "
            + ", ".join(f"{n:,} points {k} of {total}" for n, k, total in x["by_n"]) + "."
            for x in per_d]


def recap(f: dict) -> str:
    """The recap's bullets on what was measured (``views.recap_findings``): per run its trend
    and escapes by sample size."""
    lines = []
    for label, t, per_d in f["runs"]:
        lines += [line for line in [recap_trend(label, t)] if line]
        lines += recap_samples(label, per_d)
    return "\n".join(lines)
