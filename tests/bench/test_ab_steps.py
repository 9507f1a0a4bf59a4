"""benchmarks/ab_steps.py: the order of the turns, the kernel put back, the ratios (on a fake clock)."""

from types import SimpleNamespace

import pytest
from bench_scripts import load


class Clock:
    """time.perf_counter for the script: advanced by the fake steps, never by real time."""

    def __init__(self):
        self.now = 0.0

    def perf_counter(self):
        return self.now


def setup(monkeypatch, cost, probe_values):
    """The script with a fake clock, a kernel set whose kernel says which side it is, a step
    that records that side and advances the clock by cost(side, round), and a probe reading
    probe_values in turn."""
    ab = load("ab_steps")
    clock = Clock()
    monkeypatch.setattr(ab, "time", clock)
    kernel_set = SimpleNamespace(conv2d_forward="auto's")
    seen = []

    def step():
        side = kernel_set.conv2d_forward
        seen.append(side)
        clock.now += cost(side, sum(s == side for s in seen))

    readings = iter(probe_values)
    return ab, kernel_set, seen, step, lambda: next(readings)


def test_turns_alternate_their_first_side_and_each_starts_with_an_untimed_step(monkeypatch):
    ab, kernel_set, seen, step, probe = setup(monkeypatch, lambda side, n: 1.0, [0.5] * 6)
    ab.compare(step, kernel_set, "conv2d_forward", "a", "b", rounds=3, calls=2, probe=probe)
    # each turn: one untimed step and 2 timed ones; rounds a b, b a, a b
    assert seen == ["a"] * 3 + ["b"] * 6 + ["a"] * 6 + ["b"] * 3
    assert kernel_set.conv2d_forward == "auto's"


def test_the_kernel_is_put_back_when_a_step_fails(monkeypatch):
    ab = load("ab_steps")
    kernel_set = SimpleNamespace(conv2d_forward="auto's")

    def step():
        if kernel_set.conv2d_forward == "b":
            raise RuntimeError("a step failed")

    with pytest.raises(RuntimeError):
        ab.compare(step, kernel_set, "conv2d_forward", "a", "b", rounds=2, calls=1, probe=lambda: 0.5)
    assert kernel_set.conv2d_forward == "auto's"


def test_ratio_is_a_over_b_and_the_clear_ratio_skips_rounds_a_probe_found_shared(monkeypatch):
    # side b's steps cost 1; side a's 2 in its first turn and 4 in its second, after which
    # the probe read 0.9 (the two threads slowed each other): the ratio of both rounds is
    # their median, 3, and the clear one's 2
    def cost(side, n):
        return 1.0 if side == "b" else (2.0 if n <= 3 else 4.0)

    probes = [0.5, 0.5, 0.5, 0.9]  # after the turns a, b (round 1), then b, a (round 2)
    ab, kernel_set, _, step, probe = setup(monkeypatch, cost, probes)
    s = ab.compare(step, kernel_set, "conv2d_forward", "a", "b", rounds=2, calls=2, probe=probe)
    assert s["round_medians_a"] == [2.0, 4.0] and s["round_medians_b"] == [1.0, 1.0]
    assert s["ratio"] == 3.0
    assert s["clear_ratio"] == 2.0 and s["clear_rounds"] == 1
    assert s["probes"] == {"a": [0.5, 0.9], "b": [0.5, 0.5]}


def test_no_clear_round_where_the_probe_says_nothing(monkeypatch):
    ab, kernel_set, _, step, probe = setup(monkeypatch, lambda side, n: 1.0, [None] * 4)
    s = ab.compare(step, kernel_set, "conv2d_forward", "a", "b", rounds=2, calls=1, probe=probe)
    assert s["clear_ratio"] is None and s["clear_rounds"] == 0


@pytest.mark.parametrize(
    "module, kernel, says",
    [
        (
            "numba_im2col",
            "conv2d_sideways",
            "--kernel expected one of minicnn's kernels, got 'conv2d_sideways'",
        ),
        ("nowhere", "conv2d_forward", "--from expected a module of minicnn/kernels/, got 'nowhere'"),
        ("numba_activation", "conv2d_forward", "numba_activation has no kernel 'conv2d_forward'"),
    ],
)
def test_a_kernel_or_module_that_does_not_exist_is_one_line(module, kernel, says):
    pytest.importorskip("numba")
    with pytest.raises(SystemExit) as e:
        load("ab_steps").kernel_from(module, kernel)
    assert says in str(e.value) and "\n" not in str(e.value)


def test_a_kernel_of_a_module_is_that_function():
    pytest.importorskip("numba")
    from minicnn.kernels import numba_im2col

    assert load("ab_steps").kernel_from("numba_im2col", "conv2d_grads") is numba_im2col.conv2d_grads


def test_an_existing_out_file_is_kept_unless_overwrite_is_given(tmp_path):
    out = tmp_path / "ab.json"
    out.write_text("kept")
    with pytest.raises(SystemExit) as e:
        load("ab_steps").main(
            ["--model", "lenet5", "--kernel", "conv2d_forward", "--from", "im2col", "--out", str(out)]
        )
    assert "exists; give --overwrite" in str(e.value)
    assert out.read_text() == "kept"
