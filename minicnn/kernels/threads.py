"""How minicnn's work is shared among threads, and large copies split over threads.

One pool: where Numba is installed, the jitted loops run on every core (Numba's own
setting, ``NUMBA_NUM_THREADS`` or ``numba.set_num_threads``), and BLAS on one thread
(``share_cores_with_blas``, once, when minicnn first builds its kernels with the loops).
The convolutions' GEMMs run inside the loops, an image per thread, each on BLAS's one
thread (numba_winograd.py, numba_im2col.py), as PyTorch runs its kernels in one OpenMP pool.
Every pool's idle threads spin for a while before they sleep, so two pools that together
ask for more threads than there are cores take turns on cores the other still spins on: a
loop that started right after a GEMM on two BLAS threads found BLAS's second thread on the
core it wanted, and on 2 cores the loops had to keep to one thread beside BLAS's two
(docs/performance.md, "Threads"). ``MINICNN_BLAS_THREADS`` sets BLAS's threads instead.
Without Numba, BLAS keeps its pool (half of it where it has more than 2 threads, the rest
left to the copies below).

NumPy lets go of the GIL inside ``copyto`` and inside a ufunc's loop over plain
numbers, so slices of one array along its first axis can be written by several
Python threads at once; the slices share no element, so the result is the one
the whole call gives, bit for bit. That is for the work outside the loops where Numba is
missing: im2col's column copies, ReLU. How many threads: ``MINICNN_COPY_THREADS`` if set,
else one where Numba's loops run (they take every core), else half the cores this process
may run on. Arrays under ``MIN_BYTES`` never split: handing work to another thread costs
more than such a copy.
"""

import os
import threading
from concurrent.futures import ThreadPoolExecutor, wait

import numpy as np

from .. import backend

MIN_BYTES = 1 << 20

_lock = threading.Lock()  # callers on several Python threads share one pool
_pool = None
_pool_workers = 0


def count() -> int:
    """The threads a split uses: MINICNN_COPY_THREADS, else 1 where Numba's loops take the cores,
    else half the usable cores (at least 1)."""
    text = os.environ.get("MINICNN_COPY_THREADS")
    if text is not None:
        return _whole_number("MINICNN_COPY_THREADS", text)
    if backend.numba_available(quiet=True):
        return 1
    return max(1, _usable_cores() // 2)


def _usable_cores() -> int:
    """The cores this process may run on."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return usable or 2


MOST_THREADS = 4096  # more than any machine has cores, and less than a C int holds


def _whole_number(name, text):
    try:
        n = int(text)
    except ValueError:
        raise ValueError(f"{name}: expected a whole number, got {text!r}") from None
    if not 1 <= n <= MOST_THREADS:
        raise ValueError(f"{name}: expected a thread count from 1 to {MOST_THREADS}, got {n}")
    return n


def check_environment() -> None:
    """Refuse a thread count set in the environment that is not one, before a command starts:
    else the first op to read it fails, and its error is taken for that op's."""
    for name in ("MINICNN_COPY_THREADS", "MINICNN_BLAS_THREADS", "NUMBA_NUM_THREADS"):
        if name in os.environ:
            _whole_number(name, os.environ[name])


def blas_threads(pool: int, loops: bool) -> int:
    """The threads BLAS is given, its pool having ``pool``: MINICNN_BLAS_THREADS if set, else one
    beside Numba's ``loops``, else half the pool where it has more than 2, else the pool as it is."""
    text = os.environ.get("MINICNN_BLAS_THREADS")
    if text is not None:
        return _whole_number("MINICNN_BLAS_THREADS", text)
    if loops:
        return 1
    return pool // 2 if pool > 2 else pool


_shared: set = set()  # the settings made: "loops", "no loops"


def share_cores_with_blas(loops: bool) -> None:
    """Each BLAS library's pool set to ``blas_threads`` of it (through threadpoolctl): once per
    process for kernels with Numba's ``loops`` and once for kernels without; the first setting
    made stays for kernels without loops.

    SciPy's BLAS, which Numba's ``np.dot`` calls inside the loops, is loaded first, so that
    its pool is set too. Without threadpoolctl it says once what installing it would give.
    """
    key = "loops" if loops else "no loops"
    if key in _shared or (not loops and _shared):
        return
    _shared.add(key)
    if loops:
        from scipy.linalg import cython_blas  # noqa: F401
    try:
        from threadpoolctl import threadpool_info, threadpool_limits
    except ImportError:
        if loops or _usable_cores() > 2:
            backend.say_once(
                "threadpoolctl",
                "minicnn: BLAS keeps a thread on every core beside the Numba loops, and the two take "
                'turns on the cores, which slows a step; pip install -e ".[numba]" (threadpoolctl) '
                "lets minicnn hold BLAS to one thread",
            )
        return
    pools = [p for p in threadpool_info() if p.get("user_api") == "blas"]
    limits = {
        p["prefix"]: blas_threads(p["num_threads"], loops)
        for p in pools
        if blas_threads(p["num_threads"], loops) != p["num_threads"]
    }
    if limits:
        threadpool_limits(limits=limits)
    global _held_to_one
    _held_to_one = loops and all(blas_threads(p["num_threads"], loops) == 1 for p in pools)


_held_to_one = False


def blas_held_to_one() -> bool:
    """Whether minicnn holds every BLAS to one thread beside its loops (``share_cores_with_blas``):
    then gemm.matmul shares NumPy's larger products among Numba's threads (numba_gemm.py)."""
    return _held_to_one


def _executor(workers):
    """The shared pool, with ``workers`` threads: rebuilt only when the count changes."""
    global _pool, _pool_workers
    with _lock:
        if _pool_workers != workers:
            if _pool is not None:
                _pool.shutdown(wait=False)  # jobs already given to it still finish
            _pool, _pool_workers = ThreadPoolExecutor(workers, thread_name_prefix="minicnn-copy"), workers
        return _pool


def _threads_for(out) -> int:
    """How many parts ``out`` is written in: 1 for a small, 0-d or CuPy array."""
    if not isinstance(out, np.ndarray) or out.ndim == 0 or out.nbytes < MIN_BYTES:
        return 1
    return min(count(), out.shape[0])


def split(fn, out, *inputs) -> None:
    """fn(out[part], *(a[part] for a in inputs)) for parts of the first axis, one per thread.

    Inputs that are arrays have ``out``'s first axis; others (numbers) go to every part
    as they are. With one thread, or a small or CuPy ``out``, it is one call, fn(out, *inputs).
    """
    threads = _threads_for(out)
    if threads < 2:
        fn(out, *inputs)
        return
    n = out.shape[0]
    for a in inputs:
        if getattr(a, "ndim", 0) and a.shape[0] != n:
            raise ValueError(f"threads.split: an input of shape {a.shape} for an output of shape {out.shape}")
    bounds = [n * i // threads for i in range(threads + 1)]
    parts = [slice(bounds[i], bounds[i + 1]) for i in range(threads)]

    def sliced(p):
        return [a[p] if getattr(a, "ndim", 0) else a for a in inputs]

    pool = _executor(count() - 1)
    # NOTE: the calling thread takes the first part itself rather than waiting idle
    pending = [pool.submit(fn, out[p], *sliced(p)) for p in parts[1:]]
    try:
        fn(out[parts[0]], *sliced(parts[0]))
    finally:
        wait(pending)  # no part may still be writing into out once this returns or raises
    for job in pending:  # an error of another part (the first part's own was raised above)
        job.result()


def copyto(out, src, xp=np) -> None:
    """xp.copyto(out, src), split over threads (src of out's shape)."""
    split(xp.copyto, out, src)


def elementwise(fn, x, *inputs):
    """fn(x, *inputs) for a ufunc-like fn (one taking ``out=``) whose result has x's shape and
    dtype, written in parts along the first axis; where nothing splits, fn(x, *inputs).

    Arrays among the inputs must have x's shape to be split; with any other, it is one call.
    """
    if _threads_for(x) < 2 or any(getattr(a, "shape", x.shape) != x.shape for a in inputs):
        return fn(x, *inputs)
    out = np.empty_like(x)
    split(lambda part, *parts: fn(*parts, out=part), out, x, *inputs)
    return out
