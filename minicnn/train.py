"""Training loop: ``fit``, ``evaluate``, ``predict``.

    history = fit(model, train_loader, optim.SGD(model.parameters(), lr=0.05),
                  epochs=10, val_loader=test_loader, out="runs/lenet5")

Each epoch: forward, loss, backward, (clip), step, one progress line; at the
end of the epoch a checkpoint (model, optimizer, scheduler, random state,
history) is written atomically to ``out/checkpoint.npz``, so ``resume=True``
continues exactly where an interrupted run stopped.
"""
import json
import math
import os
import time

import numpy as np

from . import functional as F
from . import io, rng
from .nn.utils import clip_grad_norm_
from .tensor import Tensor, no_grad
from .progress import Progress


class NonFiniteLossError(FloatingPointError):
    """The loss became NaN or infinite."""


class History:
    """Per-epoch metrics: ``history["val_acc"]`` is the list over epochs."""

    def __init__(self, epochs=None):
        self.epochs = list(epochs or [])

    def append(self, row):
        self.epochs.append(dict(row))

    def __getitem__(self, key):
        return [row.get(key) for row in self.epochs]

    def __len__(self):
        return len(self.epochs)

    def last(self):
        return self.epochs[-1] if self.epochs else {}

    def to_json(self, path):
        io.write_atomic(path, json.dumps(self.epochs, indent=1).encode())

    def __repr__(self):
        return f"History({len(self)} epochs, last={self.last()})"


def _batch_to(x, y, device):
    return x.to(device), y.to(device)


def _first_nonfinite_module(model, x):
    """Run the batch again with hooks and name the first module whose output is not finite."""
    found = []

    def hook(module, inputs, output):
        outs = output if isinstance(output, (tuple, list)) else (output,)
        if not found and any(isinstance(o, Tensor) and not np.all(np.isfinite(o.numpy()))
                             for o in outs):
            found.append(module)

    handles = [m.register_forward_hook(hook) for _, m in model.named_modules() if _ != ""]
    try:
        with no_grad():
            model(x)
    finally:
        for h in handles:
            h.remove()
    names = {id(m): n for n, m in model.named_modules()}
    return names.get(id(found[0])) if found else None


def _logits(output):
    """GoogLeNet returns (logits, aux1, aux2) in training; the loss is then their weighted sum."""
    return output[0] if isinstance(output, tuple) else output


def _loss_of(loss, output, y):
    if isinstance(output, tuple):         # main head + auxiliary heads (weight 0.3 each, as the paper)
        return loss(output[0], y) + sum(loss(aux, y) * 0.3 for aux in output[1:])
    return loss(output, y)


def train_epoch(model, loader, optimizer, loss=F.cross_entropy, device="cpu", scheduler=None,
                scheduler_step="epoch", clip_grad_norm=None, progress=None):
    """One pass over ``loader``; returns (mean loss, accuracy, images)."""
    model.train()
    total_loss, correct, seen = 0.0, 0, 0
    for x, y in loader:
        x, y = _batch_to(x, y, device)
        output = model(x)
        value = _loss_of(loss, output, y)
        if not math.isfinite(value.item()):
            where = _first_nonfinite_module(model, x)
            raise NonFiniteLossError(
                f"loss became {value.item()} after {seen} images of this epoch; "
                + (f"the first module with a non-finite output is {where!r}" if where else
                   "every module's output was finite, so the loss itself overflowed")
                + ". Try a smaller learning rate or gradient clipping.")
        optimizer.zero_grad()
        value.backward()
        if hasattr(model, "sync_gradients"):       # DistributedDataParallel: average over ranks
            model.sync_gradients()
        if clip_grad_norm:
            clip_grad_norm_(model.parameters(), clip_grad_norm)
        optimizer.step()
        if scheduler is not None and scheduler_step == "batch":
            scheduler.step()
        n = len(y)
        total_loss += value.item() * n
        correct += int((_logits(output).data.argmax(1) == y.data).sum())
        seen += n
        if progress is not None:
            progress.update(n, loss=total_loss / seen, acc=correct / seen)
    return total_loss / max(seen, 1), correct / max(seen, 1), seen


def evaluate(model, loader, loss=F.cross_entropy, device="cpu", num_classes=None):
    """Mean loss, accuracy and confusion matrix (rows: true class, columns: predicted)."""
    model.eval()
    total, seen, preds, trues = 0.0, 0, [], []
    with no_grad():
        for x, y in loader:
            x, y = _batch_to(x, y, device)
            logits = _logits(model(x))
            total += loss(logits, y).item() * len(y)
            seen += len(y)
            preds.append(logits.numpy().argmax(1))
            trues.append(y.numpy())
    preds, trues = np.concatenate(preds), np.concatenate(trues)
    k = num_classes or int(max(preds.max(), trues.max())) + 1
    confusion = np.zeros((k, k), dtype=np.int64)
    np.add.at(confusion, (trues, preds), 1)
    return {"loss": total / max(seen, 1), "accuracy": float((preds == trues).mean()),
            "confusion": confusion}


def predict(model, data, device="cpu", batch_size=256):
    """Class predictions for a loader, a Tensor or an array of images."""
    model.eval()
    if hasattr(data, "__iter__") and not isinstance(data, (np.ndarray, Tensor)):
        batches = (x for x, _ in data)
    else:
        array = data.numpy() if isinstance(data, Tensor) else np.asarray(data, dtype=np.float32)
        batches = (Tensor(array[i:i + batch_size]) for i in range(0, len(array), batch_size))
    out = []
    with no_grad():
        for x in batches:
            out.append(_logits(model(x.to(device))).numpy().argmax(1))
    return np.concatenate(out)


def _checkpoint(model, optimizer, scheduler, history, epoch):
    state = {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
             "epoch": epoch, "history": json.dumps(history.epochs),
             "random": json.dumps(rng.get_state())}
    if scheduler is not None:
        state["scheduler"] = scheduler.state_dict()
    return state


def fit(model, train_loader, optimizer, epochs, val_loader=None, scheduler=None,
        loss=F.cross_entropy, device="cpu", callbacks=(), out=None, resume=False,
        clip_grad_norm=None, scheduler_step="epoch", progress=True, distributed=False):
    """Train ``model`` for ``epochs`` epochs and return its History.

    Args:
        scheduler: stepped once per epoch, or once per batch with
            ``scheduler_step="batch"`` (OneCycleLR).
        callbacks: functions ``cb(epoch, row, model)`` called after each epoch;
            one that returns True stops training.
        out: folder for ``checkpoint.npz`` (every epoch, written atomically).
        resume: continue from ``out/checkpoint.npz`` if it exists.
        clip_grad_norm: clip the global gradient norm to this value.
        distributed: data-parallel training on every rank of ``mpirun``
            (``minicnn.distributed``): each rank trains a replica on its shard
            of ``train_loader`` (batches of batch_size / world_size, so one step
            still sees batch_size images), gradients averaged after backward;
            rank 0 alone shows progress and writes ``out``. Every rank
            evaluates ``val_loader`` whole, with identical weights.
    """
    model.to(device)
    lead, trained = True, model
    if distributed:
        from . import distributed as dist
        dist.init()
        train_loader = dist.shard_loader(train_loader)
        lead = dist.rank() == 0
        progress = progress and lead
    history, start = History(), 0
    path = os.path.join(out, "checkpoint.npz") if out else None
    if out:
        os.makedirs(out, exist_ok=True)
    if resume and path and os.path.exists(path):
        state = io.load(path)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        if scheduler is not None and "scheduler" in state:
            scheduler.load_state_dict(state["scheduler"])
        rng.set_state(json.loads(state["random"]))
        history = History(json.loads(state["history"]))
        start = int(state["epoch"])
    if distributed:
        trained = dist.DistributedDataParallel(model)     # rank 0's weights on every rank
    for epoch in range(start, epochs):
        if hasattr(train_loader, "set_epoch"):
            train_loader.set_epoch(epoch)
        lr = optimizer.param_groups[0]["lr"]
        bar = Progress(total=_dataset_size(train_loader), desc=f"epoch {epoch + 1}/{epochs}",
                       enabled=progress)
        began = time.perf_counter()
        train_loss, train_acc, seen = train_epoch(
            trained, train_loader, optimizer, loss, device, scheduler, scheduler_step,
            clip_grad_norm, bar)
        seconds = time.perf_counter() - began
        if distributed:
            train_loss, train_acc, seen = _over_ranks(train_loss, train_acc, seen)
        row = {"epoch": epoch + 1, "train_loss": train_loss, "train_acc": train_acc,
               "seconds": seconds, "images_per_second": seen / max(seconds, 1e-9), "lr": lr}
        if val_loader is not None:
            result = evaluate(model, val_loader, loss, device)
            row.update(val_loss=result["loss"], val_acc=result["accuracy"])
        if scheduler is not None and scheduler_step == "epoch":
            scheduler.step()
        history.append(row)
        bar.close(**{k: v for k, v in row.items() if k in ("train_loss", "train_acc", "val_loss",
                                                              "val_acc", "images_per_second")})
        if path and lead:
            io.save(_checkpoint(model, optimizer, scheduler, history, epoch + 1), path)
        if any(cb(epoch, row, model) for cb in callbacks):
            break
    return history


def _over_ranks(mean_loss, accuracy, seen):
    """The epoch's loss, accuracy and image count over all ranks' shards."""
    from . import distributed as dist
    totals = np.array([mean_loss * seen, accuracy * seen, seen], dtype=np.float64)
    dist.all_reduce(totals)
    return totals[0] / max(totals[2], 1), totals[1] / max(totals[2], 1), int(totals[2])


def _dataset_size(loader):
    try:
        if getattr(loader, "sampler", None) is not None:
            return len(loader.sampler)
        return len(loader.dataset)
    except (AttributeError, TypeError):
        return None
