"""2-D transposed convolution: the input gradient of a convolution, run as a layer.

A convolution with weight W maps an image of C channels to one of O channels; its
input gradient maps back, from O channels to C, with the same W:

    conv2d:            Y  = W @ im2col(X)
    its input grad:    gX = col2im(W^T @ gY)

A transposed convolution is that second map used forward, on x in the place of gy:
y = col2im(W^T @ X). Each input cell scatters a copy of the kernel, scaled by its
value, onto the output, s cells apart: a stride s makes the image s times larger,
which is why decoders, segmentation nets and GAN generators upsample with it. Zeiler
and Fergus's deconvnet (2014) ran the trained filters this way to carry a feature map
back to pixels; hence the name "deconvolution", which it is not: no convolution is
undone, only transposed. Its weight is the convolution's, (C_in, C_out/groups, kH, kW):
C_in is the convolution's output, C_out its input.

So it has no kernel of its own: ``ConvTranspose2d`` calls the convolution's kernels of
the current tier, the reference loops included. Its forward is their input gradient,
and its gradients are their other two maps, the transpose of a transpose being the map
itself: gx = conv2d(gy, W), the convolution's forward, and gW = the convolution's
weight gradient with x in the place of gy and gy in the place of x:

>>> import minicnn as mc, minicnn.functional as F
>>> from minicnn import kernels
>>> x, w = mc.zeros(2, 4, 8, 8, requires_grad=True), mc.zeros(4, 3, 4, 4, requires_grad=True)
>>> with mc.use_kernels("numpy"), kernels.trace() as ran:
...     F.conv_transpose2d(x, w, stride=2, padding=1).sum().backward()
>>> ran
['conv2d_input_grad: im2col', 'conv2d_forward: im2col', 'conv2d_weight_grad: im2col']
"""

from __future__ import annotations

from .. import backend, kernels
from ..kernels.sizes import conv_out_size, transposed_formula, transposed_out_size
from ..tensor import Function, Tensor
from .checks import AXES, check_conv_transpose_args, check_float, check_nchw, check_same_dtype
from .conv import _KERNEL
from .shape import one_image_too


class ConvTranspose2d(Function):
    """y = the input gradient of conv2d(., W) at gy = x:  y = col2im(W_g^T @ X_g) + b.
    gx = conv2d(gy, W) (the convolution's forward),  gW = the convolution's weight gradient
    with x and gy in each other's place,  gb = sum of gy over N, OH, OW.
    """

    def forward(self, x, weight, bias, *, output_size, stride, padding, dilation, groups):
        self.K = kernels.for_array(x)
        self.geometry = stride, padding, dilation, groups
        self.x_shape, self.w_shape = x.shape, weight.shape
        y_shape = (x.shape[0], weight.shape[1] * groups, *output_size)
        if x.shape[0] == 0:  # an empty batch, as PyTorch takes it: an empty output, zero gradients
            return backend.xp_of(x).zeros(y_shape, dtype=x.dtype)
        x = _as_convolution_output(x, y_shape, weight.shape, stride, padding, dilation)
        self.x = x if self.needs_grad[1] else None  # only gW needs x
        self.weight = weight if self.needs_grad[0] else None  # only gx needs W
        y = self.K.conv2d_input_grad(x, weight, y_shape, *self.geometry)
        if bias is not None:
            y += bias.reshape(1, -1, 1, 1)  # the kernel's result is ours to write
        return y

    def backward(self, gy):
        gx = gW = gb = None
        N, _, H, W = self.x_shape
        if N == 0:
            zeros = backend.xp_of(gy).zeros
            gx, gW = zeros(self.x_shape, dtype=gy.dtype), zeros(self.w_shape, dtype=gy.dtype)
        if self.needs_grad[0] and gx is None:
            # the convolution's forward may keep gy's columns for gW below (kept_columns.py)
            with self.K.keeping_columns(self.needs_grad[1]):
                gx = self.K.conv2d_forward(gy, self.weight, None, *self.geometry)
            if gx.shape[2:] != (H, W):  # the rows that output_padding >= stride added to x
                gx = self.xp.ascontiguousarray(gx[:, :, :H, :W])
        if self.needs_grad[1] and gW is None:
            gW = self.K.conv2d_weight_grad(self.x, gy, self.w_shape, *self.geometry)
        if self.needs_grad[2]:
            gb = self.xp.einsum("nchw->c", gy)  # as Conv2d's: einsum's one pass
        return gx, gW, gb


def _as_convolution_output(x, y_shape, weight_shape, stride, padding, dilation):
    """x as the output of the convolution of y's shape. That convolution has x's rows, plus
    output_padding // stride more where a dilation allowed output_padding >= stride: y is
    then tall enough for more windows than x has rows. x holds nothing for them: zeros."""
    rows = [conv_out_size(*a) for a in zip(y_shape[2:], weight_shape[2:], stride, padding, dilation)]
    extra = [n - have for n, have in zip(rows, x.shape[2:])]
    if not any(extra):
        return x
    return backend.xp_of(x).pad(x, ((0, 0), (0, 0), (0, extra[0]), (0, extra[1])))


def _check_conv_transpose_inputs(name, x, weight, bias, stride, padding, output_padding, dilation, groups):
    """The checks before any arithmetic; returns the output's (H_out, W_out). Given 1-tuples,
    those of a 1-D transposed convolution (x (N, C, L)), returning (L_out,)."""
    dims = len(stride)
    check_nchw(name, x, dims)
    check_float(name, "weight", weight)
    if bias is not None:
        check_float(name, "bias", bias)
    check_same_dtype(name, x, weight=weight, bias=bias)
    if weight.ndim != dims + 2:
        raise ValueError(
            f"{name}: expected weight of shape (in_channels, out_channels/groups, {_KERNEL[dims]}), "
            f"got shape {weight.shape}"
        )
    C, (Cw, Og) = x.shape[1], weight.shape[:2]
    if not C or not Og:  # (as PyTorch)
        raise ValueError(
            f"{name}: expected at least one channel in and one out, got {C} in and {Og * groups} out; "
            f"x {x.shape}, weight {weight.shape}"
        )
    if C != Cw:
        raise ValueError(
            f"{name}: x has {C} channel(s) but weight expects {Cw} (its first axis, in_channels); "
            f"x {x.shape}, weight {weight.shape}"
        )
    if C % groups:
        raise ValueError(
            f"{name}: groups={groups} must divide in_channels ({C}); x {x.shape}, weight {weight.shape}"
        )
    if bias is not None and bias.shape != (Og * groups,):
        raise ValueError(
            f"{name}: bias must have shape ({Og * groups},) for weight {weight.shape} "
            f"and groups={groups}, got {bias.shape}"
        )
    sizes = []
    for axis, n, k, s, p, op, d in zip(
        AXES[dims], x.shape[2:], weight.shape[2:], stride, padding, output_padding, dilation
    ):
        size = transposed_out_size(n, k, s, p, d, op)
        if size < 1:
            raise ValueError(
                f"{name}: the padding {p} crops more than the output {axis} has: "
                f"output {axis} {transposed_formula(n, k, s, p, d, op)}; x {x.shape}, weight {weight.shape}"
            )
        sizes.append(size)
    return tuple(sizes)


@one_image_too
def conv_transpose2d(
    x: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
    output_padding: int | tuple[int, int] = 0,
    groups: int = 1,
    dilation: int | tuple[int, int] = 1,
    *,
    name: str = "conv_transpose2d",
) -> Tensor:
    """2-D transposed convolution, as ``torch.nn.functional.conv_transpose2d``: the input
    gradient of ``conv2d(., weight)`` with the same stride, padding, dilation and groups.

    Args:
        x: input Tensor (N, C_in, H, W), or one image (C_in, H, W) (then y has no N either).
        weight: Tensor (C_in, C_out / groups, kH, kW), the convolution's (out, in) swapped.
        bias: optional Tensor (C_out,).
        stride: the convolution's step, an int or a (height, width) pair.
        padding: the convolution's zeros, an int or a (height, width) pair: y loses that
            many cells off each side.
        output_padding: int or pair, cells added at the bottom and right; smaller than
            stride or dilation. A convolution of stride s takes s input sizes to one
            output size; this picks which of them y has.
        groups: split channels into this many independent transposed convolutions
            (note PyTorch's argument order: groups before dilation).
        dilation: spacing between the kernel's taps, an int or a (height, width) pair, the
            convolution's.
        name: the layer named in error messages.
    Shapes:
        y (N, C_out, H_out, W_out),
        H_out = (H - 1)*stride - 2*padding + dilation*(kH - 1) + output_padding + 1, same for W_out.

    >>> import minicnn as mc, minicnn.functional as F
    >>> F.conv_transpose2d(mc.zeros(2, 4, 8, 8), mc.zeros(4, 3, 4, 4), stride=2, padding=1).shape
    (2, 3, 16, 16)
    """
    # the arguments as checked: (height, width) pairs
    s, p, op, d = check_conv_transpose_args(name, stride, padding, output_padding, dilation, groups)
    output_size = _check_conv_transpose_inputs(name, x, weight, bias, s, p, op, d, groups)
    return ConvTranspose2d.apply(
        x,
        weight,
        bias,
        output_size=output_size,
        stride=s,
        padding=p,
        dilation=d,
        groups=groups,
    )
