"""lenet5_forward_backward's training says what it does before it starts and after each epoch, on
stderr: stdout keeps the verdict (and, with --json, nothing else). A small data set stands in for
mnist5k, so that these run in seconds."""

import json
import pathlib
import shutil
import types

import numpy as np
import pytest
from solutions import lenet5_forward_backward as reference_lenet5

from minicnn import data, exercises
from minicnn.__main__ import main
from minicnn.exercises import lenet


@pytest.fixture
def small_training(monkeypatch):
    """One epoch on 160 digits (5 batches), tested on 50; any accuracy passes."""
    train, test = data.mnist5k("train"), data.mnist5k("test")
    monkeypatch.setattr(
        lenet, "_datasets", lambda: (data.Subset(train, range(160)), data.Subset(test, range(50)))
    )
    monkeypatch.setattr(lenet, "EPOCHS", 1)
    monkeypatch.setattr(lenet, "TARGET", 0.0)


def test_the_training_says_what_it_does_on_stderr(small_training, capsys):
    exercises.check("lenet5_forward_backward", reference_lenet5)
    out, err = capsys.readouterr()
    assert out.startswith("lenet5_forward_backward: passed (2 cases and training; 1 epoch, test accuracy ")
    lines = err.splitlines()
    assert lines[0] == (
        "lenet5_forward_backward: training your LeNet-5 for 1 epoch on 160 mnist5k digits in batches of 32, "
        "then testing it on 50 (about a minute with vectorized layers)"
    )
    assert len(lines) == 2 and lines[1].startswith("epoch 1/1  loss ") and lines[1].endswith(" img/s")


def test_a_slow_pace_is_said_after_five_batches(small_training, monkeypatch, capsys):
    clock = iter(range(0, 10_000, 100))  # every reading of the clock 100 s after the last
    monkeypatch.setattr(lenet, "time", types.SimpleNamespace(perf_counter=lambda: next(clock)))
    exercises.check("lenet5_forward_backward", reference_lenet5)
    # 200 s for 5 of the 5 batches of 1 epoch: 3 minutes
    assert "\n  at this pace the training takes about 3 minutes\n" in capsys.readouterr().err


def test_json_keeps_stdout_for_the_object(small_training, tmp_path, capsys):
    answers = tmp_path / "answers.py"
    shutil.copy(pathlib.Path(__file__).parent / "solutions.py", answers)
    assert main(["check", "lenet5_forward_backward", str(answers), "--json"]) == 0
    out, err = capsys.readouterr()
    (result,) = [json.loads(line) for line in out.splitlines()]
    assert result["training"] == "passed"
    assert "training your LeNet-5 for 1 epoch" in err and "epoch 1/1  loss " in err


def test_quick_says_nothing_of_training(capsys):
    exercises.check("lenet5_forward_backward", reference_lenet5, quick=True)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("seed, words", [(None, ""), (7, ", seed 7")])
def test_quick_in_a_notebook_says_not_passed_in_full_as_the_shell_does(seed, words, capsys):
    """A notebook's check(quick=True) does not print "passed": the cases passed, the training was
    not run, in the words of ``check --quick`` from a shell, the flag named as it was given."""
    exercises.check("lenet5_forward_backward", reference_lenet5, quick=True, seed=seed)
    assert capsys.readouterr().out == (
        f"lenet5_forward_backward: training skipped (quick=True), so not passed in full; "
        f"its 2 cases passed{words}\n"
    )
    exercises.check("sigmoid_backward", lambda gy, y: gy * y * (1 - y), quick=True, seed=seed)
    cases = len(exercises.info("sigmoid_backward").cases)  # no training: quick changes nothing
    assert capsys.readouterr().out == f"sigmoid_backward: passed ({cases} cases{words})\n"


def test_the_test_accuracy_is_the_graders_own(small_training, monkeypatch):
    """A function that trains nothing, and answers the test digits from their labels, fails: the
    grader tests LeNet-5 with the trained parameters itself."""
    monkeypatch.setattr(lenet, "TARGET", 0.5)
    _, test = lenet._datasets()
    label = {np.asarray(test[i][0], np.float32).tobytes(): int(test[i][1]) for i in range(len(test))}

    def lenet5_forward_backward(params, x, labels):
        if x.dtype == np.float64:  # the graded cases
            return reference_lenet5(params, x, labels)
        logits = np.zeros((len(x), 10), np.float32)
        if labels is not None:  # training: no gradient at all
            return logits, {k: np.zeros_like(v) for k, v in params.items()}
        for n in range(len(x)):
            logits[n, label.get(x[n].astype(np.float32).tobytes(), 0)] = 1
        return logits, None

    with pytest.raises(exercises.ExerciseFailed, match=r"the test accuracy is \d+\.\d+%; it must pass 50%"):
        exercises.check("lenet5_forward_backward", lenet5_forward_backward)


def test_a_training_that_slows_down_after_the_first_batches_is_stopped(small_training, monkeypatch):
    """Fast for five batches, then 1000 s a batch (on a clock of the test's): the whole training's
    limit ends it once a minute has passed, rather than after hours."""
    monkeypatch.setattr(lenet, "EPOCHS", 2)  # 10 batches
    clock, calls = [0.0], []
    monkeypatch.setattr(lenet, "time", types.SimpleNamespace(perf_counter=lambda: clock[0]))

    def lenet5_forward_backward(params, x, labels):
        calls.append(len(x))
        clock[0] += 0.01 if len(calls) <= 2 + 5 else 1000  # the 2 cases, 5 batches, then slow
        return reference_lenet5(params, x, labels)

    with pytest.raises(exercises.ExerciseFailed) as info:
        exercises.check("lenet5_forward_backward", lenet5_forward_backward)
    assert str(info.value).startswith(
        "lenet5_forward_backward is too slow to train: at its pace so far (6 batches in 16.7 minutes, "
        "to epoch 2, batch 1), 2 epochs would take about 28 minutes, and the limit is 20."
    )
    assert info.value.step == "training" and len(calls) == 2 + 6
