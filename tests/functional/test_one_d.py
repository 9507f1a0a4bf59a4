"""conv1d, conv_transpose1d and the 1-D pools, lp_pool1d and lp_pool2d: PyTorch's numbers on every
kernel tier (tests/fixtures/gen_one_d.py, torch 2.14), finite differences in float64, and the
view they are: the 2-D op's kernels on (N, C, 1, L), unbatched signals as a batch of one."""

import numpy as np
import pytest
from fixtures.gen_one_d import CASES, CONVS, params

import minicnn as mc
import minicnn.functional as F
from minicnn import kernels

TIERS = ["reference", "numpy-simple", "numpy", pytest.param("numba", marks=pytest.mark.numba), "auto"]


def run(g, name, dtype=np.float64):
    """(y, indices or None, {input name: its leaf Tensor}) of one golden case, from its arrays."""
    op = CASES[name][0]
    names = [k for k in ("x", "weight", "bias") if f"{name}/{k}" in g]
    leaves = {k: mc.tensor(g[f"{name}/{k}"].astype(dtype), requires_grad=True) for k in names}
    if op in CONVS:
        out = getattr(F, op)(leaves["x"], leaves["weight"], leaves.get("bias"), **params(name))
    else:
        out = getattr(F, op)(leaves["x"], **params(name))
    y, indices = out if isinstance(out, tuple) else (out, None)
    return y, indices, leaves


def test_the_golden_file_holds_every_case(golden):
    assert {k.split("/")[0] for k in golden("one_d")} == set(CASES), "one_d.npz is stale: rerun gen_one_d.py"


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_pytorch(golden, name, tier):
    g = {k: v for k, v in golden("one_d").items() if k.startswith(name + "/")}
    with mc.use_kernels(tier):
        y, indices, leaves = run(g, name)
        y.backward(mc.tensor(g[f"{name}/gy"]))
    want = g[f"{name}/y"]
    assert y.shape == want.shape and y.dtype == np.float64
    np.testing.assert_allclose(y.numpy(), want, rtol=1e-10, atol=1e-12)  # NaN where PyTorch has NaN
    for key, leaf in leaves.items():
        np.testing.assert_allclose(leaf.grad.numpy(), g[f"{name}/g{key}"], rtol=1e-10, atol=1e-12)
    assert (indices is None) == (f"{name}/indices" not in g)
    if indices is not None:
        assert indices.dtype == np.int64 and not indices.requires_grad
        np.testing.assert_array_equal(indices.numpy(), g[f"{name}/indices"])


@pytest.mark.parametrize(
    "name",
    [
        "conv1d_dil2_groups2",
        "conv_transpose1d_s2_pad1_out1",
        "max_pool1d_k3_s2_pad1_ceil",
        "lp_pool2d_p3_ceil",
    ],
)
def test_float32_stays_float32(golden, name):
    g = golden("one_d")
    y, _, leaves = run(g, name, np.float32)
    y.backward(mc.tensor(g[f"{name}/gy"].astype(np.float32)))
    assert y.dtype == np.float32 and all(leaf.grad.dtype == np.float32 for leaf in leaves.values())
    np.testing.assert_allclose(y.numpy(), g[f"{name}/y"], rtol=1e-4, atol=1e-5)


# --- finite differences in float64 -----------------------------------------------------------
# name: (fn of the inputs, their shapes, how x is drawn); "distinct": shuffled values 0.05 apart
# (no ties in a max window), "positive": the same shifted to [0.3, ...) (x^p real), "signed":
# those with random signs (no ties in |x|, for p = inf)
GRADCHECK = {
    "conv1d_pad_bias": (lambda x, w, b: F.conv1d(x, w, b, padding=1), [(2, 3, 7), (4, 3, 3), (4,)], None),
    "conv1d_stride_dilation": (
        lambda x, w: F.conv1d(x, w, stride=2, padding=1, dilation=3),
        [(1, 2, 9), (3, 2, 2)],
        None,
    ),
    "conv1d_groups": (lambda x, w, b: F.conv1d(x, w, b, groups=2), [(1, 4, 6), (4, 2, 3), (4,)], None),
    "conv1d_same_even_kernel": (lambda x, w: F.conv1d(x, w, padding="same"), [(2, 2, 5), (2, 2, 4)], None),
    "conv1d_unbatched": (lambda x, w: F.conv1d(x, w, stride=(2,)), [(2, 7), (3, 2, 3)], None),
    "conv_transpose1d_stride_output_padding": (
        lambda x, w, b: F.conv_transpose1d(x, w, b, stride=2, padding=1, output_padding=1),
        [(1, 3, 4), (3, 2, 3), (2,)],
        None,
    ),
    "conv_transpose1d_groups_dilation": (
        lambda x, w: F.conv_transpose1d(x, w, stride=3, groups=2, dilation=2),
        [(2, 4, 3), (4, 1, 2)],
        None,
    ),
    "max_pool1d_pad_ceil": (lambda x: F.max_pool1d(x, 3, 2, 1, ceil_mode=True), [(2, 2, 8)], "distinct"),
    "max_pool1d_dilation_indices": (
        lambda x: F.max_pool1d(x, 2, 1, 1, dilation=3, return_indices=True)[0],
        [(1, 2, 7)],
        "distinct",
    ),
    "avg_pool1d_pad_ceil": (lambda x: F.avg_pool1d(x, 3, 2, 1, ceil_mode=True), [(2, 2, 8)], None),
    "avg_pool1d_exclude_pad": (
        lambda x: F.avg_pool1d(x, 2, 1, 1, count_include_pad=False),
        [(1, 3, 5)],
        None,
    ),
    "adaptive_avg_pool1d_7_to_3": (lambda x: F.adaptive_avg_pool1d(x, 3), [(2, 2, 7)], None),
    "adaptive_avg_pool1d_up": (lambda x: F.adaptive_avg_pool1d(x, (5,)), [(1, 2, 3)], None),
    "adaptive_max_pool1d_7_to_3": (lambda x: F.adaptive_max_pool1d(x, 3), [(2, 2, 7)], "distinct"),
    "adaptive_max_pool1d_up": (
        lambda x: F.adaptive_max_pool1d(x, 5, return_indices=True)[0],
        [(1, 2, 3)],
        "distinct",
    ),
    "lp_pool1d_p2": (lambda x: F.lp_pool1d(x, 2, 2), [(2, 2, 6)], None),
    "lp_pool1d_p3_ceil": (lambda x: F.lp_pool1d(x, 3, 3, 2, ceil_mode=True), [(1, 2, 8)], "positive"),
    "lp_pool1d_p1_5_stride1": (lambda x: F.lp_pool1d(x, 1.5, 3, 1), [(1, 2, 6)], "positive"),
    "lp_pool1d_inf": (lambda x: F.lp_pool1d(x, float("inf"), 2, ceil_mode=True), [(1, 2, 7)], "signed"),
    "lp_pool1d_minus_inf": (lambda x: F.lp_pool1d(x, -float("inf"), 3, 2), [(2, 1, 7)], "positive"),
    "lp_pool2d_p2_pairs": (lambda x: F.lp_pool2d(x, 2, (2, 3), (1, 2)), [(1, 2, 4, 6)], None),
    "lp_pool2d_p2_5_ceil": (lambda x: F.lp_pool2d(x, 2.5, 2, ceil_mode=True), [(2, 1, 5, 5)], "positive"),
    "lp_pool2d_p_minus_1": (lambda x: F.lp_pool2d(x, -1, 2), [(1, 2, 4, 4)], "positive"),
    "lp_pool2d_inf": (lambda x: F.lp_pool2d(x, float("inf"), 3, 2), [(1, 2, 5, 5)], "signed"),
    "lp_pool2d_unbatched": (lambda x: F.lp_pool2d(x, 2, 2), [(2, 4, 4)], None),
}


@pytest.mark.parametrize("name", sorted(GRADCHECK))
def test_gradcheck(name, rng, t, distinct):
    fn, shapes, draw = GRADCHECK[name]
    arrays = [rng.standard_normal(s) for s in shapes]
    if draw is not None:
        arrays[0] = distinct(rng, shapes[0], spacing=0.05)
        if draw in ("positive", "signed"):
            arrays[0] = arrays[0] - arrays[0].min() + 0.3
        if draw == "signed":
            arrays[0] = arrays[0] * rng.choice([-1.0, 1.0], shapes[0])
    assert mc.gradcheck(fn, [t(a, True) for a in arrays])


# --- the view: the 2-D ops' kernels on (N, C, 1, L) -------------------------------------------


@pytest.mark.parametrize(
    "call, two_d, kernel",
    [
        (lambda x: F.conv1d(x, mc.ones(2, 3, 3), padding=1), "conv2d", "conv2d_forward"),
        (
            lambda x: F.conv_transpose1d(x, mc.ones(3, 2, 3), stride=2),
            "conv_transpose2d",
            "conv2d_input_grad",
        ),
        (lambda x: F.max_pool1d(x, 2), "max_pool2d", "max_pool2d_forward"),
        (lambda x: F.avg_pool1d(x, 3, 1, 1), "avg_pool2d", "avg_pool2d_forward"),
        (lambda x: F.adaptive_avg_pool1d(x, 4), "adaptive_avg_pool2d", "adaptive_avg_pool2d_forward"),
        (lambda x: F.adaptive_max_pool1d(x, 4), "adaptive_max_pool2d", "adaptive_max_pool2d_forward"),
    ],
)
def test_each_runs_the_2d_ops_kernel_on_signals_one_row_high(call, two_d, kernel, rng, distinct):
    x = mc.tensor(distinct(rng, (2, 3, 8), np.float32))  # (mc.ones: float32)
    with mc.use_kernels("numpy"), kernels.trace() as ran:
        y = call(x)
    assert len(ran) == 1 and ran[0].startswith(kernel + ":"), ran
    assert y.ndim == 3 and y.shape[:2] == (2, 2 if two_d.startswith("conv") else 3)


@pytest.mark.parametrize(
    "call",
    [
        lambda x: F.conv1d(x, mc.tensor(np.arange(18.0).reshape(2, 3, 3)), mc.tensor(np.ones(2)), 2, 1),
        lambda x: F.conv_transpose1d(x, mc.tensor(np.arange(18.0).reshape(3, 2, 3)), None, 2, 1, 1),
        lambda x: F.max_pool1d(x, 3, 2, 1, 2, True, True),
        lambda x: F.avg_pool1d(x, 3, 2, 1, True, False),
        lambda x: F.adaptive_avg_pool1d(x, 3),
        lambda x: F.adaptive_max_pool1d(x, 3, True),
        lambda x: F.lp_pool1d(x, 2, 3, 2, True),
    ],
)
def test_one_signal_is_a_batch_of_one(call, rng, distinct):
    a = distinct(rng, (3, 9))
    one, batch = call(mc.tensor(a)), call(mc.tensor(a[None]))
    for u, b in zip(one, batch) if isinstance(one, tuple) else [(one, batch)]:  # y, and the indices
        assert u.shape == b.shape[1:]
        np.testing.assert_array_equal(u.numpy(), b.numpy()[0])


def test_an_empty_batch_gives_an_empty_result_and_zero_gradients(t):
    x, w = t(np.zeros((0, 3, 6)), True), t(np.ones((2, 3, 3)), True)
    y = F.conv1d(x, w, padding=1)
    assert y.shape == (0, 2, 6)
    y.sum().backward()
    assert x.grad.shape == (0, 3, 6) and w.grad.numpy().tolist() == np.zeros((2, 3, 3)).tolist()
    assert F.max_pool1d(t(np.zeros((0, 3, 6))), 2).shape == (0, 3, 3)
    assert F.adaptive_avg_pool1d(t(np.zeros((2, 3, 5))), 0).shape == (2, 3, 0)


def test_lp_pool_gives_gradient_zero_to_a_window_of_zeros_without_a_warning(rng, t):
    a = np.abs(rng.standard_normal((1, 2, 8))) + 0.1
    a[:, :, :4] = 0.0  # two windows of zeros: the 1/p power's slope is infinite there
    x = t(a, True)
    with np.errstate(all="raise"):  # NaN from inf * 0 on the way would be an error here
        F.lp_pool1d(x, 2, 2).sum().backward()
    assert x.grad.numpy()[:, :, :4].tolist() == np.zeros((1, 2, 4)).tolist()
    assert np.isfinite(x.grad.numpy()).all()
