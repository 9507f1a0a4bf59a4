"""unfold and fold (im2col and col2im made public) and their Modules: gradients, PyTorch's
numbers on every tier, every fast tier equal to the reference loops, the identities that tie
them to convolution, and bad input."""

import warnings

import numpy as np
import pytest
from fixtures.gen_fold import CASES

import minicnn as mc
import minicnn.functional as F
from minicnn import kernels, nn
from minicnn.kernels import reference_fold, xp_fold

TIERS = ["reference", "numpy-simple", "numpy", pytest.param("numba", marks=pytest.mark.numba)]
FAST = [
    "numpy-simple",
    "numpy",
    pytest.param("numba", marks=pytest.mark.numba),
    pytest.param("auto", marks=pytest.mark.numba),
]
GOLDEN = [f"{op}_{name}" for op in ("unfold", "fold") for name in sorted(CASES)]


def call(name):
    """The functional call a golden case describes, as fn(input)."""
    op, geometry = name.split("_", 1)
    shape, kwargs = CASES[geometry]
    if op == "unfold":
        return lambda x: F.unfold(x, **kwargs)
    return lambda c: F.fold(c, tuple(shape[-2:]), **kwargs)


def case(golden, name):
    return {k.split("/")[1]: v for k, v in golden("fold").items() if k.startswith(name + "/")}


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize("name", GOLDEN)
def test_matches_pytorch(golden, name, tier, t):
    g = case(golden, name)
    x = t(g["x"], True)
    with mc.use_kernels(tier):
        y = call(name)(x)
        y.backward(g["gy"])
    assert y.shape == g["y"].shape and x.grad.shape == x.shape
    np.testing.assert_allclose(y.numpy(), g["y"], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), g["gx"], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize(
    "name", ["unfold_dilated_pairs", "fold_dilated_pairs", "unfold_gaps", "fold_gaps", "fold_k3"]
)
def test_gradcheck(name, tier, rng, t):
    op, geometry = name.split("_", 1)
    shape = CASES[geometry][0]
    if op == "fold":
        shape = F.unfold(mc.zeros(*shape), **CASES[geometry][1]).shape
    with mc.use_kernels(tier):
        assert mc.gradcheck(call(name), [t(rng.standard_normal(shape), True)])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("tier", FAST)
@pytest.mark.parametrize("geometry", sorted(CASES))
def test_fast_tiers_equal_the_reference_loops(geometry, tier, dtype, rng):
    """Same dtype, two tiers: the values and both gradients, and the kernels that ran."""
    shape, kwargs = CASES[geometry]
    x = rng.standard_normal(shape).astype(dtype)
    cols = rng.standard_normal(F.unfold(mc.tensor(x), **kwargs).shape).astype(dtype)
    results = {}
    for which in ("reference", tier):
        xt, ct = mc.tensor(x, requires_grad=True), mc.tensor(cols, requires_grad=True)
        with mc.use_kernels(which), kernels.trace() as ran:
            u = F.unfold(xt, **kwargs)
            u.backward(cols)
            f = F.fold(ct, shape[-2:], **kwargs)
            f.backward(x)
        results[which] = [a.numpy() for a in (u, xt.grad, f, ct.grad)]
        assert [r.split(":")[0] for r in ran] == [
            "unfold_forward",
            "fold_forward",
            "fold_forward",
            "unfold_forward",
        ]
        assert all(r.endswith(": reference_fold") == (which == "reference") for r in ran), ran
    for got, want in zip(results[tier], results["reference"]):
        assert got.dtype == want.dtype == dtype
        # a copy is exact; fold's sums may run in another order
        rtol = 1e-12 if dtype == np.float64 else 1e-6
        np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * np.abs(want).max(initial=0))


def test_the_kernels_of_each_tier():
    with mc.use_kernels("reference"):
        assert kernels.which("unfold_forward") == "minicnn.kernels.reference_fold.unfold_forward"
    for tier in ("numpy", "numpy-simple"):
        with mc.use_kernels(tier):
            assert kernels.which("fold_forward") == "minicnn.kernels.xp_fold.fold_forward"


def test_the_kernels_results_are_fresh_arrays(rng):
    """A kernel's result is the caller's: col2im's workspace is not handed out."""
    x = rng.standard_normal((1, 2, 5, 5))
    geometry = ((2, 2), (1, 1), (0, 0), (1, 1))
    for module in (xp_fold, reference_fold):
        cols = module.unfold_forward(x, *geometry)
        y = module.fold_forward(cols, (5, 5), *geometry)
        kept = y.copy(), cols.copy()
        module.fold_forward(module.unfold_forward(x + 1, *geometry), (5, 5), *geometry)
        np.testing.assert_array_equal(y, kept[0])
        np.testing.assert_array_equal(cols, kept[1])
        assert not np.shares_memory(cols, x)


# --- the identities ------------------------------------------------------------------------


@pytest.mark.parametrize("geometry", sorted(CASES))
def test_fold_is_the_adjoint_of_unfold(geometry, rng, t):
    """<unfold(x), c> = <x, fold(c)> for every x and c: each is the other's transpose."""
    shape, kwargs = CASES[geometry]
    x = rng.standard_normal(shape)
    c = rng.standard_normal(F.unfold(t(x), **kwargs).shape)
    left = np.sum(F.unfold(t(x), **kwargs).numpy() * c)
    right = np.sum(x * F.fold(t(c), shape[-2:], **kwargs).numpy())
    np.testing.assert_allclose(left, right, rtol=1e-12)


@pytest.mark.parametrize(
    "kwargs",
    [dict(), dict(padding=1), dict(stride=2, dilation=(1, 2)), dict(padding=(2, 0), stride=(1, 3))],
    ids=str,
)
def test_a_convolution_is_unfold_then_a_matrix_product(kwargs, rng, t):
    x, w = t(rng.standard_normal((2, 3, 7, 8))), t(rng.standard_normal((4, 3, 3, 2)))
    y = F.conv2d(x, w, **kwargs)
    cols = F.unfold(x, (3, 2), **kwargs)  # (2, 27 * ..., L)
    via_unfold = (w.reshape(4, -1) @ cols).reshape(y.shape)
    np.testing.assert_allclose(via_unfold.numpy(), y.numpy(), rtol=1e-12, atol=1e-12)


def test_fold_of_unfold_counts_the_windows_that_read_each_cell(rng, t):
    x = rng.standard_normal((1, 2, 4, 5))
    ones = t(np.ones_like(x))
    counts = F.fold(F.unfold(ones, 3, padding=1), (4, 5), 3, padding=1).numpy()
    assert counts[0, 0, 0, 0] == 4 and counts[0, 0, 1, 1] == 9  # a corner reads 4 windows, inside 9
    np.testing.assert_allclose(F.fold(F.unfold(t(x), 3, padding=1), (4, 5), 3, padding=1).numpy(), x * counts)


def test_cells_no_window_reads_get_no_gradient(t):
    """Stride 3 past a 2-tap window: every third row and column is skipped."""
    x = t(np.ones((1, 1, 6, 6)), True)
    F.unfold(x, 2, stride=3).sum().backward()
    skipped = np.zeros((6, 6), dtype=bool)
    skipped[2::3, :] = skipped[:, 2::3] = True
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], np.where(skipped, 0.0, 1.0))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_empty_batch_and_one_image(dtype, rng):
    x = mc.tensor(np.zeros((0, 2, 4, 4), dtype=dtype), requires_grad=True)
    y = F.unfold(x, 2)
    assert y.shape == (0, 8, 9) and y.dtype == dtype
    y.sum().backward()
    assert x.grad.shape == (0, 2, 4, 4)
    assert F.fold(mc.tensor(np.zeros((0, 8, 9), dtype=dtype)), 4, 2).shape == (0, 2, 4, 4)
    image = rng.standard_normal((2, 4, 4)).astype(dtype)
    cols = F.unfold(mc.tensor(image), 2)
    assert cols.shape == (8, 9) and cols.dtype == dtype
    np.testing.assert_array_equal(cols.numpy(), F.unfold(mc.tensor(image[None]), 2).numpy()[0])
    assert F.fold(cols, (4, 4), 2).shape == (2, 4, 4)


def test_one_image_gradcheck(rng, t):
    """One image's (C, H, W) and its columns' (C*kH*kW, L) gradients pass the batch of one."""
    image, cols = t(rng.standard_normal((2, 4, 5)), True), t(rng.standard_normal((8, 12)), True)
    assert mc.gradcheck(lambda x: F.unfold(x, 2), [image])
    assert mc.gradcheck(lambda c: F.fold(c, (4, 5), 2), [cols])


@pytest.mark.parametrize("tier", TIERS)
def test_infinities_meeting_in_a_sum_give_nan_without_a_warning(tier, rng):
    """fold sums overlapping windows, and so does unfold's gradient: inf + (-inf) is NaN and
    3e38 + 3e38 is inf in float32, as in PyTorch, without NumPy's warnings."""
    cols = rng.standard_normal((1, 4, 4)).astype(np.float32)  # 2x2 windows over 3x3, stride 1
    cols[0, 3, 0], cols[0, 0, 3] = np.inf, -np.inf  # both land on the centre cell
    cols[0, 1, 0], cols[0, 0, 1] = 3e38, 3e38  # both on cell (0, 1)
    x = mc.tensor(rng.standard_normal((1, 1, 3, 3)).astype(np.float32), requires_grad=True)
    with mc.use_kernels(tier), warnings.catch_warnings():
        warnings.simplefilter("error")
        y = F.fold(mc.tensor(cols), 3, 2)
        F.unfold(x, 2).backward(mc.tensor(cols))
    for got in (y.numpy()[0, 0], x.grad.numpy()[0, 0]):
        assert np.isnan(got[1, 1]) and got[0, 1] == np.inf
        assert np.isfinite(np.delete(got.ravel(), [1, 4])).all()


# --- modules -------------------------------------------------------------------------------


def test_modules_match_the_functions_and_gradcheck(rng, t):
    x = t(rng.standard_normal((2, 3, 5, 6)), True)
    unfold = nn.Unfold((2, 3), dilation=(2, 1), padding=1, stride=(1, 2))
    cols = unfold(x)
    np.testing.assert_array_equal(cols.numpy(), F.unfold(x, (2, 3), (2, 1), 1, (1, 2)).numpy())
    fold = nn.Fold((5, 6), (2, 3), dilation=(2, 1), padding=1, stride=(1, 2))
    np.testing.assert_array_equal(fold(cols).numpy(), F.fold(cols, (5, 6), (2, 3), (2, 1), 1, (1, 2)).numpy())
    assert mc.gradcheck(unfold, [x]) and mc.gradcheck(lambda x: fold(unfold(x)), [x])


@pytest.mark.parametrize(
    "layer, text",  # torch 2.13's reprs
    [
        (nn.Unfold(3), "Unfold(kernel_size=3, dilation=1, padding=0, stride=1)"),
        (
            nn.Unfold((2, 3), 2, (1, 0), stride=[1, 2]),
            "Unfold(kernel_size=(2, 3), dilation=2, padding=(1, 0), stride=[1, 2])",
        ),
        (nn.Fold((4, 5), 2), "Fold(output_size=(4, 5), kernel_size=2, dilation=1, padding=0, stride=1)"),
        (
            nn.Fold(6, 3, padding=1, stride=2),
            "Fold(output_size=6, kernel_size=3, dilation=1, padding=1, stride=2)",
        ),
    ],
    ids=str,
)
def test_repr_as_pytorch(layer, text):
    assert repr(layer) == text


def test_a_layer_names_itself_in_errors(rng):
    model = nn.Sequential(nn.Unfold(5))
    with pytest.raises(ValueError, match=r"Unfold at '0': the 5-tap window"):
        model(mc.tensor(rng.standard_normal((1, 2, 4, 4))))


# --- bad input -----------------------------------------------------------------------------

X = mc.zeros(2, 3, 5, 6)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: F.unfold(X, 0), ValueError, r"unfold: kernel_size must be positive, got \(0, 0\)"),
        (lambda: F.unfold(X, 2, dilation=0), ValueError, "unfold: dilation must be positive"),
        (lambda: F.unfold(X, 2, padding=-1), ValueError, "unfold: padding must be non-negative"),
        (lambda: F.unfold(X, 2, stride=(1, 0)), ValueError, r"unfold: stride must be positive, got \(1, 0\)"),
        (lambda: F.unfold(X, (2, 2, 2)), TypeError, "unfold: kernel_size must be an int or a pair of ints"),
        (lambda: F.unfold(X, 2.0), TypeError, "kernel_size must be an int or a pair of ints, got 2.0"),
        (lambda: F.unfold(X, True), TypeError, "kernel_size must be an int or a pair of ints, got True"),
        (lambda: F.unfold(X, 2, padding="same"), TypeError, "padding must be an int or a pair of ints"),
        (
            lambda: F.unfold(mc.zeros(5, 6), 2),
            ValueError,
            r"expected input of shape \(N, C, H, W\) or \(C, H, W\)",
        ),
        (lambda: F.unfold(mc.zeros(1, 2, 3, 5, 6), 2), ValueError, r"got shape \(1, 2, 3, 5, 6\)"),
        (lambda: F.unfold(mc.zeros(2, 0, 5, 6), 2), ValueError, r"only N may be 0, got shape \(2, 0, 5, 6\)"),
        (lambda: F.unfold(mc.zeros(0, 5, 6), 2), ValueError, r"only N may be 0, got shape \(0, 5, 6\)"),
        (
            lambda: F.unfold(X, 7),
            ValueError,
            r"window \(dilation 1, spanning 7\) does not fit the padded input height 5",
        ),
        (
            lambda: F.unfold(X, 3, dilation=3),
            ValueError,
            r"spanning 7\) does not fit the padded input height 5 \+ 2\*0",
        ),
        (
            lambda: F.unfold(mc.zeros(1, 1, 3, 3, dtype=mc.int64), 2),
            TypeError,
            "input must be a floating-point",
        ),
        (lambda: F.unfold(np.zeros((1, 1, 3, 3)), 2), TypeError, "unfold: input must be a minicnn Tensor"),
        (lambda: F.fold(mc.zeros(2, 18, 12), (5, 6), 0), ValueError, "fold: kernel_size must be positive"),
        (
            lambda: F.fold(mc.zeros(2, 18, 12), (5, 6), 2, stride=0),
            ValueError,
            "fold: stride must be positive",
        ),
        (
            lambda: F.fold(mc.zeros(2, 18, 12), (5, 6, 1), 2),
            TypeError,
            "fold: output_size must be an int or a pair",
        ),
        (
            lambda: F.fold(mc.zeros(1, 2, 18, 12), (5, 6), 2),
            ValueError,
            r"expected input of shape \(N, C\*kH\*kW, L\)",
        ),
        (
            lambda: F.fold(mc.zeros(2, 18, 0), (5, 6), 2),
            ValueError,
            r"only N may be 0, got shape \(2, 18, 0\)",
        ),
        (
            lambda: F.fold(mc.zeros(2, 0, 12), (5, 6), 2),
            ValueError,
            r"only N may be 0, got shape \(2, 0, 12\)",
        ),
        (
            lambda: F.fold(mc.zeros(2, 5, 20), (5, 6), 2),
            ValueError,
            r"5 rows \(dim 1\), not a multiple of the 4 taps",
        ),
        (
            lambda: F.fold(mc.zeros(2, 8, 19), (5, 6), 2),
            ValueError,
            r"19 columns \(dim 2\), .* has 4 x 5 = 20 window",
        ),
        (lambda: F.fold(mc.zeros(8, 21), (5, 6), 2), ValueError, r"21 columns \(dim 1\)"),
        (
            lambda: F.fold(mc.zeros(1, 4, 1), (0, 2), 1),
            ValueError,
            r"output_size must be positive, got \(0, 2\)",
        ),
        (lambda: F.fold(mc.zeros(1, 4, 1), (1, 3), 2), ValueError, "does not fit the padded output height 1"),
        (
            lambda: F.fold(mc.zeros(1, 4, 4, dtype=mc.int64), 3, 2),
            TypeError,
            "fold: input must be a floating-point",
        ),
        (lambda: nn.Unfold(0), ValueError, "Unfold: kernel_size must be positive"),
        (lambda: nn.Unfold(2, padding=-1), ValueError, "Unfold: padding must be non-negative"),
        (lambda: nn.Fold((4, 0), 2), ValueError, r"Fold: output_size must be positive, got \(4, 0\)"),
        (lambda: nn.Fold(4, 2, dilation=0), ValueError, "Fold: dilation must be positive"),
    ],
)
def test_bad_input_is_refused_before_any_arithmetic(call, error, message):
    with pytest.raises(error, match=message):
        call()
