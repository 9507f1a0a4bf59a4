"""Datasets read from files the user already has: MNIST, Fashion-MNIST, CIFAR-10.

Nothing is downloaded. A missing file raises FileNotFoundError listing the
file names expected and where the dataset is published; a truncated or
corrupt file raises ValueError saying what is wrong with it.

IDX format (MNIST, Fashion-MNIST): a big-endian header ``0, 0, type, ndim``
(type 0x08 = unsigned byte), then ``ndim`` big-endian uint32 sizes, then the
values row-major. Images have magic 2051 (ndim 3), labels 2049 (ndim 1).
CIFAR-10 "python version": pickled dicts with b"data" (10000, 3072) uint8,
each row the 1024 red, then green, then blue values of a 32x32 image, and
b"labels" (10000,) ints.
"""
import gzip
import os
import pickle

import numpy as np

from .dataset import TensorDataset

IDX_IMAGES, IDX_LABELS = 2051, 2049


def _find(name, root, filenames, folders, published, expected):
    """First existing path among ``folders`` x ``filenames``, else a FileNotFoundError."""
    for folder in folders:
        for filename in filenames:
            path = os.path.join(root, folder, filename)
            if os.path.isfile(path):
                return path
    where = ", ".join(os.path.normpath(os.path.join(root, f)) for f in folders)
    raise FileNotFoundError(f"{name}: {' or '.join(filenames)} not found in {where}; the dataset "
                            f"expects the files {', '.join(expected)}, as published on "
                            f"{published} (no download is attempted)")


def read_idx(path, magic):
    """The array of one IDX file (raw or gzipped), checking magic number and size."""
    try:
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as e:
        raise ValueError(f"{path}: cannot read the IDX file ({e})") from e
    ndim = {IDX_IMAGES: 3, IDX_LABELS: 1}[magic]
    found = int.from_bytes(raw[:4], "big")
    if found != magic:
        raise ValueError(f"{path}: IDX magic number is {found} but {magic} was expected "
                         f"({'images' if magic == IDX_IMAGES else 'labels'}, unsigned bytes, "
                         f"{ndim}-D); not an IDX file of this kind, or corrupt")
    if len(raw) < 4 + 4 * ndim:
        raise ValueError(f"{path}: {len(raw)} bytes is shorter than an IDX header")
    shape = tuple(int(s) for s in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    body = len(raw) - 4 - 4 * ndim
    if body != int(np.prod(shape)):
        raise ValueError(f"{path}: header says shape {shape} = {int(np.prod(shape))} bytes of "
                         f"data, but the file holds {body} (truncated or corrupt)")
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(shape)


class MNIST(TensorDataset):
    """MNIST from its four IDX files in ``root`` (or ``root/MNIST/raw``, torchvision's layout).

    Args:
        root: folder holding e.g. ``train-images-idx3-ubyte`` (raw or ``.gz``).
        train: the 60,000 training images, else the 10,000 test images.
    Images float32 (N, 1, 28, 28) in [0, 1]; labels int64 (N,).
    """

    published = "Yann LeCun's MNIST page"
    classes = [str(d) for d in range(10)]

    def __init__(self, root, train=True):
        prefix = "train" if train else "t10k"
        name, folders = type(self).__name__, ("", os.path.join(type(self).__name__, "raw"))
        expected = [f"{p}-{k}-ubyte[.gz]" for p in ("train", "t10k")
                    for k in ("images-idx3", "labels-idx1")]
        found = {}
        for kind, magic in (("images-idx3", IDX_IMAGES), ("labels-idx1", IDX_LABELS)):
            base = f"{prefix}-{kind}-ubyte"
            found[kind] = read_idx(_find(name, root, (base, base + ".gz"), folders,
                                         self.published, expected), magic)
        images, labels = found["images-idx3"], found["labels-idx1"]
        if len(images) != len(labels):
            raise ValueError(f"{name}: {len(images)} images but {len(labels)} labels in {root}")
        if labels.size and labels.max() >= len(self.classes):
            raise ValueError(f"{name}: labels must be 0..{len(self.classes) - 1}, "
                             f"found {labels.max()} in {root}")
        super().__init__((images.astype(np.float32) / 255)[:, None], labels.astype(np.int64),
                         classes=self.classes)


class FashionMNIST(MNIST):
    """Fashion-MNIST: MNIST's file names and format, ten kinds of clothing."""

    published = "Zalando's Fashion-MNIST repository"
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def _unpickle(path):
    try:
        with open(path, "rb") as f:
            batch = pickle.load(f, encoding="bytes")
    except Exception as e:       # pickle raises many kinds on a damaged file
        raise ValueError(f"{path}: cannot unpickle this CIFAR-10 batch "
                         f"({type(e).__name__}: {e}); the file is truncated or corrupt") from e
    if not isinstance(batch, dict):
        raise ValueError(f"{path}: expected a pickled dict, got {type(batch).__name__}")
    return {k.decode() if isinstance(k, bytes) else k: v for k, v in batch.items()}


class CIFAR10(TensorDataset):
    """CIFAR-10 from the python pickle batches in ``root/cifar-10-batches-py`` (or ``root``).

    Args:
        root: folder holding ``cifar-10-batches-py/`` as unpacked from
            ``cifar-10-python.tar.gz``.
        train: data_batch_1..5 (50,000 images), else test_batch (10,000).
    Images float32 (N, 3, 32, 32) in [0, 1]; labels int64 (N,).
    """

    published = "Alex Krizhevsky's CIFAR-10 page"
    classes = ["airplane", "automobile", "bird", "cat", "deer",
               "dog", "frog", "horse", "ship", "truck"]

    def __init__(self, root, train=True):
        names = [f"data_batch_{i}" for i in range(1, 6)] if train else ["test_batch"]
        folders = ("cifar-10-batches-py", "")
        expected = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
        images, labels = [], []
        for filename in names:
            path = _find("CIFAR10", root, (filename,), folders, self.published, expected)
            batch = _unpickle(path)
            data, y = batch.get("data"), np.asarray(batch.get("labels", []), dtype=np.int64)
            if not isinstance(data, np.ndarray) or data.ndim != 2 or data.shape[1] != 3072 \
                    or len(data) != len(y):
                shape = getattr(data, "shape", None)
                raise ValueError(f"{path}: expected 'data' (N, 3072) uint8 and N 'labels'; "
                                 f"got data {shape} and {len(y)} labels")
            images.append(data.reshape(-1, 3, 32, 32))
            labels.append(y)
        labels = np.concatenate(labels)
        if labels.size and (labels.min() < 0 or labels.max() > 9):
            raise ValueError(f"CIFAR10: labels must be 0..9, found {labels.min()}..{labels.max()}")
        super().__init__(np.concatenate(images).astype(np.float32) / 255, labels,
                         classes=self.classes)
