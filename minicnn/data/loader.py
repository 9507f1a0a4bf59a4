"""DataLoader: batches of (x, y) Tensors from a dataset, shuffled reproducibly.

Epoch k draws its order (and the random numbers of its transform) from
``np.random.default_rng([seed, k])``, so a run can be repeated, or resumed at
any epoch with ``set_epoch(k)``, and gives the same batches. Without a seed the
loader draws one from minicnn's generator, so ``mc.manual_seed`` repeats it.
"""

import numpy as np

from .. import backend
from .. import rng as random_state
from ..tensor import Tensor
from .dataset import _as_numpy, as_labels, items_are_its_arrays
from .transforms.base import with_generator


class DataLoader:
    """Iterate over ``dataset`` in batches of ``(x, y)`` Tensors: x float32, y int64 class
    indices (or float32 where the labels are real-valued targets).

    Only ``dataset``, ``batch_size`` and ``shuffle`` are positional: PyTorch's 4th argument
    is ``sampler`` (then ``batch_sampler``, ``num_workers``, ``collate_fn``, ``pin_memory``,
    ``drop_last``), so the others are keywords here, and a 4th positional is refused.

    Args:
        dataset: anything with ``len`` and ``dataset[i] -> (x, y)`` (a Dataset, a list of
            pairs); one with ``.images``/``.labels`` arrays is batched by fancy indexing
            (one gather per batch), any other item by item.
        batch_size: items per batch; the last batch is smaller unless
            ``drop_last``. None turns batching off, as in PyTorch: each item is given as
            the dataset makes it, ``(x, y)`` as Tensors with no batch axis added (and
            ``collate_fn``, if given, is called on that one item).
        shuffle: a new random order every epoch.
        drop_last: drop the last, incomplete batch.
        seed: the run's seed; None draws one from minicnn's generator where the loader
            shuffles or transforms (``mc.manual_seed`` repeats it; ``repr`` prints it).
            ``seed_given`` says which (``distributed.shard_loader`` shuffles with a seed
            given, else with seed 0, the same on every rank).
        transform: ``transform(batch, rng)`` on the NumPy (N, C, H, W) batch,
            e.g. ``transforms.Compose([...])``, using the epoch's generator; a function
            of the batch alone (``lambda x: x * 2``) is called without it.
        sampler: an iterable of dataset indices giving the order instead of
            ``shuffle`` (e.g. ``distributed.DistributedSampler``); one with
            ``set_epoch`` is told each epoch's number before it is drawn. One without
            ``len`` (an iterator) is batched all the same; only ``len(loader)`` needs it.
        batch_sampler: an iterable of lists of indices, one list per batch, in place of
            ``batch_size``, ``shuffle``, ``sampler`` and ``drop_last`` (PyTorch refuses
            them together, and so does minicnn); ``loader.batch_size`` is then None.
        generator: instead of ``seed``, a NumPy Generator (or an int) to draw the
            run's seed from, as PyTorch's ``generator=``.
        collate_fn: ``collate_fn(list of items) -> (x, y)`` makes each batch from the
            dataset's items (PyTorch's name), in place of stacking them.
        num_workers, pin_memory: PyTorch's, accepted so its code runs: minicnn loads
            every batch in this process (the batches are the same; a ``num_workers``
            above 0 says so once), and there is no pinned memory to put them in.

    ``len(loader)`` is the number of batches. Each ``for`` over the loader is
    one epoch and moves the epoch counter on by one; ``set_epoch(k)`` sets it.
    """

    def __init__(
        self,
        dataset,
        batch_size=1,
        shuffle=False,
        *positional,
        drop_last=False,
        seed=None,
        transform=None,
        sampler=None,
        batch_sampler=None,
        generator=None,
        collate_fn=None,
        num_workers=0,
        pin_memory=False,
    ):
        if positional:  # NOTE: PyTorch's 4th is sampler, then batch_sampler, num_workers, ...
            raise TypeError(
                f"DataLoader: only dataset, batch_size and shuffle are positional, got {len(positional)} "
                "more; name the rest (drop_last=, seed=, transform=, sampler=, batch_sampler=, "
                "generator=, collate_fn=, num_workers=, pin_memory=), as PyTorch's order differs"
            )
        if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
            raise TypeError(
                "DataLoader: dataset must have len(dataset) and dataset[i] -> (x, y) (a Dataset, "
                f"a list of pairs), got {type(dataset).__name__}"
            )
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "DataLoader: batch_sampler option is mutually exclusive with batch_size, "
                    "shuffle, sampler, and drop_last"
                )
            batch_size = None  # as PyTorch's loader says: the batch sampler decides
        elif batch_size is None:
            if drop_last:
                raise ValueError(
                    "DataLoader: batch_size=None option disables auto-batching and is mutually "
                    "exclusive with drop_last"
                )
        elif isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(
                f"DataLoader: batch_size must be a positive integer or None (no batching), got {batch_size!r}"
            )
        if isinstance(num_workers, bool) or not isinstance(num_workers, (int, np.integer)) or num_workers < 0:
            raise ValueError(f"DataLoader: num_workers must be an integer >= 0, got {num_workers!r}")
        if num_workers > 0:
            backend.say_once(
                "DataLoader num_workers",
                f"DataLoader: num_workers={num_workers} loads in this process all the same: minicnn "
                "has no worker processes (the batches are the ones they would give)",
                UserWarning,
            )
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(f"DataLoader: collate_fn must be callable, got {type(collate_fn).__name__}")
        if seed is not None and generator is not None:
            raise ValueError("DataLoader: give seed or generator, not both")
        self.collate_fn, self.pin_memory = collate_fn, bool(pin_memory)
        if transform is not None and not callable(transform):
            raise TypeError(
                f"DataLoader: transform must be callable as transform(batch, rng), "
                f"got {type(transform).__name__}"
            )
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        self.dataset, self.sampler, self.batch_sampler = dataset, sampler, batch_sampler
        self.batch_size = None if batch_size is None else int(batch_size)
        self.shuffle, self.drop_last, self.transform = shuffle, drop_last, with_generator(transform)
        self.seed_given = seed is not None
        if seed is None:  # drawn only where the loader draws at all: a fixed order uses none
            random = shuffle or transform is not None
            seed = int(random_state.get_generator(generator).integers(2**63)) if random else 0
        self.seed = int(seed)
        self.epoch = 0

    def __len__(self):
        if self.batch_sampler is not None:
            return _length(self.batch_sampler, "batch_sampler")
        n = len(self.dataset) if self.sampler is None else _length(self.sampler, "sampler")
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def set_epoch(self, epoch):
        """The next iteration runs as epoch ``epoch`` (order and augmentation)."""
        self.epoch = int(epoch)

    def __iter__(self):
        rng = np.random.default_rng([self.seed, self.epoch])
        self.epoch += 1
        for idx in self._batches(rng):
            if self.batch_size is None and self.batch_sampler is None:
                x, y = self._item(int(idx))
            else:
                x, y = self._gather(idx)
            if self.transform is not None:
                x = self.transform(x, rng)
            yield Tensor(np.asarray(x, dtype=np.float32, order="C")), Tensor(y)

    def _batches(self, rng):
        """Each batch's dataset indices (one index each where batching is off)."""
        for source in (self.sampler, self.batch_sampler):
            if source is not None and hasattr(source, "set_epoch"):
                source.set_epoch(self.epoch - 1)
        if self.batch_sampler is not None:
            for k, batch in enumerate(self.batch_sampler):
                idx = np.fromiter(batch, dtype=np.int64)
                if not idx.size:
                    raise ValueError(f"DataLoader: batch_sampler gave an empty batch (batch {k})")
                yield idx
            return
        if self.sampler is not None:
            order = np.fromiter(self.sampler, dtype=np.int64)
        else:
            n = len(self.dataset)
            order = rng.permutation(n) if self.shuffle else np.arange(n)
        if self.batch_size is None:
            yield from order
            return
        # NOTE: counted from the order drawn, not len(self): a sampler need not have a len
        stop = len(order) - len(order) % self.batch_size if self.drop_last else len(order)
        for start in range(0, stop, self.batch_size):
            yield order[start : start + self.batch_size]

    def _item(self, i):
        """Item i as the dataset gives it, with batching off: (x, y) arrays, no batch axis."""
        item = self.dataset[i]
        if self.collate_fn is not None:
            item = self.collate_fn(item)
            if not isinstance(item, (tuple, list)) or len(item) != 2:
                raise TypeError(
                    f"DataLoader: collate_fn must return a pair (x, y), got {type(item).__name__}"
                )
        else:
            _check_pair(i, item)
        x, y = _as_numpy(item[0]), _as_numpy(item[1])
        return x.astype(np.float32, copy=False), as_labels(y, "DataLoader")

    def _gather(self, idx):
        if self.collate_fn is not None:
            batch = self.collate_fn([self.dataset[int(i)] for i in idx])
            if not isinstance(batch, (tuple, list)) or len(batch) != 2:
                raise TypeError(
                    f"DataLoader: collate_fn must return a pair (x, y), got {type(batch).__name__}"
                )
            x, y = _as_numpy(batch[0]), _as_numpy(batch[1])
        elif items_are_its_arrays(self.dataset):
            x, y = self.dataset.images[idx], self.dataset.labels[idx]
        else:
            items = [self.dataset[int(i)] for i in idx]
            for i, item in zip(idx, items):
                _check_pair(int(i), item)
            x = np.stack([_as_numpy(item[0]) for item in items])
            y = np.stack([_as_numpy(item[1]) for item in items])
        # NOTE: float32 before the transform, so augmentation never works on uint8
        return x.astype(np.float32, copy=False), as_labels(y, "DataLoader")

    def __repr__(self):
        return (
            f"DataLoader(n={len(self.dataset)}, batch_size={self.batch_size}, "
            f"shuffle={self.shuffle}, drop_last={self.drop_last}, seed={self.seed}, "
            f"epoch={self.epoch})"
        )


def _check_pair(i, item):
    if not isinstance(item, (tuple, list)) or len(item) != 2:
        got = f"{len(item)} values" if isinstance(item, (tuple, list)) else type(item).__name__
        raise TypeError(f"DataLoader: dataset[{i}] must be a pair (x, y), got {got}")


def _length(source, name):
    """len(sampler): a TypeError naming it where it has none (an iterator)."""
    try:
        return len(source)
    except TypeError:
        raise TypeError(
            f"DataLoader: len(loader) needs len({name}), and this {name} "
            f"({type(source).__name__}) has none; the loader iterates without it"
        ) from None
