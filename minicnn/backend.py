"""Where arrays live and which kernels run on them.

Two devices: ``"cpu"`` holds NumPy arrays, ``"cuda"`` holds CuPy arrays. CuPy is
imported only when a GPU is asked for, so minicnn runs on NumPy alone. Ops never
ask "is this CuPy?": they call ``xp_of(array)`` once and write ``xp.exp``,
``xp.zeros`` ... so the same lines run on both.

The kernel tier (``"reference"`` plain loops, ``"numpy-simple"`` the plain
im2col + GEMM convolution, ``"numpy"`` the vectorized xp code, ``"numba"``
jitted loops, ``"auto"`` the fastest available) is a global setting here;
``minicnn.kernels.for_array`` turns it into a set of kernels, and
``minicnn.kernels.which(name)`` names the function that runs.
"""

import sys
import warnings
from typing import Any

import numpy as np

# What a user and an op reach as ``mc.backend.name``; the rest (``cupy``, ``say_once``,
# ``normalize_device``, the type aliases) serves the package's own modules.
__all__ = [
    "DEVICES",
    "KERNEL_TIERS",
    "MissingExtraWarning",
    "cuda_available",
    "device",
    "get_xp",
    "kernel_tier",
    "numba_available",
    "use_kernels",
    "xp_of",
]

Array = Any  # a NumPy or a CuPy ndarray (the two share one array API)
Pair = tuple[int, int]  # (height, width)
Shape = tuple[int, ...]

DEVICES = ("cpu", "cuda")
"""The device kinds: ``"cpu"`` holds NumPy arrays, ``"cuda"`` CuPy arrays (``"cuda:N"`` names one GPU)."""
KERNEL_TIERS = ("reference", "numpy-simple", "numpy", "numba", "auto")
"""The tiers ``use_kernels`` takes: plain loops, the plain im2col + GEMM convolution, the
vectorized xp code, jitted loops, and the fastest of each kernel (the default)."""

_cupy = None  # the cupy module once imported, False if it cannot be
_said: set[str] = set()  # messages already printed once


class MissingExtraWarning(UserWarning):
    """An optional package is missing; minicnn carries on without it."""


def say_once(key, message, category=MissingExtraWarning):
    """Warn only the first time it matters: about a missing extra, or (``category``) anything
    else worth saying once a process."""
    if key not in _said:
        _said.add(key)
        warnings.warn(message, category, stacklevel=3)


def cupy(needed_by="device 'cuda'"):
    """The CuPy module, or a RuntimeError saying that ``needed_by`` needs it and a GPU, and how
    to get them."""
    global _cupy
    if _cupy is None:
        try:
            import cupy as cp

            cp.cuda.runtime.getDeviceCount()
            _cupy = cp
        except Exception as err:  # ImportError, or CUDA finding no driver/GPU
            _cupy = False
            _cupy_error[0] = f"{type(err).__name__}: {err}"
    if _cupy is False:
        raise RuntimeError(
            f"{needed_by} needs CuPy and an NVIDIA GPU, and this machine has "
            f"none usable ({_cupy_error[0]}). Install the gpu extra with "
            '`pip install -e ".[gpu]"` (CuPy for CUDA 12) on a machine with a GPU, '
            "or keep device='cpu'."
        )
    return _cupy


_cupy_error = ["not tried"]


def cuda_available():
    """True when CuPy imports and sees at least one GPU; ``mc.cuda.is_available()``, PyTorch's name."""
    try:
        cupy()
        return True
    except RuntimeError:
        return False


def normalize_device(device, caller=""):
    """'cpu', 'cuda' or 'cuda:N' -> the device kind, checking the name; ``caller`` (a factory's
    name, "zeros") starts the message where given."""
    name = str(device)
    kind = name.split(":")[0]
    if kind not in DEVICES:
        where = f"{caller}: " if caller else ""
        raise ValueError(f"{where}unknown device {device!r}: expected 'cpu' or 'cuda'")
    return kind


class device(str):  # noqa: N801 (PyTorch's name)
    """A device, as ``torch.device``: ``mc.device("cpu")``, ``mc.device("cuda", 0)``, ``mc.device("cuda:0")``.

    It is the device's name as a str ("cpu", "cuda" or "cuda:N"), so ``.to()`` and every
    ``device=`` take it, and it equals that name; ``.type`` and ``.index`` are PyTorch's.
    """

    def __new__(cls, type, index=None):  # noqa: A002 (PyTorch's argument name)
        name = str(type)
        kind, _, number = name.partition(":")
        if number and not number.isdigit():
            raise ValueError(f"device: invalid device name {name!r}; expected 'cpu', 'cuda' or 'cuda:N'")
        if index is not None:
            if number:
                raise ValueError(
                    f"device: {name!r} holds an index already, and index={index!r} was given too"
                )
            if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
                # NOTE: index.__class__, as ``type`` here is the argument
                raise TypeError(f"device: index must be an int, got {index.__class__.__name__}")
            if index < 0:
                raise ValueError(f"device: index must not be negative, got {index}")
            name = f"{kind}:{int(index)}"
        normalize_device(name)
        return super().__new__(cls, name)

    @property
    def type(self):
        """'cpu' or 'cuda'."""
        return str.__str__(self).partition(":")[0]  # a plain str, not a device

    @property
    def index(self):
        """The N of 'cuda:N', else None."""
        number = str.__str__(self).partition(":")[2]
        return int(number) if number else None

    def __repr__(self):
        index = f", index={self.index}" if self.index is not None else ""
        return f"device(type={self.type!r}{index})"


def get_xp(device):
    """The array module for a device name: numpy for "cpu", cupy for "cuda" (imported then)."""
    return np if normalize_device(device) == "cpu" else cupy()


def is_cupy_array(array):
    if type(array) is np.ndarray:  # (asked of every op's arrays: no string split for these)
        return False
    return type(array).__module__.split(".")[0] == "cupy"


def xp_of(array):
    """The array module (numpy or cupy) that owns ``array``."""
    return cupy() if is_cupy_array(array) else np


def device_of(array):
    return "cuda" if is_cupy_array(array) else "cpu"


def to_device(array, device):
    """Copy an array to ``device`` (no copy if it is already there)."""
    kind = normalize_device(device)
    if kind == device_of(array):
        return array
    if kind == "cuda":
        return cupy().asarray(array)
    return array.get()


# --- kernel tiers -----------------------------------------------------------

_tier = ["auto"]


def kernel_tier():
    """The kernel tier asked for: one of ``KERNEL_TIERS`` ('auto' unless ``use_kernels`` set another)."""
    return _tier[0]


class use_kernels:
    """Switch the kernel tier for every op, globally or for a ``with`` block.

    ``mc.use_kernels("reference")`` switches from now on;
    ``with mc.use_kernels("numpy-simple"): ...`` only inside the block.

    >>> import minicnn as mc
    >>> with mc.use_kernels("reference"):
    ...     mc.backend.kernel_tier()
    'reference'
    """

    def __init__(self, tier):
        if tier not in KERNEL_TIERS:
            raise ValueError(f"use_kernels: unknown tier {tier!r}; expected one of {KERNEL_TIERS}")
        self.previous = _tier[0]
        _tier[0] = tier

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _tier[0] = self.previous
        return False


def numba_available(quiet=False):
    """True when Numba imports; says once what it would add when it does not (unless ``quiet``:
    where the caller refuses to go on without it, "minicnn carries on" would be untrue)."""
    if sys.modules.get("numba") is not None and sys.modules.get("scipy.linalg.cython_blas") is not None:
        return True  # (None there means "blocked", not "imported")
    try:
        import numba  # noqa: F401
    except ImportError:
        if not quiet:
            say_once(
                "numba",
                "Numba is not installed: minicnn uses its vectorized NumPy kernels. "
                '`pip install -e ".[numba]"` adds jitted kernels for convolution, '
                "pooling, LRN, batch norm and ReLU.",
            )
        return False
    try:
        import scipy.linalg.cython_blas  # noqa: F401  # the BLAS Numba's np.dot calls

        return True
    except ImportError:
        if not quiet:
            say_once(
                "scipy",
                "SciPy is not installed: minicnn's Numba kernels multiply matrices through its BLAS, "
                'so minicnn uses its vectorized NumPy kernels. `pip install -e ".[numba]"` adds it.',
            )
        return False
