"""minicnn: a deep-learning engine written from scratch on NumPy, Numba and CuPy.

import minicnn as mc
x = mc.tensor([[1.0, 2.0]], requires_grad=True)
y = (x * x).sum()
y.backward()          # x.grad == 2 * x
"""

from . import interrupts

interrupts.during_startup()  # only when this process is ``python -m minicnn ...``

from .backend import cuda_available, use_kernels
from .tensor import Function, Tensor, is_grad_enabled, no_grad, tensor
from .functional import cat, flatten, stack
from .functional import (
    abs,
    amax,
    amin,
    clamp,
    exp,
    floor_divide,
    log,
    max,
    mean,
    min,
    sqrt,
    std,
    sum,
    var,
    where,
)
from .functional import relu, sigmoid, tanh
from .gradcheck import gradcheck
from .rng import manual_seed
from .io import save, load
from . import nn, optim
from .summary import summary
from . import weights

__version__ = "0.1.0"

# imported on first use (``mc.models.resnet18()``), so ``import minicnn`` stays light
_LAZY = ("models", "data", "distributed", "train", "viz")


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'minicnn' has no attribute {name!r}")


def devices():
    """The devices this machine can use: always 'cpu', and 'cuda' when CuPy sees a GPU."""
    return ["cpu", "cuda"] if cuda_available() else ["cpu"]


def zeros(*shape, dtype="float32", device="cpu", requires_grad=False):
    import numpy as np

    shape = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
    return tensor(np.zeros(shape, dtype=dtype), requires_grad=requires_grad, device=device)


def ones(*shape, dtype="float32", device="cpu", requires_grad=False):
    import numpy as np

    shape = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
    return tensor(np.ones(shape, dtype=dtype), requires_grad=requires_grad, device=device)


def randn(*shape, dtype="float32", device="cpu", requires_grad=False, seed=None):
    from . import rng

    shape = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
    # the default generator unless a seed is given, so mc.manual_seed makes it repeatable
    data = rng.get_generator(seed).standard_normal(shape).astype(dtype)
    return tensor(data, requires_grad=requires_grad, device=device)
