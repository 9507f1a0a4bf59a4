"""interpolate on signals (N, C, L): "nearest", "nearest-exact", "linear" and "area" (and "area"
on images): PyTorch's numbers and output lengths in float64 and float32, gradients, the 2-D op
on the row it views the signal as, nn.Upsample on signals, and PyTorch's refusals."""

import numpy as np
import pytest
from fixtures.gen_interpolate_1d import CASES, GRADIENT_AS_2D

import minicnn as mc
import minicnn.functional as F
from minicnn import nn

# float64 against PyTorch's float64; float32 against its float32, where sums differ in the last bits
TOLERANCE = {"float64": dict(rtol=1e-12, atol=1e-12), "float32": dict(rtol=1e-5, atol=1e-6)}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_pytorch(golden, name, dtype):
    g, key = golden("interpolate_1d"), f"{name}.{dtype}"
    x = mc.tensor(g[f"{key}.x"], requires_grad=True)
    y = F.interpolate(x, **CASES[name][1])
    y.backward(mc.tensor(g[f"{key}.gy"]))
    assert y.dtype == dtype and x.grad.dtype == dtype and y.shape == g[f"{key}.y"].shape
    if name.startswith(("nearest", "exact")):  # a copy of the cells PyTorch picks, exactly
        np.testing.assert_array_equal(y.numpy(), g[f"{key}.y"])
    np.testing.assert_allclose(y.numpy(), g[f"{key}.y"], **TOLERANCE[dtype], err_msg="y")
    if name not in GRADIENT_AS_2D:  # see the test below
        np.testing.assert_allclose(x.grad.numpy(), g[f"{key}.gx"], **TOLERANCE[dtype], err_msg="gx")


@pytest.mark.parametrize("name", sorted(GRADIENT_AS_2D))
def test_nearest_reads_scale_factor_and_its_gradient_is_the_transpose(golden, name):
    """4 cells at scale_factor 2.1 make 8, read by PyTorch's 1-D nearest at floor(i / 2.1) =
    0 0 0 1 1 2 2 3 (its 2-D op takes i // 2 there); its backward sends gy back as i // 2
    reads, the transpose of another forward. minicnn's gradient adds gy to the cells its
    forward read."""
    g, key = golden("interpolate_1d"), f"{name}.float64"
    x = mc.tensor(g[f"{key}.x"], requires_grad=True)
    y = F.interpolate(x, **CASES[name][1])
    np.testing.assert_array_equal(y.numpy(), g[f"{key}.y"])
    gy = g[f"{key}.gy"]
    y.backward(mc.tensor(gy))
    L, scale = x.shape[2], CASES[name][1]["scale_factor"]
    read = np.minimum(np.floor(np.arange(y.shape[2]) * np.float32(1 / scale)).astype(int), L - 1)
    want = np.zeros(x.shape)
    np.add.at(want, (slice(None), slice(None), read), gy)
    np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-12)
    assert not np.allclose(x.grad.numpy(), g[f"{key}.gx"])  # PyTorch's other transpose


def test_output_lengths_truncate_l_times_scale_factor():
    """floor(L * s) of the float product: 100 * 0.57 = 56.99999999999999 gives 56, as PyTorch's."""
    for mode in ("nearest", "nearest-exact", "linear", "area"):
        for L, s, want in [
            (100, 0.57, 56),
            (5, 1.7, 8),
            (4, 2.1, 8),
            (10, 1 / 3, 3),
            (7, 0.5, 3),
            (3, 0.4, 1),
        ]:
            assert F.interpolate(mc.zeros(1, 1, L), scale_factor=s, mode=mode).shape == (1, 1, want)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(size=9, mode="linear"),
        dict(size=9, mode="linear", align_corners=True),
        dict(scale_factor=0.6, mode="linear"),
        dict(scale_factor=1.7, mode="linear", align_corners=True),
        dict(size=4, mode="linear"),
        dict(scale_factor=1.7),
        dict(size=4, mode="nearest-exact"),
        dict(size=4, mode="area"),
        dict(scale_factor=1.6, mode="area"),
    ],
    ids=str,
)
def test_gradcheck(kwargs, rng, t):
    x = t(rng.standard_normal((2, 3, 6)), True)
    assert mc.gradcheck(lambda x: F.interpolate(x, **kwargs), [x])


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(size=9, mode="nearest"),
        dict(size=4, mode="nearest-exact"),
        dict(scale_factor=2.3, mode="linear"),
        dict(size=9, mode="linear", align_corners=True),
        dict(scale_factor=1.7, mode="linear", recompute_scale_factor=True),
    ],
    ids=str,
)
def test_is_the_2d_op_on_a_row(kwargs, rng, t):
    """The signal as the image (N, C, 1, L) resized to (1, L_out): the same values and the same
    gradient, to the last bit (the same arithmetic)."""
    x = rng.standard_normal((2, 3, 7))
    signal, image = t(x, True), t(x[:, :, None], True)
    y = F.interpolate(signal, **kwargs)
    image_kwargs = dict(kwargs, mode="bilinear" if kwargs["mode"] == "linear" else kwargs["mode"])
    if "size" in kwargs:
        image_kwargs["size"] = (1, kwargs["size"])
    else:
        image_kwargs["scale_factor"] = (1.0, kwargs["scale_factor"])
    y2 = F.interpolate(image, **image_kwargs)
    np.testing.assert_array_equal(y.numpy(), y2.numpy()[:, :, 0])
    gy = rng.standard_normal(y.shape)
    y.backward(gy)
    y2.backward(gy[:, :, None])
    np.testing.assert_array_equal(signal.grad.numpy(), image.grad.numpy()[:, :, 0])


@pytest.mark.parametrize("corners", [False, True])
def test_linear_formula(corners, t):
    """On the ramp x[k] = k each output is its source coordinate: (i + 0.5) * L / L_out - 0.5,
    clamped into [0, L - 1], or i (L - 1)/(L_out - 1) with align_corners."""
    L, L_out = 5, 8
    y = F.interpolate(t(np.arange(L)[None, None]), size=L_out, mode="linear", align_corners=corners)
    i = np.arange(L_out)
    want = i * (L - 1) / (L_out - 1) if corners else np.clip((i + 0.5) * L / L_out - 0.5, 0, L - 1)
    np.testing.assert_allclose(y.numpy()[0, 0], want, rtol=1e-12, atol=1e-15)


def test_the_gradient_of_linear_sums_to_gys_sum(rng, t):
    """Each output's two weights sum to 1: nothing lost or made, up or down."""
    for L_out in (3, 11):
        x = t(rng.standard_normal((2, 3, 7)), True)
        gy = rng.standard_normal((2, 3, L_out))
        F.interpolate(x, size=L_out, mode="linear").backward(gy)
        np.testing.assert_allclose(x.grad.numpy().sum(axis=2), gy.sum(axis=2), rtol=1e-12)


def test_area_is_the_adaptive_average_pool(rng, t):
    x = t(rng.standard_normal((2, 3, 10)))
    np.testing.assert_array_equal(
        F.interpolate(x, scale_factor=0.4, mode="area").numpy(), F.adaptive_avg_pool1d(x, 4).numpy()
    )
    image = t(rng.standard_normal((2, 3, 6, 9)))
    np.testing.assert_array_equal(
        F.interpolate(image, (4, 5), mode="area").numpy(), F.adaptive_avg_pool2d(image, (4, 5)).numpy()
    )


def test_what_area_takes_that_the_other_modes_refuse():
    """As PyTorch's: an output of length 0 (empty) and an input of no channels."""
    assert F.interpolate(mc.zeros(1, 2, 5), 0, mode="area").shape == (1, 2, 0)
    assert F.interpolate(mc.zeros(1, 2, 5), scale_factor=0.1, mode="area").shape == (1, 2, 0)
    assert F.interpolate(mc.zeros(1, 0, 5), 3, mode="area").shape == (1, 0, 3)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_empty_batch_and_dtype(dtype):
    x = mc.tensor(np.zeros((0, 2, 3), dtype=dtype), requires_grad=True)
    y = F.interpolate(x, scale_factor=2, mode="linear")
    assert y.shape == (0, 2, 6) and y.dtype == dtype
    y.sum().backward()
    assert x.grad.shape == (0, 2, 3) and x.grad.dtype == dtype


# --- modules -------------------------------------------------------------------------------


def test_upsample_on_signals_matches_the_function(rng, t):
    x = t(rng.standard_normal((2, 3, 5)), True)
    pairs = [
        (nn.Upsample(scale_factor=2), dict(scale_factor=2)),
        (nn.Upsample(size=(7,), mode="nearest-exact"), dict(size=7, mode="nearest-exact")),
        (nn.Upsample(scale_factor=1.5, mode="linear"), dict(scale_factor=1.5, mode="linear")),
        (
            nn.Upsample(scale_factor=(1.7,), mode="linear", align_corners=True, recompute_scale_factor=True),
            dict(scale_factor=1.7, mode="linear", align_corners=True, recompute_scale_factor=True),
        ),
        (nn.Upsample(size=3, mode="area"), dict(size=3, mode="area")),
        (nn.UpsamplingNearest2d(scale_factor=3), dict(scale_factor=3)),  # PyTorch's takes signals too
    ]
    for module, kwargs in pairs:
        np.testing.assert_array_equal(
            module(x).numpy(), F.interpolate(x, **kwargs).numpy(), err_msg=repr(module)
        )
    assert mc.gradcheck(nn.Upsample(size=8, mode="linear", align_corners=True), [x])


@pytest.mark.parametrize(
    "layer, text",  # torch 2.14's reprs
    [
        (nn.Upsample(size=(3,), mode="linear"), "Upsample(size=(3,), mode='linear')"),
        (nn.Upsample(scale_factor=(2,), mode="linear"), "Upsample(scale_factor=(2.0,), mode='linear')"),
        (nn.Upsample(scale_factor=2, mode="area"), "Upsample(scale_factor=2.0, mode='area')"),
    ],
    ids=str,
)
def test_repr_as_pytorch(layer, text):
    assert repr(layer) == text


# --- bad input: PyTorch's refusals, before any arithmetic ----------------------------------

S = mc.zeros(1, 2, 5)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda: F.interpolate(S, 3, mode="bilinear"),
            NotImplementedError,
            r"^interpolate: mode 'bilinear' needs 4-D input \(N, C, H, W\), "
            r"got 3-D input of shape \(1, 2, 5\); "
            r"mode 'linear' resizes 3-D input \(N, C, L\)$",
        ),
        (lambda: F.interpolate(S, 3, mode="bicubic"), NotImplementedError, "mode 'bicubic' needs 4-D input"),
        (
            lambda: F.interpolate(mc.zeros(1, 2, 4, 4), 3, mode="linear"),
            NotImplementedError,
            r"^interpolate: mode 'linear' needs 3-D input \(N, C, L\), "
            r"got 4-D input of shape \(1, 2, 4, 4\); "
            r"mode 'bilinear' resizes 4-D input \(N, C, H, W\)$",
        ),
        (
            lambda: F.interpolate(S, 3, mode="trilinear"),
            NotImplementedError,
            "mode 'trilinear' is not implemented",
        ),
        (
            lambda: F.interpolate(mc.zeros(2, 5), 3, mode="linear"),
            NotImplementedError,
            r"^interpolate: expected 3-D input \(N, C, L\) or 4-D input \(N, C, H, W\), got shape \(2, 5\); "
            r"as PyTorch's, it takes no unbatched input: add a batch axis with x.unsqueeze\(0\)$",
        ),
        (lambda: F.interpolate(mc.zeros(5), 3), NotImplementedError, r"got shape \(5,\)"),
        (
            lambda: F.interpolate(mc.zeros(1, 1, 2, 2, 2), 3),
            NotImplementedError,
            "5-D input .* not implemented",
        ),
        (
            lambda: F.interpolate(S, (3, 3)),
            ValueError,
            r"^interpolate: size must give the 1 size \(L_out\) of a 3-D input's output, got \(3, 3\)$",
        ),
        (
            lambda: F.interpolate(S, (3.0,)),
            TypeError,
            r"size must be an int or a 1-tuple of ints, got \(3.0,\)",
        ),
        (
            lambda: F.interpolate(S, scale_factor=(2, 2), mode="linear"),
            ValueError,
            r"scale_factor must give the 1 spatial factor \(for L\) of 3-D input, got \(2, 2\)",
        ),
        (lambda: F.interpolate(S, scale_factor="2"), TypeError, "scale_factor must be a number or a 1-tuple"),
        (
            lambda: F.interpolate(S, 0, mode="linear"),
            ValueError,
            r"^interpolate: input and output sizes should be greater than 0, "
            r"but got input \(W: 5\) output \(W: 0\)$",
        ),
        (lambda: F.interpolate(S, scale_factor=0.1), ValueError, r"output \(W: 0\)"),
        (lambda: F.interpolate(mc.zeros(1, 2, 0), 3, mode="linear"), ValueError, r"input \(W: 0\)"),
        (lambda: F.interpolate(mc.zeros(1, 0, 5), 3), ValueError, "at least one channel"),
        (
            lambda: F.interpolate(mc.zeros(1, 2, 0), 3, mode="area"),
            ValueError,
            "^interpolate: x has an empty plane",
        ),
        (
            lambda: F.interpolate(S, scale_factor=-1, mode="area"),
            ValueError,
            "output_size must be non-negative",
        ),
        (
            lambda: F.interpolate(S, 3, mode="area", align_corners=False),
            ValueError,
            "align_corners can only be set",
        ),
        (lambda: F.interpolate(S, 3, align_corners=True), ValueError, "align_corners can only be set"),
        (lambda: F.interpolate(S, 3, mode="linear", antialias=True), ValueError, "antialias is restricted"),
        (
            lambda: F.interpolate(S, 3, mode="bilinear", antialias=True),
            ValueError,  # (PyTorch's too, before its "needs 4-D input")
            r"^interpolate: antialias is restricted to bilinear and bicubic modes \(and PyTorch's lanczos\) "
            r"on 4-D input \(N, C, H, W\), got mode 'bilinear' and shape \(1, 2, 5\)$",
        ),
        (
            lambda: F.interpolate(mc.zeros(1, 1, 2, 2, 2), 3, mode="bicubic", antialias=True),
            ValueError,
            r"on 4-D input \(N, C, H, W\), got mode 'bicubic' and shape \(1, 1, 2, 2, 2\)$",
        ),
        (lambda: F.interpolate(mc.zeros(1, 2, 5, dtype=mc.int64), 3), TypeError, "floating-point"),
        (
            lambda: nn.Upsample(size=(3, 4), mode="linear"),
            ValueError,
            r"^Upsample: size must give the 1 size \(L_out\) of a 3-D input's output "
            r"\(mode 'linear' takes 3-D input \(N, C, L\)\), got \(3, 4\)$",
        ),
        (lambda: nn.Upsample(scale_factor=(2,), mode="bilinear"), ValueError, "the 2 spatial factors"),
        (
            lambda: nn.Upsample(size=(2, 2, 2)),
            ValueError,
            r"size must give the 1 size \(L_out\) of a 3-D input's output or the 2 sizes",
        ),
        (
            lambda: nn.Upsample(scale_factor=2, mode="linear")(mc.zeros(1, 2, 3, 3)),
            NotImplementedError,
            "^Upsample:",
        ),
        (
            lambda: nn.UpsamplingBilinear2d(scale_factor=2)(S),
            NotImplementedError,
            "^UpsamplingBilinear2d: mode 'bilinear' needs 4-D input",
        ),
        (
            lambda: nn.UpsamplingNearest2d(scale_factor=(2, 2))(S),
            ValueError,
            "^UpsamplingNearest2d: scale_factor",
        ),
    ],
)
def test_bad_input_is_refused(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_sizes_pytorch_takes(t):
    """An int, a 1-tuple or list, a NumPy integer or a 0-d integer tensor; scale factors alike."""
    x = t(np.zeros((1, 1, 4)))
    for size in (6, (6,), [6], np.int64(6), mc.tensor(6)):
        assert F.interpolate(x, size, mode="linear").shape == (1, 1, 6)
    for factor in (1.5, (1.5,), [np.float32(1.5)]):
        assert F.interpolate(x, scale_factor=factor).shape == (1, 1, 6)
