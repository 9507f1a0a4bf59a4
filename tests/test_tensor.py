"""Tensor: creation and dtypes, leaving the graph (.item, .numpy, detach), moving, comparing."""

import warnings

import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F

# --- creation and dtypes -----------------------------------------------------------


@pytest.mark.parametrize(
    "data, dtype",
    [
        ([1.0, 2.0], np.float32),
        (3.5, np.float32),
        ([[1, 2], [3, 4]], np.int64),
        (7, np.int64),
        ([True, False], np.bool_),
        (np.zeros(2), np.float64),
        (np.zeros(2, np.float32), np.float32),
        (np.arange(3, dtype=np.int32), np.int32),
        (np.float64(2.0), np.float64),  # NumPy scalars keep their dtype, as arrays do
        (np.float32(2.0), np.float32),
        (np.int32(2), np.int32),
    ],
)
def test_tensor_dtype_follows_pytorch(data, dtype):
    assert mc.tensor(data).dtype == dtype


def test_tensor_dtype_argument_converts():
    assert mc.tensor([1, 2], dtype=mc.float64).dtype == np.float64


def test_tensor_copies_its_data():
    a = np.zeros(3)
    t = mc.tensor(a)
    a[0] = 1.0
    assert t.numpy()[0] == 0.0


def test_constructors():
    assert mc.zeros(2, 3).shape == (2, 3) and mc.zeros(2, 3).dtype == np.float32
    assert mc.ones((4,), dtype=mc.float64).numpy().tolist() == [1.0] * 4
    a, b = mc.randn(3, 2, seed=5), mc.randn(3, 2, seed=5)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert mc.randn(2, requires_grad=True).requires_grad


def test_shape_queries():
    t = mc.zeros(2, 3, 4)
    assert t.shape == (2, 3, 4) and t.size() == (2, 3, 4) and t.size(1) == 3
    assert t.ndim == t.dim() == 3 and t.numel() == 24 and len(t) == 2
    assert t.device == "cpu" and t.is_leaf and t.grad_fn is None


@pytest.mark.parametrize("data", [[1, 2], np.arange(3), [True]])
def test_requires_grad_on_integer_data_raises_naming_the_dtype(data):
    dtype = str(mc.tensor(data).dtype)
    with pytest.raises(
        TypeError, match=f"only floating-point tensors can require gradients, got dtype {dtype}"
    ):
        mc.tensor(data, requires_grad=True)
    with pytest.raises(TypeError, match=f"got dtype {dtype}"):
        mc.tensor(data).requires_grad_()


# --- leaving the graph ---------------------------------------------------------------


def test_requires_grad_assigned_is_checked_as_requires_grad_():
    t = mc.tensor([1, 2])
    with pytest.raises(TypeError, match="only floating-point tensors can require gradients, got dtype int64"):
        t.requires_grad = True
    x = mc.ones(2)
    with pytest.raises(TypeError, match="Tensor.requires_grad must be True or False, got 1"):
        x.requires_grad = 1
    x.requires_grad = True
    y = x * 2
    with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf tensors"):
        y.requires_grad = False
    assert x.requires_grad and y.requires_grad


def test_tensor_takes_its_options_by_name_only():
    """mc.tensor(a, mc.float64) would have read float64 as requires_grad; PyTorch refuses it too."""
    with pytest.raises(TypeError, match="positional argument"):
        mc.tensor([1.0, 2.0], mc.float64)
    with pytest.raises(TypeError, match="tensor: requires_grad must be True or False"):
        mc.tensor([1.0], requires_grad="yes")
    assert mc.tensor([1.0, 2.0], dtype=mc.float64).dtype == np.float64


def test_item_and_numpy():
    x = mc.tensor([[2.5]], requires_grad=True)
    y = x * 2
    assert y.item() == 5.0 and isinstance(y.item(), float)
    assert mc.tensor(3).item() == 3 and isinstance(mc.tensor(3).item(), int)
    assert isinstance(y.numpy(), np.ndarray) and y.numpy().tolist() == [[5.0]]
    assert y.tolist() == [[5.0]]


def test_item_of_many_elements_raises_a_runtime_error_naming_the_shape():
    # RuntimeError, as PyTorch's, so code written for torch catches the same class
    with pytest.raises(
        RuntimeError, match=r"item\(\): a Tensor with 4 elements cannot .* got shape \(2, 2\)"
    ):
        mc.zeros(2, 2).item()


def test_detach_cuts_the_graph_and_shares_the_data():
    x = mc.tensor(np.ones(3), requires_grad=True)
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.grad_fn is None and d.is_leaf
    assert d.data is y.data
    (d * x).sum().backward()  # only x's direct use carries a gradient
    np.testing.assert_array_equal(x.grad.numpy(), [2, 2, 2])


def test_detach_in_place_makes_the_tensor_a_leaf_and_keeps_the_graph_built_through_it(rng):
    a = mc.tensor(rng.standard_normal(3), requires_grad=True)
    b = a * 2
    y = (b + 1).sum()  # built before: still walks back through b to a, as in PyTorch
    assert b.detach_() is b
    assert b.is_leaf and b.grad_fn is None and not b.requires_grad
    assert not (b * 3).requires_grad  # and b records nothing from now on
    y.backward()
    np.testing.assert_array_equal(a.grad.numpy(), [2.0, 2.0, 2.0])
    w = mc.tensor(rng.standard_normal(3), requires_grad=True)
    assert w.detach_() is w and not w.requires_grad  # a leaf: as PyTorch's, it stops requiring grad


@pytest.mark.parametrize("requires_grad", [True, False])
def test_detach_in_place_of_a_view_is_refused_as_in_pytorch(rng, requires_grad):
    x = mc.tensor(rng.standard_normal((2, 3)), requires_grad=requires_grad)
    with pytest.raises(
        RuntimeError, match=r"detach_\(\): can't detach a view in place; use detach\(\) instead"
    ):
        x[0].detach_()
    assert x[0].detach().detach_().shape == (3,)  # a detach() is no view


def test_repr_shows_values_and_grad_fn():
    x = mc.tensor([1.0, 2.0], requires_grad=True)
    assert repr(x) == "tensor([1., 2.], requires_grad=True)"
    assert repr(x * 2).endswith("grad_fn=<Mul>)")
    # as PyTorch: a dtype other than float32, int64 or bool is named
    assert repr(mc.tensor([1.0, 2.0], dtype=mc.float64)) == "tensor([1., 2.], dtype=minicnn.float64)"
    assert repr(mc.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(mc.tensor([1, 2], dtype=mc.int32)) == "tensor([1, 2], dtype=minicnn.int32)"


# --- moving and casting ----------------------------------------------------------------


def test_to_cpu_keeps_values_and_graph():
    x = mc.tensor(np.arange(3.0), requires_grad=True)
    y = x.to("cpu")
    assert y.device == "cpu" and y.dtype == np.float64
    np.testing.assert_array_equal(y.numpy(), [0, 1, 2])
    (y * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3, 3, 3])
    assert x.cpu().device == "cpu"


def test_double_carries_the_gradient_back_as_float32():
    x = mc.tensor([1.0, 2.0], requires_grad=True)
    y = x.double()
    assert y.dtype == np.float64 and x.dtype == np.float32
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])


def test_float_and_to_dtype():
    x = mc.tensor(np.ones(2), requires_grad=True)
    assert x.float().dtype == np.float32
    assert x.to(np.float32).dtype == np.float32
    assert x.to("float32").dtype == np.float32
    assert x.type("float32").dtype == np.float32
    x.float().sum().backward()
    assert x.grad.dtype == np.float64


def test_integers_meet_python_floats_in_float32_as_in_pytorch():
    """NumPy would promote an int64 tensor and 0.5 to float64, and divide integers into float64;
    PyTorch gives its default float dtype, float32, and so does minicnn."""
    labels = mc.tensor([1, 2, 3])
    flags = mc.tensor([True, False, True])
    for y in (
        labels * 0.5,
        0.5 * labels,
        labels - np.float64(0.5),
        1.5 - labels,
        labels**0.5,
        labels / 2,
        2 / labels,
        labels / labels,
        flags * 0.5,
        labels.clamp(0.5, 2.5),
        F.where(flags, labels, 0.5),
        F.where(flags, 1.0, 0.0),
    ):
        assert y.dtype == np.float32, y
    np.testing.assert_array_equal((labels / 2).numpy(), [0.5, 1.0, 1.5])
    np.testing.assert_array_equal(labels.clamp(0.5, 2.5).numpy(), [1.0, 2.0, 2.5])
    np.testing.assert_array_equal(F.where(flags, 1, 0).numpy(), [1, 0, 1])
    assert F.where(flags, 1, 0).dtype == np.int64 and labels.clamp(1, 2).dtype == np.int64
    assert (labels + 1).dtype == np.int64 and (labels * 2).dtype == np.int64
    assert (labels * np.array([0.5, 1.0, 2.0])).dtype == np.float64  # an array keeps its dtype
    assert (mc.tensor(np.ones(3)) * 0.5).dtype == np.float64  # a float tensor keeps its own


def test_floor_division_as_python_without_a_gradient_and_bool_of_an_empty_tensor():
    a = mc.tensor([7, -8])
    assert (a // 2).tolist() == [3, -4] and (7 // mc.tensor([2, 3])).tolist() == [3, 2]
    assert (a // 2.5).dtype == np.float32 and (a // 2.5).tolist() == [2.0, -4.0]
    assert (mc.tensor([1.5, -2.5]) // 1).tolist() == [1.0, -3.0]
    a //= 2
    assert a.tolist() == [3, -4]
    w = mc.tensor([1.5], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"floor division \(//\) has no gradient"):
        w // 1
    with pytest.raises(RuntimeError, match="a leaf Tensor that requires grad is used in an in-place"):
        w //= 2
    with mc.no_grad():
        assert (w // 1).tolist() == [1.0]
    assert (w.detach() // 1).tolist() == [1.0]
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with no values is ambiguous"):
        bool(mc.tensor([]))


def test_data_takes_a_tensors_array_and_refuses_anything_but_an_array():
    layer = mc.nn.Linear(2, 2)
    layer.weight.data = mc.ones(2, 2)  # the pretrained-weights idiom
    assert isinstance(layer.weight.data, np.ndarray)
    np.testing.assert_array_equal(layer.state_dict()["weight"], np.ones((2, 2)))
    with pytest.raises(TypeError, match="Tensor.data must be an array or a Tensor, got list"):
        layer.weight.data = [1.0, 2.0]
    w = mc.nn.Parameter(np.ones(3))
    w.grad = mc.tensor(np.full(3, 2.0))
    with mc.no_grad():
        w.data -= 0.5 * w.grad  # NumPy hands this to the Tensor: the result is stored unwrapped
    assert isinstance(w.data, np.ndarray) and w.data.tolist() == [0.0, 0.0, 0.0]


# name: (value assigned to the .grad of a float64 (3, 4) parameter, error type, message)
BAD_GRADS = {
    "shape": (
        lambda: mc.tensor(np.ones(4)),
        RuntimeError,
        r"assigned grad has shape \(4,\), the tensor has \(3, 4\)",
    ),
    "dtype": (
        lambda: mc.tensor(np.ones((3, 4), dtype=np.float32)),
        RuntimeError,
        "assigned grad has dtype float32, the tensor has float64",
    ),
    "array": (lambda: np.ones((3, 4)), TypeError, "Tensor.grad must be None or a Tensor, got ndarray"),
}


@pytest.mark.parametrize("case", BAD_GRADS)
def test_a_grad_that_does_not_fit_its_tensor_is_refused_on_assignment(case):
    """As PyTorch: else an optimizer would broadcast a (4,) gradient into a (3, 4) weight."""
    make, error, message = BAD_GRADS[case]
    p = mc.nn.Parameter(np.zeros((3, 4)))
    with pytest.raises(error, match=message):
        p.grad = make()
    assert p.grad is None
    p.grad = mc.tensor(np.full((3, 4), 2.0))  # one that fits
    p.grad = None
    assert p.grad is None


def test_numpy_reads_a_tensor_as_its_array():
    t = mc.tensor([1.0, 2.0])
    assert np.asarray(t).dtype == np.float32 and np.asarray(t).tolist() == [1.0, 2.0]
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    snapshot = np.array(t)  # a copy: a later update does not reach it
    t.data[0] = 5.0
    assert snapshot.tolist() == [1.0, 2.0] and np.shares_memory(np.asarray(t), t.data)
    with pytest.raises(ValueError, match="needs a copy"):
        np.array(t, dtype=np.float64, copy=False)
    assert mc.tensor([mc.tensor(1.0), mc.tensor(2.0)]).tolist() == [1.0, 2.0]
    assert isinstance(np.ones(2) + t, mc.Tensor)  # operators still go to the Tensor


def test_numpy_of_a_tensor_that_requires_grad_is_a_read_only_view(rng):
    """A write into it would change what Exp kept for backward, uncounted: NumPy refuses it
    (PyTorch refuses numpy() itself there)."""
    x = mc.tensor(rng.standard_normal(3), requires_grad=True)
    y = x.exp()
    for array in (y.numpy(), np.asarray(y), x.numpy(), y.__array__()):
        assert np.shares_memory(array, y.data) or np.shares_memory(array, x.data)
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 0.0
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp(x.numpy()))
    for writable in (y.detach().numpy(), np.array(y), x.grad.numpy(), mc.tensor([1.0]).numpy()):
        writable[0] = 5.0  # a copy, or a tensor without a gradient: as in PyTorch
    assert y.detach().numpy()[0] == 5.0  # (uncounted, as PyTorch's detach().numpy())


def test_a_numpy_ufunc_refuses_a_tensor_whose_gradient_it_would_lose():
    """np.exp(x) gives an array no gradient reaches: refused where x requires grad, as PyTorch."""
    x = mc.tensor(np.array([0.0, 1.0]), requires_grad=True)
    with pytest.raises(TypeError, match=r"np.exp of a Tensor that requires grad: .* np.exp\(x.detach\(\)\)"):
        np.exp(x)
    np.testing.assert_allclose(np.exp(x.detach()), [1.0, np.e])
    with mc.no_grad():
        assert isinstance(np.exp(x), np.ndarray)  # no graph is recorded there anyway
    assert np.exp(mc.tensor(np.zeros(2))).tolist() == [1.0, 1.0]  # a tensor without a gradient


def test_numpy_operators_on_tensors_record_the_op():
    """np.add(a, x), a * x and a < x run the Tensor's operators, with the graph."""
    x = mc.tensor(np.array([1.0, 2.0]), requires_grad=True)
    a = np.array([3.0, 0.5])
    y = np.add(a, x) * np.subtract(a, x) + np.multiply(x, a)  # (a + x)(a - x) + a x
    assert isinstance(y, mc.Tensor)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), -2 * x.numpy() + a)
    assert (a < x).tolist() == [False, True] and (np.less_equal(x, a)).tolist() == [True, False]


def test_a_ufunc_writing_into_a_tensor_counts_as_a_change_in_place():
    w = mc.tensor(np.array([1.0, 2.0]), requires_grad=True)
    x = mc.tensor(np.array([3.0, 4.0]))
    y = (x * w).sum()
    np.multiply(x, 2.0, out=x)
    assert x.tolist() == [6.0, 8.0]
    with pytest.raises(RuntimeError, match="input 0 of Mul was changed in place"):
        y.backward()


def test_randn_follows_manual_seed_and_its_own_seed():
    mc.manual_seed(0)
    a = mc.randn(3)
    mc.manual_seed(0)
    assert mc.randn(3).tolist() == a.tolist()
    assert mc.randn(3, seed=7).tolist() == mc.randn(3, seed=7).tolist()


def test_requires_grad_false_on_a_computed_tensor_and_zero_grad_in_place():
    x = mc.tensor([1.0], requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf tensors"):
        y.requires_grad_(False)
    assert y.requires_grad_(True) is y
    layer = mc.nn.Linear(1, 1)
    layer(mc.ones(1, 1)).sum().backward()
    grad = layer.weight.grad
    layer.zero_grad(set_to_none=False)
    assert layer.weight.grad is grad and grad.tolist() == [[0.0]]
    opt = mc.optim.SGD(layer.parameters(), lr=0.1)
    layer(mc.ones(1, 1)).sum().backward()
    opt.zero_grad(set_to_none=False)
    assert layer.weight.grad is grad and grad.tolist() == [[0.0]]


def test_narrow_integers_keep_their_dtype_and_integer_division_by_zero_is_refused():
    a = mc.tensor(np.array([7, -7], dtype=np.int32))
    assert (a + 1).dtype == np.int32 and (a // 2).dtype == np.int32
    assert F.where(mc.tensor([True, False]), a, 2).dtype == np.int32
    assert (mc.tensor(np.array([255], dtype=np.uint8)) + 1).tolist() == [0]  # wraps, as PyTorch
    with pytest.raises(ZeroDivisionError, match="floor_divide: integer division by zero"):
        a // mc.tensor(np.array([1, 0], dtype=np.int32))
    with pytest.raises(ZeroDivisionError, match="//=: integer division by zero"):
        a //= 0
    assert (mc.tensor([1.0, -1.0]) // 0).tolist() == [np.inf, -np.inf]
    b = mc.tensor([4, 9])
    assert b.sqrt().dtype == b.exp().dtype == b.log().dtype == np.float32
    assert b.sqrt().tolist() == [2.0, 3.0] and b.clamp(min=np.float32(0.5)).dtype == np.float32
    assert [p.shape for p in mc.zeros(0, 2).split(0)] == [(0, 2)]
    assert mc.tensor(np.array([5, -5], np.int16)).clamp(min=np.int64(2)).dtype == np.int16
    assert (mc.tensor(np.zeros(0, np.int64)) // 0).shape == (0,)  # nothing to divide
    f = mc.tensor([1.0, 2.0])
    f //= 0.0
    assert f.tolist() == [np.inf, np.inf]
    with pytest.raises(ValueError, match="split_size must be positive"):
        mc.zeros(3).split(0)


def test_pytorch_edges_of_comparison_size_len_and_numpy_scalars():
    x = mc.tensor([[1.0, 2.0, 3.0]])
    assert (x == None) is False and (x != None) is True  # noqa: E711 (the idiom under test)
    assert mc.tensor(3.0).dtype == np.float32  # a Python float: float32
    assert x.size(-1) == 3 and x.size() == (1, 3)
    with pytest.raises(
        IndexError, match=r"size: dim 2 is out of range for a 2-D tensor \(expected one in \[-2, 1\]\)"
    ):
        x.size(2)
    with pytest.raises(IndexError, match="a 0-d tensor has no dimensions"):
        mc.tensor(1.0).size(0)
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(mc.tensor(1.0))
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        list(mc.tensor(1.0))
    rows = list(mc.tensor([[1.0, 2.0], [3.0, 4.0]]))
    assert len(rows) == 2 and rows[1].tolist() == [3.0, 4.0]
    assert mc.max(x, x - 1).tolist() == x.tolist()  # two tensors: torch.max(a, b), the elementwise maximum


def test_mean_and_var_of_integers_are_refused_as_in_pytorch():
    hits = mc.tensor([1, 0, 1]) == 1
    with pytest.raises(
        TypeError, match=r"mean: expected a floating-point tensor, got bool .* x.float\(\).mean\(\)"
    ):
        hits.mean()
    with pytest.raises(TypeError, match="var: expected a floating-point tensor, got int64"):
        mc.tensor([1, 2]).var()
    assert hits.float().mean().item() == pytest.approx(2 / 3)


def test_a_scalar_leaf_used_twice_accumulates_its_gradient():
    """x^2 + 3x at 2: NumPy's 0-d arithmetic gives scalars, the gradient stays an array."""
    x = mc.tensor(2.0, requires_grad=True)
    (x * x + 3 * x).backward()
    assert x.grad.item() == 7.0 and isinstance(x.grad.data, np.ndarray)
    (x * x).backward()  # accumulates
    assert x.grad.item() == 11.0
    p = mc.nn.Parameter(mc.tensor(3.0))
    (p * 2).backward()
    mc.optim.SGD([p], lr=0.1).zero_grad(set_to_none=False)
    assert p.grad.item() == 0.0


def test_normal_and_uniform_refill_in_place_from_the_seeded_generator():
    w = mc.zeros(1000)
    mc.manual_seed(5)
    assert w.normal_(2.0, 0.5) is w
    first = w.numpy().copy()
    assert abs(first.mean() - 2.0) < 0.1 and abs(first.std() - 0.5) < 0.05 and w.dtype == np.float32
    mc.manual_seed(5)
    np.testing.assert_array_equal(w.normal_(2.0, 0.5).numpy(), first)
    w.uniform_(-1.0, 1.0)
    assert -1.0 <= w.numpy().min() and w.numpy().max() < 1.0 and w.numpy().std() > 0.5
    with pytest.raises(TypeError, match="normal_: expected a floating-point tensor, got int64"):
        mc.tensor([1, 2]).normal_()
    assert w.normal_(mean=0.0, std=0.02) is w and w.uniform_(from_=-0.1, to=0.1) is w  # PyTorch's names
    leaf = mc.tensor([0.0, 1.0], requires_grad=True)
    with pytest.raises(
        RuntimeError, match=r"a leaf Tensor that requires grad is used in an in-place operation \(normal_\)"
    ):
        leaf.normal_()
    with pytest.raises(RuntimeError, match="uniform_ on a Tensor inside an autograd graph"):
        leaf.exp().uniform_()  # Exp saved its output: refilling it would falsify the gradient
    with mc.no_grad():
        leaf.normal_()


def test_to_unknown_device_raises():
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        mc.tensor([1.0]).to(device="tpu")


# --- comparisons -----------------------------------------------------------------------


def test_comparisons_give_boolean_tensors_without_graph():
    x = mc.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = mc.tensor([3.0, 2.0, 1.0])
    for result, expected in [
        (x < y, [1, 0, 0]),
        (x <= y, [1, 1, 0]),
        (x > y, [0, 0, 1]),
        (x >= y, [0, 1, 1]),
        (x == y, [0, 1, 0]),
        (x != y, [1, 0, 1]),
        (x > 1.5, [0, 1, 1]),
        (x == 3, [0, 0, 1]),
    ]:
        assert result.dtype == np.bool_ and not result.requires_grad
        np.testing.assert_array_equal(result.numpy(), np.array(expected, bool))


def test_argmax():
    x = mc.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 1.0]])
    np.testing.assert_array_equal(x.argmax(dim=1).numpy(), [1, 0])
    assert x.argmax().item() == 3


def test_tensors_stay_hashable():
    x = mc.tensor([1.0])
    assert {x: 1}[x] == 1


# --- in-place setters --------------------------------------------------------------------


def test_in_place_setters():
    x = mc.zeros(2, 2)
    x.fill_(3.0)
    assert (x.numpy() == 3).all()
    x.copy_(np.ones((2, 2)))
    assert (x.numpy() == 1).all() and x.dtype == np.float32
    x.zero_()
    assert (x.numpy() == 0).all()


@pytest.mark.parametrize(
    "data", [np.array(["a", "b"]), np.array([object(), 1], dtype=object), ["x", "y"], np.array([b"a"])]
)
def test_tensor_of_strings_or_objects_is_a_type_error(data):
    with pytest.raises(
        TypeError,
        match=r"tensor: expected numbers \(bool, int, float or complex\), "
        r"got (an array of dtype|str .x. at data\[0\])",
    ):
        mc.tensor(data)


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "matmul"])
def test_two_float_dtypes_in_one_op_is_a_type_error_naming_both(op):
    import minicnn.functional as F

    a = mc.tensor(np.ones((2, 2), np.float32), requires_grad=True)
    b = mc.tensor(np.ones((2, 2), np.float64), requires_grad=True)
    with pytest.raises(TypeError, match=f"{op}: the tensors are float32 and float64"):
        getattr(F, op)(a, b)


def test_an_integer_tensor_meets_a_float_tensor_in_its_dtype():
    a = mc.tensor(np.arange(1.0, 4.0, dtype=np.float32), requires_grad=True)
    mask = mc.tensor(np.array([1, 0, 2]))
    y = a * mask + mask
    assert y.dtype == np.float32
    y.sum().backward()
    assert a.grad.dtype == np.float32
    np.testing.assert_array_equal(a.grad.numpy(), [1.0, 0.0, 2.0])


def test_a_one_element_tensor_is_a_python_number():
    """if loss > 0, float(loss), f"{loss:.3f}", range(n): as with PyTorch's tensors."""
    t = mc.tensor([-1.0, -2.0])
    assert not (t.sum() > 0) and bool(t.sum() < 0)
    assert bool(mc.tensor([0.0])) is False
    assert float(t.sum()) == -3.0 and int(mc.tensor([3.7])) == 3
    assert f"{t.sum():.2f}" == "-3.00" and f"{t}" == repr(t)
    assert list(range(mc.tensor(3))) == [0, 1, 2]
    with pytest.raises(RuntimeError, match=r"Boolean value of Tensor with more than one value is ambiguous"):
        bool(t)
    with pytest.raises(TypeError, match="only integer tensors of a single element can be used as an index"):
        [0, 1][mc.tensor(1.0)]


def test_in_place_arithmetic_updates_the_array_where_no_gradient_is_recorded():
    """A hand-written SGD step (w -= lr * w.grad under no_grad) keeps w the same leaf."""
    w = mc.tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
    data = w.data
    (w * w).sum().backward()
    with mc.no_grad():
        w -= 0.25 * w.grad
        w *= 2
        w /= 4
        w += 1
    assert w.data is data and w.is_leaf and w.requires_grad and w.dtype == np.float32
    np.testing.assert_allclose(w.numpy(), [1.25, 1.5])
    with pytest.raises(
        RuntimeError, match=r"a leaf Tensor that requires grad is used in an in-place operation \(\+=\)"
    ):
        w += 1
    with pytest.raises(RuntimeError, match=r"in an in-place operation \(\*\*=\)"):
        w **= 2
    y = w * 2
    with pytest.raises(RuntimeError, match="write x = x - y"):
        y -= 1
    c = mc.tensor([1.0, 2.0])  # needs no gradient: in place anywhere
    c += mc.tensor([1.0, 1.0])
    np.testing.assert_array_equal(c.numpy(), [2.0, 3.0])


def test_retain_grad_on_the_root_keeps_its_gradient_of_one():
    x = mc.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    assert y.retain_grad() is None  # as PyTorch's, not y
    y.backward()
    assert y.grad.item() == 1.0
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])


def test_in_place_with_a_right_side_that_needs_a_gradient_records_the_op():
    """tot += loss accumulates a graph, as in PyTorch (Python falls back to tot = tot + loss)."""
    w = mc.tensor([1.0, 2.0], requires_grad=True)
    tot = mc.tensor(0.0)
    tot += (w * w).sum()
    tot.backward()
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, 4.0])
    assert f"{mc.tensor(2.5)}" == "2.5"  # a 0-d tensor formats as its number


def test_a_0d_float_beside_a_tensor_takes_its_dtype_as_in_pytorch():
    """PyTorch: a 0-d tensor does not promote a tensor of more dims; its gradient comes back
    in its own dtype."""
    x = mc.tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    s = mc.tensor(np.float64(3.0), requires_grad=True)
    y = (x * s).sum()
    assert y.dtype == np.float32
    y.backward()
    assert s.grad.dtype == np.float64 and s.grad.item() == 2.0
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])
    with pytest.raises(TypeError, match="add: the tensors are float32 and float64"):
        mc.tensor(np.float32(1.0)) + mc.tensor(np.float64(1.0))  # two scalars: no such rule


def test_integer_and_bool_sums_are_int64_as_in_pytorch():
    assert mc.tensor(np.array([200, 100], dtype=np.uint8)).sum().item() == 300
    assert mc.tensor(np.array([200, 100], dtype=np.uint8)).sum().dtype == np.int64
    assert mc.tensor([True, True, False]).sum(0).dtype == np.int64


@pytest.mark.parametrize("data", [2**63, [2**63, 1], -(2**63) - 1, [[1], [2**64]]])
def test_a_python_int_outside_int64_is_refused_naming_it_as_pytorch_refuses_it(data):
    with pytest.raises(
        ValueError, match=r"^tensor: the int -?\d+ is outside int64's range \[-9223372036854775808, "
    ):
        mc.tensor(data)
    with pytest.raises(ValueError, match=r"^full: the int 9223372036854775808 is outside int64's range"):
        mc.full((2,), 2**63)
    assert mc.full((2,), 2**63, dtype=mc.float64).dtype == np.float64  # as a float it is a value


def test_nans_alone_make_a_tensor_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (the look for huge ints once warned of an all-NaN array)
        for data in (float("nan"), [float("nan")] * 3, np.full((2, 2), np.nan)):
            assert np.isnan(mc.tensor(data).numpy()).all()


def test_the_ends_of_int64_a_float_beside_a_huge_int_and_a_uint64_array_are_taken():
    assert mc.tensor(-(2**63)).item() == -(2**63)
    assert mc.tensor([2**63 - 1]).dtype == np.int64
    assert mc.tensor([2**63, 1.5]).dtype == np.float32  # a float among them: floats, as PyTorch
    assert mc.tensor(2**63, dtype=mc.float64).item() == 2.0**63
    big = mc.tensor(np.array([2**63], dtype=np.uint64))
    assert (big.dtype, big.tolist()) == (np.dtype(np.uint64), [2**63])
