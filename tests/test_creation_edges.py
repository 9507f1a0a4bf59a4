"""Factories at their edges, against PyTorch's answers: full's fill value (a 0-d tensor, a
NumPy number), random integers and permutations in a float dtype, linspace and arange into
a dtype that cannot hold their values."""

import numpy as np
import pytest

import minicnn as mc


def test_full_takes_a_0d_tensor_as_its_number_as_pytorch():
    x = mc.zeros(2, 3)
    assert mc.full((2,), mc.tensor(1.5)).tolist() == [1.5, 1.5]
    assert mc.full((2,), mc.tensor(1.5)).dtype == mc.float32
    assert mc.full((2,), mc.tensor(3)).dtype == mc.int64
    assert mc.full_like(x, mc.tensor(2.0)).tolist() == [[2.0] * 3] * 2
    with pytest.raises(TypeError, match="^full: fill_value must be a number, got Tensor$"):
        mc.full((2,), mc.tensor([1.5]))


@pytest.mark.parametrize(
    "value, dtype",
    [
        (np.float64(1.5), mc.float32),
        (np.float16(1.5), mc.float32),
        (np.int32(3), mc.int64),
        (np.uint8(3), mc.int64),
        (np.bool_(True), mc.bool),  # (PyTorch reads np.bool_ as a float: minicnn keeps it a bool)
    ],
)
def test_full_gives_a_numpy_number_the_dtype_of_its_kind_as_pytorch(value, dtype):
    assert mc.full((2,), value).dtype == dtype


@pytest.mark.parametrize("seed", range(6))
def test_full_refuses_a_python_number_exactly_where_tensor_refuses_it(seed):
    # full reads one Python number without arrays; tensor reads a list through NumPy: one rule
    rng = np.random.default_rng(seed)
    dtypes = [mc.int8, mc.uint8, mc.int16, mc.int32, mc.int64, mc.float32]
    edges = [127, 128, -128, -129, 255, 256, -255, -256, 2**31, -(2**31) - 1, 2**63 - 1, -(2**63)]
    values = [int(v) for v in rng.choice(edges, 4)]
    values += [float(v) for v in rng.choice([127.9, 128.0, -128.9, -129.0, 255.5, 256.0, 2.0**63, 1e39], 4)]
    values += [float("nan"), float("inf"), -float("inf"), -0.5]
    for v in values:
        for dtype in dtypes:
            refused = [_refuses(mc.full, (1,), v, dtype=dtype), _refuses(mc.tensor, [v], dtype=dtype)]
            # (tensor, as PyTorch's, lets 1e39 go to float32 as inf; full refuses it)
            if not (dtype == mc.float32 and isinstance(v, float)):
                assert refused[0] == refused[1], (v, dtype)


def _refuses(factory, *args, **kwargs):
    try:
        factory(*args, **kwargs)
    except RuntimeError:
        return True
    return False
