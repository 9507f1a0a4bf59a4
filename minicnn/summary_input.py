"""The inputs ``summary`` traces a model with: drawn from ``input_size`` and ``dtypes``, or the
caller's own ``input_data``, as torchinfo's ``summary`` takes them.

One shape (a sequence of ints) is one input; a list of shapes is one input per shape, handed to
``forward`` in that order, with ``dtypes`` a list of as many dtypes. ``input_data`` is one
Tensor or a list of them, likewise.

A float input is drawn at random, at the model's dtype unless ``dtypes`` says otherwise; an
integer or bool one is all zeros, since 0 is a valid id of every ``nn.Embedding`` table whatever
its size (torchinfo's ``torch.rand(size).type(torch.long)`` is zeros too).
"""

import inspect
import operator

import numpy as np

from .creation_args import dtype_of, type_name
from .tensor import Tensor, tensor


def _dtype(model):
    params = list(model.parameters())
    return np.dtype(params[0].dtype) if params else np.dtype(np.float32)


def _plural(n, word):
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _one_shape(size, where):
    try:
        shape = tuple(operator.index(n) for n in size)
    except (TypeError, ValueError):
        raise TypeError(f"summary: {where} must be a sequence of ints, got {size!r}") from None
    if any(n < 0 for n in shape):
        raise ValueError(f"summary: {where} must hold no negative sizes, got {shape}")
    # (C, H, W) is one image: a batch of 1 is put before it
    return (1,) + shape if len(shape) == 3 else shape


def _shapes(input_size):
    """One shape per input: a list of shapes as it is, a shape of ints as a list of one."""
    nested = isinstance(input_size, (list, tuple)) and any(isinstance(s, (list, tuple)) for s in input_size)
    if not nested:
        return [_one_shape(input_size, "input_size")]
    if not all(isinstance(size, (list, tuple)) for size in input_size):
        raise TypeError(
            f"summary: input_size must be one shape of ints or a list of shapes (one per input), "
            f"not a mix of both: {input_size!r}"
        )
    return [_one_shape(size, f"input_size[{i}]") for i, size in enumerate(input_size)]


def _dtypes(model, dtypes, n):
    """One dtype per input: ``dtypes`` a list of ``n`` (a bare dtype is taken for one input);
    None, or None in the list, is the model's dtype."""
    if dtypes is None:
        return [_dtype(model)] * n
    if not isinstance(dtypes, (list, tuple)):
        if n != 1:
            raise ValueError(
                f"summary: dtypes has one dtype per input and input_size gives {n} inputs; "
                f"give a list of {n}, got {dtypes} alone"
            )
        dtypes = [dtypes]
    if len(dtypes) != n:
        raise ValueError(
            f"summary: dtypes has one dtype per input: input_size gives {_plural(n, 'input')}, "
            f"dtypes {len(dtypes)}: [{', '.join(map(str, dtypes))}]"
        )
    return [dtype_of("summary", d, default=_dtype(model)) for d in dtypes]


def _from_data(input_size, dtypes, input_data):
    """``input_data`` as a list of Tensors: one Tensor or array, or a list of them."""
    if input_size is not None or dtypes is not None:
        given = " and ".join(n for n, v in (("input_size", input_size), ("dtypes", dtypes)) if v is not None)
        raise ValueError(
            f"summary: input_data carries its own shape and dtype; give it alone, not with {given}"
        )
    several = isinstance(input_data, (list, tuple))
    if several and not input_data:
        raise ValueError("summary: input_data is an empty list; give the model's inputs")
    data = list(input_data) if several else [input_data]
    for i, x in enumerate(data):
        if not isinstance(x, (Tensor, np.ndarray)):
            where = f"input_data[{i}]" if several else "input_data"
            raise TypeError(
                f"summary: {where} must be a Tensor or a NumPy array (a list of them for a "
                f"forward of several inputs), got {type_name(x)}"
            )
    return [x if isinstance(x, Tensor) else tensor(x) for x in data]


def _check_arity(model, n, source):
    """Refuse, before any array is drawn, a count of inputs the model's forward cannot take."""
    try:
        signature = inspect.signature(model.forward)
    except (TypeError, ValueError):  # a forward with no signature to read: the call will tell
        return
    try:
        signature.bind(*range(n))
    except TypeError:
        raise TypeError(
            f"summary: {source} gives {_plural(n, 'input')}, which "
            f"{type(model).__name__}.forward{signature} cannot take"
        ) from None


def traced_inputs(model, input_size=None, dtypes=None, input_data=None):
    """The Tensors to run ``model`` on, in ``forward``'s order: ``input_data`` as given, else
    one drawn per shape of ``input_size`` ((C, H, W) gets a batch of 1; any other length is the
    whole shape) at its dtype of ``dtypes``."""
    if input_data is not None:
        xs = _from_data(input_size, dtypes, input_data)
        _check_arity(model, len(xs), "input_data")
        return xs
    if input_size is None:
        raise TypeError("summary: give input_size (with dtypes for integer ids) or input_data")
    shapes = _shapes(input_size)
    kinds = _dtypes(model, dtypes, len(shapes))
    _check_arity(model, len(shapes), "input_size")
    params = list(model.parameters())
    device = params[0].device if params else "cpu"
    rng = np.random.default_rng(0)
    xs = []
    for shape, dtype in zip(shapes, kinds):
        if dtype.kind in "biu":
            xs.append(tensor(np.zeros(shape, dtype), device=device))
            continue
        # NOTE: drawn at the model's dtype where NumPy can, so no float64 copy sits beside it
        draw = np.float32 if dtype == np.float32 else np.float64
        x = rng.standard_normal(shape, dtype=draw)
        xs.append(tensor(x.astype(dtype, copy=False), device=device))
    return xs
