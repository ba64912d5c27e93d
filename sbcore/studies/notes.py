"""The profile notes a results chapter shows under its opening, one function for every study
(on the studies' floor: it reads their settings).

Each study states them in its ``settings.py``, beside the profiles they describe:
``QUICK_REDUCTION`` (what the quick profile reduces), ``SMOKE_NOTE`` (what the smoke profile
does, after "**The smoke profile**"), and optionally ``PAPER_NOTE`` (a note shown at the paper
profile only) and ``CHOICES`` (the keys of ``profiles.PAPER_CHOICES`` that matter to the
study, shown at every profile).
"""

from __future__ import annotations

from sbcore.profiles import PAPER_CHOICES, check_profile
from sbcore.studies import load


def profile_notes(study: str, profile: str) -> list[str]:
    """Markdown paragraphs: the paper profile's choices the study names (at every profile), then
    what the quick or smoke profile reduces, or the study's note for the paper profile."""
    check_profile(profile)
    s = load(study, "settings")
    out = []
    if getattr(s, "CHOICES", ()):
        notes = {k: v for k, v in PAPER_CHOICES.items() if k in s.CHOICES}
        out.append("**The paper profile's choices** (where paper and official code disagree):\n\n"
                   + "\n".join(f"* *{k}*: {v}" for k, v in notes.items()))
    if profile == "quick":
        out.append("**Reductions of the quick profile.** " + s.QUICK_REDUCTION)
    elif profile == "smoke":
        out.append("**The smoke profile** " + s.SMOKE_NOTE)
    elif getattr(s, "PAPER_NOTE", ""):
        out.append(s.PAPER_NOTE)
    return out
