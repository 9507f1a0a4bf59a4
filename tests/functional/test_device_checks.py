"""An operand on another device than the tensor it meets: every op refuses it with the one
message of ``checks.check_device``, before any arithmetic (the in-place writes, x left as it
was: test_in_place_rules.py)."""

import types

import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F
from minicnn import backend


class FakeCupyArray:
    """Looks like a CuPy array to backend.is_cupy_array (a Tensor of it is on "cuda")."""

    def __init__(self, array):
        self.array = array
        self.shape, self.dtype, self.ndim, self.size = array.shape, array.dtype, array.ndim, array.size


FakeCupyArray.__module__ = "cupy._core.core"


def _gpu(array):
    return mc.Tensor(FakeCupyArray(np.asarray(array)))


_IDX = np.array([0, 1])
_CELLS = np.zeros((2, 3), np.int64)
_VALUES = np.zeros((2, 3), np.float32)

# (the call on x of shape (2, 3), its name, what x is called there, the operand on the GPU)
CASES = [
    (lambda x: mc.gather(x, 0, _gpu(_CELLS)), "gather", "input", "index"),
    (lambda x: mc.index_select(x, 0, _gpu(_IDX)), "index_select", "input", "index"),
    (lambda x: x.scatter_(0, mc.tensor(_CELLS), _gpu(_VALUES)), r"scatter_\(\)", "x", "src"),
    (lambda x: x.index_add_(0, mc.tensor(_IDX), _gpu(_VALUES)), r"index_add_\(\)", "x", "source"),
    (lambda x: x.index_fill_(0, mc.tensor(_IDX), _gpu(np.float32(1))), r"index_fill_\(\)", "x", "value"),
    (
        lambda x: F.embedding(mc.tensor(_IDX), _gpu(np.zeros((4, 3), np.float32))),
        "embedding",
        "input",
        "weight",
    ),
    (lambda x: F.max_unpool2d(x[None, None], _gpu(_CELLS[None, None]), 2), "max_unpool2d", "x", "indices"),
    (lambda x: x.masked_fill(_gpu(np.zeros(3, bool)), 0.0), "masked_fill", "input", "mask"),
    (lambda x: x.masked_fill_(_gpu(np.zeros(3, bool)), 0.0), r"masked_fill_\(\)", "x", "mask"),
    (lambda x: x.add_(_gpu(np.zeros(3, np.float32))), r"add_\(\)", "x", "other"),
]


@pytest.mark.parametrize("call, name, x_name, what", CASES, ids=[c[1].replace("\\", "") for c in CASES])
def test_an_operand_on_another_device_gets_one_message_everywhere(monkeypatch, call, name, x_name, what):
    monkeypatch.setattr(backend, "_cupy", types.SimpleNamespace(__name__="cupy"))  # no GPU needed
    values = np.random.default_rng(4514).normal(size=(2, 3)).astype(np.float32)
    x = mc.tensor(values.copy())
    message = rf"^{name}: {x_name} is on cpu but {what} on cuda; move one with \.to\(device\)$"
    with pytest.raises(TypeError, match=message):
        call(x)
    np.testing.assert_array_equal(x.numpy(), values)
