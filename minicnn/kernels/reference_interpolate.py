"""Plain loops for interpolate: the spec of ``functional/interpolate.py``, in reference.py's manner.

They are not a tier's kernels: interpolate runs one xp code on every tier, and the tests
hold that code to these loops. Each output pixel (i, j) reads the cells around its source
point, one index at a time: one cell (nearest, nearest-exact), the four around it
(bilinear) or sixteen (bicubic), with the weights of its row and of its column. The source
coordinates are PyTorch's, with its rounding (see ``functional/interpolate.py``). Slow: use
tiny inputs.

Shapes: x (N, C, H, W), y (N, C, OH, OW); ``size`` (OH, OW); ``scales`` the
(height, width) scale_factor the coordinates use, or None for H / OH and W / OW.
"""

from fractions import Fraction

import numpy as np

from ..backend import Array, Shape


def source(i: int, n_in: int, n_out: int, scale, mode: str, align_corners: bool, dtype) -> list:
    """[(index, weight)]: the input cells that output index i reads along one axis."""
    if mode == "bicubic":  # its coordinate in x's dtype, as bilinear's
        return cubic_source(i, n_in, n_out, scale, align_corners, np.dtype(dtype).type)
    if mode == "nearest" and n_out in (n_in, 2 * n_in):  # PyTorch's copy and i // 2, whatever scale
        return [(i * n_in // n_out, 1)]
    if mode != "bilinear":  # the scale in float32, as PyTorch's
        s = np.float32(1 / scale) if scale else np.float32(n_in) / np.float32(n_out)
        at = np.float32(i) * s if mode == "nearest" else np.float32((i + 0.5) * np.float64(s))
        return [(min(int(np.floor(at)), n_in - 1), 1)]
    T = np.dtype(dtype).type  # bilinear's coordinate in x's dtype
    if n_out == n_in:
        return [(i, T(1)), (i, T(0))]
    if align_corners:
        at = (T(n_in - 1) / T(n_out - 1) if n_out > 1 else T(0)) * T(i)
    else:  # the exact s (i + 1/2) - 1/2, rounded once to T, as PyTorch's fused multiply-add
        s = T(1 / scale) if scale else T(n_in) / T(n_out)
        at = max(T(Fraction(float(s)) * (2 * i + 1) / 2 - Fraction(1, 2)), T(0))
    h = min(int(np.floor(np.float32(at))), n_in - 1)  # NOTE: PyTorch's floorf, in float32
    lam = T(min(max(at - T(h), T(0)), T(1)))
    return [(h, T(1) - lam), (min(h + 1, n_in - 1), lam)]


def cubic_source(i: int, n_in: int, n_out: int, scale, align_corners: bool, T) -> list:
    """Bicubic: the cells h - 1 .. h + 2 around s (h = floor(s)), each clamped into the image,
    weighted by Keys' kernel W at its distance from s (t = s - h):
        W(d) = (A + 2) d^3 - (A + 3) d^2 + 1      for d <= 1
        W(d) = A d^3 - 5 A d^2 + 8 A d - 4 A      for 1 < d < 2,     A = -0.75
    in Horner's form, and the distance 2 - t as (1 - t) + 1, as PyTorch writes them."""
    if align_corners:
        at = (T(n_in - 1) / T(n_out - 1) if n_out > 1 else T(0)) * T(i)
    else:  # not clamped at 0: each tap is clamped instead
        s = T(1 / scale) if scale else T(n_in) / T(n_out)
        at = T(Fraction(float(s)) * (2 * i + 1) / 2 - Fraction(1, 2))
    h = min(int(np.floor(np.float32(at))), n_in - 1)
    t = T(min(max(at - T(h), T(0)), T(1)))
    A = T(-0.75)
    near = lambda d: ((A + 2) * d - (A + 3)) * d * d + 1
    far = lambda d: ((A * d - 5 * A) * d + 8 * A) * d - 4 * A
    weights = [far(t + 1), near(t), near(1 - t), far((1 - t) + 1)]
    return [(min(max(h + k - 1, 0), n_in - 1), weights[k]) for k in range(4)]


def interpolate_forward(x: Array, size: Shape, scales, mode: str, align_corners: bool) -> Array:
    """y[n,c,i,j] = sum over row i's taps (h, a) of a * (sum over column j's taps (w, b) of b x[n,c,h,w])."""
    N, C, H, W = x.shape
    (OH, OW), (sh, sw) = size, scales or (None, None)
    y = np.zeros((N, C, OH, OW), dtype=x.dtype)
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    total = 0.0
                    for h, a in source(i, H, OH, sh, mode, align_corners, x.dtype):
                        row = 0.0
                        for w, b in source(j, W, OW, sw, mode, align_corners, x.dtype):
                            row += b * x[n, c, h, w]
                        total += a * row
                    y[n, c, i, j] = total
    return y


def interpolate_input_grad(gy: Array, x_shape: Shape, scales, mode: str, align_corners: bool) -> Array:
    """gx[n,c,h,w] = sum of a b gy[n,c,i,j] over every output (i, j) whose taps (h, a), (w, b) read (h, w)."""
    N, C, H, W = x_shape
    _, _, OH, OW = gy.shape
    sh, sw = scales or (None, None)
    gx = np.zeros(x_shape, dtype=gy.dtype)
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    for h, a in source(i, H, OH, sh, mode, align_corners, gy.dtype):
                        for w, b in source(j, W, OW, sw, mode, align_corners, gy.dtype):
                            gx[n, c, h, w] += a * b * gy[n, c, i, j]
    return gx
