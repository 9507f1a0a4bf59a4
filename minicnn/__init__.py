"""minicnn: a deep-learning engine written from scratch on NumPy, Numba and CuPy.

import minicnn as mc
x = mc.tensor([[1.0, 2.0]], requires_grad=True)
y = (x * x).sum()
y.backward()          # x.grad == 2 * x
"""

from . import interrupts, shadowing

interrupts.during_startup()  # only when this process is ``python -m minicnn ...``
shadowing.check_numpy_is_numpy()  # a numpy.py of one's own would stand in for NumPy

from .backend import cuda_available, device, use_kernels
from .tensor import Function, Tensor, tensor
from . import autograd
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .grad_mode import inference_mode, is_inference_mode_enabled
from .functional import cat, chunk, flatten, permute, reshape, split, squeeze, stack, transpose, unsqueeze
from .functional import (
    abs,
    add,
    addcdiv,
    addcmul,
    amax,
    amin,
    argmax,
    argmin,
    argsort,
    ceil,
    clamp,
    clamp_max,
    clamp_min,
    clip,
    cumsum,
    div,
    exp,
    floor,
    floor_divide,
    gather,
    index_add,
    index_fill,
    index_select,
    lerp,
    log,
    logsumexp,
    masked_fill,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    mul,
    neg,
    pow,
    prod,
    reciprocal,
    remainder,
    round,
    scatter,
    scatter_add,
    sign,
    sort,
    sqrt,
    square,
    std,
    sub,
    sum,
    topk,
    var,
    where,
)
from .functional import reduce as _reduce
from .functional.out_arg import takes_out as _takes_out

norm = _takes_out(_reduce.norm, exact_dtype=True)  # (F.norm is the module norm.py: mc.norm only)
del _reduce, _takes_out
from .functional import bmm, cos, flip, mm, roll, sin
from .functional import unflatten
from .functional import log_softmax, relu, sigmoid, softmax, tanh
from .creation import arange, as_tensor, empty, eye, from_numpy, full, linspace, logspace, ones
from .creation import rand, randint, randn, randperm, zeros
from .creation_like import empty_like, full_like, ones_like, rand_like, randint_like, randn_like, zeros_like


def numel(input: Tensor):  # (no -> int: int is mc.int, the dtype, in this module)
    """The number of elements of ``input``, as ``torch.numel``."""
    return input.numel()


def is_tensor(obj: object):
    """True for a minicnn Tensor (a Parameter is one), as ``torch.is_tensor``; False for an array."""
    return isinstance(obj, Tensor)


from .gradcheck import gradcheck
from .rng import manual_seed
from .io import save, load
from . import cuda, nn, optim
from .summary import summary
from . import weights

__version__ = "0.1.0"

# imported on first use (``mc.models.resnet18()``), so ``import minicnn`` stays light
_LAZY = ("models", "data", "distributed", "train", "viz")
# the submodules ``dir(mc)`` shows; the others that importing minicnn loads (zip_limits,
# safepickle, ...) are its own machinery, still there for ``import minicnn.zip_limits``
_PUBLIC = ("autograd", "backend", "cuda", "functional", "io", "kernels", "nn", "optim", "weights")
_PUBLIC_MODULES = (*_PUBLIC, *_LAZY)


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return importlib.import_module(f".{name}", __name__)
    import sys

    from .torch_names import hint, in_from_import  # torch.utils, ...: what minicnn has instead

    way = hint(name)
    if way and in_from_import(sys._getframe(1)):  # (Python would drop an AttributeError's words)
        raise ImportError(f"cannot import name {name!r} from 'minicnn'; {way}", name="minicnn")
    raise AttributeError(f"module 'minicnn' has no attribute {name!r}" + (f"; {way}" if way else ""))


def __dir__():
    """The public API, for ``dir(mc)`` and tab completion: not the helper modules."""
    from types import ModuleType

    names = [
        k
        for k, v in globals().items()
        if not k.startswith("_") and (not isinstance(v, ModuleType) or k in _PUBLIC_MODULES)
    ]
    return sorted({*names, *_LAZY, "__version__"})


def devices():
    """The devices this machine can use: always 'cpu', and 'cuda' when CuPy sees a GPU
    (``mc.cuda.is_available()``)."""
    return ["cpu", "cuda"] if cuda_available() else ["cpu"]


# dtype names, as PyTorch's (``mc.tensor(x, dtype=mc.float32)``, ``t.to(mc.long)``); defined
# last, since ``float``, ``int`` and ``bool`` shadow the builtins in this module from here on
# (NumPy dtypes: ``t.dtype == mc.float32``, ``t.dtype is mc.float32`` and ``{mc.float32: ...}``
# all work, as in PyTorch)
import numpy as _np

float32, float64, int8, int16, int32, int64, uint8 = map(
    _np.dtype, ("float32", "float64", "int8", "int16", "int32", "int64", "uint8")
)
double, long, short = float64, int64, int16
float, int, bool = float32, int32, _np.dtype("bool")  # noqa: A001 (PyTorch's names)
