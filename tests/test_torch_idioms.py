"""The idioms of PyTorch's beginner material, run with minicnn's names, give what PyTorch gives.

Each scenario in fixtures/gen_torch_idioms.py is written once against a library; PyTorch ran
it to make torch_idioms.npz, and here minicnn runs the same lines (``import minicnn as torch``,
in effect), from the same seed, and every number, shape, dtype and name is compared.
"""

import os
from types import SimpleNamespace

import numpy as np
import pytest
from fixtures.gen_torch_idioms import SCENARIOS, as_arrays, flat

import minicnn as mc
import minicnn.data as data
import minicnn.nn.functional as F
from minicnn import nn, optim

LIB = SimpleNamespace(torch=mc, nn=nn, F=F, optim=optim, data=data)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_a_beginner_scenario_gives_what_pytorch_gives(name, golden):
    seed, scenario = SCENARIOS[name]
    got = flat(name, as_arrays(scenario(LIB, np.random.default_rng(seed))), {})
    want = {k: v for k, v in golden("torch_idioms").items() if k.startswith(f"{name}.")}
    assert sorted(got) == sorted(want)
    for key, expected in want.items():
        value = got[key]
        assert value.shape == expected.shape, key
        if expected.dtype.kind == "f":
            assert value.dtype.kind == "f", key  # .item() of a float tensor is a float, ...
            np.testing.assert_allclose(value, expected, rtol=2e-4, atol=2e-5, err_msg=key)
        else:
            assert value.dtype.kind == expected.dtype.kind, key  # ... of a count an int
            assert value.tolist() == expected.tolist(), key


def test_randint_takes_the_high_bound_alone_with_size_by_name():
    mc.manual_seed(4110)
    draws = mc.randint(10, size=(200,))
    assert draws.shape == (200,) and draws.dtype == mc.int64
    assert draws.min().item() >= 0 and draws.max().item() <= 9 and len(set(draws.tolist())) == 10
    assert isinstance(mc.randint(3, size=(1,)).item(), int)  # the dataset-sample idiom
    with pytest.raises(ValueError, match=r"the range \[0, 0\) is empty"):
        mc.randint(0, size=(1,))


def test_item_int_float_and_index_of_many_elements_raise_as_pytorch():
    x = mc.ones(2, dtype=mc.long)
    with pytest.raises(RuntimeError, match=r"item\(\): a Tensor with 2 elements"):
        x.item()
    for convert in (float, int):
        with pytest.raises(ValueError, match=r"only one element tensors .* got shape \(2,\)"):
            convert(x)
    with pytest.raises(TypeError, match=r"single element .* got int64 of shape \(2,\)"):
        [1, 2][x]
    assert float(mc.tensor([2.5])) == 2.5 and int(mc.tensor(3.7)) == 3 and [1, 2][mc.tensor(1)] == 2


def test_new_tensor_factories_take_the_dtype_and_device_of_self():
    rng = np.random.default_rng(4111)
    y = mc.tensor(rng.standard_normal(3), requires_grad=True)  # float64
    z = mc.zeros(2, dtype=mc.long)
    assert y.new_ones(2).dtype == mc.float64 and not y.new_ones(2).requires_grad
    assert y.new_ones((2, 3), requires_grad=True).requires_grad and y.new_ones(2, 3).shape == (2, 3)
    assert y.new_zeros(2).tolist() == [0.0, 0.0] and y.new_empty(2, 1).shape == (2, 1)
    assert (
        z.new_full((2,), 3.7).tolist() == [3, 3] and z.new_full([1], 2, dtype=mc.float32).dtype == mc.float32
    )
    assert z.new_tensor([1.5, 2]).tolist() == [1, 2] and y.new_tensor(3).shape == ()
    copied = y.new_tensor(y)
    assert copied.tolist() == y.tolist() and copied.grad_fn is None and not copied.requires_grad
    assert str(z.new_ones(1, device=mc.device("cpu")).device) == "cpu"
    assert y.new_full((2,), mc.tensor(1.5)).tolist() == [1.5, 1.5]  # a 0-d Tensor, as torch's


@pytest.mark.parametrize(
    "call, error, says",
    [
        (lambda z: z.new_full(2, 3), TypeError, "new_full: size must be a tuple of ints, got int"),
        (
            lambda z: z.new_ones(2.0),
            TypeError,
            r"new_ones: expected a size of ints, got float 2.0 at index 0 of \(2.0,\)",
        ),
        (lambda z: z.new_zeros(), TypeError, r"new_zeros: expected a size, got none"),
        (
            lambda z: z.new_ones(2, -1),
            RuntimeError,
            r"new_ones: trying to create a tensor with negative dimension -1: size \[2, -1\]",
        ),
        (
            lambda z: z.new_full((-2,), 1.0),
            RuntimeError,
            r"new_full: trying to create a tensor with negative dimension -2",
        ),
        (lambda z: z.new_full((2,), None), TypeError, "^new_full: fill_value must be a number, got NoneType"),
        (
            lambda z: z.new_full((2,), mc.ones(1)),
            TypeError,
            "^new_full: fill_value must be a number, got Tensor",
        ),
        (lambda z: z.long().new_tensor([2**63]), ValueError, "the int 9223372036854775808 is outside int64"),
        (
            lambda z: z.long().new_full((1,), 2**63),
            ValueError,
            "^new_full: the int 9223372036854775808 is outside",
        ),
    ],
)
def test_new_tensor_factories_refuse_what_pytorch_refuses(call, error, says):
    with pytest.raises(error, match=says):
        call(mc.zeros(2))


@pytest.mark.parametrize("weights_only", [None, True, False])
def test_load_takes_weights_only_as_torch_load_and_reads_the_same(tmp_path, weights_only):
    rng = np.random.default_rng(4112)
    model = nn.Linear(3, 2)
    state = {
        k: mc.tensor(rng.standard_normal(v.shape).astype(np.float32)) for k, v in model.state_dict().items()
    }
    model.load_state_dict(state)
    mc.save(model.state_dict(), os.fspath(tmp_path / "model.pth"))
    loaded = mc.load(tmp_path / "model.pth", weights_only=weights_only)
    assert {k: np.asarray(v).tolist() for k, v in loaded.items()} == {k: v.tolist() for k, v in state.items()}


def test_load_refuses_a_weights_only_that_is_not_a_bool(tmp_path):
    mc.save({"a": mc.ones(1)}, tmp_path / "a.pth")
    with pytest.raises(TypeError, match="mc.load: weights_only must be True, False or None, got str"):
        mc.load(tmp_path / "a.pth", weights_only="yes")


def test_pow_is_at_the_top_as_torch_pow():
    rng = np.random.default_rng(4113)
    a = rng.standard_normal(5)
    x = mc.tensor(a, requires_grad=True)
    y = mc.pow(x, 3)
    np.testing.assert_allclose(y.numpy(), a**3, rtol=1e-12)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 3 * a**2, rtol=1e-12)
    assert mc.pow(mc.tensor([2, 3]), mc.tensor([3, 2])).tolist() == [8, 9]


def test_a_custom_op_written_as_the_hint_for_autograd_function_says_works():
    class Legendre3(mc.Function):
        """P3(x) = (5x^3 - 3x) / 2.   gx = gy * 1.5 (5x^2 - 1)."""

        def forward(self, x):
            self.x = x
            return 0.5 * (5 * x**3 - 3 * x)

        def backward(self, gy):
            return (gy * 1.5 * (5 * self.x**2 - 1),)

    x = mc.tensor(np.random.default_rng(4114).standard_normal(4), requires_grad=True)
    assert mc.gradcheck(Legendre3.apply, (x,))
