"""The theory chapter's paragraphs whose shape depends on what the study found (written from
``findings`` only: no table, no threshold)."""

from __future__ import annotations

from sbcore.studies.theory.findings import CHANCE_TOL, Variants


def variant_verdict(f: Variants) -> str:
    """The pushed-assumption runs in two sentences (markdown): does the network still ignore
    the slab coordinate, and how far does the theorem's picture move."""
    if f.all_at_chance:
        first = (f"In every variant, accuracy with the linear coordinate randomised stays within "
                 f"{f.max_from_chance:.3f} of chance: the network still ignores the slab "
                 "coordinate, so the theorem's conclusion survives every relaxation tried here.")
    else:
        names = ", ".join(f'"{n}" ({v:.3f})' for n, v in f.off_chance.items())
        first = (f"Accuracy with the linear coordinate randomised leaves chance (by more than "
                 f"{CHANCE_TOL}) in: {names}; there the network uses more than the linear "
                 "coordinate and the theorem's conclusion does not carry over.")
    second = (f"The quantitative picture moves more: the ratio of linear to slab weight falls to "
              f"{f.ratio[0]:.1f} (\"{f.ratio[1]}\"), the slab weight grows up to "
              f"{f.growth[0]:.2f}-fold (\"{f.growth[1]}\"), yet it ends between "
              f"{f.vs_noise[0]:.2f} and {f.vs_noise[1]:.2f} times the weight of a single pure "
              f"noise coordinate; the lowest test accuracy is {f.accuracy[0]:.3f} "
              f"(\"{f.accuracy[1]}\").")
    return first + " " + second


def stored_sweep_note(device: str | None) -> str:
    """The line introducing the stored paper-scale run's sweep over d (``findings.
    stored_sweep_device``), or "" when there is none."""
    if device is None:
        return ""
    return f"The same sweep from the stored paper-scale run (profile paper, device {device}):"
