"""``mc.cuda``: the names of ``torch.cuda`` that a course script calls, on CuPy.

    device = "cuda" if mc.cuda.is_available() else "cpu"
    model.to(device); x = x.to(device)

It imports and answers without CuPy: ``is_available()`` is False and ``device_count()`` 0, and
``manual_seed``, ``empty_cache`` and the memory counters do nothing or give 0, as torch's do on
a machine without a GPU. What needs a GPU to answer (``current_device``, ``get_device_name``,
``synchronize``) raises a RuntimeError saying CuPy and an NVIDIA GPU are needed, as torch's
RuntimeError does. ``mc.cuda_available()`` and ``mc.devices()`` stay, the same answers.

A device is named as torch names one: None (the current GPU), an int N, "cuda", "cuda:N" or
``mc.device("cuda", N)``. minicnn puts arrays on CuPy's current GPU (``cupy.cuda.Device(N)``
chooses it); these functions read any GPU of the machine.
"""

import numpy as np

from . import backend, rng

__all__ = [
    "is_available",
    "device_count",
    "current_device",
    "get_device_name",
    "synchronize",
    "manual_seed",
    "manual_seed_all",
    "memory_allocated",
    "memory_reserved",
    "empty_cache",
]


def is_available():
    """True when CuPy imports and sees at least one GPU (``mc.cuda_available()``)."""
    return backend.cuda_available()


def device_count():
    """The number of GPUs CuPy sees: 0 without CuPy or a GPU."""
    return int(backend.cupy().cuda.runtime.getDeviceCount()) if is_available() else 0


def _index(name, device):
    """The GPU index ``device`` names (None for the current GPU), checked before any GPU is asked."""
    if device is None:
        return None
    if isinstance(device, (int, np.integer)) and not isinstance(device, bool):
        if device < 0:
            raise ValueError(f"cuda.{name}: expected a GPU index >= 0, got {device}")
        return int(device)
    if not isinstance(device, str):  # (mc.device is a str)
        kind = type(device).__name__
        raise TypeError(f"cuda.{name}: device must be None, an int or a name such as 'cuda:0', got {kind}")
    try:
        parsed = backend.device(device)
    except ValueError:
        parsed = None
    if parsed is None or parsed.type != "cuda":
        raise ValueError(f"cuda.{name}: expected a cuda device, got '{device}'")  # (an mc.device's name)
    return parsed.index


def _gpu(name, index=None):
    """CuPy, and the Device of ``index`` (the current one for None), or one line saying what is missing."""
    cp = backend.cupy(needed_by=f"cuda.{name}()")
    if index is None:
        return cp, cp.cuda.Device()
    count = cp.cuda.runtime.getDeviceCount()
    if index >= count:
        raise ValueError(f"cuda.{name}: GPU {index} is out of range: this machine has {count} GPU(s)")
    return cp, cp.cuda.Device(index)


def current_device():
    """The index of the GPU that new CuPy arrays go to (CuPy's current device), as an int."""
    return int(_gpu("current_device")[1].id)


def get_device_name(device=None):
    """The GPU's name, e.g. 'NVIDIA H100 80GB HBM3' (of the current GPU when ``device`` is None)."""
    cp, gpu = _gpu("get_device_name", _index("get_device_name", device))
    name = cp.cuda.runtime.getDeviceProperties(gpu.id)["name"]
    return name.decode() if isinstance(name, bytes) else str(name)


def synchronize(device=None):
    """Wait until the GPU has finished all the work queued on it.

    CuPy returns from each op once its kernel is queued, so a clock read right after an op
    times the queueing: call this before reading the clock.
    """
    _gpu("synchronize", _index("synchronize", device))[1].synchronize()


def manual_seed(seed):
    """Does nothing (the seed is checked as ``mc.manual_seed`` checks it: ``int(seed)``, as
    torch's): minicnn keeps no generator on the GPU.

    Its random numbers for either device (initial weights, dropout masks, ``mc.rand``) are
    drawn on the CPU from the one generator ``mc.manual_seed`` resets, then copied, so a seed
    gives the same numbers on NumPy and on CuPy; ``mc.manual_seed(seed)`` is what makes a run
    repeat. Kept so that a script written for torch runs, as torch's does on a machine
    without a GPU.
    """
    rng.seed_of("cuda.manual_seed", seed)


def manual_seed_all(seed):
    """Does nothing (the seed is checked), as ``manual_seed``: minicnn keeps no generator on any GPU."""
    rng.seed_of("cuda.manual_seed_all", seed)


def _pool_bytes(name, device, count):
    """``count`` (used_bytes or total_bytes) of CuPy's default memory pool on that GPU; 0 without one."""
    index = _index(name, device)
    if not is_available():
        return 0
    cp, gpu = _gpu(name, index)
    with gpu:  # NOTE: CuPy's pool answers for the current device only
        return int(getattr(cp.get_default_memory_pool(), count)())


def memory_allocated(device=None):
    """Bytes of GPU memory that arrays hold now (CuPy's memory pool's ``used_bytes``); 0 without a GPU."""
    return _pool_bytes("memory_allocated", device, "used_bytes")


def memory_reserved(device=None):
    """Bytes of GPU memory CuPy's memory pool holds: what arrays use, and the blocks it keeps
    for reuse (``total_bytes``); 0 without a GPU."""
    return _pool_bytes("memory_reserved", device, "total_bytes")


def empty_cache():
    """Give the current GPU's unused blocks of CuPy's memory pool back to the driver, so that
    other processes (and ``nvidia-smi``) see the memory free; arrays in use stay. Does nothing
    without a GPU."""
    if is_available():
        backend.cupy().get_default_memory_pool().free_all_blocks()


from .torch_names import give_hints  # noqa: E402

give_hints("cuda")
del give_hints
