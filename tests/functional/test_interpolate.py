"""interpolate ("nearest", "nearest-exact", "bilinear", "bicubic" on 4-D input) and the Upsample layers
(signals, and "area": test_interpolate_1d.py):
PyTorch's numbers in float64 and float32, the xp code equal to the plain loops of
kernels/reference_interpolate.py, gradients, what the gradient sums to, and PyTorch's
refusals."""

import warnings
from fractions import Fraction

import numpy as np
import pytest
from fixtures.gen_interpolate import CASES, GRADIENT_IS_A_COPY
from interpolate_helpers import source_scales

import minicnn as mc
import minicnn.functional as F
from minicnn import nn
from minicnn.functional.interpolate import fused_coordinate
from minicnn.kernels import reference_interpolate as reference

# float64 against PyTorch's float64; float32 against its float32, where sums differ in the last bits
TOLERANCE = {"float64": dict(rtol=1e-12, atol=1e-12), "float32": dict(rtol=1e-5, atol=1e-6)}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_pytorch(golden, name, dtype):
    g, key = golden("interpolate"), f"{name}.{dtype}"
    x = mc.tensor(g[f"{key}.x"], requires_grad=True)
    y = F.interpolate(x, **CASES[name][1])
    y.backward(mc.tensor(g[f"{key}.gy"]))
    assert y.dtype == dtype and x.grad.dtype == dtype and y.shape == g[f"{key}.y"].shape
    if not name.startswith(("bilinear", "bicubic")):  # a copy of the cells PyTorch picks, exactly
        np.testing.assert_array_equal(y.numpy(), g[f"{key}.y"])
    np.testing.assert_allclose(y.numpy(), g[f"{key}.y"], **TOLERANCE[dtype], err_msg="y")
    if name not in GRADIENT_IS_A_COPY:  # see test_interpolate_bicubic.py
        np.testing.assert_allclose(x.grad.numpy(), g[f"{key}.gx"], **TOLERANCE[dtype], err_msg="gx")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(CASES))
def test_equals_the_plain_loops(name, dtype, rng):
    """Same dtype, two implementations: the forward picks the same cells with the same weights
    (equal to the last bit); the gradient sums them in another order."""
    shape, kwargs = CASES[name]
    x = rng.standard_normal(shape).astype(dtype)
    xt = mc.tensor(x, requires_grad=True)
    y = F.interpolate(xt, **kwargs)
    gy = rng.standard_normal(y.shape).astype(dtype)
    y.backward(gy)
    mode, corners = kwargs.get("mode", "nearest"), bool(kwargs.get("align_corners"))
    want_y = reference.interpolate_forward(x, y.shape[2:], source_scales(kwargs), mode, corners)
    want_gx = reference.interpolate_input_grad(gy, x.shape, source_scales(kwargs), mode, corners)
    assert want_y.dtype == want_gx.dtype == dtype
    np.testing.assert_array_equal(y.numpy(), want_y)
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(xt.grad.numpy(), want_gx, rtol=rtol, atol=rtol * np.abs(want_gx).max())


@pytest.mark.parametrize(
    "name",
    [
        "nearest_size_up",
        "nearest_scale_1_7",
        "exact_size_down",
        "bilinear_size_up",
        "bilinear_size_down_corners",
        "bilinear_scale_pair",
        "bilinear_same_size_scale",
        "bicubic_size_up_corners",
        "bicubic_scale_pair",
        "bicubic_from_two_pixels",
        "bicubic_same_size_scale",
    ],
)
def test_gradcheck(name, rng, t):
    shape, kwargs = CASES[name]
    assert mc.gradcheck(lambda x: F.interpolate(x, **kwargs), [t(rng.standard_normal(shape), True)])


@pytest.mark.parametrize(
    "mode, corners",
    [
        ("nearest", None),
        ("nearest-exact", None),
        ("bilinear", False),
        ("bilinear", True),
        ("bicubic", False),
        ("bicubic", True),
    ],
)
@pytest.mark.parametrize("size", [(9, 4), (2, 11), (5, 7)])
def test_each_output_sends_all_its_gradient_to_its_source_pixels(mode, corners, size, rng, t):
    """Each output's weights sum to 1, so the input gradient of a batch sums to gy's sum: nothing
    is lost and nothing made, whatever the upsampling or downsampling."""
    x = t(rng.standard_normal((2, 3, 5, 7)), True)
    gy = rng.standard_normal((2, 3, *size))
    F.interpolate(x, size=size, mode=mode, align_corners=corners).backward(gy)
    np.testing.assert_allclose(x.grad.numpy().sum(axis=(2, 3)), gy.sum(axis=(2, 3)), rtol=1e-12)


def test_the_four_neighbours_of_bilinear(t):
    """Upsampling x2 (align_corners=False) reads at (i + 0.5)/2 - 0.5: weights 3/4 and 1/4."""
    x = t([[[[0.0, 4.0], [8.0, 12.0]]]], True)
    y = F.interpolate(x, scale_factor=2, mode="bilinear")
    np.testing.assert_array_equal(y.numpy()[0, 0, 0], [0.0, 1.0, 3.0, 4.0])
    np.testing.assert_array_equal(y.numpy()[0, 0, :, 0], [0.0, 2.0, 6.0, 8.0])
    gy = np.zeros((1, 1, 4, 4))
    gy[0, 0, 1, 1] = 1.0
    y.backward(gy)
    # y[1, 1] reads 3/4 * 3/4 of x[0, 0], 3/4 * 1/4 of x[0, 1] and x[1, 0], 1/16 of x[1, 1]
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], [[9 / 16, 3 / 16], [3 / 16, 1 / 16]])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(
    "name", ["bilinear_ramp_weights", "bilinear_ramp_weights_scale", "bilinear_inf_tiny_weight"]
)
def test_bilinear_weights_are_pytorchs_to_the_last_bit(golden, name, dtype):
    """On the ramp [0, 1] each output is its weight itself: s = (i + 1/2) r - 1/2 rounded once,
    as PyTorch's fused multiply-add rounds it. Rounded twice, row 1 of the third case would
    read its infinite pixel with a weight of 0 (NaN) where PyTorch's 1.5e-8 gives inf."""
    g, key = golden("interpolate"), f"{name}.{dtype}"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # 0 * inf: NaN, without NumPy's warning
        y = F.interpolate(mc.tensor(g[f"{key}.x"]), **CASES[name][1])
    np.testing.assert_array_equal(y.numpy(), g[f"{key}.y"])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_bilinear_coordinate_is_rounded_once_from_its_exact_value(dtype, rng):
    for r in rng.uniform(0.01, 10, 20).astype(dtype):
        want = [dtype(Fraction(float(r)) * (2 * i + 1) / 2 - Fraction(1, 2)) for i in range(60)]
        got = fused_coordinate(r, 60)
        assert got.dtype == dtype
        np.testing.assert_array_equal(got, want)


def test_infinite_gradients_summed_onto_one_pixel_give_nan_silently(t):
    """Nearest x2 sends each pixel the sum of the four outputs that copied it: inf + (-inf) is
    NaN, as in PyTorch, and NumPy's warning stays inside."""
    x = t(np.ones((1, 1, 2, 2)), True)
    gy = np.ones((1, 1, 4, 4))
    gy[0, 0, 0, :2] = [np.inf, -np.inf]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.interpolate(x, scale_factor=2).backward(gy)
        F.interpolate(x, size=(3, 5), mode="bilinear").backward(np.full((1, 1, 3, 5), np.inf))
    assert np.isnan(x.grad.numpy()[0, 0, 0, 0])


def test_nearest_and_nearest_exact_pick_different_cells(t):
    x = t(np.arange(3.0).reshape(1, 1, 1, 3))
    assert F.interpolate(x, size=(1, 2)).tolist() == [[[[0.0, 1.0]]]]  # floor(i * 1.5)
    assert F.interpolate(x, size=(1, 2), mode="nearest-exact").tolist() == [
        [[[0.0, 2.0]]]
    ]  # floor((i + .5) 1.5)


def test_align_corners_keeps_the_corner_pixels(rng, t):
    x = rng.standard_normal((1, 2, 4, 5))
    y = F.interpolate(t(x), size=(7, 9), mode="bilinear", align_corners=True).numpy()
    # s = i (n - 1)/(m - 1) = i / 2 on both axes: every other output is a cell of x, corners included
    np.testing.assert_allclose(y[..., ::2, ::2], x, rtol=1e-12)
    np.testing.assert_allclose(y[..., 1, 1], x[..., :2, :2].mean(axis=(-2, -1)), rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_empty_batch_and_dtype(dtype):
    x = mc.tensor(np.zeros((0, 2, 3, 4), dtype=dtype), requires_grad=True)
    y = F.interpolate(x, scale_factor=2, mode="bilinear")
    assert y.shape == (0, 2, 6, 8) and y.dtype == dtype
    y.sum().backward()
    assert x.grad.shape == (0, 2, 3, 4) and x.grad.dtype == dtype


def test_recompute_scale_factor_uses_the_output_size(t):
    """Without it, nearest reads floor(i / 1.7); with it, floor(i * 5 / 8) of the 8 = int(5 * 1.7) rows."""
    x = t(np.arange(5.0).reshape(1, 1, 5, 1))
    given = F.interpolate(x, scale_factor=(1.7, 1.0)).numpy().ravel()
    recomputed = F.interpolate(x, scale_factor=(1.7, 1.0), recompute_scale_factor=True).numpy().ravel()
    np.testing.assert_array_equal(given, np.minimum(np.floor(np.arange(8) / 1.7), 4))
    np.testing.assert_array_equal(recomputed, np.floor(np.arange(8) * 5 / 8))
    assert not np.array_equal(given, recomputed)


# --- modules -------------------------------------------------------------------------------


def test_modules_match_the_function(rng, t):
    x = t(rng.standard_normal((2, 3, 4, 5)), True)
    pairs = [
        (nn.Upsample(scale_factor=2), dict(scale_factor=2)),
        (nn.Upsample(size=(7, 3), mode="nearest-exact"), dict(size=(7, 3), mode="nearest-exact")),
        (nn.Upsample(scale_factor=1.5, mode="bilinear"), dict(scale_factor=1.5, mode="bilinear")),
        (
            nn.Upsample(scale_factor=1.7, mode="bilinear", align_corners=True, recompute_scale_factor=True),
            dict(scale_factor=1.7, mode="bilinear", align_corners=True, recompute_scale_factor=True),
        ),
        (nn.UpsamplingNearest2d(scale_factor=(2, 3)), dict(scale_factor=(2, 3))),
        (nn.UpsamplingBilinear2d(size=6), dict(size=6, mode="bilinear", align_corners=True)),
        (nn.Upsample(size=(7, 3), mode="bicubic"), dict(size=(7, 3), mode="bicubic")),
        (
            nn.Upsample(scale_factor=1.5, mode="bicubic", align_corners=True),
            dict(scale_factor=1.5, mode="bicubic", align_corners=True),
        ),
    ]
    for module, kwargs in pairs:
        np.testing.assert_array_equal(
            module(x).numpy(), F.interpolate(x, **kwargs).numpy(), err_msg=repr(module)
        )
    assert mc.gradcheck(nn.UpsamplingBilinear2d(scale_factor=1.5), [x])


@pytest.mark.parametrize(
    "layer, text",  # torch 2.13's reprs
    [
        (nn.Upsample(scale_factor=2), "Upsample(scale_factor=2.0, mode='nearest')"),
        (nn.Upsample(size=(4, 5), mode="bilinear"), "Upsample(size=(4, 5), mode='bilinear')"),
        (nn.Upsample(size=3, mode="nearest-exact"), "Upsample(size=3, mode='nearest-exact')"),
        (nn.Upsample(scale_factor=(2, 1.5)), "Upsample(scale_factor=(2.0, 1.5), mode='nearest')"),
        (nn.UpsamplingNearest2d(scale_factor=2), "UpsamplingNearest2d(scale_factor=2.0, mode='nearest')"),
        (nn.UpsamplingBilinear2d(size=(4, 5)), "UpsamplingBilinear2d(size=(4, 5), mode='bilinear')"),
        (nn.Upsample(scale_factor=2, mode="bicubic"), "Upsample(scale_factor=2.0, mode='bicubic')"),
    ],
    ids=str,
)
def test_repr_as_pytorch(layer, text):
    assert repr(layer) == text


def test_layers_keep_pytorchs_attributes():
    up = nn.UpsamplingBilinear2d(scale_factor=2)
    assert (up.mode, up.align_corners, up.scale_factor, up.size) == ("bilinear", True, 2.0, None)
    assert isinstance(up, nn.Upsample) and isinstance(up.scale_factor, float)
    assert nn.Upsample(size=3, scale_factor=0).scale_factor is None  # PyTorch's: a factor of 0 is none


def test_a_layer_names_itself_in_errors(rng):
    model = nn.Sequential(nn.Upsample(size=(0, 2)))
    with pytest.raises(ValueError, match=r"Upsample at '0': input and output sizes should be greater than 0"):
        model(mc.tensor(rng.standard_normal((1, 2, 3, 3))))


# --- bad input: PyTorch's refusals, before any arithmetic ----------------------------------

X = mc.zeros(1, 2, 4, 4)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: F.interpolate(X), ValueError, "either size or scale_factor should be defined"),
        (lambda: F.interpolate(X, 2, 2), ValueError, "only one of size or scale_factor should be defined"),
        (lambda: F.interpolate(X, 2, align_corners=False), ValueError, "align_corners can only be set with"),
        (
            lambda: F.interpolate(X, 2, mode="nearest-exact", align_corners=True),
            ValueError,
            "align_corners can only be set with",
        ),
        (
            lambda: F.interpolate(X, 2, mode="bilinear", align_corners=1),
            TypeError,
            "align_corners must be True",
        ),
        (
            lambda: F.interpolate(X, 2, recompute_scale_factor=True),
            ValueError,
            "not meaningful with an explicit size",
        ),
        (lambda: F.interpolate(X, [2]), ValueError, r"size must give the 2 sizes \(H_out, W_out\)"),
        (lambda: F.interpolate(X, (2, 2, 2)), ValueError, "size must give the 2 sizes"),
        (
            lambda: F.interpolate(X, (3.0, 3)),
            TypeError,
            r"size must be an int or a pair of ints, got \(3.0, 3\)",
        ),
        (lambda: F.interpolate(X, 3.0), TypeError, "size must be an int or a pair of ints, got 3.0"),
        (lambda: F.interpolate(X, True), TypeError, "size must be an int or a pair of ints, got True"),
        (
            lambda: F.interpolate(X, scale_factor=[2]),
            ValueError,
            "scale_factor must give the 2 spatial factors",
        ),
        (lambda: F.interpolate(X, scale_factor="2"), TypeError, "scale_factor must be a number or a pair"),
        (lambda: F.interpolate(X, scale_factor=float("nan")), ValueError, "scale_factor must be finite"),
        (lambda: F.interpolate(X, scale_factor=(2, float("inf"))), ValueError, "scale_factor must be finite"),
        (lambda: F.interpolate(X, 0), ValueError, r"output \(H: 0, W: 0\)"),
        (
            lambda: F.interpolate(X, (3, -1)),
            ValueError,
            r"greater than 0, but got input \(H: 4, W: 4\) output \(H: 3, W: -1\)",
        ),
        (lambda: F.interpolate(X, scale_factor=0.2), ValueError, r"output \(H: 0, W: 0\)"),
        (lambda: F.interpolate(X, scale_factor=-1), ValueError, r"output \(H: -4, W: -4\)"),
        (lambda: F.interpolate(mc.zeros(1, 2, 0, 4), 3), ValueError, r"input \(H: 0, W: 4\)"),
        (
            lambda: F.interpolate(mc.zeros(1, 0, 2, 2), 3),
            ValueError,
            r"at least one channel, got shape \(1, 0, 2, 2\)",
        ),
        (lambda: F.interpolate(X, 2, antialias=True), ValueError, "antialias is restricted to bilinear"),
        (
            lambda: F.interpolate(X, 2, mode="lanczos"),
            NotImplementedError,
            "mode 'lanczos' is not implemented",
        ),
        (lambda: F.interpolate(X, 2, mode="foo"), ValueError, "mode must be one of"),
        (lambda: F.interpolate(X, 2, mode=None), ValueError, "mode must be one of"),
        (
            lambda: F.interpolate(mc.zeros(1, 4, 4), 2, mode="bilinear"),
            NotImplementedError,
            "mode 'bilinear' needs 4-D input",
        ),
        (
            lambda: F.interpolate(mc.zeros(1, 1, 2, 2, 2), 2),
            NotImplementedError,
            r"expected 3-D input \(N, C, L\) or 4-D input \(N, C, H, W\), got shape \(1, 1, 2, 2, 2\)",
        ),
        (lambda: F.interpolate(mc.zeros(1, 1, 2, 2, dtype=mc.int64), 3), TypeError, "floating-point"),
        (
            lambda: F.interpolate(np.zeros((1, 1, 2, 2)), 3),
            TypeError,
            "interpolate: input must be a minicnn Tensor",
        ),
        (lambda: nn.Upsample(), ValueError, "Upsample: either size or scale_factor"),
        (lambda: nn.Upsample(2, 2), ValueError, "Upsample: only one of size or scale_factor"),
        (
            lambda: nn.Upsample(scale_factor=[2, 2]),
            TypeError,
            r"Upsample: scale_factor must be a number or a tuple",
        ),
        (
            lambda: nn.Upsample(scale_factor=(2, "x")),
            TypeError,
            r"Upsample: scale_factor must be a number or a tuple",
        ),
        (lambda: nn.Upsample(2, align_corners=True), ValueError, "Upsample: align_corners can only be set"),
        (lambda: nn.Upsample(2, mode="trilinear"), NotImplementedError, "Upsample: mode 'trilinear'"),
        (lambda: nn.UpsamplingBilinear2d(), ValueError, "UpsamplingBilinear2d: either size or scale_factor"),
    ],
)
def test_bad_input_is_refused(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_sizes_pytorch_takes(t):
    """NumPy integers, 0-d integer tensors and lists for size; ints and NumPy floats for scale_factor."""
    x = t(np.zeros((1, 1, 2, 3)))
    assert F.interpolate(x, np.int64(3)).shape == (1, 1, 3, 3)
    assert F.interpolate(x, [mc.tensor(4), 5]).shape == (1, 1, 4, 5)
    assert F.interpolate(x, scale_factor=[np.float32(2.5), 1]).shape == (1, 1, 5, 3)
