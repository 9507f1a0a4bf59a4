"""DistributedDataParallel: one model replica per rank, gradients averaged after backward.

Data parallelism in three lines: every rank starts from rank 0's weights, runs
forward and backward on its own slice of the batch, and all-reduces the
gradients (sum / world) before the optimizer step. The mean of the slices'
mean losses is the mean loss of the whole batch, so the averaged gradient is
the one-process gradient of the global batch, and every rank applies the
same update to the same weights: the replicas never drift apart.
"""

import json

import numpy as np

from ..backend import device_of, xp_of
from ..grad_mode import is_grad_enabled
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


def _signature(module):
    """[kind, name, shape, dtype] of each parameter and buffer, in order."""
    return [
        [kind, name, list(t.shape), t.data.dtype.name]
        for kind, named in (("parameter", module.named_parameters()), ("buffer", module.named_buffers()))
        for name, t in named
    ]


def _gather_bytes(mine):
    """Every rank's bytes (a list, by rank): an all-gather made of two all-reduces, each rank
    filling its own row of zeros (a sum of one term and zeros is exact)."""
    world, r = comm.world_size(), comm.rank()
    sizes = np.zeros(world, dtype=np.int64)
    sizes[r] = len(mine)
    comm.all_reduce(sizes)
    table = np.zeros((world, int(sizes.max())), dtype=np.uint8)
    table[r, : len(mine)] = np.frombuffer(mine, dtype=np.uint8)
    comm.all_reduce(table)
    return [table[k, : sizes[k]].tobytes() for k in range(world)]


def check_same_model(module, who="DistributedDataParallel"):
    """Raise ValueError, on every rank alike, where the ranks' modules differ in a parameter's
    or buffer's name, shape or dtype, naming the first that differs and the two ranks."""
    if comm.world_size() == 1:
        return
    theirs = [json.loads(b) for b in _gather_bytes(json.dumps(_signature(module)).encode())]

    def said(entry):
        return "nothing" if entry is None else f"{entry[0]} {entry[1]!r} {tuple(entry[2])} {entry[3]}"

    first = theirs[0]
    for r, other in enumerate(theirs[1:], 1):
        for i in range(max(len(first), len(other))):
            a = first[i] if i < len(first) else None
            b = other[i] if i < len(other) else None
            if a != b:
                raise ValueError(
                    f"{who}: the ranks hold different models: where rank 0 has {said(a)}, "
                    f"rank {r} has {said(b)}; wrap the same model on every rank"
                )


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
            Every rank must wrap the same model: the parameters' and buffers'
            names, shapes and dtypes are compared at construction (ValueError
            naming the first that differs, on every rank), then rank 0's values
            are copied to every rank.
        bucket_cap_mb: gradients are concatenated into flat buffers of about
            this size, one all-reduce each: a few big messages instead of one
            per parameter (latency, not bandwidth, dominates small messages).
        broadcast_buffers: copy rank 0's buffers (BatchNorm running statistics)
            to every rank at the start of a forward, as PyTorch: of every forward
            that follows one made with autograd on (so every training step, and
            the first forward under ``no_grad`` after training too). Per-rank
            BatchNorm then still leaves identical models.

    Call ``sync_gradients()`` after ``loss.backward()`` and before
    ``optimizer.step()`` (``fit(..., distributed=True)`` does).
    """

    def __init__(self, module, bucket_cap_mb=25, broadcast_buffers=True):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel: expected a Module, got {type(module).__name__}")
        comm.require_init("DistributedDataParallel")
        check_same_model(module)
        self.module = module
        self.cap_bytes = int(bucket_cap_mb * 2**20)
        self.broadcast_buffers = broadcast_buffers
        # PyTorch's require_forward_param_sync: whether the last forward ran with autograd on
        self._sync_next = True
        self._broadcast([p.data for p in module.parameters()])
        self._broadcast([b.data for b in module.buffers()])

    def forward(self, *args, **kwargs):
        if self.broadcast_buffers and self._sync_next:
            self.sync_buffers()
        self._sync_next = is_grad_enabled()
        return self.module(*args, **kwargs)

    def training_loss(self, output, target, loss):
        """The wrapped model's ``training_loss`` where it has one, else ``loss(output, target)``."""
        own = getattr(self.module, "training_loss", None)
        return own(output, target, loss) if own is not None else loss(output, target)

    def sync_buffers(self):
        """Copy rank 0's buffers (BatchNorm running statistics) to every rank, now.

        ``forward`` does it before each training step; after the last step each rank's
        buffers hold its own slice's update, so ``fit`` calls this after every epoch,
        before validating and saving.
        """
        self._broadcast([b.data for b in self.module.buffers()])

    def _broadcast(self, arrays):
        if comm.world_size() == 1:
            return
        for bucket in _buckets(arrays, self.cap_bytes):
            flat = comm.broadcast(_flat(bucket), root=0)
            for a, piece in zip(bucket, _pieces(flat, bucket)):
                a[...] = piece

    def sync_gradients(self):
        """Average every parameter's gradient over the ranks, in flat buckets.

        As PyTorch's DDP with ``find_unused_parameters=True``: a parameter that no rank
        gave a gradient keeps ``grad`` None (the optimizer skips it, as in one
        process); one that some ranks used gets the sum of their gradients over
        world_size on every rank, the others counting as zeros. One small all-reduce
        of which parameters have a gradient comes first, so every rank sends buckets
        of the same layout.
        """
        world = comm.world_size()
        if world == 1:
            return
        params = [p for p in self.module.parameters() if p.requires_grad]
        used = np.array([p.grad is not None for p in params], dtype=np.uint8)
        comm.all_reduce(used, "max")
        params = [p for p, u in zip(params, used) if u]
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
    ``loader.batch_size`` images, as ``loader`` would in one process. The shards
    come from one permutation on every rank: the sampler's seed is ``loader.seed``
    where the loader was given ``seed=``, else 0, as PyTorch's DistributedSampler
    (a seed drawn from the generator can differ between processes, and shards of
    different permutations overlap). The transform's random numbers differ per
    rank. A loader that already has a DistributedSampler is returned as it is.
    """
    from ..data import DataLoader

    if num_replicas is None or rank is None:
        comm.require_init("shard_loader")
    num_replicas = comm.world_size() if num_replicas is None else num_replicas
    rank = comm.rank() if rank is None else rank
    sampler = getattr(loader, "sampler", None)
    if isinstance(sampler, DistributedSampler):
        return loader
    if not isinstance(loader, DataLoader) or sampler is not None or loader.batch_size is None:
        raise TypeError(
            f"shard_loader: expected a minicnn DataLoader with a batch_size and without a sampler "
            f"or batch_sampler, got {loader!r}; build it with sampler=DistributedSampler(dataset) instead"
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
        seed=loader.seed if getattr(loader, "seed_given", True) else 0,
        drop_last=loader.drop_last,
    )
    return DataLoader(
        loader.dataset,
        batch_size=loader.batch_size // num_replicas,
        drop_last=loader.drop_last,
        seed=loader.seed * num_replicas + rank,
        transform=loader.transform,
        sampler=sampler,
        collate_fn=loader.collate_fn,
    )


def add_over_ranks(sums):
    """Sums (loss summed, what it is summed over, right, labelled, items) added over all
    ranks, the same on each."""
    totals = np.array(sums, dtype=np.float64)
    comm.all_reduce(totals)
    return float(totals[0]), float(totals[1]), int(totals[2]), int(totals[3]), int(totals[4])


def evaluate_over_ranks(model, loader, loss, device):
    """``fit``'s validation under data parallelism: (mean loss, accuracy), equal on every rank.

    A DataLoader without a sampler (nor drop_last) is split over the W ranks, rank r
    evaluating items r, r + W, r + 2W, ... (no padding, unlike DistributedSampler, so each
    item counts once); any other loader is evaluated as it is on each rank. The sums of
    loss, what it is summed over, right, labelled and seen items are added over the ranks before dividing.
    """
    from ..data import DataLoader
    from ..evaluation import eval_sums, share, sizes_of

    part = loader
    batched = isinstance(loader, DataLoader) and loader.batch_sampler is None
    if batched and loader.sampler is None and not loader.drop_last:
        part = DataLoader(
            loader.dataset,
            batch_size=loader.batch_size,
            seed=loader.seed,
            transform=loader.transform,
            sampler=range(comm.rank(), len(loader.dataset), comm.world_size()),
            collate_fn=loader.collate_fn,
        )
    total, over, right, labelled, seen = add_over_ranks(eval_sums(model, part, loss, device))
    if seen == 0:
        raise ValueError(f"evaluate: the loader gave no batches ({sizes_of(loader)})")
    return share(total, over), share(right, labelled)
