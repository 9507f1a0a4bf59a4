"""interpolate's "bicubic" mode beyond what test_interpolate.py checks for every mode: Keys'
kernel and its weights, what the cubic reproduces and where it overshoots, the border taps,
the gradient as the transpose of the forward (where PyTorch's is not), and its refusals."""

import numpy as np
import pytest
from fixtures.gen_interpolate import CASES, GRADIENT_IS_A_COPY

import minicnn as mc
import minicnn.functional as F
from minicnn import nn
from minicnn.functional.interpolate import cubic_weights, source_taps
from minicnn.kernels import reference_interpolate as reference


def test_keys_kernel_at_its_knots_and_half_way():
    """W(0) = 1, W(1) = W(2) = 0: a source point on a cell reads that cell alone; half way,
    the two near cells get W(1/2) = (A + 2)/8 - (A + 3)/4 + 1 = 19/32 and the two far ones
    W(3/2) = A (27/8 - 45/4 + 12 - 4) = A/8 = -3/32 (A = -0.75)."""
    for dtype in (np.float32, np.float64):
        w = cubic_weights(np.array([0.0, 0.5, 1.0], dtype=dtype))
        assert all(wk.dtype == dtype for wk in w)
        np.testing.assert_array_equal(np.array(w)[:, 0], [0, 1, 0, 0])
        np.testing.assert_array_equal(np.array(w)[:, 1], [-3 / 32, 19 / 32, 19 / 32, -3 / 32])
        np.testing.assert_array_equal(np.array(w)[:, 2], [0, 0, 1, 0])


def test_weights_sum_to_one_and_mirror(rng):
    t = rng.uniform(0, 1, 1000)
    w = np.array(cubic_weights(t))
    np.testing.assert_allclose(w.sum(axis=0), 1, rtol=0, atol=1e-14)
    np.testing.assert_allclose(w[::-1], np.array(cubic_weights(1 - t)), rtol=0, atol=1e-14)


@pytest.mark.parametrize("corners", [False, True])
def test_a_constant_image_stays_constant_up_to_its_borders(corners):
    """The four weights sum to 1, and the taps clamped onto a border pixel read the same value."""
    x = np.full((1, 2, 4, 5), 0.37)
    y = F.interpolate(mc.tensor(x), size=(11, 3), mode="bicubic", align_corners=corners).numpy()
    np.testing.assert_allclose(y, 0.37, rtol=1e-14)


def test_align_corners_keeps_the_pixels_it_lands_on(rng):
    """4 -> 7 with align_corners reads at s = i/2: every other output lands on a cell (t = 0,
    weights 0, 1, 0, 0) and copies it, corners included; the others mix four cells."""
    x = rng.standard_normal((1, 2, 4, 5))
    y = F.interpolate(mc.tensor(x), size=(7, 9), mode="bicubic", align_corners=True).numpy()
    np.testing.assert_array_equal(y[..., ::2, ::2], x)
    w = [-3 / 32, 19 / 32, 19 / 32, -3 / 32]  # t = 1/2
    np.testing.assert_allclose(y[..., 0, 3], x[..., 0, [0, 1, 2, 3]] @ w, rtol=1e-13)


def test_a_step_overshoots_on_both_sides():
    """The negative lobes ring at an edge: outputs leave [0, 1], as PyTorch's (and OpenCV's) do."""
    x = mc.tensor(np.array([[[[0.0, 0.0, 0.0, 1.0, 1.0, 1.0]]]]))
    y = F.interpolate(x, size=(1, 24), mode="bicubic").numpy()
    assert y.min() < -0.05 and y.max() > 1.05


def test_the_taps_clamp_onto_the_border_pixels():
    """Row 0 of 2 -> 5 reads at s = -0.3: floor -1, t = 0.7, cells -2, -1, 0, 1 clamped to
    0, 0, 0, 1; the three weights of cell 0 add up."""
    (i0, w0), (i1, w1), (i2, w2), (i3, w3) = source_taps(2, 5, None, "bicubic", False, np.float64)
    assert [i0[0], i1[0], i2[0], i3[0]] == [0, 0, 0, 1]
    t = 0.7
    np.testing.assert_allclose([w0[0], w1[0], w2[0], w3[0]], np.array(cubic_weights(np.array([t]))).ravel())
    for index in (i0, i1, i2, i3):
        assert index.min() >= 0 and index.max() <= 1


@pytest.mark.parametrize("name", ["bicubic_size_up", "bicubic_scale_pair", "bicubic_same_size_scale"])
def test_the_gradient_is_the_transpose_of_the_forward(name, rng):
    """<A x, g> = <x, A^T g> for random x and g, A the forward itself."""
    shape, kwargs = CASES[name]
    x = mc.tensor(rng.standard_normal(shape), requires_grad=True)
    y = F.interpolate(x, **kwargs)
    g = rng.standard_normal(y.shape)
    y.backward(g)
    lhs = float((y.numpy() * g).sum())
    rhs = float((x.numpy() * x.grad.numpy()).sum())
    assert abs(lhs - rhs) <= 1e-12 * (abs(lhs) + 1)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_same_size_by_a_factor_reads_between_pixels_and_its_gradient_is_still_the_transpose(golden, dtype):
    """5 rows at scale_factor 1.1 stay 5, read at (i + 1/2)/1.1 - 1/2: PyTorch's forward too.
    PyTorch's backward copies gy there instead of transposing that forward; minicnn's is the
    transpose, the plain loops' gradient."""
    (name,) = GRADIENT_IS_A_COPY
    g, key = golden("interpolate"), f"{name}.{dtype}"
    x = mc.tensor(g[f"{key}.x"], requires_grad=True)
    y = F.interpolate(x, **CASES[name][1])
    assert y.shape == x.shape and not np.allclose(y.numpy(), x.numpy())
    y.backward(mc.tensor(g[f"{key}.gy"]))
    np.testing.assert_array_equal(g[f"{key}.gx"], g[f"{key}.gy"])  # PyTorch's copy
    want = reference.interpolate_input_grad(g[f"{key}.gy"], x.shape, (1.1, 1.1), "bicubic", False)
    np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-5, atol=1e-6)
    assert not np.allclose(x.grad.numpy(), g[f"{key}.gy"])


def test_float32_stays_float32(rng):
    x = mc.tensor(rng.standard_normal((1, 2, 3, 4)).astype(np.float32), requires_grad=True)
    y = F.interpolate(x, scale_factor=2.5, mode="bicubic", align_corners=True)
    y.sum().backward()
    assert y.dtype == np.float32 and x.grad.dtype == np.float32


def test_refusals():
    x = mc.zeros(1, 1, 3, 3)
    with pytest.raises(TypeError, match="align_corners must be True, False or None"):
        F.interpolate(x, 6, mode="bicubic", align_corners="yes")
    with pytest.raises(ValueError, match="Upsample: align_corners can only be set .* and 'bicubic'"):
        nn.Upsample(6, mode="nearest", align_corners=False)
    assert nn.Upsample(6, mode="bicubic", align_corners=False)(x).shape == (1, 1, 6, 6)
