"""grad_fn.name() and grad_fn.next_functions, as PyTorch 2.13 shows its graph (checked there:
the pairs, the None of an input that needs no gradient, one AccumulateGrad per leaf, and the
links still there after backward)."""

import gc

import numpy as np
import pytest

import minicnn as mc
import minicnn.nn.functional as F
from minicnn.node import AccumulateGrad


def leaf(rng, shape=3, grad=True):
    return mc.tensor(rng.standard_normal(shape), requires_grad=grad)


def test_next_functions_pairs_each_input_with_the_node_that_made_it(rng):
    a, b, c = leaf(rng), leaf(rng, grad=False), leaf(rng)
    y = (a * b + c * a).sum()
    (add, i), *rest = y.grad_fn.next_functions
    assert (y.grad_fn.name(), add.name(), i, rest) == ("Sum", "Add", 0, [])
    (m1, i1), (m2, i2) = add.next_functions
    assert (m1.name(), m2.name(), i1, i2) == ("Mul", "Mul", 0, 0) and m1 is not m2
    (acc_a, _), (none, j) = m1.next_functions  # a * b: b needs no gradient
    assert isinstance(acc_a, AccumulateGrad) and acc_a.variable is a and (none, j) == (None, 0)
    (acc_c, _), (acc_a2, _) = m2.next_functions  # c * a
    assert acc_c.variable is c and acc_a2 is acc_a  # one AccumulateGrad per leaf
    assert acc_a.name() == "AccumulateGrad" and acc_a.next_functions == ()


def test_a_number_and_a_missing_optional_input_are_none_as_pytorch(rng):
    a, w = leaf(rng, (1, 1, 4, 4)), leaf(rng, (2, 1, 3, 3))
    (acc, _), (two, _) = (a * 2).grad_fn.next_functions  # the 2 is an input
    assert acc.variable is a and two is None
    edges = F.conv2d(a, w).grad_fn.next_functions  # bias=None
    assert [None if e is None else e.variable for e, _ in edges] == [a, w, None]


def test_the_links_stay_after_backward_as_pytorch(rng):
    a = leaf(rng)
    y = (a * a).sum()
    mul = y.grad_fn.next_functions[0][0]
    y.backward()
    assert y.grad_fn.freed and y.grad_fn.inputs == ()
    (after, _), *_ = y.grad_fn.next_functions
    assert after is mul and [e.variable for e, _ in mul.next_functions] == [a, a]


def test_the_links_keep_no_data_that_needs_no_gradient(rng):
    """After backward a freed node links to leaves that require grad and to nodes, not to the
    data: x (a batch) is gone once the user drops it."""
    import weakref

    w = leaf(rng, (2, 3))
    x = mc.tensor(rng.standard_normal((5, 3)))
    y = F.linear(x, w).sum()
    alive = weakref.ref(x)
    y.backward()
    del x
    gc.collect()
    assert alive() is None
    assert y.grad_fn.next_functions[0][0].next_functions[0] == (None, 0)


def test_the_accumulator_is_one_object_per_leaf_and_keeps_it_not_alive(rng):
    import weakref

    a = leaf(rng)
    first = (a * 2).grad_fn.next_functions[0][0]
    first_id = id(first)
    del first
    gc.collect()  # a walk that drops it and meets it again sees the same object (and id)
    again = (a * 3).grad_fn.next_functions[0][0]
    assert id(again) == first_id and again.variable is a
    alive = weakref.ref(a)
    del a
    gc.collect()
    assert alive() is None and again.variable is None  # the leaf keeps it, not it the leaf


@pytest.mark.parametrize(
    "make", [lambda a: a.exp(), lambda a: a[0], lambda a: a.reshape(3, 1)], ids=["exp", "getitem", "reshape"]
)
def test_one_input_ops_show_one_pair(rng, make):
    a = leaf(rng)
    edges = make(a).grad_fn.next_functions
    assert len(edges) == 1 and edges[0][0].variable is a and edges[0][1] == 0


def test_name_is_what_the_repr_shows(rng):
    y = leaf(rng).exp()
    assert repr(y).endswith(f"grad_fn=<{y.grad_fn.name()}>)") and y.grad_fn.name() == "Exp"
    assert repr(y.grad_fn).startswith("<Exp object at 0x")


def test_a_walk_over_next_functions_finds_every_leaf_that_requires_grad(rng):
    ws = [leaf(rng) for _ in range(4)]
    x = mc.tensor(rng.standard_normal(3))
    h = x
    for w in ws:
        h = (h * w).tanh()
    y = h.sum()  # (held: a node's id is its own only while the node lives)
    found, stack, seen = [], [y.grad_fn], set()
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, AccumulateGrad):
            found.append(node.variable)
        stack.extend(n for n, _ in node.next_functions)
    assert sorted(map(id, found)) == sorted(map(id, ws))
    np.testing.assert_equal(len(seen), 1 + 2 * len(ws) + len(ws))  # Sum, Mul and Tanh each, the leaves
