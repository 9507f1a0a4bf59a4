"""Datasets, the DataLoader and batch-wise transforms (augmentation).

Datasets return NumPy arrays (images float32 (N, C, H, W) in [0, 1], labels
int64); the DataLoader yields ``(x, y)`` minicnn Tensors.

- bundled with pip packages (the ``data`` extra): ``mnist5k``, ``digits``
- from files you have: ``MNIST``, ``FashionMNIST``, ``CIFAR10``, ``ImageFolder``
- generated: ``SyntheticShapes`` (``preset="easy"`` or ``"hard"``)
- for experiments: ``cifar10_or_shapes`` (CIFAR-10 if ``$MINICNN_CIFAR10`` is set, else hard shapes)
- building blocks: ``Dataset``, ``TensorDataset``, ``Subset``, ``ConcatDataset``, ``random_split``

Errors: a missing dataset file is a FileNotFoundError (as is an ImageFolder
class folder with no images, as in torchvision); a file that is there but
cannot be read safely (corrupt, truncated, not a regular file, a pickle holding
code, sizes over ``minicnn.io.read_limit()``) is a ``DataFileError`` (a
ValueError) with one line naming the file.
"""

from . import transforms
from .bundled import digits, mnist5k
from .dataset import ConcatDataset, Dataset, Subset, TensorDataset, random_split
from .files import CIFAR10, MNIST, DataFileError, FashionMNIST, read_idx
from .image_folder import ImageFolder
from .loader import DataLoader
from .natural import cifar10_or_shapes
from .synthetic import SHAPES, SyntheticShapes

__all__ = [
    "transforms",
    "digits",
    "mnist5k",
    "ConcatDataset",
    "Dataset",
    "Subset",
    "TensorDataset",
    "random_split",
    "CIFAR10",
    "MNIST",
    "FashionMNIST",
    "DataFileError",
    "read_idx",
    "ImageFolder",
    "DataLoader",
    "SHAPES",
    "SyntheticShapes",
    "cifar10_or_shapes",
]
