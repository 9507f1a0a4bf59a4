"""Hue: RGB to HSV and back, and turning an image's hue, as torchvision's ``adjust_hue`` on
float tensors (its ``_rgb2hsv`` and ``_hsv2rgb``, the hexcone model of Smith 1978 in Pillow's
arrangement), one operation after another in the batch's own dtype: torchvision's numbers to
the last bit in float32 (torchvision computes float64 images in float32; these keep float64)."""

import numpy as np


def rgb_to_hsv(x):
    """(N, 3, H, W) RGB -> h, s, v, each (N, H, W), h in [0, 1) as a fraction of a turn.

    v = max(r, g, b), c = v - min(r, g, b), s = c / v, and the hue by the sector of the
    largest channel, h = (bc - gc) / 6, (2 + rc - bc) / 6 or (4 + gc - rc) / 6 for r, g or b
    largest (r first where two tie), with rc = (v - r) / c and so on, taken modulo 1. A grey
    (c = 0) gets h = s = 0: the 1 put in place of a zero denominator keeps NaN out.
    """
    r, g, b = x[:, 0], x[:, 1], x[:, 2]
    maxc, minc = x.max(axis=1), x.min(axis=1)
    grey = maxc == minc
    c = maxc - minc
    one = np.ones_like(maxc)
    with np.errstate(divide="ignore", invalid="ignore"):  # v = 0 < c: negative pixels, as torchvision
        s = c / np.where(grey, one, maxc)
        c = np.where(grey, one, c)
        rc, gc, bc = (maxc - r) / c, (maxc - g) / c, (maxc - b) / c
        h = (maxc == r) * (bc - gc)
        h = h + ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
        h = h + ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
        return np.fmod(h / 6.0 + 1.0, 1.0), s, maxc


def hsv_to_rgb(h, s, v):
    """h, s, v (N, H, W) -> (N, 3, H, W) RGB: sector i = floor(6 h) mod 6, f = 6 h - floor(6 h),
    p = v (1 - s), q = v (1 - s f), t = v (1 - s (1 - f)) (p, q, t clipped to [0, 1], v not),
    and (r, g, b) = (v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q) by sector."""
    i = np.floor(h * 6.0)
    f = h * 6.0 - i
    i = i.astype(np.int32) % 6
    p = np.clip(v * (1.0 - s), 0.0, 1.0)
    q = np.clip(v * (1.0 - s * f), 0.0, 1.0)
    t = np.clip(v * (1.0 - s * (1.0 - f)), 0.0, 1.0)
    r = np.choose(i, (v, q, p, p, t, v))
    g = np.choose(i, (t, v, v, q, p, p))
    b = np.choose(i, (p, p, t, v, v, q))
    return np.stack((r, g, b), axis=1)


def adjust_hue(batch, hue_factor):
    """Turn the hue of RGB images by ``hue_factor`` of a full turn, as torchvision's adjust_hue.

    h' = (h + hue_factor) mod 1 in HSV (``rgb_to_hsv``), s and v kept, then back to RGB:
    0 leaves the colours, +-0.5 gives the opposite hue (red <-> cyan), +1/3 sends red to green
    and green to blue. A grey pixel has no hue and stays as it is; a one-channel batch is
    returned as it is (a copy), as torchvision's. Pixels belong in [0, 1]: torchvision's
    formulas, kept here, clip p, q, t to [0, 1] and not v.

    Args:
        batch: (N, C, H, W) float array, C = 1 or 3.
        hue_factor: a number in [-0.5, 0.5], or N of them, one per image.
    Shapes: (N, C, H, W) -> the same, in the batch's dtype.

    >>> import numpy as np
    >>> from minicnn.data.transforms import adjust_hue
    >>> red = np.array([1.0, 0.0, 0.0]).reshape(1, 3, 1, 1)
    >>> adjust_hue(red, 1 / 3).ravel().round(6).tolist()
    [0.0, 1.0, 0.0]
    """
    if not isinstance(batch, np.ndarray) or batch.ndim != 4 or batch.dtype.kind != "f":
        raise TypeError(f"adjust_hue: expected a float array (N, C, H, W), got {_described(batch)}")
    if batch.shape[1] not in (1, 3):
        raise ValueError(f"adjust_hue: expected 1 or 3 channels, got batch {tuple(batch.shape)}")
    try:
        factor = np.asarray(hue_factor, dtype=np.float64)
    except (TypeError, ValueError):
        factor = None
    if (
        factor is None
        or isinstance(hue_factor, bool)
        or factor.size not in (1, len(batch))
        or factor.ndim > 1
    ):
        raise TypeError(
            f"adjust_hue: hue_factor must be a number or one per image ({len(batch)}), got {hue_factor!r}"
        )
    if not np.all((-0.5 <= factor) & (factor <= 0.5)):
        raise ValueError(f"adjust_hue: hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    if batch.shape[1] == 1:  # NOTE: torchvision's (and Pillow's): a grey image has no hue
        return batch.copy()
    h, s, v = rgb_to_hsv(batch)
    h = np.mod(h + factor.astype(batch.dtype).reshape(-1, 1, 1), 1.0)
    return hsv_to_rgb(h, s, v)


def _described(a):
    if isinstance(a, np.ndarray):
        return f"{a.dtype} array of shape {a.shape}"
    return type(a).__name__
