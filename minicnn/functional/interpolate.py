"""Resizing images, as ``torch.nn.functional.interpolate`` on 4-D input: "nearest",
"nearest-exact", "bilinear" (the upsampling of FCN, U-Net and feature pyramids) and "bicubic".

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

The 2-D op applies that along the columns, then along the rows: y = A_h x A_w^T, each row
of A (n_out, n_in) holding one 1 (nearest), or the two (bilinear) or four (bicubic) weights,
summed where clamped cells coincide. Its gradient is
the transpose, gx = A_h^T gy A_w: each output's gradient added back to the source pixels
it was read from, times the weights it was read with, and summed where several outputs
read one pixel. ``kernels/reference_interpolate.py`` holds the same as plain loops.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from .. import backend
from ..tensor import Function, Tensor
from .checks import as_int, check_float

MODES = ("nearest", "nearest-exact", "bilinear", "bicubic")
_PYTORCH_ONLY = ("linear", "trilinear", "area", "lanczos")  # PyTorch's other modes


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


def source_taps(n_in: int, n_out: int, scale: float | None, mode: str, align_corners: bool, dtype: Any):
    """The taps of each output index along one axis: [(index, weight)], arrays of n_out
    (weight None: 1), computed as PyTorch's CPU kernels compute them.

    NOTE: PyTorch's arithmetic, rounding included: nearest's scale in float32 whatever the
    dtype, the bilinear coordinate in x's dtype (rounded once, ``fused_coordinate``) and its
    floor taken in float32; nearest copies for n_out = n_in and takes i // 2 for
    n_out = 2 n_in, and bilinear copies for n_out = n_in, in both whatever scale_factor said.
    Bicubic has no such copy: its coordinate follows scale_factor even where n_out = n_in.
    """
    i = np.arange(n_out)
    if mode == "bicubic":
        return _cubic_taps(n_in, n_out, scale, align_corners, dtype)
    if mode != "bilinear":
        if mode == "nearest" and n_out in (n_in, 2 * n_in):
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
    inner = lambda d: ((A + 2) * d - (A + 3)) * d * d + 1  # |d| <= 1
    outer = lambda d: ((A * d - 5 * A) * d + 8 * A) * d - 4 * A  # 1 < |d| < 2
    return [outer(t + 1), inner(t), inner(1 - t), outer((1 - t) + 1)]


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


def _size_pair(name: str, size: Any) -> tuple[int, int]:
    if isinstance(size, (tuple, list)):
        if len(size) != 2:
            raise ValueError(
                f"{name}: size must give the 2 sizes (H_out, W_out) of a 4-D input's output, got {size!r}"
            )
        h, w = (as_int(s) for s in size)
        if h is None or w is None:
            raise TypeError(f"{name}: size must be an int or a pair of ints, got {size!r}")
        return h, w
    n = as_int(size)
    if n is None:
        raise TypeError(f"{name}: size must be an int or a pair of ints, got {size!r}")
    return n, n


def _scale_pair(name: str, scale_factor: Any) -> tuple[float, float]:
    scales = scale_factor if isinstance(scale_factor, (tuple, list)) else (scale_factor, scale_factor)
    if isinstance(scale_factor, (tuple, list)) and len(scale_factor) != 2:
        raise ValueError(
            f"{name}: scale_factor must give the 2 spatial factors (for H and W) of 4-D input, "
            f"got {scale_factor!r}"
        )
    if not all(isinstance(s, numbers.Real) and not isinstance(s, (bool, np.bool_)) for s in scales):
        raise TypeError(f"{name}: scale_factor must be a number or a pair of numbers, got {scale_factor!r}")
    if not all(math.isfinite(s) for s in scales):
        raise ValueError(f"{name}: scale_factor must be finite, got {scale_factor!r}")
    return float(scales[0]), float(scales[1])


def check_interpolate_args(
    name: str,
    size: Any,
    scale_factor: Any,
    mode: Any,
    align_corners: Any,
    recompute_scale_factor: Any,
    antialias: Any = False,
) -> tuple[tuple[int, int] | None, tuple[float, float] | None]:
    """PyTorch's checks of what does not depend on the input (nn.Upsample runs them once);
    returns (size, scale_factor), one of them None, as pairs."""
    if mode not in MODES:
        if mode in _PYTORCH_ONLY:
            raise NotImplementedError(f"{name}: mode {mode!r} is not implemented; minicnn has {MODES}")
        raise ValueError(f"{name}: mode must be one of {MODES}, got {mode!r}")
    if mode not in ("bilinear", "bicubic") and align_corners is not None:
        raise ValueError(
            f"{name}: align_corners can only be set with the interpolating modes 'bilinear' and 'bicubic'"
        )
    if align_corners is not None and not isinstance(align_corners, (bool, np.bool_)):
        raise TypeError(f"{name}: align_corners must be True, False or None, got {align_corners!r}")
    if size is not None and scale_factor is not None:
        raise ValueError(f"{name}: only one of size or scale_factor should be defined")
    if size is None and scale_factor is None:
        raise ValueError(f"{name}: either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError(f"{name}: recompute_scale_factor is not meaningful with an explicit size")
    if antialias:
        if mode in ("bilinear", "bicubic"):
            raise NotImplementedError(f"{name}: antialias=True is not implemented; only antialias=False")
        raise ValueError(
            f"{name}: antialias is restricted to bilinear and bicubic modes (and PyTorch's lanczos)"
        )
    if size is not None:
        return _size_pair(name, size), None
    return None, _scale_pair(name, scale_factor)


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
    """Resize a batch of images, as ``torch.nn.functional.interpolate`` (4-D input only).

    Args:
        input: (N, C, H, W); N may be 0.
        size: (H_out, W_out), or one int for both. Exactly one of size and scale_factor.
        scale_factor: a number or an (H, W) pair: H_out = floor(H * scale_factor). The
            source coordinates use 1/scale_factor itself, unless ``recompute_scale_factor``
            is True, when they use H / H_out as for a given size.
        mode: "nearest" (PyTorch's default: floor(i * scale)), "nearest-exact" (the pixel
            whose centre is nearest: floor((i + 0.5) * scale)), "bilinear" or "bicubic"
            (4 x 4 cells, Keys' cubic kernel with A = -0.75; it may overshoot the input's range).
        align_corners: bilinear and bicubic only (None means False). True maps the corner
            pixels' centres onto each other, s = i (H - 1) / (H_out - 1), and ignores
            scale_factor there; False maps the images' edges, s = (i + 0.5) scale - 0.5.
        antialias: PyTorch's; only False is implemented.
        name: the layer named in error messages.
    Shapes:
        y (N, C, H_out, W_out).

    >>> import minicnn as mc, minicnn.functional as F
    >>> x = mc.tensor([[[[1.0, 2.0]]]])
    >>> F.interpolate(x, scale_factor=2).numpy()[0, 0].tolist()
    [[1.0, 1.0, 2.0, 2.0], [1.0, 1.0, 2.0, 2.0]]
    >>> F.interpolate(x, size=(1, 4), mode="bilinear").numpy()[0, 0].tolist()
    [[1.0, 1.25, 1.75, 2.0]]
    >>> F.interpolate(x, size=(1, 4), mode="bicubic").numpy()[0, 0].tolist()
    [[0.89453125, 1.2265625, 1.7734375, 2.10546875]]
    """
    check_float(name, "input", input)
    size, scales = check_interpolate_args(
        name, size, scale_factor, mode, align_corners, recompute_scale_factor, antialias
    )
    if input.ndim != 4:
        raise NotImplementedError(
            f"{name}: expected 4-D input (N, C, H, W), got shape {input.shape}; minicnn resizes "
            "images only (PyTorch's 3-D and 5-D input, for its 1-D and 3-D modes, is not implemented)"
        )
    N, C, H, W = input.shape
    if C == 0:
        raise ValueError(f"{name}: expected input with at least one channel, got shape {input.shape}")
    if size is None:
        assert scales is not None
        size = (int(H * scales[0]), int(W * scales[1]))  # NOTE: truncated, as PyTorch's
        if recompute_scale_factor:
            scales = None
    if min(H, W, *size) < 1:
        raise ValueError(
            f"{name}: input and output sizes should be greater than 0, but got input (H: {H}, W: {W}) "
            f"output (H: {size[0]}, W: {size[1]})"
        )
    xp = backend.xp_of(input.data)
    rows, cols = (
        [
            (xp.asarray(index), None if weight is None else xp.asarray(weight))
            for index, weight in source_taps(n, out, s, mode, bool(align_corners), input.dtype)
        ]
        for n, out, s in zip((H, W), size, scales or (None, None))
    )
    return Interpolate.apply(input, rows=rows, cols=cols)
