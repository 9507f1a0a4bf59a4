"""Data augmentation on whole batches: each transform is ``t(batch, rng) -> batch``.

``batch`` is a NumPy float array (N, C, H, W); ``rng`` a ``np.random.Generator``
(the DataLoader passes the epoch's, so augmentation is reproducible from the
seed). Random choices are drawn per image, and the pixel work is done for the
whole batch at once with fancy indexing, not image by image. The input batch is
never modified in place.

    from minicnn.data import transforms as T
    train_tf = T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(),
                          T.Normalize(mean, std)])
"""

from .base import Compose
from .color import ColorJitter, Normalize, PCALighting
from .geometric import (
    CenterCrop,
    RandomCrop,
    RandomHorizontalFlip,
    RandomResizedCrop,
    RandomTranslate,
    Resize,
    TenCrop,
)
from .hue import adjust_hue

__all__ = [
    "Compose",
    "Normalize",
    "ColorJitter",
    "PCALighting",
    "CenterCrop",
    "RandomCrop",
    "RandomHorizontalFlip",
    "RandomResizedCrop",
    "RandomTranslate",
    "Resize",
    "TenCrop",
    "adjust_hue",
]

from ...torch_names import module_getattr  # noqa: E402  (torchvision's ToTensor: what to do instead)

__getattr__ = module_getattr("transforms")
