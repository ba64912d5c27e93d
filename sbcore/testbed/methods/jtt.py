"""Just Train Twice (Liu et al., ICML 2021, arXiv 2107.09044), the control: train briefly,
take the training points it gets wrong, repeat them ``upweight`` times and train afresh. When S
predicts every training label there is nothing to repeat, and JTT is ERM; on noisy LMS-7 what
it repeats is the noise inside the linear coordinate's margin."""

import numpy as np

from sbcore.data.synthetic import Split
from sbcore.reliance import as_scorer
from sbcore.testbed.protocol import Method


def upweighted(split: Split, wrong: np.ndarray, factor: int) -> Split:
    """The split with each row marked ``wrong`` appearing ``factor`` times in all."""
    wrong = np.asarray(wrong, dtype=bool)
    rows = np.concatenate([np.arange(len(split.y))] +
                          [np.flatnonzero(wrong)] * (int(factor) - 1))
    return Split(split.X[rows], split.y[rows])


def train(view, config, seed, device):
    short = max(1, round(config["identify"] * view.recipe.max_updates))
    first = view.fit(view.new_model(seed), seed, device=device, max_updates=short,
                     eval_every=min(short, view.recipe.eval_every)).model
    wrong = (as_scorer(first)(view.train.X) > 0).astype(int) != view.train.y
    view.notes["errors upweighted"] = int(wrong.sum())
    return view.fit(view.new_model(seed + 10_000), seed,
                    train=upweighted(view.train, wrong, config["upweight"]),
                    device=device).model


# the identifier trains a fifth of the recipe's updates; upweight 100: within JTT's own grid
JTT = Method("JTT", "none", train, config=dict(identify=0.2, upweight=100),
             citation="Liu et al., ICML 2021, arXiv 2107.09044")
