"""Crops, flips, shifts and resizing: where each image's pixels come from."""

import math

import numpy as np

from ..resample import crop_resize, resize
from .base import Transform, pair


def crops(x, top, left, h, w):
    """The h x w window at (top[n], left[n]) of each image n: (N, C, h, w).

    One fancy index for the whole batch; ``top``/``left`` are (N,) ints.
    """
    rows = top[:, None] + np.arange(h)  # (N, h)
    cols = left[:, None] + np.arange(w)  # (N, w)
    k = np.arange(len(x))[:, None, None]
    out = x[k, :, rows[:, :, None], cols[:, None, :]]  # (N, h, w, C)
    return np.ascontiguousarray(out.transpose(0, 3, 1, 2))


def _fits(name, x, h, w, pad=(0, 0, 0, 0)):
    left, top, right, bottom = pad
    H, W = x.shape[2] + top + bottom, x.shape[3] + left + right
    if h > H or w > W:
        raise ValueError(
            f"{name}: crop {h}x{w} is larger than the (padded) image {H}x{W}; "
            f"batch {tuple(x.shape)}, padding {pad if len(set(pad)) > 1 else pad[0]}"
        )
    return H, W


def _pad(x, p, mode="constant", fill=0):
    """``x`` padded by p on every side, or by p = (left, top, right, bottom)."""
    left, top, right, bottom = (p,) * 4 if np.isscalar(p) else p
    if not (left or top or right or bottom):
        return x
    widths = ((0, 0), (0, 0), (top, bottom), (left, right))
    return np.pad(x, widths, mode, **({"constant_values": fill} if mode == "constant" else {}))


PADDING_MODES = ("constant", "edge", "reflect", "symmetric")


def _sides(padding):
    """torchvision's padding: an int for every side, (left/right, top/bottom), or
    (left, top, right, bottom); as (left, top, right, bottom)."""
    values = [padding] if np.isscalar(padding) else list(padding)
    ok = len(values) in (1, 2, 4) and all(
        not isinstance(v, bool) and isinstance(v, (int, np.integer)) and v >= 0 for v in values
    )
    if not ok:
        raise ValueError(
            "RandomCrop: padding must be an int >= 0 for every side, (left/right, top/bottom) "
            f"or (left, top, right, bottom), got {padding!r}"
        )
    values = [int(v) for v in values]
    return tuple(values * 4 if len(values) == 1 else values * 2 if len(values) == 2 else values)


class RandomCrop(Transform):
    """A random h x w window of each image, after ``padding`` (as torchvision's RandomCrop).

    The CIFAR augmentation of He et al. 2016 (pad 4, crop 32) and AlexNet's
    random 224 crops of 256 images (Krizhevsky et al. 2012, sec. 4.1).

    ``padding``: an int for every side, (left/right, top/bottom) or (left, top,
    right, bottom); ``padding_mode`` "constant" (with ``fill``), "edge", "reflect"
    (mirrored about the edge pixel) or "symmetric" (mirrored with it);
    ``pad_if_needed`` then pads an image still smaller than the crop by the shortfall
    on both sides of that dimension, as torchvision does: a second padding, of the
    padded image, in the same mode.
    """

    def __init__(self, size, padding=0, pad_if_needed=False, fill=0, padding_mode="constant"):
        self.size = pair("RandomCrop", size)
        self.padding = _sides(0 if padding is None else padding)
        if padding_mode not in PADDING_MODES:
            raise ValueError(f"RandomCrop: padding_mode must be one of {PADDING_MODES}, got {padding_mode!r}")
        if isinstance(fill, bool) or not isinstance(fill, (int, float, np.integer, np.floating)):
            raise ValueError(
                f"RandomCrop: fill must be a number (the value of every padded pixel), got {fill!r}"
            )
        self.pad_if_needed, self.fill, self.padding_mode = bool(pad_if_needed), fill, padding_mode

    def apply(self, x, rng):
        h, w = self.size
        left, top, right, bottom = self.padding
        steps = [self.padding]
        if self.pad_if_needed:
            short_h = max(0, h - (x.shape[2] + top + bottom))
            short_w = max(0, w - (x.shape[3] + left + right))
            steps.append((short_w, short_h, short_w, short_h))
        total = tuple(int(a) for a in np.sum(steps, axis=0))
        H, W = _fits("RandomCrop", x, h, w, total)
        shape = x.shape
        for pad in steps:  # NOTE: one after the other, as torchvision: a mirror of the mirror
            if self.padding_mode == "reflect" and (
                max(pad[1], pad[3]) >= shape[2] or max(pad[0], pad[2]) >= shape[3]
            ):
                raise ValueError(
                    f"RandomCrop: reflect padding {pad} needs each side's padding below the image's "
                    f"size there; batch {tuple(shape)}"
                )
            shape = (*shape[:2], shape[2] + pad[1] + pad[3], shape[3] + pad[0] + pad[2])
        top_at = rng.integers(0, H - h + 1, len(x))
        left_at = rng.integers(0, W - w + 1, len(x))
        for pad in steps:
            x = _pad(x, pad, self.padding_mode, self.fill)
        return crops(x, top_at, left_at, h, w)


class CenterCrop(Transform):
    """The central h x w window (offsets rounded as torchvision's CenterCrop).

    As torchvision, an image smaller than the crop is first padded with zeros, by
    ``(h - H) // 2`` above and the rest below (likewise left and right).
    """

    def __init__(self, size):
        self.size = pair("CenterCrop", size)

    def apply(self, x, rng):
        h, w = self.size
        short_h, short_w = max(0, h - x.shape[2]), max(0, w - x.shape[3])
        x = _pad(x, (short_w // 2, short_h // 2, (short_w + 1) // 2, (short_h + 1) // 2))
        H, W = x.shape[2:]
        top, left = int(round((H - h) / 2)), int(round((W - w) / 2))
        return x[:, :, top : top + h, left : left + w].copy()


class RandomHorizontalFlip(Transform):
    """Mirror each image left-right with probability p (Krizhevsky et al. 2012, sec. 4.1)."""

    def __init__(self, p=0.5):
        if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)):
            raise TypeError(f"RandomHorizontalFlip: p must be a number in [0, 1], got {p!r}")
        if not 0 <= p <= 1:
            raise ValueError(f"RandomHorizontalFlip: p must be in [0, 1], got {p}")
        self.p = p

    def apply(self, x, rng):
        flip = rng.random(len(x)) < self.p
        out = x.copy()
        out[flip] = x[flip, :, :, ::-1]
        return out


class RandomTranslate(Transform):
    """Shift each image by integers dy, dx in [-max_shift, max_shift], filling with zeros.

    The image size is kept: the "image translations" of Krizhevsky et al. 2012
    (sec. 4.1) for inputs too small to crop, such as 28x28 digits.
    """

    def __init__(self, max_shift):
        if int(max_shift) != max_shift or max_shift < 0:
            raise ValueError(f"RandomTranslate: max_shift must be an int >= 0, got {max_shift!r}")
        self.max_shift = int(max_shift)

    def apply(self, x, rng):
        m = self.max_shift
        # A shift by (dy, dx) is the window at (m - dy, m - dx) of the image padded by m.
        top = rng.integers(0, 2 * m + 1, len(x))
        left = rng.integers(0, 2 * m + 1, len(x))
        return crops(_pad(x, m), top, left, x.shape[2], x.shape[3])


def _flag(name, what, value):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}: {what} must be True or False, got {value!r}")
    return bool(value)


class Resize(Transform):
    """Every image resized bilinearly to ``size`` (align_corners=False).

    ``size`` (h, w), or as torchvision an int (or ``(s,)``): the shorter side becomes
    ``size`` and the longer keeps the aspect ratio, ``int(size * long / short)``. ``antialias=True``
    (torchvision's default) widens the filter when shrinking, so that every pixel
    counts; ``False`` interpolates between the nearest two, skipping pixels when
    shrinking by more than 2x (``minicnn.data.resample`` has the formula).
    """

    def __init__(self, size, antialias=True):
        shorter = np.isscalar(size) or (isinstance(size, (tuple, list)) and len(size) == 1)
        self.size = pair("Resize", size)[0] if shorter else pair("Resize", size)
        self.antialias = _flag("Resize", "antialias", antialias)

    def apply(self, x, rng):
        if isinstance(self.size, tuple):
            return resize(x, self.size, self.antialias)
        H, W = x.shape[2:]
        short, long = sorted((H, W))
        other = int(self.size * long / short)
        return resize(x, (self.size, other) if H <= W else (other, self.size), self.antialias)


class RandomResizedCrop(Transform):
    """A random box of random area and aspect ratio, resized to ``size``.

    Inception-style augmentation (Szegedy et al. 2015, sec. 6), with
    torchvision's sampling: area ~ U(scale) * H * W and log-ratio ~ U(log ratio),
    10 tries per image, then the central box with the ratio clamped to range.
    Each box is resized as by ``Resize``, with the same ``antialias``.
    """

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3 / 4, 4 / 3), antialias=True):
        self.size = pair("RandomResizedCrop", size)
        two = lambda v: isinstance(v, (tuple, list)) and len(v) == 2 and all(np.isreal(a) for a in v)
        if not (two(scale) and two(ratio) and 0 < scale[0] <= scale[1] and 0 < ratio[0] <= ratio[1]):
            raise ValueError(
                f"RandomResizedCrop: need 0 < scale[0] <= scale[1] and 0 < ratio[0] "
                f"<= ratio[1], got scale={scale}, ratio={ratio}"
            )
        self.scale, self.ratio = tuple(scale), tuple(ratio)
        self.antialias = _flag("RandomResizedCrop", "antialias", antialias)

    def boxes(self, n, H, W, rng, tries=10):
        """(top, left, h, w) int arrays of shape (n,): the boxes ``apply`` would resize."""
        area = H * W * rng.uniform(*self.scale, size=(n, tries))
        aspect = np.exp(rng.uniform(math.log(self.ratio[0]), math.log(self.ratio[1]), size=(n, tries)))
        w = np.round(np.sqrt(area * aspect)).astype(np.int64)
        h = np.round(np.sqrt(area / aspect)).astype(np.int64)
        ok = (w > 0) & (h > 0) & (w <= W) & (h <= H)
        first = np.argmax(ok, axis=1)  # the first try that fits
        pick = np.arange(n), first
        h, w, found = h[pick], w[pick], ok[pick]
        # Fallback: the whole image, cut down to the nearest allowed aspect ratio.
        r = min(max(W / H, self.ratio[0]), self.ratio[1])
        fh, fw = (H, int(round(H * r))) if W / H > r else (int(round(W / r)), W)
        h, w = np.where(found, h, min(fh, H)), np.where(found, w, min(fw, W))
        top = np.where(found, (rng.random(n) * (H - h + 1)).astype(np.int64), (H - h) // 2)
        left = np.where(found, (rng.random(n) * (W - w + 1)).astype(np.int64), (W - w) // 2)
        return top, left, h, w

    def apply(self, x, rng):
        top, left, h, w = self.boxes(len(x), x.shape[2], x.shape[3], rng)
        return crop_resize(x, top, left, h, w, self.size, self.antialias)


class TenCrop(Transform):
    """The 4 corner and the central h x w crops, then the same of the mirrored images.

    Returns (10, N, C, h, w), torchvision's order (tl, tr, bl, br, centre,
    then flipped); average a net's outputs over the 10 for AlexNet's
    test-time prediction (Krizhevsky et al. 2012, sec. 4.1).
    """

    def __init__(self, size):
        self.size = pair("TenCrop", size)

    def apply(self, x, rng):
        h, w = self.size
        H, W = _fits("TenCrop", x, h, w)
        corners = [
            (0, 0),
            (0, W - w),
            (H - h, 0),
            (H - h, W - w),
            (int(round((H - h) / 2)), int(round((W - w) / 2))),
        ]
        out = [img[:, :, t : t + h, l : l + w] for img in (x, x[:, :, :, ::-1]) for t, l in corners]
        return np.stack(out)
