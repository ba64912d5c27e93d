"""Attacks (chapter "Small perturbations, large failures"): per-example PGD (``pgd``), universal
adversarial perturbations (``uap``: SVD-UAP and AS-UAP, the paper's label-signed convention),
the share of a perturbation's budget on a set of features (``budget``) and the averaging
classifier the paper argues in words (``averaging``), and adversarial training's inner attack
(``adversarial``)."""

from sbcore.attacks.adversarial import PGDAdversary  # noqa: F401
from sbcore.attacks.averaging import AveragingClassifier  # noqa: F401
from sbcore.attacks.budget import (  # noqa: F401
    budget_shares,
    canonical,
    feature_indices,
    share_l2_mass,
    share_norm_ratio,
)
from sbcore.attacks.pgd import NORMS, pgd  # noqa: F401
from sbcore.attacks.uap import (  # noqa: F401
    apply_uap,
    as_uap,
    best_sign,
    data_bounds,
    svd_uap,
    uap_accuracy,
)
