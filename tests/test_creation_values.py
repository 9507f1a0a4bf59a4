"""What ``mc.tensor``, ``mc.full`` and their kin do with a value the dtype cannot hold (NaN
into int64, 300 into uint8: refused, as PyTorch refuses them) and with ragged nested lists
(PyTorch's words, naming the element); a complex fill value as PyTorch's full takes one
(values from tests/fixtures/gen_creation.py)."""

import pathlib
import warnings

import numpy as np
import pytest
from fixtures.gen_creation import FULL_COMPLEX

import minicnn as mc

NAN, INF = float("nan"), float("inf")

INT64 = "int64 holds whole numbers in \\[-9223372036854775808, 9223372036854775807\\]"


@pytest.mark.parametrize(
    "call, says",
    [
        (
            lambda: mc.full((2,), NAN, dtype=mc.int64),
            rf"^full: fill_value = nan cannot be converted to int64 without overflow; {INT64}$",
        ),
        (lambda: mc.full((2,), INF, dtype=mc.int64), r"^full: fill_value = inf cannot be converted to int64"),
        (
            lambda: mc.full((2,), -INF, dtype=mc.int32),
            r"^full: fill_value = -inf cannot be converted to int32",
        ),
        (
            lambda: mc.full((2,), 1e20, dtype=mc.int64),
            r"^full: fill_value = 1e\+20 cannot be converted to int64",
        ),
        (
            lambda: mc.full((2,), 2.0**63, dtype=mc.int64),
            r"^full: fill_value = 9\.223372036854776e\+18 cannot",
        ),
        (
            lambda: mc.full((2,), 300, dtype=mc.uint8),
            r"^full: fill_value = 300 cannot be converted to uint8 without overflow; "
            r"uint8 holds whole numbers in \[0, 255\]$",
        ),
        (
            lambda: mc.full((2,), -256, dtype=mc.uint8),
            r"^full: fill_value = -256 cannot be converted to uint8",
        ),
        (
            lambda: mc.full((2,), -0.5, dtype=mc.uint8),
            r"^full: fill_value = -0\.5 cannot be converted to uint8",
        ),
        (lambda: mc.full((2,), 200, dtype=mc.int8), r"^full: fill_value = 200 cannot be converted to int8"),
        (
            lambda: mc.full((2,), 128.0, dtype=mc.int8),
            r"^full: fill_value = 128\.0 cannot be converted to int8",
        ),
        (
            lambda: mc.full((2,), -128.5, dtype=mc.int8),
            r"^full: fill_value = -128\.5 cannot be converted to int8",
        ),
        (
            lambda: mc.full((2,), np.int64(300), dtype=mc.uint8),
            r"^full: fill_value = 300 cannot be converted to uint8",
        ),
        (
            lambda: mc.full((2,), 2**40, dtype=mc.int32),
            r"^full: fill_value = 1099511627776 cannot be converted to int32",
        ),
        (
            lambda: mc.full((2,), 1e40, dtype=mc.float32),
            r"^full: fill_value = 1e\+40 cannot be converted to float32 without overflow; "
            r"float32's largest is 3\.40282e\+38$",
        ),
        (lambda: mc.full((2,), 1e40), r"^full: fill_value = 1e\+40 cannot be converted to float32"),
        (
            lambda: mc.full_like(mc.zeros(2, dtype=mc.int64), NAN),
            r"^full_like: fill_value = nan cannot be converted to int64",
        ),
        (
            lambda: mc.zeros(2, dtype=mc.uint8).new_full((2,), 300),
            r"^new_full: fill_value = 300 cannot be converted to uint8",
        ),
        (
            lambda: mc.tensor([NAN], dtype=mc.int64),
            rf"^tensor: data\[0\] = nan cannot be converted to int64 without overflow; {INT64}$",
        ),
        (lambda: mc.tensor(NAN, dtype=mc.int64), r"^tensor: data = nan cannot be converted to int64"),
        (
            lambda: mc.tensor([[1, NAN]], dtype=mc.int32),
            r"^tensor: data\[0\]\[1\] = nan cannot be converted to int32",
        ),
        (lambda: mc.tensor([INF], dtype=mc.int32), r"^tensor: data\[0\] = inf cannot be converted to int32"),
        (
            lambda: mc.tensor([1.5, 300.0], dtype=mc.uint8),
            r"^tensor: data\[1\] = 300\.0 cannot be converted to uint8",
        ),
        (lambda: mc.tensor(300, dtype=mc.uint8), r"^tensor: data = 300 cannot be converted to uint8"),
        (
            lambda: mc.tensor([-256], dtype=mc.uint8),
            r"^tensor: data\[0\] = -256 cannot be converted to uint8",
        ),
        (lambda: mc.tensor([200], dtype=mc.int8), r"^tensor: data\[0\] = 200 cannot be converted to int8"),
        (
            lambda: mc.tensor([70000], dtype=mc.int16),
            r"^tensor: data\[0\] = 70000 cannot be converted to int16",
        ),
        (
            lambda: mc.tensor([2**31], dtype=mc.int32),
            r"^tensor: data\[0\] = 2147483648 cannot be converted to int32",
        ),
        (
            lambda: mc.zeros(2, dtype=mc.int64).new_tensor([NAN]),
            r"^new_tensor: data\[0\] = nan cannot be converted",
        ),
    ],
)
def test_a_value_the_dtype_cannot_hold_is_refused_as_pytorch_refuses_it(call, says):
    with pytest.raises(RuntimeError, match=says):
        call()


def test_values_the_dtype_holds_are_taken_as_pytorch_takes_them():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and without NumPy's RuntimeWarnings
        assert mc.full((2,), -1, dtype=mc.uint8).tolist() == [255, 255]  # an int wraps, down to -255
        assert mc.full((1,), -255, dtype=mc.uint8).tolist() == [1] and mc.tensor(
            [-1], dtype=mc.uint8
        ).tolist() == [255]
        assert mc.full((1,), 127.9, dtype=mc.int8).tolist() == [127]  # a float is cut toward 0
        assert mc.full((1,), 255.5, dtype=mc.uint8).tolist() == [255]
        assert mc.full((1,), -(2.0**63), dtype=mc.int64).tolist() == [-(2**63)]
        assert mc.full((1,), 2**63 - 1, dtype=mc.int64).tolist() == [2**63 - 1]
        assert mc.full((2,), NAN, dtype=mc.bool).tolist() == [True, True]
        assert mc.full((1,), INF, dtype=mc.float32).tolist() == [INF]
        assert mc.full((1,), 1e40, dtype=mc.float64).tolist() == [1e40]
        assert mc.tensor([1e40]).tolist() == [INF] and mc.tensor([1e308], dtype=mc.float32).tolist() == [INF]
        assert mc.tensor([3.7, -(2**31)], dtype=mc.int32).tolist() == [3, -(2**31)]
        assert mc.tensor([NAN, 1.0], dtype=mc.bool).tolist() == [True, True]
        assert mc.full_like(mc.zeros(2, dtype=mc.int64), 2.7).tolist() == [2, 2]
    # a NumPy array is converted as .astype converts it, as PyTorch does (no check)
    assert mc.tensor(np.array([300]), dtype=mc.uint8).tolist() == [44]


@pytest.mark.parametrize(
    "data, error, says",
    [
        (
            [[1, 2], [3]],
            ValueError,
            r"^tensor: expected a sequence of length 2 at dim 1 \(as data\[0\]\), got length 1 at data\[1\]$",
        ),
        (
            [[1, 2], [3, 4, 5]],
            ValueError,
            r"^tensor: expected a sequence of length 2 at dim 1 \(as data\[0\]\), got length 3",
        ),
        ([[1, 2], []], ValueError, r"got length 0 at data\[1\]$"),
        # PyTorch reads these as an empty (2, 0) tensor, dropping the 1: refused as ragged here
        (
            [[], [1]],
            ValueError,
            r"^tensor: expected a sequence of length 0 at dim 1 \(as data\[0\]\), got length 1 at data\[1\]$",
        ),
        ([[], 1], TypeError, r"^tensor: expected a sequence of length 0 at dim 1 \(as data\[0\]\), got int"),
        (
            [[[1, 2], [3, 4]], [[1, 2], [3]]],
            ValueError,
            r"^tensor: expected a sequence of length 2 at dim 2 \(as data\[0\]\[0\]\), "
            r"got length 1 at data\[1\]\[1\]$",
        ),
        (
            [[1, 2], 3],
            TypeError,
            r"^tensor: expected a sequence of length 2 at dim 1 \(as data\[0\]\), got int 3 at data\[1\]$",
        ),
        (
            [1, [2, 3]],
            TypeError,
            r"^tensor: expected a number at dim 1 \(as data\[0\]\), got list \[2, 3\] at data\[1\]$",
        ),
        (
            [np.zeros(2), np.zeros(3)],
            ValueError,
            r"^tensor: expected a sequence of length 2 at dim 1 \(as data\[0\]\), got length 3",
        ),
        (
            [1, None],
            TypeError,
            r"^tensor: expected numbers \(bool, int, float or complex\), got NoneType None at data\[1\]$",
        ),
        (
            None,
            TypeError,
            r"^tensor: expected numbers \(bool, int, float or complex\), got NoneType None at data$",
        ),
        ([[1.0], ["a"]], TypeError, r"got str 'a' at data\[1\]\[0\]$"),
    ],
)
def test_ragged_or_non_numeric_lists_name_the_element(data, error, says):
    with pytest.raises(error, match=says):
        mc.tensor(data)


def test_a_ragged_list_into_new_tensor_names_new_tensor():
    with pytest.raises(ValueError, match=r"^new_tensor: expected a sequence of length 2 at dim 1"):
        mc.zeros(2).new_tensor([[1, 2], [3]])


@pytest.mark.parametrize("name", FULL_COMPLEX)
def test_a_complex_fill_value_gives_pytorchs_values_and_dtype(name):
    value, dtype = FULL_COMPLEX[name]
    want = np.load(pathlib.Path(__file__).parent / "fixtures" / "creation.npz")[f"full.{name}"]
    got = mc.full((2,), value, dtype=dtype and np.dtype(dtype)).numpy()
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize(
    "call, says",
    [
        (
            lambda: mc.full((2,), 1 + 2j, dtype=mc.float32),
            r"^full: fill_value = \(1\+2j\) cannot be converted to float32 without overflow: a real dtype "
            r"holds no imaginary part; give a complex dtype \(np\.complex64\), or the real part$",
        ),
        (lambda: mc.full((2,), 1 + 2j, dtype=mc.int64), r"^full: fill_value = \(1\+2j\) cannot .* int64"),
        (lambda: mc.full((2,), complex(0, NAN), dtype=mc.float64), r"^full: fill_value = nanj cannot"),
        (lambda: mc.full_like(mc.zeros(3), 0.5j), r"^full_like: fill_value = 0\.5j cannot .* float32"),
        (lambda: mc.zeros(3).new_full((2,), 3 - 1j), r"^new_full: fill_value = \(3-1j\) cannot"),
        (lambda: mc.full((2,), -1 + 0j, dtype=mc.uint8), r"^full: fill_value = -1\.0 cannot .* uint8"),
        (
            lambda: mc.full((2,), 1e40 + 1j),
            r"^full: fill_value = \(1e\+40\+1j\) cannot be converted to complex64 without overflow; "
            r"its parts' largest is 3\.40282e\+38$",
        ),
    ],
)
def test_a_complex_fill_value_a_dtype_cannot_hold_is_refused_as_pytorch_refuses_it(call, says):
    with pytest.raises(RuntimeError, match=says):
        call()


def test_a_complex_fill_value_of_a_0d_tensor_or_into_a_like_factory_is_its_number():
    z = mc.full_like(mc.zeros(2, dtype=np.complex64), np.complex64(2 - 1j))
    assert z.dtype == np.complex64 and z.tolist() == [2 - 1j, 2 - 1j]
    assert mc.full((1,), mc.tensor(1.5 + 2j)).dtype == np.complex64
    assert mc.full_like(mc.zeros(2, dtype=mc.float64), 0.25 + 0j).tolist() == [0.25, 0.25]


# (data, dtype): torch 2.14's torch.tensor(data).dtype, written down from running each there
COMPLEX_DATA = [
    (lambda c: [c], "complex64"),
    (lambda c: c, "complex64"),
    (lambda c: [[1, c], [3, 4]], "complex64"),
    (lambda c: [True, c], "complex64"),
    (lambda c: [np.float32(1.5), c], "complex64"),
    (lambda c: [np.float64(1.5), c], "complex128"),
    (lambda c: [np.complex128(c), 2.0], "complex128"),
    (lambda c: np.complex128(c), "complex128"),
]


@pytest.mark.parametrize("data, dtype", COMPLEX_DATA)
def test_python_complex_numbers_are_complex64_as_pytorchs_default_complex_dtype(data, dtype):
    """minicnn read them as NumPy does, complex128; a float64 or complex128 NumPy number beside
    them still raises it, as in PyTorch."""
    rng = np.random.default_rng(4506)
    c = complex(*rng.normal(size=2))
    got = mc.tensor(data(c))
    assert got.dtype == dtype
    assert np.isclose(got.numpy(), c, rtol=1e-6).sum() == 1  # (both of its parts kept)
