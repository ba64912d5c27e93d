"""What the generalisation study finds about its MS-7 control, as numbers and named booleans:
which runs stayed below the learned level, with their train accuracy and the update where they
had met the stop rule, and the first that met it and then lost the fit. Pure functions of
tables; the chapter's words are in the chapter and ``prose.py``."""

from __future__ import annotations

import pandas as pd

# A control run "learned" MS-7 at this test accuracy: the stop rule's train accuracy (1 - eps
# with eps = 0.02 in this study's recipe), which every learned run reaches on clean slabs.
CONTROL_LEARNED = 0.98


def control_runs(metrics: pd.DataFrame, runs: pd.DataFrame | None) -> dict:
    """The control's test accuracies (``test``), the runs below ``CONTROL_LEARNED`` (``low``:
    model, seed, test, train at the end where measured, the update where the run met the stop
    rule where it did, and ``lost_fit``: its lr and momentum where it met the stop rule and
    ended below the learned level in train accuracy too, having lost the fit during its
    patience updates, else None), and the first such run's ``lost_fit`` (``collapsed``)."""
    test = metrics[metrics["metric"] == "standard accuracy"]
    train = metrics[metrics["metric"] == "train accuracy"].set_index(["model", "seed"])["value"]
    runs = (pd.DataFrame(columns=["model", "seed", "stop_update"]) if runs is None
            else runs).set_index(["model", "seed"])
    met = runs["stop_update"].dropna()
    low, collapsed = [], None
    for r in test[test["value"] < CONTROL_LEARNED].itertuples():
        key = (r.model, r.seed)
        row = dict(model=r.model, seed=r.seed, test=float(r.value),
                   train=float(train[key]) if key in train.index else None,
                   stop_update=int(met[key]) if key in met.index else None, lost_fit=None)
        if row["stop_update"] is not None and row["train"] is not None \
                and row["train"] < CONTROL_LEARNED:
            row["lost_fit"] = dict(lr=float(runs.loc[key, "lr"]),
                                   momentum=float(runs.loc[key, "momentum"]))
            collapsed = collapsed or row["lost_fit"]
        low.append(row)
    return dict(test=test["value"].to_numpy(float), low=low, collapsed=collapsed,
                learned=CONTROL_LEARNED)
