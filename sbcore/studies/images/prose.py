"""The images chapter's text whose shape depends on what the study found: the list of models
and their digit-randomised AUC (written from ``findings`` only: no table, no threshold)."""

from __future__ import annotations

from sbcore.studies.images.findings import Residual


def residual_models(f: Residual) -> str:
    """'SmallCNN 0.51, MediumCNN 0.60': each model's digit-randomised AUC, lowest first."""
    return ", ".join(f"{model} {v:.2f}" for model, v in f.auc_by_model.items())
