"""x's column matrix, built by a convolution's forward and read again by its weight gradient.

    Y = W @ im2col(x)        gW = gY @ im2col(x)^T

Both read the same columns. Where im2col.py's weight gradient would rebuild them from x
(not a "same" convolution, whose gW reads gy's columns instead; not a pointwise or a
strided one, which take other routes), the forward writes them into a workspace of their
own, one per layer geometry, and remembers whose they are. The weight gradient takes
them back if they are still x's: the very same x array, and no call has handed that
workspace out since. Otherwise (another layer of the same geometry ran its forward in
between, or the forward ran on another array) it rebuilds them, as before.

This is the cache of CS231n's fast im2col layers (``x_cols`` kept for ``dw``), without
holding x: the entry keeps only a weak reference to it, and the columns live in a
workspace that every later forward of the same geometry reuses. NumPy arrays only.
"""

import weakref

from .. import backend
from ..backend import Array, Pair
from .workspaces import handed_out

_kept: dict[str, tuple] = {}  # role -> (weak reference to x, handed_out(role), columns)


def role(x: Array, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair) -> str | None:
    """The workspace role of x's columns for this layer geometry; None on CuPy (columns not kept).

    The batch size is not in it: a smaller batch reuses the buffer of the largest.
    """
    if backend.is_cupy_array(x):
        return None
    geometry = tuple(x.shape[1:]), tuple(kernel_size), tuple(stride), tuple(padding), tuple(dilation)
    return "x columns " + " ".join(map(str, geometry))


def remember(x: Array, role: str, cols: Array) -> None:
    """Note that ``cols``, the workspace of ``role`` just handed out, holds x's columns."""
    _kept[role] = (weakref.ref(x), handed_out(role), cols)


def recall(x: Array, role: str | None) -> Array | None:
    """x's columns as the forward left them, or None when they are gone or were another array's."""
    if role is None or role not in _kept:
        return None
    x_ref, mark, cols = _kept[role]
    return cols if x_ref() is x and mark == handed_out(role) else None
