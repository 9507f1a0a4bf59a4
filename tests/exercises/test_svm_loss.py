"""Chapter 10's multiclass SVM loss: its cases hold the corners (a tie exactly at the hinge, a loss of
0, two classes, one sample), its reference is minicnn's F.multi_margin_loss, and each known mistake,
written as a student would write it, gets its own hint while the right answer passes."""

import numpy as np
import pytest
import solutions as S
from mistake_hint import hint

from minicnn import exercises
from minicnn.exercises import grading

NAME = "multiclass_svm_loss_backward"


def _vectorized(
    keep_own=False, at_kink=False, column=True, by_n=True, by_c=True, flipped=False, p=1, mask_ge=False
):
    """The loss and gradient as CS231n's vectorized code computes them, with one thing changed."""

    def multiclass_svm_loss_backward(scores, y, margin):
        N, C = scores.shape
        rows = np.arange(N)
        z = (-margin if flipped else margin) - scores[rows, y][:, None] + scores
        margins = np.maximum(0.0, z)
        if not keep_own:
            margins[rows, y] = 0.0
        scale = (N if by_n else 1) * (C if by_c else 1)
        loss = (margins**p).sum() / scale
        mask = (z >= 0) if at_kink else (margins >= 0) if mask_ge else (margins > 0)
        mask[rows, y] = keep_own
        g = mask * (p * margins ** (p - 1))
        g[rows, y] = -g.sum(axis=1) if column else 0.0
        return loss, g / scale

    return multiclass_svm_loss_backward


def loop_without_skipping_the_class(scores, y, margin):
    """CS231n's loop without its ``if j == y[i]: continue``: the class's own term enters the loss,
    and its +1 and -1 on the class's column cancel."""
    N, C = scores.shape
    loss, g = 0.0, np.zeros_like(scores)
    for i in range(N):
        for j in range(C):
            term = margin - scores[i, y[i]] + scores[i, j]
            if term > 0:
                loss += term
                g[i, j] += 1
                g[i, y[i]] -= 1
    return loss / (N * C), g / (N * C)


MISTAKES = [
    (loop_without_skipping_the_class, "the class's own term, j = y_i, was counted in the loss:"),
    (_vectorized(keep_own=True), "the class's own term, j = y_i, was counted in the loss and in g"),
    (_vectorized(at_kink=True), "at margin - s_y + s_j = 0 exactly the hinge's slope is 0"),
    (_vectorized(mask_ge=True), "every other class got a slope"),
    (_vectorized(column=False), "the class's own column is missing"),
    (_vectorized(by_n=False), "not divided by N"),
    (_vectorized(by_c=False), "not divided by C"),
    (_vectorized(flipped=True), "the margin's sign is flipped"),
    (_vectorized(p=2), "that is the squared hinge (p = 2)"),
]


@pytest.mark.parametrize("wrong, says", MISTAKES, ids=[says[:30] for _, says in MISTAKES])
def test_a_known_mistake_gets_its_own_hint(wrong, says):
    assert hint(NAME, wrong).startswith(says)


def test_the_right_answer_passes_and_the_unchanged_variant_is_right(capsys):
    exercises.check(NAME, S.multiclass_svm_loss_backward)
    exercises.check(NAME, _vectorized())
    assert capsys.readouterr().out == f"{NAME}: passed (6 cases)\n" * 2


def test_the_kink_mistake_fails_only_on_the_case_with_ties():
    with pytest.raises(exercises.ExerciseFailed, match="case 4 of 6"):
        exercises.check(NAME, _vectorized(at_kink=True))


def _cases(seed):
    ex = exercises.info(NAME)
    return [(case.params, ex.make(grading.case_rng(case, seed), **case.params)) for case in ex.cases]


@pytest.mark.parametrize("seed", [None, 0, 7, 59])
def test_every_seed_has_ties_at_the_hinge_a_zero_loss_two_classes_and_one_sample(seed):
    cases = _cases(seed)
    for params, (scores, y, margin) in cases:
        assert (
            scores.dtype == np.float64 and y.dtype == np.int64 and scores.shape == (params["N"], params["C"])
        )
        rows = np.arange(len(y))
        z = margin - scores[rows, y][:, None] + scores
        z[rows, y] = np.nan  # the class's own term is not in the sum
        if params.get("values") == "ties":
            assert ((z == 0).sum(axis=1) >= 1).all() and (z > 0).any()
        if params.get("values") == "ahead":
            assert (z[~np.isnan(z)] < 0).all()
            loss, g = exercises.info(NAME).expected(scores, y, margin)
            assert loss == 0.0 and not g.any()
    assert any(params["C"] == 2 for params, _ in cases) and any(params["N"] == 1 for params, _ in cases)


def test_the_reference_is_the_docstrings_formula_with_a_zero_slope_at_the_kink():
    """minicnn's F.multi_margin_loss, as the exercise uses it, against the formula in NumPy."""
    for _, (scores, y, margin) in _cases(3):
        loss, g = exercises.info(NAME).expected(scores, y, margin)
        N, C = scores.shape
        want_loss = sum(
            max(0.0, margin - scores[i, y[i]] + scores[i, j]) for i in range(N) for j in range(C) if j != y[i]
        ) / (N * C)
        assert np.isclose(loss, want_loss, rtol=1e-14, atol=0)
        np.testing.assert_allclose(
            g, S.multiclass_svm_loss_backward(scores, y, margin)[1], rtol=0, atol=1e-15
        )
