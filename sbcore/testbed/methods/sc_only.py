"""The Sᶜ-only ceiling (a diagnostic, never ranked): ERM on the training set with its S block
shuffled across rows, so that only Sᶜ predicts the label. How well the complex block alone
can do: the most a method that uses Sᶜ could reach on the S-randomised test set."""

from sbcore.testbed.protocol import Method


def train(view, config, seed, device):
    return view.fit(view.new_model(seed), seed, train=view.without_s(view.train),
                    device=device).model


SC_ONLY = Method("Sc-only ceiling", "none", train, diagnostic=True,
                 citation="the paper's S-randomised training (chapter 03's control)")
