"""Arithmetic and elementwise math, with NumPy broadcasting.

When an input was broadcast in the forward pass (a bias (C,) added to (N, C)),
each of its elements was used many times, so its gradient is the sum of gy
over the broadcast axes: ``unbroadcast`` does that sum.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..backend import Array, Shape
from ..tensor import Function, Tensor
from .copying import cast
from .promotion import (
    as_tensor,
    check_broadcast,
    check_integer_power,
    check_one_tensor,
    floating,
    integer_power,
    lift_numbers,
    refuse_bool,
    refuse_bools,
    same_float_dtype,
    scaled_alpha,
)


def unbroadcast(g: Array, shape: Shape) -> Array:
    """Sum ``g`` down to ``shape``: the gradient of a broadcast is a sum."""
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1
    )
    return g.sum(axis=axes, keepdims=True).reshape(shape)


class Add(Function):
    """y = a + alpha * b.   ga = gy, gb = alpha * gy (each summed back to its shape)."""

    def forward(self, a, b, *, alpha=1):
        self.shapes, self.alpha = (a.shape, b.shape), alpha
        return a + b if alpha == 1 else a + alpha * b

    def backward(self, gy):
        sa, sb = self.shapes
        return (
            unbroadcast(gy, sa) if self.needs_grad[0] else None,
            unbroadcast(gy if self.alpha == 1 else self.alpha * gy, sb) if self.needs_grad[1] else None,
        )


class Sub(Function):
    """y = a - alpha * b.   ga = gy, gb = -alpha * gy."""

    def forward(self, a, b, *, alpha=1):
        self.shapes, self.alpha = (a.shape, b.shape), alpha
        return a - b if alpha == 1 else a - alpha * b

    def backward(self, gy):
        sa, sb = self.shapes
        return (
            unbroadcast(gy, sa) if self.needs_grad[0] else None,
            unbroadcast(-gy if self.alpha == 1 else -self.alpha * gy, sb) if self.needs_grad[1] else None,
        )


class Mul(Function):
    """y = a * b.   ga = gy * b, gb = gy * a."""

    def forward(self, a, b):
        self.shapes = a.shape, b.shape
        self.a = a if self.needs_grad[1] else None  # gb needs a, ga needs b
        self.b = b if self.needs_grad[0] else None
        return a * b

    def backward(self, gy):
        shape_a, shape_b = self.shapes
        ga = unbroadcast(gy * self.b, shape_a) if self.needs_grad[0] else None
        gb = unbroadcast(gy * self.a, shape_b) if self.needs_grad[1] else None
        return ga, gb


class Div(Function):
    """y = a / b.   ga = gy / b, gb = -gy * (a / b) / b  (= -gy a / b^2)."""

    def forward(self, a, b):
        self.shapes = a.shape, b.shape
        self.a = a if self.needs_grad[1] else None  # only gb needs a; both need b
        self.b = b
        # x / 0 is inf or NaN and 1e30 / 1e-30 overflows to inf, silently, as in PyTorch
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return a / b

    def backward(self, gy):
        b = self.b
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # the same at b = 0
            # NOTE: divide by b twice, as PyTorch: b * b under- or overflows (float32: |b| below
            # 1e-19 or above 1e19) where a / b / b is finite
            return (
                unbroadcast(gy / b, self.shapes[0]) if self.needs_grad[0] else None,
                unbroadcast(-gy * (self.a / b / b), self.shapes[1]) if self.needs_grad[1] else None,
            )


class Pow(Function):
    """y = a ** b.   ga = gy * b * a^(b-1), gb = gy * y * log(a).

    As PyTorch: ga is 0 where b == 0 (y is the constant 1 there, though 0 * 0^(-1) would
    be NaN at a == 0); gb is NaN where a < 0 (log(a) is not real) and 0 where a == 0 and
    b >= 0, the limit of y log(a) there. A 0-d b of 0.5 or -0.5 (``x ** 0.5``) is sqrt and
    rsqrt, as PyTorch's number exponents: at a = -0.0 and -inf, rsqrt gives -inf and NaN."""

    def forward(self, a, b):
        self.a, self.b = a, b
        with np.errstate(
            divide="ignore", invalid="ignore", over="ignore"
        ):  # 0 ** -1, (-1) ** 0.5: as PyTorch
            self.y = integer_power(backend.xp_of(a), a, b) if a.dtype.kind in "iu" else _pow(a, b)
        return self.y

    def backward(self, gy):
        a, b, xp = self.a, self.b, self.xp
        ga = gb = None
        if self.needs_grad[0]:
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # 0 ** (b - 1), b < 1
                ga = unbroadcast(xp.where(b == 0, 0, gy * b * _pow(a, b - 1)).astype(gy.dtype), a.shape)
        if self.needs_grad[1]:
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # log 0, log(a < 0)
                y_log_a = self.y * xp.log(a)
            gb = unbroadcast(gy * xp.where((a == 0) & (b >= 0), 0, y_log_a), b.shape)
        return ga, gb


def _pow(a, b):
    """a ** b for floats; a 0-d b of -0.5 as 1 / sqrt(a), PyTorch's rsqrt (NumPy takes sqrt for
    0.5 itself). NOTE: x ** 0.5's gradient 0.5 a^(-0.5) comes here too, so both match PyTorch at
    a = -0.0 (-inf, where pow gives inf) and a = -inf (NaN, where pow gives 0)."""
    return 1 / backend.xp_of(a).sqrt(a) if b.ndim == 0 and b == -0.5 else a**b


class Neg(Function):
    """y = -x.   gx = -gy."""

    def forward(self, x):
        return -x

    def backward(self, gy):
        return -gy


class MatMul(Function):
    """Y = A @ B.   gA = gY @ B^T, gB = A^T @ gY (batched over leading axes).

    1-D operands are lifted to matrices ((n,) -> (1, n) on the left, (n, 1) on
    the right) as NumPy does; the gradients are reshaped back.
    """

    def forward(self, a, b):
        self.a_shape, self.b_shape = a.shape, b.shape
        self.a = a[None, :] if a.ndim == 1 else a
        self.b = b[:, None] if b.ndim == 1 else b
        y = self.a @ self.b
        self.y_shape = y.shape
        lifted = {y.ndim - 2} if a.ndim == 1 else set()
        lifted |= {y.ndim - 1} if b.ndim == 1 else set()
        return y.reshape([n for i, n in enumerate(y.shape) if i not in lifted])

    def backward(self, gy):
        a, b = self.a, self.b
        gy = gy.reshape(self.y_shape)
        ga = gb = None
        if self.needs_grad[0]:
            ga = unbroadcast(gy @ b.swapaxes(-1, -2), a.shape).reshape(self.a_shape)
        if self.needs_grad[1]:
            gb = unbroadcast(a.swapaxes(-1, -2) @ gy, b.shape).reshape(self.b_shape)
        return ga, gb


class Exp(Function):
    """y = e^x.   gx = gy * y."""

    def forward(self, x):
        with np.errstate(over="ignore"):  # e^x past the dtype's range is inf, silently as PyTorch
            self.y = backend.xp_of(x).exp(x)
        return self.y

    def backward(self, gy):
        with np.errstate(invalid="ignore", over="ignore"):  # 0 * inf = NaN, as PyTorch
            return gy * self.y


class Log(Function):
    """y = ln x.   gx = gy / x."""

    def forward(self, x):
        self.x = x
        with np.errstate(divide="ignore", invalid="ignore"):  # log 0 = -inf, log(x < 0) = NaN, as PyTorch
            return backend.xp_of(x).log(x)

    def backward(self, gy):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # gy / 0 = +-inf (0 / 0 NaN)
            return gy / self.x


class Sqrt(Function):
    """y = sqrt(x).   gx = gy / (2 y)."""

    def forward(self, x):
        with np.errstate(invalid="ignore"):  # sqrt(x < 0) = NaN, silently as PyTorch
            self.y = backend.xp_of(x).sqrt(x)
        return self.y

    def backward(self, gy):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # gy / 0 = inf at x = 0
            return gy / (2 * self.y)


class Abs(Function):
    """y = |x|.   gx = gy * sign(x) (0 at x = 0 and at NaN, as PyTorch)."""

    def forward(self, x):
        self.x = x
        return backend.xp_of(x).abs(x)  # NOTE: not abs(x): this module's abs() shadows it

    def backward(self, gy):
        return gy * ((self.x > 0).astype(gy.dtype) - (self.x < 0))  # sign(NaN) would be NaN


def _same_floats(a, b, params):
    """Two float Tensors of one shape, dtype and device, and no ``alpha`` but 1: nothing for the
    rules of numbers, broadcasting and promotion below to decide (``h + shortcut`` in a ResNet
    block, ``x * mask``), so ``_binary`` hands them to the op as they are."""
    alpha = params.get("alpha", 1)
    if type(a) is not Tensor or type(b) is not Tensor or type(alpha) is not int or alpha != 1:
        return False
    x, y = a.data, b.data
    return type(x) is type(y) and x.dtype == y.dtype and x.dtype.kind == "f" and x.shape == y.shape


def _binary(cls, a, b, reverse=False, name=None, ints="wrap", **params):
    """cls applied to a and b, either of which may be a number; ``name`` (the Function's
    class name by default) is the one the errors say; ``ints``, what an int beside an integer
    tensor that its dtype cannot hold becomes (promotion.as_tensor). ``alpha`` among
    ``params`` (add's and sub's) becomes a scalar of the dtype a and b meet in."""
    if not reverse and _same_floats(a, b, params):
        return cls.apply(a, b, **params)
    name = name or cls.__name__.lower()
    check_one_tensor(name, a, b)
    if cls in (Sub, MatMul, Pow):  # (before a bool meets a number and becomes one)
        refuse_bools(name, a, b, either=cls is not Pow)
    if not isinstance(a, Tensor):
        a, b = b, a
        reverse = not reverse
    if cls is Div and reverse and a.dtype == bool:
        a = floating(a, name)  # (PyTorch: x.reciprocal() * n)
    # as PyTorch: uint8 / 256 divides by 256 itself, and uint8 ** 256 is refused (256 ** uint8 wraps)
    ints = "float" if cls is Div else "refuse" if cls is Pow and not reverse else ints
    b = as_tensor(b, a, name, ints=ints)
    if cls is not MatMul:  # (matmul checks its own shapes)
        check_broadcast(name, a.shape, b.shape)
    if cls is Div and a.dtype.kind in "biu" and b.dtype.kind in "biu":
        # true division of integers gives PyTorch's default float dtype, not NumPy's float64;
        # each as it is (uint8 / mc.tensor(-1, dtype=int8) is -200.0, as PyTorch's)
        a, b = floating(a, name), floating(b, name)
    a, b = same_float_dtype(name, a, b, cast=cast)
    if "alpha" in params:
        dtype = np.result_type(a.dtype, b.dtype)
        params["alpha"] = scaled_alpha(name, params["alpha"], dtype, subtract=cls is Sub)
    return cls.apply(b, a, **params) if reverse else cls.apply(a, b, **params)


def add(a: Tensor | Any, b: Tensor | Any, *, alpha: Any = 1) -> Tensor:
    """a + alpha * b, as ``torch.add``, broadcasting as NumPy; either side may be a number
    or an array, and both may be numbers (a 0-d tensor: ``add(1, 2)`` is int64).

    >>> import minicnn as mc
    >>> mc.add(mc.tensor([1.0, 2.0]), mc.tensor([10.0, 20.0]), alpha=0.5).tolist()
    [6.0, 12.0]
    """
    a, b = lift_numbers("add", a, b)
    return _binary(Add, a, b, alpha=alpha)


def sub(a: Tensor | Any, b: Tensor | Any, *, alpha: Any = 1) -> Tensor:
    """a - alpha * b, as ``torch.sub``; numbers as ``add``'s. Two bools are refused."""
    a, b = lift_numbers("sub", a, b)
    return _binary(Sub, a, b, alpha=alpha)


def mul(a: Tensor | Any, b: Tensor | Any) -> Tensor:
    """a * b, as ``torch.mul``; numbers as ``add``'s."""
    return _binary(Mul, *lift_numbers("mul", a, b))


def div(a: Tensor | Any, b: Tensor | Any) -> Tensor:
    """a / b, broadcasting as NumPy; either side may be a number or an array, and both may be
    numbers. Integers divide truly, into float32 (PyTorch's default float dtype): ``div(6, 4)``
    is 1.5."""
    return _binary(Div, *lift_numbers("div", a, b))


def pow(a: Tensor | Any, b: Tensor | Any) -> Tensor:
    """a ** b, broadcasting as NumPy; either side may be a number or an array. As PyTorch's:
    an integer tensor to a negative integer number is refused (to a tensor of them it is 1, -1
    or 0), two bools are refused, and a bool tensor to True or False stays bool."""
    check_integer_power("pow", a, b)
    if isinstance(a, Tensor) and a.dtype == bool and isinstance(b, (bool, np.bool_)):
        return Tensor(a.data.copy() if b else backend.xp_of(a.data).ones_like(a.data))  # x ** 1, x ** 0
    return _binary(Pow, a, b)


def matmul(a: Tensor | Any, b: Tensor | Any) -> Tensor:
    """a @ b, broadcasting as NumPy; either side may be an array. As in PyTorch, both have at
    least one dim (for a number, ``*``) and one dtype."""
    for side, v in (("a", a), ("b", b)) if isinstance(a, Tensor) or isinstance(b, Tensor) else ():
        numeric = isinstance(v, (Tensor, np.ndarray, np.generic, int, float))
        if numeric and not len(getattr(v, "shape", ())):  # a number has no shape
            raise ValueError(f"matmul: {side} is 0-d; expected a vector or a matrix (for a number: *)")
    if isinstance(a, Tensor) and isinstance(b, Tensor) and a.dtype != b.dtype:
        kinds = {a.dtype.kind, b.dtype.kind}
        if "b" not in kinds and kinds != {"f"}:  # as PyTorch; bools and two floats: _binary says
            raise TypeError(f"matmul: a is {a.dtype}, b {b.dtype}; convert one of them (.float(), .long())")
    sa, sb = tuple(getattr(a, "shape", ())), tuple(getattr(b, "shape", ()))
    if sa and sb and sa[-1] != sb[-2 if len(sb) > 1 else 0]:  # the summed axes differ
        k = sb[-2 if len(sb) > 1 else 0]
        raise ValueError(f"matmul: shapes {sa} and {sb} cannot be multiplied ({sa[-1]} != {k})")
    return _binary(MatMul, a, b)


def neg(x: Tensor) -> Tensor:
    """-x, elementwise; gx = -gy. A bool x is refused: ``~mask`` inverts a mask."""
    refuse_bool("neg", x, "to invert a mask use ~mask")
    return Neg.apply(x)


def exp(x: Tensor) -> Tensor:
    """e^x, elementwise; gx = gy * y. An integer x gives float32, as in PyTorch."""
    return Exp.apply(floating(x, "exp"))


def log(x: Tensor) -> Tensor:
    """The natural logarithm, elementwise; gx = gy / x. An integer x gives float32, as in PyTorch."""
    return Log.apply(floating(x, "log"))


def sqrt(x: Tensor) -> Tensor:
    """The square root, elementwise; gx = gy / (2 y). An integer x gives float32, as in PyTorch."""
    return Sqrt.apply(floating(x, "sqrt"))


def abs(x: Tensor) -> Tensor:  # shadows the builtin, as torch.abs
    """|x|, elementwise; gx = gy * sign(x), 0 at x = 0 as in PyTorch. A bool x is refused."""
    refuse_bool("abs", x, "a bool is its own magnitude")
    return Abs.apply(x)
