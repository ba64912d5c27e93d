"""The one training loop, which every trainer runs over a group of models (a ``Backend``).

Each model of the group has its own data order, schedule (stop rule, patience, cap) and
selected checkpoint; the semantics are stated in ``sbcore.training.trainer``. A model that has
finished is dropped from the group, so it stops changing while the others continue; its
``wall_time_s`` is the group's elapsed time when it finished. Inside ``resume.resumable`` (the
runner's store entries) the loop checkpoints its state and resumes from it bit for bit.
"""

from __future__ import annotations

import dataclasses
import math
import time
import warnings

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from sbcore.reliance import as_scorer
from sbcore.training import resume
from sbcore.training.backend import Backend
from sbcore.training.config import TrainConfig
from sbcore.training.result import TrainResult
from sbcore.training.schedule import Schedule
from sbcore.training.seeding import order_generator, rng_states, set_rng_states

# the loop's attributes that a checkpoint holds as they are
_STATE = ("group", "schedules", "best_val", "selected", "rows", "active", "perms", "pos",
          "update")


def signature(group: Backend, tensors, config: TrainConfig, seeds, model_configs, track,
              perturb) -> dict:
    """What a checkpoint must match to resume this group: its kind, parameter shapes, data
    sizes, seeds and settings."""
    return dict(kind=type(group).__name__, shapes=group.shapes(),
                data=[tuple(t.shape) for t in tensors], seeds=list(seeds),
                config=config.as_dict(), track=track is not None, perturb=perturb is not None,
                model_configs=None if model_configs is None else
                [c.as_dict() for c in model_configs],
                **({} if group.objective is None else {"objective": objective_name(group)}))


def objective_name(group: Backend) -> str:
    """The objective a checkpoint was trained with: its ``name`` or its class's."""
    objective = group.objective
    return str(getattr(objective, "name", None) or type(objective).__qualname__)


def _restored(result: TrainResult) -> TrainResult:
    """A result read back from a checkpoint, its scorer rebuilt."""
    return dataclasses.replace(result, scorer=as_scorer(result.model))


class Loop:
    """Train ``group``, model i with seeds[i]'s data order, to its own stop rule
    (model_configs[i]'s when given: a grid whose points share the batch and evaluation steps).
    ``tensors`` are Xtr, ytr, Xva, yva on the device; ``track`` (scorer -> dict) is recorded
    at every evaluation; ``perturb`` replaces every minibatch by its attack before the step."""

    def __init__(self, group: Backend, tensors, config: TrainConfig, seeds: list[int], track,
                 progress: bool, desc: str, start_time: float,
                 model_configs: list[TrainConfig] | None = None, perturb=None):
        self.group, self.tensors, self.config, self.seeds = group, tensors, config, seeds
        self.track, self.perturb, self.start_time = track, perturb, start_time
        self.model_configs = model_configs
        self.n, n_models = len(tensors[1]), len(seeds)
        self.orders = [order_generator(s) for s in seeds]
        self.schedules = [Schedule(c) for c in (model_configs or [config] * n_models)]
        self.best_val = np.full(n_models, -math.inf)
        self.selected = np.zeros(n_models, dtype=np.int64)
        self.rows: list[list[dict]] = [[] for _ in seeds]
        self.results: list[TrainResult | None] = [None] * n_models
        self.active = list(range(n_models))  # model id of each row of the stack
        self.perms, self.pos, self.update = None, self.n, 0
        self.progress, self.desc = progress, desc

    def run(self) -> list[TrainResult]:
        slot = resume.slot(signature(self.group, self.tensors, self.config, self.seeds,
                                     self.model_configs, self.track, self.perturb))
        saved = slot.load(self.tensors[0].device) if slot is not None else None
        if saved is not None and saved["done"]:  # this group finished before the pause
            return [_restored(r) for r in saved["results"]]
        self.bar = tqdm(total=self.config.max_updates, desc=self.desc,
                        disable=not self.progress, unit="upd", leave=False)
        if saved is None:
            self._evaluate(list(range(len(self.active))))
            self._finish_due()
        else:
            self._restore(saved)
        try:
            while self.active:
                self._step()
                if slot is not None and self.active:
                    slot.tick(self.update, self.state)
        finally:
            self.bar.close()
        if slot is not None:
            slot.try_save(self.state(done=True))
        self._warn_diverged()
        return self.results  # type: ignore[return-value]

    def _step(self) -> None:
        """One update of every active model, then the evaluations that fall due: a model's
        schedule, or at once for a model whose step loss became NaN or infinite."""
        xb, yb = self._batch()
        if self.perturb is not None:  # adversarial training: each batch replaced by its attack
            xb = self.perturb(self.group.attack_logits, xb, yb, list(self.active)).detach()
        self.group.step(xb, yb)
        self.update += 1
        every = self.config.lr_decay_every
        if every and self.update % every == 0:
            self.group.decay_lr(self.config.lr_decay)
        finite = self.group.finite_rows().tolist()  # the one read from the device per update
        due = [r for r, m in enumerate(self.active)
               if self.schedules[m].due(self.update) or not finite[r]]
        if due:
            self.bar.update(self.update - self.bar.n)
            self._evaluate(due)
            self._finish_due(due)

    def _batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The next minibatch of every active model, (rows, batch, ...) and (rows, batch); a
        new epoch for all of them at once, each permutation from the model's own stream."""
        Xtr, ytr = self.tensors[:2]
        if self.pos >= self.n:
            perms = torch.stack([torch.randperm(self.n, generator=self.orders[m])
                                 for m in self.active])
            self.perms, self.pos = perms.to(Xtr.device), 0
        idx = self.perms[:, self.pos:self.pos + self.config.batch_size].reshape(-1)
        self.pos += self.config.batch_size
        # index_select: a row gather several times faster than Xtr[idx] on the CPU
        xb = Xtr.index_select(0, idx).view(len(self.active), -1, *Xtr.shape[1:])
        yb = ytr.index_select(0, idx).view(len(self.active), -1)
        return xb, yb

    def _evaluate(self, stack_rows: list[int]) -> None:
        """Evaluate these stack rows: record a history row per model, keep its checkpoint when
        its validation accuracy is the best so far, and show it to its schedule."""
        Xtr, ytr, Xva, yva = self.tensors
        loss, correct = self.group.evaluate(stack_rows, Xtr, ytr)
        if len(yva):
            val = self.group.evaluate(stack_rows, Xva, yva)[1] / len(yva)
        else:
            val = np.full(len(stack_rows), math.nan)
        improved = []
        for j, r in enumerate(stack_rows):
            m = self.active[r]
            row = dict(update=self.update, train_loss=loss[j] / self.n,
                       train_accuracy=correct[j] / self.n, val_accuracy=val[j])
            finite = math.isfinite(row["train_loss"])
            if self.track is not None and finite:  # a diverged model's scores are NaN
                row.update(self.track(self.group.scorer(r)))
            self.rows[m].append(row)
            score = -math.inf if math.isnan(val[j]) else val[j]  # empty val: all tie
            if finite and score >= self.best_val[m]:
                self.best_val[m], self.selected[m] = score, self.update
                improved.append((m, r))
            self.schedules[m].observe(self.update, row["train_loss"], row["train_accuracy"])
        if improved:
            self.group.save_best([m for m, _ in improved], [r for _, r in improved])
        acc = np.mean([self.rows[self.active[r]][-1]["train_accuracy"] for r in stack_rows])
        self.bar.set_postfix(active=len(self.active), mean_train_acc=f"{acc:.4f}")

    def _finish_due(self, stack_rows: list[int] | None = None) -> None:
        """End the models of these stack rows (default: all) whose schedule has finished:
        their results, then the group and the epoch's permutations without them."""
        rows = range(len(self.active)) if stack_rows is None else stack_rows
        done = {r for r in rows if self.schedules[self.active[r]].finished(self.update)}
        elapsed = time.perf_counter() - self.start_time
        for r in sorted(done):
            self.results[self.active[r]] = self._result(self.active[r], elapsed)
        keep = [r for r in range(len(self.active)) if r not in done]
        if keep and len(keep) < len(self.active):
            keep_t = torch.tensor(keep, device=self.tensors[0].device)
            self.group.keep(keep_t)
            self.perms = self.perms[keep_t] if self.perms is not None else None
        self.active = [self.active[r] for r in keep]

    def _result(self, m: int, elapsed: float) -> TrainResult:
        model, sched = self.group.result_model(m), self.schedules[m]
        return TrainResult(
            model=model, scorer=as_scorer(model), seed=self.seeds[m], updates=self.update,
            stop_update=sched.stop_update,
            converged=sched.stop_update is not None and not sched.diverged,
            history=pd.DataFrame(self.rows[m]), wall_time_s=elapsed,
            selected_update=int(self.selected[m]), diverged=sched.diverged)

    def state(self, done: bool = False) -> dict:
        """Everything the loop needs to go on, as a checkpoint holds it (a model's result
        without its scorer, a closure that ``_restored`` rebuilds)."""
        kept = [None if r is None else dataclasses.replace(r, scorer=None)
                for r in self.results]
        if done:
            return dict(done=True, results=kept)
        return dict(done=False, results=kept, group=self.group, schedules=self.schedules,
                    orders=[g.get_state() for g in self.orders], best_val=self.best_val,
                    selected=self.selected, rows=self.rows, active=self.active,
                    perms=self.perms, pos=self.pos, update=self.update,
                    elapsed=time.perf_counter() - self.start_time,
                    rng=rng_states(self.tensors[0].device, self.perturb))

    def _restore(self, saved: dict) -> None:
        """The loop's state as saved, on this run's device and evaluation chunk (not the
        checkpoint's), then on as if never stopped."""
        for name in ("device", "chunk", "objective"):
            setattr(saved["group"], name, getattr(self.group, name))
        for k in _STATE:
            setattr(self, k, saved[k])
        self.results = [None if r is None else _restored(r) for r in saved["results"]]
        for g, s in zip(self.orders, saved["orders"]):
            g.set_state(s.cpu())
        set_rng_states(saved["rng"], self.tensors[0].device, self.perturb)
        self.start_time = time.perf_counter() - saved["elapsed"]
        self.bar.update(self.update)

    def _warn_diverged(self) -> None:
        diverged = [r for r in self.results if r is not None and r.diverged]
        if not diverged:
            return
        seeds = ", ".join(str(r.seed) for r in diverged[:5])
        warnings.warn(
            f"training diverged for {len(diverged)} of {len(self.results)} model(s) (seed "
            f"{seeds}{', ...' if len(diverged) > 5 else ''}, first at update "
            f"{min(r.updates for r in diverged)}): the loss became NaN or infinite, so each "
            f"stopped there, marked diverged (a smaller lr may help)",
            RuntimeWarning, stacklevel=5)  # the trainer's caller
