"""conv2d and nn.Conv2d: gradients, PyTorch's numbers on every tier, odd layouts, bad input."""

import math
import pathlib

import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F
from minicnn import nn

TIERS = ["reference", "numpy-simple", "numpy", pytest.param("numba", marks=pytest.mark.numba)]
# the transposed convolution's cases (test_conv_transpose.py) share the file
GOLDEN_CASES = sorted(
    {
        k.split("/")[0]
        for k in np.load(pathlib.Path(__file__).parents[1] / "fixtures" / "conv.npz").files
        if not k.startswith("transpose_")
    }
)


def case(golden, name):
    """The arrays of one golden case, keyed without the case prefix."""
    return {k.split("/")[1]: v for k, v in golden("conv").items() if k.startswith(name + "/")}


def hyper(g):
    named = [p for p in ("same", "valid") if f"padding_{p}" in g]
    return dict(
        stride=tuple(int(v) for v in g["stride"]),
        padding=named[0] if named else tuple(int(v) for v in g["padding"]),
        dilation=tuple(int(v) for v in g["dilation"]),
        groups=int(g["groups"][0]),
    )


# --- registry: tiny configurations for gradient checks ----------------------
# name: (x shape, weight shape, hyperparameters, bias)
GRADCHECK = {
    "padded_bias": ((1, 2, 4, 4), (2, 2, 3, 3), dict(padding=1), True),
    "strided_dilated": ((2, 2, 5, 4), (2, 2, 2, 3), dict(stride=2, padding=(1, 0), dilation=(2, 1)), False),
    "groups_x2": ((1, 2, 4, 5), (4, 1, 3, 3), dict(padding=1, groups=2), True),
    "stride3_kernel1": ((1, 3, 5, 4), (2, 3, 1, 1), dict(stride=3), True),
    "same_even_kernel": ((1, 2, 4, 5), (2, 2, 2, 3), dict(padding="same", dilation=(1, 2)), True),
}


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize("name", sorted(GRADCHECK))
def test_gradcheck(name, tier, rng, t):
    xs, ws, params, bias = GRADCHECK[name]
    inputs = [t(rng.standard_normal(xs), True), t(rng.standard_normal(ws), True)]
    if bias:
        inputs.append(t(rng.standard_normal(ws[0]), True))
    with mc.use_kernels(tier):
        assert mc.gradcheck(lambda x, w, *b: F.conv2d(x, w, *b, **params), inputs)


# --- against PyTorch --------------------------------------------------------


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize("name", GOLDEN_CASES)
def test_matches_pytorch(golden, name, tier, t):
    g = case(golden, name)
    x, w = t(g["x"], True), t(g["weight"], True)
    b = t(g["bias"], True) if "bias" in g else None
    with mc.use_kernels(tier):
        y = F.conv2d(x, w, b, **hyper(g))
        y.backward(g["gy"])
    np.testing.assert_allclose(y.numpy(), g["y"], rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(x.grad.numpy(), g["gx"], rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(w.grad.numpy(), g["gweight"], rtol=1e-7, atol=1e-10)
    if b is not None:
        np.testing.assert_allclose(b.grad.numpy(), g["gbias"], rtol=1e-7, atol=1e-10)


def test_float32_stays_float32_and_near_pytorch(golden, t):
    g = case(golden, "groups2")
    x, w, b = (t(g[k], True, np.float32) for k in ("x", "weight", "bias"))
    y = F.conv2d(x, w, b, **hyper(g))
    y.backward(g["gy"].astype(np.float32))
    for got, want in ((y, g["y"]), (x.grad, g["gx"]), (w.grad, g["gweight"]), (b.grad, g["gbias"])):
        assert got.dtype == np.float32
        np.testing.assert_allclose(got.numpy(), want, rtol=5e-3, atol=5e-4)


def test_only_requested_gradients_are_computed(rng, t):
    x, w = t(rng.standard_normal((1, 2, 5, 5))), t(rng.standard_normal((3, 2, 3, 3)), True)
    F.conv2d(x, w).sum().backward()
    assert x.grad is None and w.grad.shape == (3, 2, 3, 3)


# --- memory layouts: views give the same numbers as contiguous arrays --------


def _views(rng, shape):
    """(name, array view of ``shape``) for several non-contiguous layouts."""
    n, c, h, w = shape
    return [
        ("transposed", rng.standard_normal((n, c, w, h)).transpose(0, 1, 3, 2)),
        ("channels_last", rng.standard_normal((n, h, w, c)).transpose(0, 3, 1, 2)),
        ("reversed", rng.standard_normal(shape)[:, ::-1, ::-1, ::-1]),
        ("strided", rng.standard_normal((n, 2 * c, 2 * h, 3 * w))[:, ::2, 1::2, ::3]),
    ]


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize("layout", range(4))
def test_non_contiguous_inputs(layout, tier, rng):
    name, xv = _views(rng, (2, 4, 5, 6))[layout]
    _, wv = _views(rng, (6, 2, 3, 3))[layout]
    _, gyv = _views(rng, (2, 6, 3, 3))[layout]
    assert not xv.flags.c_contiguous, name
    results = []
    for xa, wa, gya in ((xv, wv, gyv), (xv.copy(), wv.copy(), gyv.copy())):
        x, w = mc.Tensor(xa, requires_grad=True), mc.Tensor(wa, requires_grad=True)
        with mc.use_kernels(tier):
            y = F.conv2d(x, w, stride=(1, 2), padding=(0, 1), groups=2)
            y.backward(gya)
        results.append((y.numpy(), x.grad.numpy(), w.grad.numpy()))
    for view_result, contiguous_result in zip(*results):
        np.testing.assert_allclose(view_result, contiguous_result, rtol=1e-12, atol=1e-12)


# --- the Module -------------------------------------------------------------


def test_module_init_follows_pytorch():
    m = nn.Conv2d(6, 8, 5, groups=2)
    bound = 1 / math.sqrt(3 * 5 * 5)  # fan_in = in_channels/groups * k * k
    assert m.weight.shape == (8, 3, 5, 5) and m.bias.shape == (8,)
    assert m.weight.dtype == np.float32
    for p in (m.weight, m.bias):
        assert np.abs(p.numpy()).max() <= bound
    assert np.abs(m.weight.numpy()).max() > 0.9 * bound  # uniform over the whole range
    assert nn.Conv2d(1, 2, 3, bias=False).bias is None


def test_module_repr_and_parameters():
    m = nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2)
    assert repr(m) == "Conv2d(3, 64, kernel_size=(11, 11), stride=(4, 4), padding=(2, 2))"
    m2 = nn.Conv2d(4, 4, (1, 3), dilation=2, groups=4, bias=False)
    assert repr(m2) == (
        "Conv2d(4, 4, kernel_size=(1, 3), stride=(1, 1), dilation=(2, 2), groups=4, bias=False)"
    )
    assert [n for n, _ in m.named_parameters()] == ["weight", "bias"]


def test_module_takes_pytorchs_positional_arguments_and_its_padding_modes():
    m = nn.Conv2d(2, 4, 3, 1, 1, 1, 1, False, "reflect", None, "float64")  # PyTorch's order
    assert m.bias is None and m.weight.dtype == np.float64 and m.padding == (1, 1)
    assert m.padding_mode == "reflect"  # the modes' numbers: tests/nn/test_conv_padding_modes.py
    with pytest.raises(
        ValueError, match=r"^Conv2d: padding_mode must be one of .*, but got padding_mode='wrap'$"
    ):
        nn.Conv2d(2, 4, 3, padding_mode="wrap")


@pytest.mark.parametrize("kernel", [3, 4, (2, 5)])
def test_module_padded_same_keeps_the_size_and_says_so(kernel):
    m = nn.Conv2d(2, 3, kernel, padding="same")
    assert m(mc.zeros(1, 2, 6, 7)).shape == (1, 3, 6, 7)
    assert repr(m).endswith("stride=(1, 1), padding=same)")  # as PyTorch prints it
    assert nn.Conv2d(2, 3, kernel, padding="valid")(mc.zeros(1, 2, 6, 7)).shape[2:] == (
        7 - m.kernel_size[0],
        8 - m.kernel_size[1],
    )


def test_module_gradcheck_and_shape(rng, t):
    m = nn.Conv2d(2, 4, 3, stride=2, padding=1, groups=2).double()
    x = t(rng.standard_normal((2, 2, 5, 4)), True)
    assert m(x).shape == (2, 4, 3, 2)
    assert mc.gradcheck(m, [x])


# --- bad input --------------------------------------------------------------


def _x(*shape, dtype=np.float64):
    return mc.Tensor(np.ones(shape, dtype=dtype))


# name: (call, error type, message pattern)
ERRORS = {
    "2d_input": (
        lambda: F.conv2d(_x(5, 5), _x(2, 3, 3, 3)),
        ValueError,
        r"conv2d: expected x of shape \(N, C, H, W\) or \(C, H, W\), got shape \(5, 5\)",
    ),
    "channel_mismatch": (
        lambda: F.conv2d(_x(1, 2, 5, 5), _x(4, 3, 3, 3)),
        ValueError,
        r"conv2d: x has 2 channel\(s\) but weight expects 3.*"
        r"x \(1, 2, 5, 5\), weight \(4, 3, 3, 3\)",
    ),
    "window_too_large": (
        lambda: F.conv2d(_x(1, 1, 4, 9), _x(1, 1, 5, 5), padding=0),
        ValueError,
        r"conv2d: .*larger than the padded input height 4 \+ 2\*0 = 4.*"
        r"floor\(\(4 \+ 2\*0 - 1\*\(5-1\) - 1\) / 1\) \+ 1 = 0",
    ),
    "dilated_too_large": (
        lambda: F.conv2d(_x(1, 1, 6, 6), _x(1, 1, 3, 3), dilation=3),
        ValueError,
        r"conv2d: the 3-tap kernel \(dilation 3, spanning 7\)",
    ),
    "stride_zero": (
        lambda: F.conv2d(_x(1, 1, 5, 5), _x(1, 1, 3, 3), stride=0),
        ValueError,
        r"conv2d: stride must be positive, got \(0, 0\)",
    ),
    "padding_negative": (
        lambda: F.conv2d(_x(1, 1, 5, 5), _x(1, 1, 3, 3), padding=(0, -1)),
        ValueError,
        r"conv2d: padding must be non-negative, got \(0, -1\)",
    ),
    "padding_unknown_word": (
        lambda: F.conv2d(_x(1, 1, 5, 5), _x(1, 1, 3, 3), padding="full"),
        ValueError,
        r"conv2d: padding must be an int, a pair of ints, 'same' or 'valid', got 'full'",
    ),
    "padding_same_strided": (
        lambda: nn.Conv2d(1, 1, 3, stride=(1, 2), padding="same"),
        ValueError,
        r"Conv2d: padding='same' keeps the input's size, which a stride cannot; got stride \(1, 2\)",
    ),
    "dilation_zero": (
        lambda: F.conv2d(_x(1, 1, 5, 5), _x(1, 1, 3, 3), dilation=0),
        ValueError,
        r"conv2d: dilation must be at least 1",
    ),
    "groups_not_dividing": (
        lambda: F.conv2d(_x(1, 4, 5, 5), _x(3, 2, 3, 3), groups=2),
        ValueError,
        r"conv2d: groups=2 must divide both in_channels \(4\) and out_channels \(3\)",
    ),
    "bias_shape": (
        lambda: F.conv2d(_x(1, 1, 5, 5), _x(2, 1, 3, 3), _x(3)),
        ValueError,
        r"conv2d: bias must have shape \(2,\)",
    ),
    "integer_input": (
        lambda: F.conv2d(_x(1, 1, 5, 5, dtype=np.int64), _x(1, 1, 3, 3)),
        TypeError,
        r"conv2d: x must be a floating-point tensor, got dtype int64",
    ),
    "dtype_mismatch": (
        lambda: F.conv2d(_x(1, 1, 5, 5, dtype=np.float32), _x(1, 1, 3, 3)),
        TypeError,
        r"conv2d: x is float32 but weight is float64",
    ),
    # no channels in: PyTorch 2.13 gives no channels out, (2, 0, 2, 2); no filters: it refuses
    "no_channels_in": (
        lambda: F.conv2d(_x(2, 0, 4, 4), _x(3, 0, 3, 3), _x(3)),
        ValueError,
        r"^conv2d: expected at least one channel in and one out, got 0 in and 3 out; "
        r"x \(2, 0, 4, 4\), weight \(3, 0, 3, 3\)$",
    ),
    "no_channels_out": (
        lambda: F.conv2d(_x(2, 3, 4, 4), _x(0, 3, 3, 3)),
        ValueError,
        r"^conv2d: expected at least one channel in and one out, got 3 in and 0 out",
    ),
    "module_stride": (lambda: nn.Conv2d(3, 4, 3, stride=0), ValueError, r"Conv2d: stride must be positive"),
    "module_padding": (
        lambda: nn.Conv2d(3, 4, 3, padding=-1),
        ValueError,
        r"Conv2d: padding must be non-negative",
    ),
    "module_dilation": (
        lambda: nn.Conv2d(3, 4, 3, dilation=0),
        ValueError,
        r"Conv2d: dilation must be at least 1",
    ),
    "module_groups": (
        lambda: nn.Conv2d(3, 4, 3, groups=2),
        ValueError,
        r"Conv2d: groups=2 must divide both in_channels \(3\) and out_channels \(4\)",
    ),
    "module_names_itself": (
        lambda: nn.Sequential(nn.Conv2d(3, 4, 3))(mc.zeros(1, 2, 5, 5)),
        ValueError,
        r"Conv2d at '0': x has 2 channel\(s\) but weight expects 3",
    ),
    "module_integer_input": (
        lambda: nn.Conv2d(1, 1, 3)(_x(1, 1, 5, 5, dtype=np.int32)),
        TypeError,
        r"Conv2d: .*int32",
    ),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_bad_input(name):
    call, err, pattern = ERRORS[name]
    with pytest.raises(err, match=pattern):
        call()


def test_a_missing_bias_is_an_explicit_none_input(t):
    from minicnn.functional.conv import Conv2d

    rng = np.random.default_rng(81)
    x, w = t(rng.standard_normal((1, 2, 4, 4)), True), t(rng.standard_normal((3, 2, 3, 3)), True)
    y = Conv2d.apply(x, w, None, stride=(1, 1), padding=(1, 1), dilation=(1, 1), groups=1)
    assert y.grad_fn.needs_grad == (True, True, False)
    y.sum().backward()
    assert x.grad.shape == x.shape and w.grad.shape == w.shape
    np.testing.assert_allclose(y.numpy(), F.conv2d(x, w, padding=1).numpy())


@pytest.mark.parametrize(
    "op",
    [F.relu, lambda x: F.conv2d(x, mc.zeros(2, 1, 3, 3, dtype=np.float16)), lambda x: F.max_pool2d(x, 2)],
)
def test_half_precision_is_refused_in_one_line(op):
    """The kernels are written and checked for float32 and float64; float16 would fail deep in
    a jitted loop on one tier and lose digits silently on another."""
    x = mc.tensor(np.ones((1, 1, 4, 4), dtype=np.float16))
    with pytest.raises(TypeError, match=r"^\w+: x must be float32 or float64, got float16 \(convert with"):
        op(x)


@pytest.mark.parametrize("tier", ["numpy-simple", "reference"])
def test_the_plain_tiers_keep_a_nan_to_the_taps_that_read_it(tier):
    """docs/ops/conv2d.md sends a reader here to find where a NaN came from: as PyTorch, a NaN
    in a corner of x reaches only the 4 taps of a 3x3 kernel (padding 1) that read the corner
    (h = i + u - 1 = 0 for u = 0 or 1 only)."""
    rng = np.random.default_rng(81)
    x = rng.standard_normal((1, 2, 4, 4))
    x[0, 0, 0, 0] = np.nan
    w = mc.tensor(rng.standard_normal((2, 2, 3, 3)), requires_grad=True)
    with mc.use_kernels(tier):
        F.conv2d(mc.tensor(x), w, padding=1).sum().backward()
    np.testing.assert_array_equal(np.isnan(w.grad.numpy()[:, 0]), [[[1, 1, 0], [1, 1, 0], [0, 0, 0]]] * 2)
    assert not np.isnan(w.grad.numpy()[:, 1]).any()


@pytest.mark.parametrize("tier", ["reference", "numpy", "auto"])
def test_an_empty_batch_gives_an_empty_output_and_zero_gradients(tier):
    """As PyTorch: a batch of 0 images has an output of 0 images, and adds nothing to gW."""
    x = mc.tensor(np.zeros((0, 3, 9, 7)), requires_grad=True)
    w = mc.tensor(np.random.default_rng(5).normal(size=(4, 3, 3, 3)), requires_grad=True)
    b = mc.tensor(np.ones(4), requires_grad=True)
    with mc.use_kernels(tier):
        y = F.conv2d(x, w, b, stride=2, padding=1)
        assert y.shape == (0, 4, 5, 4)
        y.sum().backward()
    assert x.grad.shape == (0, 3, 9, 7)
    assert not w.grad.numpy().any() and not b.grad.numpy().any()


def test_a_model_takes_an_empty_batch():
    """Conv, pooling, flatten and linear, batch norm in eval and LRN: (0, ...) in, (0, ...) out."""
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.BatchNorm2d(4),
        nn.LocalResponseNorm(3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(4 * 4 * 4, 10),
    ).double()
    model.eval()
    x = mc.tensor(np.zeros((0, 1, 8, 8)), requires_grad=True)
    y = model(x)
    assert y.shape == (0, 10)
    y.sum().backward()
    assert x.grad.shape == (0, 1, 8, 8) and not model[0].weight.grad.numpy().any()
