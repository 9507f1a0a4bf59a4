"""Padding, as ``torch.nn.functional.pad``: constant, reflect, replicate or circular.

Every mode is a gather along each padded axis: output position i reads input position
``source[i]`` (or, in constant mode's border, no position: the value). So the forward is
``x[..., source]`` axis by axis, and the backward adds each gy back where it was read from,
which sums the gradients of a pixel reflected or repeated into several places.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .. import backend
from ..tensor import Function, Tensor
from .checks import check_tensor

# torch's mode names -> np.pad's, which give the same source positions
_MODES = {"constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _source(n, before, after, mode):
    """Input positions read by each output position along one axis of n; -1 for a constant
    border. A negative before or after crops instead (constant mode, as PyTorch)."""
    kept = np.arange(n)[max(0, -before) : n - max(0, -after)]
    before, after = max(0, before), max(0, after)
    if mode == "constant":
        return np.concatenate([np.full(before, -1), kept, np.full(after, -1)])
    return np.pad(kept, (before, after), mode=_MODES[mode])


class Pad(Function):
    """y = x read at the source positions of each padded axis, ``value`` in a constant border.
    gx = each gy added at the position it was read from (reflected and repeated pixels sum)."""

    def forward(self, x, *, sources, value):
        self.x_shape, self.sources = x.shape, sources
        xp = backend.xp_of(x)
        y = x
        for axis, src in sources:
            taken = xp.take(y, xp.asarray(np.maximum(src, 0)), axis=axis)
            if (src < 0).any():  # the constant border
                shape = [1] * y.ndim
                shape[axis] = len(src)
                taken = xp.where(xp.asarray(src < 0).reshape(shape), xp.asarray(value, dtype=x.dtype), taken)
            y = taken
        return y

    def backward(self, gy):
        xp = self.xp
        g = gy
        for axis, src in reversed(self.sources):
            shape = list(g.shape)
            shape[axis] = self.x_shape[axis]
            into = xp.zeros(shape, dtype=gy.dtype)
            inside = np.flatnonzero(src >= 0)
            moved = xp.moveaxis(into, axis, 0)  # a view: adding into it adds into ``into``
            xp.add.at(
                moved,
                xp.asarray(src[inside]),
                xp.moveaxis(xp.take(g, xp.asarray(inside), axis=axis), axis, 0),
            )
            g = into
        return g


def pad(input: Tensor, pad: Any, mode: str = "constant", value: Any = None) -> Tensor:
    """``input`` padded by ``pad``, as PyTorch: pairs (before, after) from the last dim backwards,
    ``(left, right, top, bottom)`` for an image.

    Modes: "constant" (``value``, 0 by default; a negative amount crops), "reflect" (the
    mirror image without the edge pixel: ``[1, 2, 3]`` padded by 2 on the left is
    ``[3, 2, 1, 2, 3]``), "replicate" (the edge pixel repeated) and "circular" (wrapped round).
    Reflect needs each amount smaller than its dim, circular at most its dim.

    >>> import minicnn as mc
    >>> import minicnn.functional as F
    >>> F.pad(mc.tensor([[1.0, 2.0, 3.0]]), (2, 1), mode="reflect").tolist()
    [[3.0, 2.0, 1.0, 2.0, 3.0, 2.0]]
    """
    check_tensor("pad", "input", input)
    if not isinstance(pad, (tuple, list)) or len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise ValueError(
            f"pad: pad must be a tuple of (before, after) pairs, at most one per dim of input "
            f"{tuple(input.shape)}, got {pad!r}"
        )
    if not all(isinstance(p, numbers.Integral) and not isinstance(p, bool) for p in pad):
        raise TypeError(f"pad: the amounts must be ints, got {pad!r}")
    if mode not in _MODES:
        raise ValueError(f"pad: mode must be one of {', '.join(map(repr, _MODES))}, got {mode!r}")
    if mode != "constant" and value not in (None, 0):
        raise ValueError(f"pad: value is for mode 'constant' only, got value={value!r} with mode {mode!r}")
    sources = []
    for k in range(len(pad) // 2):
        axis, before, after = input.ndim - 1 - k, int(pad[2 * k]), int(pad[2 * k + 1])
        n = input.shape[axis]
        if mode != "constant" and min(before, after) < 0:
            raise ValueError(f"pad: negative amounts crop in mode 'constant' only, got {pad!r} with {mode!r}")
        if mode == "reflect" and max(before, after) >= n:
            raise ValueError(f"pad: reflect needs amounts below the dim's size {n} (dim {axis}), got {pad!r}")
        if mode in ("replicate", "circular") and n == 0 and max(before, after) > 0:
            raise ValueError(f"pad: mode {mode!r} cannot pad dim {axis} of size 0")
        if mode == "circular" and max(before, after) > n:
            raise ValueError(
                f"pad: circular needs amounts of at most the dim's size {n} (dim {axis}), got {pad!r}"
            )
        if n + before + after < 0:
            raise ValueError(f"pad: dim {axis} of size {n} cropped by {-(before + after)} would be negative")
        sources.append((axis, _source(n, before, after, mode)))
    return Pad.apply(input, sources=sources, value=0 if value is None else value)
