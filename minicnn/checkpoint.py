"""The training checkpoint: what ``fit`` writes after each epoch, and how a resume reads it.

``out/checkpoint.npz`` holds the model's and the optimizer's state dicts,
the scheduler's, the random state, the history so far, the number of epochs
done, the optimizer's and scheduler's class names (a resume with another
optimizer is refused, not crashed into) and ``meta``, the caller's notes
(``python -m minicnn train`` keeps the run's settings there).
"""

import json
import math

import numpy as np

from . import backend, io, rng
from .optim.optimizer import check_layout
from .safepickle import shown

MOST_EPOCHS = 10**6  # more than any run; a larger count is damage, not a long run
# scheduler entries that change as it steps: counts, the rates, a LambdaLR's callable objects,
# a SequentialLR's schedules, a warm restart's position in its cycle, and a plateau's best loss
# and waits. Every other entry is a setting that must match on resume.
_COUNTERS = (
    "last_epoch",
    "_step_count",
    "_last_lr",
    "_is_initial",
    "_get_lr_called_within_step",
    "base_lrs",
    "lr_lambdas",
    "_schedulers",
    "T_i",
    "T_cur",
    "best",
    "num_bad_epochs",
    "cooldown_counter",
)


def checkpoint_state(model, optimizer, scheduler, history, epoch, meta):
    """What ``fit`` saves after each epoch (``history``: the list of epoch rows)."""
    state = {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "optimizer_class": type(optimizer).__name__,
        "epoch": epoch,
        "history": json.dumps(history),
        "random": json.dumps(rng.get_state()),
        "meta": json.dumps(meta or {}),
    }
    if scheduler is not None:
        state["scheduler"] = scheduler.state_dict()
        state["scheduler_class"] = type(scheduler).__name__
    return state


def read_checkpoint(path):
    """The checkpoint ``fit`` wrote at ``path``, with ``meta`` (the caller's notes) decoded."""
    state = io.load(path)
    if not isinstance(state, dict) or not {"model", "optimizer", "epoch"} <= set(state):
        raise io.CheckpointError(
            f"{path!r} is not a training checkpoint (it lacks the model, optimizer and epoch that fit writes)"
        )
    epoch = state["epoch"]
    if isinstance(epoch, bool) or not isinstance(epoch, (int, np.integer)) or not 0 <= epoch <= MOST_EPOCHS:
        raise io.CheckpointError(
            f"{path}: its epoch is {shown(epoch)}; expected a count of epochs, 0 to {MOST_EPOCHS}"
        )
    try:
        check_layout(state["optimizer"])
    except ValueError as err:
        raise io.CheckpointError(f"{path}: its optimizer state does not load: {err}") from None
    try:
        _rows(_json(state.get("history", "[]")))
    except ValueError as err:
        raise io.CheckpointError(f"{path}: its history does not load: {err}") from None
    state["meta"] = decode_meta(path, state.get("meta", "{}"))
    return state


def _json(raw):
    """JSON text decoded; a ValueError for anything else, nesting too deep included."""
    if not isinstance(raw, str):
        raise ValueError(f"expected JSON text, got {a_or_an(type(raw).__name__)}")
    try:
        return json.loads(raw)
    except RecursionError:
        raise ValueError("its JSON is nested too deeply") from None


# what train writes into meta, and the type each must have when present
_META_TYPES = {"model": str, "settings": dict, "resumed": list, "data_files": dict}


def a_or_an(noun):
    """'an int', 'a dict': the noun with its article, for messages."""
    return ("an " if noun[:1] in "aeiou" else "a ") + noun


def decode_meta(path, raw):
    """A checkpoint's ``meta``: JSON text of an object, read with its known fields' types checked."""
    if not isinstance(raw, str):
        raise io.CheckpointError(f"{path}: its meta is {a_or_an(type(raw).__name__)}, not JSON text")
    try:
        meta = _json(raw)
    except ValueError as err:
        raise io.CheckpointError(f"{path}: its meta is not JSON ({err})") from None
    if not isinstance(meta, dict):
        raise io.CheckpointError(f"{path}: its meta is a JSON {type(meta).__name__}, not an object")
    for key, kind in _META_TYPES.items():
        if key in meta and not isinstance(meta[key], kind):
            found = a_or_an(type(meta[key]).__name__)
            raise io.CheckpointError(f"{path}: its meta's {key!r} is {found}, not {a_or_an(kind.__name__)}")
    return meta


def restore(state, model, optimizer, scheduler):
    """Load a checkpoint into the run, refusing what would crash or change it midway.

    Returns (the history's rows, the number of epochs done).
    """
    saved = state.get("optimizer_class", type(optimizer).__name__)
    if saved != type(optimizer).__name__:
        raise ValueError(
            f"resume: the checkpoint was trained with {saved}, this run's optimizer "
            f"is {type(optimizer).__name__}; their states do not carry over"
        )
    if scheduler is not None and "scheduler" in state:
        saved = state.get("scheduler_class", type(scheduler).__name__)
        if saved != type(scheduler).__name__:
            raise ValueError(
                f"resume: the checkpoint's schedule is {saved}, this run's {type(scheduler).__name__}"
            )
        now = scheduler.state_dict()
        for key, value in state["scheduler"].items():
            if key not in _COUNTERS and key in now and not _same(now[key], value):
                raise ValueError(
                    f"resume: the checkpoint's {saved} has {key}={shown(value)}, this "
                    f"run's {now[key]!r}; build the schedule as the checkpoint's"
                )
            if key in _COUNTERS and key in now and not _same_kind(now[key], value):
                raise ValueError(
                    f"resume: the checkpoint's {saved} has {key}={shown(value)}, where this run "
                    f"has {now[key]!r}; the checkpoint is damaged"
                )
    parts = [("model", lambda: model.load_state_dict(state["model"]))]
    parts.append(("optimizer state", lambda: optimizer.load_state_dict(state["optimizer"])))
    if scheduler is not None and "scheduler" in state:
        parts.append(("schedule", lambda: scheduler.load_state_dict(state["scheduler"])))
    parts.append(("random state", lambda: rng.set_state(json.loads(state["random"]))))
    parts.append(("history", lambda: _rows(json.loads(state["history"]))))
    loaded = {}
    for what, load in parts:
        try:
            loaded[what] = load()
        except (ValueError, TypeError, KeyError, RuntimeError, AttributeError, OverflowError) as err:
            raise ValueError(
                f"resume: the checkpoint's {what} does not load: {' '.join(str(err).split())}"
            ) from None
    epoch, history = int(state["epoch"]), loaded["history"]
    if len(history) != epoch:
        raise ValueError(
            f"resume: the checkpoint says {epoch} epochs are done, its history holds {len(history)}"
        )
    for name, p in model.named_parameters():
        if not np.isfinite(backend.to_device(p.data, "cpu")).all():
            raise ValueError(f"resume: the checkpoint's weight {name} holds NaN or infinite values")
    return history, epoch


# what fit writes in each epoch's row (validation figures where it had a validation set)
_ROW = ("epoch", "train_loss", "train_acc", "seconds", "images_per_second", "lr")
_ROW_OPTIONAL = ("val_loss", "val_acc")


def _rows(history):
    """The history's rows, each with fit's numbers, or a ValueError naming the first that is not."""
    if not isinstance(history, list) or not all(isinstance(row, dict) for row in history):
        raise ValueError(f"expected a list of epoch rows, got a JSON {type(history).__name__}")
    for i, row in enumerate(history):
        for key in _ROW + tuple(k for k in _ROW_OPTIONAL if k in row):
            value = row.get(key)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not _float_or_nan(value):
                raise ValueError(f"row {i + 1}'s {key} is {shown(value)}; expected a finite number (or NaN)")
        if row["epoch"] != i + 1:
            raise ValueError(f"row {i + 1} is epoch {shown(row['epoch'])}")
    return history


def _float_or_nan(value):
    """Whether a number is a float's, finite or NaN (an accuracy with no class labels)."""
    try:
        return not math.isinf(float(value))
    except OverflowError:
        return False


def _same_kind(a, b):
    """b is what a is (numbers of any kind alike; lists of the same length; dicts of the same keys)."""
    number = lambda v: (
        isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))
    )
    if number(a) or number(b):
        return number(a) and number(b)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(map(_same_kind, a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_kind(a[k], b[k]) for k in a)
    return type(a) is type(b) or a is None or b is None


def _same(a, b):
    """Equal once written as JSON (tuples and lists alike, NumPy scalars as numbers)."""
    return json.dumps(a, sort_keys=True, default=float) == json.dumps(b, sort_keys=True, default=float)
