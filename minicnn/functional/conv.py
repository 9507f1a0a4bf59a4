"""2-D convolution (cross-correlation, as every deep-learning library computes it).

Each output pixel is a dot product of the weights with one window of the
input. Unrolling every window into a column (im2col) turns the whole layer
into one matrix product, and its gradients into two more:

    Y = W @ im2col(X),    gW = gY @ im2col(X)^T,    gX = col2im(W^T @ gY)

Groups split the channels into independent convolutions: AlexNet's two-GPU
halves (groups=2) and depthwise convolution (groups = channels).

The kernels: ``kernels/simple.py`` computes exactly these three lines
(``mc.use_kernels("numpy-simple")``); ``kernels/reference.py`` the same sums as
loops. The "numpy" tier (``kernels/im2col.py``) computes the same numbers by
faster routes: strided convolutions take their columns from a phase split
(``kernels/strided.py``: each tap reads one phase of x at stride 1), and the
input gradient of a "same" convolution (stride 1, output as large as the input)
is itself a convolution, of gy with the flipped kernel, in and out channels
swapped. The default, "auto", adds jitted kernels for the shapes they were
written for (``kernels.AUTO``). ``with minicnn.kernels.trace() as ran:`` lists
the kernels a block ran.
"""

from __future__ import annotations

from .. import backend, kernels
from ..kernels.sizes import conv_out_size, formula
from ..tensor import Function, Tensor
from .checks import AXES, check_conv_args, check_float, check_nchw, check_same_dtype
from .indexing import getitem
from .shape import one_image_too


class Conv2d(Function):
    """y = W (*) x + b per group, (*) the cross-correlation (the kernel slid over x, not
    flipped):  Y_g = W_g @ im2col(x)_g + b.
    gx = col2im(W_g^T @ gY_g),  gW_g = gY_g @ im2col(x)_g^T,  gb = sum of gy over N, OH, OW.

    self.K is the kernel set of the tier in use, one kernel per formula: kernels/simple.py
    computes them as written (``mc.use_kernels("numpy-simple")``, the tier to step through); the
    default tier reaches the same numbers by faster routes (see the module docstring). Around
    those calls, three choices the fast tiers make, each marked FAST below (in the plain tiers,
    a scope that does nothing and a kernel that is None):

    - kept columns: the forward keeps im2col(x), which gW would otherwise build again;
    - shared gy: the two gradient kernels share what each would build from gy;
    - joint grads: one kernel computes gx and gW together, where it has an algorithm for them.
    """

    def forward(self, x, weight, bias, *, stride, padding, dilation, groups):
        self.K = kernels.for_array(x)
        self.geometry = stride, padding, dilation, groups
        self.x_shape, self.w_shape = x.shape, weight.shape
        if x.shape[0] == 0:
            return self._empty_batch(x, weight)
        self.x = x if self.needs_grad[1] else None  # only gW needs x
        self.weight = weight if self.needs_grad[0] else None  # only gx needs W
        with self.K.keeping_columns(self.needs_grad[1]):  # FAST: kept columns, for gW (kept_columns.py)
            # Y_g = W_g @ im2col(x)_g + b
            return self.K.conv2d_forward(x, weight, bias, stride, padding, dilation, groups)

    def backward(self, gy):
        if self.x_shape[0] == 0:
            return self._empty_batch_grads(gy)
        want_gx, want_gW, want_gb = self.needs_grad
        gx = gW = gb = None
        if want_gx and want_gW and self.K.conv2d_grads is not None:  # FAST: joint grads
            # (kernels.OPTIONAL); None where the kernel has no algorithm for these shapes
            gx, gW = self.K.conv2d_grads(gy, self.x, self.weight, *self.geometry) or (None, None)
        with self.K.sharing_gy(gy):  # FAST: shared gy, within this call only (im2col.py)
            if want_gx and gx is None:  # gx = col2im(W_g^T @ gY_g)
                gx = self.K.conv2d_input_grad(gy, self.weight, self.x_shape, *self.geometry)
            if want_gW and gW is None:  # gW_g = gY_g @ im2col(x)_g^T
                gW = self.K.conv2d_weight_grad(gy, self.x, self.w_shape, *self.geometry)
        if want_gb:
            # the sum over N, H and W; NOTE: einsum's one pass, where sum(axis=(0, 2, 3))
            # reduces the axes in a slower order (the timings: benchmarks/README.md)
            gb = self.xp.einsum("nchw->c", gy)
        return gx, gW, gb

    def _empty_batch(self, x, weight):
        """An empty batch, as PyTorch takes it: an empty output, then zero gradients."""
        stride, padding, dilation, _ = self.geometry
        sizes = [conv_out_size(*a) for a in zip(x.shape[2:], weight.shape[2:], stride, padding, dilation)]
        return backend.xp_of(x).zeros((0, weight.shape[0], *sizes), dtype=x.dtype)

    def _empty_batch_grads(self, gy):
        """Zeros: each gradient is a sum over the images, and there are none."""
        zeros = backend.xp_of(gy).zeros
        gx, gW = zeros(self.x_shape, dtype=gy.dtype), zeros(self.w_shape, dtype=gy.dtype)
        return gx, gW, self.xp.einsum("nchw->c", gy) if self.needs_grad[2] else None


# a convolution weight's kernel dims in messages, by spatial dims
_KERNEL = {1: "kL", 2: "kH, kW"}


def _check_conv_inputs(name, x, weight, bias, stride, padding, dilation, groups):
    """The checks before any arithmetic, for 2-D (x (N, C, H, W)) or, given 1-tuples, 1-D
    (x (N, C, L)) convolutions: conv1d checks its own input with them, in its own words."""
    dims = len(stride)
    check_nchw(name, x, dims)
    check_float(name, "weight", weight)
    if bias is not None:
        check_float(name, "bias", bias)
    check_same_dtype(name, x, weight=weight, bias=bias)
    if weight.ndim != dims + 2:
        raise ValueError(
            f"{name}: expected weight of shape (out_channels, in_channels/groups, "
            f"{_KERNEL[dims]}), got shape {weight.shape}"
        )
    C, (O, Cg) = x.shape[1], weight.shape[:2]
    if not C or not O:  # (PyTorch refuses no filters, and gives no channels out for none in)
        raise ValueError(
            f"{name}: expected at least one channel in and one out, got {C} in and {O} out; "
            f"x {x.shape}, weight {weight.shape}"
        )
    if C % groups or O % groups:
        raise ValueError(
            f"{name}: groups={groups} must divide both in_channels ({C}) and "
            f"out_channels ({O}); x {x.shape}, weight {weight.shape}"
        )
    if C // groups != Cg:
        raise ValueError(
            f"{name}: x has {C} channel(s) but weight expects {Cg * groups} "
            f"({Cg} per group x {groups} group(s)); x {x.shape}, weight {weight.shape}"
        )
    if bias is not None and bias.shape != (O,):
        raise ValueError(f"{name}: bias must have shape ({O},) for weight {weight.shape}, got {bias.shape}")
    for axis, n, k, s, p, d in zip(AXES[dims], x.shape[2:], weight.shape[2:], stride, padding, dilation):
        if conv_out_size(n, k, s, p, d) < 1:
            raise ValueError(
                f"{name}: the {k}-tap kernel (dilation {d}, spanning {d * (k - 1) + 1}) "
                f"is larger than the padded input {axis} {n} + 2*{p} = {n + 2 * p}: "
                f"output {axis} {formula(n, k, s, p, d)}; x {x.shape}, weight {weight.shape}"
            )


@one_image_too
def conv2d(
    x: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] | str = 0,
    dilation: int | tuple[int, int] = 1,
    groups: int = 1,
    *,
    name: str = "conv2d",
) -> Tensor:
    """2-D convolution of a batch of images, as ``torch.nn.functional.conv2d``.

    Args:
        x: input Tensor (N, C_in, H, W), or one image (C_in, H, W) (then y has no N either).
        weight: Tensor (C_out, C_in / groups, kH, kW).
        bias: optional Tensor (C_out,).
        stride: step of the window, an int or a (height, width) pair.
        padding: zeros added on each side, an int or a (height, width) pair; or "valid"
            (no zeros) or "same" (stride 1 only: y as large as x, with d*(k-1) zeros per
            axis, the odd one after, as PyTorch).
        dilation: spacing between the kernel's taps, an int or a (height, width) pair.
        groups: split channels into this many independent convolutions.
        name: the layer named in error messages.
    Shapes:
        y (N, C_out, H_out, W_out),
        H_out = floor((H + 2*padding - dilation*(kH - 1) - 1) / stride) + 1, same for W_out.

    >>> import numpy as np, minicnn as mc, minicnn.functional as F
    >>> F.conv2d(mc.zeros(2, 3, 8, 8), mc.zeros(4, 3, 3, 3), padding=1).shape
    (2, 4, 8, 8)
    """
    # the arguments as checked: (height, width) pairs, or padding's name
    s, p, d = check_conv_args(name, stride, padding, dilation, groups)
    crop = (0, 0)
    if isinstance(p, str):
        check_float(name, "weight", weight)
        p, crop = _named_padding(p, weight.shape[2:], d)
    _check_conv_inputs(name, x, weight, bias, s, p, d, groups)
    y = Conv2d.apply(x, weight, bias, stride=s, padding=p, dilation=d, groups=groups)
    if any(crop):  # "same" with an odd number of zeros: drop the extra first row or column
        y = getitem(y, (slice(None), slice(None), slice(crop[0], None), slice(crop[1], None)))
    return y


def _named_padding(padding, kernel_size, dilation):
    """PyTorch's padding "valid" and "same" as (padding on both sides, output rows and columns to crop),
    one number per spatial axis.

    "same" needs d*(k-1) zeros along an axis, half before the image and half after;
    an odd count puts the extra zero after. Padding the larger half on both sides
    makes one output too many at the start, which conv2d crops.
    """
    if padding == "valid":
        return (0,) * len(kernel_size), (0,) * len(kernel_size)
    totals = [d * (k - 1) for k, d in zip(kernel_size, dilation)]
    return tuple((t + 1) // 2 for t in totals), tuple(t % 2 for t in totals)
