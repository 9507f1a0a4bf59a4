"""mc.autograd.grad and mc.autograd.backward, as PyTorch's; a backward that fails half-way
adds nothing to any .grad; the message of a second walk says what was freed."""

import numpy as np
import pytest

import minicnn as mc

SECOND = "Trying to backward through the graph a second time"


def leaf(rng, shape=3):
    return mc.tensor(rng.standard_normal(shape), requires_grad=True)


# --- grad ------------------------------------------------------------------------------------


def test_grad_returns_a_tuple_of_gradients_and_leaves_grad_alone(rng):
    x, y = leaf(rng), leaf(rng)
    z = (x * x * y).sum()
    gx, gy = mc.autograd.grad(z, [x, y])
    np.testing.assert_allclose(gx.numpy(), 2 * x.numpy() * y.numpy())
    np.testing.assert_allclose(gy.numpy(), x.numpy() ** 2)
    assert x.grad is None and y.grad is None
    assert not gx.requires_grad and gx.grad_fn is None


def test_grad_leaves_an_existing_grad_as_it_was(rng):
    x = leaf(rng)
    (x * 3).sum().backward()
    (gx,) = mc.autograd.grad((x * x).sum(), x)
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0, 3.0])
    np.testing.assert_allclose(gx.numpy(), 2 * x.numpy())


def test_grad_of_several_outputs_sums_them_weighted_by_grad_outputs(rng):
    x = leaf(rng)
    a, b = (x * 2).sum(), x * 3
    (g,) = mc.autograd.grad([a, b], x, grad_outputs=[None, mc.tensor(np.array([1.0, 2.0, 3.0]))])
    np.testing.assert_array_equal(g.numpy(), [5.0, 8.0, 11.0])


def test_grad_wrt_a_computed_tensor_runs_no_node_below_it(rng):
    x = leaf(rng)
    h = x * 3
    below = h.grad_fn
    (gh,) = mc.autograd.grad((h * h).sum(), h)
    np.testing.assert_allclose(gh.numpy(), 2 * h.numpy())
    assert not below.freed  # h's own node: its backward was not needed
    h.sum().backward()  # and it can still be walked
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0, 3.0])


def test_grad_frees_the_graph_unless_retain_graph(rng):
    x = leaf(rng)
    z = (x * x).sum()
    first = mc.autograd.grad(z, x, retain_graph=True)
    second = mc.autograd.grad(z, x)
    np.testing.assert_array_equal(first[0].numpy(), second[0].numpy())
    with pytest.raises(RuntimeError, match=SECOND):
        mc.autograd.grad(z, x)


def test_grad_refuses_an_unused_input_unless_allow_unused(rng):
    x, unused = leaf(rng), leaf(rng)
    z = (x * 2).sum()
    with pytest.raises(
        RuntimeError, match="input 1 was not used in computing the outputs; pass allow_unused=True"
    ):
        mc.autograd.grad(z, [x, unused], retain_graph=True)
    gx, gu = mc.autograd.grad(z, [x, unused], allow_unused=True)
    assert gu is None and gx.tolist() == [2.0, 2.0, 2.0]


def test_grad_runs_hooks_and_fills_a_retained_grad_as_pytorch(rng):
    x = leaf(rng)
    x.register_hook(lambda g: g * 10)
    m = x * 2
    m.register_hook(lambda g: g * 100)
    m.retain_grad()
    (gx,) = mc.autograd.grad(m.sum(), x)
    np.testing.assert_array_equal(gx.numpy(), [2000.0] * 3)  # 1 * 100 (m's hook) * 2 * 10 (x's)
    np.testing.assert_array_equal(m.grad.numpy(), [100.0] * 3)
    assert x.grad is None


def test_grad_materialize_grads_gives_zeros_for_an_unused_input(rng):
    x, unused = leaf(rng), mc.tensor(rng.standard_normal(2), dtype=mc.float32, requires_grad=True)
    gx, gu = mc.autograd.grad((x * 2).sum(), [x, unused], materialize_grads=True)
    assert gx.tolist() == [2.0, 2.0, 2.0]
    assert gu.tolist() == [0.0, 0.0] and gu.dtype == mc.float32
    with pytest.raises(
        ValueError, match="expected allow_unused to be True or not passed when materialize_grads=True"
    ):
        mc.autograd.grad((x * 2).sum(), x, allow_unused=False, materialize_grads=True)


def test_grad_outputs_given_as_a_list_is_one_per_output_even_for_one_output(rng):
    """As PyTorch: grad(y, x, grad_outputs=[g]) is grad(y, x, grad_outputs=g)."""
    x = leaf(rng)
    g = rng.standard_normal(3)
    (a,) = mc.autograd.grad(x * 3, x, grad_outputs=[g], retain_graph=True)
    (b,) = mc.autograd.grad(x * 3, x, grad_outputs=[mc.tensor(g)])
    np.testing.assert_allclose(a.numpy(), 3 * g)
    np.testing.assert_allclose(b.numpy(), 3 * g)
    (s,) = mc.autograd.grad((x * 3).sum(), x, grad_outputs=[None])
    assert s.tolist() == [3.0, 3.0, 3.0]


def test_grad_wrt_a_computed_tensor_whose_own_node_was_freed(rng):
    """As PyTorch: h's node need not run, so its earlier backward does not matter."""
    x = leaf(rng)
    h = x * 2
    h.sum().backward()
    (gh,) = mc.autograd.grad((h * h).sum(), h)
    np.testing.assert_allclose(gh.numpy(), 2 * h.numpy())
    with pytest.raises(RuntimeError, match=SECOND):  # but a freed node that must run is refused
        mc.autograd.grad((h * h).sum(), x)
    a = leaf(rng)  # and a freed branch that leads elsewhere is left alone
    (ga,) = mc.autograd.grad((h * h).sum() + (a * 2).sum(), a)
    assert ga.tolist() == [2.0, 2.0, 2.0]


def test_grad_of_a_leaf_output_runs_no_hook_of_it_when_it_is_not_an_input(rng):
    x, w = leaf(rng), leaf(rng)
    x.register_hook(lambda g: pytest.fail("x's hook ran"))
    (gw,) = mc.autograd.grad([x, (w * 2).sum()], w, grad_outputs=[np.ones(3), None])
    assert gw.tolist() == [2.0, 2.0, 2.0]


def test_grad_gives_each_input_its_own_array(rng):
    x = leaf(rng)
    a, b = mc.autograd.grad((x + x).sum(), [x, x])
    a.data[0] = 99.0
    assert b.tolist() == [2.0, 2.0, 2.0]


BAD = {
    "create_graph": (
        lambda x: mc.autograd.grad((x * x).sum(), x, create_graph=True),
        RuntimeError,
        r"create_graph=True is not supported: minicnn's backward runs on arrays and is not itself recorded",
    ),
    "empty inputs": (lambda x: mc.autograd.grad(x.sum(), []), RuntimeError, "inputs cannot be empty"),
    "an input without grad": (
        lambda x: mc.autograd.grad(x.sum(), mc.ones(3)),
        RuntimeError,
        "input 0 does not require grad",
    ),
    "an output without grad": (
        lambda x: mc.autograd.grad(mc.ones(3).sum(), x),
        RuntimeError,
        "does not require grad and has no graph",
    ),
    "a non-scalar output alone": (
        lambda x: mc.autograd.grad(x * 2, x),
        RuntimeError,
        r"gradient can be implicit only for a scalar output, got shape \(3,\)",
    ),
    "a wrong-shaped grad_outputs": (
        lambda x: mc.autograd.grad(x * 2, x, grad_outputs=mc.ones(2)),
        RuntimeError,
        r"gradient has shape \(2,\), tensor has \(3,\)",
    ),
    "grad_outputs of another length": (
        lambda x: mc.autograd.grad([x.sum()], x, grad_outputs=[None, None]),
        RuntimeError,
        "2 gradients for 1 outputs",
    ),
    "an input not a tensor": (
        lambda x: mc.autograd.grad(x.sum(), [np.ones(3)]),
        TypeError,
        "input 0 must be a Tensor, got ndarray",
    ),
}


@pytest.mark.parametrize("case", BAD.values(), ids=BAD.keys())
def test_grad_refuses_in_one_line(rng, case):
    call, error, message = case
    with pytest.raises(error, match=rf"autograd.grad\(\): .*{message}"):
        call(leaf(rng))


# --- backward --------------------------------------------------------------------------------


def test_backward_of_several_tensors_adds_each_ones_gradient(rng):
    x = leaf(rng)
    mc.autograd.backward([(x * 2).sum(), (x * 3).sum()])
    np.testing.assert_array_equal(x.grad.numpy(), [5.0] * 3)
    mc.autograd.backward(x * 2, mc.tensor(np.array([1.0, 2.0, 3.0])))
    np.testing.assert_array_equal(x.grad.numpy(), [7.0, 9.0, 11.0])
    with pytest.raises(RuntimeError, match=r"backward\(\): create_graph=True is not supported"):
        (x * x).sum().backward(create_graph=True)


def test_backward_inputs_adds_only_into_those(rng):
    a, b = leaf(rng), leaf(rng)
    (a * b).sum().backward(inputs=[a])
    np.testing.assert_allclose(a.grad.numpy(), b.numpy())
    assert b.grad is None
    (a * b).sum().backward(inputs=a)  # one tensor alone; added to what was there
    np.testing.assert_allclose(a.grad.numpy(), 2 * b.numpy())
    mc.autograd.backward((a * b).sum(), inputs=[b, b])  # the same twice: added once
    np.testing.assert_allclose(b.grad.numpy(), a.numpy())


def test_backward_inputs_runs_only_their_hooks_and_the_nodes_leading_to_them(rng):
    a, b = leaf(rng), leaf(rng)
    ran = []
    b.register_hook(lambda g: ran.append("b"))
    a.register_hook(lambda g: ran.append("a"))
    h = b.exp()  # leads only to b: its node must not run (nor be freed)
    (a * h).sum().backward(inputs=[a])
    assert ran == ["a"] and not h.grad_fn.freed


def test_backward_inputs_fills_the_grad_of_a_computed_tensor_and_retains_it(rng):
    """As PyTorch: retain_grad() is called on it, and stays; the leaves below get nothing."""
    a, b = leaf(rng), leaf(rng)
    h = a * b
    (h * h).sum().backward(inputs=[h])
    np.testing.assert_allclose(h.grad.numpy(), 2 * h.numpy())
    assert h.retains_grad and a.grad is None and b.grad is None
    y = (h * h).sum()
    y.backward(inputs=[y])  # the root itself
    assert y.grad.tolist() == 1.0


def test_backward_inputs_leaves_an_unused_input_as_it_was(rng):
    a, unused = leaf(rng), leaf(rng)
    (a * 2).sum().backward(inputs=[a, unused])
    assert unused.grad is None and a.grad.tolist() == [2.0, 2.0, 2.0]
    a.grad = None
    a.backward(mc.ones(3, dtype=mc.float64), inputs=[a])  # a leaf as the root
    assert a.grad.tolist() == [1.0, 1.0, 1.0]


BAD_INPUTS = {
    "empty": ([], RuntimeError, r"backward\(\): inputs cannot be empty"),
    "without grad": (lambda: [mc.ones(3)], RuntimeError, r"backward\(\): input 0 does not require grad"),
    "not a tensor": (lambda: [np.ones(3)], TypeError, r"backward\(\): input 0 must be a Tensor, got ndarray"),
}


@pytest.mark.parametrize("case", BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_backward_inputs_refuses_in_one_line_and_adds_nothing(rng, case):
    inputs, error, message = case
    x = leaf(rng)
    y = (x * 2).sum()
    with pytest.raises(error, match=message):
        y.backward(inputs=inputs() if callable(inputs) else inputs)
    assert x.grad is None
    y.backward()  # the graph is still there
    assert x.grad.tolist() == [2.0, 2.0, 2.0]


# --- a backward that fails half-way ----------------------------------------------------------


def test_a_backward_that_fails_half_way_adds_nothing_to_any_grad(rng):
    """b's walk reaches x through x * 3 before it fails at y's freed node: x.grad must be
    as it was, so that the corrected call does not count that branch twice."""
    x, w = leaf(rng), leaf(rng)
    y = x * x
    a = y.sum()
    b = (y * 2).sum() + (x * 3).sum() + (w * 4).sum()
    a.backward()
    before = x.grad.numpy().copy()
    with pytest.raises(RuntimeError, match=SECOND):
        b.backward()
    np.testing.assert_array_equal(x.grad.numpy(), before)
    assert w.grad is None


def test_a_backward_refused_for_a_change_in_place_adds_nothing_either(rng):
    x, w = leaf(rng), leaf(rng)
    h = x * 1.0
    kept = mc.tensor(rng.standard_normal(3))
    loss = (h * kept).sum() + (w * 5).sum()  # the walk reaches w before Mul's check
    with mc.no_grad():
        kept += 1
    with pytest.raises(RuntimeError, match="input 1 of Mul was changed in place"):
        loss.backward()
    assert w.grad is None and x.grad is None


def test_a_retained_grad_is_not_filled_by_a_backward_that_failed(rng):
    x = leaf(rng)
    y = x * x
    y.sum().backward()  # frees y's node
    r = x * 5
    r.retain_grad()
    with pytest.raises(RuntimeError, match=SECOND):
        (y.sum() + r.sum()).backward()  # the walk passes r's node before y's
    assert r.grad is None


def test_a_second_walk_says_the_graph_was_freed_not_that_arrays_were_saved(rng):
    x = leaf(rng)
    y = (x + 1).sum()  # Add and Sum keep no array
    y.backward()
    with pytest.raises(RuntimeError) as error:
        y.backward()
    message = str(error.value)
    assert "an earlier backward() or autograd.grad() freed it" in message
    assert "saved arrays" not in message and "retain_graph=True" in message
