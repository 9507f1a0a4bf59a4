"""The Dataset protocol and the in-memory datasets everything else builds on.

A dataset is anything with ``len(ds)`` and ``ds[i] -> (image array, label)``,
as in PyTorch. The ones that hold their data in memory also expose
``.images`` (N, C, H, W) and ``.labels`` (N,) int64 class indices (or float32
targets, (N, ...), for a regression), so the DataLoader can gather a whole batch
with one fancy index instead of N Python calls.
"""

import bisect
import math
import operator

import numpy as np

from .. import rng as random_state


class Dataset:
    """Base class: subclasses define ``__len__`` and ``__getitem__(i) -> (image, label)``.

    ``images``/``labels`` are None unless the whole dataset sits in memory.
    """

    images = None
    labels = None
    classes: list[str] | None = None

    def __len__(self):
        raise NotImplementedError

    def __getitem__(self, i):
        raise NotImplementedError

    def __add__(self, other):
        """``a + b``: the items of a, then those of b (PyTorch's ConcatDataset)."""
        return ConcatDataset([self, other])


def refuse_transforms(who, transform=None, target_transform=None):
    """A dataset given torchvision's ``transform=``: one line saying where minicnn's go. Its
    transforms act on whole batches (N, C, H, W) as the DataLoader draws them, not on one image
    as it is read."""
    given = [
        f"{k}="
        for k, v in (("transform", transform), ("target_transform", target_transform))
        if v is not None
    ]
    if given:
        raise TypeError(
            f"{who}: {' and '.join(given)} {'is' if len(given) == 1 else 'are'} not taken here: "
            "minicnn's transforms act on whole batches "
            "(N, C, H, W); pass them to the loader, DataLoader(dataset, transform=...)"
        )


def items_are_its_arrays(dataset):
    """Whether ``dataset[i]`` is ``(images[i], labels[i])``, so that a batch may be gathered
    with one index: not where a subclass's own ``__getitem__`` makes its items."""
    kind = type(dataset).__getitem__
    if kind is Subset.__getitem__:
        return items_are_its_arrays(dataset.dataset)
    if kind is ConcatDataset.__getitem__:
        return dataset.images is not None
    return kind is TensorDataset.__getitem__ and dataset.images is not None and dataset.labels is not None


def as_labels(y, who):
    """Labels as the DataLoader hands them out: integer class indices (and booleans) as int64,
    real-valued targets as float32 (the images' dtype, so a loss can compare the two)."""
    if y.dtype.kind in "biu":
        return y.astype(np.int64, copy=False)
    if y.dtype.kind == "f":
        return y.astype(np.float32, copy=False)
    raise TypeError(
        f"{who}: labels must be numbers (integer class indices or real-valued targets), got dtype {y.dtype}"
    )


def _as_numpy(a):
    """NumPy array from an array or a minicnn Tensor (its ``.data``)."""
    data = getattr(a, "data", a)
    if not isinstance(data, np.ndarray):
        if hasattr(data, "get"):  # a CuPy array: datasets live on the host
            data = data.get()
        else:
            data = np.asarray(data)
    return data


class TensorDataset(Dataset):
    """Images and labels held as two arrays of the same length.

    Args:
        x: (N, ...) array or Tensor of inputs (images are (N, C, H, W)).
        y: (N,) array or Tensor of integer labels (kept as int64), or (N, ...) real-valued
            targets (kept as float32).
        classes: optional list of class names, ``classes[label]``.
    """

    def __init__(self, x, y, *, classes=None):
        x, y = _as_numpy(x), _as_numpy(y)
        if x.ndim == 0 or y.ndim == 0 or len(x) != len(y):
            raise ValueError(
                f"TensorDataset: expected x (N, ...) and y (N, ...) of the same length N; "
                f"got x {tuple(x.shape)}, y {tuple(y.shape)}"
            )
        self.images = x
        self.labels = as_labels(y, "TensorDataset")
        if classes is not None:
            self.classes = list(classes)

    @property
    def tensors(self):
        """(images, labels), as PyTorch's ``TensorDataset.tensors``."""
        return self.images, self.labels

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return self.images[i], self.labels[i]

    def __repr__(self):
        return f"{type(self).__name__}(n={len(self)}, images={tuple(self.images.shape)} {self.images.dtype})"


class Subset(Dataset):
    """The items of ``dataset`` at ``indices``, in that order (a view, not a copy).

    ``images``/``labels`` are gathered from the parent's arrays the first time
    they are asked for.
    """

    def __init__(self, dataset, indices):
        given = np.asarray(indices).reshape(-1)
        if given.size and given.dtype.kind not in "iu":
            raise TypeError(
                f"Subset: indices must be integers, got dtype {given.dtype} ({given[:3].tolist()}...)"
            )
        indices = given.astype(np.int64)
        n = len(dataset)
        if indices.size and (indices.min() < -n or indices.max() >= n):
            raise IndexError(
                f"Subset: indices must lie in [0, {n}) for a dataset of {n} items; "
                f"got min {indices.min()}, max {indices.max()}"
            )
        self.dataset, self.indices = dataset, indices % max(n, 1)
        self.classes = getattr(dataset, "classes", None)
        self._arrays = None

    def __len__(self):
        return len(self.indices)

    def __getitem__(self, i):
        return self.dataset[int(self.indices[i])]

    def _gather(self):
        if self._arrays is None and self.dataset.images is not None:
            self._arrays = (self.dataset.images[self.indices], self.dataset.labels[self.indices])
        return self._arrays

    images = property(lambda self: None if self._gather() is None else self._arrays[0])
    labels = property(lambda self: None if self._gather() is None else self._arrays[1])


class ConcatDataset(Dataset):
    """The items of ``datasets`` one after another, as ``torch.utils.data.ConcatDataset``
    (``a + b`` of two Datasets makes one).

    ``cumulative_sizes[k]`` is the number of items in datasets 0 to k. Where every part
    holds its items as arrays of one shape, ``images``/``labels`` are those arrays joined
    (the first time they are asked for), so the DataLoader gathers a batch in one index.
    """

    def __init__(self, datasets):
        if isinstance(datasets, Dataset) or not isinstance(datasets, (list, tuple)):
            raise TypeError(f"ConcatDataset: expected a list of datasets, got {type(datasets).__name__}")
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty list")
        for k, d in enumerate(self.datasets):
            if not (hasattr(d, "__len__") and hasattr(d, "__getitem__")):
                raise TypeError(
                    f"ConcatDataset: datasets[{k}] has no len() and [i], it is {type(d).__name__}"
                )
        self.cumulative_sizes = np.cumsum([len(d) for d in self.datasets]).tolist()
        names = [getattr(d, "classes", None) for d in self.datasets]
        self.classes = names[0] if all(c == names[0] for c in names) else None
        self._arrays = None

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, i):
        n = len(self)
        i = operator.index(i)
        if not -n <= i < n:
            raise IndexError(f"ConcatDataset: index {i} is out of range for {n} items")
        i = i % n
        k = bisect.bisect_right(self.cumulative_sizes, i)
        return self.datasets[k][i - (self.cumulative_sizes[k - 1] if k else 0)]

    def _gather(self):
        if self._arrays is None and all(items_are_its_arrays(d) for d in self.datasets):
            images = [d.images for d in self.datasets]
            labels = [d.labels for d in self.datasets]
            if len({a.shape[1:] for a in images}) == 1 and len({a.shape[1:] for a in labels}) == 1:
                self._arrays = (np.concatenate(images), np.concatenate(labels))
        return self._arrays

    images = property(lambda self: None if self._gather() is None else self._arrays[0])
    labels = property(lambda self: None if self._gather() is None else self._arrays[1])


def random_split(dataset, lengths, seed=None, generator=None):
    """Split ``dataset`` into non-overlapping random Subsets of the given lengths.

    As ``torch.utils.data.random_split``: ``lengths`` are counts summing to
    ``len(dataset)``, or fractions summing to 1 (remainders go one each to the
    first splits). The permutation comes from ``np.random.default_rng(seed)``;
    without a seed, from ``generator`` (a NumPy Generator or an int seed), else
    from minicnn's generator, so ``mc.manual_seed`` repeats it.
    """
    if seed is not None and generator is not None:
        raise ValueError("random_split: give seed or generator, not both")
    n = len(dataset)
    lengths = list(lengths)
    # NOTE: PyTorch's test: [1, 0] of one item is the same split as counts or as fractions
    fractions = lengths and all(0 <= f <= 1 for f in lengths) and math.isclose(sum(lengths), 1)
    fractions = fractions and sum(lengths) <= 1
    if fractions:
        counts = [int(math.floor(n * f)) for f in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        lengths = counts
    if any(int(k) != k or k < 0 for k in lengths) or sum(lengths) != n:
        raise ValueError(
            f"random_split: lengths must be non-negative counts summing to the "
            f"dataset's {n} items (or fractions summing to 1); got {lengths}"
        )
    rng = np.random.default_rng(seed) if seed is not None else random_state.get_generator(generator)
    order = rng.permutation(n)
    ends = np.cumsum([int(k) for k in lengths])
    return [Subset(dataset, order[end - int(k) : end]) for k, end in zip(lengths, ends)]


def stratified_split(labels, n_test_per_class, seed):
    """Indices (train, test): per class, a seeded permutation's last ``n`` items go to test.

    Every class keeps the same share in both splits, and the split never
    changes for a given seed.
    """
    rng = np.random.default_rng(seed)
    train, test = [], []
    for c in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == c))
        k = n_test_per_class(len(members)) if callable(n_test_per_class) else n_test_per_class
        train.append(members[: len(members) - k])
        test.append(members[len(members) - k :])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))
