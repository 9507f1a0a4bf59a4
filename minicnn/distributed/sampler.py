"""DistributedSampler: each rank's share of a dataset, a new shuffle every epoch."""

import math

import numpy as np

from . import comm


class DistributedSampler:
    """The indices of rank ``rank``'s shard: every ``num_replicas``-th index of one
    permutation that all ranks draw alike (``seed`` and the epoch fix it).

    Args:
        dataset: anything with ``len``.
        num_replicas, rank: default to ``world_size()`` and ``rank()``.
        shuffle: a new permutation each epoch (call ``set_epoch`` before each;
            the DataLoader does it for you).
        seed: must be the same on every rank, or shards overlap; 0 by default, as
            PyTorch's (not drawn from minicnn's generator, which processes seed alike
            only if told to).
        drop_last: drop the tail so every rank gets ``len // num_replicas``
            items; otherwise pad with indices from the start so each gets
            ``ceil(len / num_replicas)``, as PyTorch does.

    ``len(sampler)`` is the size of one rank's shard.
    """

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0, drop_last=False):
        if num_replicas is None or rank is None:
            comm.require_init("DistributedSampler")
        num_replicas = comm.world_size() if num_replicas is None else num_replicas
        rank = comm.rank() if rank is None else rank
        if int(num_replicas) != num_replicas or num_replicas < 1:
            raise ValueError(
                f"DistributedSampler: num_replicas must be a positive integer, got {num_replicas!r}"
            )
        if int(rank) != rank or not 0 <= rank < num_replicas:
            raise ValueError(
                f"DistributedSampler: invalid rank {rank!r}, rank should be in "
                f"the interval [0, {num_replicas - 1}]"
            )
        self.dataset, self.num_replicas, self.rank = dataset, int(num_replicas), int(rank)
        self.shuffle, self.seed, self.drop_last = shuffle, int(seed), drop_last
        self.epoch = 0
        n = len(dataset)
        if drop_last and n % self.num_replicas:
            self.num_samples = math.ceil((n - self.num_replicas) / self.num_replicas)
        else:
            self.num_samples = math.ceil(n / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas

    def set_epoch(self, epoch):
        """Shuffle as epoch ``epoch``: same order on every rank, another one each epoch."""
        self.epoch = int(epoch)

    def __iter__(self):
        n = len(self.dataset)
        if self.shuffle:
            indices = np.random.default_rng([self.seed, self.epoch]).permutation(n)
        else:
            indices = np.arange(n)
        if self.total_size > n:  # pad, repeating the start as often as needed
            indices = np.resize(indices, self.total_size)
        indices = indices[: self.total_size]
        return iter(indices[self.rank :: self.num_replicas].tolist())

    def __len__(self):
        return self.num_samples

    def __repr__(self):
        return (
            f"DistributedSampler(n={len(self.dataset)}, num_replicas={self.num_replicas}, "
            f"rank={self.rank}, shuffle={self.shuffle}, seed={self.seed}, "
            f"drop_last={self.drop_last}, epoch={self.epoch})"
        )
