"""Where a run's randomness comes from: a seed's initial FCN, its data order, the stream of
randomness inside its model (dropout), and the random states a checkpoint saves and restores.
Every stream is a seed's own, drawn in a forked RNG: training neither uses nor changes the
global random state."""

from __future__ import annotations

import contextlib

import torch

from sbcore.checks import check_seed
from sbcore.models import FCN

ORDER_STREAM = 7_777_777  # offsets the data-order generator's seed from the init seed
MODEL_STREAM = 3_333_333  # offsets the seed of randomness inside models (dropout)


def init_fcn(d_in: int, width: int, depth: int, seed: int) -> FCN:
    """The FCN a seed starts from: default init under torch.manual_seed(seed), on the CPU,
    without touching the global random state."""
    seed = check_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return FCN(d_in, width, depth)


def order_generator(seed: int) -> torch.Generator:
    """The CPU generator of a seed's minibatch order (one permutation per epoch)."""
    seed = check_seed(seed)
    return torch.Generator().manual_seed(seed + ORDER_STREAM)


@contextlib.contextmanager
def model_rng(seed: int, device):
    """Randomness inside a model (dropout) drawn from a stream of this seed, in a forked RNG:
    fit is reproducible and leaves the global random state as it was."""
    dev = torch.device(device)
    cuda = [dev.index if dev.index is not None else torch.cuda.current_device()] \
        if dev.type == "cuda" else []
    with torch.random.fork_rng(devices=cuda):
        torch.random.default_generator.manual_seed(seed + MODEL_STREAM)
        for index in cuda:
            torch.cuda.default_generators[index].manual_seed(seed + MODEL_STREAM)
        yield


def _generators(obj) -> dict:
    """The torch.Generators an object keeps (an adversary's random starts)."""
    return {k: v for k, v in vars(obj).items() if isinstance(v, torch.Generator)} \
        if obj is not None and hasattr(obj, "__dict__") else {}


def rng_states(device, perturb) -> dict:
    """The random states the loop draws from besides the data orders: the global CPU (and
    CUDA) generator (dropout) and the adversary's own."""
    dev = torch.device(device)
    return dict(cpu=torch.get_rng_state(),
                cuda=torch.cuda.get_rng_state(dev) if dev.type == "cuda" else None,
                perturb={k: g.get_state() for k, g in _generators(perturb).items()})


def set_rng_states(states: dict, device, perturb) -> None:
    dev = torch.device(device)
    torch.set_rng_state(states["cpu"].cpu())
    if dev.type == "cuda" and states["cuda"] is not None:
        torch.cuda.set_rng_state(states["cuda"].cpu(), dev)
    for k, g in _generators(perturb).items():
        if k in states["perturb"]:
            g.set_state(states["perturb"][k].cpu())
