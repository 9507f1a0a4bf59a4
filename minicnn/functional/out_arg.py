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
  without out= only;
- sum, prod and cumsum compute in out's dtype, as with ``dtype=out.dtype``: the input is cast
  first, so ``mc.sum(x, 1, out=long_out)`` sums x's values truncated to integers, as torch's;
  mean, var, std and logsumexp do so into a floating out (a float64 out: the sums in float64);
- max and min along a dim write a pair, ``out=(values, indices)``, each of the result's own
  dtype, and give back the pair (values, indices) of those two Tensors.

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
from .copying import cast
from .promotion import _CATEGORY


def takes_out(
    fn,
    exact_dtype=False,
    dtype_error=RuntimeError,
    tensors=(),
    out_may_be_input=True,
    in_out_dtype=None,
    pair=None,
    differentiable=True,
):
    """``fn`` with a keyword ``out=``: the result written into that Tensor, as described above.
    ``exact_dtype``: out's dtype must be the result's (matmul's rule); ``dtype_error``, what an
    out of a lower category raises (PyTorch: RuntimeError, cat's and stack's TypeError);
    ``tensors``: PyTorch's names of the leading arguments that must be Tensors with out=;
    ``out_may_be_input``: whether out may be an input itself (cat's and stack's may not);
    ``in_out_dtype``: (input kinds, out kinds), NumPy's letters: an input (the first argument)
    of the one kind is cast to an out of the other's dtype before the call, as PyTorch's
    reductions compute in out's dtype (sum's: "biuf", "biuf"; mean's: "f", "f");
    ``pair(args, kwargs)``: true where fn gives a pair (values, indices), max(x, dim)'s: out is
    then a pair of Tensors, each of its result's own dtype; ``differentiable=False`` (argmax's):
    nothing to record, so an input that requires grad is taken, as PyTorch takes it."""
    name = f"{fn.__name__}()"
    params = list(inspect.signature(fn).parameters.values())

    @functools.wraps(fn)
    def with_out(*args, out=None, **kwargs):
        if out is None:
            return fn(*args, **kwargs)
        _check_tensors(name, tensors, [p.name for p in params], args, kwargs)
        inputs = _tensors(args, kwargs)
        gives_pair = pair is not None and pair(args, kwargs)
        outs = _check_pair(name, out) if gives_pair else (out,)
        for o in outs:
            _check_out(name, o, inputs, out_may_be_input, differentiable)
        a, b = outs[0].data, outs[-1].data
        if gives_pair and type(a) is type(b) and backend.xp_of(a).may_share_memory(a, b):
            raise RuntimeError(
                f"{name}: out's values and indices share memory; pass two Tensors of their own"
            )
        recast = in_out_dtype and _cast_input(name, params[0].name, in_out_dtype, out, args, kwargs)
        if recast:
            args, kwargs = recast
        y = fn(*args, **kwargs)
        ys = tuple(y) if gives_pair else (y,)
        for i, (o, r) in enumerate(zip(outs, ys)):
            label = f"out[{i}] ({y._fields[i]})" if gives_pair else "out"
            _check_result(name, o, r, exact_dtype or gives_pair, dtype_error, bool(recast), label)
        for o, r in zip(outs, ys):
            _write(name, o, r)
        return type(y)(*outs) if gives_pair else out

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


def _check_out(name, out, inputs, out_may_be_input=True, differentiable=True):
    """What PyTorch refuses before it computes: the kind of out, a recorded op, shared memory."""
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}: argument 'out' must be Tensor, not {type(out).__name__}")
    records = out.requires_grad or (differentiable and any(t.requires_grad for t in inputs))
    if is_grad_enabled() and records:
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


def _check_pair(name, out):
    """out of max(x, dim, out=...): a tuple or list of two Tensors, as PyTorch's parser asks."""
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        got = f"{len(out)} element(s)" if isinstance(out, (tuple, list)) else type(out).__name__
        raise TypeError(f"{name}: with a dim, out must be a pair of Tensors (values, indices), got {got}")
    for i, o in enumerate(out):
        if not isinstance(o, Tensor):
            raise TypeError(
                f"{name}: expected Tensor as element {i} of out (values, indices), got {type(o).__name__}"
            )
    return tuple(out)


def _cast_input(name, first, kinds, out, args, kwargs):
    """args and kwargs with the input cast to out's dtype, where its kind and out's are in
    ``kinds`` (PyTorch's reductions compute in out's dtype); None where they are not. A
    ``dtype=`` other than out's is refused, as PyTorch's."""
    dtype = kwargs.get("dtype")
    if dtype is not None and np.dtype(dtype) != out.dtype:
        raise RuntimeError(
            f"{name}: expected out to have dtype {np.dtype(dtype)}, the dtype= given, got {out.dtype}"
        )
    x = args[0] if args else kwargs.get(first)
    if not isinstance(x, Tensor) or x.dtype.kind not in kinds[0] or out.dtype.kind not in kinds[1]:
        return None
    x = cast(x, out.dtype)
    return ((x, *args[1:]), kwargs) if args else (args, {**kwargs, first: x})


def _address(a):
    return a.data.ptr if backend.is_cupy_array(a) else a.__array_interface__["data"][0]


def _check_result(name, out, y, exact_dtype, dtype_error, cast=False, label="out"):
    """What PyTorch refuses of out once the result's dtype, device and shape are known (``cast``:
    the input was cast to out's dtype, which any count or product fits, as in PyTorch)."""
    if y.device != out.device:
        raise TypeError(
            f"{name}: the result is on {y.device} but {label} on {out.device}; move it with .to()"
        )
    if exact_dtype and y.dtype != out.dtype:
        raise RuntimeError(f"{name}: expected {label} to have dtype {y.dtype}, the result's, got {out.dtype}")
    if not cast and _CATEGORY[y.dtype.kind] > _CATEGORY[out.dtype.kind]:
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
