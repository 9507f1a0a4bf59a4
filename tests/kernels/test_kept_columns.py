"""The forward keeps x's columns for the weight gradient when asked (kernels/kept_columns.py,
as Conv2d.forward asks when the weight needs a gradient): the weight gradient reads them
instead of rebuilding them exactly where they are still x's, and gives the reference's
result whether it reads them or rebuilds them.

Same dtype, two kernels: float64 to 1e-10 and float32 to 1e-5, relative to the array's
largest value (as tests/kernels/test_conv_tiers.py compares tiers).
"""

import numpy as np
import pytest
from kernel_checks import close

import minicnn as mc
from minicnn import kernels
from minicnn.kernels import im2col, kept_columns, reference, workspaces

TIERS = ["numpy"] + (["numba"] if mc.backend.numba_available() else [])


def numba_im2col():
    """The numba tier's convolution module, whose stride-1 convolutions of one group run image
    by image (by_images_here) and build no columns of the whole batch to keep."""
    from minicnn.kernels import numba_im2col

    return numba_im2col


# (seed, x shape, weight shape, stride, padding, groups): convolutions whose weight
# gradient reads x's columns
KEPT = {
    "lenet5_conv1": (1, (3, 1, 16, 16), (6, 1, 5, 5), (1, 1), (2, 2), 1),
    "lenet5_conv2": (2, (3, 6, 14, 14), (16, 6, 5, 5), (1, 1), (0, 0), 1),
    "widening_3x3_padded": (3, (2, 4, 9, 8), (8, 4, 3, 3), (1, 1), (1, 1), 1),  # O > C: not "same"
    "two_groups_valid": (4, (2, 4, 7, 7), (6, 2, 3, 3), (1, 1), (0, 0), 2),
}


def arrays(seed, x_shape, w_shape, stride, padding, groups, dtype):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal(w_shape).astype(dtype)
    y = reference.conv2d_forward(x, w, None, stride, padding, (1, 1), groups)
    return x, w, rng.standard_normal(y.shape).astype(dtype)


def columns_built(monkeypatch):
    """The arrays whose columns im2col._im2col_into builds, in call order."""
    built = []
    real = im2col._im2col_into

    def spied(x, *args, **kwargs):
        built.append(x)
        return real(x, *args, **kwargs)

    monkeypatch.setattr(im2col, "_im2col_into", spied)
    return built


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(KEPT))
def test_weight_grad_reads_the_forward_columns(name, dtype, tier, monkeypatch):
    seed, x_shape, w_shape, stride, padding, groups = KEPT[name]
    x, w, gy = arrays(seed, x_shape, w_shape, stride, padding, groups, dtype)
    geometry = (stride, padding, (1, 1), groups)
    K = kernels.get(tier)
    built = columns_built(monkeypatch)
    with kept_columns.keeping(True):
        y = K.conv2d_forward(x, w, None, *geometry)
    gw = K.conv2d_weight_grad(gy, x, w.shape, *geometry)
    if tier == "numba" and numba_im2col().by_images_here(w_shape, stride, (1, 1), groups):
        assert built == []  # image by image: no columns of the whole batch, none kept
    else:
        assert [b is x for b in built] == [True]  # built once, by the forward
    close(y, reference.conv2d_forward(x, w, None, *geometry), dtype)
    close(gw, reference.conv2d_weight_grad(gy, x, w.shape, *geometry), dtype)


@pytest.mark.parametrize("tier", TIERS)
def test_another_forward_of_the_same_geometry_makes_the_weight_grad_rebuild(tier, monkeypatch):
    """Two layers of one geometry: the second forward reuses the workspace, so the first
    layer's weight gradient must not read it (it holds the other x's columns)."""
    seed, x_shape, w_shape, stride, padding, groups = KEPT["two_groups_valid"]  # whole batches in both
    x1, w, gy = arrays(seed, x_shape, w_shape, stride, padding, groups, np.float64)
    x2 = np.random.default_rng(seed + 100).standard_normal(x_shape)
    geometry = (stride, padding, (1, 1), groups)
    K = kernels.get(tier)
    built = columns_built(monkeypatch)
    with kept_columns.keeping(True):
        K.conv2d_forward(x1, w, None, *geometry)
        K.conv2d_forward(x2, w, None, *geometry)
    gw1 = K.conv2d_weight_grad(gy, x1, w.shape, *geometry)
    gw2 = K.conv2d_weight_grad(gy, x2, w.shape, *geometry)
    # x1's columns built again (into another workspace); x2's still kept
    assert [b is x1 for b in built] == [True, False, True]
    close(gw1, reference.conv2d_weight_grad(gy, x1, w.shape, *geometry), np.float64)
    close(gw2, reference.conv2d_weight_grad(gy, x2, w.shape, *geometry), np.float64)


def test_an_array_with_equal_values_is_not_the_same_array(monkeypatch):
    """The columns are kept for the array the forward read, not for a copy of it (which a
    caller may change before the gradient)."""
    seed, x_shape, w_shape, stride, padding, groups = KEPT["lenet5_conv1"]
    x, w, gy = arrays(seed, x_shape, w_shape, stride, padding, groups, np.float64)
    geometry = (stride, padding, (1, 1), groups)
    built = columns_built(monkeypatch)
    with kept_columns.keeping(True):
        im2col.conv2d_forward(x, w, None, *geometry)
    x_changed = x.copy()
    x_changed[0, 0, 3, 3] += 1.0
    gw = im2col.conv2d_weight_grad(gy, x_changed, w.shape, *geometry)
    assert len(built) == 2 and built[1] is x_changed
    close(gw, reference.conv2d_weight_grad(gy, x_changed, w.shape, *geometry), np.float64)


def test_a_smaller_batch_then_the_first_again(monkeypatch):
    """A forward on a smaller batch of the same geometry reuses the buffer: the first
    array's weight gradient then rebuilds, and the smaller batch's reads its own."""
    seed, x_shape, w_shape, stride, padding, groups = KEPT["widening_3x3_padded"]
    x, w, gy = arrays(seed, x_shape, w_shape, stride, padding, groups, np.float32)
    small, _, gy_small = arrays(seed + 1, (1,) + x_shape[1:], w_shape, stride, padding, groups, np.float32)
    geometry = (stride, padding, (1, 1), groups)
    built = columns_built(monkeypatch)
    with kept_columns.keeping(True):
        im2col.conv2d_forward(x, w, None, *geometry)
        im2col.conv2d_forward(small, w, None, *geometry)
    gw_small = im2col.conv2d_weight_grad(gy_small, small, w.shape, *geometry)
    gw = im2col.conv2d_weight_grad(gy, x, w.shape, *geometry)
    assert [b is x for b in built] == [True, False, True]
    close(gw_small, reference.conv2d_weight_grad(gy_small, small, w.shape, *geometry), np.float32)
    close(gw, reference.conv2d_weight_grad(gy, x, w.shape, *geometry), np.float32)


@pytest.mark.parametrize(
    "x_shape, w_shape, stride, padding",
    [
        ((2, 8, 6, 6), (8, 8, 3, 3), (1, 1), (1, 1)),  # "same", O <= C: gW reads gy's columns
        ((2, 3, 9, 9), (4, 3, 3, 3), (2, 2), (1, 1)),  # strided: the phase split's columns
        ((2, 8, 6, 6), (16, 8, 1, 1), (1, 1), (0, 0)),  # pointwise: on x itself
    ],
)
def test_no_columns_kept_where_the_weight_grad_reads_others(x_shape, w_shape, stride, padding):
    rng = np.random.default_rng(sum(x_shape) + sum(w_shape))
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    before = {role: entry[0]() for role, entry in kept_columns._kept.items()}
    with kept_columns.keeping(True):
        im2col.conv2d_forward(x, w, None, stride, padding, (1, 1), 1)
    assert {role: entry[0]() for role, entry in kept_columns._kept.items()} == before


def test_cupy_arrays_keep_nothing():
    cupy_like = type("ndarray", (), {"__module__": "cupy._core.core", "shape": (1, 1, 4, 4)})()
    with kept_columns.keeping(True):
        assert kept_columns.role(cupy_like, (3, 3), (1, 1), (0, 0), (1, 1)) is None


@pytest.mark.parametrize("tier", TIERS)
def test_a_forward_not_asked_keeps_nothing(tier, monkeypatch):
    """Called as a plain kernel (or under no_grad, or for a weight without a gradient), the
    forward keeps nothing, so a caller may change x before the weight gradient."""
    seed, x_shape, w_shape, stride, padding, groups = KEPT["two_groups_valid"]  # whole batches in both
    x, w, gy = arrays(seed + 10, x_shape, w_shape, stride, padding, groups, np.float64)
    geometry = (stride, padding, (1, 1), groups)
    K = kernels.get(tier)
    built = columns_built(monkeypatch)
    K.conv2d_forward(x, w, None, *geometry)
    x *= 2
    gw = K.conv2d_weight_grad(gy, x, w.shape, *geometry)
    assert [b is x for b in built] == [True, True]
    close(gw, reference.conv2d_weight_grad(gy, x, w.shape, *geometry), np.float64)


def test_the_module_asks_only_when_the_weight_needs_a_gradient(monkeypatch):
    asked = []
    real = kept_columns.role
    monkeypatch.setattr(kept_columns, "role", lambda *a: asked.append(kept_columns._asked.wanted) or real(*a))
    conv = mc.nn.Conv2d(2, 4, 3)
    x = mc.tensor(np.random.default_rng(12).standard_normal((2, 2, 6, 6)).astype(np.float32))
    with mc.use_kernels("numpy"):
        conv(x)
        with mc.no_grad():
            conv(x)
        conv.weight.requires_grad = False
        conv(x)
    assert asked == [True, False, False]


def test_at_most_max_kept_geometries_hold_a_buffer():
    """Images of ever new sizes: the oldest kept geometry's entry and buffer are freed."""
    rng = np.random.default_rng(13)
    w = rng.standard_normal((2, 1, 3, 3))
    sizes = range(5, 5 + kept_columns.MAX_KEPT + 3)
    with kept_columns.keeping(True):
        for size in sizes:
            im2col.conv2d_forward(rng.standard_normal((1, 1, size, size)), w, None, (1, 1), (0, 0), (1, 1), 1)
    roles = [f"x columns (1, {n}, {n}) (3, 3) (1, 1) (0, 0) (1, 1)" for n in sizes]
    assert [role in kept_columns._kept for role in roles] == [False] * 3 + [True] * kept_columns.MAX_KEPT
    buffers = {key[0] for key in workspaces._workspaces}
    assert [role in buffers for role in roles] == [False] * 3 + [True] * kept_columns.MAX_KEPT


def test_released_workspaces_are_rebuilt_not_read(monkeypatch):
    seed, x_shape, w_shape, stride, padding, groups = KEPT["lenet5_conv1"]
    x, w, gy = arrays(seed + 20, x_shape, w_shape, stride, padding, groups, np.float32)
    geometry = (stride, padding, (1, 1), groups)
    built = columns_built(monkeypatch)
    with kept_columns.keeping(True):
        im2col.conv2d_forward(x, w, None, *geometry)
    workspaces.release_workspaces()
    gw = im2col.conv2d_weight_grad(gy, x, w.shape, *geometry)
    assert [b is x for b in built] == [True, True]
    close(gw, reference.conv2d_weight_grad(gy, x, w.shape, *geometry), np.float32)


def test_the_entry_does_not_hold_x():
    """Only a weak reference: x is freed with its graph, the entry then matches nothing."""
    seed, x_shape, w_shape, stride, padding, groups = KEPT["lenet5_conv2"]
    x, w, _ = arrays(seed, x_shape, w_shape, stride, padding, groups, np.float64)
    geometry = (stride, padding, (1, 1), groups)
    with kept_columns.keeping(True):
        im2col.conv2d_forward(x, w, None, *geometry)
        role = im2col._kept_role(x, w.shape, *geometry)
    ref = kept_columns._kept[role][0]
    assert ref() is x
    del x
    assert ref() is None


@pytest.mark.parametrize("tier", ["auto"] + TIERS)
def test_lenet5_step_gradients_equal_the_reference_tier(tier):
    """Through autograd, a LeNet-5 forward and backward in float64: every parameter's
    gradient equals the reference tier's (both convolutions keep their columns)."""
    from minicnn import models

    rng = np.random.default_rng(7)
    x = rng.standard_normal((3, 1, 28, 28))
    labels = rng.integers(0, 10, size=3)
    grads = {}
    for name in (tier, "reference"):
        mc.manual_seed(0)
        net = models.lenet5().double()
        with mc.use_kernels(name):
            mc.functional.cross_entropy(net(mc.tensor(x)), mc.tensor(labels)).backward()
        grads[name] = {k: p.grad.numpy().copy() for k, p in net.named_parameters()}
    for k, g in grads["reference"].items():
        close(grads[tier][k], g, np.float64)
