"""The MS-(5,7) plateau: how long SGD sits at chance before it finds the 5-slab, against d and
the training-set size (compute settings are hashed into store keys; ``VIEWS`` are how the
chapter draws them, never hashed).

Two cells of the extreme-SB chapter did not reproduce at the paper profile: d = 250 MS-(5,7)
with the (2000,1)-FCN memorised its training set, and MS-(5,7) with S removed did not
generalise. Both sit where the official MS-(5,7) run already shows a long plateau. This study
measures that plateau (the paper profile up to d = 250 and the official loop's cap of
800,000 updates), so the two cells can be rerun with a cap and a sample the trend says suffice.
"""

from sbcore.profiles import derive
from sbcore.training.config import RECIPES

PAPER = dict(
    data_seed=0, n_val=5_000, n_test=10_000, seeds=[0, 1, 2, 3, 4], model=[100, 1],
    # the plateau against d at the extreme-SB chapter's sample size
    sweep_d=dict(ds=[20, 50, 100, 150, 250], n_train=50_000),
    # and against the sample size at d = 50, 150 and 250 (at d = 250 all five runs memorise
    # 50,000 points: is a larger sample the lever there too?)
    sweep_n=dict(ds=[50, 150, 250], n_trains=[12_500, 25_000, 100_000, 200_000]),
    # escape: the first evaluation whose validation accuracy reaches this (chance is 0.5, the
    # 5-slab alone gives 1.0)
    escape=0.75,
    train=dict(RECIPES["synthetic"], eps=0.02, patience=0, max_updates=800_000, eval_every=250),
    # the two cells of the extreme-SB chapter, rerun with the official loop's cap and four
    # times its largest sample: d = 250 with the (2000,1)-FCN, and d = 50 with S removed.
    # "control-long" keeps the S-removed (100,1)-FCN cell's own 50,000 points and changes
    # only the cap (4 of its 5 runs were still on the plateau at 100,000 updates): it tells
    # the cap from the sample, and a 2-core CPU runs it
    reruns={"wide": dict(d=250, n_train=400_000, model=[2000, 1], drop_S=False),
            "control": dict(d=50, n_train=200_000, model=[2000, 1], drop_S=True),
            "control-long": dict(d=50, n_train=50_000, model=[100, 1], drop_S=True)},
)

PROFILES = {
    "paper": PAPER,
    "quick": derive(
        PAPER, n_val=1_000, n_test=1_000, seeds=[0, 1],
        sweep_d=dict(ds=[20, 35, 50], n_train=20_000),
        sweep_n=dict(ds=[35], n_trains=[10_000, 40_000]),
        train=dict(max_updates=15_000),
        # the paper profile's: minutes to hours of CPU each (wide, at d = 250, the most)
        reruns={"wide": None, "control": None, "control-long": None}),
    "smoke": derive(
        PAPER, n_val=200, n_test=200, seeds=[0, 1], model=[20, 1],
        sweep_d=dict(ds=[5, 10], n_train=1_000), sweep_n=dict(ds=[5], n_trains=[500]),
        train=dict(max_updates=400, eval_every=50),
        reruns={"wide": dict(d=10, n_train=500, model=[20, 1], drop_S=False),
                "control": dict(d=5, n_train=500, model=[20, 1], drop_S=True),
                "control-long": dict(d=5, n_train=200, model=[20, 1], drop_S=True)}),
}

VIEWS = {"paper": {}, "quick": {}, "smoke": {}}

QUICK_REDUCTION = (
    "d up to 50 instead of 250 at 20,000 training points instead of 50,000; the sample-size "
    "sweep at d = 35 with 10,000 and 40,000 points; 2 seeds instead of 5; update cap 15,000 "
    "instead of 800,000; 1,000 validation points instead of 5,000.")
# What the smoke profile is for, after "**The smoke profile**" (studies.notes.profile_notes).
SMOKE_NOTE = "shrinks everything only to exercise the code."
