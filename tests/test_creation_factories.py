"""The factories PyTorch students reach for beside zeros and rand: logspace and linspace (against
PyTorch's values, tests/fixtures/gen_creation.py), empty_like and randint_like, as_tensor (sharing what it
may, as PyTorch's), the dtype of a list holding NumPy numbers, and the checks every factory
makes: its name in a device error, a bool dtype refused where PyTorch refuses it."""

import pathlib
import warnings

import numpy as np
import pytest
from fixtures.gen_creation import LINSPACE, LISTS, LOGSPACE

import minicnn as mc

GOLDEN = np.load(pathlib.Path(__file__).parent / "fixtures" / "creation.npz")


@pytest.mark.parametrize("name", LOGSPACE)
def test_logspace_gives_pytorchs_values(name):
    start, end, steps, base, dtype = LOGSPACE[name]
    want = GOLDEN[f"logspace.{name}"]
    got = mc.logspace(start, end, steps, base=base, dtype=getattr(mc, dtype)).numpy()
    assert got.dtype == want.dtype and got.shape == want.shape
    if want.dtype.kind == "f":  # (PyTorch's pow and NumPy's may part in the last bit)
        np.testing.assert_allclose(got, want, rtol=2e-7 if dtype == "float32" else 1e-15, atol=0)
    else:
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("name", LINSPACE)
def test_linspace_gives_pytorchs_values_nans_and_infinities_too(name):
    start, end, steps, dtype = LINSPACE[name]
    want = GOLDEN[f"linspace.{name}"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (inf - inf gives NaN unwarned, as PyTorch's)
        got = mc.linspace(start, end, steps, dtype=getattr(mc, dtype)).numpy()
    assert got.dtype == want.dtype and got.shape == want.shape
    if want.dtype.kind == "f":  # NaN where PyTorch's is, inf where its is; the rest to its last bit
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
        np.testing.assert_allclose(got, want, rtol=np.finfo(want.dtype).eps, atol=0)
    else:
        np.testing.assert_array_equal(got, want)


def test_logspace_is_float32_by_default_and_base_to_the_linspace():
    rng = np.random.default_rng(31)
    start, end = rng.uniform(-3, 3, 2)
    x = mc.logspace(start, end, 9, base=3.0, dtype=mc.float64)
    np.testing.assert_allclose(x.numpy(), 3.0 ** np.linspace(start, end, 9), rtol=1e-14)
    assert mc.logspace(0, 1, 3).dtype == mc.float32 and mc.logspace(0, 1, 3, 2).tolist()[-1] == 2.0


@pytest.mark.parametrize(
    "call, error, says",
    [
        (lambda: mc.logspace(0, 1, -1), ValueError, r"^logspace: steps must be a non-negative int, got -1$"),
        (
            lambda: mc.logspace(0, 1, 2.0),
            ValueError,
            r"^logspace: steps must be a non-negative int, got 2\.0$",
        ),
        (
            lambda: mc.logspace(0, 1, 3, base="2"),
            TypeError,
            r"^logspace: base must be a number, got str '2'$",
        ),
        (lambda: mc.logspace("0", 1, 3), TypeError, r"^logspace: start must be a number, got str '0'$"),
        (lambda: mc.logspace(0, 300, 3, dtype=mc.uint8), RuntimeError, r"^logspace: end = 300 cannot be"),
        (lambda: mc.logspace(0, 1, 3, dtype="float64"), TypeError, r"^logspace: dtype must be a dtype"),
        (
            lambda: mc.logspace(0, 40, 3, dtype=mc.int64),
            RuntimeError,
            r"^logspace: base \*\* \(exponent 1\) = 1e\+20 cannot be converted to int64 without overflow",
        ),
        (
            lambda: mc.logspace(0, 1, 3, base=-2.0, dtype=mc.int64),  # (-2)^0.5 is NaN
            RuntimeError,
            r"^logspace: base \*\* \(exponent 1\) = nan cannot be converted to int64",
        ),
        (
            lambda: mc.logspace(3.977, 4.6, 1, base=3.7, dtype=mc.int8),  # one value: as full, unwrapped
            RuntimeError,
            r"^logspace: base \*\* \(exponent 0\) = 181\.86\d+ cannot be converted to int8",
        ),
        (lambda: mc.logspace(0, 1, 3, dtype=mc.bool), NotImplementedError, r"^logspace: not implemented for"),
    ],
)
def test_logspace_refuses_what_pytorch_refuses_in_one_line(call, error, says):
    with pytest.raises(error, match=says) as err:
        call()
    assert "\n" not in str(err.value)


def test_empty_like_is_zeros_of_its_shape_dtype_and_device():
    x = mc.ones(2, 3, dtype=mc.int32)
    y = mc.empty_like(x)
    assert y.shape == (2, 3) and y.dtype == mc.int32 and y.device == "cpu" and y.tolist() == [[0] * 3] * 2
    z = mc.empty_like(x, dtype=mc.float64, requires_grad=True)
    assert z.dtype == mc.float64 and z.requires_grad and z.is_leaf
    with pytest.raises(TypeError, match=r"^empty_like: expected a Tensor, got list$"):
        mc.empty_like([1.0])
    with pytest.raises(TypeError, match=r"^empty_like: dtype must be a dtype such as mc\.float32, not the"):
        mc.empty_like(x, dtype="float32")


@pytest.mark.parametrize("seed", range(3))
def test_randint_like_draws_in_the_range_with_its_inputs_dtype(seed):
    x = mc.zeros(200, dtype=mc.float32)
    mc.manual_seed(seed)
    y = mc.randint_like(x, 3, 10)
    assert y.dtype == mc.float32 and y.shape == (200,)
    values = y.numpy()
    assert values.min() >= 3 and values.max() <= 9 and set(values.tolist()) == set(range(3, 10))
    assert np.array_equal(values, np.round(values))
    mc.manual_seed(seed)
    assert mc.randint_like(x, 3, 10).tolist() == values.tolist()  # the seed repeats the draws
    z = mc.randint_like(x, 5, dtype=mc.int32)  # one bound: the high one, as PyTorch's
    assert z.dtype == mc.int32 and 0 <= z.numpy().min() and z.numpy().max() <= 4
    assert (
        mc.randint_like(x, high=4).numpy().max() <= 3 and mc.randint_like(x, low=2, high=4).numpy().min() >= 2
    )
    assert mc.randint_like(x, 10, requires_grad=True).requires_grad


@pytest.mark.parametrize(
    "call, says",
    [
        (lambda x: mc.randint_like(x), r"^randint_like: expected a high bound, .*; got no bounds$"),
        (lambda x: mc.randint_like(x, low=3), r"^randint_like: expected a high bound, .*; got low=3 alone$"),
        (lambda x: mc.randint_like(x, 10, low=3), r"^randint_like: low is given twice"),
        (lambda x: mc.randint_like(x, 3, 10, high=12), r"^randint_like: low and high are given twice"),
        (lambda x: mc.randint_like(x, 0, 3, 10), r"^randint_like: expected at most two bounds"),
    ],
    ids=["none", "low_alone", "low_twice", "both_twice", "three"],
)
def test_randint_like_refuses_a_low_bound_without_a_high_one(call, says):
    """PyTorch refuses randint_like(x, low=3); read as the high bound it drew from [0, 3)."""
    with pytest.raises(TypeError, match=says):
        call(mc.zeros(4, dtype=mc.int64))


@pytest.mark.parametrize("seed", [7])
def test_randint_like_reads_a_positional_low_beside_a_keyword_high(seed):
    mc.manual_seed(seed)
    y = mc.randint_like(mc.zeros(200, dtype=mc.int64), 8, high=10).numpy()
    assert y.min() == 8 and y.max() == 9


def test_randint_like_takes_a_generator():
    x = mc.zeros(50, dtype=mc.int64)
    a = mc.randint_like(x, 100, generator=np.random.default_rng(41)).tolist()
    assert a == mc.randint_like(x, 100, generator=np.random.default_rng(41)).tolist()


@pytest.mark.parametrize(
    "call, error, says",
    [
        (lambda: mc.randint_like(mc.zeros(3), 0), ValueError, r"^randint_like: the range \[0, 0\) is empty$"),
        (
            lambda: mc.randint_like(mc.zeros(3), 5, 3),
            ValueError,
            r"^randint_like: the range \[5, 3\) is empty$",
        ),
        (
            lambda: mc.randint_like(mc.zeros(3), 10.5),
            TypeError,
            r"^randint_like: high must be an int, got float",
        ),
        (
            lambda: mc.randint_like(mc.zeros(3, dtype=mc.uint8), 300),
            RuntimeError,
            r"^randint_like: the range \[0, 300\) does not fit in uint8, which holds \[0, 255\]$",
        ),
        (
            lambda: mc.randint_like(mc.zeros(3), 2**25),
            RuntimeError,
            r"^randint_like: the range \[0, 33554432\) does not fit in float32, which holds every integer",
        ),
        (
            lambda: mc.randint_like(np.zeros(3), 10),
            TypeError,
            r"^randint_like: expected a Tensor, got ndarray$",
        ),
        (
            lambda: mc.randint_like(mc.zeros(3, dtype=mc.int64), 10, requires_grad=True),
            TypeError,
            r"^only floating-point tensors can require gradients, got dtype int64$",
        ),
    ],
)
def test_randint_like_refuses_what_randint_refuses_naming_itself(call, error, says):
    with pytest.raises(error, match=says) as err:
        call()
    assert "\n" not in str(err.value)


def test_as_tensor_shares_a_numpy_array_of_its_dtype_on_the_cpu():
    a = np.random.default_rng(51).standard_normal(4)
    for t in (mc.as_tensor(a), mc.as_tensor(a, dtype=mc.float64), mc.as_tensor(a, device="cpu")):
        assert t.dtype == mc.float64 and np.shares_memory(t.numpy(), a)
    a[0] = 7.0
    assert mc.as_tensor(a).tolist()[0] == 7.0
    view = a[::-1]  # a view NumPy reads backwards is shared too (PyTorch refuses negative strides)
    assert np.shares_memory(mc.as_tensor(view).numpy(), a)


def test_a_view_read_backwards_is_shared_by_from_numpy_and_copied_by_tensor():
    """PyTorch refuses negative strides in all three; NumPy's arrays take them (docs/api/creation.md)."""
    a = np.random.default_rng(53).standard_normal((3, 4))
    view = a[::-1, ::-2]
    shared, copied = mc.from_numpy(view), mc.tensor(view)
    np.testing.assert_array_equal(shared.numpy(), view)
    np.testing.assert_array_equal(copied.numpy(), view.astype(np.float64))
    a[2, 3] = 9.0  # view[0, 0]
    assert shared.tolist()[0][0] == 9.0 and copied.tolist()[0][0] != 9.0


def test_as_tensor_copies_where_it_must_as_tensor_does():
    a = np.random.default_rng(52).standard_normal(3)
    b = mc.as_tensor(a, dtype=mc.float32)
    assert b.dtype == mc.float32 and not np.shares_memory(b.numpy(), a)
    np.testing.assert_array_equal(b.numpy(), a.astype(np.float32))
    assert mc.as_tensor(np.array([300]), dtype=mc.uint8).tolist() == [44]  # an array: cast as astype
    assert mc.as_tensor([1.5, 2]).dtype == mc.float32 and mc.as_tensor(3).dtype == mc.int64
    assert mc.as_tensor(np.float64(2.5)).dtype == mc.float64
    data = [[1.0, 2.0]]
    t = mc.as_tensor(data)
    data[0][0] = 5.0
    assert t.tolist() == [[1.0, 2.0]]


def test_as_tensor_gives_a_tensor_back_itself_unless_it_converts_it():
    x = mc.tensor([1.0, 2.0], requires_grad=True)
    assert (
        mc.as_tensor(x) is x and mc.as_tensor(x, dtype=mc.float32) is x and mc.as_tensor(x, device="cpu") is x
    )
    y = mc.as_tensor(x, dtype=mc.float64)
    assert y is not x and y.dtype == mc.float64 and y.grad_fn is not None
    (y * mc.tensor([3.0, 4.0], dtype=mc.float64)).sum().backward()
    assert x.grad.tolist() == [3.0, 4.0]  # the gradient flows back through the cast


@pytest.mark.parametrize(
    "call, error, says",
    [
        (
            lambda: mc.as_tensor([[1, 2], [3]]),
            ValueError,
            r"^as_tensor: expected a sequence of length 2 at dim 1",
        ),
        (lambda: mc.as_tensor([300], dtype=mc.uint8), RuntimeError, r"^as_tensor: data\[0\] = 300 cannot be"),
        (
            lambda: mc.as_tensor(np.array(["a"])),
            TypeError,
            r"^as_tensor: expected numbers, got an array of dtype <U1$",
        ),
        (
            lambda: mc.as_tensor(np.array([1, None]), dtype=mc.float32),
            TypeError,
            r"^as_tensor: expected numbers, got an array of dtype object$",
        ),
        (lambda: mc.as_tensor(None), TypeError, r"^as_tensor: expected numbers .* NoneType None at data$"),
        (lambda: mc.as_tensor("1.5"), TypeError, r"^as_tensor: expected numbers .* got str '1.5' at data$"),
        (
            lambda: mc.as_tensor([1.0], dtype="float32"),
            TypeError,
            r"^as_tensor: dtype must be a dtype such as",
        ),
        (
            lambda: mc.as_tensor(np.arange(3.0).astype(">f8")),
            TypeError,
            r"^as_tensor: the array's byte order is not this machine's",
        ),
        (lambda: mc.as_tensor([1.0], device="tpu"), ValueError, r"^as_tensor: unknown device 'tpu'"),
    ],
)
def test_as_tensor_refuses_in_one_line_naming_itself(call, error, says):
    with pytest.raises(error, match=says) as err:
        call()
    assert "\n" not in str(err.value)


def test_as_tensor_warns_of_a_read_only_array_as_from_numpy():
    a = np.arange(3.0)
    a.flags.writeable = False
    with pytest.warns(UserWarning, match=r"^as_tensor: the array is read-only"):
        mc.as_tensor(a)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mc.as_tensor(a, dtype=mc.float32)  # a copy: writable, nothing to warn of


@pytest.mark.parametrize("name", LISTS)
def test_a_list_of_numpy_numbers_gets_pytorchs_dtype(name):
    assert str(mc.tensor(LISTS[name]()).dtype) == str(GOLDEN[f"list_dtype.{name}"])


def test_a_list_of_numpy_numbers_keeps_their_values():
    rng = np.random.default_rng(61)
    values = rng.standard_normal(5)
    t = mc.tensor([np.float64(v) for v in values])
    assert t.dtype == mc.float64 and t.tolist() == values.tolist()  # no float32 rounding
    assert mc.tensor([np.float64(1.5)], dtype=mc.float32).dtype == mc.float32  # a dtype given wins
    assert mc.tensor([np.int8(-3), np.int8(4)]).tolist() == [-3, 4]


@pytest.mark.parametrize(
    "name, call",
    [
        ("zeros", lambda d: mc.zeros(2, device=d)),
        ("ones", lambda d: mc.ones(2, device=d)),
        ("empty", lambda d: mc.empty(2, device=d)),
        ("full", lambda d: mc.full((2,), 1.0, device=d)),
        ("rand", lambda d: mc.rand(2, device=d)),
        ("randn", lambda d: mc.randn(2, device=d)),
        ("arange", lambda d: mc.arange(3, device=d)),
        ("eye", lambda d: mc.eye(2, device=d)),
        ("linspace", lambda d: mc.linspace(0, 1, 3, device=d)),
        ("logspace", lambda d: mc.logspace(0, 1, 3, device=d)),
        ("randint", lambda d: mc.randint(0, 3, (2,), device=d)),
        ("randperm", lambda d: mc.randperm(3, device=d)),
        ("tensor", lambda d: mc.tensor([1.0], device=d)),
        ("as_tensor", lambda d: mc.as_tensor(np.zeros(2), device=d)),
        ("zeros_like", lambda d: mc.zeros_like(mc.zeros(2), device=d)),
        ("empty_like", lambda d: mc.empty_like(mc.zeros(2), device=d)),
        ("full_like", lambda d: mc.full_like(mc.zeros(2), 1.0, device=d)),
        ("randint_like", lambda d: mc.randint_like(mc.zeros(2), 3, device=d)),
        ("new_zeros", lambda d: mc.zeros(2).new_zeros(2, device=d)),
        ("new_full", lambda d: mc.zeros(2).new_full((2,), 1.0, device=d)),
        ("new_tensor", lambda d: mc.zeros(2).new_tensor([1.0], device=d)),
    ],
)
def test_a_factorys_device_error_names_it(name, call):
    with pytest.raises(ValueError, match=rf"^{name}: unknown device 'gpu': expected 'cpu' or 'cuda'$"):
        call("gpu")
    assert call(None).device == "cpu" and call(mc.device("cpu")).device == "cpu"  # None: PyTorch's default


@pytest.mark.parametrize(
    "name, call",
    [
        ("randperm", lambda: mc.randperm(2, dtype=mc.bool)),
        ("randperm", lambda: mc.randperm(0, dtype=mc.bool)),
        ("arange", lambda: mc.arange(0, 2, dtype=mc.bool)),
        ("arange", lambda: mc.arange(0, 0, dtype=mc.bool)),
        ("linspace", lambda: mc.linspace(0, 1, 3, dtype=mc.bool)),
        ("logspace", lambda: mc.logspace(0, 1, 2, dtype=mc.bool)),
    ],
)
def test_a_counting_factory_refuses_bool_as_pytorch(name, call):
    with pytest.raises(
        NotImplementedError, match=rf"^{name}: not implemented for dtype bool, as in PyTorch"
    ) as e:
        call()
    assert "\n" not in str(e.value)


def test_bool_stays_where_pytorch_takes_it():
    # one value or none is filled in without counting, as PyTorch's; random bits are bools
    assert mc.linspace(0, 1, 1, dtype=mc.bool).tolist() == [False] and mc.linspace(
        0, 1, 0, dtype=mc.bool
    ).shape == (0,)
    assert mc.logspace(0, 1, 1, dtype=mc.bool).tolist() == [True]
    mc.manual_seed(71)
    assert mc.randint(0, 2, (8,), dtype=mc.bool).dtype == mc.bool
