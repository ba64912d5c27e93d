"""What a checkpoint file holds, and reading one without running anything it asks for.

Checkpoints travel between machines (a GPU lease's slices), so a file is data only: a line with
the SHA-256 of the rest, then ``torch.save`` bytes of tensors and plain containers, which
``torch.load(weights_only=True)`` reads without building any object the file names. The
training loop's state holds objects (the group with its models and optimizer, schedules,
results), so they are written as plain data (``to_plain``) and rebuilt only for classes of
sbcore, torch.nn and torch.optim (``from_plain``). A file that fails any of these checks is
``Refused`` with the reason in words; ``sbcore.training.resume`` decides what to do with it.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import io
import os
import tempfile
from collections import OrderedDict, defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from sbcore.store import load_refusal


class Refused(ValueError):
    """A checkpoint file that is not read, with the reason in words."""


# --------------------------------------------------------------------------------------------
# The checkpoint file: a checksum line, then tensors and plain data
# --------------------------------------------------------------------------------------------

MAGIC = b"sbcore checkpoint sha256="  # then 64 hex digits and a newline, then torch.save's bytes
HEADER = len(MAGIC) + 65


class _Hashing:
    """A file-like writer that hashes what torch.save streams through it (no second copy of
    a large checkpoint in memory)."""

    def __init__(self, file):
        self.file, self.sha = file, hashlib.sha256()

    def write(self, data) -> int:
        self.sha.update(data)
        return self.file.write(data)

    def flush(self) -> None:
        self.file.flush()


def write_checkpoint(path, state) -> None:
    """Write ``state`` to ``path`` as a checkpoint file: a temporary file beside it, renamed
    into place once complete (a failed or killed save leaves the previous one)."""
    path = Path(path)
    plain = to_plain(state)  # before any file is made: an object it cannot hold is a bug
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w+b") as f:
            f.write(MAGIC + b"0" * 64 + b"\n")
            hashing = _Hashing(f)
            torch.save(plain, hashing)
            f.seek(len(MAGIC))
            f.write(hashing.sha.hexdigest().encode())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def read_checkpoint(path, device="cpu"):
    """What ``write_checkpoint`` wrote to ``path``, its tensors on ``device``; Refused, with
    the reason, for a file that fails its checksum or holds anything but data."""
    try:
        raw = memoryview(Path(path).read_bytes())
    except OSError as err:
        raise Refused(f"it cannot be read ({err.strerror or err})") from None
    if bytes(raw[:len(MAGIC)]) != MAGIC or bytes(raw[HEADER - 1:HEADER]) != b"\n":
        raise Refused("it has no checksum line (it is not a checkpoint, or one written by an "
                      "older sbcore, whose checkpoints only an unsafe load could read)")
    if hashlib.sha256(raw[HEADER:]).hexdigest().encode() != bytes(raw[len(MAGIC):HEADER - 1]):
        raise Refused("its SHA-256 does not match the one written in it (damaged or edited)")
    try:  # weights_only: tensors and plain containers; nothing in the file is run
        plain = torch.load(io.BytesIO(raw[HEADER:]), map_location=torch.device(device),
                           weights_only=True)
    except Exception as err:
        raise Refused(f"it holds more than tensors and plain data, and loading it could run "
                      f"code ({load_refusal(err)})") from None
    try:
        return from_plain(plain)
    except Refused:
        raise
    except Exception as err:  # data that passed its checksum yet does not fit its classes
        raise Refused(f"its objects could not be rebuilt ({type(err).__name__}: {err})") from None


# --------------------------------------------------------------------------------------------
# The loop's objects as plain data, and back
# --------------------------------------------------------------------------------------------
# The loop's state holds objects: the group (its models, optimizer and settings), schedules,
# results with their histories. torch.load(weights_only=True) builds only tensors and plain
# containers, so each object is written as its class's name and its attributes (what pickle
# would keep), an array as its bytes, a table as its columns. Reading rebuilds only classes of
# sbcore, torch.nn and torch.optim, the way pickle does without a custom reduce, and never
# calls anything a file names. Shared objects stay shared (the group's parameter list is its
# optimizer's): a repeated object is written once, and torch's memo keeps the sharing.

TAG = "__sbcore_checkpoint__"  # the key of a dict that stands for an object, array or table
REBUILDABLE = ("sbcore.", "torch.nn.", "torch.optim.")  # whose classes a checkpoint may name
PLAIN = (bool, int, float, str, bytes, type(None), torch.dtype, torch.device, torch.Size)
FACTORIES = {"dict": dict, "list": list, "set": set, "int": int, "float": float}
ARRAY_KINDS = "biufc"  # bool, integers, floats, complex: arrays that are their bytes


def to_plain(obj):
    """``obj`` as tensors and plain containers (TypeError, naming it, for what cannot be)."""
    return _plain(obj, {})


def from_plain(data):
    """The objects ``to_plain`` wrote (Refused for a class a checkpoint may not name)."""
    return _rebuild(data, {})


def _plain(obj, memo: dict):
    kind = type(obj)
    if kind in PLAIN or kind in (torch.Tensor, torch.nn.Parameter):
        return obj  # torch.load(weights_only=True) reads these as they are
    if isinstance(obj, np.ndarray):
        return _array(obj)
    if isinstance(obj, np.generic):
        _check_kind(obj.dtype)
        return {TAG: "scalar", "dtype": obj.dtype.str, "value": obj.item()}
    if kind is tuple:
        return tuple(_plain(x, memo) for x in obj)
    if kind in (set, frozenset):
        return kind(_key(x, memo) for x in obj)
    if id(obj) in memo:  # written already: the same plain object, so the sharing survives
        return memo[id(obj)][1]
    if kind is list:
        out = _remember(memo, obj, [])
        out.extend(_plain(x, memo) for x in obj)
        return out
    if kind in (dict, OrderedDict):
        if TAG in obj:
            raise TypeError(f"a checkpoint cannot hold a dict with the key {TAG!r}")
        return _fill_dict(_remember(memo, obj, kind()), obj, memo)
    if kind is defaultdict:
        name = {v: k for k, v in FACTORIES.items()}.get(obj.default_factory)
        if name is None:
            raise TypeError(f"a checkpoint cannot hold a defaultdict of "
                            f"{obj.default_factory!r}")
        out = _remember(memo, obj, {TAG: "defaultdict", "factory": name})
        out["items"] = _fill_dict({}, obj, memo)
        return out
    if kind is pd.DataFrame:
        return _remember(memo, obj, _table(obj, memo))
    if _rebuildable(kind):
        out = _remember(memo, obj, {TAG: "object", "class": f"{kind.__module__}:"
                                                           f"{kind.__qualname__}"})
        out["state"] = _plain(obj.__getstate__(), memo)
        return out
    raise TypeError(f"a checkpoint holds data only: it cannot hold a {kind.__module__}."
                    f"{kind.__qualname__} ({obj!r:.80})")


def _remember(memo: dict, obj, out):
    memo[id(obj)] = (obj, out)  # obj kept alive: its id is not reused during the walk
    return out


def _key(key, memo: dict):
    out = _plain(key, memo)
    try:
        hash(out)
    except TypeError:
        raise TypeError(f"a checkpoint cannot hold a dict key or set item {key!r:.80}") from None
    return out


def _fill_dict(out: dict, obj: dict, memo: dict) -> dict:
    for k, v in obj.items():
        out[_key(k, memo)] = _plain(v, memo)
    return out


def _check_kind(dtype) -> None:
    if dtype.kind not in ARRAY_KINDS:
        raise TypeError(f"a checkpoint holds numeric arrays only, not dtype {dtype}")


def _array(arr: np.ndarray) -> dict:
    _check_kind(arr.dtype)
    return {TAG: "array", "dtype": arr.dtype.str, "shape": list(arr.shape),
            "bytes": np.ascontiguousarray(arr).tobytes()}


def _table(df: pd.DataFrame, memo: dict) -> dict:
    """A table as its column names and columns (numeric ones as arrays, others as lists)."""
    columns = []
    for i in range(df.shape[1]):  # by position: column names may repeat
        values = df.iloc[:, i].to_numpy()
        columns.append(_array(values) if values.dtype.kind in ARRAY_KINDS else
                       [_plain(v, memo) for v in values])
    index = df.index
    if isinstance(index, pd.RangeIndex):
        where = {"range": (index.start, index.stop, index.step)}
    else:
        where = {"values": _plain(index.to_numpy(), memo)}
    return {TAG: "table", "names": [_plain(n, memo) for n in df.columns], "columns": columns,
            "index": where}


def _rebuild(data, memo: dict):
    kind = type(data)
    if kind is tuple:
        return tuple(_rebuild(x, memo) for x in data)
    if kind in (set, frozenset):
        return kind(_rebuild(x, memo) for x in data)
    if kind not in (list, dict, OrderedDict):
        return data  # tensors, numbers, strings, None, dtypes, devices
    if id(data) in memo:
        return memo[id(data)][1]
    if kind is list:
        out = _remember(memo, data, [])
        out.extend(_rebuild(x, memo) for x in data)
        return out
    if kind is dict and TAG in data:
        return _rebuild_tagged(data, memo)
    out = _remember(memo, data, kind())
    for k, v in data.items():
        out[_rebuild(k, memo)] = _rebuild(v, memo)
    return out


def _rebuild_tagged(data: dict, memo: dict):
    tag = data[TAG]
    try:
        if tag == "object":
            return _rebuild_object(data, memo)
        if tag == "array":
            return _rebuild_array(data)
        if tag == "scalar":
            dtype = np.dtype(data["dtype"])
            _check_kind(dtype)
            return dtype.type(data["value"])
        if tag == "defaultdict":
            out = _remember(memo, data, defaultdict(FACTORIES[data["factory"]]))
            out.update(_rebuild(data["items"], memo))
            return out
        if tag == "table":
            return _remember(memo, data, _rebuild_table(data, memo))
    except Refused:
        raise
    except (KeyError, TypeError, ValueError) as err:
        raise Refused(f"its {tag!r} record is malformed ({type(err).__name__}: {err})") from None
    raise Refused(f"it holds a record of unknown kind {tag!r}")


def _rebuild_object(data: dict, memo: dict):
    cls = _allowed_class(data["class"])
    obj = _remember(memo, data, cls.__new__(cls))
    state = _rebuild(data["state"], memo)
    if state is None:
        return obj
    if getattr(cls, "__setstate__", None) is not None:
        obj.__setstate__(state)  # the class's own code (sbcore, torch.nn, torch.optim)
    elif isinstance(state, tuple) and len(state) == 2:  # (__dict__, __slots__ values)
        if state[0]:
            obj.__dict__.update(state[0])
        for k, v in (state[1] or {}).items():
            setattr(obj, k, v)
    else:
        obj.__dict__.update(state)
    return obj


def _allowed_class(name) -> type:
    """The class a checkpoint names, if it is one a checkpoint may hold; else Refused."""
    module, _, qualname = name.partition(":") if isinstance(name, str) else ("", "", "")
    refused = Refused(f"it names {name!r}, which a checkpoint may not rebuild (only classes of "
                      f"sbcore, torch.nn and torch.optim)")
    if not module.startswith(REBUILDABLE) or not qualname or "__" in qualname \
            or "<" in qualname:
        raise refused
    try:
        found = importlib.import_module(module)
        for part in qualname.split("."):
            found = getattr(found, part)
    except (ImportError, AttributeError):
        raise Refused(f"it names {name!r}, which does not exist in this sbcore") from None
    if not isinstance(found, type) or not _rebuildable(found):
        raise refused
    return found


def _rebuildable(cls: type) -> bool:
    """A class whose instances are their attributes (pickle's default, no custom reduce),
    from a module a checkpoint may name."""
    return (cls.__module__.startswith(REBUILDABLE) and "<" not in cls.__qualname__
            and cls.__reduce_ex__ is object.__reduce_ex__
            and cls.__reduce__ is object.__reduce__)


def _rebuild_array(data: dict) -> np.ndarray:
    dtype = np.dtype(data["dtype"])
    _check_kind(dtype)
    shape = [int(n) for n in data["shape"]]
    return np.frombuffer(data["bytes"], dtype=dtype).reshape(shape).copy()


def _rebuild_table(data: dict, memo: dict) -> pd.DataFrame:
    columns = {}
    for i, values in enumerate(data["columns"]):
        if isinstance(values, dict):
            columns[i] = _rebuild_array(values)
        else:  # not numeric: the values as they were, in an object column
            column = np.empty(len(values), dtype=object)
            column[:] = [_rebuild(v, memo) for v in values]
            columns[i] = column
    where = data["index"]
    index = pd.RangeIndex(*where["range"]) if "range" in where else \
        pd.Index(_rebuild(where["values"], memo))
    df = pd.DataFrame(columns, index=index)
    df.columns = [_rebuild(n, memo) for n in data["names"]]
    return df
