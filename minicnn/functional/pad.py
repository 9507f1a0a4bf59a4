"""Padding, as ``torch.nn.functional.pad``: constant, reflect, replicate or circular.

Every mode is a gather along each padded axis: output position i reads input position
``source[i]`` (or, in constant mode's border, no position: the value). So the forward is
``x[..., source]`` axis by axis, and the backward adds each gy back where it was read from,
which sums the gradients of a pixel reflected or repeated into several places.

A negative amount crops, in every mode, as PyTorch: reflect and replicate read the input at
``i - before`` folded back into it (so a crop on one side and a pad on the other read the
same pixels as in PyTorch), circular wraps round what is left after the crop.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from .. import backend
from ..tensor import Function, Tensor
from .checks import ValueOverflowError, check_tensor, type_name

_MODES = ("constant", "reflect", "replicate", "circular")
# the non-constant modes pad the last 1, 2 or 3 dims of these input ranks, as PyTorch's
# kernels (reflection_pad1d ... 3d) do: amounts given -> input ranks taken
_RANKS = {2: (2, 3), 4: (3, 4), 6: (4, 5)}


def _source(n, before, after, mode):
    """Input positions read by each output position along one axis of n; -1 for a constant
    border. A negative before or after crops instead."""
    kept = np.arange(n)[max(0, -before) : n - max(0, -after)]
    pads = (max(0, before), max(0, after))
    if mode == "constant":
        return np.concatenate([np.full(pads[0], -1), kept, np.full(pads[1], -1)])
    if mode == "circular":  # what is left after a crop, wrapped round (at most once)
        return np.pad(kept, pads, mode="wrap") if any(pads) else kept
    i = np.arange(-before, n + after)  # where each output would sit in x, unfolded
    if mode == "reflect":  # mirrored about 0 and about n - 1, the edge pixel not repeated
        return (n - 1) - np.abs((n - 1) - np.abs(i))
    return np.clip(i, 0, n - 1)  # replicate: the edge pixel


class Pad(Function):
    """y = x read at the source positions of each padded axis, ``value`` in a constant border.
    gx = each gy added at the position it was read from (reflected and repeated pixels sum);
    in constant mode, where each is read once, gy copied there (PyTorch's slice, -0.0 kept)."""

    def forward(self, x, *, sources, value, summed):
        self.x_shape, self.sources, self.summed = x.shape, sources, summed
        xp = backend.xp_of(x)
        y = x
        for axis, src in sources:
            if y.shape[axis] == 0:  # nothing to read: all border (constant mode)
                shape = list(y.shape)
                shape[axis] = len(src)
                y = xp.full(shape, value, dtype=x.dtype)
                continue
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
            read = xp.moveaxis(xp.take(g, xp.asarray(inside), axis=axis), axis, 0)
            if self.summed:
                with np.errstate(invalid="ignore", over="ignore"):  # inf - inf: NaN, as PyTorch
                    xp.add.at(moved, xp.asarray(src[inside]), read)
            else:
                moved[xp.asarray(src[inside])] = read
            g = into
        return g


def _check_mode_rank(name, input, pad, mode):
    """What PyTorch's non-constant modes take: 2, 4 or 6 amounts (the last 1, 2 or 3 dims) of
    an input with one or two dims more, every dim but the batch's non-empty, and a dtype
    other than bool, for reflect and replicate."""
    ranks = _RANKS.get(len(pad))
    if ranks is None or input.ndim not in ranks:
        raise NotImplementedError(
            f"{name}: mode {mode!r} takes 2 amounts for a 2-D or 3-D input, 4 for a 3-D or 4-D "
            f"one, 6 for a 4-D or 5-D one (as PyTorch); got {len(pad)} for input {tuple(input.shape)}"
        )
    if mode != "circular" and input.dtype == bool:
        raise TypeError(f"{name}: mode {mode!r} takes no bool input (PyTorch has no kernel for it)")
    batched = input.ndim == ranks[1]
    if mode != "circular" and 0 in input.shape[int(batched) :]:
        raise ValueError(
            f"{name}: mode {mode!r} needs every dim but the batch's non-empty, got input {tuple(input.shape)}"
        )


def _check_amounts(name, n, axis, before, after, pad, mode):
    """One axis's amounts against its size n, refused where PyTorch refuses them."""
    crop = max(0, -before) + max(0, -after)
    if mode in ("constant", "circular") and crop > n:  # (reflect and replicate read x[j] folded)
        raise ValueError(f"{name}: dim {axis} of size {n} cropped by {crop} would be negative")
    if mode == "reflect" and max(before, after) >= n:
        raise ValueError(f"{name}: reflect needs amounts below the dim's size {n} (dim {axis}), got {pad!r}")
    if mode in ("reflect", "replicate") and n + before + after < 0:
        raise ValueError(
            f"{name}: dim {axis} of size {n} padded by {pad!r} would have size {n + before + after}"
        )
    if mode == "circular" and max(before, after) > n - crop:
        # (PyTorch: "wrapping around more than once", or a garbled result past a crop)
        raise ValueError(
            f"{name}: circular needs amounts of at most the dim's size {n - crop} (dim {axis}"
            f"{f', {n} cropped by {crop}' if crop else ''}), got {pad!r}"
        )


def pad(input: Tensor, pad: Any, mode: str = "constant", value: Any = None, *, name: str = "pad") -> Tensor:
    """``input`` padded by ``pad``, as PyTorch: pairs (before, after) from the last dim backwards,
    ``(left, right, top, bottom)`` for an image. A negative amount crops.

    Modes, for an output position i of a dim of size n, i - before = j in x's positions:
    "constant" reads x[j] inside and ``value`` (0 by default) outside; "reflect" reads
    x[|j|] left and x[2(n-1) - j] right, the mirror image without the edge pixel
    (``[1, 2, 3]`` padded by 2 on the left is ``[3, 2, 1, 2, 3]``); "replicate" reads
    x[clip(j, 0, n-1)], the edge pixel; "circular" reads x[j mod n], wrapped round (after a
    crop: round what is left). The gradient of each x element is the sum of the gy of every
    output that read it.

    Limits, PyTorch's: constant pads any dims; the other modes pad the last 1, 2 or 3 dims
    (2, 4 or 6 amounts) of a 2-D/3-D, 3-D/4-D or 4-D/5-D input (NotImplementedError
    otherwise). Reflect needs each amount below its dim's size, circular each at most the
    size (left after any crop), and reflect and replicate a value left in at least one padded
    dim and no empty dim but the batch's.

    Shapes: each padded dim n -> n + before + after.

    >>> import minicnn as mc
    >>> import minicnn.functional as F
    >>> F.pad(mc.tensor([[1.0, 2.0, 3.0]]), (2, 1), mode="reflect").tolist()
    [[3.0, 2.0, 1.0, 2.0, 3.0, 2.0]]
    """
    check_tensor(name, "input", input)
    if not isinstance(pad, (tuple, list)) or len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise ValueError(
            f"{name}: pad must be a tuple of (before, after) pairs, at most one per dim of input "
            f"{tuple(input.shape)}, got {pad!r}"
        )
    if not all(isinstance(p, numbers.Integral) and not isinstance(p, bool) for p in pad):
        raise TypeError(f"{name}: the amounts must be ints, got {pad!r}")
    if mode not in _MODES:
        raise ValueError(f"{name}: mode must be one of {', '.join(map(repr, _MODES))}, got {mode!r}")
    if mode != "constant":
        if value not in (None, 0):
            raise ValueError(
                f"{name}: value is for mode 'constant' only, got value={value!r} with mode {mode!r}"
            )
        _check_mode_rank(name, input, pad, mode)
    sources = []
    for k in range(len(pad) // 2):
        axis, before, after = input.ndim - 1 - k, int(pad[2 * k]), int(pad[2 * k + 1])
        _check_amounts(name, input.shape[axis], axis, before, after, pad, mode)
        sources.append((axis, _source(input.shape[axis], before, after, mode)))
    if mode in ("reflect", "replicate") and not any(len(src) for _, src in sources):
        raise ValueError(
            f"{name}: mode {mode!r} leaves no value in any padded dim of input {tuple(input.shape)}"
        )
    # (a value no border takes is not converted, so none is refused, as in PyTorch)
    border = any((src < 0).any() for _, src in sources)
    value = _border_value(name, 0 if value is None else value, input.dtype, border)
    return Pad.apply(input, sources=sources, value=value, summed=mode != "constant")


def _border_value(name: str, value: Any, dtype: Any, used: bool = True) -> Any:
    """``value`` as a scalar of the input's dtype, checked as PyTorch converts it: a number the
    dtype cannot hold is refused, not made inf or wrapped round (1e40 into float32; NaN, inf,
    300, -1 or 255.5 into uint8); a float into an integer dtype is truncated (1.9 is 1).
    Not ``used`` (no border to write it in), only its type is checked."""
    if not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: value must be a real number, got {type_name(value)} {value!r}")
    dtype = np.dtype(dtype)
    if not used:
        return dtype.type(0)
    if dtype.kind == "b":
        return dtype.type(bool(value))
    v: int | float = int(value) if isinstance(value, numbers.Integral) else float(value)
    if dtype.kind == "f":
        fits = not math.isfinite(v) or abs(v) <= float(np.finfo(dtype).max)
    else:
        fits = int(np.iinfo(dtype).min) <= v <= int(np.iinfo(dtype).max)  # False for NaN
    if not fits:
        raise ValueOverflowError(
            f"{name}: value {value!r} cannot be written into a {dtype} tensor without overflow"
        )
    return dtype.type(math.trunc(v) if dtype.kind in "iu" else v)
