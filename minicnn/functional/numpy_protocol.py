"""How a Tensor meets NumPy: ``np.asarray(t)``, and NumPy's ufuncs given a Tensor.

``np.asarray(t)`` (NumPy's ``__array__`` protocol) gives the data as a NumPy array, read-only
for a tensor that requires grad (``Tensor.numpy`` says why). A ufunc
given a Tensor (``__array_ufunc__``) runs the Tensor's own operator where the ufunc is one
(``array + t``, ``np.add(a, t)``), so that the graph records it; any other (``np.exp(t)``) gives
an array, and is refused on a tensor that requires grad, whose gradient would stop there.
"""

import numpy as np

from .. import in_place
from ..tensor import Tensor, is_grad_enabled


def _array(self, dtype=None, copy=None):
    """``np.asarray(t)``, ``np.array(t)``: the data as a NumPy array, as ``t.numpy()`` gives it
    (NumPy's protocol: a copy with copy=True, an error with copy=False where a copy cannot be
    avoided)."""
    array = self.numpy()
    if dtype is not None and np.dtype(dtype) != array.dtype:
        if copy is False:
            raise ValueError(f"Tensor.__array__: a {dtype} view of {array.dtype} data needs a copy")
        return array.astype(dtype)
    return array.copy() if copy else array


Tensor.__array__ = _array

# NumPy's ufuncs that are Python's operators: (the Tensor's method when it is on the left, on the right)
_OPERATORS = {
    np.add: ("__add__", "__radd__"),
    np.subtract: ("__sub__", "__rsub__"),
    np.multiply: ("__mul__", "__rmul__"),
    np.true_divide: ("__truediv__", "__rtruediv__"),
    np.power: ("__pow__", "__rpow__"),
    np.matmul: ("__matmul__", "__rmatmul__"),
    np.floor_divide: ("__floordiv__", "__rfloordiv__"),
    np.equal: ("__eq__", "__eq__"),
    np.not_equal: ("__ne__", "__ne__"),
    np.less: ("__lt__", "__gt__"),
    np.less_equal: ("__le__", "__ge__"),
    np.greater: ("__gt__", "__lt__"),
    np.greater_equal: ("__ge__", "__le__"),
}


def _array_ufunc(self, ufunc, method, *inputs, **kwargs):
    """A NumPy ufunc given a Tensor. An operator (``array + t``, ``np.add(a, t)``) runs the
    Tensor's own, so the graph records it. Any other (``np.exp(t)``) computes on the arrays and
    gives an array, as it always did; but of a tensor that requires grad, where no gradient
    would reach it through that array, it is refused, as PyTorch refuses it."""
    if method == "__call__" and not kwargs and len(inputs) == 2 and ufunc in _OPERATORS:
        left, right = _OPERATORS[ufunc]
        a, b = inputs
        return getattr(a, left)(b) if isinstance(a, Tensor) else getattr(b, right)(a)
    outs = kwargs.get("out", ())
    if is_grad_enabled() and any(isinstance(t, Tensor) and t.requires_grad for t in inputs + tuple(outs)):
        raise TypeError(
            f"np.{ufunc.__name__} of a Tensor that requires grad: its result would be an array that no "
            f"gradient reaches; use minicnn's op (x.exp(), F.relu(x), mc.where ...), or np.{ufunc.__name__}"
            f"(x.detach()) for the numbers alone"
        )
    arrays = [t.numpy() if isinstance(t, Tensor) else t for t in inputs]
    for t in outs:
        if isinstance(t, Tensor):
            in_place.refuse_read_only(f"np.{ufunc.__name__}(..., out=x)", t.data)
            in_place.check_no_overlap(f"np.{ufunc.__name__}(..., out=x)", t.data)
    if outs:
        kwargs["out"] = tuple(t.data if isinstance(t, Tensor) else t for t in outs)
    result = getattr(ufunc, method)(*arrays, **kwargs)
    for t in outs:
        if isinstance(t, Tensor):
            t._changed_in_place()
    return result


Tensor.__array_ufunc__ = _array_ufunc
