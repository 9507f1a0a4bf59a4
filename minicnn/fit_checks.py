"""What ``fit`` checks before its first step: each argument, in one line naming it.

A mistake found after an epoch has trained (a validation loader with no batches, a callback
that is not a function) would cost that epoch and leave the weights changed; found here, it
costs nothing.
"""

import os

import numpy as np

from .evaluation import sizes_of
from .optim.lr_scheduler import ReduceLROnPlateau


def check_fit(model, train_loader, optimizer, epochs, val_loader, scheduler, callbacks, clip_grad_norm):
    """Raise TypeError or ValueError for the first argument of ``fit`` that cannot work;
    returns the callbacks as a tuple (a generator of them is read once, here)."""
    if not all(hasattr(model, a) for a in ("parameters", "train", "to")):
        raise TypeError(f"fit: model must be an nn.Module, got {type(model).__name__}")
    if not hasattr(optimizer, "param_groups") or not hasattr(optimizer, "step"):
        raise TypeError(
            f"fit: optimizer must be an optimizer (optim.SGD(model.parameters(), lr=...)), "
            f"got {type(optimizer).__name__}"
        )
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)):
        raise TypeError(f"fit: epochs must be an int, got {type(epochs).__name__} {epochs!r}")
    if epochs < 0:
        raise ValueError(f"fit: epochs must be >= 0, got {epochs}")
    for name, loader in (("train_loader", train_loader), ("val_loader", val_loader)):
        _check_loader(name, loader)
    if scheduler is not None and getattr(scheduler, "optimizer", optimizer) is not optimizer:
        raise ValueError(
            "fit: the scheduler was built on another optimizer than fit's, so it would change "
            "that one's learning rate, not this one's; build it on this optimizer"
        )
    if callable(callbacks) or isinstance(callbacks, (str, bytes)) or not hasattr(callbacks, "__iter__"):
        raise TypeError(
            f"fit: callbacks must be a list of functions cb(epoch, row, model), got "
            f"{type(callbacks).__name__}; give one as [cb]"
        )
    callbacks = tuple(callbacks)
    for cb in callbacks:
        if not callable(cb):
            raise TypeError(f"fit: every callback must be callable as cb(epoch, row, model), got {cb!r}")
    if clip_grad_norm is not None:
        number = isinstance(clip_grad_norm, (int, float, np.integer, np.floating))
        if isinstance(clip_grad_norm, bool) or not number:
            raise TypeError(f"fit: clip_grad_norm must be a number > 0 or None, got {clip_grad_norm!r}")
        if not clip_grad_norm > 0:
            raise ValueError(
                f"fit: clip_grad_norm must be > 0 (None: no clipping), got {clip_grad_norm}; "
                "a norm <= 0 would zero or reverse every gradient"
            )
    return callbacks


def _check_loader(name, loader):
    from .data import Dataset

    if loader is None and name == "val_loader":
        return
    if isinstance(loader, Dataset):
        raise TypeError(
            f"fit: {name} is a {type(loader).__name__}, not a loader of batches; "
            f"wrap it: data.DataLoader(dataset, batch_size=64)"
        )
    if not hasattr(loader, "__iter__"):
        raise TypeError(
            f"fit: {name} must give batches (x, y), as a DataLoader does; got {type(loader).__name__}"
        )
    try:
        empty = len(loader) == 0
    except TypeError:  # no len (a sampler without one): its batches are counted as they come
        return
    if empty and name == "val_loader":  # an empty train_loader is named by train_epoch, before any step
        raise ValueError(f"fit: val_loader gives no batches ({sizes_of(loader)})")


def check_scheduler_step(scheduler, scheduler_step):
    """scheduler_step is "epoch" or "batch"; a ReduceLROnPlateau steps on a loss, once an epoch."""
    if scheduler_step not in ("epoch", "batch"):
        raise ValueError(f'scheduler_step must be "epoch" or "batch", got {scheduler_step!r}')
    if isinstance(scheduler, ReduceLROnPlateau) and scheduler_step == "batch":
        raise ValueError('ReduceLROnPlateau steps on an epoch\'s loss: use scheduler_step="epoch"')


def check_out(out, resume, overwrite):
    """Refuse to start a new run over the checkpoint of another, unless told which to do.
    Every rank asks, before any of them joins the others: none can have written yet."""
    asked = resume is True or isinstance(resume, dict)
    if overwrite and asked:
        raise ValueError(
            "fit: resume continues the run in out and overwrite=True replaces it: give one of them"
        )
    path = os.path.join(out, "checkpoint.npz") if out else None
    if path and not asked and not overwrite and os.path.lexists(path):
        raise ValueError(
            f"fit: {path} already holds a run; pass resume=True to continue it "
            "or overwrite=True to replace it"
        )
