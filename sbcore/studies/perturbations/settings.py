"""Small perturbations, large failures: the settings of each profile (compute settings are hashed
into store keys; ``VIEWS`` are how the chapter draws them, never hashed).

The paper profile is the reference; quick and smoke override it and say why. Attack settings
follow the official notebook 06 (drange: the global max minus min of the data, about 4.4 for
rotated LMS-5 at d = 50).
"""

from sbcore.profiles import derive
from sbcore.training.config import RECIPES

PAPER = dict(
    data_seed=0, d=50, n_train=50_000, n_val=5_000, n_test=10_000, seeds=[0, 1, 2],
    datasets=["lms-5", "ms-5-7"],
    # FCN, CNN and GRU on LMS-5 (their UAPs are compared); the FCN on MS-(5,7)
    models={"lms-5": ["(100,1)-FCN", "(32,7,1)-CNN", "(100,10,1)-GRU"],
            "ms-5-7": ["(100,1)-FCN"]},
    train=dict(RECIPES["synthetic"]),
    n_attack=10_000,  # test points attacked
    # per-example l2 PGD: eps and step in units of drange (notebook 06: 0.5 and 0.05, 20 its)
    pgd=dict(eps=0.5, step=0.05, iters=20),
    # SVD-UAP from l2 PGD perturbations (notebook 06: LMS-5 eps 1.0 drange, 30 iterations;
    # MS-(5,7) 0.5 drange, 50), AS-UAP lr 0.05, 30 iterations per batch of 1,000, 2 passes
    svd_pgd={"lms-5": dict(eps=1.0, iters=30), "ms-5-7": dict(eps=0.5, iters=50)},
    as_uap=dict(lr=0.05, iters=30, epochs=2, batch_size=1_000),
    # absolute l2 norms of the UAPs and shifts (notebook 06 used 1.0 for LMS-5, 0.5 for MS-(5,7))
    norms=[0.1, 0.25, 0.5, 1.0, 2.0, 4.0],
    # images: the SVD-UAP of a CNN trained on a domino (variant A: MNIST-Fashion everywhere,
    # MNIST-CIFAR where CIFAR-10 is found), with the images chapter's recipe; pixel l2 norms
    # (a domino has 6,144 pixels in [0, 1]); the paper's Fig. 4 reports 99.3% of
    # DenseNet121's UAP on the MNIST pixels of MNIST-CIFAR
    images=dict(dominoes=["mnist-fashion", "mnist-cifar"], models=["DenseNet121"],
                n_train=None, n_test=None,
                max_epochs=500, n_attack=1_960, pgd=dict(eps=8.0, iters=20),
                norms=[1.0, 2.0, 4.0, 8.0]),
)

PROFILES = {
    "paper": PAPER,
    "quick": derive(
        PAPER, d=20, n_train=10_000, n_val=1_000, n_test=2_000, seeds=[0, 1], n_attack=2_000,
        models={"lms-5": ["(100,1)-FCN", "(32,7,1)-CNN", "(100,10,1)-GRU"],
                "ms-5-7": ["(100,1)-FCN"]},
        train=dict(eps=1e-3, patience=200, max_updates=8_000, eval_every=200),
        images=dict(dominoes=["mnist-fashion"], models=["SmallCNN"], n_train=2_000,
                    n_test=1_000, max_epochs=20, n_attack=500)),
    "smoke": derive(
        PAPER, d=10, n_train=1_000, n_val=200, n_test=400, seeds=[0], n_attack=400,
        models={"lms-5": ["(16,1)-FCN", "(4,3,1)-CNN"], "ms-5-7": ["(16,1)-FCN"]},
        train=dict(eps=1e-2, patience=20, max_updates=400, eval_every=50),
        norms=[0.5, 1.0, 2.0], as_uap=dict(iters=5, epochs=1),
        images=dict(dominoes=["mnist-fashion"], models=["SmallCNN"], n_train=200, n_test=100,
                    max_epochs=2, n_attack=100, pgd=dict(iters=3), norms=[2.0, 8.0])),
}

VIEWS = {"paper": {}, "quick": {}, "smoke": {}}

QUICK_REDUCTION = (
    "d = 20 instead of 50, 10,000 training points instead of 50,000, 2 seeds instead of 3, "
    "2,000 test points attacked instead of 10,000; update cap 8,000 instead of 100,000, stop "
    "rule train accuracy >= 0.999 (paper 0.9999) with 200 patience updates; on images the "
    "SmallCNN instead of DenseNet121, 2,000 training dominoes, 500 attacked.")
# What the smoke profile is for, after "**The smoke profile**" (studies.notes.profile_notes).
SMOKE_NOTE = "trains tiny networks briefly, only to exercise the code."
