"""Devices, array modules, kernel tiers, and running with no optional package at all."""

import pathlib
import subprocess
import sys
import textwrap
import types

import numpy as np
import pytest

import minicnn as mc
from minicnn import backend, kernels


def test_cpu_is_numpy():
    assert backend.get_xp("cpu") is np
    assert backend.xp_of(np.zeros(1)) is np
    assert backend.device_of(np.zeros(1)) == "cpu"
    assert "cpu" in mc.devices()


def test_cuda_without_cupy_says_how_to_get_it():
    if backend.cuda_available():
        pytest.skip("this machine has a GPU")
    with pytest.raises(RuntimeError, match=r'pip install -e "\.\[gpu\]"'):
        backend.get_xp("cuda")
    with pytest.raises(RuntimeError, match="device 'cuda' needs CuPy"):
        mc.tensor([1.0], device="cuda")
    assert mc.devices() == ["cpu"]


@pytest.mark.parametrize("device", ["tpu", "opencl", "mps:0"])
def test_unknown_device_raises(device):
    with pytest.raises(ValueError, match=f"unknown device '{device}': expected 'cpu' or 'cuda'"):
        backend.get_xp(device)
    with pytest.raises(ValueError, match="unknown device"):
        mc.tensor([1.0], device=device)


def test_device_names_are_normalized():
    assert backend.normalize_device("cuda:1") == "cuda"
    assert backend.normalize_device("cpu") == "cpu"


# --- kernel tiers ------------------------------------------------------------------------


def test_use_kernels_as_context_manager_restores_the_previous_tier():
    before = backend.kernel_tier()
    with mc.use_kernels("reference"):
        assert backend.kernel_tier() == "reference"
        with mc.use_kernels("numpy"):
            assert backend.kernel_tier() == "numpy"
        assert backend.kernel_tier() == "reference"
    assert backend.kernel_tier() == before


def test_use_kernels_restores_after_an_exception():
    before = backend.kernel_tier()
    with pytest.raises(KeyError):
        with mc.use_kernels("reference"):
            raise KeyError
    assert backend.kernel_tier() == before


def test_use_kernels_without_with_switches_globally():
    before = backend.kernel_tier()
    switch = mc.use_kernels("reference")
    try:
        assert backend.kernel_tier() == "reference"
    finally:
        switch.__exit__(None, None, None)
    assert backend.kernel_tier() == before


def test_use_kernels_rejects_an_unknown_tier_and_keeps_the_current_one():
    before = backend.kernel_tier()
    with pytest.raises(ValueError, match="use_kernels: unknown tier 'fast'; expected one of"):
        mc.use_kernels("fast")
    assert backend.kernel_tier() == before


def test_kernel_sets_follow_the_tier():
    with mc.use_kernels("reference"):
        assert kernels.for_array(np.zeros(1)).tier == "reference"
    with mc.use_kernels("numpy"):
        assert kernels.for_array(np.zeros(1)).tier == "numpy"


# --- mixing devices ----------------------------------------------------------------------------


class FakeCupyArray:
    """Looks like a CuPy array to backend.is_cupy_array, holds a NumPy array."""

    def __init__(self, array):
        self.array = array
        self.shape, self.dtype, self.ndim, self.size = array.shape, array.dtype, array.ndim, array.size


FakeCupyArray.__module__ = "cupy._core.core"


def test_mixing_numpy_and_cuda_tensors_names_both_devices(monkeypatch):
    # a stand-in cupy module, so no GPU is needed to reach the device check
    monkeypatch.setattr(backend, "_cupy", types.SimpleNamespace(__name__="cupy"))
    cpu = mc.tensor(np.ones(3), requires_grad=True)
    gpu = mc.Tensor(FakeCupyArray(np.ones(3)))
    assert gpu.device == "cuda"
    with pytest.raises(
        TypeError,
        match=r"Add: inputs are on different devices \['cpu', 'cuda'\]; "
        r"move them with \.to\(device\) first",
    ):
        cpu + gpu
    with pytest.raises(TypeError, match=r"Mul: inputs are on different devices \['cuda', 'cpu'\]"):
        gpu * cpu


# --- no optional packages ---------------------------------------------------------------------

WITHOUT_EXTRAS = textwrap.dedent("""
    import sys, warnings
    for name in ("numba", "matplotlib", "tqdm", "cupy"):
        sys.modules[name] = None          # makes `import name` raise ImportError
    warnings.simplefilter("always")
    with warnings.catch_warnings(record=True) as caught:
        import numpy as np
        import minicnn as mc
        import minicnn.functional as F
        x = mc.tensor(np.array([[1.0, -2.0, 3.0]]), requires_grad=True)
        w = mc.tensor(np.ones((2, 3)), requires_grad=True)
        y = F.linear(x, w)
        assert not caught, [str(c.message) for c in caught]  # nothing before a kernel set
        loss = F.cross_entropy(F.relu(y), mc.tensor([1]))  # ReLU asks for one
        loss.backward()
        assert x.grad.shape == (1, 3) and w.grad.shape == (2, 3)
        first = mc.kernels.for_array(np.zeros(1))
        second = mc.kernels.for_array(np.zeros(1))
    assert len(caught) == 1, [str(c.message) for c in caught]  # once, and nothing else
    assert issubclass(caught[0].category, mc.backend.MissingExtraWarning)
    assert "Numba is not installed" in str(caught[0].message), caught[0].message
    assert first.tier == second.tier == "numpy", first
    assert "numba" not in [m for m in sys.modules if sys.modules[m] is not None]
    print("ok")
""")


def test_runs_without_numba_matplotlib_tqdm_and_warns_once():
    root = pathlib.Path(mc.__file__).parents[1]  # so the child imports this minicnn
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_EXTRAS], capture_output=True, text=True, timeout=60, cwd=root
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_numba_without_scipy_is_not_used_and_says_once_what_is_missing(monkeypatch):
    """Numba's np.dot needs SciPy's BLAS: without it minicnn keeps to its NumPy kernels and
    names SciPy, once."""
    import warnings

    pytest.importorskip("numba")
    monkeypatch.setitem(sys.modules, "scipy.linalg.cython_blas", None)  # its import fails
    monkeypatch.setattr(backend, "_said", set())
    with pytest.warns(backend.MissingExtraWarning, match="^SciPy is not installed: minicnn's Numba kernels"):
        assert backend.numba_available() is False
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert backend.numba_available() is False
        assert backend.numba_available(quiet=True) is False
    assert caught == []
