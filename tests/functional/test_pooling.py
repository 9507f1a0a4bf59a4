"""max_pool2d, avg_pool2d, adaptive_avg_pool2d and their Modules: gradients, PyTorch's
numbers on every tier, odd layouts, bad input."""

import pathlib

import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F
from minicnn import nn

TIERS = ["reference", "numpy", pytest.param("numba", marks=pytest.mark.numba)]
GOLDEN_CASES = sorted(
    {k.split("/")[0] for k in np.load(pathlib.Path(__file__).parents[1] / "fixtures" / "pool.npz").files}
)


def pool_call(name, g):
    """The functional call a golden case describes, as fn(x)."""

    def ints(key):
        return tuple(int(v) for v in g[key])

    if name.startswith("adaptive_"):
        return lambda x: F.adaptive_avg_pool2d(x, ints("output_size"))
    window = dict(
        kernel_size=ints("kernel_size"),
        stride=ints("stride"),
        padding=ints("padding"),
        ceil_mode=bool(g["ceil_mode"][0]),
    )
    if name.startswith("max_"):
        return lambda x: F.max_pool2d(x, **window)
    return lambda x: F.avg_pool2d(x, count_include_pad=bool(g["count_include_pad"][0]), **window)


# --- registry: op specs for gradient checks --------------------------------
# name: (fn, x shape); the inputs have no ties
GRADCHECK = {
    "max_overlap": (lambda x: F.max_pool2d(x, 3, 2), (1, 2, 5, 5)),
    "max_pad_ceil": (lambda x: F.max_pool2d(x, 3, 2, padding=1, ceil_mode=True), (2, 1, 4, 5)),
    "max_pairs": (lambda x: F.max_pool2d(x, (2, 3), (1, 2)), (1, 2, 4, 6)),
    "avg_pad_ceil": (lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True), (1, 2, 4, 5)),
    "avg_exclude_pad": (lambda x: F.avg_pool2d(x, 2, 1, 1, count_include_pad=False), (2, 1, 3, 4)),
    "avg_nonoverlap": (lambda x: F.avg_pool2d(x, 2), (1, 2, 4, 6)),
    "adaptive_3": (lambda x: F.adaptive_avg_pool2d(x, 3), (1, 2, 7, 5)),
    "adaptive_global": (lambda x: F.adaptive_avg_pool2d(x, 1), (2, 2, 3, 4)),
    "adaptive_up": (lambda x: F.adaptive_avg_pool2d(x, (5, 2)), (1, 1, 3, 4)),
}


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize("name", sorted(GRADCHECK))
def test_gradcheck(name, tier, rng, t, distinct):
    fn, shape = GRADCHECK[name]
    with mc.use_kernels(tier):
        assert mc.gradcheck(fn, [t(distinct(rng, shape, spacing=0.05), True)])


# --- against PyTorch --------------------------------------------------------


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize("name", GOLDEN_CASES)
def test_matches_pytorch(golden, name, tier, t):
    g = {k.split("/")[1]: v for k, v in golden("pool").items() if k.startswith(name + "/")}
    x = t(g["x"], True)
    with mc.use_kernels(tier):
        y = pool_call(name, g)(x)
        y.backward(g["gy"])
    np.testing.assert_allclose(y.numpy(), g["y"], rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), g["gx"], rtol=1e-7, atol=1e-12)


@pytest.mark.parametrize("name", ["max_pad1_ceil", "avg_pad1_ceil_without_pad", "adaptive_6x9_to_4x2"])
def test_float32_stays_float32(golden, name, t):
    g = {k.split("/")[1]: v for k, v in golden("pool").items() if k.startswith(name + "/")}
    x = t(g["x"], True, np.float32)
    y = pool_call(name, g)(x)
    y.backward(g["gy"].astype(np.float32))
    assert y.dtype == np.float32 and x.grad.dtype == np.float32
    np.testing.assert_allclose(y.numpy(), g["y"], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(x.grad.numpy(), g["gx"], rtol=1e-4, atol=1e-5)


def test_max_pool_gradient_goes_to_the_maximum_only(t):
    x = t([[[[1.0, 5.0, 2.0], [0.0, 3.0, 4.0], [7.0, 6.0, 8.0]]]], True)
    F.max_pool2d(x, 2, 1).sum().backward()  # windows' maxima: 5, 5, 7, 8
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], [[0, 2, 0], [0, 0, 0], [1, 0, 1]])


def test_global_average_pooling_is_the_mean(rng, t):
    x = rng.standard_normal((2, 3, 5, 7))
    y = F.adaptive_avg_pool2d(t(x), 1)
    np.testing.assert_allclose(y.numpy(), x.mean(axis=(2, 3), keepdims=True), rtol=1e-12)


# --- memory layouts ---------------------------------------------------------

LAYOUTS = {
    "transposed": lambda a: np.ascontiguousarray(a.transpose(0, 1, 3, 2)).transpose(0, 1, 3, 2),
    "channels_last": lambda a: np.ascontiguousarray(a.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2),
    "reversed": lambda a: np.ascontiguousarray(a[:, :, ::-1, ::-1])[:, :, ::-1, ::-1],
    "strided": lambda a: np.repeat(np.repeat(a, 2, axis=2), 3, axis=3)[:, :, ::2, ::3],
}
OPS = {
    "max": lambda x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True),
    "avg": lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
    "adaptive": lambda x: F.adaptive_avg_pool2d(x, (2, 3)),
}


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize("op", sorted(OPS))
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_non_contiguous_inputs(layout, op, tier, rng, distinct):
    xa = distinct(rng, (2, 3, 6, 7), spacing=0.05)
    view = LAYOUTS[layout](xa)
    assert not view.flags.c_contiguous and np.array_equal(view, xa)
    x1, x2 = mc.Tensor(view, requires_grad=True), mc.Tensor(xa, requires_grad=True)
    with mc.use_kernels(tier):
        y1, y2 = OPS[op](x1), OPS[op](x2)
        gy = rng.standard_normal(y1.shape)
        y1.backward(LAYOUTS[layout](gy))  # a non-contiguous output gradient too
        y2.backward(gy)
    np.testing.assert_array_equal(y1.numpy(), y2.numpy())
    np.testing.assert_allclose(x1.grad.numpy(), x2.grad.numpy(), rtol=1e-12, atol=1e-12)


# --- the Modules ------------------------------------------------------------


def test_modules_repr_and_forward(rng, t, distinct):
    assert (
        repr(nn.MaxPool2d(3, stride=2))
        == "MaxPool2d(kernel_size=3, stride=2, padding=0, dilation=1, ceil_mode=False)"
    )
    assert repr(nn.AvgPool2d(2)) == "AvgPool2d(kernel_size=2, stride=2, padding=0)"
    assert repr(nn.AdaptiveAvgPool2d((1, 1))) == "AdaptiveAvgPool2d(output_size=(1, 1))"
    x = t(distinct(rng, (2, 3, 13, 13), spacing=0.05))  # AlexNet's conv5 grid
    assert nn.MaxPool2d(3, 2)(x).shape == (2, 3, 6, 6)
    x14 = t(distinct(rng, (1, 1, 14, 14), spacing=0.05))
    assert nn.MaxPool2d(3, 2, ceil_mode=True)(x14).shape == (1, 1, 7, 7)
    assert nn.AvgPool2d(3, 1, 1)(x).shape == (2, 3, 13, 13)
    assert nn.AdaptiveAvgPool2d((6, None))(x).shape == (2, 3, 6, 13)
    assert list(nn.MaxPool2d(2).parameters()) == []


def test_module_matches_functional(rng, t, distinct):
    x = t(distinct(rng, (1, 2, 7, 6), spacing=0.05))
    np.testing.assert_array_equal(
        nn.AvgPool2d(3, 2, 1, True, False)(x).numpy(), F.avg_pool2d(x, 3, 2, 1, True, False).numpy()
    )
    np.testing.assert_array_equal(
        nn.MaxPool2d(3, 2, 1, ceil_mode=True)(x).numpy(), F.max_pool2d(x, 3, 2, 1, 1, True).numpy()
    )


def test_max_pool2d_takes_its_arguments_in_pytorchs_order(rng, t, distinct):
    """(x, kernel_size, stride, padding, dilation, ceil_mode): a positional fifth is the dilation."""
    x = t(distinct(rng, (1, 1, 5, 5), spacing=0.05))
    assert F.max_pool2d(x, 2, 2, 0, 1).shape == (1, 1, 2, 2)
    assert F.max_pool2d(x, 2, 2, 0, 1, True).shape == (1, 1, 3, 3)


# --- bad input --------------------------------------------------------------


def _x(*shape, dtype=np.float64):
    return mc.Tensor(np.ones(shape, dtype=dtype))


# name: (call, error type, message pattern)
ERRORS = {
    "max_2d": (
        lambda: F.max_pool2d(_x(5, 5), 2),
        ValueError,
        r"max_pool2d: expected x of shape \(N, C, H, W\) or \(C, H, W\), got shape \(5, 5\)",
    ),
    "avg_5d": (
        lambda: F.avg_pool2d(_x(1, 1, 3, 5, 5), 2),
        ValueError,
        r"avg_pool2d: expected x of shape \(N, C, H, W\) or \(C, H, W\), got shape \(1, 1, 3, 5, 5\)",
    ),
    "adaptive_2d": (
        lambda: F.adaptive_avg_pool2d(_x(5, 5), 2),
        ValueError,
        r"adaptive_avg_pool2d: expected x of shape \(N, C, H, W\) or \(C, H, W\), got shape \(5, 5\)",
    ),
    "window_too_large": (
        lambda: F.max_pool2d(_x(1, 1, 6, 3), 4),
        ValueError,
        r"max_pool2d: the 4-wide window is larger than the padded input width "
        r"3 \+ 2\*0 = 3: output width floor\(\(3 \+ 2\*0 - 1\*\(4-1\) - 1\) / 4\) \+ 1 = 0",
    ),
    "stride_zero": (
        lambda: F.avg_pool2d(_x(1, 1, 4, 4), 2, 0),
        ValueError,
        r"avg_pool2d: stride must be positive, got \(0, 0\)",
    ),
    "kernel_zero": (
        lambda: F.max_pool2d(_x(1, 1, 4, 4), 0),
        ValueError,
        r"max_pool2d: kernel_size must be positive",
    ),
    "padding_negative": (
        lambda: F.max_pool2d(_x(1, 1, 4, 4), 2, padding=-1),
        ValueError,
        r"max_pool2d: padding must be non-negative, got \(-1, -1\)",
    ),
    "padding_over_half": (
        lambda: F.max_pool2d(_x(1, 1, 6, 6), 3, padding=2),
        ValueError,
        r"max_pool2d: padding should be at most half of kernel_size",
    ),
    "max_dilation": (
        lambda: F.max_pool2d(_x(1, 1, 4, 4), 2, 2, 0, 2),
        ValueError,
        r"max_pool2d: only dilation=1 is supported, got dilation=2$",
    ),
    "max_return_indices": (
        lambda: F.max_pool2d(_x(1, 1, 4, 4), 2, return_indices=True),
        ValueError,
        r"max_pool2d: return_indices=True is not supported \(minicnn has no MaxUnpool2d to take them\)",
    ),
    "integer_input": (
        lambda: F.max_pool2d(_x(1, 1, 4, 4, dtype=np.int64), 2),
        TypeError,
        r"max_pool2d: x must be a floating-point tensor, got dtype int64",
    ),
    "adaptive_zero": (
        lambda: F.adaptive_avg_pool2d(_x(1, 1, 4, 4), (0, 2)),
        ValueError,
        r"adaptive_avg_pool2d: output_size must be positive",
    ),
    "module_stride": (lambda: nn.MaxPool2d(2, stride=0), ValueError, r"MaxPool2d: stride must be positive"),
    "module_padding": (
        lambda: nn.AvgPool2d(2, padding=-1),
        ValueError,
        r"AvgPool2d: padding must be non-negative",
    ),
    "module_padding_half": (
        lambda: nn.MaxPool2d(2, padding=2),
        ValueError,
        r"MaxPool2d: padding should be at most half",
    ),
    "module_dilation": (
        lambda: nn.MaxPool2d(2, dilation=2),
        ValueError,
        r"MaxPool2d: only dilation=1 is supported, got dilation=2",
    ),
    "divisor_override": (
        lambda: F.avg_pool2d(_x(1, 1, 4, 4), 2, divisor_override=3),
        ValueError,
        r"avg_pool2d: divisor_override=3 is not supported; each window is divided by its count",
    ),
    "module_divisor_override": (
        lambda: nn.AvgPool2d(2, divisor_override=3),
        ValueError,
        r"AvgPool2d: divisor_override=3 is not supported; only None",
    ),
    "module_output_size": (
        lambda: nn.AdaptiveAvgPool2d(-1),
        ValueError,
        r"AdaptiveAvgPool2d: output_size must be positive",
    ),
    "module_names_itself": (
        lambda: nn.Sequential(nn.Identity(), nn.MaxPool2d(5))(_x(1, 1, 4, 4)),
        ValueError,
        r"MaxPool2d\(1\): the 5-wide window is larger",
    ),
    "module_integer_input": (
        lambda: nn.AvgPool2d(2)(_x(1, 1, 4, 4, dtype=np.int32)),
        TypeError,
        r"AvgPool2d: .*int32",
    ),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_bad_input(name):
    call, err, pattern = ERRORS[name]
    with pytest.raises(err, match=pattern):
        call()


@pytest.mark.parametrize(
    "op",
    [
        lambda x: F.max_pool2d(x, 2),
        lambda x: F.avg_pool2d(x, 3, 2, 1),
        lambda x: F.adaptive_avg_pool2d(x, (2, 3)),
        lambda x: F.conv2d(x, mc.tensor(np.random.default_rng(54).standard_normal((4, 3, 3, 3))), padding=1),
    ],
)
def test_one_image_is_pooled_and_convolved_as_a_batch_of_one_as_pytorch(op):
    image = mc.tensor(np.random.default_rng(55).standard_normal((3, 6, 7)), requires_grad=True)
    batch = mc.tensor(image.numpy()[None], requires_grad=True)
    y = op(image)
    np.testing.assert_array_equal(y.numpy(), op(batch).numpy()[0])
    weight = np.random.default_rng(56).standard_normal(y.shape)
    (y * mc.tensor(weight)).sum().backward()
    (op(batch) * mc.tensor(weight[None])).sum().backward()
    np.testing.assert_array_equal(image.grad.numpy(), batch.grad.numpy()[0])
