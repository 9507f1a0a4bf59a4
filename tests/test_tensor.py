"""Tensor: creation, leaving the graph (.item, .numpy, detach), gradients assigned and kept, moving,
comparing, setting in place."""

import numpy as np
import pytest

import minicnn as mc


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


@pytest.mark.parametrize("dtype", ["int64", "uint8", "bool"])
@pytest.mark.parametrize("name", ["normal_", "uniform_"])
def test_normal_and_uniform_of_an_integer_tensor_are_not_implemented_as_pytorch(name, dtype):
    """torch 2.14: NotImplementedError ("normal_kernel_cpu" not implemented for 'Long'); x untouched."""
    x = mc.tensor(np.random.default_rng(4513).integers(0, 2, 4).astype(dtype))
    before = x.numpy().copy()
    with pytest.raises(
        NotImplementedError,
        match=rf"^{name}: not implemented for dtype {dtype}, as in PyTorch: expected a floating-point "
        r"tensor$",
    ):
        getattr(x, name)()
    np.testing.assert_array_equal(x.numpy(), before)


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


@pytest.mark.parametrize(
    "call",
    [
        lambda x: x.to("gpu"),
        lambda x: x.to(device="gpu"),
        lambda x: x.to("gpu", mc.float64),
        lambda x: x.to(mc.device("cpu")).to("gpu"),
    ],
)
def test_to_an_unknown_device_names_tensor_to(call):
    x = mc.tensor(np.random.default_rng(61).standard_normal(3))
    with pytest.raises(ValueError, match=r"^Tensor\.to: unknown device 'gpu': expected 'cpu' or 'cuda'$"):
        call(x)
    assert x.to("cpu") is x and x.to(device=mc.device("cpu")) is x and x.to("float64").dtype == mc.float64


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
