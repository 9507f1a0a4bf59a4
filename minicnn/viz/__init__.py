"""Pictures of what a network does and learned (matplotlib, the ``viz`` extra).

Every ``plot_*`` function returns the matplotlib Figure. ``saliency``,
``class_activation_map`` and ``grad_cam`` (in ``viz/maps.py`` and ``viz/cam.py``, which
need no matplotlib) return a map as an (H, W) array, and ``plot_map`` draws it.
``graph_edges`` and ``plot_graph`` (``viz/graph.py``) list and draw the autograd graph.
"""

import numpy as np

from ..history import History
from ..tensor import Tensor
from .cam import class_activation_map
from .graph import graph_edges, plot_graph
from .maps import _check_one_image, _output_of, grad_cam, saliency

__all__ = [
    "plot_history",
    "show_images",
    "plot_filters",
    "plot_feature_maps",
    "saliency",
    "class_activation_map",
    "grad_cam",
    "plot_map",
    "plot_confusion",
    "graph_edges",
    "plot_graph",
]


def _plt():
    try:
        import matplotlib.pyplot as plt

        return plt
    except ImportError:
        raise ImportError('minicnn.viz needs matplotlib: pip install -e ".[viz]"') from None


_CURVES = (("train_loss", "val_loss"), ("train_acc", "val_acc"))
_SPLITS = {"train": "train", "val": "validation", "test": "test"}
_KINDS = {"loss": "loss", "acc": "accuracy", "accuracy": "accuracy", "lr": "learning rate"}


def _curve_name(key):
    """(a legend's name, the quantity for the y axis): 'val_acc' -> ('validation accuracy', 'accuracy')."""
    split, _, metric = key.partition("_")
    if split in _SPLITS and metric:
        kind = _KINDS.get(metric, metric.replace("_", " "))
        return f"{_SPLITS[split]} {kind}", kind
    kind = _KINDS.get(key, key.replace("_", " "))
    return kind, kind


def plot_history(history, keys=None):
    """Loss and accuracy per epoch, train beside validation.

    Args:
        history: what ``fit`` returns (a History), the list of epoch rows that
            ``history.json`` holds (``json.load`` of it), or a dict of one list
            per metric.
        keys: one panel per group of metric names; by default
            ``(("train_loss", "val_loss"), ("train_acc", "val_acc"))``, each
            drawn where the history has it. A name given here that the history
            lacks raises KeyError.

    Each curve is named in words (``val_acc``: "validation accuracy") and each
    panel's y axis by what it shows. Accuracies, fractions in the history, are
    drawn as they are, on an axis whose ticks read in percent ("accuracy (%)");
    a panel that mixes them with other quantities says "accuracy (fraction)".
    """
    history = _as_history(history)
    plt = _plt()
    from matplotlib.ticker import PercentFormatter

    if keys is None:
        groups = [[k for k in group if k in history] for group in _CURVES]
    else:  # a name alone is a panel of its own, not a string of letters
        groups = [[group] if isinstance(group, str) else list(group) for group in keys]
    fig, axes = plt.subplots(1, len(groups), figsize=(5 * len(groups), 3.5))
    axes = np.atleast_1d(axes)
    numbers = [row.get("epoch", i + 1) for i, row in enumerate(history)]
    for ax, group in zip(axes, groups):
        for key in group:
            # NOTE: against each epoch's own number: a resumed run may lack early val_* values
            points = [(n, v) for n, v in zip(numbers, history[key]) if v is not None]
            if points:
                ax.plot(*zip(*points), marker="o", label=_curve_name(key)[0])
        kinds = list(dict.fromkeys(_curve_name(key)[1] for key in group))
        if kinds == ["accuracy"]:
            # NOTE: the data stay fractions (what the lines hold is the history's); only the ticks read x100
            ax.yaxis.set_major_formatter(PercentFormatter(xmax=1, symbol=""))
            ax.set_ylabel("accuracy (%)")
        else:
            ax.set_ylabel(", ".join("accuracy (fraction)" if k == "accuracy" else k for k in kinds))
        ax.set_xlabel("epoch")
        if ax.get_lines():
            ax.legend()
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def _as_history(history):
    """A History of what plot_history is given: a History, epoch rows, or lists per metric."""
    if isinstance(history, History):
        return history
    if isinstance(history, (list, tuple)) and all(isinstance(row, dict) for row in history):
        return History(history)
    if isinstance(history, dict) and all(isinstance(v, (list, tuple, np.ndarray)) for v in history.values()):
        n = max((len(v) for v in history.values()), default=0)
        return History([{k: v[i] for k, v in history.items() if i < len(v)} for i in range(n)])
    what = type(history).__name__
    if isinstance(history, (list, tuple)):
        what = f"a {what} holding {type(next(r for r in history if not isinstance(r, dict))).__name__}"
    elif isinstance(history, dict):
        what = "a dict whose values are not all lists"
    raise TypeError(
        "plot_history: expected a History, a list of epoch rows (dicts, as history.json holds) "
        f"or a dict of one list per metric, got {what}"
    )


def show_images(images, labels=None, ncols=8, title=None):
    """A grid of images (N, C, H, W) in [0, 1] (or any range: each is rescaled)."""
    plt = _plt()
    images = images.numpy() if isinstance(images, Tensor) else np.asarray(images)
    _check_images("show_images", images)
    n = len(images)
    if labels is not None and len(labels) != n:
        raise ValueError(f"show_images: {len(labels)} labels for {n} images")
    nrows = max(1, -(-n // ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * 1.2, nrows * 1.3), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= n:
            continue
        img = images[i]
        img = img[0] if img.shape[0] == 1 else img.transpose(1, 2, 0)
        lo, hi = img.min(), img.max()
        ax.imshow((img - lo) / (hi - lo + 1e-12), cmap="gray" if img.ndim == 2 else None)
        if labels is not None:
            ax.set_title(str(labels[i]), fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def _check_images(who, images):
    """A batch (N, C, H, W) with 1 or 3 channels, the layout the grid draws."""
    if images.ndim != 4 or images.shape[1] not in (1, 3):
        hint = (
            " (channels last? use .transpose(0, 3, 1, 2))"
            if images.ndim == 4 and images.shape[-1] in (1, 3)
            else ""
        )
        raise ValueError(
            f"{who}: expected images (N, C, H, W) with 1 or 3 channels, got shape {images.shape}{hint}"
        )


def plot_filters(conv, ncols=8):
    """The kernels of a Conv2d, one small image per output channel.

    With 1 input channel each kernel is drawn as it is, with 3 as an RGB image. With any
    other number, a filter is a stack of kernels, one per input channel, and what is drawn
    for it is their norm over the input channels, sqrt(sum_i w[o, i] ** 2): where in its
    window the filter weighs most; the title says so. Such a filter reads feature maps,
    not pixels, so its weights say little by themselves: ``plot_feature_maps`` shows what
    it responds to (Zeiler and Fergus 2014 visualise higher layers through what they do).
    """
    if getattr(conv, "weight", None) is None or conv.weight.ndim != 4:
        raise ValueError(f"plot_filters: expected a Conv2d, got {type(conv).__name__}")
    w = conv.weight.numpy()
    title = f"{w.shape[0]} filters of {tuple(w.shape[1:])}"
    if w.shape[1] in (1, 3):
        return show_images(w, ncols=ncols, title=title)
    norm = np.sqrt((w.astype(np.float64) ** 2).sum(axis=1, keepdims=True))
    return show_images(
        norm, ncols=ncols, title=f"{title}, each drawn as its norm over the {w.shape[1]} input channels"
    )


def plot_feature_maps(model, x, layer, ncols=8, max_maps=32, title=None):
    """The activation maps one input (1, C, H, W) produces at ``layer``: a module's name
    (``"features.3"``, as ``named_modules`` gives it) or, in a Sequential, its index
    (``0``, as ``model[0]``). The layer must run once in the forward pass (in eval mode);
    the first ``max_maps`` of its channels are drawn, each scaled to its own range.

    The title names the layer, its kind and what is drawn (``layer '1' (ReLU): 6 maps of
    28x28, each on its own scale``) unless ``title`` is given.
    """
    _check_one_image("plot_feature_maps", x)
    name, module, out = _output_of("plot_feature_maps", model, x, layer)
    if out.ndim != 4:
        raise ValueError(f"plot_feature_maps: {name!r} gives shape {out.shape}, not maps (1, C, H, W)")
    maps = out.numpy()[0][:max_maps]
    if title is None:
        channels, height, width = out.shape[1:]
        shown = f"{len(maps)} maps" if len(maps) == channels else f"the first {len(maps)} of {channels} maps"
        title = (
            f"layer {name!r} ({type(module).__name__}): {shown} of {height}x{width}, each on its own scale"
        )
    return show_images(maps[:, None], ncols=ncols, title=title)


def plot_map(image, heat, title=None, alpha=0.5):
    """An image (C, H, W) or (1, C, H, W) with a heat map (H, W) over it, pixel on pixel.

    The heat map must have the image's size: a map at a layer's resolution (a CAM or a
    Grad-CAM before upsampling) is refused rather than drawn over one corner. ``saliency``,
    ``class_activation_map`` and ``grad_cam`` return maps at the image's size already.
    """
    plt = _plt()
    image = image.numpy() if isinstance(image, Tensor) else np.asarray(image)
    heat = heat.numpy() if isinstance(heat, Tensor) else np.asarray(heat)
    if image.ndim not in (3, 4) or (image.ndim == 4 and len(image) != 1):
        raise ValueError(f"plot_map: expected one image (C, H, W) or (1, C, H, W), got shape {image.shape}")
    if heat.shape != image.shape[-2:]:
        raise ValueError(
            f"plot_map: heat {heat.shape} is not the image's (H, W) {image.shape[-2:]}; upsample it first "
            "(saliency, class_activation_map and grad_cam give maps at the image's size)"
        )
    image = image.reshape(image.shape[-3:])
    fig, ax = plt.subplots(figsize=(3.5, 3.5))
    img = image[0] if image.shape[0] == 1 else image.transpose(1, 2, 0)
    ax.imshow(img, cmap="gray" if img.ndim == 2 else None)
    ax.imshow(heat, cmap="jet", alpha=alpha)
    ax.axis("off")
    if title:
        ax.set_title(title)
    return fig


def plot_confusion(confusion, class_names=None):
    """A confusion matrix (rows: true class, columns: predicted) with its counts."""
    plt = _plt()
    confusion = np.asarray(confusion)
    if confusion.ndim != 2 or confusion.shape[0] != confusion.shape[1]:
        raise ValueError(f"plot_confusion: expected a square (k, k) matrix, got shape {confusion.shape}")
    k = len(confusion)
    if class_names is not None and len(class_names) != k:
        raise ValueError(f"plot_confusion: {len(class_names)} class names for {k} classes")
    fig, ax = plt.subplots(figsize=(0.5 * k + 2, 0.5 * k + 1.5))
    ax.imshow(confusion, cmap="Blues")
    for i in range(k):
        for j in range(k):
            ax.text(
                j,
                i,
                str(confusion[i, j]),
                ha="center",
                va="center",
                fontsize=7,
                color="white" if confusion[i, j] > confusion.max() / 2 else "black",
            )
    names = list(range(k)) if class_names is None else list(class_names)
    ax.set_xticks(range(k), names)
    ax.set_yticks(range(k), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    fig.tight_layout()
    return fig
