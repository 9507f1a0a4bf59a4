"""Tensor's in-place math (relu_ ... clip_), optimizer idioms (lerp_, addcmul_, addcdiv_), index
writes (scatter_ ... index_fill_) and random refills (bernoulli_, exponential_, random_):
PyTorch's values for every case of tests/fixtures/gen_in_place2.py in each dtype, refused
where PyTorch refuses the dtype, and the in-place rules for each method (a leaf that requires
grad only under no_grad, a node of a graph never, an operand that requires grad never outside
no_grad, each change counted so that a node that kept x refuses its backward, read-only and
expand() memory refused).
"""

import warnings

import numpy as np
import pytest
from fixtures.gen_in_place2 import DTYPES, IN_PLACE, run_in_place

import minicnn as mc

# minicnn's relu takes floating-point tensors only (F.relu_ too); PyTorch's takes integers
MINICNN_REFUSES = {("relu_", d) for d in ("int64", "int32", "uint8")}


def _method(case):
    """The method a case calls, the longest name it starts with: "pow_2" calls pow_,
    "scatter_dim0" scatter_, "scatter_add_" scatter_add_."""
    return max((n for n in SAMPLES if case.startswith(n)), key=len)


def _arrays(g, case, dtype):
    prefix = f"{case}.{dtype}."
    return {
        k[len(prefix) :]: v
        for k, v in g.items()
        if k.startswith(prefix) and k[len(prefix) :] not in ("y", "refused")
    }


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", sorted(IN_PLACE))
def test_each_case_writes_pytorchs_values_or_is_refused_where_pytorch_refuses(golden, case, dtype):
    g = golden("in_place2")
    y, refused = run_in_place(mc, case, _arrays(g, case, dtype))
    name = _method(case)
    if f"{case}.{dtype}.refused" in g or (name, dtype) in MINICNN_REFUSES:
        assert refused is not None, (
            f"{case} on {dtype}: PyTorch refuses it ({g.get(f'{case}.{dtype}.refused')})"
        )
        assert refused.startswith(f"{name}(): ") or refused.startswith(f"{name}: "), refused
        return
    assert refused is None, refused
    want = g[f"{case}.{dtype}.y"]
    assert y.dtype == want.dtype
    if dtype in ("float32", "float64"):
        rtol = 1e-6 if dtype == "float32" else 1e-13
        np.testing.assert_allclose(y, want, rtol=rtol, atol=rtol * 1e-2)
    else:
        np.testing.assert_array_equal(y, want)


def test_every_case_was_made_and_each_method_has_cases(golden):
    g = golden("in_place2")
    assert {k.rsplit(".", 1)[0] for k in g if k.endswith((".y", ".refused")) and k.count(".") == 2} == {
        f"{case}.{dtype}" for case in IN_PLACE for dtype in DTYPES
    }
    assert {_method(c) for c in IN_PLACE} == set(SAMPLES) - {"bernoulli_", "exponential_", "random_"}


def _index():
    return mc.tensor([[0], [2]])


def _ones(*shape):
    return mc.ones(*shape, dtype=mc.float64)


# a call of each method on x, a (2, 3) float64 tensor of values 0.5 to 1.5 from 0, of both signs
SAMPLES = {
    "relu_": lambda x: x.relu_(),
    "sigmoid_": lambda x: x.sigmoid_(),
    "tanh_": lambda x: x.tanh_(),
    "exp_": lambda x: x.exp_(),
    "log_": lambda x: x.log_(),
    "sqrt_": lambda x: x.sqrt_(),
    "sin_": lambda x: x.sin_(),
    "cos_": lambda x: x.cos_(),
    "reciprocal_": lambda x: x.reciprocal_(),
    "abs_": lambda x: x.abs_(),
    "neg_": lambda x: x.neg_(),
    "square_": lambda x: x.square_(),
    "sign_": lambda x: x.sign_(),
    "floor_": lambda x: x.floor_(),
    "ceil_": lambda x: x.ceil_(),
    "round_": lambda x: x.round_(decimals=1),
    "pow_": lambda x: x.pow_(2),
    "clamp_min_": lambda x: x.clamp_min_(1.0),
    "clamp_max_": lambda x: x.clamp_max_(0.0),
    "clip_": lambda x: x.clip_(0.6, 1.2),
    "lerp_": lambda x: x.lerp_(_ones(2, 3), 0.5),
    "addcmul_": lambda x: x.addcmul_(_ones(2, 3), _ones(3), value=2),
    "addcdiv_": lambda x: x.addcdiv_(_ones(2, 3), _ones(2, 1) * 4),
    "scatter_": lambda x: x.scatter_(1, _index(), 5.0),
    "scatter_add_": lambda x: x.scatter_add_(1, _index(), _ones(2, 1)),
    "index_add_": lambda x: x.index_add_(1, mc.tensor([1, 1]), _ones(2, 2)),
    "index_fill_": lambda x: x.index_fill_(1, mc.tensor([0]), -1.0),
    "bernoulli_": lambda x: x.bernoulli_(0.5, generator=1),
    "exponential_": lambda x: x.exponential_(generator=1),
    "random_": lambda x: x.random_(5, generator=1),
}
# an operand of each method that takes one, as a tensor that requires grad
GRAD_OPERANDS = {
    "pow_": lambda x, t: x.pow_(t),
    "clamp_min_": lambda x, t: x.clamp_min_(t),
    "lerp_": lambda x, t: x.lerp_(t, 0.5),
    "addcmul_": lambda x, t: x.addcmul_(t, _ones(2, 3)),
    "addcdiv_": lambda x, t: x.addcdiv_(_ones(2, 3), t),
    "scatter_": lambda x, t: x.scatter_(1, mc.tensor([[0, 1, 2]] * 2), t),
    "scatter_add_": lambda x, t: x.scatter_add_(1, mc.tensor([[0, 1, 2]] * 2), t),
    "index_add_": lambda x, t: x.index_add_(1, mc.tensor([0, 1, 2]), t),
}


def _x(rng):
    """A float64 leaf that requires grad, of both signs: each sample call changes it."""
    return mc.tensor((rng.random((2, 3)) + 0.5) * [[1, -1, 1], [-1, 1, -1]], requires_grad=True)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_a_leaf_that_requires_grad_changes_under_no_grad_only(name, rng):
    x = _x(rng)
    before = x.numpy().copy()
    with pytest.raises(
        RuntimeError,
        match=rf"^a leaf Tensor that requires grad is used in an in-place operation \({name}\(\)\)",
    ):
        SAMPLES[name](x)
    np.testing.assert_array_equal(x.numpy(), before)
    with mc.no_grad():
        assert SAMPLES[name](x) is x
    assert x.is_leaf and x.requires_grad and not np.array_equal(x.numpy(), before)
    out = SAMPLES[name](x.detach())  # needs no grad: written, into x's array
    assert out.data is x.data


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_a_node_of_a_graph_is_refused_in_one_line_naming_the_method(name, rng):
    node = _x(rng) * 1
    with pytest.raises(RuntimeError) as err:
        SAMPLES[name](node)
    message = str(err.value)
    assert message.startswith(f"{name}() on a Tensor inside an autograd graph: minicnn records no in-place")
    assert "\n" not in message and "; write x = " in message or "compute a new tensor" in message


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_a_change_to_a_kept_array_refuses_the_backward_that_kept_it(name, rng):
    x = _x(rng)
    y = (x * x).sum()  # Mul keeps x for its gradient
    with mc.no_grad():
        SAMPLES[name](x)
    with pytest.raises(RuntimeError, match=r"^backward\(\): input \d of Mul was changed in place"):
        y.backward()
    z = (x * x).sum()
    SAMPLES[name](x.detach())  # through another tensor on the same memory: counted as well
    with pytest.raises(RuntimeError, match="changed in place"):
        z.backward()


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_expanded_memory_is_refused_and_read_only_memory_too(name, rng):
    e = mc.tensor(rng.random((1, 3)) + 0.5).expand(2, 3)
    if name == "index_fill_":  # PyTorch warns here, as minicnn's masked_fill_
        with pytest.warns(UserWarning, match="index_fill_\\(\\) into x whose elements share memory"):
            SAMPLES[name](e)
    else:
        with pytest.raises(
            RuntimeError, match=rf"^{name}\(\): expected x with memory of its own for each element"
        ):
            SAMPLES[name](e)
    a = rng.random((2, 3)) + 0.5
    a.flags.writeable = False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # as_tensor's warning of a read-only array
        frozen = mc.as_tensor(a)
    with pytest.raises(ValueError, match=rf"^{name}\(\): x is read-only"):
        SAMPLES[name](frozen)


@pytest.mark.parametrize("name", sorted(GRAD_OPERANDS))
def test_an_operand_that_requires_grad_is_refused_outside_no_grad(name, rng):
    x = mc.tensor(rng.random((2, 3)) + 0.5)
    t = mc.tensor(rng.random((2, 3)) + 0.5, requires_grad=True)
    before = x.numpy().copy()
    with pytest.raises(
        RuntimeError, match=rf"^{name}\(\): \w+ requires grad, and minicnn records no in-place"
    ):
        GRAD_OPERANDS[name](x, t)
    np.testing.assert_array_equal(x.numpy(), before)
    with mc.no_grad():
        assert GRAD_OPERANDS[name](x, t) is x
    assert not np.array_equal(x.numpy(), before)


def test_an_operand_is_broadcast_to_x_and_never_x_to_it(rng):
    x = mc.tensor(rng.standard_normal(3))
    for call, says in [
        (
            lambda: x.lerp_(mc.zeros(2, 3), 0.5),
            r"lerp_\(\): end of shape \(2, 3\) does not broadcast to x's shape \(3,\)",
        ),
        (
            lambda: x.addcmul_(mc.ones(2, 1), mc.ones(3)),
            r"addcmul_\(\): tensor1 of shape \(2, 1\) does not broadcast",
        ),
        (lambda: x.pow_(mc.ones(2, 3)), r"pow_\(\): other of shape \(2, 3\) does not broadcast"),
        (lambda: x.clamp_max_(mc.ones(2, 3)), r"clamp_max_\(\): max of shape \(2, 3\) does not broadcast"),
    ]:
        with pytest.raises(ValueError, match=says):
            call()


def test_the_in_place_math_of_an_integer_tensor_names_the_out_of_place_call():
    x = mc.tensor([1, 2])
    with pytest.raises(
        TypeError,
        match=r"^exp_\(\): the result for x of int64 is float32 \(as PyTorch computes it\), which cannot be "
        r"written into x's int64 array in place; write x = x.exp\(\)$",
    ):
        x.exp_()
    with pytest.raises(TypeError, match=r"^neg_\(\): expected a number tensor, got bool .*use ~mask"):
        mc.tensor([True]).neg_()
    with pytest.raises(TypeError, match=r"^clamp_min_\(\): min must be a number or a Tensor, got None"):
        x.clamp_min_(None)
    with pytest.raises(ValueError, match=r"^clip_\(\): at least one of min and max"):
        x.clip_()
    with pytest.raises(TypeError, match=r"^round_\(\): decimals must be an int"):
        mc.tensor([1.25]).round_(decimals=1.0)
    assert x.abs_().neg_().square_().tolist() == [1, 4] and x.dtype == mc.int64
    assert mc.tensor([True, False]).sign_().tolist() == [True, False]


def test_an_adam_step_written_with_the_in_place_idioms(rng):
    """torch.optim.Adam's update, as it writes it, against the formulas."""
    p = mc.tensor(rng.standard_normal(5), requires_grad=True)
    m, v = mc.zeros(5, dtype=mc.float64), mc.zeros(5, dtype=mc.float64)
    beta1, beta2, lr, eps = 0.9, 0.999, 0.01, 1e-8
    want_p, want_m, want_v = p.numpy().copy(), np.zeros(5), np.zeros(5)
    for step in (1, 2, 3):
        p.grad = None
        (p * p * p).sum().backward()
        g = p.grad.numpy()
        with mc.no_grad():
            m.lerp_(p.grad, 1 - beta1)
            v.mul_(beta2).addcmul_(p.grad, p.grad, value=1 - beta2)
            denom = (v / (1 - beta2**step)).sqrt_().add_(eps)
            p.addcdiv_(m, denom, value=-lr / (1 - beta1**step))
        want_m = beta1 * want_m + (1 - beta1) * g
        want_v = beta2 * want_v + (1 - beta2) * g * g
        want_p = want_p - lr / (1 - beta1**step) * want_m / (np.sqrt(want_v / (1 - beta2**step)) + eps)
        np.testing.assert_allclose(m.numpy(), want_m, rtol=1e-12)
        np.testing.assert_allclose(v.numpy(), want_v, rtol=1e-12)
        np.testing.assert_allclose(p.numpy(), want_p, rtol=1e-12)
    assert p.is_leaf and p.requires_grad
