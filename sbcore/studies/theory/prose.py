"""The theory chapter's paragraphs whose shape depends on what the study found (written from
``findings`` only: no table, no threshold)."""

from __future__ import annotations

from sbcore.studies.theory.findings import CHANCE_TOL, Variants


def variant_verdict(f: Variants) -> str:
    """Whether the pushed-assumption runs still ignore the slab coordinate, in one sentence
    (markdown): every variant at chance, or the list of those that leave it."""
    if f.all_at_chance:
        return (f"In every variant, accuracy with the linear coordinate randomised stays within "
                f"{f.max_from_chance:.3f} of chance: the network still ignores the slab "
                "coordinate, so the theorem's conclusion survives every relaxation tried here.")
    names = ", ".join(f'"{n}" ({v:.3f})' for n, v in f.off_chance.items())
    return (f"Accuracy with the linear coordinate randomised leaves chance (by more than "
            f"{CHANCE_TOL}) in: {names}; there the network uses more than the linear "
            "coordinate and the theorem's conclusion does not carry over.")


def stored_sweep_note(device: str | None) -> str:
    """The line introducing the stored paper-scale run's sweep over d (``findings.
    stored_sweep_device``), or "" when there is none."""
    if device is None:
        return ""
    return f"The same sweep from the stored paper-scale run (profile paper, device {device}):"
