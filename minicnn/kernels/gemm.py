"""Matrix products: ``xp.matmul``, save on CuPy while a CUDA graph is being recorded.

CuPy refuses to call cuBLAS while its stream is captured into a graph ("calling cuBLAS
API during stream capture is currently unsupported"), and a training step without its
GEMMs is no step. So while a capture is under way, and inside ``direct()`` (a capture's
warm-up steps, which must allocate as the captured step does: bench/graph.py), the
products of the convolutions and linear layers go to cublas_direct.py: cuBLAS called
through ctypes, with a handle and a workspace of its own, made before the capture began.
On NumPy, while minicnn holds BLAS to one thread beside its Numba loops (threads.py), the
larger products are shared among Numba's threads (numba_gemm.py). Everywhere else this is
``xp.matmul`` itself.

NOTE: ``F.matmul`` (a Tensor's ``@``) keeps the array's own ``@``, which broadcasts over
any number of axes: a step that uses it cannot be captured, and CuPy says so.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from .. import backend
from . import threads

_direct = threading.local()  # .depth: how many direct() blocks this thread is in


def matmul(a: Any, b: Any, out: Any = None) -> Any:
    """a @ b, written into ``out`` when given; on CuPy inside ``direct()`` or a capture, for
    2-D or 3-D arrays (a 3-D side is a batch of matrices) by cublas_direct.py; on NumPy with
    BLAS held to one thread, by numba_gemm.py."""
    if backend.is_cupy_array(a) and (depth() or capturing()):
        from . import cublas_direct

        return cublas_direct.matmul(a, b, out)
    xp = backend.xp_of(a)
    if xp is np and threads.blas_held_to_one():
        from . import numba_gemm

        return numba_gemm.matmul(a, b, out)
    return xp.matmul(a, b) if out is None else xp.matmul(a, b, out=out)


@contextmanager
def direct() -> Iterator[None]:
    """Within the block, this thread's CuPy products go to cublas_direct.py as during a capture."""
    _direct.depth = depth() + 1
    try:
        yield
    finally:
        _direct.depth -= 1


def depth() -> int:
    """How many ``direct()`` blocks this thread is in."""
    return getattr(_direct, "depth", 0)


def capturing() -> bool:
    """Whether CuPy's current stream is being captured into a CUDA graph."""
    return bool(backend.cupy().cuda.get_current_stream().is_capturing())
