"""Every op on device='cuda' (CuPy) against the NumPy result: values and gradients, tensor
hooks, max pooling's NaN, clamp_ with Tensor bounds and cross entropy.

float32 throughout, at gpu_helpers.py's tolerances. Skipped cleanly on machines without
CuPy and a GPU.
"""

import numpy as np
import pytest
from gpu_helpers import RTOL_ELEMENTWISE, RTOL_SUMS, rng_arrays

import minicnn as mc
import minicnn.functional as F

pytestmark = pytest.mark.gpu


def _run(fn, arrays, device):
    """fn on leaf tensors of ``arrays`` on device: (output, gradient of sum(output * r) per input)."""
    mc.manual_seed(0)  # dropout draws the same mask on both devices
    ts = [mc.tensor(a, requires_grad=True, device=device) for a in arrays]
    y = fn(*ts)
    r = np.random.default_rng(99).standard_normal(y.shape).astype(np.float32)
    (y * mc.tensor(r, device=device)).sum().backward()
    return y.numpy(), [t.grad.numpy() for t in ts]


OPS = {
    "conv2d": (
        lambda x, w, b: F.conv2d(x, w, b, stride=1, padding=1),
        [(2, 4, 9, 9), (6, 4, 3, 3), (6,)],
        RTOL_SUMS,
    ),
    "conv2d_strided_grouped": (
        lambda x, w: F.conv2d(x, w, stride=2, padding=2, groups=2),
        [(2, 4, 11, 11), (6, 2, 5, 5)],
        RTOL_SUMS,
    ),
    "conv2d_depthwise_dilated": (
        lambda x, w: F.conv2d(x, w, padding=2, dilation=2, groups=4),
        [(2, 4, 8, 8), (4, 1, 3, 3)],
        RTOL_SUMS,
    ),
    "conv2d_1x1": (lambda x, w: F.conv2d(x, w), [(2, 8, 5, 5), (4, 8, 1, 1)], RTOL_SUMS),
    "conv_transpose2d": (
        lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1),
        [(2, 4, 5, 5), (4, 3, 3, 3), (3,)],
        RTOL_SUMS,
    ),
    "conv_transpose2d_grouped_dilated": (
        lambda x, w: F.conv_transpose2d(x, w, padding=1, output_padding=1, groups=2, dilation=2),
        [(2, 4, 6, 5), (4, 3, 3, 3)],
        RTOL_SUMS,
    ),
    "max_pool2d": (lambda x: F.max_pool2d(x, 3, 2), [(2, 3, 9, 9)], RTOL_ELEMENTWISE),
    "max_pool2d_ceil_pad": (
        lambda x: F.max_pool2d(x, 3, 2, padding=1, ceil_mode=True),
        [(2, 3, 8, 8)],
        RTOL_ELEMENTWISE,
    ),
    "max_pool2d_indices_unpool": (
        lambda x: F.max_unpool2d(*F.max_pool2d(x, 3, 2, 1, return_indices=True), 3, 2, 1, (9, 9)),
        [(2, 3, 9, 9)],
        RTOL_ELEMENTWISE,
    ),
    "max_pool_adaptive": (lambda x: F.adaptive_max_pool2d(x, (3, 4)), [(2, 3, 7, 9)], RTOL_ELEMENTWISE),
    "avg_pool2d": (lambda x: F.avg_pool2d(x, 3, 2, padding=1), [(2, 3, 9, 9)], RTOL_SUMS),
    "adaptive_avg_pool2d": (lambda x: F.adaptive_avg_pool2d(x, 3), [(2, 3, 7, 7)], RTOL_SUMS),
    "local_response_norm": (
        lambda x: F.local_response_norm(x, 5, 1e-2, 0.75, 2.0),
        [(2, 7, 4, 4)],
        RTOL_SUMS,
    ),
    "batch_norm": (
        lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
        [(4, 3, 5, 5), (3,), (3,)],
        RTOL_SUMS,
    ),
    "instance_norm": (
        lambda x, w, b: F.instance_norm(x, weight=w, bias=b),
        [(2, 3, 5, 5), (3,), (3,)],
        RTOL_SUMS,
    ),
    "pad_modes": (
        lambda x: sum(
            F.pad(x, (1, 2, 2, -1), mode=m) for m in ("constant", "reflect", "replicate", "circular")
        ),
        [(2, 3, 4, 5)],
        RTOL_ELEMENTWISE,
    ),
    "pixel_and_channel_shuffles": (
        lambda x: F.channel_shuffle(F.pixel_unshuffle(F.pixel_shuffle(x, 2), 2), 4),
        [(2, 8, 3, 3)],
        RTOL_ELEMENTWISE,
    ),
    "distances": (
        lambda a, b: F.normalize(a).sum(1) + F.cosine_similarity(a, b) + F.pairwise_distance(a, b, p=1),
        [(4, 6), (4, 6)],
        RTOL_SUMS,
    ),
    "logsigmoid_softmin": (lambda x: F.logsigmoid(x * 10) + F.softmin(x, 1), [(4, 7)], RTOL_SUMS),
    "relu": (F.relu, [(3, 4, 5)], RTOL_ELEMENTWISE),
    "tanh": (F.tanh, [(3, 4, 5)], RTOL_ELEMENTWISE),
    "sigmoid": (F.sigmoid, [(3, 4, 5)], RTOL_ELEMENTWISE),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.1), [(3, 4, 5)], RTOL_ELEMENTWISE),
    "linear": (F.linear, [(4, 6), (3, 6), (3,)], RTOL_SUMS),
    "matmul_add_mul": (lambda a, b, c: F.matmul(a, b) * c + c, [(3, 4), (4, 5), (5,)], RTOL_SUMS),
    "exp_log_sqrt": (lambda x: F.log(F.exp(x) + 1.0) + F.sqrt(x * x + 1.0), [(3, 4)], RTOL_ELEMENTWISE),
    "sin_cos": (lambda x: F.sin(x) * F.cos(x * 2.0), [(3, 4)], RTOL_ELEMENTWISE),
    "mm_bmm": (
        lambda a, b, c, d: mc.bmm(c, d) + F.mm(a, b),
        [(3, 4), (4, 5), (2, 3, 4), (2, 4, 5)],
        RTOL_SUMS,
    ),
    # dims unsorted and one named twice: CuPy's roll would pair the shifts with the dims sorted
    "flip_roll": (
        lambda x: x.flip((2, 0)) + mc.roll(x, (1, -2, 1), (2, 0, 2)) + x.roll(5) + x.flip(()),
        [(2, 3, 4)],
        RTOL_ELEMENTWISE,
    ),
    "log_softmax": (lambda x: F.log_softmax(x, dim=1), [(4, 7)], RTOL_SUMS),
    "sum_mean_max": (lambda x: x.sum(dim=1) + x.mean(dim=1) + x.amax(dim=1), [(4, 7)], RTOL_SUMS),
    "cat_reshape_transpose": (
        lambda a, b: mc.cat([a, b], dim=1).reshape(2, -1).transpose(0, 1),
        [(2, 3, 2), (2, 1, 2)],
        RTOL_ELEMENTWISE,
    ),
    "getitem": (lambda x: x[:, 1:, ::2], [(2, 3, 5)], RTOL_ELEMENTWISE),
    "getitem_repeated_index": (lambda x: x[[0, 2, 0]], [(3, 4)], RTOL_ELEMENTWISE),
    "dropout": (lambda x: F.dropout(x, 0.5), [(4, 6)], RTOL_ELEMENTWISE),
    "maximum_minimum_remainder": (
        lambda a, b: F.maximum(a, b) + F.minimum(a, b * 2) + a % (b.abs() + 1.0),
        [(3, 4), (3, 4)],
        RTOL_ELEMENTWISE,
    ),
    "steps": (
        lambda x: x.sign() + x.floor() + x.ceil() + x.round(decimals=1) + x,
        [(3, 4)],
        RTOL_ELEMENTWISE,
    ),
    "gather_index_select": (
        lambda x: (
            F.gather(x, 1, mc.tensor([[0, 0, 2], [3, 1, 1], [2, 2, 2]], device=x.device))
            + F.index_select(x, 1, mc.tensor([3, 0, 3], device=x.device))
        ),
        [(3, 4)],
        RTOL_ELEMENTWISE,
    ),
    "scatter_index_writes": (
        lambda x, s: (
            x.scatter(1, mc.tensor([[0, 2, 0], [3, 1, 1], [2, 2, 0]], device=x.device), s)
            + x.scatter_add(1, mc.tensor([[0, 0, 2], [3, 1, 1], [2, 2, 2]], device=x.device), s)
            + x.index_add(1, mc.tensor([3, 0, 3], device=x.device), s, alpha=2.0)
            + x.index_fill(0, mc.tensor([1, -1], device=x.device), 0.5)
        ),
        [(3, 4), (3, 3)],
        RTOL_ELEMENTWISE,
    ),
    "lerp_addcmul_addcdiv": (
        lambda a, b, w: (
            a.lerp(b, w) + a.lerp(b, 0.75) + a.addcmul(b, w, value=0.5) + a.addcdiv(b, w.abs() + 1.0)
        ),
        [(3, 4), (4,), (3, 1)],
        RTOL_ELEMENTWISE,
    ),
    "masked_fill_where": (
        lambda x, y: x.masked_fill(x > 0.5, -1.0) + x.where(x < 0, y),
        [(3, 4), (3, 4)],
        RTOL_ELEMENTWISE,
    ),
    "sort_topk": (
        lambda x: x.sort(1).values[:, :2] + x.topk(2, dim=1).values + x.topk(2, 1, largest=False).values,
        [(4, 7)],
        RTOL_ELEMENTWISE,
    ),
    "prod_logsumexp_cumsum_norm": (
        lambda x: (
            x.prod(1)
            + x.logsumexp(1)
            + x.cumsum(1)[:, -1]
            + x.norm(dim=1)
            + mc.norm(x, 1, 1)
            + x.norm(float("inf"), dim=1)
        ),
        [(4, 7)],
        RTOL_SUMS,
    ),
    "layer_group_norm": (
        lambda x, w, b, g, c: F.layer_norm(x, (3, 5), w, b) + F.group_norm(x, 2, g, c),
        [(2, 4, 3, 5), (3, 5), (3, 5), (4,), (4,)],
        RTOL_SUMS,
    ),
    "smooth_activations": (
        lambda x: F.gelu(x * 3.0) + F.gelu(x, approximate="tanh") + F.silu(x) + F.softplus(x, 2.0) + F.elu(x),
        [(4, 7)],
        RTOL_ELEMENTWISE,
    ),
    "more_activations": (
        lambda x: (
            F.selu(x)
            + F.celu(x, 0.5)
            + F.mish(x)
            + F.softsign(x)
            + F.tanhshrink(x)
            + F.softshrink(x)
            + F.hardshrink(x, 0.3)
            + F.threshold(x, 0.1, -1.0)
        ),
        [(4, 7)],
        RTOL_ELEMENTWISE,
    ),
    "glu_alpha_dropout": (
        lambda x: (
            F.glu(x, 1) + F.alpha_dropout(x[:, :4], 0.3, True) + F.feature_alpha_dropout(x[:, 4:], 0.5, True)
        ),
        [(4, 8)],
        RTOL_ELEMENTWISE,
    ),
    "regression_losses": (
        lambda x, t: (
            F.l1_loss(x, t, reduction="none")
            + F.smooth_l1_loss(x, t, reduction="none", beta=0.5)
            + F.huber_loss(x, t, "none", 0.7)
            + F.mse_loss(x, t)
        ),
        [(3, 4), (3, 4)],
        RTOL_ELEMENTWISE,
    ),
    "kl_div": (
        lambda x, t: (
            F.kl_div(F.log_softmax(x, 1), F.softmax(t, 1), reduction="none")
            + F.kl_div(F.log_softmax(x, 1), F.log_softmax(t, 1), reduction="batchmean", log_target=True)
        ),
        [(3, 4), (3, 4)],
        RTOL_SUMS,
    ),
    "var_std": (
        lambda x: x.var(dim=1) + x.std(dim=1, correction=0) + x.var(),
        [(4, 7)],
        RTOL_SUMS,
    ),
    "clamp_tensor_bounds": (
        lambda x, lo, hi: mc.clamp(x, lo, hi + 1.0) + x.clamp(min=-0.5),
        [(3, 4), (3, 1), (1, 4)],
        RTOL_ELEMENTWISE,
    ),
    "square_reciprocal_clamps": (
        lambda x, lo: (
            x.square()
            + (x.abs() + 0.5).reciprocal()
            + x.clamp_min(lo)
            + mc.clamp_max(x, 0.3)
            + x.clip(-0.2, 0.4)
        ),
        [(3, 4), (1, 4)],
        RTOL_ELEMENTWISE,
    ),
    "max_pool1d_unpool_dropout1d": (
        lambda x: F.max_unpool1d(*F.max_pool1d(x, 2, return_indices=True), 2) + F.dropout1d(x, 0.5),
        [(2, 3, 8)],
        RTOL_ELEMENTWISE,
    ),
    "avg_pool2d_ceil": (
        lambda x: F.avg_pool2d(x, 2, 2, ceil_mode=True, count_include_pad=False),
        [(2, 3, 7, 7)],
        RTOL_SUMS,
    ),
}


@pytest.mark.parametrize("name", sorted(OPS))
def test_op_on_cuda_equals_numpy(name):
    fn, shapes, rtol = OPS[name]
    arrays = rng_arrays(shapes)
    if name.startswith("max_pool"):  # distinct values: no ties for the argmax
        arrays = [
            np.random.default_rng(1).permutation(a.size).reshape(a.shape).astype(np.float32) for a in arrays
        ]
    y_cpu, g_cpu = _run(fn, arrays, "cpu")
    y_gpu, g_gpu = _run(fn, arrays, "cuda")
    np.testing.assert_allclose(y_gpu, y_cpu, rtol=rtol, atol=rtol)
    for gg, gc in zip(g_gpu, g_cpu):
        np.testing.assert_allclose(gg, gc, rtol=rtol, atol=rtol)


def test_tensor_hooks_on_cuda_equal_numpy():
    """A hook that scales the gradient of an intermediate and of a leaf, on both devices."""
    (a,) = rng_arrays([(3, 4)], seed=5)
    out = {}
    for device in ("cpu", "cuda"):
        x = mc.tensor(a, requires_grad=True, device=device)
        seen = []
        x.register_hook(seen.append)
        h = F.tanh(x) * 2.0
        h.register_hook(lambda g: g * 3.0)
        (h * h).sum().backward()
        out[device] = x.grad.numpy(), seen[0].numpy()
    for got, want in zip(out["cuda"], out["cpu"]):
        np.testing.assert_allclose(got, want, rtol=RTOL_ELEMENTWISE, atol=RTOL_ELEMENTWISE)


def test_max_pools_on_cuda_point_at_the_last_nan_of_a_window_as_on_the_cpu():
    rng = np.random.default_rng(7)
    x = rng.permutation(2 * 3 * 9 * 9).reshape(2, 3, 9, 9).astype(np.float32)
    x[rng.random(x.shape) < 1 / 8] = np.nan
    out = {}
    for device in ("cpu", "cuda"):
        t = mc.tensor(x, device=device)
        y, i = F.max_pool2d(t, 3, 2, 1, return_indices=True)
        ya, ia = F.adaptive_max_pool2d(t, (4, 3), return_indices=True)
        out[device] = [a.numpy() for a in (y, i, ya, ia)]
    assert np.isnan(out["cpu"][0]).any()
    for got, want in zip(out["cuda"], out["cpu"]):
        np.testing.assert_array_equal(got, want)


def test_clamp_in_place_with_tensor_bounds_on_cuda_equals_numpy():
    x, lo, hi = rng_arrays([(3, 4), (3, 1), (1, 4)], seed=8)
    out = {}
    for device in ("cpu", "cuda"):
        t = mc.tensor(x, device=device)
        t.clamp_(mc.tensor(lo, device=device), mc.tensor(hi + 1.0, device=device))
        out[device] = t.numpy()
    np.testing.assert_array_equal(out["cuda"], out["cpu"])


def test_in_place_math_index_writes_and_refills_on_cuda_equal_numpy():
    """The in-place methods written through the same xp lines, and repeats in an index
    (scatter_ keeps the later value, reduce="multiply" multiplies in rounds): as on the CPU."""
    x, s = rng_arrays([(3, 4), (3, 4)], seed=9)
    out = {}
    for device in ("cpu", "cuda"):
        t, src = mc.tensor(x, device=device), mc.tensor(s, device=device)
        index = mc.tensor([[0, 0, 2, 0], [1, 3, 3, 1], [2, 2, 2, 2]], device=device)
        t.exp_().sqrt_().lerp_(src, 0.3).addcmul_(src, src, value=-0.5).clamp_min_(-1.0)
        t.scatter_(1, index, src).scatter_(1, index, src, reduce="multiply").scatter_add_(1, index, src)
        t.index_add_(0, mc.tensor([2, 0, 2], device=device), src).index_fill_(
            1, mc.tensor([1], device=device), 3.0
        )
        mc.manual_seed(4)
        r = mc.zeros(3, 4, device=device).bernoulli_(0.5) + mc.zeros(3, 4, device=device).exponential_()
        r = r + mc.zeros(3, 4, device=device).random_(7)
        out[device] = t.numpy(), r.numpy()
    for got, want in zip(out["cuda"], out["cpu"]):
        np.testing.assert_allclose(got, want, rtol=RTOL_ELEMENTWISE, atol=RTOL_ELEMENTWISE)


def test_cross_entropy_on_cuda_equals_numpy():
    (logits,) = rng_arrays([(5, 10)])
    labels = np.array([1, 0, 9, 3, 3])
    out = {}
    for device in ("cpu", "cuda"):
        x = mc.tensor(logits, requires_grad=True, device=device)
        loss = F.cross_entropy(x, mc.tensor(labels, device=device))
        loss.backward()
        out[device] = loss.item(), x.grad.numpy()
    np.testing.assert_allclose(out["cuda"][0], out["cpu"][0], rtol=RTOL_ELEMENTWISE)
    np.testing.assert_allclose(out["cuda"][1], out["cpu"][1], rtol=RTOL_SUMS, atol=1e-6)


@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_cross_entropy_of_a_map_and_of_probabilities_on_cuda_equals_numpy(reduction):
    """The (N, C, H, W) path (class axis moved last, rows flattened) with weights, ignored
    pixels and smoothing, and class-probability targets with their own gradient."""
    logits, probs = rng_arrays([(2, 5, 3, 4), (2, 5, 3, 4)], seed=11)
    probs = np.exp(probs) / np.exp(probs).sum(axis=1, keepdims=True)
    labels = np.random.default_rng(12).integers(0, 5, (2, 3, 4))
    labels[0, 1, ::2] = -100
    weight = np.linspace(0.5, 2.0, 5, dtype=np.float32)
    out = {}
    for device in ("cpu", "cuda"):
        x = mc.tensor(logits, requires_grad=True, device=device)
        q = mc.tensor(probs, requires_grad=True, device=device)
        w = mc.tensor(weight, device=device)
        by_class = F.cross_entropy(
            x, mc.tensor(labels, device=device), w, reduction=reduction, label_smoothing=0.1
        )
        by_probability = F.cross_entropy(x, q, w, reduction=reduction, label_smoothing=0.1)
        (by_class.sum() + by_probability.sum()).backward()
        out[device] = by_class.numpy(), by_probability.numpy(), x.grad.numpy(), q.grad.numpy()
    for got, want in zip(out["cuda"], out["cpu"]):
        np.testing.assert_allclose(got, want, rtol=RTOL_SUMS, atol=1e-6)
