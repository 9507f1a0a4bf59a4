"""benchmarks/gpu_step.py's CUDA-graph experiment, its bookkeeping run on NumPy with a
stand-in for CuPy's stream capture (a capture records the step; a replay runs it)."""

import contextlib
import importlib.util
import os

import numpy as np
import pytest

SCRIPT = os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks", "gpu_step.py")


def _gpu_step():
    spec = importlib.util.spec_from_file_location("gpu_step", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Stream:
    def __init__(self, non_blocking=False):
        self.recording = None
        self.captures = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def synchronize(self):
        assert self.recording is None, "a capturing stream cannot synchronize"

    def begin_capture(self):
        self.recording = []
        self.captures += 1

    def end_capture(self):
        calls, self.recording = self.recording, None
        return _Graph(calls)


class _Graph:
    def __init__(self, calls):
        self.calls = calls

    def launch(self, stream=None):
        for call in self.calls:
            call()


class _FakeCuPy:
    """What graph_replay uses of cupy: Stream, MemoryPool, using_allocator."""

    def __init__(self):
        self.streams = []

        def stream(non_blocking=False):
            self.streams.append(_Stream(non_blocking))
            return self.streams[-1]

        class Pool:
            def malloc(self, n):
                return None

        self.cuda = type(
            "cuda",
            (),
            {
                "Stream": staticmethod(stream),
                "MemoryPool": Pool,
                "using_allocator": staticmethod(lambda malloc: contextlib.nullcontext()),
            },
        )


def _sgd_problem(cp, fail_in_capture=False, seed=0):
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
        if stream.recording is not None:
            if fail_in_capture:
                raise RuntimeError("operation not permitted when stream is capturing")
            stream.recording.append(work)
        else:
            work()

    return step, lambda: [w, buf], ran


def test_replays_and_ordinary_steps_start_alike_and_agree():
    gpu_step, cp = _gpu_step(), _FakeCuPy()
    step, state, ran = _sgd_problem(cp, seed=60)
    out = gpu_step.graph_replay(cp, step, state, steps=4, warmup=2)
    assert out["max_abs_difference"] == 0.0
    assert out["steps"] == 4 and out["replay_ms"] > 0 and out["eager_ms"] > 0
    assert len(ran) == 2 + 4 + 4  # warm-up, replays, ordinary steps: the capture ran nothing
    assert cp.streams[-1].captures == 1


def test_a_replay_that_skipped_the_restore_would_show(monkeypatch):
    """The comparison sees a difference when the two runs do not start from the same state."""
    gpu_step, cp = _gpu_step(), _FakeCuPy()
    step, state, _ = _sgd_problem(cp, seed=61)
    original = _Graph.launch

    def launch_twice(self, stream=None):  # a replay doing the work twice: the results differ
        original(self)
        original(self)

    monkeypatch.setattr(_Graph, "launch", launch_twice)
    out = gpu_step.graph_replay(cp, step, state, steps=3, warmup=1)
    assert out["max_abs_difference"] > 1e-6


def test_a_step_that_cannot_be_captured_ends_the_capture_and_raises():
    gpu_step, cp = _gpu_step(), _FakeCuPy()
    step, state, _ = _sgd_problem(cp, fail_in_capture=True, seed=62)
    with pytest.raises(RuntimeError, match="capturing"):
        gpu_step.graph_replay(cp, step, state, steps=2, warmup=1)
    assert cp.streams[-1].recording is None  # end_capture ran
