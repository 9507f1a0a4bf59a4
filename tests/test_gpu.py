"""Every op and a ResNet-20 training step on device='cuda' (CuPy) against the NumPy result.

float32 throughout: 1e-5 relative for elementwise ops, 1e-4 where long sums
(convolution, pooling windows, normalizations, the model) are added in another order.
Skipped cleanly on machines without CuPy and a GPU.
"""

import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F
from minicnn import models, optim

pytestmark = pytest.mark.gpu

RTOL_ELEMENTWISE, RTOL_SUMS = 1e-5, 1e-4


def _rng_arrays(shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(np.float32) for s in shapes]


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
    "avg_pool2d_ceil": (
        lambda x: F.avg_pool2d(x, 2, 2, ceil_mode=True, count_include_pad=False),
        [(2, 3, 7, 7)],
        RTOL_SUMS,
    ),
}


@pytest.mark.parametrize("name", sorted(OPS))
def test_op_on_cuda_equals_numpy(name):
    fn, shapes, rtol = OPS[name]
    arrays = _rng_arrays(shapes)
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
    (a,) = _rng_arrays([(3, 4)], seed=5)
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
    x, lo, hi = _rng_arrays([(3, 4), (3, 1), (1, 4)], seed=8)
    out = {}
    for device in ("cpu", "cuda"):
        t = mc.tensor(x, device=device)
        t.clamp_(mc.tensor(lo, device=device), mc.tensor(hi + 1.0, device=device))
        out[device] = t.numpy()
    np.testing.assert_array_equal(out["cuda"], out["cpu"])


def test_in_place_math_index_writes_and_refills_on_cuda_equal_numpy():
    """The in-place methods written through the same xp lines, and repeats in an index
    (scatter_ keeps the later value, reduce="multiply" multiplies in rounds): as on the CPU."""
    x, s = _rng_arrays([(3, 4), (3, 4)], seed=9)
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
    (logits,) = _rng_arrays([(5, 10)])
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
    logits, probs = _rng_arrays([(2, 5, 3, 4), (2, 5, 3, 4)], seed=11)
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


def test_resnet20_training_step_on_cuda_equals_numpy():
    """Two SGD steps of ResNet-20 in float64 land where NumPy's do: any kernel that computes
    something else shows far above the rounding of float64 (in float32, two steps at this
    learning rate already part at 1e-3 by rounding alone)."""
    import cupy

    mc.manual_seed(0)
    net_cpu = models.resnet20().double()
    net_gpu = models.resnet20().double()
    net_gpu.load_state_dict(net_cpu.state_dict())
    net_gpu.to("cuda")
    x = np.random.default_rng(0).standard_normal((8, 3, 32, 32))
    labels = np.arange(8) % 10
    results = {}
    for device, net in (("cpu", net_cpu), ("cuda", net_gpu)):
        opt = optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
        for _ in range(2):
            opt.zero_grad()
            loss = F.cross_entropy(net(mc.tensor(x, device=device)), mc.tensor(labels, device=device))
            loss.backward()
            opt.step()
        # state_dict holds raw arrays (NumPy or CuPy); cupy.asnumpy takes either
        results[device] = loss.item(), {k: cupy.asnumpy(v) for k, v in net.state_dict().items()}
    np.testing.assert_allclose(results["cuda"][0], results["cpu"][0], rtol=1e-10)
    for key, value in results["cpu"][1].items():
        np.testing.assert_allclose(results["cuda"][1][key], value, rtol=1e-8, atol=1e-10, err_msg=key)


def test_resnet20_step_replayed_as_a_cuda_graph_equals_ordinary_steps():
    """bench --cuda-graph: three replays of a captured ResNet-20 step (batch 8, float64) leave
    the parameters, momentum and batch-norm statistics where three ordinary steps from the
    same start do."""
    import cupy

    from minicnn.bench import graph

    x = np.random.default_rng(5).standard_normal((8, 3, 32, 32))
    onehot = np.eye(10)[np.arange(8) % 10]
    results = []
    for replayed in (True, False):
        mc.manual_seed(5)
        net = models.resnet20().double().to("cuda")
        opt = optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
        step = graph.training_step(net, opt, mc.tensor(x, device="cuda"), mc.tensor(onehot, device="cuda"))
        if replayed:
            step = graph.capture(step, cupy, warmup=1)  # the warm-up is a step too
        else:
            step()
        for _ in range(3):
            step()
        cupy.cuda.Device().synchronize()
        results.append({k: cupy.asnumpy(v) for k, v in net.state_dict().items()})
    for key, value in results[1].items():
        np.testing.assert_allclose(results[0][key], value, rtol=1e-9, atol=1e-12, err_msg=key)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cublas_called_directly_multiplies_as_cupy_also_inside_a_captured_graph(dtype):
    """kernels/cublas_direct.py on the layouts of a training step's products, against
    cupy.matmul: called as it is, and recorded into a CUDA graph and replayed."""
    import cupy as cp

    from minicnn.kernels import cublas_direct

    rng = np.random.default_rng(7)
    draw = lambda *shape: cp.asarray(rng.standard_normal(shape).astype(dtype))  # noqa: E731
    pairs = [
        (draw(5, 7), draw(7, 3)),
        (draw(4, 6), draw(9, 6).T),
        (draw(4, 9).T, draw(4, 6)),
        (draw(4, 2, 9), draw(4, 9, 11)),
        (draw(3, 5), draw(6, 5, 2)),
        (draw(10, 4)[::2], draw(4, 3)),  # every other row: read in place, a wider leading dimension
        (draw(3, 4), draw(4, 5)[:, ::-1]),  # reversed columns: copied, inside the capture too
    ]
    tol = 1e-5 if dtype == np.float32 else 1e-12
    cublas_direct.prepare()
    for a, b in pairs:
        np.testing.assert_allclose(
            cp.asnumpy(cublas_direct.matmul(a, b)), cp.asnumpy(cp.matmul(a, b)), rtol=tol, atol=tol
        )
    stream = cp.cuda.Stream(non_blocking=True)
    outs = [cp.empty(cp.matmul(a, b).shape, dtype=dtype) for a, b in pairs]
    outs[0] = cp.empty(outs[0].shape[:-1] + (2 * outs[0].shape[-1],), dtype=dtype)[..., ::2]  # strided out
    cp.cuda.Device().synchronize()
    with stream:
        for (a, b), out in zip(pairs, outs):  # the copies' blocks, cached for this stream
            cublas_direct.matmul(a, b, out)
        stream.synchronize()
        stream.begin_capture()
        for (a, b), out in zip(pairs, outs):
            cublas_direct.matmul(a, b, out)
        recorded = stream.end_capture()
    for out in outs:  # what the warm-up wrote: only the replay may write the products again
        out.fill(np.nan)
    cp.cuda.Device().synchronize()
    recorded.launch(stream)
    stream.synchronize()
    for (a, b), out in zip(pairs, outs):
        np.testing.assert_allclose(cp.asnumpy(out), cp.asnumpy(cp.matmul(a, b)), rtol=tol, atol=tol)


# (stride, padding, dilation, kernel size) of col2im's and im2col's checks: strides with and
# without a division, paddings past the window, dilations, kernels not square
GEOMETRIES = [
    ((1, 1), (1, 1), (1, 1), (3, 3)),
    ((2, 2), (0, 1), (1, 1), (3, 3)),
    ((2, 1), (2, 1), (2, 1), (3, 2)),
    ((3, 2), (1, 0), (1, 2), (2, 3)),
    ((1, 1), (3, 2), (2, 3), (3, 3)),
]


def _geometry(stride, padding, dilation, kernel_size, H=9, W=8):
    KH, KW = kernel_size
    OH = (H + 2 * padding[0] - dilation[0] * (KH - 1) - 1) // stride[0] + 1
    OW = (W + 2 * padding[1] - dilation[1] * (KW - 1) - 1) // stride[1] + 1
    return (2, 4, H, W), (4, KH, KW, 2, OH, OW)


@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_cupy_im2col_and_col2im_kernels_match_the_xp_code(geometry):
    """Both copies equal the xp code's bit for bit: im2col copies, and col2im adds the same
    terms in the same order. x comes padded and as a transposed (non-contiguous) view too."""
    import cupy as cp

    from minicnn.kernels import cupy_gpu, im2col

    stride, padding, dilation, kernel_size = geometry
    x_shape, cols_shape = _geometry(*geometry)
    rng = np.random.default_rng(sum(map(sum, geometry)))
    cols = cp.asarray(rng.standard_normal(cols_shape).astype(np.float32))
    np.testing.assert_array_equal(
        cp.asnumpy(cupy_gpu.col2im(cols, x_shape, stride, padding, dilation)),
        cp.asnumpy(im2col.col2im(cols, x_shape, stride, padding, dilation)),
    )
    N, C, H, W = x_shape
    xpad = rng.standard_normal((N, C, H + 2 * padding[0], W + 2 * padding[1])).astype(np.float32)
    for x in (cp.asarray(xpad), cp.asarray(xpad.transpose(1, 0, 2, 3).copy()).transpose(1, 0, 2, 3)):
        got, want = (cp.full(cols_shape, cp.nan, dtype=cp.float32) for _ in range(2))
        cupy_gpu.copy_windows(x, got, stride, dilation)
        im2col.copy_windows(x, want, stride, dilation)
        np.testing.assert_array_equal(cp.asnumpy(got), cp.asnumpy(want))


def test_cupy_convolution_copies_fall_back_to_the_xp_code_beyond_the_grid(monkeypatch):
    """Where CUDA's grid cannot hold the images or channels, the xp code runs (same values)."""
    import cupy as cp

    from minicnn.kernels import cupy_gpu, im2col

    stride, padding, dilation, kernel_size = GEOMETRIES[2]
    x_shape, cols_shape = _geometry(*GEOMETRIES[2])
    cols = cp.asarray(_rng_arrays([cols_shape], seed=7)[0])
    want = cp.asnumpy(cupy_gpu.col2im(cols, x_shape, stride, padding, dilation))
    calls = []
    monkeypatch.setattr(cupy_gpu, "GRID_MAX", 1)
    monkeypatch.setattr(im2col, "col2im", lambda *a, f=im2col.col2im: calls.append("col2im") or f(*a))
    np.testing.assert_array_equal(cp.asnumpy(cupy_gpu.col2im(cols, x_shape, stride, padding, dilation)), want)
    assert calls == ["col2im"]


def test_cupy_max_pool_backward_matches_the_xp_code():
    import cupy as cp

    from minicnn.kernels import cupy_gpu, xp_pool

    x = cp.asarray(np.random.default_rng(2).permutation(2 * 3 * 9 * 9).reshape(2, 3, 9, 9).astype(np.float32))
    _, argmax = xp_pool.max_pool2d_forward(x, (3, 3), (2, 2), (0, 0), False)
    gy = cp.asarray(_rng_arrays([(2, 3, 4, 4)])[0])
    np.testing.assert_allclose(
        cp.asnumpy(cupy_gpu.max_pool2d_input_grad(gy, argmax, x.shape)),
        cp.asnumpy(xp_pool.max_pool2d_input_grad(gy, argmax, x.shape)),
        rtol=RTOL_ELEMENTWISE,
        atol=1e-6,
    )


def test_cupy_relu_input_grad_selects_as_the_xp_code():
    """gy where y is not 0, else +0.0: also where gy is inf or NaN at a dead unit, and -0.0 is
    never made from a negative gy (compared bit for bit)."""
    import cupy as cp

    from minicnn.kernels import cupy_gpu, xp_activation

    rng = np.random.default_rng(4)
    y = np.maximum(rng.standard_normal((3, 50)), 0).astype(np.float32)
    y[0, :3] = np.nan
    gy = rng.standard_normal((3, 50)).astype(np.float32)
    gy[1, :4] = [np.inf, -np.inf, np.nan, -0.0]
    y[1, :4] = 0
    got = cp.asnumpy(cupy_gpu.relu_input_grad(cp.asarray(gy), cp.asarray(y)))
    want = xp_activation.relu_input_grad(gy, y)
    np.testing.assert_array_equal(got.view(np.uint32), want.view(np.uint32))


def test_cuda_kernels_compile_here():
    """The RawKernels must compile on a GPU machine: a silent fallback to the xp code would
    leave the comparisons below comparing the xp code with itself."""
    from minicnn.kernels import cupy_compile, cupy_gpu, cupy_norm

    for source, name in (
        (cupy_gpu._IM2COL, "im2col_gather"),
        (cupy_gpu._COL2IM, "col2im_gather"),
        (cupy_gpu._MAXPOOL_BWD, "maxpool_bwd"),
        (cupy_norm._LRN_FWD, "lrn_fwd"),
        (cupy_norm._LRN_BWD, "lrn_bwd"),
        (cupy_norm._CHANNEL_SUMS, "channel_sums"),
    ):
        for dtype in (np.float32, np.float64):
            assert cupy_compile.kernel(source, name, dtype) is not None, (name, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cupy_lrn_and_batch_norm_kernels_match_the_xp_code(dtype):
    import cupy as cp

    from minicnn.kernels import cupy_norm, xp_norm

    rtol = 1e-5 if dtype == np.float32 else 1e-12
    rng = np.random.default_rng(3)
    x, gy = (rng.standard_normal((2, 7, 6)).astype(dtype) for _ in range(2))
    for size in (1, 4, 5, 9):
        y, s = cupy_norm.lrn_forward(cp.asarray(x), size, 0.3, 0.75, 2.0)
        y_np, s_np = xp_norm.lrn_forward(x, size, 0.3, 0.75, 2.0)
        np.testing.assert_allclose(cp.asnumpy(y), y_np, rtol=rtol, atol=rtol)
        np.testing.assert_allclose(cp.asnumpy(s), s_np, rtol=rtol, atol=rtol)
        gx = cupy_norm.lrn_input_grad(cp.asarray(gy), cp.asarray(x), s, size, 0.3, 0.75)
        np.testing.assert_allclose(
            cp.asnumpy(gx),
            xp_norm.lrn_input_grad(gy, x, s_np, size, 0.3, 0.75),
            rtol=rtol,
            atol=rtol,
            err_msg=f"size {size}",
        )
    mean, invstd, w, b = (rng.standard_normal(7).astype(dtype) for _ in range(4))
    on_gpu = cupy_norm.batch_norm_apply(*(cp.asarray(a) for a in (x, mean, invstd, w, b)))
    for got, want in zip(on_gpu, xp_norm.batch_norm_apply(x, mean, invstd, w, b)):
        np.testing.assert_allclose(cp.asnumpy(got), want, rtol=rtol, atol=rtol)
    xhat = on_gpu[1]
    on_gpu = cupy_norm.batch_norm_grads(cp.asarray(gy), xhat, cp.asarray(invstd), cp.asarray(w))
    for got, want in zip(on_gpu, xp_norm.batch_norm_grads(gy, cp.asnumpy(xhat), invstd, w)):
        np.testing.assert_allclose(cp.asnumpy(got), want, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(2, 7, 6), (37, 5, 300), (64, 3, 1024)])
def test_cupy_batch_norm_sums_match_the_xp_code(dtype, shape):
    """The per-channel sums split among threads (one block of them, several, and a last
    round that only some threads reach) against xp_norm's reductions; x off-centre, so the
    variance's second pass matters."""
    import cupy as cp

    from minicnn.kernels import cupy_norm, xp_norm

    rtol = 1e-5 if dtype == np.float32 else 1e-12
    rng = np.random.default_rng(sum(shape))
    x = (rng.standard_normal(shape) * 3 + 5).astype(dtype)
    gy = rng.standard_normal(shape).astype(dtype)
    for got, want in zip(cupy_norm.batch_norm_stats(cp.asarray(x)), xp_norm.batch_norm_stats(x)):
        np.testing.assert_allclose(cp.asnumpy(got), want, rtol=rtol)
    invstd, w = rng.random(shape[1]).astype(dtype) + 0.5, rng.standard_normal(shape[1]).astype(dtype)
    xhat = ((x - x.mean(axis=(0, 2))[:, None]) * invstd[:, None]).astype(dtype)
    on_gpu = cupy_norm.batch_norm_grads(*(cp.asarray(a) for a in (gy, xhat, invstd, w)))
    for got, want in zip(on_gpu, xp_norm.batch_norm_grads(gy, xhat, invstd, w)):
        np.testing.assert_allclose(cp.asnumpy(got), want, rtol=rtol, atol=rtol * 10)


def test_load_with_map_location_cuda_puts_every_array_and_tensor_on_the_gpu(tmp_path):
    import cupy

    rng = np.random.default_rng(53)
    net = models.lenet5()
    mc.save({"model": net.state_dict(), "t": mc.tensor(rng.standard_normal(3))}, tmp_path / "c.npz")
    back = mc.load(tmp_path / "c.npz", map_location=mc.device("cuda", 0))
    assert all(isinstance(a, cupy.ndarray) for a in back["model"].values())
    assert back["t"].device == "cuda" and isinstance(back["t"].data, cupy.ndarray)
    on_gpu = models.lenet5().to("cuda")
    on_gpu.load_state_dict(back["model"])
    x = rng.standard_normal((2, 1, 28, 28)).astype(np.float32)
    np.testing.assert_allclose(
        on_gpu(mc.tensor(x, device="cuda")).to("cpu").data, net(mc.tensor(x)).data, rtol=RTOL_SUMS, atol=1e-5
    )
