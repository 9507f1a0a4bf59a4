"""Which kernel runs: ``kernels.which``, a kernel set's repr, and an op keeping its forward's set."""

import contextlib
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F
from minicnn import kernels
from minicnn.kernels import reference


def test_which_names_the_function_of_the_current_tier():
    with mc.use_kernels("reference"):
        assert kernels.which("conv2d_input_grad") == "minicnn.kernels.reference.conv2d_input_grad"
    with mc.use_kernels("numpy-simple"):
        assert kernels.which("conv2d_forward") == "minicnn.kernels.simple.conv2d_forward"
        assert kernels.which("max_pool2d_forward") == "minicnn.kernels.xp_pool.max_pool2d_forward"
    with mc.use_kernels("numpy"):
        assert kernels.which("conv2d_weight_grad") == "minicnn.kernels.im2col.conv2d_weight_grad"
    with pytest.raises(KeyError, match="no kernel 'conv3d_forward' in tier 'numpy'"):
        kernels.get("numpy").which("conv3d_forward")


@pytest.mark.numba
def test_which_follows_the_auto_table():
    with mc.use_kernels("auto"):
        assert kernels.which("max_pool2d_forward") == "minicnn.kernels.numba_cpu.max_pool2d_forward"
        assert kernels.which("max_pool2d_input_grad") == "minicnn.kernels.numba_cpu.max_pool2d_input_grad"
        assert kernels.which("avg_pool2d_forward") == "minicnn.kernels.xp_pool.avg_pool2d_forward"
    with mc.use_kernels("numba"):
        assert kernels.which("max_pool2d_input_grad") == "minicnn.kernels.numba_cpu.max_pool2d_input_grad"
        assert kernels.which("conv2d_weight_grad") == "minicnn.kernels.numba_im2col.conv2d_weight_grad"


def test_every_tier_answers_every_kernel_and_its_repr_lists_them():
    for tier in ("reference", "numpy-simple", "numpy"):
        K = kernels.get(tier)
        assert set(K.choices) == set(kernels.KERNELS), tier
        text = repr(K)
        assert text.startswith(f"KernelSet({tier!r}):")
        for name in kernels.KERNELS:
            assert f"{name} " in text and K.which(name) in text


def test_unknown_tier_is_refused():
    with pytest.raises(ValueError, match="use_kernels: unknown tier 'fast'"):
        mc.use_kernels("fast")
    with pytest.raises(ValueError, match="unknown kernel tier 'fast'"):
        kernels.get("fast")


NO_SIDE_EFFECTS = textwrap.dedent("""
    import numba
    import numpy as np
    before = numba.get_num_threads()
    import minicnn as mc
    import minicnn.functional as F
    import minicnn.kernels.numba_cpu
    assert numba.get_num_threads() == before, (before, numba.get_num_threads())
    with mc.use_kernels("numba"):
        x = mc.tensor(np.random.default_rng(0).standard_normal((2, 3, 6, 6)), requires_grad=True)
        F.max_pool2d(x, 2).sum().backward()
    assert numba.get_num_threads() == before, (before, numba.get_num_threads())
    print("ok")
""")


@pytest.mark.numba
def test_importing_and_running_leave_numbas_thread_count_alone():
    import os

    env = {k: v for k, v in os.environ.items() if k != "NUMBA_NUM_THREADS"}
    done = subprocess.run(
        [sys.executable, "-c", NO_SIDE_EFFECTS], capture_output=True, text=True, timeout=120, env=env
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def _refuse(*args, **kwargs):
    raise AssertionError("backward switched kernel sets")


@pytest.mark.parametrize(
    "op, kernel",
    [
        (lambda x: F.conv2d(x, mc.tensor(np.ones((2, 3, 3, 3))), padding=1), "conv2d_input_grad"),
        (lambda x: F.max_pool2d(x, 2), "max_pool2d_input_grad"),
        (lambda x: F.avg_pool2d(x, 2), "avg_pool2d_input_grad"),
        (lambda x: F.adaptive_avg_pool2d(x, 1), "adaptive_avg_pool2d_input_grad"),
        (lambda x: F.local_response_norm(x, 3), "lrn_input_grad"),
        (lambda x: F.batch_norm(x, None, None, training=True), "batch_norm_grads"),
    ],
)
def test_backward_uses_the_kernel_set_of_its_forward(op, kernel, monkeypatch):
    x = mc.tensor(np.random.default_rng(61).standard_normal((2, 3, 4, 4)), requires_grad=True)
    with mc.use_kernels("numpy"):
        y = op(x)
    monkeypatch.setitem(kernels.get("reference").choices, kernel, _refuse)
    monkeypatch.setattr(kernels.get("reference"), kernel, _refuse)
    monkeypatch.setattr(reference, kernel, _refuse)
    with mc.use_kernels("reference"):
        y.sum().backward()
    assert x.grad is not None and x.grad.shape == x.shape


def test_trace_lists_the_kernels_a_block_ran():
    x, w = mc.zeros(2, 3, 6, 6, requires_grad=True), mc.zeros(4, 3, 3, 3, requires_grad=True)
    with mc.use_kernels("numpy-simple"), kernels.trace() as ran:
        F.max_pool2d(F.conv2d(x, w, padding=1), 2).sum().backward()
    assert ran == [
        "conv2d_forward: simple",
        "max_pool2d_forward: xp_pool",
        "max_pool2d_input_grad: xp_pool",
        "conv2d_input_grad: simple",
        "conv2d_weight_grad: simple",
    ]
    assert sys.getprofile() is None


def test_trace_gives_the_profiler_back_after_an_error():
    before = lambda *args: None  # noqa: E731
    sys.setprofile(before)
    try:
        with pytest.raises(ValueError), kernels.trace():
            F.conv2d(mc.zeros(1, 2, 5, 5), mc.zeros(1, 3, 3, 3))
        assert sys.getprofile() is before
    finally:
        sys.setprofile(None)


@pytest.mark.numba
def test_trace_follows_auto_past_the_kernels_that_pass_a_call_on():
    """which() names the first module of auto's convolution chain; trace() shows where each call ended."""
    with mc.use_kernels("auto"):
        assert kernels.which("conv2d_forward") == "minicnn.kernels.numba_direct.conv2d_forward"
        x, w = mc.zeros(4, 16, 16, 16, requires_grad=True), mc.zeros(16, 16, 3, 3, requires_grad=True)
        with kernels.trace() as ran:
            F.conv2d(x, w, padding=1).sum().backward()
        assert ran[0] == "conv2d_forward: numba_direct -> numba_depthwise -> numba_winograd"
        assert ran[1].startswith("conv2d_grads: numba_winograd") and len(ran) == 2
        # one image: 64 output tiles, too few for Winograd (numba_winograd.few_tiles)
        with kernels.trace() as ran:
            F.conv2d(x[:1], w, padding=1).sum().backward()
        assert ran[0] == "conv2d_forward: numba_direct -> numba_depthwise -> numba_winograd -> numba_im2col"
        assert ran[1] == "conv2d_grads: numba_winograd -> numba_im2col" and len(ran) == 2
        x, w = mc.zeros(2, 1, 12, 12), mc.zeros(6, 1, 5, 5, requires_grad=True)  # gW alone
        with kernels.trace() as ran:
            F.conv2d(x, w).sum().backward()
        assert ran == ["conv2d_forward: numba_direct", "conv2d_weight_grad: numba_direct"]
        x, w = mc.zeros(2, 2, 12, 12, requires_grad=True), mc.zeros(6, 1, 3, 3, requires_grad=True)
        with kernels.trace() as ran:  # two groups: no joint algorithm
            F.conv2d(x, w, groups=2).sum().backward()
        assert ran[1].endswith("-> declined") and len(ran) == 4


def test_plain_tiers_open_no_sharing_scope():
    """A reader stepping through the plain tiers never enters kept_columns or im2col's sharing."""
    for tier in ("reference", "numpy-simple"):
        K = kernels.get(tier)
        assert isinstance(K.keeping_columns(True), contextlib.nullcontext), tier
        assert isinstance(K.sharing_gy(np.zeros(1)), contextlib.nullcontext), tier
    K = kernels.get("numpy")
    assert not isinstance(K.keeping_columns(True), contextlib.nullcontext)
