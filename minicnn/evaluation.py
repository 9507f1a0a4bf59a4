"""Evaluation: ``evaluate`` (loss, accuracy and confusion matrix over a loader) and
``predict`` (class predictions), in eval mode and without a graph, the model's mode left as
it was. The accuracy counts the labels that name a class, which the training loop counts too.
"""

import numpy as np

from . import backend
from . import functional as F
from .nn.modes import eval_mode
from .tensor import Tensor, no_grad

__all__ = ["evaluate", "predict"]  # the rest are the training loop's helpers too (train.py)


def batch_to(x, y, device):
    return x.to(device), y.to(device)


def logits_of(output):
    """A model whose forward returns a tuple (auxiliary heads in training) puts the logits first."""
    return output[0] if isinstance(output, tuple) else output


def class_targets(logits, y):
    """Whether y holds class indices for these (N, classes) scores, rather than targets of
    another kind (a regression's, one-hot, BCE's): only then is there an accuracy."""
    return y.ndim == 1 and y.dtype.kind in "iu" and logits.ndim == 2


def named_classes(y, ignore_index=-100):
    """Which labels name a class: not the loss's ``ignore_index`` (-100 unless the loss object
    says another, such as 255 for a segmentation's border) and not negative."""
    return (y >= 0) & (y != ignore_index)


def class_hits(logits, y, ignore_index=-100):
    """(right, labelled): predictions equal to their class label, and how many labels name a
    class; none where the targets are not class indices."""
    if not class_targets(logits, y):
        return 0, 0
    labelled = named_classes(y, ignore_index)
    return int(((logits.argmax(1) == y) & labelled).sum()), int(labelled.sum())


def index_targets(logits, y):
    """Whether y holds a class index per prediction of these scores: the logits' shape less
    the class axis C, (N,) for (N, C), (N, d1, ..., dk) for (N, C, d1, ..., dk)."""
    return y.dtype.kind in "iu" and logits.ndim >= 2 and y.shape == logits.shape[:1] + logits.shape[2:]


def ignored_by(loss):
    """The label ``loss`` ignores: its ``ignore_index`` if it is an nn.CrossEntropyLoss or
    nn.NLLLoss, else F.cross_entropy's default, -100."""
    return getattr(loss, "ignore_index", -100)


def loss_sum(loss, value, logits, y):
    """(the batch's loss as a sum, what that sum is over), so that a set's mean loss is the
    first summed over its batches divided by the second summed: the mean that ``loss`` would
    give over the whole set in one batch, however the batches are cut.

    With class indices the 'mean' of F.cross_entropy and F.nll_loss is over the targets that
    are not ``ignore_index`` (-100), each counted w[t] with a class ``weight`` w, and a batch
    of ignored targets only is left out (its mean is 0/0); other targets are taken as a mean
    over the batch's len(y) items. ``weight``, ``ignore_index`` and ``reduction`` are read
    from the loss where it has them (an nn.CrossEntropyLoss or nn.NLLLoss); a plain function
    is taken to have F.cross_entropy's defaults. With reduction='sum' the value is the sum;
    a ``reduction`` other than 'mean', 'batchmean' or 'sum', and a value that is not a
    one-element Tensor, are refused (the set's mean cannot be rebuilt from them). A ``weight``
    that is not 1-D is not a class weight, and is not read.
    """
    reduction = getattr(loss, "reduction", "mean")
    if reduction not in ("mean", "batchmean", "sum"):
        raise ValueError(
            f"evaluate/fit: the loss's reduction is {reduction!r}; expected 'mean', 'batchmean' or 'sum', "
            "whose batch values add up to the set's"
        )
    if not isinstance(value, Tensor) or value.numel() != 1:
        got = f"shape {value.shape}" if isinstance(value, Tensor) else type(value).__name__
        raise ValueError(f"evaluate/fit: the loss must return a one-element Tensor, got {got}")
    count = float(len(y))
    if index_targets(logits.data, y.data):
        t = y.numpy()
        kept = t[t != ignored_by(loss)]
        w = getattr(loss, "weight", None)
        w = None if w is None else np.asarray(w.numpy() if isinstance(w, Tensor) else w)
        count = float(kept.size if w is None or w.ndim != 1 else w[kept].sum())
        if count == 0:
            return 0.0, 0.0
    total = value.item()
    return (total if reduction == "sum" else total * count), count


def batch_sums(loss, value, logits, y):
    """A batch's part of a set's sums: (loss summed, what it is summed over (``loss_sum``),
    right, labelled (``class_hits``), items)."""
    return (*loss_sum(loss, value, logits, y), *class_hits(logits.data, y.data, ignored_by(loss)), len(y))


def share(part, whole):
    """part / whole, NaN where nothing was counted (no accuracy for targets that are not classes)."""
    return part / whole if whole else float("nan")


def sizes_of(loader):
    dataset = getattr(loader, "dataset", None)
    if dataset is None:
        return "an empty iterable"
    return f"{len(dataset)} items, batch_size {loader.batch_size}" + (
        ", drop_last=True" if getattr(loader, "drop_last", False) else ""
    )


def evaluate(model, loader, loss=F.cross_entropy, device="cpu", num_classes=None):
    """Mean loss, accuracy and confusion matrix (rows: true class, columns: predicted).

    The loss is the mean over the whole set, as ``loss`` would give it for the set in one
    batch: with class indices, over the targets that are not ignore_index (-100), weighted
    by a CrossEntropyLoss's class ``weight``; see ``loss_sum`` for what is read from ``loss``.
    Accuracy and confusion count the labels that name a class (not the loss's ignore_index);
    for targets that are not class indices (a regression), or a set whose every label is
    ignored, they are NaN and None. The
    model is evaluated in eval mode and left in the mode it was in. ``num_classes`` sizes
    the confusion matrix (None: the largest class seen, plus one).
    """
    if num_classes is not None and (
        isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < 1
    ):
        raise ValueError(f"evaluate: num_classes must be a positive int or None, got {num_classes!r}")
    total, over, seen, preds, trues = 0.0, 0.0, 0, [], []
    with eval_mode(model), no_grad():
        for x, y in loader:
            x, y = batch_to(x, y, device)
            logits = logits_of(model(x))
            part, counted = loss_sum(loss, loss(logits, y), logits, y)
            total, over, seen = total + part, over + counted, seen + len(y)
            if class_targets(logits.data, y.data):
                labels = y.numpy()  # NOTE: to the host: the confusion matrix is counted there
                labelled = named_classes(labels, ignored_by(loss))
                # the argmax where the logits are: N classes cross to the host, not N x C logits
                preds.append(backend.to_device(logits.data.argmax(1), "cpu")[labelled])
                trues.append(labels[labelled])
    if seen == 0:
        raise ValueError(f"evaluate: the loader gave no batches ({sizes_of(loader)})")
    if preds:
        preds, trues = np.concatenate(preds), np.concatenate(trues)
    if len(trues) == 0:  # no targets that are classes, or every label ignored: nothing to count
        return {"loss": share(total, over), "accuracy": float("nan"), "confusion": None}
    top = int(max(preds.max(initial=0), trues.max(initial=0)))
    if num_classes is not None and top >= num_classes:
        who = "labels name" if trues.max(initial=0) == top else "model predicts"
        raise ValueError(
            f"evaluate: num_classes={num_classes}, but the {who} class {top}; "
            f"the confusion matrix needs num_classes >= {top + 1}"
        )
    k = top + 1 if num_classes is None else int(num_classes)
    confusion = np.zeros((k, k), dtype=np.int64)
    np.add.at(confusion, (trues, preds), 1)
    return {
        "loss": share(total, over),
        "accuracy": share(int((preds == trues).sum()), len(trues)),
        "confusion": confusion,
    }


def eval_sums(model, loader, loss=F.cross_entropy, device="cpu"):
    """``evaluate``'s sums: (loss summed, what it is summed over (``loss_sum``), right,
    labelled, items), zeros for a loader that gives no batches; ranks add them before
    dividing (distributed ``fit``)."""
    sums = (0.0, 0.0, 0, 0, 0)
    with eval_mode(model), no_grad():
        for x, y in loader:
            x, y = batch_to(x, y, device)
            logits = logits_of(model(x))
            sums = tuple(a + b for a, b in zip(sums, batch_sums(loss, loss(logits, y), logits, y)))
    return sums


def predict(model, data, device="cpu", batch_size=256):
    """Class predictions for a loader, a Dataset, a Tensor or an array of images (the model
    left in the mode it was in)."""
    from .data import DataLoader, Dataset

    if isinstance(data, Dataset) or (isinstance(data, (list, tuple)) and data and isinstance(data[0], tuple)):
        data = DataLoader(data, batch_size=batch_size)
    if hasattr(data, "__iter__") and not isinstance(data, (np.ndarray, Tensor, list, tuple)):
        batches = (x for x, _ in data)
    else:
        array = data.numpy() if isinstance(data, Tensor) else np.asarray(data, dtype=np.float32)
        batches = (Tensor(array[i : i + batch_size]) for i in range(0, len(array), batch_size))
    out = []
    with eval_mode(model), no_grad():
        for x in batches:
            out.append(logits_of(model(x.to(device))).numpy().argmax(1))
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)
