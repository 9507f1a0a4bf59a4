"""interpolate(..., antialias=True), "bilinear" and "bicubic" on images: PyTorch's numbers in
float64 and float32 (and where its forward is wrong), the xp code equal to the plain loops of
kernels/reference_interpolate.py, gradients, the filters' weights, and what antialiasing
removes."""

import numpy as np
import pytest
from fixtures.gen_interpolate_antialias import CASES, GRADIENT_OF_THE_FACTOR, ONE_COLUMN
from interpolate_helpers import source_scales

import minicnn as mc
import minicnn.functional as F
from minicnn.functional.interpolate import source_taps
from minicnn.kernels import reference_interpolate as reference

# float64 against PyTorch's float64; float32 against its float32. PyTorch's gradient adds
# each output's share to a cell as it goes, up to ~170 float32 terms in another order here
TOLERANCE = {"float64": dict(rtol=1e-12, atol=1e-12), "float32": dict(rtol=1e-5, atol=1e-5)}


def _resize(x, kwargs):
    return F.interpolate(x, antialias=True, **kwargs)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_pytorch(golden, name, dtype):
    g, key = golden("interpolate_antialias"), f"{name}.{dtype}"
    x = mc.tensor(g[f"{key}.x"], requires_grad=True)
    y = _resize(x, CASES[name][1])
    y.backward(mc.tensor(g[f"{key}.gy"]))
    assert y.dtype == dtype and x.grad.dtype == dtype and y.shape == g[f"{key}.y"].shape
    want_y = g[f"{key}.y_columns"] if name in ONE_COLUMN else g[f"{key}.y"]
    np.testing.assert_allclose(y.numpy(), want_y, **TOLERANCE[dtype], err_msg="y")
    if name not in GRADIENT_OF_THE_FACTOR:
        np.testing.assert_allclose(x.grad.numpy(), g[f"{key}.gx"], **TOLERANCE[dtype], err_msg="gx")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", sorted(ONE_COLUMN))
def test_one_column_is_each_rows_own_not_pytorchs_repeated_row(golden, name, dtype):
    """PyTorch's CPU forward to one column gives every row row 0's value; its backward, and
    the same image resized transposed (one row), read each row's own cells, as minicnn does."""
    g, key = golden("interpolate_antialias"), f"{name}.{dtype}"
    y = _resize(mc.tensor(g[f"{key}.x"]), CASES[name][1]).numpy()
    np.testing.assert_array_equal(g[f"{key}.y"], np.broadcast_to(g[f"{key}.y"][:, :, :1], y.shape))
    assert not np.allclose(y, g[f"{key}.y"])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", sorted(GRADIENT_OF_THE_FACTOR))
def test_a_kept_size_is_a_copy_both_ways(golden, name, dtype):
    """5 rows at scale_factor 1.1 stay 5: PyTorch's forward copies them (checked above); its
    backward reads them at 1/1.1 all the same. minicnn's backward is the forward's transpose:
    along the rows, a copy."""
    g, key = golden("interpolate_antialias"), f"{name}.{dtype}"
    x = mc.tensor(g[f"{key}.x"], requires_grad=True)
    y = _resize(x, CASES[name][1])
    assert y.shape[2] == x.shape[2]
    y.backward(mc.tensor(g[f"{key}.gy"]))
    x_rows_at_1 = mc.tensor(g[f"{key}.x"], requires_grad=True)
    kwargs = dict(CASES[name][1], scale_factor=(1.0, CASES[name][1]["scale_factor"][1]))
    _resize(x_rows_at_1, kwargs).backward(mc.tensor(g[f"{key}.gy"]))
    np.testing.assert_array_equal(x.grad.numpy(), x_rows_at_1.grad.numpy())
    assert not np.allclose(x.grad.numpy(), g[f"{key}.gx"], **TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(CASES))
def test_equals_the_plain_loops(name, dtype, rng):
    """Same dtype, two implementations: the forward reads the same cells with the same weights
    in the same order (equal to the last bit); the gradient sums them in another order."""
    shape, kwargs = CASES[name]
    x = rng.standard_normal(shape).astype(dtype)
    xt = mc.tensor(x, requires_grad=True)
    y = _resize(xt, kwargs)
    gy = rng.standard_normal(y.shape).astype(dtype)
    y.backward(gy)
    mode, corners = kwargs["mode"], bool(kwargs.get("align_corners"))
    want_y = reference.interpolate_forward(
        x, y.shape[2:], source_scales(kwargs), mode, corners, antialias=True
    )
    want_gx = reference.interpolate_input_grad(
        gy, x.shape, source_scales(kwargs), mode, corners, antialias=True
    )
    assert want_y.dtype == want_gx.dtype == dtype
    np.testing.assert_array_equal(y.numpy(), want_y)
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(xt.grad.numpy(), want_gx, rtol=rtol, atol=rtol * np.abs(want_gx).max())


@pytest.mark.parametrize(
    "name",
    [
        f"{mode}_{case}"
        for mode in ("bilinear", "bicubic")
        for case in (
            "down_size_corners",
            "down_scale_pair",
            "up_and_down",
            "to_one_column",
            "same_size_scale",
        )
    ]
    + ["bicubic_up_size", "bicubic_down_by_6", "bilinear_down_scale_third", "bicubic_from_two_pixels"],
)
def test_gradcheck(name, rng, t):
    shape, kwargs = CASES[name]
    assert mc.gradcheck(lambda x: _resize(x, kwargs), [t(rng.standard_normal(shape), True)])


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("corners", [False, True])
@pytest.mark.parametrize("size", [(2, 11), (5, 3), (1, 1), (13, 1)])
def test_weights_sum_to_one_a_constant_stays_and_the_gradient_is_all_sent_back(mode, corners, size, rng, t):
    x = t(np.full((2, 3, 9, 7), 0.37), True)
    y = F.interpolate(x, size=size, mode=mode, align_corners=corners, antialias=True)
    np.testing.assert_allclose(y.numpy(), 0.37, rtol=1e-14)
    gy = rng.standard_normal((2, 3, *size))
    y.backward(gy)
    np.testing.assert_allclose(x.grad.numpy().sum(axis=(2, 3)), gy.sum(axis=(2, 3)), rtol=1e-12)


def test_the_filters_of_a_shrink_by_2():
    """Away from the borders, output i is centred at c = 2i + 1 and reads the cells 2i - 1 ..
    2i + 2, at (j + 1/2 - c)/2 = -3/4, -1/4, 1/4, 3/4 (bilinear: tent 1/4, 3/4, 3/4, 1/4 over
    their sum 2) and 2i - 3 .. 2i + 4 (bicubic: Keys' A = -0.5 at -7/4 .. 7/4, summing to 2)."""
    rows = {"bilinear": np.zeros((8, 16)), "bicubic": np.zeros((8, 16))}  # A of 16 -> 8
    for mode, A in rows.items():  # the taps added up
        for index, weight in source_taps(16, 8, None, mode, False, np.float64, antialias=True):
            np.add.at(A, (np.arange(8), index), weight)
    np.testing.assert_array_equal(rows["bilinear"][3, 5:9], [1 / 8, 3 / 8, 3 / 8, 1 / 8])
    assert rows["bilinear"][3].sum() == 1 and np.count_nonzero(rows["bilinear"][3]) == 4
    keys = [-0.0234375, -0.0703125, 0.2265625, 0.8671875]  # W(7/4), W(5/4), W(3/4), W(1/4)
    np.testing.assert_array_equal(rows["bicubic"][3, 3:11], np.array(keys + keys[::-1]) / 2)
    assert np.count_nonzero(rows["bicubic"][3]) == 8
    # the border: the cells outside left out, the others' weights divided by their sum
    np.testing.assert_allclose(rows["bilinear"][0, :3], [3 / 7, 3 / 7, 1 / 7], rtol=1e-15)


def test_antialiasing_removes_what_plain_shrinking_aliases(t):
    """Shrinking (-1)^j by 3, plain bilinear reads every third cell alone: +-1, a pattern at
    the output's own frequency that the input did not hold. Antialiased, each output averages
    the 6 cells around it with the tent 1/3, 2/3, 1, 2/3, 1/3 (over 3): 1/9 left."""
    x = t(np.tile((-1.0) ** np.arange(24), (1, 1, 1, 1)))
    plain = F.interpolate(x, size=(1, 8), mode="bilinear").numpy()[0, 0, 0]
    smooth = F.interpolate(x, size=(1, 8), mode="bilinear", antialias=True).numpy()[0, 0, 0]
    np.testing.assert_array_equal(np.abs(plain), 1)
    np.testing.assert_allclose(np.abs(smooth[1:-1]), 1 / 9, rtol=1e-14)


@pytest.mark.parametrize("kwargs", [dict(size=(9, 16)), dict(scale_factor=2.7), dict(size=(5, 13))])
def test_enlarging_bilinear_is_plain_bilinear(kwargs, rng, t):
    """Below r = 1 the tent is not stretched: the two cells around the centre, bilinear's, and
    at the borders the one cell inside, which plain bilinear's clamped coordinate reads."""
    x = t(rng.standard_normal((1, 2, 5, 7)))
    smooth = F.interpolate(x, mode="bilinear", antialias=True, **kwargs).numpy()
    np.testing.assert_allclose(smooth, F.interpolate(x, mode="bilinear", **kwargs).numpy(), rtol=1e-13)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_dtype_and_empty_batch(mode, dtype):
    x = mc.tensor(np.zeros((0, 2, 6, 4), dtype=dtype), requires_grad=True)
    y = F.interpolate(x, scale_factor=(0.4, 1.5), mode=mode, antialias=True)
    assert y.shape == (0, 2, 2, 6) and y.dtype == dtype
    y.sum().backward()
    assert x.grad.shape == (0, 2, 6, 4) and x.grad.dtype == dtype


def test_antialias_keeps_pytorchs_refusals():
    x = mc.zeros(1, 2, 4, 4)
    with pytest.raises(ValueError, match=r"^interpolate: antialias is restricted to bilinear and bicubic"):
        F.interpolate(x, 2, mode="nearest", antialias=True)
    with pytest.raises(ValueError, match=r"got mode 'bilinear' and shape \(1, 2, 4\)"):
        F.interpolate(mc.zeros(1, 2, 4), 2, mode="bilinear", antialias=True)
    with pytest.raises(ValueError, match=r"output \(H: 0, W: 2\)"):
        F.interpolate(x, (0, 2), mode="bicubic", antialias=True)


def test_a_first_antialiased_call_adds_no_name_to_the_package():
    """minicnn.nn.functional copies minicnn.functional's names when it is imported: a module
    loaded only at the first antialiased call would appear in one and not the other."""
    import subprocess
    import sys

    code = (
        "import minicnn as mc, minicnn.functional as F\n"
        "before = set(dir(F))\n"
        "F.interpolate(mc.ones(1, 1, 6, 6), size=(2, 2), mode='bicubic', antialias=True)\n"
        "print(sorted(set(dir(F)) - before))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
