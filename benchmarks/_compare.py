"""The part every 'one after another against all together' benchmark shares: time both ways,
check that every model stops at the same update with the same accuracies, print the ratio."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from sbcore.reliance import accuracy


def summary(results, test) -> pd.DataFrame:
    """One row per trained model: stop and update counts, last accuracies, test accuracy."""
    return pd.DataFrame([dict(seed=r.seed, stop_update=r.stop_update, updates=r.updates,
                              selected=r.selected_update,
                              train_acc=r.history.train_accuracy.iloc[-1],
                              val_acc=r.history.val_accuracy.iloc[-1],
                              test_acc=accuracy(r.scorer(test.X), test.y)) for r in results])


def timed(run):
    t0, c0 = time.perf_counter(), time.process_time()
    out = run()
    return out, time.perf_counter() - t0, time.process_time() - c0


def compare(run_single, run_many, names: tuple[str, str], n_models: int, test,
            skip_single: bool = False) -> int:
    """Time ``run_many()`` then ``run_single()`` (each returns TrainResults), print both,
    the per-seed agreement and the ratio; exit status 0 when they agree."""
    single_name, many_name = names
    many, t_many, c_many = timed(run_many)
    print(f"{many_name}: {t_many:.1f} s wall, {c_many:.1f} s CPU for {n_models} models "
          f"({max(r.updates for r in many)} updates of the group)")
    if skip_single:
        return 0
    single, t_single, c_single = timed(run_single)
    print(f"{single_name} x {n_models}: {t_single:.1f} s wall, {c_single:.1f} s CPU "
          f"({sum(r.updates for r in single)} updates)")
    a, b = summary(single, test), summary(many, test)
    table = a.merge(b, on="seed", suffixes=("", "_many"))
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.to_string(index=False))
    same_steps = a.stop_update.equals(b.stop_update) and a.updates.equals(b.updates)
    max_diff = max(np.abs(a[c] - b[c]).max() for c in ("train_acc", "val_acc", "test_acc"))
    print(f"same stop steps and update counts: {same_steps}; "
          f"largest accuracy difference: {max_diff:.2e}")
    print(f"wall time: {single_name} x {n_models} = {t_single:.1f} s, {many_name} = "
          f"{t_many:.1f} s, ratio = {t_single / t_many:.2f}x (CPU time ratio "
          f"{c_single / c_many:.2f}x; on a busy machine the wall ratio suffers)")
    return 0 if same_steps and max_diff <= 1e-3 else 1
