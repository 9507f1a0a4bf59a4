"""The corners each exercise is about (exp overflowing, an input exactly at a ReLU's kink, tied
maxima, u exactly p, a score exactly at the hinge) are in its cases whatever the seed: a wrong
answer that only a corner shows fails on every seed of 0..59, and the right one passes. Graded in
this process, on the corner's case alone."""

import dataclasses

import numpy as np
import pytest
import solutions as S

from minicnn import exercises
from minicnn.exercises import calling, grading

SEEDS = range(60)


def corner(name, pick):
    """Exercise ``name`` with its one case whose parameters ``pick`` chooses."""
    ex = exercises.info(name)
    (case,) = [case for case in ex.cases if pick(case.params)]
    return dataclasses.replace(ex, cases=[case])


def seeds_passed(ex, fn):
    passed = []
    for seed in SEEDS:
        try:
            with np.errstate(all="ignore"):
                grading.grade(ex, calling.in_process(ex, fn), quick=True, seed=seed, hints=False)
        except exercises.ExerciseFailed:
            continue
        passed.append(seed)
    return passed


# --- wrong answers that only a corner shows, as a student writes them ------------------------------


def softmax_without_the_max(logits, labels):
    e = np.exp(logits)
    p = e / e.sum(axis=1, keepdims=True)
    p[np.arange(len(labels)), labels] -= 1
    return p / len(labels)


def softmax_less_the_row_mean(logits, labels):
    e = np.exp(logits - logits.mean(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    p[np.arange(len(labels)), labels] -= 1
    return p / len(labels)


def softmax_less_the_batch_max(logits, labels):
    e = np.exp(logits - logits.max())
    p = e / e.sum(axis=1, keepdims=True)
    p[np.arange(len(labels)), labels] -= 1
    return p / len(labels)


def leaky_from_zero_up(gy, x, negative_slope):
    return np.where(x >= 0, gy, negative_slope * gy)


def leaky_nothing_at_zero(gy, x, negative_slope):
    return gy * (x > 0) + negative_slope * gy * (x < 0)


def residual_from_zero_up(gy, x, w1, b1, w2, b2):
    a = x @ w1.T + b1
    h = np.maximum(a, 0)
    gz = gy * (x + h @ w2.T + b2 >= 0)
    ga = gz @ w2 * (a >= 0)
    return gz + ga @ w1, ga.T @ x, ga.sum(axis=0), gz.T @ h, gz.sum(axis=0)


def residual_from_zero_up_last_relu_only(gy, x, w1, b1, w2, b2):
    a = x @ w1.T + b1
    h = np.maximum(a, 0)
    gz = gy * (x + h @ w2.T + b2 >= 0)
    ga = gz @ w2 * (a > 0)
    return gz + ga @ w1, ga.T @ x, ga.sum(axis=0), gz.T @ h, gz.sum(axis=0)


def residual_from_zero_up_first_relu_only(gy, x, w1, b1, w2, b2):
    a = x @ w1.T + b1
    h = np.maximum(a, 0)
    gz = gy * (x + h @ w2.T + b2 > 0)
    ga = gz @ w2 * (a >= 0)
    return gz + ga @ w1, ga.T @ x, ga.sum(axis=0), gz.T @ h, gz.sum(axis=0)


def saliency_relu_from_zero_up(x, w1, b1, w2, b2, labels):
    pre = x.reshape(len(x), -1) @ w1.T + b1
    g_x = ((w2[labels] * (pre >= 0)) @ w1).reshape(x.shape)
    return np.abs(g_x).max(axis=1)


def max_pool_scanning_with_ge(gy, x, kernel_size, stride):
    """A scan that keeps a new maximum where it is >= the best so far: ties go to the last."""
    k, gx = kernel_size, np.zeros_like(x)
    N, C, OH, OW = gy.shape
    for i in range(OH):
        for j in range(OW):
            window = x[:, :, i * stride : i * stride + k, j * stride : j * stride + k].reshape(N, C, -1)
            last = k * k - 1 - np.argmax(window[:, :, ::-1], axis=2)
            for n in range(N):
                for c in range(C):
                    u, v = divmod(int(last[n, c]), k)
                    gx[n, c, i * stride + u, j * stride + v] += gy[n, c, i, j]
    return gx


def lenet_relu_from_zero_up(params, x, labels):
    """The reference solution's LeNet-5 with every ReLU passing its gradient at 0."""
    p, relu_grad = params, (lambda h: h >= 0)
    h1 = S.conv2d_forward(x, p["conv1.weight"], p["conv1.bias"], 1, 2)
    m1 = S._max_pool2d(np.maximum(h1, 0), 2, 2)
    h2 = S.conv2d_forward(m1, p["conv2.weight"], p["conv2.bias"], 1, 0)
    m2 = S._max_pool2d(np.maximum(h2, 0), 2, 2)
    f = m2.reshape(len(x), -1)
    h3 = f @ p["fc1.weight"].T + p["fc1.bias"]
    h4 = np.maximum(h3, 0) @ p["fc2.weight"].T + p["fc2.bias"]
    logits = np.maximum(h4, 0) @ p["fc3.weight"].T + p["fc3.bias"]
    g = {}
    gl = S.softmax_cross_entropy_backward(logits, labels)
    ga4, g["fc3.weight"], g["fc3.bias"] = S.linear_backward(gl, np.maximum(h4, 0), p["fc3.weight"])
    ga3, g["fc2.weight"], g["fc2.bias"] = S.linear_backward(
        ga4 * relu_grad(h4), np.maximum(h3, 0), p["fc2.weight"]
    )
    gf, g["fc1.weight"], g["fc1.bias"] = S.linear_backward(ga3 * relu_grad(h3), f, p["fc1.weight"])
    ga2 = S.max_pool2d_backward(gf.reshape(m2.shape), np.maximum(h2, 0), 2, 2)
    gm1, g["conv2.weight"], g["conv2.bias"] = S.conv2d_backward(
        ga2 * relu_grad(h2), m1, p["conv2.weight"], 1, 0
    )
    ga1 = S.max_pool2d_backward(gm1, np.maximum(h1, 0), 2, 2)
    _, g["conv1.weight"], g["conv1.bias"] = S.conv2d_backward(ga1 * relu_grad(h1), x, p["conv1.weight"], 1, 2)
    return logits, g


def dropout_keeping_u_above_p(x, p, u):
    return np.where(u > p, x / (1 - p), 0.0)


def dropconnect_keeping_u_above_p(x, w, b, p, u):
    return np.einsum("noi,ni->no", (u > p) * w / (1 - p), x) + b


def svm_slope_one_at_the_kink(scores, y, margin):
    N, C = scores.shape
    z = margin - scores[np.arange(N), y][:, None] + scores
    margins = np.maximum(z, 0.0)
    margins[np.arange(N), y] = 0.0
    g = (z >= 0).astype(float)
    g[np.arange(N), y] = 0.0
    g[np.arange(N), y] = -g.sum(axis=1)
    return margins.sum() / (N * C), g / (N * C)


CORNERS = {
    "softmax_cross_entropy_backward": (
        lambda params: "far" in params,
        [softmax_without_the_max, softmax_less_the_row_mean, softmax_less_the_batch_max],
    ),
    "leaky_relu_backward": (
        lambda params: params["values"] == "integers",
        [leaky_from_zero_up, leaky_nothing_at_zero],
    ),
    "residual_block_backward": (
        lambda params: params.get("kinks", False),
        [residual_from_zero_up, residual_from_zero_up_last_relu_only, residual_from_zero_up_first_relu_only],
    ),
    "saliency_map": (lambda params: params.get("kinks", False), [saliency_relu_from_zero_up]),
    "max_pool2d_backward": (lambda params: params["values"] == "zeros", [max_pool_scanning_with_ge]),
    "lenet5_forward_backward": (lambda params: params.get("kinks", False), [lenet_relu_from_zero_up]),
    "inverted_dropout": (lambda params: params.get("ties", False), [dropout_keeping_u_above_p]),
    "dropconnect_forward": (lambda params: params.get("ties", False), [dropconnect_keeping_u_above_p]),
    "multiclass_svm_loss_backward": (
        lambda params: params.get("values") == "ties",
        [svm_slope_one_at_the_kink],
    ),
}
WRONG = [(name, fn) for name, (_, fns) in CORNERS.items() for fn in fns]


@pytest.mark.parametrize("name, wrong", WRONG, ids=[fn.__name__ for _, fn in WRONG])
def test_a_wrong_answer_at_the_corner_fails_on_every_seed(name, wrong):
    assert seeds_passed(corner(name, CORNERS[name][0]), wrong) == []


@pytest.mark.parametrize("name", list(CORNERS))
def test_the_right_answer_passes_the_corner_on_every_seed(name):
    assert seeds_passed(corner(name, CORNERS[name][0]), getattr(S, name)) == list(SEEDS)


@pytest.mark.parametrize("seed", [None, 0, 7, 59])
def test_the_overflow_case_overflows_exp_unless_each_rows_max_is_subtracted(seed):
    ex = corner("softmax_cross_entropy_backward", lambda params: "far" in params)
    logits, _ = ex.make(grading.case_rng(ex.cases[0], seed), **ex.cases[0].params)
    rows = logits - logits.mean(axis=1, keepdims=True)
    assert (logits.max(axis=1) > 710).any()  # exp of the logits overflows
    assert (rows.max(axis=1) > 710).all()  # less each row's mean: every row overflows
    assert ((logits.max(axis=1) - logits.max()) < -746).any()  # less the batch's max: a row underflows


@pytest.mark.parametrize("seed", [None, 0, 59])
def test_the_kink_cases_put_exact_zeros_at_every_relu_and_ties_in_every_window(seed):
    leaky = corner("leaky_relu_backward", CORNERS["leaky_relu_backward"][0])
    _, x, _ = leaky.make(grading.case_rng(leaky.cases[0], seed), **leaky.cases[0].params)
    assert (x == 0).sum() >= 5
    residual = corner("residual_block_backward", CORNERS["residual_block_backward"][0])
    _, x, w1, b1, w2, b2 = residual.make(
        grading.case_rng(residual.cases[0], seed), **residual.cases[0].params
    )
    a = x @ w1.T + b1
    z = x + np.maximum(a, 0) @ w2.T + b2
    assert (a[0] == 0).any() and (z[0] == 0).any() and (z[0] > 0).any()
    sal = corner("saliency_map", CORNERS["saliency_map"][0])
    x, w1, b1, _, _, _ = sal.make(grading.case_rng(sal.cases[0], seed), **sal.cases[0].params)
    pre = x.reshape(len(x), -1) @ w1.T + b1
    assert (pre[0] == 0).any() and (pre[0] != 0).any() and (pre[1:] != 0).all()
    lenet = corner("lenet5_forward_backward", CORNERS["lenet5_forward_backward"][0])
    params, x, _ = lenet.make(grading.case_rng(lenet.cases[0], seed), **lenet.cases[0].params)
    assert not x[0].any() and all(
        not params[k].any() for k in params if k.endswith(".bias") and k != "fc3.bias"
    )
