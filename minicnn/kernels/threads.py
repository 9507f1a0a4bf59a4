"""Large copies and elementwise passes split over threads: NumPy runs each on one core.

NumPy lets go of the GIL inside ``copyto`` and inside a ufunc's loop over plain
numbers, so slices of one array along its first axis can be written by several
Python threads at once; the slices share no element, so the result is the one
the whole call gives, bit for bit. BLAS has its own threads for the GEMMs and the
Numba loops theirs; this is for the rest: im2col's column copies, ReLU.

How many threads: ``MINICNN_COPY_THREADS`` if set, else half the cores, as the
Numba loops take (numba_cpu._cores_shared_with_blas); on 2 cores that is one, and
every call runs whole on the calling thread. Arrays under ``MIN_BYTES`` never split:
handing work to another thread costs more than such a copy.
"""

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

MIN_BYTES = 1 << 20

_pool: list = [None, 0]  # the executor, and how many workers it has


def count() -> int:
    """The threads a split uses: MINICNN_COPY_THREADS, else half the cores (at least 1)."""
    text = os.environ.get("MINICNN_COPY_THREADS")
    if text is not None:
        try:
            n = int(text)
        except ValueError:
            raise ValueError(f"MINICNN_COPY_THREADS: expected a whole number, got {text!r}") from None
        if n < 1:
            raise ValueError(f"MINICNN_COPY_THREADS: expected at least 1, got {n}")
        return n
    return max(1, (os.cpu_count() or 2) // 2)


def _executor(workers):
    if _pool[1] != workers:
        if _pool[0] is not None:
            _pool[0].shutdown(wait=True)
        _pool[0], _pool[1] = ThreadPoolExecutor(workers, thread_name_prefix="minicnn-copy"), workers
    return _pool[0]


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
    bounds = [n * i // threads for i in range(threads + 1)]
    parts = [slice(bounds[i], bounds[i + 1]) for i in range(threads)]

    def sliced(p):
        return [a[p] if getattr(a, "ndim", 0) else a for a in inputs]

    pool = _executor(threads - 1)
    # NOTE: the calling thread takes the first part itself rather than waiting idle
    pending = [pool.submit(fn, out[p], *sliced(p)) for p in parts[1:]]
    try:
        fn(out[parts[0]], *sliced(parts[0]))
    finally:
        for job in pending:
            job.result()


def elementwise(fn, x, *inputs):
    """fn(x, *inputs) for a ufunc-like fn (one taking ``out=``), as a new array of x's shape
    and dtype written in parts along the first axis; where nothing splits, fn(x, *inputs)."""
    if _threads_for(x) < 2:
        return fn(x, *inputs)
    out = np.empty_like(x)
    split(lambda part, *parts: fn(*parts, out=part), out, x, *inputs)
    return out


def copyto(out, src, xp=np) -> None:
    """xp.copyto(out, src), split over threads (src of out's shape)."""
    split(xp.copyto, out, src)
