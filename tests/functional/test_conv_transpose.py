"""conv_transpose2d and nn.ConvTranspose2d: the input gradient of a convolution as a layer.

Gradients, PyTorch's numbers on every tier, the adjoint identity that defines it, one
image and empty batches, and the Module (init, repr, state_dict, output_size).
The kernel tiers against the reference loops: tests/kernels/test_conv_transpose_tiers.py;
bad input: test_conv_transpose_errors.py.
"""

import math

import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F
from minicnn import kernels, nn

TIERS = [
    "reference",
    "numpy-simple",
    "numpy",
    pytest.param("numba", marks=pytest.mark.numba),
    pytest.param("auto", marks=pytest.mark.numba),
]
MODULE_CASE = "transpose_module_output_size"


def golden_cases(golden):
    return sorted({k.split("/")[0] for k in golden("conv") if k.startswith("transpose_")} - {MODULE_CASE})


def case(golden, name):
    """The arrays of one golden case, keyed without the case prefix."""
    return {k.split("/")[1]: v for k, v in golden("conv").items() if k.startswith(name + "/")}


def hyper(g):
    """The stored hyperparameters as conv_transpose2d's keyword arguments."""
    pairs = {k: tuple(int(v) for v in g[k]) for k in ("stride", "padding", "output_padding", "dilation")}
    return dict(pairs, groups=int(g["groups"][0]))


# --- registry: tiny configurations for gradient checks ----------------------
# name: (x shape, weight shape (C_in, C_out/groups, kH, kW), hyperparameters, bias)
GRADCHECK = {
    "stride1_padded": ((1, 2, 3, 4), (2, 3, 3, 3), dict(padding=1), True),
    "stride2_output_padding": ((2, 2, 3, 3), (2, 2, 3, 3), dict(stride=2, padding=1, output_padding=1), True),
    # output_padding 1 at stride 1: allowed by the dilation, the input rows grow by one
    "dilated_output_padding": ((1, 2, 3, 3), (2, 2, 2, 3), dict(dilation=2, output_padding=1), False),
    "groups2_non_square": (
        (1, 4, 3, 2),
        (4, 1, 2, 3),
        dict(stride=(2, 1), padding=(0, 1), output_padding=(1, 0), groups=2),
        True,
    ),
    "depthwise_stride2": ((1, 3, 3, 3), (3, 1, 3, 3), dict(stride=2, groups=3), True),
    "one_output_channel": ((2, 2, 3, 3), (2, 1, 3, 3), dict(padding=1), True),
    "pointwise": ((2, 3, 3, 2), (3, 2, 1, 1), {}, True),
    "stride3_kernel1": ((1, 3, 2, 3), (3, 2, 1, 1), dict(stride=3, output_padding=2), True),
}


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize("name", sorted(GRADCHECK))
def test_gradcheck(name, tier, rng, t):
    xs, ws, params, bias = GRADCHECK[name]
    inputs = [t(rng.standard_normal(xs), True), t(rng.standard_normal(ws), True)]
    if bias:
        inputs.append(t(rng.standard_normal(ws[1] * params.get("groups", 1)), True))
    with mc.use_kernels(tier):
        assert mc.gradcheck(lambda x, w, *b: F.conv_transpose2d(x, w, *b, **params), inputs)


# --- what it is: the adjoint of a convolution ---------------------------------

# (x shape, weight shape (O, C/groups, kH, kW), stride, padding, dilation, groups)
ADJOINT = [
    ((2, 3, 7, 6), (4, 3, 3, 3), 1, 1, 1, 1),
    ((1, 2, 8, 7), (3, 2, 3, 2), 2, (1, 0), 1, 1),  # x 8 x 7 needs output_padding (1, 0)
    ((2, 4, 9, 9), (6, 2, 3, 3), 3, 2, 2, 2),
]


@pytest.mark.parametrize("x_shape, w_shape, stride, padding, dilation, groups", ADJOINT)
def test_the_transposed_convolution_is_the_adjoint_of_the_convolution(
    x_shape, w_shape, stride, padding, dilation, groups, rng
):
    """<conv2d(x, W), y> = <x, conv_transpose2d(y, W)> for every x and y: conv_transpose2d is
    the convolution's transpose, with the same W array (read as (C_in, C_out/groups, kH, kW),
    its in_channels are the convolution's out). output_padding picks x's size among those
    a stride maps to y's."""
    geometry = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    x, W = mc.tensor(rng.standard_normal(x_shape)), mc.tensor(rng.standard_normal(w_shape))
    conv_x = F.conv2d(x, W, **geometry)
    y = mc.tensor(rng.standard_normal(conv_x.shape))
    smallest = F.conv_transpose2d(y, W, **geometry).shape[2:]
    output_padding = tuple(n - m for n, m in zip(x_shape[2:], smallest))
    transposed_y = F.conv_transpose2d(y, W, output_padding=output_padding, **geometry)
    assert transposed_y.shape == x.shape
    left = float((conv_x.numpy() * y.numpy()).sum())
    right = float((x.numpy() * transposed_y.numpy()).sum())
    assert left == pytest.approx(right, rel=1e-12)


def test_it_is_the_input_gradient_of_the_convolution(rng, t):
    """conv_transpose2d(gy, W) is what conv2d's backward gives x for the output gradient gy."""
    x, W = t(rng.standard_normal((2, 3, 9, 8)), True), t(rng.standard_normal((5, 3, 3, 3)))
    y = F.conv2d(x, W, stride=2, padding=1)
    gy = rng.standard_normal(y.shape)
    y.backward(gy)
    smallest = F.conv_transpose2d(t(gy), W, stride=2, padding=1)  # 9 x 7: x's 8th column is the
    assert smallest.shape == (2, 3, 9, 7)  # one a stride of 2 leaves open
    np.testing.assert_allclose(smallest.numpy(), x.grad.numpy()[..., :7], rtol=1e-12, atol=1e-12)
    gx = F.conv_transpose2d(t(gy), W, stride=2, padding=1, output_padding=(0, 1))
    assert gx.shape == x.shape
    np.testing.assert_allclose(gx.numpy(), x.grad.numpy(), rtol=1e-12, atol=1e-12)


# --- against PyTorch --------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("tier", TIERS)
def test_matches_pytorch(golden, tier, dtype, t):
    """Each stored case: forward and the three gradients, float64 to 1e-7 and float32 (the
    inputs rounded to it) to 5e-3 / 5e-4, the conv tolerances."""
    rtol, atol = (1e-7, 1e-10) if dtype == np.float64 else (5e-3, 5e-4)
    names = golden_cases(golden)
    assert len(names) >= 6
    for name in names:
        g = case(golden, name)
        x, w = t(g["x"], True, dtype), t(g["weight"], True, dtype)
        b = t(g["bias"], True, dtype) if "bias" in g else None
        with mc.use_kernels(tier):
            y = F.conv_transpose2d(x, w, b, **hyper(g))
            y.backward(g["gy"].astype(dtype))
        results = [(y, g["y"]), (x.grad, g["gx"]), (w.grad, g["gweight"])]
        if b is not None:
            results.append((b.grad, g["gbias"]))
        for (got, want), what in zip(results, ("y", "gx", "gweight", "gbias")):
            assert got.dtype == dtype, f"{name} {what}"
            np.testing.assert_allclose(got.numpy(), want, rtol=rtol, atol=atol, err_msg=f"{name} {what}")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_module_with_output_size_matches_pytorch(golden, dtype, t):
    """nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1) takes PyTorch's state_dict as it is, and
    output_size=(8, 9) picks PyTorch's output_padding: (1, 0) for an input of 4 x 5."""
    rtol, atol = (1e-7, 1e-10) if dtype == np.float64 else (5e-3, 5e-4)
    g = case(golden, MODULE_CASE)
    m = nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, dtype=dtype)
    m.load_state_dict({"weight": g["weight"].astype(dtype), "bias": g["bias"].astype(dtype)})
    x = t(g["x"], True, dtype)
    output_size = tuple(int(n) for n in g["output_size"])
    y = m(x, output_size=output_size)
    assert y.shape[2:] == output_size != m(x).shape[2:]
    y.backward(g["gy"].astype(dtype))
    for got, want in (
        (y, g["y"]),
        (x.grad, g["gx"]),
        (m.weight.grad, g["gweight"]),
        (m.bias.grad, g["gbias"]),
    ):
        assert got.dtype == dtype
        np.testing.assert_allclose(got.numpy(), want, rtol=rtol, atol=atol)


# --- what backward computes ---------------------------------------------------


@pytest.mark.parametrize(
    "wants, ran",
    [
        ((True, False), ["conv2d_input_grad: im2col", "conv2d_forward: im2col"]),
        ((False, True), ["conv2d_input_grad: im2col", "conv2d_weight_grad: im2col"]),
        ((True, True), ["conv2d_input_grad: im2col", "conv2d_forward: im2col", "conv2d_weight_grad: im2col"]),
    ],
)
def test_runs_the_convolutions_kernels_and_only_for_the_asked_gradients(wants, ran, rng, t):
    """The forward is the convolution's input gradient; gx its forward, gW its weight gradient."""
    x, w = t(rng.standard_normal((2, 3, 4, 4)), wants[0]), t(rng.standard_normal((3, 2, 3, 3)), wants[1])
    with mc.use_kernels("numpy"), kernels.trace() as calls:
        F.conv_transpose2d(x, w, stride=2).sum().backward()
    assert calls == ran
    assert (x.grad is not None, w.grad is not None) == wants


def test_the_weight_gradient_reads_the_columns_that_gxs_convolution_built(monkeypatch, rng, t):
    """gx = conv2d(gy, W) builds gy's columns; gW = gy's columns times x reads them again
    (kernels/kept_columns.py) instead of copying gy's windows a second time."""
    from minicnn.kernels import im2col

    x, w = t(rng.standard_normal((2, 3, 6, 6)), True), t(rng.standard_normal((3, 4, 3, 3)), True)
    with mc.use_kernels("numpy"):
        y = F.conv_transpose2d(x, w)
        built = []
        original = im2col._im2col_into
        monkeypatch.setattr(
            im2col, "_im2col_into", lambda a, *rest, **kw: built.append(a.shape) or original(a, *rest, **kw)
        )
        y.sum().backward()
    assert built == [(2, 4, 8, 8)]  # gy's, once


@pytest.mark.parametrize("tier", ["reference", "numpy", pytest.param("auto", marks=pytest.mark.numba)])
def test_one_image_and_an_empty_batch(tier, rng, t):
    """As PyTorch: one (C, H, W) image gives one (C_out, H_out, W_out) image, and a batch of 0
    images an output of 0 images, with zero gradients for the weight and bias."""
    w, b = t(rng.standard_normal((3, 4, 3, 3)), True), t(rng.standard_normal(4), True)
    image = rng.standard_normal((3, 5, 4))
    with mc.use_kernels(tier):
        one = F.conv_transpose2d(t(image), w, b, stride=2, output_padding=1)
        batch = F.conv_transpose2d(t(image[None]), w, b, stride=2, output_padding=1)
        assert one.shape == (4, 12, 10)
        np.testing.assert_array_equal(one.numpy(), batch.numpy()[0])
        x = t(np.zeros((0, 3, 5, 4)), True)
        y = F.conv_transpose2d(x, w, b, stride=2, output_padding=1)
        assert y.shape == (0, 4, 12, 10)
        y.sum().backward()
    assert x.grad.shape == (0, 3, 5, 4)
    assert w.grad.shape == (3, 4, 3, 3) and not w.grad.numpy().any() and not b.grad.numpy().any()


@pytest.mark.parametrize("tier", ["numpy", pytest.param("auto", marks=pytest.mark.numba)])
def test_non_contiguous_inputs(tier, rng):
    xv = rng.standard_normal((2, 5, 6, 4)).transpose(0, 3, 1, 2)  # channels last
    wv = rng.standard_normal((4, 3, 2, 6))[..., ::2]
    gyv = rng.standard_normal((2, 6, 11, 12))[:, :, ::-1]
    results = []
    for xa, wa in ((xv, wv), (xv.copy(), wv.copy())):
        x, w = mc.tensor(xa, requires_grad=True), mc.tensor(wa, requires_grad=True)
        with mc.use_kernels(tier):
            y = F.conv_transpose2d(x, w, stride=2, padding=(0, 1), output_padding=1, groups=2)
            y.backward(gyv)
        results.append((y.numpy(), x.grad.numpy(), w.grad.numpy()))
    for view_result, contiguous_result in zip(*results):
        np.testing.assert_allclose(view_result, contiguous_result, rtol=1e-12, atol=1e-12)


# --- the Module -------------------------------------------------------------


def test_module_init_follows_pytorch():
    """PyTorch draws a transposed convolution's weight over fan_in = weight.shape[1] * kH * kW,
    out_channels/groups * kH * kW, and its bias with the same bound."""
    m = nn.ConvTranspose2d(6, 8, 5, groups=2)
    bound = 1 / math.sqrt(4 * 5 * 5)
    assert m.weight.shape == (6, 4, 5, 5) and m.bias.shape == (8,)
    assert m.weight.dtype == np.float32
    for p in (m.weight, m.bias):
        assert np.abs(p.numpy()).max() <= bound
    assert np.abs(m.weight.numpy()).max() > 0.9 * bound  # uniform over the whole range
    assert np.abs(m.bias.numpy()).max() > 0.5 * bound  # not the 1/sqrt(3 * 25) of in_channels
    assert nn.ConvTranspose2d(1, 2, 3, bias=False).bias is None


def test_module_repr_state_dict_and_pytorchs_positional_arguments():
    m = nn.ConvTranspose2d(16, 33, 3, stride=2)
    assert repr(m) == "ConvTranspose2d(16, 33, kernel_size=(3, 3), stride=(2, 2))"
    m2 = nn.ConvTranspose2d(
        16, 33, (3, 5), (2, 1), (4, 2), (1, 0), 1, False, (3, 1), "zeros", None, "float64"
    )
    assert repr(m2) == (
        "ConvTranspose2d(16, 33, kernel_size=(3, 5), stride=(2, 1), padding=(4, 2), "
        "dilation=(3, 1), output_padding=(1, 0), bias=False)"
    )  # as PyTorch prints them
    assert m2.weight.dtype == np.float64 and m2.output_padding == (1, 0)
    m3 = nn.ConvTranspose2d(4, 6, 3, stride=2, output_padding=(0, 1), groups=2)
    assert repr(m3).endswith("stride=(2, 2), output_padding=(0, 1), groups=2)")
    assert list(m3.state_dict()) == ["weight", "bias"] and m3.state_dict()["weight"].shape == (4, 3, 3, 3)
    assert list(m2.state_dict()) == ["weight"]


def test_module_output_size(t):
    """output_size: (H_out, W_out) or the whole output shape, one of the stride's sizes."""
    m = nn.ConvTranspose2d(3, 2, 3, stride=(2, 3), padding=1).double()
    x = t(np.ones((1, 3, 4, 5)))
    assert m(x).shape == (1, 2, 7, 13)
    assert m(x, output_size=(8, 15)).shape == (1, 2, 8, 15)
    assert m(x, output_size=[1, 2, 7, 14]).shape == (1, 2, 7, 14)
    assert m(t(np.ones((3, 4, 5))), output_size=(2, 8, 13)).shape == (2, 8, 13)
    assert m(x).shape == (1, 2, 7, 13)  # the module's own output_padding is left as it was


def test_module_gradcheck_and_summary(rng, t):
    m = nn.ConvTranspose2d(2, 4, 3, stride=2, padding=1, output_padding=1, groups=2).double()
    x = t(rng.standard_normal((2, 2, 3, 2)), True)
    assert m(x).shape == (2, 4, 6, 4)
    assert mc.gradcheck(m, [x])
    (row,) = mc.summary(m, (2, 3, 2)).rows
    assert row["macs"] == 2 * 3 * 2 * (2 * 3 * 3)  # each input cell scatters one (C_out/g, k, k) kernel
