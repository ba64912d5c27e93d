"""The perturbations chapter's text that exists only in some cases: the recap bullet of a stored
paper-scale run (written from ``findings`` only: no table, no threshold)."""

from __future__ import annotations

from sbcore.data.labels import DATASET_LABELS


def stored_recap(f: dict | None) -> str:
    """A recap bullet for the stored paper-scale run (``f``: its ``findings.spans``, ``d`` and
    ``models``, the (model, dataset) pairs stored), or "" when nothing synthetic is stored."""
    if f is None:
        return ""
    which = ", ".join(f"{model} on {DATASET_LABELS[ds]}" for model, ds in f["models"])
    return (f"* At the paper's scale (stored: {which}; d = {f['d']}): the SVD-UAPs of the "
            f"same norms take the networks to {f['uap_acc_lo']:.3f}–{f['uap_acc_hi']:.3f} "
            f"accuracy with {f['uap_share_lo']:.3f}–{f['uap_share_hi']:.3f} of their budget on "
            f"S; the averaging classifier keeps {f['avg_svd_acc']:.3f} under them and "
            f"{f['avg_as_acc']:.3f} under an AS-UAP trained against it.")
