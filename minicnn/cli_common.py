"""What ``train`` and ``eval`` share: checked values, data by name, models that fit the data.

Every check here runs before any data is loaded or any step is taken, and
fails with a ``UsageError``: one line, exit status 2.
"""

import argparse
import contextlib
import errno
import math
import os
import tempfile
import warnings

import numpy as np

from . import data, models
from .cli_names import did_you_mean
from .data.dataset import stratified_split
from .filecheck import file_kind

DATA = ("mnist5k", "digits", "shapes", "mnist:PATH", "fashion-mnist:PATH", "cifar10:PATH")
KERNELS = ("auto", "numpy", "numba", "numpy-simple", "reference")  # backend.KERNEL_TIERS, the default first


class UsageError(Exception):
    """A bad command-line argument or data set: printed as one line, exit status 2."""


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """argparse's, with an option's help wrapped at spaces only: a name with a hyphen in it
    (numpy-simple) stays whole on one line, to be read and copied as it is."""

    def _split_lines(self, text, width):
        import textwrap

        return textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False)


def help_texts(doc):
    """A command module's docstring as --help shows it: its first line the description, the
    rest (examples, conventions) the epilog, with reStructuredText's ``double backticks`` gone."""
    first, _, rest = doc.replace("``", "").strip().partition("\n")
    return {
        "description": first,
        "epilog": rest.strip("\n"),
        "formatter_class": HelpFormatter,
    }


class OneLineParser(argparse.ArgumentParser):
    """argparse, with its errors in one line like every other error of the CLI, and flags
    taken whole: argparse would read ``--over`` as ``--overwrite``, and a flag added later
    could change what an old command line means."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def printable(text):
    """``text`` with its control characters shown as escapes (``\\x1b``): a value read from a file
    (a name in a checkpoint, a metrics.json, a student's output) could otherwise hold an escape
    sequence that moves the cursor, recolours or writes over the lines around it."""
    return "".join(c if c.isprintable() or c == "\t" else c.encode("unicode_escape").decode() for c in text)


def one_line(err):
    """The error's message on one line, control characters escaped (``printable``); its type
    too where the message alone says little."""
    text = printable(" ".join(str(err).split()))
    plain = (
        UsageError,
        ValueError,
        TypeError,
        OSError,
        ImportError,
        MemoryError,
        RuntimeError,
        FloatingPointError,
    )
    if text and isinstance(err, plain):
        return text
    return f"{type(err).__name__}: {text} (--debug shows where)"


def error_said(debug, line, keep=False):
    """Called inside ``except``: the error's line, or with ``--debug`` its traceback (which ends in
    the same message) printed in its place, and the line too only where it says more (``keep``).
    The exit status is the caller's, the same either way."""
    if not debug:
        return line
    import sys
    import traceback

    for shown in traceback.format_exc().splitlines():  # its message may quote a file, as the line does
        print(printable(shown), file=sys.stderr)
    return line if keep else None


# --- argparse types: a bad value is refused as the flag is read ------------------


def _number(kind, text):
    try:
        return kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected {'an integer' if kind is int else 'a number'}, got {text!r}"
        ) from None


def positive_int(text):
    value = _number(int, text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def non_negative_int(text):
    value = _number(int, text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def positive_float(text):
    value = _number(float, text)
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a finite number above 0, got {text}")
    return value


def fraction(text):
    value = _number(float, text)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"must lie in [0, 1), got {text}")
    return value


# --- the machine ----------------------------------------------------------------


def check_device(device):
    """'cpu' or 'cuda' (with a GPU that CuPy sees), else one line saying what is missing.
    Returns the name the commands use: "cpu:0" is "cpu", as in PyTorch."""
    from . import backend

    try:
        kind = backend.normalize_device(device)
        if kind == "cuda":
            backend.cupy()
    except (ValueError, RuntimeError) as err:
        raise UsageError(f"--device {device}: {err}") from None
    return "cpu" if kind == "cpu" else device


def use_kernels(tier):
    from . import backend

    backend.use_kernels(tier)


@contextlib.contextmanager
def one_line_warnings(who):
    """Within: a warning is one line naming the command, as its errors are, not Python's two
    lines with a file name and a line of minicnn's source (``--debug`` keeps those)."""
    before = warnings.formatwarning
    warnings.formatwarning = lambda message, *rest, **kw: f"{who}: warning: {printable(str(message))}\n"
    try:
        yield
    finally:
        warnings.formatwarning = before


def check_input_file(path):
    """``path`` is a regular file: a UsageError that says what it is otherwise."""
    if not os.path.lexists(path):
        raise UsageError(f"no such file {path!r}")
    kind = file_kind(os.stat(path).st_mode) if os.path.exists(path) else "a broken link"
    if kind is not None:
        raise UsageError(f"{path!r} is {kind}, not a regular file")


def link_note(path):
    """' (a broken link)' or " (a link to 'TARGET')" where ``path`` is a symbolic link, else ''."""
    if not os.path.islink(path):
        return ""
    if not os.path.exists(path):
        return " (a broken link)"
    return f" (a link to {os.readlink(path)!r})"


def check_out_folder(out):
    """``out`` is, or can become, a folder this process may write into."""
    if os.path.exists(out) and not os.path.isdir(out):
        raise UsageError(f"--out {out}: is a file, not a folder")
    if os.path.islink(out) and not os.path.exists(out):  # NOTE: no folder is made where it points
        raise UsageError(
            f"--out {out}: is a broken link (to {os.readlink(out)!r}), not a folder; "
            "remove the link or choose another --out"
        )
    parent = out
    while not os.path.exists(parent):
        parent = os.path.dirname(os.path.abspath(parent))
    if not os.path.isdir(parent) or not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"--out {out}: cannot write into {parent!r}")
    try:  # NOTE: os.access trusts permission bits; a read-only mount or /sys says yes too
        with tempfile.TemporaryFile(dir=parent):
            pass
    except OSError as err:
        why = err.strerror
        if err.errno == errno.ENOENT:  # of a folder that is there: /proc answers so to a new file
            why = "no file can be made there (its file system is a view the kernel keeps, not storage)"
        raise UsageError(f"--out {out}: cannot write into {parent!r}: {why}") from None


# --- data ---------------------------------------------------------------------


def load_data(spec, seed=0, train=True):
    """'mnist5k' | 'digits' | 'shapes' | 'mnist:PATH' | ... -> (train, test) datasets; with
    ``train`` False, (None, test): the training files are neither needed nor read."""
    kind, _, path = spec.partition(":")
    if kind in ("mnist", "fashion-mnist", "cifar10"):
        if not path:
            raise UsageError(f"--data {kind} needs a folder: --data {kind}:PATH")
        if not os.path.isdir(path):
            raise UsageError(f"--data {spec}: no such folder {path!r}")
        cls = {"mnist": data.MNIST, "fashion-mnist": data.FashionMNIST, "cifar10": data.CIFAR10}[kind]
        return cls(path, train=True) if train else None, cls(path, train=False)
    if path and kind in ("mnist5k", "digits", "shapes"):
        raise UsageError(f"--data {spec}: {kind} is built in and takes no path; give --data {kind}")
    made = {
        "mnist5k": lambda split: data.mnist5k(split),
        "digits": lambda split: data.digits(split, size=28),
        "shapes": lambda split: (
            data.SyntheticShapes(10000, seed=seed)
            if split == "train"
            else data.SyntheticShapes(2000, seed=seed + 1)
        ),
    }
    if kind in made:
        return made[kind]("train") if train else None, made[kind]("test")
    raise unknown_data(spec)


def check_data(spec, train, test):
    """Refuse data that cannot train a classifier, or whose test classes training never sees."""
    if len(train) == 0:
        raise UsageError(f"--data {spec}: the training split holds no images")
    if len(test) == 0:
        raise UsageError(f"--data {spec}: the test split holds no images")
    classes = np.unique(train.labels)
    if len(classes) < 2:
        raise UsageError(
            f"--data {spec}: every training image has label {classes[0]}; "
            "a classifier needs at least two classes"
        )
    unseen = np.setdiff1d(np.unique(test.labels), classes)
    if len(unseen):
        raise UsageError(
            f"--data {spec}: the test split has classes {unseen.tolist()} that no training image has"
        )


def validation_split(train, fraction, seed):
    """(train, val) Subsets: ``fraction`` of each class held out, chosen from ``seed``."""
    if fraction == 0:
        return train, None
    fit_idx, val_idx = stratified_split(train.labels, lambda n: round(n * fraction), seed)
    if len(fit_idx) == 0 or len(val_idx) == 0:
        raise UsageError(
            f"--val-fraction {fraction}: leaves {len(fit_idx)} training and "
            f"{len(val_idx)} validation images of {len(train)}"
        )
    return data.Subset(train, np.sort(fit_idx)), data.Subset(train, np.sort(val_idx))


# --- models -------------------------------------------------------------------


def check_model(name):
    if name not in models.list_models():
        names = models.list_models()
        raise UsageError(
            f"unknown model {name!r}{did_you_mean(name, names)}; choose one of {', '.join(names)}"
        )


def build_model(name, num_classes, image_shape, batch_size=1, device="cpu"):
    """The model, after one forward pass on one image of the data's shape (its summary);
    refused when it cannot take the images, or when ``batch_size`` images' activations
    alone would not fit in the memory available."""
    from .memory_fit import check_fits
    from .summary import run

    check_model(name)
    model = models.get(name, num_classes=num_classes)
    try:
        table = run(model, tuple(image_shape))
    except ValueError as err:
        raise UsageError(
            f"model {name} cannot take this data's images of shape {tuple(image_shape)}: {err}"
            f"{_data_hint(name, image_shape, lambda shape: _takes(run, model, shape))}"
        ) from None
    try:
        check_fits(model, image_shape, batch_size, device, per_image=table.total_activation_bytes)
    except MemoryError as err:
        if batch_size == 1:  # one image is too much: no flag of this command would help
            raise
        raise UsageError(f"--batch-size {batch_size}: {err}") from None
    return model


# the data this command reads, by the channels of its images
DATA_BY_CHANNELS = {
    1: "--data mnist5k, digits, mnist:PATH or fashion-mnist:PATH",
    3: "--data shapes (generated) or cifar10:PATH",
}


# the image shapes the --data choices give, and which give them
DATA_BY_SHAPE = {
    (1, 28, 28): "--data mnist5k, digits, mnist:PATH or fashion-mnist:PATH",
    (3, 32, 32): "--data shapes (generated) or cifar10:PATH",
}


def _takes(run, model, shape):
    """Whether one forward pass of the model takes one image of ``shape``."""
    try:
        run(model, shape)
    except ValueError:
        return False
    return True


def _data_hint(name, image_shape, takes):
    """What to try instead: data of the channels the model takes, if it takes that data's
    size (``takes(shape)``), or the size it was made for, and where no --data gives that
    size, how to train it anyway."""
    want = tuple(models.input_size(name))
    given = [shape for shape in DATA_BY_SHAPE if shape[0] == want[0]]
    if want[0] != image_shape[0] and want[0] in DATA_BY_CHANNELS and given and takes(given[0]):
        return f"; it takes {want[0]}-channel images: try {DATA_BY_CHANNELS[want[0]]}"
    if want in DATA_BY_SHAPE:
        return f"; it was designed for images of shape {want}: try {DATA_BY_SHAPE[want]}"
    return (
        f"; it was designed for images of shape {want}, which no --data gives: build it in Python "
        f"(minicnn.models.get({name!r})) and train it with minicnn.train.fit on images of that size"
    )


def unknown_data(spec):
    """The UsageError of a --data whose kind is none of DATA's, naming the closest."""
    kinds = [d.partition(":")[0] for d in DATA]
    close = did_you_mean(spec.partition(":")[0], kinds)
    return UsageError(f"unknown data {spec!r}{close}; choose one of {', '.join(DATA)}")


def check_data_spec(spec):
    """The text of --data, checked before anything is read or any folder named after it."""
    kind, _, path = spec.partition(":")
    if kind not in {d.partition(":")[0] for d in DATA}:
        raise unknown_data(spec)
    if path and kind in ("mnist5k", "digits", "shapes"):
        raise UsageError(f"--data {spec}: {kind} is built in and takes no path; give --data {kind}")
    if not path and kind in ("mnist", "fashion-mnist", "cifar10"):
        raise UsageError(f"--data {kind} needs a folder: --data {kind}:PATH")


def augmentation(image_shape):
    """Small translations for digits; crops and flips for colour images."""
    from .data import transforms as T

    channels, size = image_shape[0], image_shape[-1]
    if channels == 1:
        return T.RandomTranslate(2)
    return T.Compose([T.RandomCrop(size, padding=size // 8), T.RandomHorizontalFlip()])
