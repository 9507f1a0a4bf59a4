"""Bilinear resampling of image batches, one crop box per image, vectorized.

Used by ``digits(size=28)``, ``transforms.Resize`` and ``RandomResizedCrop``.
The grid follows PyTorch's ``align_corners=False``: along an axis of a box of
``length`` pixels resized to ``out``, output pixel i is centred at
``c = (i + 0.5) * s`` in the box, with ``s = length / out``.

Both kinds of resizing are one triangle filter of half-width ``a``: source pixel
j (centred at j + 0.5) gets the weight ``max(0, 1 - |j + 0.5 - c| / a)``,
over the pixels of the box only, and the weights are divided by their sum.
- ``a = 1`` is bilinear interpolation between the two pixels around ``c - 0.5``
  (PyTorch's ``antialias=False``). Shrinking by more than 2x skips pixels.
- ``a = max(s, 1)`` widens the filter to the shrink factor, so that every source
  pixel counts (Pillow's and PyTorch's ``antialias=True``). Enlarging is unchanged.
"""

import numpy as np


def _weights(start, length, out, limit, antialias):
    """Each image's (out, limit) matrix of source weights along one axis: rows sum to 1."""
    s = length / out
    a = (np.maximum(s, 1.0) if antialias else np.ones_like(s))[:, None, None]
    c = ((np.arange(out) + 0.5) * s[:, None])[:, :, None]  # output centres, box coordinates
    j = np.arange(limit) - start[:, None, None]  # source pixels, box coordinates
    w = np.maximum(0.0, 1 - np.abs(j + 0.5 - c) / a) * ((j >= 0) & (j < length[:, None, None]))
    return w / w.sum(axis=2, keepdims=True)


def crop_resize(x, top, left, height, width, size, antialias=False):
    """Crop box (top, left, height, width) of each image, resized to ``size``.

    Shapes: x (N, C, H, W); top, left, height, width (N,) or one for all, in
    whole pixels, inside the image; size (out_h, out_w). Returns (N, C, out_h,
    out_w) of x's dtype: the same as cropping first and then resizing.
    ``antialias=True`` widens the filter when shrinking (see the module's doc).
    """
    n, _, H, W = x.shape
    as_f = lambda a: np.broadcast_to(np.asarray(a, dtype=np.float64), (n,))
    out_h, out_w = size
    rows = _weights(as_f(top), as_f(height), out_h, H, antialias)[:, None]  # (N, 1, out_h, H)
    columns = _weights(as_f(left), as_f(width), out_w, W, antialias)[:, None]  # (N, 1, out_w, W)
    out = rows @ x.astype(np.float64, copy=False) @ columns.swapaxes(2, 3)
    return np.ascontiguousarray(out).astype(x.dtype, copy=False)


def resize(x, size, antialias=False):
    """Whole images (N, C, H, W) resized bilinearly to ``size`` (int or (h, w))."""
    size = (size, size) if np.isscalar(size) else tuple(size)
    n, _, H, W = x.shape
    return crop_resize(x, 0, 0, H, W, size, antialias)
