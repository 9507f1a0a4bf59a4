"""Bilinear resampling of image batches, one crop box per image, vectorized.

Used by ``digits(size=28)``, ``transforms.Resize`` and ``RandomResizedCrop``.
The pixel grid follows PyTorch's ``align_corners=False``: output pixel i of
``out`` samples the source at ``top + (i + 0.5) * h / out - 0.5``.
"""

import numpy as np


def _axis(start, length, out, limit):
    """Source coordinates along one axis: (lo, hi, weight of hi), each (N, out)."""
    i = np.arange(out, dtype=np.float64)
    src = start[:, None] + (i + 0.5) * (length[:, None] / out) - 0.5
    src = np.clip(src, 0, limit - 1)  # NOTE: edge pixels repeat beyond the border
    lo = np.floor(src).astype(np.int64)
    hi = np.minimum(lo + 1, limit - 1)
    return lo, hi, src - lo


def crop_resize(x, top, left, height, width, size):
    """Crop box (top, left, height, width) of each image, resized bilinearly to ``size``.

    Shapes: x (N, C, H, W); top, left, height, width (N,) floats in pixels;
    size (out_h, out_w). Returns (N, C, out_h, out_w) of x's dtype.
    No antialiasing: shrinking by more than 2x skips pixels.
    """
    n, c, H, W = x.shape
    out_h, out_w = size
    as_f = lambda a: np.broadcast_to(np.asarray(a, dtype=np.float64), (n,))
    y0, y1, wy = _axis(as_f(top), as_f(height), out_h, H)
    x0, x1, wx = _axis(as_f(left), as_f(width), out_w, W)
    k = np.arange(n)[:, None, None]
    # Advanced indices around the channel slice: the result is (N, out_h, out_w, C).
    pick = lambda yy, xx: x[k, :, yy[:, :, None], xx[:, None, :]]
    wy, wx = wy[:, :, None, None], wx[:, None, :, None]
    top_row = pick(y0, x0) * (1 - wx) + pick(y0, x1) * wx
    bottom_row = pick(y1, x0) * (1 - wx) + pick(y1, x1) * wx
    out = top_row * (1 - wy) + bottom_row * wy
    return np.ascontiguousarray(out.transpose(0, 3, 1, 2)).astype(x.dtype, copy=False)


def resize(x, size):
    """Whole images (N, C, H, W) resized bilinearly to ``size`` (int or (h, w))."""
    size = (size, size) if np.isscalar(size) else tuple(size)
    n, _, H, W = x.shape
    return crop_resize(x, 0.0, 0.0, float(H), float(W), size)
