"""Ensembles and adversarial training do not help (App. E of the paper: Fig. 6, Fig. 7 and
Table 11): the settings of each profile (compute settings are hashed into store keys;
``VIEWS`` are how the chapter draws them, never hashed).

The paper profile is the reference; quick and smoke override it and say why.
"""

from sbcore.profiles import derive
from sbcore.studies.images.settings import RECIPE
from sbcore.training.config import RECIPES

# The two PGD settings for Table 11's adversarial training (l-infinity, eps 0.3): the paper's
# text (App. B) and the official code (notebook 05, ptb_utils.Linf_PGD_Attack).
ATTACKS = {"paper": dict(step=0.1, iters=40), "code": dict(step=0.12, iters=7)}

PAPER = dict(
    data_seed=0, seeds=[0, 1, 2],
    # Fig. 6 (App. E.1): ensembles of (100,2)-FCNs on MS-5 and on noisy LMS-7 with p = 0.5.
    # The paper only says the training set is "small enough to overfit", with single models
    # near 75%. At d = 50, 4,000 MS-5 points give single (100,2)-FCNs about 0.75 (2,000 give
    # chance: they memorise; 5,000 about 0.84); noisy LMS-7 caps single models at 0.75 at any
    # size, 2,000 points memorise the noise quickly. A pool of ``members`` networks trained
    # together; ensembles of each size are disjoint groups of the pool (several independent
    # ensembles per size). The stacker is fit on the validation split.
    ensembles=dict(datasets=["ms-5", "noisy-lms-7"], n_train={"ms-5": 4_000,
                                                             "noisy-lms-7": 2_000},
                   d=50, p=0.5, n_val=1_000, n_test=10_000, width=100, depth=2, members=50,
                   sizes=[1, 3, 5, 10],
                   train=dict(RECIPES["synthetic"], eps=1e-3, patience=100, max_updates=20_000,
                              eval_every=100),
                   # per-dataset update caps (the noisy linear coordinate's noise takes long
                   # to memorise and changes nothing the figure reads once the members sit
                   # at 75%)
                   max_updates={"ms-5": 20_000, "noisy-lms-7": 20_000}),
    # What makes Fig. 6's ensemble gain: pools of the Fig. 6 MS-5 setting (``start``) with one
    # or two things changed per point (the network's width, the training size, the momentum,
    # the batch, the update cap), each pool cut into disjoint ensembles of each size and
    # aggregated by averaging logits, with how different its members are. Same recipe and
    # update cap as the ensembles above unless a point changes them: capped at 4,000 updates
    # instead of 20,000, (20,2)-FCNs stop before they fit their training set (at 20,000 they
    # meet the stop rule or come close); (100,2)-FCNs capped at 2,000 stop near chance.
    sweep=dict(dataset="ms-5", d=50, n_test=10_000, depth=2, members=20, sizes=[1, 5, 10],
               start=dict(width=100, n_train=4_000, lr=0.1, momentum=0.0, batch_size=256),
               points=[{}, dict(width=20), dict(width=50), dict(n_train=2_000),
                       dict(n_train=8_000), dict(momentum=0.9), dict(batch_size=32),
                       dict(width=20, n_train=8_000), dict(width=20, max_updates=4_000),
                       dict(max_updates=2_000)],
               train=dict(RECIPES["synthetic"], eps=1e-3, patience=100, max_updates=20_000,
                          eval_every=100)),
    # Fig. 7 (App. E.2.1): l2 adversarial training on AdvMS-(5,7), d = 20, 6,000 points,
    # 4,000 epochs at lr 0.1 decayed x0.1 every 1,000 epochs; PGD as the paper states it
    # (step 0.1, 40 iterations); robust accuracy measured with a 20-step PGD at the training
    # radius. The last iterate is kept (the paper's fixed schedule). Cost: 4,000 epochs of 24
    # updates, each 41 forward/backward passes of the seeds stacked, about 3.9 million
    # passes per entry: whether one (model, eps) fits a 10-minute GPU slice is unmeasured
    # (no GPU here); if not, a GPU session should split the seeds into entries.
    advms=dict(dataset="advms-5-7", d=20, n_train=6_000, n_val=1_000, n_test=5_000,
               models=["(200,2)-FCN", "(1000,2)-FCN"],
               eps=[0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4],
               epochs=4_000, **{k: RECIPES["synthetic"][k]
                                for k in ("lr", "momentum", "weight_decay", "batch_size")},
               lr_decay=0.1, lr_decay_epochs=1_000, iters=40, step=0.1,
               eval_iters=20, seeds=3,
               gamma_s=0.30, gamma_data=0.62),
    # Table 11 (App. E.2.2): l-infinity adversarial training (eps 0.3, pixels in [0, 1]) of the
    # image CNNs on the dominoes, beside plain SGD; the paper's PGD (step 0.1, 40 iterations)
    # and the official code's (step 0.12, 7 iterations) both run. Notebook 05 trains at most
    # 200 epochs and stops once the *adversarial* training loss is below 0.001, keeping the
    # checkpoint with the lowest adversarial test error. ``fit`` watches clean data only: here
    # the image recipe's stop rule (clean training loss < 0.01) ends a run, with at most 200
    # epochs, and the last checkpoint is kept (no validation split). An AT run may therefore
    # stop before it is robust; its robust accuracy in the table shows whether it did.
    table11=dict(dominoes=["mnist-fashion", "mnist-cifar"], variant="A",
                 models=["MobileNetV2", "GoogLeNet", "ResNet50", "DenseNet121"],
                 n_train=None, n_test=None, eps=0.3,
                 attacks=["paper", "code"],
                 # adversarial training at eps from the start (1 stage), or in k stages of
                 # growing radius eps/k, 2 eps/k, ..., eps, ``train`` each
                 eps_stages=1,
                 train=dict(RECIPE, max_epochs=200), sgd_train=RECIPE, n_eval=2_000, seeds=3),
)

PROFILES = {
    "paper": PAPER,
    "quick": derive(
        PAPER, seeds=[0, 1, 2],
        ensembles=dict(members=10, n_test=1_000, n_val=500,
                       max_updates={"ms-5": 4_000, "noisy-lms-7": 600}),
        sweep=dict(members=10, n_test=1_000, points=[{}, dict(width=20, max_updates=4_000)]),
        advms=dict(models=["(200,2)-FCN"], eps=[0.1, 0.3], n_test=1_000, n_val=500,
                   epochs=40, momentum=0.9, lr_decay_epochs=1_000, iters=2, step=None,
                   eval_iters=10, seeds=2),
        table11=dict(dominoes=["mnist-fashion"], models=["SmallCNN"], n_train=1_000,
                     n_test=500, attacks=["code"], seeds=1, eps_stages=6,
                     train=dict(max_epochs=3, batch_size=64, stop="none"),
                     sgd_train=dict(max_epochs=15), n_eval=300)),
    "smoke": derive(
        PAPER, seeds=[0, 1],
        ensembles=dict(d=10, n_train={"ms-5": 600, "noisy-lms-7": 400}, members=6,
                       sizes=[1, 3], n_test=400, n_val=200, width=16,
                       train=dict(eval_every=50), max_updates={"ms-5": 150,
                                                                "noisy-lms-7": 150}),
        sweep=dict(d=20, members=10, n_test=1_000, start=dict(width=64, n_train=1_000),
                   points=[{}, dict(width=8)], train=dict(max_updates=2_000)),
        advms=dict(models=["(16,2)-FCN"], eps=[0.0, 0.3], n_train=400, n_test=200,
                   n_val=100, epochs=2, iters=2, step=None, eval_iters=3, seeds=2),
        table11=dict(dominoes=["mnist-fashion"], models=["SmallCNN"], n_train=200,
                     n_test=100, attacks=["code"], seeds=1,
                     train=dict(max_epochs=1), sgd_train=dict(max_epochs=1), n_eval=100)),
}

VIEWS = {"paper": {}, "quick": {}, "smoke": {}}

QUICK_REDUCTION = (
    "the sweep of what makes the ensembles gain: 2 of its 10 settings (Fig. 6's, and width 20 "
    "stopped at 4,000 updates), pools of 10 instead of 20 and 1,000 test points; "
    "ensembles: a pool of 10 members per dataset instead of 50 (one ensemble of 10, two of 5, "
    "three of 3), 1,000 test points, at most 4,000 updates on MS-5 (a few members stop "
    "there before their last training points are memorised) and 600 on noisy LMS-7 (the "
    "members do not memorise its noise within them, and their test accuracy is capped by "
    "the noise either way); AdvMS-(5,7): the (200,2)-FCN only "
    "(the (1000,2) costs 25 times as much), radii 0.1 and 0.3 only, 2 seeds, 40 epochs "
    "(960 updates) instead of 4,000 and therefore SGD with momentum 0.9 (without it a "
    "(200,2)-FCN needs about 2,500 updates to leave the plateau even on clean data), PGD with "
    "2 steps of 1.25 eps instead of 40 of 0.1 in training (one adversarial update of the "
    "(200,2)-FCN costs about 12 ms on one CPU thread with 7 steps; the robust accuracy is "
    "still measured with a 10-step PGD); Table 11: the MNIST / Fashion-MNIST "
    "domino with SmallCNN, 1,000 training and 500 test dominoes (robust accuracy on the "
    "first 300), 1 seed (the chapter's budget; the paper profile runs 3), SGD at most 15 "
    "epochs, the official code's 7-step attack only; adversarial training with an ε warm-up, "
    "6 stages of 3 epochs at batch 64 (ε = 0.05, 0.1, ..., 0.3, the attack's step scaled "
    "with ε; 288 updates, about 40 s on one CPU thread) instead of at most 200 epochs at "
    "ε = 0.3 from the start: at ε = 0.3 from the start the CNN stays at chance within this "
    "budget (1 to 10 epochs, batch 64 or 256, learning rate 0.05 or 0.01, or a warm start "
    "from the 15-epoch SGD model), and so does a warm-up in 3 stages (of 2 epochs at learning "
    "rate 0.05, or of 3 at 0.01); a "
    "one-step attack with a random start learns the clean task in 10 epochs but is not robust "
    "at ε = 0.3; 4 stages of 4 epochs, or 6 stages of 2, learn the clean task but are robust "
    "on fewer test dominoes than 6 stages of 3.")
# What the smoke profile is for, after "**The smoke profile**" (studies.notes.profile_notes).
SMOKE_NOTE = ("shrinks everything (d = 10, tiny networks, a few hundred updates) only to "
              "exercise the code.")
