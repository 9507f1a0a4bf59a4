"""PyTorch's names at the top of minicnn: mc.device as a thing, the others a pointer to minicnn's way;
and dir(mc), which lists the public API, not the helper modules."""

import importlib

import numpy as np
import pytest

import minicnn as mc
from minicnn import nn


@pytest.mark.parametrize(
    "name, says",
    [
        ("cuda", "mc.cuda_available()"),
        ("utils", "are in minicnn.data"),
        ("set_num_threads", "MINICNN_COPY_THREADS"),
        ("get_num_threads", "NUMBA_NUM_THREADS"),
        ("Generator", "np.random.default_rng(seed)"),
        ("float16", "float32 (the default) and float64 only"),
        ("set_default_dtype", ".double()"),
        ("backends", "mc.use_kernels("),
        ("as_tensor", "mc.from_numpy(array) shares its memory"),
        ("accelerator", "'cuda' if mc.cuda_available() else 'cpu'"),
        ("Size", "plain tuples"),
        ("nonzero", "x.numpy().nonzero()"),
        ("unique", "np.unique(x.numpy())"),
        ("bincount", "np.bincount(x.numpy())"),
    ],
)
def test_a_pytorch_name_minicnn_lacks_says_the_minicnn_way(name, says):
    with pytest.raises(AttributeError) as err:
        getattr(mc, name)
    message = str(err.value)
    assert message.startswith(f"module 'minicnn' has no attribute '{name}'; ") and says in message
    assert "\n" not in message
    assert not hasattr(mc, name)  # hasattr still reads it as missing


@pytest.mark.parametrize(
    "name, says",
    [
        ("scatter_", "F.one_hot(labels, num_classes)"),
        ("scatter", "x[index] = value"),
        ("nonzero", "x[x != 0]"),
        ("unique", "return_counts=True"),
        ("bincount", "np.bincount"),
    ],
)
def test_a_tensor_method_minicnn_lacks_says_the_minicnn_way(name, says):
    x = mc.zeros(3)
    with pytest.raises(AttributeError) as err:
        getattr(x, name)
    message = str(err.value)
    assert message.startswith(f"'Tensor' object has no attribute '{name}'; ") and says in message
    assert "\n" not in message and not hasattr(x, name)


@pytest.mark.parametrize(
    "module, name, says",
    [
        ("minicnn.autograd", "Function", "minicnn's is mc.Function"),
        ("minicnn.data.transforms", "ToTensor", "float32 arrays (C, H, W) in [0, 1]"),
        ("minicnn.data.transforms", "Lambda", "pass the function itself"),
    ],
)
def test_a_submodule_name_minicnn_lacks_says_the_minicnn_way(module, name, says):
    with pytest.raises(AttributeError) as err:
        getattr(importlib.import_module(module), name)
    message = str(err.value)
    assert message.startswith(f"module '{module}' has no attribute '{name}'; ") and says in message
    assert "\n" not in message


def test_other_missing_tensor_and_submodule_names_get_python_s_own_message():
    with pytest.raises(AttributeError, match=r"^'Tensor' object has no attribute 'no_such'$"):
        mc.zeros(1).no_such  # noqa: B018
    with pytest.raises(AttributeError, match=r"^module 'minicnn.autograd' has no attribute 'no_such'$"):
        mc.autograd.no_such  # noqa: B018


def test_other_missing_names_get_python_s_own_message():
    with pytest.raises(AttributeError) as err:
        mc.no_such_thing  # noqa: B018
    assert str(err.value) == "module 'minicnn' has no attribute 'no_such_thing'"


def test_every_hint_names_only_things_minicnn_has():
    assert callable(mc.cuda_available) and callable(mc.manual_seed) and callable(mc.from_numpy)
    assert callable(nn.utils.clip_grad_norm_) and callable(mc.Tensor.double) and callable(nn.Module.double)
    data = importlib.import_module("minicnn.data")
    assert all(hasattr(data, n) for n in ("Dataset", "TensorDataset", "DataLoader", "random_split"))


def test_device_is_a_name_that_to_and_device_arguments_take():
    rng = np.random.default_rng(59)
    cpu = mc.device("cpu")
    assert cpu == "cpu" and str(cpu) == "cpu" and repr(cpu) == "device(type='cpu')"
    assert (cpu.type, cpu.index) == ("cpu", None)
    gpu = mc.device("cuda", 1)
    assert gpu == mc.device("cuda:1") == "cuda:1" and (gpu.type, gpu.index) == ("cuda", 1)
    assert repr(gpu) == "device(type='cuda', index=1)" and type(gpu.type) is str
    x = mc.tensor(rng.standard_normal(3), device=cpu)
    assert x.device == cpu and x.to(cpu).device == "cpu"
    model = nn.Linear(2, 2).to(cpu)
    assert model.weight.device == "cpu"


@pytest.mark.parametrize(
    "args, error, says",
    [
        (("mps",), ValueError, "unknown device 'mps'"),
        (("cuda:x",), ValueError, "invalid device name 'cuda:x'"),
        (("cuda:1", 2), ValueError, "holds an index already"),
        (("cuda", -1), ValueError, "index must not be negative"),
        (("cuda", "1"), TypeError, "index must be an int, got str"),
    ],
)
def test_device_refuses_what_torch_device_refuses(args, error, says):
    with pytest.raises(error, match=says):
        mc.device(*args)


def test_dir_lists_the_public_api_without_the_helper_modules():
    names = dir(mc)
    for public in ("tensor", "Tensor", "nn", "optim", "functional", "models", "data", "device", "load"):
        assert public in names
    for helper in ("zip_limits", "safepickle", "pickle_kinds", "atomic_write", "shadowing", "int_range"):
        assert helper not in names
        assert importlib.import_module(f"minicnn.{helper}") is getattr(mc, helper)  # still importable
    assert "checked_fields" not in names and "torch_names" not in names
    assert names == sorted(names) and not [n for n in names if n.startswith("_") and n != "__version__"]
