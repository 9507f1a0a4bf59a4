"""Time each kernel tier on realistic shapes, as ratios to the vectorized xp tier.

    python benchmarks/kernels.py            # every section
    python benchmarks/kernels.py lrn bn     # some

Each section is a function returning rows (kernel, shape, {tier: seconds}); the
table prints the best of a few repeats and each tier's speed-up over "numpy".
These numbers decide which Numba kernels go into ``minicnn.kernels.AUTO``.
"""

import sys
import time

import numpy as np

from minicnn import backend
from minicnn.kernels import im2col, xp_norm, xp_pool

SECTIONS = {}


def section(fn):
    SECTIONS[fn.__name__] = fn
    return fn


def best_of(fn, *args, repeats=5):
    fn(*args)  # warm-up (and Numba compile)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - t0)
    return min(times)


def median_in_turn(fn, arg_sets, rounds=5):
    """The median time of fn(*args), the argument sets taken in turn, ``rounds`` times over.

    For a kernel whose branches depend on the data: called on one input again and again, it
    runs faster than in a training step, where each call brings new data, because the
    CPU's branch predictor learns the repeated input's branches.
    """
    for args in arg_sets:
        fn(*args)  # warm-up (and Numba compile)
    times = []
    for _ in range(rounds):
        for args in arg_sets:
            t0 = time.perf_counter()
            fn(*args)
            times.append(time.perf_counter() - t0)
    return float(np.median(times))


def tiers():
    from minicnn import kernels

    found = {"numpy": kernels.get("numpy")}
    if backend.numba_available():
        found["numba"] = kernels.get("numba")
    return found


# --- convolution ------------------------------------------------------------


def _kernel_sets(with_reference):
    """Tier name -> KernelSet (a tier lacking a kernel lends it from the next in its chain)."""
    from minicnn import kernels

    names = (
        (["reference"] if with_reference else [])
        + ["numpy"]
        + (["numba"] if backend.numba_available() else [])
    )
    return {name: kernels.get(name) for name in names}


def _time_all(rows, shape, calls, with_reference=False):
    """calls: (kernel name, args); appends a row per kernel with each tier's best time."""
    for name, args in calls:
        times = {
            t: best_of(getattr(K, name), *args, repeats=1 if t == "reference" else 5)
            for t, K in _kernel_sets(with_reference).items()
        }
        rows.append((name, shape, times))


@section
def conv(dtype=np.float32):
    """A VGG/ResNet 3x3 conv, 64 -> 64 channels on 32x32, batch 32; the reference on a tiny one."""
    rng = np.random.default_rng(0)
    geometry = ((1, 1), (1, 1), (1, 1), 1)  # stride, padding, dilation, groups
    rows = []
    for shape, channels, with_reference in (((2, 4, 8, 8), 4, True), ((32, 64, 32, 32), 64, False)):
        x = rng.standard_normal(shape).astype(dtype)
        w = rng.standard_normal((channels, shape[1], 3, 3)).astype(dtype)
        b = np.zeros(channels, dtype)
        gy = im2col.conv2d_forward(x, w, b, *geometry)
        _time_all(
            rows,
            shape,
            (
                ("conv2d_forward", (x, w, b) + geometry),
                ("conv2d_input_grad", (gy, w, x.shape) + geometry),
                ("conv2d_weight_grad", (gy, x, w.shape) + geometry),
            ),
            with_reference,
        )
    return rows


# --- pooling ----------------------------------------------------------------


@section
def pool(dtype=np.float32):
    """AlexNet's overlapping 3x3/2 max pool and a 2x2/2 average pool on 32x64x32x32; LeNet-5's
    first max pool (2x2 tiles)."""
    rng = np.random.default_rng(0)
    rows = []
    for shape, with_reference in (((2, 4, 8, 8), True), ((32, 64, 32, 32), False)):
        x = rng.standard_normal(shape).astype(dtype)
        overlap, tiles = ((3, 3), (2, 2), (0, 0), False), ((2, 2), (2, 2), (0, 0), False)
        y, argmax = xp_pool.max_pool2d_forward(x, *overlap)
        gy = np.ones_like(y)
        gy_avg = np.ones_like(xp_pool.avg_pool2d_forward(x, *tiles, True))
        _time_all(
            rows,
            shape,
            (
                ("max_pool2d_forward", (x,) + overlap),
                ("max_pool2d_input_grad", (gy, argmax, shape)),
                ("avg_pool2d_forward", (x,) + tiles + (True,)),
                ("avg_pool2d_input_grad", (gy_avg, shape) + tiles + (True,)),
            ),
            with_reference,
        )
    # LeNet-5's first pooling, 2x2 tiles on a ReLU's output (half zeros, so ties); the forward
    # on four such outputs in turn, as a training step brings new data to each call
    shape, tiles = (64, 6, 28, 28), ((2, 2), (2, 2), (0, 0), False)
    xs = [np.maximum(rng.standard_normal(shape).astype(dtype), 0) for _ in range(4)]
    arg_sets = [(x,) + tiles for x in xs]
    times = {t: median_in_turn(K.max_pool2d_forward, arg_sets) for t, K in _kernel_sets(False).items()}
    rows.append(("max_pool2d_forward", shape, times))
    y, argmax = xp_pool.max_pool2d_forward(xs[0], *tiles)
    gy = rng.standard_normal(y.shape).astype(dtype)
    _time_all(rows, shape, (("max_pool2d_input_grad", (gy, argmax, shape)),))
    return rows


# --- local response normalization -------------------------------------------


@section
def lrn(dtype=np.float32):
    """AlexNet's norm1: 96 channels of 27x27 (after pool1 in the one-GPU layout), batch 32."""
    rng = np.random.default_rng(0)
    shape = (32, 96, 27 * 27)
    x, gy = rng.standard_normal(shape).astype(dtype), rng.standard_normal(shape).astype(dtype)
    size, alpha, beta, k = 5, 1e-4, 0.75, 2.0
    _, s = xp_norm.lrn_forward(x, size, alpha, beta, k)
    fwd = {name: best_of(K.lrn_forward, x, size, alpha, beta, k) for name, K in tiers().items()}
    bwd = {name: best_of(K.lrn_input_grad, gy, x, s, size, alpha, beta) for name, K in tiers().items()}
    return [("lrn_forward", shape, fwd), ("lrn_input_grad", shape, bwd)]


# --- batch normalization ----------------------------------------------------


@section
def bn(dtype=np.float32):
    """A ResNet stage-1 batch norm: 64 channels of 56x56, batch 16."""
    rng = np.random.default_rng(0)
    shape = (16, 64, 56 * 56)
    x, gy = rng.standard_normal(shape).astype(dtype), rng.standard_normal(shape).astype(dtype)
    mean, var = xp_norm.batch_norm_stats(x)
    invstd = (1 / np.sqrt(var + 1e-5)).astype(dtype)
    w, b = np.ones(64, dtype), np.zeros(64, dtype)
    _, xhat = xp_norm.batch_norm_apply(x, mean, invstd, w, b)
    rows = []
    for name, args in (
        ("batch_norm_stats", (x,)),
        ("batch_norm_apply", (x, mean, invstd, w, b)),
        ("batch_norm_grads", (gy, xhat, invstd, w)),
    ):
        rows.append((name, shape, {t: best_of(getattr(K, name), *args) for t, K in tiers().items()}))
    return rows


@section
def relu(dtype=np.float32):
    """ReLU's forward and backward on a ResNet-20 stage-1 activation (16 channels of 32x32,
    batch 64), and its forward on LeNet-5's first (6 channels of 28x28)."""
    rng = np.random.default_rng(0)
    shape = (64, 16, 32, 32)
    x, gy = rng.standard_normal(shape).astype(dtype), rng.standard_normal(shape).astype(dtype)
    y = np.maximum(x, 0)
    lenet = rng.standard_normal((64, 6, 28, 28)).astype(dtype)
    return [
        ("relu_forward", shape, {t: best_of(K.relu_forward, x) for t, K in tiers().items()}),
        ("relu_forward", lenet.shape, {t: best_of(K.relu_forward, lenet) for t, K in tiers().items()}),
        ("relu_input_grad", shape, {t: best_of(K.relu_input_grad, gy, y) for t, K in tiers().items()}),
    ]


def main(names):
    if {"-h", "--help"} & set(names):
        print(__doc__.strip() + f"\n\nsections: {' '.join(SECTIONS)}")
        return 0
    unknown = [name for name in names if name not in SECTIONS]
    if unknown:
        print(f"kernels.py: no section {unknown[0]!r}; sections: {' '.join(SECTIONS)}", file=sys.stderr)
        return 2
    for name in names or list(SECTIONS):
        for kernel, shape, times in SECTIONS[name]():
            base = times["numpy"]
            cells = "  ".join(f"{t} {s * 1e3:8.2f} ms ({base / s:4.1f}x)" for t, s in times.items())
            print(f"{kernel:22s} {str(shape):18s} {cells}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
