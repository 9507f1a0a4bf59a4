"""Array-level kernels, one module per tier, and the one table that picks among them.

    reference.py  plain loops: the readable spec every other tier is tested against
    im2col.py     vectorized xp code (NumPy, and the same lines on CuPy): the default;
    xp_pool.py    im2col.py holds convolution (strided.py its phase split), xp_pool.py
    xp_norm.py    pooling, xp_norm.py LRN and batch norm
    numba_cpu.py  jitted loops for what NumPy does badly (scatter-adds, windows)
    cupy_gpu.py   CUDA kernels where the xp code launches too many small kernels

Every kernel is arrays in, arrays out; names are ``<op>_forward`` and
``<op>_backward`` (or a more specific suffix). A tier need not define every
kernel: a missing one is taken from the next tier in its chain below.
"""
import importlib

from .. import backend

# tier -> modules searched in order for a kernel
_XP = ("im2col", "xp_pool", "xp_norm")
_CHAINS = {
    "reference": ("reference",),
    "numpy": _XP + ("reference",),
    "numba": ("numba_cpu",) + _XP + ("reference",),
    "cuda": ("cupy_gpu",) + _XP,
}


class KernelSet:
    """Looks a kernel up along a chain of tier modules (first one that has it wins)."""

    def __init__(self, tier, names, only_first=None):
        self.tier = tier
        self.modules = [importlib.import_module(f"{__name__}.{n}") for n in names]
        # In "auto" mode the Numba module lends only the kernels that beat NumPy.
        self.only_first = only_first
        self._cache = {}

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        for i, module in enumerate(self.modules):
            if i == 0 and self.only_first is not None and name not in self.only_first:
                continue
            fn = getattr(module, name, None)
            if fn is not None:
                self.__dict__[name] = fn
                return fn
        raise AttributeError(f"no kernel {name!r} in tier {self.tier!r}")

    def __repr__(self):
        return f"KernelSet({self.tier!r})"


_sets = {}


def get(tier):
    """The KernelSet for a tier name ('reference', 'numpy', 'numba', 'auto' or 'cuda')."""
    if tier == "auto":
        if not backend.numba_available():
            return get("numpy")
        key = "auto"
    else:
        key = tier
    if key not in _sets:
        if key == "auto":
            from . import numba_cpu
            _sets[key] = KernelSet("auto", _CHAINS["numba"], only_first=numba_cpu.USE_BY_DEFAULT)
        else:
            if key == "numba" and not backend.numba_available():
                raise RuntimeError("kernel tier 'numba' needs Numba: pip install -e \".[numba]\"")
            _sets[key] = KernelSet(key, _CHAINS[key])
    return _sets[key]


def for_array(x):
    """The kernels for an array: the chosen tier on CPU, the CUDA chain for CuPy arrays."""
    if backend.is_cupy_array(x):
        return get("cuda")
    return get(backend.kernel_tier())
