"""Spectral Decoupling (Pezeshki et al., "Gradient Starvation", NeurIPS 2021, arXiv
2011.09468): the cross-entropy plus an l2 penalty on the logits, (lam / 2) |z|², which keeps a
feature that already fits the labels from starving the others of gradient."""

from torch import nn

from sbcore.testbed.protocol import Method


def penalty(logits, lam: float):
    """(lam / 2) times the mean over the batch of the squared norm of each row's logits."""
    return 0.5 * lam * logits.pow(2).sum(1).mean()


class Objective:
    def __init__(self, lam: float):
        self.lam, self.name = lam, f"spectral decoupling lam={lam:g}"

    def __call__(self, model, x, y):
        z = model(x)
        return nn.functional.cross_entropy(z, y) + penalty(z, self.lam)


def train(view, config, seed, device):
    return view.fit(view.new_model(seed), seed, objective=Objective(config["lam"]),
                    device=device).model


# lam: the sweep's middle; the paper's two-moons run used 0.003 (Figure_3/moon_fig_3.py)
SPECTRAL_DECOUPLING = Method("Spectral Decoupling", "none", train, config=dict(lam=0.1),
                             citation="Pezeshki et al., NeurIPS 2021, arXiv 2011.09468")
