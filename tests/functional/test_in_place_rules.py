"""The checks every in-place method makes before it writes (in_place_methods.py): an operand on
another device refused in one line, x left as it was, and PyTorch's warning for a masked write
into an expand() view pointed at the line that asked for it. The refusals inside a graph and
into shared memory: tests/test_views_in_place.py and test_in_place_methods.py."""

import types
import warnings

import numpy as np
import pytest

import minicnn as mc
from minicnn import backend


class FakeCupyArray:
    """Looks like a CuPy array to backend.is_cupy_array (a Tensor of it is on "cuda")."""

    def __init__(self, array):
        self.array = array
        self.shape, self.dtype, self.ndim, self.size = array.shape, array.dtype, array.ndim, array.size


FakeCupyArray.__module__ = "cupy._core.core"


@pytest.mark.parametrize(
    "write, message",
    [
        (lambda x, g: x.__iadd__(g), r"^\+=: x is on cpu but y on cuda; move one with \.to\(device\)$"),
        (lambda x, g: x.add_(g), r"^add_\(\): x is on cpu but other on cuda; move one with \.to\(device\)$"),
        (lambda x, g: x.div_(g, rounding_mode="floor"), r"^div_\(\): x is on cpu but other on cuda"),
        (lambda x, g: x.clamp_(min=g), r"^clamp_\(\): x is on cpu but min on cuda; move one"),
        (lambda x, g: x.clamp_(max=g), r"^clamp_\(\): x is on cpu but max on cuda; move one"),
        (lambda x, g: x.clamp_(g, g), r"^clamp_\(\): x is on cpu but min on cuda; move one"),
    ],
)
def test_an_operand_on_another_device_is_refused_before_the_write(monkeypatch, write, message):
    monkeypatch.setattr(backend, "_cupy", types.SimpleNamespace(__name__="cupy"))  # no GPU needed
    values = np.random.default_rng(4510).normal(size=3).astype(np.float32)
    x = mc.tensor(values.copy())
    gpu = mc.Tensor(FakeCupyArray(np.ones(3, np.float32)))
    assert gpu.device == "cuda"
    with pytest.raises(TypeError, match=message):
        write(x, gpu)
    np.testing.assert_array_equal(x.numpy(), values)


def test_the_warning_of_a_masked_fill_into_shared_memory_names_the_callers_line():
    """PyTorch takes masked_fill_ into an expand() view with a warning; the warning points at
    the user's line, not into minicnn."""
    rng = np.random.default_rng(4511)
    x = mc.tensor(rng.normal(size=3).astype(np.float32))
    mask = mc.tensor(rng.random(3) < 0.5)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        x.expand(2, 3).masked_fill_(mask, 7.0)
    assert [w.filename for w in caught] == [__file__]
    assert "masked_fill_() into x whose elements share memory" in str(caught[0].message)
    np.testing.assert_array_equal(x.numpy()[mask.numpy()], 7.0)


def test_the_warning_of_an_index_fill_into_shared_memory_names_the_callers_line():
    """As masked_fill_'s: PyTorch's index_fill_ into an expand() view warns, at the user's line."""
    rng = np.random.default_rng(4512)
    x = mc.tensor(rng.normal(size=(1, 3)).astype(np.float32))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        x.expand(2, 3).index_fill_(1, mc.tensor([0, 2]), 7.0)
    assert [w.filename for w in caught] == [__file__]
    assert "index_fill_() into x whose elements share memory" in str(caught[0].message)
    np.testing.assert_array_equal(x.numpy()[0, [0, 2]], 7.0)
