"""Reusable buffers for the xp kernels (NumPy or CuPy arrays alike).

The column matrices run to tens of megabytes. Allocated fresh each call, glibc
returns them to the OS on free and every call page-faults them in again, which
costs about as much as the GEMM itself. So each role keeps one flat buffer, grown to the
largest request and sliced for smaller ones: the whole net shares one column
matrix the size of its largest (and, in training, one more per layer geometry whose
forward keeps x's columns for the weight gradient: kept_columns.py). A kernel uses a
workspace only between its own lines, or hands it straight to the next kernel of the
same op (the input-gradient columns to col2im); layers run one at a time. Two reads
come later, each checked by ``handed_out``: gy's columns, shared by a convolution's two
gradient kernels (im2col.py), and those kept columns of x. ``new_zeros`` is the
one exception: a new array the caller keeps, made so that it reuses freed memory.
"""

import math
from typing import Any

import numpy as np

from .. import backend
from ..backend import Array, Shape
from . import threads

_workspaces: dict = {}
_handed_out: dict[str, int] = {}  # role -> how many times a workspace of that role was handed out
_zeroed: dict = {}
_MAX_ZEROED = 8


def workspace(role: str, shape: Shape, dtype: Any, xp: Any) -> Array:
    """A reusable uninitialised array of ``shape`` (contents are whatever the last user left)."""
    size = 1
    for n in shape:
        size *= n
    _handed_out[role] = _handed_out.get(role, 0) + 1
    key = (role, xp.dtype(dtype).str, xp.__name__)
    buf = _workspaces.get(key)
    if buf is None or buf.size < size:
        _workspaces.pop(key, None)  # free the smaller one first
        buf = _workspaces[key] = xp.empty(size, dtype=dtype)
    return buf[:size].reshape(shape)


def peek(role: str, shape: Shape, dtype: Any) -> Array | None:
    """The NumPy workspace of ``role`` as its last user left it, viewed as ``shape``, without
    handing it out; None if it is gone (released) or smaller."""
    buf = _workspaces.get((role, np.dtype(dtype).str, np.__name__))
    size = math.prod(shape)
    return None if buf is None or buf.size < size else buf[:size].reshape(shape)


def release(role: str) -> None:
    """Free the workspaces of ``role`` (of every dtype and array module)."""
    for key in [key for key in _workspaces if key[0] == role]:
        del _workspaces[key]


def handed_out(role: str) -> int:
    """How many times a workspace of ``role`` was handed out: what it holds is still what
    the last caller wrote while this number has not moved."""
    return _handed_out.get(role, 0)


def new_or_workspace(role: str, shape: Shape, dtype: Any, xp: Any) -> Array:
    """A new array when ``role`` is None (what a public kernel returns), else ``workspace(role, ...)``."""
    return xp.empty(shape, dtype=dtype) if role is None else workspace(role, shape, dtype, xp)


def new_zeros(shape: Shape, dtype: Any, xp: Any) -> Array:
    """A new zero-filled array (the caller's to keep), zeroed by a fill.

    NOTE: not ``xp.zeros``, which is calloc: where its block is fresh from the OS it is
    left unwritten, and the kernel's scattered writes then fault its pages in one by
    one. Filled in one pass first, the same LeNet-5 max-pool backward took fewer page
    faults and less time (figures in benchmarks/README.md).
    """
    out = xp.empty(shape, dtype=dtype)
    out.fill(0)
    return out


def release_workspaces() -> None:
    """Free every workspace (they are rebuilt on the next call)."""
    _workspaces.clear()
    _zeroed.clear()


def zeroed(key: Any, shape: Shape, dtype: Any, xp: Any) -> Array:
    """A zero-filled array kept under ``key``: what a caller writes stays until it writes again.

    For buffers whose caller rewrites the same cells on every call and relies on
    the others staying zero (a padded copy's border), so the zeros are written once.
    """
    key = (key, xp.dtype(dtype).str, xp.__name__)
    out = _zeroed.pop(key, None)
    if out is None:
        if len(_zeroed) >= _MAX_ZEROED:
            _zeroed.pop(next(iter(_zeroed)))  # the least recently used
        out = xp.zeros(shape, dtype=dtype)
    _zeroed[key] = out
    return out


def padded(x: Array, ph: int, pw: int) -> Array:
    """x in a zero border, kept per shape and padding: only the interior is rewritten.

    NOTE: the padding is part of the key: another padding of the same padded shape
    would leave its interior values in this one's border.
    """
    if ph == 0 and pw == 0:
        return x
    xp = backend.xp_of(x)
    N, C, H, W = x.shape
    out = zeroed(("padded", x.shape, ph, pw), (N, C, H + 2 * ph, W + 2 * pw), x.dtype, xp)
    threads.copyto(out[:, :, ph : ph + H, pw : pw + W], x, xp)
    return out
