"""The plateau chapter's text whose shape branches on what was found: which values of d left
runs on the plateau and how they ended, and the paragraphs that exist only once a rerun is
stored. Each function reads a findings dict (``findings.py``) and writes markdown; the
decisions are the findings' booleans, the fixed sentences are in the chapter."""

from __future__ import annotations

import math

from sbcore.book.chapter import mean_std


def _ds(ds) -> str:
    return ", ".join(map(str, ds))


def _about(x: float) -> float:
    """An extrapolation to two significant figures, as the text gives it."""
    return float(f"{x:.2g}")


def _stuck(s: dict) -> str:
    """One sentence on the runs at one d that did not escape (``findings._stuck_per_d``)."""
    how = [f"{s['memorised']} memorised the training set"] if s["memorised"] else []
    if s["stuck"] > s["memorised"]:
        how.append(f"{s['stuck'] - s['memorised']} reached the cap of {s['cap']:,} updates")
    return (f"At d = {s['d']}, {s['stuck']} of {s['total']} runs did not escape "
            f"({', '.join(how)}; train accuracy {s['train']:.2f} at validation accuracy "
            f"{s['val']:.2f}). ")


_ENDINGS = {
    "memorised": "the runs that did not escape ended by the stop rule, not the cap: SGD fit the "
                 "training set before it found the 5-slab, so a larger cap would not have "
                 "changed them; what is left to change is the sample, a larger one being harder "
                 "to memorise. ",
    "capped": "the runs that did not escape were still at chance on validation when the cap "
              "stopped them, having fit part of their training set instead: the median run does "
              "not leave the plateau late, it does not leave it within the cap at all. ",
    "mixed": "some of the runs that did not escape memorised the training set and the others "
             "were still at chance on validation at the cap. ",
}


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


def _beyond(f: dict) -> str:
    """Where the median run never left the plateau (``findings.sweep_answer``)."""
    t = f["trend"]
    text = (f"At d = {_ds(t['beyond'])} the median run never left the plateau, so the fit "
            "cannot include it and understates the growth. ")
    text += "".join(f"At d = {_ds(ds)} {_ENDINGS[how]}" for how, ds in f["endings"].items())
    text += ("A d = 250 run that fits its training set without generalising, as the stored "
             "cell did, is what this sweep predicts.")
    text += "".join(map(_larger, f["larger"]))
    if b := f["trend_break"]:
        text += (f" So the power law fitted at d = {_ds(t['fit_ds'])} does not carry to "
                 f"d = 250: it puts the median escape near {_about(t['at_250']):,.0f} updates, "
                 f"yet none of the {b['runs']} runs there, on any sample, escaped within "
                 f"{b['cap']:,}.")
    return text


def _within(f: dict) -> str:
    """Where every median run escaped: whether the typical run at d = 250 would have."""
    if not f["within_cap"]:
        return "The typical run would still be on the plateau when that cap stops it."
    text = "The typical run would have escaped within that cap."
    if s := f["spread"]:
        text += (f" Not every run does, and the spread of the escape update grows with d "
                 f"(std {s['std_lo']:,.0f} at d = {s['d_lo']}, {s['std_hi']:,.0f} at "
                 f"d = {s['d_hi']}, over the runs that escaped), so a run at d = 250 still on "
                 f"the plateau at {f['esb_cap']:,} updates, fitting its training set instead, "
                 "is consistent with this sweep.")
    return text


def answer(f: dict) -> str:
    """What the sweep says about the d = 250 cell (markdown; ``findings.sweep_answer``)."""
    if not f["any_answer"]:
        return ("Too few runs escaped the plateau, at too few values of d, to fit a trend "
                "here; the paper profile's full sweep answers it.")
    t = f["trend"]
    text = f"For the {f['model']} on {f['n']:,} training points"
    if f["fits"]:
        text += (f", the median escape update at d = {_ds(t['fit_ds'])} (a run that did not "
                 f"escape counted as the latest) grows like $d^{{{t['exponent']:.2f}}}$; "
                 f"extrapolated to d = 250 that is about {_about(t['at_250']):,.0f} updates, "
                 f"against the cap of {f['esb_cap']:,} under which the stored d = 250 cell ran. ")
    else:
        text += ", too few values of d have a median run that escaped to fit a trend. "
    text += "".join(map(_stuck, f["stuck"]))
    return (text + (_beyond(f) if t["beyond"] else _within(f))).strip()


def stored_cells(cells: dict) -> str:
    """The two extreme-SB cells as stored (markdown bullets), or that they are not stored."""
    lines = []
    if "wide_test" in cells:
        lines.append(f"* d = 250, MS-(5,7), (2000,1)-FCN: train accuracy {cells['wide_train']}, "
                     f"test accuracy {cells['wide_test']}.")
    if "control_test" in cells:
        lines.append(f"* MS-(5,7) with S removed: test accuracy {cells['control_test']}.")
    return "\n".join(lines) or "*No paper-scale run of the extreme-SB chapter is stored.*"


def _leaving(c: dict) -> str:
    """', the median run leaving the plateau after N updates', or '' when it never left."""
    if not math.isfinite(c["median"]):
        return ""
    return f", the median run leaving the plateau after {c['median']:,.0f} updates"


def _wide_verdict(c: dict) -> str:
    if c["most_escaped"] and c["s_only"]:
        return ("The networks found the 5-slab and rely on it alone: randomising it leaves "
                "them at chance, randomising the other coordinates costs little. That is the "
                "extreme simplicity bias the paper reports at this d, reproduced once the "
                "plateau is behind the network. ")
    if c["most_escaped"]:
        return ""
    return "Most runs still did not find the 5-slab: the cell stays open. "


def _wide_before(c: dict) -> str:
    """The wide paragraph up to the runs that escaped: the cell, then the rerun."""
    return (f"**The d = {c['d']} cell with a larger sample.** In the extreme-SB chapter the "
            f"{c['model']} had {c['esb_n']:,} training points and a cap of {c['esb_cap']:,} "
            f"updates: train accuracy {mean_std(c['before']['train'], count=False)}, test "
            f"accuracy {mean_std(c['before']['test'], count=False)}. From {c['n']:,} points "
            f"({c['n'] / c['esb_n']:.0f} times the sample) with a cap of {c['cap']:,}, "
            f"{c['escaped']} of {c['runs']} runs escape the plateau")


def wide(c: dict | None, stop: float) -> str:
    """The d = 250 cell with a larger sample and cap (``findings.wide_rerun``; '' until
    stored); ``stop``: the train accuracy at which the runs stop."""
    if c is None:
        return ""
    text = _wide_before(c)
    if math.isfinite(c["median"]):
        text += (f", the median run after {c['median']:,.0f} updates"
                 + (" (within that chapter's cap)" if c["within_old_cap"] else ""))
    text += f"; {c['memorised']} memorised their training set" if c["memorised"] else ""
    text += (f". Test accuracy {mean_std(c['test'], count=False)} (the runs stop at train "
             f"accuracy {stop:.2f}), S-randomised AUC {mean_std(c['s_auc'], count=False)}, "
             f"Sc-randomised AUC {mean_std(c['sc_auc'], count=False)}")
    if c["paper_s_auc"] is not None:
        text += f" (the paper's Fig. 3b: {c['paper_s_auc']:.2f} and {c['paper_sc_auc']:.2f})"
    text += ". " + _wide_verdict(c)
    if s := c["sweep_never"]:
        text += (f"Beside the sweep's {s['model']}, which did not escape at this d from any "
                 f"sample up to {s['n']:,} points within {s['cap']:,} updates, this rerun "
                 "differs in width and in sample both, so it does not tell which of the two "
                 "let it escape.")
    return text.strip()


def sample(c: dict | None, stop: float) -> str:
    """What a larger sample (and cap) did to the S-removed cell (``control`` rerun, from
    ``findings.rerun_against_cell``; '' until stored)."""
    if c is None:
        return ""
    text = (f"**A larger sample.** The S-removed {c['model']} cell of the extreme-SB chapter "
            f"learned the seven-slabs in {c['a']} of {c['na']} runs from {c['esb_n']:,} "
            f"training points under that chapter's cap of {c['esb_cap']:,} updates. From "
            f"{c['n']:,} points ({c['n'] / c['esb_n']:.0f} times the sample) with a cap of "
            f"{c['cap']:,}, {c['b']} of {c['nb']} do" + _leaving(c)
            + f", at test accuracy {mean_std(c['after'], count=False)} (the runs stop at train "
            f"accuracy {stop:.2f}, this study's stop rule). ")
    if c["more"] and c["most"] and c["within_old_cap"]:
        return text + ("The median run left the plateau within the extreme-SB chapter's own "
                       "cap: for this network the sample, not the cap, is the lever. From a "
                       "large enough sample the complex features alone generalise, as the paper "
                       "says; from that chapter's sample most runs of this network had not "
                       "found them.")
    if c["more"] and c["most"]:
        return text + ("Most runs learn the complex features alone, but later than the "
                       "extreme-SB chapter's cap: the sample and the cap both held the cell back.")
    return text + "Even the larger sample leaves most runs short of the seven-slabs."


def _cap_verdict(c: dict) -> str:
    if c["more"] and c["most"]:
        text = ("From the same sample most runs do learn the complex features alone, as the "
                "paper says, but only after a plateau longer than the cap the cell ran under: "
                "for this network the cap, not the sample, kept the cell from reproducing.")
        if c["stuck"]:
            who = "The other run was" if c["stuck"] == 1 else f"The other {c['stuck']} runs were"
            text += (f" {who} still on the plateau at {c['cap']:,} updates (train accuracy "
                     f"{c['stuck_train']:.2f} at validation accuracy {c['stuck_val']:.2f}): the "
                     "plateau's length varies from seed to seed, and some seeds outlast even "
                     "the official loop's cap.")
        return text
    if c["most_memorised"]:
        return (f"Raising the cap does not rescue the cell: {c['memorised']} runs fit their "
                "training set before they found the seven-slabs, so the sample, not the cap, "
                "is the lever; the control rerun with a larger sample tests it.")
    return (f"Even {c['cap']:,} updates leave {c['nb'] - c['b']} of {c['nb']} runs short of the "
            "seven-slabs: the cap is not the whole story.")


def cap(c: dict | None) -> str:
    """What raising only the cap did to the S-removed cell (``control-long`` rerun, from
    ``findings.rerun_against_cell``; '' until stored)."""
    if c is None:
        return ""
    return (f"**Only the cap raised.** The S-removed {c['model']} cell of the extreme-SB "
            f"chapter, on its own {c['n']:,} training points: under that chapter's cap of "
            f"{c['esb_cap']:,} updates {c['a']} of {c['na']} runs learned the seven-slabs "
            f"(test accuracy at least {c['level']}); with a cap of {c['cap']:,}, {c['b']} of "
            f"{c['nb']} do" + _leaving(c)
            + f", at test accuracy {mean_std(c['after'], count=False)}. " + _cap_verdict(c))


def recap_trend(label: str, t: dict) -> str:
    """A recap bullet on one run's trend (``findings.trend``), '' without a fit."""
    if math.isnan(t["exponent"]):
        return ""
    grows = "lengthens" if t["exponent"] > 0 else "does not lengthen"
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


def recap_reruns(cap_c: dict | None, wide_c: dict | None, sample_c: dict | None) -> list[str]:
    """Recap bullets for the reruns that are stored (findings of ``rerun_against_cell`` and
    ``wide_rerun``)."""
    lines = []
    if c := cap_c:
        lines.append(f"* With S removed, raising only the cap from {c['esb_cap']:,} to "
                     f"{c['cap']:,} updates takes the {c['model']} from {c['a']} of {c['na']} "
                     f"to {c['b']} of {c['nb']} runs that learn the seven-slabs from the same "
                     f"{c['n']:,} points.")
    if c := wide_c:
        median = (f", the median after {c['median']:,.0f} updates"
                  if math.isfinite(c["median"]) else "")
        lines.append(f"* At d = {c['d']} with {c['n']:,} training points instead of "
                     f"{c['esb_n']:,}, the {c['model']} escapes the plateau in {c['escaped']} "
                     f"of {c['runs']} runs{median}, with S-randomised AUC {c['s_auc'].mean():.2f}"
                     f" and Sc-randomised AUC {c['sc_auc'].mean():.2f}.")
    if c := sample_c:
        lines.append(f"* With S removed and {c['n']:,} training points instead of "
                     f"{c['esb_n']:,}, the {c['model']} goes from {c['a']} of {c['na']} to "
                     f"{c['b']} of {c['nb']} runs that learn the seven-slabs" + _leaving(c) + ".")
    return lines


def recap(f: dict) -> str:
    """The recap's bullets on what was measured (``views.recap_findings``): per run its trend
    and escapes by sample size, then the stored reruns."""
    lines = []
    for label, t, per_d in f["runs"]:
        lines += [line for line in [recap_trend(label, t)] if line]
        lines += recap_samples(label, per_d)
    return "\n".join(lines + recap_reruns(f["cap"], f["wide"], f["sample"]))
