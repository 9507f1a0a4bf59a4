"""Plain loops for interpolate: the spec of ``functional/interpolate.py``, in reference.py's manner.

They are not a tier's kernels: interpolate runs one xp code on every tier, and the tests
hold that code to these loops. Each output pixel (i, j) reads the cells around its source
point, one index at a time: one cell (nearest, nearest-exact), the four around it
(bilinear) or sixteen (bicubic), or with ``antialias`` every cell within the stretched
filter's support, with the weights of its row and of its column. The source
coordinates are PyTorch's, with its rounding (see ``functional/interpolate.py``). Slow: use
tiny inputs.

Shapes: x (N, C, H, W), y (N, C, OH, OW); ``size`` (OH, OW); ``scales`` the
(height, width) scale_factor the coordinates use, or None for H / OH and W / OW.
"""

from fractions import Fraction

import numpy as np

from ..backend import Array, Shape


def source(
    i: int, n_in: int, n_out: int, scale, mode: str, align_corners: bool, dtype, antialias: bool = False
) -> list:
    """[(index, weight)]: the input cells that output index i reads along one axis."""
    if antialias:
        return antialias_source(i, n_in, n_out, scale, mode, align_corners, np.dtype(dtype).type)
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


def antialias_source(i: int, n_in: int, n_out: int, scale, mode: str, align_corners: bool, T) -> list:
    """Antialiased: every cell j whose centre j + 1/2 lies within the support of the centre
    c = r (i + 1/2), weighted f((j + 1/2 - c) / max(r, 1)), the weights divided by their sum:
        support = K/2 max(r, 1),  K = 2 (bilinear) or 4 (bicubic)
        f(d) = max(1 - |d|, 0) (bilinear), Keys' W(|d|) with A = -0.5 below 2, else 0 (bicubic)
    r as bilinear's; the centre, the ends and the distances rounded as PyTorch's (in T, each
    moved by 1/2 in float64, the ends truncated towards 0). An unchanged size: a copy."""
    if n_out == n_in:
        return [(i, T(1))]
    if align_corners:
        r = T(n_in - 1) / T(n_out - 1) if n_out > 1 else T(0)
    else:
        r = T(1 / scale) if scale else T(n_in) / T(n_out)
    half = 1.0 if mode == "bilinear" else 2.0
    support, inverse = (T(half * float(r)), T(1 / float(r))) if r >= 1 else (T(half), T(1))
    c = T(float(r) * (i + 0.5))
    first = max(int(float(c - support) + 0.5), 0)
    last = min(int(float(c + support) + 0.5), n_in, first + 2 * int(np.ceil(support)) + 1)
    A = T(-0.5)
    taps, total = [], T(0)
    for j in range(first, last):
        d = abs(T((float(T(j) - c) + 0.5) * float(inverse)))
        if mode == "bilinear":
            w = T(1) - d if d < 1 else T(0)
        elif d < 1:
            w = ((A + 2) * d - (A + 3)) * d * d + 1
        else:
            w = ((A * d - 5 * A) * d + 8 * A) * d - 4 * A if d < 2 else T(0)
        taps.append((j, w))
        total += w
    return [(j, w / total) for j, w in taps] if total != 0 else taps


def interpolate_forward(
    x: Array, size: Shape, scales, mode: str, align_corners: bool, antialias: bool = False
) -> Array:
    """y[n,c,i,j] = sum over row i's taps (h, a) of a * (sum over column j's taps (w, b) of b x[n,c,h,w])."""
    N, C, H, W = x.shape
    (OH, OW), (sh, sw) = size, scales or (None, None)
    y = np.zeros((N, C, OH, OW), dtype=x.dtype)
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    total = 0.0
                    for h, a in source(i, H, OH, sh, mode, align_corners, x.dtype, antialias):
                        row = 0.0
                        for w, b in source(j, W, OW, sw, mode, align_corners, x.dtype, antialias):
                            row += b * x[n, c, h, w]
                        total += a * row
                    y[n, c, i, j] = total
    return y


def interpolate_input_grad(
    gy: Array, x_shape: Shape, scales, mode: str, align_corners: bool, antialias: bool = False
) -> Array:
    """gx[n,c,h,w] = sum of a b gy[n,c,i,j] over every output (i, j) whose taps (h, a), (w, b) read (h, w)."""
    N, C, H, W = x_shape
    _, _, OH, OW = gy.shape
    sh, sw = scales or (None, None)
    gx = np.zeros(x_shape, dtype=gy.dtype)
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    for h, a in source(i, H, OH, sh, mode, align_corners, gy.dtype, antialias):
                        for w, b in source(j, W, OW, sw, mode, align_corners, gy.dtype, antialias):
                            gx[n, c, h, w] += a * b * gy[n, c, i, j]
    return gx
