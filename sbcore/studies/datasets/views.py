"""What the datasets chapter (01_datasets) shows: the numbers its prose glues and its tables,
all functions of the stored ``blocks`` entry and the study's config (no plotting here)."""

from __future__ import annotations

import pandas as pd

from sbcore.data import make_dataset, slab_width
from sbcore.studies.datasets import findings
from sbcore.studies.datasets.study import block_geometry, dataset_table, measured

MEASURED = {"noisy_inside": "noisy linear: points inside the margin",
            "noisy_frac": "noisy linear: fraction inside the margin",
            "noisy_margin_side": "noisy linear: margin points on their label's side",
            "noisy_acc": "noisy linear: accuracy of sign(x)",
            "pos_frac": "fraction of positives",
            "rot_err": "rotation: max |Q Q^T - I|",
            "unrot_err": "rotation: max |unrotate(X) - Z|"}


def numbers(results: dict, stored: dict | None, profile: str) -> dict:
    """Every number the chapter's prose glues, from this run's ``blocks`` entry (``stored``
    and ``profile``, the same arguments as every study's, are not needed here): the blocks'
    parameters and geometry, the quoted ring probabilities (design and measured), the measured
    noisy-linear and rotation checks, and the sizes of the datasets it draws."""
    result = results["blocks"]
    cfg = result.provenance["config"]["config"]
    gamma, B, p, seed = cfg["gamma"], cfg["B"], cfg["p"], cfg["seed"]
    out = dict(gamma=gamma, B=B, p=p, n=cfg["n"], gap=2 * B * gamma, best_noisy=1 - p / 2)
    for k in cfg["ks"]:
        out[f"w{k}"], out[f"pieces{k}"] = slab_width(k, gamma, B), k - 1
    out.update(findings.quoted_rings(result.tables["rings"]))
    out.update({tag: measured(result, name) for tag, name in MEASURED.items()})
    out.update(rings_match=findings.rings_match(result.tables["rings"]),
               rotation_exact=findings.rotation_exact(out["rot_err"], out["unrot_err"]))
    adv = make_dataset("advms-5-7", n_train=2, n_test=1, seed=seed)
    out.update(lms_d=make_dataset("lms-5", n_train=2, n_test=1, seed=seed).d, adv_d=adv.d,
               adv_nS=len(adv.S), adv_nSc=len(adv.Sc), adv_g5=adv.blocks[adv.S[0]].gamma,
               adv_g7=adv.blocks[adv.Sc[0]].gamma)
    return out


def geometry_table(result) -> pd.DataFrame:
    """Per block: pieces a classifier needs, slab width, gap, each class's support."""
    cfg = result.provenance["config"]["config"]
    return block_geometry(cfg["gamma"], cfg["B"], cfg["ks"])


def rings_table(result) -> pd.DataFrame:
    """Design against measured probability of every ring of slabs, per class."""
    return result.tables["rings"].rename(columns={"cls": "class",
                                                  "positive_side": "positive side"})


__all__ = ["MEASURED", "dataset_table", "geometry_table", "numbers", "rings_table"]
