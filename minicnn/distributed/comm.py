"""The process group: who am I (``rank``), how many are we (``world_size``), and the
two collectives that data-parallel training needs, ``all_reduce`` and ``broadcast``.

    mpirun -n 2 python train.py          # two processes, one per core (or per GPU)

    import minicnn.distributed as dist
    dist.init()                           # "mpi" (mpi4py) or "nccl" (CuPy, GPUs)
    dist.all_reduce(grad, op="sum")       # in place: every rank ends with the sum

Without ``init`` (or with one process and no MPI) the group is this process
alone: rank 0 of a world of 1, and the collectives leave their argument as it
is, so the same script runs unchanged with and without ``mpirun``.
"""
import os
import sys
import traceback

import numpy as np

from ..backend import is_cupy_array, say_once, to_device
from ..tensor import Tensor

BACKENDS = ("mpi", "nccl")
OPS = ("sum", "prod", "min", "max", "avg")
# set by the MPI launchers (MPICH/Hydra, Open MPI, Slurm): a world bigger than one without mpi4py
# would silently train one model per process, so init refuses instead
_LAUNCHER_SIZE_VARS = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MPI_LOCALNRANKS", "SLURM_NTASKS")


class _Single:
    """The world of one process: every collective is the identity."""

    name, rank, size = "single", 0, 1

    def all_reduce(self, array, op):
        return array

    def broadcast(self, array, root):
        return array

    def barrier(self):
        pass

    def abort(self, code):
        os._exit(code)


class _MPI:
    """Collectives through mpi4py on host arrays; a CuPy array goes via a host copy
    (the MPICH wheel is not CUDA-aware: use the "nccl" backend to stay on the GPU)."""

    name = "mpi"

    def __init__(self, MPI):
        self.MPI, self.comm = MPI, MPI.COMM_WORLD
        self.rank, self.size = self.comm.Get_rank(), self.comm.Get_size()
        self.ops = {"sum": MPI.SUM, "prod": MPI.PROD, "min": MPI.MIN, "max": MPI.MAX,
                    "avg": MPI.SUM}

    def all_reduce(self, array, op):
        host = to_device(array, "cpu")
        self.comm.Allreduce(self.MPI.IN_PLACE, host, op=self.ops[op])
        if op == "avg":
            host /= self.size
        if host is not array:
            array[...] = to_device(host, "cuda")
        return array

    def broadcast(self, array, root):
        host = to_device(array, "cpu")
        self.comm.Bcast(host, root=root)
        if host is not array:
            array[...] = to_device(host, "cuda")
        return array

    def barrier(self):
        self.comm.Barrier()

    def abort(self, code):
        self.comm.Abort(code)


_group = [_Single()]
_initialized = [False]


def _launched_size():
    for var in _LAUNCHER_SIZE_VARS:
        if os.environ.get(var, "").isdigit():
            return int(os.environ[var])
    return 1


def _import_mpi():
    try:
        from mpi4py import MPI
    except ImportError as err:
        if _launched_size() > 1:
            raise RuntimeError(
                f"minicnn.distributed.init: this process was started as one of "
                f"{_launched_size()} by an MPI launcher, but mpi4py cannot be imported ({err}). "
                "Install the dist extra: pip install -e \".[dist]\"") from None
        say_once("mpi4py", "mpi4py is not installed: minicnn.distributed runs as a single "
                                   "process (rank 0 of 1). Install the dist extra for mpirun.")
        return None
    return MPI


def init(backend="mpi"):
    """Join the process group started by ``mpirun`` / ``mpiexec``; returns ``world_size()``.

    Args:
        backend: "mpi" (mpi4py; NumPy or CuPy arrays, the latter through host
            memory) or "nccl" (CuPy arrays on GPUs, one GPU per rank: rank r uses
            GPU r mod the number of GPUs; mpi4py still starts the ranks).

    Calling it again is a no-op. It also installs an exception hook: a rank that
    dies with an uncaught exception prints its traceback and aborts the whole
    job, instead of leaving the other ranks waiting forever in a collective.
    """
    if backend not in BACKENDS:
        raise ValueError(f"minicnn.distributed.init: backend must be one of {BACKENDS}, "
                         f"got {backend!r}")
    if _initialized[0]:
        return _group[0].size
    MPI = _import_mpi()
    if MPI is not None:
        group = _MPI(MPI)
        if backend == "nccl":
            from .nccl import NCCLGroup
            group = NCCLGroup(group)
        _group[0] = group
    _initialized[0] = True
    if _group[0].size > 1:
        sys.excepthook = _abort_on_exception
    return _group[0].size


def _abort_on_exception(kind, value, tb):
    """Print the error as this rank's, then take every rank down with it."""
    text = "".join(traceback.format_exception(kind, value, tb))
    sys.stderr.write(f"[rank {rank()} of {world_size()}] {text}")
    sys.stderr.flush()
    sys.stdout.flush()
    _group[0].abort(1)


def is_initialized():
    return _initialized[0]


def rank():
    """This process's index in the group, 0 .. world_size() - 1 (0 without init)."""
    return _group[0].rank


def world_size():
    """The number of processes in the group (1 without init)."""
    return _group[0].size


def backend_name():
    """"single" without MPI, else the backend passed to ``init``."""
    return _group[0].name


def barrier():
    """Wait until every rank has reached this line."""
    _group[0].barrier()


def _array_of(name, x):
    array = x.data if isinstance(x, Tensor) else x
    if not (isinstance(array, np.ndarray) or is_cupy_array(array)):
        raise TypeError(f"{name}: expected a Tensor or an array, got {type(x).__name__}")
    if not array.flags.c_contiguous:
        raise ValueError(f"{name}: works in place on a C-contiguous array; got a strided view of "
                         f"shape {array.shape} (pass a contiguous copy and copy it back)")
    return array


def all_reduce(x, op="sum"):
    """Reduce ``x`` over all ranks, in place: afterwards every rank holds the result.

    Args:
        x: a Tensor or a NumPy/CuPy array (C-contiguous), of one shape and dtype
            on every rank.
        op: "sum", "prod", "min", "max" or "avg" (the sum divided by world_size).
    Returns ``x``.
    """
    if op not in OPS:
        raise ValueError(f"all_reduce: op must be one of {OPS}, got {op!r}")
    _group[0].all_reduce(_array_of("all_reduce", x), op)
    return x


def broadcast(x, root=0):
    """Copy rank ``root``'s ``x`` into ``x`` on every other rank, in place. Returns ``x``."""
    if not 0 <= root < world_size():
        raise ValueError(f"broadcast: root must be a rank in 0..{world_size() - 1}, got {root}")
    _group[0].broadcast(_array_of("broadcast", x), root)
    return x
