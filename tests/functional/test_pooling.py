"""max_pool2d (and its indices), avg_pool2d, adaptive_avg_pool2d, adaptive_max_pool2d,
max_unpool2d and their Modules: gradients, PyTorch's numbers on every tier, odd layouts,
bad input."""

import pathlib
import warnings

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


def pooled(out):
    """(y, indices) of a pool's result, indices None where it gives y alone."""
    return out if isinstance(out, tuple) else (out, None)


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


# --- indices and unpooling --------------------------------------------------


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize(
    "window", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1), dict(kernel_size=(2, 3))]
)
def test_unpooling_the_pool_keeps_the_maxima_in_place_and_zeros_elsewhere(window, tier, rng, t, distinct):
    x = distinct(rng, (2, 3, 6, 9), spacing=0.05) + 100.0  # no maximum is 0
    with mc.use_kernels(tier):
        y, indices = F.max_pool2d(t(x), return_indices=True, **window)
        back = F.max_unpool2d(y, indices, output_size=x.shape[2:], **window).numpy()
    kept = back != 0
    np.testing.assert_array_equal(back[kept], x[kept])  # each maximum where it was
    planes = x.reshape(6, -1)
    want = np.zeros_like(planes)
    rows = np.arange(6)[:, None]
    want[rows, indices.numpy().reshape(6, -1)] = planes[rows, indices.numpy().reshape(6, -1)]
    np.testing.assert_array_equal(back, want.reshape(x.shape))
    # every window's maximum survives, and nothing else: as many cells as distinct indices
    assert kept.sum() == sum(len(np.unique(p)) for p in indices.numpy().reshape(6, -1))
    np.testing.assert_array_equal(np.sort(back[kept]), np.sort(np.unique(y.numpy())))


def test_indices_are_flat_positions_in_each_input_plane_as_pytorch(t):
    x = t(np.arange(32.0).reshape(1, 2, 4, 4)[:, :, ::-1, ::-1].copy())  # maxima top-left of windows
    y, indices = F.max_pool2d(x, 2, return_indices=True)
    np.testing.assert_array_equal(indices.numpy()[0, 0], [[0, 2], [8, 10]])
    np.testing.assert_array_equal(indices.numpy()[0, 1], [[0, 2], [8, 10]])  # per plane, not global
    np.testing.assert_array_equal(y.numpy().reshape(2, 4), x.numpy().reshape(2, 16)[:, [0, 2, 8, 10]])


def test_ties_go_to_the_first_maximum_and_the_gradient_with_them(t):
    x = t([[[[1.0, 3.0, 3.0], [3.0, 0.0, 3.0], [3.0, 3.0, 3.0]]]], True)
    y, indices = F.max_pool2d(x, 2, 1, return_indices=True)
    assert indices.numpy().ravel().tolist() == [1, 1, 3, 5]  # two windows share the first 3
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], [[0, 2, 0], [1, 0, 1], [0, 0, 0]])
    ya, ia = F.adaptive_max_pool2d(x, (1, 2), return_indices=True)  # columns 0-1 and 1-2
    assert ia.numpy().ravel().tolist() == [1, 1] and ya.numpy().ravel().tolist() == [3.0, 3.0]


def test_indices_are_the_callers_own_and_do_not_move_the_gradient(rng, t, distinct):
    x = t(distinct(rng, (1, 2, 4, 4)), True)
    y, indices = F.max_pool2d(x, 2, return_indices=True)
    want = indices.numpy().copy()
    with mc.no_grad():
        indices.zero_()
    y.backward(np.ones(y.shape))
    grad_cells = np.flatnonzero(x.grad.numpy().reshape(2, 16)[0])
    np.testing.assert_array_equal(grad_cells, np.sort(want[0, 0].ravel()))


def test_unpool_indices_changed_after_the_forward_refuse_its_backward(rng, t):
    x = t(rng.standard_normal((1, 1, 2, 2)), True)
    indices = mc.tensor(np.array([[[[0, 3], [8, 15]]]]))
    y = F.max_unpool2d(x, indices, 2)
    with mc.no_grad():
        indices.add_(1)
    with pytest.raises(RuntimeError, match=r"input 1 of MaxUnpool2d was changed in place"):
        y.sum().backward()


def test_unpool_gradient_reads_gy_at_each_index_even_where_two_coincide(t):
    x = t([[[[2.0, 5.0]]]], True)
    y = F.max_unpool2d(x, mc.tensor(np.array([[[[1, 1]]]])), 1)
    assert y.numpy().ravel().tolist() == [0.0, 5.0]  # the last write stays
    y.backward(np.array([[[[10.0, 7.0]]]]))
    assert x.grad.numpy().ravel().tolist() == [7.0, 7.0]  # PyTorch's: both read gy there


def test_a_signal_sent_back_through_overlapping_pools_sums_in_the_backward_not_in_unpool(rng, t):
    """What the unpooling docs say of a deconvnet: at a switch that several windows share,
    max_unpool2d keeps one window's value and max pooling's backward adds them all."""
    plane = rng.uniform(0, 1, (5, 5))
    plane[2, 2] = 9.0  # the maximum of all four 3x3 windows at stride 2
    x = t(plane[None, None], True)
    y, indices = F.max_pool2d(x, 3, 2, return_indices=True)
    assert indices.numpy().ravel().tolist() == [12, 12, 12, 12]
    signal = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    unpooled = F.max_unpool2d(t(signal), indices, 3, 2)
    assert unpooled.numpy()[0, 0, 2, 2] == 4.0  # the last write
    y.backward(signal)
    assert x.grad.numpy()[0, 0, 2, 2] == 10.0  # the sum
    assert np.count_nonzero(x.grad.numpy()) == np.count_nonzero(unpooled.numpy()) == 1


def test_return_indices_under_no_grad_and_for_one_image(rng, t, distinct):
    x = t(distinct(rng, (3, 6, 7)))
    with mc.no_grad():
        y, indices = F.max_pool2d(x, 3, 2, return_indices=True)
    assert y.shape == indices.shape == (3, 2, 3) and indices.dtype == np.int64
    batch_y, batch_indices = F.max_pool2d(mc.tensor(x.numpy()[None]), 3, 2, return_indices=True)
    np.testing.assert_array_equal(indices.numpy(), batch_indices.numpy()[0])
    ya, ia = F.adaptive_max_pool2d(x, 4, return_indices=True)
    assert ya.shape == ia.shape == (3, 4, 4)
    back = F.max_unpool2d(y, indices, 3, 2, output_size=(6, 7))
    assert back.shape == (3, 6, 7)
    np.testing.assert_array_equal(
        back.numpy(), F.max_unpool2d(batch_y, batch_indices, 3, 2, output_size=(6, 7)).numpy()[0]
    )


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


# --- bad input --------------------------------------------------------------


def _x(*shape, dtype=np.float64):
    return mc.Tensor(np.ones(shape, dtype=dtype))


def _i(*shape, dtype=np.int64, fill=0):
    return mc.Tensor(np.full(shape, fill, dtype=dtype))


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
    "max_dilation_zero": (
        lambda: F.max_pool2d(_x(1, 1, 4, 4), 2, 2, 0, 0),
        ValueError,
        r"max_pool2d: dilation must be at least 1, got \(0, 0\)$",
    ),
    "adaptive_max_2d": (
        lambda: F.adaptive_max_pool2d(_x(5, 5), 2),
        ValueError,
        r"adaptive_max_pool2d: expected x of shape \(N, C, H, W\) or \(C, H, W\), got shape \(5, 5\)",
    ),
    "adaptive_max_negative": (
        lambda: F.adaptive_max_pool2d(_x(1, 1, 4, 4), (2, -1)),
        ValueError,
        r"adaptive_max_pool2d: output_size must be non-negative, got \(2, -1\)$",
    ),
    "adaptive_max_integer_input": (
        lambda: F.adaptive_max_pool2d(_x(1, 1, 4, 4, dtype=np.int32), 2),
        TypeError,
        r"adaptive_max_pool2d: x must be a floating-point tensor, got dtype int32",
    ),
    "unpool_2d": (
        lambda: F.max_unpool2d(_x(2, 2), _i(2, 2), 2),
        ValueError,
        r"max_unpool2d: expected x of shape \(N, C, H, W\) or \(C, H, W\), got shape \(2, 2\)",
    ),
    "unpool_indices_int32": (
        lambda: F.max_unpool2d(_x(1, 1, 2, 2), _i(1, 1, 2, 2, dtype=np.int32), 2),
        TypeError,
        r"max_unpool2d: indices must be an int64 tensor \(as max_pool2d gives\), got int32$",
    ),
    "unpool_indices_float": (
        lambda: F.max_unpool2d(_x(1, 1, 2, 2), _x(1, 1, 2, 2), 2),
        TypeError,
        r"max_unpool2d: indices must be an int64 tensor \(as max_pool2d gives\), got float64$",
    ),
    "unpool_indices_array": (
        lambda: F.max_unpool2d(_x(1, 1, 2, 2), np.zeros((1, 1, 2, 2), dtype=np.int64), 2),
        TypeError,
        r"max_unpool2d: indices must be a minicnn Tensor, got numpy.ndarray",
    ),
    "unpool_indices_shape": (
        lambda: F.max_unpool2d(_x(1, 1, 2, 2), _i(1, 1, 2, 1), 2),
        ValueError,
        r"max_unpool2d: indices must have x's shape \(1, 1, 2, 2\), got \(1, 1, 2, 1\)$",
    ),
    "unpool_index_too_large": (
        lambda: F.max_unpool2d(_x(1, 1, 2, 2), _i(1, 1, 2, 2, fill=16), 2),
        IndexError,
        r"max_unpool2d: index 16 is outside the 4 x 4 output plane \(0 to 15\)$",
    ),
    "unpool_index_negative": (
        lambda: F.max_unpool2d(_x(1, 1, 2, 2), _i(1, 1, 2, 2, fill=-1), 2, output_size=(5, 3)),
        IndexError,
        r"max_unpool2d: index -1 is outside the 5 x 3 output plane \(0 to 14\)$",
    ),
    "unpool_output_size_too_large": (
        lambda: F.max_unpool2d(_x(1, 1, 4, 4), _i(1, 1, 4, 4), 2, output_size=(10, 8)),
        ValueError,
        r"max_unpool2d: output_size \(10, 8\) disagrees with the pooled height 4: "
        r"\(4 - 1\)\*2 - 2\*0 \+ 2 = 8, so height must be between 6 and 10 \(exclusive\), got 10$",
    ),
    "unpool_output_size_width": (
        lambda: F.max_unpool2d(_x(1, 1, 3, 3), _i(1, 1, 3, 3), 3, 2, 1, output_size=(1, 1, 5, 2)),
        ValueError,
        r"max_unpool2d: output_size \(1, 1, 5, 2\) disagrees with the pooled width 3: "
        r"\(3 - 1\)\*2 - 2\*1 \+ 3 = 5, so width must be between 3 and 7 \(exclusive\), got 2$",
    ),
    "unpool_output_size_length": (
        lambda: F.max_unpool2d(_x(1, 1, 2, 2), _i(1, 1, 2, 2), 2, output_size=(1, 4, 4)),
        ValueError,
        r"max_unpool2d: output_size must be \(OH, OW\) or \(N, C, OH, OW\), got \(1, 4, 4\)$",
    ),
    "unpool_less_than_nothing": (
        lambda: F.max_unpool2d(_x(1, 1, 1, 1), _i(1, 1, 1, 1), 1, 1, 1),
        ValueError,
        r"max_unpool2d: the unpooled size \(H - 1\)\*stride - 2\*padding \+ kernel_size of x "
        r"\(1, 1, 1, 1\) is \(-1, -1\); it must not be negative$",
    ),
    "unpool_stride_zero": (
        lambda: F.max_unpool2d(_x(1, 1, 2, 2), _i(1, 1, 2, 2), 2, 0),
        ValueError,
        r"max_unpool2d: kernel_size and stride must be positive and padding non-negative, got "
        r"kernel_size \(2, 2\), stride \(0, 0\), padding \(0, 0\)$",
    ),
    "module_unpool_padding": (
        lambda: nn.MaxUnpool2d(2, padding=-1),
        ValueError,
        r"MaxUnpool2d: kernel_size and stride must be positive and padding non-negative, got "
        r"kernel_size \(2, 2\), stride \(2, 2\), padding \(-1, -1\)$",
    ),
    "module_unpool_names_itself": (
        lambda: nn.Sequential(nn.Identity(), nn.MaxUnpool2d(2))[1](_x(1, 1, 2, 2), _i(1, 1, 2, 2, fill=16)),
        IndexError,
        r"MaxUnpool2d at '1': index 16 is outside the 4 x 4 output plane",
    ),
    "module_adaptive_max_output_size": (
        lambda: nn.AdaptiveMaxPool2d((2, 2, 2)),
        TypeError,
        r"AdaptiveMaxPool2d: output_size must be an int or a pair of ints, got \(2, 2, 2\)",
    ),
    "integer_input": (
        lambda: F.max_pool2d(_x(1, 1, 4, 4, dtype=np.int64), 2),
        TypeError,
        r"max_pool2d: x must be a floating-point tensor, got dtype int64",
    ),
    "adaptive_negative": (
        lambda: F.adaptive_avg_pool2d(_x(1, 1, 4, 4), (-1, 2)),
        ValueError,
        r"adaptive_avg_pool2d: output_size must be non-negative, got \(-1, 2\)$",
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
    "module_dilation_negative": (
        lambda: nn.MaxPool2d(2, dilation=(1, -1)),
        ValueError,
        r"MaxPool2d: dilation must be at least 1, got \(1, -1\)$",
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
        r"AdaptiveAvgPool2d: output_size must be non-negative, got -1$",
    ),
    "module_names_itself": (
        lambda: nn.Sequential(nn.Identity(), nn.MaxPool2d(5))(_x(1, 1, 4, 4)),
        ValueError,
        r"MaxPool2d at '1': the 5-wide window is larger",
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
        lambda x: F.adaptive_max_pool2d(x, (2, 3)),
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


def test_max_unpool2d_of_an_empty_batch_is_an_empty_batch_and_its_gradient_too():
    x = mc.randn(2, 3, 6, 6, seed=61)
    y, indices = F.max_pool2d(x, 2, return_indices=True)
    empty = mc.tensor(y.numpy()[:0], requires_grad=True)
    out = F.max_unpool2d(empty, mc.tensor(indices.numpy()[:0]), 2)
    assert out.shape == (0, 3, 6, 6)
    out.sum().backward()
    assert empty.grad.shape == (0, 3, 3, 3)


@pytest.mark.parametrize("name", ["adaptive_max_pool2d", "adaptive_avg_pool2d"])
def test_adaptive_pools_refuse_an_empty_plane_in_one_line(name):
    """As PyTorch's, whatever the output size: a window over nothing has no maximum nor mean."""
    for size in (2, 0):
        message = rf"^{name}: x (has an empty plane, shape|of shape) \(1, 1, 0, 4\)"
        with pytest.raises(ValueError, match=message):
            getattr(F, name)(mc.randn(1, 1, 0, 4, seed=62), size)


_NO_INDICES = mc.zeros(2, 3, 1, 1, dtype=mc.int64)


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize(
    "call, shape",
    [  # PyTorch 2.13's shapes
        (lambda x: F.adaptive_max_pool2d(x, 0, return_indices=True), (2, 3, 0, 0)),
        (lambda x: F.adaptive_max_pool2d(x, (0, None), return_indices=True), (2, 3, 0, 4)),
        (lambda x: nn.AdaptiveMaxPool2d((2, 0))(x), (2, 3, 2, 0)),
        (lambda x: F.adaptive_max_pool2d(x[0], (0, 2)), (3, 0, 2)),
        (lambda x: F.adaptive_avg_pool2d(x, (None, 0)), (2, 3, 5, 0)),
        (lambda x: nn.AdaptiveAvgPool2d(0)(x), (2, 3, 0, 0)),
        # (H - 1)*stride - 2*padding + kernel_size = 0: no cell to write into
        (lambda x: F.max_unpool2d(x[:, :, :1, :1], _NO_INDICES, 2, 1, 1), (2, 3, 0, 0)),
        (lambda x: F.max_unpool2d(x[:, :, :1, :1], _NO_INDICES + 5, 2, 1, 1, (2, 3, 0, 0)), (2, 3, 0, 0)),
        (
            lambda x: nn.MaxUnpool2d(1, 1, (1, 0))(x[:, :, :2, :2], _NO_INDICES.expand(2, 3, 2, 2)),
            (2, 3, 0, 2),
        ),
    ],
)
def test_an_output_size_of_0_gives_an_empty_output_and_a_zero_gradient(call, shape, tier):
    """PyTorch's forward gives the empty output (empty int64 indices too, and an unpooling
    reads none of its indices, which point nowhere); its backward refuses the empty gradient,
    where minicnn gives x the gradient of a sum of nothing, 0."""
    x = mc.randn(2, 3, 5, 4, seed=63, dtype=mc.float64, requires_grad=True)
    with mc.use_kernels(tier):
        y, indices = pooled(call(x))
        assert y.shape == shape and y.dtype == np.float64 and y.requires_grad
        assert indices is None or (indices.shape == shape and indices.dtype == np.int64)
        (y * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((2, 3, 5, 4)))


_POOLS = {
    "max_pool2d": lambda x: F.max_pool2d(x, 2),
    "avg_pool2d": lambda x: F.avg_pool2d(x, 2, padding=1),
    "adaptive_avg_pool2d": lambda x: F.adaptive_avg_pool2d(x, 2),
    "adaptive_max_pool2d": lambda x: F.adaptive_max_pool2d(x, 2, return_indices=True),
    "max_unpool2d": lambda x: F.max_unpool2d(x, mc.zeros(*x.shape, dtype=mc.int64), 2),
}


@pytest.mark.parametrize(
    "name, shape, out",
    [  # PyTorch 2.13's output shapes, and (None) its refusals
        ("max_pool2d", (0, 3, 4, 4), (0, 3, 2, 2)),
        ("max_pool2d", (2, 0, 4, 4), None),
        ("max_pool2d", (0, 0, 4, 4), None),
        ("max_pool2d", (0, 4, 4), None),  # (one image of no channels)
        ("avg_pool2d", (0, 3, 4, 4), (0, 3, 3, 3)),
        ("avg_pool2d", (2, 0, 4, 4), None),
        ("avg_pool2d", (2, 3, 0, 4), None),  # (its padding would give a row of windows)
        ("avg_pool2d", (0, 4, 4), None),
        ("adaptive_avg_pool2d", (0, 3, 4, 4), (0, 3, 2, 2)),
        ("adaptive_avg_pool2d", (2, 0, 4, 4), (2, 0, 2, 2)),  # (only H and W are checked)
        ("adaptive_avg_pool2d", (0, 4, 4), (0, 2, 2)),
        ("adaptive_max_pool2d", (0, 3, 4, 4), (0, 3, 2, 2)),
        ("adaptive_max_pool2d", (2, 0, 4, 4), None),
        ("adaptive_max_pool2d", (0, 0, 4, 4), None),
        ("adaptive_max_pool2d", (0, 4, 4), (0, 2, 2)),  # (PyTorch checks dims 1 on, of one image too)
        ("max_unpool2d", (0, 3, 2, 2), (0, 3, 4, 4)),
        ("max_unpool2d", (2, 0, 2, 2), None),
        ("max_unpool2d", (0, 0, 2, 2), None),
        ("max_unpool2d", (0, 2, 2), (0, 4, 4)),
    ],
)
def test_pools_take_an_empty_batch_and_refuse_empty_channels_as_pytorch(name, shape, out):
    x = mc.zeros(*shape, requires_grad=True)
    if out is None:
        with pytest.raises(
            ValueError, match=rf"^{name}: x of shape \(.*\) is empty in dim [1-3]; expected sizes"
        ):
            _POOLS[name](x)
        return
    y, _ = pooled(_POOLS[name](x))
    assert y.shape == out
    y.sum().backward()
    assert x.grad.shape == shape
