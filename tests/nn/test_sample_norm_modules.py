"""nn.LayerNorm and nn.GroupNorm: parameters, PyTorch's state dicts and printing, no running
statistics, errors that name the layer."""

import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F
from minicnn import nn


def _torch_state(g, name):
    """The state dict PyTorch's module saved for a golden case (tests/fixtures/gen_norm.py), in its order."""
    prefix = f"{name}_state."
    return {k[len(prefix) :]: g[k] for k in g if k.startswith(prefix)}


def test_parameters_start_as_pytorchs():
    ln = nn.LayerNorm((3, 4))
    assert [n for n, _ in ln.named_parameters()] == ["weight", "bias"]
    assert ln.weight.dtype == np.float32 and ln.weight.shape == (3, 4) and ln.bias.shape == (3, 4)
    np.testing.assert_array_equal(ln.weight.numpy(), np.ones((3, 4)))
    np.testing.assert_array_equal(ln.bias.numpy(), np.zeros((3, 4)))
    assert nn.LayerNorm(5).normalized_shape == (5,)
    assert [n for n, _ in nn.LayerNorm(5, bias=False).named_parameters()] == ["weight"]
    plain = nn.LayerNorm(5, elementwise_affine=False)
    assert plain.weight is None and plain.bias is None and list(plain.parameters()) == []
    gn = nn.GroupNorm(2, 6)
    assert [n for n, _ in gn.named_parameters()] == ["weight", "bias"]
    np.testing.assert_array_equal(gn.weight.numpy(), np.ones(6))
    np.testing.assert_array_equal(gn.bias.numpy(), np.zeros(6))
    assert [n for n, _ in nn.GroupNorm(2, 6, bias=False).named_parameters()] == ["weight"]
    assert list(nn.GroupNorm(2, 6, affine=False).parameters()) == []
    assert nn.GroupNorm(2, 6, dtype=np.float64).weight.dtype == np.float64
    assert list(ln.buffers()) == [] and list(gn.buffers()) == []


def test_printed_as_pytorch_prints_them():
    assert repr(nn.LayerNorm(4)) == "LayerNorm((4,), eps=1e-05, elementwise_affine=True, bias=True)"
    assert repr(nn.LayerNorm((3, 4), bias=False)) == (
        "LayerNorm((3, 4), eps=1e-05, elementwise_affine=True, bias=False)"
    )
    assert repr(nn.LayerNorm(4, elementwise_affine=False)) == (
        "LayerNorm((4,), eps=1e-05, elementwise_affine=False, bias=False)"
    )
    assert repr(nn.GroupNorm(2, 4)) == "GroupNorm(2, 4, eps=1e-05, affine=True, bias=True)"
    assert (
        repr(nn.GroupNorm(2, 4, 1e-3, affine=False)) == "GroupNorm(2, 4, eps=0.001, affine=False, bias=False)"
    )


@pytest.mark.parametrize(
    "name, make",
    [
        ("ln_4d_chw", lambda: nn.LayerNorm((3, 4, 5), dtype=np.float64)),
        ("ln_3d_last", lambda: nn.LayerNorm(8, bias=False, dtype=np.float64)),
        ("gn_4d", lambda: nn.GroupNorm(3, 6, dtype=np.float64)),
    ],
)
def test_loads_a_pytorch_state_dict_and_computes_as_pytorch(golden, name, make, t):
    g = golden("norm")
    state = _torch_state(g, name)
    m = make()
    assert list(m.state_dict()) == list(state)  # PyTorch's keys, in its order
    m.load_state_dict(state)
    x = t(g[f"{name}_x"], grad=True)
    y = m(x)
    y.backward(g[f"{name}_gy"])
    np.testing.assert_allclose(y.numpy(), g[f"{name}_y"], rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), g[f"{name}_gx"], rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(m.weight.grad.numpy(), g[f"{name}_gw"], rtol=1e-7, atol=1e-12)
    if m.bias is not None:
        np.testing.assert_allclose(m.bias.grad.numpy(), g[f"{name}_gb"], rtol=1e-7, atol=1e-12)


def test_a_float32_module_takes_pytorchs_float64_state(golden):
    g = golden("norm")
    gn = nn.GroupNorm(3, 6)
    gn.load_state_dict(_torch_state(g, "gn_4d"))
    assert gn.weight.dtype == np.float32
    np.testing.assert_array_equal(gn.weight.numpy(), g["gn_4d_w"].astype(np.float32))


@pytest.mark.parametrize(
    "make, shape",
    [(lambda: nn.LayerNorm((4, 3)), (5, 2, 4, 3)), (lambda: nn.GroupNorm(2, 4), (5, 4, 3, 2))],
)
def test_train_and_eval_compute_the_same(make, shape, rng):
    m = make()
    m.weight.data[...] = rng.uniform(0.5, 2.0, m.weight.shape)
    m.bias.data[...] = rng.standard_normal(m.bias.shape)
    x = mc.tensor(rng.standard_normal(shape).astype(np.float32) * 3 + 1)
    y_train = m.train()(x).numpy()
    y_eval = m.eval()(x).numpy()
    np.testing.assert_array_equal(y_train, y_eval)
    # one sample alone, in eval, as in the batch: no batch statistics anywhere
    np.testing.assert_allclose(m(x[1:2]).numpy()[0], y_train[1], rtol=1e-6, atol=1e-6)
    assert list(m.state_dict()) == ["weight", "bias"]


def test_modules_are_the_functions(rng, t):
    x = t(rng.standard_normal((2, 6, 3)))
    ln, gn = nn.LayerNorm(3, eps=1e-3).double(), nn.GroupNorm(3, 6, eps=1e-3).double()
    for m in (ln, gn):
        m.weight.data[...] = rng.standard_normal(m.weight.shape)
        m.bias.data[...] = rng.standard_normal(m.bias.shape)
    want_ln = F.layer_norm(x, 3, ln.weight, ln.bias, eps=1e-3).numpy()
    want_gn = F.group_norm(x, 3, gn.weight, gn.bias, eps=1e-3).numpy()
    np.testing.assert_array_equal(ln(x).numpy(), want_ln)
    np.testing.assert_array_equal(gn(x).numpy(), want_gn)


def test_gradcheck_of_the_module_parameters(rng, t):
    gn = nn.GroupNorm(2, 4).double()
    gn.weight.data[...] = rng.uniform(0.5, 2.0, 4)
    gn.bias.data[...] = rng.standard_normal(4)
    assert mc.gradcheck(gn, [t(rng.standard_normal((2, 4, 3)), grad=True)])
    ln = nn.LayerNorm((4, 3)).double()
    ln.weight.data[...] = rng.uniform(0.5, 2.0, (4, 3))
    assert mc.gradcheck(ln, [t(rng.standard_normal((2, 4, 3)), grad=True)])


def test_bad_arguments_and_input_name_the_layer():
    with pytest.raises(
        ValueError, match=r"GroupNorm: num_channels \(6\) must be divisible by num_groups \(4\)"
    ):
        nn.GroupNorm(4, 6)
    with pytest.raises(ValueError, match="GroupNorm: num_groups must be a positive int, got 0"):
        nn.GroupNorm(0, 6)
    with pytest.raises(ValueError, match="GroupNorm: eps must be a positive number, got 0"):
        nn.GroupNorm(2, 6, eps=0)
    with pytest.raises(ValueError, match="LayerNorm: eps must be a positive number, got -0.1"):
        nn.LayerNorm(4, eps=-0.1)
    with pytest.raises(ValueError, match=r"LayerNorm: normalized_shape must name at least one dim, got \[\]"):
        nn.LayerNorm([])
    net = nn.Sequential(nn.GroupNorm(2, 6), nn.LayerNorm(3))
    with pytest.raises(
        ValueError,
        match=r"GroupNorm at '0': x has 4 channel\(s\) but the layer was built for num_channels=6; "
        r"x \(2, 4, 3\)",
    ):
        net(mc.randn(2, 4, 3))
    with pytest.raises(ValueError, match=r"LayerNorm at '1': normalized_shape \(3,\) .* got \(2, 6, 4\)"):
        net(mc.randn(2, 6, 4))
    with pytest.raises(
        TypeError, match=r"GroupNorm at '0': x must be a floating-point tensor, got dtype int64"
    ):
        net(mc.tensor(np.ones((2, 6, 3), dtype=np.int64)))
    with pytest.raises(TypeError, match=r"LayerNorm: x is float64 but weight is float32"):
        nn.LayerNorm(3)(mc.randn(2, 3, dtype=mc.float64))
