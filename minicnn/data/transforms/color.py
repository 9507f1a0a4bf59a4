"""Pixel-value transforms: normalization and colour augmentation."""

import numpy as np

from .base import Transform

# ITU-R 601-2 luma, as PIL's convert("L") and torchvision's rgb_to_grayscale.
LUMA = np.array([0.299, 0.587, 0.114])

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
    """Random brightness, contrast and saturation per image, as torchvision's ColorJitter.

    Each factor f ~ U[max(0, 1 - v), 1 + v], or U[lo, hi] for a pair (lo, hi); 0 or None
    leaves that part out (None as torchvision's v2). Brightness blends with black,
    contrast with the image's mean grey, saturation with its grey image (a one-channel
    image has none to change and is left as it is, as in torchvision); the three are
    applied in that fixed order (torchvision shuffles it on each call), each result
    clipped to [0, 1].
    (A cheap stand-in for the lighting changes AlexNet models with PCALighting.)
    """

    def __init__(self, brightness=0, contrast=0, saturation=0):
        for name, v in (("brightness", brightness), ("contrast", contrast), ("saturation", saturation)):
            lo, hi = _factor_range(name, v)
            if not 0 <= lo <= hi:
                raise ValueError(f"ColorJitter: {name} must be >= 0 or a pair 0 <= lo <= hi, got {v!r}")
        self.brightness, self.contrast, self.saturation = brightness, contrast, saturation

    def apply(self, x, rng):
        if x.shape[1] not in (1, 3):
            raise ValueError(f"ColorJitter: expected 1 or 3 channels, got batch {tuple(x.shape)}")
        factor = lambda v: rng.uniform(*_factor_range("", v), size=len(x))
        out = x
        if self.brightness:
            out = _blend(out, 0, factor(self.brightness))
        if self.contrast:
            out = _blend(out, _gray(out).mean(axis=(1, 2, 3), keepdims=True), factor(self.contrast))
        if self.saturation:
            f = factor(self.saturation)  # drawn all the same, so the stream of numbers is one
            if x.shape[1] == 3:  # NOTE: a grey image has no saturation: torchvision leaves it as it is
                out = _blend(out, _gray(out), f)
        return out.copy() if out is x else out


def _factor_range(name, v):
    """torchvision's two forms: v -> [max(0, 1 - v), 1 + v]; a pair (lo, hi) as it is."""
    number = lambda a: isinstance(a, (int, float, np.integer, np.floating)) and not isinstance(a, bool)
    if v is None:
        return 1.0, 1.0
    if isinstance(v, (tuple, list)) and len(v) == 2 and all(map(number, v)):
        return float(v[0]), float(v[1])
    if not number(v):
        raise TypeError(f"ColorJitter: {name} should be a single number or a pair (lo, hi), got {v!r}")
    return max(0.0, 1 - v), 1 + v


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
