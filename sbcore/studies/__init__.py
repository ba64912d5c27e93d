"""Studies: one folder per chapter (its settings per profile, study, tables, figures), and the
registry of them: ``STUDIES``, each study's modules by name (``load``) and its settings
(``section``, ``view``, ``quick_reductions``), read from ``sbcore/studies/<study>/settings.py``.
"""

from __future__ import annotations

import copy
import importlib

from sbcore.profiles import check_profile

STUDIES = ("datasets", "measuring", "extreme_sb", "theory", "toolbox", "plateau",
           "images", "perturbations", "generalisation", "defences", "testbed")


def load(name: str, part: str):
    """``sbcore.studies.<name>.<part>`` (``part``: "study" or "settings"); ValueError listing
    the studies for an unknown name."""
    if name not in STUDIES:
        if part == "settings":
            raise ValueError(f"no study settings {name!r}; studies: {', '.join(STUDIES)}")
        raise ValueError(f"study {name!r} is unknown; known: {', '.join(STUDIES)}")
    return importlib.import_module(f"sbcore.studies.{name}.{part}")


def section(profile: str, name: str) -> dict:
    """A deep copy of one study's compute settings under a profile."""
    check_profile(profile)
    return copy.deepcopy(load(name, "settings").PROFILES[profile])


def view(profile: str, name: str) -> dict:
    """A copy of one study's display settings under a profile (never hashed)."""
    check_profile(profile)
    return copy.deepcopy(getattr(load(name, "settings"), "VIEWS", {}).get(profile, {}))


def quick_reductions() -> dict[str, str]:
    """Each study's reductions at the quick profile, by study."""
    return {name: load(name, "settings").QUICK_REDUCTION for name in STUDIES
            if getattr(load(name, "settings"), "QUICK_REDUCTION", "")}
