"""Theorem 1's runs: the settings of each profile (compute settings are hashed into store
keys; ``VIEWS`` are how the chapter draws them, never hashed)."""

from sbcore.profiles import derive

VARIANT_NAMES = ["theorem", "batch 32", "batch 8", "10x steps", "plain SGD", "trained 2nd layer",
                 "trained 2nd layer, 10x steps", "fan-in init", "all pushed"]

PAPER = dict(
    seed=0, init_reading="lemma", batch_factor=1.0, n_test=10_000,
    main=dict(d=200, k=50, runs=10),
    sweep_d=dict(ds=[25, 50, 100, 200, 400, 800], k=50, runs=10),
    sweep_k=dict(d=200, ks=[2, 8, 32, 128, 512, 2048], runs=10),
    variants=dict(d=200, k=50, runs=10, names=VARIANT_NAMES))

PROFILES = {
    "paper": PAPER,
    "quick": derive(
        PAPER, n_test=5_000, main=dict(d=50, k=20, runs=5),
        sweep_d=dict(ds=[10, 20, 40, 80, 160], k=20, runs=5),
        sweep_k=dict(d=50, ks=[2, 8, 32, 128, 512], runs=5),
        variants=dict(d=50, k=20, runs=5)),
    "smoke": derive(
        PAPER, n_test=500, main=dict(d=12, k=8, runs=2),
        sweep_d=dict(ds=[8, 16], k=8, runs=2), sweep_k=dict(d=12, ks=[2, 8], runs=2),
        variants=dict(d=12, k=8, runs=2,  # one of each kind of pushed assumption
                      names=["theorem", "batch 8", "plain SGD", "trained 2nd layer",
                             "all pushed"])),
}

VIEWS = {"paper": dict(animation_frames=30), "quick": dict(animation_frames=30),
         "smoke": dict(animation_frames=2)}

QUICK_REDUCTION = (
    "the theorem's setting at d = 50, k = 20 instead of d = 200, k = 50; d swept up to 160 "
    "(paper profile 800), k up to 512 (paper 2048); 5 seeds instead of 10; 5,000 test points "
    "instead of 10,000.")
