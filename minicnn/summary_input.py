"""The input ``summary`` traces a model with: drawn from ``input_size`` and ``dtypes``, or the
caller's own ``input_data``, as torchinfo's ``summary`` takes them.

A float input is drawn at random, at the model's dtype unless ``dtypes`` says otherwise; an
integer or bool one is all zeros, since 0 is a valid id of every ``nn.Embedding`` table whatever
its size (torchinfo's ``torch.rand(size).type(torch.long)`` is zeros too).
"""

import operator

import numpy as np

from .creation_args import dtype_of
from .tensor import Tensor, tensor


def _dtype(model):
    params = list(model.parameters())
    return np.dtype(params[0].dtype) if params else np.dtype(np.float32)


def _one_dtype(dtypes):
    """The one dtype of ``dtypes``: a list of one, as torchinfo's (a bare dtype is taken too)."""
    if isinstance(dtypes, (list, tuple)):
        if len(dtypes) != 1:
            raise ValueError(
                f"summary: dtypes has one dtype per input and the model takes one input, "
                f"got {len(dtypes)}: [{', '.join(map(str, dtypes))}]"
            )
        dtypes = dtypes[0]
    return dtype_of("summary", dtypes)


def _from_data(input_size, dtypes, input_data):
    if input_size is not None or dtypes is not None:
        given = " and ".join(n for n, v in (("input_size", input_size), ("dtypes", dtypes)) if v is not None)
        raise ValueError(
            f"summary: input_data carries its own shape and dtype; give it alone, not with {given}"
        )
    if isinstance(input_data, np.ndarray):
        input_data = tensor(input_data)
    if not isinstance(input_data, Tensor):
        raise TypeError(
            f"summary: input_data must be one Tensor (the model's one input), got {type(input_data).__name__}"
        )
    return input_data


def traced_input(model, input_size=None, dtypes=None, input_data=None):
    """The Tensor to run ``model`` on: ``input_data`` as given, else one drawn of ``input_size``
    ((C, H, W) gets a batch of 1; any other length is the whole shape) and ``dtypes``."""
    if input_data is not None:
        return _from_data(input_size, dtypes, input_data)
    if input_size is None:
        raise TypeError("summary: give input_size (with dtypes for integer ids) or input_data")
    try:
        shape = tuple(operator.index(n) for n in input_size)
    except (TypeError, ValueError):
        raise TypeError(f"summary: input_size must be a sequence of ints, got {input_size!r}") from None
    if any(n < 0 for n in shape):
        raise ValueError(f"summary: input_size must hold no negative sizes, got {shape}")
    if len(shape) == 3:
        shape = (1,) + shape
    params = list(model.parameters())
    device = params[0].device if params else "cpu"
    dtype = _dtype(model) if dtypes is None else _one_dtype(dtypes)
    if dtype.kind in "biu":
        return tensor(np.zeros(shape, dtype), device=device)
    # NOTE: drawn at the model's dtype where NumPy can, so no float64 copy of the input sits beside it
    draw = np.float32 if dtype == np.float32 else np.float64
    x = np.random.default_rng(0).standard_normal(shape, dtype=draw)
    return tensor(x.astype(dtype, copy=False), device=device)
