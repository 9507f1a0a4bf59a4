"""The autograd engine: how gradients flow, accumulate, and how the graph is freed."""

import warnings

import numpy as np
import pytest

import minicnn as mc
from minicnn import Function


def leaf(values):
    return mc.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


# --- summing over uses -----------------------------------------------------------------


def test_a_tensor_used_three_times_gets_the_sum_of_its_gradients():
    x = leaf([1.0, 2.0])
    y = x * 2 + x * x + x  # dy/dx = 2 + 2x + 1
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [5.0, 7.0])


def test_diamond_sums_both_paths_before_going_further():
    x = leaf([3.0])
    h = x * x  # h = 9, used twice below
    y = h * 2 + h.exp() * 0  # only the first path counts
    z = (h + y).sum()
    z.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3 * 2 * 3.0])


def test_leaf_gradients_accumulate_over_backward_calls():
    x = leaf([1.0, -1.0])
    (x * 3).sum().backward()
    (x * 4).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [7.0, 7.0])
    x.grad = None
    (x * 4).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 4.0])


def test_non_leaf_gradients_are_not_kept_unless_asked():
    x = leaf([1.0, 2.0])
    h = x * 3
    kept = x * 2
    kept.retain_grad()
    (h * h + kept * 5).sum().backward()
    with pytest.warns(UserWarning, match=r"not a leaf .* call \.retain_grad\(\) on it before backward\(\)"):
        assert h.grad is None
    np.testing.assert_array_equal(kept.grad.numpy(), [5.0, 5.0])
    np.testing.assert_array_equal(x.grad.numpy(), 18 * x.numpy() + 10)


def test_reading_a_computed_tensors_grad_warns_at_the_readers_line_as_pytorch(rng):
    """PyTorch warns at each read (Python's filter then shows it once per line); a leaf, a
    retained tensor and a result of no_grad (a leaf too) read quietly."""
    x = mc.tensor(rng.standard_normal(2), requires_grad=True)
    h, kept = x * 2, x * 3
    kept.retain_grad()
    with mc.no_grad():
        quiet = x * 4
    (h * kept).sum().backward()
    assert (h.retains_grad, kept.retains_grad, x.retains_grad) == (False, True, False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert x.grad is not None and kept.grad is not None and quiet.grad is None
        assert not caught
        for _ in range(2):
            assert h.grad is None
    assert len(caught) == 2 and all(w.category is UserWarning for w in caught)
    assert {w.filename for w in caught} == {__file__}


# --- deep graphs ---------------------------------------------------------------------------


def test_2000_layer_chain_backward_has_no_recursion_error():
    x = leaf([0.5])
    y = x
    for _ in range(2000):
        y = y * 1.0005
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0005**2000], rtol=1e-12)


def test_2000_deep_chain_of_two_input_ops():
    x, b = leaf([0.0]), leaf([1.0])
    y = x
    for _ in range(2000):
        y = y + b  # b is used 2000 times, y chains through all of them
    y.sum().backward()
    assert x.grad.item() == 1.0 and b.grad.item() == 2000.0


# --- no_grad --------------------------------------------------------------------------------


def test_no_grad_records_nothing_and_restores():
    x = leaf([1.0])
    with mc.no_grad():
        assert not mc.is_grad_enabled()
        y = x * 2 + 1
    assert mc.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert (x * 2).requires_grad


def test_no_grad_as_decorator():
    @mc.no_grad()
    def step(t):
        """doubles"""
        return t * 2

    y = step(leaf([1.0]))
    assert not y.requires_grad and mc.is_grad_enabled()
    assert step.__name__ == "step" and step.__doc__ == "doubles"


def test_no_grad_restores_after_an_exception():
    with pytest.raises(ZeroDivisionError):
        with mc.no_grad():
            _ = 1 / 0
    assert mc.is_grad_enabled()


def test_enable_grad_inside_no_grad_and_set_grad_enabled_as_pytorch():
    x = leaf([1.0])
    with mc.no_grad():
        with mc.enable_grad():
            assert (x * 2).requires_grad
        assert not (x * 2).requires_grad
    with mc.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert mc.is_grad_enabled()

    @mc.set_grad_enabled(False)  # as a decorator: at each call, not when decorating
    def evaluate(t):
        return t * 2

    assert mc.is_grad_enabled() and not evaluate(x).requires_grad and mc.is_grad_enabled()
    try:
        mc.set_grad_enabled(False)  # a plain call sets it until set back
        assert not (x * 2).requires_grad
    finally:
        mc.set_grad_enabled(True)
    with pytest.raises(TypeError, match="set_grad_enabled: mode must be True or False, got 0"):
        mc.set_grad_enabled(0)


# --- freeing the graph -------------------------------------------------------------------------


def test_second_backward_without_retain_graph_raises():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time.*retain_graph=True"):
        y.backward()


def test_retain_graph_allows_a_second_backward_that_doubles_gradients():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 8.0])


def test_backward_frees_saved_arrays():
    x = leaf([1.0, 2.0])
    y = x * x
    fn = y.grad_fn
    y.sum().backward()
    assert fn.freed and not hasattr(fn, "a") and fn.inputs == ()


# --- what backward accepts -------------------------------------------------------------------------


def test_backward_on_non_scalar_without_grad_names_the_shape():
    y = leaf(np.ones((2, 3))) * 2
    with pytest.raises(RuntimeError, match=r"scalar output, got shape \(2, 3\)"):
        y.backward()


def test_backward_with_an_explicit_grad():
    x = leaf([1.0, 2.0, 3.0])
    y = x * x
    y.backward(np.array([1.0, 0.0, -1.0]))
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 0.0, -6.0])
    x.grad = None
    z = x * 3
    z.backward(mc.tensor(np.array([1.0, 1.0, 2.0])))
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0, 6.0])
    x.grad = None
    (x * 2).backward(gradient=np.array([1.0, -1.0, 0.5]))  # by PyTorch's keyword
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, -2.0, 1.0])


def test_backward_with_a_wrong_shaped_grad_raises():
    y = leaf([1.0, 2.0]) * 2
    with pytest.raises(RuntimeError, match=r"gradient has shape \(3,\), tensor has \(2,\)"):
        y.backward(np.ones(3))


def test_backward_of_a_non_scalar_without_a_gradient_raises():
    with pytest.raises(
        RuntimeError, match=r"gradient can be implicit only for a scalar output, got shape \(2,\)"
    ):
        (leaf([1.0, 2.0]) * 2).backward()


def test_backward_on_a_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        mc.tensor([1.0]).backward()


def test_backward_on_a_leaf_sets_its_grad():
    x = leaf([2.0])
    x.backward()
    assert x.grad.item() == 1.0


# --- Functions that break the contract ----------------------------------------------------------


class WrongShape(Function):
    """y = 2x, with a backward that forgets x's shape."""

    def forward(self, x):
        return 2 * x

    def backward(self, gy):
        return gy.sum(axis=0)


class WrongDtype(Function):
    def forward(self, x):
        return 2 * x

    def backward(self, gy):
        return (2 * gy).astype(np.float32)


class TooFew(Function):
    def forward(self, a, b):
        return a + b

    def backward(self, gy):
        return (gy,)


def test_a_wrong_shaped_gradient_names_the_function():
    y = WrongShape.apply(leaf(np.ones((2, 3))))
    with pytest.raises(
        RuntimeError,
        match=r"WrongShape.backward returned a gradient of shape \(3,\) "
        r"and dtype float64 for input 0, which has shape \(2, 3\)",
    ):
        y.sum().backward()


def test_a_wrong_dtype_gradient_names_the_function():
    y = WrongDtype.apply(leaf([1.0]))
    with pytest.raises(RuntimeError, match="WrongDtype.backward returned .* dtype float32 .* dtype float64"):
        y.sum().backward()


def test_a_wrong_number_of_gradients_names_the_function():
    y = TooFew.apply(leaf([1.0]), leaf([2.0]))
    with pytest.raises(RuntimeError, match="TooFew.backward returned 1 gradients for 2 inputs"):
        y.sum().backward()


def test_apply_refuses_non_tensors():
    with pytest.raises(TypeError, match="WrongShape: inputs must be Tensors, got ndarray"):
        WrongShape.apply(np.ones(2))


def test_a_custom_function_records_itself_only_when_needed():
    x = mc.tensor(np.ones(2))
    y = WrongShape.apply(x)
    assert not y.requires_grad and y.grad_fn is None
    z = WrongShape.apply(leaf([1.0]))
    assert isinstance(z.grad_fn, WrongShape) and z.grad_fn.needs_grad == (True,)


def test_leaves_never_share_a_gradient_array():
    rng = np.random.default_rng(41)
    x, y = (mc.tensor(rng.standard_normal(3), requires_grad=True) for _ in range(2))
    (x + y).sum().backward()  # Add hands the same gy to both inputs
    assert not np.shares_memory(x.grad.data, y.grad.data)
    x.grad.data *= 10
    np.testing.assert_array_equal(y.grad.numpy(), np.ones(3))


def test_a_leaf_gradient_is_not_a_live_nodes_gradient():
    rng = np.random.default_rng(42)
    x, w = (mc.tensor(rng.standard_normal(3), requires_grad=True) for _ in range(2))
    h = w * 2
    h.retain_grad()
    (h + x).sum().backward()  # x and the node h both receive gy
    assert not np.shares_memory(x.grad.data, h.grad.data)
    x.grad.data *= 10
    np.testing.assert_array_equal(h.grad.numpy(), np.ones(3))
    np.testing.assert_array_equal(w.grad.numpy(), np.full(3, 2.0))


def test_backward_on_a_leaf_copies_the_given_gradient():
    x = mc.tensor(np.zeros(2), requires_grad=True)
    g = np.ones(2)
    x.backward(g)
    g[0] = 5.0
    np.testing.assert_array_equal(x.grad.numpy(), np.ones(2))


def test_a_node_does_not_keep_the_array_of_an_input_made_by_another_node():
    import gc
    import weakref

    rng = np.random.default_rng(43)
    x = mc.tensor(rng.standard_normal((4, 5)), requires_grad=True)
    h = x * 2.0  # made by a node, read again by no backward
    alive = weakref.ref(h.data)
    y = (h + 1.0).sum()
    del h
    gc.collect()
    assert alive() is None, "the graph kept an intermediate array its backward never reads"
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((4, 5), 2.0))


def test_retain_grad_after_the_tensor_was_used_still_keeps_its_gradient():
    rng = np.random.default_rng(44)
    x = mc.tensor(rng.standard_normal(3), requires_grad=True)
    h = x * 3.0
    y = (h * h).sum()
    h.retain_grad()  # asked for after h entered the graph
    y.backward()
    np.testing.assert_allclose(h.grad.numpy(), 2 * h.numpy())
    np.testing.assert_allclose(x.grad.numpy(), 18 * x.numpy())


def test_under_no_grad_an_op_is_told_no_input_wants_a_gradient():
    """So a forward saves nothing for a backward that will not run (a conv keeps neither x nor
    its columns)."""
    seen = []

    class Spy(Function):
        def forward(self, x):
            seen.append(self.needs_grad)
            return x * 1

        def backward(self, gy):
            return (gy,)

    x = mc.tensor(np.ones(3), requires_grad=True)
    with mc.no_grad():
        y = Spy.apply(x)
    z = Spy.apply(x)
    assert seen == [(False,), (True,)]
    assert y.grad_fn is None and z.grad_fn is not None
