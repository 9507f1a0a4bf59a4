"""A training run's settings: the recipe of defaults per model, and what a resume may change.

On resume, a flag left out takes the checkpoint's value; one given with another value is
either honoured (epochs, batch size and learning rate, for which the schedule is rebuilt,
and augmentation) and said in one line, or refused before any step (data, optimizer, seed,
validation fraction, and the data-parallel layout: whether ``--distributed``, and over how
many ranks; each would change what the run is). A ``--data`` folder is kept as an absolute
path (``data_record``), so that a resume from another folder reads the same files.
"""

import argparse

from . import models
from .cli_common import UsageError, fraction, non_negative_int, positive_float, positive_int, printable
from .data_record import absolute, recorded

# model family (the file it is defined in) -> defaults
RECIPES = {
    "lenet": {"epochs": 16, "batch_size": 64, "optimizer": "adam", "lr": 3e-3, "augment": True},
    "default": {"epochs": 10, "batch_size": 64, "optimizer": "sgd", "lr": 0.05, "augment": True},
}
DEFAULTS = {"data": "mnist5k", "seed": 0, "val_fraction": 0.1}
SETTINGS = ("data", "epochs", "batch_size", "optimizer", "lr", "augment", "seed", "val_fraction")
# settings a resume may not change: each would make the checkpoint another run's
FIXED = {
    "data": "the metrics would mix two data sets",
    "optimizer": "its state (momentum, moments) does not carry over",
    "seed": "the shuffling and the validation split follow the seed",
    "val_fraction": "validation images would become training images",
}


def _one_of(*choices):
    def check(value):
        if value not in choices:
            raise ValueError(f"must be one of {', '.join(map(repr, choices))}")
        return value

    return check


def _string(value):
    if not isinstance(value, str) or not value:
        raise ValueError("must be a name")
    return value


def _number(check):
    """The flag's own check, for a value read from JSON (a bool is not a number there)."""

    def number(value):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError("must be a number")
        return check(str(value))

    return number


# what a checkpoint's settings may hold: the same checks as the flags that set them
SETTING_CHECKS = {
    "data": _string,
    "epochs": _number(positive_int),
    "batch_size": _number(positive_int),
    "optimizer": _one_of("sgd", "adam"),
    "lr": _number(positive_float),
    "augment": _one_of(True, False),
    "seed": _number(non_negative_int),
    "val_fraction": _number(fraction),
}


# the data-parallel layout, recorded in the settings beside them (runs recorded before lack it)
LAYOUT_CHECKS = {"distributed": _one_of(True, False), "ranks": _number(positive_int)}


def layout(args):
    """This run's data-parallel layout: whether ``--distributed``, and over how many ranks
    (the processes mpirun started); the shuffling and each rank's shard follow both."""
    from .distributed.comm import launched_by

    return {"distributed": bool(args.distributed), "ranks": launched_by()[0] if args.distributed else 1}


def _layout_words(layout):
    if not layout["distributed"]:
        return "without --distributed"
    ranks = layout["ranks"]
    return f"--distributed over {ranks} rank{'' if ranks == 1 else 's'}"


def _layout_how(layout):
    if not layout["distributed"]:
        return "without --distributed and without mpirun"
    if layout["ranks"] == 1:
        return "with --distributed and without mpirun"
    return f"with --distributed under mpirun -n {layout['ranks']}"


def _checked(saved, key, check):
    """The checkpoint's setting ``key``, checked as its flag would check it."""
    if key not in saved:
        raise UsageError(f"--resume: the checkpoint's settings lack {key!r}; start again with --overwrite")
    try:
        check(saved[key])
    except (ValueError, argparse.ArgumentTypeError) as err:
        why = str(err).split(", got")[0]
        raise UsageError(
            f"--resume: the checkpoint's {key} is {saved[key]!r:.40}, which {why}; "
            "start again with --overwrite"
        ) from None
    return saved[key]


def recipe_for(model_name):
    return dict(RECIPES.get(models.family(model_name), RECIPES["default"]), **DEFAULTS)


def _flag(key):
    return "--" + key.replace("_", "-")


def resolve_settings(args, checkpoint):
    """(settings, changes): the recipe, under the checkpoint's settings, under the flags
    given; ``changes`` maps each honoured change on resume to (checkpoint's, now)."""
    given = {k: getattr(args, k) for k in SETTINGS if getattr(args, k, None) is not None}
    if "data" in given:
        given["data"] = absolute(given["data"])
    settings, now = recipe_for(args.model), layout(args)
    if checkpoint is None:
        return {**settings, **given, **now}, {}
    meta = checkpoint["meta"]
    if "settings" not in meta:
        raise UsageError(
            "--resume: the checkpoint keeps no record of its run's settings; start again with --overwrite"
        )
    if meta.get("model") != args.model:
        raise UsageError(
            f"--resume: the checkpoint is of model {meta.get('model')}, not "
            f"{args.model}; give the model it holds, or start again with --overwrite"
        )
    saved = dict(meta["settings"])
    for key in SETTINGS:
        _checked(saved, key, SETTING_CHECKS[key])
    saved["data"] = recorded(saved["data"], "the checkpoint")
    if any(key in saved for key in LAYOUT_CHECKS):  # a checkpoint recorded before lacks both
        was = {key: _checked(saved, key, check) for key, check in LAYOUT_CHECKS.items()}
        if not was["distributed"] and was["ranks"] != 1:  # no run writes it: the words below would clash
            raise UsageError(
                f"--resume: the checkpoint's ranks is {was['ranks']!r:.40}, which must be 1 without "
                "--distributed; start again with --overwrite"
            )
        if was != now:
            raise UsageError(
                f"--resume: this run is {_layout_words(now)}, the checkpoint's was {_layout_words(was)} "
                "(the batches' order and each rank's share of them follow it); resume it "
                f"{_layout_how(was)}, or start again with --overwrite"
            )
    settings = {**settings, **saved, **given, **now}
    done, changes = int(checkpoint["epoch"]), {}
    for key in SETTINGS:
        old, new = saved.get(key), settings[key]
        if old == new:
            continue
        if key in FIXED:
            raise UsageError(
                f"--resume: {_flag(key)} {new} differs from the checkpoint's {old} "
                f"({FIXED[key]}); leave it out, or start again with --overwrite"
            )
        if key == "epochs" and new < done:
            raise UsageError(
                f"--resume: --epochs {new} is fewer than the {done} epochs the checkpoint has done"
            )
        changes[key] = (old, new)
    return settings, changes


# the changes on resume that the one-cycle schedule is rebuilt for (augmentation is not one)
RESCHEDULED = ("epochs", "batch_size", "lr")


def _change(key, old, new):
    """A setting's change as the flags give it: ``--epochs 2 (was 1)``, ``--no-augment (was --augment)``."""
    if isinstance(new, bool):
        flag = _flag(key)
        no = "--no-" + key.replace("_", "-")
        return f"{flag if new else no} (was {flag if old else no})"
    return f"{_flag(key)} {new} (was {old})"


def _resume_line(out, done, settings, changes):
    line = f"resuming {printable(out)}/ after epoch {done} of {settings['epochs']}"
    if done >= settings["epochs"]:
        line += " (all done: the test split is evaluated again)"
    for keys, why in (
        ([k for k in changes if k in RESCHEDULED], "the learning-rate schedule is rebuilt for them"),
        ([k for k in changes if k not in RESCHEDULED], "from the next epoch on"),
    ):
        if keys:
            line += f"; {', '.join(_change(k, *changes[k]) for k in keys)}: {why}"
    return line
