"""Arrays changed in place between a forward pass and its backward: refused where the node
kept them, as PyTorch's version counter refuses them; allowed where it did not."""

import numpy as np
import pytest

import minicnn as mc
from minicnn import nn, optim

CHANGED = r"backward\(\): {} was changed in place after the forward pass, which kept it for the gradient"
GONE_CHANGED = (
    r"backward\(\): input {0} of {1} was changed in place after the forward pass, which {1} may have "
    r"kept for the gradient: its tensor is gone, and minicnn cannot look"
)
OUTPUT_CHANGED = (
    r"backward\(\): the output of {0} was changed in place after the forward pass, which {0} may have "
    r"kept for the gradient: exp and relu keep their output, and minicnn does not look"
)


def leaf(values):
    return mc.tensor(np.array(values, dtype=np.float64), requires_grad=True)


# each writes into t's array in place, as a user could between forward and backward
IN_PLACE = {
    "+=": lambda t: t.__iadd__(1.0),
    "*=": lambda t: t.__imul__(2.0),
    "setitem": lambda t: t.__setitem__(0, 5.0),
    "zero_": lambda t: t.zero_(),
    "fill_": lambda t: t.fill_(2.0),
    "copy_": lambda t: t.copy_(np.array([7.0, 8.0])),
    "normal_": lambda t: t.normal_(generator=np.random.default_rng(3)),
    "add_": lambda t: t.add_(1.0, alpha=2),
    "sub_": lambda t: t.sub_(mc.tensor(np.array([1.0, 1.0]))),
    "mul_": lambda t: t.mul_(2.0),
    "div_": lambda t: t.div_(2.0),
    "clamp_": lambda t: t.clamp_(max=1.5),
    "clamp_tensors": lambda t: t.clamp_(mc.tensor(np.zeros(2)), mc.tensor(np.full(2, 1.5))),
    "%=": lambda t: t.__imod__(1.5),
    "div_floor": lambda t: t.div_(2.0, rounding_mode="floor"),
    "masked_fill_": lambda t: t.masked_fill_(mc.tensor([True, False]), 0.0),
}


@pytest.mark.parametrize("change", IN_PLACE.values(), ids=IN_PLACE.keys())
def test_an_input_kept_by_the_node_and_changed_refuses_backward(change):
    w = leaf([3.0, 4.0])
    x = mc.tensor(np.array([1.0, 2.0]))
    y = (x * w).sum()  # Mul keeps both arrays: dy/dw = x
    with mc.no_grad():
        change(x)
    with pytest.raises(RuntimeError, match=CHANGED.format("input 0 of Mul")):
        y.backward()
    assert w.grad is None


def test_a_parameter_stepped_before_backward_refuses_it():
    """opt.step() between the forward and backward: the gradient would be the new weight's."""
    layer = nn.Linear(3, 2)
    opt = optim.SGD(layer.parameters(), lr=0.1)
    # x requires grad, as a hidden layer's input does: Linear keeps W for gx = gy W
    x = mc.tensor(np.random.default_rng(0).random((4, 3), dtype=np.float32), requires_grad=True)
    layer(x).sum().backward()
    loss = layer(x).sum()
    opt.step()
    with pytest.raises(RuntimeError, match=CHANGED.format("input 1 of Linear")):
        loss.backward()


def test_a_parameter_without_a_gradient_is_not_counted_as_stepped():
    """A step changes only parameters with a gradient; a graph through the others stays usable."""
    a, b = nn.Linear(2, 2), nn.Linear(2, 2)
    opt = optim.SGD([*a.parameters(), *b.parameters()], lr=0.1)
    x = mc.tensor(np.ones((1, 2), dtype=np.float32))
    a(x).sum().backward()
    loss = b(x).sum()
    opt.step()  # steps a alone
    loss.backward()
    np.testing.assert_array_equal(b.weight.grad.numpy(), np.ones((2, 2)))


def test_an_input_the_node_did_not_keep_may_change():
    """Add keeps nothing of its inputs: the gradient is still right, and PyTorch allows it too."""
    w = leaf([3.0, 4.0])
    x = mc.tensor(np.array([1.0, 2.0]))
    y = ((x + w) * 2).sum()
    with mc.no_grad():
        x += 10
    y.backward()
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, 2.0])


def test_a_changed_output_refuses_backward():
    """exp keeps its output: dy/dx = exp(x) read back from it."""
    x = leaf([0.0, 1.0])
    y = x.exp()
    with mc.no_grad():
        y += 1
    with pytest.raises(RuntimeError, match=OUTPUT_CHANGED.format("Exp")):
        y.sum().backward()


def test_a_change_through_detach_counts_for_the_original():
    """detach() shares the array, so a change through it is a change of the original."""
    x = leaf([1.0, 2.0])
    h = x * 3
    y = (h * h).sum()
    d = h.detach()
    d += 1
    with pytest.raises(RuntimeError, match=CHANGED.format("input 0 of Mul")):
        y.backward()


def test_a_changed_input_no_longer_held_still_refuses_backward():
    x = leaf([1.0, 2.0])
    h = x * 3
    y = (h * h).sum()
    with mc.no_grad():
        h *= 0
    del h  # its array lives on in the Mul node that kept it
    with pytest.raises(RuntimeError, match=GONE_CHANGED.format(0, "Mul")):
        y.backward()


def test_a_retained_graph_refuses_a_second_backward_after_a_step():
    layer = nn.Linear(2, 1)
    opt = optim.SGD(layer.parameters(), lr=0.5)
    loss = layer(mc.tensor(np.ones((3, 2), dtype=np.float32), requires_grad=True)).sum()
    loss.backward(retain_graph=True)
    loss.backward(retain_graph=True)  # no change yet: gradients add up
    np.testing.assert_array_equal(layer.bias.grad.numpy(), [6.0])
    opt.step()
    with pytest.raises(RuntimeError, match=CHANGED.format("input 1 of Linear")):
        loss.backward()


def test_loading_weights_between_forward_and_backward_refuses_it():
    layer = nn.Linear(2, 2)
    loss = layer(mc.tensor(np.ones((1, 2), dtype=np.float32), requires_grad=True)).sum()
    layer.load_state_dict(nn.Linear(2, 2).state_dict())
    with pytest.raises(RuntimeError, match=CHANGED.format("input 1 of Linear")):
        loss.backward()


def test_a_first_layer_stepped_before_backward_is_allowed_as_in_pytorch():
    """With x a constant, Linear needs W for no gradient and keeps nothing of it, so a step
    between forward and backward changes nothing the backward reads (PyTorch allows it too)."""
    layer = nn.Linear(2, 1)
    x = mc.tensor(np.array([[1.0, 2.0]], dtype=np.float32))
    loss = layer(x).sum()
    with mc.no_grad():
        layer.weight.fill_(5.0)
    loss.backward()
    np.testing.assert_array_equal(layer.weight.grad.numpy(), [[1.0, 2.0]])


@pytest.mark.parametrize("init", ["constant_", "normal_", "kaiming_uniform_"])
def test_nn_init_between_forward_and_backward_refuses_it(init):
    p = nn.Parameter(mc.tensor(np.ones((2, 3))))
    loss = (p * p).sum()
    getattr(nn.init, init)(p, *([2.0] if init == "constant_" else []))
    with pytest.raises(RuntimeError, match=CHANGED.format("input 0 of Mul")):
        loss.backward()


def test_changes_after_backward_and_a_new_forward_are_fine():
    """The usual loop: forward, backward, step, again; each forward sees the current weights."""
    w = leaf([1.0, -1.0])
    x = mc.tensor(np.array([2.0, 3.0]))
    for _ in range(3):
        w.grad = None
        (x * w).sum().backward()
        with mc.no_grad():
            w -= 0.1 * w.grad
    np.testing.assert_allclose(w.numpy(), [1.0 - 0.6, -1.0 - 0.9])


# name: (the write, w's values after it)
WRITES = {
    "zero_": (lambda w: w.zero_(), [0.0, 0.0]),
    "fill_": (lambda w: w.fill_(0.5), [0.5, 0.5]),
    "copy_": (lambda w: w.copy_(np.array([7.0, 8.0])), [7.0, 8.0]),
    "add_": (lambda w: w.add_(1.0, alpha=2), [3.0, 4.0]),
    "sub_": (lambda w: w.sub_(0.5), [0.5, 1.5]),
    "mul_": (lambda w: w.mul_(2), [2.0, 4.0]),
    "div_": (lambda w: w.div_(4), [0.25, 0.5]),
    "clamp_": (lambda w: w.clamp_(max=1.5), [1.0, 1.5]),
    "masked_fill_": (lambda w: w.masked_fill_(mc.tensor([False, True]), -3.0), [1.0, -3.0]),
}


@pytest.mark.parametrize("name", WRITES)
def test_writes_into_a_leaf_that_requires_grad_are_refused_outside_no_grad(name):
    write, after = WRITES[name]
    w = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=rf"requires grad is used in an in-place operation \({name}\(\)\)"):
        write(w)
    np.testing.assert_array_equal(w.numpy(), [1.0, 2.0])
    with mc.no_grad():
        write(w)  # as an initializer does
    np.testing.assert_array_equal(w.numpy(), after)


def test_a_refusal_that_cannot_look_says_so_rather_than_that_the_op_kept_it(rng):
    """h was dropped and changed through its detach(): Add keeps nothing and lets it pass, as
    PyTorch does; Mul kept an array, and minicnn does not look whether it was its output."""
    w = mc.tensor(rng.standard_normal(3), requires_grad=True)
    h = w * 2.0
    y = h + 1.0
    d = h.detach()
    del h
    d += 1
    with pytest.raises(RuntimeError, match=OUTPUT_CHANGED.format("Mul")) as error:
        y.sum().backward()
    assert "which kept it" not in str(error.value)


def test_changes_around_a_node_that_kept_no_array_are_allowed_as_in_pytorch(rng):
    """Add keeps no array: neither its changed output nor a changed input whose tensor is gone
    can change what a backward reads (PyTorch gives the same gradient)."""
    w = mc.tensor(rng.standard_normal(3), requires_grad=True)
    h = w + 1.0
    y = (h + 2.0).sum()
    d = h.detach()
    del h
    d += 1
    y.backward()
    np.testing.assert_array_equal(w.grad.numpy(), [1.0, 1.0, 1.0])
