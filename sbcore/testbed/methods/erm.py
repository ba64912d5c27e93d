"""ERM: the book's recipe, the baseline every other method is read against."""

from sbcore.testbed.protocol import Method


def train(view, config, seed, device):
    return view.fit(view.new_model(seed), seed, device=device).model


ERM = Method("ERM", "none", train, citation="the paper's recipe (App. B)")
