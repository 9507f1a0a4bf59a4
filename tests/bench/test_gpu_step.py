"""CUDA graphs of a training step (minicnn/bench/graph.py, benchmarks/gpu_step.py): their
bookkeeping run on NumPy with a stand-in for CuPy's stream capture (a capture records the
step; a replay runs it)."""

import contextlib

import numpy as np
import pytest
from bench_scripts import load

from minicnn.kernels import gemm


def _gpu_step():
    return load("gpu_step")


class _Stream:
    def __init__(self, cp, non_blocking=False):
        self.cp, self.recording, self.captures, self.launched = cp, None, 0, []
        self.invalidated = False  # as CUDA does when an operation fails in a capture

    def __enter__(self):
        self.cp.current.append(self)
        return self

    def __exit__(self, *exc):
        self.cp.current.pop()
        return False

    def synchronize(self):
        assert self.recording is None, "a capturing stream cannot synchronize"

    def begin_capture(self):
        self.recording = []
        self.captures += 1

    def end_capture(self):
        calls, self.recording = self.recording, None
        if self.invalidated:
            raise RuntimeError("cudaErrorStreamCaptureInvalidated: capture invalidated")
        return _Graph(calls)


class _Graph:
    def __init__(self, calls):
        self.calls = calls

    def launch(self, stream=None):
        stream.launched.append(self)  # replayed on the stream it is given
        for call in self.calls:
            call()


class _FakeCuPy:
    """What graph.capture and graph_replay use of cupy, with the current stream and allocator
    tracked: Stream, MemoryPool, using_allocator, get_current_stream, Device."""

    def __init__(self):
        self.streams, self.current, self.allocators = [], [], []
        cp = self

        def stream(non_blocking=False):
            self.streams.append(_Stream(cp, non_blocking))
            return self.streams[-1]

        class Pool:
            def malloc(self, n):
                return None

        @contextlib.contextmanager
        def using_allocator(malloc):
            cp.allocators.append(malloc)
            try:
                yield
            finally:
                cp.allocators.pop()

        class Device:
            def synchronize(self):
                assert all(s.recording is None for s in cp.streams), "a capture cannot wait for the device"

        default = _Stream(cp)
        self.cuda = type(
            "cuda",
            (),
            {
                "Stream": staticmethod(stream),
                "MemoryPool": Pool,
                "Device": Device,
                "using_allocator": staticmethod(using_allocator),
                "get_current_stream": staticmethod(lambda: cp.current[-1] if cp.current else default),
            },
        )

    def on_graph_stream_and_pool(self):
        """Whether work issued now goes to the capture's stream and its own pool."""
        stream = self.streams[-1]
        return (
            bool(self.current)
            and self.current[-1] is stream
            and bool(self.allocators)
            and getattr(self.allocators[-1], "__self__", None) is not None
        )


@pytest.fixture(autouse=True)
def cublas_prepared(monkeypatch):
    """cublas_direct.prepare records its calls here instead of opening cuBLAS; each call notes
    whether a capture was under way."""
    from minicnn.kernels import cublas_direct

    calls = []
    monkeypatch.setattr(
        cublas_direct, "prepare", lambda cp: calls.append(any(s.recording is not None for s in cp.streams))
    )
    return calls


def _sgd_problem(cp, fail_in_capture=False, seed=0, warmup=0):
    """A step of SGD with momentum on fixed data, in place, that a capture records."""
    rng = np.random.default_rng(seed)
    w, buf = rng.standard_normal(5), np.zeros(5)
    a, b = rng.standard_normal((8, 5)), rng.standard_normal(8)
    ran = []

    def work():
        g = a.T @ (a @ w - b) / len(b)
        buf[...] = 0.9 * buf + g
        w[...] -= 0.1 * buf
        ran.append(1)

    def step():
        stream = cp.streams[-1]
        if stream.recording is not None or len(ran) < warmup:
            # warm-up and capture run on the graph's stream and pool, their products by
            # cuBLAS called directly (kernels/gemm.py)
            assert cp.on_graph_stream_and_pool() and gemm.depth()
        if stream.recording is not None:
            if fail_in_capture:
                stream.invalidated = True
                raise RuntimeError("operation not permitted when stream is capturing")
            stream.recording.append(work)
        else:
            work()

    return step, lambda: [w, buf], ran


def test_replays_and_ordinary_steps_start_alike_and_agree(cublas_prepared):
    gpu_step, cp = _gpu_step(), _FakeCuPy()
    step, state, ran = _sgd_problem(cp, seed=60, warmup=2)
    out = gpu_step.graph_replay(cp, step, state, steps=4, warmup=2)
    assert out["max_abs_difference"] == 0.0 and out["agree"]
    assert out["steps"] == 4 and out["replay_ms"] > 0 and out["eager_ms"] > 0
    # warm-up, one untimed launch, replays, ordinary steps: the capture itself ran nothing
    assert len(ran) == 2 + 1 + 4 + 4
    assert cp.streams[-1].captures == 1
    assert cublas_prepared == [False], "cuBLAS's handle is made once, before the capture"


def test_replays_that_do_other_work_than_the_steps_disagree(monkeypatch):
    """The comparison can fail: replays that run the step twice land elsewhere."""
    gpu_step, cp = _gpu_step(), _FakeCuPy()
    step, state, _ = _sgd_problem(cp, seed=61, warmup=1)
    original = _Graph.launch

    def launch_twice(self, stream=None):  # a replay doing the work twice: the results differ
        original(self, stream)
        original(self, stream)

    monkeypatch.setattr(_Graph, "launch", launch_twice)
    out = gpu_step.graph_replay(cp, step, state, steps=3, warmup=1)
    assert out["max_abs_difference"] > 1e-3 and not out["agree"]


def test_a_step_that_cannot_be_captured_ends_the_capture_and_raises_its_own_error():
    """Not the "capture invalidated" that ending the spoiled capture raises in turn."""
    gpu_step, cp = _gpu_step(), _FakeCuPy()
    step, state, _ = _sgd_problem(cp, fail_in_capture=True, seed=62, warmup=1)
    with pytest.raises(RuntimeError, match="not permitted when stream is capturing"):
        gpu_step.graph_replay(cp, step, state, steps=2, warmup=1)
    assert cp.streams[-1].recording is None  # end_capture ran


def test_the_written_out_loss_is_the_cross_entropy():
    import minicnn as mc
    import minicnn.functional as F

    rng = np.random.default_rng(63)
    logits = mc.tensor(rng.standard_normal((6, 4)), requires_grad=True)
    labels = rng.integers(0, 4, 6)
    onehot = mc.tensor(np.eye(4)[labels])
    from minicnn.bench.graph import written_out_cross_entropy

    mine = written_out_cross_entropy(logits, onehot)
    want = F.cross_entropy(logits, mc.tensor(labels))
    np.testing.assert_allclose(mine.numpy(), want.numpy(), rtol=1e-12)
    mine.backward()
    g = logits.grad.numpy().copy()
    logits.grad = None
    want.backward()
    np.testing.assert_allclose(g, logits.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_the_step_state_holds_every_array_a_step_writes():
    """Parameters, momentum buffers and batch norm's running statistics and count, each
    written in place by a training step (so a replay that skipped one would show)."""
    import minicnn as mc
    from minicnn import nn, optim

    gpu_step = _gpu_step()
    mc.manual_seed(64)
    # no bias before the batch norm, as in ResNet: its gradient is zero up to rounding
    net = nn.Sequential(
        nn.Conv2d(2, 3, 3, padding=1, bias=False), nn.BatchNorm2d(3), nn.Flatten(), nn.Linear(48, 5)
    )
    opt = optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    rng = np.random.default_rng(64)
    x = mc.tensor(rng.standard_normal((4, 2, 4, 4)).astype(np.float32))
    onehot = mc.tensor(np.eye(5, dtype=np.float32)[rng.integers(0, 5, 4)])
    step = gpu_step.training_step(net, opt, x, onehot)
    step()
    state = gpu_step.step_state(net, opt)
    assert len(state) == 5 + 5 + 3  # parameters, their momentum, BN's mean, var and count
    before = [a.copy() for a in state]
    step()
    after = gpu_step.step_state(net, opt)
    assert all(a is b for a, b in zip(after, state))  # the same arrays, written in place
    assert all(not np.array_equal(a, b) for a, b in zip(after, before))


def test_capture_warms_up_records_once_and_replays_the_recording():
    from minicnn.bench import graph

    cp = _FakeCuPy()
    step, state, ran = _sgd_problem(cp, seed=65, warmup=2)
    w0 = state()[0].copy()
    replay = graph.capture(step, cp, warmup=2)
    assert len(ran) == 2 and cp.streams[-1].captures == 1
    after_warmup = state()[0].copy()
    assert not np.array_equal(after_warmup, w0)
    replay()
    replay()
    assert len(ran) == 4 and not np.array_equal(state()[0], after_warmup)
    assert replay.stream is cp.streams[-1]
    assert len(cp.streams[-1].launched) == 2  # each replay on the capture's stream


def test_a_graph_step_needs_the_gpu():
    from minicnn.bench import cases

    with pytest.raises(ValueError, match="needs device cuda, got 'cpu'"):
        cases.model_step("lenet5", 2, "float32", "cpu", graph=True)


def test_the_recorded_step_is_an_sgd_step_on_the_cross_entropy():
    """graph.training_step moves the weights as a step on F.cross_entropy does."""
    import minicnn as mc
    import minicnn.functional as F
    from minicnn import nn, optim
    from minicnn.bench import graph

    rng = np.random.default_rng(66)
    x = mc.tensor(rng.standard_normal((5, 4)))
    labels = rng.integers(0, 3, 5)
    weights = []
    for written_out in (True, False):
        mc.manual_seed(66)
        net = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 3)).double()
        opt = optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
        if written_out:
            step = graph.training_step(net, opt, x, mc.tensor(np.eye(3)[labels]))
        else:

            def step(net=net, opt=opt):
                opt.zero_grad()
                F.cross_entropy(net(x), mc.tensor(labels)).backward()
                opt.step()

        for _ in range(3):
            step()
        weights.append([p.numpy().copy() for p in net.parameters()])
    for a, b in zip(*weights):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
