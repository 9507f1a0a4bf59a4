"""Layers that only move values: PixelShuffle and PixelUnshuffle (sub-pixel convolution),
ChannelShuffle (ShuffleNet) and Unflatten, each a thin Module over ``F`` as PyTorch's."""

from __future__ import annotations

from .. import functional as F
from ..functional.checks import as_int, positive_int, type_name
from ..functional.rearrange import unflattened_sizes
from .module import Module


class PixelShuffle(Module):
    """(*, C r^2, H, W) -> (*, C, H r, W r), as ``F.pixel_shuffle``: after a convolution to
    C r^2 channels, an upsampling by r learned at the low resolution (Shi et al. 2016).

    Shapes: (*, C r^2, H, W) -> (*, C, H r, W r).

    >>> import minicnn as mc
    >>> from minicnn import nn
    >>> nn.PixelShuffle(3)(mc.zeros(1, 18, 4, 4)).shape
    (1, 2, 12, 12)
    """

    def __init__(self, upscale_factor):
        super().__init__()
        self.upscale_factor = positive_int("PixelShuffle", "upscale_factor", upscale_factor)

    def forward(self, x):
        return F.pixel_shuffle(x, self.upscale_factor, name=self._label())

    def extra_repr(self):
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """(*, C, H r, W r) -> (*, C r^2, H, W), as ``F.pixel_unshuffle``: PixelShuffle undone.

    Shapes: (*, C, H r, W r) -> (*, C r^2, H, W).
    """

    def __init__(self, downscale_factor):
        super().__init__()
        self.downscale_factor = positive_int("PixelUnshuffle", "downscale_factor", downscale_factor)

    def forward(self, x):
        return F.pixel_unshuffle(x, self.downscale_factor, name=self._label())

    def extra_repr(self):
        return f"downscale_factor={self.downscale_factor}"


class ChannelShuffle(Module):
    """ShuffleNet's channel shuffle, as ``F.channel_shuffle``: the channels as a (groups, C/groups)
    grid, transposed, so that the next grouped convolution mixes every group's channels.

    Shapes: (N, C, *) -> the same.
    """

    def __init__(self, groups):
        super().__init__()
        self.groups = positive_int("ChannelShuffle", "groups", groups)

    def forward(self, x):
        return F.channel_shuffle(x, self.groups, name=self._label())

    def extra_repr(self):
        return f"groups={self.groups}"


class Unflatten(Module):
    """Split dim ``dim`` into ``unflattened_size``, as ``F.unflatten``: Flatten's inverse,
    e.g. a linear layer's (N, C*H*W) back to (N, C, H, W) in a decoder. One size may be -1.

    Shapes: (*, prod(unflattened_size), *) -> (*, *unflattened_size, *). The sizes are
    Python ints (a NumPy integer is refused, as by PyTorch's layer; ``F.unflatten`` takes it).

    >>> import minicnn as mc
    >>> from minicnn import nn
    >>> nn.Unflatten(1, (2, 3))(mc.zeros(4, 6)).shape
    (4, 2, 3)
    """

    def __init__(self, dim, unflattened_size):
        super().__init__()
        if as_int(dim) is None:
            raise TypeError(f"Unflatten: dim must be an int, got {type_name(dim)} {dim!r}")
        unflattened_sizes("Unflatten", unflattened_size)
        for i, n in enumerate(unflattened_size):  # (the layer takes Python ints only, as PyTorch's)
            if not isinstance(n, int):
                raise TypeError(
                    f"Unflatten: unflattened_size must be a tuple of ints, but found element of type "
                    f"{type_name(n)} at pos {i}"
                )
        self.dim, self.unflattened_size = int(dim), unflattened_size

    def forward(self, x):
        return F.unflatten(x, self.dim, self.unflattened_size, name=self._label())

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
