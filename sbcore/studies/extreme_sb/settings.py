"""Extreme simplicity bias: the settings of each profile (compute settings are hashed into
store keys; ``VIEWS`` are how the chapter draws them, never hashed).

The paper profile is the reference; quick and smoke override it and say why."""

from sbcore.profiles import derive
from sbcore.training.config import RECIPES

PAPER = dict(
    datasets=["lms-5", "ms-5-7"], data_seed=0,
    n_train=50_000, n_val=5_000, n_test=10_000, d=50, d_wide=250,
    seeds=[0, 1, 2, 3, 4], models=[[100, 1], [100, 2], [2000, 1]], seeds_for={},
    wide_models=[[2000, 1]], wide_seeds=[0, 1, 2, 3, 4], wide_n_train=100_000,
    wide_datasets=["lms-5", "ms-5-7"], wide_train={},
    control_models=[[100, 1], [2000, 1]], control_seeds=[0, 1, 2, 3, 4],
    track_n=2_000, logit_cap=2_000, boundary_model=[100, 1], grid=61, grid_bases=3,
    influence_n=500,
    # Fig. 1 in two dimensions: LMS-5 at d = 2 (S linear, S^c one 5-slab), the main part's
    # sizes, seeds and recipe; the paper draws it as an illustration and gives no setting
    toy=dict(datasets=["lms-5"], d=2, model=[100, 1]),
    train=dict(RECIPES["synthetic"]))

PROFILES = {
    "paper": PAPER,
    "quick": derive(
        PAPER, n_train=20_000,  # at 10,000 the networks memorise MS-(5,7) before the 5-slab
        n_val=2_000, n_test=4_000, seeds=[0, 1, 2],
        seeds_for={"(2000,1)-FCN": [0, 1]},  # the widest network is most of the time
        wide_seeds=[0], wide_datasets=["lms-5"], wide_n_train=20_000,
        control_models=[[100, 1]], control_seeds=[0, 1],
        track_n=1_000, logit_cap=1_500, grid=41, influence_n=300,
        train=dict(eps=1e-3, patience=200, max_updates=12_000, eval_every=250)),
    "smoke": derive(
        PAPER, n_train=2_000, n_val=500, n_test=1_000, d=10, d_wide=20,
        seeds=[0, 1], models=[[20, 1], [20, 2], [50, 1]],
        wide_models=[[50, 1]], wide_seeds=[0, 1], wide_n_train=2_000,
        control_models=[[20, 1]], control_seeds=[0, 1],
        track_n=300, logit_cap=300, boundary_model=[20, 1], grid=15, grid_bases=2,
        influence_n=100,
        train=dict(eps=1e-2, patience=20, max_updates=600, eval_every=50)),
}

VIEWS = {"paper": dict(animation_frames=10), "quick": dict(animation_frames=10),
         "smoke": dict(animation_frames=3)}

QUICK_REDUCTION = (
    "20,000 training points instead of 50,000 (at 10,000 the networks memorise MS-(5,7) before "
    "they find the 5-slab); 3 seeds instead of 5, 2 for the (2000,1)-FCN; update cap 12,000 "
    "instead of 100,000; stop rule train accuracy >= 0.999 (paper 0.9999) with 200 patience "
    "updates (paper 1,000), evaluated every 250 updates (paper 500); d = 250 for LMS-5 only, one "
    "seed, 20,000 training points (MS-(5,7) at d = 250 is left to the paper profile); the "
    "S-removed control with the (100,1)-FCN only, 2 seeds; smaller pictures (grid, logits, "
    "dynamics subset).")
# What the smoke profile is for, after "**The smoke profile**" (studies.notes.profile_notes).
SMOKE_NOTE = (f"shrinks everything (d = {PROFILES['smoke']['d']}, small networks, a few "
              "hundred updates) only to exercise the code.")
# The paper profile's choices (keys of profiles.PAPER_CHOICES) that the chapter states.
CHOICES = ("LMS-5 training size", "d = 250 training size (Fig. 3b)", "weight decay (synthetic)",
           "momentum (synthetic)", "update cap (synthetic)", "AUC", "model selection")
