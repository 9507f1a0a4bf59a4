"""Tensor.register_hook, as PyTorch's (torch 2.13's behaviour, checked case by case): when a
hook runs, what it receives, what its result replaces, and what it is refused."""

import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F
from minicnn import nn


def leaf(rng, *shape):
    return mc.tensor(rng.standard_normal(shape), requires_grad=True)


def test_a_leaf_hook_runs_once_on_the_gradient_summed_over_uses_before_grad_is_added(rng):
    x = leaf(rng, 3)
    old = rng.standard_normal(3)
    x.grad = mc.tensor(old.copy())
    seen = []

    def hook(g):
        seen.append((g.numpy().copy(), x.grad.numpy().copy()))
        return g * 100

    x.register_hook(hook)
    (x * 2 + x * 3).sum().backward()  # two uses: the hook sees 2 + 3, once
    assert len(seen) == 1
    np.testing.assert_array_equal(seen[0][0], np.full(3, 5.0))
    np.testing.assert_array_equal(seen[0][1], old)  # .grad not yet added to
    np.testing.assert_allclose(x.grad.numpy(), old + 500.0)


def test_a_hook_on_a_computed_tensor_fires_without_retain_grad_and_its_result_flows_on(rng):
    x = leaf(rng, 4)
    h = x * 3.0
    seen = []
    h.register_hook(lambda g: seen.append(g.numpy().copy()) or g * 10)
    (h * h).sum().backward()
    np.testing.assert_allclose(seen[0], 2 * h.numpy())  # d(h^2)/dh, whole
    assert h.retains_grad is False
    np.testing.assert_allclose(x.grad.numpy(), 10 * 18 * x.numpy())  # 10 times what reached h


def test_a_hook_fires_when_the_tensor_it_was_registered_on_is_gone(rng):
    """As in a forward that reuses one name: the node that made the tensor keeps the hook."""
    x, seen = leaf(rng, 2, 3), []
    h = x * 2.0
    h.register_hook(lambda g: seen.append(g.numpy().copy()))
    h = F.relu(h) * 3.0  # the tensor with the hook is no longer held
    h.sum().backward()
    np.testing.assert_array_equal(seen[0], np.where(x.numpy() > 0, 3.0, 0.0))


def test_hooks_run_in_the_order_registered_each_on_the_one_before_it(rng):
    x = leaf(rng, 3)
    h, order = x * 1.0, []
    h.register_hook(lambda g: order.append("first") or g + 1)
    h.register_hook(lambda g: order.append(("second", g.tolist())) or g * 2)
    h.sum().backward()
    assert order == ["first", ("second", [2.0, 2.0, 2.0])]
    np.testing.assert_array_equal(x.grad.numpy(), np.full(3, 4.0))


@pytest.mark.parametrize("retain_first", [True, False])
def test_retain_grad_keeps_the_gradient_after_the_hooks_whenever_asked(rng, retain_first):
    x = leaf(rng, 3)
    h = x * 3.0
    if retain_first:
        h.retain_grad()
    h.register_hook(lambda g: g * 10)
    if not retain_first:
        h.retain_grad()
    (h * h).sum().backward()
    np.testing.assert_allclose(h.grad.numpy(), 10 * 2 * h.numpy())


def test_a_hook_on_the_root_and_on_a_leaf_that_is_the_root(rng):
    x = leaf(rng, 2)
    y = (x * 1.0).sum()
    y.retain_grad()
    y.register_hook(lambda g: g * 5)
    y.backward()
    assert y.grad.item() == 5.0
    np.testing.assert_array_equal(x.grad.numpy(), [5.0, 5.0])
    w = leaf(rng, 2)
    w.register_hook(lambda g: g * 5)
    w.backward(mc.ones(2, dtype=mc.float64))
    np.testing.assert_array_equal(w.grad.numpy(), [5.0, 5.0])


def test_remove_takes_a_hook_off_and_a_second_remove_does_nothing(rng):
    x = leaf(rng, 2)
    handle = x.register_hook(lambda g: g * 0)
    handle.remove()
    handle.remove()
    with x.register_hook(lambda g: g * 0):
        pass  # removed at the end of the block
    (x * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])


def test_a_hook_removed_by_another_during_backward_still_runs_that_once(rng):
    x, handles, ran = leaf(rng, 2), [], []

    def first(g):
        handles[1].remove()
        return g * 2

    handles.append(x.register_hook(first))
    handles.append(x.register_hook(lambda g: ran.append(1) or g * 3))
    (x * 1).sum().backward()
    (x * 1).sum().backward()
    assert ran == [1]
    np.testing.assert_array_equal(x.grad.numpy(), [6.0 + 2.0, 6.0 + 2.0])


def test_hooks_run_again_on_a_second_backward_through_a_kept_graph(rng):
    x, calls = leaf(rng, 2), []
    h = x * 2.0
    h.register_hook(lambda g: calls.append(1))
    y = (h * 3.0).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert calls == [1, 1]


def test_a_hook_is_not_called_where_no_gradient_reaches(rng):
    x, w = leaf(rng, 2), leaf(rng, 2)
    x.register_hook(lambda g: pytest.fail("called"))
    (w * x.detach()).sum().backward()
    assert x.grad is None


def test_the_hook_gets_its_own_copy_under_no_grad(rng):
    """Changing the argument in place changes no gradient: Add hands the same array to both
    of its inputs, and b's would change with a's (PyTorch's does)."""
    a, b = leaf(rng, 3), leaf(rng, 3)
    modes = []

    def hook(g):
        modes.append((mc.is_grad_enabled(), g.requires_grad))
        g.mul_(2)

    a.register_hook(hook)
    (a + b).backward(mc.ones(3, dtype=mc.float64))
    assert modes == [(False, False)]
    np.testing.assert_array_equal(a.grad.numpy(), np.ones(3))
    np.testing.assert_array_equal(b.grad.numpy(), np.ones(3))


def test_a_hook_on_a_tensor_that_does_not_require_grad_is_refused(rng):
    refused = "^cannot register a hook on a tensor that doesn't require gradient$"
    for t in (mc.tensor(rng.standard_normal(2)), leaf(rng, 2).detach()):
        with pytest.raises(RuntimeError, match=refused):
            t.register_hook(lambda g: g)
    with pytest.raises(TypeError, match="^register_hook: hook must be callable, got int$"):
        leaf(rng, 2).register_hook(3)


def test_retain_grad_on_a_tensor_that_does_not_require_grad_is_refused_as_in_pytorch(rng):
    refused = "^can't retain_grad on Tensor that has requires_grad=False$"
    w = leaf(rng, 2)
    with mc.no_grad():
        made = w * 2  # made under no_grad: no node, no gradient
    for t in (mc.tensor(rng.standard_normal(2)), w.detach(), made):
        with pytest.raises(RuntimeError, match=refused):
            t.retain_grad()
    with mc.no_grad():
        assert w.retain_grad() is None  # a leaf that requires grad keeps its .grad anyway: allowed


def _sum(g):
    return g.sum()


def _double(g):
    return g.double()


def _array(g):
    return g.numpy()


@pytest.mark.parametrize(
    "hook, error, message",
    [
        (_sum, RuntimeError, r"^hook '_sum' changed the gradient's shape from \(2, 3\) to \(\)$"),
        (_double, RuntimeError, r"^hook '_double' changed the gradient's dtype from float32 to float64$"),
        (_array, TypeError, r"^hook '_array' returned ndarray; a hook returns a Tensor or None$"),
        (lambda g: 1.0, TypeError, r"^hook '<lambda>' returned float; a hook returns a Tensor or None$"),
    ],
)
@pytest.mark.parametrize("computed", [False, True])
def test_a_hook_that_returns_another_kind_of_gradient_is_named(rng, hook, error, message, computed):
    x = mc.tensor(rng.standard_normal((2, 3)).astype(np.float32), requires_grad=True)
    h = x * 2.0 if computed else x
    h.register_hook(hook)
    with pytest.raises(error, match=message):
        (h * 3.0).sum().backward()


def test_a_hook_records_an_activations_gradient_norms_as_retain_grad_keeps_them(rng):
    """A small net over three steps: a forward hook puts a gradient hook on the ReLU's output,
    which records its norm; retain_grad on the same output keeps the gradient to compare."""
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 3))
    norms, kept = [], []

    def watch(module, inputs, out):
        out.register_hook(lambda g: norms.append(float(np.linalg.norm(g.numpy()))))
        out.retain_grad()
        kept.append(out)

    model[1].register_forward_hook(watch)
    for _ in range(3):
        x = mc.tensor(rng.standard_normal((5, 1, 8, 8)).astype(np.float32))
        y = mc.tensor(rng.integers(0, 3, 5))
        model.zero_grad()
        F.cross_entropy(model(x), y).backward()
    want = [float(np.linalg.norm(t.grad.numpy())) for t in kept]
    assert len(norms) == 3 and norms == want
    assert all(n > 0 for n in norms)
