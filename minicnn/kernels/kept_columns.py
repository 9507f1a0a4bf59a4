"""x's column matrix, built by a convolution's forward and read again by its weight gradient.

    Y = W @ im2col(x)        gW = gY @ im2col(x)^T

Both read the same columns. im2col.py's weight gradient rebuilds them from x, unless the
forward kept them: when its caller asks (``keeping(True)``: Conv2d.forward, when the weight
needs a gradient), a forward that builds x's plain columns (not a "same" convolution's,
whose gW reads gy's columns instead; not a strided or pointwise one, which take other
routes) writes them into a workspace of their own, one per layer geometry, and remembers
whose they are. The weight gradient reads them back if they are still x's: the very same
x array, and no call has handed that workspace out since. Otherwise (another layer of the
same geometry ran its forward in between, or the forward ran on another array) it
rebuilds them, as before.

This is the cache of CS231n's fast im2col layers (``x_cols`` kept for ``dw``), without
holding x: an entry keeps a weak reference to x and the workspace's name, and at most
``MAX_KEPT`` geometries keep a workspace (the oldest is freed). As every saved input of a
graph, x must not change between the forward and the weight gradient; the columns are
what the forward read. NumPy arrays only.
"""

import threading
import weakref
from contextlib import contextmanager

from .. import backend
from ..backend import Array, Pair
from .workspaces import handed_out, peek, release

# Layer geometries whose columns a forward may keep at once: enough for the nets of the
# zoo, while a net fed images of ever new sizes does not pile up a buffer per size.
MAX_KEPT = 8

_kept: dict[str, tuple] = {}  # role -> (weak reference to x, handed_out(role), shape, dtype)
_asked = threading.local()


@contextmanager
def keeping(wanted: bool):
    """Within the block (on this thread), forwards keep x's columns where ``wanted``."""
    before = getattr(_asked, "wanted", False)
    _asked.wanted = wanted
    try:
        yield
    finally:
        _asked.wanted = before


def role(x: Array, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair) -> str | None:
    """The workspace role of x's columns for this layer geometry, or None: not asked to keep
    them, or a CuPy array.

    The batch size is not in it: a smaller batch reuses the buffer of the largest.
    """
    if not getattr(_asked, "wanted", False) or backend.is_cupy_array(x):
        return None
    return _name(x, kernel_size, stride, padding, dilation)


def _name(x, kernel_size, stride, padding, dilation):
    geometry = tuple(x.shape[1:]), tuple(kernel_size), tuple(stride), tuple(padding), tuple(dilation)
    return "x columns " + " ".join(map(str, geometry))


def remember(x: Array, role: str, cols: Array) -> None:
    """Note that ``cols``, the workspace of ``role`` just handed out, holds x's columns."""
    _kept.pop(role, None)
    while len(_kept) >= MAX_KEPT:
        oldest = next(iter(_kept))  # the least recently kept: its entry and its buffer go
        del _kept[oldest]
        release(oldest)
    _kept[role] = (weakref.ref(x), handed_out(role), cols.shape, cols.dtype)


def recall(x: Array, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair) -> Array | None:
    """x's columns as the forward left them, or None when they are gone or were another array's."""
    name = _name(x, kernel_size, stride, padding, dilation)
    if name not in _kept:
        return None
    x_ref, mark, shape, dtype = _kept[name]
    if x_ref() is not x or mark != handed_out(name):
        return None
    return peek(name, shape, dtype)
