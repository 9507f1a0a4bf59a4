"""The taps of ``interpolate(..., antialias=True)``, "bilinear" and "bicubic" on images, as
PyTorch's (and Pillow's) resampling filters compute them.

Plain interpolation reads a fixed 2 or 4 cells around each output's source point, so shrinking
by more than 2 skips input pixels, and what they held aliases into the output. The antialiased
filter stretches with the shrink instead. Along an axis of n_in cells resized to n_out, with r
the input step per output step (1/scale_factor, else n_in / n_out; (n_in - 1) / (n_out - 1)
with align_corners, 0 for one output), output i is centred at c = r (i + 1/2), cell j spanning
[j, j + 1], and it reads every cell whose centre lies within the filter's support around c:

    support = K/2 max(r, 1)                  K = 2 (bilinear) or 4 (bicubic) taps at r <= 1
    j = trunc(c - support + 1/2) .. trunc(c + support + 1/2) - 1, within [0, n_in - 1]
    w_j = f((j + 1/2 - c) / max(r, 1)) / (the sum of those f)
    f(d) = max(1 - |d|, 0)                   bilinear's tent
    f(d) = W(|d|), Keys' cubic (``keys_near``, ``keys_far``) with A = -0.5 (Pillow's, not the
           -0.75 of plain bicubic), 0 from |d| = 2 on

Shrinking, the filter is r times wider and r times lower: each output averages the r cells it
covers, which is what removes the aliasing; enlarging (r < 1), it is the plain kernel. There
are no clamped taps: the cells outside the image are left out, and dividing by the weights'
sum makes those left sum to 1 (a constant stays constant). An axis whose size does not change
is a copy, whatever scale_factor says, as PyTorch's forward skips it.

Each output's taps fill the slots k = 0 .. 2 ceil(support), cell first + k; the slots past its
last cell get weight 0 (reading the last cell), so ``Interpolate`` applies them as it applies
the other modes' taps, and its backward, the transpose, sends them nothing.
NOTE: 0 times an infinite cell is NaN there, where PyTorch skips the slot.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .interpolate import _scale, keys_far, keys_near

KEYS_A = -0.5  # Pillow's cubic, which PyTorch's antialiased bicubic follows
_HALF_WIDTH = {"bilinear": 1.0, "bicubic": 2.0}  # half the taps each kernel reads at r <= 1


def antialias_taps(
    n_in: int, n_out: int, scale: float | None, mode: str, align_corners: bool, dtype: Any
) -> list:
    """The antialiased taps of each output index along one axis: [(index, weight)], arrays of
    n_out, as PyTorch's CPU kernel computes them, in x's dtype.

    NOTE: PyTorch's roundings, so that both read the same cells: the centre rounded once from
    r (i + 1/2), the support's ends and each cell's distance taken in x's dtype and moved by
    1/2 in float64, the ends truncated towards 0 (C's cast), the weights summed in tap order.
    """
    T = np.dtype(dtype).type
    i = np.arange(n_out)
    if n_out == n_in:
        return [(i, None)]
    if align_corners:
        r = T(n_in - 1) / T(n_out - 1) if n_out > 1 else T(0)
    else:
        r = _scale(T, scale, n_in, n_out)
    stretched = bool(r >= 1)
    support = T(_HALF_WIDTH[mode] * np.float64(r)) if stretched else T(_HALF_WIDTH[mode])
    inverse = T(1 / np.float64(r)) if stretched else T(1)  # multiplied by, as PyTorch's
    slots = 2 * int(np.ceil(support)) + 1
    centre = (np.float64(r) * (i + 0.5)).astype(dtype)
    end = lambda e: ((centre + e).astype(np.float64) + 0.5).astype(np.int64)  # truncated
    first = np.maximum(end(-support), 0)
    count = np.clip(np.minimum(end(support), n_in) - first, 0, slots)
    weights = []
    for k in range(slots):
        d = (((first + k).astype(dtype) - centre).astype(np.float64) + 0.5) * np.float64(inverse)
        weights.append(np.where(k < count, antialias_filter(d.astype(dtype), mode), T(0)))
    total = weights[0]
    for w in weights[1:]:
        total = total + w
    weights = [np.divide(w, total, out=w.copy(), where=total != 0) for w in weights]
    return [(np.minimum(first + k, n_in - 1), w) for k, w in enumerate(weights)]


def antialias_filter(d: Any, mode: str) -> Any:
    """f(d) in d's dtype: the tent max(1 - |d|, 0) (bilinear), or Keys' cubic with A = -0.5,
    W(|d|) for |d| < 2 and 0 beyond (bicubic)."""
    T, x = d.dtype.type, np.abs(d)
    if mode == "bilinear":
        return np.where(x < 1, 1 - x, T(0))
    A = T(KEYS_A)
    return np.where(x < 1, keys_near(x, A), np.where(x < 2, keys_far(x, A), T(0)))
