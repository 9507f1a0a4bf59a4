"""The fully connected layer as one op."""

from __future__ import annotations

import math

from ..kernels import gemm
from ..tensor import Function, Tensor
from .checks import check_float, check_same_dtype


class Linear(Function):
    """y = x W^T + b.   gx = gy W,  gW = gy^T x,  gb = sum of gy over the batch.

    Shapes: x (N, in) or (..., in), W (out, in) as PyTorch, b (out,). The products go
    through kernels/gemm.py, which a CUDA graph's capture can record.
    """

    def forward(self, x, weight, bias):
        self.x_shape, self.rows = x.shape, math.prod(x.shape[:-1])
        self.x = x if self.needs_grad[1] else None  # only gW needs x
        self.weight = weight if self.needs_grad[0] else None  # only gx needs W
        # one GEMM over every leading axis: (..., in) -> (rows, in); the rows counted, as -1
        # cannot be inferred from 0 values (in_features = 0: y is the bias, as in PyTorch)
        y = gemm.matmul(x.reshape(self.rows, x.shape[-1]), weight.T).reshape(*x.shape[:-1], weight.shape[0])
        if bias is not None:
            y += bias
        return y

    def backward(self, gy):
        gY = gy.reshape(self.rows, gy.shape[-1])  # every leading axis as rows, as in forward
        gx = gW = gb = None
        if self.needs_grad[0]:
            gx = gemm.matmul(gY, self.weight).reshape(self.x_shape)
        if self.needs_grad[1]:
            x = self.x.reshape(self.rows, self.x.shape[-1])
            # NOTE: of one row (a batch of one) gW is an outer product, each entry the one
            # product the GEMM would sum; the GEMM over an inner size of 1 took several times
            # as long as this broadcast product (benchmarks/README.md, "Figures behind comments")
            gW = gY.T * x if self.rows == 1 else gemm.matmul(gY.T, x)
        if self.needs_grad[2]:
            gb = gY.sum(axis=0)
        return gx, gW, gb


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None, *, name: str = "linear") -> Tensor:
    """y = x @ weight.T + bias, weight of shape (out_features, in_features):
    y[..., o] = sum_i x[..., i] weight[o, i] + bias[o] (an empty sum, 0, where in_features = 0).

    Shapes: x (*, in_features) -> y (*, out_features).
    """
    check_float(name, "x", x)
    check_same_dtype(name, x, weight=weight, bias=bias)
    if x.ndim == 0 or x.shape[-1] != weight.shape[1]:
        got = f"{x.shape[-1]} features" if x.ndim else "a scalar"
        raise ValueError(
            f"{name}: x has {got} but weight expects {weight.shape[1]}; x {x.shape}, weight {weight.shape}"
            + _shape_hint(x.shape, weight.shape[1])
        )
    return Linear.apply(x, weight, bias)


def _shape_hint(shape, in_features):
    """The likely slip behind a feature mismatch, when the sizes point to one: examples not
    yet flattened ((N, C, H, W) with C*H*W = in_features), or one image given without its
    batch dim, whose C channels a Flatten() upstream took for C examples."""
    if len(shape) > 2 and math.prod(shape[1:]) == in_features:
        per_example = " x ".join(map(str, shape[1:]))
        flatten = "flatten it first (nn.Flatten() or x.flatten(1))"
        return f"; each example's {per_example} = {in_features} values: {flatten}"
    if len(shape) >= 2 and shape[0] > 1 and math.prod(shape) == in_features:
        one_image = "one image? use x[None] at the model's input"
        return f"; x holds {in_features} values in all, one example's worth: {one_image}"
    return ""
