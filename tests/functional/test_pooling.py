"""max_pool2d, avg_pool2d, adaptive_avg_pool2d, adaptive_max_pool2d, max_unpool2d and their Modules:
gradients, PyTorch's numbers on every tier, odd layouts."""

import pathlib
import warnings

import numpy as np
import pytest
from pool_helpers import TIERS, pooled

import minicnn as mc
import minicnn.functional as F
from minicnn import nn

GOLDEN_CASES = sorted(
    {k.split("/")[0] for k in np.load(pathlib.Path(__file__).parents[1] / "fixtures" / "pool.npz").files}
)


def pool_call(name, g):
    """The functional call a golden case describes, as fn(x): y, or (y, indices) where the
    case stores the indices a max pool returns."""

    def ints(key):
        return tuple(int(v) for v in g[key])

    if name.startswith("adaptive_"):
        return lambda x: F.adaptive_avg_pool2d(x, ints("output_size"))
    if name.startswith("adaptivemax_"):
        size = tuple(None if v < 0 else v for v in ints("output_size"))
        return lambda x: F.adaptive_max_pool2d(x, size, return_indices=True)
    if name.startswith("unpool_"):
        size = None if ints("output_size") == (-1, -1) else ints("output_size")
        indices = mc.tensor(g["indices"])
        window = [ints(key) for key in ("kernel_size", "stride", "padding")]
        return lambda x: F.max_unpool2d(x, indices, *window, output_size=size)
    window = dict(
        kernel_size=ints("kernel_size"),
        stride=ints("stride"),
        padding=ints("padding"),
        ceil_mode=bool(g["ceil_mode"][0]),
    )
    if name.startswith("max_"):
        dilation = ints("dilation") if "dilation" in g else 1
        return lambda x: F.max_pool2d(x, dilation=dilation, return_indices=True, **window)
    return lambda x: F.avg_pool2d(x, count_include_pad=bool(g["count_include_pad"][0]), **window)


def case(golden, name):
    return {k.split("/")[1]: v for k, v in golden("pool").items() if k.startswith(name + "/")}


def indices_of(x, kernel_size, stride=None, padding=0):
    """A max pool's indices of a no-tie ``x``: what max_unpool2d takes."""
    return F.max_pool2d(mc.tensor(x), kernel_size, stride, padding, return_indices=True)[1]


_POOLED = np.random.default_rng(2023).permutation(48).reshape(1, 2, 4, 6) * 0.1


_NOWHERE = mc.zeros(1, 2, 1, 1, dtype=mc.int64)  # indices into an unpooled plane of no cells


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
    "max_indices_pad_ceil": (
        lambda x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True, return_indices=True)[0],
        (2, 1, 4, 5),
    ),
    "adaptive_max_7_to_3": (lambda x: F.adaptive_max_pool2d(x, 3), (1, 2, 7, 5)),
    "adaptive_max_up": (lambda x: F.adaptive_max_pool2d(x, (5, 2), return_indices=True)[0], (1, 1, 3, 4)),
    "adaptive_max_none": (lambda x: F.adaptive_max_pool2d(x, (2, None)), (2, 1, 5, 5)),
    # windows side by side: no two values land on one cell (where the last write stays, and
    # PyTorch's gradient, which each of them gets, is not the derivative)
    "unpool_k2": (lambda x: F.max_unpool2d(x, indices_of(_POOLED, 2), 2), (1, 2, 2, 3)),
    "adaptive_to_nothing": (lambda x: F.adaptive_avg_pool2d(x, (0, 2)), (1, 2, 3, 4)),
    "adaptive_max_to_nothing": (lambda x: F.adaptive_max_pool2d(x, (3, 0)), (1, 2, 3, 4)),
    "unpool_to_nothing": (lambda x: F.max_unpool2d(x, _NOWHERE, 2, 1, 1), (1, 2, 1, 1)),
    "unpool_pad_sized": (
        lambda x: F.max_unpool2d(
            x, indices_of(_POOLED, (2, 3), (2, 3), (1, 1)), (2, 3), (2, 3), (1, 1), (4, 6)
        ),
        (1, 2, 3, 2),
    ),
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
    g = case(golden, name)
    x = t(g["x"], True)
    with mc.use_kernels(tier):
        y, indices = pooled(pool_call(name, g)(x))
        y.backward(g["gy"])
    np.testing.assert_allclose(y.numpy(), g["y"], rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), g["gx"], rtol=1e-7, atol=1e-12)
    if indices is not None:
        assert indices.dtype == np.int64 and not indices.requires_grad
        np.testing.assert_array_equal(indices.numpy(), g["indices"])


@pytest.mark.parametrize(
    "name",
    [
        "max_pad1_ceil",
        "max_dil2_k3_s2_pad1_ceil",
        "avg_pad1_ceil_without_pad",
        "adaptive_6x9_to_4x2",
        "adaptivemax_6x9_to_4x2",
        "unpool_pad1_sized",
    ],
)
def test_float32_stays_float32(golden, name, t):
    g = case(golden, name)
    x = t(g["x"], True, np.float32)
    y, _ = pooled(pool_call(name, g)(x))
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
    "adaptive_max": lambda x: F.adaptive_max_pool2d(x, (4, 3)),
    "unpool": lambda x: F.max_unpool2d(
        x, indices_of(np.arange(2 * 3 * 12 * 14.0).reshape(2, 3, 12, 14), 2), 2
    ),
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


def test_index_modules_repr_and_forward_as_pytorch(rng, t, distinct):
    assert (
        repr(nn.MaxPool2d(2, return_indices=True))
        == "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    )
    assert repr(nn.MaxUnpool2d(2)) == "MaxUnpool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))"
    assert (
        repr(nn.MaxUnpool2d((2, 3), stride=1, padding=1))
        == "MaxUnpool2d(kernel_size=(2, 3), stride=(1, 1), padding=(1, 1))"
    )
    assert repr(nn.AdaptiveMaxPool2d((5, None))) == "AdaptiveMaxPool2d(output_size=(5, None))"
    assert repr(nn.AdaptiveMaxPool2d(3, return_indices=True)) == "AdaptiveMaxPool2d(output_size=3)"
    x = t(distinct(rng, (2, 3, 7, 9), spacing=0.05))
    pool, unpool = nn.MaxPool2d(2, return_indices=True), nn.MaxUnpool2d(2)
    y, indices = pool(x)
    back = unpool(y, indices, output_size=x.shape)  # (N, C, H, W), as PyTorch takes
    assert back.shape == x.shape
    even = t(distinct(rng, (1, 2, 6, 8), spacing=0.05))
    assert unpool(*pool(even)).shape == (1, 2, 6, 8)  # the formula's size by default
    np.testing.assert_array_equal(back.numpy(), F.max_unpool2d(y, indices, 2, output_size=(7, 9)).numpy())
    assert nn.AdaptiveMaxPool2d((2, None))(x).shape == (2, 3, 2, 9)
    ya, ia = nn.AdaptiveMaxPool2d(3, return_indices=True)(x)
    np.testing.assert_array_equal(ia.numpy(), F.adaptive_max_pool2d(x, 3, True)[1].numpy())
    assert [list(m.parameters()) for m in (pool, unpool, nn.AdaptiveMaxPool2d(1))] == [[], [], []]


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


@pytest.mark.parametrize("tier", TIERS)
def test_infinite_gradients_routed_to_one_maximum_give_nan_silently(tier, t):
    """Overlapping windows share a maximum and add their gy there: inf + (-inf) is NaN, as in
    PyTorch, on every tier, without NumPy's warning."""
    x = t([[[[0.0, 1.0, 0.0]]]], True)
    with mc.use_kernels(tier), warnings.catch_warnings():
        warnings.simplefilter("error")
        y, _ = F.max_pool2d_with_indices(x, (1, 2), 1)
        y.backward(np.array([[[[np.inf, -np.inf]]]]))
    np.testing.assert_array_equal(x.grad.numpy(), [[[[0.0, np.nan, 0.0]]]])


def test_max_pool2d_with_indices_always_gives_the_indices(rng, t, distinct):
    """PyTorch's alias: max_pool2d(..., return_indices=True), whatever its return_indices says,
    one image too; its errors name it."""
    x = t(distinct(rng, (2, 3, 6, 5), spacing=0.05))
    want_y, want_i = F.max_pool2d(x, 3, 2, 1, return_indices=True)
    for got_y, got_i in (
        F.max_pool2d_with_indices(x, 3, 2, 1),
        F.max_pool2d_with_indices(x, 3, 2, 1, return_indices=False),
    ):
        np.testing.assert_array_equal(got_y.numpy(), want_y.numpy())
        np.testing.assert_array_equal(got_i.numpy(), want_i.numpy())
    y, indices = F.max_pool2d_with_indices(x[0], 2)
    assert y.shape == indices.shape == (3, 3, 2)
    with pytest.raises(ValueError, match=r"^max_pool2d_with_indices: the 7-wide window is larger"):
        F.max_pool2d_with_indices(x, 7)
