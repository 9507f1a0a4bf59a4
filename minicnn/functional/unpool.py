"""Max unpooling: each value written back where a max pool found it, zeros elsewhere.

The indices are those of ``max_pool2d(..., return_indices=True)``: the flat position of each
window's maximum in its (H, W) plane. ``max_unpool2d`` is PyTorch's: a scatter that writes
each input value at its index. Where overlapping windows (3x3, stride 2, as AlexNet's) share a
maximum, several values name one cell and only one of them stays, the last written. That is
exact for the pool's own output, whose windows all hold that same maximum, so unpooling the
pool keeps its maxima in place and zeros the rest; SegNet's decoder (Badrinarayanan et al.
2017) unpools this way with its encoder's indices. Zeiler and Fergus's deconvnet (2014, section
2.1) also records the maxima's places ("switches"), but unpools a reconstruction coming down
from the layer above, which differs from window to window; there the values meeting at one
switch add up, as in max pooling's backward (Simonyan et al. 2014, section 4, show the
deconvnet's unpooling is that backward). A deconvnet over overlapping pools routes its signal
through the pool's backward (``y.backward(signal)`` and read ``x.grad``), not through this op.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from .. import backend
from ..tensor import Function, Tensor
from .checks import AXES, check_device, check_nchw, check_not_empty, check_tensor, ints
from .pooling import NoCells
from .shape import squeeze, unsqueeze


class MaxUnpool2d(Function):
    """y = zeros (N, C, OH, OW) with each x written at its index (h*OW + w in its plane).
    gx = gy read at the same indices (PyTorch's, also where two indices coincide).
    """

    def forward(self, x, indices, *, output_size):
        xp = backend.xp_of(x)
        planes = x.shape[0] * x.shape[1]
        self.indices, self.x_shape = (indices if self.needs_grad[0] else None), x.shape
        y = xp.zeros((planes, output_size[0] * output_size[1]), dtype=x.dtype)
        # NOTE: where indices repeat (overlapping pool windows), the last write stays, as in
        # PyTorch's loop: right for the pool's own maxima (the same value each time), not a sum
        # NOTE: sizes written out, not -1: NumPy cannot infer a -1 beside an empty batch
        cells = x.shape[2] * x.shape[3]
        y[xp.arange(planes)[:, None], indices.reshape(planes, cells)] = x.reshape(planes, cells)
        return y.reshape(x.shape[:2] + tuple(output_size))

    def backward(self, gy):
        N, C, H, W = self.x_shape
        gy = gy.reshape(N * C, gy.shape[2] * gy.shape[3])
        gx = self.xp.take_along_axis(gy, self.indices.reshape(N * C, H * W), axis=1)
        return gx.reshape(self.x_shape), None


def max_unpool2d(
    x: Tensor,
    indices: Tensor,
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] | None = None,
    padding: int | tuple[int, int] = 0,
    output_size: tuple[int, ...] | None = None,
    *,
    name: str = "max_unpool2d",
) -> Tensor:
    """The inverse of ``max_pool2d`` on its maxima, as ``torch.nn.functional.max_unpool2d``:
    zeros, with each value of x written at its index, so ``max_unpool2d(*max_pool2d(x, k,
    return_indices=True), k)`` keeps x's maxima in place and zeros the rest.

    Args:
        x: Tensor (N, C, H, W) (a max pool's output), or one image (C, H, W).
        indices: int64 Tensor of x's shape, each the flat position h*OW + w in its output plane
            (what ``max_pool2d(..., return_indices=True)`` gives).
        kernel_size: the max pool's window, an int or (kH, kW).
        stride: the max pool's step, an int or a pair; None means kernel_size.
        padding: the max pool's padding, an int or a pair.
        output_size: (OH, OW), or (N, C, OH, OW) as PyTorch takes; None gives the formula's.
            A pool rounds its size down, so several input sizes pool to one: give the one
            pooled to get it back. A size of 0 gives an empty output, as PyTorch (its
            gradient is 0, and the indices, pointing nowhere, are not read).
    Shapes:
        y (N, C, OH, OW), OH = (H - 1)*stride - 2*padding + kH by default; output_size may
        differ from it by less than the stride, as in PyTorch.

    >>> import minicnn as mc, minicnn.functional as F
    >>> x = mc.tensor([[[[1.0, 2.0], [4.0, 3.0]]]])
    >>> y, indices = F.max_pool2d(x, 2, return_indices=True)
    >>> F.max_unpool2d(y, indices, 2).tolist()
    [[[[0.0, 0.0], [4.0, 0.0]]]]
    """
    check_tensor(name, "x", x)
    if x.ndim in (3, 4):  # NOTE: as PyTorch, dims 1 on: an empty batch, or one image of 0 channels
        check_not_empty(name, x, tuple(range(1, x.ndim)))
    if x.ndim == 3:  # one image, as PyTorch takes it
        check_tensor(name, "indices", indices)
        one = unsqueeze(indices, 0) if indices.ndim == 3 else indices
        return squeeze(_unpool(unsqueeze(x, 0), one, kernel_size, stride, padding, output_size, name), 0)
    return _unpool(x, indices, kernel_size, stride, padding, output_size, name)


def _unpool(x, indices, kernel_size, stride, padding, output_size, name):
    """max_unpool2d of an (N, C, H, W) batch."""
    check_nchw(name, x)
    kernel_size, stride, padding = unpool_args(name, kernel_size, stride, padding)
    size = unpool_size(name, x.shape, kernel_size, stride, padding, output_size)
    check_indices(name, x, indices, size)
    if 0 in size:  # a plane of no cells: nowhere to write, as PyTorch's empty output
        return NoCells.apply(x, shape=x.shape[:2] + size)
    return MaxUnpool2d.apply(x, indices, output_size=size)


def unpool_args(name: str, kernel_size: Any, stride: Any, padding: Any, dims: int = 2) -> tuple:
    """(kernel_size, stride, padding), each a tuple of ``dims`` ints (stride None: kernel_size),
    checked: kernel_size and stride positive, padding not negative (MaxUnpool2d's and the 1-D's)."""
    kernel_size = ints(kernel_size, dims, f"{name}: kernel_size")
    stride = kernel_size if stride is None else ints(stride, dims, f"{name}: stride")
    padding = ints(padding, dims, f"{name}: padding")
    if min(kernel_size) <= 0 or min(stride) <= 0 or min(padding) < 0:
        raise ValueError(
            f"{name}: kernel_size and stride must be positive and padding non-negative, got "
            f"kernel_size {kernel_size}, stride {stride}, padding {padding}"
        )
    return kernel_size, stride, padding


# what output_size may be, and the letter of the unpooled size's formula, by the number of dims
_SIZES = {1: ("(L,) or (N, C, L)", "L"), 2: ("(OH, OW) or (N, C, OH, OW)", "H")}


def unpool_size(name, x_shape, kernel_size, stride, padding, output_size):
    """The unpooled sizes of x's last len(kernel_size) dims: the formula's, or output_size where
    it is within a stride of it (PyTorch's rule)."""
    dims = len(kernel_size)
    default = [(n - 1) * s - 2 * p + k for n, k, s, p in zip(x_shape[-dims:], kernel_size, stride, padding)]
    if output_size is None:
        size = default
    else:
        given = tuple(output_size) if isinstance(output_size, (tuple, list)) else ()
        if len(given) not in (dims, dims + 2) or not all(isinstance(n, numbers.Integral) for n in given):
            raise ValueError(f"{name}: output_size must be {_SIZES[dims][0]}, got {output_size!r}")
        size = [int(n) for n in given[-dims:]]
        for axis, n, d, s, k, p, h in zip(
            AXES[dims], size, default, stride, kernel_size, padding, x_shape[-dims:]
        ):
            if not d - s < n < d + s:
                raise ValueError(
                    f"{name}: output_size {tuple(given)} disagrees with the pooled {axis} {h}: "
                    f"({h} - 1)*{s} - 2*{p} + {k} = {d}, so {axis} must be between {d - s} and "
                    f"{d + s} (exclusive), got {n}"
                )
    if min(size) < 0:
        raise ValueError(
            f"{name}: the unpooled size ({_SIZES[dims][1]} - 1)*stride - 2*padding + kernel_size of x "
            f"{x_shape} is {tuple(size)}; it must not be negative"
        )
    return tuple(size)


def check_indices(name, x, indices, size):
    """indices: an int64 Tensor of x's shape, on its device, each inside the unpooled ``size``."""
    check_tensor(name, "indices", indices)
    if indices.dtype != "int64":
        pool = f"max_pool{len(size)}d"
        raise TypeError(f"{name}: indices must be an int64 tensor (as {pool} gives), got {indices.dtype}")
    if indices.shape != x.shape:
        raise ValueError(f"{name}: indices must have x's shape {x.shape}, got {indices.shape}")
    check_device(name, x, "indices", indices)
    cells = math.prod(size)
    if indices.data.size and cells:  # (a plane of no cells takes no value: PyTorch reads none)
        lo, hi = int(indices.data.min()), int(indices.data.max())
        if lo < 0 or hi >= cells:
            where = (
                f"the {size[0]} x {size[1]} output plane"
                if len(size) == 2
                else f"the output of length {cells}"
            )
            raise IndexError(f"{name}: index {lo if lo < 0 else hi} is outside {where} (0 to {cells - 1})")
