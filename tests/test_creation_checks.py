"""The factories' checks before they allocate (creation_args.py): each bad size, dtype or
one-number argument gets one line naming the factory, with PyTorch's error type; a size no
memory holds is refused before NumPy tries; and the calls PyTorch takes still work. Values
and nested lists: test_creation_values.py."""

import numpy as np
import pytest

import minicnn as mc
from minicnn import creation_args
from minicnn.creation_args import TensorTooLargeError

NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize(
    "call, error, says",
    [
        # sizes: not ints, none at all, both ways, negative
        (
            lambda: mc.zeros(2.0),
            TypeError,
            r"^zeros: expected a size of ints, got float 2\.0 at index 0 of \(2\.0,\)$",
        ),
        (lambda: mc.ones(True), TypeError, r"^ones: expected a size of ints, got bool True at index 0"),
        (
            lambda: mc.rand((2, None)),
            TypeError,
            r"^rand: expected a size of ints, got NoneType None at index 1 of \(2, None\)$",
        ),
        (
            lambda: mc.randn(2, (3,)),
            TypeError,
            r"^randn: expected a size of ints, got tuple \(3,\) at index 1",
        ),
        (lambda: mc.empty("3"), TypeError, r"^empty: expected a size of ints, got str '3' at index 0"),
        (
            lambda: mc.zeros(np.array([2, 3])),
            TypeError,
            r"^zeros: expected a size of ints, got numpy\.ndarray",
        ),
        (lambda: mc.zeros(), TypeError, r"^zeros: expected a size, got none \(for a 0-d tensor give \(\)\)$"),
        (
            lambda: mc.zeros(2, size=(2,)),
            TypeError,
            r"^zeros: expected the size once, got \(2,\) and size=\(2,\)$",
        ),
        (
            lambda: mc.ones(-1),
            RuntimeError,
            r"^ones: trying to create a tensor with negative dimension -1: size \[-1\]$",
        ),
        (
            lambda: mc.zeros((2, -3)),
            RuntimeError,
            r"^zeros: trying to create a tensor with negative dimension -3: size \[2, -3\]$",
        ),
        (lambda: mc.empty([-1]), RuntimeError, r"^empty: trying to create a tensor with negative dimension"),
        (
            lambda: mc.randn(2, -3),
            RuntimeError,
            r"^randn: trying to create a tensor with negative dimension -3: size \[2, -3\]$",
        ),
        (
            lambda: mc.full((-1,), 2.0),
            RuntimeError,
            r"^full: trying to create a tensor with negative dimension -1",
        ),
        (
            lambda: mc.randint(0, 5, (-1,)),
            RuntimeError,
            r"^randint: trying to create a tensor with negative dimension",
        ),
        (
            lambda: mc.randperm(-1),
            RuntimeError,
            r"^randperm: trying to create a tensor with negative dimension -1",
        ),
        (
            lambda: mc.zeros(2).new_ones(2, -1),
            RuntimeError,
            r"^new_ones: trying to create a tensor with negative",
        ),
        (
            lambda: mc.zeros(2).new_zeros(2.0),
            TypeError,
            r"^new_zeros: expected a size of ints, got float 2\.0",
        ),
        # one-number arguments
        (lambda: mc.eye(2.0), TypeError, r"^eye: n must be an int, got float 2\.0$"),
        (lambda: mc.eye(True), TypeError, r"^eye: n must be an int, got bool True$"),
        (lambda: mc.eye(2, -1), RuntimeError, r"^eye: m must be >= 0, got -1$"),
        (lambda: mc.randperm(2.0), TypeError, r"^randperm: n must be an int, got float 2\.0$"),
        (lambda: mc.randint(0.5, 5, (2,)), TypeError, r"^randint: low must be an int, got float 0\.5$"),
        (lambda: mc.randint(0, 5.5, (2,)), TypeError, r"^randint: high must be an int, got float 5\.5$"),
        (lambda: mc.arange("3"), TypeError, r"^arange: end must be a number, got str '3'$"),
        (lambda: mc.arange(None), TypeError, r"^arange: end must be a number, got NoneType None$"),
        (
            lambda: mc.arange(0, NAN),
            ValueError,
            r"^arange: expected finite start, end and step, got 0 -> nan by 1$",
        ),
        (
            lambda: mc.arange(0, INF),
            ValueError,
            r"^arange: expected finite start, end and step, got 0 -> inf",
        ),
        # dtypes: a string is refused, as PyTorch refuses it, with minicnn's name for it
        (
            lambda: mc.zeros(2, dtype="float32"),
            TypeError,
            r"^zeros: dtype must be a dtype such as mc\.float32, not the string 'float32'$",
        ),
        (
            lambda: mc.tensor([1.0], dtype="float64"),
            TypeError,
            r"^tensor: dtype must be a dtype such as mc\.float64, not",
        ),
        (
            lambda: mc.arange(3, dtype="long"),
            TypeError,
            r"^arange: dtype must be a dtype such as mc\.long, not",
        ),
        (
            lambda: mc.rand(2, dtype="f4"),
            TypeError,
            r"^rand: dtype must be a dtype such as mc\.float32, mc\.int64, \.\.\., not the string 'f4'$",
        ),
        (
            lambda: mc.full((2,), 1, dtype="int32"),
            TypeError,
            r"^full: dtype must be a dtype such as mc\.int32",
        ),
        (
            lambda: mc.zeros_like(mc.zeros(2), dtype="float64"),
            TypeError,
            r"^zeros_like: dtype must be a dtype",
        ),
        (lambda: mc.zeros(2).new_zeros(2, dtype="float64"), TypeError, r"^new_zeros: dtype must be a dtype"),
        (
            lambda: mc.zeros(2).new_tensor([1], dtype="int64"),
            TypeError,
            r"^new_tensor: dtype must be a dtype",
        ),
        (
            lambda: mc.zeros(2, dtype=3),
            TypeError,
            r"^zeros: dtype must be a dtype such as mc\.float32, got int 3$",
        ),
        (
            lambda: mc.ones(2, dtype=np.str_),
            TypeError,
            r"^ones: dtype must hold numbers \(bool, int, float or complex\), got <U0$",
        ),
        (lambda: mc.ones_like([1.0]), TypeError, r"^ones_like: expected a Tensor, got list$"),
        # values an integer dtype cannot hold (drawn ranges too)
        (
            lambda: mc.randint(0, 300, (2,), dtype=mc.uint8),
            RuntimeError,
            r"^randint: the range \[0, 300\) does not fit in uint8, which holds \[0, 255\]$",
        ),
        (
            lambda: mc.randint(0, 5, (2,), dtype=mc.bool),
            RuntimeError,
            r"^randint: the range \[0, 5\) does not fit in bool",
        ),
        (
            lambda: mc.randperm(300, dtype=mc.uint8),
            RuntimeError,
            r"^randperm: n - 1 = 299 does not fit in uint8",
        ),
    ],
)
def test_each_bad_argument_gets_one_line_naming_the_factory(call, error, says):
    with pytest.raises(error, match=says) as caught:
        call()
    assert "\n" not in str(caught.value)


def test_sizes_pytorch_takes_are_taken():
    assert mc.zeros(size=(2, 3)).shape == (2, 3) and mc.ones(size=[2]).tolist() == [1.0, 1.0]
    assert mc.empty(size=(0, 2)).shape == (0, 2) and mc.rand(size=(3,)).shape == (3,)
    assert mc.randn(size=(2, 2), seed=0).shape == (2, 2)
    assert mc.zeros(2).new_zeros(size=(3,)).shape == (3,) and mc.zeros(2).new_ones(size=[1]).tolist() == [1.0]
    assert mc.zeros(np.int64(2), np.int32(3)).shape == (2, 3) and mc.ones((np.int8(2),)).shape == (2,)
    assert mc.zeros(mc.tensor(3)).shape == (3,)  # a 0-d int tensor is an index, as in PyTorch
    assert mc.zeros(0).shape == (0,) and mc.ones(2, 0).shape == (2, 0) and mc.zeros(()).shape == ()
    assert mc.zeros(3).shape == mc.zeros((3,)).shape == mc.zeros([3]).shape == (3,)  # a bare int too
    assert mc.ones(2, 3).shape == mc.ones([2, 3]).shape == (2, 3) and mc.rand(4).shape == (4,)
    assert mc.zeros([]).shape == () and mc.full((), 2.5).tolist() == 2.5
    assert mc.randint(5, ()).shape == () and mc.randint(0, 5, 3).shape == (3,)
    assert mc.randperm(0).tolist() == [] and mc.eye(0).shape == (0, 0) and mc.linspace(0, 1, 0).shape == (0,)
    assert mc.arange(mc.tensor(3)).tolist() == [0, 1, 2] and mc.arange(mc.tensor(3)).dtype == mc.int64


def test_dtypes_pytorch_takes_are_taken_and_none_is_float32():
    assert mc.zeros(2, dtype=None).dtype == mc.float32 and mc.eye(2, dtype=None).dtype == mc.float32
    assert mc.zeros(2, dtype=float).dtype == mc.float64 and mc.zeros(2, dtype=int).dtype == mc.int64
    assert mc.zeros(2, dtype=bool).dtype == mc.bool and mc.ones(2, dtype=np.float64).dtype == mc.float64
    assert mc.randint(0, 5, (2,), dtype=mc.float32).dtype == mc.float32
    assert mc.randperm(3, dtype=mc.float32).dtype == mc.float32
    assert mc.linspace(0, 1, 3, dtype=mc.float64).dtype == mc.float64
    assert mc.ones_like(mc.zeros(2), dtype=mc.int64).tolist() == [1, 1]


@pytest.mark.parametrize(
    "call, says",
    [
        (
            lambda: mc.zeros(10**12, 10**6),
            r"^zeros: a tensor of size \(1000000000000, 1000000\) and dtype float32 needs "
            r"4000000000000000000 bytes \(3\.47 EiB\), more than all the memory of device 'cpu'",
        ),
        (lambda: mc.ones(2**63), r"^ones: a tensor of size \(9223372036854775808,\) and dtype float32 needs"),
        (
            lambda: mc.zeros(10**6, 10**6, 10**6, 10**6),
            r"^zeros: a tensor of size \(1000000, 1000000, 1000000, 1000000\)",
        ),
        (
            lambda: mc.full((10**18,), 1.0),
            r"^full: a tensor of size \(1000000000000000000,\) and dtype float32",
        ),
        (lambda: mc.rand(10**18), r"^rand: a tensor of size"),
        (
            lambda: mc.randn(10**18, dtype=mc.float64),
            r"^randn: a tensor of size \(1000000000000000000,\) and dtype float64",
        ),
        (lambda: mc.arange(0, 1e18), r"^arange: a tensor of size \(1000000000000000000,\) and dtype float32"),
        (lambda: mc.arange(10**19), r"^arange: a tensor of size \(10000000000000000000,\) and dtype int64"),
        (lambda: mc.linspace(0, 1, 10**18), r"^linspace: a tensor of size \(1000000000000000000,\)"),
        (lambda: mc.eye(10**10), r"^eye: a tensor of size \(10000000000, 10000000000\)"),
        (
            lambda: mc.randperm(10**18),
            r"^randperm: a tensor of size \(1000000000000000000,\) and dtype int64",
        ),
        (lambda: mc.randint(5, (10**18,)), r"^randint: a tensor of size \(1000000000000000000,\)"),
        (lambda: mc.zeros(2).new_zeros(10**18), r"^new_zeros: a tensor of size"),
        (lambda: mc.zeros(2).new_full((10**18,), 1.0), r"^new_full: a tensor of size"),
    ],
)
def test_a_size_no_memory_holds_is_refused_before_allocating(call, says):
    with pytest.raises(TensorTooLargeError, match=says) as caught:
        call()
    # caught by either habit: Python's and NumPy's MemoryError, PyTorch's RuntimeError
    assert isinstance(caught.value, MemoryError) and isinstance(caught.value, RuntimeError)
    assert "\n" not in str(caught.value)


def test_the_memory_check_refuses_only_more_than_all_the_memory(monkeypatch):
    monkeypatch.setitem(creation_args._limits, "cpu", 4 << 30)  # a machine of 4 GiB in all
    creation_args.refuse_too_large("zeros", (2**30,), mc.float32, "cpu")  # 4 GiB: large, not refused
    creation_args.refuse_too_large("zeros", (2**29, 2), mc.float32, "cpu")
    with pytest.raises(
        TensorTooLargeError,
        match=r"needs 4294967300 bytes \(4 GiB\), more than all the memory of device 'cpu' \(4 GiB\)$",
    ):
        creation_args.refuse_too_large("zeros", (2**30 + 1,), mc.float32, "cpu")
    with pytest.raises(TensorTooLargeError, match="^arange: "):
        mc.arange(2**30)  # int64: 8 GiB
    assert creation_args._memory("cpu") == 4 << 30


def test_the_machines_memory_is_read_as_ram_and_swap():
    limit = creation_args._read_memory("cpu")
    assert limit is None or limit >= 1 << 20
