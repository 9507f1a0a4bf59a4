"""Natural images if the user has them, else shapes that are hard the way natural images are.

The course's experiments on AlexNet's tricks, depth and augmentation need data
harder than digits. ``cifar10_or_shapes`` returns CIFAR-10 when the variable
``MINICNN_CIFAR10`` names a folder holding its python batches, and otherwise
the ``"hard"`` preset of ``SyntheticShapes``, which needs no download. Either
way it says which it used, so a notebook can print it beside its results.
"""

import os
import warnings

import numpy as np

from .dataset import TensorDataset
from .files import CIFAR10
from .resample import resize
from .synthetic import SyntheticShapes

ENV = "MINICNN_CIFAR10"


def balanced_indices(labels, n, rng):
    """``n`` indices of ``labels`` in a random order, class counts within 1 of each other.

    Each class's members are ranked in a random order; the ranks 0 of all
    classes come first, then the ranks 1, ... (so the first n are balanced).
    """
    labels = np.asarray(labels)
    if not 0 <= n <= len(labels):
        raise ValueError(f"balanced_indices: n must be 0..{len(labels)}, got {n}")
    perm = rng.permutation(len(labels))
    rank = np.empty(len(labels), dtype=np.int64)
    for c in np.unique(labels):
        members = perm[labels[perm] == c]
        rank[members] = np.arange(len(members))
    chosen = perm[np.argsort(rank[perm], kind="stable")[:n]]
    return rng.permutation(chosen)


def _cifar_subset(dataset, n, size, classes, rng):
    kept = np.flatnonzero(dataset.labels < classes)
    index = kept[balanced_indices(dataset.labels[kept], n, rng)]
    images = dataset.images[index]
    if size != images.shape[-1]:
        images = resize(images, size)
    return TensorDataset(images, dataset.labels[index], classes=dataset.classes[:classes])


def cifar10_or_shapes(n_train, n_test, size=32, seed=0, classes=10):
    """(train, test, description): CIFAR-10 from ``$MINICNN_CIFAR10`` if set, else hard shapes.

    Args:
        n_train, n_test: images in each split (class-balanced subsets of
            CIFAR-10's 50,000 training and 10,000 test images).
        size: image side; CIFAR-10's 32x32 images are resized bilinearly.
        seed: which images (CIFAR-10), or which shapes are drawn.
        classes: the first ``classes`` classes of either (2..10).
    Both splits are float32 (N, 3, size, size) in [0, 1].
    If the variable is set but the folder lacks the files, the shapes are
    used, with a warning and the reason in the description.
    """
    if not 2 <= classes <= 10:
        raise ValueError(f"cifar10_or_shapes: classes must be 2..10, got {classes}")
    root = os.environ.get(ENV)
    reason = f"{ENV} is not set"
    if root:
        try:
            train, test = CIFAR10(root, train=True), CIFAR10(root, train=False)
        except (FileNotFoundError, ValueError) as e:
            reason = f"{ENV}={root} gave no CIFAR-10 ({e})"
            warnings.warn(f"cifar10_or_shapes: {reason}; using SyntheticShapes(preset='hard')", stacklevel=2)
        else:
            rng = np.random.default_rng(seed)
            train = _cifar_subset(train, n_train, size, classes, rng)
            test = _cifar_subset(test, n_test, size, classes, rng)
            return (
                train,
                test,
                (
                    f"CIFAR-10 from {root}: {n_train} training and {n_test} test images "
                    f"(class-balanced), {size}x{size}, {_classes(train)}"
                ),
            )
    train_seed, test_seed = (int(s) for s in np.random.SeedSequence(seed).generate_state(2))
    train = SyntheticShapes(n_train, size, seed=train_seed, classes=classes, preset="hard")
    test = SyntheticShapes(n_test, size, seed=test_seed, classes=classes, preset="hard")
    return (
        train,
        test,
        (
            f"SyntheticShapes, hard preset: {n_train} training and {n_test} test images, "
            f"{size}x{size}, {_classes(train)} ({reason}; set it to a folder holding "
            f"cifar-10-batches-py to use CIFAR-10)"
        ),
    )


def _classes(dataset):
    return f"{len(dataset.classes)} classes ({', '.join(dataset.classes)})"
