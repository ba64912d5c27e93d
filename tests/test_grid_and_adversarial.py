"""The grid trainer (per-model SGD settings in one stack) and adversarial training's inner
attack (PGDAdversary with fit's ``perturb``)."""

from __future__ import annotations

import pytest
import torch

from sbcore.attacks import PGDAdversary
from sbcore.data import make_dataset
from sbcore.training import TrainConfig, fit, fit_many, init_fcn, train, train_grid, train_many


@pytest.fixture(scope="module")
def noisy():
    return make_dataset("noisy-lms-7", n_train=600, n_val=200, n_test=200, d=10, seed=0)


def _flat(model) -> torch.Tensor:
    return torch.cat([p.detach().flatten() for p in model.parameters()])


def test_grid_point_matches_training_it_alone(noisy):
    grid = [dict(lr=lr, batch_size=b, momentum=m, weight_decay=wd)
            for lr, b, m, wd in [(0.01, 16, 0.0, 0.0), (0.3, 16, 0.9, 5e-4),
                                 (0.1, 64, 0.95, 0.0), (0.05, 64, 0.0, 5e-4),
                                 (0.1, 16, 0.0, 5e-5)]]
    base = dict(stop="loss", eps=0.05, patience=10, max_updates=200, eval_every=20)
    configs = [TrainConfig(**g, **base) for g in grid]
    seeds = [3, 1, 4, 1, 5]
    together = train_grid(noisy, 16, 2, configs, seeds, progress=False)
    for config, seed, r in zip(configs, seeds, together):
        alone = train(noisy, 16, 2, config, seed, progress=False)
        assert torch.allclose(_flat(r.model), _flat(alone.model), atol=1e-5)
        assert r.updates == alone.updates and r.stop_update == alone.stop_update
        assert r.selected_update == alone.selected_update
    # the settings reached the models: different points end in different places
    assert len({round(float(_flat(r.model).norm()), 4) for r in together}) == len(configs)


def test_grid_divergent_point_stops_alone(noisy):
    configs = [TrainConfig(lr=lr, batch_size=32, stop="loss", eps=1e-6, max_updates=100,
                           eval_every=10, patience=0) for lr in (1e6, 0.1)]
    bad, good = train_grid(noisy, 16, 1, configs, [0, 0], progress=False)
    assert bad.diverged and not bad.converged and bad.updates < 100
    assert not good.diverged and good.updates == 100


@pytest.mark.parametrize("change, message", [
    (dict(optimizer="adam", lr=1e-3), "optimizer must be 'sgd'"),
    (dict(eval_every=7), "differs from configs[0] in eval_every"),
])
def test_grid_refuses_what_it_cannot_vary(noisy, change, message):
    configs = [TrainConfig(), TrainConfig(**change)]
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        train_grid(noisy, 8, 1, configs, [0, 1], progress=False)
    with pytest.raises(ValueError, match="one seed per config"):
        train_grid(noisy, 8, 1, [TrainConfig()], [0, 1], progress=False)


@pytest.mark.parametrize("norm", ["l2", "linf"])
def test_adversary_stays_in_each_models_ball_and_the_bounds(norm):
    torch.manual_seed(0)
    models = [init_fcn(12, 16, 1, s).eval() for s in (0, 1)]

    def logits(x):  # (2, b, 12) -> (2, b, 2): each model on its own rows
        return torch.stack([m(xi) for m, xi in zip(models, x)])

    x = torch.rand(2, 64, 12)
    y = torch.randint(0, 2, (2, 64))
    adv = PGDAdversary([0.3, 0.1], norm=norm, iters=5, bounds=(0.0, 1.0), seed=0)
    delta = adv(logits, x, y, [0, 1]) - x
    size = delta.norm(dim=-1) if norm == "l2" else delta.abs().amax(dim=-1)
    assert float(size[0].max()) <= 0.3 + 1e-6 and float(size[1].max()) <= 0.1 + 1e-6
    assert float(size[0].max()) > 0.1  # the larger ball is used
    assert float((x + delta).min()) >= 0.0 and float((x + delta).max()) <= 1.0
    # the attack raises each model's loss over its clean batch
    ce = torch.nn.functional.cross_entropy
    with torch.no_grad():
        for i, m in enumerate(models):
            assert float(ce(m(x[i] + delta[i]), y[i])) > float(ce(m(x[i]), y[i]))
    # reproducible from its seed; the models' parameters are untouched
    again = PGDAdversary([0.3, 0.1], norm=norm, iters=5, bounds=(0.0, 1.0), seed=0)
    assert torch.equal(again(logits, x, y, [0, 1]) - x, delta)
    assert all(p.grad is None for m in models for p in m.parameters())


def test_adversarial_training_changes_training_and_is_reproducible(noisy):
    config = TrainConfig(lr=0.1, batch_size=64, max_updates=60, eval_every=20, patience=0)
    start = init_fcn(noisy.d, 16, 1, 0)
    clean = fit(start, noisy, config, 0, progress=False)
    adv = [fit(start, noisy, config, 0, progress=False,
               perturb=PGDAdversary(0.5, norm="l2", iters=3, seed=0)) for _ in range(2)]
    assert torch.equal(_flat(adv[0].model), _flat(adv[1].model))
    assert not torch.allclose(_flat(adv[0].model), _flat(clean.model))
    with pytest.raises(ValueError, match="perturb must be None or a callable"):
        fit(start, noisy, config, 0, progress=False, perturb=0.3)


@pytest.mark.parametrize("many", ["train_many", "fit_many"])
def test_stacked_adversarial_training_with_a_radius_per_model_matches_each_alone(noisy, many):
    """A sweep over radii as one stack (the AdvMS part of chapter 10): with a fixed start
    (no random draw), model i trains as fit does alone at its radius; a step schedule too."""
    config = TrainConfig(lr=0.1, batch_size=64, stop="none", max_updates=40, eval_every=20,
                         lr_decay=0.5, lr_decay_every=15)
    radii, seeds = [0.0, 0.2, 0.5], [0, 1, 2]  # radius 0: clean batches
    adv = PGDAdversary(radii, norm="l2", iters=3, random_start=False)
    if many == "train_many":
        together = train_many(noisy, 16, 1, config, seeds, progress=False, perturb=adv)
    else:
        together = fit_many([init_fcn(noisy.d, 16, 1, s) for s in seeds], noisy, config, seeds,
                            progress=False, perturb=adv)
    for eps, seed, r in zip(radii, seeds, together):
        alone = fit(init_fcn(noisy.d, 16, 1, seed), noisy, config, seed, progress=False,
                    perturb=PGDAdversary(eps, norm="l2", iters=3, random_start=False))
        assert r.updates == alone.updates == 40 and not r.converged
        assert torch.allclose(_flat(r.model), _flat(alone.model), atol=1e-4)
    assert not torch.allclose(_flat(together[0].model), _flat(together[2].model))


@pytest.mark.parametrize("kwargs, name", [
    (dict(eps=-0.1), "eps"), (dict(eps=0.1, norm="l1"), "norm"),
    (dict(eps=0.1, iters=0), "iters"), (dict(eps=0.1, bounds=(1.0, 0.0)), "bounds"),
    (dict(eps=0.1, step=-1.0), "step"),
])
def test_adversary_bad_inputs_name_the_parameter(kwargs, name):
    with pytest.raises(ValueError, match=name):
        PGDAdversary(**kwargs)


