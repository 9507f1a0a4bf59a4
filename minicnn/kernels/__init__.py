"""Array-level kernels, one module per tier, and the one table that picks among them.

    reference.py  plain loops: the readable spec every other tier is tested against
    reference_sample_norm.py  the same for layer norm and group norm, whose one xp code
                  (functional/sample_norm.py) serves every tier
    reference_interpolate.py  the same for interpolate (functional/interpolate.py)
    reference_embedding.py  the same for embedding's lookup, scatter-add and max_norm
                  (functional/embedding.py)
    reference_fold.py  plain loops for unfold and fold, in the reference tier beside reference.py
    simple.py     the plain im2col + GEMM convolution, to read and step through
    im2col.py     vectorized xp code (NumPy, and the same lines on CuPy), the numpy tier:
    xp_pool.py      im2col.py convolution (strided.py its phase split), xp_pool.py
    xp_norm.py      pooling, xp_norm.py LRN and batch norm, xp_activation.py ReLU's
    xp_activation.py  maximum and backward mask; xp_fold.py unfold and fold (im2col.py's window
    xp_fold.py      copy and col2im, with the batch axis first)
    by_images.py  which of im2col.py's convolutions run one GEMM per image, and those GEMMs
    kept_columns.py  x's columns, kept by im2col.py's forward for its weight gradient
    numba_cpu.py  jitted loops for what NumPy does badly (pooling, LRN, batch norm)
    numba_activation.py  ReLU's forward and backward, one jitted pass each
    numba_im2col.py  im2col.py with its window copy and col2im as jitted loops, stride-1
                  convolutions image by image (in "auto")
    winograd.py   3x3 stride-1 convolution by Winograd's F(2x2, 3x3); numba_winograd.py
                  the same image by image, each thread its own images, jitted transforms
                  (in "auto"), numba_winograd_weight.py those of the weight
    numba_depthwise.py  depthwise convolution as channels-last loops (in "auto")
    numba_direct.py  the forward and weight gradient of single-channel images without
                  im2col's columns (in "auto")
    malloc.py     glibc's malloc told to keep freed memory for the next step (by the
                  command line and the bench's workers)
    threads.py    one pool: the loops on every core, BLAS held to one thread (and copies
                  split over threads where Numba is missing)
    cupy_gpu.py   CUDA kernels for convolution's copies, max-pool's backward and ReLU's,
                  where the xp code copies slowly or launches too many small kernels;
                  cupy_norm.py the same for LRN and batch norm; cupy_compile.py compiles
                  their CUDA C once per dtype
    gemm.py       the matrix products of im2col.py and Linear: xp.matmul, or while a CUDA
                  graph is captured, cublas_direct.py (cuBLAS through ctypes), or with BLAS
                  on one thread, numba_gemm.py (large products cut among Numba's threads)

Every kernel is arrays in, arrays out, and its result is the caller's (no later
call writes into it). ``KERNELS`` lists the names every tier answers; a module
need not define them all: a missing one is taken from the next module of its
tier in ``TIERS``. ``which(name)`` names the function an op calls now:

>>> import minicnn as mc
>>> from minicnn import kernels
>>> with mc.use_kernels("numpy"):
...     kernels.which("max_pool2d_forward")
'minicnn.kernels.xp_pool.max_pool2d_forward'

Under "auto", a convolution's fast kernels pass the shapes they were not written
for on to the next module; ``trace()`` (trace.py) records which ones a block ran.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Callable
from types import ModuleType
from typing import Any

from .. import backend

# NOTE: imported before this package's own names exist: neither may import from it
# (``from . import get``) at import time.
from . import im2col, kept_columns, threads
from .trace import trace

# What a user reaches as ``mc.kernels.name``: the tables, the kernel sets and the two ways to ask
# which function runs. The modules of each tier are imported by name (``kernels.im2col``).
__all__ = ["KERNELS", "OPTIONAL", "TIERS", "AUTO", "KernelSet", "get", "for_array", "which", "trace"]

# The interface: what an op may ask a kernel set for
KERNELS = (
    "conv2d_forward",
    "conv2d_input_grad",
    "conv2d_weight_grad",
    "max_pool2d_forward",
    "max_pool2d_input_grad",
    "avg_pool2d_forward",
    "avg_pool2d_input_grad",
    "adaptive_avg_pool2d_forward",
    "adaptive_avg_pool2d_input_grad",
    "adaptive_max_pool2d_forward",
    "lrn_forward",
    "lrn_input_grad",
    "batch_norm_stats",
    "batch_norm_invstd",
    "batch_norm_update_running",
    "batch_norm_apply",
    "batch_norm_grads",
    "relu_forward",
    "relu_input_grad",
    # F.unfold and F.fold, each the other's gradient: im2col and col2im in PyTorch's layout
    "unfold_forward",
    "fold_forward",
)
"""The names every tier answers: forward kernels named for the op, backward ones for the
gradient they compute."""
# Kernels a tier may lack. Where no module of its chain lends one, the set holds None
# and the op goes its usual way: conv2d_grads(gy, x, weight, ...) gives a convolution's
# input and weight gradients together (or None for a convolution it has no joint
# algorithm for), where the pair of gradient kernels would each rebuild what they share.
OPTIONAL = ("conv2d_grads",)
"""Kernels a tier may lack (its set then holds None): ``conv2d_grads``, a convolution's two
gradients at once."""

# What "auto" takes from each fast module, in the order they are searched; the rest
# comes from the xp tier. Each entry beat the xp code, alone (benchmarks/kernels.py) or
# on whole training steps (A/Bs, each side in its own process); the figures are in
# benchmarks/README.md. A module whose package is missing is skipped.
# Max-pool's forward writes, and its backward reads, the argmax in one layout (h*W + w),
# so the two may come from different modules (the cuda tier's do).
# Winograd lends the forward of 3x3 stride-1 convolutions and their two gradients together,
# each thread taking its own images: gx by Winograd, and gW by Winograd too, a block of
# images to a GEMM (others fall back to numba_im2col inside it). Both by Winograd beat
# numba_im2col's columns of gy on every map measured (benchmarks/README.md, "Both gradients
# by Winograd, gW in blocks of images"). Filters of few taps
# (3x3 on RGB) go from Winograd's forward to numba_im2col's per-image GEMMs: with 27 taps,
# the transforms outweigh the products Winograd saves (benchmarks/README.md, "Filters of
# few taps"); so do convolutions of few output tiles, forward and gradients (a small batch
# of small maps: numba_winograd.few_tiles, "Winograd on few tiles").
# The single-channel forward and weight gradient come first and send every other
# convolution to the depthwise loops, which send theirs on: the forward to Winograd,
# the gradients to numba_im2col (im2col.py's with jitted copies).
AUTO = {
    "numba_direct": ("conv2d_forward", "conv2d_weight_grad"),
    "numba_depthwise": ("conv2d_forward", "conv2d_input_grad", "conv2d_weight_grad"),
    "numba_winograd": ("conv2d_forward", "conv2d_grads"),
    "numba_cpu": (
        "max_pool2d_forward",
        "max_pool2d_input_grad",
        "lrn_forward",
        "lrn_input_grad",
        "batch_norm_stats",
        "batch_norm_apply",
        "batch_norm_grads",
    ),
    "numba_activation": ("relu_forward", "relu_input_grad"),
}
"""What "auto" takes from each fast module, {module: kernel names}, searched in this order; the
numpy tier lends the rest, and a module whose package is missing is skipped."""

_XP = ("im2col", "xp_pool", "xp_norm", "xp_activation", "xp_fold")

TIERS = {
    "reference": ("reference", "reference_fold"),
    "numpy-simple": ("simple",) + _XP + ("reference",),
    "numpy": _XP + ("reference",),
    "numba": ("numba_im2col", "numba_cpu", "numba_activation") + _XP + ("reference",),
    "cuda": ("cupy_gpu", "cupy_norm") + _XP,
}
"""For each tier, the modules searched in order for a kernel: the first that has it wins
(``reference``: reference, reference_fold; ``numpy``: im2col, xp_pool, xp_norm, xp_activation,
xp_fold, then reference)."""


# the tiers written to be read: plain loops, and the three formulas as written
PLAIN = ("reference", "numpy-simple")


class KernelSet:
    """The kernels of one tier, looked up once: ``K.conv2d_forward`` is a plain function.

    ``chain`` is a list of (module name, names it lends or None for all it has);
    for each kernel the first module that lends it wins.
    """

    def __init__(self, tier: str, chain: list[tuple[str, tuple[str, ...] | None]]):
        self.tier = tier
        self.chain = chain
        self.choices: dict[str, Callable[..., Any]] = {}
        modules = [(_module(name), lends) for name, lends in chain]
        for kernel in KERNELS + OPTIONAL:
            setattr(self, kernel, None)
            for module, lends in modules:
                fn = getattr(module, kernel, None)
                if fn is not None and (lends is None or kernel in lends):
                    self.choices[kernel] = fn
                    setattr(self, kernel, fn)
                    break

    # The two scopes a convolution opens around its kernels, so that its forward may keep
    # x's columns for the weight gradient and its two gradient kernels may share gy's
    # columns: for one op's calls only, where each kernel alone could not tell. The plain
    # tiers share nothing, and a reader stepping through them enters neither.
    def keeping_columns(self, wanted: bool) -> Any:
        """Within the block, forwards keep x's columns where ``wanted`` (kept_columns.py)."""
        return contextlib.nullcontext() if self.tier in PLAIN else kept_columns.keeping(wanted)

    def sharing_gy(self, gy: Any) -> Any:
        """Within the block, the gradient kernels may share what they build from gy (im2col.py)."""
        return contextlib.nullcontext() if self.tier in PLAIN else im2col.sharing(gy)

    def which(self, name: str) -> str:
        """The qualified name of the function that runs for kernel ``name``."""
        if name not in self.choices:
            known = ", ".join(KERNELS + OPTIONAL)
            raise KeyError(f"no kernel {name!r} in tier {self.tier!r}; kernels: {known} (the last optional)")
        fn = self.choices[name]
        return f"{fn.__module__}.{fn.__qualname__}"

    def __repr__(self) -> str:
        width = max(len(k) for k in self.choices)
        rows = "".join(f"\n  {k:<{width}}  {self.which(k)}" for k in self.choices)
        return f"KernelSet({self.tier!r}):{rows}"


def _module(name: str) -> ModuleType:
    return importlib.import_module(f"{__name__}.{name}")


def _chain(tier: str) -> list[tuple[str, tuple[str, ...] | None]]:
    """The (module, names lent) chain of a tier; "auto" is the AUTO table over the numpy tier."""
    if tier != "auto":
        return [(name, None) for name in TIERS[tier]]
    fast = [(name, names) for name, names in AUTO.items() if _importable(name)]
    return fast + [(name, None) for name in TIERS["numpy"]]


def _importable(name: str) -> bool:
    if name.startswith("numba") and not backend.numba_available():
        return False
    try:
        _module(name)
        return True
    except ImportError:
        return False


_sets: dict[str, KernelSet] = {}


def get(tier: str) -> KernelSet:
    """The KernelSet of a tier: one of ``backend.KERNEL_TIERS`` or "cuda"."""
    found = _sets.get(tier)
    if found is None:
        if tier == "numba" and not backend.numba_available(quiet=True):
            raise RuntimeError("kernel tier 'numba' needs Numba: pip install -e \".[numba]\"")
        if tier != "auto" and tier not in TIERS:
            raise ValueError(
                f"unknown kernel tier {tier!r}; expected one of {backend.KERNEL_TIERS + ('cuda',)}"
            )
        chain = _chain(tier)
        # without any fast module, "auto" is the numpy tier, and says so
        found = (
            get("numpy") if tier == "auto" and len(chain) == len(TIERS["numpy"]) else KernelSet(tier, chain)
        )
        _sets[tier] = found
        # after the kernels' modules are imported (a library among them may load a BLAS)
        threads.share_cores_with_blas(loops=any(name.startswith("numba") for name, _ in found.chain))
    return found


def for_array(x: Any) -> KernelSet:
    """The kernels for an array: the chosen tier on CPU, the CUDA chain for CuPy arrays."""
    if backend.is_cupy_array(x):
        return get("cuda")
    return get(backend.kernel_tier())


def which(name: str, device: str = "cpu") -> str:
    """The qualified name of the function that runs now for kernel ``name`` on ``device``
    (the tier set by ``mc.use_kernels`` on CPU; the CUDA chain on "cuda")."""
    tier = "cuda" if backend.normalize_device(device) == "cuda" else backend.kernel_tier()
    return get(tier).which(name)
