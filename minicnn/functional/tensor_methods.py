"""Tensor's operators and methods, each a one-line call into functional/ (the in-place
ones, ``x += y``, ``x.add_(y)`` ..., are in in_place_methods.py, ``x.zero_()`` ... in
in_place_fill.py).

Kept apart from tensor.py so that the math of every op lives in exactly one
file and tensor.py holds only the engine.
"""

import numpy as np

from .. import backend, creation_args
from ..tensor import Tensor
from . import (
    activation,
    basic,
    clamping,
    copying,
    cumulative,
    index_writes,
    indexing,
    loss,
    pointwise,
    reduce,
    select,
    shape,
    shorthands,
    ternary,
    variance,
)
from .matrix import bmm, mm
from .promotion import as_tensor, check_broadcast, in_dtype, operand_array, result_type
from .rearrange import unflatten
from .reorder import flip, roll


def _reflected(fn):
    """other op self, for Python's reflected operators: the op sees other as given (``True - x``
    is refused as a bool, where as a float it would pass)."""
    return lambda self, other: fn(other, self)


Tensor.__add__ = basic.add
Tensor.__radd__ = basic.add
Tensor.__sub__ = basic.sub
Tensor.__rsub__ = _reflected(basic.sub)
Tensor.__mul__ = basic.mul
Tensor.__rmul__ = basic.mul
Tensor.__truediv__ = basic.div
Tensor.__rtruediv__ = _reflected(basic.div)
Tensor.__pow__ = basic.pow
Tensor.__rpow__ = _reflected(basic.pow)
Tensor.__matmul__ = basic.matmul
Tensor.__rmatmul__ = _reflected(basic.matmul)
Tensor.__floordiv__ = pointwise.floor_divide
Tensor.__rfloordiv__ = _reflected(pointwise.floor_divide)
Tensor.__neg__ = basic.neg
Tensor.__mod__ = pointwise.remainder
Tensor.__rmod__ = _reflected(pointwise.remainder)
Tensor.__getitem__ = indexing.getitem


Tensor.exp = basic.exp
Tensor.log = basic.log
Tensor.sqrt = basic.sqrt
Tensor.abs = basic.abs
Tensor.neg = basic.neg
Tensor.clamp = clamping.clamp
Tensor.clamp_min, Tensor.clamp_max, Tensor.clip = shorthands.clamp_min, shorthands.clamp_max, shorthands.clip
Tensor.square, Tensor.reciprocal = shorthands.square, shorthands.reciprocal
Tensor.relu = activation.relu
Tensor.softmax = loss.softmax
Tensor.log_softmax = loss.log_softmax


def _long(self):
    """A copy cast to int64 (no gradient: integers have none)."""
    return self.to(dtype=np.int64)


def _int(self):
    """A copy cast to int32 (no gradient)."""
    return self.to(dtype=np.int32)


def _bool_cast(self):
    """A copy cast to bool: True where nonzero (no gradient)."""
    return self.to(dtype=np.bool_)


Tensor.long, Tensor.int, Tensor.bool = _long, _int, _bool_cast
Tensor.tanh = activation.tanh
Tensor.sigmoid = activation.sigmoid

Tensor.sum = reduce.sum
Tensor.mean = reduce.mean
Tensor.max = reduce.max
Tensor.min = reduce.min
Tensor.amax = reduce.amax
Tensor.amin = reduce.amin
Tensor.var = variance.var
Tensor.std = variance.std
Tensor.logsumexp = reduce.logsumexp
Tensor.norm = reduce.norm
Tensor.prod = cumulative.prod
Tensor.cumsum = cumulative.cumsum

Tensor.maximum, Tensor.minimum, Tensor.remainder = pointwise.maximum, pointwise.minimum, pointwise.remainder
Tensor.sign, Tensor.floor, Tensor.ceil, Tensor.round = (
    pointwise.sign,
    pointwise.floor,
    pointwise.ceil,
    pointwise.round,
)

Tensor.gather = select.gather
Tensor.index_select = select.index_select
Tensor.masked_fill = select.masked_fill
Tensor.sort = select.sort
Tensor.argsort = select.argsort
Tensor.topk = select.topk
Tensor.scatter, Tensor.scatter_add = index_writes.scatter, index_writes.scatter_add
Tensor.index_add, Tensor.index_fill = index_writes.index_add, index_writes.index_fill
Tensor.lerp, Tensor.addcmul, Tensor.addcdiv = ternary.lerp, ternary.addcmul, ternary.addcdiv


def _where(self, condition, other):
    """self where ``condition`` holds, else ``other``, as ``mc.where(condition, self, other)``."""
    return pointwise.where(condition, self, other)


Tensor.where = _where

Tensor.reshape = shape.reshape
Tensor.view = shape.view
Tensor.view_as = lambda self, other: shape.view(self, other.shape)
Tensor.view_as.__doc__ = "x viewed in other's shape, as ``view(other.shape)``."
Tensor.permute = shape.permute
Tensor.transpose = shape.transpose
Tensor.flatten = shape.flatten
Tensor.unflatten = unflatten
Tensor.squeeze = shape.squeeze
Tensor.unsqueeze = shape.unsqueeze
Tensor.expand = shape.expand
Tensor.repeat = shape.repeat
Tensor.split = shape.split
Tensor.chunk = shape.chunk
Tensor.clone = copying.clone
Tensor.T = property(
    lambda self: shape.permute(self, tuple(reversed(range(self.ndim)))),
    doc="x with all its axes reversed (a view): the transpose of a matrix.",
)


def _promoted(name, self, other):
    """self's and other's arrays in the dtype PyTorch compares them in (uint8 > -1 compares
    with 255, as PyTorch), once other is known to be numbers and the shapes to broadcast."""
    other = as_tensor(other, self, name)
    check_broadcast(name, self.shape, other.shape)
    dtype = result_type(self, other)
    return in_dtype(self, dtype).data, in_dtype(other, dtype).data


def _compare(op, name, with_none=None):
    """A comparison, elementwise into a bool Tensor; ``x == None`` (or anything else that is not
    numbers) is False (``!=``: True), as in PyTorch, where NumPy would compare every element
    with None; ``x < None`` is refused, naming the op."""

    def compare(self, other):  # (its docstring: below)
        if with_none is not None and not isinstance(other, Tensor):
            try:
                operand_array(name, other)
            except TypeError:
                return with_none  # x == None, x == "a": False (x != ...: True), as PyTorch
        return Tensor(op(*_promoted(name, self, other)))

    symbol = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}[name]
    compare.__doc__ = f"x {symbol} other, elementwise, as a bool tensor (other broadcast; no gradient)."
    return compare


def _logical(op, name):
    """&, |, ^ of bool or integer tensors, bit by bit (no gradient), as PyTorch's."""

    def logical(self, other):
        a, b = _promoted(name, self, other)
        if a.dtype.kind not in "biu":
            kinds = f"{self.dtype} and {getattr(other, 'dtype', type(other).__name__)}"
            raise TypeError(f"{name}: expected bool or integer operands, got {kinds}")
        return Tensor(op(a, b))

    return logical


Tensor.argmax = reduce.argmax
Tensor.argmin = reduce.argmin
Tensor.any, Tensor.all = cumulative.any, cumulative.all
Tensor.__and__ = _logical(lambda a, b: a & b, "bitwise_and")
Tensor.__or__ = _logical(lambda a, b: a | b, "bitwise_or")
Tensor.__xor__ = _logical(lambda a, b: a ^ b, "bitwise_xor")
# (a number on the left, ``1 & x``: the same bits and dtype either way round)
Tensor.__rand__, Tensor.__ror__, Tensor.__rxor__ = Tensor.__and__, Tensor.__or__, Tensor.__xor__
Tensor.__invert__ = lambda self: Tensor(~self.data)
Tensor.__eq__ = _compare(lambda a, b: a == b, "eq", with_none=False)
Tensor.__ne__ = _compare(lambda a, b: a != b, "ne", with_none=True)
Tensor.__lt__ = _compare(lambda a, b: a < b, "lt")
Tensor.__le__ = _compare(lambda a, b: a <= b, "le")
Tensor.__gt__ = _compare(lambda a, b: a > b, "gt")
Tensor.__ge__ = _compare(lambda a, b: a >= b, "ge")
Tensor.__hash__ = object.__hash__

# PyTorch's method names for the operators and a few conveniences (eq and ne refuse what is
# not numbers, as PyTorch's, where == and != answer False and True)
Tensor.eq, Tensor.ne = _compare(lambda a, b: a == b, "eq"), _compare(lambda a, b: a != b, "ne")
Tensor.lt, Tensor.le, Tensor.gt, Tensor.ge = Tensor.__lt__, Tensor.__le__, Tensor.__gt__, Tensor.__ge__
Tensor.add, Tensor.sub, Tensor.mul, Tensor.div = basic.add, basic.sub, basic.mul, pointwise.div
Tensor.pow, Tensor.matmul = basic.pow, basic.matmul
Tensor.__abs__ = basic.abs
Tensor.__pos__ = lambda self: self
Tensor.isnan = lambda self: Tensor(backend.xp_of(self.data).isnan(self.data))
Tensor.expand_as = lambda self, other: shape.expand(self, *other.shape)
Tensor.type_as = lambda self, other: self.to(dtype=other.dtype)
Tensor.isnan.__doc__ = "True where an element is NaN, a bool tensor (no gradient)."
Tensor.expand_as.__doc__ = "x broadcast to other's shape, as ``expand(*other.shape)``: a view."
Tensor.type_as.__doc__ = "A copy cast to other's dtype, as ``to(other.dtype)``."
from . import new_tensors  # noqa: E402, F401  (x.new_zeros, new_ones, new_full, ...)


def _contiguous(self):
    """self where its array is in C order already, else a copy in C order (which ``view``
    can then reshape), as PyTorch's."""
    return self if self.data.flags.c_contiguous else copying.clone(self)


def _t(self):
    """The transpose of a matrix; a 0-D or 1-D tensor as it is, but a new tensor (a node of
    its own for hooks), as PyTorch's ``t()``."""
    if self.ndim > 2:
        raise ValueError(
            f"t: expects a tensor of at most 2 dims, got shape {self.shape}; use transpose or permute"
        )
    return shape.Permute.apply(self, dims=tuple(reversed(range(self.ndim))))


Tensor.contiguous, Tensor.t = _contiguous, _t


def _flip(self, *dims, **kwargs):
    """x.flip(0, 1), as x.flip((0, 1)) and x.flip(dims=(0, 1)): PyTorch's method takes both."""
    return flip(self, shape._dims(self, dims), **kwargs) if dims else flip(self, **kwargs)


Tensor.sin, Tensor.cos = activation.sin, activation.cos
Tensor.mm, Tensor.bmm = mm, bmm
Tensor.flip, Tensor.roll = _flip, roll


# --- Python's own conversions, as PyTorch's: a one-element tensor is a number ----


def _bool(self):
    if self.data.size == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if self.data.size != 1:
        raise RuntimeError(
            f"Boolean value of Tensor with more than one value is ambiguous (shape {self.shape})"
        )
    return bool(self.item())


def _index(self):
    if self.dtype.kind not in "iu" or self.data.size != 1:
        raise TypeError(
            "only integer tensors of a single element can be used as an index, "
            f"got {self.dtype} of shape {self.shape}"
        )
    return int(self.item())


def _number(to):
    """float(x), int(x): ValueError for many elements, as PyTorch's (x.item() says RuntimeError)."""

    def convert(self):
        if self.data.size != 1:
            raise ValueError(
                f"only one element tensors can be converted to Python scalars, got shape {self.shape}"
            )
        return to(self.item())

    return convert


def _size(self, dim=None):
    """The shape, or the length of one dim, as PyTorch's ``t.size()``."""
    if dim is None:
        return self.shape
    if not -self.ndim <= dim < self.ndim:
        raise IndexError(
            f"size: dim {dim} is out of range for a {self.ndim}-D tensor "
            f"(expected one in [{-self.ndim}, {self.ndim - 1}])"
            if self.ndim
            else f"size: dim {dim} given, but a 0-d tensor has no dimensions"
        )
    return self.shape[dim]


def _len(self):
    if self.ndim == 0:
        raise TypeError("len() of a 0-d tensor")
    return self.shape[0]


def _iter(self):
    """The rows t[0], t[1], ... (each an op of the graph, as t[i]); a 0-d tensor has none."""
    if self.ndim == 0:
        raise TypeError("iteration over a 0-d tensor")
    return (self[i] for i in range(self.shape[0]))


# --- moving and casting: one Function each (copying.cast, copying.to_device) -----------


def _to(self, device=None, dtype=None):
    """A copy on another device and/or of another dtype; the gradient flows back."""
    out = self
    if isinstance(device, (type, np.dtype)) or (
        isinstance(device, str) and creation_args.names_dtype(device)
    ):
        device, dtype = None, device  # x.to(np.float64), x.to("float32")
    if device is not None:  # checked before any copy, naming to() as a factory names itself
        creation_args.device_of("Tensor.to", device)
    if dtype is not None and np.dtype(dtype) != self.dtype:
        out = copying.cast(out, dtype)
    if device is not None and backend.normalize_device(device) != self.device:
        out = copying.to_device(out, device)
    return out


def _cpu(self):
    """The tensor on the CPU, as ``to("cpu")`` (itself if it is there already)."""
    return self.to("cpu")


def _cuda(self):
    """The tensor on the GPU, as ``to("cuda")`` (needs CuPy)."""
    return self.to("cuda")


def _float(self):
    """A copy cast to float32, as ``to(mc.float32)`` (itself if it is float32 already)."""
    return self.to(dtype=np.float32)


def _double(self):
    """A copy cast to float64, as ``to(mc.float64)``: what gradient checks use."""
    return self.to(dtype=np.float64)


def _type(self, dtype):
    """A copy cast to ``dtype``, as ``to(dtype=dtype)``."""
    return self.to(dtype=dtype)


Tensor.to, Tensor.cpu, Tensor.cuda = _to, _cpu, _cuda
Tensor.float, Tensor.double, Tensor.type = _float, _double, _type


Tensor.size = _size
Tensor.__len__ = _len
Tensor.__iter__ = _iter
Tensor.__bool__ = _bool
Tensor.__float__, Tensor.__int__ = _number(float), _number(int)
Tensor.__index__ = _index
Tensor.__format__ = lambda self, spec: (
    format(self.item(), spec)
    if self.ndim == 0 or (spec and self.data.size == 1)
    else format(repr(self), spec)
)
