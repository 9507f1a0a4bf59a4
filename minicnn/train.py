"""Training loop: ``fit`` (and, from evaluation.py, ``evaluate`` and ``predict``).

    history = fit(model, train_loader, optim.SGD(model.parameters(), lr=0.05),
                  epochs=10, val_loader=val_loader, out="runs/lenet5")

Each epoch: forward, loss, backward, (clip), step, a check that every weight
and gradient is still finite, then one progress line; at the end of the epoch
a checkpoint (model, optimizer, scheduler, random state, history) is written
atomically to ``out/checkpoint.npz``, so ``resume=True`` continues exactly
where an interrupted run stopped (a folder that already holds a checkpoint is
refused unless ``resume=True`` or ``overwrite=True`` says which). A run whose
weights turn NaN stops at that step, before anything is written: the last
checkpoint stays the last finite one.
"""

import math
import os
import time

import numpy as np

from . import backend, io
from . import functional as F
from .atomic_write import file_identity
from .checkpoint import checkpoint_state, read_checkpoint, restore
from .evaluation import batch_sums, batch_to, class_targets, evaluate, logits_of, predict, share, sizes_of
from .fit_checks import check_fit, check_out, check_scheduler_step
from .history import History
from .nn.utils import clip_grad_norm_
from .optim.lr_scheduler import ReduceLROnPlateau
from .progress import Progress
from .stops import Interrupted, NonFiniteError, NonFiniteLossError, NonFiniteParameterError
from .tensor import Tensor, no_grad

__all__ = [  # the errors are minicnn.stops's: what fit raises when it stops early
    "History",
    "Interrupted",
    "NonFiniteError",
    "NonFiniteLossError",
    "NonFiniteParameterError",
    "evaluate",
    "fit",
    "predict",
    "read_checkpoint",
    "train_epoch",
]


def _first_nonfinite_module(model, x):
    """Run the batch again with hooks and name the first module whose output is not finite,
    with its type: ``'7' (Linear)``; None if every output is finite."""
    if hasattr(model, "sync_gradients"):  # DistributedDataParallel: the model's own names, no broadcast
        model = model.module
    found = []

    def hook(module, inputs, output):
        outs = output if isinstance(output, (tuple, list)) else (output,)
        if not found and any(isinstance(o, Tensor) and not np.all(np.isfinite(o.numpy())) for o in outs):
            found.append(module)

    handles = [m.register_forward_hook(hook) for _, m in model.named_modules() if _ != ""]
    try:
        with no_grad():
            model(x)
    finally:
        for h in handles:
            h.remove()
    if not found:
        return None
    names = {id(m): n for n, m in model.named_modules()}
    return f"{names.get(id(found[0]))!r} ({type(found[0]).__name__})"


def _loss_of(model, loss, output, y):
    """``model.training_loss(output, y, loss)`` where the model defines one (it combines
    auxiliary outputs as its paper says), else ``loss(output, y)``."""
    own = getattr(model, "training_loss", None)
    if own is not None:
        return own(output, y, loss)
    if isinstance(output, tuple):
        raise TypeError(
            f"{type(model).__name__} returned a tuple of {len(output)} in training; "
            "give it a training_loss(output, target, loss) method that combines them"
        )
    return loss(output, y)


def _param_names(model):
    names = {id(p): n for n, p in model.named_parameters()}
    if hasattr(model, "sync_gradients"):  # DistributedDataParallel: the model's own names
        names = {k: n.removeprefix("module.") for k, n in names.items()}
    return names


def _check_finite(optimizer, names, where):
    """Raise NonFiniteParameterError naming the first parameter whose weights or gradient
    hold a NaN or an infinity. One sum per array first: a sum is finite when every entry is
    (barring an overflow, which the exact test below then clears)."""
    arrays = [
        (p, kind, a)
        for g in optimizer.param_groups
        for p in g["params"]
        for kind, a in (("gradient", None if p.grad is None else p.grad.data), ("weights", p.data))
        if a is not None
    ]
    if all(math.isfinite(float(a.sum())) for _, _, a in arrays):
        return
    for p, kind, a in arrays:
        xp = backend.xp_of(a)
        if not bool(xp.isfinite(a).all()):
            bad = a[~xp.isfinite(a)].ravel()[0]
            raise NonFiniteParameterError(
                f"{where}: the {kind} of parameter {names.get(id(p), '?')!r} "
                f"{tuple(p.shape)} became {float(bad)}. Try a smaller learning rate or "
                "gradient clipping."
            )


def train_epoch(
    model,
    loader,
    optimizer,
    loss=F.cross_entropy,
    device="cpu",
    scheduler=None,
    scheduler_step="epoch",
    clip_grad_norm=None,
    progress=None,
    epoch=None,
):
    """One pass over ``loader``; returns (mean loss, accuracy, images).

    After every step the weights and gradients must be finite, else
    NonFiniteParameterError names the step and the parameter (``epoch``, if
    given, goes into that message).
    """
    total, over, right, labelled, seen = _train_pass(
        model, loader, optimizer, loss, device, scheduler, scheduler_step, clip_grad_norm, progress, epoch
    )
    return share(total, over), share(right, labelled), seen


def _train_pass(
    model, loader, optimizer, loss, device, scheduler, scheduler_step, clip_grad_norm, progress, epoch
):
    """train_epoch's pass; returns its sums (loss summed, what it is summed over, right,
    labelled, images; see ``evaluation.loss_sum``), which ranks add before dividing."""
    check_scheduler_step(scheduler, scheduler_step)
    if not model.training:  # NOTE: not every module: a BatchNorm frozen with .eval() stays frozen
        model.train()
    sums = (0.0, 0.0, 0, 0, 0)
    names = _param_names(model)
    for step, (x, y) in enumerate(loader, 1):
        where = f"step {step} of {len(loader)}" + (f" in epoch {epoch}" if epoch else "")
        x, y = batch_to(x, y, device)
        output = model(x)
        value = _loss_of(model, loss, output, y)
        if not math.isfinite(value.item()):
            if _all_ignored(output, y):
                raise NonFiniteLossError(
                    f"{where}: the loss became {value.item()}: every label in the batch is "
                    "negative (ignore_index), so its mean is 0/0. Spread the unlabelled images "
                    "through the data (shuffle=True) or use a larger batch."
                )
            culprit = _first_nonfinite_module(model, x)
            raise NonFiniteLossError(
                f"{where}: the loss became {value.item()}; "
                + (
                    f"the first module with a non-finite output is {culprit}"
                    if culprit
                    else "every module's output was finite, so the loss itself overflowed"
                )
                + ". Try a smaller learning rate or gradient clipping."
            )
        optimizer.zero_grad()
        value.backward()
        if hasattr(model, "sync_gradients"):  # DistributedDataParallel: average over ranks
            model.sync_gradients()
        if clip_grad_norm is not None:
            clip_grad_norm_(model.parameters(), clip_grad_norm)
        optimizer.step()
        _check_finite(optimizer, names, where)
        if scheduler is not None and scheduler_step == "batch":
            scheduler.step()
        sums = tuple(a + b for a, b in zip(sums, batch_sums(loss, value, logits_of(output), y)))
        if progress is not None:
            progress.update(len(y), loss=share(*sums[:2]), acc=share(*sums[2:4]))
    if sums[4] == 0:
        raise ValueError(f"train_epoch: the loader gave no batches ({sizes_of(loader)})")
    return sums


def _all_ignored(output, y):
    """Whether no target of the batch names a class (all ignore_index): a mean over none."""
    logits = logits_of(output).data
    return class_targets(logits, y.data) and len(y) > 0 and not (y.data >= 0).any()


def fit(
    model,
    train_loader,
    optimizer,
    epochs,
    val_loader=None,
    scheduler=None,
    loss=F.cross_entropy,
    device="cpu",
    callbacks=(),
    out=None,
    resume=False,
    overwrite=False,
    clip_grad_norm=None,
    scheduler_step="epoch",
    progress=True,
    distributed=False,
    meta=None,
):
    """Train ``model`` for ``epochs`` epochs and return its History.

    A model in eval mode is put in train mode; one in train mode keeps each module's own
    mode, so a BatchNorm frozen with ``.eval()`` (fine-tuning) keeps its statistics, and the
    validation after each epoch gives every module its mode back.

    Args:
        val_loader: evaluated after every epoch (``val_loss``, ``val_acc``):
            a split held out from the training data, not the test set.
        scheduler: built on ``optimizer``; stepped once per epoch, after its validation
            (ReduceLROnPlateau on ``val_loss``, else ``train_loss``), or after every
            ``optimizer.step()`` with ``scheduler_step="batch"`` (OneCycleLR).
        callbacks: functions ``cb(epoch, row, model)``, ``epoch`` counted from 0 and
            ``row`` the epoch's History row, all called after each epoch (and its
            checkpoint); training stops after an epoch where one returns True.
        out: folder for ``checkpoint.npz`` (every epoch, written atomically).
            A folder that already holds one is refused (ValueError, before
            any step) unless ``resume`` or ``overwrite`` says what to do with it;
            a new run's first checkpoint replaces no file made there meanwhile
            (FileExistsError).
        resume: True continues from ``out/checkpoint.npz`` if it exists; a
            dict is a checkpoint already read (``read_checkpoint``), loaded as
            it is (drop its "scheduler" entry to keep a schedule rebuilt for a
            new length). A checkpoint of another optimizer or schedule class,
            or of a schedule built with other settings, is refused (ValueError)
            before any step.
        overwrite: True starts a new run in an ``out`` that holds a
            checkpoint; the old one stays until the new run's first epoch
            replaces it (``--overwrite`` on the command line).
        clip_grad_norm: clip the global gradient norm to this value (> 0) after each
            backward, as ``nn.utils.clip_grad_norm_``; None does not clip.
        distributed: data-parallel training on every rank of ``mpirun``
            (``minicnn.distributed``): each rank trains a replica on its shard
            of ``train_loader`` (batches of batch_size / world_size, so one step
            still sees batch_size images), gradients averaged after backward;
            rank 0 alone shows progress and writes ``out``. After each epoch's
            steps rank 0's buffers (BatchNorm running statistics) are copied to
            every rank; ``val_loader`` (without a sampler) is split over the
            ranks and its sums added, so every rank gets the same ``val_loss``
            and ``val_acc`` and its scheduler and callbacks decide alike. A
            ``train_loader`` built without ``seed=`` is shuffled with seed 0
            (``distributed.shard_loader``).
        meta: a JSON-able dict stored in each checkpoint (``read_checkpoint``
            gives it back), e.g. the settings of the run.
    Returns a History, one row per epoch: ``epoch`` (from 1), ``train_loss`` (the mean
    of each step's loss over the epoch's labelled images, as ``evaluate`` means it, the
    weights changing as it goes),
    ``train_acc``, ``val_loss`` and ``val_acc`` (with ``val_loader``), ``seconds`` and
    ``images_per_second`` (the training steps alone) and ``lr`` (the first parameter
    group's rate as the epoch began).

    An argument that cannot work (epochs that are not an int >= 0, a loader with no
    batches, a callback that is not callable) is a TypeError or ValueError before any step.
    Raises NonFiniteError when the loss, a weight or a gradient stops being
    finite (nothing is written for that epoch), OSError when a checkpoint cannot
    be written (the one before stays), each with ``kept``, the epochs in the
    checkpoint on disk, and Interrupted on Ctrl-C.
    """
    callbacks = check_fit(
        model, train_loader, optimizer, epochs, val_loader, scheduler, callbacks, clip_grad_norm
    )
    check_scheduler_step(scheduler, scheduler_step)
    check_out(out, resume, overwrite)
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
    if resume is True and path and os.path.exists(path):
        resume = read_checkpoint(path)
    if isinstance(resume, dict):
        rows, start = restore(resume, model, optimizer, scheduler)
        history = History(rows)
    # a new run's first checkpoint replaces nothing: one there now was made while it trained
    replace = overwrite or isinstance(resume, dict)
    if distributed:
        trained = dist.DistributedDataParallel(model)  # rank 0's weights on every rank

    def run_epoch(epoch):
        """Train one epoch and validate: the epoch's row of the History."""
        if hasattr(train_loader, "set_epoch"):
            train_loader.set_epoch(epoch)
        lr = optimizer.param_groups[0]["lr"]
        bar = Progress(
            total=_dataset_size(train_loader), desc=f"epoch {epoch + 1}/{epochs}", enabled=progress
        )
        began = time.perf_counter()
        try:
            sums = _train_pass(
                trained,
                train_loader,
                optimizer,
                loss,
                device,
                scheduler,
                scheduler_step,
                clip_grad_norm,
                bar,
                epoch=epoch + 1,
            )
        finally:
            bar.close()
        seconds = time.perf_counter() - began
        if distributed:  # the epoch's sums over all shards, and rank 0's buffers everywhere
            sums = dist.ddp.add_over_ranks(sums)
            trained.sync_buffers()
        total, over, right, labelled, seen = sums
        train_loss, train_acc = share(total, over), share(right, labelled)
        row = {
            "epoch": epoch + 1,
            "train_loss": train_loss,
            "train_acc": train_acc,
            "seconds": seconds,
            "images_per_second": seen / max(seconds, 1e-9),
            "lr": lr,
        }
        if val_loader is not None and distributed:  # the same row on every rank: same decisions
            row["val_loss"], row["val_acc"] = dist.ddp.evaluate_over_ranks(model, val_loader, loss, device)
        elif val_loader is not None:
            result = evaluate(model, val_loader, loss, device)
            row.update(val_loss=result["loss"], val_acc=result["accuracy"])
        if isinstance(scheduler, ReduceLROnPlateau):  # on the epoch's loss, held-out where there is one
            scheduler.step(row.get("val_loss", row["train_loss"]))
        elif scheduler is not None and scheduler_step == "epoch":
            scheduler.step()
        return row

    kept = start if path else 0
    done = start  # epochs finished, each with its checkpoint written
    saving = None  # while a checkpoint is written: its epoch, and what was at its path before
    try:
        for epoch in range(start, epochs):
            row = run_epoch(epoch)
            history.append(row)
            if path:
                if lead:  # one rank writes the checkpoint; every rank knows what it holds
                    saving = (epoch + 1, file_identity(path))
                    io.save(
                        checkpoint_state(model, optimizer, scheduler, history.epochs, epoch + 1, meta),
                        path,
                        overwrite=replace or epoch > start,
                    )
                kept = epoch + 1
                saving = None
            done = epoch + 1
            Progress.line(f"epoch {epoch + 1}/{epochs}", row, enabled=progress)
            if any([cb(epoch, row, model) for cb in callbacks]):  # NOTE: a list: every one is called
                break
    except (NonFiniteError, OSError) as err:  # OSError: a checkpoint the file system refused
        err.kept = kept  # the epochs in the checkpoint, which stays as it was
        raise
    except KeyboardInterrupt:
        if saving is not None and file_identity(path) != saving[1]:
            # NOTE: Ctrl-C came once the new checkpoint was in place (as its folder was flushed)
            kept = saving[0]
        # NOTE: the epoch cut short is the one after the last finished: Ctrl-C can land
        # after an epoch's checkpoint is written (while its line prints, in a callback),
        # and that epoch is done. max(): it can land between the two assignments above.
        running = max(done, kept) + 1
        raise Interrupted(running if running <= epochs else None, kept) from None
    return history


def _dataset_size(loader):
    try:
        if getattr(loader, "sampler", None) is not None:
            return len(loader.sampler)
        return len(loader.dataset)
    except (AttributeError, TypeError):
        return None
