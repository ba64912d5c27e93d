"""The images chapter's text whose shape depends on what the study found (written from
``findings`` only: no table, no threshold)."""

from __future__ import annotations

from sbcore.studies.images.findings import Residual

PROBE_VERDICT = {"better": "better than an untrained network's features do",
                 "same": "no better than an untrained network's features do",
                 "worse": "worse than an untrained network's features do"}
PROBE_CONCLUSION = {
    "better": ("the output ignores the complex half, while the features below it keep somewhat "
               "more of it than an untrained network's."),
    "same": ("the output ignores the complex half, and training added nothing about it to the "
             "representation.")}
PROBE_CONCLUSION["worse"] = PROBE_CONCLUSION["same"]


def residual_models(f: Residual) -> str:
    """'SmallCNN 0.51, MediumCNN 0.60': each model's digit-randomised AUC, lowest first."""
    return ", ".join(f"{model} {v:.2f}" for model, v in f.auc_by_model.items())


def residual_note(f: Residual) -> str:
    """The sentence on a residual use of the complex half, or "" when there is none."""
    if not f.residual:
        return ""
    text = ("So here the scores still move a little with the complex half: a residual use of it "
            "that barely changes a decision")
    if len(f.auc_by_model) > 1:
        lo, hi = f.lowest_and_highest
        text += f", smaller for {lo} than for {hi}"
    return text + "."


def absent_text(label: str, profile: str, in_profile: bool) -> str:
    """Why a domino (display name ``label``) has no table on this page."""
    if not in_profile:
        return (f"*{label} is not part of the {profile} profile; the paper profile runs it "
                f"where a copy of CIFAR-10 is present.*")
    return (f"*{label} did not run here: CIFAR-10 was not found. Point `SB_CIFAR10` at a "
            f"`cifar-10-batches-py` folder (the python version of CIFAR-10) and re-execute "
            f"this chapter.*")
