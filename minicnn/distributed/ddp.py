"""DistributedDataParallel: one model replica per rank, gradients averaged after backward.

Data parallelism in three lines: every rank starts from rank 0's weights, runs
forward and backward on its own slice of the batch, and all-reduces the
gradients (sum / world) before the optimizer step. The mean of the slices'
mean losses is the mean loss of the whole batch, so the averaged gradient is
the one-process gradient of the global batch, and every rank applies the
same update to the same weights: the replicas never drift apart.
"""

from ..backend import device_of, xp_of
from ..nn.module import Module
from ..tensor import Tensor
from . import comm
from .sampler import DistributedSampler


def _buckets(arrays, cap_bytes):
    """Lists of arrays of one dtype and device, each list under cap_bytes (or a single array)."""
    groups = {}
    for a in arrays:
        groups.setdefault((a.dtype.str, device_of(a)), []).append(a)
    for group in groups.values():
        bucket, size = [], 0
        for a in group:
            if bucket and size + a.nbytes > cap_bytes:
                yield bucket
                bucket, size = [], 0
            bucket.append(a)
            size += a.nbytes
        if bucket:
            yield bucket


def _flat(arrays):
    return xp_of(arrays[0]).concatenate([a.ravel() for a in arrays])


def _pieces(flat, arrays):
    """Views of ``flat`` shaped like each of ``arrays``, in order."""
    offset = 0
    for a in arrays:
        yield flat[offset : offset + a.size].reshape(a.shape)
        offset += a.size


class DistributedDataParallel(Module):
    """Wrap ``module`` for data-parallel training; ``forward`` is the module's.

    Args:
        module: the model; ``.module`` gives it back (its state_dict has the
            model's own names, the wrapper's has ``module.`` in front, as PyTorch).
        bucket_cap_mb: gradients are concatenated into flat buffers of about
            this size, one all-reduce each: a few big messages instead of one
            per parameter (latency, not bandwidth, dominates small messages).
        broadcast_buffers: copy rank 0's buffers (BatchNorm running statistics)
            to every rank before each training forward, so plain per-rank
            BatchNorm still leaves identical models.

    Call ``sync_gradients()`` after ``loss.backward()`` and before
    ``optimizer.step()`` (``fit(..., distributed=True)`` does).
    """

    def __init__(self, module, bucket_cap_mb=25, broadcast_buffers=True):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel: expected a Module, got {type(module).__name__}")
        self.module = module
        self.cap_bytes = int(bucket_cap_mb * 2**20)
        self.broadcast_buffers = broadcast_buffers
        self._broadcast([p.data for p in module.parameters()])
        self._broadcast([b.data for b in module.buffers()])

    def forward(self, *args, **kwargs):
        if self.broadcast_buffers and self.training:
            self._broadcast([b.data for b in self.module.buffers()])
        return self.module(*args, **kwargs)

    def training_loss(self, output, target, loss):
        """The wrapped model's ``training_loss`` where it has one, else ``loss(output, target)``."""
        own = getattr(self.module, "training_loss", None)
        return own(output, target, loss) if own is not None else loss(output, target)

    def _broadcast(self, arrays):
        if comm.world_size() == 1:
            return
        for bucket in _buckets(arrays, self.cap_bytes):
            flat = comm.broadcast(_flat(bucket), root=0)
            for a, piece in zip(bucket, _pieces(flat, bucket)):
                a[...] = piece

    def sync_gradients(self):
        """Average every parameter's gradient over the ranks, in flat buckets.

        A parameter without a gradient on this rank counts as a zero gradient,
        so every rank sends buffers of the same layout.
        """
        world = comm.world_size()
        if world == 1:
            return
        params = [p for p in self.module.parameters() if p.requires_grad]
        grads = [p.grad.data if p.grad is not None else xp_of(p.data).zeros_like(p.data) for p in params]
        owner = {id(g): p for g, p in zip(grads, params)}
        for bucket in _buckets(grads, self.cap_bytes):
            flat = _flat(bucket)
            comm.all_reduce(flat, "sum")
            flat /= world
            # NOTE: new arrays (views of flat), not writes into the old grads: an op's
            # backward may hand one array to two inputs, so a grad array can be shared
            for g, piece in zip(bucket, _pieces(flat, bucket)):
                owner[id(g)].grad = Tensor(piece)


def shard_loader(loader, num_replicas=None, rank=None):
    """This rank's DataLoader for data-parallel training with ``loader``'s global batch.

    Each rank gets a DistributedSampler shard of ``loader.dataset`` and batches
    of ``loader.batch_size // world_size``, so one step over all ranks sees
    ``loader.batch_size`` images, as ``loader`` would in one process. The
    shard order follows ``loader.seed`` on every rank; the transform's random
    numbers differ per rank. A loader that already has a DistributedSampler
    is returned as it is.
    """
    from ..data import DataLoader

    num_replicas = comm.world_size() if num_replicas is None else num_replicas
    rank = comm.rank() if rank is None else rank
    sampler = getattr(loader, "sampler", None)
    if isinstance(sampler, DistributedSampler):
        return loader
    if not isinstance(loader, DataLoader) or sampler is not None:
        raise TypeError(
            f"shard_loader: expected a minicnn DataLoader without a sampler, got "
            f"{loader!r}; build it with sampler=DistributedSampler(dataset) instead"
        )
    if loader.batch_size % num_replicas:
        raise ValueError(
            f"shard_loader: the batch size {loader.batch_size} does not split "
            f"evenly over {num_replicas} ranks"
        )
    sampler = DistributedSampler(
        loader.dataset,
        num_replicas,
        rank,
        shuffle=loader.shuffle,
        seed=loader.seed,
        drop_last=loader.drop_last,
    )
    return DataLoader(
        loader.dataset,
        batch_size=loader.batch_size // num_replicas,
        drop_last=loader.drop_last,
        seed=loader.seed * num_replicas + rank,
        transform=loader.transform,
        sampler=sampler,
    )
