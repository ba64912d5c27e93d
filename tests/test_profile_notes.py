"""One profile_notes for every study (studies.notes), and one table of dataset display names."""

import pytest

from sbcore.data import DATASETS
from sbcore.data.labels import DATASET_LABELS, dataset_label
from sbcore.studies import STUDIES, load, quick_reductions
from sbcore.studies.notes import profile_notes

WITH_NOTES = ("images", "perturbations", "extreme_sb", "generalisation", "defences", "toolbox",
              "plateau", "testbed")


@pytest.mark.parametrize("study", WITH_NOTES)
def test_each_profile_gets_its_note(study):
    quick, smoke = profile_notes(study, "quick")[-1], profile_notes(study, "smoke")[-1]
    assert quick == "**Reductions of the quick profile.** " + quick_reductions()[study]
    assert smoke.startswith("**The smoke profile** ") and smoke.endswith("exercise the code.")
    paper = profile_notes(study, "paper")
    assert len(paper) == bool(getattr(load(study, "settings"), "CHOICES", ())) + \
        bool(getattr(load(study, "settings"), "PAPER_NOTE", ""))


def test_the_paper_choices_come_first_at_every_profile():
    for profile in ("smoke", "quick", "paper"):
        first = profile_notes("extreme_sb", profile)[0]
        assert first.startswith("**The paper profile's choices**") and "*AUC*" in first
    assert "d = 10" in profile_notes("extreme_sb", "smoke")[1]


def test_the_studies_with_notes_are_those_that_state_them():
    stated = [s for s in STUDIES if hasattr(load(s, "settings"), "SMOKE_NOTE")]
    assert sorted(stated) == sorted(WITH_NOTES)


def test_an_unknown_profile_is_refused():
    with pytest.raises(ValueError, match="profile"):
        profile_notes("images", "huge")


def test_display_names():
    assert set(DATASETS) <= set(DATASET_LABELS)
    assert dataset_label("ms-5-7") == "MS-(5,7)" and dataset_label("lms-5") == "LMS-5"
    assert dataset_label("noisy-lms-7") == "noisy LMS-7"
    assert dataset_label("advms-5-7") == "AdvMS-(5,7)"
    assert dataset_label("mnist-fashion-A") == "MNIST-Fashion A"
    assert dataset_label("mnist-cifar-B") == "MNIST-CIFAR B"
    with pytest.raises(KeyError, match="no display name"):
        dataset_label("imagenet-A")
