"""Every reference solution passes its exercise; every stub fails saying it is not implemented yet."""

import re

import pytest
import solutions

from minicnn import exercises

NAMES = exercises.names()


def test_at_least_sixteen_exercises_in_course_order():
    assert len(NAMES) >= 16 and len(set(NAMES)) == len(NAMES)
    notebooks = [exercises.info(n).notebook for n in NAMES]
    assert notebooks == sorted(notebooks)
    assert NAMES.index("im2col") < NAMES.index("col2im") < NAMES.index("conv2d_backward")


def test_the_eight_required_signatures():
    required = {
        "conv2d_forward": "(x, w, b, stride, padding)",
        "conv2d_backward": "(gy, x, w, stride, padding)",
        "im2col": "(x, kernel_size, stride, padding)",
        "col2im": "(cols, x_shape, kernel_size, stride, padding)",
        "max_pool2d_backward": "(gy, x, kernel_size, stride)",
        "batch_norm_backward": "(gy, x, gamma, eps)",
        "softmax_cross_entropy_backward": "(logits, labels)",
        "sgd_momentum_step": "(param, grad, buf, lr, momentum, weight_decay)",
    }
    for name, signature in required.items():
        assert exercises.info(name).signature == signature


def _quick_verdict(name, seed=""):
    """What check(quick=True) prints of a right answer: a pass, or for an exercise with a
    training part, its cases passed and the training skipped."""
    if exercises.info(name).slow is not None:
        cases = len(exercises.info(name).cases)
        skipped = r"training skipped \(quick=True\), so not passed in full"
        return rf"{name}: {skipped}; its {cases} cases passed{seed}\n"
    return rf"{name}: passed \(\d+ cases.*{seed}\)\n"


@pytest.mark.parametrize("name", NAMES)
def test_solution_passes(name, capsys):
    exercises.check(name, getattr(solutions, name), quick=True)
    assert re.fullmatch(_quick_verdict(name), capsys.readouterr().out)


@pytest.mark.parametrize("name", NAMES)
def test_solution_passes_the_cases_of_a_seed(name, capsys):
    """Per-student cases keep every case's corners (ties, padding, u exactly p): the answers pass."""
    exercises.check(name, getattr(solutions, name), quick=True, seed=31337)
    assert re.fullmatch(_quick_verdict(name, ", seed 31337"), capsys.readouterr().out)


@pytest.mark.slow
def test_lenet5_solution_trains_past_95_percent(capsys):
    exercises.check("lenet5_forward_backward", solutions.lenet5_forward_backward)
    out = capsys.readouterr().out
    accuracy = float(re.search(r"test accuracy (\d+\.\d+)%", out).group(1))
    assert accuracy > 95
    assert out.startswith("lenet5_forward_backward: passed (2 cases and training; 6 epochs, test accuracy ")


@pytest.mark.parametrize("name", NAMES)
def test_stub_fails_as_not_implemented(name):
    source = exercises.stub_source(name)
    assert source.startswith("import numpy as np\n\n\ndef ")
    namespace = {}
    exec(source, namespace)
    with pytest.raises(exercises.NotImplementedYet, match=f"^{name}: not implemented yet"):
        exercises.check(name, namespace[name])


def test_unknown_exercise_lists_the_names():
    with pytest.raises(KeyError, match="col2im"):
        exercises.check("col2imm", solutions.col2im)


def test_failure_is_an_assertion_error():
    assert issubclass(exercises.ExerciseFailed, AssertionError)


def test_the_docs_page_lists_every_exercise():
    import pathlib

    page = (pathlib.Path(__file__).resolve().parents[2] / "docs" / "exercises.md").read_text()
    assert "graded from a shell with `python -m minicnn check NAME mine.py`" in page
    for name in NAMES:
        ex = exercises.info(name)
        assert f"| `{name}{ex.signature}` |" in page
        assert f"notebooks/{ex.notebook}.ipynb" in page


def test_lenet_stub_gives_every_shape_the_flatten_order_and_what_to_write_oneself():
    from minicnn.exercises import lenet

    doc = " ".join(exercises.info("lenet5_forward_backward").doc.split())
    for name, shape in lenet.SHAPES.items():
        assert f'"{name}" {shape}' in doc
    assert "flatten (N, 400), in (C, H, W) order (the pooled array's reshape(N, -1))" in doc
    assert "(N, 6, 28, 28) -> (N, 6, 14, 14) -> (N, 16, 10, 10) -> (N, 16, 5, 5)" in doc
    assert "Write the rest here too: the max-pool forward, and the ReLU, forward and backward" in doc
    assert "must be in the file, or imported into it" in doc
