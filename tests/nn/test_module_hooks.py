"""Forward hooks as PyTorch runs them: order, replacement, prepend, with_kwargs, always_call;
and backward hooks."""

import copy

import numpy as np
import pytest
from module_nets import Net, x64

import minicnn as mc
from minicnn import nn


class Scale(nn.Module):
    def forward(self, x, scale=1.0):
        return x * scale


def rand(seed, n=3):
    return mc.tensor(np.random.default_rng(seed).standard_normal(n))


def test_hooks_run_in_order_and_each_replacement_feeds_the_next():
    m, log = Scale(), []
    m.register_forward_pre_hook(lambda mod, a: log.append("pre1"))
    m.register_forward_pre_hook(lambda mod, a: a[0] * 3)  # not a tuple: wrapped as (value,)
    m.register_forward_hook(lambda mod, a, o: log.append(("post1", a[0].data.tolist())))
    m.register_forward_hook(lambda mod, a, o: o + 1)
    m.register_forward_hook(lambda mod, a, o: o * 10)
    x = rand(0)
    y = m(x)
    np.testing.assert_allclose(y.data, (x.data * 3 + 1) * 10)
    assert log == ["pre1", ("post1", (x.data * 3).tolist())]
    m(x)  # a module called twice runs its hooks twice
    assert len(log) == 4


def test_prepend_puts_a_hook_first():
    m, log = Scale(), []
    m.register_forward_hook(lambda mod, a, o: log.append("a"))
    m.register_forward_hook(lambda mod, a, o: log.append("b"), prepend=True)
    m.register_forward_pre_hook(lambda mod, a: log.append("pa"))
    handle = m.register_forward_pre_hook(lambda mod, a: log.append("pb"), prepend=True)
    m(rand(1))
    assert log == ["pb", "pa", "b", "a"]
    handle.remove()
    handle.remove()  # a second remove does nothing
    m(rand(1))
    assert log[4:] == ["pa", "b", "a"]


def test_with_kwargs_hooks_see_and_replace_keyword_arguments():
    m, seen = Scale(), []
    pre = m.register_forward_pre_hook(lambda mod, a, kw: (a, {**kw, "scale": 5.0}), with_kwargs=True)
    m.register_forward_hook(lambda mod, a, kw, o: seen.append(dict(kw)) or o * 2, with_kwargs=True)
    x = rand(2)
    np.testing.assert_allclose(m(x, scale=2.0).data, x.data * 10)
    assert seen == [{"scale": 5.0}]
    pre.remove()
    assert not m._forward_pre_hooks_with_kwargs  # its flag leaves with it
    np.testing.assert_allclose(m(x, scale=2.0).data, x.data * 4)
    m.register_forward_pre_hook(lambda mod, a, kw: 3, with_kwargs=True)
    with pytest.raises(RuntimeError, match=r"tuple of \(new_args, new_kwargs\), but got 3"):
        m(x)


def test_always_call_hooks_run_when_forward_raises():
    class Boom(nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    m, seen = Boom(), []
    m.register_forward_hook(lambda mod, a, o: seen.append("plain"))
    m.register_forward_hook(lambda mod, a, o: seen.append(o) or 5, always_call=True)
    with pytest.raises(ValueError, match="boom"):
        m(rand(3))
    assert seen == [None]


def test_hooks_survive_deepcopy_and_see_the_copy():
    m, seen = Scale(), []
    m.register_forward_hook(lambda mod, a, o: seen.append(mod))
    twin = copy.deepcopy(m)
    twin(rand(4))
    assert seen == [twin]


def test_forward_hooks_see_inputs_and_outputs_and_can_be_removed():
    lin = nn.Linear(3, 2).double()
    calls = []
    handle = lin.register_forward_hook(lambda m, inputs, out: calls.append((m, inputs, out)))
    x = x64(4, 3)
    y = lin(x)
    assert len(calls) == 1 and calls[0][0] is lin and calls[0][1][0] is x and calls[0][2] is y
    handle.remove()
    lin(x)
    assert len(calls) == 1
    with lin.register_forward_hook(lambda m, i, o: o * 2):  # a hook may replace the output
        np.testing.assert_allclose(lin(x).data, 2 * y.data)
    np.testing.assert_allclose(lin(x).data, y.data)
    pre = lin.register_forward_pre_hook(lambda m, inputs: (inputs[0] * 0,))
    np.testing.assert_allclose(lin(x).data, np.broadcast_to(lin.bias.data, (4, 2)))
    pre.remove()


def test_hooks_find_the_first_module_whose_output_is_not_finite():
    net = Net().double()
    net.features[2].weight.data[0, 0] = np.inf
    bad = []
    handles = [
        m.register_forward_hook(
            lambda m, i, o, name=name: bad.append(name) if not np.isfinite(o.data).all() else None
        )
        for name, m in net.named_modules()
        if name
    ]
    with np.errstate(invalid="ignore", over="ignore"):
        net(x64(2, 4))
    for h in handles:
        h.remove()
    assert bad[0] == "features.2"


# --- backward hooks --------------------------------------------------------------------------
def linear(w, b):
    lin = nn.Linear(len(w), 1).double()
    lin.weight.data[...] = [w]
    lin.bias.data[...] = b
    return lin


def test_backward_hooks_see_the_gradients_of_output_and_input():
    lin, log = linear([2.0, -1.0], 0.5), []
    lin.register_full_backward_pre_hook(lambda m, go: log.append(("pre", m, go[0].tolist())))
    lin.register_full_backward_hook(lambda m, gi, go: log.append(("hook", gi[0].tolist(), go[0].tolist())))
    x = mc.tensor([[1.0, 3.0]], dtype=np.float64, requires_grad=True)
    (lin(x) * 3).sum().backward()  # grad_output = 3, grad_input = 3 W
    assert log == [("pre", lin, [[3.0]]), ("hook", [[6.0, -3.0]], [[3.0]])]
    np.testing.assert_allclose(x.grad.data, [[6.0, -3.0]])
    np.testing.assert_allclose(lin.weight.grad.data, [[3.0, 9.0]])


def test_hooks_of_layers_in_a_sequential_run_from_the_last_layer_back():
    model, log = nn.Sequential(linear([2.0, -1.0], 0.5), nn.ReLU()), []
    for name, m in model.named_children():
        m.register_full_backward_pre_hook(lambda m, go, name=name: log.append(("pre", name)))
        m.register_full_backward_hook(lambda m, gi, go, name=name: log.append(("hook", name)))
    model(mc.tensor([[1.0, 1.0]], dtype=np.float64, requires_grad=True)).sum().backward()
    assert log == [("pre", "1"), ("hook", "1"), ("pre", "0"), ("hook", "0")]


def test_replacing_grad_input_changes_the_gradients_upstream():
    model = nn.Sequential(linear([2.0, -1.0], 0.5), nn.ReLU())
    model[1].register_full_backward_hook(lambda m, gi, go: (gi[0] * 2,))
    x = mc.tensor([[1.0, 1.0]], dtype=np.float64, requires_grad=True)
    model(x).sum().backward()  # relu'(1.5) = 1, doubled
    np.testing.assert_allclose(x.grad.data, [[4.0, -2.0]])
    np.testing.assert_allclose(model[0].weight.grad.data, [[2.0, 2.0]])
    np.testing.assert_allclose(model[0].bias.grad.data, [2.0])


def test_a_pre_hook_replacing_grad_output_feeds_the_module_and_its_hooks():
    lin, seen = linear([2.0, -1.0], 0.0), []
    lin.register_full_backward_pre_hook(lambda m, go: (go[0] * 10,))
    lin.register_full_backward_hook(lambda m, gi, go: seen.append(go[0].tolist()))
    x = mc.tensor([[1.0, 3.0]], dtype=np.float64, requires_grad=True)
    lin(x).sum().backward()
    assert seen == [[[10.0]]]
    np.testing.assert_allclose(x.grad.data, [[20.0, -10.0]])
    np.testing.assert_allclose(lin.weight.grad.data, [[10.0, 30.0]])


def test_several_hooks_run_in_order_each_on_the_one_before_s_result():
    m, log = nn.ReLU(), []
    m.register_full_backward_hook(lambda m, gi, go: log.append(("a", gi[0].tolist())) or (gi[0] * 3,))
    m.register_full_backward_hook(lambda m, gi, go: log.append(("b", gi[0].tolist())) or (gi[0] + 1,))
    m.register_full_backward_hook(lambda m, gi, go: log.append("first"), prepend=True)
    x = mc.tensor([2.0, -1.0], dtype=np.float64, requires_grad=True)
    m(x).sum().backward()
    assert log == ["first", ("a", [1.0, 0.0]), ("b", [3.0, 0.0])]
    np.testing.assert_allclose(x.grad.data, [4.0, 1.0])


def test_removed_hooks_run_no_more_and_leave_no_node():
    lin, log = linear([1.0, 1.0], 0.0), []
    pre = lin.register_full_backward_pre_hook(lambda m, go: log.append("pre"))
    hook = lin.register_full_backward_hook(lambda m, gi, go: log.append("hook"))
    x = mc.tensor([[1.0, 2.0]], dtype=np.float64, requires_grad=True)
    assert type(lin(x)._fn).__name__ == "_OutputHook"
    pre.remove()
    hook.remove()
    y = lin(x)
    assert type(y._fn).__name__ != "_OutputHook"
    y.sum().backward()
    assert log == []


def test_with_no_input_requiring_grad_the_hook_gets_none_once_grad_output_is_known():
    lin, log = linear([2.0, -1.0], 0.5), []
    lin.register_full_backward_pre_hook(lambda m, go: log.append(("pre", go[0].tolist())))
    lin.register_full_backward_hook(lambda m, gi, go: log.append(("hook", gi, go[0].tolist())))
    (lin(mc.tensor([[1.0, 3.0]], dtype=np.float64)) * 2).sum().backward()
    assert log == [("pre", [[2.0]]), ("hook", (None,), [[2.0]])]
    np.testing.assert_allclose(lin.weight.grad.data, [[2.0, 6.0]])
    relu = nn.ReLU()  # nothing requires grad: no backward at all, no hook
    relu.register_full_backward_hook(lambda m, gi, go: log.append("relu"))
    assert not relu(mc.tensor([1.0])).requires_grad


class Product(nn.Module):
    def forward(self, a, s, b):
        return a * b * s


def test_several_inputs_give_one_call_with_zeros_for_a_tensor_that_needs_no_gradient():
    """As PyTorch 2.13: None for an argument that is not a Tensor, zeros of its shape and dtype
    for a Tensor that requires no grad beside one that does."""
    m, log = Product(), []
    m.register_full_backward_hook(
        lambda m, gi, go: log.append([None if g is None else (g.tolist(), g.dtype) for g in gi])
    )
    a = mc.tensor([1.0, 2.0], dtype=np.float64, requires_grad=True)
    b = mc.tensor([3.0, 4.0], dtype=np.float64, requires_grad=True)
    m(a, 2.0, b).sum().backward()
    f8 = np.dtype("float64")
    assert log == [[([6.0, 8.0], f8), None, ([2.0, 4.0], f8)]]
    m(a, 2.0, b.detach()).sum().backward()
    assert log[1] == [([6.0, 8.0], f8), None, ([0.0, 0.0], f8)]
    m(a, 2.0, mc.tensor([3, 4])).sum().backward()  # an integer tensor: integer zeros
    assert log[2] == [([6.0, 8.0], f8), None, ([0, 0], np.dtype("int64"))]
    m.register_full_backward_hook(lambda m, gi, go: (gi[0] * 0, None, None))
    a.grad = None
    m(a, 2.0, b).sum().backward()
    np.testing.assert_allclose(a.grad.data, [0.0, 0.0])


def test_a_hook_returning_the_wrong_number_of_gradients_is_refused():
    m = nn.ReLU()
    m.register_full_backward_hook(lambda m, gi, go: (gi[0], gi[0]))
    with pytest.raises(RuntimeError, match="invalid number of grad_input, got 2, but expected 1"):
        m(mc.tensor([1.0], requires_grad=True)).sum().backward()


class Ignores(nn.Module):
    def forward(self, x, unused):
        return x * 2


def test_an_input_that_requires_grad_but_is_unused_gets_zeros_which_reach_its_grad():
    """As PyTorch 2.13: the hook sees zeros for it, and the input's .grad gets them (or what the
    hook puts in their place), not None."""
    rng = np.random.default_rng(7)
    x, u = (mc.tensor(rng.standard_normal(3), requires_grad=True) for _ in range(2))
    m, log = Ignores(), []
    m.register_full_backward_hook(lambda m, gi, go: log.append([g.tolist() for g in gi]))
    m(x, u).sum().backward()
    assert log == [[[2.0, 2.0, 2.0], [0.0, 0.0, 0.0]]]
    np.testing.assert_array_equal(u.grad.numpy(), np.zeros(3))
    m.register_full_backward_hook(lambda m, gi, go: (gi[0], mc.ones(3, dtype=mc.float64)))
    u.grad = None
    m(x, u).sum().backward()
    np.testing.assert_array_equal(u.grad.numpy(), np.ones(3))


def test_a_module_whose_inputs_are_all_unused_runs_only_its_pre_hook():
    """As PyTorch 2.13: no gradient reaches the inputs, so the hook that waits for them never runs."""
    m, log = nn.Linear(2, 2), []
    m.forward = lambda x: m.weight.sum() * 2  # the input requires grad, but is not used
    m.register_full_backward_pre_hook(lambda mod, go: log.append("pre"))
    m.register_full_backward_hook(lambda mod, gi, go: log.append("hook"))
    x = mc.tensor(np.random.default_rng(8).standard_normal(2), requires_grad=True)
    m(x).backward()
    assert log == ["pre"] and x.grad is None


@pytest.mark.parametrize("pre", [False, True], ids=["hook", "pre hook"])
def test_a_hook_returning_a_bare_tensor_is_refused_in_one_line(pre):
    """PyTorch takes len() of the Tensor (its rows) and fails on the count or the shapes."""
    m = nn.ReLU()
    if pre:
        m.register_full_backward_pre_hook(lambda m, go: go[0] * 2)
        what = "pre hook returned an invalid number of grad_output"
    else:
        m.register_full_backward_hook(lambda m, gi, go: gi[0] * 2)
        what = "hook returned an invalid number of grad_input"
    x = mc.tensor(np.random.default_rng(9).standard_normal((4, 3)), requires_grad=True)
    with pytest.raises(
        RuntimeError, match=rf"^Backward {what}: a Tensor of shape \(4, 3\), where a tuple of 1"
    ):
        m(x).sum().backward()
    assert x.grad is None


@pytest.mark.parametrize("pre", [False, True], ids=["hook", "pre hook"])
def test_a_hook_changing_a_gradient_s_shape_or_dtype_is_refused_naming_it(pre):
    m = nn.ReLU()
    x = mc.tensor(np.random.default_rng(10).standard_normal(3), dtype=mc.float32, requires_grad=True)

    def widen(*args):
        return (args[-1][0].double(),)

    if pre:
        m.register_full_backward_pre_hook(widen)
        what = r"pre hook 'widen' changed grad_output\[0\]"
    else:
        m.register_full_backward_hook(widen)
        what = r"hook 'widen' changed grad_input\[0\]"
    with pytest.raises(
        RuntimeError,
        match=rf"^Backward {what} from shape \(3,\) and dtype float32 to shape \(3,\) and dtype float64",
    ):
        m(x).sum().backward()


class Pair(nn.Module):
    def forward(self, x):
        return x, x


def test_a_forward_returning_a_tuple_is_refused_when_backward_hooks_are_registered():
    m = Pair()
    m.register_full_backward_hook(lambda m, gi, go: None)
    with pytest.raises(
        TypeError, match=r"^Pair: full backward hooks need forward to return one Tensor, got tuple"
    ):
        m(mc.tensor([1.0], requires_grad=True))
