"""Training on several processes: data parallelism over MPI (or NCCL), and
AlexNet's two-tower model parallelism.

    mpirun -n 2 python -m minicnn train lenet5 --distributed

    import minicnn.distributed as dist
    dist.init()                                   # rank(), world_size()
    model = dist.DistributedDataParallel(net)     # same start on every rank
    sampler = dist.DistributedSampler(train)      # this rank's slice of the data
    loader = DataLoader(train, batch_size=32, sampler=sampler)
    ...  loss.backward(); model.sync_gradients(); optimizer.step()

Data parallelism: each rank holds a whole replica and a slice of every batch;
gradients are averaged (``all_reduce``) so the replicas stay identical.
Model parallelism: each device holds part of the model (``split_towers``) and
activations cross between them. Without ``mpirun`` everything runs as rank 0
of a world of 1; under ``mpirun`` (more than one process) ``init`` must come
first. See docs/parallelism.md.
"""

from .comm import all_reduce, backend_name, barrier, broadcast, init, is_initialized, rank, world_size
from .ddp import DistributedDataParallel, shard_loader
from .sampler import DistributedSampler
from .sync_bn import SyncBatchNorm
from .towers import TwoTowerNet, alexnet_two_tower, split_towers

__all__ = [
    "init",
    "is_initialized",
    "rank",
    "world_size",
    "barrier",
    "all_reduce",
    "broadcast",
    "backend_name",
    "DistributedDataParallel",
    "shard_loader",
    "DistributedSampler",
    "SyncBatchNorm",
    "split_towers",
    "alexnet_two_tower",
    "TwoTowerNet",
]
