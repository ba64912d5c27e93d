"""Fixtures shared by the test files: one smoke-profile results store for the whole session,
so each study's smoke entries are computed once however many test files read them."""

from __future__ import annotations

import matplotlib
import pytest

matplotlib.use("agg")  # no screen: every figure test draws off-screen


@pytest.fixture(scope="session")
def smoke_store(tmp_path_factory):
    """An empty results store for the session (never the repository's results/)."""
    return tmp_path_factory.mktemp("smoke_results")


@pytest.fixture(scope="session")
def smoke_run(smoke_store):
    """``smoke_run(study)``: the study's smoke entries ({entry: store.Result}) as first
    computed into the session store (so ``cached`` is False on every entry)."""
    from sbcore.studies import runner

    done = {}

    def get(name: str):
        if name not in done:
            done[name] = runner.run(name, "smoke", "cpu", root=smoke_store, progress=False)
        return done[name]

    return get
