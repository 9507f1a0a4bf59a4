"""The training checkpoint: what ``fit`` writes after each epoch, and how a resume reads it.

``out/checkpoint.npz`` holds the model's and the optimizer's state dicts,
the scheduler's, the random state, the history so far, the number of epochs
done, the optimizer's and scheduler's class names (a resume with another
optimizer is refused, not crashed into) and ``meta``, the caller's notes
(``python -m minicnn train`` keeps the run's settings there).
"""

import json

from . import io, rng

# scheduler entries that count steps; every other entry is a setting that must match on resume
_COUNTERS = ("last_epoch", "_step_count", "_last_lr", "_is_initial", "base_lrs")


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
    state["meta"] = json.loads(state.get("meta", "{}"))
    return state


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
                    f"resume: the checkpoint's {saved} has {key}={value!r}, this "
                    f"run's {now[key]!r}; build the schedule as the checkpoint's"
                )
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    if scheduler is not None and "scheduler" in state:
        scheduler.load_state_dict(state["scheduler"])
    rng.set_state(json.loads(state["random"]))
    return json.loads(state["history"]), int(state["epoch"])


def _same(a, b):
    """Equal once written as JSON (tuples and lists alike, NumPy scalars as numbers)."""
    return json.dumps(a, sort_keys=True, default=float) == json.dumps(b, sort_keys=True, default=float)
