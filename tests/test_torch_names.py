"""PyTorch's names at the top of minicnn: mc.device as a thing, the others a pointer to minicnn's way;
and dir(mc), which lists the public API, not the helper modules."""

import importlib

import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F
from minicnn import nn, optim


@pytest.mark.parametrize(
    "name, says",
    [
        ("utils", "are in minicnn.data"),
        ("set_num_threads", "numba.set_num_threads(n)"),
        ("get_num_threads", "NUMBA_NUM_THREADS"),
        ("Generator", "np.random.default_rng(seed)"),
        ("float16", "float32 (the default) and float64 only"),
        ("set_default_dtype", ".double()"),
        ("backends", "mc.use_kernels("),
        ("accelerator", "'cuda' if mc.cuda.is_available() else 'cpu'"),
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
        ("nonzero", "x[x != 0]"),
        ("unique", "return_counts=True"),
        ("bincount", "np.bincount"),
    ],
)
def test_a_tensor_function_minicnn_lacks_says_the_minicnn_way(name, says):
    # NOTE: as mc.name only: a Tensor.__getattr__ for x.name would slow every attribute read
    with pytest.raises(AttributeError) as err:
        getattr(mc, name)
    message = str(err.value)
    assert message.startswith(f"module 'minicnn' has no attribute '{name}'; ") and says in message
    assert "\n" not in message and not hasattr(mc.zeros(3), name)


@pytest.mark.parametrize(
    "module, name, says",
    [
        ("minicnn.autograd", "Function", "minicnn's is mc.Function"),
        ("minicnn.data.transforms", "ToTensor", "float32 arrays (C, H, W) in [0, 1]"),
        ("minicnn.data.transforms", "Lambda", "pass the function itself"),
        ("minicnn.nn", "EmbeddingBag", "nn.Embedding on bags of equal length"),
        ("minicnn.nn", "EmbeddingBag", ".sum(1) or .mean(1)"),
        ("minicnn.nn", "LSTM", "no recurrent layers; nearest: a cell written with two nn.Linear"),
        ("minicnn.nn", "GRU", "in a Python loop over the time steps"),
        ("minicnn.nn", "RNN", "no recurrent layers"),
        ("minicnn.nn", "Transformer", "no attention layers"),
        ("minicnn.nn", "TransformerEncoderLayer", "q @ k.transpose(-2, -1)"),
        ("minicnn.nn", "MultiheadAttention", "from three nn.Linear"),
        ("minicnn.nn", "Conv3d", "no 3-D layers"),
        ("minicnn.nn", "MaxPool3d", "no 3-D layers"),
        ("minicnn.nn", "LPPool3d", "no 3-D layers"),
        ("minicnn.nn", "DataParallel", "minicnn.distributed.DistributedDataParallel"),
        ("minicnn.nn", "LazyLinear", "mc.summary(model, input_size)"),
        ("minicnn.nn.functional", "scaled_dot_product_attention", "F.softmax(q @ k.transpose(-2, -1)"),
        ("minicnn.functional", "conv3d", "no 3-D layers"),
        ("minicnn.nn.functional", "conv_transpose3d", "signals (N, C, L), and it has no 3-D layers"),
        ("minicnn.optim", "LBFGS", "SGD, Adam, AdamW, RMSprop and Adagrad"),
        ("minicnn.optim", "NAdam", "nearest: optim.Adam"),
        ("minicnn.optim", "Adadelta", "optim.RMSprop or optim.Adagrad"),
        ("minicnn.optim", "swa_utils", "no weight averaging"),
    ],
)
def test_a_submodule_name_minicnn_lacks_says_the_minicnn_way_in_one_line(module, name, says):
    with pytest.raises(AttributeError) as err:
        getattr(importlib.import_module(module), name)
    message = str(err.value)
    assert message.startswith(f"module '{module}' has no attribute '{name}'; ") and says in message
    assert "\n" not in message


@pytest.mark.parametrize(
    "module",
    [
        "minicnn.nn",
        "minicnn.functional",
        "minicnn.nn.functional",
        "minicnn.optim",
        "minicnn.cuda",
    ],
)
def test_the_hinted_modules_keep_python_s_message_and_their_dir(module):
    mod = importlib.import_module(module)
    with pytest.raises(AttributeError, match=rf"^module '{module}' has no attribute 'no_such'$"):
        mod.no_such  # noqa: B018
    names = dir(mod)
    assert names == sorted(vars(mod).keys() - {"__getattr__", "__dir__"})  # what it holds, no more
    assert "give_hints" not in names and not hasattr(mod, "give_hints")


def test_the_1d_layers_once_hinted_are_there_and_compute_what_the_hints_said():
    x = mc.tensor(np.random.default_rng(61).standard_normal((2, 3, 10)))
    w = mc.tensor(np.random.default_rng(62).standard_normal((4, 3, 3)))
    y = F.conv2d(x.unsqueeze(2), w.unsqueeze(2), None, stride=(1, 2), padding=(0, 1)).squeeze(2)
    np.testing.assert_array_equal(F.conv1d(x, w, None, stride=2, padding=1).numpy(), y.numpy())
    pooled = nn.MaxPool2d((1, 2))(x.unsqueeze(2)).squeeze(2)
    np.testing.assert_array_equal(nn.MaxPool1d(2)(x).numpy(), pooled.numpy())
    mc.manual_seed(63)
    dropped = nn.Dropout2d(0.5)(x.unsqueeze(-1)).squeeze(-1)  # the hint Dropout1d once had
    mc.manual_seed(63)
    np.testing.assert_array_equal(nn.Dropout1d(0.5)(x).numpy(), dropped.numpy())
    names = ("Conv1d", "ConvTranspose1d", "MaxPool1d", "AvgPool1d", "AdaptiveAvgPool1d", "AdaptiveMaxPool1d")
    assert all(n in dir(nn) for n in names + ("LPPool1d", "LPPool2d", "Dropout1d"))
    functional = ("conv1d", "conv_transpose1d", "max_pool1d", "avg_pool1d", "adaptive_avg_pool1d")
    assert all(
        n in dir(F) for n in functional + ("adaptive_max_pool1d", "lp_pool1d", "lp_pool2d", "dropout1d")
    )


def test_the_nn_and_optim_hints_name_only_what_minicnn_has():
    x = mc.tensor(np.random.default_rng(61).standard_normal((2, 3, 10)))
    assert F.softmax(x @ x.transpose(-2, -1) / x.shape[-1] ** 0.5, dim=-1).shape == (2, 3, 3)
    bags = nn.Embedding(5, 3)(mc.tensor([[0, 2], [2, 4]]))  # two bags of two ids
    assert bags.sum(1).shape == bags.mean(1).shape == (2, 3)
    distributed = importlib.import_module("minicnn.distributed")
    assert callable(distributed.DistributedDataParallel) and callable(distributed.SyncBatchNorm)
    assert all(callable(getattr(optim, n)) for n in ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad"))
    assert callable(nn.Dropout2d) and callable(mc.summary)


def test_other_missing_tensor_and_submodule_names_get_python_s_own_message():
    with pytest.raises(AttributeError, match=r"^'Tensor' object has no attribute 'no_such'$"):
        mc.zeros(1).no_such  # noqa: B018
    with pytest.raises(AttributeError, match=r"^module 'minicnn.autograd' has no attribute 'no_such'$"):
        mc.autograd.no_such  # noqa: B018


def test_other_missing_names_get_python_s_own_message():
    with pytest.raises(AttributeError) as err:
        mc.no_such_thing  # noqa: B018
    assert str(err.value) == "module 'minicnn' has no attribute 'no_such_thing'"


@pytest.mark.parametrize(
    "statement, says",
    [
        ("from minicnn.nn import LSTM", "cannot import name 'LSTM' from 'minicnn.nn'; minicnn is a CNN"),
        ("from minicnn.optim import LBFGS", "has no LBFGS"),
        ("from minicnn.nn.functional import conv3d", "no 3-D layers"),
        ("from minicnn import utils", "are in minicnn.data"),
    ],
)
def test_a_from_import_of_a_hinted_name_keeps_the_hint(statement, says):
    """Python turns an AttributeError raised under ``from m import name`` into its own
    ImportError without the message; the hint comes as an ImportError of minicnn's."""
    with pytest.raises(ImportError) as err:
        exec(statement, {})
    assert says in str(err.value) and "\n" not in str(err.value)
    assert not hasattr(nn, "LSTM") and not hasattr(optim, "LBFGS")  # hasattr still answers False


def test_a_from_import_of_a_name_without_a_hint_keeps_python_s_error():
    with pytest.raises(ImportError, match=r"^cannot import name 'no_such' from 'minicnn.nn' \("):
        exec("from minicnn.nn import no_such", {})


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
    for public in ("cuda", "backend"):
        assert public in names
    for helper in ("zip_limits", "safepickle", "pickle_kinds", "atomic_write", "shadowing", "int_range"):
        assert helper not in names
        assert importlib.import_module(f"minicnn.{helper}") is getattr(mc, helper)  # still importable
    assert "checked_fields" not in names and "torch_names" not in names
    assert names == sorted(names) and not [n for n in names if n.startswith("_") and n != "__version__"]
