"""mc.cuda, torch.cuda's names on CuPy: without a GPU (as torch answers on such a machine), on a
stand-in CuPy that records what it is asked (the GPU paths, on any machine), and on a real GPU."""

import pathlib
import subprocess
import sys
import types

import numpy as np
import pytest

import minicnn as mc
import minicnn.cuda
from minicnn import backend
from minicnn.bench import system

NEED_A_GPU = ("current_device", "get_device_name", "synchronize")


def test_minicnn_cuda_is_a_submodule_reached_as_mc_cuda():
    assert mc.cuda is minicnn.cuda and "cuda" in dir(mc)
    assert mc.cuda.is_available() is mc.cuda_available()
    functions = [n for n in dir(mc.cuda) if callable(getattr(mc.cuda, n)) and not n.startswith("_")]
    assert sorted(mc.cuda.__all__) == functions


def test_the_device_line_of_a_pytorch_tutorial_runs():
    device = "cuda" if mc.cuda.is_available() else "cpu"
    x = mc.tensor(np.random.default_rng(3100).standard_normal(3), device=device)
    assert x.device == device and x.is_cuda is (device == "cuda")


@pytest.fixture
def no_gpu():
    if backend.cuda_available():
        pytest.skip("this machine has a GPU")


def test_without_a_gpu_nothing_is_available_as_torch_says(no_gpu):
    assert mc.cuda.is_available() is False and mc.cuda.device_count() == 0
    assert mc.devices() == ["cpu"]
    # what torch does on a machine without a GPU: nothing, or 0
    assert mc.cuda.manual_seed(0) is None and mc.cuda.manual_seed_all(0) is None
    assert mc.cuda.empty_cache() is None
    assert mc.cuda.memory_allocated() == mc.cuda.memory_reserved() == mc.cuda.memory_allocated("cuda:0") == 0


@pytest.mark.parametrize("name", NEED_A_GPU)
def test_without_a_gpu_what_needs_one_says_so_in_one_line(no_gpu, name):
    with pytest.raises(RuntimeError) as err:
        getattr(mc.cuda, name)()
    message = str(err.value)
    assert message.startswith(f"cuda.{name}() needs CuPy and an NVIDIA GPU, and this machine has none usable")
    assert 'pip install -e ".[gpu]"' in message and "\n" not in message


def test_import_minicnn_cuda_works_with_cupy_blocked():
    script = (
        "import sys; sys.modules['cupy'] = None\n"
        "import minicnn.cuda as c\n"
        "print(c.is_available(), c.device_count(), c.memory_allocated())\n"
    )
    root = pathlib.Path(mc.__file__).parents[1]  # so the child imports this minicnn
    command = [sys.executable, "-c", script]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=root)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "0", "0"]


def test_manual_seed_leaves_minicnns_generator_as_it_was():
    """Draws for either device come from the generator mc.manual_seed resets: cuda's seeds touch it not."""
    mc.manual_seed(3101)
    first = mc.rand(4).numpy()
    mc.manual_seed(3101)
    mc.cuda.manual_seed(7)
    mc.cuda.manual_seed_all(8)
    np.testing.assert_array_equal(mc.rand(4).numpy(), first)


@pytest.mark.parametrize("name", ["manual_seed", "manual_seed_all"])
@pytest.mark.parametrize("seed", [1.5, "1", True, -1, 2**64 - 1, np.int64(3), np.float32(2.5)])
def test_manual_seed_takes_what_int_takes_as_torch_cuda_manual_seed(name, seed):
    assert getattr(mc.cuda, name)(seed) is None  # torch's int(seed), on a machine without a GPU too


@pytest.mark.parametrize("name", ["manual_seed", "manual_seed_all"])
@pytest.mark.parametrize(
    "seed, error, says",
    [
        (None, TypeError, r"int\(None\) says: int\(\) argument must be"),
        (float("nan"), ValueError, r"int\(nan\) says: cannot convert float NaN to integer$"),
        (float("inf"), OverflowError, r"int\(inf\) says: cannot convert float infinity to integer$"),
        ("1.5", ValueError, r"int\('1\.5'\) says: invalid literal"),
        (1 + 0j, TypeError, r"int\(\(1\+0j\)\) says"),
        (2**64, ValueError, r"seed 18446744073709551616 is outside \[-2\*\*63, 2\*\*64\), the seeds PyTorch"),
        (-(2**63) - 1, ValueError, r"seed -9223372036854775809 is outside"),
    ],
)
def test_manual_seed_refuses_what_torch_refuses_with_its_error_type(name, seed, error, says):
    int_says = r"seed must be an int, or what int\(\) takes as torch's seeds do; "
    with pytest.raises(error, match=rf"^cuda\.{name}: ({int_says})?{says}"):
        getattr(mc.cuda, name)(seed)


@pytest.mark.parametrize(
    "device, error, says",
    [
        ("cpu", ValueError, "expected a cuda device, got 'cpu'"),
        (mc.device("cpu"), ValueError, "expected a cuda device, got 'cpu'"),
        ("cuda:x", ValueError, "expected a cuda device, got 'cuda:x'"),
        ("tpu", ValueError, "expected a cuda device, got 'tpu'"),
        (-1, ValueError, "expected a GPU index >= 0, got -1"),
        (1.0, TypeError, "device must be None, an int or a name such as 'cuda:0', got float"),
        (True, TypeError, "device must be None, an int or a name such as 'cuda:0', got bool"),
    ],
)
@pytest.mark.parametrize("name", ["get_device_name", "synchronize", "memory_allocated", "memory_reserved"])
def test_a_device_that_is_no_gpu_is_refused_before_a_gpu_is_asked_for(name, device, error, says):
    with pytest.raises(error, match=f"^cuda.{name}: {says}$"):
        getattr(mc.cuda, name)(device)


@pytest.mark.parametrize(
    "name, says",
    [
        ("set_device", "cupy.cuda.Device(n).use()"),
        ("device", "a with block"),
        ("amp", "float32 (the default) and float64 only"),
        ("get_device_properties", "cupy.cuda.runtime.getDeviceProperties(n)"),
        ("max_memory_allocated", "keeps no peak"),
    ],
)
def test_a_torch_cuda_name_minicnn_lacks_says_the_minicnn_way(name, says):
    with pytest.raises(AttributeError) as err:
        getattr(mc.cuda, name)
    message = str(err.value)
    assert message.startswith(f"module 'minicnn.cuda' has no attribute '{name}'; ") and says in message
    assert not hasattr(mc.cuda, name) and name not in dir(mc.cuda)


# --- the GPU paths, on a stand-in CuPy ----------------------------------------------------------


class FakeCupy:
    """Two GPUs, named as CuPy names them (bytes), and a log of what was asked of them."""

    __name__ = __version__ = "cupy"

    def __init__(self):
        self.log, self.current = [], 0
        fake = self

        class Device:
            def __init__(self, index=None):
                self.id = fake.current if index is None else index

            def synchronize(self):
                fake.log.append(("synchronize", self.id))

            def __enter__(self):
                self.previous, fake.current = fake.current, self.id

            def __exit__(self, *exc):
                fake.current = self.previous

        class Pool:
            def used_bytes(self):
                return 1000 * (fake.current + 1)

            def total_bytes(self):
                return 3000 * (fake.current + 1)

            def free_all_blocks(self):
                fake.log.append(("free_all_blocks", fake.current))

        runtime = types.SimpleNamespace(
            getDeviceCount=lambda: 2,
            getDevice=lambda: fake.current,
            getDeviceProperties=lambda i: {"name": f"NVIDIA Stand-in {i}".encode(), "major": 9},
        )
        self.cuda = types.SimpleNamespace(Device=Device, runtime=runtime)
        self.get_default_memory_pool = Pool


@pytest.fixture
def fake_cupy(monkeypatch):
    fake = FakeCupy()
    monkeypatch.setattr(backend, "_cupy", fake)
    return fake


def test_on_a_gpu_counts_and_names_come_from_cupy(fake_cupy):
    assert mc.cuda.is_available() is True and mc.cuda.device_count() == 2
    assert mc.cuda.current_device() == 0 and mc.devices() == ["cpu", "cuda"]
    fake_cupy.current = 1
    assert mc.cuda.current_device() == 1 and mc.cuda.get_device_name() == "NVIDIA Stand-in 1"
    for device in (0, np.int64(0), "cuda:0", mc.device("cuda", 0)):
        assert mc.cuda.get_device_name(device) == "NVIDIA Stand-in 0"
    assert mc.cuda.get_device_name("cuda") == "NVIDIA Stand-in 1"  # no index: the current GPU
    assert system.environment(["cpu", "cuda"])["gpu"] == "NVIDIA Stand-in 0"


def test_on_a_gpu_synchronize_waits_on_the_gpu_named(fake_cupy):
    assert mc.cuda.synchronize() is None
    mc.cuda.synchronize("cuda:1")
    mc.cuda.synchronize(mc.device("cuda", 0))
    assert fake_cupy.log == [("synchronize", 0), ("synchronize", 1), ("synchronize", 0)]


def test_on_a_gpu_memory_is_read_from_the_pool_of_the_gpu_named(fake_cupy):
    assert (mc.cuda.memory_allocated(), mc.cuda.memory_reserved()) == (1000, 3000)
    assert (mc.cuda.memory_allocated(1), mc.cuda.memory_reserved("cuda:1")) == (2000, 6000)
    assert fake_cupy.current == 0  # read inside the GPU's context, then left
    assert mc.cuda.empty_cache() is None and fake_cupy.log == [("free_all_blocks", 0)]


@pytest.mark.parametrize("name", ["get_device_name", "synchronize", "memory_allocated", "memory_reserved"])
def test_on_a_gpu_an_index_beyond_the_last_gpu_is_refused(fake_cupy, name):
    with pytest.raises(ValueError, match=f"^cuda.{name}: GPU 2 is out of range: this machine has 2 GPU"):
        getattr(mc.cuda, name)("cuda:2")
    assert fake_cupy.log == []


def test_on_a_gpu_the_seeds_still_do_nothing(fake_cupy):
    mc.manual_seed(3102)
    first = mc.rand(2).numpy()
    mc.manual_seed(3102)
    assert mc.cuda.manual_seed(1) is None and mc.cuda.manual_seed_all(1) is None
    np.testing.assert_array_equal(mc.rand(2).numpy(), first)
    assert fake_cupy.log == []


def test_is_cuda_says_whether_the_array_is_a_cupy_array(fake_cupy):
    class FakeCupyArray:
        def __init__(self, array):
            self.array, self.shape, self.dtype, self.ndim = array, array.shape, array.dtype, array.ndim

    FakeCupyArray.__module__ = "cupy._core.core"
    assert mc.Tensor(FakeCupyArray(np.zeros(2))).is_cuda is True
    assert mc.zeros(2).is_cuda is False and "GPU" in mc.Tensor.is_cuda.__doc__


# --- a real GPU -----------------------------------------------------------------------------------


@pytest.mark.gpu
def test_on_the_gpu_counts_names_and_synchronize():
    import cupy as cp

    assert mc.cuda.is_available() and mc.cuda.device_count() == cp.cuda.runtime.getDeviceCount() >= 1
    assert mc.cuda.current_device() == cp.cuda.runtime.getDevice()
    name = mc.cuda.get_device_name()
    assert isinstance(name, str) and name == mc.cuda.get_device_name(mc.cuda.current_device()) != ""
    x = mc.tensor(np.random.default_rng(3103).standard_normal((256, 256)).astype(np.float32), device="cuda")
    y = x @ x
    assert mc.cuda.synchronize() is None and y.is_cuda and not y.cpu().is_cuda


@pytest.mark.gpu
def test_on_the_gpu_memory_counts_follow_cupys_pool():
    import cupy as cp

    pool = cp.get_default_memory_pool()
    before = mc.cuda.memory_allocated()
    assert before == pool.used_bytes() and mc.cuda.memory_reserved() == pool.total_bytes() >= before
    x = mc.zeros(1 << 20, device="cuda")  # 4 MiB
    assert mc.cuda.memory_allocated() >= before + 4 * (1 << 20)
    del x
    assert mc.cuda.memory_allocated() == before
    held = mc.cuda.memory_reserved()
    mc.cuda.empty_cache()
    assert before <= mc.cuda.memory_reserved() < held
