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


@pytest.mark.parametrize(
    "call, says",
    [
        (
            lambda: mc.randint(2**25, 2**25 + 4, (300,), dtype=mc.float32),
            r"^randint: the range \[33554432, 33554436\) does not fit in float32, which holds every "
            r"integer only in \[-16777216, 16777216\]; give dtype=mc.int64 \(or mc.float64\)$",
        ),
        (lambda: mc.randint(2**40, (3,), dtype=np.float16), r"^randint: the range \[0, 1099511627776\)"),
        (lambda: mc.randint(-2049, 0, (3,), dtype=np.float16), r"^randint: the range \[-2049, 0\)"),
        (lambda: mc.randperm(2050, dtype=np.float16), r"^randperm: n - 1 = 2049 does not fit in float16"),
        (lambda: mc.randperm(2**24 + 2, dtype=mc.float32), r"^randperm: n - 1 = 16777217 does not fit"),
    ],
)
def test_random_integers_refuse_a_float_dtype_that_would_round_them_as_pytorch(call, says):
    # rounded, a draw from [2^25, 2^25 + 4) could be 2^25 + 4 itself, and a permutation repeat
    with pytest.raises(RuntimeError, match=says):
        call()


def test_random_integers_in_a_float_dtype_stay_whole_and_in_range():
    mc.manual_seed(7)
    draws = mc.randint(2**24 - 9, 2**24 + 1, (400,), dtype=mc.float32).numpy()
    assert draws.min() >= 2**24 - 9 and draws.max() <= 2**24 and len(set(draws.tolist())) == 10
    perm = mc.randperm(2049, dtype=np.float16).numpy()
    assert sorted(perm.tolist()) == list(range(2049))


@pytest.mark.parametrize(
    "call, error, says",
    [
        (
            lambda: mc.linspace(0, 300, 3, dtype=mc.uint8),
            RuntimeError,
            r"^linspace: end = 300 cannot be converted to uint8 without overflow; "
            r"uint8 holds whole numbers in \[0, 255\]$",
        ),
        (lambda: mc.linspace(-1.0, 1, 3, dtype=mc.uint8), RuntimeError, r"^linspace: start = -1\.0 cannot"),
        (lambda: mc.linspace(-256, 1, 3, dtype=mc.uint8), RuntimeError, r"^linspace: start = -256 cannot"),
        (lambda: mc.linspace(0, float("nan"), 3, dtype=mc.int64), RuntimeError, r"^linspace: end = nan"),
        (
            lambda: mc.linspace(0, 1e40, 3),
            RuntimeError,
            r"^linspace: end = 1e\+40 cannot be converted to float32",
        ),
        (lambda: mc.linspace("a", 1, 3), TypeError, r"^linspace: start must be a number, got str 'a'$"),
        (lambda: mc.linspace(0, None, 3), TypeError, r"^linspace: end must be a number, got NoneType None$"),
    ],
)
def test_linspace_refuses_ends_its_dtype_cannot_hold_as_pytorch(call, error, says):
    with pytest.raises(error, match=says):
        call()


def test_linspace_takes_0d_tensors_and_ends_that_fit():
    assert mc.linspace(mc.tensor(0.0), mc.tensor(1.0), 3).tolist() == [0.0, 0.5, 1.0]
    assert mc.linspace(0, 255, 4, dtype=mc.uint8).tolist() == [0, 85, 170, 255]
    assert mc.linspace(0, 10, 4, dtype=mc.int64).tolist() == [0, 3, 6, 10]  # PyTorch's, truncated


def test_arange_into_an_unsigned_dtype_wraps_a_negative_start_as_pytorch():
    assert mc.arange(-3, 0, dtype=mc.uint8).tolist() == [253, 254, 255]
    assert mc.arange(-3.0, 0.0, dtype=mc.uint8).tolist() == [253, 254, 255]
    assert mc.arange(254, 258, dtype=mc.uint8).tolist() == [254, 255, 0, 1]
    assert mc.arange(0, 2.5, 0.5, dtype=mc.int64).tolist() == [0, 0, 0, 0, 0]  # PyTorch's too
