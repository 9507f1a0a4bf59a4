"""Winograd F(2x2, 3x3) convolution (kernels/winograd.py, and numba_winograd.py's jitted
transforms): equal to the reference loops, exactly im2col.py's result where it does not
apply, and through F.conv2d a passing gradient check.

Same dtype, two kernels: float64 to 1e-10 and float32 to 1e-5, relative to the array's
largest value (as tests/kernels/test_conv_tiers.py compares tiers).
"""

import importlib

import numpy as np
import pytest
from kernel_checks import close, conv_kernels_equal_reference

import minicnn as mc
import minicnn.functional as F
from minicnn import kernels
from minicnn.kernels import by_images, im2col, reference, winograd

MODULES = ["winograd", pytest.param("numba_winograd", marks=pytest.mark.numba)]

# (seed, x shape (N, C, H, W), out channels, padding)
SHAPES = {
    "even_pad1": (1, (2, 3, 6, 8), 4, (1, 1)),
    "odd_pad1": (2, (2, 3, 7, 5), 4, (1, 1)),
    "even_pad0": (3, (2, 3, 8, 6), 2, (0, 0)),
    "odd_pad0": (4, (1, 2, 9, 7), 3, (0, 0)),
    "batch1_one_channel_in": (5, (1, 1, 5, 6), 3, (1, 1)),
    "one_channel_out": (6, (3, 4, 6, 5), 1, (1, 1)),
    "one_to_one": (7, (2, 1, 4, 4), 1, (0, 0)),
    "non_square_mixed_padding": (8, (2, 3, 4, 11), 5, (0, 1)),
    "one_pixel_out": (9, (2, 3, 3, 3), 2, (0, 0)),
    "one_pixel_in": (10, (2, 3, 1, 1), 2, (1, 1)),
    "pad2": (11, (1, 2, 5, 4), 3, (2, 2)),
    "wide_channels": (12, (2, 24, 6, 6), 16, (1, 1)),
    "rows_over_two_lines": (13, (1, 2, 3, 33), 2, (1, 1)),  # numba_winograd's row pitch: 48
}
ONE = ((1, 1), (1, 1))  # stride, dilation
FEW_TAPS = by_images.FEW_TAPS


@pytest.fixture(autouse=True)
def winograd_on_few_taps_and_few_tiles(monkeypatch):
    """numba_winograd leaves filters of few taps (C*9 <= FEW_TAPS: 3 channels or fewer, most
    shapes here) and convolutions of few output tiles (all shapes here) to numba_im2col;
    these tests take them through Winograd."""
    monkeypatch.setattr(by_images, "FEW_TAPS", 0)
    try:
        from minicnn.kernels import numba_winograd
    except ImportError:  # without Numba only winograd.py is tested, which has no such bound
        return
    monkeypatch.setattr(numba_winograd, "MIN_TILES", 0)
    monkeypatch.setattr(numba_winograd, "TILES_PER_CHANNEL", 0)


def module(name):
    if name.startswith("numba"):
        pytest.importorskip("numba")
    return importlib.import_module(f"minicnn.kernels.{name}")


def arrays(seed, x_shape, out_channels, padding, dtype):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal((out_channels, x_shape[1], 3, 3)).astype(dtype)
    b = rng.standard_normal(out_channels).astype(dtype)
    y_shape = (x_shape[0], out_channels, x_shape[2] + 2 * padding[0] - 2, x_shape[3] + 2 * padding[1] - 2)
    return x, w, b, rng.standard_normal(y_shape).astype(dtype)


def test_the_transforms_compute_a_correlation_in_one_and_two_dimensions():
    """A^T [(G g) ⊙ (B^T d)] is y[a] = sum_u g[u] d[a + u], and the 2-D nesting its square."""
    rng = np.random.default_rng(20)
    B_T, G, A_T = (np.array(m, dtype=float) for m in (winograd.B_T, winograd.G, winograd.A_T))
    d, g = rng.standard_normal(4), rng.standard_normal(3)
    np.testing.assert_allclose(A_T @ ((G @ g) * (B_T @ d)), [d[0:3] @ g, d[1:4] @ g], rtol=1e-14)
    d2, g2 = rng.standard_normal((4, 4)), rng.standard_normal((3, 3))
    want = [[np.sum(d2[a : a + 3, b : b + 3] * g2) for b in range(2)] for a in range(2)]
    np.testing.assert_allclose(A_T @ ((G @ g2 @ G.T) * (B_T @ d2 @ B_T.T)) @ A_T.T, want, rtol=1e-13)
    # F(3, 2), the weight gradient's: G^T [(A y) ⊙ (B^T d)] is gW[u] = sum_a y[a] d[a + u]
    y = rng.standard_normal(2)
    np.testing.assert_allclose(G.T @ ((A_T.T @ y) * (B_T @ d)), [y @ d[u : u + 2] for u in range(3)])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("mod", MODULES)
@pytest.mark.parametrize("name", sorted(SHAPES))
def test_equals_the_reference(name, mod, dtype):
    K = module(mod)
    seed, x_shape, out_channels, padding = SHAPES[name]
    x, w, b, gy = arrays(seed, x_shape, out_channels, padding, dtype)
    conv_kernels_equal_reference(K, x, w, b, gy, ((1, 1), padding, (1, 1), 1), dtype)


# (x shape, weight shape, stride, padding, dilation, groups): where Winograd does not apply
FALLBACK = {
    "stride2": ((2, 3, 7, 8), (4, 3, 3, 3), (2, 2), (1, 1), (1, 1), 1),
    "stride_1x2": ((2, 3, 7, 8), (4, 3, 3, 3), (1, 2), (1, 1), (1, 1), 1),
    "5x5": ((2, 3, 9, 8), (4, 3, 5, 5), (1, 1), (2, 2), (1, 1), 1),
    "3x1": ((2, 3, 6, 5), (4, 3, 3, 1), (1, 1), (1, 0), (1, 1), 1),
    "groups2": ((2, 4, 6, 7), (4, 2, 3, 3), (1, 1), (1, 1), (1, 1), 2),
    "dilation2": ((2, 3, 9, 8), (4, 3, 3, 3), (1, 1), (2, 2), (2, 2), 1),
}


@pytest.mark.parametrize("mod", MODULES)
@pytest.mark.parametrize("name", sorted(FALLBACK))
def test_other_convolutions_give_exactly_the_im2col_result(name, mod):
    """winograd.py passes them to im2col.py, numba_winograd.py to numba_im2col.py."""
    K = module(mod)
    to = module("numba_im2col" if mod == "numba_winograd" else "im2col")
    rng = np.random.default_rng(30)
    xs, ws, *params = FALLBACK[name]
    x, w, b = rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0])
    assert not winograd.applies(ws, params[0], params[2], params[3])
    y = K.conv2d_forward(x, w, b, *params)
    np.testing.assert_array_equal(y, to.conv2d_forward(x, w, b, *params))
    gy = rng.standard_normal(y.shape)
    np.testing.assert_array_equal(
        K.conv2d_input_grad(gy, w, x.shape, *params), to.conv2d_input_grad(gy, w, x.shape, *params)
    )
    np.testing.assert_array_equal(
        K.conv2d_weight_grad(gy, x, w.shape, *params), to.conv2d_weight_grad(gy, x, w.shape, *params)
    )


@pytest.mark.parametrize("mod", MODULES)
def test_input_gradient_beyond_padding_2_is_the_im2col_one(mod, monkeypatch):
    """Padding 3 would need the gradient's convolution padded by 2 - 3 < 0: im2col.py computes it."""
    K = module(mod)
    x, w, b, gy = arrays(40, (2, 3, 5, 4), 4, (3, 3), np.float64)
    params = ((1, 1), (3, 3), (1, 1), 1)
    close(K.conv2d_forward(x, w, b, *params), reference.conv2d_forward(x, w, b, *params), np.float64)
    want = im2col.conv2d_input_grad(gy, w, x.shape, *params)
    monkeypatch.setattr(K, "convolve", None)  # the Winograd path is not taken
    np.testing.assert_array_equal(K.conv2d_input_grad(gy, w, x.shape, *params), want)


@pytest.mark.parametrize("mod", MODULES)
def test_results_are_new_arrays_not_workspaces(mod):
    K = module(mod)
    x, w, b, gy = arrays(50, (2, 3, 6, 5), 4, (1, 1), np.float64)
    params = ((1, 1), (1, 1), (1, 1), 1)
    y, gx, gw = (
        K.conv2d_forward(x, w, b, *params),
        K.conv2d_input_grad(gy, w, x.shape, *params),
        K.conv2d_weight_grad(gy, x, w.shape, *params),
    )
    kept = [a.copy() for a in (y, gx, gw)]
    K.conv2d_forward(-x, w, b, *params)
    K.conv2d_input_grad(-gy, w, x.shape, *params)
    K.conv2d_weight_grad(-gy, x, w.shape, *params)
    for got, want in zip((y, gx, gw), kept):
        np.testing.assert_array_equal(got, want)


@pytest.mark.numba
def test_the_plain_python_transforms_equal_the_jitted_ones():
    nw = module("numba_winograd")
    rng = np.random.default_rng(60)
    th, tw = 2, 3
    x = rng.standard_normal((3, 3, 2 * th + 1, 2 * tw))  # padding (1, 0): an odd row count
    V_jit, V_py = np.full((16, 3 * th * tw, 3), np.nan), np.full((16, 3 * th * tw, 3), np.nan)
    nw._image_tiles(x, 1, 1, 0, th, tw, V_jit, th * tw)  # image 1, into the second block of rows
    nw._image_tiles_py(x, 1, 1, 0, th, tw, V_py, th * tw)
    np.testing.assert_allclose(V_py, V_jit, rtol=1e-14, atol=1e-14)
    written = np.zeros(3 * th * tw, dtype=bool)
    written[th * tw : 2 * th * tw] = True
    assert not np.isnan(V_jit[:, written]).any() and np.isnan(V_jit[:, ~written]).all()
    M, bias = rng.standard_normal((16, th * tw, 4)), rng.standard_normal(4)
    y_jit, y_py = np.zeros((3, 4, 2 * th - 1, 2 * tw - 1)), np.zeros((3, 4, 2 * th - 1, 2 * tw - 1))
    nw._image_output(M, bias, 1, y_jit)
    nw._image_output_py(M, bias, 1, y_py)
    np.testing.assert_allclose(y_py, y_jit, rtol=1e-14, atol=1e-14)
    assert not y_jit[0].any() and not y_jit[2].any() and y_jit[1].all()  # only image 1 written
    gy = rng.standard_normal((2, 4, 2 * th, 2 * tw - 1))
    GY_jit, GY_py = np.full((16, 2 * th * tw, 4), np.nan), np.full((16, 2 * th * tw, 4), np.nan)
    nw._image_gy_tiles(gy, 1, GY_jit, th * tw)
    nw._image_gy_tiles_py(gy, 1, GY_py, th * tw)
    np.testing.assert_allclose(GY_py, GY_jit, rtol=1e-14, atol=1e-14)
    assert not np.isnan(GY_jit[:, th * tw :]).any() and np.isnan(GY_jit[:, : th * tw]).all()


@pytest.mark.numba
def test_the_plain_python_pipelines_equal_the_jitted_ones():
    """The convolution and the weight gradient's sums, each run's images by plain Python and
    by the parallel loops (np.dot in both)."""
    nw = module("numba_winograd")
    x, w, b, gy = arrays(63, (5, 3, 7, 6), 4, (1, 1), np.float64)
    U = winograd.weight_tiles(w)
    y_py, y_jit = np.empty(gy.shape), np.empty(gy.shape)
    nw._convolve_py(x, U, b, 1, 1, 2, y_py)
    nw._convolve(x, U, b, 1, 1, 2, y_jit)
    np.testing.assert_allclose(y_py, y_jit, rtol=1e-12, atol=1e-12)
    sums_py, sums_jit = np.zeros((3, 16, 4, 3)), np.zeros((3, 16, 4, 3))
    nw._weight_sums_py(gy, x, 1, 1, 1, sums_py)
    nw._weight_sums(gy, x, 1, 1, 1, sums_jit)
    np.testing.assert_allclose(sums_py, sums_jit, rtol=1e-12, atol=1e-12)
    assert all(sums_jit[q].any() for q in range(3))  # every run summed images of its own
    for block in (2, 3):  # blocks of images to a GEMM, the last one short where a run's images end
        in_blocks = np.zeros((3, 16, 4, 3))
        nw._weight_sums(gy, x, 1, 1, block, in_blocks)
        np.testing.assert_allclose(in_blocks, sums_jit, rtol=1e-12, atol=1e-12)


@pytest.mark.numba
@pytest.mark.parametrize(
    "grid, channels, itemsize, images",
    [
        ((4, 4), 128, 4, 8),
        ((8, 8), 64, 4, 4),
        ((16, 16), 32, 4, 2),
        ((4, 4), 128, 8, 4),
        ((64, 64), 512, 8, 1),
    ],
)
def test_a_block_of_images_is_as_many_as_fit_in_block_bytes(grid, channels, itemsize, images):
    """The weight gradient's blocks: ResNet-20's third stage (8 x 8, 64 + 64 channels) takes 8
    images of 16 tiles to a GEMM; an image too large for BLOCK_BYTES still goes, alone."""
    nw = module("numba_winograd")
    assert nw.images_per_block(grid, channels, itemsize) == images
    one = 16 * grid[0] * grid[1] * channels * itemsize
    assert images * one <= nw.BLOCK_BYTES < (images + 1) * one or images == 1


@pytest.mark.numba
def test_the_row_pitch_holds_a_row_in_an_odd_number_of_lines():
    """numba_winograd copies x's rows into rows of this pitch: W values or more, an odd
    number of 16-value lines, so that one row's start and the next fall in different L1 sets."""
    nw = module("numba_winograd")
    for W in range(1, 100):
        pitch = nw._row_pitch(W)
        assert pitch >= W and pitch % 16 == 0 and (pitch // 16) % 2 == 1
        assert pitch < W + 32  # no more than one line beyond the rounding up


@pytest.mark.numba
@pytest.mark.parametrize("parts", [1, 2, 5])
def test_any_split_of_the_images_among_threads_gives_the_whole_batch_result(parts, monkeypatch):
    """numba_winograd gives each thread a run of images; 1, 2 or 5 runs of 5 images give the
    same convolution, input gradient and weight gradient as winograd.py's whole batch."""
    nw = module("numba_winograd")
    x, w, b, gy = arrays(61, (5, 3, 7, 6), 4, (1, 1), np.float64)
    monkeypatch.setattr(nw.numba, "get_num_threads", lambda: parts)
    assert nw.numba_im2col.parts(5) == parts and nw.numba_im2col.parts(1) == 1  # no run without an image
    params = ((1, 1), (1, 1), (1, 1), 1)
    y, gx = nw.conv2d_forward(x, w, b, *params), nw.conv2d_input_grad(gy, w, x.shape, *params)
    close(y, winograd.conv2d_forward(x, w, b, *params), np.float64)
    close(gx, winograd.conv2d_input_grad(gy, w, x.shape, *params), np.float64)
    close(nw.weight_gradient(gy, x, (1, 1)), winograd.conv2d_weight_grad(gy, x, w.shape, *params), np.float64)


@pytest.mark.parametrize("mod", MODULES)
@pytest.mark.parametrize("padding", [0, 1])
def test_gradcheck_through_conv2d(mod, padding, monkeypatch):
    module(mod)
    # the numpy tier with this module in front of it, so F.conv2d runs all three of its kernels
    chain = [(mod, None)] + [(name, None) for name in kernels.TIERS["numpy"]]
    monkeypatch.setitem(kernels._sets, "numpy", kernels.KernelSet("numpy", chain))
    rng = np.random.default_rng(70 + padding)
    x = mc.tensor(rng.standard_normal((2, 3, 5, 6)), requires_grad=True)
    w = mc.tensor(rng.standard_normal((4, 3, 3, 3)), requires_grad=True)
    b = mc.tensor(rng.standard_normal(4), requires_grad=True)
    with mc.use_kernels("numpy"):
        for kernel in ("conv2d_forward", "conv2d_input_grad", "conv2d_weight_grad"):
            assert kernels.which(kernel) == f"minicnn.kernels.{mod}.{kernel}"
        assert mc.gradcheck(lambda x, w, b: F.conv2d(x, w, b, padding=padding), [x, w, b])


@pytest.mark.numba
@pytest.mark.parametrize("channels, by_winograd", [(1, False), (3, False), (4, True)])
def test_numba_winograd_leaves_filters_of_few_taps_to_numba_im2col(channels, by_winograd, monkeypatch):
    """An RGB image's 3x3 filters (27 taps) and fewer go to numba_im2col's per-image GEMMs;
    4 channels (36 taps) to Winograd. Both equal the reference loops."""
    K = module("numba_winograd")
    monkeypatch.setattr(by_images, "FEW_TAPS", FEW_TAPS)
    x, w, b, _ = arrays(90 + channels, (2, channels, 6, 7), 5, (1, 1), np.float64)
    calls, real = [], K.convolve
    monkeypatch.setattr(K, "convolve", lambda *a: calls.append(1) or real(*a))
    y = K.conv2d_forward(x, w, b, (1, 1), (1, 1), (1, 1), 1)
    assert bool(calls) == by_winograd
    close(y, reference.conv2d_forward(x, w, b, (1, 1), (1, 1), (1, 1), 1), np.float64)


@pytest.mark.parametrize("mod", MODULES)
def test_an_inf_in_x_stays_inf_in_the_reference_loops_and_can_turn_nan_here(mod):
    """docs/ops/conv2d.md, "Infinities and NaN", pinned: the reference loops (as PyTorch)
    keep an inf cell of x to the outputs and weight taps that read it, as +-inf, and nothing
    else is non-finite; Winograd's transforms subtract neighbouring cells, so some of those
    outputs come out NaN (inf - inf), and so can gW's taps that never read the cell."""
    K = module(mod)
    x, w, b, gy = arrays(15, (1, 4, 6, 6), 4, (1, 1), np.float64)
    params = ((1, 1), (1, 1), (1, 1), 1)
    x[0, 0, 2, 3] = np.inf  # read by outputs (i, j), i in 1..3, j in 2..4, of every channel
    want = reference.conv2d_forward(x, w, b, *params)
    reads = np.zeros(want.shape, bool)
    reads[:, :, 1:4, 2:5] = True
    np.testing.assert_array_equal(np.isinf(want), reads)
    assert not np.isnan(want).any()
    with np.errstate(invalid="ignore"):  # inf - inf, as documented
        y = K.conv2d_forward(x, w, b, *params)
    np.testing.assert_array_equal(~np.isfinite(y), reads)
    assert np.isnan(y).any(), "Winograd keeps inf now: update docs/ops/conv2d.md and this test"
    x[0, 0, 2, 3] = 1.0
    x[0, 0, 0, 0] = -np.inf  # a corner: padding 1 leaves only taps (u, v) in {0, 1}^2 reading it
    gw_want = reference.conv2d_weight_grad(gy, x, w.shape, *params)
    taps = np.zeros(w.shape, bool)
    taps[:, 0, :2, :2] = True
    np.testing.assert_array_equal(np.isinf(gw_want), taps)
    assert not np.isnan(gw_want).any()
    with np.errstate(invalid="ignore"):
        gw = K.conv2d_weight_grad(gy, x, w.shape, *params)
    assert np.isnan(gw[~taps]).any() and np.isfinite(gw[:, 1:]).all()
