"""Pictures of what a network does and learned (matplotlib, the ``viz`` extra).

Every ``plot_*`` function returns the matplotlib Figure; ``saliency`` and
``class_activation_map`` return the map as an array and ``plot_map`` draws it.
"""

import difflib

import numpy as np

from .history import History
from .nn import Sequential
from .tensor import Tensor, no_grad


def _plt():
    try:
        import matplotlib.pyplot as plt

        return plt
    except ImportError:
        raise ImportError('minicnn.viz needs matplotlib: pip install -e ".[viz]"') from None


_CURVES = (("train_loss", "val_loss"), ("train_acc", "val_acc"))


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
    """
    history = _as_history(history)
    plt = _plt()
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
                ax.plot(*zip(*points), marker="o", label=key)
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


def _check_target(who, logits, target):
    """A class index the model's output has; the first image of the batch is the one explained."""
    classes = logits.shape[1]
    if not 0 <= int(target) < classes:
        raise ValueError(f"{who}: target {target} is not a class of this model's {classes}")


def _check_one_image(who, x):
    if tuple(x.shape[:1]) != (1,) or len(x.shape) != 4:
        raise ValueError(f"{who}: expected one image (1, C, H, W), got shape {tuple(x.shape)}")


def plot_filters(conv, ncols=8):
    """The kernels of a Conv2d: one small image per output channel (RGB when in_channels is 3)."""
    if getattr(conv, "weight", None) is None or conv.weight.ndim != 4:
        raise ValueError(f"plot_filters: expected a Conv2d, got {type(conv).__name__}")
    w = conv.weight.numpy()
    shown = w if w.shape[1] == 3 else w[:, :1]
    return show_images(shown, ncols=ncols, title=f"{w.shape[0]} filters of {tuple(w.shape[1:])}")


def _as_tensor(x):
    return x if isinstance(x, Tensor) else Tensor(np.asarray(x, dtype=np.float32))


def _run_eval(model, x):
    """One forward pass in eval mode without a graph; the model's mode is restored after."""
    was_training = model.training
    try:
        with no_grad():
            model.eval()
            return model(_as_tensor(x))
    finally:
        model.train(was_training)


def _module_of(who, model, layer, what="layer", hint=""):
    """(name, module) for ``layer``: a name as ``named_modules`` gives it ("features.3",
    "relu1"), or an int indexing a Sequential, as ``model[i]`` does (negative from the end)."""
    modules = dict(model.named_modules())
    names = [n for n in modules if n]
    if isinstance(layer, (int, np.integer)) and not isinstance(layer, bool):
        if not isinstance(model, Sequential):
            raise TypeError(
                f"{who}: {what}={layer} indexes a Sequential, and {type(model).__name__} is not one; "
                f"name one of its modules: {', '.join(names)}"
            )
        if not -len(model) <= layer < len(model):
            raise IndexError(
                f"{who}: {what}={layer} is out of range for a Sequential of {len(model)} modules"
            )
        return list(model._modules)[layer], model[layer]
    if not isinstance(layer, str):
        raise TypeError(
            f"{who}: {what} is a module's name (str) or a Sequential's index (int), "
            f"got {type(layer).__name__}"
        )
    if layer not in modules:
        close = difflib.get_close_matches(layer, names, n=1)
        guess = f"; did you mean {close[0]!r}? Its" if close else "; its"
        raise ValueError(
            f"{who}: the model has no module named {layer!r}{hint}{guess} modules are {', '.join(names)}"
        )
    return layer, modules[layer]


def _output_of(who, model, x, layer):
    name, module = _module_of(who, model, layer)
    captured = {}
    handle = module.register_forward_hook(lambda m, i, o: captured.update(out=o))
    try:
        _run_eval(model, x)
    finally:
        handle.remove()
    return name, captured["out"]


def plot_feature_maps(model, x, layer, ncols=8, max_maps=32):
    """The activation maps one input (1, C, H, W) produces at ``layer``: a module's name
    (``"features.3"``, as ``named_modules`` gives it) or, in a Sequential, its index
    (``0``, as ``model[0]``)."""
    _check_one_image("plot_feature_maps", x)
    name, out = _output_of("plot_feature_maps", model, x, layer)
    if out.ndim != 4:
        raise ValueError(f"plot_feature_maps: {name!r} gives shape {out.shape}, not maps (1, C, H, W)")
    maps = out.numpy()[0][:max_maps]
    return show_images(maps[:, None], ncols=ncols, title=f"feature maps of {name}")


def saliency(model, x, target):
    """|d logit_target / d x|, max over channels: which pixels the prediction is most sensitive to.

    Simonyan et al. 2014, "Deep Inside Convolutional Networks". Returns (H, W).
    Runs in eval mode; the parameters' gradients and the model's mode are left as they were.
    """
    x = Tensor(x.numpy() if isinstance(x, Tensor) else np.asarray(x, dtype=np.float32), requires_grad=True)
    _check_one_image("saliency", x)
    params = [p for p in model.parameters() if p.requires_grad]
    was_training = model.training
    try:
        for p in params:  # only d/dx is wanted: no parameter gradients
            p.requires_grad_(False)
        model.eval()
        logits = model(x)
        _check_target("saliency", logits, target)
        logits[0, int(target)].backward()
    finally:
        for p in params:
            p.requires_grad_(True)
        model.train(was_training)
    return np.abs(x.grad.numpy()[0]).max(axis=0)


def _resize(a, h, w):
    """Bilinear resize of a 2-D map (align_corners=False, as image libraries do)."""
    ys = np.clip((np.arange(h) + 0.5) * a.shape[0] / h - 0.5, 0, a.shape[0] - 1)
    xs = np.clip((np.arange(w) + 0.5) * a.shape[1] / w - 0.5, 0, a.shape[1] - 1)
    y0, x0 = np.floor(ys).astype(int), np.floor(xs).astype(int)
    y1, x1 = np.minimum(y0 + 1, a.shape[0] - 1), np.minimum(x0 + 1, a.shape[1] - 1)
    fy, fx = (ys - y0)[:, None], (xs - x0)[None, :]
    top = a[y0][:, x0] * (1 - fx) + a[y0][:, x1] * fx
    bottom = a[y1][:, x0] * (1 - fx) + a[y1][:, x1] * fx
    return top * (1 - fy) + bottom * fy


def class_activation_map(model, x, target, pool="avgpool"):
    """CAM of Zhou et al. 2016 for a network ending in global average pooling.

    With feature maps F_c entering the pooling and classifier weights w,
    CAM = sum_c w[target, c] F_c, upsampled to the input's size. For NIN,
    whose last conv already has one map per class, CAM = F_target.
    """
    _check_one_image("class_activation_map", x)
    modules = dict(model.named_modules())
    _, gap = _module_of(
        "class_activation_map", model, pool, "pool", hint=" (pool= names its global average pooling)"
    )
    captured = {}
    # NOTE: a hook that returns a value replaces the layer's output, so this one returns None
    handle = gap.register_forward_hook(lambda m, i, o: captured.update(input=i[0]))
    try:
        _check_target("class_activation_map", _run_eval(model, x), target)
    finally:
        handle.remove()
    features = captured["input"].numpy()[0]  # (C, h, w)
    fc = [m for m in modules.values() if type(m).__name__ == "Linear"]
    if fc and fc[-1].weight.shape[1] == features.shape[0]:
        cam = np.tensordot(fc[-1].weight.numpy()[int(target)], features, axes=1)
    else:
        cam = features[int(target)]
    return _resize(cam, *x.shape[-2:])


def plot_map(image, heat, title=None, alpha=0.5):
    """An image with a heat map (saliency or CAM) over it."""
    plt = _plt()
    image = image.numpy() if isinstance(image, Tensor) else np.asarray(image)
    if image.ndim not in (3, 4) or (image.ndim == 4 and len(image) != 1):
        raise ValueError(f"plot_map: expected one image (C, H, W) or (1, C, H, W), got shape {image.shape}")
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


def graph_edges(tensor):
    """(parent, child) names of the autograd graph behind a tensor.

    Ops are named ``Type#k`` (k counts from 0 at the output, so two ops of one
    type stay apart); leaves are ``leaf k (shape)``. A leaf used twice is one node.
    """
    if tensor._fn is None:
        return []
    names, leaves = {}, {}

    def op_name(fn):
        return names.setdefault(id(fn), f"{type(fn).__name__}#{len(names)}")

    edges, seen, stack = [], set(), [tensor._fn]
    op_name(tensor._fn)
    while stack:
        fn = stack.pop()
        if id(fn) in seen:
            continue
        seen.add(id(fn))
        for t in fn.inputs:
            if t is None:  # an optional input left out (a conv without bias)
                continue
            if t._fn is None:
                name = leaves.setdefault(id(t), f"leaf {len(leaves)} {tuple(t.shape)}")
                edges.append((name, op_name(fn)))
            else:
                edges.append((op_name(t._fn), op_name(fn)))
                stack.append(t._fn)
    return edges


def plot_graph(tensor):
    """The autograd graph of a small expression: leaves on the left, the output on the right."""
    plt = _plt()
    edges = graph_edges(tensor)
    if not edges:
        raise ValueError(
            f"plot_graph: the tensor of shape {tuple(tensor.shape)} has no graph "
            "behind it (a leaf, made under no_grad, or freed by backward(); "
            "plot before backward or pass retain_graph=True)"
        )
    nodes = list(dict.fromkeys([a for a, _ in edges] + [b for _, b in edges]))
    depth = {n: 0 for n in nodes}
    for _ in nodes:  # longest path from a leaf: enough passes for a small graph
        for a, b in edges:
            depth[b] = max(depth[b], depth[a] + 1)
    columns = {}
    for n in nodes:
        columns.setdefault(depth[n], []).append(n)
    pos = {n: (d, -i) for d, col in columns.items() for i, n in enumerate(col)}
    fig, ax = plt.subplots(figsize=(2.2 * (max(columns) + 1), 1 + 0.8 * max(map(len, columns.values()))))
    for a, b in edges:
        ax.annotate("", xy=pos[b], xytext=pos[a], arrowprops=dict(arrowstyle="->", color="gray"))
    for n, (x, y) in pos.items():
        ax.text(
            x,
            y,
            n.split("#")[0],
            ha="center",
            va="center",
            bbox=dict(boxstyle="round", fc="lightyellow" if n.startswith("leaf") else "lightblue"),
        )
    ax.set_xlim(-0.7, max(columns) + 0.7)
    ax.set_ylim(-max(map(len, columns.values())), 1)
    ax.axis("off")
    return fig
