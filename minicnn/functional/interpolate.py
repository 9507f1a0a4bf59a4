"""Resizing images and signals, as ``torch.nn.functional.interpolate`` on 4-D and 3-D input:
"nearest", "nearest-exact", "bilinear" (the upsampling of FCN, U-Net and feature pyramids) and
"bicubic" for images; "nearest", "nearest-exact" and "linear" for signals; "area" for both.

Each output row i reads from a source coordinate s(i) of the input's rows, and each
column likewise; ``scale`` is 1/scale_factor where one is given (and
recompute_scale_factor is not True), else n_in / n_out:

    nearest         src = min(floor(i * scale), n_in - 1)             (PyTorch's default)
    nearest-exact   src = min(floor((i + 0.5) * scale), n_in - 1)     (pixel centres)
    bilinear        s = (i + 0.5) * scale - 0.5, clamped at 0         (align_corners=False)
                    s = i * (n_in - 1) / (n_out - 1)                  (align_corners=True)
                    src = floor(s) and src + 1 (but at most n_in - 1),
                    weighted 1 - lambda and lambda, lambda = s - floor(s)
    bicubic         s as bilinear's but not clamped at 0; the four cells floor(s) - 1 ..
                    floor(s) + 2 (each clamped into [0, n_in - 1]), weighted by Keys' cubic
                    kernel W(d) at their distances d = t + 1, t, 1 - t, 2 - t, t = s - floor(s):
                    W(d) = (A + 2) d^3 - (A + 3) d^2 + 1          for d <= 1
                    W(d) = A d^3 - 5 A d^2 + 8 A d - 4 A          for 1 < d < 2,  A = -0.75

With antialias=True, "bilinear" and "bicubic" read every cell within a support that stretches
with the shrink, weights normalized per output (``interpolate_antialias.py``).

The 2-D op applies that along the columns, then along the rows: y = A_h x A_w^T, each row
of A (n_out, n_in) holding one 1 (nearest), or the two (bilinear) or four (bicubic) weights,
summed where clamped cells coincide (or the antialiased ones). Its gradient is
the transpose, gx = A_h^T gy A_w: each output's gradient added back to the source pixels
it was read from, times the weights it was read with, and summed where several outputs
read one pixel. ``kernels/reference_interpolate.py`` holds the same as plain loops.

A batch of signals (N, C, L) is resized as the images (N, C, 1, L) one row high, to
(1, L_out) with scale factors (1, s), as ``one_d.py`` builds the 1-D convolutions and pools:
one row in, one out, read at scale 1, is a copy, so A_h = [1] and y = x A_w^T, "linear" being
"bilinear"'s column formulas, x_src = max((i + 0.5) / s - 0.5, 0), or i (L - 1) / (L_out - 1)
with align_corners. The views only reshape: no arithmetic of their own, and the gradient
flows back through them. One choice differs, as PyTorch's 1-D kernel makes it: a signal's
nearest skips the copies that ignore scale_factor (``source_taps``' ``signal``).
"area" is PyTorch's: the adaptive average pool to the output size. docs/ops/interpolate.md
derives each formula and its backward.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..tensor import Function, Tensor
from .checks import check_float
from .interpolate_args import check_interpolate_args
from .one_d import adaptive_avg_pool1d
from .pooling import adaptive_avg_pool2d
from .shape import squeeze, unsqueeze


class Interpolate(Function):
    """y = A_h x A_w^T: y[i, j] = sum over the taps (h, a) of row i and (w, b) of column j of
    a b x[h, w] (one tap of weight 1 for nearest, two for bilinear, four for bicubic).
    gx = A_h^T gy A_w: gx[h, w] += a b gy[i, j] for every output (i, j) that read (h, w)."""

    def forward(self, x, *, rows, cols):
        self.rows, self.cols, self.size = rows, cols, x.shape[2:]
        with np.errstate(invalid="ignore"):  # inf * 0 and inf - inf: NaN, silently as PyTorch
            return _along(_along(x, 3, cols), 2, rows)

    def backward(self, gy):
        with np.errstate(invalid="ignore"):
            return _transposed(_transposed(gy, 2, self.rows, self.size[0]), 3, self.cols, self.size[1])


def _along(a, axis, taps):
    """A a along ``axis``: the sum over the taps of a's cells at their indices, times their weights."""
    out = None
    for index, weight in taps:
        part = a.take(index, axis=axis)
        if weight is not None:
            part = part * weight.reshape((-1,) + (1,) * (a.ndim - 1 - axis))
        out = part if out is None else out + part
    return out


def _transposed(g, axis, taps, size):
    """A^T g along ``axis``: each of g's cells added (``add.at``: summed where indices repeat)
    to the cells its taps read, times their weights."""
    xp = backend.xp_of(g)
    out = xp.zeros(g.shape[:axis] + (size,) + g.shape[axis + 1 :], dtype=g.dtype)
    for index, weight in taps:
        part = g if weight is None else g * weight.reshape((-1,) + (1,) * (g.ndim - 1 - axis))
        xp.add.at(out, (slice(None),) * axis + (index,), part)
    return out


def source_taps(
    n_in: int,
    n_out: int,
    scale: float | None,
    mode: str,
    align_corners: bool,
    dtype: Any,
    *,
    signal: bool = False,
    antialias: bool = False,
):
    """The taps of each output index along one axis: [(index, weight)], arrays of n_out
    (weight None: 1), computed as PyTorch's CPU kernels compute them; ``antialias``: the
    filters of ``interpolate_antialias.py``.

    NOTE: PyTorch's arithmetic, rounding included: nearest's scale in float32 whatever the
    dtype, the bilinear coordinate in x's dtype (rounded once, ``fused_coordinate``) and its
    floor taken in float32; nearest copies for n_out = n_in and takes i // 2 for
    n_out = 2 n_in, and bilinear copies for n_out = n_in, in both whatever scale_factor said.
    Bicubic has no such copy: its coordinate follows scale_factor even where n_out = n_in,
    and nor has the nearest of a ``signal`` (PyTorch's 1-D kernel): 4 cells at scale_factor
    2.1 make 8, read as floor(i / 2.1) = 0 0 0 1 1 2 2 3, not i // 2.
    """
    if antialias:
        from .interpolate_antialias import antialias_taps  # NOTE: here: it builds on this module

        return antialias_taps(n_in, n_out, scale, mode, align_corners, dtype)
    i = np.arange(n_out)
    if mode == "bicubic":
        return _cubic_taps(n_in, n_out, scale, align_corners, dtype)
    if mode != "bilinear":
        if mode == "nearest" and not signal and n_out in (n_in, 2 * n_in):
            return [(i * n_in // n_out, None)]
        s = _scale(np.float32, scale, n_in, n_out)
        at = i.astype(np.float32) * s if mode == "nearest" else ((i + 0.5) * np.float64(s)).astype(np.float32)
        return [(np.minimum(np.floor(at).astype(np.int64), n_in - 1), None)]
    T = np.dtype(dtype).type
    if n_out == n_in:
        return [(i, np.ones(n_out, dtype)), (i, np.zeros(n_out, dtype))]
    if align_corners:
        at = (T(n_in - 1) / T(n_out - 1) if n_out > 1 else T(0)) * i.astype(dtype)
    else:
        at = np.maximum(fused_coordinate(_scale(T, scale, n_in, n_out), n_out), T(0))
    h0 = np.minimum(np.floor(at.astype(np.float32)).astype(np.int64), n_in - 1)
    lam = np.clip(at - h0, 0, 1).astype(dtype)
    return [(h0, (1 - lam).astype(dtype)), (h0 + (h0 < n_in - 1), lam)]


def _cubic_taps(n_in: int, n_out: int, scale: float | None, align_corners: bool, dtype: Any):
    """Bicubic's four taps: floor(s) - 1 .. floor(s) + 2, each index clamped into [0, n_in - 1]
    (the border pixel repeated, as PyTorch's), with the weights of ``cubic_weights``."""
    T = np.dtype(dtype).type
    if align_corners:
        at = (T(n_in - 1) / T(n_out - 1) if n_out > 1 else T(0)) * np.arange(n_out).astype(dtype)
    else:  # NOTE: not clamped at 0, unlike bilinear's: the taps left of the border are clamped instead
        at = fused_coordinate(_scale(T, scale, n_in, n_out), n_out)
    h = np.minimum(np.floor(at.astype(np.float32)).astype(np.int64), n_in - 1)
    t = np.clip(at - h.astype(dtype), 0, 1).astype(dtype)
    return [(np.clip(h + k - 1, 0, n_in - 1), w) for k, w in enumerate(cubic_weights(t))]


def cubic_weights(t: Any) -> list:
    """Keys' cubic convolution kernel with A = -0.75 (PyTorch's and OpenCV's) at the distances
    t + 1, t, 1 - t and 2 - t of the four taps from the source point, t in [0, 1] in t's dtype.
    The four sum to 1, so a constant image stays constant. Written in PyTorch's own order of
    operations (2 - t as (1 - t) + 1), which its compiled kernels may fuse into one rounding
    less now and then: a weight can differ from PyTorch's in its last bit."""
    A = t.dtype.type(-0.75)
    return [keys_far(t + 1, A), keys_near(t, A), keys_near(1 - t, A), keys_far((1 - t) + 1, A)]


def keys_near(d: Any, A: Any) -> Any:
    """Keys' cubic at the distances |d| <= 1: (A + 2) d^3 - (A + 3) d^2 + 1, Horner's form."""
    return ((A + 2) * d - (A + 3)) * d * d + 1


def keys_far(d: Any, A: Any) -> Any:
    """Keys' cubic at the distances 1 < |d| < 2: A d^3 - 5 A d^2 + 8 A d - 4 A, Horner's form."""
    return ((A * d - 5 * A) * d + 8 * A) * d - 4 * A


def fused_coordinate(s: Any, n_out: int) -> Any:
    """s (i + 1/2) - 1/2 for i = 0 .. n_out - 1, in s's dtype, rounded once from the exact value
    as PyTorch's kernels round it (a fused multiply-add), not twice as s * (i + 0.5) - 0.5 is.

    NOTE: the two roundings differ by an ulp now and then: a weight of 1.5e-8 where the other
    gives 0, which matters where it multiplies an infinity (inf, not NaN). In float64 the
    product of two float32 numbers, and its difference with 1/2, are exact, so one cast
    rounds once; a float64 s takes Python's exact integers, n_out of them per call.
    """
    if np.dtype(type(s)) == np.float32:
        return (np.float64(s) * (np.arange(n_out) + 0.5) - 0.5).astype(np.float32)
    num, den = float(s).as_integer_ratio()  # s = num / den, den a power of 2: exact
    return np.array([(num * (2 * i + 1) - den) / (2 * den) for i in range(n_out)], dtype=np.float64)


def _scale(T: Any, scale: float | None, n_in: int, n_out: int) -> Any:
    """The input step per output step, in type T: 1/scale_factor where one is used, else n_in / n_out."""
    return T(1.0 / scale) if scale is not None and scale > 0 else T(n_in) / T(n_out)


def interpolate(
    input: Tensor,
    size: Any = None,
    scale_factor: Any = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
    *,
    name: str = "interpolate",
) -> Tensor:
    """Resize a batch of signals or of images, as ``torch.nn.functional.interpolate``.

    Args:
        input: signals (N, C, L), for "nearest", "nearest-exact", "linear" and "area", or
            images (N, C, H, W), for "nearest", "nearest-exact", "bilinear", "bicubic" and
            "area"; N may be 0. As PyTorch's, no unbatched (C, L) nor 5-D input.
        size: L_out, or (H_out, W_out) (one int: both). Exactly one of size and scale_factor.
        scale_factor: a number, or one per axis ((s,) or (s_h, s_w)): L_out = floor(L * s).
            The source coordinates use 1/s itself, unless ``recompute_scale_factor`` is True,
            when they use L / L_out as for a given size.
        mode: "nearest" (PyTorch's default: floor(i * scale)), "nearest-exact" (the cell
            whose centre is nearest: floor((i + 0.5) * scale)), "linear" (signals) or
            "bilinear" (images): the two neighbours of x_src, weighted by their distances,
            "bicubic" (4 x 4 cells, Keys' cubic kernel with A = -0.75; it may overshoot
            the input's range) or "area": ``adaptive_avg_pool1d`` / ``adaptive_avg_pool2d``
            to the output size (0 allowed there: an empty output).
        align_corners: linear, bilinear and bicubic only (None means False). False maps the
            signals' edges onto each other: x_src = max((i + 0.5) / s - 0.5, 0); True their
            end cells' centres, x_src = i (L - 1) / (L_out - 1), scale_factor left out.
        antialias: "bilinear" and "bicubic" images only: when shrinking, the kernel stretched
            to the shrink, so each output averages every cell it covers, not 2 or 4 of them
            (PyTorch's and Pillow's filters, Keys' A = -0.5 for bicubic; ``interpolate_antialias.py``).
        name: the layer named in error messages.
    Shapes:
        y (N, C, L_out) or (N, C, H_out, W_out).

    A signal is resized as the image (N, C, 1, L) one row high, to (1, L_out) with scale
    factors (1, s): the row maps onto itself, so each mode's column formulas above are the
    1-D op's, "linear" being "bilinear" on that row. The two views (``unsqueeze`` and
    ``squeeze``) only reshape, so the gradient flows back through them and the 2-D op's
    backward, gx = A^T gy, with no arithmetic of their own.

    >>> import minicnn as mc, minicnn.functional as F
    >>> x = mc.tensor([[[[1.0, 2.0]]]])
    >>> F.interpolate(x, scale_factor=2).numpy()[0, 0].tolist()
    [[1.0, 1.0, 2.0, 2.0], [1.0, 1.0, 2.0, 2.0]]
    >>> F.interpolate(x, size=(1, 4), mode="bilinear").numpy()[0, 0].tolist()
    [[1.0, 1.25, 1.75, 2.0]]
    >>> F.interpolate(x, size=(1, 4), mode="bicubic").numpy()[0, 0].tolist()
    [[0.89453125, 1.2265625, 1.7734375, 2.10546875]]
    >>> signal = mc.tensor([[[1.0, 3.0, 2.0, 6.0]]])
    >>> F.interpolate(signal, scale_factor=2, mode="linear").tolist()
    [[[1.0, 1.5, 2.5, 2.75, 2.25, 3.0, 5.0, 6.0]]]
    >>> F.interpolate(signal, scale_factor=0.5, mode="area").tolist()  # pair means
    [[[2.0, 4.0]]]
    """
    check_float(name, "input", input)
    size, scales = check_interpolate_args(
        name, size, scale_factor, mode, align_corners, recompute_scale_factor, antialias, input.shape
    )
    spatial = input.shape[2:]
    if size is None:
        assert scales is not None
        size = tuple(int(n * s) for n, s in zip(spatial, scales))  # NOTE: truncated, as PyTorch's
        if recompute_scale_factor:
            scales = None
    if mode == "area":  # PyTorch's: the adaptive average pool to that size, whatever the scale
        return (adaptive_avg_pool1d if len(spatial) == 1 else adaptive_avg_pool2d)(input, size, name=name)
    if input.shape[1] == 0:
        raise ValueError(f"{name}: expected input with at least one channel, got shape {input.shape}")
    if min(*spatial, *size) < 1:
        axes = "HW"[-len(spatial) :]  # PyTorch's names: a signal's one axis is W
        sizes = lambda ns: ", ".join(f"{a}: {n}" for a, n in zip(axes, ns))
        raise ValueError(
            f"{name}: input and output sizes should be greater than 0, but got input ({sizes(spatial)}) "
            f"output ({sizes(size)})"
        )
    if len(spatial) == 2:
        return _resize2d(input, size, scales, mode, bool(align_corners), antialias=bool(antialias))
    # NOTE: the signal as an image one row high, which maps onto itself (size 1, scale 1)
    row_scales = None if scales is None else (1.0, *scales)
    row = _resize2d(unsqueeze(input, 2), (1, *size), row_scales, mode, bool(align_corners), signal=True)
    return squeeze(row, 2)


def _resize2d(
    x: Tensor,
    size: tuple,
    scales: tuple | None,
    mode: str,
    align_corners: bool,
    *,
    signal: bool = False,
    antialias: bool = False,
) -> Tensor:
    """y = A_h x A_w^T for images x (N, C, H, W) resized to ``size``, arguments checked; a
    ``signal`` is an image one row high, its "linear" being "bilinear" (see ``source_taps``)."""
    mode = "bilinear" if mode == "linear" else mode
    xp = backend.xp_of(x.data)
    rows, cols = (
        [
            (xp.asarray(index), None if weight is None else xp.asarray(weight))
            for index, weight in source_taps(
                n, out, s, mode, align_corners, x.dtype, signal=signal, antialias=antialias
            )
        ]
        for n, out, s in zip(x.shape[2:], size, scales or (None, None))
    )
    return Interpolate.apply(x, rows=rows, cols=cols)
