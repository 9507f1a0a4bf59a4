"""A convolution's two gradients together (the optional kernel ``conv2d_grads``,
numba_im2col.py's, and numba_winograd.py's with both by Winograd):
equal to the reference loops where it answers, None where it does not, and taken by
F.conv2d's backward only where both gradients are wanted.

Same dtype, two kernels: float64 to 1e-10 and float32 to 1e-5, relative to the
array's largest value (as tests/kernels/test_conv_tiers.py compares tiers).
"""

import numpy as np
import pytest
from kernel_checks import close

import minicnn as mc
import minicnn.functional as F
from minicnn import kernels
from minicnn.kernels import by_images, im2col, reference

pytestmark = pytest.mark.numba

# (seed, x shape, weight shape, padding): "same" convolutions, no more output than input channels
SAME = {
    "3x3": (1, (3, 4, 6, 5), (4, 4, 3, 3), (1, 1)),
    "3x3_narrowing": (2, (2, 6, 5, 7), (3, 6, 3, 3), (1, 1)),
    "5x5": (3, (2, 3, 7, 6), (2, 3, 5, 5), (2, 2)),
    "3x5": (4, (1, 2, 5, 8), (2, 2, 3, 5), (1, 2)),
    "1x1": (5, (2, 5, 4, 3), (3, 5, 1, 1), (0, 0)),
    "one_image_one_channel": (6, (1, 1, 4, 4), (1, 1, 3, 3), (1, 1)),
}
ONE = ((1, 1), (1, 1), 1)  # stride, dilation, groups


@pytest.fixture(autouse=True)
def winograd_on_few_tiles(monkeypatch):
    """numba_winograd leaves convolutions of few output tiles (all shapes here) to numba_im2col
    (test_winograd_few_tiles.py); these tests take them through Winograd."""
    from minicnn.kernels import numba_winograd

    monkeypatch.setattr(numba_winograd, "MIN_TILES", 0)
    monkeypatch.setattr(numba_winograd, "TILES_PER_CHANNEL", 0)


@pytest.fixture
def numba_im2col():
    from minicnn.kernels import numba_im2col

    return numba_im2col


@pytest.fixture(params=["numba_im2col", "numba_winograd"])
def joint(request):
    """Each module that lends conv2d_grads."""
    import importlib

    return importlib.import_module(f"minicnn.kernels.{request.param}")


def arrays(seed, x_shape, w_shape, padding, dtype):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal(w_shape).astype(dtype)
    y = reference.conv2d_forward(x, w, None, (1, 1), padding, (1, 1), 1)
    return x, w, rng.standard_normal(y.shape).astype(dtype)


def reference_grads(gy, x, w, padding):
    stride, dilation, groups = ONE
    return (
        reference.conv2d_input_grad(gy, w, x.shape, stride, padding, dilation, groups),
        reference.conv2d_weight_grad(gy, x, w.shape, stride, padding, dilation, groups),
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(SAME))
def test_joint_gradients_equal_the_reference(name, dtype, joint, numba_im2col, monkeypatch):
    monkeypatch.setattr(numba_im2col, "MIN_PIXELS", 0)  # these maps are small
    seed, x_shape, w_shape, padding = SAME[name]
    x, w, gy = arrays(seed, x_shape, w_shape, padding, dtype)
    gx, gw = joint.conv2d_grads(gy, x, w, (1, 1), padding, (1, 1), 1)
    want_gx, want_gw = reference_grads(gy, x, w, padding)
    assert gx.dtype == gw.dtype == dtype and gx.flags.c_contiguous and gw.flags.c_contiguous
    close(gx, want_gx, dtype)
    close(gw, want_gw, dtype)


@pytest.mark.parametrize("parts", [1, 2, 3, 7])
def test_any_split_of_the_images_among_threads_equals_the_reference(parts, numba_im2col, monkeypatch):
    """7 images in 1, 2, 3 or 7 runs, each with its own columns and its own sum of gW: the
    gradients equal the reference loops' (to 1e-10), whichever run an image falls in."""
    monkeypatch.setattr(numba_im2col, "MIN_PIXELS", 0)
    monkeypatch.setattr(numba_im2col.numba, "get_num_threads", lambda: parts)
    x, w, gy = arrays(70, (7, 3, 5, 4), (2, 3, 3, 3), (1, 1), np.float64)
    gx, gw = numba_im2col.conv2d_grads(gy, x, w, (1, 1), (1, 1), (1, 1), 1)
    want_gx, want_gw = reference_grads(gy, x, w, (1, 1))
    close(gx, want_gx, np.float64)
    close(gw, want_gw, np.float64)


def test_the_plain_python_loop_of_both_gradients_equals_the_jitted_one(numba_im2col):
    x, w, gy = arrays(71, (5, 3, 6, 5), (4, 3, 3, 3), (1, 1), np.float64)
    gpad = np.ascontiguousarray(np.pad(gy, ((0, 0), (0, 0), (1, 1), (1, 1))))
    w_flipped = np.ascontiguousarray(numba_im2col.im2col.flipped_transposed_weight(w, 1).reshape(3, 36))
    results = []
    for grads in (numba_im2col._grads_py, numba_im2col._grads):
        gx, sums = np.zeros(x.shape), np.zeros((2, 36, 3))
        grads(gpad, x, w_flipped, gx, sums)
        results.append((gx, sums))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-12, atol=1e-12)
    assert results[0][0].any() and results[0][1][1].any()  # both runs wrote


def test_one_images_windows_plain_and_jitted_are_its_im2col(numba_im2col):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((1, 3, 5, 6))
    xpad = np.pad(x[0], ((0, 0), (1, 1), (2, 2)))  # a 3x5 kernel, "same"
    want, _ = im2col.im2col(x, (3, 5), (1, 1), (1, 2), (1, 1))
    for windows in (numba_im2col._image_windows_py, numba_im2col._image_windows):
        cols = np.full((3, 3, 5, 5, 6), np.nan)
        windows(xpad, cols)
        np.testing.assert_array_equal(cols.reshape(want.shape), want)


def test_a_map_of_min_pixels_and_strided_arrays_take_it_unpatched(numba_im2col):
    """16 x 16 cells (MIN_PIXELS) answer as they are; x and gy may be views with strides."""
    x, w, gy = arrays(10, (3, 4, 16, 16), (4, 4, 3, 3), (1, 1), np.float64)
    wide = np.zeros((2,) + x.shape)
    wide[1] = x
    x_view, gy_view = wide[1], np.asfortranarray(gy)
    got = numba_im2col.conv2d_grads(gy_view, x_view, w, (1, 1), (1, 1), (1, 1), 1)
    assert got is not None
    for a, b in zip(got, reference_grads(gy, x, w, (1, 1))):
        close(a, b, np.float64)


# (x shape, weight shape, stride, padding, dilation, groups): the pair of kernels computes these
DECLINED = {
    "groups2": ((2, 4, 16, 16), (4, 2, 3, 3), (1, 1), (1, 1), (1, 1), 2),
    "depthwise": ((2, 4, 16, 16), (4, 1, 3, 3), (1, 1), (1, 1), (1, 1), 4),
    "dilated": ((2, 4, 16, 16), (4, 4, 3, 3), (1, 1), (2, 2), (2, 2), 1),
    "stride2": ((2, 4, 16, 16), (4, 4, 3, 3), (2, 2), (1, 1), (1, 1), 1),
}
# stride-1 convolutions the "same" algorithm does not take: numba_im2col takes x's columns image
# by image (by_images_here), numba_winograd the 3x3 ones by Winograd (padding_3 it passes on)
BY_IMAGES = {
    "widening": ((2, 4, 16, 16), (8, 4, 3, 3), (1, 1), (1, 1), (1, 1), 1),
    "not_same": ((2, 4, 16, 16), (4, 4, 3, 3), (1, 1), (0, 0), (1, 1), 1),
    "small_map": ((2, 4, 15, 17), (4, 4, 3, 3), (1, 1), (1, 1), (1, 1), 1),
    "padding_3": ((2, 4, 8, 8), (4, 4, 3, 3), (1, 1), (3, 3), (1, 1), 1),
    "5x5_unpadded": ((3, 6, 14, 14), (16, 6, 5, 5), (1, 1), (0, 0), (1, 1), 1),  # LeNet-5's second
    "2x4_odd_padding": ((2, 3, 9, 9), (2, 3, 2, 4), (1, 1), (1, 0), (1, 1), 1),
}


@pytest.mark.parametrize("module", ["numba_im2col", "numba_winograd"])
@pytest.mark.parametrize("name", sorted(DECLINED))
def test_other_convolutions_are_declined(module, name):
    import importlib

    joint = importlib.import_module(f"minicnn.kernels.{module}")
    x_shape, w_shape, *params = DECLINED[name]
    rng = np.random.default_rng(20)
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    y = reference.conv2d_forward(x, w, None, *params)
    assert joint.conv2d_grads(rng.standard_normal(y.shape), x, w, *params) is None


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(BY_IMAGES))
def test_other_stride_1_convolutions_go_image_by_image(name, dtype, joint, numba_im2col, monkeypatch):
    """Both gradients (and gW alone, and the forward) image by image equal the reference loops."""
    x_shape, w_shape, *params = BY_IMAGES[name]
    rng = np.random.default_rng(21)
    x, w = rng.standard_normal(x_shape).astype(dtype), rng.standard_normal(w_shape).astype(dtype)
    b = rng.standard_normal(w_shape[0]).astype(dtype)
    y = reference.conv2d_forward(x, w, b, *params)
    gy = rng.standard_normal(y.shape).astype(dtype)
    ran, real = [], numba_im2col._image_grads
    monkeypatch.setattr(numba_im2col, "_image_grads", lambda *a: ran.append(a[3].shape[0]) or real(*a))
    gx, gw = joint.conv2d_grads(gy, x, w, *params)
    by_winograd = joint is not numba_im2col and w_shape[2:] == (3, 3) and max(params[1]) <= 2
    assert ran == ([] if by_winograd else [x_shape[0]])  # the rest numba_winograd passes on
    close(gx, reference.conv2d_input_grad(gy, w, x.shape, *params), dtype)
    close(gw, reference.conv2d_weight_grad(gy, x, w.shape, *params), dtype)
    if joint is numba_im2col:
        close(numba_im2col.conv2d_forward(x, w, b, *params), y, dtype)
        close(numba_im2col.conv2d_weight_grad(gy, x, w.shape, *params), gw, dtype)
        assert ran[-1] == 0  # gW alone: no gx made


# (x shape, weight shape, padding): 3x3 stride-1 convolutions, maps large and small
WINOGRAD_BOTH = {
    "2x2_same": ((5, 4, 2, 2), (4, 4, 3, 3), (1, 1)),  # one tile an image
    "7x9_same": ((2, 4, 7, 9), (4, 4, 3, 3), (1, 1)),
    "8x8_same": ((3, 4, 8, 8), (4, 4, 3, 3), (1, 1)),
    "15x17_same": ((3, 4, 15, 17), (4, 4, 3, 3), (1, 1)),  # odd sizes: tiles past the edge
    "16x16_same": ((2, 3, 16, 16), (3, 3, 3, 3), (1, 1)),  # numba_im2col's MIN_PIXELS
    "widening": ((2, 3, 8, 9), (5, 3, 3, 3), (1, 1)),
    "unpadded": ((2, 4, 10, 9), (4, 4, 3, 3), (0, 0)),
    "padding_2": ((2, 2, 8, 8), (3, 2, 3, 3), (2, 1)),  # output larger than the input
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(WINOGRAD_BOTH))
def test_winograd_takes_both_gradients_by_winograd(name, dtype, monkeypatch):
    """Maps large and small, "same", widening or not: gx by Winograd (a convolution of gy) and
    gW by Winograd's F(3x3, 2x2) (its conv2d_weight_grad), both equal to the reference loops."""
    from minicnn.kernels import numba_winograd

    x_shape, w_shape, padding = WINOGRAD_BOTH[name]
    x, w, gy = arrays(80 + x_shape[3], x_shape, w_shape, padding, dtype)
    calls, real = [], numba_winograd.conv2d_weight_grad
    monkeypatch.setattr(numba_winograd, "conv2d_weight_grad", lambda *a: calls.append(a[2]) or real(*a))
    gx, gw = numba_winograd.conv2d_grads(gy, x, w, (1, 1), padding, (1, 1), 1)
    assert calls == [w.shape]
    want_gx, want_gw = reference_grads(gy, x, w, padding)
    close(gx, want_gx, dtype)
    close(gw, want_gw, dtype)


def test_columns_larger_than_the_caches_are_taken_too(numba_im2col):
    """An image's columns of a 3x3 64 -> 64 convolution on 32x32 maps (2.4 MB in float32, the
    fair bench's convolution) go the joint way, and give the numpy tier's gradients (too
    large for the reference loops; that tier is held to them in test_conv_tiers.py)."""
    rng = np.random.default_rng(30)
    x, gy = rng.standard_normal((2, 64, 32, 32)), rng.standard_normal((2, 64, 32, 32))
    w = rng.standard_normal((64, 64, 3, 3))
    geometry = ((1, 1), (1, 1), (1, 1), 1)
    grads = numba_im2col.conv2d_grads(gy, x, w, *geometry)
    assert grads is not None
    close(grads[0], im2col.conv2d_input_grad(gy, w, x.shape, *geometry), np.float64)
    close(grads[1], im2col.conv2d_weight_grad(gy, x, w.shape, *geometry), np.float64)


def test_only_tiers_that_lend_it_hold_it():
    for tier in ("reference", "numpy-simple", "numpy"):
        K = kernels.get(tier)
        assert K.conv2d_grads is None and "conv2d_grads" not in K.choices
        with pytest.raises(KeyError, match="no kernel 'conv2d_grads'"):
            K.which("conv2d_grads")
    assert kernels.get("numba").which("conv2d_grads") == "minicnn.kernels.numba_im2col.conv2d_grads"


def test_auto_takes_the_joint_gradients_whatever_the_copy_threads(monkeypatch):
    """Each thread runs its own images' GEMMs, so the joint gradients suit any thread count."""
    for copy_threads in ("1", "8"):
        monkeypatch.setenv("MINICNN_COPY_THREADS", copy_threads)
        K = kernels.KernelSet("auto", kernels._chain("auto"))  # built anew: get("auto") keeps its first
        assert K.which("conv2d_grads") == "minicnn.kernels.numba_winograd.conv2d_grads"


def spy(monkeypatch, K, calls):
    """Record which convolution-gradient kernels of K run."""
    for name in ("conv2d_grads", "conv2d_input_grad", "conv2d_weight_grad"):
        original = getattr(K, name)
        monkeypatch.setattr(
            K, name, lambda *a, name=name, original=original: calls.append(name) or original(*a)
        )


@pytest.mark.parametrize("tier", ["numba", "auto"])
@pytest.mark.parametrize(
    "wanted, expected_calls",
    [
        ((True, True), ["conv2d_grads"]),
        ((False, True), ["conv2d_weight_grad"]),
        ((True, False), ["conv2d_input_grad"]),
    ],
)
def test_backward_takes_the_joint_kernel_only_for_both_gradients(tier, wanted, expected_calls, monkeypatch):
    rng = np.random.default_rng(40)
    x = mc.tensor(rng.standard_normal((2, 3, 16, 16)), requires_grad=wanted[0])
    w = mc.tensor(rng.standard_normal((3, 3, 3, 3)), requires_grad=wanted[1])
    calls = []
    spy(monkeypatch, kernels.get(tier), calls)
    with mc.use_kernels(tier):
        F.conv2d(x, w, padding=1).sum().backward()
    assert calls == expected_calls
    gy = np.ones((2, 3, 16, 16))
    want_gx, want_gw = reference_grads(gy, x.numpy(), w.numpy(), (1, 1))
    if wanted[0]:
        close(x.grad.numpy(), want_gx, np.float64)
    if wanted[1]:
        close(w.grad.numpy(), want_gw, np.float64)


def test_backward_falls_back_to_the_pair_where_the_joint_kernel_declines(monkeypatch):
    rng = np.random.default_rng(50)
    x = mc.tensor(rng.standard_normal((2, 4, 16, 16)), requires_grad=True)
    w = mc.tensor(rng.standard_normal((4, 2, 3, 3)), requires_grad=True)  # two groups
    calls = []
    spy(monkeypatch, kernels.get("numba"), calls)
    with mc.use_kernels("numba"):
        F.conv2d(x, w, padding=1, groups=2).sum().backward()
    assert calls == ["conv2d_grads", "conv2d_input_grad", "conv2d_weight_grad"]
    gy = np.ones((2, 4, 16, 16))
    close(
        x.grad.numpy(),
        reference.conv2d_input_grad(gy, w.numpy(), x.shape, (1, 1), (1, 1), (1, 1), 2),
        np.float64,
    )
    close(
        w.grad.numpy(),
        reference.conv2d_weight_grad(gy, x.numpy(), w.shape, (1, 1), (1, 1), (1, 1), 2),
        np.float64,
    )


@pytest.mark.parametrize("padding", [0, 1])
def test_gradcheck_through_conv2d(padding, numba_im2col, monkeypatch):
    monkeypatch.setattr(numba_im2col, "MIN_PIXELS", 0)
    monkeypatch.setattr(by_images, "POINTWISE_CELLS", 10**9)  # the 1x1 one too, not on x itself
    rng = np.random.default_rng(60 + padding)
    x = mc.tensor(rng.standard_normal((2, 3, 5, 6)), requires_grad=True)
    k = 2 * padding + 1  # "same"
    w = mc.tensor(rng.standard_normal((3, 3, k, k)), requires_grad=True)
    b = mc.tensor(rng.standard_normal(3), requires_grad=True)
    calls = []
    spy(monkeypatch, kernels.get("numba"), calls)
    with mc.use_kernels("numba"):
        assert mc.gradcheck(lambda x, w, b: F.conv2d(x, w, b, padding=padding), [x, w, b])
    assert "conv2d_grads" in calls and "conv2d_input_grad" not in calls


@pytest.mark.parametrize("padding", [0, 1, 2])
def test_gradcheck_through_conv2d_with_both_gradients_by_winograd(padding, monkeypatch):
    """An 8 x 8 map through F.conv2d with numba_winograd in front of the
    numpy tier: its conv2d_grads gives both gradients, in float64 to gradcheck's tolerance."""
    from minicnn.kernels import numba_winograd

    chain = [("numba_winograd", None)] + [(name, None) for name in kernels.TIERS["numpy"]]
    monkeypatch.setitem(kernels._sets, "numpy", kernels.KernelSet("numpy", chain))
    entered, real = [], numba_winograd.weight_gradient
    monkeypatch.setattr(numba_winograd, "weight_gradient", lambda *a: entered.append(1) or real(*a))
    rng = np.random.default_rng(90 + padding)
    x = mc.tensor(rng.standard_normal((2, 4, 8, 8)), requires_grad=True)
    w = mc.tensor(rng.standard_normal((5, 4, 3, 3)), requires_grad=True)
    with mc.use_kernels("numpy"):
        assert mc.gradcheck(lambda x, w: F.conv2d(x, w, padding=padding), [x, w])
    assert entered  # the Winograd weight gradient ran


def test_the_plain_python_loops_image_by_image_equal_the_jitted_ones(numba_im2col):
    """_forward, _image_grads (with gx and without) and _image_col2im, plain and jitted."""
    rng = np.random.default_rng(72)
    xpad = rng.standard_normal((5, 3, 8, 7))
    w2, bias = rng.standard_normal((4, 3 * 3 * 2)), rng.standard_normal(4)
    ys = [np.zeros((5, 4, 6, 6)) for _ in range(2)]
    for loop, y in zip((numba_im2col._forward_py, numba_im2col._forward), ys):
        loop(xpad, w2, bias, 2, y)
    np.testing.assert_allclose(ys[0], ys[1], rtol=1e-12, atol=1e-12)
    assert ys[0][0].any() and ys[0][4].any()  # both runs wrote
    gy = rng.standard_normal((5, 4, 6, 6))
    for images in (5, 0):  # gx too, then gW alone
        results = []
        for loop in (numba_im2col._image_grads_py, numba_im2col._image_grads):
            gxpad, sums = np.full((images, 3, 8, 7), np.nan), np.zeros((3, 4, 18))
            loop(gy, xpad, np.ascontiguousarray(w2.T), gxpad, sums)
            results.append((gxpad, sums))
        np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-12, atol=1e-12)
        assert not np.isnan(results[1][0]).any() and all(results[1][1][q].any() for q in range(3))


@pytest.mark.parametrize("parts", [1, 2, 3, 7])
def test_any_split_of_the_images_by_images_equals_the_reference(parts, numba_im2col, monkeypatch):
    """7 images of LeNet-5's second convolution in 1, 2, 3 or 7 runs: forward and both
    gradients equal the reference loops' (to 1e-10), whichever run an image falls in."""
    monkeypatch.setattr(numba_im2col.numba, "get_num_threads", lambda: parts)
    x_shape, w_shape, *params = BY_IMAGES["5x5_unpadded"]
    rng = np.random.default_rng(73)
    x, w = rng.standard_normal((7,) + x_shape[1:]), rng.standard_normal(w_shape)
    b = rng.standard_normal(w_shape[0])
    y = numba_im2col.conv2d_forward(x, w, b, *params)
    close(y, reference.conv2d_forward(x, w, b, *params), np.float64)
    gy = rng.standard_normal(y.shape)
    gx, gw = numba_im2col.conv2d_grads(gy, x, w, *params)
    close(gx, reference.conv2d_input_grad(gy, w, x.shape, *params), np.float64)
    close(gw, reference.conv2d_weight_grad(gy, x, w.shape, *params), np.float64)


@pytest.mark.parametrize("padding", [0, 2])
def test_gradcheck_through_conv2d_image_by_image(padding, numba_im2col, monkeypatch):
    """A 5x5 convolution through F.conv2d under the numba tier: forward and both gradients
    image by image, in float64 to gradcheck's tolerance."""
    rng = np.random.default_rng(74 + padding)
    x = mc.tensor(rng.standard_normal((2, 3, 7, 6)), requires_grad=True)
    w = mc.tensor(rng.standard_normal((4, 3, 5, 5)), requires_grad=True)
    b = mc.tensor(rng.standard_normal(4), requires_grad=True)
    ran, real = [], numba_im2col._image_grads
    monkeypatch.setattr(numba_im2col, "_image_grads", lambda *a: ran.append(1) or real(*a))
    with mc.use_kernels("numba"):
        assert mc.gradcheck(lambda x, w, b: F.conv2d(x, w, b, padding=padding), [x, w, b])
    assert ran
