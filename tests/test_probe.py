"""The linear probe on frozen features (sbcore.reliance.probe), on oracles."""

import numpy as np
import pytest
import torch
from torch import nn

from sbcore.reliance.probe import last_linear, penultimate_features, probe_accuracy


def test_features_are_what_the_head_receives():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    X = np.random.default_rng(0).normal(size=(7, 4)).astype(np.float32)
    got = penultimate_features(model, X, batch_size=3)
    want = torch.relu(model[0](torch.as_tensor(X))).detach().numpy()
    np.testing.assert_allclose(got, want, atol=1e-6)
    assert last_linear(model) is model[2]
    with pytest.raises(ValueError, match="has no nn.Linear head"):
        last_linear(nn.Sequential(nn.ReLU()))


def test_probe_reads_a_separable_target_and_not_noise():
    rng = np.random.default_rng(1)
    F = rng.normal(size=(2000, 20))
    separable = (F[:, 3] - 0.5 * F[:, 7] > 0).astype(int)
    noise = rng.integers(0, 2, 2000)
    assert probe_accuracy(F, separable) > 0.97
    assert abs(probe_accuracy(F, noise) - 0.5) < 0.05
    with pytest.raises(ValueError, match="features must be"):
        probe_accuracy(F[:, 0], separable)
