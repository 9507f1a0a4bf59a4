"""Views share their base's count of changes in place, as PyTorch's views share its version
counter: a write through any view, or into the base, is seen by every node that kept the base
or a view of it, and its backward refuses; a copy counts on its own."""

import re

import numpy as np
import pytest

import minicnn as mc

KEPT = r"backward\(\): input {} of {} was changed in place after the forward pass, which kept it for the"
GONE = r"backward\(\): input {} of {} was changed in place after the forward pass, which {} may have kept"
OUTPUT = r"backward\(\): the output of {} was changed in place after the forward pass"

# name: (the base's shape, a view of x made by an op)
VIEWS = {
    "x[0]": ((2, 3), lambda x: x[0]),
    "x[:, 1:]": ((2, 3), lambda x: x[:, 1:]),
    "x[..., 0]": ((2, 3), lambda x: x[..., 0]),
    "x[None]": ((2, 3), lambda x: x[None]),
    "reshape": ((2, 3), lambda x: x.reshape(3, 2)),
    "view": ((2, 3), lambda x: x.view(6)),
    "view_as": ((2, 3), lambda x: x.view_as(mc.zeros(3, 2))),
    "flatten": ((2, 3), lambda x: x.flatten()),
    "mc.flatten": ((2, 1, 3), lambda x: mc.flatten(x, 1)),
    "T": ((2, 3), lambda x: x.T),
    "t()": ((2, 3), lambda x: x.t()),
    "transpose": ((2, 3, 4), lambda x: x.transpose(0, 2)),
    "mc.transpose": ((2, 3), lambda x: mc.transpose(x, 0, 1)),
    "permute": ((2, 3, 4), lambda x: x.permute(2, 0, 1)),
    "mc.permute": ((2, 3, 4), lambda x: mc.permute(x, (1, 2, 0))),
    "squeeze(dim)": ((2, 1, 3), lambda x: x.squeeze(1)),
    "squeeze()": ((1, 3), lambda x: x.squeeze()),
    "mc.squeeze": ((2, 1, 3), lambda x: mc.squeeze(x, 1)),
    "unsqueeze": ((2, 3), lambda x: x.unsqueeze(1)),
    "mc.unsqueeze": ((2, 3), lambda x: mc.unsqueeze(x, 0)),
    "expand": ((2, 1), lambda x: x.expand(2, 3)),
    "expand_as": ((1, 3), lambda x: x.expand_as(mc.zeros(2, 3))),
    "expand(...)[0]": ((3,), lambda x: x.expand(2, 3)[0]),
    "chunk": ((2, 4), lambda x: x.chunk(2, dim=1)[1]),
    "mc.chunk": ((4, 2), lambda x: mc.chunk(x, 2)[0]),
    "split": ((3, 2), lambda x: x.split(1)[2]),
    "mc.split": ((2, 3), lambda x: mc.split(x, [1, 2], dim=1)[1]),
    "detach": ((2, 3), lambda x: x.detach()),
}
# a write into the view itself; one whose elements share memory is refused (as PyTorch's),
# one row of it is not (tests below)
WRITABLE = [name for name in VIEWS if name not in ("expand", "expand_as")]


def leaf(rng, shape):
    return mc.tensor(rng.standard_normal(shape), requires_grad=True)


def data(rng, shape):
    return mc.tensor(rng.standard_normal(shape))


@pytest.mark.parametrize("name", WRITABLE)
def test_a_write_through_a_view_is_seen_by_a_node_that_kept_its_base(rng, name):
    shape, view = VIEWS[name]
    w, x = leaf(rng, shape), data(rng, shape)
    y = (w * x).sum()  # Mul keeps x: dy/dw = x
    with mc.no_grad():
        view(x).add_(100.0)
    with pytest.raises(RuntimeError, match=KEPT.format(1, "Mul")):
        y.backward()
    assert w.grad is None


@pytest.mark.parametrize("name", VIEWS)
def test_a_write_into_the_base_is_seen_by_a_node_that_kept_its_view(rng, name):
    shape, view = VIEWS[name]
    x = data(rng, shape)
    v = view(x)
    w = leaf(rng, v.shape)
    y = (w * v).sum()  # Mul keeps v's array, which is x's memory
    with mc.no_grad():
        x.mul_(0.0)
    with pytest.raises(RuntimeError, match=KEPT.format(1, "Mul")):
        y.backward()


@pytest.mark.parametrize("name", [name for name in VIEWS if name != "detach"])
@pytest.mark.parametrize("held", [True, False])
def test_a_view_of_a_tensor_in_the_graph_shares_its_count(rng, name, held):
    """A parameter updated after a view of it was used: y = (v * v).sum(), v = view(w)."""
    shape, view = VIEWS[name]
    w = leaf(rng, shape)
    v = view(w)
    y = (v * v).sum()
    with mc.no_grad():
        w.mul_(10.0)  # an optimizer step between forward and backward
    if held:  # the check compares v's array with what Mul kept
        message = KEPT.format(0, "Mul")
    else:  # only the node holds v's array now: the check cannot compare, and still refuses
        del v
        message = GONE.format(0, "Mul", "Mul")
    with pytest.raises(RuntimeError, match=message):
        y.backward()
    assert w.grad is None


def test_a_view_made_under_no_grad_of_a_kept_output_counts_for_it(rng):
    """Exp keeps its output y; a write through y[:2] or y.detach()[:2] is a write into y."""
    for write in (lambda y: y[:2].zero_(), lambda y: y.detach()[:2].zero_()):
        x = leaf(rng, 3)
        y = x.exp()
        with mc.no_grad():
            write(y)
        with pytest.raises(RuntimeError, match=OUTPUT.format("Exp")):
            y.sum().backward()


def test_nested_views_share_one_count_with_their_base_and_each_other(rng):
    x = data(rng, (4, 6))
    inner = x.reshape(2, 12)[1].view(3, 4).T  # a view of a view of a view
    sibling = x[0]  # shares nothing with inner's elements, but the same base, as in PyTorch
    for write_into, kept in ((inner, x), (x, inner), (sibling, inner), (inner[0], x)):
        w = leaf(rng, kept.shape)
        y = (w * kept).sum()
        with mc.no_grad():
            write_into += 1.0
        with pytest.raises(RuntimeError, match=KEPT.format(1, "Mul")):
            y.backward()


def test_a_step_between_two_backward_calls_through_w_t_is_refused(rng):
    """A hand-written MLP as nn.Linear computes it, x @ W.T: the update of W2 after the first
    backward changes W2.T, which the second backward would read."""
    w1, w2 = leaf(rng, (4, 3)), leaf(rng, (2, 4))
    x = data(rng, (5, 3))
    out = (x @ w1.T).relu() @ w2.T
    loss1, loss2 = (out * out).mean(), out.sum()
    loss1.backward(retain_graph=True)
    with mc.no_grad():
        for w in (w1, w2):
            w -= 0.5 * w.grad
            w.grad = None
    with pytest.raises(RuntimeError, match=GONE.format(1, "MatMul", "MatMul")):
        loss2.backward()
    assert w1.grad is None and w2.grad is None


# name: a result with its own array, though it may hold the same numbers
COPIES = {
    "clone": lambda x: x.clone(),
    "x + 0": lambda x: x + 0,
    "x * 1": lambda x: x * 1,
    "flip": lambda x: x.flip(0),
    "roll": lambda x: x.roll(1, 0),
    "repeat": lambda x: x.repeat(1, 1),
    "x[[0, 1]]": lambda x: x[[0, 1]],
    "x[mask]": lambda x: x[x > -100],
    "mc.cat": lambda x: mc.cat([x, x]),
    "mc.stack": lambda x: mc.stack([x]),
    "transpose then contiguous": lambda x: x.T.contiguous(),
    "float().double()": lambda x: x.float().double(),
}


@pytest.mark.parametrize("name", COPIES)
def test_a_copy_has_its_own_count(rng, name):
    copy = COPIES[name]
    w, x = leaf(rng, (2, 3)), data(rng, (2, 3))
    y = (w * x).sum()
    c = copy(x)
    with mc.no_grad():
        c += 1.0  # changes c alone: what Mul kept is as it was
    y.backward()
    np.testing.assert_array_equal(w.grad.numpy(), x.numpy())

    v = leaf(rng, c.shape)
    z = (v * c).sum()
    with mc.no_grad():
        x += 1.0  # and the reverse: a write into x leaves c's node alone
    z.backward()
    np.testing.assert_array_equal(v.grad.numpy(), c.numpy())


def test_a_node_that_kept_nothing_allows_a_change_through_a_view(rng):
    """Add keeps nothing: a write into a view of its input changes no number its backward
    reads, as PyTorch allows (a sum over a transposed weight, then an update of the weight)."""
    w = leaf(rng, (2, 3))
    y = (w.T + 1.0).sum()
    with mc.no_grad():
        w.mul_(3.0)
    y.backward()
    np.testing.assert_array_equal(w.grad.numpy(), np.ones((2, 3)))


def test_a_parameter_made_from_a_tensor_shares_its_array_and_its_count(rng):
    t = data(rng, 3)
    p = mc.nn.Parameter(t)  # as torch.nn.Parameter(t): the same memory
    w = leaf(rng, 3)
    y = (w * p).sum()
    with mc.no_grad():
        t += 1.0
    with pytest.raises(RuntimeError, match=KEPT.format(1, "Mul")):
        y.backward()


# a write into an expand() view, as PyTorch 2.13 has it: (the write, x afterwards) where it is
# taken, None where it is refused; x = [0, 1, 2], e = x.expand(2, 3)
EXPAND_WRITES = {
    "e[0].add_(1)": (lambda e: e[0].add_(1), [1, 2, 3]),
    "e[0] += 1": (lambda e: e[0].__iadd__(1), [1, 2, 3]),
    "e[:1].mul_(2)": (lambda e: e[:1].mul_(2), [0, 2, 4]),
    "e[0][None].sub_(1)": (lambda e: e[0][None].sub_(1), [-1, 0, 1]),
    "e[0] = 5": (lambda e: e.__setitem__(0, 5), [5, 5, 5]),
    "e[1, 1] = 5": (lambda e: e.__setitem__((1, 1), 5), [0, 5, 2]),
    "e[0, :] = t": (lambda e: e.__setitem__((0, slice(None)), mc.tensor([7.0, 8.0, 9.0])), [7, 8, 9]),
    "e[0].copy_(t)": (lambda e: e[0].copy_(mc.tensor([7.0, 8.0, 9.0])), [7, 8, 9]),
    "e.fill_(4)": (lambda e: e.fill_(4), [4, 4, 4]),  # one value: taken on shared memory
    "e.zero_()": (lambda e: e.zero_(), [0, 0, 0]),
    "nn.init.constant_(e, 3)": (lambda e: mc.nn.init.constant_(e, 3.0), [3, 3, 3]),
    "e.add_(1)": (lambda e: e.add_(1), None),
    "e += 1": (lambda e: e.__iadd__(1), None),
    "e.T.mul_(2)": (lambda e: e.T.mul_(2), None),
    "e.permute(1, 0)[0].add_(1)": (lambda e: e.permute(1, 0)[0].add_(1), None),
    "e.div_(2)": (lambda e: e.div_(2), None),
    "e.clamp_(0, 1)": (lambda e: e.clamp_(0, 1), None),
    "e.clamp_(t)": (lambda e: e.clamp_(mc.zeros(3)), None),
    "e.copy_(t)": (lambda e: e.copy_(mc.ones(2, 3)), None),
    "e.normal_()": (lambda e: e.normal_(), None),
    "e.uniform_()": (lambda e: e.uniform_(), None),
    "nn.init.normal_(e)": (lambda e: mc.nn.init.normal_(e), None),
    "e[:] = 5": (lambda e: e.__setitem__(slice(None), 5), None),
    "e[...] = 5": (lambda e: e.__setitem__(Ellipsis, 5), None),
    "e[:, 1] = 5": (lambda e: e.__setitem__((slice(None), 1), 5), None),
    "np.add(..., out=e)": (lambda e: np.add(np.ones((2, 3)), 1.0, out=e), None),
}


@pytest.mark.parametrize("name", EXPAND_WRITES)
def test_a_write_into_an_expand_view_goes_through_where_pytorch_takes_it(name):
    """A write that reaches each memory location once (a row, one element, one value for all)
    writes into x, as PyTorch's; values computed per element into memory several elements share
    are refused in one line naming the op, x left as it was."""
    write, after = EXPAND_WRITES[name]
    x = mc.tensor([0.0, 1.0, 2.0])
    e = x.expand(2, 3)
    if after is None:
        with pytest.raises(
            RuntimeError,
            match=r"^\S.*: expected .* with memory of its own for each "
            r"element, got shape \([\d, ]+\) with strides \(.*\) bytes, whose elements share memory "
            r"\(an expand\(\) view\); clone\(\) it first",
        ) as caught:
            write(e)
        assert "\n" not in str(caught.value)
        after = [0, 1, 2]
    else:
        write(e)
        np.testing.assert_array_equal(e.numpy(), np.broadcast_to(np.array(after, np.float32), (2, 3)))
    np.testing.assert_array_equal(x.numpy(), np.array(after, np.float32))


@pytest.mark.parametrize(
    "name, write, after",
    [
        ("masked_fill_()", lambda e: e.masked_fill_(mc.tensor([True, False, True]), 9.0), [9, 1, 9]),
        ("x[index] = value", lambda e: e.__setitem__([1], 5.0), [5, 5, 5]),
        ("x[index] = value", lambda e: e.__setitem__(e > 0.5, 5.0), [0, 5, 5]),
    ],
)
def test_a_masked_or_indexed_write_into_shared_memory_warns_as_pytorch(name, write, after):
    """PyTorch takes these, with a warning that it will stop: so does minicnn, in its words."""
    x = mc.tensor([0.0, 1.0, 2.0])
    with pytest.warns(
        UserWarning, match=rf"^{re.escape(name)} into .* share memory .* deprecated in PyTorch"
    ):
        write(x.expand(2, 3))
    np.testing.assert_array_equal(x.numpy(), np.array(after, np.float32))


def test_a_write_through_a_row_of_an_expand_view_is_counted_for_its_base(rng):
    """e[0].add_(1) changes x: a node that kept x refuses its backward, as in PyTorch."""
    w, x = leaf(rng, 3), data(rng, 3)
    y = (w * x).sum()
    with mc.no_grad():
        x.expand(4, 3)[2].add_(1.0)
    with pytest.raises(RuntimeError, match=KEPT.format(1, "Mul")):
        y.backward()
