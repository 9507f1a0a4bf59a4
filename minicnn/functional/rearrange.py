"""Ops that move values between the channels and the positions, or split one dim into several:
pixel_shuffle and pixel_unshuffle (sub-pixel convolution, Shi et al. 2016), channel_shuffle
(ShuffleNet, Zhang et al. 2018) and unflatten.

Each is a reshape, a transpose and a reshape, so each output value is one input value and
the backward is the inverse rearrangement: pixel_shuffle's is pixel_unshuffle (and back),
channel_shuffle's is channel_shuffle with the other factor of C, unflatten's is a reshape.
Any dtype goes through, as in PyTorch: nothing is computed.
"""

from __future__ import annotations

import math
from typing import Any

from ..tensor import Function, Tensor
from .checks import as_int, check_tensor, type_name, wrap_dim
from .shape import reshape


def shuffle_pixels(a: Any, r: int) -> Any:
    """(*, C r^2, H, W) -> (*, C, H r, W r):  y[..., c, h r + i, w r + j] = x[..., c r^2 + i r + j, h, w]."""
    *lead, c, h, w = a.shape
    k = len(lead)
    a = a.reshape(*lead, c // (r * r), r, r, h, w)  # (*, C, i, j, H, W)
    a = a.transpose(*range(k), k, k + 3, k + 1, k + 4, k + 2)  # (*, C, H, i, W, j)
    return a.reshape(*lead, c // (r * r), h * r, w * r)


def unshuffle_pixels(a: Any, r: int) -> Any:
    """(*, C, H r, W r) -> (*, C r^2, H, W), the inverse of ``shuffle_pixels``."""
    *lead, c, hr, wr = a.shape
    k = len(lead)
    a = a.reshape(*lead, c, hr // r, r, wr // r, r)  # (*, C, H, i, W, j)
    a = a.transpose(*range(k), k, k + 2, k + 4, k + 1, k + 3)  # (*, C, i, j, H, W)
    return a.reshape(*lead, c * r * r, hr // r, wr // r)


def shuffle_channels(a: Any, groups: int) -> Any:
    """(N, C, *) with C = g k: channel i k + j goes to j g + i (the (g, k) grid transposed)."""
    n, c, *rest = a.shape
    a = a.reshape(n, groups, c // groups, *rest)
    return a.swapaxes(1, 2).reshape(n, c, *rest)


class PixelShuffle(Function):
    """y[..., c, h r + i, w r + j] = x[..., c r^2 + i r + j, h, w].   gx = pixel_unshuffle(gy, r)."""

    def forward(self, x, *, r):
        self.r = r
        return shuffle_pixels(x, r)

    def backward(self, gy):
        return unshuffle_pixels(gy, self.r)


class PixelUnshuffle(Function):
    """y[..., c r^2 + i r + j, h, w] = x[..., c, h r + i, w r + j].   gx = pixel_shuffle(gy, r)."""

    def forward(self, x, *, r):
        self.r = r
        return unshuffle_pixels(x, r)

    def backward(self, gy):
        return shuffle_pixels(gy, self.r)


class ChannelShuffle(Function):
    """y[:, j g + i] = x[:, i k + j], C = g k.   gx = the same with g and k swapped, which undoes it."""

    def forward(self, x, *, groups):
        self.groups = groups
        return shuffle_channels(x, groups)

    def backward(self, gy):
        return shuffle_channels(gy, gy.shape[1] // self.groups)


def _factor(name: str, what: str, r: Any) -> int:
    """An upscale or downscale factor, or the number of groups: a positive int (PyTorch's words)."""
    n = as_int(r)
    if n is None:
        raise TypeError(f"{name}: {what} must be an int, got {type_name(r)} {r!r}")
    if n < 1:
        raise ValueError(f"{name}: expects a positive {what}, but got {n}")
    return n


def _check_pixels(name: str, input: Any, what: str, r: Any) -> int:
    check_tensor(name, "input", input)
    r = _factor(name, what, r)
    if input.ndim < 3:
        raise ValueError(
            f"{name}: expects input to have at least 3 dimensions (*, C, H, W), got {tuple(input.shape)}"
        )
    return r


def pixel_shuffle(input: Tensor, upscale_factor: int, *, name: str = "pixel_shuffle") -> Tensor:
    """Rearrange (*, C r^2, H, W) into (*, C, H r, W r), r = ``upscale_factor``, as PyTorch:
    each group of r^2 channels becomes one channel's r x r blocks,
    y[..., c, h r + i, w r + j] = x[..., c r^2 + i r + j, h, w].
    A convolution to C r^2 channels followed by this is the sub-pixel convolution of
    Shi et al. (2016), an upsampling layer learned without transposed convolutions.

    Shapes: (*, C r^2, H, W) -> (*, C, H r, W r).

    >>> import minicnn as mc, minicnn.functional as F
    >>> F.pixel_shuffle(mc.arange(4.0).reshape(1, 4, 1, 1), 2).tolist()
    [[[[0.0, 1.0], [2.0, 3.0]]]]
    """
    r = _check_pixels(name, input, "upscale_factor", upscale_factor)
    c = input.shape[-3]
    if c % (r * r):
        raise ValueError(
            f"{name}: expects its input's channel dimension (-3) to be divisible by the square of "
            f"upscale_factor, {r * r}, got {c} channel(s); input {tuple(input.shape)}"
        )
    return PixelShuffle.apply(input, r=r)


def pixel_unshuffle(input: Tensor, downscale_factor: int, *, name: str = "pixel_unshuffle") -> Tensor:
    """The inverse of ``pixel_shuffle``, as PyTorch: each r x r block of a channel becomes r^2
    channels, y[..., c r^2 + i r + j, h, w] = x[..., c, h r + i, w r + j], r = ``downscale_factor``
    (a space-to-depth step: the resolution traded for channels, nothing lost).

    Shapes: (*, C, H r, W r) -> (*, C r^2, H, W).

    >>> import minicnn as mc, minicnn.functional as F
    >>> F.pixel_unshuffle(mc.arange(4.0).reshape(1, 1, 2, 2), 2).flatten().tolist()
    [0.0, 1.0, 2.0, 3.0]
    """
    r = _check_pixels(name, input, "downscale_factor", downscale_factor)
    for axis, what in ((-2, "height"), (-1, "width")):
        if input.shape[axis] % r:
            raise ValueError(
                f"{name}: expects {what} to be divisible by downscale_factor {r}, got "
                f"{input.shape[axis]}; input {tuple(input.shape)}"
            )
    return PixelUnshuffle.apply(input, r=r)


def channel_shuffle(input: Tensor, groups: int, *, name: str = "channel_shuffle") -> Tensor:
    """ShuffleNet's channel shuffle (Zhang et al. 2018), as PyTorch: the C = g k channels seen as
    a (g, k) grid, transposed, and read out again, so that y[:, j g + i] = x[:, i k + j]: after
    a grouped convolution, the next one's every group receives channels from every group.

    Shapes: (N, C, *) with at least one dim after C -> the same (PyTorch refuses (N, C)).

    >>> import minicnn as mc, minicnn.functional as F
    >>> F.channel_shuffle(mc.arange(6.0).reshape(1, 6, 1), 2).flatten().tolist()
    [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]
    """
    check_tensor(name, "input", input)
    groups = _factor(name, "number of groups", groups)
    if input.ndim < 3:
        raise ValueError(
            f"{name}: expects input with more than 2 dims (N, C, *), got shape {tuple(input.shape)}"
        )
    if input.shape[1] % groups:
        raise ValueError(
            f"{name}: the number of channels must be divisible by groups, got {input.shape[1]} "
            f"channel(s) and {groups} groups; input {tuple(input.shape)}"
        )
    return ChannelShuffle.apply(input, groups=groups)


def unflattened_sizes(name: str, sizes: Any) -> tuple[int, ...]:
    """``unflattened_size`` as PyTorch takes it: a tuple or list of ints (a torch.Size is one)."""
    if not isinstance(sizes, (tuple, list)):
        raise TypeError(
            f"{name}: unflattened_size must be a tuple of ints, but found type {type_name(sizes)}"
        )
    for i, n in enumerate(sizes):
        if as_int(n) is None:
            raise TypeError(
                f"{name}: unflattened_size must be a tuple of ints, but found element of type "
                f"{type_name(n)} at pos {i}"
            )
    return tuple(int(n) for n in sizes)


def unflatten(input: Tensor, dim: int, sizes: Any, *, name: str = "unflatten") -> Tensor:
    """Split dim ``dim`` of ``input`` into ``sizes``, as ``torch.unflatten``: the inverse of
    ``flatten(start_dim=dim, end_dim=dim + len(sizes) - 1)``. One size may be -1, inferred.

    Shapes: (*, n, *) -> (*, *sizes, *), prod(sizes) = n.

    >>> import minicnn as mc, minicnn.functional as F
    >>> F.unflatten(mc.zeros(4, 6), 1, (2, -1)).shape
    (4, 2, 3)
    """
    check_tensor(name, "input", input)
    sizes = unflattened_sizes(name, sizes)
    if input.ndim == 0:
        raise IndexError(f"{name}: a 0-d input has no dim to split")
    dim = wrap_dim(name, dim, input.ndim)
    n = input.shape[dim]
    if not sizes:
        raise ValueError(f"{name}: sizes must be non-empty")
    if sizes.count(-1) > 1 or min(sizes) < -1:
        raise ValueError(f"{name}: sizes {sizes} may hold one -1 (inferred), and other sizes >= 0")
    known = math.prod(s for s in sizes if s != -1)
    if (n != known) if -1 not in sizes else (known == 0 or n % known):
        raise ValueError(
            f"{name}: sizes {sizes} don't multiply up to the size of dim {dim} ({n}) of input "
            f"{tuple(input.shape)}"
        )
    sizes = tuple(n // known if s == -1 else s for s in sizes)
    return reshape(input, input.shape[:dim] + sizes + input.shape[dim + 1 :])
