"""The datasets chapter's figures (01_datasets), in the house style of ``sbcore.book.viz``."""

from __future__ import annotations

import numpy as np

from sbcore.book import viz
from sbcore.data import make_dataset
from sbcore.studies.datasets.study import block_samples, gamma_frames


def _settings(result) -> dict:
    return result.provenance["config"]["config"]


def samples(result, seed: int = 0) -> dict:
    """One draw of every block for the same labels, at the entry's size and settings."""
    c = _settings(result)
    return block_samples(c["n"], seed, c["gamma"], c["B"], c["p"], c["ks"])


def block_histograms(result, seed: int = 0):
    """Every block's histogram per class, the slabs shaded."""
    c = _settings(result)
    shade = {f"{k}-slab": (k, c["gamma"], c["B"]) for k in c["ks"]}
    return viz.plot_block_histograms(samples(result, seed), shade=shade, ncols=3)


def slab_strips(result, seed: int = 0):
    """The k-slab blocks as strips of points, one row per k."""
    c = _settings(result)
    s = samples(result, seed)
    return viz.plot_slab_strips({k: s[f"{k}-slab"] for k in c["ks"]}, c["gamma"], c["B"])


def noisy_linear(result, seed: int = 0):
    """The linear and the noisy linear block side by side, the margin shaded."""
    c = _settings(result)
    s = samples(result, seed)
    noisy = f"noisy linear (p={c['p']:g})"
    fig = viz.plot_block_histograms({"linear": s["linear"], noisy: s[noisy]}, ncols=2,
                                    panel_size=(3.8, 2.4))
    for ax in fig.axes[:2]:
        ax.axvspan(-c["gamma"] * c["B"], c["gamma"] * c["B"], color="#999999", alpha=0.15, lw=0)
    return fig


def _canonical(name: str, n: int, seed: int, **kw):
    data = make_dataset(name, n_train=n, n_test=1, seed=seed, **kw)
    return data, data.unrotate(data.train.X.astype(np.float64)), data.train.y


def lms_canonical(result, seed: int = 0):
    """LMS-5 in its first two canonical coordinates: the linear S against one 5-slab."""
    c = _settings(result)
    _, Z, y = _canonical("lms-5", c["n"], seed)
    lim = (-1.1 * c["B"], 1.1 * c["B"])
    return viz.plot_pairs([dict(a=Z[:, 0], b=Z[:, 1], y=y, xlabel="coordinate 0 (linear, S)",
                                ylabel="coordinate 1 (5-slab)", title="LMS-5, canonical",
                                shade_y=(5, c["gamma"], c["B"]), lim=lim)],
                          panel_size=(4.4, 4.0))


def rotation(result, seed: int = 0):
    """LMS-5 before the rotation, as the model sees it, and along the hidden linear direction
    (the projection on Q's first row)."""
    data, Z, y = _canonical("lms-5", _settings(result)["n"], seed)
    X = data.train.X
    return viz.plot_pairs([
        dict(a=Z[:, 0], b=Z[:, 1], y=y, xlabel="canonical 0 (linear)",
             ylabel="canonical 1 (5-slab)", title="before the rotation"),
        dict(a=X[:, 0], b=X[:, 1], y=y, xlabel="rotated 0", ylabel="rotated 1",
             title="what the model sees"),
        dict(a=X @ data.Q[0], b=X[:, 1], y=y, xlabel="along Q's first row",
             ylabel="rotated 1", title="the hidden linear direction"),
    ], panel_size=(3.4, 3.3))


def other_datasets(result, seed: int = 0, jitter: float = 0.08):
    """LSN (jittered, its coordinates take few values), MS-(5,7) and AdvMS-(5,7) in two
    canonical coordinates each."""
    c = _settings(result)
    gamma, B, n = c["gamma"], c["B"], c["n"]
    _, Zl, yl = _canonical("lsn", n, seed, d=5)
    _, Zm, ym = _canonical("ms-5-7", n, seed, d=5)
    adv, Za, ya = _canonical("advms-5-7", n, seed)
    shake = np.random.default_rng(seed).uniform(-jitter, jitter, size=(len(yl), 2))
    b5, b7 = adv.blocks[adv.S[0]], adv.blocks[adv.Sc[0]]
    lim = (-1.1 * B, 1.1 * B)
    return viz.plot_pairs([
        dict(a=Zl[:, 0] + shake[:, 0], b=Zl[:, 1] + shake[:, 1], y=yl,
             xlabel="x1 = y (linear), jittered", ylabel="x2 (3-slab), jittered", title="LSN"),
        dict(a=Zm[:, 0], b=Zm[:, 1], y=ym, xlabel="coordinate 0 (5-slab, S)",
             ylabel="coordinate 1 (7-slab)", title="MS-(5,7)", shade_x=(5, gamma, B),
             shade_y=(7, gamma, B), lim=lim),
        dict(a=Za[:, adv.S[0]], b=Za[:, adv.Sc[0]], y=ya,
             xlabel=f"a 5-slab of S (γ = {b5.gamma:g})",
             ylabel=f"a 7-slab of $S^c$ (γ = {b7.gamma:g})", title="AdvMS-(5,7)",
             shade_x=(5, b5.gamma, B), shade_y=(7, b7.gamma, B), lim=lim),
    ], panel_size=(3.4, 3.3))


def margin_animation_html(frames: int, n_frame: int, seed: int = 0) -> str:
    """The linear and 5-slab blocks as the margin grows: precomputed frames as HTML/JS."""
    return viz.animation_html(viz.margin_animation(gamma_frames(n_frame, frames, seed)))
