"""The tensor factories and PyTorch's conveniences: arange, full, rand, *_like, from_numpy,
dtype names, long/int/bool, softmax as a method, view_as, x[index] = value, nn.functional."""

import numpy as np
import pytest

import minicnn as mc


def test_arange_and_full_pick_pytorchs_dtypes():
    assert mc.arange(5).tolist() == [0, 1, 2, 3, 4] and mc.arange(5).dtype == np.int64
    assert mc.arange(2, 10, 3).tolist() == [2, 5, 8]
    quarter = mc.arange(0, 1, 0.25)
    assert quarter.dtype == np.float32 and quarter.tolist() == [0.0, 0.25, 0.5, 0.75]
    assert mc.arange(3, dtype=mc.float64).dtype == np.float64
    with pytest.raises(ValueError, match="arange: step must be nonzero"):
        mc.arange(0, 3, 0)
    assert mc.full((2, 2), 7).dtype == np.int64 and mc.full((2,), 0.5).dtype == np.float32
    assert (
        mc.full(3, True).tolist() == [True, True, True]
        and mc.full(2, 1, dtype=mc.float64).dtype == np.float64
    )


def test_rand_is_seeded_uniform_and_the_like_factories_copy_shape_dtype():
    mc.manual_seed(3)
    a = mc.rand(1000)
    mc.manual_seed(3)
    assert mc.rand(1000).tolist() == a.tolist() and a.dtype == np.float32
    assert 0.0 <= a.numpy().min() and a.numpy().max() < 1.0 and abs(a.numpy().mean() - 0.5) < 0.05
    x = mc.randn(2, 3, seed=4, dtype=mc.float64)
    assert mc.zeros_like(x).dtype == np.float64 and mc.zeros_like(x).shape == (2, 3)
    assert mc.ones_like(x, dtype=mc.int64).tolist() == [[1, 1, 1], [1, 1, 1]]


def test_from_numpy_shares_memory_where_tensor_copies():
    array = np.zeros(3, dtype=np.float32)
    shared, copied = mc.from_numpy(array), mc.tensor(array)
    array[0] = 5.0
    assert shared.tolist() == [5.0, 0.0, 0.0] and copied.tolist() == [0.0, 0.0, 0.0]
    with pytest.raises(TypeError, match="from_numpy: expected a numpy.ndarray, got list"):
        mc.from_numpy([1.0])


def test_dtype_names_and_integer_conversions_leave_the_graph():
    assert mc.tensor([1.0], dtype=mc.float64).dtype == np.float64 and mc.float == mc.float32
    assert (mc.long, mc.int, mc.bool, mc.double) == ("int64", "int32", "bool", "float64")
    x = mc.tensor([1.5, -2.5], requires_grad=True)
    assert x.long().tolist() == [1, -2] and x.long().dtype == np.int64 and not x.long().requires_grad
    assert x.int().dtype == np.int32 and x.bool().tolist() == [True, True]
    assert x.to(mc.double).requires_grad  # a float cast stays in the graph


def test_softmax_methods_and_view_as():
    x = mc.randn(2, 3, seed=5)
    np.testing.assert_allclose(x.softmax(1).numpy().sum(1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(np.exp(x.log_softmax(-1).numpy()), x.softmax(-1).numpy(), rtol=1e-5)
    assert x.view_as(mc.zeros(3, 2)).shape == (3, 2)


def test_setitem_writes_in_place_where_no_gradient_is_recorded():
    y = mc.tensor([1.0, -2.0, 3.0])
    y[y < 0] = 0
    y[0] = mc.tensor(9.0)
    assert y.tolist() == [9.0, 0.0, 3.0]
    grid = mc.zeros(2, 3)
    grid[:, mc.tensor([0, 2])] = 1.0
    assert grid.tolist() == [[1, 0, 1], [1, 0, 1]]
    w = mc.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"leaf Tensor that requires grad .* \(x\[index\] = value\)"):
        w[0] = 5.0
    with mc.no_grad():
        w[0] = 5.0
    assert w.tolist() == [5.0, 2.0]
    with pytest.raises(RuntimeError, match=r"inside an autograd graph.*mc.where\(mask, value, x\)"):
        (w * 2)[0] = 1.0
    with pytest.raises(RuntimeError, match="a value that requires grad"):
        y[1] = w[0]


def test_nn_functional_is_minicnn_functional():
    import minicnn.functional
    import minicnn.nn.functional as F

    assert F.conv2d is minicnn.functional.conv2d and F.cross_entropy is minicnn.functional.cross_entropy
    assert mc.nn.functional.relu is minicnn.functional.relu


def test_review_edges_of_the_factories_and_dtype_names():
    assert mc.float32 is np.dtype("float32") and mc.tensor([1.0]).dtype in {mc.float32, mc.float64}
    assert {mc.float32: "single"}[mc.tensor([1.0]).dtype] == "single" and mc.short == np.int16
    mc.manual_seed(15)  # a seed whose 2**22 float64 draws include one that float32 rounds to 1.0
    assert float(mc.rand(2**22).numpy().max()) < 1.0
    w = mc.zeros(2**22)
    mc.manual_seed(15)
    assert float(w.uniform_().numpy().max()) < 1.0
    with pytest.raises(ValueError, match="arange: the step 1 leads from 3 away from 1"):
        mc.arange(3, 1)
    assert mc.arange(end=3).tolist() == [0, 1, 2] and mc.arange(True, 3).dtype == np.int64
    with pytest.raises(TypeError, match="rand: draws are floats; dtype int64"):
        mc.rand(3, dtype=mc.long)
    assert mc.randn(2, generator=1).tolist() == mc.randn(2, seed=1).tolist()
    with pytest.raises(TypeError, match="full: fill_value must be a number, got list"):
        mc.full((2,), [1.0, 2.0])
    with pytest.raises(TypeError, match="byte order"):
        mc.from_numpy(np.zeros(2, dtype=">f4"))
    frozen = np.zeros(2)
    frozen.flags.writeable = False
    with pytest.warns(UserWarning, match="read-only"):
        mc.from_numpy(frozen)
    x = mc.tensor([1.0, 2.0], requires_grad=True)
    assert x.to(np.complex64).requires_grad and not x.long().requires_grad


@pytest.mark.parametrize(
    "call, says",
    [
        (lambda: mc.randint(low=3, size=(4,)), r"^randint: expected a high bound, .*; got low=3 alone$"),
        (lambda: mc.randint(size=(4,)), r"^randint: expected a high bound, .*; got no bounds$"),
        (lambda: mc.randint(10, low=3, size=(4,)), r"^randint: low is given twice"),
        (lambda: mc.randint(3, 10, high=12, size=(4,)), r"^randint: low and high are given twice"),
        (lambda: mc.randint(10, (4,), high=12), r"^randint: the bounds are given by position .* high=12"),
        (lambda: mc.randint(3, 10, (4,), low=1), r"^randint: the bounds are given by position .* low=1"),
        (lambda: mc.randint(0, 3, 10, (4,)), r"^randint: expected at most two bounds"),
        (lambda: mc.randint(high=10), r"^randint: expected a size, as randint\(high, size\)"),
    ],
    ids=["low_alone", "none", "low_twice", "both_twice", "high_by_kw", "low_by_kw", "three", "no_size"],
)
def test_randint_refuses_a_low_bound_without_a_high_one(call, says):
    """PyTorch refuses randint(low=3, size=(4,)); read as the high bound it drew from [0, 3)."""
    with pytest.raises(TypeError, match=says):
        call()


@pytest.mark.parametrize(
    "call, low, high",
    [
        (lambda: mc.randint(high=10, size=(300,)), 0, 10),
        (lambda: mc.randint(low=7, high=10, size=(300,)), 7, 10),
        (lambda: mc.randint(7, high=10, size=(300,)), 7, 10),
        (lambda: mc.randint(7, 10, size=(300,)), 7, 10),
        (lambda: mc.randint(10, size=(300,)), 0, 10),
    ],
    ids=["high_kw", "both_kw", "low_pos_high_kw", "size_kw", "high_pos_size_kw"],
)
@pytest.mark.parametrize("seed", [11])
def test_randint_reads_its_bounds_by_keyword_as_pytorch(call, low, high, seed):
    mc.manual_seed(seed)
    y = call().numpy()
    assert y.shape == (300,) and y.min() == low and y.max() == high - 1


def test_more_factories_as_pytorch():
    mc.manual_seed(3)
    a = mc.randint(10, (50,))
    mc.manual_seed(3)
    assert a.dtype == np.int64 and a.tolist() == mc.randint(0, 10, (50,)).tolist()
    assert 0 <= a.numpy().min() and a.numpy().max() < 10
    assert mc.randint(3, 5, (2, 2)).shape == (2, 2) and set(mc.randint(3, 5, (40,)).tolist()) <= {3, 4}
    with pytest.raises(ValueError, match=r"randint: the range \[5, 5\) is empty"):
        mc.randint(5, 5, (2,))
    assert sorted(mc.randperm(6).tolist()) == list(range(6)) and mc.randperm(6).dtype == np.int64
    np.testing.assert_array_equal(mc.eye(2, 3).numpy(), [[1, 0, 0], [0, 1, 0]])
    np.testing.assert_allclose(mc.linspace(0, 1, 5).numpy(), [0, 0.25, 0.5, 0.75, 1])
    assert mc.linspace(0, 1, 5).dtype == np.float32
    with pytest.raises(ValueError, match="linspace: steps must be a non-negative int"):
        mc.linspace(0, 1, 2.5)
    assert mc.empty(2, 3).shape == (2, 3) and not mc.empty(2).numpy().any()
    like = mc.zeros(2, dtype=mc.float64)
    assert mc.full_like(like, 7).tolist() == [7.0, 7.0] and mc.full_like(like, 7).dtype == np.float64
    assert mc.rand_like(like).dtype == np.float64 and mc.randn_like(like).shape == (2,)


def test_tensor_methods_under_pytorchs_names():
    x = mc.tensor([[1.0, -2.0], [3.0, 4.0]], requires_grad=True)
    assert x.eq(1.0).tolist() == [[True, False], [False, False]] and x.ge(3).sum().item() == 2
    assert x.lt(0).any().item() and x.ne(x).sum().item() == 0
    np.testing.assert_array_equal(abs(x).numpy(), [[1, 2], [3, 4]])
    assert +x is x and x.contiguous() is x
    np.testing.assert_array_equal(x.t().numpy(), x.numpy().T)
    with pytest.raises(ValueError, match=r"t: expects a tensor of at most 2 dims, got shape \(1, 1, 1\)"):
        mc.zeros(1, 1, 1).t()
    y = x.add(1).sub(1).mul(2).div(2).pow(2).matmul(mc.ones(2, 1)).sum()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.numpy())
    assert mc.tensor([1.0, float("nan")]).isnan().tolist() == [False, True]
    assert (
        mc.ones(1, 2).expand_as(x).shape == (2, 2) and x.type_as(mc.zeros(1, dtype=mc.long)).dtype == np.int64
    )
    assert x.new_zeros(3).dtype == np.float32 and x.new_zeros(3).shape == (3,)
    assert mc.argmax(mc.tensor([[1, 5], [7, 2]]), 1).tolist() == [1, 0]
    assert mc.matmul(mc.ones(2, 3), mc.ones(3)).tolist() == [3.0, 3.0]
    np.testing.assert_allclose(mc.softmax(mc.zeros(1, 4), 1).numpy(), 0.25)
