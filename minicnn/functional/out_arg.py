"""``out=``, as PyTorch's functions take it: ``mc.add(x, y, out=z)`` computes ``x + y`` as
``mc.add(x, y)`` does and writes it into z, which it returns (the same Tensor, its write
counted as a change in place, in_place.py). As PyTorch's:

- refused where autograd would have to record it: an argument (out too) requires grad and
  grad mode is on; under ``mc.no_grad()`` it is written;
- the result is cast into out's dtype within its category (float64 into float32, int64 into
  uint8) and refused from float to integer or bool, or integer to bool; matmul, mm and bmm
  take only an out of the result's own dtype;
- an out of another shape is resized to the result's, with PyTorch's warning where it held
  elements (an empty out, ``mc.empty(0)``, silently);
- an out whose elements share memory (an ``expand()`` view), or that overlaps an input
  without being it, is refused (by cat and stack, one that is an input too: they write
  their inputs' elements to other places);
- a read-only out (``mc.from_numpy`` of a read-only array) is refused;
- where's operands must all be Tensors: a number (``mc.where(c, x, 2, out=o)``) is taken
  without out= only.

NOTE: minicnn resizes out by giving it a new array, so tensors that shared its old one
(``out.detach()``, a view taken of it) keep the old; PyTorch's resize may keep its storage.
An out that is itself a view (``x[0]``) is a window on another tensor's array and cannot be
resized: refused in one line.
"""

import functools
import inspect
import warnings

import numpy as np

from .. import backend, in_place, inference
from ..tensor import Tensor, is_grad_enabled
from .promotion import _CATEGORY


def takes_out(fn, exact_dtype=False, dtype_error=RuntimeError, tensors=(), out_may_be_input=True):
    """``fn`` with a keyword ``out=``: the result written into that Tensor, as described above.
    ``exact_dtype``: out's dtype must be the result's (matmul's rule); ``dtype_error``, what an
    out of a lower category raises (PyTorch: RuntimeError, cat's and stack's TypeError);
    ``tensors``: PyTorch's names of the leading arguments that must be Tensors with out=;
    ``out_may_be_input``: whether out may be an input itself (cat's and stack's may not)."""
    name = f"{fn.__name__}()"
    params = list(inspect.signature(fn).parameters.values())

    @functools.wraps(fn)
    def with_out(*args, out=None, **kwargs):
        if out is None:
            return fn(*args, **kwargs)
        _check_tensors(name, tensors, [p.name for p in params], args, kwargs)
        inputs = _tensors(args, kwargs)
        _check_out(name, out, inputs, out_may_be_input)
        y = fn(*args, **kwargs)
        _check_result(name, out, y, exact_dtype, dtype_error)
        _write(name, out, y)
        return out

    out = inspect.Parameter("out", inspect.Parameter.KEYWORD_ONLY, default=None)
    with_out.__signature__ = inspect.signature(fn).replace(parameters=[*params, out])
    return with_out


def _check_tensors(name, tensors, params, args, kwargs):
    """Refuse a number or array where PyTorch's overload with out= takes only a Tensor, as its
    parser: ``where(): argument 'other' (position 3) must be Tensor, not int``."""
    for i, torch_name in enumerate(tensors):
        if i < len(args):
            value, where = args[i], f" (position {i + 1})"
        elif params[i] in kwargs:
            value, where = kwargs[params[i]], ""
        else:
            continue
        if not isinstance(value, Tensor):
            kind = type(value)
            got = kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"
            raise TypeError(f"{name}: argument '{torch_name}'{where} must be Tensor, not {got}")


def _tensors(args, kwargs):
    """The Tensors among the arguments, and inside lists and tuples of them (cat's)."""
    found = []
    for v in (*args, *kwargs.values()):
        for t in v if isinstance(v, (list, tuple)) else (v,):
            if isinstance(t, Tensor):
                found.append(t)
    return found


def _check_out(name, out, inputs, out_may_be_input=True):
    """What PyTorch refuses before it computes: the kind of out, a recorded op, shared memory."""
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}: argument 'out' must be Tensor, not {type(out).__name__}")
    if is_grad_enabled() and (out.requires_grad or any(t.requires_grad for t in inputs)):
        raise RuntimeError(
            f"{name}: functions with out=... arguments don't support automatic differentiation, "
            f"but one of the arguments requires grad; leave out out= (y = {name[:-2]}(...)), or call "
            "it under mc.no_grad()"
        )
    inference.refuse_in_place(out, name)
    if not getattr(out.data.flags, "writeable", True):
        raise ValueError(f"{name}: out is read-only (from_numpy of a read-only array); pass out.clone()")
    in_place.check_no_overlap(name, out.data, "out")
    for t in inputs:
        a = t.data
        if type(a) is type(out.data) and backend.xp_of(a).may_share_memory(a, out.data):
            same = a.shape == out.data.shape and a.strides == out.data.strides
            if not (out_may_be_input and same and _address(a) == _address(out.data)):  # (out=x)
                raise RuntimeError(
                    f"{name}: some elements of an input and of out refer to one memory location; "
                    "clone() the input first"
                )


def _address(a):
    return a.data.ptr if backend.is_cupy_array(a) else a.__array_interface__["data"][0]


def _check_result(name, out, y, exact_dtype, dtype_error):
    """What PyTorch refuses of out once the result's dtype, device and shape are known."""
    if y.device != out.device:
        raise TypeError(f"{name}: the result is on {y.device} but out on {out.device}; move out with .to()")
    if exact_dtype and y.dtype != out.dtype:
        raise RuntimeError(f"{name}: expected out to have dtype {y.dtype}, the result's, got {out.dtype}")
    if _CATEGORY[y.dtype.kind] > _CATEGORY[out.dtype.kind]:
        raise dtype_error(
            f"{name}: result type {y.dtype} can't be cast to the desired output type {out.dtype}"
        )
    if y.shape != out.shape and out._is_view:
        raise RuntimeError(
            f"{name}: out has shape {out.shape} and the result {y.shape}, and out is a view of "
            "another tensor's memory, which minicnn cannot resize; pass an out of the result's shape"
        )


def _write(name, out, y):
    """y's values written into out's array (a new one of y's shape where the shapes differ)."""
    xp = backend.xp_of(y.data)
    if y.shape != out.shape:
        if out.numel():
            warnings.warn(
                f"{name}: an output with one or more elements was resized since it had shape "
                f"{list(out.shape)}, which does not match the required output shape {list(y.shape)}; "
                "PyTorch deprecates this (pass an empty out, mc.empty(0), or one of the result's shape)",
                UserWarning,
                stacklevel=3,
            )
        out.__dict__["data"] = xp.empty(y.shape, dtype=out.dtype)
    with np.errstate(over="ignore", invalid="ignore"):  # (1e300 into float32 is inf, as PyTorch)
        xp.copyto(out.data, y.data, casting="unsafe")
    out._changed_in_place()
