"""Pixel-value transforms: normalization and colour augmentation (hue's HSV in hue.py)."""

import numpy as np

from .base import Transform
from .hue import adjust_hue

# ITU-R 601-2 luma as torchvision's rgb_to_grayscale of a tensor takes it, 0.2989 for red
# (PIL's convert("L") takes 0.299): ColorJitter's contrast and saturation are its tensors'.
LUMA = np.array([0.2989, 0.587, 0.114])

# The ImageNet RGB principal components (pixels in [0, 1]) used by most
# reimplementations of AlexNet's lighting noise (fb.resnet.torch): eigenvalues,
# and eigenvectors as columns.
IMAGENET_EIGVAL = np.array([0.2175, 0.0188, 0.0045])
IMAGENET_EIGVEC = np.array(
    [[-0.5675, 0.7192, 0.4009], [-0.5808, -0.0045, -0.8140], [-0.5836, -0.6948, 0.4203]]
)


class Normalize(Transform):
    """(x - mean[c]) / std[c] per channel c, as torchvision's Normalize: one value of mean or
    std stands for every channel, as ``Normalize((0.5,), (0.5,))`` on RGB images does there.
    ``inplace`` is taken for torchvision's signature; the batch returned is always a new one."""

    def __init__(self, mean, std, inplace=False):
        # NOTE: inplace is torchvision's, taken so its code runs: a new batch is returned either
        # way, and the loader's batch is its own copy, so nothing else could see the difference
        self.inplace = bool(inplace)
        self.mean = np.asarray(mean, dtype=np.float64).reshape(-1)
        self.std = np.asarray(std, dtype=np.float64).reshape(-1)
        sizes = {len(self.mean), len(self.std)} - {1}
        if not len(self.mean) or not len(self.std) or len(sizes) > 1 or np.any(self.std <= 0):
            raise ValueError(
                f"Normalize: mean and std need one value, or one per channel, and std > 0; "
                f"got mean {self.mean.tolist()}, std {self.std.tolist()}"
            )

    def apply(self, x, rng):
        if max(len(self.mean), len(self.std)) not in (1, x.shape[1]):
            raise ValueError(
                f"Normalize: batch {tuple(x.shape)} has {x.shape[1]} channel(s) but "
                f"mean/std have {max(len(self.mean), len(self.std))}"
            )
        shape = (1, -1, 1, 1)
        return ((x - self.mean.reshape(shape)) / self.std.reshape(shape)).astype(x.dtype)


def _gray(x):
    """(N, 1, H, W) luma of RGB images (the image itself when it has one channel)."""
    if x.shape[1] == 1:
        return x
    return np.tensordot(LUMA.astype(x.dtype), x, axes=([0], [1]))[:, None]


def _blend(x, other, f):
    """f * x + (1 - f) * other, clipped to [0, 1], with f one factor per image."""
    f = f.astype(x.dtype).reshape(-1, 1, 1, 1)
    return np.clip(f * x + (1 - f) * other, 0, 1)


class ColorJitter(Transform):
    """Random brightness, contrast, saturation and hue per image, as torchvision's ColorJitter.

    Factors, each drawn uniformly: brightness, contrast and saturation f ~ U[max(0, 1 - v),
    1 + v], or U[lo, hi] for a pair 0 <= lo <= hi; hue h ~ U[-v, v] for 0 <= v <= 0.5, or
    U[lo, hi] for a pair -0.5 <= lo <= hi <= 0.5. 0, None, or a range holding only the
    identity ((1, 1); (0, 0) for hue) leaves that part out, as torchvision.

        brightness   x' = clip(f x, 0, 1)                          (blend with black)
        contrast     x' = clip(f x + (1 - f) mean(grey(x)), 0, 1)  (with the mean grey)
        saturation   x' = clip(f x + (1 - f) grey(x), 0, 1)        (with the grey image)
        hue          x' = adjust_hue(x, h): h added to the hue in HSV, modulo 1

    grey(x) = 0.2989 r + 0.587 g + 0.114 b (torchvision's). The parts run in a random order, as torchvision's
    (it permutes the four on each call). Per image: every image draws its own factors and its
    own order, as if torchvision's transform were called on each image alone, the way a
    Dataset calls it. Draws, from ``rng``: for each part in use, in the order above, one
    factor per image (``rng.uniform(lo, hi, N)``); then, with two parts or more in use, one
    permutation of them per image. A one-channel image has no saturation or hue and keeps
    them (its factors drawn all the same, so the stream of numbers does not depend on C).
    (A cheap stand-in for the lighting changes AlexNet models with PCALighting.)
    """

    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0):
        self._ranges = {}
        for name, v in (("brightness", brightness), ("contrast", contrast), ("saturation", saturation)):
            lo, hi = _factor_range(name, v)
            if not 0 <= lo <= hi:
                raise ValueError(f"ColorJitter: {name} must be >= 0 or a pair 0 <= lo <= hi, got {v!r}")
            self._ranges[name] = (lo, hi)
        lo, hi = _factor_range("hue", hue, center=0.0)
        if not -0.5 <= lo <= hi <= 0.5:
            raise ValueError(
                f"ColorJitter: hue must be in [0, 0.5] or a pair -0.5 <= lo <= hi <= 0.5, got {hue!r}"
            )
        self._ranges["hue"] = (lo, hi)
        self.brightness, self.contrast, self.saturation, self.hue = brightness, contrast, saturation, hue

    def apply(self, x, rng):
        if x.shape[1] not in (1, 3):
            raise ValueError(f"ColorJitter: expected 1 or 3 channels, got batch {tuple(x.shape)}")
        parts = [p for p in PARTS if self._ranges[p] != (IDENTITY[p], IDENTITY[p])]
        factors = [rng.uniform(*self._ranges[p], size=len(x)) for p in parts]
        order = np.tile(np.arange(len(parts)), (len(x), 1))
        if len(parts) > 1:
            order = rng.permuted(order, axis=1)
        out = x.copy()
        for step in range(len(parts)):
            for k, part in enumerate(parts):
                chosen = order[:, step] == k
                if chosen.any():
                    out[chosen] = adjust(part, out[chosen], factors[k][chosen])
        return out


PARTS = ("brightness", "contrast", "saturation", "hue")
IDENTITY = {"brightness": 1.0, "contrast": 1.0, "saturation": 1.0, "hue": 0.0}  # factors that change nothing


def adjust(part, x, f):
    """One of ColorJitter's four parts on a batch, with f one factor per image (torchvision's
    adjust_brightness, adjust_contrast, adjust_saturation and adjust_hue on float images)."""
    if part == "brightness":
        return _blend(x, 0, f)
    if part == "contrast":
        return _blend(x, _gray(x).mean(axis=(1, 2, 3), keepdims=True), f)
    if x.shape[1] == 1:  # NOTE: a grey image has no saturation or hue: torchvision leaves it as it is
        return x
    return _blend(x, _gray(x), f) if part == "saturation" else adjust_hue(x, f)


def _factor_range(name, v, center=1.0):
    """torchvision's two forms: v -> [max(0, 1 - v), 1 + v] ([-v, v] for hue, centred on 0);
    a pair (lo, hi) as it is."""
    number = lambda a: isinstance(a, (int, float, np.integer, np.floating)) and not isinstance(a, bool)
    if v is None:
        return center, center
    if isinstance(v, (tuple, list)) and len(v) == 2 and all(map(number, v)):
        return float(v[0]), float(v[1])
    if not number(v):
        raise TypeError(f"ColorJitter: {name} should be a single number or a pair (lo, hi), got {v!r}")
    return (max(0.0, center - v) if center else center - v), center + v


class PCALighting(Transform):
    """AlexNet's colour augmentation (Krizhevsky et al. 2012, sec. 4.1).

    Adds to every pixel of an image the same RGB offset
    ``eigvec @ (alpha * eigval)``, alpha ~ N(0, alphastd) drawn per image,
    where eigval/eigvec are the principal components of the RGB covariance.
    No clipping: the noise has mean zero, so the mean colour is kept on average.
    Defaults to the ImageNet components; ``fit(images)`` computes them from data.
    """

    def __init__(self, alphastd=0.1, eigval=None, eigvec=None):
        if alphastd < 0:
            raise ValueError(f"PCALighting: alphastd must be >= 0, got {alphastd}")
        self.alphastd = alphastd
        self.eigval = np.asarray(IMAGENET_EIGVAL if eigval is None else eigval, dtype=np.float64)
        self.eigvec = np.asarray(IMAGENET_EIGVEC if eigvec is None else eigvec, dtype=np.float64)
        if self.eigval.shape != (3,) or self.eigvec.shape != (3, 3):
            raise ValueError(
                f"PCALighting: expected eigval (3,) and eigvec (3, 3) (eigenvectors "
                f"as columns), got {self.eigval.shape} and {self.eigvec.shape}"
            )

    def fit(self, images):
        """Set eigval/eigvec from the 3x3 covariance of all RGB pixels of ``images``; returns self.

        ``PCALighting(0.1).fit(train.images)``: images (N, 3, H, W).
        """
        images = np.asarray(images)
        if images.ndim != 4 or images.shape[1] != 3:
            raise ValueError(
                f"PCALighting.fit: expected RGB images (N, 3, H, W), got shape {tuple(images.shape)}"
            )
        # Sums over chunks of images, so 50,000 CIFAR images need no float64 copy.
        total, outer, count = np.zeros(3), np.zeros((3, 3)), 0
        for start in range(0, len(images), 1024):
            pixels = images[start : start + 1024].transpose(1, 0, 2, 3).reshape(3, -1)
            pixels = pixels.astype(np.float64)
            total, outer = total + pixels.sum(axis=1), outer + pixels @ pixels.T
            count += pixels.shape[1]
        mean = total / count
        eigval, eigvec = np.linalg.eigh(outer / count - np.outer(mean, mean))
        order = np.argsort(eigval)[::-1]  # largest component first
        self.eigval, self.eigvec = np.maximum(eigval[order], 0), eigvec[:, order]
        return self

    def apply(self, x, rng):
        if x.shape[1] != 3:
            raise ValueError(f"PCALighting: expected RGB images (N, 3, H, W), got batch {tuple(x.shape)}")
        alpha = rng.normal(0, self.alphastd, size=(len(x), 3))
        offset = (alpha * self.eigval) @ self.eigvec.T  # (N, 3): eigvec @ (alpha * eigval)
        return (x + offset[:, :, None, None]).astype(x.dtype)
