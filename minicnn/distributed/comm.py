"""The process group: who am I (``rank``), how many are we (``world_size``), and the
two collectives that data-parallel training needs, ``all_reduce`` and ``broadcast``.

    mpirun -n 2 python train.py          # two processes, one per core (or per GPU)

    import minicnn.distributed as dist
    dist.init()                           # "mpi" (mpi4py) or "nccl" (CuPy, GPUs)
    dist.all_reduce(grad, op="sum")       # in place: every rank ends with the sum

Without ``init`` (or with one process and no MPI) the group is this process
alone: rank 0 of a world of 1, and the collectives leave their argument as it
is, so the same script runs unchanged with and without ``mpirun``.

Started by ``mpirun`` as one of several processes, a process must call ``init``
before any collective, ``DistributedDataParallel`` or ``DistributedSampler``:
without it each process would train alone, believing itself rank 0 of 1, so
they refuse (RuntimeError) rather than do that.

A collective that some rank never reaches (stuck, or dead without a word)
would leave the others waiting forever; instead each collective waits at most
``timeout`` seconds (``init(timeout=...)``), then the job is aborted with a
line naming the silent rank(s). To know who is silent, every rank tells rank 0
when it arrives at a collective, a small message beside the collective itself.
That message also says which collective it is (kind, op or root, size, dtype):
rank 0 compares them with its own before it joins, and a rank that calls
another collective, or the same one on another size, is named in a
RuntimeError instead of being paired with the wrong data (MPI pairs
collectives by their order alone).
"""

import os
import sys
import time
import traceback

import numpy as np

from ..backend import is_cupy_array, say_once, to_device
from ..tensor import Tensor

BACKENDS = ("mpi", "nccl")
OPS = ("sum", "prod", "min", "max", "avg")
# set by the MPI launchers (MPICH/Hydra, Open MPI, Slurm): a world bigger than one without mpi4py
# would silently train one model per process, so init refuses instead
_LAUNCHER_SIZE_VARS = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MPI_LOCALNRANKS", "SLURM_NTASKS")
# (size, rank) variables that mpiexec / mpirun themselves set (MPICH's Hydra, Open MPI, PMIx)
_LAUNCHER_VARS = (
    ("PMI_SIZE", "PMI_RANK"),
    ("OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK"),
    ("MPI_LOCALNRANKS", "MPI_LOCALRANKID"),
    ("PMIX_SIZE", "PMIX_RANK"),
)
DEFAULT_TIMEOUT = 300.0  # seconds a rank waits in a collective for the others
_ARRIVED = 7001  # the tag of the "I have reached collective n" notes to rank 0
_KINDS = ("all_reduce", "broadcast", "barrier")


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

    def __init__(self, MPI, timeout=DEFAULT_TIMEOUT):
        self.MPI, self.comm = MPI, MPI.COMM_WORLD
        self.rank, self.size = self.comm.Get_rank(), self.comm.Get_size()
        self.ops = {"sum": MPI.SUM, "prod": MPI.PROD, "min": MPI.MIN, "max": MPI.MAX, "avg": MPI.SUM}
        self.timeout, self.count = float(timeout), 0

    def all_reduce(self, array, op):
        host = to_device(array, "cpu")
        self._wait(
            lambda: self.comm.Iallreduce(self.MPI.IN_PLACE, host, op=self.ops[op]),
            _KINDS.index("all_reduce"),
            OPS.index(op),
            host,
        )
        if op == "avg":
            host /= self.size
        if host is not array:
            array[...] = to_device(host, "cuda")
        return array

    def broadcast(self, array, root):
        host = to_device(array, "cpu")
        self._wait(lambda: self.comm.Ibcast(host, root=root), _KINDS.index("broadcast"), root, host)
        if host is not array:
            array[...] = to_device(host, "cuda")
        return array

    def barrier(self):
        self._wait(self.comm.Ibarrier, _KINDS.index("barrier"), 0, None)

    def _wait(self, start, kind, detail, host):
        """Run a non-blocking collective to its end, or abort the job past the timeout.

        Every rank tells rank 0 which collective it has reached (``_note``). Rank 0 waits
        for the notes, compares them with its own (RuntimeError at a mismatch), and only
        then joins: it names the silent ranks when its time is up. The others wait a
        little longer, so that rank 0 speaks first, and name rank 0 if it never does.
        """
        self.count += 1
        note = _note(self.count, kind, detail, host)
        what = f"{_KINDS[kind]} #{self.count}"
        deadline = time.monotonic() + self.timeout + (0.0 if self.rank == 0 else min(self.timeout, 10.0))
        if self.rank == 0:
            heard = np.zeros((self.size, note.size), dtype=np.int64)
            notes = [self.comm.Irecv(heard[r], source=r, tag=_ARRIVED) for r in range(1, self.size)]
            self._spin(lambda: self.MPI.Request.Testall(notes), what, deadline, notes)
            _compare(note, heard[1:])
            self._spin(start().Test, what, deadline, notes)
        else:
            notes = [self.comm.Isend(note, dest=0, tag=_ARRIVED)]
            self._spin(start().Test, what, deadline, notes)
            self.MPI.Request.Waitall(notes)

    def _spin(self, done, what, deadline, notes):
        """Call ``done()`` until it is true; past ``deadline``, say who is missing and abort."""
        spins = 0
        while not done():
            spins += 1
            if spins > 1000:  # NOTE: spin first (a collective is short), then sleep
                time.sleep(1e-4 if spins < 10000 else 1e-3)
            if time.monotonic() > deadline:
                if self.rank == 0:
                    silent = [r for r, n in zip(range(1, self.size), notes) if not n.Test()]
                    who = (
                        f"rank(s) {', '.join(map(str, silent))} never reached it"
                        if silent
                        else "every rank reached it, yet it did not complete"
                    )
                else:
                    who = "no word from rank 0, which names the silent ranks: it never reached it"
                sys.stderr.write(
                    f"[rank {self.rank} of {self.size}] minicnn.distributed: {what} "
                    f"waited {self.timeout:g} s; {who}. Aborting the "
                    "job (init(timeout=...) or train --dist-timeout sets the wait)\n"
                )
                sys.stderr.flush()
                self.abort(1)

    def abort(self, code):
        # NOTE: the launcher forwards a rank's stderr on its own schedule, and Abort kills the
        # job at once: a pause lets the lines this rank just wrote (its error) reach the user
        time.sleep(1.0)
        self.comm.Abort(code)


def _note(count, kind, detail, host):
    """What a rank tells rank 0 on reaching a collective: its number, kind (``_KINDS``),
    op (all_reduce) or root (broadcast), and the array's size and dtype (as its type char)."""
    size, dtype = (-1, 0) if host is None else (host.size, ord(host.dtype.char))
    return np.array([count, kind, detail, size, dtype], dtype=np.int64)


def _describe(note):
    """ "all_reduce(sum) of 3 float64" for a note."""
    _, kind, detail, size, dtype = (int(v) for v in note)
    name = _KINDS[kind]
    if name == "barrier":
        return name
    said = f"all_reduce({OPS[detail]})" if name == "all_reduce" else f"broadcast(root={detail})"
    return f"{said} of {size} {np.dtype(chr(dtype)).name}"


def _compare(mine, theirs):
    """Rank 0: raise RuntimeError naming the first rank whose collective is not rank 0's."""
    for r, note in enumerate(theirs, 1):
        if not np.array_equal(note, mine):
            raise RuntimeError(
                f"minicnn.distributed: collective #{mine[0]} differs between ranks: rank 0 "
                f"calls {_describe(mine)}, rank {r} calls {_describe(note)}; every rank must "
                "make the same collectives in the same order"
            )


_group = [_Single()]
_initialized = [False]


def _number(text):
    """The count in a launcher's variable, or None; isdecimal, not isdigit: int() refuses "²"."""
    text = text.strip()
    return int(text) if text.isdecimal() else None


def _launched_size():
    for var in _LAUNCHER_SIZE_VARS:
        size = _number(os.environ.get(var, ""))
        if size is not None:
            return size
    return 1


def launched_by():
    """(size, rank) of the job an MPI launcher started this process in, as its environment
    variables tell before MPI is imported; (1, 0) for a process started on its own.

    Raises ValueError, in one line naming the variables, when the rank is not one of the job's.
    """
    for size_var, rank_var in _LAUNCHER_VARS:
        size = _number(os.environ.get(size_var, ""))
        if size is None:
            continue
        text = os.environ.get(rank_var, "0")
        rank = _number(text)
        if size < 1:
            raise ValueError(f"{size_var}={size} is not a number of processes (1 or more); unset it")
        if rank is None or rank >= size:
            raise ValueError(
                f"{rank_var}={text!r:.40} is not a rank of the {size_var}={size} processes the MPI "
                f"launcher started (0 .. {size - 1}); start the command with mpiexec, or unset both"
            )
        return size, rank
    return 1, 0


def _import_mpi():
    try:
        from mpi4py import MPI
    except ImportError as err:
        if _launched_size() > 1:
            raise RuntimeError(
                f"minicnn.distributed.init: this process was started as one of "
                f"{_launched_size()} by an MPI launcher, but mpi4py cannot be imported ({err}). "
                'Install the dist extra: pip install -e ".[dist]"'
            ) from None
        say_once(
            "mpi4py",
            "mpi4py is not installed: minicnn.distributed runs as a single "
            "process (rank 0 of 1). Install the dist extra for mpirun.",
        )
        return None
    return MPI


def init(backend="mpi", timeout=DEFAULT_TIMEOUT):
    """Join the process group started by ``mpirun`` / ``mpiexec``; returns ``world_size()``.

    Args:
        backend: "mpi" (mpi4py; NumPy or CuPy arrays, the latter through host
            memory) or "nccl" (CuPy arrays on GPUs, one GPU per rank: rank r uses
            GPU r mod the number of GPUs; mpi4py still starts the ranks).
        timeout: seconds an MPI collective waits for every rank before the job
            is aborted with the silent ranks named.

    Calling it again is a no-op. It also installs an exception hook: a rank that
    dies with an uncaught exception prints its traceback and aborts the whole
    job, instead of leaving the other ranks waiting forever in a collective.
    """
    if backend not in BACKENDS:
        raise ValueError(f"minicnn.distributed.init: backend must be one of {BACKENDS}, got {backend!r}")
    if not float(timeout) > 0:
        raise ValueError(
            f"minicnn.distributed.init: timeout must be a number of seconds above 0, got {timeout!r}"
        )
    if _initialized[0]:
        return _group[0].size
    MPI = _import_mpi()
    if MPI is not None:
        group = _MPI(MPI, timeout)
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


def abort(code=1):
    """End every rank of the job now, with exit status ``code`` (after saying why)."""
    sys.stdout.flush()
    sys.stderr.flush()
    _group[0].abort(code)


def is_initialized():
    """Whether ``init`` has set up this process's group, as ``torch.distributed.is_initialized``."""
    return _initialized[0]


def require_init(who):
    """Refuse (RuntimeError) to act as a world of one in a process that an MPI launcher
    started as one of several, before ``init``: each would go on alone as rank 0 of 1."""
    if _initialized[0]:
        return
    # NOTE: the size alone, not launched_by(): a collective is no place to judge the rank variable
    found = [(v, _number(os.environ.get(v, ""))) for v, _ in _LAUNCHER_VARS]
    size_var, size = next(((v, n) for v, n in found if n is not None), (None, 1))
    if size > 1:
        raise RuntimeError(
            f"{who}: this process is one of {size} that an MPI launcher started "
            f"({size_var}={size}), but it has not joined them: call "
            "minicnn.distributed.init() first"
        )


def rank():
    """This process's index in the group, 0 .. world_size() - 1 (0 without init)."""
    return _group[0].rank


def world_size():
    """The number of processes in the group (1 without init)."""
    return _group[0].size


def backend_name():
    """ "single" without MPI, else the backend passed to ``init``."""
    return _group[0].name


def barrier():
    """Wait until every rank has reached this line."""
    require_init("barrier")
    _group[0].barrier()


def _array_of(name, x):
    array = x.data if isinstance(x, Tensor) else x
    if not (isinstance(array, np.ndarray) or is_cupy_array(array)):
        raise TypeError(f"{name}: expected a Tensor or an array, got {type(x).__name__}")
    if not array.flags.c_contiguous:
        raise ValueError(
            f"{name}: works in place on a C-contiguous array; got a strided view of "
            f"shape {array.shape} (pass a contiguous copy and copy it back)"
        )
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
    require_init("all_reduce")
    _group[0].all_reduce(_array_of("all_reduce", x), op)
    return x


def broadcast(x, root=0):
    """Copy rank ``root``'s ``x`` into ``x`` on every other rank, in place. Returns ``x``."""
    require_init("broadcast")
    if not 0 <= root < world_size():
        raise ValueError(f"broadcast: root must be a rank in 0..{world_size() - 1}, got {root}")
    _group[0].broadcast(_array_of("broadcast", x), root)
    return x
