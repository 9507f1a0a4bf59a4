"""A convolution's two gradient kernels share what they build from gy (im2col.py: gy's
columns or its GEMM matrix) within one backward only (``im2col.sharing``, as
Conv2d.backward runs them): a gy array refilled in place between two backwards, or kernels
called on their own, never read an earlier call's columns."""

import numpy as np
import pytest
from kernel_checks import close

import minicnn as mc
import minicnn.functional as F
from minicnn import kernels
from minicnn.kernels import im2col, reference

TIERS = ["numpy", "auto"] + (["numba"] if mc.backend.numba_available() else [])

# (x shape, weight shape, stride, padding): a "same" 3x3 on an 8x8 map (gy's columns; the
# joint kernel declines maps this small) and a strided one (gy's GEMM matrix)
CASES = {
    "same_3x3": ((2, 4, 8, 8), (4, 4, 3, 3), (1, 1), (1, 1)),
    "strided_3x3": ((2, 3, 11, 11), (5, 3, 3, 3), (2, 2), (1, 1)),
}


def builds(monkeypatch):
    """Counts the arrays im2col builds from a gy (its columns, or its GEMM matrix)."""
    count = [0]
    real = im2col._shared_gy

    def spied(gy, key, role, build):
        def counted():
            count[0] += 1
            return build()

        return real(gy, key, role, counted)

    monkeypatch.setattr(im2col, "_shared_gy", spied)
    return count


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize("name", sorted(CASES))
def test_a_gy_refilled_in_place_gives_the_new_gradients(name, tier):
    x_shape, w_shape, stride, padding = CASES[name]
    rng = np.random.default_rng(len(name) + len(tier))
    x = mc.tensor(rng.standard_normal(x_shape), requires_grad=True)
    w = mc.tensor(rng.standard_normal(w_shape), requires_grad=True)
    with mc.use_kernels(tier):
        y = F.conv2d(x, w, stride=stride, padding=padding)
        g = rng.standard_normal(y.shape)
        y.backward(g, retain_graph=True)
        g[...] = rng.standard_normal(y.shape)  # the same array, new values
        x.grad = w.grad = None
        y.backward(g)
    geometry = (stride, padding, (1, 1), 1)
    close(x.grad.numpy(), reference.conv2d_input_grad(g, w.numpy(), x_shape, *geometry), np.float64)
    close(w.grad.numpy(), reference.conv2d_weight_grad(g, x.numpy(), w_shape, *geometry), np.float64)


@pytest.mark.parametrize("name", sorted(CASES))
def test_kernels_share_inside_one_backward_only(name, monkeypatch):
    x_shape, w_shape, stride, padding = CASES[name]
    rng = np.random.default_rng(40 + len(name))
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    gy = rng.standard_normal(reference.conv2d_forward(x, w, None, stride, padding, (1, 1), 1).shape)
    geometry = (stride, padding, (1, 1), 1)
    K = kernels.get("numpy")
    count = builds(monkeypatch)
    with im2col.sharing(gy):
        K.conv2d_input_grad(gy, w, x_shape, *geometry)
        K.conv2d_weight_grad(gy, x, w_shape, *geometry)
    inside = count[0]
    K.conv2d_input_grad(gy, w, x_shape, *geometry)
    K.conv2d_weight_grad(gy, x, w_shape, *geometry)
    outside = count[0] - inside
    assert im2col._shared[0] is None  # nothing, gy included, held after the backward
    assert (inside, outside) == (1, 2)


@pytest.mark.parametrize("tier", ["reference", "numpy", "auto"])
def test_conv2d_opens_its_scopes_through_its_kernel_set(tier, monkeypatch):
    """Conv2d asks its kernel set for the two scopes (kernels.KernelSet), and names no kernel
    module itself (the plain tiers' sets hand out empty ones)."""
    opened = []
    real_keeping, real_sharing = kernels.KernelSet.keeping_columns, kernels.KernelSet.sharing_gy
    monkeypatch.setattr(
        kernels.KernelSet,
        "keeping_columns",
        lambda self, w: opened.append(("keep", w)) or real_keeping(self, w),
    )
    monkeypatch.setattr(
        kernels.KernelSet,
        "sharing_gy",
        lambda self, gy: opened.append(("share", gy)) or real_sharing(self, gy),
    )
    rng = np.random.default_rng(7)
    x = mc.tensor(rng.standard_normal((2, 3, 6, 6)), requires_grad=True)
    w = mc.tensor(rng.standard_normal((4, 3, 3, 3)), requires_grad=False)
    with mc.use_kernels(tier):
        y = F.conv2d(x, w, padding=1)
        g = rng.standard_normal(y.shape)
        y.backward(g)
    assert opened[0] == ("keep", False)  # a frozen weight: no columns kept for its gradient
    assert opened[1][0] == "share" and opened[1][1] is g
