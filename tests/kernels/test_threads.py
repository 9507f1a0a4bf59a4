"""kernels/threads.py: copies and elementwise passes split over threads equal the whole call."""

import os
import warnings

import numpy as np
import pytest

from minicnn.kernels import threads


@pytest.fixture
def split_everything(monkeypatch):
    """Split even small arrays, over 3 threads."""
    monkeypatch.setattr(threads, "MIN_BYTES", 0)
    monkeypatch.setenv("MINICNN_COPY_THREADS", "3")


@pytest.mark.parametrize("shape", [(7, 5, 4), (2, 9), (3, 1, 1), (1, 6), (64, 16, 3, 3)])
def test_split_copy_equals_one_copy(split_everything, shape):
    rng = np.random.default_rng(70 + len(shape))
    src = rng.standard_normal(shape[::-1]).astype(np.float32).T  # a transposed, strided view
    want = np.empty(shape, np.float32)
    np.copyto(want, src)
    out = np.full(shape, np.nan, np.float32)
    threads.copyto(out, src)
    np.testing.assert_array_equal(out, want)


def test_each_part_runs_once_on_its_own_rows(split_everything):
    calls = []

    def fn(part, a):
        calls.append((part.shape[0], float(a[0, 0])))
        part[...] = a + 1

    a = np.arange(20.0).reshape(10, 2)
    out = np.zeros_like(a)
    threads.split(fn, out, a)
    np.testing.assert_array_equal(out, a + 1)
    assert sorted(calls) == [(3, 0.0), (3, 6.0), (4, 12.0)]


def test_the_parts_run_on_more_than_one_thread(split_everything):
    import threading
    import time

    seen = set()

    def fn(part, a):
        seen.add(threading.get_ident())
        time.sleep(0.05)  # so that one thread cannot take every part in turn
        part[...] = a

    threads.split(fn, np.zeros((6, 2)), np.ones((6, 2)))
    assert len(seen) == 3


def test_one_pool_serves_every_size_and_several_calling_threads(split_everything):
    """Arrays of different first axes, split from two Python threads at once, share one pool."""
    from concurrent.futures import ThreadPoolExecutor

    threads.copyto(np.zeros((5, 3)), np.ones((5, 3)))
    pool = threads._pool
    rng = np.random.default_rng(76)
    srcs = [rng.standard_normal((n, 50)) for n in (2, 3, 64, 7) * 10]

    def copy(src):
        out = np.empty_like(src)
        threads.copyto(out, src)
        return np.array_equal(out, src)

    with ThreadPoolExecutor(2) as callers:
        assert all(callers.map(copy, srcs))
    assert threads._pool is pool


def test_an_input_of_another_first_axis_is_refused_not_misread(split_everything):
    with pytest.raises(ValueError, match="an input of shape \\(3,\\) for an output of shape \\(4, 3\\)"):
        threads.split(np.copyto, np.zeros((4, 3)), np.ones(3))
    x = np.arange(9.0).reshape(3, 3)
    a = np.array([10.0, 20.0, 30.0])  # broadcast along rows: not split, the whole call
    np.testing.assert_array_equal(threads.elementwise(np.add, x, a), x + a)


def test_the_first_parts_error_is_the_one_raised_once_all_parts_are_done(split_everything):
    import time

    done = []

    def fn(part, a):
        if a[0] == 0:
            raise RuntimeError("first part")
        time.sleep(0.05)
        done.append(int(a[0]))
        raise RuntimeError("a later part")

    with pytest.raises(RuntimeError, match="first part"):
        threads.split(fn, np.zeros(9), np.arange(9.0))
    assert sorted(done) == [3, 6]  # the others had finished by then


def test_an_elementwise_pass_split_is_bitwise_the_whole(split_everything):
    rng = np.random.default_rng(71)
    x = rng.standard_normal((8, 3, 5, 5)).astype(np.float32)
    b = rng.standard_normal((1, 3, 1, 1)).astype(np.float32)
    out = np.empty_like(x)
    threads.split(lambda part, src: np.add(src, b, out=part), out, x)
    np.testing.assert_array_equal(out, x + b)


def test_a_failing_part_raises_after_the_others_finish(split_everything):
    finished = []

    def fn(part, a):
        if a[0] == 3:
            raise RuntimeError("part failed")
        finished.append(int(a[0]))

    with pytest.raises(RuntimeError, match="part failed"):
        threads.split(fn, np.zeros(9), np.arange(9.0))
    assert sorted(finished) == [0, 6]


def test_small_arrays_and_one_thread_are_one_call(monkeypatch):
    seen = []

    def fn(part, a):
        seen.append(part.shape)

    monkeypatch.setenv("MINICNN_COPY_THREADS", "4")
    threads.split(fn, np.zeros((16, 4)), np.zeros((16, 4)))  # 512 bytes: under MIN_BYTES
    monkeypatch.setenv("MINICNN_COPY_THREADS", "1")
    monkeypatch.setattr(threads, "MIN_BYTES", 0)
    threads.split(fn, np.zeros((16, 4)), np.zeros((16, 4)))
    assert seen == [(16, 4), (16, 4)]


def test_thread_count_default_is_one_beside_numbas_loops_else_half_the_cores(monkeypatch):
    from minicnn import backend

    monkeypatch.delenv("MINICNN_COPY_THREADS", raising=False)
    monkeypatch.setattr(threads.os, "cpu_count", lambda: 64)
    monkeypatch.setattr(threads.os, "sched_getaffinity", lambda pid: set(range(16)), raising=False)
    monkeypatch.setattr(backend, "numba_available", lambda quiet=False: True)
    assert threads.count() == 1  # Numba's loops take every core
    monkeypatch.setattr(backend, "numba_available", lambda quiet=False: False)
    assert threads.count() == 8
    monkeypatch.setattr(threads.os, "sched_getaffinity", lambda pid: {0}, raising=False)
    assert threads.count() == 1


@pytest.mark.parametrize("text", ["0", "-2", "two", "1.5"])
def test_a_bad_thread_count_is_one_clear_error(monkeypatch, text):
    monkeypatch.setenv("MINICNN_COPY_THREADS", text)
    with pytest.raises(ValueError, match="^MINICNN_COPY_THREADS: expected"):
        threads.count()


def test_convolution_kernels_equal_with_and_without_split(monkeypatch):
    """The im2col tier's copies all go through the split: same numbers, bit for bit."""
    from minicnn.kernels import im2col

    rng = np.random.default_rng(72)
    x = rng.standard_normal((4, 3, 9, 9)).astype(np.float32)
    w = rng.standard_normal((5, 3, 3, 3)).astype(np.float32)
    b = rng.standard_normal(5).astype(np.float32)
    geometry = ((1, 1), (1, 1), (1, 1), 1)

    def run():
        y = im2col.conv2d_forward(x, w, b, *geometry)
        gy = rng.standard_normal(y.shape).astype(np.float32)
        return (
            y,
            im2col.conv2d_input_grad(gy, w, x.shape, *geometry),
            im2col.conv2d_weight_grad(gy, x, w.shape, *geometry),
        )

    monkeypatch.setenv("MINICNN_COPY_THREADS", "1")
    rng = np.random.default_rng(73)
    whole = run()
    monkeypatch.setenv("MINICNN_COPY_THREADS", "3")
    monkeypatch.setattr(threads, "MIN_BYTES", 0)
    rng = np.random.default_rng(73)
    split = run()
    for a, c in zip(whole, split):
        np.testing.assert_array_equal(a, c)


def test_elementwise_passes_numbers_whole_and_slices_arrays(split_everything):
    rng = np.random.default_rng(74)
    x = rng.standard_normal((7, 3)).astype(np.float32)
    out = threads.elementwise(np.maximum, x, 0)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, np.maximum(x, 0))
    y = rng.standard_normal((7, 3)).astype(np.float32)
    np.testing.assert_array_equal(threads.elementwise(np.multiply, x, y), x * y)


def test_elementwise_on_one_thread_is_the_plain_call(monkeypatch):
    monkeypatch.setenv("MINICNN_COPY_THREADS", "1")
    monkeypatch.setattr(threads, "MIN_BYTES", 0)
    marker = object()
    assert threads.elementwise(lambda x, *a: marker, np.zeros((4, 4))) is marker


def test_relu_forward_and_backward_split_are_bitwise_the_whole(monkeypatch):
    import minicnn as mc
    import minicnn.functional as F

    rng = np.random.default_rng(75)
    x0 = rng.standard_normal((6, 3, 5, 5)).astype(np.float32)
    gy = rng.standard_normal(x0.shape).astype(np.float32)

    def run():  # the numpy tier: its ReLU kernels are xp_activation's, which split
        x = mc.tensor(x0, requires_grad=True)
        with mc.use_kernels("numpy"):
            y = F.relu(x)
            y.backward(mc.tensor(gy))
        return y.numpy(), x.grad.numpy()

    monkeypatch.setenv("MINICNN_COPY_THREADS", "1")
    whole = run()
    monkeypatch.setenv("MINICNN_COPY_THREADS", "4")
    monkeypatch.setattr(threads, "MIN_BYTES", 0)
    split = run()
    for a, b in zip(whole, split):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(whole[1], gy * (x0 > 0))


@pytest.mark.parametrize(
    "w_shape, stride, padding, bias",
    [
        ((5, 3, 3, 3), 1, 1, False),
        ((5, 3, 1, 1), 1, 0, True),
        ((5, 3, 3, 3), 2, 1, True),
        ((2, 3, 3, 3), 1, 0, True),
    ],
)
def test_every_split_copy_of_the_convolutions_equals_the_whole(monkeypatch, w_shape, stride, padding, bias):
    """The 1x1 columns, the weight gradient's x matrix, the output without a bias, the wide
    (phase-split) columns, and Winograd's padded input: split or whole, the same bits."""
    import minicnn as mc
    from minicnn import kernels

    rng = np.random.default_rng(77 + stride + padding + w_shape[2])
    x = rng.standard_normal((6, 3, 10, 10)).astype(np.float32)
    w = rng.standard_normal(w_shape).astype(np.float32)
    b = rng.standard_normal(w_shape[0]).astype(np.float32) if bias else None
    geometry = ((stride, stride), (padding, padding), (1, 1), 1)

    def run():
        out = []
        for tier in ("numpy", "auto"):
            with mc.use_kernels(tier):
                K = kernels.for_array(x)
                y = K.conv2d_forward(x, w, b, *geometry)
                gy = np.random.default_rng(78).standard_normal(y.shape).astype(np.float32)
                out.append(y)
                out.append(K.conv2d_input_grad(gy, w, x.shape, *geometry))
                out.append(K.conv2d_weight_grad(gy, x, w.shape, *geometry))
        return out

    monkeypatch.setenv("MINICNN_COPY_THREADS", "1")
    whole = run()
    monkeypatch.setenv("MINICNN_COPY_THREADS", "3")
    monkeypatch.setattr(threads, "MIN_BYTES", 0)
    for a, c in zip(whole, run()):
        np.testing.assert_array_equal(a, c)


@pytest.mark.parametrize("pool, wanted", [(1, 1), (2, 2), (3, 1), (8, 4), (16, 8)])
def test_without_loops_blas_keeps_half_its_pool_where_it_has_more_than_two(monkeypatch, pool, wanted):
    monkeypatch.delenv("MINICNN_BLAS_THREADS", raising=False)
    assert threads.blas_threads(pool, loops=False) == wanted


@pytest.mark.parametrize("pool", [1, 2, 16])
def test_beside_numbas_loops_blas_gets_one_thread(monkeypatch, pool):
    monkeypatch.delenv("MINICNN_BLAS_THREADS", raising=False)
    assert threads.blas_threads(pool, loops=True) == 1


def test_minicnn_blas_threads_is_obeyed_and_checked(monkeypatch):
    monkeypatch.setenv("MINICNN_BLAS_THREADS", "16")
    assert threads.blas_threads(16, loops=True) == threads.blas_threads(16, loops=False) == 16
    monkeypatch.setenv("MINICNN_BLAS_THREADS", "0")
    with pytest.raises(ValueError, match="BLAS_THREADS: expected a thread count from 1 to 4096, got 0"):
        threads.blas_threads(16, loops=True)


def _fake_threadpoolctl(monkeypatch, pools):
    """threadpoolctl with BLAS pools of the given sizes; returns the limits set, in order."""
    import sys
    import types

    limits_set = []
    fake = types.ModuleType("threadpoolctl")
    fake.threadpool_info = lambda: (
        [{"user_api": "blas", "prefix": f"libblas{i}", "num_threads": n} for i, n in enumerate(pools)]
        + [{"user_api": "openmp", "prefix": "libgomp", "num_threads": 64}]
    )
    fake.threadpool_limits = lambda limits=None, user_api=None: limits_set.append((limits, user_api))
    monkeypatch.setitem(sys.modules, "threadpoolctl", fake)
    monkeypatch.setattr(threads, "_shared", set())
    monkeypatch.delenv("MINICNN_BLAS_THREADS", raising=False)
    return limits_set


def test_without_loops_each_blas_pool_is_cut_to_half_of_its_own_once(monkeypatch):
    limits = _fake_threadpoolctl(monkeypatch, [16, 4, 2])
    threads.share_cores_with_blas(loops=False)
    threads.share_cores_with_blas(loops=False)
    assert limits == [({"libblas0": 8, "libblas1": 2}, None)]  # the pool of 2 and OpenMP's untouched


def test_without_loops_a_pool_of_two_is_left_alone(monkeypatch):
    limits = _fake_threadpoolctl(monkeypatch, [2])
    threads.share_cores_with_blas(loops=False)
    assert limits == []


def test_beside_loops_every_blas_pool_gets_one_thread_once_and_kernels_without_loops_keep_it(monkeypatch):
    limits = _fake_threadpoolctl(monkeypatch, [16, 2, 1])
    threads.share_cores_with_blas(loops=True)
    threads.share_cores_with_blas(loops=True)
    threads.share_cores_with_blas(loops=False)
    assert limits == [({"libblas0": 1, "libblas1": 1}, None)]


def test_loops_after_kernels_without_them_still_get_blas_on_one_thread(monkeypatch):
    limits = _fake_threadpoolctl(monkeypatch, [16])
    threads.share_cores_with_blas(loops=False)
    threads.share_cores_with_blas(loops=True)
    assert limits == [({"libblas0": 8}, None), ({"libblas0": 1}, None)]


def test_in_a_fresh_process_the_auto_kernels_leave_every_blas_on_one_thread():
    """As a user's process runs: NumPy's BLAS and SciPy's (which Numba's np.dot calls) both
    start with 2 threads, and building the "auto" kernels holds each to one."""
    import subprocess
    import sys

    pytest.importorskip("numba")
    pytest.importorskip("threadpoolctl")
    code = (
        "import threadpoolctl\n"
        "from minicnn import kernels\n"
        "kernels.get('auto')\n"
        "blas = [p for p in threadpoolctl.threadpool_info() if p['user_api'] == 'blas']\n"
        "print(sorted(p['num_threads'] for p in blas))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "MINICNN_BLAS_THREADS"}
    env["OPENBLAS_NUM_THREADS"] = "2"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    counts = eval(done.stdout.strip().splitlines()[-1])
    assert len(counts) >= 2 and set(counts) == {1}


@pytest.mark.parametrize("loops, cores", [(True, 2), (False, 16)])
def test_without_threadpoolctl_it_says_once_what_the_extra_gives(monkeypatch, loops, cores):
    """Beside Numba's loops on any machine, and without them on many cores."""
    import sys

    from minicnn import backend

    monkeypatch.setitem(sys.modules, "threadpoolctl", None)  # import fails
    monkeypatch.setattr(threads, "_shared", set())
    monkeypatch.setattr(threads, "_usable_cores", lambda: cores)
    monkeypatch.setattr(backend, "_said", set())
    with pytest.warns(backend.MissingExtraWarning, match="threadpoolctl"):
        threads.share_cores_with_blas(loops)
    monkeypatch.setattr(threads, "_shared", set())  # asked again: said already, not again
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        threads.share_cores_with_blas(loops)
    assert caught == []


@pytest.mark.parametrize("tier, loops", [("numpy", False), ("reference", False), ("numba", True)])
def test_the_first_lookup_of_a_tier_shares_the_cores_as_its_loops_need(monkeypatch, tier, loops):
    pytest.importorskip("numba")
    from minicnn import kernels

    calls = []
    monkeypatch.setattr(threads, "share_cores_with_blas", lambda loops: calls.append(loops))
    monkeypatch.setattr(kernels, "_sets", {})
    kernels.get(tier)
    kernels.get(tier)
    assert calls == [loops]
