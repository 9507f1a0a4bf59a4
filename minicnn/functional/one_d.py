"""1-D convolution and pooling: the 2-D ops on signals laid out as images one row high.

A batch of signals x (N, C, L) is the batch of images (N, C, 1, L), and a 1-D weight
(O, C/groups, K) is the 2-D weight (O, C/groups, 1, K). Along the height nothing moves
(kernel 1, stride 1, padding 0, dilation 1), so the 2-D convolution's sum at output
(i, j) = (0, i) keeps its width terms alone:

    y[n, o, i] = b[o] + sum_{c < C/groups, u < K} W[o, c, u] x[n, g*C/groups + c, i*s - p + u*d]

(g = o's group), which is conv1d's; and a 2-D pool's (1, k) window at (0, i) holds the
cells i*s - p + u*d, u < k, of the row: max_pool1d's and avg_pool1d's window. So each op
checks its arguments in 1-D words (``checks.ints(v, 1)``: an int or a 1-tuple, as PyTorch's),
views x (and the weight) as (N, C, 1, L) with ``unsqueeze(x, 2)``, calls the 2-D op, and
takes the row axis off its result with ``squeeze(y, 2)``. The gradients come back through
the same two views (their backward only reshapes), so these ops have no kernel of their own:
the 2-D ops' kernels, on every tier, and their tests against the reference loops cover the
arithmetic. A max pool's indices, h*W + w in the 2-D op's plane, are with h = 0 the position
in the signal, PyTorch's 1-D convention; so max_unpool1d is max_unpool2d of the same view.
"""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from .checks import (
    check_conv_args,
    check_conv_transpose_args,
    check_float,
    check_max_pool_args,
    check_nchw,
    check_not_empty,
    check_pool_args,
    check_tensor,
)
from .conv import _check_conv_inputs, _named_padding, conv2d
from .conv_transpose import _check_conv_transpose_inputs, conv_transpose2d
from .pooling import (
    _adaptive_max_pool2d,
    _adaptive_size,
    _check_pool_input,
    adaptive_avg_pool2d,
    avg_pool2d,
    max_pool2d,
)
from .shape import one_image_too, squeeze, unsqueeze
from .unpool import check_indices, max_unpool2d, unpool_args, unpool_size


def _image(x: Tensor) -> Tensor:
    """(N, C, L) as the images (N, C, 1, L); a weight (O, C/groups, K) as (O, C/groups, 1, K)."""
    return unsqueeze(x, 2)


def _signal(out: Any) -> Any:
    """A 2-D op's (N, C, 1, L) result as (N, C, L): y, or each of (y, indices)."""
    return tuple(squeeze(t, 2) for t in out) if isinstance(out, tuple) else squeeze(out, 2)


@one_image_too(image_ndim=2)
def conv1d(
    x: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
    *,
    name: str = "conv1d",
) -> Tensor:
    """1-D convolution of a batch of signals, as ``torch.nn.functional.conv1d``: ``conv2d``
    on x (N, C_in, 1, L) and the weight (C_out, C_in/groups, 1, kL).

    Args:
        x: input Tensor (N, C_in, L), or one signal (C_in, L) (then y has no N either).
        weight: Tensor (C_out, C_in / groups, kL).
        bias: optional Tensor (C_out,).
        stride, padding, dilation: int or 1-tuple; padding adds zeros at both ends, or is
            "valid" (none) or "same" (stride 1 only: y as long as x), as ``conv2d``'s.
        groups: split channels into this many independent convolutions.
        name: the layer named in error messages.
    Shapes:
        y (N, C_out, L_out), L_out = floor((L + 2*padding - dilation*(kL - 1) - 1) / stride) + 1.
        y[n, o, i] = b[o] + sum over c, u of W[o, c, u] x[n, g*C_in/groups + c, i*s - p + u*d]
        (s, p, d: stride, padding, dilation; g: o's group).

    >>> import minicnn as mc, minicnn.functional as F
    >>> x = mc.tensor([[[1.0, 2.0, 3.0, 4.0]]])
    >>> F.conv1d(x, mc.tensor([[[1.0, -1.0]]])).tolist()   # differences of neighbours
    [[[-1.0, -1.0, -1.0]]]
    >>> F.conv1d(mc.zeros(2, 3, 10), mc.zeros(4, 3, 3), stride=2, padding=1).shape
    (2, 4, 5)
    """
    (s,), padding, (d,) = check_conv_args(name, stride, padding, dilation, groups, dims=1)
    check_float(name, "weight", weight)
    pads = _named_padding(padding, weight.shape[2:], (d,))[0] if isinstance(padding, str) else padding
    _check_conv_inputs(name, x, weight, bias, (s,), pads, (d,), groups)
    wide = padding if isinstance(padding, str) else (0, padding[0])  # "same" and "valid" as they are
    return _signal(conv2d(_image(x), _image(weight), bias, (1, s), wide, (1, d), groups, name=name))


@one_image_too(image_ndim=2)
def conv_transpose1d(
    x: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
    *,
    name: str = "conv_transpose1d",
) -> Tensor:
    """1-D transposed convolution, as ``torch.nn.functional.conv_transpose1d``: the input
    gradient of ``conv1d(., weight)``, computed as ``conv_transpose2d`` on x (N, C_in, 1, L)
    and the weight (C_in, C_out/groups, 1, kL).

    Args:
        x: input Tensor (N, C_in, L), or one signal (C_in, L).
        weight: Tensor (C_in, C_out / groups, kL), the convolution's (out, in) swapped.
        bias: optional Tensor (C_out,).
        stride, padding, dilation: int or 1-tuple, those of the convolution whose input
            gradient this is: padding crops that many cells off each end.
        output_padding: int or 1-tuple, cells added at the end; smaller than stride or dilation.
        groups: independent transposed convolutions (PyTorch's order: groups before dilation).
        name: the layer named in error messages.
    Shapes:
        y (N, C_out, L_out),
        L_out = (L - 1)*stride - 2*padding + dilation*(kL - 1) + output_padding + 1.

    >>> import minicnn as mc, minicnn.functional as F
    >>> F.conv_transpose1d(mc.zeros(2, 4, 8), mc.zeros(4, 3, 4), stride=2, padding=1).shape
    (2, 3, 16)
    """
    geometry = check_conv_transpose_args(name, stride, padding, output_padding, dilation, groups, dims=1)
    _check_conv_transpose_inputs(name, x, weight, bias, *geometry, groups)
    (s,), (p,), (op,), (d,) = geometry
    y = conv_transpose2d(_image(x), _image(weight), bias, (1, s), (0, p), (0, op), groups, (1, d), name=name)
    return _signal(y)


@one_image_too(image_ndim=2)
def max_pool1d(
    x: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
    *,
    name: str = "max_pool1d",
) -> Any:
    """Max over each window of a signal, as ``torch.nn.functional.max_pool1d``: ``max_pool2d``
    of x (N, C, 1, L) with a (1, k) window.

    Args:
        x: Tensor (N, C, L), or one signal (C, L).
        kernel_size, stride, padding, dilation: int or 1-tuple; stride None means kernel_size;
            padding at most half of kernel_size (padded cells never win); the window's taps
            lie dilation cells apart.
        ceil_mode: round the output length up (a last partial window), as PyTorch.
        return_indices: also return where each maximum was: int64, its position in x's L.
        name: the layer named in error messages.
    Shapes:
        y (N, C, L_out), L_out = floor((L + 2*padding - dilation*(k - 1) - 1) / stride) + 1
        (ceil with ceil_mode);
        y[n, c, i] = max over u < k of x[n, c, i*stride - padding + u*dilation].

    >>> import minicnn as mc, minicnn.functional as F
    >>> y, indices = F.max_pool1d(mc.tensor([[[1.0, 3.0, 2.0, 0.0, 5.0]]]), 2, return_indices=True)
    >>> y.tolist(), indices.tolist()
    ([[[3.0, 2.0]]], [[[1, 2]]])
    """
    (k,), (s,), (p,), (d,) = check_max_pool_args(name, kernel_size, stride, padding, dilation, dims=1)
    _check_pool_input(name, x, (k,), (s,), (p,), (d,), ceil_mode)
    return _signal(
        max_pool2d(_image(x), (1, k), (1, s), (0, p), (1, d), ceil_mode, return_indices, name=name)
    )


@one_image_too(image_ndim=2)
def avg_pool1d(
    x: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    *,
    name: str = "avg_pool1d",
) -> Tensor:
    """Mean over each window of a signal, as ``torch.nn.functional.avg_pool1d``: ``avg_pool2d``
    of x (N, C, 1, L) with a (1, k) window.

    Args:
        x, kernel_size, stride, padding, ceil_mode, name: as in ``max_pool1d``; padding adds zeros.
        count_include_pad: divide by the window's cells inside the padded input (True) or
            inside x alone (False).
    Shapes:
        y (N, C, L_out), L_out = floor((L + 2*padding - k) / stride) + 1 (ceil with ceil_mode);
        y[n, c, i] = (sum over u < k of x[n, c, i*stride - padding + u]) / the window's count.

    >>> import minicnn as mc, minicnn.functional as F
    >>> F.avg_pool1d(mc.tensor([[[1.0, 3.0, 2.0, 0.0]]]), 2).tolist()
    [[[2.0, 1.0]]]
    """
    (k,), (s,), (p,) = check_pool_args(name, kernel_size, stride, padding, dims=1)
    _check_pool_input(name, x, (k,), (s,), (p,), (1,), ceil_mode)
    return _signal(avg_pool2d(_image(x), (1, k), (1, s), (0, p), ceil_mode, count_include_pad, name=name))


@one_image_too(image_ndim=2)
def adaptive_avg_pool1d(x: Tensor, output_size: Any, *, name: str = "adaptive_avg_pool1d") -> Tensor:
    """Average pooling to a fixed output length, as ``torch.nn.functional.adaptive_avg_pool1d``:
    ``adaptive_avg_pool2d`` of x (N, C, 1, L) to (1, OL).

    Args:
        x: Tensor (N, C, L), or one signal (C, L).
        output_size: int or 1-tuple OL; 1 is global average pooling, 0 an empty output.
    Shapes:
        y (N, C, OL); window i spans [floor(i*L/OL), ceil((i+1)*L/OL)).

    >>> import minicnn as mc, minicnn.functional as F
    >>> F.adaptive_avg_pool1d(mc.tensor([[[1.0, 3.0, 2.0]]]), 2).tolist()   # cells 0-1 and 1-2
    [[[2.0, 2.5]]]
    """
    (o,) = _adaptive_size(name, x, output_size, dims=1)
    return _signal(adaptive_avg_pool2d(_image(x), (1, o), name=name))


def adaptive_max_pool1d(
    x: Tensor, output_size: Any, return_indices: bool = False, *, name: str = "adaptive_max_pool1d"
) -> Any:
    """Max pooling to a fixed output length, as ``torch.nn.functional.adaptive_max_pool1d``:
    ``adaptive_max_pool2d`` of x (N, C, 1, L) to (1, OL).

    Args:
        x: Tensor (N, C, L), or one signal (C, L).
        output_size: int or 1-tuple OL; 0 gives an empty output (and empty indices).
        return_indices: also return where each maximum was: int64, its position in x's L.
    Shapes:
        y (N, C, OL); window i spans [floor(i*L/OL), ceil((i+1)*L/OL)), as adaptive_avg_pool1d's.

    >>> import minicnn as mc, minicnn.functional as F
    >>> y, indices = F.adaptive_max_pool1d(mc.tensor([[[1.0, 3.0, 2.0]]]), 2, return_indices=True)
    >>> y.tolist(), indices.tolist()
    ([[[3.0, 3.0]]], [[[1, 1]]])
    """
    if isinstance(x, Tensor) and x.ndim == 3:  # NOTE: PyTorch's takes one signal of 0 channels
        check_not_empty(name, x, (1, 2))
    return _adaptive_max_pool1d(x, output_size, return_indices, name=name)


@one_image_too(image_ndim=2)
def _adaptive_max_pool1d(x: Tensor, output_size: Any, return_indices: bool, *, name: str) -> Any:
    (o,) = _adaptive_size(name, x, output_size, dims=1)
    return _signal(_adaptive_max_pool2d(_image(x), (1, o), return_indices, name=name))


def max_unpool1d(
    x: Tensor,
    indices: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    output_size: Any = None,
    *,
    name: str = "max_unpool1d",
) -> Tensor:
    """The inverse of ``max_pool1d`` on its maxima, as ``torch.nn.functional.max_unpool1d``:
    zeros, with each value written at its index; ``max_unpool2d`` of x (N, C, 1, L) with
    a (1, k) window. The gradient reads gy at the same indices.

    Args:
        x: Tensor (N, C, L) (a max pool's output), or one signal (C, L).
        indices: int64 Tensor of x's shape, each a position in the output's length (what
            ``max_pool1d(..., return_indices=True)`` gives).
        kernel_size, stride, padding: int or 1-tuple, the max pool's (stride None means
            kernel_size).
        output_size: (L_out,) or (N, C, L_out), as PyTorch takes; None gives the formula's.
            It may differ from the formula's by less than the stride (a pool rounds down).
    Shapes:
        y (N, C, L_out), L_out = (L - 1)*stride - 2*padding + kernel_size by default;
        y[n, c, indices[n, c, i]] = x[n, c, i], 0 elsewhere.

    >>> import minicnn as mc, minicnn.functional as F
    >>> y, indices = F.max_pool1d(mc.tensor([[[1.0, 3.0, 2.0, 0.0]]]), 2, return_indices=True)
    >>> F.max_unpool1d(y, indices, 2).tolist()
    [[[0.0, 3.0, 2.0, 0.0]]]
    """
    check_tensor(name, "x", x)
    if x.ndim in (2, 3):  # NOTE: as PyTorch, dims 1 on: an empty batch, or a signal of 0 channels
        check_not_empty(name, x, tuple(range(1, x.ndim)))
    check_nchw(name, unsqueeze(x, 0) if x.ndim == 2 else x, dims=1)
    (k,), (s,), (p,) = unpool_args(name, kernel_size, stride, padding, dims=1)
    (length,) = unpool_size(name, x.shape, (k,), (s,), (p,), output_size)
    check_indices(name, x, indices, (length,))
    y = max_unpool2d(_row(x), _row(indices), (1, k), (1, s), (0, p), (1, length), name=name)
    return squeeze(y, -2)


def _row(x: Tensor) -> Tensor:
    """(N, C, L) as (N, C, 1, L), and one signal (C, L) as one image (C, 1, L)."""
    return unsqueeze(x, -2)
