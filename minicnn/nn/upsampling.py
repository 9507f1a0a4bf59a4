"""Upsampling layers: Upsample, UpsamplingNearest2d and UpsamplingBilinear2d, thin Modules over
``F.interpolate`` (functional/interpolate.py), as PyTorch's: images, and signals where the mode
takes them."""

import numbers

from .. import functional as F
from ..functional.interpolate_args import check_interpolate_args
from .module import Module


class Upsample(Module):
    """Resize images or signals by ``size`` or ``scale_factor``, as ``F.interpolate``: modes
    "nearest", "nearest-exact" and "area" for both, "bilinear" and "bicubic" for images,
    "linear" for signals (the last three with ``align_corners``).

    Shapes: (N, C, H, W) -> (N, C, H_out, W_out), H_out = size[0] or floor(H * scale_factor);
    (N, C, L) -> (N, C, L_out), L_out = size or floor(L * scale_factor).
    A scale_factor is kept as a float (a tuple of floats), as PyTorch keeps it.
    """

    def __init__(
        self, size=None, scale_factor=None, mode="nearest", align_corners=None, recompute_scale_factor=None
    ):
        super().__init__()
        name = type(self).__name__
        if isinstance(scale_factor, tuple):
            scale_factor = tuple(_factor(name, f, scale_factor) for f in scale_factor)
        else:
            # NOTE: PyTorch's float(f) if f else None: a scale_factor of 0 means none
            scale_factor = _factor(name, scale_factor, scale_factor) if scale_factor else None
        check_interpolate_args(name, size, scale_factor, mode, align_corners, recompute_scale_factor)
        self.size, self.scale_factor, self.mode = size, scale_factor, mode
        self.align_corners, self.recompute_scale_factor = align_corners, recompute_scale_factor

    def forward(self, x):
        return F.interpolate(
            x,
            self.size,
            self.scale_factor,
            self.mode,
            self.align_corners,
            recompute_scale_factor=self.recompute_scale_factor,
            name=self._label(),
        )

    def extra_repr(self):
        if self.scale_factor is not None:
            return f"scale_factor={self.scale_factor!r}, mode={self.mode!r}"
        return f"size={self.size!r}, mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """Upsample with mode "nearest": each output pixel copies the input pixel at floor(i * scale).
    As PyTorch's, it takes signals (N, C, L) too, for all its name."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """Upsample with mode "bilinear" and align_corners=True (the corner pixels kept in place);
    images only, as PyTorch's."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)


def _factor(name, f, given):
    """One scale factor as a float; PyTorch's constructor takes a number or a tuple of them."""
    if isinstance(f, bool) or not isinstance(f, numbers.Real):
        raise TypeError(f"{name}: scale_factor must be a number or a tuple of numbers, got {given!r}")
    return float(f)
