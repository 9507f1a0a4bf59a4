"""The arguments of ``interpolate`` and ``nn.Upsample``, checked as PyTorch checks them: the
mode, align_corners, antialias, and size or scale_factor as one number per spatial axis of the
input, L of a batch of signals (N, C, L) or (H, W) of a batch of images (N, C, H, W).

Each mode takes the input ranks PyTorch's does: "linear" signals only, "bilinear" and
"bicubic" images only, "nearest", "nearest-exact" and "area" both. A Module, which has no
input yet, checks what it can when it is made: a size or scale_factor of a length no input
of its mode could take is refused there.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from .checks import as_int

MODES = ("nearest", "nearest-exact", "linear", "bilinear", "bicubic", "area")
_PYTORCH_ONLY = ("trilinear", "lanczos")  # PyTorch's other modes
_INTERPOLATING = ("linear", "bilinear", "bicubic")  # the modes that take align_corners
# the spatial axes each mode takes (1: signals (N, C, L), 2: images (N, C, H, W)); others take both
_MODE_DIMS = {"linear": (1,), "bilinear": (2,), "bicubic": (2,)}
_SIZES = {
    1: "the 1 size (L_out) of a 3-D input's output",
    2: "the 2 sizes (H_out, W_out) of a 4-D input's output",
}
_FACTORS = {
    1: "the 1 spatial factor (for L) of 3-D input",
    2: "the 2 spatial factors (for H and W) of 4-D input",
}
_TUPLES = {(1,): "a 1-tuple", (2,): "a pair", (1, 2): "a 1-tuple or a pair"}
_LAYOUTS = {1: "3-D input (N, C, L)", 2: "4-D input (N, C, H, W)"}


def check_interpolate_args(
    name: str,
    size: Any,
    scale_factor: Any,
    mode: Any,
    align_corners: Any,
    recompute_scale_factor: Any,
    antialias: Any = False,
    shape: tuple[int, ...] | None = None,
) -> tuple[tuple[int, ...] | None, tuple[float, ...] | None]:
    """PyTorch's checks of the arguments, for an input of ``shape`` where one is given
    (nn.Upsample runs them once without it). Returns (size, scale_factor), one of them None,
    as tuples of one number per spatial axis (of the length given where there is no shape)."""
    if mode not in MODES:
        if mode in _PYTORCH_ONLY:
            raise NotImplementedError(f"{name}: mode {mode!r} is not implemented; minicnn has {MODES}")
        raise ValueError(f"{name}: mode must be one of {MODES}, got {mode!r}")
    if mode not in _INTERPOLATING and align_corners is not None:
        raise ValueError(
            f"{name}: align_corners can only be set with the interpolating modes 'linear', 'bilinear' "
            f"and 'bicubic', got mode {mode!r}"
        )
    if align_corners is not None and not isinstance(align_corners, (bool, np.bool_)):
        raise TypeError(f"{name}: align_corners must be True, False or None, got {align_corners!r}")
    if size is not None and scale_factor is not None:
        raise ValueError(f"{name}: only one of size or scale_factor should be defined")
    if size is None and scale_factor is None:
        raise ValueError(f"{name}: either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError(f"{name}: recompute_scale_factor is not meaningful with an explicit size")
    if antialias:
        # PyTorch checks this before the input's rank against the mode: a signal gets a ValueError
        if mode not in ("bilinear", "bicubic") or (shape is not None and len(shape) != 4):
            got = f"mode {mode!r}" + ("" if shape is None else f" and shape {shape}")
            raise ValueError(
                f"{name}: antialias is restricted to bilinear and bicubic modes (and PyTorch's lanczos) "
                f"on {_LAYOUTS[2]}, got {got}"
            )
    lengths = _MODE_DIMS.get(mode, (1, 2)) if shape is None else (_spatial_dims(name, shape, mode),)
    if size is not None:
        return _sizes(name, size, lengths, mode, shape), None
    return None, _factors(name, scale_factor, lengths, mode, shape)


def _spatial_dims(name: str, shape: tuple[int, ...], mode: str) -> int:
    """1 for a batch of signals (N, C, L), 2 for a batch of images (N, C, H, W), where the mode
    takes it; PyTorch's NotImplementedError otherwise."""
    dims = len(shape) - 2
    if dims not in (1, 2):
        hint = {
            0: "; as PyTorch's, it takes no unbatched input: add a batch axis with x.unsqueeze(0)",
            3: "; PyTorch's 5-D input (volumes, mode 'trilinear') is not implemented",
        }.get(dims, "")
        raise NotImplementedError(f"{name}: expected {_LAYOUTS[1]} or {_LAYOUTS[2]}, got shape {shape}{hint}")
    if dims not in _MODE_DIMS.get(mode, (dims,)):
        other = "bilinear" if dims == 2 else "linear"
        raise NotImplementedError(
            f"{name}: mode {mode!r} needs {_LAYOUTS[3 - dims]}, got {dims + 2}-D input of shape {shape}; "
            f"mode {other!r} resizes {_LAYOUTS[dims]}"
        )
    return dims


def _given_for(mode: str, shape: Any) -> str:
    """Why a length was wanted, where no input says it: the mode's rank."""
    return (
        f" (mode {mode!r} takes {_LAYOUTS[_MODE_DIMS[mode][0]]})"
        if shape is None and mode in _MODE_DIMS
        else ""
    )


def _sizes(name: str, size: Any, lengths: tuple[int, ...], mode: str, shape: Any) -> tuple[int, ...]:
    kinds = f"an int or {_TUPLES[lengths]} of ints"
    if isinstance(size, (tuple, list)):
        if len(size) not in lengths:
            wanted = " or ".join(_SIZES[n] for n in lengths)
            raise ValueError(f"{name}: size must give {wanted}{_given_for(mode, shape)}, got {size!r}")
        sizes = tuple(as_int(s) for s in size)
    else:
        sizes = (as_int(size),) * lengths[-1]
    if any(s is None for s in sizes):
        raise TypeError(f"{name}: size must be {kinds}, got {size!r}")
    return sizes  # type: ignore[return-value]  # no None left


def _factors(
    name: str, scale_factor: Any, lengths: tuple[int, ...], mode: str, shape: Any
) -> tuple[float, ...]:
    if isinstance(scale_factor, (tuple, list)):
        if len(scale_factor) not in lengths:
            wanted = " or ".join(_FACTORS[n] for n in lengths)
            raise ValueError(
                f"{name}: scale_factor must give {wanted}{_given_for(mode, shape)}, got {scale_factor!r}"
            )
        scales = tuple(scale_factor)
    else:
        scales = (scale_factor,) * lengths[-1]
    if not all(isinstance(s, numbers.Real) and not isinstance(s, (bool, np.bool_)) for s in scales):
        raise TypeError(
            f"{name}: scale_factor must be a number or {_TUPLES[lengths]} of numbers, got {scale_factor!r}"
        )
    if not all(math.isfinite(s) for s in scales):
        raise ValueError(f"{name}: scale_factor must be finite, got {scale_factor!r}")
    return tuple(float(s) for s in scales)
