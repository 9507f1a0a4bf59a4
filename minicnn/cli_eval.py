"""``python -m minicnn eval``: saved weights (``model.npz``, or a run's ``checkpoint.npz``)
on a data set's test split.

The model's name and data come from the flags, else from the checkpoint or
the ``metrics.json`` beside a run's ``model.npz`` (and an error they lead to
says where they were read); the number of classes comes from the weights
themselves (the classifier's rows), never from the test labels. A PyTorch
``.pth`` or a ``.safetensors`` file is refused with the ``convert-weights``
command that makes an .npz of it. Only the test split is read. Where the run
recorded the files of its data (data_record.py), files changed since are refused,
unless ``--data`` names the data to use.
"""

import json
import os

import numpy as np

from . import data, data_record, io, models
from .checkpoint import a_or_an, decode_meta
from .cli_common import (
    UsageError,
    build_model,
    check_device,
    check_model,
    load_data,
    one_line,
    printable,
    use_kernels,
)
from .filecheck import check_regular, open_regular
from .train import evaluate

METRICS_BYTES = 1 << 20  # a metrics.json that train writes is a few hundred bytes


def _is_checkpoint(obj):
    return isinstance(obj, dict) and {"model", "optimizer", "epoch"} <= set(obj)


def _run_notes(path, loaded):
    """What the run that made the weights wrote down: its model and data, where known, and
    ``from``, where they were read. A metrics.json is read only beside a run's ``model.npz``:
    it describes that file, not other weights put in the same folder."""
    if _is_checkpoint(loaded):
        meta = decode_meta(path, loaded.get("meta", "{}"))
        notes = {"model": meta.get("model"), "data": meta.get("settings", {}).get("data")}
        notes = {key: value if isinstance(value, str) else None for key, value in notes.items()}
        return dict(notes, data_files=meta.get("data_files"), **{"from": f"the meta of {path}"})
    beside = os.path.join(os.path.dirname(path) or ".", "metrics.json")
    if not os.path.lexists(beside):
        return {}
    if os.path.basename(path) != "model.npz":
        return {"unread": beside}
    with open_regular(beside, UsageError) as f:
        text = f.read(METRICS_BYTES + 1)
    try:
        if len(text) > METRICS_BYTES:
            raise ValueError(f"it is over {METRICS_BYTES} bytes")
        try:
            metrics = json.loads(text)
        except RecursionError:
            raise ValueError("its JSON is nested too deeply") from None
        if not isinstance(metrics, dict):
            raise ValueError(f"it holds a JSON {type(metrics).__name__}, not an object")
    except ValueError as err:
        raise UsageError(
            f"{beside} (read for the model and data of {path}): {err}; pass --model and --data instead"
        ) from None
    notes = {key: metrics.get(key) for key in ("model", "data")}
    notes = {key: value if isinstance(value, str) else None for key, value in notes.items()}
    return dict(notes, data_files=metrics.get("data_files"), **{"from": beside})


def num_classes_of(name, state):
    """The class count the weights were trained for: build the model for 10 classes and for 11,
    which tells the classifier's entries (those that differ), and read the count from their
    first axis; any other entry of another shape is not this model's."""
    probe = models.get(name, num_classes=10).state_dict()
    other = models.get(name, num_classes=11).state_dict()
    classifier = {key for key, value in probe.items() if value.shape != other[key].shape}
    counts = set()
    for key, value in probe.items():
        if key not in state:
            raise ValueError(f"these weights are not {name}'s: they lack {key!r}")
        got = tuple(np.shape(state[key]))
        if got != value.shape:
            if key not in classifier or got[1:] != value.shape[1:] or not got:
                raise ValueError(
                    f"these weights are not {name}'s: {key!r} is {got}, {name} has {value.shape}"
                )
            counts.add(got[0])
    if len(counts) > 1:
        raise ValueError(
            f"these weights are not {name}'s: their classifier entries disagree "
            f"on the class count ({sorted(counts)})"
        )
    return counts.pop() if counts else 10


def _check_files(spec, notes, test_set, told):
    """The test files read now are those the run read, as its notes record them."""
    problem = data_record.record_problem(notes["data_files"])
    if problem:
        raise UsageError(f"{notes['from']}: its data_files are damaged ({problem}); pass --data to choose")
    now = data_record.files_read(spec, test_set)
    if now is None:  # data made in memory has no files to compare, whatever the notes record (as train)
        return
    said = data_record.changes(notes["data_files"], now, every=False)
    if said:
        raise UsageError(f"{data_record.changed_line(spec, said)}{told}")


def eval_command(args):
    args.device = check_device(args.device)
    use_kernels(args.kernels)
    if os.path.islink(args.weights) and not os.path.exists(args.weights):
        raise UsageError(f"{args.weights!r} is a broken link (to {os.readlink(args.weights)!r}), not weights")
    if not os.path.exists(args.weights):
        raise UsageError(f"{args.weights!r}: no such file")
    if os.path.isdir(args.weights):  # a run's folder: its model.npz, as train printed "outputs in ..."
        inside = os.path.join(args.weights, "model.npz")
        if not os.path.lexists(inside):
            raise UsageError(
                f"{args.weights!r} is a folder without a model.npz: give a run's folder or weights file"
            )
        args.weights = inside
    check_regular(args.weights, UsageError)
    try:
        loaded = io.load(args.weights)
    except io.ForeignWeights as err:  # eval reads .npz files alone: say how to make one
        told = f"is {err.what}, which eval does not read" if err.what else io.NOT_A_ZIP
        raise UsageError(f"{args.weights} {told}; convert it to an .npz first: {err.how}") from None
    if not isinstance(loaded, dict):
        raise UsageError(f"{args.weights}: holds {a_or_an(type(loaded).__name__)}, not a model's weights")
    # the flags win: the run's notes are read only for what they leave out
    notes = _run_notes(args.weights, loaded) if not (args.model and args.data) else {}
    state = loaded["model"] if _is_checkpoint(loaded) else loaded
    if not isinstance(state, dict):
        raise UsageError(f"{args.weights}: its model entry is a {type(state).__name__}, not weights")
    name = args.model or notes.get("model")
    if name is None:
        unread = notes.get("unread")
        why = (
            f" ({unread} describes a run's model.npz, not {os.path.basename(args.weights)})" if unread else ""
        )
        raise UsageError(f"cannot tell which model these weights are for: pass --model NAME{why}")

    def told(*keys):
        """Where the values of ``keys`` that the flags left out were read, for an error they led to."""
        guessed = [key for key in keys if not getattr(args, key) and notes.get(key)]
        if not guessed:
            return ""
        values = ", ".join(f"{key} {notes[key]}" for key in guessed)
        flags = " and ".join(f"--{key}" for key in guessed)
        return f" ({values}, read from {notes['from']}; pass {flags} to choose)"

    try:
        check_model(name)
    except UsageError as err:
        raise UsageError(f"{err}{told('model')}") from None
    try:
        num_classes = num_classes_of(name, state)
    except ValueError as err:
        raise UsageError(f"{args.weights}: {err}{told('model')}") from None
    for key, value in state.items():
        if np.asarray(value).dtype.kind == "f" and not np.isfinite(value).all():
            raise UsageError(
                f"{args.weights}: its {key!r} holds NaN or infinite values: no image can be classified"
            )
    spec = args.data or notes.get("data") or "mnist5k"
    if not args.data and notes.get("data"):  # a run's folder, absolute since runs record it so
        spec = data_record.recorded(spec, notes["from"])
    recorded = (
        "" if args.data or notes.get("data") else " (no data is recorded with these weights; --data chooses)"
    )
    try:
        _, test_set = load_data(spec, train=False)  # the test split alone: no training file is read
        if len(test_set) == 0:
            raise UsageError(f"--data {spec}: the test split holds no images")
        top = int(np.max(test_set.labels))
        if top >= num_classes:
            raise UsageError(
                f"--data {spec}: the test labels go up to {top}, "
                f"but the weights classify {num_classes} classes"
            )
    except (UsageError, ValueError, FileNotFoundError) as err:
        raise UsageError(f"{one_line(err)}{told('data')}") from None
    if not args.data and notes.get("data_files") is not None:
        _check_files(spec, notes, test_set, told("data"))
    try:
        model = build_model(name, num_classes, test_set.images.shape[1:], device=args.device)
    except UsageError as err:
        raise UsageError(f"{err}{told('model', 'data')}") from None
    try:
        with np.errstate(over="ignore"):  # a float64 beyond float32's range: refused below
            model.load_state_dict(state)
    except (RuntimeError, ValueError, TypeError, KeyError) as err:
        raise UsageError(f"{args.weights}: {' '.join(str(err).split())}{told('model')}") from None
    for key, value in model.state_dict().items():
        if value.dtype.kind == "f" and not np.isfinite(value).all():
            raise UsageError(
                f"{args.weights}: its {key!r} holds values beyond {value.dtype}'s range, which the model "
                "computes in: no image can be classified"
            )
    # NOTE: finite weights can still overflow on some images: a NaN loss, said below, not in NumPy's warnings
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        result = evaluate(
            model, data.DataLoader(test_set, batch_size=500), device=args.device, num_classes=num_classes
        )
    print(f"data: {printable(spec)}{recorded}")  # spec may come from a metrics.json
    print(f"test loss: {result['loss']:.4f}")
    print(f"test accuracy: {result['accuracy']:.4f}")
    return 0
